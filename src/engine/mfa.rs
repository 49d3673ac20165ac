//! The second factor of a sign-in (docs/DESIGN.md §3 step 8). A correct password under an MFA policy
//! opens an `mfa_pending` session that nothing accepts but these calls, and challenges the
//! user's preferred factor. A correct answer ends the pending session and opens a full one at
//! `aal2` (a fresh token: the pending one never becomes a full one). Five wrong answers, or a
//! denied push, end the pending session: the user signs in again, through the lockout.

use super::application::AppSelector;
use super::audit::Event;
use super::challenge::{ChallengeState, FactorChoice, IssuedChallenge, Target};
use super::login::LoginOutcome;
use super::session::LiveSession;
use super::{Engine, EngineError, EngineResult};
use crate::domain::{
    Assurance, Challenge, ChallengePurpose, ChallengeStatus, Factor, FactorKind, FactorStatus,
    SessionKind, User,
};

/// A second factor is due: the challenge sent, and the factors the user may switch to.
#[derive(Debug, Clone)]
pub struct MfaDue {
    /// The challenge on the preferred factor.
    pub challenge: IssuedChallenge,
    /// The user's active factors.
    pub factors: Vec<Factor>,
}

/// Where the code of a sign-in goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum MfaVia {
    /// The user's preferred factor (the first enrolled), else the account's email.
    #[default]
    PreferredFactor,
    /// The account's own contact: its phone on file by SMS, else its email (Axonize).
    AccountContact,
}

/// Where a sign-in waiting on a push stands.
#[derive(Debug)]
pub enum MfaPoll {
    /// Not finished: the challenge's state.
    Waiting(ChallengeState),
    /// Approved: the full session (handed out once).
    Done(Box<LoginOutcome>),
}

impl Engine {
    /// Challenges a user whose password was just proven: the preferred factor, or the
    /// account's own contact (its phone on file, else its email) when the face asks for that.
    pub(crate) async fn start_login_mfa(
        &self,
        user: &User,
        session_id: &str,
        via: MfaVia,
    ) -> EngineResult<MfaDue> {
        let choice = match via {
            MfaVia::PreferredFactor => None,
            MfaVia::AccountContact if user.phone.is_some() => {
                Some(FactorChoice::Contact(FactorKind::Sms))
            }
            MfaVia::AccountContact => Some(FactorChoice::Contact(FactorKind::Email)),
        };
        let target = self.choose_target(user, choice.as_ref()).await?;
        let challenge = self
            .issue_challenge(user, session_id, ChallengePurpose::Login, &target, None)
            .await?;
        Ok(MfaDue {
            challenge,
            factors: self.active_factors(user).await?,
        })
    }

    /// Finishes a sign-in with a code (SMS, email or TOTP). Naming a TOTP factor other than
    /// the challenged one switches to it; the counts carry over.
    pub async fn complete_login_mfa(
        &self,
        mfa_token: &str,
        factor: Option<&FactorChoice>,
        code: &str,
    ) -> EngineResult<LoginOutcome> {
        let live = self.pending_mfa(mfa_token).await?;
        let mut challenge = self
            .current_challenge(live.session(), ChallengePurpose::Login)
            .await?;
        if let Some(choice) = factor {
            let target = self.choose_target(live.user(), Some(choice)).await?;
            let switch = target.factor_id() != challenge.factor_id.as_deref()
                && target.kind() == FactorKind::Totp
                && self.state_of(&challenge) == ChallengeState::Pending;
            if switch {
                challenge = self
                    .issue_challenge(
                        live.user(),
                        &live.session().id,
                        ChallengePurpose::Login,
                        &target,
                        Some(&challenge),
                    )
                    .await?
                    .challenge;
            }
        }
        match self.answer_challenge(&challenge, code).await {
            Ok(()) => self.finish_login_mfa(&live).await,
            Err(e) => {
                self.end_if_failed(&live, &challenge.id).await?;
                self.audit_mfa(&live, e.code()).await;
                Err(e)
            }
        }
    }

    /// Sends the code again, or challenges another factor (`factor`); a challenge that ran out
    /// is replaced by a new one. Counts carry over, and sends are capped.
    pub async fn send_login_mfa(
        &self,
        mfa_token: &str,
        factor: Option<&FactorChoice>,
    ) -> EngineResult<IssuedChallenge> {
        let live = self.pending_mfa(mfa_token).await?;
        let current = self
            .current_challenge(live.session(), ChallengePurpose::Login)
            .await?;
        let state = self.state_of(&current);
        if matches!(state, ChallengeState::Denied | ChallengeState::Approved) {
            return Err(EngineError::ChallengeClosed);
        }
        let target = match factor {
            Some(choice) => self.choose_target(live.user(), Some(choice)).await?,
            None => self.target_of(&current).await?,
        };
        let same =
            target.factor_id() == current.factor_id.as_deref() && target.kind() == current.kind;
        if same && state == ChallengeState::Pending && target.kind() != FactorKind::Push {
            return self.resend_challenge(live.user(), &current).await;
        }
        self.issue_challenge(
            live.user(),
            &live.session().id,
            ChallengePurpose::Login,
            &target,
            Some(&current),
        )
        .await
    }

    /// Where a sign-in's challenge stands; once a push is approved, the full session (handed
    /// out to one caller only).
    pub async fn poll_login_mfa(
        &self,
        mfa_token: &str,
        challenge_id: &str,
    ) -> EngineResult<MfaPoll> {
        let live = self.pending_mfa(mfa_token).await?;
        let challenge = self
            .challenge_of(live.session(), challenge_id, ChallengePurpose::Login)
            .await?;
        if challenge.status == ChallengeStatus::Approved
            && self
                .store
                .set_challenge_status(
                    &challenge.id,
                    ChallengeStatus::Approved,
                    ChallengeStatus::Used,
                )
                .await?
        {
            return Ok(MfaPoll::Done(Box::new(self.finish_login_mfa(&live).await?)));
        }
        let state = self.state_of(&challenge);
        if state == ChallengeState::Denied {
            self.end_pending(&live).await?;
        }
        Ok(MfaPoll::Waiting(state))
    }

    /// The user's active factors, first enrolled first.
    pub(crate) async fn active_factors(&self, user: &User) -> EngineResult<Vec<Factor>> {
        Ok(self
            .store
            .factors_of(&user.id)
            .await?
            .into_iter()
            .filter(|f| f.status == FactorStatus::Active)
            .collect())
    }

    /// An `mfa_pending` session for the token; any other kind is refused.
    async fn pending_mfa(&self, mfa_token: &str) -> EngineResult<LiveSession> {
        let live = self.validate(mfa_token).await?;
        match live.session().kind {
            SessionKind::MfaPending => Ok(live),
            SessionKind::Auth | SessionKind::PasswordUpdate => Err(EngineError::TokenRestricted),
        }
    }

    /// Ends the pending session and opens the full one, at `aal2`.
    async fn finish_login_mfa(&self, live: &LiveSession) -> EngineResult<LoginOutcome> {
        let pending = live.session();
        if !self.store.revoke_session(&pending.id, self.now()).await? {
            return Err(EngineError::Unauthenticated);
        }
        self.forget_session(pending);
        let app = self
            .application(&AppSelector::Id(pending.application_id.clone()))
            .await?;
        let organization = match &pending.organization_id {
            Some(id) => self.store.organization_by_id(id).await?,
            None => None,
        };
        let mut session = self
            .open_session(
                live.user(),
                &app,
                organization,
                SessionKind::Auth,
                Assurance::Aal2,
                pending.client,
            )
            .await?;
        session.identities = self.identities_of(live.user()).await?;
        self.audit_mfa(live, "success").await;
        Ok(LoginOutcome::Authenticated(session))
    }

    /// After a wrong answer: when that failed the challenge, the pending session ends too.
    async fn end_if_failed(&self, live: &LiveSession, challenge_id: &str) -> EngineResult<()> {
        let failed = self
            .store
            .challenge_by_id(challenge_id)
            .await?
            .is_some_and(|c| c.status == ChallengeStatus::Failed);
        if failed {
            self.end_pending(live).await?;
        }
        Ok(())
    }

    async fn end_pending(&self, live: &LiveSession) -> EngineResult<()> {
        self.store
            .revoke_session(&live.session().id, self.now())
            .await?;
        self.forget_session(live.session());
        Ok(())
    }

    /// What a challenge went to, to challenge it again.
    async fn target_of(&self, challenge: &Challenge) -> EngineResult<Target> {
        match &challenge.factor_id {
            Some(id) => match self.store.factor_by_id(id).await? {
                Some((_, factor)) if factor.status == FactorStatus::Active => {
                    Ok(Target::Factor(factor))
                }
                _ => Err(EngineError::NotFound("factor")),
            },
            None => {
                let contact = challenge.destination.clone().ok_or_else(|| {
                    EngineError::internal("an account-contact challenge without a destination")
                })?;
                Ok(match challenge.kind {
                    FactorKind::Sms => Target::AccountPhone(contact),
                    _ => Target::AccountEmail(contact),
                })
            }
        }
    }

    async fn audit_mfa(&self, live: &LiveSession, outcome: &str) {
        self.audit(Event {
            kind: "login_mfa",
            outcome,
            user_id: Some(&live.user().id),
            application_id: Some(&live.session().application_id),
            ..Event::default()
        })
        .await;
    }
}
