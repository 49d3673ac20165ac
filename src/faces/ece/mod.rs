//! The Elastic Cloud Enterprise face (`docs/contracts/ece.md`), mounted at
//! `faces.ece.base` (default `/ece/api/v1`). It translates only: every decision is the
//! engine's. Errors are `{"errors": [{"code", "message", "fields"?}]}` with the header
//! `x-cloud-error-codes`.

use crate::domain::{FieldError, LoginId, Password};
use crate::engine::{
    AppSelector, DirectoryError, EngineError, FaceProfile, LoginOutcome, LoginRequest, LogoutScope,
    is_local_path, profile,
};
use crate::http::{AppState, Bearer, ClientAddress, Face, JsonObject};
use axum::Json;
use axum::Router;
use axum::extract::State;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use secrecy::ExposeSecret;
use serde_json::{Map, Value, json};
use std::borrow::Cow;
use std::time::Duration;

/// The face's routes.
pub fn router(state: AppState) -> Router<AppState> {
    Router::new()
        .route("/users/auth/_login", post(login))
        .route("/users/auth/_refresh", post(refresh))
        .route("/users/auth/_logout", post(logout))
        .route("/users/auth", get(current))
        .route("/users/auth/methods", get(methods))
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
        .layer(axum::middleware::from_fn_with_state(
            state,
            crate::http::maintenance::<Ece>,
        ))
}

/// The face, as the http kit sees it.
pub struct Ece;

impl Face for Ece {
    type Error = EceError;
    const PROFILE: &'static FaceProfile = &profile::ECE;
    // Elastic's clients post JSON; the contract does not ask them to declare it.
    const ANY_MEDIA_TYPE: bool = true;

    fn too_large() -> EceError {
        EceError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "root.payload_too_large",
            "The request body is too large.",
        )
    }

    fn unsupported_media_type() -> EceError {
        Self::malformed()
    }

    fn malformed() -> EceError {
        EceError::invalid(vec!["body".to_owned()])
    }

    fn unstorable(refused: &FieldError) -> EceError {
        EceError::invalid(vec![refused.field.clone()])
    }

    fn unauthenticated() -> EceError {
        EceError::unauthorized()
    }

    fn maintenance(retry_after: Duration) -> EceError {
        EceError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "root.unavailable",
            "The service is in maintenance; try again later.",
        )
        .retry_after(retry_after)
    }
}

async fn not_found() -> EceError {
    EceError::new(StatusCode::NOT_FOUND, "root.not_found", "No such endpoint.")
}

async fn method_not_allowed() -> EceError {
    EceError::new(
        StatusCode::METHOD_NOT_ALLOWED,
        "root.method_not_allowed",
        "Method not allowed on this endpoint.",
    )
}

/// An error in the face's shape.
#[derive(Debug)]
pub struct EceError {
    status: StatusCode,
    code: &'static str,
    message: Cow<'static, str>,
    fields: Vec<String>,
    retry_after: Option<Duration>,
}

impl EceError {
    fn new(status: StatusCode, code: &'static str, message: impl Into<Cow<'static, str>>) -> Self {
        Self {
            status,
            code,
            message: message.into(),
            fields: Vec::new(),
            retry_after: None,
        }
    }

    /// 400 `root.invalid_request` naming fields.
    fn invalid(fields: Vec<String>) -> Self {
        Self {
            fields,
            ..Self::new(
                StatusCode::BAD_REQUEST,
                "root.invalid_request",
                "The request is invalid.",
            )
        }
    }

    fn retry_after(mut self, wait: Duration) -> Self {
        self.retry_after = Some(wait);
        self
    }

    /// 401 `root.unauthorized`: no valid token.
    fn unauthorized() -> Self {
        Self::new(
            StatusCode::UNAUTHORIZED,
            "root.unauthorized",
            "The authentication token is invalid or expired.",
        )
    }
}

impl IntoResponse for EceError {
    fn into_response(self) -> Response {
        let mut error = json!({"code": self.code, "message": self.message});
        if !self.fields.is_empty() {
            error["fields"] = json!(self.fields);
        }
        let mut response = (self.status, Json(json!({"errors": [error]}))).into_response();
        let headers = response.headers_mut();
        headers.insert("x-cloud-error-codes", HeaderValue::from_static(self.code));
        if let Some(wait) = self.retry_after {
            headers.insert(
                header::RETRY_AFTER,
                HeaderValue::from(wait.as_secs().max(1)),
            );
        }
        response
    }
}

const UNAUTHENTICATED: &str = "The supplied authentication is invalid.";

impl From<EngineError> for EceError {
    fn from(e: EngineError) -> Self {
        use StatusCode as S;
        let unauthenticated =
            |message: &'static str| Self::new(S::UNAUTHORIZED, "root.unauthenticated", message);
        match e {
            EngineError::Validation(errors) => {
                Self::invalid(errors.into_iter().map(|f| f.field).collect())
            }
            EngineError::InvalidCredentials
            | EngineError::AccountLocked { .. }
            | EngineError::UnknownApplication
            | EngineError::ApplicationMismatch
            | EngineError::HostnameNotAllowed
            | EngineError::ExternalAccount
            | EngineError::ExternalAccountTooling
            | EngineError::OrganizationNotMember
            | EngineError::OrganizationDisabled
            | EngineError::NoActiveOrganization
            | EngineError::OrganizationPending
            | EngineError::IdpRequired
            | EngineError::ConsumerAccessDisabled
            | EngineError::ApplicationForbidden
            | EngineError::InsufficientScope(_)
            | EngineError::CurrentPasswordIncorrect => unauthenticated(UNAUTHENTICATED),
            EngineError::AccountPendingActivation => unauthenticated(
                "The supplied authentication is invalid: the account is not activated.",
            ),
            EngineError::AccountDisabled => {
                unauthenticated("The supplied authentication is invalid: the account is disabled.")
            }
            EngineError::SecondFactorUnavailable => unauthenticated(
                "This account requires a second factor, which this API cannot take: sign in through the native API (POST /v1/login).",
            ),
            EngineError::DirectoryUnavailable => Self::new(
                S::NOT_IMPLEMENTED,
                "authc.no_authentication_cluster",
                "The administrator needs to configure the authentication cluster.",
            ),
            // A curated message per kind of failure: the cause (hosts, ports, result codes)
            // goes to the log only.
            EngineError::DirectoryFailed(cause) => {
                let message = match &cause {
                    DirectoryError::Unreachable(_) => {
                        "The authentication cluster could not be reached; try again later."
                    }
                    DirectoryError::Failed(_) => "The authentication cluster refused the request.",
                    DirectoryError::Misconfigured(_) => {
                        "The authentication cluster is not configured correctly; the administrator must fix it."
                    }
                };
                crate::http::report_failure(&crate::engine::Failure::new(cause));
                Self::new(
                    S::BAD_GATEWAY,
                    "authc.authentication_cluster_error",
                    message,
                )
            }
            EngineError::RateLimited { retry_after, .. } => Self::new(
                S::TOO_MANY_REQUESTS,
                "root.too_many_requests",
                "Too many requests; try again later.",
            )
            .retry_after(retry_after),
            EngineError::Unauthenticated | EngineError::TokenRestricted => Self::unauthorized(),
            EngineError::StepUpRequired
            | EngineError::InvalidCode
            | EngineError::ChallengeClosed
            | EngineError::ChallengeExpired
            | EngineError::ChallengePending
            | EngineError::FactorAlreadyRegistered
            | EngineError::PhoneMissing
            | EngineError::PasswordRejected(_)
            | EngineError::Conflict(_)
            | EngineError::ImportInvalid { .. } => Self::new(
                S::BAD_REQUEST,
                "root.invalid_request",
                "The request is invalid.",
            ),
            EngineError::NotFound(_) => Self::new(S::NOT_FOUND, "root.not_found", "Not found."),
            EngineError::Busy { retry_after } => Self::new(
                S::SERVICE_UNAVAILABLE,
                "root.unavailable",
                "The service is busy; try again later.",
            )
            .retry_after(retry_after),
            EngineError::Internal(cause) => {
                crate::http::report_failure(&cause);
                Self::new(
                    S::INTERNAL_SERVER_ERROR,
                    "root.internal_error",
                    "An internal error occurred.",
                )
            }
        }
    }
}

/// The parsed `_login` body.
struct LoginBody {
    username: LoginId,
    password: Password,
    login_state: Option<Map<String, Value>>,
}

fn parse_login(map: &Map<String, Value>) -> Result<LoginBody, EceError> {
    let mut bad = Vec::new();
    let text = |name: &str, bad: &mut Vec<String>| match map.get(name) {
        Some(Value::String(s)) if !s.is_empty() => Some(s.clone()),
        _ => {
            bad.push(name.to_owned());
            None
        }
    };
    let username = text("username", &mut bad).and_then(|u| LoginId::parse(&u).ok());
    if username.is_none() && !bad.contains(&"username".to_owned()) {
        bad.push("username".to_owned());
    }
    let password = text("password", &mut bad).and_then(|p| Password::parse(p).ok());
    if password.is_none() && !bad.contains(&"password".to_owned()) {
        bad.push("password".to_owned());
    }
    let login_state = match map.get("login_state") {
        None | Some(Value::Null) => None,
        Some(Value::Object(state)) => {
            match state.get("path") {
                None => {}
                Some(Value::String(path)) if is_local_path(path) => {}
                Some(_) => bad.push("login_state.path".to_owned()),
            }
            Some(state.clone())
        }
        Some(_) => {
            bad.push("login_state".to_owned());
            None
        }
    };
    match (username, password) {
        (Some(username), Some(password)) if bad.is_empty() => Ok(LoginBody {
            username,
            password,
            login_state,
        }),
        _ => Err(EceError::invalid(bad)),
    }
}

/// A request refused before routing, in this face's shape.
pub fn bad_request(refused: &FieldError) -> Response {
    Ece::unstorable(refused).into_response()
}

/// `POST {base}/users/auth/_login`.
async fn login(
    State(state): State<AppState>,
    ClientAddress(source): ClientAddress,
    crate::http::DeviceToken(device_token): crate::http::DeviceToken,
    JsonObject(body, _): JsonObject<Ece>,
) -> Result<Response, EceError> {
    let body = parse_login(&body)?;
    let request = LoginRequest {
        device_token,
        ..LoginRequest::for_face(
            Ece::PROFILE,
            body.username,
            body.password,
            AppSelector::Default,
            source,
        )
    };
    let session = match state.engine.login(request).await? {
        LoginOutcome::Authenticated(session) => session,
        LoginOutcome::PasswordUpdateRequired(_) => {
            return Err(EceError::new(
                StatusCode::UNAUTHORIZED,
                "root.unauthenticated",
                "The password must be changed: sign in through the native API (POST /v1/login).",
            ));
        }
        LoginOutcome::MfaRequired(..) => {
            return Err(EceError::from(EngineError::SecondFactorUnavailable));
        }
    };
    let token = session.token.expose_secret();
    let has_path = body
        .login_state
        .as_ref()
        .is_some_and(|s| s.contains_key("path"));
    match body.login_state {
        Some(login_state) if has_path => {
            let state_json = Value::Object(login_state).to_string();
            let location = format!(
                "/sso/token#{token}?state={}",
                URL_SAFE_NO_PAD.encode(state_json.as_bytes())
            );
            let mut response = (StatusCode::FOUND, Json(json!({}))).into_response();
            if let Ok(value) = HeaderValue::from_str(&location) {
                response.headers_mut().insert(header::LOCATION, value);
            }
            Ok(response)
        }
        _ => Ok(Json(json!({
            "token": token,
            "session_expiration_time": crate::http::rfc3339(session.idle_deadline()),
        }))
        .into_response()),
    }
}

/// `POST {base}/users/auth/_refresh`: a new token for the same session; the old one stops.
async fn refresh(
    State(state): State<AppState>,
    Bearer(token, _): Bearer<Ece>,
) -> Result<Json<Value>, EceError> {
    let (token, deadline) = state.engine.refresh_session_token(&token).await?;
    Ok(Json(json!({
        "token": token.expose_secret(),
        "session_expiration_time": crate::http::rfc3339(deadline),
    })))
}

/// `POST {base}/users/auth/_logout`: 200 `{}`; the token stops working.
async fn logout(
    State(state): State<AppState>,
    Bearer(token, _): Bearer<Ece>,
) -> Result<Json<Value>, EceError> {
    state.engine.logout(&token, LogoutScope::This).await?;
    Ok(Json(json!({})))
}

/// `GET {base}/users/auth`: the token's standing.
async fn current(
    State(state): State<AppState>,
    Bearer(token, _): Bearer<Ece>,
) -> Result<Json<Value>, EceError> {
    let live = state.engine.session(&token).await?;
    Ok(Json(json!({
        "has_elevated_permissions": false,
        "refresh_token_url": format!("{}/users/auth/_refresh", state.config.faces.ece.base),
        "expires_at": crate::http::rfc3339(live.idle_deadline),
    })))
}

/// `GET {base}/users/auth/methods`: password sign-in only.
async fn methods() -> Json<Value> {
    Json(json!({"password": true, "saml": false, "openid": false, "sso_methods": []}))
}
