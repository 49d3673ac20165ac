//! Organisations and memberships.

use super::rows::{self, MembershipRow, OrganizationRow};
use super::sql::{RowsAffected, sql_impl};
use super::statements as sql;
use super::{MembershipWithOrg, StoreResult};
use crate::domain::{Membership, Organization};
use async_trait::async_trait;

/// Organisations and memberships.
#[async_trait]
pub trait OrganizationStore: Send + Sync {
    /// An organisation by id.
    async fn organization_by_id(&self, id: &str) -> StoreResult<Option<Organization>>;
    /// An organisation by exact name (import matches id-less entries by name).
    async fn organization_by_name(&self, name: &str) -> StoreResult<Option<Organization>>;
    /// A user's memberships with their organisations, ordered by organisation id.
    async fn memberships_of(&self, user_id: &str) -> StoreResult<Vec<MembershipWithOrg>>;
    /// Every organisation, by id.
    async fn list_organizations(&self) -> StoreResult<Vec<Organization>>;
    /// Creates or replaces an organisation.
    async fn save_organization(&self, org: &Organization) -> StoreResult<()>;
    /// Removes an organisation and its memberships; `false` if there was none.
    async fn delete_organization(&self, id: &str) -> StoreResult<bool>;
    /// Creates or replaces a membership.
    async fn save_membership(&self, user_id: &str, membership: &Membership) -> StoreResult<()>;
    /// Removes a membership; `false` if there was none.
    async fn delete_membership(&self, user_id: &str, organization_id: &str) -> StoreResult<bool>;
}

sql_impl! {
    impl OrganizationStore {
        async fn organization_by_id(&self, id: &str) -> StoreResult<Option<Organization>> {
            let row: Option<OrganizationRow> = sqlx::query_as(sql::ORGANIZATION_BY_ID)
                .bind(id)
                .fetch_optional(&self.pool)
                .await?;
            rows::one(row)
        }

        async fn organization_by_name(&self, name: &str) -> StoreResult<Option<Organization>> {
            let row: Option<OrganizationRow> = sqlx::query_as(sql::ORGANIZATION_BY_NAME)
                .bind(name)
                .fetch_optional(&self.pool)
                .await?;
            rows::one(row)
        }

        async fn memberships_of(&self, user_id: &str) -> StoreResult<Vec<MembershipWithOrg>> {
            let found: Vec<MembershipRow> = sqlx::query_as(sql::MEMBERSHIPS_OF)
                .bind(user_id)
                .fetch_all(&self.pool)
                .await?;
            rows::all(found)
        }

        async fn list_organizations(&self) -> StoreResult<Vec<Organization>> {
            let found: Vec<OrganizationRow> = sqlx::query_as(sql::LIST_ORGANIZATIONS)
                .fetch_all(&self.pool)
                .await?;
            rows::all(found)
        }

        async fn save_organization(&self, org: &Organization) -> StoreResult<()> {
            sqlx::query(sql::UPSERT_ORGANIZATION)
                .bind(&org.id)
                .bind(&org.name)
                .bind(org.kind.as_str())
                .bind(org.status.as_str())
                .bind(org.consumer_access)
                .bind(org.idp_required)
                .execute(&self.pool)
                .await?;
            Ok(())
        }

        async fn delete_organization(&self, id: &str) -> StoreResult<bool> {
            let done = sqlx::query(sql::DELETE_ORGANIZATION)
                .bind(id)
                .execute(&self.pool)
                .await?;
            Ok(done.rows_affected() > 0)
        }

        async fn save_membership(&self, user_id: &str, m: &Membership) -> StoreResult<()> {
            sqlx::query(sql::UPSERT_MEMBERSHIP)
                .bind(user_id)
                .bind(&m.organization_id)
                .bind(m.role.as_str())
                .bind(m.status.as_str())
                .execute(&self.pool)
                .await?;
            Ok(())
        }

        async fn delete_membership(
            &self,
            user_id: &str,
            organization_id: &str,
        ) -> StoreResult<bool> {
            let done = sqlx::query(sql::DELETE_MEMBERSHIP)
                .bind(user_id)
                .bind(organization_id)
                .execute(&self.pool)
                .await?;
            Ok(done.rows_affected() > 0)
        }
    }
}
