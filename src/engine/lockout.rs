//! Lockout per submitted identifier (DESIGN.md §3 step 4), whether or not an account exists,
//! so a lock reveals nothing.
//!
//! **A lock cannot lock the owner out.** A successful sign-in hands the client a *device token*
//! (kept only as a hash, bound to the identifier). Attempts that present a valid device token
//! count against that device's own bucket; attempts without one (or with someone else's) count
//! against the identifier's shared anonymous bucket. An attacker without the owner's device can
//! lock only the anonymous bucket, and the owner keeps signing in from its device.
//!
//! Counting is atomic in the store: an attempt is reserved *before* its password is checked,
//! and the attempt that reaches the maximum sets the lock, so parallel attempts cannot slip
//! past it and at most `max_failures` passwords are checked per lock period.

use super::audit::Event;
use super::{Engine, EngineError, EngineResult};
use crate::crypto::token;
use crate::store::Attempt;
use secrecy::SecretString;

/// Which bucket an attempt counts against.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Bucket {
    /// The normalised identifier.
    pub identifier: String,
    /// SHA-256 of a valid device token, or empty for the anonymous bucket.
    pub device: String,
}

impl Engine {
    /// The bucket of an attempt: its device's when it presents a valid device token.
    pub(crate) async fn bucket(
        &self,
        identifier: &str,
        device_token: Option<&str>,
    ) -> EngineResult<Bucket> {
        let mut device = String::new();
        if let Some(presented) = device_token {
            let hash = token::digest(presented);
            if self
                .store
                .device_token_valid(&hash, identifier, self.now())
                .await?
            {
                device = hash;
            }
        }
        Ok(Bucket {
            identifier: identifier.to_owned(),
            device,
        })
    }

    /// Counts an attempt before its password is checked; refuses while the bucket is locked.
    pub(crate) async fn reserve_attempt(&self, bucket: &Bucket) -> EngineResult<()> {
        let policy = self.config.lockout;
        let now = self.now();
        let attempt = self
            .store
            .reserve_attempt(
                &bucket.identifier,
                &bucket.device,
                now,
                policy.max_failures,
                now + policy.duration,
            )
            .await?;
        match attempt {
            Attempt::Allowed(count) if count >= policy.max_failures => {
                tracing::info!(
                    anonymous = bucket.device.is_empty(),
                    "identifier locked after failures"
                );
                let outcome = if bucket.device.is_empty() {
                    "locked"
                } else {
                    "device_locked"
                };
                self.audit(Event {
                    kind: "lockout",
                    outcome,
                    identifier: Some(&bucket.identifier),
                    ..Event::default()
                })
                .await;
                Ok(())
            }
            Attempt::Allowed(_) => Ok(()),
            Attempt::Locked(until) => Err(EngineError::AccountLocked {
                until,
                retry_after: (until - now).try_into().unwrap_or_default(),
            }),
        }
    }

    /// Gives back an attempt whose password was never checked (busy pool, home-realm hint).
    pub(crate) async fn release_attempt(&self, bucket: &Bucket) {
        let max = self.config.lockout.max_failures;
        if let Err(e) = self
            .store
            .release_attempt(&bucket.identifier, &bucket.device, max)
            .await
        {
            tracing::warn!(error = %e, "could not release a sign-in attempt");
        }
    }

    /// After a correct password: forgets the bucket's failures and returns the device token
    /// to hand out (the presented one when it was valid, else a new one).
    pub(crate) async fn sign_in_succeeded(
        &self,
        bucket: &Bucket,
        presented: Option<&str>,
    ) -> EngineResult<SecretString> {
        self.store
            .clear_attempts(&bucket.identifier, &bucket.device)
            .await?;
        if let Some(presented) = presented.filter(|_| !bucket.device.is_empty()) {
            return Ok(SecretString::from(presented.to_owned()));
        }
        let device = token::generate();
        let now = self.now();
        self.store
            .insert_device_token(
                &token::digest_secret(&device),
                &bucket.identifier,
                now,
                now + self.config.lockout.device_token_lifetime,
            )
            .await?;
        Ok(device)
    }

    /// Lifts every lock of a user's identifiers (email and username); true if one was locked.
    pub async fn unlock_user(&self, user: &super::UserRef) -> EngineResult<bool> {
        let found = self.user(user).await?;
        let now = self.now();
        let mut locked = self.store.unlock_identifier(&found.email, now).await?;
        if let Some(name) = &found.username {
            locked += self
                .store
                .unlock_identifier(&name.to_lowercase(), now)
                .await?;
        }
        let outcome = if locked > 0 { "success" } else { "not_locked" };
        self.audit(Event {
            kind: "unlock",
            outcome,
            user_id: Some(&found.id),
            ..Event::default()
        })
        .await;
        Ok(locked > 0)
    }
}
