//! The organisations a session's user may act for (Weavr's identities, Amplify's orgs),
//! switching the session between them, and RFC 7662 introspection for resource servers.

use super::session::Presented;
use super::{AppSelector, Engine, EngineError, EngineResult, LiveSession};
use crate::crypto::{jwt, token};
use crate::domain::{MembershipStatus, OrgStatus, Organization, Role, SessionKind, UserStatus};

/// An organisation the user may act for, with the user's role there.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Identity {
    /// The organisation.
    pub organization: Organization,
    /// The user's role in it.
    pub role: Role,
}

/// A live session with the organisations its user may act for.
#[derive(Debug, Clone)]
pub struct SessionWithIdentities {
    /// The session.
    pub live: LiveSession,
    /// Its user's active organisations.
    pub identities: Vec<Identity>,
}

/// A session moved to another organisation.
#[derive(Debug)]
pub struct Switched {
    /// The session as it now stands, with its user's organisations.
    pub session: SessionWithIdentities,
    /// Its new token, on a face whose profile rotates it on a switch (the old one is dead).
    pub new_token: Option<secrecy::SecretString>,
}

/// What introspection says of a token.
#[derive(Debug, Clone)]
pub enum Introspection {
    /// Not a live token (of any kind): nothing more is said.
    Inactive,
    /// A live access token.
    AccessToken(super::AccessClaims),
    /// A live full session token.
    Session {
        /// The session.
        live: Box<LiveSession>,
        /// When it ends if unused (Unix seconds).
        exp: i64,
    },
}

/// The identities among a user's memberships: active memberships of active organisations.
pub(crate) fn active_identities(memberships: &[crate::store::MembershipWithOrg]) -> Vec<Identity> {
    memberships
        .iter()
        .filter(|(m, o)| m.status == MembershipStatus::Active && o.status == OrgStatus::Active)
        .map(|(m, organization)| Identity {
            organization: organization.clone(),
            role: m.role,
        })
        .collect()
}

impl Engine {
    /// The active organisations of the session's user, active memberships only.
    pub async fn identities(&self, bearer: &str) -> EngineResult<Vec<Identity>> {
        let live = self.session(bearer).await?;
        self.identities_of(live.user()).await
    }

    /// A user's active organisations, active memberships only: for describing a session (no
    /// store read on a validation that hits the caches; see `cache::MembershipCache`).
    pub(crate) async fn identities_of(
        &self,
        user: &crate::domain::User,
    ) -> EngineResult<Vec<Identity>> {
        let now = self.now();
        let memberships = match self.memberships.get(&user.id, now) {
            Some(cached) => cached,
            None => {
                let mark = self.memberships.mark();
                let read = std::sync::Arc::new(self.store.memberships_of(&user.id).await?);
                self.memberships
                    .put(&user.id, std::sync::Arc::clone(&read), now, mark);
                read
            }
        };
        Ok(active_identities(&memberships))
    }

    /// A full session with its user's active organisations (for a face that describes both).
    pub async fn session_with_identities(
        &self,
        bearer: &str,
    ) -> EngineResult<SessionWithIdentities> {
        let live = self.session(bearer).await?;
        let identities = self.identities_of(live.user()).await?;
        Ok(SessionWithIdentities { live, identities })
    }

    /// Moves the session to another of its user's organisations.
    pub async fn switch_organization(
        &self,
        bearer: impl Into<Presented<'_>>,
        organization: &str,
        profile: &super::FaceProfile,
    ) -> EngineResult<Switched> {
        let bearer = bearer.into();
        let live = self.managed_session(bearer).await?;
        let app = self
            .application(&AppSelector::Id(live.session().application_id.clone()))
            .await?;
        if app
            .organization
            .as_deref()
            .is_some_and(|only| only != organization)
        {
            return Err(EngineError::ApplicationForbidden);
        }
        let memberships = self.store.memberships_of(&live.user().id).await?;
        let (membership, org) = memberships
            .iter()
            .find(|(_, o)| o.id == organization)
            .ok_or(EngineError::OrganizationNotMember)?;
        match (membership.status, org.status) {
            (_, OrgStatus::Disabled) => return Err(EngineError::OrganizationDisabled),
            (MembershipStatus::Pending, _) | (_, OrgStatus::Pending) => {
                return Err(EngineError::OrganizationPending);
            }
            (MembershipStatus::Active, OrgStatus::Active) => {}
        }
        if org.idp_required {
            return Err(EngineError::IdpRequired);
        }
        self.store
            .set_session_organization(&live.session().id, organization)
            .await?;
        self.sessions.remove_user(&live.user().id);
        let live = self.managed_session(bearer).await?;
        let new_token = if profile.rotate_on_switch {
            Some(self.rotate_token(&live).await?)
        } else {
            None
        };
        Ok(Switched {
            session: SessionWithIdentities {
                live,
                identities: active_identities(&memberships),
            },
            new_token,
        })
    }

    /// RFC 7662: what a token is, for an application authenticated by its id and API key.
    /// Introspection does not count as the token's activity, and an application sees only its
    /// own tokens.
    pub async fn introspect(
        &self,
        client_id: &str,
        api_key: &str,
        presented: &str,
        source: Option<std::net::IpAddr>,
    ) -> EngineResult<Introspection> {
        use super::application::API_KEY_FAILURES;
        self.limit_address(API_KEY_FAILURES, source)?;
        let app = self
            .store
            .application_by_api_key(&token::digest(api_key))
            .await;
        if !matches!(&app, Ok(Some(a)) if a.id == client_id) {
            return match app {
                Err(e) => {
                    self.refund_address(API_KEY_FAILURES, source);
                    Err(e.into())
                }
                Ok(_) => Err(EngineError::Unauthenticated),
            };
        }
        self.refund_address(API_KEY_FAILURES, source);
        let now = self.now();
        let (session, claims) = if jwt::looks_like_jwt(presented) {
            let Ok(claims) = self.verify_access_token(presented).await else {
                return Ok(Introspection::Inactive);
            };
            (self.store.session_by_id(&claims.sid).await?, Some(claims))
        } else {
            (
                self.store
                    .session_by_token_hash(&token::digest(presented))
                    .await?,
                None,
            )
        };
        // An application sees only the tokens issued for it (an access token's `aud` is its
        // session's application): another application's token is simply not active here.
        let Some(session) = session.filter(|s| s.application_id == client_id) else {
            return Ok(Introspection::Inactive);
        };
        let user = self.store.user_by_id(&session.user_id).await?;
        let seen = self
            .sessions
            .seen(&session.token_hash)
            .unwrap_or(session.last_seen_at)
            .max(session.last_seen_at);
        let deadline = session.idle_deadline(seen);
        let alive = session.revoked_at.is_none()
            && session.kind == SessionKind::Auth
            && now < deadline
            && user
                .as_ref()
                .is_some_and(|u| u.status == UserStatus::Active);
        Ok(match (alive, claims, user) {
            (true, Some(claims), _) => Introspection::AccessToken(claims),
            (true, None, Some(user)) => Introspection::Session {
                exp: deadline.unix_timestamp(),
                live: Box::new(LiveSession::new(
                    session,
                    user,
                    deadline,
                    self.config.stepup.validity,
                )),
            },
            _ => Introspection::Inactive,
        })
    }
}
