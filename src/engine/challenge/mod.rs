//! Challenges: a 6-digit code by SMS or email, a TOTP code, or a push approval with
//! number matching, for finishing a sign-in, a step-up or proving a new factor.
//!
//! Codes come from the CSPRNG (`123456` in sandbox mode), are kept only as a hash, last five
//! minutes and take at most five answers; a resend replaces the code and sends are capped per
//! challenge. Switching a sign-in or step-up to another factor replaces its challenge and
//! carries the attempt and send counts over, so switching never buys more guesses. Every state
//! change is one conditional store update, so two parallel answers cannot both succeed.

use super::audit::Event;
use super::{Engine, EngineError, EngineResult};
use crate::crypto::otp;
use crate::domain::{
    Challenge, ChallengePurpose, ChallengeStatus, Factor, FactorKind, FactorStatus, Session, User,
};
use ChallengeEvent::{Answered, Sent};
use secrecy::{ExposeSecret, SecretString};
use std::time::Duration;

mod delivery;
mod totp;

use delivery::mask;

/// How long a challenge can be answered.
pub(crate) const CHALLENGE_LIFETIME: Duration = Duration::from_secs(5 * 60);
/// Answers a challenge takes before it fails.
pub(crate) const MAX_ATTEMPTS: u32 = 5;
/// Codes one challenge may send.
pub(crate) const MAX_SENDS: u32 = 5;
/// The code of every challenge in sandbox mode.
const SANDBOX_CODE: &str = "123456";

/// Which factor a client asks for: an id, or a kind (the user's first active one of it).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FactorChoice {
    /// A factor by id.
    Id(String),
    /// The first active factor of a kind (for `email`, the account's address if none).
    Kind(FactorKind),
    /// The account's own contact: its phone on file (`sms`) or its email address (`email`).
    Contact(FactorKind),
}

impl FactorChoice {
    /// A kind name (`sms`, `email`, `totp`, `push`) or else a factor id.
    pub fn parse(text: &str) -> Self {
        FactorKind::parse(text).map_or_else(|| Self::Id(text.to_owned()), Self::Kind)
    }
}

/// What a challenge goes to.
#[derive(Debug, Clone)]
pub(crate) enum Target {
    /// An active factor.
    Factor(Factor),
    /// The account's own email address (a user with no factor, or asking for `email`).
    AccountEmail(String),
    /// The phone number on the account, set by an administrator or an import.
    AccountPhone(String),
}

impl Target {
    pub(crate) fn kind(&self) -> FactorKind {
        match self {
            Self::Factor(f) => f.kind,
            Self::AccountEmail(_) => FactorKind::Email,
            Self::AccountPhone(_) => FactorKind::Sms,
        }
    }

    pub(crate) fn factor_id(&self) -> Option<&str> {
        match self {
            Self::Factor(f) => Some(&f.id),
            Self::AccountEmail(_) | Self::AccountPhone(_) => None,
        }
    }

    /// Where a code goes (phone or address); `None` for TOTP and push.
    fn destination(&self) -> Option<&str> {
        match self {
            Self::Factor(f) => match f.kind {
                FactorKind::Sms => f.phone.as_deref(),
                FactorKind::Email => f.email.as_deref(),
                FactorKind::Totp | FactorKind::Push => None,
            },
            Self::AccountEmail(contact) | Self::AccountPhone(contact) => Some(contact),
        }
    }
}

/// A challenge just made or sent again, as a client may see it.
#[derive(Debug, Clone)]
pub struct IssuedChallenge {
    /// The stored challenge.
    pub challenge: Challenge,
    /// Where the code went, masked (`+44••••••12`, `a•••@example.com`).
    pub destination: Option<String>,
}

/// A challenge's state as a polling client sees it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChallengeState {
    /// Waiting for an answer.
    Pending,
    /// Answered correctly (a push approved).
    Approved,
    /// Denied, wrongly answered too often, or answered with the wrong number.
    Denied,
    /// Ran out of time, or was replaced.
    Expired,
}

impl ChallengeState {
    /// The wire form.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::Approved => "approved",
            Self::Denied => "denied",
            Self::Expired => "expired",
        }
    }
}

impl Engine {
    /// The factor a choice names among the user's active factors; with no choice, the preferred
    /// one (the first enrolled). A user without one is challenged at the account's email.
    pub(crate) async fn choose_target(
        &self,
        user: &User,
        choice: Option<&FactorChoice>,
    ) -> EngineResult<Target> {
        let active: Vec<Factor> = self
            .store
            .factors_of(&user.id)
            .await?
            .into_iter()
            .filter(|f| f.status == FactorStatus::Active)
            .collect();
        let found = match choice {
            Some(FactorChoice::Contact(FactorKind::Sms)) => {
                return user
                    .phone
                    .clone()
                    .map(Target::AccountPhone)
                    .ok_or(EngineError::PhoneMissing);
            }
            Some(FactorChoice::Contact(FactorKind::Email)) => {
                return Ok(Target::AccountEmail(user.email.clone()));
            }
            Some(FactorChoice::Contact(_)) => return Err(EngineError::NotFound("factor")),
            None => active.into_iter().next(),
            Some(FactorChoice::Id(id)) => active.into_iter().find(|f| &f.id == id),
            Some(FactorChoice::Kind(kind)) => active.into_iter().find(|f| f.kind == *kind),
        };
        match (found, choice) {
            (Some(factor), _) => Ok(Target::Factor(factor)),
            (None, None | Some(FactorChoice::Kind(FactorKind::Email))) => {
                Ok(Target::AccountEmail(user.email.clone()))
            }
            (None, Some(_)) => Err(EngineError::NotFound("factor")),
        }
    }

    /// Makes a challenge on `target` and sends its code (or push notice); it replaces the
    /// session's other pending challenges for the purpose. `replacing` is the challenge it takes
    /// over from, whose counts it inherits.
    pub(crate) async fn issue_challenge(
        &self,
        user: &User,
        session_id: &str,
        purpose: ChallengePurpose,
        target: &Target,
        replacing: Option<&Challenge>,
    ) -> EngineResult<IssuedChallenge> {
        self.limit_challenges(user).await?;
        let now = self.now();
        let kind = target.kind();
        let sends_code = matches!(kind, FactorKind::Sms | FactorKind::Email);
        let mut challenge = Challenge {
            id: otp::random_id(),
            user_id: user.id.clone(),
            session_id: session_id.to_owned(),
            purpose,
            factor_id: target.factor_id().map(str::to_owned),
            kind,
            destination: target.destination().map(str::to_owned),
            code_hash: None,
            number: (kind == FactorKind::Push).then(otp::random_number),
            status: ChallengeStatus::Pending,
            attempts: replacing.map_or(0, |c| c.attempts),
            sends: replacing.map_or(0, |c| c.sends) + u32::from(sends_code),
            created_at: now,
            expires_at: now + CHALLENGE_LIFETIME,
        };
        if challenge.sends > MAX_SENDS {
            return Err(self.sends_exhausted(&challenge));
        }
        let code = sends_code.then(|| self.new_code());
        challenge.code_hash = code
            .as_ref()
            .map(|c| otp::code_hash(&challenge.id, c.expose_secret()));
        // One answerable challenge per session and purpose: a new one replaces the others.
        self.store
            .replace_pending_challenges(session_id, purpose)
            .await?;
        self.store.insert_challenge(&challenge).await?;
        self.deliver_challenge(&challenge, code.as_ref()).await?;
        self.audit_challenge(&challenge, Sent, "success").await;
        Ok(IssuedChallenge {
            destination: challenge.destination.as_deref().map(mask),
            challenge,
        })
    }

    /// Sends a pending SMS or email challenge's code again: a new code replaces the old one,
    /// and the challenge gets five minutes more. Capped at [`MAX_SENDS`] sends (then 429).
    pub(crate) async fn resend_challenge(
        &self,
        user: &User,
        challenge: &Challenge,
    ) -> EngineResult<IssuedChallenge> {
        if !matches!(challenge.kind, FactorKind::Sms | FactorKind::Email) {
            // Nothing to send for TOTP; a push is re-announced by a new challenge.
            return Err(EngineError::Validation(vec![
                crate::domain::FieldError::new(
                    "factor",
                    "only SMS and email codes can be sent again",
                ),
            ]));
        }
        match self.state_of(challenge) {
            ChallengeState::Pending => {}
            ChallengeState::Expired if challenge.status == ChallengeStatus::Pending => {
                return Err(EngineError::ChallengeExpired);
            }
            _ => return Err(EngineError::ChallengeClosed),
        }
        if challenge.sends >= MAX_SENDS {
            return Err(self.sends_exhausted(challenge));
        }
        self.limit_challenges(user).await?;
        let code = self.new_code();
        let hash = otp::code_hash(&challenge.id, code.expose_secret());
        let expires_at = self.now() + CHALLENGE_LIFETIME;
        if !self
            .store
            .resend_challenge(&challenge.id, Some(&hash), expires_at, MAX_SENDS)
            .await?
        {
            return Err(self.sends_exhausted(challenge));
        }
        let mut sent = challenge.clone();
        sent.code_hash = Some(hash);
        sent.expires_at = expires_at;
        sent.sends += 1;
        self.deliver_challenge(&sent, Some(&code)).await?;
        self.audit_challenge(&sent, Sent, "success").await;
        Ok(IssuedChallenge {
            destination: sent.destination.as_deref().map(mask),
            challenge: sent,
        })
    }

    /// Answers an SMS, email or TOTP challenge with a code. Success uses the challenge up; a
    /// wrong code counts, and the fifth wrong one fails it.
    pub(crate) async fn answer_challenge(
        &self,
        challenge: &Challenge,
        code: &str,
    ) -> EngineResult<()> {
        let result = self.check_answer(challenge, code).await;
        let outcome = match &result {
            Ok(()) => "success",
            Err(e) => e.code(),
        };
        self.audit_challenge(challenge, Answered, outcome).await;
        result
    }

    async fn check_answer(&self, challenge: &Challenge, code: &str) -> EngineResult<()> {
        if challenge.kind == FactorKind::Push {
            return Err(EngineError::Validation(vec![
                crate::domain::FieldError::new(
                    "code",
                    "a push challenge is answered on the device",
                ),
            ]));
        }
        let now = self.now();
        let Some(counted) = self
            .store
            .count_challenge_attempt(&challenge.id, now, MAX_ATTEMPTS)
            .await?
        else {
            return Err(self.closed_because(&challenge.id).await?);
        };
        let correct = match counted.kind {
            FactorKind::Totp => self.check_totp(&counted, code, now).await?,
            _ => counted
                .code_hash
                .as_deref()
                .is_some_and(|stored| otp::code_matches(&counted.id, code, stored)),
        };
        if correct {
            let used = self
                .store
                .set_challenge_status(&counted.id, ChallengeStatus::Pending, ChallengeStatus::Used)
                .await?;
            return if used {
                Ok(())
            } else {
                // A parallel answer used it first.
                Err(EngineError::ChallengeClosed)
            };
        }
        if counted.attempts >= MAX_ATTEMPTS {
            self.store
                .set_challenge_status(
                    &counted.id,
                    ChallengeStatus::Pending,
                    ChallengeStatus::Failed,
                )
                .await?;
        }
        Err(EngineError::InvalidCode)
    }

    /// Why a challenge takes no answer: it ran out of time, or it is closed.
    async fn closed_because(&self, id: &str) -> EngineResult<EngineError> {
        let current = self.store.challenge_by_id(id).await?;
        Ok(match current {
            Some(c) if c.status == ChallengeStatus::Pending && self.now() >= c.expires_at => {
                EngineError::ChallengeExpired
            }
            _ => EngineError::ChallengeClosed,
        })
    }

    /// A challenge's state as a polling client sees it.
    pub(crate) fn state_of(&self, challenge: &Challenge) -> ChallengeState {
        match challenge.status {
            ChallengeStatus::Pending if self.now() >= challenge.expires_at => {
                ChallengeState::Expired
            }
            ChallengeStatus::Pending => ChallengeState::Pending,
            ChallengeStatus::Approved | ChallengeStatus::Used => ChallengeState::Approved,
            ChallengeStatus::Denied | ChallengeStatus::Failed => ChallengeState::Denied,
            ChallengeStatus::Replaced => ChallengeState::Expired,
        }
    }

    /// The newest challenge of a session for a purpose.
    pub(crate) async fn current_challenge(
        &self,
        session: &Session,
        purpose: ChallengePurpose,
    ) -> EngineResult<Challenge> {
        self.store
            .current_challenge(&session.id, purpose)
            .await?
            .ok_or(EngineError::NotFound("challenge"))
    }

    /// A challenge by id that belongs to `session` and serves `purpose`; anything else is
    /// "not found", so ids of other sessions reveal nothing.
    pub(crate) async fn challenge_of(
        &self,
        session: &Session,
        id: &str,
        purpose: ChallengePurpose,
    ) -> EngineResult<Challenge> {
        match self.store.challenge_by_id(id).await? {
            Some(c) if c.session_id == session.id && c.purpose == purpose => Ok(c),
            _ => Err(EngineError::NotFound("challenge")),
        }
    }

    /// Challenges started and codes sent, per user, across every instance.
    async fn limit_challenges(&self, user: &User) -> EngineResult<()> {
        let rate = self.config.rate_limits.challenge_per_user;
        self.limit("challenge", None, &user.id, rate).await
    }

    fn new_code(&self) -> SecretString {
        if self.config.sandbox {
            SecretString::from(SANDBOX_CODE.to_owned())
        } else {
            otp::random_code()
        }
    }

    /// 429 until the challenge runs out.
    fn sends_exhausted(&self, challenge: &Challenge) -> EngineError {
        let left = (challenge.expires_at - self.now()).max(time::Duration::seconds(1));
        EngineError::RateLimited {
            retry_after: Duration::from_secs(left.whole_seconds().unsigned_abs()),
            limit: MAX_SENDS,
        }
    }

    async fn audit_challenge(
        &self,
        challenge: &Challenge,
        event: ChallengeEvent,
        outcome: &'static str,
    ) {
        let (name, label) = match event {
            Sent => ("challenge_sent", "sent"),
            Answered => ("challenge_answered", "answered"),
        };
        self.metrics.challenge(
            label,
            challenge.purpose.as_str(),
            challenge.kind.as_str(),
            outcome,
        );
        let kind = format!("{name}:{}:{}", challenge.purpose, challenge.kind);
        self.audit(Event {
            kind: &kind,
            outcome,
            user_id: Some(&challenge.user_id),
            ..Event::default()
        })
        .await;
    }
}

/// What happened to a challenge, for the audit trail and the metrics.
#[derive(Debug, Clone, Copy)]
enum ChallengeEvent {
    Sent,
    Answered,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_choice_is_a_kind_or_an_id() {
        assert_eq!(
            FactorChoice::parse("sms"),
            FactorChoice::Kind(FactorKind::Sms)
        );
        assert_eq!(
            FactorChoice::parse("0b6e…"),
            FactorChoice::Id("0b6e…".to_owned())
        );
    }
}
