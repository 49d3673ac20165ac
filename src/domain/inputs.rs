//! Inputs parsed at the edge into types that can only hold valid values.

use secrecy::{ExposeSecret, SecretString};
use serde::Serialize;
use std::fmt;

/// One invalid input field, named as the caller sent it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FieldError {
    /// The field's name (`password`, `users[0].email`).
    pub field: String,
    /// What is wrong.
    pub reason: String,
}

impl FieldError {
    /// A field with a reason.
    pub fn new(field: impl Into<String>, reason: impl Into<String>) -> Self {
        Self {
            field: field.into(),
            reason: reason.into(),
        }
    }
}

/// Longest text accepted in any one input field, in bytes. Passwords are the longest inputs
/// (4 KiB); nothing Doorward keeps needs more, and PostgreSQL cannot index much more.
pub const TEXT_MAX_BYTES: usize = 4096;

/// The one input rule every face applies before the engine sees a request, so that both stores
/// are handed only what both can hold: no NUL character (PostgreSQL cannot store one in text;
/// SQLite can), at most [`TEXT_MAX_BYTES`]. Lone surrogates cannot reach here: JSON parsing and
/// UTF-8 decoding refuse them.
pub fn storable(text: &str) -> Result<(), &'static str> {
    if text.contains('\0') {
        Err(HAS_NUL)
    } else if text.len() > TEXT_MAX_BYTES {
        Err(TOO_LONG)
    } else {
        Ok(())
    }
}

/// The reason [`storable`] gives for a NUL character.
pub const HAS_NUL: &str = "may not contain a NUL character";
/// The reason [`storable`] gives for text over [`TEXT_MAX_BYTES`].
pub const TOO_LONG: &str = "is too long";

/// The first key or string of a JSON object body that breaks [`storable`], by its path.
pub fn unstorable_member(
    object: &serde_json::Map<String, serde_json::Value>,
) -> Option<FieldError> {
    object.iter().find_map(|(key, item)| match storable(key) {
        Err(reason) => Some(FieldError::new(key.clone(), reason)),
        Ok(()) => unstorable_at(item, key),
    })
}

/// [`unstorable_field`] for a value found at `path`.
fn unstorable_at(value: &serde_json::Value, path: &str) -> Option<FieldError> {
    unstorable_field(value).map(|found| {
        let field = if found.field == "body" {
            path.to_owned()
        } else if found.field.starts_with('[') {
            format!("{path}{}", found.field)
        } else {
            format!("{path}.{}", found.field)
        };
        FieldError::new(field, found.reason)
    })
}

/// The first key or string of a JSON document that breaks [`storable`], named by its path
/// (`users[0].email`; `body` for the document itself).
pub fn unstorable_field(value: &serde_json::Value) -> Option<FieldError> {
    fn walk(value: &serde_json::Value, path: &mut String) -> Option<FieldError> {
        let at = |path: &str| {
            if path.is_empty() {
                "body".to_owned()
            } else {
                path.to_owned()
            }
        };
        match value {
            serde_json::Value::String(text) => storable(text)
                .err()
                .map(|reason| FieldError::new(at(path), reason)),
            serde_json::Value::Array(items) => items.iter().enumerate().find_map(|(i, item)| {
                let len = path.len();
                path.push_str(&format!("[{i}]"));
                let found = walk(item, path);
                path.truncate(len);
                found
            }),
            serde_json::Value::Object(map) => map.iter().find_map(|(key, item)| {
                let len = path.len();
                if !path.is_empty() {
                    path.push('.');
                }
                path.push_str(key);
                let found = match storable(key) {
                    Err(reason) => Some(FieldError::new(at(path), reason)),
                    Ok(()) => walk(item, path),
                };
                path.truncate(len);
                found
            }),
            _ => None,
        }
    }
    walk(value, &mut String::new())
}

/// Longest email address accepted (RFC 5321 path limit).
const EMAIL_MAX: usize = 254;

/// An email address, trimmed and lowercased: emails compare case-insensitively.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Email(String);

impl Email {
    /// Parses an address: one `@`, a non-empty local part, a dotted domain, no spaces.
    pub fn parse(raw: &str) -> Result<Self, &'static str> {
        let text = raw.trim().to_lowercase();
        let (local, domain) = text.split_once('@').ok_or("not an email address")?;
        let valid = !local.is_empty()
            && text.chars().count() <= EMAIL_MAX
            && !domain.contains('@')
            && domain.contains('.')
            && !domain.starts_with('.')
            && !domain.ends_with('.')
            && !text.chars().any(|c| c.is_whitespace() || c.is_control());
        if valid {
            Ok(Self(text))
        } else {
            Err("not an email address")
        }
    }

    /// The normalised address.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A username: 1–64 characters, no `@` (which marks an email), no spaces.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Username(String);

impl Username {
    /// Parses a username.
    pub fn parse(raw: &str) -> Result<Self, &'static str> {
        let text = raw.trim();
        let count = text.chars().count();
        if count == 0 || count > 64 {
            return Err("must be 1 to 64 characters");
        }
        if text.contains('@') || text.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return Err("may not contain '@', spaces or control characters");
        }
        Ok(Self(text.to_owned()))
    }

    /// The username.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// What a user types to sign in: an email or a username.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum LoginId {
    /// An email address.
    Email(Email),
    /// A username.
    Username(Username),
}

impl LoginId {
    /// An identifier with `@` is an email; anything else a username.
    pub fn parse(raw: &str) -> Result<Self, &'static str> {
        if raw.contains('@') {
            Email::parse(raw).map(Self::Email)
        } else {
            Username::parse(raw).map(Self::Username)
        }
    }

    /// The normalised identifier, as lockouts and rate limits key it.
    pub fn key(&self) -> String {
        match self {
            Self::Email(e) => e.as_str().to_owned(),
            Self::Username(u) => u.as_str().to_lowercase(),
        }
    }
}

/// A password as typed: never trimmed, never altered, never shown.
#[derive(Clone)]
pub struct Password(SecretString);

/// Longest password accepted at sign-in, in bytes: a bound on work, far above any policy.
pub const PASSWORD_MAX_BYTES: usize = 4096;

impl Password {
    /// Accepts any non-empty password up to 4 KiB.
    pub fn parse(raw: String) -> Result<Self, &'static str> {
        if raw.is_empty() {
            Err("is required")
        } else if raw.len() > PASSWORD_MAX_BYTES {
            Err("is too long")
        } else {
            Ok(Self(SecretString::from(raw)))
        }
    }

    /// The secret, for hashing.
    pub fn secret(&self) -> &SecretString {
        &self.0
    }

    /// Its length in Unicode code points.
    pub fn chars(&self) -> usize {
        self.0.expose_secret().chars().count()
    }

    /// Whether it contains `needle`, ignoring case.
    pub fn contains_ignoring_case(&self, needle: &str) -> bool {
        self.0
            .expose_secret()
            .to_lowercase()
            .contains(&needle.to_lowercase())
    }
}

impl fmt::Debug for Password {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Password(…)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emails_are_trimmed_and_lowercased() {
        assert_eq!(
            Email::parse(" Ann@Example.TEST ").unwrap().as_str(),
            "ann@example.test"
        );
    }

    #[test]
    fn malformed_emails_are_refused() {
        for bad in [
            "",
            "ann",
            "@example.test",
            "ann@",
            "ann@example",
            "a b@example.test",
            "a@b@c.test",
        ] {
            assert!(Email::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn login_id_is_an_email_when_it_has_an_at_sign() {
        assert!(matches!(
            LoginId::parse("ann@example.test"),
            Ok(LoginId::Email(_))
        ));
        assert!(matches!(LoginId::parse("ann"), Ok(LoginId::Username(_))));
        assert_eq!(LoginId::parse("Ann").unwrap().key(), "ann");
    }

    #[test]
    fn nul_and_over_long_text_are_named_by_their_path() {
        let doc = serde_json::json!({"users": [{"email": "a@b.test"}, {"email": "x\u{0}y"}]});
        let found = unstorable_field(&doc).unwrap();
        assert_eq!(found.field, "users[1].email");
        assert!(found.reason.contains("NUL"));
        let long = serde_json::json!({"name": "x".repeat(TEXT_MAX_BYTES + 1)});
        assert_eq!(unstorable_field(&long).unwrap().reason, "is too long");
        let key = serde_json::json!({"a\u{0}": 1});
        assert!(unstorable_field(&key).is_some());
        let object = serde_json::json!({"ok": "x", "users": [{"email": "x\u{0}"}]});
        let object = object.as_object().unwrap();
        assert_eq!(unstorable_member(object).unwrap().field, "users[0].email");
        assert!(unstorable_field(&serde_json::json!({"ok": ["fine", 1, null]})).is_none());
        assert!(serde_json::from_str::<serde_json::Value>(r#"{"a": "\ud800"}"#).is_err());
    }

    #[test]
    fn password_is_kept_exactly_and_hidden_from_debug() {
        let p = Password::parse("  spaced out  ".to_owned()).unwrap();
        assert_eq!(p.chars(), 14);
        assert_eq!(format!("{p:?}"), "Password(…)");
        assert!(Password::parse(String::new()).is_err());
    }
}
