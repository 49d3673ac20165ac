//! The Axonize face (`docs/contracts/axonize.md`), mounted at `faces.axonize.base`
//! (default `/axonize`). It translates only: every decision is the engine's.
//!
//! Like the platform's own server, it matches paths (below its base) and JSON keys without
//! regard to case, and reads `Authorization: bearer <token>` in any case. Errors are
//! `{"error": {"message"}}`.

mod auth;

use crate::domain::FieldError;
use crate::engine::{EngineError, FaceProfile, PasswordRule};
use crate::http::{AppState, Face, Fields};
use axum::Json;
use axum::Router;
use axum::extract::{FromRequest, Request};
use axum::http::{HeaderMap, HeaderValue, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde_json::{Map, Value, json};
use std::convert::Infallible;
use std::time::Duration;
use tower::ServiceExt;

/// The face as a service: its routes (lowercase), behind a rewrite that lowercases the path.
pub fn service(
    state: AppState,
) -> impl tower::Service<Request, Response = Response, Error = Infallible, Future = impl Send + 'static>
+ Clone
+ Send
+ Sync
+ 'static {
    let routes = Router::new()
        .route("/api/auth/login", post(auth::login))
        .route(
            "/api/auth/verifymultifactorbindingcode",
            post(auth::verify_binding_code),
        )
        .route(
            "/api/auth/resendmultifactorbindingcode",
            post(auth::resend_binding_code),
        )
        .route("/api/auth/validatetoken", get(auth::validate_token))
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            crate::http::maintenance::<Axonize>,
        ))
        .with_state(state);
    routes.map_request(lowercase_path)
}

/// Paths are case-insensitive: routing sees them in lowercase (the query is left alone).
fn lowercase_path(mut request: Request) -> Request {
    let uri = request.uri();
    let lowered = uri.path().to_ascii_lowercase();
    if lowered != uri.path() {
        let rebuilt = match uri.query() {
            Some(query) => format!("{lowered}?{query}"),
            None => lowered,
        };
        if let Ok(path) = rebuilt.parse::<axum::http::uri::PathAndQuery>() {
            let mut parts = uri.clone().into_parts();
            parts.path_and_query = Some(path);
            if let Ok(uri) = Uri::from_parts(parts) {
                *request.uri_mut() = uri;
            }
        }
    }
    request
}

/// The face, as the http kit sees it.
pub struct Axonize;

impl Face for Axonize {
    type Error = AxonizeError;
    const PROFILE: &'static FaceProfile = &crate::engine::profile::AXONIZE;
    const FOLD_KEYS: bool = true;
    // The platform's API description lists these request types.
    const JSON_ALIASES: &'static [&'static str] = &["text/json"];

    fn too_large() -> AxonizeError {
        AxonizeError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "The request body is too large.",
        )
    }

    fn unsupported_media_type() -> AxonizeError {
        Self::malformed()
    }

    fn malformed() -> AxonizeError {
        AxonizeError::bad_request("The request body must be a JSON object.")
    }

    fn unstorable(_refused: &FieldError) -> AxonizeError {
        AxonizeError::bad_request("The request contains an invalid value.")
    }

    fn unauthenticated() -> AxonizeError {
        AxonizeError::from(EngineError::Unauthenticated)
    }

    fn maintenance(retry_after: Duration) -> AxonizeError {
        AxonizeError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "The service is under maintenance. Try again later.",
        )
        .retry_after(retry_after)
    }
}

async fn not_found() -> AxonizeError {
    AxonizeError::new(StatusCode::NOT_FOUND, "Not found.")
}

async fn method_not_allowed() -> AxonizeError {
    AxonizeError::new(StatusCode::METHOD_NOT_ALLOWED, "Method not allowed.")
}

/// An error in the face's shape: `{"error": {"message"}}`.
#[derive(Debug)]
pub struct AxonizeError {
    status: StatusCode,
    message: &'static str,
    retry_after: Option<Duration>,
}

impl AxonizeError {
    /// An error with a status and a message.
    pub fn new(status: StatusCode, message: &'static str) -> Self {
        Self {
            status,
            message,
            retry_after: None,
        }
    }

    /// 400 with a message.
    pub fn bad_request(message: &'static str) -> Self {
        Self::new(StatusCode::BAD_REQUEST, message)
    }

    fn retry_after(mut self, wait: Duration) -> Self {
        self.retry_after = Some(wait);
        self
    }
}

impl IntoResponse for AxonizeError {
    fn into_response(self) -> Response {
        let mut response = (
            self.status,
            Json(json!({"error": {"message": self.message}})),
        )
            .into_response();
        if let Some(wait) = self.retry_after {
            response.headers_mut().insert(
                header::RETRY_AFTER,
                HeaderValue::from(wait.as_secs().max(1)),
            );
        }
        response
    }
}

/// Message of a refused sign-in: it never says which check failed (docs/DESIGN.md §3).
const INVALID_LOGIN: &str = "Invalid email or password.";

impl From<EngineError> for AxonizeError {
    fn from(e: EngineError) -> Self {
        use StatusCode as S;
        let fail = |status, message| Self::new(status, message);
        match e {
            EngineError::Validation(_) | EngineError::ImportInvalid { .. } => {
                fail(S::BAD_REQUEST, "Invalid request.")
            }
            EngineError::UnknownApplication => fail(S::BAD_REQUEST, "Application not found."),
            EngineError::ApplicationMismatch => fail(
                S::BAD_REQUEST,
                "The appId and the url name different applications.",
            ),
            EngineError::InvalidCredentials
            | EngineError::AccountPendingActivation
            | EngineError::AccountDisabled
            | EngineError::HostnameNotAllowed
            | EngineError::ExternalAccount
            | EngineError::ExternalAccountTooling
            | EngineError::DirectoryUnavailable
            | EngineError::OrganizationNotMember
            | EngineError::OrganizationDisabled
            | EngineError::NoActiveOrganization
            | EngineError::OrganizationPending
            | EngineError::IdpRequired
            | EngineError::ConsumerAccessDisabled
            | EngineError::ApplicationForbidden
            | EngineError::InsufficientScope(_)
            | EngineError::CurrentPasswordIncorrect => fail(S::UNAUTHORIZED, INVALID_LOGIN),
            EngineError::DirectoryFailed(cause) => {
                crate::http::report_failure(&crate::engine::Failure::new(cause.clone()));
                fail(
                    S::BAD_GATEWAY,
                    "The directory is not available. Try again later.",
                )
            }
            EngineError::SecondFactorUnavailable => {
                fail(S::FORBIDDEN, "A second factor is required.")
            }
            EngineError::AccountLocked { retry_after, .. } => fail(
                S::UNAUTHORIZED,
                "The account is locked after too many failed sign-ins. Try again later.",
            )
            .retry_after(retry_after),
            EngineError::RateLimited { retry_after, .. } => {
                fail(S::TOO_MANY_REQUESTS, "Too many requests.").retry_after(retry_after)
            }
            EngineError::Unauthenticated | EngineError::TokenRestricted => {
                fail(S::UNAUTHORIZED, "Invalid or expired token.")
            }
            EngineError::InvalidCode => fail(S::UNAUTHORIZED, "Invalid binding code."),
            EngineError::ChallengeExpired | EngineError::ChallengeClosed => fail(
                S::UNAUTHORIZED,
                "The binding code has expired. Sign in again.",
            ),
            EngineError::ChallengePending => {
                fail(S::CONFLICT, "A challenge is already waiting for an answer.")
            }
            EngineError::StepUpRequired => {
                fail(S::FORBIDDEN, "A second factor is required for this action.")
            }
            EngineError::FactorAlreadyRegistered => {
                fail(S::CONFLICT, "The authenticator is already registered.")
            }
            EngineError::PhoneMissing => fail(S::BAD_REQUEST, "No phone number on file."),
            EngineError::PasswordRejected(rule) => fail(
                S::BAD_REQUEST,
                match rule {
                    PasswordRule::TooShort { .. } => "The password is too short.",
                    PasswordRule::TooLong { .. } => "The password is too long.",
                    PasswordRule::TooCommon
                    | PasswordRule::ContainsEmail
                    | PasswordRule::TooSimple { .. } => "The password is too simple.",
                    PasswordRule::Reused { .. } => "The password was used recently.",
                },
            ),
            EngineError::NotFound(_) => fail(S::NOT_FOUND, "Not found."),
            EngineError::Conflict(_) => fail(S::CONFLICT, "Conflict."),
            EngineError::Busy { retry_after } => fail(
                S::SERVICE_UNAVAILABLE,
                "The service is busy. Try again later.",
            )
            .retry_after(retry_after),
            EngineError::Internal(cause) => {
                crate::http::report_failure(&cause);
                fail(S::INTERNAL_SERVER_ERROR, "Internal server error.")
            }
        }
    }
}

/// A request refused before routing, in this face's shape.
pub fn bad_request(refused: &FieldError) -> Response {
    Axonize::unstorable(refused).into_response()
}

/// A body's fields with their keys in lowercase (keys are case-insensitive on this face): a
/// JSON object (`application/json` or `text/json`) or a urlencoded form, as the platform's API
/// description lists.
pub struct AxonizeJson(pub Map<String, Value>);

impl<S: Send + Sync> FromRequest<S> for AxonizeJson {
    type Rejection = AxonizeError;

    async fn from_request(req: Request, state: &S) -> Result<Self, AxonizeError> {
        let Fields(map, _) = Fields::<Axonize>::from_request(req, state).await?;
        Ok(Self(map))
    }
}

impl AxonizeJson {
    /// A non-empty string field, by lowercase name.
    pub fn string(&self, key: &str) -> Option<String> {
        match self.0.get(key) {
            Some(Value::String(s)) if !s.is_empty() => Some(s.clone()),
            _ => None,
        }
    }
}

/// The `appId` header.
fn app_id(headers: &HeaderMap) -> Option<String> {
    headers
        .get("appid")
        .and_then(|v| v.to_str().ok())
        .map(str::trim)
        .filter(|v| !v.is_empty())
        .map(str::to_owned)
}
