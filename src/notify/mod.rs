//! Delivery of messages to people: email over SMTP, text messages through an HTTP webhook
//! (`POST {"to", "text"}`), and the **outbox** — in sandbox mode every message goes there and
//! never out, and so does a message for a channel that is not configured. Real sends run off the
//! request path (a background task), so a request never waits on, or reveals by its timing, a
//! mail server. Message bodies carry one-time codes: they are never logged.

mod smtp;
mod webhook;

pub use smtp::SmtpSender;
pub use webhook::Webhook;

use crate::config::NotifyConfig;
use crate::domain::OutboxMessage;
use crate::store::{OutboxStore, StoreError};
use std::sync::Arc;
use thiserror::Error;
use time::OffsetDateTime;

/// Which way a message goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Channel {
    /// Email.
    Email,
    /// Text message.
    Sms,
    /// A notice to the push gateway (`to` is the device id, `body` the JSON to post).
    Push,
}

impl Channel {
    fn as_str(self) -> &'static str {
        match self {
            Self::Email => "email",
            Self::Sms => "sms",
            Self::Push => "push",
        }
    }
}

/// A message to deliver.
#[derive(Clone)]
pub struct Message {
    /// Email or SMS.
    pub channel: Channel,
    /// Address or E.164 phone number.
    pub to: String,
    /// Subject (email only).
    pub subject: String,
    /// Text; may carry a one-time code.
    pub body: String,
}

impl std::fmt::Debug for Message {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Message")
            .field("channel", &self.channel)
            .finish_non_exhaustive()
    }
}

/// Why a message was not delivered.
#[derive(Debug, Error)]
pub enum DeliveryError {
    /// The outbox could not be written.
    #[error("outbox: {0}")]
    Outbox(#[from] StoreError),
    /// The mail server refused or could not be reached.
    #[error("smtp: {0}")]
    Smtp(String),
    /// The webhook refused or could not be reached, after every attempt.
    #[error("sms webhook: {0}")]
    Webhook(String),
}

/// Delivers messages by the configured channels.
#[derive(Clone)]
pub struct Notifier {
    /// Where kept messages go.
    store: Arc<dyn OutboxStore>,
    /// Sandbox mode: everything is kept, nothing goes out.
    sandbox: bool,
    /// The mail server, when configured.
    email: Option<SmtpSender>,
    /// The SMS webhook, when configured.
    sms: Option<Webhook>,
    /// The push gateway, when configured.
    push: Option<Webhook>,
    /// Counts messages kept, delivered and failed.
    metrics: Arc<crate::metrics::Metrics>,
}

impl Notifier {
    /// Sets up the configured channels.
    pub fn new(
        config: &NotifyConfig,
        sandbox: bool,
        store: Arc<dyn OutboxStore>,
        metrics: Arc<crate::metrics::Metrics>,
    ) -> Result<Self, String> {
        let email = config
            .smtp
            .as_ref()
            .map(|smtp| SmtpSender::new(smtp, &config.sender))
            .transpose()?;
        let sms = config.sms.as_ref().map(Webhook::new).transpose()?;
        let push = config.push.as_ref().map(Webhook::new).transpose()?;
        Ok(Self {
            store,
            sandbox,
            email,
            sms,
            push,
            metrics,
        })
    }

    /// Whether messages of a channel leave the server (or stay in the outbox).
    pub fn sends(&self, channel: Channel) -> bool {
        !self.sandbox
            && match channel {
                Channel::Email => self.email.is_some(),
                Channel::Sms => self.sms.is_some(),
                Channel::Push => self.push.is_some(),
            }
    }

    /// Queues a message: into the outbox now, or out by its channel in the background.
    pub async fn send(&self, message: Message, now: OffsetDateTime) -> Result<(), DeliveryError> {
        if !self.sends(message.channel) {
            return self.keep(&message, now).await;
        }
        let notifier = self.clone();
        tokio::spawn(async move {
            let channel = message.channel.as_str();
            match notifier.deliver(&message).await {
                Ok(()) => {
                    notifier.metrics.delivery(channel, "delivered");
                    tracing::info!(channel, "message delivered");
                }
                Err(e) => {
                    notifier.metrics.delivery(channel, "failed");
                    tracing::error!(channel, error = %e, "message not delivered");
                }
            }
        });
        Ok(())
    }

    /// Delivers a message by its channel now (used by `send` in the background).
    pub async fn deliver(&self, message: &Message) -> Result<(), DeliveryError> {
        match message.channel {
            Channel::Email => match &self.email {
                Some(smtp) => {
                    smtp.send(&message.to, &message.subject, &message.body)
                        .await
                }
                None => Err(not_configured()),
            },
            Channel::Sms => match &self.sms {
                Some(webhook) => webhook.send(&message.to, &message.body).await,
                None => Err(not_configured()),
            },
            Channel::Push => match &self.push {
                Some(webhook) => {
                    let body = serde_json::from_str(&message.body)
                        .map_err(|e| DeliveryError::Webhook(format!("push notice: {e}")))?;
                    webhook.post(&body).await
                }
                None => Err(not_configured()),
            },
        }
    }

    async fn keep(&self, message: &Message, now: OffsetDateTime) -> Result<(), DeliveryError> {
        let kept = OutboxMessage {
            id: uuid::Uuid::new_v4().to_string(),
            at: now,
            channel: message.channel.as_str().to_owned(),
            recipient: message.to.clone(),
            subject: message.subject.clone(),
            body: message.body.clone(),
        };
        self.store.insert_outbox(&kept).await?;
        self.metrics.delivery(message.channel.as_str(), "outbox");
        tracing::info!(channel = kept.channel, id = %kept.id, "message kept in the outbox");
        Ok(())
    }
}

fn not_configured() -> DeliveryError {
    DeliveryError::Webhook("channel not configured".to_owned())
}
