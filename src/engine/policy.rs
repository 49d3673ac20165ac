//! The rules a new password must meet (README "Password policy"): length in code points, not
//! one of the 10,000 most common passwords (shipped with the binary), not the email's local
//! part, optionally a number of character classes. Reuse of recent passwords needs the hashing
//! pool and is checked in `password.rs`.

use super::error::PasswordRule;
use super::{EngineError, EngineResult};
use crate::config::PasswordConfig;
use crate::domain::Password;
use secrecy::ExposeSecret;
use std::collections::HashSet;
use std::sync::OnceLock;

/// The 10,000 most common passwords, lowercase, one per line (from the zxcvbn crate's
/// frequency list, MIT licence).
const COMMON_PASSWORDS: &str = include_str!("../../data/common-passwords.txt");

/// Local parts shorter than this are too short to rule on (`a@…` would forbid every `a`).
const MIN_LOCAL_PART: usize = 3;

fn common_passwords() -> &'static HashSet<&'static str> {
    static SET: OnceLock<HashSet<&'static str>> = OnceLock::new();
    SET.get_or_init(|| {
        COMMON_PASSWORDS
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty())
            .collect()
    })
}

/// Checks a new password for a user with `email`.
pub(crate) fn check(policy: &PasswordConfig, password: &Password, email: &str) -> EngineResult<()> {
    let reject = |rule| Err(EngineError::PasswordRejected(rule));
    let length = password.chars();
    if length < policy.min_length {
        return reject(PasswordRule::TooShort {
            min: policy.min_length,
        });
    }
    if length > policy.max_length {
        return reject(PasswordRule::TooLong {
            max: policy.max_length,
        });
    }
    let text = password.secret().expose_secret();
    if common_passwords().contains(text.to_lowercase().as_str()) {
        return reject(PasswordRule::TooCommon);
    }
    let local = email.split_once('@').map_or(email, |(local, _)| local);
    if local.chars().count() >= MIN_LOCAL_PART && password.contains_ignoring_case(local) {
        return reject(PasswordRule::ContainsEmail);
    }
    if classes(text) < policy.require_classes {
        return reject(PasswordRule::TooSimple {
            classes: policy.require_classes,
        });
    }
    Ok(())
}

/// How many of lowercase, uppercase, digits and other characters a text uses.
fn classes(text: &str) -> u8 {
    let has = |f: fn(&char) -> bool| u8::from(text.chars().any(|c| f(&c)));
    has(|c| c.is_lowercase())
        + has(|c| c.is_uppercase())
        + has(|c| c.is_numeric())
        + has(|c| !c.is_alphanumeric())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pw(text: &str) -> Password {
        Password::parse(text.to_owned()).unwrap()
    }

    fn rule(policy: &PasswordConfig, text: &str) -> Option<PasswordRule> {
        match check(policy, &pw(text), "annabel@example.test") {
            Ok(()) => None,
            Err(EngineError::PasswordRejected(rule)) => Some(rule),
            Err(other) => panic!("{other:?}"),
        }
    }

    #[test]
    fn length_counts_code_points_not_bytes() {
        let policy = PasswordConfig {
            max_length: 10,
            ..PasswordConfig::default()
        };
        assert_eq!(
            rule(&policy, "ééééééé"),
            Some(PasswordRule::TooShort { min: 8 }),
            "7 code points, 14 bytes"
        );
        assert_eq!(rule(&policy, "éàéàéàéà"), None);
        assert_eq!(
            rule(&policy, "12345678901"),
            Some(PasswordRule::TooLong { max: 10 })
        );
    }

    #[test]
    fn ten_thousand_common_passwords_are_refused_in_any_case() {
        assert_eq!(common_passwords().len(), 10_000);
        let policy = PasswordConfig::default();
        assert_eq!(rule(&policy, "Password1"), Some(PasswordRule::TooCommon));
        assert_eq!(rule(&policy, "baseball"), Some(PasswordRule::TooCommon));
        assert_eq!(rule(&policy, "correct horse battery"), None);
    }

    #[test]
    fn the_email_local_part_is_refused() {
        let policy = PasswordConfig::default();
        assert_eq!(
            rule(&policy, "my name is ANNABEL"),
            Some(PasswordRule::ContainsEmail)
        );
    }

    #[test]
    fn classes_are_required_only_when_configured() {
        let policy = PasswordConfig {
            require_classes: 3,
            ..PasswordConfig::default()
        };
        assert_eq!(
            rule(&policy, "only lowercase words"),
            Some(PasswordRule::TooSimple { classes: 3 })
        );
        assert_eq!(rule(&policy, "Lower and Upper 2"), None);
        assert_eq!(
            rule(&PasswordConfig::default(), "only lowercase words"),
            None
        );
    }
}
