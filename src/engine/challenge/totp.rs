//! TOTP answers: the factor's code now (±1 step), accepted once per time step.

use super::super::{Engine, EngineError, EngineResult};
use crate::crypto::otp;
use crate::domain::Challenge;
use secrecy::SecretString;

impl Engine {
    /// Whether `code` is the factor's TOTP now (±1 step) and its step was not accepted before.
    pub(super) async fn check_totp(
        &self,
        challenge: &Challenge,
        code: &str,
        now: time::OffsetDateTime,
    ) -> EngineResult<bool> {
        let factor_id = challenge
            .factor_id
            .as_deref()
            .ok_or_else(|| EngineError::internal("TOTP challenge without a factor"))?;
        let Some((_, factor)) = self.store.factor_by_id(factor_id).await? else {
            return Err(EngineError::ChallengeClosed);
        };
        let stored = factor
            .secret
            .ok_or_else(|| EngineError::internal("a TOTP factor without a secret"))?;
        let secret = if stored.starts_with("enc:") || stored.starts_with("plain:") {
            let opened =
                crate::crypto::keys::open_bytes(&stored, self.config.keys.encryption_key.as_ref())
                    .and_then(|bytes| String::from_utf8(bytes).ok());
            match opened {
                Some(text) => SecretString::from(text),
                None => {
                    return Err(EngineError::internal(
                        "a TOTP secret cannot be opened: keys.encryption_key is missing or wrong",
                    ));
                }
            }
        } else {
            SecretString::from(stored)
        };
        let Some(step) = otp::totp_match(&secret, code, otp::totp_step(now.unix_timestamp()))
        else {
            return Ok(false);
        };
        // One acceptance per time step: a replay (or a parallel twin) is refused here.
        Ok(self.store.use_totp_step(factor_id, step).await?)
    }
}
