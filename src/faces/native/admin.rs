//! `/v1/admin/*`: provisioning and user administration, with an admin token.

use super::extract::{Admin, JsonBody, Read, Security, Users, bad_parameter};
use super::openapi;
use super::problem::Problem;
use super::view::AdminUserView;
use crate::domain::{Actor, Email, FieldError, OutboxMessage, Password, UserStatus, Username};
use crate::engine::{NewUser, UserChanges, UserRef};
use crate::http::AppState;
use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use serde::Deserialize;
use serde_json::{Value, json};

/// `GET /v1/admin/users`.
#[utoipa::path(operation_id = "admin_list_users", get, path = "/users", tag = "admin", responses((status = 200, description = "Every user", body = Vec<AdminUserView>), openapi::Common, openapi::Authenticated), security(("admin" = [])))]
pub async fn list_users(
    State(state): State<AppState>,
    _: Admin<Read>,
) -> Result<Json<Vec<AdminUserView>>, Problem> {
    let users = state.engine.list_users().await?;
    Ok(Json(users.iter().map(AdminUserView::from).collect()))
}

/// The body of `POST /v1/admin/users`.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewUserBody {
    email: Option<String>,
    username: Option<String>,
    name: Option<String>,
    password: Option<String>,
    status: Option<UserStatus>,
}

/// `POST /v1/admin/users`.
#[utoipa::path(operation_id = "admin_create_user", post, path = "/users", tag = "admin", request_body = NewUserBody, responses((status = 201, description = "Created", body = AdminUserView), openapi::Common, openapi::Authenticated, openapi::Conflicting), security(("admin" = [])))]
pub async fn create_user(
    State(state): State<AppState>,
    Admin(by, _): Admin<Users>,
    JsonBody(body): JsonBody<NewUserBody>,
) -> Result<(StatusCode, Json<AdminUserView>), Problem> {
    let new = parse_new_user(body).map_err(Problem::validation)?;
    let user = state.engine.create_user(&by, new).await?;
    Ok((StatusCode::CREATED, Json(AdminUserView::from(&user))))
}

fn parse_new_user(body: NewUserBody) -> Result<NewUser, Vec<FieldError>> {
    let email = match body.email.as_deref().map(Email::parse) {
        None => Err(FieldError::new("email", "is required")),
        Some(parsed) => parsed.map_err(|r| FieldError::new("email", r)),
    };
    let username = body
        .username
        .as_deref()
        .map(Username::parse)
        .transpose()
        .map_err(|r| FieldError::new("username", r));
    let password = body
        .password
        .map(Password::parse)
        .transpose()
        .map_err(|r| FieldError::new("password", r));
    match (email, username, password) {
        (Ok(email), Ok(username), Ok(password)) => Ok(NewUser {
            email,
            username,
            name: body.name,
            password,
            status: body.status,
        }),
        (e, u, p) => Err([e.err(), u.err(), p.err()].into_iter().flatten().collect()),
    }
}

fn user_ref(raw: &str) -> Result<UserRef, Problem> {
    UserRef::parse(raw).map_err(|reason| bad_parameter("user", reason))
}

async fn set_status(
    state: &AppState,
    by: &Actor,
    raw: &str,
    status: UserStatus,
) -> Result<Json<AdminUserView>, Problem> {
    let user = user_ref(raw)?;
    let user = state.engine.set_user_status(by, &user, status).await?;
    Ok(Json(AdminUserView::from(&user)))
}

/// The body of `PATCH /v1/admin/users/{user}`: each field left out stays; `null` clears the
/// username or the phone.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UserPatch {
    name: Option<String>,
    #[serde(default, deserialize_with = "nullable")]
    username: Option<Option<String>>,
    #[serde(default, deserialize_with = "nullable")]
    phone: Option<Option<String>>,
    mfa: Option<bool>,
}

fn nullable<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<Option<String>>, D::Error> {
    Option::<String>::deserialize(d).map(Some)
}

/// `PATCH /v1/admin/users/{user}`: changes one field of a user, or a few, and nothing else.
#[utoipa::path(operation_id = "admin_update_user", patch, path = "/users/{user}", tag = "admin", request_body = UserPatch, params(("user" = String, Path, description = "A user id or email")), responses((status = 200, description = "Changed", body = AdminUserView), openapi::Common, openapi::Authenticated, openapi::Missing, openapi::Conflicting), security(("admin" = [])))]
pub async fn update_user(
    State(state): State<AppState>,
    Admin(by, _): Admin<Users>,
    Path(user): Path<String>,
    JsonBody(patch): JsonBody<UserPatch>,
) -> Result<Json<AdminUserView>, Problem> {
    let user = user_ref(&user)?;
    let username = patch
        .username
        .map(|u| u.map(|name| Username::parse(&name)).transpose())
        .transpose()
        .map_err(|reason| Problem::validation(vec![FieldError::new("username", reason)]))?;
    if patch.name.as_deref().is_some_and(|n| n.trim().is_empty()) {
        return Err(Problem::validation(vec![FieldError::new(
            "name",
            "must not be empty",
        )]));
    }
    let changes = UserChanges {
        name: patch.name,
        username,
        phone: patch.phone,
        mfa: patch.mfa,
    };
    let updated = state.engine.update_user(&by, &user, changes).await?;
    Ok(Json(AdminUserView::from(&updated)))
}

/// `DELETE /v1/admin/users/{user}`: 204; the user's sessions, factors, memberships and tokens
/// go with it; the audit trail keeps its events.
#[utoipa::path(operation_id = "admin_delete_user", delete, path = "/users/{user}", tag = "admin", params(("user" = String, Path, description = "A user id or email")), responses((status = 204, description = "Deleted"), openapi::Common, openapi::Authenticated, openapi::Missing), security(("admin" = [])))]
pub async fn delete_user(
    State(state): State<AppState>,
    Admin(by, _): Admin<Users>,
    Path(user): Path<String>,
) -> Result<StatusCode, Problem> {
    state.engine.delete_user(&by, &user_ref(&user)?).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// `POST /v1/admin/users/{user}/disable`: ends every session of the user.
#[utoipa::path(operation_id = "admin_disable_user", post, path = "/users/{user}/disable", tag = "admin", params(("user" = String, Path, description = "A user id or email")), responses((status = 200, description = "Disabled; her sessions ended", body = AdminUserView), openapi::Common, openapi::Authenticated, openapi::Missing), security(("admin" = [])))]
pub async fn disable_user(
    State(state): State<AppState>,
    Admin(by, _): Admin<Users>,
    Path(user): Path<String>,
) -> Result<Json<AdminUserView>, Problem> {
    set_status(&state, &by, &user, UserStatus::Disabled).await
}

/// `POST /v1/admin/users/{user}/enable`.
#[utoipa::path(operation_id = "admin_enable_user", post, path = "/users/{user}/enable", tag = "admin", params(("user" = String, Path, description = "A user id or email")), responses((status = 200, description = "Enabled", body = AdminUserView), openapi::Common, openapi::Authenticated, openapi::Missing), security(("admin" = [])))]
pub async fn enable_user(
    State(state): State<AppState>,
    Admin(by, _): Admin<Users>,
    Path(user): Path<String>,
) -> Result<Json<AdminUserView>, Problem> {
    set_status(&state, &by, &user, UserStatus::Active).await
}

/// `POST /v1/admin/users/{user}/unlock`: lifts every lock on the user's email and username.
#[utoipa::path(operation_id = "admin_unlock_user", post, path = "/users/{user}/unlock", tag = "admin", params(("user" = String, Path, description = "A user id or email")), responses((status = 200, description = "Whether a lock was lifted", body = openapi::Unlocked), openapi::Common, openapi::Authenticated, openapi::Missing), security(("admin" = [])))]
pub async fn unlock_user(
    State(state): State<AppState>,
    Admin(by, _): Admin<Security>,
    Path(user): Path<String>,
) -> Result<Json<Value>, Problem> {
    let user = user_ref(&user)?;
    let was_locked = state.engine.unlock_user(&by, &user).await?;
    Ok(Json(json!({"unlocked": was_locked})))
}

/// The body of `POST /v1/admin/users/{user}/password`.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SetPasswordBody {
    password: String,
}

/// `POST /v1/admin/users/{user}/password`: ends every session of the user.
#[utoipa::path(operation_id = "admin_set_password", post, path = "/users/{user}/password", tag = "admin", request_body = SetPasswordBody, params(("user" = String, Path, description = "A user id or email")), responses((status = 204, description = "Set; her sessions ended"), openapi::Common, openapi::Authenticated, openapi::Missing), security(("admin" = [])))]
pub async fn set_password(
    State(state): State<AppState>,
    Admin(by, _): Admin<Users>,
    Path(user): Path<String>,
    JsonBody(body): JsonBody<SetPasswordBody>,
) -> Result<StatusCode, Problem> {
    let user = user_ref(&user)?;
    let password = Password::parse(body.password)
        .map_err(|reason| Problem::validation(vec![FieldError::new("password", reason)]))?;
    state
        .engine
        .set_user_password(&by, &user, &password)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The body of `POST /v1/admin/maintenance`.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MaintenanceBody {
    enabled: bool,
}

/// `GET /v1/admin/maintenance`.
#[utoipa::path(operation_id = "admin_maintenance", get, path = "/maintenance", tag = "admin", responses((status = 200, description = "Whether maintenance is on", body = openapi::Maintenance), openapi::Common, openapi::Authenticated), security(("admin" = [])))]
pub async fn maintenance(State(state): State<AppState>, _: Admin<Read>) -> Json<Value> {
    Json(json!({"enabled": state.engine.maintenance().await}))
}

/// `POST /v1/admin/maintenance {"enabled"}`: holds for every instance within a second.
#[utoipa::path(operation_id = "admin_set_maintenance", post, path = "/maintenance", tag = "admin", request_body = MaintenanceBody, responses((status = 200, description = "As set, for every instance", body = openapi::Maintenance), openapi::Common, openapi::Authenticated), security(("admin" = [])))]
pub async fn set_maintenance(
    State(state): State<AppState>,
    Admin(by, _): Admin<Security>,
    JsonBody(body): JsonBody<MaintenanceBody>,
) -> Result<Json<Value>, Problem> {
    state.engine.set_maintenance(&by, body.enabled).await?;
    Ok(Json(json!({"enabled": body.enabled})))
}

/// `GET /v1/admin/outbox`: messages kept instead of being sent, newest first.
#[utoipa::path(operation_id = "admin_outbox", get, path = "/outbox", tag = "admin", responses((status = 200, description = "Messages kept, newest first", body = Vec<crate::domain::OutboxMessage>), openapi::Common, openapi::Authenticated), security(("admin" = [])))]
pub async fn outbox(
    State(state): State<AppState>,
    _: Admin<Read>,
) -> Result<Json<Vec<OutboxMessage>>, Problem> {
    Ok(Json(state.engine.outbox().await?))
}
