//! What Doorward keeps for its operators: the audit trail's events and the outbox's messages.

use super::Actor;
use std::fmt;
use time::OffsetDateTime;

/// A security event: who, what, when, from where, and how it ended. Never holds a secret.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
pub struct AuditEvent {
    /// UUID.
    pub id: String,
    /// When it happened.
    #[serde(with = "time::serde::rfc3339")]
    pub at: OffsetDateTime,
    /// What happened (`login`, `lockout`, `unlock`, `password_change`, …).
    pub kind: String,
    /// How it ended (`success` or an error code).
    pub outcome: String,
    /// Who did it: `user:<id>`, `admin:<token name>`, `cli`, `system` or `anonymous`.
    #[schema(value_type = String)]
    pub actor: Actor,
    /// The user it concerns, when known.
    pub user_id: Option<String>,
    /// The submitted identifier, for sign-ins.
    pub identifier: Option<String>,
    /// The application.
    pub application_id: Option<String>,
    /// The client's address.
    pub source: Option<String>,
    /// What it counted or changed (an import's counts), when it says more than its kind.
    pub detail: Option<String>,
}

/// A message kept in the outbox instead of being sent.
#[derive(Clone, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
pub struct OutboxMessage {
    /// UUID.
    pub id: String,
    /// When it was queued.
    #[serde(with = "time::serde::rfc3339")]
    pub at: OffsetDateTime,
    /// `email` or `sms`.
    pub channel: String,
    /// Address or phone number.
    pub recipient: String,
    /// Subject line.
    pub subject: String,
    /// Text; may carry a one-time code, so it is never logged.
    pub body: String,
}

impl fmt::Debug for OutboxMessage {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OutboxMessage")
            .field("id", &self.id)
            .field("channel", &self.channel)
            .finish_non_exhaustive()
    }
}
