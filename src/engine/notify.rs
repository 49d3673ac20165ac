//! Messages to users go through the notifier (`notify/`): out by SMTP or the SMS webhook when
//! configured, else (and always in sandbox mode) into the outbox (`GET /v1/admin/outbox`).

use super::{Engine, EngineError, EngineResult};
use crate::domain::OutboxMessage;
use crate::notify::{Channel, Message};

/// Most outbox messages one query returns.
const MAX_MESSAGES: u32 = 500;

impl Engine {
    /// Sends an email (or keeps it in the outbox; see `notify/`).
    pub(crate) async fn send_email(
        &self,
        to: &str,
        subject: &str,
        body: String,
    ) -> EngineResult<()> {
        let message = Message {
            channel: Channel::Email,
            to: to.to_owned(),
            subject: subject.to_owned(),
            body,
        };
        self.notifier
            .send(message, self.now())
            .await
            .map_err(EngineError::internal)
    }

    /// The outbox, newest first.
    pub async fn outbox(&self) -> EngineResult<Vec<OutboxMessage>> {
        Ok(self.store.outbox(MAX_MESSAGES).await?)
    }
}
