//! `/auth/…`: login (with device authorisation for MFA), logout, findSession, checkSession,
//! switchLoggedInOrg.

use super::info::{SessionInfo, SessionParts};
use super::{AmplifyError, cookie, session_token};
use crate::domain::{Email, LoginId, Password};
use crate::engine::{
    AppSelector, ClientKind, EngineError, IssuedSession, LiveSession, LoginOutcome, LoginRequest,
    LogoutScope, SignInLocation,
};
use crate::http::{AppState, ClientAddress, ForwardedHttps};
use axum::Json;
use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{OriginalUri, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use secrecy::ExposeSecret;
use serde::Serialize;
use serde_json::{Map, Value};

#[derive(Serialize)]
struct Success<T: Serialize> {
    success: bool,
    result: T,
}

fn success<T: Serialize>(result: T) -> Response {
    Json(Success {
        success: true,
        result,
    })
    .into_response()
}

/// A success that also sets (or clears) the session cookie.
fn with_cookie(mut response: Response, token: Option<&str>, secure: bool) -> Response {
    response
        .headers_mut()
        .insert(header::SET_COOKIE, cookie(token, secure));
    response
}

/// The fields of a JSON or form body; a body over the limit is 413 in the face's shape.
fn fields(
    headers: &HeaderMap,
    body: &Result<Bytes, BytesRejection>,
) -> Result<Map<String, Value>, AmplifyError> {
    let body = body.as_ref().map_err(|rejection| {
        if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE {
            AmplifyError::new(StatusCode::PAYLOAD_TOO_LARGE, "Request entity too large.")
        } else {
            AmplifyError::new(StatusCode::BAD_REQUEST, "Invalid request body.")
        }
    })?;
    let invalid = || AmplifyError::new(StatusCode::BAD_REQUEST, "Invalid request body.");
    let media = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .map(|v| v.trim().to_ascii_lowercase())
        .unwrap_or_default();
    if media == "application/x-www-form-urlencoded" {
        let pairs: Vec<(String, String)> =
            serde_urlencoded::from_bytes(body).map_err(|_| invalid())?;
        return storable(
            pairs
                .into_iter()
                .map(|(k, v)| (k, Value::String(v)))
                .collect(),
        );
    }
    if body.is_empty() && media.is_empty() {
        return Ok(Map::new());
    }
    match serde_json::from_slice::<Value>(body) {
        Ok(Value::Object(map)) => storable(map),
        _ => Err(invalid()),
    }
}

/// The input rule (`domain::storable`) over a body's fields.
fn storable(map: Map<String, Value>) -> Result<Map<String, Value>, AmplifyError> {
    match crate::domain::unstorable_member(&map) {
        Some(refused) => Err(AmplifyError::param_invalid(&refused.field)),
        None => Ok(map),
    }
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
    body: Result<Bytes, BytesRejection>,
) -> Response {
    let parsed = fields(&headers, &body).and_then(|f| parse_login(&f));
    let login = match parsed {
        Ok(login) => login,
        Err(e) => return e.into_response(),
    };
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
    let client = login.client;
    let request = LoginRequest {
        location,
        organization: login.org_hint,
        provider: login.provider,
        client,
        device_token: crate::http::device_token(&headers),
        ..LoginRequest::for_face(
            &crate::engine::profile::AMPLIFY,
            LoginId::Email(login.email),
            login.password,
            application,
            source,
        )
    };
    match state.engine.login(request).await {
        Ok(LoginOutcome::Authenticated(session)) => issued(&state, &session, false, secure),
        Ok(LoginOutcome::MfaRequired(session, _)) => issued(&state, &session, true, secure),
        Ok(LoginOutcome::PasswordUpdateRequired(_)) => {
            AmplifyError::new(StatusCode::BAD_REQUEST, "User must reset password.")
                .internal(13)
                .into_response()
        }
        Err(e) => AmplifyError::from(e).into_response(),
    }
}

/// 200 SessionInfo for a session just opened, with its cookie.
fn issued(
    state: &AppState,
    session: &IssuedSession,
    device_auth_required: bool,
    secure: bool,
) -> Response {
    let sid = session.token.expose_secret();
    let info = SessionInfo::from(SessionParts {
        sid,
        session: &session.session,
        user: &session.user,
        identities: &session.identities,
        from: session.session.client.as_str(),
        expiry: session.idle_deadline(),
        device_auth_required,
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

/// 200 SessionInfo for a live session.
async fn live_info(
    state: &AppState,
    sid: &str,
    live: &LiveSession,
) -> Result<SessionInfo, AmplifyError> {
    let identities = state.engine.identities_of(live.user()).await?;
    Ok(SessionInfo::from(SessionParts {
        sid,
        session: live.session(),
        user: live.user(),
        identities: &identities,
        from: live.session().client.as_str(),
        expiry: live.idle_deadline,
        device_auth_required: false,
    }))
}

/// `POST {base}/auth/deviceauth` `{code, remember}` with the pending session.
pub async fn device_auth(
    State(state): State<AppState>,
    ForwardedHttps(secure): ForwardedHttps,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    let Some(token) = session_token(&headers) else {
        return AmplifyError::login_required().into_response();
    };
    let code = match fields(&headers, &body).and_then(|f| match f.get("code") {
        Some(Value::Number(n)) => Ok(n.to_string()),
        _ => required(&f, "code"),
    }) {
        Ok(code) => code,
        Err(e) => return e.into_response(),
    };
    match state.engine.complete_login_mfa(&token, None, &code).await {
        Ok(LoginOutcome::Authenticated(session)) => issued(&state, &session, false, secure),
        Ok(_) => AmplifyError::login_required().into_response(),
        Err(e) => AmplifyError::from(e).into_response(),
    }
}

/// `GET {base}/auth/logout`: ends the session (if any) and clears the cookie.
pub async fn logout(
    State(state): State<AppState>,
    ForwardedHttps(secure): ForwardedHttps,
    headers: HeaderMap,
) -> Response {
    if let Some(token) = session_token(&headers) {
        // A missing, expired or restricted session has nothing to end; the answer is the same.
        let _ = state.engine.logout(&token, LogoutScope::This).await;
    }
    with_cookie(success("Signed out."), None, secure)
}

/// `GET {base}/auth/findSession`: the session, or `null`.
pub async fn find_session(State(state): State<AppState>, headers: HeaderMap) -> Response {
    let Some(token) = session_token(&headers) else {
        return success(Value::Null);
    };
    match state.engine.session(&token).await {
        Ok(live) => match live_info(&state, &token, &live).await {
            Ok(info) => success(info),
            Err(e) => e.into_response(),
        },
        Err(_) => success(Value::Null),
    }
}

/// `GET {base}/auth/checkSession`: the session, or 401 LOGIN_REQUIRED.
pub async fn check_session(State(state): State<AppState>, headers: HeaderMap) -> Response {
    let Some(token) = session_token(&headers) else {
        return AmplifyError::login_required().into_response();
    };
    let result = match state.engine.session(&token).await {
        Ok(live) => live_info(&state, &token, &live).await,
        Err(e) => Err(AmplifyError::from(e)),
    };
    match result {
        Ok(info) => success(info),
        Err(e) => e.into_response(),
    }
}

/// `POST {base}/auth/switchLoggedInOrg` `{org_id}`.
pub async fn switch_org(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    let Some(token) = session_token(&headers) else {
        return AmplifyError::login_required().into_response();
    };
    let org = match fields(&headers, &body).and_then(|f| {
        optional_id(&f, "org_id")?.ok_or_else(|| AmplifyError::param_required("org_id"))
    }) {
        Ok(org) => org,
        Err(e) => return e.into_response(),
    };
    let result = match state.engine.switch_organization(&token, &org).await {
        Ok(live) => live_info(&state, &token, &live).await,
        // Switching names one organisation: pending is "not an active membership" here.
        Err(EngineError::OrganizationPending) => {
            Err(AmplifyError::from(EngineError::OrganizationNotMember))
        }
        Err(e) => Err(AmplifyError::from(e)),
    };
    match result {
        Ok(info) => success(info),
        Err(e) => e.into_response(),
    }
}
