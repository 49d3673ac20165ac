//! `GET /v1/session` and `POST /v1/logout`.

use super::Native;
use super::extract::bad_parameter;
use super::openapi;
use super::problem::Problem;
use super::view::SessionView;
use crate::engine::LogoutScope;
use crate::http::AppState;
use crate::http::Bearer;
use axum::Json;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use serde::Deserialize;

/// `GET /v1/session`: the session, its user and its deadlines; extends the idle window.
#[utoipa::path(operation_id = "session_current", get, path = "/session", tag = "session", responses((status = 200, description = "The session, its user and deadlines", body = SessionView), openapi::Common, openapi::Authenticated), security(("bearer" = [])))]
pub async fn current(
    State(state): State<AppState>,
    Bearer(token, _): Bearer<Native>,
) -> Result<Json<SessionView>, Problem> {
    let live = state.engine.session(&token).await?;
    Ok(Json(
        SessionView::from(&live).step_up_until(live.step_up_until),
    ))
}

/// The query of `POST /v1/logout`.
#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct LogoutQuery {
    scope: Option<String>,
}

/// `POST /v1/logout` (`?scope=all` ends every session of the user).
#[utoipa::path(operation_id = "session_logout", post, path = "/logout", tag = "session", params(LogoutQuery), responses((status = 204, description = "Signed out"), openapi::Common, openapi::Authenticated), security(("bearer" = [])))]
pub async fn logout(
    State(state): State<AppState>,
    Bearer(token, _): Bearer<Native>,
    query: Result<Query<LogoutQuery>, axum::extract::rejection::QueryRejection>,
) -> Result<StatusCode, Problem> {
    let scope = match query.as_ref().map(|q| q.scope.as_deref()) {
        Ok(None | Some("session")) => LogoutScope::This,
        Ok(Some("all")) => LogoutScope::All,
        _ => return Err(bad_parameter("scope", "must be session or all")),
    };
    state.engine.logout(&token, scope).await?;
    Ok(StatusCode::NO_CONTENT)
}
