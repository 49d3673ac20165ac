//! Activation and forgotten passwords: `POST /v1/activation/send`, `POST /v1/activation`,
//! `POST /v1/password/forgot`, `POST /v1/password/reset`.

use super::extract::JsonBody;
use super::openapi;
use super::problem::Problem;
use crate::domain::{Email, FieldError, Password};
use crate::http::AppState;
use crate::http::ClientAddress;
use axum::extract::State;
use axum::http::StatusCode;
use serde::Deserialize;

/// A body naming an email address.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EmailBody {
    email: String,
}

/// A body carrying a single-use token (and, for a reset, the new password).
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TokenBody {
    token: String,
    new_password: Option<String>,
}

fn email(raw: &str) -> Result<Email, Problem> {
    Email::parse(raw).map_err(|reason| Problem::validation(vec![FieldError::new("email", reason)]))
}

/// `POST /v1/activation/send {"email"}`: 202 whether or not the account exists.
#[utoipa::path(operation_id = "recovery_send_activation", post, path = "/activation/send", tag = "recovery", request_body = EmailBody, responses((status = 202, description = "Sent if the account exists and is pending"), openapi::Common))]
pub async fn send_activation(
    State(state): State<AppState>,
    ClientAddress(source): ClientAddress,
    JsonBody(body): JsonBody<EmailBody>,
) -> Result<StatusCode, Problem> {
    let email = email(&body.email)?;
    state.engine.send_activation(&email, source).await?;
    Ok(StatusCode::ACCEPTED)
}

/// `POST /v1/activation {"token"}`: 204, or 400 `invalid_code`.
#[utoipa::path(operation_id = "recovery_activate", post, path = "/activation", tag = "recovery", request_body = TokenBody, responses((status = 204, description = "Activated"), openapi::Common))]
pub async fn activate(
    State(state): State<AppState>,
    ClientAddress(source): ClientAddress,
    JsonBody(body): JsonBody<TokenBody>,
) -> Result<StatusCode, Problem> {
    if body.new_password.is_some() {
        return Err(Problem::validation(vec![FieldError::new(
            "new_password",
            "is not expected here",
        )]));
    }
    state.engine.activate(&body.token, source).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// `POST /v1/password/forgot {"email"}`: 202 whether or not the account exists.
#[utoipa::path(operation_id = "recovery_forgot_password", post, path = "/password/forgot", tag = "recovery", request_body = EmailBody, responses((status = 202, description = "Sent if the account exists"), openapi::Common))]
pub async fn forgot_password(
    State(state): State<AppState>,
    ClientAddress(source): ClientAddress,
    JsonBody(body): JsonBody<EmailBody>,
) -> Result<StatusCode, Problem> {
    let email = email(&body.email)?;
    state.engine.request_password_reset(&email, source).await?;
    Ok(StatusCode::ACCEPTED)
}

/// `POST /v1/password/reset {"token", "new_password"}`: 204; signs nobody in.
#[utoipa::path(operation_id = "recovery_reset_password", post, path = "/password/reset", tag = "recovery", request_body = TokenBody, responses((status = 204, description = "The password is set"), openapi::Common))]
pub async fn reset_password(
    State(state): State<AppState>,
    ClientAddress(source): ClientAddress,
    JsonBody(body): JsonBody<TokenBody>,
) -> Result<StatusCode, Problem> {
    let password = match body.new_password.map(Password::parse) {
        Some(Ok(password)) => password,
        Some(Err(reason)) => {
            return Err(Problem::validation(vec![FieldError::new(
                "new_password",
                reason,
            )]));
        }
        None => {
            return Err(Problem::validation(vec![FieldError::new(
                "new_password",
                "is required",
            )]));
        }
    };
    state
        .engine
        .reset_password(&body.token, password, source)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}
