//! Password changes and the rules a new password must meet.

use super::error::PasswordRule;
use super::login::LoginOutcome;
use super::organization::Scope;
use super::{AppSelector, Engine, EngineError, EngineResult};
use crate::config::PasswordConfig;
use crate::domain::{Password, PasswordState, SessionKind};

/// Checks a new password against the configured rules. Length counts Unicode code points.
pub(crate) fn check_policy(policy: &PasswordConfig, password: &Password) -> EngineResult<()> {
    let length = password.chars();
    if length < policy.min_length {
        return Err(EngineError::PasswordRejected(PasswordRule::TooShort {
            min: policy.min_length,
        }));
    }
    if length > policy.max_length {
        return Err(EngineError::PasswordRejected(PasswordRule::TooLong {
            max: policy.max_length,
        }));
    }
    Ok(())
}

impl Engine {
    /// Checks a new password against the policy and hashes it on the pool.
    pub(crate) async fn hash_new_password(&self, password: &Password) -> EngineResult<String> {
        check_policy(&self.config.password, password)?;
        self.hasher
            .hash(password.secret())
            .await
            .map_err(|e| self.hash_error(e))
    }

    /// Changes the password of the token's user, with a full or a restricted (`password_update`)
    /// token. Every session of the user ends, the restricted one included; the answer is a
    /// fresh sign-in through the same checks as a login (so a second factor still applies).
    pub async fn change_password(
        &self,
        bearer: &str,
        current: &Password,
        new: Password,
    ) -> EngineResult<LoginOutcome> {
        let live = self.validate(bearer).await?;
        match live.session().kind {
            SessionKind::Auth | SessionKind::PasswordUpdate => {}
            SessionKind::MfaPending => return Err(EngineError::TokenRestricted),
        }
        let mut user = live.user().clone();
        let hash = user
            .password_hash
            .as_ref()
            .ok_or(EngineError::CurrentPasswordIncorrect)?;
        let verdict = self
            .hasher
            .verify(current.secret(), &hash.0)
            .await
            .map_err(|e| self.hash_error(e))?;
        if !verdict.matched {
            return Err(EngineError::CurrentPasswordIncorrect);
        }
        let new_hash = self.hash_new_password(&new).await?;
        self.store
            .set_password(&user.id, &new_hash, PasswordState::Ok, None)
            .await?;
        self.end_user_sessions(&user.id).await?;
        user.password_state = PasswordState::Ok;
        user.password_expires_at = None;
        let app = self
            .application(&AppSelector::Id(live.session().application_id.clone()))
            .await?;
        let scope = Scope {
            organization: live.session().organization_id.clone(),
            provider: None,
        };
        self.admit(user, &app, &scope).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pw(text: &str) -> Password {
        Password::parse(text.to_owned()).unwrap()
    }

    #[test]
    fn length_counts_code_points_not_bytes() {
        let policy = PasswordConfig {
            min_length: 8,
            max_length: 10,
        };
        assert!(
            check_policy(&policy, &pw("ééééééé")).is_err(),
            "7 code points, 14 bytes"
        );
        assert!(check_policy(&policy, &pw("éééééééé")).is_ok());
        assert!(matches!(
            check_policy(&policy, &pw("12345678901")),
            Err(EngineError::PasswordRejected(PasswordRule::TooLong {
                max: 10
            }))
        ));
    }
}
