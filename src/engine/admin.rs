//! Admin tokens: named, scoped bearer tokens for `/v1/admin/*` that expire (90 days unless
//! told otherwise), stored only as hashes, listed and revoked by API and CLI. Each use acts
//! under the token's name in the audit trail.

use super::audit::Event;
use super::{Engine, EngineError, EngineResult};
use crate::crypto::token;
use crate::domain::{Actor, AdminScope, AdminToken};
use secrecy::SecretString;
use std::time::Duration;

/// How long an admin token lives when its creator does not say.
pub const ADMIN_TOKEN_LIFETIME: Duration = Duration::from_secs(90 * 24 * 3600);

/// The longest life an admin token may be given.
pub const ADMIN_TOKEN_MAX_LIFETIME: Duration = Duration::from_secs(366 * 24 * 3600);

/// How often a token's last-used time is written: reads of the admin API never write to the
/// store on every request.
const LAST_USED_RESOLUTION: time::Duration = time::Duration::minutes(1);

/// What to create.
#[derive(Debug, Clone)]
pub struct NewAdminToken {
    /// The name it acts under; unique among live tokens.
    pub name: String,
    /// What it may do.
    pub scope: AdminScope,
    /// How long it lives (at most [`ADMIN_TOKEN_MAX_LIFETIME`]).
    pub lifetime: Duration,
}

/// An authorised administrator: the actor every action it takes is recorded under.
#[derive(Debug, Clone)]
pub struct AdminPrincipal {
    /// `admin:<name>`.
    pub actor: Actor,
    /// What the token may do.
    pub scope: AdminScope,
}

impl Engine {
    /// Creates an admin token; the returned secret is the only copy.
    pub async fn create_admin_token(
        &self,
        by: &Actor,
        new: NewAdminToken,
    ) -> EngineResult<(AdminToken, SecretString)> {
        let name = new.name.trim();
        if name.is_empty() || name.len() > 64 || name.chars().any(char::is_control) {
            return Err(EngineError::Validation(vec![
                crate::domain::FieldError::new("name", "must be 1 to 64 printable characters"),
            ]));
        }
        if new.lifetime.is_zero() || new.lifetime > ADMIN_TOKEN_MAX_LIFETIME {
            return Err(EngineError::Validation(vec![
                crate::domain::FieldError::new(
                    "expires_in",
                    "must be more than zero and at most 366 days",
                ),
            ]));
        }
        let now = self.now();
        let live = self.store.admin_tokens().await?;
        if live
            .iter()
            .any(|t| t.name == name && t.revoked_at.is_none() && t.expires_at > now)
        {
            return Err(EngineError::Conflict(format!(
                "a live admin token is named {name}"
            )));
        }
        let secret = token::generate();
        let created = AdminToken {
            id: uuid::Uuid::new_v4().to_string(),
            name: name.to_owned(),
            scope: new.scope,
            created_at: now,
            expires_at: now + new.lifetime,
            last_used_at: None,
            revoked_at: None,
        };
        self.store
            .insert_admin_token(&token::digest_secret(&secret), &created)
            .await?;
        // The token's name, never the token, as the identifier.
        self.audit(Event {
            kind: "admin_token_created",
            outcome: "success",
            actor: Some(by),
            identifier: Some(name),
            ..Event::default()
        })
        .await;
        Ok((created, secret))
    }

    /// Every admin token, newest first, without secrets.
    pub async fn admin_tokens(&self) -> EngineResult<Vec<AdminToken>> {
        Ok(self.store.admin_tokens().await?)
    }

    /// Revokes the live admin tokens with this id or name; `NotFound` if there is none.
    pub async fn revoke_admin_token(&self, by: &Actor, id_or_name: &str) -> EngineResult<()> {
        let revoked = self
            .store
            .revoke_admin_token(id_or_name, self.now())
            .await?;
        self.audit(Event {
            kind: "admin_token_revoked",
            outcome: if revoked > 0 { "success" } else { "not_found" },
            actor: Some(by),
            identifier: Some(id_or_name),
            ..Event::default()
        })
        .await;
        if revoked == 0 {
            return Err(EngineError::NotFound("admin token"));
        }
        Ok(())
    }

    /// Checks an admin bearer token for an action that needs `needed`. Unknown, expired and
    /// revoked tokens are `Unauthenticated`; a live token of too narrow a scope is refused, and
    /// that refusal is audited under its name. Reads (`needed` is `read`) are audited here,
    /// with `what` they read; every other action records its own event.
    pub async fn authorize_admin(
        &self,
        bearer: &str,
        needed: AdminScope,
        what: &str,
    ) -> EngineResult<AdminPrincipal> {
        let now = self.now();
        let found = self.store.admin_token(&token::digest(bearer)).await?;
        let Some(found) = found.filter(|t| t.revoked_at.is_none() && t.expires_at > now) else {
            return Err(EngineError::Unauthenticated);
        };
        let actor = Actor::Admin(found.name.clone());
        if !found.scope.covers(needed) {
            self.audit(Event {
                kind: "admin_request",
                outcome: "insufficient_scope",
                actor: Some(&actor),
                identifier: Some(what),
                ..Event::default()
            })
            .await;
            return Err(EngineError::InsufficientScope(needed));
        }
        if found
            .last_used_at
            .is_none_or(|at| at < now - LAST_USED_RESOLUTION)
        {
            self.store
                .touch_admin_token(&found.id, now, now - LAST_USED_RESOLUTION)
                .await?;
        }
        if needed == AdminScope::Read {
            self.audit(Event {
                kind: "admin_read",
                outcome: "success",
                actor: Some(&actor),
                identifier: Some(what),
                ..Event::default()
            })
            .await;
        }
        Ok(AdminPrincipal {
            actor,
            scope: found.scope,
        })
    }
}
