//! RFC 9457 problem details: the native API's one error shape. Every engine error maps here
//! through one exhaustive `match`; 5xx causes are logged, never sent.

use crate::domain::FieldError;
use crate::engine::{EngineError, PasswordRule};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use serde_json::{Map, Value};

/// The media type of a problem body.
pub const PROBLEM_JSON: &str = "application/problem+json";

/// One problem response.
#[derive(Debug)]
pub struct Problem {
    status: StatusCode,
    code: &'static str,
    title: &'static str,
    detail: Option<String>,
    /// Extension members (`errors`, `path`, a restricted token…).
    extra: Map<String, Value>,
    retry_after: Option<u64>,
}

#[derive(Serialize)]
struct Body<'a> {
    #[serde(rename = "type")]
    kind: String,
    title: &'a str,
    status: u16,
    code: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    detail: Option<&'a str>,
    #[serde(flatten)]
    extra: &'a Map<String, Value>,
}

impl Problem {
    /// A problem with a status, a stable code and a title.
    pub fn new(status: StatusCode, code: &'static str, title: &'static str) -> Self {
        Self {
            status,
            code,
            title,
            detail: None,
            extra: Map::new(),
            retry_after: None,
        }
    }

    /// Adds a human-readable explanation.
    pub fn detail(mut self, detail: impl Into<String>) -> Self {
        self.detail = Some(detail.into());
        self
    }

    /// Adds an extension member.
    pub fn with(mut self, key: &str, value: impl Into<Value>) -> Self {
        self.extra.insert(key.to_owned(), value.into());
        self
    }

    /// Asks the client to wait this many seconds (`Retry-After`).
    pub fn retry_after(mut self, seconds: u64) -> Self {
        self.retry_after = Some(seconds);
        self
    }

    /// Invalid fields, named.
    pub fn validation(errors: Vec<FieldError>) -> Self {
        let errors = serde_json::to_value(errors).unwrap_or(Value::Null);
        Self::new(
            StatusCode::BAD_REQUEST,
            "validation_failed",
            "Invalid request",
        )
        .with("errors", errors)
    }

    /// The status code.
    pub fn status(&self) -> StatusCode {
        self.status
    }
}

impl Problem {
    fn body(&self) -> Body<'_> {
        Body {
            kind: format!("urn:doorward:problem:{}", self.code),
            title: self.title,
            status: self.status.as_u16(),
            code: self.code,
            detail: self.detail.as_deref(),
            extra: &self.extra,
        }
    }

    /// The body as a JSON value, for a problem reported inside a streamed answer.
    pub fn to_json(&self) -> Value {
        serde_json::to_value(self.body()).unwrap_or(Value::Null)
    }
}

impl IntoResponse for Problem {
    fn into_response(self) -> Response {
        let body = self.body();
        let mut response = match serde_json::to_vec(&body) {
            Ok(bytes) => (self.status, bytes).into_response(),
            // The body is strings, a number and a JSON map: it always serialises. Were it not
            // to, the client still gets the status, and the log says why.
            Err(e) => {
                tracing::error!(error = %e, "cannot serialise a problem body");
                self.status.into_response()
            }
        };
        let headers = response.headers_mut();
        headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(PROBLEM_JSON));
        if self.status == StatusCode::UNAUTHORIZED {
            headers.insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
        }
        if let Some(seconds) = self.retry_after {
            headers.insert(header::RETRY_AFTER, HeaderValue::from(seconds));
        }
        response
    }
}

impl From<EngineError> for Problem {
    fn from(e: EngineError) -> Self {
        use StatusCode as S;
        let code = e.code();
        let problem = |status, title| Problem::new(status, code, title);
        match e {
            EngineError::Validation(errors) => Problem::validation(errors),
            EngineError::InvalidCredentials => {
                problem(S::UNAUTHORIZED, "Invalid login or password")
            }
            EngineError::UnknownApplication => problem(S::BAD_REQUEST, "Unknown application"),
            EngineError::ApplicationMismatch => problem(
                S::BAD_REQUEST,
                "The application's id and URL name different applications",
            ),
            EngineError::HostnameNotAllowed => {
                problem(S::FORBIDDEN, "Sign-in is not allowed on this host")
            }
            EngineError::AccountLocked { until, retry_after } => Problem {
                retry_after: Some(retry_after.as_secs().max(1)),
                ..problem(S::LOCKED, "Too many failed sign-ins; try again later")
            }
            .with("locked_until", super::view::rfc3339(until)),
            EngineError::RateLimited { retry_after, .. } => Problem {
                retry_after: Some(retry_after.as_secs().max(1)),
                ..problem(S::TOO_MANY_REQUESTS, "Too many requests")
            },
            EngineError::ExternalAccount => problem(
                S::FORBIDDEN,
                "This account signs in through its identity provider",
            ),
            EngineError::ExternalAccountTooling => problem(
                S::FORBIDDEN,
                "This account needs a tooling password to sign in from a CLI",
            ),
            EngineError::DirectoryUnavailable => {
                problem(S::NOT_IMPLEMENTED, "No directory is configured")
            }
            EngineError::DirectoryFailed(cause) => {
                crate::http::report_failure(&crate::engine::Failure::new(cause.clone()));
                problem(S::BAD_GATEWAY, "The directory failed; try again later")
            }
            EngineError::SecondFactorUnavailable => {
                problem(S::FORBIDDEN, "A second factor is required")
            }
            EngineError::AccountPendingActivation => {
                problem(S::FORBIDDEN, "The account is not activated")
            }
            EngineError::AccountDisabled => problem(S::FORBIDDEN, "The account is disabled"),
            EngineError::OrganizationNotMember => {
                problem(S::FORBIDDEN, "Not an active member of that organization")
            }
            EngineError::OrganizationDisabled => {
                problem(S::FORBIDDEN, "The organization is disabled")
            }
            EngineError::NoActiveOrganization => problem(S::FORBIDDEN, "No active organization"),
            EngineError::OrganizationPending => {
                problem(S::FORBIDDEN, "The organization is pending approval")
            }
            EngineError::IdpRequired => problem(
                S::FORBIDDEN,
                "The organization requires its identity provider",
            ),
            EngineError::ConsumerAccessDisabled => {
                problem(S::FORBIDDEN, "Consumer access is disabled")
            }
            EngineError::ApplicationForbidden => {
                problem(S::FORBIDDEN, "The application does not admit this user")
            }
            EngineError::Unauthenticated => problem(S::UNAUTHORIZED, "Invalid or expired token"),
            EngineError::InsufficientScope(needed) => {
                problem(S::FORBIDDEN, "This admin token's scope does not allow this")
                    .with("needed_scope", needed.as_str())
            }
            EngineError::TokenRestricted => problem(S::FORBIDDEN, "This token cannot be used here"),
            EngineError::StepUpRequired => problem(
                S::FORBIDDEN,
                "A second factor must be proven again for this action",
            ),
            EngineError::ChallengeClosed => {
                problem(S::BAD_REQUEST, "The challenge is closed; start a new one")
            }
            EngineError::ChallengeExpired => {
                problem(S::BAD_REQUEST, "The challenge has expired; start a new one")
            }
            EngineError::ChallengePending => problem(
                S::CONFLICT,
                "A push challenge is already waiting for an answer",
            ),
            EngineError::FactorAlreadyRegistered => {
                problem(S::CONFLICT, "This factor is already registered")
            }
            EngineError::PhoneMissing => problem(S::CONFLICT, "No phone number on file"),
            EngineError::InvalidCode => {
                problem(S::BAD_REQUEST, "The code is invalid, used or expired")
            }
            EngineError::CurrentPasswordIncorrect => {
                problem(S::FORBIDDEN, "The current password is incorrect")
            }
            EngineError::PasswordRejected(rule) => {
                let detail = match rule {
                    PasswordRule::TooShort { min } => format!("at least {min} characters"),
                    PasswordRule::TooLong { max } => format!("at most {max} characters"),
                    PasswordRule::TooCommon => "one of the most common passwords".to_owned(),
                    PasswordRule::ContainsEmail => "contains the email address".to_owned(),
                    PasswordRule::TooSimple { classes } => format!(
                        "needs {classes} of: lowercase, uppercase, digits, other characters"
                    ),
                    PasswordRule::Reused { history } => {
                        format!("one of the last {history} passwords")
                    }
                };
                problem(S::BAD_REQUEST, "The new password is not acceptable").detail(detail)
            }
            EngineError::NotFound(what) => {
                problem(S::NOT_FOUND, "Not found").detail(format!("no such {what}"))
            }
            EngineError::Conflict(what) => problem(S::CONFLICT, "Already exists").detail(what),
            EngineError::ImportInvalid { path, message } => {
                problem(S::BAD_REQUEST, "Invalid import document")
                    .detail(message)
                    .with("path", path)
            }
            EngineError::Busy { retry_after } => Problem {
                retry_after: Some(retry_after.as_secs().max(1)),
                ..problem(
                    S::SERVICE_UNAVAILABLE,
                    "The server is busy; try again shortly",
                )
            },
            EngineError::Internal(cause) => {
                crate::http::report_failure(&cause);
                problem(S::INTERNAL_SERVER_ERROR, "Internal error")
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn engine_errors_map_to_their_statuses() {
        let cases = [
            (EngineError::InvalidCredentials, 401),
            (EngineError::AccountDisabled, 403),
            (EngineError::DirectoryUnavailable, 501),
            (EngineError::Unauthenticated, 401),
            (EngineError::NotFound("user"), 404),
            (EngineError::Conflict("email".into()), 409),
            (
                EngineError::Busy {
                    retry_after: std::time::Duration::from_secs(2),
                },
                503,
            ),
            (EngineError::internal("db down"), 500),
        ];
        for (error, status) in cases {
            assert_eq!(Problem::from(error).status().as_u16(), status);
        }
    }

    #[tokio::test]
    async fn internal_causes_are_not_sent() {
        let response = Problem::from(EngineError::internal("password=hunter2")).into_response();
        let body = axum::body::to_bytes(response.into_body(), 4096)
            .await
            .unwrap();
        let text = String::from_utf8(body.to_vec()).unwrap();
        assert!(text.contains("\"code\":\"internal\""), "{text}");
        assert!(!text.contains("hunter2"), "{text}");
    }
}
