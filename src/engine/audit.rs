//! The audit trail: every sign-in outcome, lock, unlock, state change, password change, logout
//! and admin action, with who acted, when, from where and how it ended. Writing is best effort
//! (a failed write is logged and never fails the action); no secret is ever recorded.
//! Queries page newest first with an opaque cursor.

use super::{Engine, EngineError, EngineResult, UserRef};
use crate::domain::{Actor, AuditEvent, FieldError};
use crate::store::AuditFilter;
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use std::net::IpAddr;
use time::OffsetDateTime;

/// Most events one page holds.
pub const MAX_PAGE: u32 = 1000;

/// An event about to be recorded.
#[derive(Debug, Default)]
pub(crate) struct Event<'a> {
    /// What happened.
    pub kind: &'a str,
    /// `success` or an error code.
    pub outcome: &'a str,
    /// Who acted; when left out, the user the event concerns, or `anonymous`.
    pub actor: Option<&'a Actor>,
    /// The user, when known.
    pub user_id: Option<&'a str>,
    /// The submitted identifier.
    pub identifier: Option<&'a str>,
    /// The application.
    pub application_id: Option<&'a str>,
    /// The client's address.
    pub source: Option<IpAddr>,
    /// What it counted or changed, in words.
    pub detail: Option<&'a str>,
}

/// Which events to read, newest first.
#[derive(Debug, Default, Clone)]
pub struct AuditQuery {
    /// Events concerning this user (by id, or naming her email or username).
    pub user: Option<UserRef>,
    /// Of this kind.
    pub kind: Option<String>,
    /// With this outcome.
    pub outcome: Option<String>,
    /// By this actor (`admin:<name>`, `user:<id>`, `cli`, `system`, `anonymous`).
    pub actor: Option<String>,
    /// At or after.
    pub since: Option<OffsetDateTime>,
    /// At or before.
    pub until: Option<OffsetDateTime>,
    /// The `next` cursor of the previous page.
    pub cursor: Option<String>,
    /// Page size (at most [`MAX_PAGE`], which is also the default).
    pub limit: Option<u32>,
}

/// One page of events, and the cursor of the next page when there may be one.
#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct AuditPage {
    /// Newest first.
    pub events: Vec<AuditEvent>,
    /// Pass as `cursor` to read on; absent on the last page.
    pub next: Option<String>,
}

impl Engine {
    /// Records an event; a failure to write is logged, not returned.
    pub(crate) async fn audit(&self, event: Event<'_>) {
        let actor = match (event.actor, event.user_id) {
            (Some(actor), _) => actor.clone(),
            (None, Some(user)) => Actor::User(user.to_owned()),
            (None, None) => Actor::Anonymous,
        };
        let record = AuditEvent {
            id: uuid::Uuid::new_v4().to_string(),
            at: self.now(),
            kind: event.kind.to_owned(),
            outcome: event.outcome.to_owned(),
            actor,
            user_id: event.user_id.map(str::to_owned),
            identifier: event.identifier.map(str::to_owned),
            application_id: event.application_id.map(str::to_owned),
            source: event.source.map(|ip| ip.to_string()),
            detail: event.detail.map(str::to_owned),
        };
        // Every audit event is a security event; its log line names the event by id (the
        // identifier and address stay in the trail, out of the logs).
        tracing::info!(
            audit_id = %record.id,
            kind = %record.kind,
            outcome = %record.outcome,
            actor = %record.actor,
            "security event"
        );
        if let Err(e) = self.store.insert_audit(&record).await {
            tracing::error!(error = %e, audit_id = %record.id, kind = event.kind, "audit event not recorded");
        }
    }

    /// One page of the events a query selects.
    pub async fn audit_page(&self, query: &AuditQuery) -> EngineResult<AuditPage> {
        let user = match &query.user {
            Some(user) => Some(self.user(user).await?),
            None => None,
        };
        let after = query.cursor.as_deref().map(decode_cursor).transpose()?;
        let limit = query.limit.unwrap_or(MAX_PAGE);
        if limit == 0 || limit > MAX_PAGE {
            return Err(invalid("limit", "must be from 1 to 1000"));
        }
        let filter = AuditFilter {
            user: user.as_ref(),
            kind: query.kind.as_deref(),
            outcome: query.outcome.as_deref(),
            actor: query.actor.as_deref(),
            since: query.since,
            until: query.until,
            after: after.as_ref().map(|(at, id)| (*at, id.as_str())),
            limit,
        };
        let events = self.store.audit_events(&filter).await?;
        let next = match events.last() {
            Some(last) if events.len() == limit as usize => Some(encode_cursor(last)),
            _ => None,
        };
        Ok(AuditPage { events, next })
    }
}

/// Every event a query selects, a page at a time: the first page is read before this returns
/// (so a bad query is an error, not an empty stream); a store failure on a later page ends the
/// stream early, and is logged.
pub async fn export(
    engine: std::sync::Arc<Engine>,
    mut query: AuditQuery,
) -> EngineResult<impl futures_util::Stream<Item = Vec<AuditEvent>> + Send + 'static> {
    query.cursor = None;
    query.limit = None;
    let first = engine.audit_page(&query).await?;
    Ok(futures_util::stream::unfold(
        Some((query, first)),
        move |state| {
            let engine = std::sync::Arc::clone(&engine);
            async move {
                let (mut query, page) = state?;
                let next = match page.next {
                    None => None,
                    Some(cursor) => {
                        query.cursor = Some(cursor);
                        match engine.audit_page(&query).await {
                            Ok(page) => Some((query, page)),
                            Err(e) => {
                                tracing::error!(error = %e, "audit export ended early");
                                None
                            }
                        }
                    }
                };
                Some((page.events, next))
            }
        },
    ))
}

fn invalid(field: &str, reason: &str) -> EngineError {
    EngineError::Validation(vec![FieldError::new(field, reason)])
}

/// The position after an event: its time and id, opaque to clients.
fn encode_cursor(event: &AuditEvent) -> String {
    URL_SAFE_NO_PAD.encode(format!("{}:{}", event.at.unix_timestamp(), event.id))
}

fn decode_cursor(cursor: &str) -> EngineResult<(OffsetDateTime, String)> {
    let bad = || invalid("cursor", "is not a cursor this API returned");
    let text = URL_SAFE_NO_PAD
        .decode(cursor)
        .ok()
        .and_then(|bytes| String::from_utf8(bytes).ok())
        .ok_or_else(bad)?;
    let (at, id) = text.split_once(':').ok_or_else(bad)?;
    let at = at
        .parse::<i64>()
        .ok()
        .and_then(|s| OffsetDateTime::from_unix_timestamp(s).ok())
        .ok_or_else(bad)?;
    Ok((at, id.to_owned()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursors_round_trip_and_garbage_is_refused() {
        let event = AuditEvent {
            id: "0b7e".into(),
            at: OffsetDateTime::from_unix_timestamp(1_700_000_000).expect("time"),
            kind: "login".into(),
            outcome: "success".into(),
            actor: Actor::System,
            user_id: None,
            identifier: None,
            application_id: None,
            source: None,
            detail: None,
        };
        let (at, id) = decode_cursor(&encode_cursor(&event)).expect("decodes");
        assert_eq!((at, id.as_str()), (event.at, "0b7e"));
        for garbage in ["", "!!", "bm9jb2xvbg", &URL_SAFE_NO_PAD.encode("x:1")] {
            assert!(decode_cursor(garbage).is_err(), "{garbage}");
        }
    }
}
