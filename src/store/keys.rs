//! Signing keys and settings.

use super::StoreResult;
use super::rows::{self, KeyRow, ts};
use super::sql::sql_impl;
use super::statements as sql;
use crate::domain::StoredSigningKey;
use async_trait::async_trait;
use time::OffsetDateTime;

/// Signing keys and settings.
#[async_trait]
pub trait KeyStore: Send + Sync {
    /// Stores a new signing key.
    async fn insert_signing_key(&self, key: &StoredSigningKey) -> StoreResult<()>;
    /// Every signing key, oldest first.
    async fn signing_keys(&self) -> StoreResult<Vec<StoredSigningKey>>;
    /// Marks every key but `current` as no longer signing.
    async fn retire_signing_keys(&self, current: &str, at: OffsetDateTime) -> StoreResult<()>;
    /// A server-wide setting.
    async fn setting(&self, key: &str) -> StoreResult<Option<String>>;
    /// Sets a server-wide setting.
    async fn set_setting(&self, key: &str, value: &str) -> StoreResult<()>;
}

sql_impl! {
    impl KeyStore {
        async fn insert_signing_key(&self, key: &StoredSigningKey) -> StoreResult<()> {
            sqlx::query(sql::INSERT_SIGNING_KEY)
                .bind(&key.kid)
                .bind(&key.public_key)
                .bind(&key.private_key)
                .bind(ts(key.created_at))
                .bind(key.retired_at.map(ts))
                .execute(&self.pool)
                .await?;
            Ok(())
        }

        async fn signing_keys(&self) -> StoreResult<Vec<StoredSigningKey>> {
            let found: Vec<KeyRow> = sqlx::query_as(sql::SIGNING_KEYS)
                .fetch_all(&self.pool)
                .await?;
            rows::all(found)
        }

        async fn retire_signing_keys(
            &self,
            current: &str,
            at: OffsetDateTime,
        ) -> StoreResult<()> {
            sqlx::query(sql::RETIRE_SIGNING_KEYS)
                .bind(current)
                .bind(ts(at))
                .execute(&self.pool)
                .await?;
            Ok(())
        }

        async fn setting(&self, key: &str) -> StoreResult<Option<String>> {
            let row: Option<(String,)> = sqlx::query_as(sql::SETTING)
                .bind(key)
                .fetch_optional(&self.pool)
                .await?;
            Ok(row.map(|(v,)| v))
        }

        async fn set_setting(&self, key: &str, value: &str) -> StoreResult<()> {
            sqlx::query(sql::SET_SETTING)
                .bind(key)
                .bind(value)
                .execute(&self.pool)
                .await?;
            Ok(())
        }
    }
}
