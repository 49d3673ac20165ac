//! `/v1/admin/*`: provisioning and user administration, with an admin token.

use super::extract::{Admin, JsonBody, RawJson, bad_parameter};
use super::problem::Problem;
use super::view::AdminUserView;
use crate::domain::{Email, FieldError, Password, UserStatus, Username};
use crate::engine::{NewUser, UserRef};
use crate::http::AppState;
use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;

/// `POST /v1/admin/import`: the import document as the body.
pub async fn import(State(state): State<AppState>, _: Admin, RawJson(body): RawJson) -> Response {
    match state.engine.import_json(&body).await {
        Ok(report) => Json(report).into_response(),
        Err(e) => Problem::from(e).into_response(),
    }
}

/// `GET /v1/admin/users`.
pub async fn list_users(State(state): State<AppState>, _: Admin) -> Response {
    match state.engine.list_users().await {
        Ok(users) => {
            Json(users.iter().map(AdminUserView::from).collect::<Vec<_>>()).into_response()
        }
        Err(e) => Problem::from(e).into_response(),
    }
}

/// The body of `POST /v1/admin/users`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewUserBody {
    email: Option<String>,
    username: Option<String>,
    name: Option<String>,
    password: Option<String>,
    status: Option<UserStatus>,
}

/// `POST /v1/admin/users`.
pub async fn create_user(
    State(state): State<AppState>,
    _: Admin,
    JsonBody(body): JsonBody<NewUserBody>,
) -> Response {
    let new = match parse_new_user(body) {
        Ok(new) => new,
        Err(errors) => return Problem::validation(errors).into_response(),
    };
    match state.engine.create_user(new).await {
        Ok(user) => (StatusCode::CREATED, Json(AdminUserView::from(&user))).into_response(),
        Err(e) => Problem::from(e).into_response(),
    }
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

async fn set_status(state: &AppState, raw: &str, status: UserStatus) -> Response {
    let user = match user_ref(raw) {
        Ok(user) => user,
        Err(problem) => return problem.into_response(),
    };
    match state.engine.set_user_status(&user, status).await {
        Ok(user) => Json(AdminUserView::from(&user)).into_response(),
        Err(e) => Problem::from(e).into_response(),
    }
}

/// `POST /v1/admin/users/{user}/disable`: ends every session of the user.
pub async fn disable_user(
    State(state): State<AppState>,
    _: Admin,
    Path(user): Path<String>,
) -> Response {
    set_status(&state, &user, UserStatus::Disabled).await
}

/// `POST /v1/admin/users/{user}/enable`.
pub async fn enable_user(
    State(state): State<AppState>,
    _: Admin,
    Path(user): Path<String>,
) -> Response {
    set_status(&state, &user, UserStatus::Active).await
}

/// `POST /v1/admin/users/{user}/unlock`: lifts every lock on the user's email and username.
pub async fn unlock_user(
    State(state): State<AppState>,
    _: Admin,
    Path(user): Path<String>,
) -> Response {
    let user = match user_ref(&user) {
        Ok(user) => user,
        Err(problem) => return problem.into_response(),
    };
    match state.engine.unlock_user(&user).await {
        Ok(was_locked) => Json(serde_json::json!({"unlocked": was_locked})).into_response(),
        Err(e) => Problem::from(e).into_response(),
    }
}

/// The body of `POST /v1/admin/users/{user}/password`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SetPasswordBody {
    password: String,
}

/// `POST /v1/admin/users/{user}/password`: ends every session of the user.
pub async fn set_password(
    State(state): State<AppState>,
    _: Admin,
    Path(user): Path<String>,
    JsonBody(body): JsonBody<SetPasswordBody>,
) -> Response {
    let user = match user_ref(&user) {
        Ok(user) => user,
        Err(problem) => return problem.into_response(),
    };
    let password = match Password::parse(body.password) {
        Ok(p) => p,
        Err(reason) => {
            return Problem::validation(vec![FieldError::new("password", reason)]).into_response();
        }
    };
    match state.engine.set_user_password(&user, &password).await {
        Ok(()) => StatusCode::NO_CONTENT.into_response(),
        Err(e) => Problem::from(e).into_response(),
    }
}

/// The body of `POST /v1/admin/maintenance`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MaintenanceBody {
    enabled: bool,
}

/// `GET /v1/admin/maintenance`.
pub async fn maintenance(State(state): State<AppState>, _: Admin) -> Response {
    Json(serde_json::json!({"enabled": state.engine.maintenance().await})).into_response()
}

/// `POST /v1/admin/maintenance {"enabled"}`: holds for every instance within a second.
pub async fn set_maintenance(
    State(state): State<AppState>,
    _: Admin,
    JsonBody(body): JsonBody<MaintenanceBody>,
) -> Response {
    match state.engine.set_maintenance(body.enabled).await {
        Ok(()) => Json(serde_json::json!({"enabled": body.enabled})).into_response(),
        Err(e) => Problem::from(e).into_response(),
    }
}

/// The query of `GET /v1/admin/audit`.
#[derive(Deserialize)]
pub struct AuditQuery {
    user: Option<String>,
    since: Option<String>,
}

/// `GET /v1/admin/audit?user=…&since=…` (`user` an id or email, `since` RFC 3339).
pub async fn audit(
    State(state): State<AppState>,
    _: Admin,
    query: Result<axum::extract::Query<AuditQuery>, axum::extract::rejection::QueryRejection>,
) -> Response {
    let Ok(axum::extract::Query(query)) = query else {
        return bad_parameter("query", "expected user and since").into_response();
    };
    let user = match query.user.as_deref().map(user_ref).transpose() {
        Ok(user) => user,
        Err(problem) => return problem.into_response(),
    };
    let since = match query
        .since
        .as_deref()
        .map(|t| time::OffsetDateTime::parse(t, &time::format_description::well_known::Rfc3339))
    {
        None => None,
        Some(Ok(t)) => Some(t),
        Some(Err(_)) => return bad_parameter("since", "must be an RFC 3339 time").into_response(),
    };
    match state.engine.audit_events(user.as_ref(), since).await {
        Ok(events) => Json(events).into_response(),
        Err(e) => Problem::from(e).into_response(),
    }
}

/// `GET /v1/admin/outbox`: messages kept instead of being sent, newest first.
pub async fn outbox(State(state): State<AppState>, _: Admin) -> Response {
    match state.engine.outbox().await {
        Ok(messages) => Json(messages).into_response(),
        Err(e) => Problem::from(e).into_response(),
    }
}
