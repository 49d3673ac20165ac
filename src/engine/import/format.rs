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

/// One application; a field left out keeps its value (a new application gets the default).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ApplicationEntry {
    pub(super) id: Option<String>,
    pub(super) name: String,
    pub(super) hostnames: Option<Vec<String>>,
    pub(super) api_keys: Option<Vec<String>>,
    #[serde(default, deserialize_with = "nullable")]
    pub(super) organization: Option<Option<String>>,
    pub(super) mfa: Option<MfaPolicy>,
    pub(super) session: Option<SessionEntry>,
    /// Browser origins allowed to call the API (CORS), `scheme://host[:port]`.
    pub(super) cors_origins: Option<Vec<String>>,
    /// The methods those origins may use (default: the API's).
    pub(super) cors_methods: Option<Vec<String>>,
    /// The request headers those origins may send (default: the API's).
    pub(super) cors_headers: Option<Vec<String>>,
}

/// Session lifetime overrides of an application.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SessionEntry {
    pub(super) idle: Option<String>,
    pub(super) absolute: Option<String>,
}

/// One organisation; a field left out keeps its value (a new organisation gets the default).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OrganizationEntry {
    pub(super) id: Option<String>,
    pub(super) name: String,
    pub(super) kind: Option<OrgKind>,
    pub(super) status: Option<OrgStatus>,
    pub(super) consumer_access: Option<bool>,
    pub(super) idp_required: Option<bool>,
}

/// One user. A field left out keeps what the user has (a new user gets the default); a
/// nullable field given as `null` is cleared. Listed memberships and factors are added or
/// updated, `"remove": true` removes one, and only the `replace` option makes a list the user's
/// whole list.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UserEntry {
    pub(super) id: Option<String>,
    pub(super) email: String,
    #[serde(default, deserialize_with = "nullable")]
    pub(super) username: Option<Option<String>>,
    pub(super) name: Option<String>,
    pub(super) password: Option<String>,
    pub(super) password_hash: Option<String>,
    pub(super) status: Option<UserStatus>,
    pub(super) password_state: Option<PasswordState>,
    #[serde(default, deserialize_with = "nullable_time")]
    pub(super) password_expires_at: Option<Option<OffsetDateTime>>,
    #[serde(default, deserialize_with = "nullable")]
    pub(super) external_idp: Option<Option<String>>,
    pub(super) tooling_password: Option<String>,
    pub(super) realm: Option<Realm>,
    #[serde(default, deserialize_with = "nullable")]
    pub(super) phone: Option<Option<String>>,
    pub(super) mfa: Option<bool>,
    pub(super) factors: Option<Vec<FactorEntry>>,
    pub(super) memberships: Option<Vec<MembershipEntry>>,
}

/// A field that may be left out (outer `None`) or given as `null` (`Some(None)`).
fn nullable<'de, D: serde::Deserializer<'de>, T: Deserialize<'de>>(
    d: D,
) -> Result<Option<Option<T>>, D::Error> {
    Option::<T>::deserialize(d).map(Some)
}

fn nullable_time<'de, D: serde::Deserializer<'de>>(
    d: D,
) -> Result<Option<Option<OffsetDateTime>>, D::Error> {
    time::serde::rfc3339::option::deserialize(d).map(Some)
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
    /// Removes the user's factor of this type and destination (or secret).
    #[serde(default)]
    pub(super) remove: bool,
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
    /// Removes the user's membership of this organisation.
    #[serde(default)]
    pub(super) remove: bool,
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
        for (k, host) in app.hostnames.iter().flatten().enumerate() {
            if host.is_empty() || host.contains("://") || host.chars().any(char::is_whitespace) {
                return Err(invalid(
                    format!("{at}.hostnames[{k}]"),
                    "must be a host or host/path",
                ));
            }
        }
        for (k, origin) in app.cors_origins.iter().flatten().enumerate() {
            if !is_origin(origin) {
                return Err(invalid(
                    format!("{at}.cors_origins[{k}]"),
                    "must be an origin: http(s)://host[:port], no path",
                ));
            }
        }
        for (k, method) in app.cors_methods.iter().flatten().enumerate() {
            if !CORS_METHODS.contains(&method.to_ascii_uppercase().as_str()) {
                return Err(invalid(
                    format!("{at}.cors_methods[{k}]"),
                    "must be one of GET, POST, PUT, PATCH, DELETE",
                ));
            }
        }
        for (k, name) in app.cors_headers.iter().flatten().enumerate() {
            if name.is_empty() || !name.bytes().all(is_header_name_byte) {
                return Err(invalid(
                    format!("{at}.cors_headers[{k}]"),
                    "must be a header name",
                ));
            }
        }
        for (k, key) in app.api_keys.iter().flatten().enumerate() {
            non_empty(key, &format!("{at}.api_keys[{k}]"))?;
        }
        if let Some(session) = &app.session {
            duration(session.idle.as_deref(), &format!("{at}.session.idle"))?;
            duration(
                session.absolute.as_deref(),
                &format!("{at}.session.absolute"),
            )?;
        }
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
    if let Some(Some(name)) = &user.username {
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
    let factors = user.factors.as_deref().unwrap_or(&[]);
    for (k, factor) in factors.iter().enumerate() {
        let user_phone = user.phone.as_ref().and_then(Option::as_ref);
        let needed = match factor.kind {
            FactorKind::Sms => factor.phone.as_ref().or(user_phone).map(|_| ()),
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
        // A weak key may still be named to remove it.
        if factor.kind == FactorKind::Totp
            && !factor.remove
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

/// `https://app.example.com` or `http://localhost:3000`: a scheme, a host, maybe a port.
/// The methods an application may allow its origins (the API has no other).
const CORS_METHODS: [&str; 5] = ["GET", "POST", "PUT", "PATCH", "DELETE"];

/// An RFC 9110 token character.
fn is_header_name_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b)
}

fn is_origin(text: &str) -> bool {
    let Some(rest) = text
        .strip_prefix("https://")
        .or_else(|| text.strip_prefix("http://"))
    else {
        return false;
    };
    !rest.is_empty()
        && rest
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b':' | b'[' | b']'))
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
