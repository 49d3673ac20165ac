//! Sessions (docs/DESIGN.md §4): opened by a sign-in, validated on every request (sliding idle
//! timeout under an absolute cap), ended by logout, disable or a password change.

use super::cache::{Cached, CachedSession};
use super::{Engine, EngineError, EngineResult};
use crate::crypto::{jwt, token};
use crate::domain::{Application, Assurance, Organization, Session, SessionKind, User};
use secrecy::SecretString;
use std::sync::Arc;
use std::time::Duration;
use time::OffsetDateTime;

/// Lifetime of a restricted `password_update` session.
const PASSWORD_UPDATE_LIFETIME: Duration = Duration::from_secs(10 * 60);
/// Lifetime of an `mfa_pending` session.
const MFA_PENDING_LIFETIME: Duration = Duration::from_secs(10 * 60);

/// A session just opened, with the only copy of its token.
#[derive(Debug)]
pub struct IssuedSession {
    /// The bearer token; shown to the client once, stored only as a hash.
    pub token: SecretString,
    /// The stored session.
    pub session: Session,
    /// Its user.
    pub user: User,
    /// The organisation it acts for.
    pub organization: Option<Organization>,
    /// The device token of a password sign-in (see `lockout.rs`), to hand to the client.
    pub device_token: Option<SecretString>,
    /// The user's identities (active memberships of active organisations), for faces that
    /// answer with them.
    pub identities: Vec<super::Identity>,
}

impl IssuedSession {
    /// When it ends if unused.
    pub fn idle_deadline(&self) -> OffsetDateTime {
        self.session.idle_deadline(self.session.last_seen_at)
    }
}

/// What a face lets an access token do. A session token manages its session; an access token
/// is for reading and for resource servers (ASVS 9.2.2), unless a platform's contract says
/// otherwise.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum AccessTokenUse {
    /// Reading only: minting access tokens, switching organisation, enrolling or removing
    /// factors, changing the password, stepping up and logging out everywhere need the session
    /// token (`token_restricted` otherwise).
    #[default]
    Read,
    /// Whatever the session token may do (Weavr accepts an access token wherever it accepts
    /// the session token). An access token minted from one never outlives it.
    Manage,
}

/// A bearer token as a face presents it, with what that face lets an access token do.
#[derive(Clone, Copy)]
pub struct Presented<'a> {
    token: &'a str,
    access: AccessTokenUse,
}

impl<'a> Presented<'a> {
    /// A token presented to a face whose access tokens do `access`.
    pub fn new(token: &'a str, access: AccessTokenUse) -> Self {
        Self { token, access }
    }

    /// The token itself.
    pub(crate) fn token(&self) -> &'a str {
        self.token
    }
}

impl<'a> From<&'a str> for Presented<'a> {
    fn from(token: &'a str) -> Self {
        Self::new(token, AccessTokenUse::Read)
    }
}

impl<'a> From<&'a String> for Presented<'a> {
    fn from(token: &'a String) -> Self {
        Self::new(token, AccessTokenUse::Read)
    }
}

impl std::fmt::Debug for Presented<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Presented(…, {:?})", self.access)
    }
}

/// A session that a presented token proved to be alive, just now.
#[derive(Debug, Clone)]
pub struct LiveSession {
    record: Arc<(Session, User)>,
    /// When it ends if unused from now on.
    pub idle_deadline: OffsetDateTime,
    /// When the presented access token expires; `None` when the session token was presented.
    pub access_token_expires: Option<OffsetDateTime>,
    /// Until when the session's last step-up counts, if it has one.
    pub step_up_until: Option<OffsetDateTime>,
}

impl LiveSession {
    /// A live session as read by the engine.
    pub(crate) fn new(
        session: Session,
        user: User,
        idle_deadline: OffsetDateTime,
        step_up_validity: std::time::Duration,
    ) -> Self {
        Self {
            step_up_until: session.stepped_up_at.map(|at| at + step_up_validity),
            record: Arc::new((session, user)),
            idle_deadline,
            access_token_expires: None,
        }
    }

    /// The session.
    pub fn session(&self) -> &Session {
        &self.record.0
    }

    /// Its user.
    pub fn user(&self) -> &User {
        &self.record.1
    }
}

/// How a bearer names its session: an opaque token (by hash) or an access token (by `sid`).
enum Lookup {
    TokenHash(String),
    SessionId(String),
}

impl Lookup {
    /// The session cache key: the token hash, or `sid:` and the session id.
    fn cache_key(&self) -> String {
        match self {
            Self::TokenHash(hash) => hash.clone(),
            Self::SessionId(id) => format!("sid:{id}"),
        }
    }
}

/// What a logout ends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogoutScope {
    /// The presented session.
    This,
    /// Every session of the user.
    All,
}

impl Engine {
    /// Opens a session of `kind` for `user` in `app`; at `Aal2` the second factor was proven
    /// just now (which counts as a step-up).
    pub(crate) async fn open_session(
        &self,
        user: &User,
        app: &Application,
        organization: Option<Organization>,
        kind: SessionKind,
        assurance: Assurance,
        client: crate::domain::ClientKind,
    ) -> EngineResult<IssuedSession> {
        let now = self.now();
        let (idle, absolute) = match kind {
            SessionKind::Auth => (
                app.session_idle.unwrap_or(self.config.session.idle),
                app.session_absolute.unwrap_or(self.config.session.absolute),
            ),
            SessionKind::PasswordUpdate => (PASSWORD_UPDATE_LIFETIME, PASSWORD_UPDATE_LIFETIME),
            SessionKind::MfaPending => (MFA_PENDING_LIFETIME, MFA_PENDING_LIFETIME),
        };
        let token = token::generate();
        let session = Session {
            id: uuid::Uuid::new_v4().to_string(),
            token_hash: token::digest_secret(&token),
            user_id: user.id.clone(),
            kind,
            assurance,
            application_id: app.id.clone(),
            organization_id: organization.as_ref().map(|o| o.id.clone()),
            created_at: now,
            last_seen_at: now,
            idle,
            expires_at: now + absolute,
            revoked_at: None,
            stepped_up_at: (assurance == Assurance::Aal2).then_some(now),
            client,
        };
        self.store.insert_session(&session).await?;
        Ok(IssuedSession {
            token,
            session,
            user: user.clone(),
            organization,
            device_token: None,
            identities: Vec::new(),
        })
    }

    /// Validates a bearer token of any kind and records the activity. Callers check the kind.
    ///
    /// This is the hot path: a SHA-256 and a map lookup; the store is read at most once a
    /// second per token and written at most once per tenth of the idle window.
    pub(crate) async fn validate(&self, bearer: &str) -> EngineResult<LiveSession> {
        let validated = self.validate_token(bearer).await;
        self.metrics.validation(match &validated {
            Ok(_) => "valid",
            Err(EngineError::Unauthenticated) => "invalid",
            Err(e) => e.code(),
        });
        validated
    }

    async fn validate_token(&self, bearer: &str) -> EngineResult<LiveSession> {
        let now = self.now();
        let mut access_token_expires = None;
        let lookup = if jwt::looks_like_jwt(bearer) {
            let claims = self.verify_access_token(bearer).await?;
            access_token_expires = OffsetDateTime::from_unix_timestamp(claims.exp).ok();
            Lookup::SessionId(claims.sid)
        } else {
            Lookup::TokenHash(token::digest(bearer))
        };
        let key = lookup.cache_key();
        let cached = match self.sessions.hit(&key, now) {
            Cached::Miss => self.load_session(&lookup, key, now).await?,
            known => known,
        };
        let (entry, persist) = match cached {
            Cached::Open(entry, persist) => (entry, persist),
            Cached::Ended | Cached::Miss => return Err(EngineError::Unauthenticated),
        };
        let (session, _) = &*entry.record;
        if persist {
            self.store.touch_session(&session.id, now).await?;
        }
        Ok(LiveSession {
            idle_deadline: session.idle_deadline(now),
            step_up_until: self.step_up_until(session),
            record: Arc::clone(&entry.record),
            access_token_expires,
        })
    }

    /// Reads a session and its user from the store into the cache; what the cache then makes
    /// of the token.
    async fn load_session(
        &self,
        lookup: &Lookup,
        key: String,
        now: OffsetDateTime,
    ) -> EngineResult<Cached> {
        let read = self.sessions.mark();
        let session = match lookup {
            Lookup::TokenHash(hash) => self.store.session_by_token_hash(hash).await?,
            Lookup::SessionId(id) => self.store.session_by_id(id).await?,
        }
        .ok_or(EngineError::Unauthenticated)?;
        let user = self
            .store
            .user_by_id(&session.user_id)
            .await?
            .ok_or(EngineError::Unauthenticated)?;
        let entry = CachedSession::new(session, user, now);
        Ok(self.sessions.put(key, entry, read))
    }

    /// A full (`auth`) session for the token: the only kind ordinary endpoints accept.
    pub async fn session(&self, bearer: &str) -> EngineResult<LiveSession> {
        let live = self.validate(bearer).await?;
        match live.session().kind {
            SessionKind::Auth => Ok(live),
            SessionKind::MfaPending | SessionKind::PasswordUpdate => {
                Err(EngineError::TokenRestricted)
            }
        }
    }

    /// A full session, for an application if one is named: without a name the token is
    /// validated for the application it was issued for; with one, the two must match
    /// (`unauthenticated` otherwise, as for any token that is not good here).
    pub async fn session_for_application(
        &self,
        bearer: &str,
        application: Option<&str>,
    ) -> EngineResult<LiveSession> {
        let live = self.session(bearer).await?;
        match application {
            Some(id) if id != live.session().application_id => Err(EngineError::Unauthenticated),
            _ => Ok(live),
        }
    }

    /// A full session presented to manage it: by its session token, or by an access token
    /// where the face lets access tokens manage (see [`AccessTokenUse`]).
    pub(crate) async fn managed_session(&self, bearer: Presented<'_>) -> EngineResult<LiveSession> {
        let live = self.session(bearer.token).await?;
        refuse_reading_token(&live, bearer)?;
        Ok(live)
    }

    /// Ends the presented session, or every session of its user (which an access token may do
    /// only where it may manage).
    /// A restricted token is refused here as everywhere but the password change; it dies on
    /// its own within minutes.
    pub async fn logout(
        &self,
        bearer: impl Into<Presented<'_>>,
        scope: LogoutScope,
    ) -> EngineResult<()> {
        let bearer = bearer.into();
        let live = match scope {
            LogoutScope::This => self.session(bearer.token).await?,
            LogoutScope::All => self.managed_session(bearer).await?,
        };
        match scope {
            LogoutScope::This => {
                self.store
                    .revoke_session(&live.session().id, self.now())
                    .await?;
                self.forget_session(live.session());
            }
            LogoutScope::All => self.end_user_sessions(&live.user().id).await?,
        }
        let kind = match scope {
            LogoutScope::This => "logout",
            LogoutScope::All => "logout_all",
        };
        self.audit(super::audit::Event {
            kind,
            outcome: "success",
            user_id: Some(&live.user().id),
            application_id: Some(&live.session().application_id),
            ..super::audit::Event::default()
        })
        .await;
        Ok(())
    }

    /// Gives the bearer's session a new token; the presented one stops working at once on this
    /// instance and within the session cache's second on others. Only an opaque session token
    /// can be refreshed (an access token is re-issued instead).
    pub async fn refresh_session_token(
        &self,
        bearer: &str,
    ) -> EngineResult<(SecretString, OffsetDateTime)> {
        let live = self.session(bearer).await?;
        if jwt::looks_like_jwt(bearer) {
            return Err(EngineError::Unauthenticated);
        }
        let token = self.rotate_token(&live).await?;
        Ok((token, live.idle_deadline))
    }

    /// Gives a live session a new opaque token; the one it had stops working (on this instance
    /// at once, on others within the session cache's second).
    pub(crate) async fn rotate_token(&self, live: &LiveSession) -> EngineResult<SecretString> {
        let session = live.session();
        let token = token::generate();
        let replaced = self
            .store
            .replace_session_token(
                &session.id,
                &session.token_hash,
                &token::digest_secret(&token),
            )
            .await?;
        self.forget_session(session);
        if !replaced {
            return Err(EngineError::Unauthenticated);
        }
        Ok(token)
    }

    /// Drops a session from this instance's cache, so that its next use reads the store.
    pub(crate) fn forget_session(&self, session: &Session) {
        // Both ways of naming it: its own token, and access tokens (by session id).
        self.sessions.remove(&session.token_hash);
        self.sessions
            .remove(&Lookup::SessionId(session.id.clone()).cache_key());
    }

    /// Ends every session of a user, on this instance at once and on others within a second.
    pub(crate) async fn end_user_sessions(&self, user_id: &str) -> EngineResult<()> {
        self.store.revoke_user_sessions(user_id, self.now()).await?;
        self.sessions.remove_user(user_id);
        Ok(())
    }
}

/// Refuses an access token where its face lets access tokens only read.
pub(crate) fn refuse_reading_token(live: &LiveSession, bearer: Presented<'_>) -> EngineResult<()> {
    if live.access_token_expires.is_some() && bearer.access == AccessTokenUse::Read {
        return Err(EngineError::TokenRestricted);
    }
    Ok(())
}
