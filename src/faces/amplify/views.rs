//! The read-only views the platform's CLIs call right after sign-in, answered from Doorward's
//! own data with the session's cookie or bearer: `GET /team` (Doorward has no teams: always an
//! empty list), `GET /org/{id}` and `GET /user/organizations`.

use super::auth::{Success, success};
use super::{Amplify, AmplifyError};
use crate::engine::{EngineError, Identity};
use crate::http::{AppState, Bearer};
use axum::Json;
use axum::extract::{Path, State};
use serde::Serialize;
use serde_json::{Map, Value};

/// An organisation as the platform's views describe it.
#[derive(Serialize)]
pub struct OrgView {
    org_id: String,
    guid: String,
    name: String,
    active: bool,
    role: &'static str,
    entitlements: Map<String, Value>,
}

impl From<&Identity> for OrgView {
    fn from(identity: &Identity) -> Self {
        let org = &identity.organization;
        Self {
            org_id: org.id.clone(),
            guid: org.id.clone(),
            name: org.name.clone(),
            // Identities are the active organisations of active memberships.
            active: true,
            role: super::info::role_name(identity.role),
            entitlements: Map::new(),
        }
    }
}

/// `GET {base}/team?org_id=`: `[]`; Doorward has no teams.
pub async fn teams(
    State(state): State<AppState>,
    Bearer(token, ..): Bearer<Amplify>,
) -> Result<Json<Success<Vec<Value>>>, AmplifyError> {
    state.engine.session(&token).await?;
    Ok(success(Vec::new()))
}

/// `GET {base}/org/{id}`: one of the user's organisations; 403 for any other (whether or not it
/// exists, so the answer says nothing about organisations the user is not in).
pub async fn organization(
    State(state): State<AppState>,
    Bearer(token, ..): Bearer<Amplify>,
    Path(id): Path<String>,
) -> Result<Json<Success<OrgView>>, AmplifyError> {
    let found = state.engine.session_with_identities(&token).await?;
    found
        .identities
        .iter()
        .find(|i| i.organization.id == id)
        .map(|i| success(OrgView::from(i)))
        .ok_or_else(|| AmplifyError::from(EngineError::ApplicationForbidden))
}

/// `GET {base}/user/organizations`: the user's active organisations.
pub async fn organizations(
    State(state): State<AppState>,
    Bearer(token, ..): Bearer<Amplify>,
) -> Result<Json<Success<Vec<OrgView>>>, AmplifyError> {
    let found = state.engine.session_with_identities(&token).await?;
    Ok(success(
        found.identities.iter().map(OrgView::from).collect(),
    ))
}
