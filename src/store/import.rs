//! The import: many records written in one transaction.

use super::rows::{self, ts};
use super::sql::sql_impl;
use super::statements as sql;
use super::{ImportBatch, ImportedUser, StoreResult};
use async_trait::async_trait;

/// The import: many records written in one transaction.
#[async_trait]
pub trait ImportStore: Send + Sync {
    /// Writes an import batch atomically: all of it or none.
    async fn apply_import(&self, batch: &ImportBatch) -> StoreResult<()>;
}

sql_impl! {
    impl ImportStore {
        async fn apply_import(&self, batch: &ImportBatch) -> StoreResult<()> {
            let created_at = batch.at.map_or(0, ts);
            let mut tx = self.pool.begin().await?;
            for org in &batch.organizations {
                sqlx::query(sql::UPSERT_ORGANIZATION)
                    .bind(&org.id)
                    .bind(&org.name)
                    .bind(org.kind.as_str())
                    .bind(org.status.as_str())
                    .bind(org.consumer_access)
                    .bind(org.idp_required)
                    .execute(&mut *tx)
                    .await?;
            }
            for (app, keys) in &batch.applications {
                sqlx::query(sql::UPSERT_APPLICATION)
                    .bind(&app.id)
                    .bind(&app.name)
                    .bind(rows::hostnames_json(app))
                    .bind(&app.organization)
                    .bind(app.mfa.as_str())
                    .bind(app.session_idle.map(rows::secs))
                    .bind(app.session_absolute.map(rows::secs))
                    .bind(rows::list_json(&app.cors_origins))
                    .bind(rows::list_json(&app.cors_methods))
                    .bind(rows::list_json(&app.cors_headers))
                    .execute(&mut *tx)
                    .await?;
                sqlx::query(sql::DELETE_API_KEYS)
                    .bind(&app.id)
                    .execute(&mut *tx)
                    .await?;
                for key in keys {
                    sqlx::query(sql::INSERT_API_KEY)
                        .bind(key)
                        .bind(&app.id)
                        .execute(&mut *tx)
                        .await?;
                }
            }
            for ImportedUser {
                user,
                memberships,
                factors,
                removed_factors,
            } in &batch.users
            {
                Self::bind_user(sqlx::query(sql::UPSERT_USER), user, created_at)
                    .execute(&mut *tx)
                    .await?;
                sqlx::query(sql::DELETE_MEMBERSHIPS)
                    .bind(&user.id)
                    .execute(&mut *tx)
                    .await?;
                for m in memberships {
                    sqlx::query(sql::INSERT_MEMBERSHIP)
                        .bind(&user.id)
                        .bind(&m.organization_id)
                        .bind(m.role.as_str())
                        .bind(m.status.as_str())
                        .execute(&mut *tx)
                        .await?;
                }
                for id in removed_factors {
                    sqlx::query(sql::DELETE_FACTOR_OF_USER)
                        .bind(&user.id)
                        .bind(id)
                        .execute(&mut *tx)
                        .await?;
                }
                for f in factors {
                    sqlx::query(sql::UPSERT_FACTOR)
                        .bind(&f.id)
                        .bind(&user.id)
                        .bind(f.kind.as_str())
                        .bind(&f.phone)
                        .bind(&f.email)
                        .bind(&f.secret)
                        .bind(f.status.as_str())
                        .bind(created_at)
                        .bind(&f.name)
                        .execute(&mut *tx)
                        .await?;
                }
            }
            tx.commit().await?;
            Ok(())
        }
    }
}
