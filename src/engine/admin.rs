//! Admin tokens: bearer tokens for `/v1/admin/*`, created from the CLI, stored only as hashes.

use super::{Engine, EngineError, EngineResult};
use crate::crypto::token;
use secrecy::SecretString;

impl Engine {
    /// Creates an admin token; the returned secret is the only copy.
    pub async fn create_admin_token(&self, name: &str) -> EngineResult<SecretString> {
        let secret = token::generate();
        self.store
            .insert_admin_token(&token::digest_secret(&secret), name, self.now())
            .await?;
        // The token's name, never the token, as the identifier.
        self.audit(super::audit::Event {
            kind: "admin_token_created",
            outcome: "success",
            identifier: Some(name),
            ..super::audit::Event::default()
        })
        .await;
        Ok(secret)
    }

    /// Checks an admin bearer token.
    pub async fn authorize_admin(&self, bearer: &str) -> EngineResult<()> {
        if self
            .store
            .admin_token_exists(&token::digest(bearer))
            .await?
        {
            Ok(())
        } else {
            Err(EngineError::Unauthenticated)
        }
    }
}
