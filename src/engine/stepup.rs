//! Step-up (issue 5): a full session proves a second factor again before a sensitive action.
//! A step-up (and the second factor of a sign-in) lasts `stepup.validity`; actions that need
//! one answer `step_up_required` after that.

use super::challenge::{ChallengeState, FactorChoice, IssuedChallenge};
use super::session::LiveSession;
use super::session::Presented;
use super::{Engine, EngineError, EngineResult};
use crate::domain::{ChallengePurpose, Session};
use time::OffsetDateTime;

/// A session's step-up, as just proven.
#[derive(Debug, Clone, Copy)]
pub struct StepUp {
    /// When the second factor was proven.
    pub at: OffsetDateTime,
    /// When it stops counting.
    pub until: OffsetDateTime,
}

impl Engine {
    /// Starts a step-up of the bearer's session on a factor (the preferred one if none).
    pub async fn start_step_up(
        &self,
        bearer: impl Into<Presented<'_>>,
        factor: Option<&FactorChoice>,
    ) -> EngineResult<IssuedChallenge> {
        let bearer = bearer.into();
        let live = self.managed_session(bearer).await?;
        let target = self.choose_target(live.user(), factor).await?;
        if target.kind() == crate::domain::FactorKind::Push {
            // One push at a time: the user is asked to match one number, not several.
            let in_flight = self
                .store
                .pending_push_challenges(
                    target
                        .factor_id()
                        .ok_or_else(|| EngineError::internal("a push target without a device"))?,
                    self.now(),
                )
                .await?
                .iter()
                .any(|c| c.session_id == live.session().id);
            if in_flight {
                return Err(EngineError::ChallengePending);
            }
        }
        self.issue_challenge(
            live.user(),
            &live.session().id,
            ChallengePurpose::StepUp,
            &target,
            None,
        )
        .await
    }

    /// Sends a step-up challenge's code again.
    pub async fn resend_step_up(
        &self,
        bearer: impl Into<Presented<'_>>,
        challenge_id: &str,
    ) -> EngineResult<IssuedChallenge> {
        let bearer = bearer.into();
        let live = self.managed_session(bearer).await?;
        let challenge = self
            .challenge_of(live.session(), challenge_id, ChallengePurpose::StepUp)
            .await?;
        self.resend_challenge(live.user(), &challenge).await
    }

    /// Answers a step-up challenge with a code; the session is stepped up on success.
    pub async fn verify_step_up(
        &self,
        bearer: impl Into<Presented<'_>>,
        challenge_id: &str,
        code: &str,
    ) -> EngineResult<StepUp> {
        let bearer = bearer.into();
        let live = self.managed_session(bearer).await?;
        let challenge = self
            .challenge_of(live.session(), challenge_id, ChallengePurpose::StepUp)
            .await?;
        self.answer_challenge(&challenge, code).await?;
        self.step_up(live.session()).await
    }

    /// Answers the session's newest step-up challenge (for faces whose clients do not name it).
    pub async fn verify_current_step_up(
        &self,
        bearer: impl Into<Presented<'_>>,
        code: &str,
    ) -> EngineResult<StepUp> {
        let bearer = bearer.into();
        let live = self.managed_session(bearer).await?;
        let challenge = self
            .store
            .current_challenge(&live.session().id, ChallengePurpose::StepUp)
            .await?
            .ok_or(EngineError::ChallengeClosed)?;
        self.answer_challenge(&challenge, code).await?;
        self.step_up(live.session()).await
    }

    /// Where a step-up challenge stands (for a client waiting on a push).
    pub async fn step_up_state(
        &self,
        bearer: &str,
        challenge_id: &str,
    ) -> EngineResult<ChallengeState> {
        let live = self.session(bearer).await?;
        let challenge = self
            .challenge_of(live.session(), challenge_id, ChallengePurpose::StepUp)
            .await?;
        Ok(self.state_of(&challenge))
    }

    /// Refuses with `step_up_required` unless the session proved a second factor recently.
    pub(crate) fn require_step_up(&self, live: &LiveSession) -> EngineResult<()> {
        match self.step_up_until(live.session()) {
            Some(until) if self.now() < until => Ok(()),
            _ => Err(EngineError::StepUpRequired),
        }
    }

    /// Until when a session's last step-up counts, if it has one.
    pub fn step_up_until(&self, session: &Session) -> Option<OffsetDateTime> {
        session
            .stepped_up_at
            .map(|at| at + self.config.stepup.validity)
    }

    /// Records a proven second factor in a session (assurance `aal2`). This instance sees it at
    /// once; others within the session cache's second.
    pub(crate) async fn step_up(&self, session: &Session) -> EngineResult<StepUp> {
        let at = self.now();
        self.store.step_up_session(&session.id, at).await?;
        self.forget_session(session);
        self.audit(super::audit::Event {
            kind: "stepup",
            outcome: "success",
            user_id: Some(&session.user_id),
            application_id: Some(&session.application_id),
            ..super::audit::Event::default()
        })
        .await;
        Ok(StepUp {
            at,
            until: at + self.config.stepup.validity,
        })
    }
}
