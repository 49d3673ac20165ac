//! `SessionInfo`: the platform's description of a session, as its Node SDK reads it.

use crate::domain::{Organization, Role, Session, User};
use crate::engine::Identity;
use serde::Serialize;
use serde_json::{Map, Value};
use time::OffsetDateTime;

/// What `SessionInfo` is built from.
pub struct SessionParts<'a> {
    /// The session token as presented or issued.
    pub sid: &'a str,
    /// The session.
    pub session: &'a Session,
    /// Its user.
    pub user: &'a User,
    /// The user's active organisations.
    pub identities: &'a [Identity],
    /// `web` or `cli`.
    pub from: &'static str,
    /// When it ends if unused.
    pub expiry: OffsetDateTime,
    /// Whether the second factor is still due.
    pub device_auth_required: bool,
    /// Whether this answers a device authorisation (which also says `valid` and `expired`).
    pub device_authorized: bool,
}

#[derive(Serialize)]
pub struct SessionInfo {
    sid: String,
    guid: String,
    user_guid: String,
    email: String,
    username: String,
    firstname: String,
    lastname: String,
    org_id: Option<String>,
    org: Option<OrgInfo>,
    orgs: Vec<OrgEntry>,
    role: Option<&'static str>,
    roles: Vec<&'static str>,
    user: UserInfo,
    from: &'static str,
    expiry: String,
    #[serde(rename = "deviceAuthRequired")]
    device_auth_required: bool,
    /// A device authorisation's verdict: the platform's clients check `valid` before they
    /// believe the code.
    #[serde(skip_serializing_if = "Option::is_none")]
    valid: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    expired: Option<bool>,
}

#[derive(Serialize)]
struct OrgInfo {
    org_id: String,
    guid: String,
    name: String,
    entitlements: Map<String, Value>,
}

#[derive(Serialize)]
struct OrgEntry {
    org_id: String,
    guid: String,
    name: String,
    role: &'static str,
}

#[derive(Serialize)]
struct UserInfo {
    guid: String,
    /// The session's current organisation.
    org_id: Option<String>,
    email: String,
    firstname: String,
    lastname: String,
    phone: Option<String>,
    date_activated: Option<String>,
}

/// The platform's role names: owners and admins administer, members develop.
pub(super) fn role_name(role: Role) -> &'static str {
    match role {
        Role::Owner | Role::Admin => "administrator",
        Role::Member => "developer",
    }
}

/// `Ann Marie Example` → (`Ann`, `Marie Example`).
fn split_name(name: &str) -> (String, String) {
    let name = name.trim();
    match name.split_once(' ') {
        Some((first, last)) => (first.to_owned(), last.trim().to_owned()),
        None => (name.to_owned(), String::new()),
    }
}

impl From<SessionParts<'_>> for SessionInfo {
    fn from(p: SessionParts<'_>) -> Self {
        let (firstname, lastname) = split_name(&p.user.name);
        let current = p
            .session
            .organization_id
            .as_deref()
            .and_then(|id| p.identities.iter().find(|i| i.organization.id == id));
        let org = current.map(|i| org_info(&i.organization));
        let role = current.map(|i| role_name(i.role));
        Self {
            sid: p.sid.to_owned(),
            guid: p.user.id.clone(),
            user_guid: p.user.id.clone(),
            email: p.user.email.clone(),
            username: p
                .user
                .username
                .clone()
                .unwrap_or_else(|| p.user.email.clone()),
            firstname: firstname.clone(),
            lastname: lastname.clone(),
            org_id: current.map(|i| i.organization.id.clone()),
            org,
            orgs: p
                .identities
                .iter()
                .map(|i| OrgEntry {
                    org_id: i.organization.id.clone(),
                    guid: i.organization.id.clone(),
                    name: i.organization.name.clone(),
                    role: role_name(i.role),
                })
                .collect(),
            role,
            roles: role.into_iter().collect(),
            user: UserInfo {
                guid: p.user.id.clone(),
                org_id: current.map(|i| i.organization.id.clone()),
                email: p.user.email.clone(),
                firstname,
                lastname,
                phone: p.user.phone.clone(),
                date_activated: None,
            },
            from: p.from,
            expiry: crate::http::rfc3339(p.expiry),
            device_auth_required: p.device_auth_required,
            valid: p.device_authorized.then_some(true),
            expired: p.device_authorized.then_some(false),
        }
    }
}

fn org_info(org: &Organization) -> OrgInfo {
    OrgInfo {
        org_id: org.id.clone(),
        guid: org.id.clone(),
        name: org.name.clone(),
        entitlements: Map::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_split_at_the_first_space() {
        assert_eq!(
            split_name("Ann Marie Example"),
            ("Ann".to_owned(), "Marie Example".to_owned())
        );
        assert_eq!(split_name("Cher"), ("Cher".to_owned(), String::new()));
    }
}
