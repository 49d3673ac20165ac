//! Account activation and forgotten passwords, by single-use tokens sent to the user's email.
//! Both requests answer the same whether or not the account exists; tokens are 256-bit,
//! stored as hashes, single use (consumed atomically) and short-lived.

use super::audit::Event;
use super::{Engine, EngineError, EngineResult};
use crate::crypto::token;
use crate::domain::{Email, Password, User, UserStatus};
use secrecy::ExposeSecret;
use std::net::IpAddr;
use time::Duration;

/// How long an activation token is valid.
const ACTIVATION_LIFETIME: Duration = Duration::hours(24);
/// How long a password reset token is valid.
const RESET_LIFETIME: Duration = Duration::minutes(30);
const ACTIVATION: &str = "activation";
const RESET: &str = "password_reset";

impl Engine {
    /// Sends an activation token to a pending account. Answers alike for every address.
    pub async fn send_activation(&self, email: &Email, source: Option<IpAddr>) -> EngineResult<()> {
        let rate = self.config.rate_limits.send_per_identifier;
        self.limit("send", source, email.as_str(), rate).await?;
        let Some(user) = self.store.user_by_email(email.as_str()).await? else {
            return Ok(());
        };
        if user.status != UserStatus::PendingActivation {
            return Ok(());
        }
        let code = self
            .one_time_token(&user, ACTIVATION, ACTIVATION_LIFETIME)
            .await?;
        let body = format!(
            "Welcome. Activate your account with this code (valid 24 hours, single use):\n\n{code}\n\n\
             POST /v1/activation {{\"token\": \"{code}\"}}\n"
        );
        self.send_email(&user.email, "Activate your account", body)
            .await
    }

    /// Activates the account a token was sent for.
    pub async fn activate(&self, presented: &str, source: Option<IpAddr>) -> EngineResult<User> {
        self.limit_address("verify", source)?;
        let hash = token::digest(presented);
        let user_id = self
            .store
            .use_one_time_token(&hash, ACTIVATION, self.now())
            .await?
            .ok_or(EngineError::InvalidCode)?;
        let user = self.user(&super::UserRef::Id(user_id)).await?;
        let actor = crate::domain::Actor::User(user.id.clone());
        self.set_user_status(
            &actor,
            &super::UserRef::Id(user.id.clone()),
            UserStatus::Active,
        )
        .await
    }

    /// Sends a password reset token. Answers alike for every address; never locks anything.
    pub async fn request_password_reset(
        &self,
        email: &Email,
        source: Option<IpAddr>,
    ) -> EngineResult<()> {
        let rate = self.config.rate_limits.send_per_identifier;
        self.limit("send", source, email.as_str(), rate).await?;
        let Some(user) = self.store.user_by_email(email.as_str()).await? else {
            return Ok(());
        };
        if user.status == UserStatus::Disabled || user.external_idp.is_some() {
            return Ok(());
        }
        let code = self.one_time_token(&user, RESET, RESET_LIFETIME).await?;
        let body = format!(
            "Someone asked to reset your password. If it was you, use this code within 30 minutes \
             (single use):\n\n{code}\n\nPOST /v1/password/reset {{\"token\": \"{code}\", \"new_password\": \"…\"}}\n\
             If it was not you, ignore this message.\n"
        );
        self.send_email(&user.email, "Reset your password", body)
            .await
    }

    /// Sets a new password with a reset token: every session of the user ends, the
    /// identifier's locks are lifted, and nobody is signed in.
    pub async fn reset_password(
        &self,
        presented: &str,
        new: Password,
        source: Option<IpAddr>,
    ) -> EngineResult<()> {
        self.limit_address("verify", source)?;
        let hash = token::digest(presented);
        let user_id = self
            .store
            .peek_one_time_token(&hash, RESET, self.now())
            .await?
            .ok_or(EngineError::InvalidCode)?;
        let user = self.user(&super::UserRef::Id(user_id)).await?;
        let new_hash = self.hash_new_password(&new, &user.email).await?;
        self.check_reuse(&user, &new).await?;
        // Consumed only now, atomically: a policy refusal leaves the token usable.
        self.store
            .use_one_time_token(&hash, RESET, self.now())
            .await?
            .ok_or(EngineError::InvalidCode)?;
        self.store_new_password(&user, &new_hash).await?;
        self.end_user_sessions(&user.id).await?;
        if self
            .store
            .unlock_identifier(&user.email, self.now())
            .await?
            > 0
        {
            self.metrics.lockout("lifted");
        }
        self.audit(Event {
            kind: "password_reset",
            outcome: "success",
            user_id: Some(&user.id),
            ..Event::default()
        })
        .await;
        Ok(())
    }

    async fn one_time_token(
        &self,
        user: &User,
        purpose: &str,
        lifetime: Duration,
    ) -> EngineResult<String> {
        let code = token::generate();
        self.store
            .insert_one_time_token(
                &token::digest_secret(&code),
                purpose,
                &user.id,
                self.now() + lifetime,
            )
            .await?;
        Ok(code.expose_secret().to_owned())
    }
}
