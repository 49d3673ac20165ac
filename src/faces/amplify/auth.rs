//! `/auth/…`: login (with device authorisation for MFA), logout, findSession, checkSession,
//! switchLoggedInOrg.

use super::info::{SessionInfo, SessionParts};
use super::{Amplify, AmplifyError, cookie};
use crate::domain::{Email, LoginId, Password};
use crate::engine::{
    AppSelector, ClientKind, EngineError, IssuedSession, LoginOutcome, LoginRequest, LogoutScope,
    SessionWithIdentities, SignInLocation,
};
use crate::http::{AppState, Bearer, ClientAddress, Face, Fields, ForwardedHttps, MaybeBearer};
use axum::Json;
use axum::extract::{OriginalUri, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use secrecy::ExposeSecret;
use serde::Serialize;
use serde_json::{Map, Value};

#[derive(Serialize)]
pub struct Success<T: Serialize> {
    success: bool,
    result: T,
}

/// `{"success": true, "result": …}`.
pub(super) fn success<T: Serialize>(result: T) -> Json<Success<T>> {
    Json(Success {
        success: true,
        result,
    })
}

/// A success that also sets (or clears) the session cookie.
fn with_cookie(response: impl IntoResponse, token: Option<&str>, secure: bool) -> Response {
    let mut response = response.into_response();
    response
        .headers_mut()
        .insert(header::SET_COOKIE, cookie(token, secure));
    response
}

/// A required string field.
fn required(fields: &Map<String, Value>, name: &str) -> Result<String, AmplifyError> {
    match fields.get(name) {
        None | Some(Value::Null) => Err(AmplifyError::param_required(name)),
        Some(Value::String(s)) if s.is_empty() => Err(AmplifyError::param_required(name)),
        Some(Value::String(s)) => Ok(s.clone()),
        Some(_) => Err(AmplifyError::param_invalid(name)),
    }
}

/// An optional id field: a string or a number.
fn optional_id(fields: &Map<String, Value>, name: &str) -> Result<Option<String>, AmplifyError> {
    match fields.get(name) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) if s.is_empty() => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.clone())),
        Some(Value::Number(n)) => Ok(Some(n.to_string())),
        Some(_) => Err(AmplifyError::param_invalid(name)),
    }
}

/// The parsed login fields.
struct LoginFields {
    email: Email,
    password: Password,
    client: ClientKind,
    org_hint: Option<String>,
    provider: Option<String>,
}

fn parse_login(fields: &Map<String, Value>) -> Result<LoginFields, AmplifyError> {
    let username = required(fields, "username");
    let password = required(fields, "password");
    let (username, password) = match (username, password) {
        (Ok(u), Ok(p)) => (u, p),
        (Err(e), _) | (_, Err(e)) => return Err(e),
    };
    let client = match fields.get("from") {
        None | Some(Value::Null) => ClientKind::Web,
        Some(Value::String(s)) if s == "web" => ClientKind::Web,
        Some(Value::String(s)) if s == "cli" => ClientKind::Tooling,
        Some(_) => return Err(AmplifyError::param_invalid("from")),
    };
    let org_hint = optional_id(fields, "org_hint")?;
    let provider = optional_id(fields, "provider_guid")?;
    let email = Email::parse(&username).map_err(|_| {
        AmplifyError::new(
            StatusCode::BAD_REQUEST,
            "Username must be a valid email address.",
        )
        .internal(2)
    })?;
    let password =
        Password::parse(password).map_err(|_| AmplifyError::param_invalid("password"))?;
    Ok(LoginFields {
        email,
        password,
        client,
        org_hint,
        provider,
    })
}

/// `POST {base}/auth/login`.
pub async fn login(
    State(state): State<AppState>,
    ClientAddress(source): ClientAddress,
    ForwardedHttps(secure): ForwardedHttps,
    OriginalUri(uri): OriginalUri,
    headers: HeaderMap,
    Fields(fields, ..): Fields<Amplify>,
) -> Result<Response, AmplifyError> {
    let login = parse_login(&fields)?;
    let application = state
        .config
        .faces
        .amplify
        .application
        .clone()
        .map_or(AppSelector::Default, AppSelector::Id);
    let location = headers
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .map(|host| SignInLocation::new(host, uri.path()));
    let request = LoginRequest {
        location,
        organization: login.org_hint,
        provider: login.provider,
        client: login.client,
        device_token: crate::http::device_token(&headers),
        ..LoginRequest::for_face(
            Amplify::PROFILE,
            LoginId::Email(login.email),
            login.password,
            application,
            source,
        )
    };
    match state.engine.login(request).await? {
        LoginOutcome::Authenticated(session) => {
            Ok(issued(&state, &session, Step::SignedIn, secure))
        }
        LoginOutcome::MfaRequired(session, _) => {
            Ok(issued(&state, &session, Step::DeviceAuthRequired, secure))
        }
        LoginOutcome::PasswordUpdateRequired(_) => Err(AmplifyError::new(
            StatusCode::BAD_REQUEST,
            "User must reset password.",
        )
        .internal(13)),
    }
}

/// Where a session just issued stands.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Step {
    /// Signed in by password alone.
    SignedIn,
    /// The second factor is due (`deviceAuthRequired`).
    DeviceAuthRequired,
    /// The second factor was just proven (`valid`, not `expired`).
    DeviceAuthorized,
}

/// 200 SessionInfo for a session just opened, with its cookie.
fn issued(state: &AppState, session: &IssuedSession, step: Step, secure: bool) -> Response {
    let sid = session.token.expose_secret();
    let info = SessionInfo::from(SessionParts {
        sid,
        session: &session.session,
        user: &session.user,
        identities: &session.identities,
        from: session.session.client.as_str(),
        expiry: session.idle_deadline(),
        device_auth_required: step == Step::DeviceAuthRequired,
        device_authorized: step == Step::DeviceAuthorized,
    });
    let mut response = with_cookie(success(info), Some(sid), secure);
    // The device token rides in its own HttpOnly cookie, so the owner's browser or CLI keeps
    // its own lockout bucket (engine/lockout.rs) without knowing it.
    let lifetime = state.engine.config().lockout.device_token_lifetime;
    if let Some(device) = session
        .device_token
        .as_ref()
        .and_then(|d| crate::http::device_cookie(d.expose_secret(), lifetime, secure))
    {
        response.headers_mut().append(header::SET_COOKIE, device);
    }
    response
}

/// SessionInfo for a live session, as presented by `sid`.
fn live_info(sid: &str, found: &SessionWithIdentities) -> Json<Success<SessionInfo>> {
    let live = &found.live;
    success(SessionInfo::from(SessionParts {
        sid,
        session: live.session(),
        user: live.user(),
        identities: &found.identities,
        from: live.session().client.as_str(),
        expiry: live.idle_deadline,
        device_auth_required: false,
        device_authorized: false,
    }))
}

/// `POST {base}/auth/deviceauth` `{code, remember}` with the pending session.
pub async fn device_auth(
    State(state): State<AppState>,
    ForwardedHttps(secure): ForwardedHttps,
    Bearer(token, ..): Bearer<Amplify>,
    Fields(fields, ..): Fields<Amplify>,
) -> Result<Response, AmplifyError> {
    let code = match fields.get("code") {
        Some(Value::Number(n)) => n.to_string(),
        _ => required(&fields, "code")?,
    };
    match state.engine.complete_login_mfa(&token, None, &code).await? {
        LoginOutcome::Authenticated(session) => {
            Ok(issued(&state, &session, Step::DeviceAuthorized, secure))
        }
        _ => Err(AmplifyError::login_required()),
    }
}

/// `GET {base}/auth/logout`: ends the session (if any) and clears the cookie.
pub async fn logout(
    State(state): State<AppState>,
    ForwardedHttps(secure): ForwardedHttps,
    MaybeBearer(token, ..): MaybeBearer<Amplify>,
) -> Response {
    if let Some(token) = token {
        // A missing, expired or restricted session has nothing to end; the answer is the same.
        let _ = state.engine.logout(&token, LogoutScope::This).await;
    }
    with_cookie(success("Signed out."), None, secure)
}

/// `GET {base}/auth/findSession`: the session, or `null`.
pub async fn find_session(
    State(state): State<AppState>,
    MaybeBearer(token, ..): MaybeBearer<Amplify>,
) -> Response {
    let Some(token) = token else {
        return success(Value::Null).into_response();
    };
    match state.engine.session_with_identities(&token).await {
        Ok(found) => live_info(&token, &found).into_response(),
        Err(_) => success(Value::Null).into_response(),
    }
}

/// `GET {base}/auth/checkSession`: the session, or 401 LOGIN_REQUIRED.
pub async fn check_session(
    State(state): State<AppState>,
    Bearer(token, ..): Bearer<Amplify>,
) -> Result<Json<Success<SessionInfo>>, AmplifyError> {
    let found = state.engine.session_with_identities(&token).await?;
    Ok(live_info(&token, &found))
}

/// `POST {base}/auth/switchLoggedInOrg` `{org_id}`: the session moves, and gets a new sid (the
/// old one stops working, as on the platform), sent back in `Set-Cookie`.
pub async fn switch_org(
    State(state): State<AppState>,
    ForwardedHttps(secure): ForwardedHttps,
    Bearer(token, ..): Bearer<Amplify>,
    Fields(fields, ..): Fields<Amplify>,
) -> Result<Response, AmplifyError> {
    let org =
        optional_id(&fields, "org_id")?.ok_or_else(|| AmplifyError::param_required("org_id"))?;
    match state
        .engine
        .switch_organization(&token, &org, Amplify::PROFILE)
        .await
    {
        Ok(switched) => {
            let sid = switched
                .new_token
                .as_ref()
                .map_or(token.as_str(), |t| t.expose_secret());
            Ok(with_cookie(
                live_info(sid, &switched.session),
                Some(sid),
                secure,
            ))
        }
        // Switching names one organisation: pending is "not an active membership" here.
        Err(EngineError::OrganizationPending) => {
            Err(AmplifyError::from(EngineError::OrganizationNotMember))
        }
        Err(e) => Err(AmplifyError::from(e)),
    }
}
