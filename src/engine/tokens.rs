//! Signed access tokens (docs/DESIGN.md §2): short-lived EdDSA JWTs for one identity (organisation),
//! issued from a session and carrying its id, so that this server stops honouring them the
//! moment the session ends. Keys are made on first start, kept in the store (sealed when a key
//! encryption key is configured), published at `/.well-known/jwks.json`, and rotated with
//! `doorward keys rotate`: a retired key stays published until every token it signed expired.

use super::session::Presented;
use super::{Engine, EngineError, EngineResult};
use crate::crypto::{jwt, keys};
use crate::domain::{MembershipStatus, OrgStatus, StoredSigningKey};
use ed25519_dalek::{SigningKey, VerifyingKey};
use rand::rngs::OsRng;
use serde::{Deserialize, Serialize};
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::{PoisonError, RwLock};
use time::{Duration, OffsetDateTime};

/// Clock skew allowed when a retired key is kept published.
const PUBLISH_GRACE: Duration = Duration::MINUTE;

/// The claims of an access token.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct AccessClaims {
    /// Issuer.
    pub iss: String,
    /// The user.
    pub sub: String,
    /// The application the session was opened for.
    pub aud: String,
    /// The session; the token is honoured only while it lives.
    pub sid: String,
    /// The organisation (identity) the token acts for.
    pub org: String,
    /// The user's role there.
    pub role: String,
    /// Assurance of the session.
    pub aal: String,
    /// Issued at (Unix seconds).
    pub iat: i64,
    /// Not before (Unix seconds).
    pub nbf: i64,
    /// Expires (Unix seconds).
    pub exp: i64,
    /// Token id.
    pub jti: String,
}

/// A freshly issued access token.
#[derive(Debug)]
pub struct AccessToken {
    /// The compact JWS.
    pub token: secrecy::SecretString,
    /// Seconds until it expires.
    pub expires_in: i64,
    /// The organisation it acts for.
    pub organization: String,
    /// The user it was issued to.
    pub user_id: String,
    /// The user's identities (active memberships of active organisations), for faces that
    /// answer with them.
    pub identities: Vec<super::Identity>,
    /// Whether its session's last step-up still counts (Weavr's `STEPPED_UP`).
    pub stepped_up: bool,
}

/// The keys this instance signs and verifies with.
#[derive(Default)]
pub struct KeyRing {
    /// The newest unretired key: (kid, key).
    signer: Option<(String, SigningKey)>,
    /// Every stored key: (kid, key, retired at); see `still_published`.
    published: Vec<(String, VerifyingKey, Option<OffsetDateTime>)>,
}

impl std::fmt::Debug for KeyRing {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("KeyRing")
            .field("published", &self.published.len())
            .finish_non_exhaustive()
    }
}

/// Keys in the ring behind a lock that is only written when keys change; when the store was
/// last asked for unknown keys (Unix seconds), so that tokens with made-up `kid`s cannot make
/// every request read the store; and when the ring was loaded (Unix seconds).
#[derive(Debug, Default)]
pub struct Keys(RwLock<KeyRing>, AtomicI64, AtomicI64);

/// How often an instance re-reads the keys, so a rotation made elsewhere (the CLI, another
/// instance) is picked up for signing and publishing.
const RELOAD_EVERY_SECS: i64 = 60;

impl Engine {
    /// Loads the signing keys, making the first one if there is none.
    pub async fn load_keys(&self) -> EngineResult<()> {
        let mut stored = self.store.signing_keys().await?;
        if stored.is_empty() {
            self.create_key().await?;
            stored = self.store.signing_keys().await?;
        }
        self.install_keys(&stored)
    }

    /// Adds a new signing key that signs from now on; the old ones stay published until the
    /// tokens they signed have expired. Returns the new `kid`.
    pub async fn rotate_keys(&self, by: &crate::domain::Actor) -> EngineResult<String> {
        let kid = self.create_key().await?;
        self.store.retire_signing_keys(&kid, self.now()).await?;
        self.load_keys().await?;
        self.audit(super::audit::Event {
            actor: Some(by),
            kind: "keys_rotated",
            outcome: "success",
            identifier: Some(&kid),
            ..super::audit::Event::default()
        })
        .await;
        Ok(kid)
    }

    async fn create_key(&self) -> EngineResult<String> {
        let key = SigningKey::generate(&mut OsRng);
        let kid = uuid::Uuid::new_v4().simple().to_string();
        let record = StoredSigningKey {
            kid: kid.clone(),
            public_key: keys::public_x(&key),
            private_key: keys::seal(&key, self.config.keys.encryption_key.as_ref())
                .map_err(EngineError::internal)?,
            created_at: self.clock.now(),
            retired_at: None,
        };
        self.store.insert_signing_key(&record).await?;
        Ok(kid)
    }

    fn install_keys(&self, stored: &[StoredSigningKey]) -> EngineResult<()> {
        let kek = self.config.keys.encryption_key.as_ref();
        let mut ring = KeyRing::default();
        for key in stored {
            let Some(signing) = keys::open(&key.private_key, kek) else {
                return Err(EngineError::internal(format!(
                    "signing key {} cannot be opened: is keys.encryption_key right?",
                    key.kid
                )));
            };
            ring.published
                .push((key.kid.clone(), signing.verifying_key(), key.retired_at));
            if key.retired_at.is_none() {
                ring.signer = Some((key.kid.clone(), signing));
            }
        }
        *self.keys.0.write().unwrap_or_else(PoisonError::into_inner) = ring;
        self.keys
            .2
            .store(self.now().unix_timestamp(), Ordering::Release);
        Ok(())
    }

    /// Whether a key retired at `retired_at` may still have valid tokens out there.
    fn still_published(&self, retired_at: Option<OffsetDateTime>) -> bool {
        retired_at.is_none_or(|at| at + self.access_token_lifetime() + PUBLISH_GRACE > self.now())
    }

    fn access_token_lifetime(&self) -> Duration {
        Duration::try_from(self.config.access_token.lifetime).unwrap_or(Duration::MINUTE)
    }

    /// Re-reads the keys when the ring is older than a minute.
    async fn refresh_keys(&self) -> EngineResult<()> {
        let loaded = self.keys.2.load(Ordering::Acquire);
        if self.now().unix_timestamp() - loaded >= RELOAD_EVERY_SECS {
            self.load_keys().await?;
        }
        Ok(())
    }

    /// The published keys as a JWKS document.
    pub async fn jwks(&self) -> EngineResult<serde_json::Value> {
        self.refresh_keys().await?;
        let ring = self.keys.0.read().unwrap_or_else(PoisonError::into_inner);
        let keys: Vec<_> = ring
            .published
            .iter()
            .filter(|(_, _, retired_at)| self.still_published(*retired_at))
            .map(|(kid, key, _)| {
                serde_json::json!({
                    "kty": "OKP", "crv": "Ed25519", "alg": "EdDSA", "use": "sig", "kid": kid,
                    "x": base64::Engine::encode(&base64::engine::general_purpose::URL_SAFE_NO_PAD, key.to_bytes()),
                })
            })
            .collect();
        Ok(serde_json::json!({ "keys": keys }))
    }

    /// Issues an access token for one of the session's organisations (its own by default).
    pub async fn issue_access_token(
        &self,
        bearer: impl Into<Presented<'_>>,
        organization: Option<String>,
    ) -> EngineResult<AccessToken> {
        let bearer = bearer.into();
        let live = self.managed_session(bearer).await?;
        let org_id = organization
            .or_else(|| live.session().organization_id.clone())
            .ok_or(EngineError::OrganizationNotMember)?;
        let memberships = self.store.memberships_of(&live.user().id).await?;
        let (membership, _) = memberships
            .iter()
            .find(|(m, o)| {
                o.id == org_id
                    && m.status == MembershipStatus::Active
                    && o.status == OrgStatus::Active
            })
            .ok_or(EngineError::OrganizationNotMember)?;
        self.refresh_keys().await?;
        let now = self.now();
        // A token minted from an access token never outlives the one it came from.
        let expires = live
            .access_token_expires
            .map_or(now + self.access_token_lifetime(), |presented| {
                presented.min(now + self.access_token_lifetime())
            });
        let lifetime = expires - now;
        let session = live.session();
        let claims = AccessClaims {
            iss: self.config.access_token.issuer.clone(),
            sub: live.user().id.clone(),
            aud: session.application_id.clone(),
            sid: session.id.clone(),
            org: org_id.clone(),
            role: membership.role.as_str().to_owned(),
            aal: session.assurance.as_str().to_owned(),
            iat: now.unix_timestamp(),
            nbf: now.unix_timestamp(),
            exp: expires.unix_timestamp(),
            jti: uuid::Uuid::new_v4().to_string(),
        };
        let token = {
            let ring = self.keys.0.read().unwrap_or_else(PoisonError::into_inner);
            let (kid, key) = ring
                .signer
                .as_ref()
                .ok_or_else(|| EngineError::internal("no signing key"))?;
            jwt::sign(&claims, kid, key).map_err(EngineError::internal)?
        };
        let identities = super::identities::active_identities(&memberships);
        Ok(AccessToken {
            token: secrecy::SecretString::from(token),
            expires_in: lifetime.whole_seconds(),
            organization: org_id,
            user_id: live.user().id.clone(),
            identities,
            stepped_up: live.step_up_until.is_some_and(|until| now < until),
        })
    }

    /// Checks an access token's signature and times; the caller checks its session.
    pub(crate) async fn verify_access_token(&self, token: &str) -> EngineResult<AccessClaims> {
        let claims = match self.verify_with_ring(token) {
            Err(jwt::JwtError::UnknownKey) if self.may_reload_keys() => {
                // Another instance may have rotated: reload (at most once a second), then decide.
                self.load_keys().await?;
                self.verify_with_ring(token)
            }
            other => other,
        }
        .map_err(|_| EngineError::Unauthenticated)?;
        let now = self.now().unix_timestamp();
        if claims.exp <= now || claims.nbf > now {
            return Err(EngineError::Unauthenticated);
        }
        Ok(claims)
    }

    fn may_reload_keys(&self) -> bool {
        let now = self.now().unix_timestamp();
        let last = self.keys.1.swap(now, Ordering::AcqRel);
        last != now
    }

    fn verify_with_ring(&self, token: &str) -> Result<AccessClaims, jwt::JwtError> {
        let ring = self.keys.0.read().unwrap_or_else(PoisonError::into_inner);
        jwt::verify(token, |kid| {
            ring.published
                .iter()
                .find(|(k, _, _)| k == kid)
                .map(|(_, key, _)| *key)
        })
    }
}
