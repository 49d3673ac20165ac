//! Users, their passwords and password history.

use super::rows::{self, FactorRow, UserRow, ts};
use super::sql::{RowsAffected, sql_impl};
use super::statements as sql;
use super::{StoreError, StoreResult};
use crate::domain::{Factor, PasswordState, User, UserStatus};
use async_trait::async_trait;
use time::OffsetDateTime;

/// Users, their passwords and password history.
#[async_trait]
pub trait UserStore: Send + Sync {
    /// A user by id.
    async fn user_by_id(&self, id: &str) -> StoreResult<Option<User>>;
    /// A user by normalised email.
    async fn user_by_email(&self, email: &str) -> StoreResult<Option<User>>;
    /// A user by username, ignoring case.
    async fn user_by_username(&self, username: &str) -> StoreResult<Option<User>>;
    /// Every user, ordered by email.
    async fn list_users(&self) -> StoreResult<Vec<User>>;
    /// Creates a user.
    async fn insert_user(&self, user: &User, at: OffsetDateTime) -> StoreResult<()>;
    /// Changes a user's status.
    async fn set_user_status(&self, id: &str, status: UserStatus) -> StoreResult<()>;
    /// Writes a user's name, username, phone and own second-factor switch.
    async fn update_user_profile(&self, user: &User) -> StoreResult<()>;
    /// Deletes a user; its sessions, factors, challenges, memberships and single-use tokens go
    /// with it (the schema cascades). The audit trail keeps its events. `false` if none.
    async fn delete_user(&self, id: &str) -> StoreResult<bool>;
    /// Replaces a user's password hash and password state.
    async fn set_password(
        &self,
        id: &str,
        hash: &str,
        state: PasswordState,
        expires_at: Option<OffsetDateTime>,
    ) -> StoreResult<()>;
    /// A user's factors, ordered by id.
    async fn factors_of(&self, user_id: &str) -> StoreResult<Vec<Factor>>;
    /// Records a password hash in the user's history, keeping only the newest `keep`.
    async fn push_password_history(
        &self,
        user_id: &str,
        hash: &str,
        at: OffsetDateTime,
        keep: u32,
    ) -> StoreResult<()>;
    /// The user's previous password hashes, newest first.
    async fn password_history(&self, user_id: &str) -> StoreResult<Vec<String>>;
}

sql_impl! {
    impl UserStore {
        async fn user_by_id(&self, id: &str) -> StoreResult<Option<User>> {
            let row: Option<UserRow> = sqlx::query_as(sql::USER_BY_ID)
                .bind(id)
                .fetch_optional(&self.pool)
                .await?;
            rows::one(row)
        }

        async fn user_by_email(&self, email: &str) -> StoreResult<Option<User>> {
            let row: Option<UserRow> = sqlx::query_as(sql::USER_BY_EMAIL)
                .bind(email)
                .fetch_optional(&self.pool)
                .await?;
            rows::one(row)
        }

        async fn user_by_username(&self, username: &str) -> StoreResult<Option<User>> {
            let row: Option<UserRow> = sqlx::query_as(sql::USER_BY_USERNAME)
                .bind(username)
                .fetch_optional(&self.pool)
                .await?;
            rows::one(row)
        }

        async fn list_users(&self) -> StoreResult<Vec<User>> {
            let found: Vec<UserRow> = sqlx::query_as(sql::LIST_USERS)
                .fetch_all(&self.pool)
                .await?;
            rows::all(found)
        }

        async fn insert_user(&self, user: &User, at: OffsetDateTime) -> StoreResult<()> {
            Self::bind_user(sqlx::query(sql::INSERT_USER), user, ts(at))
                .execute(&self.pool)
                .await?;
            Ok(())
        }

        async fn update_user_profile(&self, user: &User) -> StoreResult<()> {
            let done = sqlx::query(sql::UPDATE_USER_PROFILE)
                .bind(&user.id)
                .bind(&user.name)
                .bind(user.username.as_deref())
                .bind(user.phone.as_deref())
                .bind(user.mfa)
                .execute(&self.pool)
                .await?;
            if done.rows_affected() == 0 {
                Err(StoreError::NotFound)
            } else {
                Ok(())
            }
        }

        async fn delete_user(&self, id: &str) -> StoreResult<bool> {
            let done = sqlx::query(sql::DELETE_USER)
                .bind(id)
                .execute(&self.pool)
                .await?;
            Ok(done.rows_affected() > 0)
        }

        async fn set_user_status(&self, id: &str, status: UserStatus) -> StoreResult<()> {
            let done = sqlx::query(sql::SET_USER_STATUS)
                .bind(id)
                .bind(status.as_str())
                .execute(&self.pool)
                .await?;
            if done.rows_affected() == 0 {
                Err(StoreError::NotFound)
            } else {
                Ok(())
            }
        }

        async fn set_password(
            &self,
            id: &str,
            hash: &str,
            state: PasswordState,
            expires_at: Option<OffsetDateTime>,
        ) -> StoreResult<()> {
            let done = sqlx::query(sql::SET_PASSWORD)
                .bind(id)
                .bind(hash)
                .bind(state.as_str())
                .bind(expires_at.map(ts))
                .execute(&self.pool)
                .await?;
            if done.rows_affected() == 0 {
                Err(StoreError::NotFound)
            } else {
                Ok(())
            }
        }

        async fn factors_of(&self, user_id: &str) -> StoreResult<Vec<Factor>> {
            let found: Vec<FactorRow> = sqlx::query_as(sql::FACTORS_OF)
                .bind(user_id)
                .fetch_all(&self.pool)
                .await?;
            rows::all(found)
        }

        async fn push_password_history(
            &self,
            user_id: &str,
            hash: &str,
            at: OffsetDateTime,
            keep: u32,
        ) -> StoreResult<()> {
            let mut tx = self.pool.begin().await?;
            sqlx::query(sql::PUSH_PASSWORD_HISTORY)
                .bind(user_id)
                .bind(hash)
                .bind(ts(at))
                .execute(&mut *tx)
                .await?;
            sqlx::query(sql::TRIM_PASSWORD_HISTORY)
                .bind(user_id)
                .bind(i64::from(keep))
                .execute(&mut *tx)
                .await?;
            tx.commit().await?;
            Ok(())
        }

        async fn password_history(&self, user_id: &str) -> StoreResult<Vec<String>> {
            let rows: Vec<(String,)> = sqlx::query_as(sql::PASSWORD_HISTORY)
                .bind(user_id)
                .fetch_all(&self.pool)
                .await?;
            Ok(rows.into_iter().map(|(h,)| h).collect())
        }
    }
}

sql_impl! {
    inherent {
        /// Binds a user's columns, in `user_columns!` order, then `created_at`.
        pub(super) fn bind_user<'q>(
            query: sqlx::query::Query<'q, DB, DB::Arguments<'q>>,
            user: &'q User,
            created_at: i64,
        ) -> sqlx::query::Query<'q, DB, DB::Arguments<'q>> {
            query
                .bind(&user.id)
                .bind(&user.email)
                .bind(user.username.as_deref())
                .bind(&user.name)
                .bind(user.status.as_str())
                .bind(user.password_hash.as_ref().map(|h| h.0.as_str()))
                .bind(user.password_state.as_str())
                .bind(user.password_expires_at.map(ts))
                .bind(&user.external_idp)
                .bind(user.tooling_password_hash.as_ref().map(|h| h.0.as_str()))
                .bind(user.realm.as_str())
                .bind(&user.phone)
                .bind(user.mfa)
                .bind(created_at)
        }
    }
}
