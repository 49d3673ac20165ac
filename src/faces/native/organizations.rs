//! `/v1/admin/organizations` and `/v1/admin/memberships`.

use super::extract::{Admin, JsonBody, Orgs, Read, bad_parameter};
use super::openapi;
use super::problem::Problem;
use crate::domain::{MembershipStatus, OrgKind, OrgStatus, Organization, Role};
use crate::engine::{OrganizationChange, UserRef};
use crate::http::AppState;
use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use serde::Deserialize;
use serde_json::{Value, json};

fn view(o: &Organization) -> Value {
    json!({"id": o.id, "name": o.name, "kind": o.kind.as_str(), "status": o.status.as_str(),
           "consumer_access": o.consumer_access, "idp_required": o.idp_required})
}

/// The body of `POST` and `PATCH /v1/admin/organizations`.
#[derive(Deserialize, utoipa::ToSchema)]
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
#[utoipa::path(operation_id = "organizations_list", get, path = "/organizations", tag = "admin", responses((status = 200, description = "Every organisation", body = Vec<openapi::OrganizationDoc>), openapi::Common, openapi::Authenticated), security(("admin" = [])))]
pub async fn list(
    State(state): State<AppState>,
    _: Admin<Read>,
) -> Result<Json<Vec<Value>>, Problem> {
    let orgs = state.engine.list_organizations().await?;
    Ok(Json(orgs.iter().map(view).collect()))
}

/// `POST /v1/admin/organizations`.
#[utoipa::path(operation_id = "organizations_create", post, path = "/organizations", tag = "admin", request_body = OrganizationBody, responses((status = 201, description = "Created", body = openapi::OrganizationDoc), openapi::Common, openapi::Authenticated, openapi::Conflicting), security(("admin" = [])))]
pub async fn create(
    State(state): State<AppState>,
    Admin(by, _): Admin<Orgs>,
    JsonBody(body): JsonBody<OrganizationBody>,
) -> Result<(StatusCode, Json<Value>), Problem> {
    let (id, change) = body.change();
    let org = state.engine.create_organization(&by, id, change).await?;
    Ok((StatusCode::CREATED, Json(view(&org))))
}

/// `PATCH /v1/admin/organizations/{id}`.
#[utoipa::path(operation_id = "organizations_update", patch, path = "/organizations/{id}", tag = "admin", request_body = OrganizationBody, params(("id" = String, Path, description = "The id")), responses((status = 200, description = "Changed", body = openapi::OrganizationDoc), openapi::Common, openapi::Authenticated, openapi::Missing), security(("admin" = [])))]
pub async fn update(
    State(state): State<AppState>,
    Admin(by, _): Admin<Orgs>,
    Path(id): Path<String>,
    JsonBody(body): JsonBody<OrganizationBody>,
) -> Result<Json<Value>, Problem> {
    let (body_id, change) = body.change();
    if body_id.is_some_and(|b| b != id) {
        return Err(bad_parameter("id", "cannot be changed"));
    }
    let org = state.engine.update_organization(&by, &id, change).await?;
    Ok(Json(view(&org)))
}

/// `DELETE /v1/admin/organizations/{id}`.
#[utoipa::path(operation_id = "organizations_delete", delete, path = "/organizations/{id}", tag = "admin", params(("id" = String, Path, description = "The id")), responses((status = 204, description = "Removed"), openapi::Common, openapi::Authenticated, openapi::Missing, openapi::Conflicting), security(("admin" = [])))]
pub async fn delete(
    State(state): State<AppState>,
    Admin(by, _): Admin<Orgs>,
    Path(id): Path<String>,
) -> Result<StatusCode, Problem> {
    state.engine.delete_organization(&by, &id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The body of `POST /v1/admin/memberships`.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MembershipBody {
    user: String,
    organization: String,
    role: Option<Role>,
    status: Option<MembershipStatus>,
}

/// `POST /v1/admin/memberships {"user", "organization", "role"?, "status"?}`: adds or changes.
#[utoipa::path(operation_id = "organizations_set_membership", post, path = "/memberships", tag = "admin", request_body = MembershipBody, responses((status = 200, description = "The membership", body = openapi::MembershipDoc), openapi::Common, openapi::Authenticated, openapi::Missing), security(("admin" = [])))]
pub async fn set_membership(
    State(state): State<AppState>,
    Admin(by, _): Admin<Orgs>,
    JsonBody(body): JsonBody<MembershipBody>,
) -> Result<Json<Value>, Problem> {
    let user = UserRef::parse(&body.user).map_err(|reason| bad_parameter("user", reason))?;
    let m = state
        .engine
        .set_membership(&by, &user, &body.organization, body.role, body.status)
        .await?;
    Ok(Json(
        json!({"user": body.user, "organization": m.organization_id,
                   "role": m.role.as_str(), "status": m.status.as_str()}),
    ))
}

/// `DELETE /v1/admin/memberships/{organization}/{user}`.
#[utoipa::path(operation_id = "organizations_remove_membership", delete, path = "/memberships/{organization}/{user}", tag = "admin", params(("organization" = String, Path, description = "The organisation id"), ("user" = String, Path, description = "A user id or email")), responses((status = 204, description = "Removed"), openapi::Common, openapi::Authenticated, openapi::Missing), security(("admin" = [])))]
pub async fn remove_membership(
    State(state): State<AppState>,
    Admin(by, _): Admin<Orgs>,
    Path((organization, user)): Path<(String, String)>,
) -> Result<StatusCode, Problem> {
    let user = UserRef::parse(&user).map_err(|reason| bad_parameter("user", reason))?;
    state
        .engine
        .remove_membership(&by, &user, &organization)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}
