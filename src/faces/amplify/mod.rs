//! The Amplify Platform face (`docs/contracts/amplify.md`), mounted at
//! `faces.amplify.base` (default `/amplify/api/v1`). It translates only: every decision is the
//! engine's. Sessions are presented as `Authorization: Bearer <sid>` or the `connect.sid`
//! cookie; errors are `{"success": false, "code", "description", "internalCode"?}`.

mod auth;
mod info;
mod views;

use crate::domain::FieldError;
use crate::engine::{EngineError, FaceProfile, PasswordRule};
use crate::http::{AppState, Face};
use axum::Json;
use axum::Router;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde::Serialize;
use std::borrow::Cow;
use std::time::Duration;

/// The session cookie.
const COOKIE: &str = "connect.sid";

/// The face's routes.
pub fn router(state: AppState) -> Router<AppState> {
    Router::new()
        .route("/auth/login", post(auth::login))
        .route("/auth/deviceauth", post(auth::device_auth))
        .route("/auth/logout", get(auth::logout).post(auth::logout))
        .route("/auth/findSession", get(auth::find_session))
        .route("/auth/checkSession", get(auth::check_session))
        .route("/auth/switchLoggedInOrg", post(auth::switch_org))
        .route("/team", get(views::teams))
        .route("/org/{id}", get(views::organization))
        .route("/user/organizations", get(views::organizations))
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
        .layer(axum::middleware::from_fn_with_state(
            state,
            crate::http::maintenance::<Amplify>,
        ))
}

/// The face, as the http kit sees it.
pub struct Amplify;

impl Face for Amplify {
    type Error = AmplifyError;
    const PROFILE: &'static FaceProfile = &crate::engine::profile::AMPLIFY;
    const SESSION_COOKIE: Option<&'static str> = Some(COOKIE);
    // The platform's SDKs post JSON without always declaring it.
    const ANY_MEDIA_TYPE: bool = true;

    fn too_large() -> AmplifyError {
        AmplifyError::new(StatusCode::PAYLOAD_TOO_LARGE, "Request entity too large.")
    }

    fn unsupported_media_type() -> AmplifyError {
        Self::malformed()
    }

    fn malformed() -> AmplifyError {
        AmplifyError::new(StatusCode::BAD_REQUEST, "Invalid request body.")
    }

    fn unstorable(refused: &FieldError) -> AmplifyError {
        AmplifyError::param_invalid(&refused.field)
    }

    fn unauthenticated() -> AmplifyError {
        AmplifyError::login_required()
    }

    fn maintenance(retry_after: Duration) -> AmplifyError {
        AmplifyError {
            retry_after: Some(retry_after),
            ..AmplifyError::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "The service is down for maintenance. Please try again later.",
            )
        }
    }
}

async fn not_found() -> AmplifyError {
    AmplifyError::new(StatusCode::NOT_FOUND, "Not Found")
}

async fn method_not_allowed() -> AmplifyError {
    AmplifyError::new(StatusCode::METHOD_NOT_ALLOWED, "Method Not Allowed")
}

/// An error in the face's shape.
#[derive(Debug)]
pub struct AmplifyError {
    status: StatusCode,
    description: Cow<'static, str>,
    internal_code: Option<u32>,
    retry_after: Option<Duration>,
    /// `LOGIN_REQUIRED`, whose body the platform writes in its own key order.
    login_required: bool,
}

#[derive(Serialize)]
struct ErrorBody<'a> {
    success: bool,
    code: u16,
    description: &'a str,
    #[serde(rename = "internalCode", skip_serializing_if = "Option::is_none")]
    internal_code: Option<u32>,
}

#[derive(Serialize)]
struct LoginRequiredBody {
    success: bool,
    description: &'static str,
    code: u16,
}

impl AmplifyError {
    /// An error with a status and a description.
    pub fn new(status: StatusCode, description: impl Into<Cow<'static, str>>) -> Self {
        Self {
            status,
            description: description.into(),
            internal_code: None,
            retry_after: None,
            login_required: false,
        }
    }

    /// Adds the platform's `internalCode`.
    pub fn internal(mut self, code: u32) -> Self {
        self.internal_code = Some(code);
        self
    }

    /// 401 LOGIN_REQUIRED: no valid session.
    pub fn login_required() -> Self {
        Self {
            login_required: true,
            ..Self::new(StatusCode::UNAUTHORIZED, "Sign-in Required")
        }
    }

    /// 400 PARAM_REQUIRED (77).
    pub fn param_required(field: &str) -> Self {
        Self::new(
            StatusCode::BAD_REQUEST,
            format!("\"{field}\" is a required parameter."),
        )
        .internal(77)
    }

    /// 400 PARAM_INVALID (74).
    pub fn param_invalid(field: &str) -> Self {
        Self::new(
            StatusCode::BAD_REQUEST,
            format!("\"{field}\" contained an invalid value."),
        )
        .internal(74)
    }
}

impl IntoResponse for AmplifyError {
    fn into_response(self) -> Response {
        let code = self.status.as_u16();
        let mut response = if self.login_required {
            let body = LoginRequiredBody {
                success: false,
                description: "Sign-in Required",
                code,
            };
            (self.status, Json(body)).into_response()
        } else {
            let body = ErrorBody {
                success: false,
                code,
                description: &self.description,
                internal_code: self.internal_code,
            };
            (self.status, Json(body)).into_response()
        };
        if let Some(wait) = self.retry_after {
            response.headers_mut().insert(
                header::RETRY_AFTER,
                HeaderValue::from(wait.as_secs().max(1)),
            );
        }
        response
    }
}

const INVALID_LOGIN: &str = "Invalid username or password.";
const INVALID_SWITCH_ORG: &str = "You are not a member of this organization or it is no longer active. Please contact your administrator or the Amplify Platform support team.";

impl From<EngineError> for AmplifyError {
    fn from(e: EngineError) -> Self {
        use StatusCode as S;
        let fail = |status, text: &'static str| Self::new(status, text);
        match e {
            EngineError::Validation(errors) => match errors.first() {
                Some(f) => Self::param_invalid(&f.field),
                None => fail(S::BAD_REQUEST, "Invalid request."),
            },
            // Unknown user, wrong password and a locked identifier look alike (docs/DESIGN.md §3).
            EngineError::InvalidCredentials | EngineError::AccountLocked { .. } => {
                fail(S::BAD_REQUEST, INVALID_LOGIN).internal(2)
            }
            EngineError::HostnameNotAllowed
            | EngineError::UnknownApplication
            | EngineError::ApplicationMismatch => {
                fail(S::BAD_REQUEST, "Sign-in not supported on this hostname.")
            }
            EngineError::RateLimited { retry_after, .. } => Self {
                retry_after: Some(retry_after),
                ..fail(S::TOO_MANY_REQUESTS, "Too many requests.")
            },
            EngineError::ExternalAccountTooling => fail(
                S::BAD_REQUEST,
                "Your account is associated with an external identity provider. Please visit /user/credentials to set tooling credentials for your account.",
            )
            .internal(12),
            EngineError::ExternalAccount => fail(
                S::BAD_REQUEST,
                "Your account is associated with an external identity provider. Please sign in via the service you created your account with.",
            ),
            EngineError::DirectoryUnavailable => fail(
                S::BAD_REQUEST,
                "Your account signs in through a directory that is not available.",
            ),
            EngineError::DirectoryFailed(cause) => {
                crate::http::report_failure(&crate::engine::Failure::new(cause.clone()));
                fail(S::BAD_GATEWAY, "The directory is not available. Please try again later.")
            }
            EngineError::SecondFactorUnavailable => {
                fail(S::FORBIDDEN, "Device authorization is required.")
            }
            EngineError::AccountPendingActivation => fail(
                S::BAD_REQUEST,
                "Your account has not been activated yet. Please check your email.",
            )
            .internal(3),
            EngineError::AccountDisabled => fail(
                S::UNAUTHORIZED,
                "Your account is not active. Please contact your administrator or the Amplify Platform support team.",
            )
            .internal(4),
            EngineError::OrganizationNotMember | EngineError::OrganizationDisabled => {
                fail(S::BAD_REQUEST, INVALID_SWITCH_ORG)
            }
            EngineError::IdpRequired => fail(
                S::UNAUTHORIZED,
                "You must sign in using the Identity Provider configured by your organization's administrators to access this organization.",
            )
            .internal(235),
            EngineError::ConsumerAccessDisabled => {
                fail(S::BAD_REQUEST, "Consumer organization access is disabled.").internal(431)
            }
            EngineError::NoActiveOrganization => fail(
                S::FORBIDDEN,
                "You are not a member of any active organizations. Please contact your administrator or the Amplify Platform support team.",
            )
            .internal(626),
            EngineError::OrganizationPending => fail(
                S::FORBIDDEN,
                "Your organization requires approval. You will be notified by email when the organization is approved.",
            )
            .internal(7),
            EngineError::ApplicationForbidden | EngineError::InsufficientScope(_) => fail(
                S::FORBIDDEN,
                "You do not have access privileges to view this content.",
            ),
            EngineError::Unauthenticated | EngineError::TokenRestricted => Self::login_required(),
            EngineError::InvalidCode
            | EngineError::ChallengeExpired
            | EngineError::ChallengeClosed => {
                fail(S::BAD_REQUEST, "Invalid authorization code.").internal(233)
            }
            EngineError::ChallengePending => {
                fail(S::CONFLICT, "An authorization is already pending.")
            }
            EngineError::StepUpRequired => {
                fail(S::FORBIDDEN, "Device authorization is required.")
            }
            EngineError::FactorAlreadyRegistered => {
                fail(S::CONFLICT, "The factor is already registered.")
            }
            EngineError::PhoneMissing => fail(S::BAD_REQUEST, "No phone number on file."),
            EngineError::CurrentPasswordIncorrect => {
                fail(S::BAD_REQUEST, INVALID_LOGIN).internal(2)
            }
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
            EngineError::NotFound(_) => fail(S::NOT_FOUND, "Not Found"),
            EngineError::Conflict(_) | EngineError::ImportInvalid { .. } => {
                fail(S::BAD_REQUEST, "Invalid request.")
            }
            EngineError::Busy { retry_after } => Self {
                retry_after: Some(retry_after),
                ..fail(
                    S::SERVICE_UNAVAILABLE,
                    "The service is busy. Please try again later.",
                )
            },
            EngineError::Internal(cause) => {
                crate::http::report_failure(&cause);
                fail(S::INTERNAL_SERVER_ERROR, "Internal Server Error")
            }
        }
    }
}

/// A request refused before routing, in this face's shape.
pub fn bad_request(refused: &FieldError) -> Response {
    Amplify::unstorable(refused).into_response()
}

/// `Set-Cookie` for a session token (`None` clears it); `Secure` when the client came over
/// HTTPS through a trusted proxy.
fn cookie(token: Option<&str>, secure: bool) -> HeaderValue {
    let secure = if secure { "; Secure" } else { "" };
    let text = match token {
        Some(token) => format!("{COOKIE}={token}; Path=/; HttpOnly; SameSite=Lax{secure}"),
        None => format!("{COOKIE}=; Path=/; HttpOnly; SameSite=Lax; Max-Age=0{secure}"),
    };
    HeaderValue::from_str(&text).unwrap_or_else(|_| HeaderValue::from_static(""))
}
