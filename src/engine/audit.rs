//! The audit trail: every sign-in outcome, lock, unlock, state change, password change and
//! logout, with who, when, from where and how it ended. Writing is best effort (a failed write
//! is logged and never fails the action); no secret is ever recorded.

use super::{Engine, EngineResult, UserRef};
use crate::domain::AuditEvent;
use std::net::IpAddr;
use time::OffsetDateTime;

/// Most events one query returns.
const MAX_EVENTS: u32 = 1000;

/// An event about to be recorded.
#[derive(Debug, Default)]
pub(crate) struct Event<'a> {
    /// What happened.
    pub kind: &'a str,
    /// `success` or an error code.
    pub outcome: &'a str,
    /// The user, when known.
    pub user_id: Option<&'a str>,
    /// The submitted identifier.
    pub identifier: Option<&'a str>,
    /// The application.
    pub application_id: Option<&'a str>,
    /// The client's address.
    pub source: Option<IpAddr>,
}

impl Engine {
    /// Records an event; a failure to write is logged, not returned.
    pub(crate) async fn audit(&self, event: Event<'_>) {
        let record = AuditEvent {
            id: uuid::Uuid::new_v4().to_string(),
            at: self.now(),
            kind: event.kind.to_owned(),
            outcome: event.outcome.to_owned(),
            user_id: event.user_id.map(str::to_owned),
            identifier: event.identifier.map(str::to_owned),
            application_id: event.application_id.map(str::to_owned),
            source: event.source.map(|ip| ip.to_string()),
        };
        if let Err(e) = self.store.insert_audit(&record).await {
            tracing::error!(error = %e, kind = event.kind, "audit event not recorded");
        }
    }

    /// Events, newest first: of one user if given, since a time if given (at most 1000).
    pub async fn audit_events(
        &self,
        user: Option<&UserRef>,
        since: Option<OffsetDateTime>,
    ) -> EngineResult<Vec<AuditEvent>> {
        let user = match user {
            Some(user) => Some(self.user(user).await?),
            None => None,
        };
        Ok(self
            .store
            .audit_events(user.as_ref(), since, MAX_EVENTS)
            .await?)
    }
}
