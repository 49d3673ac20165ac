//! Push approval with number matching (issue 5). A push device is a factor holding an Ed25519
//! public key. The signing-in (or stepping-up) client shows a two-digit number; the device
//! lists its pending challenges (without the number), the user types the number shown, and the
//! device signs its answer. The wrong number, a denial or a bad signature fails the challenge.
//!
//! The device authenticates its listing by signing a single-use server nonce:
//! `doorward-device-nonce:{nonce}`. An answer is signed as
//! `doorward-push:{challenge_id}:{approve|deny}:{number}`.

use super::audit::Event;
use super::challenge::ChallengeState;
use super::{Engine, EngineError, EngineResult};
use crate::crypto::token;
use crate::domain::{
    Challenge, ChallengePurpose, ChallengeStatus, Factor, FactorKind, FactorStatus,
};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use ed25519_dalek::{Signature, VerifyingKey};
use secrecy::SecretString;

/// How long a device nonce can be used.
const NONCE_LIFETIME: time::Duration = time::Duration::seconds(60);

/// A device's answer to a push challenge.
#[derive(Debug, Clone)]
pub struct PushAnswer {
    /// Approve or deny.
    pub approve: bool,
    /// The number the user typed on the device.
    pub number: Option<u8>,
    /// base64url Ed25519 signature over the answer (see the module text).
    pub signature: String,
}

/// What a device proves to list its challenges.
#[derive(Clone)]
pub struct DeviceProof {
    /// The push factor's id.
    pub device_id: String,
    /// A nonce from [`Engine::device_nonce`].
    pub nonce: String,
    /// base64url Ed25519 signature over `doorward-device-nonce:{nonce}`.
    pub signature: String,
}

impl std::fmt::Debug for DeviceProof {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DeviceProof")
            .field("device_id", &self.device_id)
            .finish_non_exhaustive()
    }
}

impl Engine {
    /// A single-use nonce for a push device to sign (limited per source address, as sign-ins).
    pub async fn device_nonce(
        &self,
        device_id: &str,
        source: Option<std::net::IpAddr>,
    ) -> EngineResult<SecretString> {
        self.limit_address("device_nonce", source)?;
        let (user_id, _) = self.push_device(device_id).await?;
        let nonce = token::generate();
        self.store
            .insert_one_time_token(
                &token::digest_secret(&nonce),
                &nonce_purpose(device_id),
                &user_id,
                self.now() + NONCE_LIFETIME,
            )
            .await?;
        Ok(nonce)
    }

    /// A device's pending challenges, oldest first, once it proved itself with a signed nonce.
    pub async fn device_challenges(&self, proof: &DeviceProof) -> EngineResult<Vec<Challenge>> {
        let (_, factor) = self.push_device(&proof.device_id).await?;
        let used = self
            .store
            .use_one_time_token(
                &token::digest(&proof.nonce),
                &nonce_purpose(&proof.device_id),
                self.now(),
            )
            .await?;
        let message = format!("doorward-device-nonce:{}", proof.nonce);
        if used.is_none() || !signed_by(&factor, &message, &proof.signature) {
            return Err(EngineError::Unauthenticated);
        }
        Ok(self
            .store
            .pending_push_challenges(&factor.id, self.now())
            .await?)
    }

    /// A device answers a push challenge. Approved with the right number and a good signature,
    /// it steps up the session (step-up) or lets the waiting sign-in collect its session.
    pub async fn answer_push(
        &self,
        challenge_id: &str,
        answer: &PushAnswer,
    ) -> EngineResult<ChallengeState> {
        let challenge = match self.store.challenge_by_id(challenge_id).await? {
            Some(c) if c.kind == FactorKind::Push => c,
            _ => return Err(EngineError::NotFound("challenge")),
        };
        if self.state_of(&challenge) != ChallengeState::Pending {
            return Err(EngineError::ChallengeClosed);
        }
        let device_id = challenge
            .factor_id
            .clone()
            .ok_or_else(|| EngineError::internal("a push challenge without a device"))?;
        let (_, factor) = self.push_device(&device_id).await?;
        let verdict = if !signed_by(
            &factor,
            &answer_message(challenge_id, answer),
            &answer.signature,
        ) {
            Err(EngineError::Unauthenticated)
        } else if answer.approve && answer.number.is_some() && answer.number == challenge.number {
            Ok(ChallengeStatus::Approved)
        } else {
            Ok(ChallengeStatus::Denied)
        };
        let status = verdict.as_ref().map_or(ChallengeStatus::Denied, |s| *s);
        if !self
            .store
            .set_challenge_status(&challenge.id, ChallengeStatus::Pending, status)
            .await?
        {
            return Err(EngineError::ChallengeClosed);
        }
        let outcome = match &verdict {
            Ok(ChallengeStatus::Approved) => "approved",
            Ok(_) => "denied",
            Err(e) => e.code(),
        };
        self.audit(Event {
            kind: "push_answer",
            outcome,
            user_id: Some(&challenge.user_id),
            ..Event::default()
        })
        .await;
        let status = verdict?;
        if status == ChallengeStatus::Approved
            && challenge.purpose == ChallengePurpose::StepUp
            && let Some(session) = self.store.session_by_id(&challenge.session_id).await?
        {
            self.step_up(&session).await?;
        }
        Ok(match status {
            ChallengeStatus::Approved => ChallengeState::Approved,
            _ => ChallengeState::Denied,
        })
    }

    /// An active push factor and its user.
    async fn push_device(&self, device_id: &str) -> EngineResult<(String, Factor)> {
        match self.store.factor_by_id(device_id).await? {
            Some((user, f)) if f.kind == FactorKind::Push && f.status == FactorStatus::Active => {
                Ok((user, f))
            }
            _ => Err(EngineError::NotFound("device")),
        }
    }
}

fn nonce_purpose(device_id: &str) -> String {
    format!("device_nonce:{device_id}")
}

/// The text a device signs to answer.
pub fn answer_message(challenge_id: &str, answer: &PushAnswer) -> String {
    let verdict = if answer.approve { "approve" } else { "deny" };
    // A push without number matching signs an empty number field.
    let number = match answer.number {
        Some(n) => n.to_string(),
        None => String::new(),
    };
    format!("doorward-push:{challenge_id}:{verdict}:{number}")
}

/// Whether `signature` (base64url) is the factor's key's signature of `message`.
fn signed_by(factor: &Factor, message: &str, signature: &str) -> bool {
    let key = factor
        .secret
        .as_deref()
        .and_then(|k| URL_SAFE_NO_PAD.decode(k).ok())
        .and_then(|b| <[u8; 32]>::try_from(b).ok())
        .and_then(|b| VerifyingKey::from_bytes(&b).ok());
    let signature = URL_SAFE_NO_PAD
        .decode(signature.trim_end_matches('='))
        .ok()
        .and_then(|b| <[u8; 64]>::try_from(b).ok())
        .map(|b| Signature::from_bytes(&b));
    match (key, signature) {
        (Some(key), Some(signature)) => key.verify_strict(message.as_bytes(), &signature).is_ok(),
        _ => false,
    }
}
