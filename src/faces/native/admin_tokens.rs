//! `/v1/admin/tokens`: admin tokens are created, listed and revoked by a `security` (or `all`)
//! token. The secret is shown once, on creation.

use super::extract::{Admin, JsonBody, Security};
use super::openapi;
use super::problem::Problem;
use crate::domain::{AdminScope, AdminToken, FieldError};
use crate::engine::{ADMIN_TOKEN_LIFETIME, NewAdminToken};
use crate::http::AppState;
use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use secrecy::ExposeSecret;
use serde::Deserialize;
use serde_json::{Value, json};

/// The body of `POST /v1/admin/tokens`.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewTokenBody {
    name: String,
    scope: AdminScope,
    /// A duration such as `30d` or `12h` (default 90 days).
    expires_in: Option<String>,
}

/// `POST /v1/admin/tokens {"name", "scope", "expires_in"?}`: 201 with the token's record and,
/// once, its secret as `token`.
#[utoipa::path(operation_id = "admin_tokens_create", post, path = "/tokens", tag = "admin", request_body = NewTokenBody, responses((status = 201, description = "Created; the secret shown once", body = openapi::CreatedAdminToken), openapi::Common, openapi::Authenticated, openapi::Conflicting), security(("admin" = [])))]
pub async fn create(
    State(state): State<AppState>,
    Admin(by, _): Admin<Security>,
    JsonBody(body): JsonBody<NewTokenBody>,
) -> Result<(StatusCode, Json<Value>), Problem> {
    let lifetime = match body.expires_in.as_deref() {
        None => ADMIN_TOKEN_LIFETIME,
        Some(text) => humantime::parse_duration(text).map_err(|_| {
            Problem::validation(vec![FieldError::new(
                "expires_in",
                "must be a duration such as 30d or 12h",
            )])
        })?,
    };
    let new = NewAdminToken {
        name: body.name,
        scope: body.scope,
        lifetime,
    };
    let (record, secret) = state.engine.create_admin_token(&by, new).await?;
    let mut view = json!(record);
    view["token"] = Value::from(secret.expose_secret());
    Ok((StatusCode::CREATED, Json(view)))
}

/// `GET /v1/admin/tokens`: every token, newest first, never a secret.
#[utoipa::path(operation_id = "admin_tokens_list", get, path = "/tokens", tag = "admin", responses((status = 200, description = "Every token, never a secret", body = Vec<crate::domain::AdminToken>), openapi::Common, openapi::Authenticated), security(("admin" = [])))]
pub async fn list(
    State(state): State<AppState>,
    _: Admin<Security>,
) -> Result<Json<Vec<AdminToken>>, Problem> {
    Ok(Json(state.engine.admin_tokens().await?))
}

/// `DELETE /v1/admin/tokens/{id or name}`: 204; the token stops working at once.
#[utoipa::path(operation_id = "admin_tokens_revoke", delete, path = "/tokens/{token}", tag = "admin", params(("token" = String, Path, description = "The token's id or name")), responses((status = 204, description = "Revoked"), openapi::Common, openapi::Authenticated, openapi::Missing), security(("admin" = [])))]
pub async fn revoke(
    State(state): State<AppState>,
    Admin(by, _): Admin<Security>,
    Path(token): Path<String>,
) -> Result<StatusCode, Problem> {
    state.engine.revoke_admin_token(&by, &token).await?;
    Ok(StatusCode::NO_CONTENT)
}
