//! An LDAP directory as an authentication backend: the passwords of `realm: "directory"` users
//! are checked by binding to it as the user (ldap3, rustls). Every connection and operation has
//! a bounded timeout; a directory that is down or answers with an error is a
//! [`DirectoryError`], never a wrong password.

use crate::config::DirectoryConfig;
use ldap3::{LdapConnAsync, LdapConnSettings, Scope, SearchEntry, dn_escape, ldap_escape};
use secrecy::ExposeSecret;
use thiserror::Error;

/// LDAP's "invalid credentials" result code.
const INVALID_CREDENTIALS: u32 = 49;

/// Why the directory could not answer.
#[derive(Debug, Clone, Error)]
pub enum DirectoryError {
    /// It could not be reached in time.
    #[error("the directory could not be reached: {0}")]
    Unreachable(String),
    /// It answered with an error.
    #[error("the directory answered with an error: {0}")]
    Failed(String),
    /// Doorward's side of it is wrong: the search account is refused, or the settings are
    /// incomplete.
    #[error("the directory is misconfigured: {0}")]
    Misconfigured(String),
}

/// A configured directory.
#[derive(Debug, Clone)]
pub struct Directory {
    config: DirectoryConfig,
}

/// Who is signing in.
#[derive(Debug, Clone, Copy)]
pub struct DirectoryUser<'a> {
    /// The username (the email when the user has none).
    pub username: &'a str,
    /// The email.
    pub email: &'a str,
}

impl Directory {
    /// A client for the configured directory (nothing is connected yet).
    pub fn new(config: DirectoryConfig) -> Self {
        Self { config }
    }

    /// Whether `password` is the user's directory password.
    pub async fn verify(
        &self,
        user: DirectoryUser<'_>,
        password: &str,
    ) -> Result<bool, DirectoryError> {
        // An empty password would be an unauthenticated bind, which "succeeds".
        if password.is_empty() {
            return Ok(false);
        }
        let mut ldap = self.connect().await?;
        let dn = match &self.config.bind_dn {
            Some(template) => Some(fill(template, user, Escape::Dn)),
            None => self.search(&mut ldap, user).await?,
        };
        let Some(dn) = dn else {
            let _ = ldap.unbind().await;
            return Ok(false);
        };
        let bound = ldap
            .simple_bind(&dn, password)
            .await
            .map_err(|e| DirectoryError::Unreachable(e.to_string()))?;
        let _ = ldap.unbind().await;
        match bound.rc {
            0 => Ok(true),
            INVALID_CREDENTIALS => Ok(false),
            rc => Err(DirectoryError::Failed(format!(
                "bind answered result code {rc}"
            ))),
        }
    }

    async fn connect(&self) -> Result<ldap3::Ldap, DirectoryError> {
        let settings = LdapConnSettings::new()
            .set_conn_timeout(self.config.timeout)
            .set_starttls(self.config.starttls)
            .set_no_tls_verify(!self.config.tls_verify);
        let (conn, mut ldap) = LdapConnAsync::with_settings(settings, &self.config.url)
            .await
            .map_err(|e| DirectoryError::Unreachable(e.to_string()))?;
        ldap3::drive!(conn);
        ldap.with_timeout(self.config.timeout);
        Ok(ldap)
    }

    /// The DN of the one entry the search finds; `None` when there is none (or several).
    async fn search(
        &self,
        ldap: &mut ldap3::Ldap,
        user: DirectoryUser<'_>,
    ) -> Result<Option<String>, DirectoryError> {
        if let Some(dn) = &self.config.search_bind_dn {
            // Configuration refuses a bind DN without its password: an empty password would
            // be an unauthenticated bind (RFC 4513 §5.1.2) that many servers accept.
            let Some(password) = &self.config.search_bind_password else {
                return Err(DirectoryError::Misconfigured(
                    "directory.search_bind_dn is set without search_bind_password".to_owned(),
                ));
            };
            let bound = ldap
                .simple_bind(dn, password.expose_secret())
                .await
                .map_err(|e| DirectoryError::Unreachable(e.to_string()))?;
            if bound.rc != 0 {
                return Err(DirectoryError::Misconfigured(format!(
                    "the search account's bind answered result code {}",
                    bound.rc
                )));
            }
        }
        let (Some(base), Some(filter)) = (&self.config.search_base, &self.config.search_filter)
        else {
            return Err(DirectoryError::Misconfigured(
                "directory search needs search_base and search_filter".to_owned(),
            ));
        };
        let filter = fill(filter, user, Escape::Filter);
        let (entries, _) = ldap
            .search(base, Scope::Subtree, &filter, vec!["1.1"])
            .await
            .map_err(|e| DirectoryError::Unreachable(e.to_string()))?
            .success()
            .map_err(|e| DirectoryError::Failed(e.to_string()))?;
        ldap.with_timeout(self.config.timeout);
        if entries.len() != 1 {
            return Ok(None);
        }
        Ok(entries
            .into_iter()
            .next()
            .map(|entry| SearchEntry::construct(entry).dn))
    }
}

/// How a value is escaped where it is put.
#[derive(Clone, Copy)]
enum Escape {
    /// In a DN (RFC 4514).
    Dn,
    /// In a search filter (RFC 4515).
    Filter,
}

fn fill(template: &str, user: DirectoryUser<'_>, escape: Escape) -> String {
    let escaped = |value: &str| -> String {
        match escape {
            Escape::Dn => dn_escape(value).into_owned(),
            Escape::Filter => ldap_escape(value).into_owned(),
        }
    };
    template
        .replace("{username}", &escaped(user.username))
        .replace("{email}", &escaped(user.email))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn templates_escape_what_they_insert() {
        let user = DirectoryUser {
            username: "eve)(uid=*",
            email: "a,b@example.test",
        };
        assert_eq!(
            fill("(|(uid={username})(mail={email}))", user, Escape::Filter),
            "(|(uid=eve\\29\\28uid=\\2a)(mail=a,b@example.test))"
        );
        assert_eq!(
            fill("uid={email},ou=people", user, Escape::Dn),
            "uid=a\\2cb@example.test,ou=people"
        );
    }
}
