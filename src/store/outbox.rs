//! The outbox: messages kept as they were sent.

use super::StoreResult;
use super::rows::{self, OutboxRow, ts};
use super::sql::sql_impl;
use super::statements as sql;
use crate::domain::OutboxMessage;
use async_trait::async_trait;

/// The outbox: messages kept as they were sent.
#[async_trait]
pub trait OutboxStore: Send + Sync {
    /// Keeps a message in the outbox.
    async fn insert_outbox(&self, message: &OutboxMessage) -> StoreResult<()>;
    /// Outbox messages, newest first.
    async fn outbox(&self, limit: u32) -> StoreResult<Vec<OutboxMessage>>;
}

sql_impl! {
    impl OutboxStore {
        async fn insert_outbox(&self, m: &OutboxMessage) -> StoreResult<()> {
            sqlx::query(sql::INSERT_OUTBOX)
                .bind(&m.id)
                .bind(ts(m.at))
                .bind(&m.channel)
                .bind(&m.recipient)
                .bind(&m.subject)
                .bind(&m.body)
                .execute(&self.pool)
                .await?;
            Ok(())
        }

        async fn outbox(&self, limit: u32) -> StoreResult<Vec<OutboxMessage>> {
            let found: Vec<OutboxRow> = sqlx::query_as(sql::OUTBOX)
                .bind(i64::from(limit))
                .fetch_all(&self.pool)
                .await?;
            rows::all(found)
        }
    }
}
