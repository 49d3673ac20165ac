//! A user's own second factors (issue 5): list, enrol (SMS, email, TOTP, push), prove, remove.
//! SMS, email and TOTP factors start `pending_verification` and become usable only once a code
//! proves them: a phone is never texted a sign-in code before it was verified. Enrolling a push
//! device and removing any factor need a stepped-up session.

use super::audit::Event;
use super::challenge::{IssuedChallenge, Target};
use super::session::LiveSession;
use super::session::Presented;
use super::{Engine, EngineError, EngineResult};
use crate::crypto::{keys, otp};
use crate::domain::{ChallengePurpose, Email, Factor, FactorKind, FactorStatus, FieldError};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use secrecy::{ExposeSecret, SecretString};

/// Longest push device name.
const MAX_NAME_CHARS: usize = 100;

/// A factor just enrolled, with what the client needs to prove it.
#[derive(Debug)]
pub struct Enrolment {
    /// The new factor.
    pub factor: Factor,
    /// The code sent to prove it (SMS, email).
    pub challenge: Option<IssuedChallenge>,
    /// The TOTP secret, shown once.
    pub secret: Option<SecretString>,
    /// The TOTP `otpauth://` URI, shown once.
    pub otpauth_uri: Option<SecretString>,
}

impl Engine {
    /// The bearer's factors (pending and active), first enrolled first.
    pub async fn factors(&self, bearer: &str) -> EngineResult<Vec<Factor>> {
        let live = self.session(bearer).await?;
        Ok(self
            .store
            .factors_of(&live.user().id)
            .await?
            .into_iter()
            .filter(|f| f.status != FactorStatus::Inactive)
            .collect())
    }

    /// Enrols a phone (E.164) and texts it a code. A phone already active as a factor is
    /// refused (`factor_already_registered`).
    pub async fn enrol_sms(
        &self,
        bearer: impl Into<Presented<'_>>,
        phone: &str,
    ) -> EngineResult<Enrolment> {
        let phone = parse_phone(phone)?;
        let bearer = bearer.into();
        let live = self.managed_session(bearer).await?;
        let registered = self
            .active_factors(live.user())
            .await?
            .iter()
            .any(|f| f.kind == FactorKind::Sms && f.phone.as_deref() == Some(phone.as_str()));
        if registered {
            return Err(EngineError::FactorAlreadyRegistered);
        }
        let factor = new_factor(FactorKind::Sms, FactorStatus::PendingVerification);
        let factor = Factor {
            phone: Some(phone),
            ..factor
        };
        self.enrol_with_code(bearer, factor).await
    }

    /// Enrols the phone number on the user's account (`phone_missing` if there is none).
    pub async fn enrol_account_phone(
        &self,
        bearer: impl Into<Presented<'_>>,
    ) -> EngineResult<Enrolment> {
        let bearer = bearer.into();
        let live = self.managed_session(bearer).await?;
        let phone = live.user().phone.clone().ok_or(EngineError::PhoneMissing)?;
        self.enrol_sms(bearer, &phone).await
    }

    /// Proves the newest pending factor of a kind. With none pending, an active one of that
    /// kind answers `factor_already_registered`; no factor at all, `challenge_closed`.
    pub async fn verify_pending_factor(
        &self,
        bearer: impl Into<Presented<'_>>,
        kind: FactorKind,
        code: &str,
    ) -> EngineResult<Factor> {
        let bearer = bearer.into();
        let live = self.managed_session(bearer).await?;
        let factors = self.store.factors_of(&live.user().id).await?;
        let pending = factors
            .iter()
            .rev()
            .find(|f| f.kind == kind && f.status == FactorStatus::PendingVerification);
        match pending {
            Some(factor) => self.verify_factor(bearer, &factor.id, code).await,
            None if factors
                .iter()
                .any(|f| f.kind == kind && f.status == FactorStatus::Active) =>
            {
                Err(EngineError::FactorAlreadyRegistered)
            }
            None => Err(EngineError::ChallengeClosed),
        }
    }

    /// Removes the user's active factors of a kind. Needs a step-up.
    pub async fn remove_factors_of_kind(
        &self,
        bearer: impl Into<Presented<'_>>,
        kind: FactorKind,
    ) -> EngineResult<()> {
        let bearer = bearer.into();
        let live = self.managed_session(bearer).await?;
        let factors: Vec<Factor> = self
            .active_factors(live.user())
            .await?
            .into_iter()
            .filter(|f| f.kind == kind)
            .collect();
        if factors.is_empty() {
            return Err(EngineError::NotFound("factor"));
        }
        self.require_step_up(&live)?;
        for factor in &factors {
            self.store
                .delete_factor(&live.user().id, &factor.id)
                .await?;
            self.audit_factor(&live, "factor_remove", factor).await;
        }
        Ok(())
    }

    /// Enrols an email address (the account's own when none is given) and mails it a code.
    pub async fn enrol_email(
        &self,
        bearer: impl Into<Presented<'_>>,
        email: Option<&Email>,
    ) -> EngineResult<Enrolment> {
        let bearer = bearer.into();
        let live = self.managed_session(bearer).await?;
        let address = email.map_or_else(|| live.user().email.clone(), |e| e.as_str().to_owned());
        let factor = Factor {
            email: Some(address),
            ..new_factor(FactorKind::Email, FactorStatus::PendingVerification)
        };
        self.enrol_with_code(bearer, factor).await
    }

    /// Enrols an authenticator app: a new secret, proven by a first code.
    pub async fn enrol_totp(&self, bearer: impl Into<Presented<'_>>) -> EngineResult<Enrolment> {
        let bearer = bearer.into();
        let live = self.managed_session(bearer).await?;
        let secret = otp::new_totp_secret();
        let factor = Factor {
            secret: Some(self.seal_totp_secret(&secret)?),
            ..new_factor(FactorKind::Totp, FactorStatus::PendingVerification)
        };
        self.store
            .insert_factor(&live.user().id, &factor, self.now())
            .await?;
        let challenge = self
            .issue_challenge(
                live.user(),
                &factor.id,
                ChallengePurpose::Enrol,
                &Target::Factor(factor.clone()),
                None,
            )
            .await?;
        self.audit_factor(&live, "factor_enrol", &factor).await;
        let uri = otp::otpauth_uri(
            &self.config.access_token.issuer,
            &live.user().email,
            &secret,
        );
        Ok(Enrolment {
            factor,
            challenge: Some(challenge),
            secret: Some(secret),
            otpauth_uri: Some(SecretString::from(uri)),
        })
    }

    /// Enrols a push device by its Ed25519 public key (base64url). Needs a step-up.
    pub async fn enrol_push(
        &self,
        bearer: impl Into<Presented<'_>>,
        public_key: &str,
        name: Option<&str>,
    ) -> EngineResult<Enrolment> {
        let bearer = bearer.into();
        let live = self.managed_session(bearer).await?;
        let key = parse_public_key(public_key)?;
        let name = match name.map(str::trim) {
            Some(n) if n.chars().count() > MAX_NAME_CHARS => {
                return Err(EngineError::Validation(vec![FieldError::new(
                    "name",
                    "is longer than 100 characters",
                )]));
            }
            Some(n) if !n.is_empty() => Some(n.to_owned()),
            _ => None,
        };
        self.require_step_up(&live)?;
        let factor = Factor {
            secret: Some(key),
            name,
            ..new_factor(FactorKind::Push, FactorStatus::Active)
        };
        self.store
            .insert_factor(&live.user().id, &factor, self.now())
            .await?;
        self.audit_factor(&live, "factor_enrol", &factor).await;
        Ok(Enrolment {
            factor,
            challenge: None,
            secret: None,
            otpauth_uri: None,
        })
    }

    /// Proves a pending factor with the code it was sent (or a TOTP code); it becomes active.
    pub async fn verify_factor(
        &self,
        bearer: impl Into<Presented<'_>>,
        id: &str,
        code: &str,
    ) -> EngineResult<Factor> {
        let bearer = bearer.into();
        let live = self.managed_session(bearer).await?;
        let factor = self.own_factor(&live, id).await?;
        if factor.status != FactorStatus::PendingVerification {
            return Err(EngineError::ChallengeClosed);
        }
        let challenge = self
            .store
            .current_challenge(&factor.id, ChallengePurpose::Enrol)
            .await?
            .ok_or(EngineError::ChallengeClosed)?;
        self.answer_challenge(&challenge, code).await?;
        self.store
            .set_factor_status(&factor.id, FactorStatus::Active)
            .await?;
        let factor = Factor {
            status: FactorStatus::Active,
            ..factor
        };
        self.audit_factor(&live, "factor_verify", &factor).await;
        Ok(factor)
    }

    /// Sends a pending factor's code again.
    pub async fn resend_factor_code(
        &self,
        bearer: impl Into<Presented<'_>>,
        id: &str,
    ) -> EngineResult<IssuedChallenge> {
        let bearer = bearer.into();
        let live = self.managed_session(bearer).await?;
        let factor = self.own_factor(&live, id).await?;
        let challenge = self
            .store
            .current_challenge(&factor.id, ChallengePurpose::Enrol)
            .await?
            .filter(|_| factor.status == FactorStatus::PendingVerification)
            .ok_or(EngineError::ChallengeClosed)?;
        self.resend_challenge(live.user(), &challenge).await
    }

    /// Turns the user's own second factor at sign-in on or off. Turning it off weakens the
    /// account, so it needs a step-up; turning it on does not. Every session of the user is
    /// re-read (the cached user changes).
    pub async fn set_own_mfa(
        &self,
        bearer: impl Into<Presented<'_>>,
        enabled: bool,
    ) -> EngineResult<()> {
        let bearer = bearer.into();
        let live = self.managed_session(bearer).await?;
        if !enabled && live.user().mfa {
            self.require_step_up(&live)?;
        }
        self.store.set_user_mfa(&live.user().id, enabled).await?;
        self.sessions.remove_user(&live.user().id);
        self.audit(Event {
            kind: if enabled {
                "mfa_enabled"
            } else {
                "mfa_disabled"
            },
            outcome: "success",
            user_id: Some(&live.user().id),
            application_id: Some(&live.session().application_id),
            ..Event::default()
        })
        .await;
        Ok(())
    }

    /// Removes one of the bearer's factors. Needs a step-up.
    pub async fn remove_factor(
        &self,
        bearer: impl Into<Presented<'_>>,
        id: &str,
    ) -> EngineResult<()> {
        let bearer = bearer.into();
        let live = self.managed_session(bearer).await?;
        let factor = self.own_factor(&live, id).await?;
        self.require_step_up(&live)?;
        if !self
            .store
            .delete_factor(&live.user().id, &factor.id)
            .await?
        {
            return Err(EngineError::NotFound("factor"));
        }
        self.audit_factor(&live, "factor_remove", &factor).await;
        Ok(())
    }

    /// Stores a factor that a sent code proves, and sends it.
    async fn enrol_with_code(
        &self,
        bearer: impl Into<Presented<'_>>,
        factor: Factor,
    ) -> EngineResult<Enrolment> {
        let bearer = bearer.into();
        let live = self.managed_session(bearer).await?;
        self.store
            .insert_factor(&live.user().id, &factor, self.now())
            .await?;
        let issued = self
            .issue_challenge(
                live.user(),
                &factor.id,
                ChallengePurpose::Enrol,
                &Target::Factor(factor.clone()),
                None,
            )
            .await;
        let challenge = match issued {
            Ok(challenge) => challenge,
            Err(e) => {
                // Nothing half-made stays behind when the code could not be sent.
                self.store
                    .delete_factor(&live.user().id, &factor.id)
                    .await?;
                return Err(e);
            }
        };
        self.audit_factor(&live, "factor_enrol", &factor).await;
        Ok(Enrolment {
            factor,
            challenge: Some(challenge),
            secret: None,
            otpauth_uri: None,
        })
    }

    /// A TOTP secret as stored: sealed with `keys.encryption_key` when one is configured
    /// (imported secrets, and those stored without a key, are plain base32).
    fn seal_totp_secret(&self, secret: &SecretString) -> EngineResult<String> {
        match self.config.keys.encryption_key.as_ref() {
            Some(kek) => keys::seal_bytes(secret.expose_secret().as_bytes(), Some(kek))
                .map_err(EngineError::internal),
            None => Ok(secret.expose_secret().to_owned()),
        }
    }

    /// One of the session user's factors; another user's is "not found".
    async fn own_factor(&self, live: &LiveSession, id: &str) -> EngineResult<Factor> {
        match self.store.factor_by_id(id).await? {
            Some((user_id, factor)) if user_id == live.user().id => Ok(factor),
            _ => Err(EngineError::NotFound("factor")),
        }
    }

    async fn audit_factor(&self, live: &LiveSession, kind: &str, factor: &Factor) {
        let kind = format!("{kind}:{}", factor.kind);
        self.audit(Event {
            kind: &kind,
            outcome: "success",
            user_id: Some(&live.user().id),
            application_id: Some(&live.session().application_id),
            ..Event::default()
        })
        .await;
    }
}

fn new_factor(kind: FactorKind, status: FactorStatus) -> Factor {
    Factor {
        id: uuid::Uuid::new_v4().to_string(),
        kind,
        phone: None,
        email: None,
        secret: None,
        status,
        name: None,
    }
}

/// An E.164 number: `+`, a non-zero digit, 7 to 15 digits in all.
pub(crate) fn parse_phone(text: &str) -> EngineResult<String> {
    let valid = text.strip_prefix('+').is_some_and(|digits| {
        (7..=15).contains(&digits.len())
            && digits.bytes().all(|b| b.is_ascii_digit())
            && !digits.starts_with('0')
    });
    if valid {
        Ok(text.to_owned())
    } else {
        Err(EngineError::Validation(vec![FieldError::new(
            "phone",
            "must be an E.164 number such as +447700900123",
        )]))
    }
}

/// A base64url Ed25519 public key of 32 bytes that is a valid curve point.
fn parse_public_key(text: &str) -> EngineResult<String> {
    let invalid = || {
        EngineError::Validation(vec![FieldError::new(
            "public_key",
            "must be a base64url Ed25519 public key (32 bytes)",
        )])
    };
    let bytes: [u8; 32] = URL_SAFE_NO_PAD
        .decode(text.trim_end_matches('='))
        .map_err(|_| invalid())?
        .try_into()
        .map_err(|_| invalid())?;
    ed25519_dalek::VerifyingKey::from_bytes(&bytes).map_err(|_| invalid())?;
    Ok(URL_SAFE_NO_PAD.encode(bytes))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn phones_must_be_e164() {
        assert!(parse_phone("+447700900123").is_ok());
        for bad in [
            "447700900123",
            "+0447700900",
            "+44 7700 900",
            "+123456",
            "+1234567890123456",
            "+",
        ] {
            assert!(parse_phone(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn push_keys_must_be_32_byte_points() {
        let key = ed25519_dalek::SigningKey::from_bytes(&[7u8; 32]);
        let text = URL_SAFE_NO_PAD.encode(key.verifying_key().to_bytes());
        assert_eq!(parse_public_key(&text).unwrap(), text);
        assert!(parse_public_key("AAAA").is_err());
        assert!(parse_public_key("not base64!").is_err());
    }
}
