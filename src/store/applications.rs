//! Applications and their API keys.

use super::StoreResult;
use super::rows::{self, ApplicationRow};
use super::sql::sql_impl;
use super::statements as sql;
use crate::domain::Application;
use async_trait::async_trait;

/// Applications and their API keys.
#[async_trait]
pub trait ApplicationStore: Send + Sync {
    /// An application by id.
    async fn application_by_id(&self, id: &str) -> StoreResult<Option<Application>>;
    /// An application by exact name.
    async fn application_by_name(&self, name: &str) -> StoreResult<Option<Application>>;
    /// Every application that lists at least one hostname, by id.
    async fn applications_with_hostnames(&self) -> StoreResult<Vec<Application>>;
    /// Every application that lists at least one CORS origin, by id.
    async fn applications_with_cors_origins(&self) -> StoreResult<Vec<Application>>;
    /// The application an API key (by SHA-256) belongs to.
    async fn application_by_api_key(&self, key_hash: &str) -> StoreResult<Option<Application>>;
    /// The SHA-256 of an application's API keys, sorted.
    async fn api_key_hashes_of(&self, application_id: &str) -> StoreResult<Vec<String>>;
}

sql_impl! {
    impl ApplicationStore {
        async fn application_by_id(&self, id: &str) -> StoreResult<Option<Application>> {
            let row: Option<ApplicationRow> = sqlx::query_as(sql::APPLICATION_BY_ID)
                .bind(id)
                .fetch_optional(&self.pool)
                .await?;
            rows::one(row)
        }

        async fn application_by_name(&self, name: &str) -> StoreResult<Option<Application>> {
            let row: Option<ApplicationRow> = sqlx::query_as(sql::APPLICATION_BY_NAME)
                .bind(name)
                .fetch_optional(&self.pool)
                .await?;
            rows::one(row)
        }

        async fn applications_with_cors_origins(&self) -> StoreResult<Vec<Application>> {
            let found: Vec<ApplicationRow> =
                sqlx::query_as(sql::APPLICATIONS_WITH_CORS_ORIGINS)
                    .fetch_all(&self.pool)
                    .await?;
            rows::all(found)
        }

        async fn applications_with_hostnames(&self) -> StoreResult<Vec<Application>> {
            let found: Vec<ApplicationRow> = sqlx::query_as(sql::APPLICATIONS_WITH_HOSTNAMES)
                .fetch_all(&self.pool)
                .await?;
            rows::all(found)
        }

        async fn application_by_api_key(
            &self,
            key_hash: &str,
        ) -> StoreResult<Option<Application>> {
            let row: Option<ApplicationRow> = sqlx::query_as(sql::APPLICATION_BY_API_KEY)
                .bind(key_hash)
                .fetch_optional(&self.pool)
                .await?;
            rows::one(row)
        }

        async fn api_key_hashes_of(&self, application_id: &str) -> StoreResult<Vec<String>> {
            let found: Vec<(String,)> = sqlx::query_as(sql::API_KEY_HASHES_OF)
                .bind(application_id)
                .fetch_all(&self.pool)
                .await?;
            Ok(found.into_iter().map(|(h,)| h).collect())
        }
    }
}
