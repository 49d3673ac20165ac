//! Weavr's error shapes: 400 with `syntaxErrors`, 409 (and the step-up 403) with `errorCode`,
//! everything else a bare status. Every engine error maps here through one exhaustive `match`.

use crate::engine::{EngineError, PasswordRule};
use axum::Json;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use serde_json::json;
use std::time::Duration;

/// One invalid field of a 400 answer.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct InvalidField {
    params: Vec<String>,
    field_name: String,
    error: &'static str,
}

impl InvalidField {
    /// A field that is missing.
    pub fn required(field: &str) -> Self {
        Self::new(field, "REQUIRED", Vec::new())
    }

    /// A field whose value does not match its pattern.
    pub fn regex(field: &str, pattern: &str) -> Self {
        Self::new(field, "REGEX", vec![pattern.to_owned()])
    }

    /// A field whose value is too long.
    pub fn size(field: &str, max: usize) -> Self {
        Self::new(field, "SIZE", vec!["0".to_owned(), max.to_string()])
    }

    /// A body that cannot be read as a JSON object: the body is `REQUIRED`. (The platform's
    /// values are `REQUIRED`, `HAS_TEXT`, `REQUIRES`, `SIZE`, `RANGE`, `IN`, `NOT_IN`, `REGEX`,
    /// `EXACTLY`, `AT_LEAST`, `AT_MOST` and `ALL_OR_NONE`; a strict generated client decodes
    /// no other.)
    pub fn unreadable_body() -> Self {
        Self::required("body")
    }

    /// A field the engine or the input rule refused: `REQUIRED` when missing, `SIZE` when too
    /// long, else `REGEX` (its form is wrong).
    pub fn refused(refused: &crate::domain::FieldError) -> Self {
        let error = match refused.reason.as_str() {
            "is required" => "REQUIRED",
            reason if reason == crate::domain::TOO_LONG || reason == "is too long" => "SIZE",
            _ => "REGEX",
        };
        Self::new(&refused.field, error, Vec::new())
    }

    fn new(field: &str, error: &'static str, params: Vec<String>) -> Self {
        Self {
            params,
            field_name: field.to_owned(),
            error,
        }
    }
}

/// An answer of the Weavr face that is not a success.
#[derive(Debug)]
pub enum WeavrError {
    /// A status with no body.
    Status(StatusCode),
    /// 400 naming the invalid fields.
    Syntax(Vec<InvalidField>),
    /// 409 `{"errorCode"}`.
    Conflict(&'static str),
    /// 403 `{"errorCode": "STEP_UP_REQUIRED"}`.
    StepUpRequired,
    /// 423, no body.
    Locked(Duration),
    /// 429 with `Retry-After`, `x-ratelimit-limit` and `x-ratelimit-reset`.
    RateLimited {
        /// When to try again.
        retry_after: Duration,
        /// The bucket's size.
        limit: u32,
    },
    /// 503 with `Retry-After`, no body.
    Unavailable(Duration),
}

impl WeavrError {
    /// 400 for one field.
    pub fn field(field: InvalidField) -> Self {
        Self::Syntax(vec![field])
    }
}

fn seconds(d: Duration) -> HeaderValue {
    HeaderValue::from(d.as_secs().max(1))
}

impl IntoResponse for WeavrError {
    fn into_response(self) -> Response {
        match self {
            Self::Status(status) => status.into_response(),
            Self::Syntax(fields) => (
                StatusCode::BAD_REQUEST,
                Json(json!({
                    "message": "Bad Request",
                    "syntaxErrors": {"invalidFields": fields},
                })),
            )
                .into_response(),
            Self::Conflict(code) => {
                (StatusCode::CONFLICT, Json(json!({"errorCode": code}))).into_response()
            }
            Self::StepUpRequired => (
                StatusCode::FORBIDDEN,
                Json(json!({"errorCode": "STEP_UP_REQUIRED"})),
            )
                .into_response(),
            Self::Locked(retry_after) => {
                let mut response = StatusCode::LOCKED.into_response();
                response
                    .headers_mut()
                    .insert(header::RETRY_AFTER, seconds(retry_after));
                response
            }
            Self::RateLimited { retry_after, limit } => {
                let mut response = StatusCode::TOO_MANY_REQUESTS.into_response();
                let headers = response.headers_mut();
                headers.insert(header::RETRY_AFTER, seconds(retry_after));
                headers.insert("x-ratelimit-limit", HeaderValue::from(limit));
                headers.insert("x-ratelimit-reset", seconds(retry_after));
                response
            }
            Self::Unavailable(retry_after) => {
                let mut response = StatusCode::SERVICE_UNAVAILABLE.into_response();
                response
                    .headers_mut()
                    .insert(header::RETRY_AFTER, seconds(retry_after));
                response
            }
        }
    }
}

impl From<EngineError> for WeavrError {
    fn from(e: EngineError) -> Self {
        use StatusCode as S;
        match e {
            EngineError::Validation(errors) => {
                Self::Syntax(errors.iter().map(InvalidField::refused).collect())
            }
            // Sign-in refusals say nothing about the account (docs/DESIGN.md §3).
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
            | EngineError::TokenRestricted => Self::Status(S::FORBIDDEN),
            EngineError::SecondFactorUnavailable => Self::Status(S::FORBIDDEN),
            EngineError::DirectoryFailed(cause) => {
                crate::http::report_failure(&crate::engine::Failure::new(cause.clone()));
                Self::Status(S::BAD_GATEWAY)
            }
            EngineError::UnknownApplication
            | EngineError::ApplicationMismatch
            | EngineError::Unauthenticated => Self::Status(S::UNAUTHORIZED),
            EngineError::AccountLocked { retry_after, .. } => Self::Locked(retry_after),
            EngineError::RateLimited { retry_after, limit } => {
                Self::RateLimited { retry_after, limit }
            }
            EngineError::StepUpRequired => Self::StepUpRequired,
            EngineError::ChallengeClosed | EngineError::ChallengePending => {
                Self::Conflict("STATE_INVALID")
            }
            EngineError::ChallengeExpired => Self::Conflict("VERIFICATION_CODE_EXPIRED"),
            EngineError::InvalidCode => Self::Conflict("VERIFICATION_CODE_INVALID"),
            EngineError::FactorAlreadyRegistered => Self::Conflict("CHANNEL_ALREADY_REGISTERED"),
            EngineError::PhoneMissing => Self::Conflict("MOBILE_NUMBER_NOT_AVAILABLE"),
            EngineError::CurrentPasswordIncorrect => Self::Conflict("PASSWORD_INCORRECT"),
            EngineError::PasswordRejected(rule) => Self::Conflict(match rule {
                PasswordRule::TooShort { .. } => "PASSWORD_TOO_SHORT",
                PasswordRule::TooLong { .. } => "PASSWORD_TOO_LONG",
                PasswordRule::Reused { .. } => "PASSWORD_ALREADY_USED",
                PasswordRule::TooCommon
                | PasswordRule::ContainsEmail
                | PasswordRule::TooSimple { .. } => "PASSWORD_TOO_SIMPLE",
            }),
            EngineError::NotFound("factor") => Self::Conflict("CHANNEL_NOT_REGISTERED"),
            EngineError::NotFound("challenge") => Self::Conflict("STATE_INVALID"),
            EngineError::NotFound(_) => Self::Status(S::NOT_FOUND),
            EngineError::Conflict(_) => Self::Conflict("CONFLICT"),
            EngineError::ImportInvalid { .. } => Self::Status(S::BAD_REQUEST),
            EngineError::Busy { retry_after } => Self::Unavailable(retry_after),
            EngineError::Internal(cause) => {
                crate::http::report_failure(&cause);
                Self::Status(S::INTERNAL_SERVER_ERROR)
            }
        }
    }
}
