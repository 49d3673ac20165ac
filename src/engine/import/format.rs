//! The import document (README "Import format") and its validation. A document is parsed and
//! checked whole before anything is written; the first problem is reported with its JSON path.

use crate::crypto::check_importable_hash;
use crate::domain::{
    Email, FactorKind, FactorStatus, MembershipStatus, MfaPolicy, OrgKind, OrgStatus,
    PasswordState, Realm, Role, UserStatus, Username,
};
use crate::engine::EngineError;
use serde::Deserialize;
use std::collections::HashSet;
use std::time::Duration;
use time::OffsetDateTime;

/// A whole import document.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ImportDocument {
    /// Applications.
    #[serde(default)]
    pub applications: Vec<ApplicationEntry>,
    /// Organisations.
    #[serde(default)]
    pub organizations: Vec<OrganizationEntry>,
    /// Users.
    #[serde(default)]
    pub users: Vec<UserEntry>,
}

/// One application.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ApplicationEntry {
    pub(super) id: Option<String>,
    pub(super) name: String,
    #[serde(default)]
    pub(super) hostnames: Vec<String>,
    #[serde(default)]
    pub(super) api_keys: Vec<String>,
    pub(super) organization: Option<String>,
    #[serde(default = "mfa_off")]
    pub(super) mfa: MfaPolicy,
    #[serde(default)]
    pub(super) session: SessionEntry,
}

/// Session lifetime overrides of an application.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SessionEntry {
    pub(super) idle: Option<String>,
    pub(super) absolute: Option<String>,
}

/// One organisation.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OrganizationEntry {
    pub(super) id: Option<String>,
    pub(super) name: String,
    #[serde(default = "corporate")]
    pub(super) kind: OrgKind,
    #[serde(default = "org_active")]
    pub(super) status: OrgStatus,
    #[serde(default = "yes")]
    pub(super) consumer_access: bool,
    #[serde(default)]
    pub(super) idp_required: bool,
}

/// One user.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UserEntry {
    pub(super) id: Option<String>,
    pub(super) email: String,
    pub(super) username: Option<String>,
    pub(super) name: Option<String>,
    pub(super) password: Option<String>,
    pub(super) password_hash: Option<String>,
    #[serde(default = "user_active")]
    pub(super) status: UserStatus,
    #[serde(default = "password_ok")]
    pub(super) password_state: PasswordState,
    #[serde(default, with = "time::serde::rfc3339::option")]
    pub(super) password_expires_at: Option<OffsetDateTime>,
    pub(super) external_idp: Option<String>,
    pub(super) tooling_password: Option<String>,
    #[serde(default = "local")]
    pub(super) realm: Realm,
    pub(super) phone: Option<String>,
    #[serde(default)]
    pub(super) mfa: bool,
    #[serde(default)]
    pub(super) factors: Vec<FactorEntry>,
    #[serde(default)]
    pub(super) memberships: Vec<MembershipEntry>,
}

/// One factor of a user.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FactorEntry {
    #[serde(rename = "type")]
    pub(super) kind: FactorKind,
    pub(super) phone: Option<String>,
    pub(super) email: Option<String>,
    pub(super) secret: Option<String>,
    #[serde(default = "factor_active")]
    pub(super) status: FactorStatus,
}

/// One membership of a user.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MembershipEntry {
    pub(super) organization: String,
    #[serde(default = "member")]
    pub(super) role: Role,
    #[serde(default = "membership_active")]
    pub(super) status: MembershipStatus,
}

fn mfa_off() -> MfaPolicy {
    MfaPolicy::Off
}
fn corporate() -> OrgKind {
    OrgKind::Corporate
}
fn org_active() -> OrgStatus {
    OrgStatus::Active
}
fn yes() -> bool {
    true
}
fn user_active() -> UserStatus {
    UserStatus::Active
}
fn password_ok() -> PasswordState {
    PasswordState::Ok
}
fn local() -> Realm {
    Realm::Local
}
fn factor_active() -> FactorStatus {
    FactorStatus::Active
}
fn member() -> Role {
    Role::Member
}
fn membership_active() -> MembershipStatus {
    MembershipStatus::Active
}

/// Parses a document, naming the JSON path of the first syntax or type error.
pub fn parse(json: &[u8]) -> Result<ImportDocument, EngineError> {
    if let Ok(document) = serde_json::from_slice::<serde_json::Value>(json)
        && let Some(refused) = crate::domain::unstorable_field(&document)
    {
        return Err(invalid(json_path(&refused.field), refused.reason));
    }
    let mut de = serde_json::Deserializer::from_slice(json);
    let doc: ImportDocument =
        serde_path_to_error::deserialize(&mut de).map_err(|e| EngineError::ImportInvalid {
            path: json_path(&e.path().to_string()),
            message: e.inner().to_string(),
        })?;
    de.end().map_err(|e| invalid("$", e.to_string()))?;
    Ok(doc)
}

/// `users[0].email` → `$.users[0].email`; the root is `$`.
fn json_path(path: &str) -> String {
    if path == "." {
        "$".to_owned()
    } else {
        format!("$.{path}")
    }
}

pub(super) fn invalid(path: impl Into<String>, message: impl Into<String>) -> EngineError {
    EngineError::ImportInvalid {
        path: path.into(),
        message: message.into(),
    }
}

/// A duration field such as `"5m"`.
pub(super) fn duration(text: Option<&str>, path: &str) -> Result<Option<Duration>, EngineError> {
    text.map(|t| {
        humantime::parse_duration(t)
            .ok()
            .filter(|d| !d.is_zero())
            .ok_or_else(|| invalid(path, format!("`{t}` is not a duration like 30s, 5m, 12h")))
    })
    .transpose()
}

/// Checks everything that needs no database: formats, references inside the file, duplicates.
pub(super) fn validate(doc: &ImportDocument) -> Result<(), EngineError> {
    let mut org_ids = HashSet::new();
    for (i, org) in doc.organizations.iter().enumerate() {
        let at = format!("$.organizations[{i}]");
        non_empty(&org.name, &format!("{at}.name"))?;
        if let Some(id) = &org.id {
            if id.is_empty() || !id.chars().all(|c| c.is_ascii_digit()) {
                return Err(invalid(format!("{at}.id"), "must be a numeric string"));
            }
            if !org_ids.insert(id.as_str()) {
                return Err(invalid(format!("{at}.id"), "appears twice"));
            }
        }
    }
    for (i, app) in doc.applications.iter().enumerate() {
        let at = format!("$.applications[{i}]");
        non_empty(&app.name, &format!("{at}.name"))?;
        if let Some(id) = &app.id {
            uuid::Uuid::parse_str(id).map_err(|_| invalid(format!("{at}.id"), "must be a UUID"))?;
        }
        for (k, host) in app.hostnames.iter().enumerate() {
            if host.is_empty() || host.contains("://") || host.chars().any(char::is_whitespace) {
                return Err(invalid(
                    format!("{at}.hostnames[{k}]"),
                    "must be a host or host/path",
                ));
            }
        }
        for (k, key) in app.api_keys.iter().enumerate() {
            non_empty(key, &format!("{at}.api_keys[{k}]"))?;
        }
        duration(app.session.idle.as_deref(), &format!("{at}.session.idle"))?;
        duration(
            app.session.absolute.as_deref(),
            &format!("{at}.session.absolute"),
        )?;
    }
    let mut emails = HashSet::new();
    for (i, user) in doc.users.iter().enumerate() {
        validate_user(user, &format!("$.users[{i}]"), &mut emails)?;
    }
    Ok(())
}

fn validate_user(
    user: &UserEntry,
    at: &str,
    emails: &mut HashSet<String>,
) -> Result<(), EngineError> {
    let email = Email::parse(&user.email).map_err(|e| invalid(format!("{at}.email"), e))?;
    if !emails.insert(email.as_str().to_owned()) {
        return Err(invalid(format!("{at}.email"), "appears twice"));
    }
    if let Some(id) = &user.id
        && (id.is_empty() || !id.chars().all(|c| c.is_ascii_digit()))
    {
        return Err(invalid(format!("{at}.id"), "must be a numeric string"));
    }
    if let Some(name) = &user.username {
        Username::parse(name).map_err(|e| invalid(format!("{at}.username"), e))?;
    }
    match (&user.password, &user.password_hash) {
        (Some(_), Some(_)) => {
            return Err(invalid(
                format!("{at}.password_hash"),
                "give password or password_hash, not both",
            ));
        }
        (Some(p), None) => non_empty(p, &format!("{at}.password"))?,
        (None, Some(h)) => {
            check_importable_hash(h).map_err(|e| invalid(format!("{at}.password_hash"), e))?
        }
        (None, None) => {}
    }
    for (k, factor) in user.factors.iter().enumerate() {
        let needed = match factor.kind {
            FactorKind::Sms => factor.phone.as_ref().or(user.phone.as_ref()).map(|_| ()),
            FactorKind::Email => Some(()),
            FactorKind::Totp | FactorKind::Push => factor.secret.as_ref().map(|_| ()),
        };
        if needed.is_none() {
            let field = if factor.kind == FactorKind::Sms {
                "phone"
            } else {
                "secret"
            };
            return Err(invalid(
                format!("{at}.factors[{k}].{field}"),
                "is required for this factor type",
            ));
        }
        if factor.kind == FactorKind::Totp
            && factor
                .secret
                .as_deref()
                .and_then(crate::crypto::otp::totp_key)
                .is_none()
        {
            return Err(invalid(
                format!("{at}.factors[{k}].secret"),
                "must be base32 of at least 16 bytes (an empty or short key gives codes anyone can compute)",
            ));
        }
    }
    Ok(())
}

fn non_empty(text: &str, path: &str) -> Result<(), EngineError> {
    if text.trim().is_empty() {
        Err(invalid(path, "must not be empty"))
    } else {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn path_of(json: &str) -> String {
        let result = parse(json.as_bytes()).and_then(|doc| validate(&doc));
        match result {
            Err(EngineError::ImportInvalid { path, .. }) => path,
            other => format!("no error: {other:?}"),
        }
    }

    #[test]
    fn type_errors_name_their_path() {
        assert_eq!(
            path_of(r#"{"users": [{"email": "a@b.test", "mfa": "yes"}]}"#),
            "$.users[0].mfa"
        );
    }

    #[test]
    fn unknown_fields_are_refused() {
        assert_eq!(
            path_of(r#"{"users": [{"email": "a@b.test", "admin": true}]}"#),
            "$.users[0].admin"
        );
    }

    #[test]
    fn semantic_errors_name_their_path() {
        assert_eq!(
            path_of(r#"{"users": [{"email": "nope"}]}"#),
            "$.users[0].email"
        );
        assert_eq!(
            path_of(r#"{"users": [{"email": "a@b.test", "password_hash": "$md5$x"}]}"#),
            "$.users[0].password_hash"
        );
        assert_eq!(
            path_of(r#"{"applications": [{"name": "A", "session": {"idle": "soon"}}]}"#),
            "$.applications[0].session.idle"
        );
        assert_eq!(
            path_of(r#"{"users": [{"email": "a@b.test"}, {"email": "A@b.test"}]}"#),
            "$.users[1].email"
        );
    }
}
