//! Second factors, their challenges and step-up: the [`FactorStore`] part of the store, with
//! the SQL both backends share. Every state change a race could double (a code used twice, a
//! TOTP step replayed, a challenge answered twice) is one conditional `UPDATE`.

use super::StoreResult;
use super::rows::{self, ChallengeRow, OwnedFactorRow, ts};
use super::sql::{RowsAffected, sql_impl};
use crate::domain::{Challenge, ChallengePurpose, ChallengeStatus, Factor, FactorStatus};
use async_trait::async_trait;
use time::OffsetDateTime;

/// The persistence of second factors and challenges.
#[async_trait]
pub trait FactorStore: Send + Sync {
    /// A factor by id, with its user's id.
    async fn factor_by_id(&self, id: &str) -> StoreResult<Option<(String, Factor)>>;
    /// Stores a new factor of a user.
    async fn insert_factor(
        &self,
        user_id: &str,
        factor: &Factor,
        at: OffsetDateTime,
    ) -> StoreResult<()>;
    /// Changes a factor's state.
    async fn set_factor_status(&self, id: &str, status: FactorStatus) -> StoreResult<()>;
    /// Removes a factor of a user (and its challenges); `false` if the user has no such factor.
    async fn delete_factor(&self, user_id: &str, id: &str) -> StoreResult<bool>;
    /// Records that a TOTP factor accepted a code of time step `step`; `false` when that step
    /// (or a later one) was already accepted: a replay.
    async fn use_totp_step(&self, id: &str, step: i64) -> StoreResult<bool>;

    /// Stores a new challenge.
    async fn insert_challenge(&self, challenge: &Challenge) -> StoreResult<()>;
    /// A challenge by id.
    async fn challenge_by_id(&self, id: &str) -> StoreResult<Option<Challenge>>;
    /// The newest pending challenge of a session for a purpose, else its newest of any state.
    async fn current_challenge(
        &self,
        session_id: &str,
        purpose: ChallengePurpose,
    ) -> StoreResult<Option<Challenge>>;
    /// Counts one answer against a pending, unexpired challenge that has had fewer than
    /// `max_attempts` answers, and returns it as counted; `None` if it takes no more answers.
    async fn count_challenge_attempt(
        &self,
        id: &str,
        now: OffsetDateTime,
        max_attempts: u32,
    ) -> StoreResult<Option<Challenge>>;
    /// Marks every pending challenge of a session for a purpose `replaced`.
    async fn replace_pending_challenges(
        &self,
        session_id: &str,
        purpose: ChallengePurpose,
    ) -> StoreResult<()>;
    /// Moves a challenge from one state to another; `false` if it was not in `from`.
    async fn set_challenge_status(
        &self,
        id: &str,
        from: ChallengeStatus,
        to: ChallengeStatus,
    ) -> StoreResult<bool>;
    /// Replaces a pending challenge's code and expiry and counts a send, unless `max_sends`
    /// were made already; `false` if it was not pending or the cap is reached.
    async fn resend_challenge(
        &self,
        id: &str,
        code_hash: Option<&str>,
        expires_at: OffsetDateTime,
        max_sends: u32,
    ) -> StoreResult<bool>;
    /// The pending, unexpired challenges of a push factor, oldest first.
    async fn pending_push_challenges(
        &self,
        factor_id: &str,
        now: OffsetDateTime,
    ) -> StoreResult<Vec<Challenge>>;
    /// Records that a second factor was proven in a session at `at` (assurance `aal2`).
    async fn step_up_session(&self, id: &str, at: OffsetDateTime) -> StoreResult<()>;
    /// Turns the user's own second-factor switch on or off.
    async fn set_user_mfa(&self, user_id: &str, enabled: bool) -> StoreResult<()>;
}

macro_rules! challenge_columns {
    () => {
        "id, user_id, session_id, purpose, factor_id, kind, destination, code_hash, number, status, \
         attempts, sends, created_at, expires_at"
    };
}

const FACTOR_BY_ID: &str = "SELECT user_id, id, kind, phone, email, secret, status, name \
     FROM factors WHERE id = $1";
const SET_FACTOR_STATUS: &str = "UPDATE factors SET status = $2 WHERE id = $1";
const DELETE_FACTOR: &str = "DELETE FROM factors WHERE user_id = $1 AND id = $2";
const USE_TOTP_STEP: &str = "UPDATE factors SET last_used_step = $2 \
     WHERE id = $1 AND (last_used_step IS NULL OR last_used_step < $2)";
const INSERT_CHALLENGE: &str = concat!(
    "INSERT INTO challenges (",
    challenge_columns!(),
    ") VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)"
);
const CHALLENGE_BY_ID: &str = concat!(
    "SELECT ",
    challenge_columns!(),
    " FROM challenges WHERE id = $1"
);
const CURRENT_CHALLENGE: &str = concat!(
    "SELECT ",
    challenge_columns!(),
    " FROM challenges WHERE session_id = $1 AND purpose = $2 \
     ORDER BY CASE WHEN status = 'pending' THEN 0 ELSE 1 END, created_at DESC, id LIMIT 1"
);
const COUNT_CHALLENGE_ATTEMPT: &str = concat!(
    "UPDATE challenges SET attempts = attempts + 1 WHERE id = $1 AND status = 'pending' \
     AND expires_at > $2 AND attempts < $3 RETURNING ",
    challenge_columns!()
);
const REPLACE_PENDING_CHALLENGES: &str = "UPDATE challenges SET status = 'replaced' \
     WHERE session_id = $1 AND purpose = $2 AND status = 'pending'";
const SET_CHALLENGE_STATUS: &str =
    "UPDATE challenges SET status = $3 WHERE id = $1 AND status = $2";
const RESEND_CHALLENGE: &str = "UPDATE challenges SET code_hash = $2, expires_at = $3, \
     sends = sends + 1 WHERE id = $1 AND status = 'pending' AND sends < $4";
const PENDING_PUSH_CHALLENGES: &str = concat!(
    "SELECT ",
    challenge_columns!(),
    " FROM challenges WHERE factor_id = $1 AND kind = 'push' AND status = 'pending' \
     AND expires_at > $2 ORDER BY created_at, id"
);
const SET_USER_MFA: &str = "UPDATE users SET mfa = $2 WHERE id = $1";
const STEP_UP_SESSION: &str =
    "UPDATE sessions SET assurance = 'aal2', stepped_up_at = $2 WHERE id = $1";

sql_impl! {
    impl FactorStore {
        async fn factor_by_id(&self, id: &str) -> StoreResult<Option<(String, Factor)>> {
            let row: Option<OwnedFactorRow> = sqlx::query_as(FACTOR_BY_ID)
                .bind(id)
                .fetch_optional(&self.pool)
                .await?;
            rows::one(row)
        }

        async fn insert_factor(
            &self,
            user_id: &str,
            f: &Factor,
            at: OffsetDateTime,
        ) -> StoreResult<()> {
            sqlx::query(super::statements::INSERT_FACTOR)
                .bind(&f.id)
                .bind(user_id)
                .bind(f.kind.as_str())
                .bind(&f.phone)
                .bind(&f.email)
                .bind(&f.secret)
                .bind(f.status.as_str())
                .bind(ts(at))
                .bind(&f.name)
                .execute(&self.pool)
                .await?;
            Ok(())
        }

        async fn set_factor_status(
            &self,
            id: &str,
            status: FactorStatus,
        ) -> StoreResult<()> {
            sqlx::query(SET_FACTOR_STATUS)
                .bind(id)
                .bind(status.as_str())
                .execute(&self.pool)
                .await?;
            Ok(())
        }

        async fn delete_factor(&self, user_id: &str, id: &str) -> StoreResult<bool> {
            let done = sqlx::query(DELETE_FACTOR)
                .bind(user_id)
                .bind(id)
                .execute(&self.pool)
                .await?;
            Ok(done.rows_affected() > 0)
        }

        async fn use_totp_step(&self, id: &str, step: i64) -> StoreResult<bool> {
            let done = sqlx::query(USE_TOTP_STEP)
                .bind(id)
                .bind(step)
                .execute(&self.pool)
                .await?;
            Ok(done.rows_affected() > 0)
        }

        async fn insert_challenge(&self, c: &Challenge) -> StoreResult<()> {
            sqlx::query(INSERT_CHALLENGE)
                .bind(&c.id)
                .bind(&c.user_id)
                .bind(&c.session_id)
                .bind(c.purpose.as_str())
                .bind(&c.factor_id)
                .bind(c.kind.as_str())
                .bind(&c.destination)
                .bind(&c.code_hash)
                .bind(c.number.map(i64::from))
                .bind(c.status.as_str())
                .bind(i64::from(c.attempts))
                .bind(i64::from(c.sends))
                .bind(ts(c.created_at))
                .bind(ts(c.expires_at))
                .execute(&self.pool)
                .await?;
            Ok(())
        }

        async fn challenge_by_id(&self, id: &str) -> StoreResult<Option<Challenge>> {
            let row: Option<ChallengeRow> = sqlx::query_as(CHALLENGE_BY_ID)
                .bind(id)
                .fetch_optional(&self.pool)
                .await?;
            rows::one(row)
        }

        async fn current_challenge(
            &self,
            session_id: &str,
            purpose: ChallengePurpose,
        ) -> StoreResult<Option<Challenge>> {
            let row: Option<ChallengeRow> = sqlx::query_as(CURRENT_CHALLENGE)
                .bind(session_id)
                .bind(purpose.as_str())
                .fetch_optional(&self.pool)
                .await?;
            rows::one(row)
        }

        async fn count_challenge_attempt(
            &self,
            id: &str,
            now: OffsetDateTime,
            max_attempts: u32,
        ) -> StoreResult<Option<Challenge>> {
            let row: Option<ChallengeRow> = sqlx::query_as(COUNT_CHALLENGE_ATTEMPT)
                .bind(id)
                .bind(ts(now))
                .bind(i64::from(max_attempts))
                .fetch_optional(&self.pool)
                .await?;
            rows::one(row)
        }

        async fn replace_pending_challenges(
            &self,
            session_id: &str,
            purpose: ChallengePurpose,
        ) -> StoreResult<()> {
            sqlx::query(REPLACE_PENDING_CHALLENGES)
                .bind(session_id)
                .bind(purpose.as_str())
                .execute(&self.pool)
                .await?;
            Ok(())
        }

        async fn set_challenge_status(
            &self,
            id: &str,
            from: ChallengeStatus,
            to: ChallengeStatus,
        ) -> StoreResult<bool> {
            let done = sqlx::query(SET_CHALLENGE_STATUS)
                .bind(id)
                .bind(from.as_str())
                .bind(to.as_str())
                .execute(&self.pool)
                .await?;
            Ok(done.rows_affected() > 0)
        }

        async fn resend_challenge(
            &self,
            id: &str,
            code_hash: Option<&str>,
            expires_at: OffsetDateTime,
            max_sends: u32,
        ) -> StoreResult<bool> {
            let done = sqlx::query(RESEND_CHALLENGE)
                .bind(id)
                .bind(code_hash)
                .bind(ts(expires_at))
                .bind(i64::from(max_sends))
                .execute(&self.pool)
                .await?;
            Ok(done.rows_affected() > 0)
        }

        async fn pending_push_challenges(
            &self,
            factor_id: &str,
            now: OffsetDateTime,
        ) -> StoreResult<Vec<Challenge>> {
            let found: Vec<ChallengeRow> = sqlx::query_as(PENDING_PUSH_CHALLENGES)
                .bind(factor_id)
                .bind(ts(now))
                .fetch_all(&self.pool)
                .await?;
            rows::all(found)
        }

        async fn set_user_mfa(&self, user_id: &str, enabled: bool) -> StoreResult<()> {
            sqlx::query(SET_USER_MFA)
                .bind(user_id)
                .bind(enabled)
                .execute(&self.pool)
                .await?;
            Ok(())
        }

        async fn step_up_session(&self, id: &str, at: OffsetDateTime) -> StoreResult<()> {
            sqlx::query(STEP_UP_SESSION)
                .bind(id)
                .bind(ts(at))
                .execute(&self.pool)
                .await?;
            Ok(())
        }
    }
}
