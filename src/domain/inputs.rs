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
const PASSWORD_MAX_BYTES: usize = 4096;

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
    fn password_is_kept_exactly_and_hidden_from_debug() {
        let p = Password::parse("  spaced out  ".to_owned()).unwrap();
        assert_eq!(p.chars(), 14);
        assert_eq!(format!("{p:?}"), "Password(…)");
        assert!(Password::parse(String::new()).is_err());
    }
}
