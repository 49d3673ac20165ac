//! Password changes and the rules a new password must meet.

use super::audit::Event;
use super::error::PasswordRule;
use super::login::LoginOutcome;
use super::organization::Scope;
use super::policy;
use super::{AppSelector, Engine, EngineError, EngineResult};
use crate::domain::{Password, PasswordState, SessionKind, User};

impl Engine {
    /// Checks a new password for the user with `email` against the policy and hashes it.
    pub(crate) async fn hash_new_password(
        &self,
        password: &Password,
        email: &str,
    ) -> EngineResult<String> {
        policy::check(&self.config.password, password, email)?;
        self.hasher
            .hash(password.secret())
            .await
            .map_err(|e| self.hash_error(e))
    }

    /// Stores a user's new password hash and remembers it for the reuse rule.
    pub(crate) async fn store_new_password(
        &self,
        user: &User,
        hash: &str,
    ) -> EngineResult<Option<time::OffsetDateTime>> {
        let expires_at = self.config.password.max_age.map(|age| self.now() + age);
        self.store
            .set_password(&user.id, hash, PasswordState::Ok, expires_at)
            .await?;
        self.store
            .push_password_history(&user.id, hash, self.now(), self.config.password.history)
            .await?;
        Ok(expires_at)
    }

    /// Refuses a password equal to the current one or one of the remembered previous ones.
    pub(crate) async fn check_reuse(&self, user: &User, password: &Password) -> EngineResult<()> {
        let history = self.config.password.history;
        if history == 0 {
            return Ok(());
        }
        let mut hashes = self.store.password_history(&user.id).await?;
        hashes.truncate(usize::try_from(history).unwrap_or(usize::MAX));
        if let Some(current) = &user.password_hash
            && !hashes.contains(&current.0)
        {
            hashes.push(current.0.clone());
        }
        for hash in hashes {
            let verdict = self
                .hasher
                .verify(password.secret(), &hash)
                .await
                .map_err(|e| self.hash_error(e))?;
            if verdict.matched {
                return Err(EngineError::PasswordRejected(PasswordRule::Reused {
                    history,
                }));
            }
        }
        Ok(())
    }

    /// Changes the password of the token's user, with a full or a restricted (`password_update`)
    /// token. Every session of the user ends, the restricted one included; the answer is a
    /// fresh sign-in through the same checks as a login (so a second factor still applies).
    pub async fn change_password(
        &self,
        bearer: impl Into<super::session::Presented<'_>>,
        current: &Password,
        new: Password,
        profile: &super::FaceProfile,
    ) -> EngineResult<LoginOutcome> {
        let bearer = bearer.into();
        let live = self.validate(bearer.token()).await?;
        super::session::refuse_reading_token(&live, bearer)?;
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
            self.audit(Event {
                kind: "password_change",
                outcome: EngineError::CurrentPasswordIncorrect.code(),
                user_id: Some(&user.id),
                ..Event::default()
            })
            .await;
            return Err(EngineError::CurrentPasswordIncorrect);
        }
        let new_hash = self.hash_new_password(&new, &user.email).await?;
        self.check_reuse(&user, &new).await?;
        let expires_at = self.store_new_password(&user, &new_hash).await?;
        self.end_user_sessions(&user.id).await?;
        self.audit(Event {
            kind: "password_change",
            outcome: "success",
            user_id: Some(&user.id),
            ..Event::default()
        })
        .await;
        user.password_state = PasswordState::Ok;
        user.password_expires_at = expires_at;
        let app = self
            .application(&AppSelector::Id(live.session().application_id.clone()))
            .await?;
        let scope = Scope {
            organization: live.session().organization_id.clone(),
            provider: None,
            second_factor: profile.second_factor,
            mfa_via: profile.mfa_via,
            require_organization: false,
            client: live.session().client,
        };
        self.admit(user, &app, &scope).await
    }
}
