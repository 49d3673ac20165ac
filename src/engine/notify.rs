//! Delivery of messages to users. For now every message is kept in the **outbox**
//! (`GET /v1/admin/outbox`), in sandbox mode and out of it: SMTP and the SMS webhook arrive
//! with second factors (issue 5). Message bodies carry one-time codes and are never logged.

use super::{Engine, EngineResult};
use crate::domain::OutboxMessage;

/// Most outbox messages one query returns.
const MAX_MESSAGES: u32 = 500;

impl Engine {
    /// Sends an email (today: keeps it in the outbox).
    pub(crate) async fn send_email(
        &self,
        to: &str,
        subject: &str,
        body: String,
    ) -> EngineResult<()> {
        let message = OutboxMessage {
            id: uuid::Uuid::new_v4().to_string(),
            at: self.now(),
            channel: "email".to_owned(),
            recipient: to.to_owned(),
            subject: subject.to_owned(),
            body,
        };
        self.store.insert_outbox(&message).await?;
        tracing::info!(channel = "email", id = %message.id, "message queued in the outbox");
        Ok(())
    }

    /// The outbox, newest first.
    pub async fn outbox(&self) -> EngineResult<Vec<OutboxMessage>> {
        Ok(self.store.outbox(MAX_MESSAGES).await?)
    }
}
