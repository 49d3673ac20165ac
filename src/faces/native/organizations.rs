//! `/v1/admin/organizations` and `/v1/admin/memberships`.

use super::extract::{Admin, JsonBody, bad_parameter};
use super::problem::Problem;
use crate::domain::{MembershipStatus, OrgKind, OrgStatus, Organization, Role};
use crate::engine::{OrganizationChange, UserRef};
use crate::http::AppState;
use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::{Value, json};

fn view(o: &Organization) -> Value {
    json!({"id": o.id, "name": o.name, "kind": o.kind.as_str(), "status": o.status.as_str(),
           "consumer_access": o.consumer_access, "idp_required": o.idp_required})
}

/// The body of `POST` and `PATCH /v1/admin/organizations`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OrganizationBody {
    id: Option<String>,
    name: Option<String>,
    kind: Option<OrgKind>,
    status: Option<OrgStatus>,
    consumer_access: Option<bool>,
    idp_required: Option<bool>,
}

impl OrganizationBody {
    fn change(self) -> (Option<String>, OrganizationChange) {
        let change = OrganizationChange {
            name: self.name,
            kind: self.kind,
            status: self.status,
            consumer_access: self.consumer_access,
            idp_required: self.idp_required,
        };
        (self.id, change)
    }
}

/// `GET /v1/admin/organizations`.
pub async fn list(State(state): State<AppState>, _: Admin) -> Response {
    match state.engine.list_organizations().await {
        Ok(orgs) => Json(orgs.iter().map(view).collect::<Vec<_>>()).into_response(),
        Err(e) => Problem::from(e).into_response(),
    }
}

/// `POST /v1/admin/organizations`.
pub async fn create(
    State(state): State<AppState>,
    _: Admin,
    JsonBody(body): JsonBody<OrganizationBody>,
) -> Response {
    let (id, change) = body.change();
    match state.engine.create_organization(id, change).await {
        Ok(org) => (StatusCode::CREATED, Json(view(&org))).into_response(),
        Err(e) => Problem::from(e).into_response(),
    }
}

/// `PATCH /v1/admin/organizations/{id}`.
pub async fn update(
    State(state): State<AppState>,
    _: Admin,
    Path(id): Path<String>,
    JsonBody(body): JsonBody<OrganizationBody>,
) -> Response {
    let (body_id, change) = body.change();
    if body_id.is_some_and(|b| b != id) {
        return bad_parameter("id", "cannot be changed").into_response();
    }
    match state.engine.update_organization(&id, change).await {
        Ok(org) => Json(view(&org)).into_response(),
        Err(e) => Problem::from(e).into_response(),
    }
}

/// `DELETE /v1/admin/organizations/{id}`.
pub async fn delete(State(state): State<AppState>, _: Admin, Path(id): Path<String>) -> Response {
    match state.engine.delete_organization(&id).await {
        Ok(()) => StatusCode::NO_CONTENT.into_response(),
        Err(e) => Problem::from(e).into_response(),
    }
}

/// The body of `POST /v1/admin/memberships`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MembershipBody {
    user: String,
    organization: String,
    role: Option<Role>,
    status: Option<MembershipStatus>,
}

/// `POST /v1/admin/memberships {"user", "organization", "role"?, "status"?}`: adds or changes.
pub async fn set_membership(
    State(state): State<AppState>,
    _: Admin,
    JsonBody(body): JsonBody<MembershipBody>,
) -> Response {
    let user = match UserRef::parse(&body.user) {
        Ok(user) => user,
        Err(reason) => return bad_parameter("user", reason).into_response(),
    };
    match state
        .engine
        .set_membership(&user, &body.organization, body.role, body.status)
        .await
    {
        Ok(m) => Json(json!({"user": body.user, "organization": m.organization_id,
                             "role": m.role.as_str(), "status": m.status.as_str()}))
        .into_response(),
        Err(e) => Problem::from(e).into_response(),
    }
}

/// `DELETE /v1/admin/memberships/{organization}/{user}`.
pub async fn remove_membership(
    State(state): State<AppState>,
    _: Admin,
    Path((organization, user)): Path<(String, String)>,
) -> Response {
    let user = match UserRef::parse(&user) {
        Ok(user) => user,
        Err(reason) => return bad_parameter("user", reason).into_response(),
    };
    match state.engine.remove_membership(&user, &organization).await {
        Ok(()) => StatusCode::NO_CONTENT.into_response(),
        Err(e) => Problem::from(e).into_response(),
    }
}
