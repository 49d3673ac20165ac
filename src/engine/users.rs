//! Administration of users: create, disable, enable, set a password, list. The CLI and the
//! admin API call these same functions.

use super::audit::Event;
use super::{Engine, EngineError, EngineResult};
use crate::domain::{
    Email, Password, PasswordHash, PasswordState, Realm, User, UserStatus, Username,
};

/// A user to create.
#[derive(Debug, Clone)]
pub struct NewUser {
    /// Email address.
    pub email: Email,
    /// Optional username.
    pub username: Option<Username>,
    /// Display name (defaults to the email).
    pub name: Option<String>,
    /// Initial password; without one the account cannot sign in until a password is set.
    pub password: Option<Password>,
    /// Initial status (active when not given).
    pub status: Option<UserStatus>,
}

/// What `PATCH /v1/admin/users/{user}` may change; `None` keeps a field.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct UserChanges {
    /// The display name.
    pub name: Option<String>,
    /// The username (`Some(None)` clears it).
    pub username: Option<Option<crate::domain::Username>>,
    /// The phone number (`Some(None)` clears it).
    pub phone: Option<Option<String>>,
    /// The user's own second-factor switch.
    pub mfa: Option<bool>,
}

/// How an administrator names a user: by id, or by email when it contains `@`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum UserRef {
    /// By id.
    Id(String),
    /// By email.
    Email(Email),
}

impl UserRef {
    /// `ann@example.test` → email; anything else → id.
    pub fn parse(text: &str) -> Result<Self, &'static str> {
        if text.contains('@') {
            Email::parse(text).map(Self::Email)
        } else if !text.is_empty() && text.chars().all(|c| c.is_ascii_digit()) {
            Ok(Self::Id(text.to_owned()))
        } else {
            Err("not a user id or email")
        }
    }
}

/// A new random numeric id (15 digits): ids are numeric strings, never sequential.
pub(crate) fn numeric_id() -> String {
    use rand::Rng;
    rand::thread_rng()
        .gen_range(100_000_000_000_000_u64..1_000_000_000_000_000)
        .to_string()
}

impl Engine {
    /// Creates a user.
    pub async fn create_user(&self, by: &crate::domain::Actor, new: NewUser) -> EngineResult<User> {
        let password_hash = match &new.password {
            Some(password) => Some(PasswordHash(
                self.hash_new_password(password, new.email.as_str()).await?,
            )),
            None => None,
        };
        let user = User {
            id: numeric_id(),
            email: new.email.as_str().to_owned(),
            username: new.username.map(|u| u.as_str().to_owned()),
            name: new.name.unwrap_or_else(|| new.email.as_str().to_owned()),
            status: new.status.unwrap_or(UserStatus::Active),
            password_hash,
            password_state: PasswordState::Ok,
            password_expires_at: None,
            external_idp: None,
            tooling_password_hash: None,
            realm: Realm::Local,
            phone: None,
            mfa: false,
        };
        self.store.insert_user(&user, self.now()).await?;
        if let Some(hash) = &user.password_hash {
            let history = self.config.password.history;
            self.store
                .push_password_history(&user.id, &hash.0, self.now(), history)
                .await?;
        }
        self.audit(Event {
            actor: Some(by),
            kind: "user_created",
            outcome: "success",
            user_id: Some(&user.id),
            ..Event::default()
        })
        .await;
        Ok(user)
    }

    /// The user a reference names.
    pub async fn user(&self, user: &UserRef) -> EngineResult<User> {
        let found = match user {
            UserRef::Id(id) => self.store.user_by_id(id).await?,
            UserRef::Email(email) => self.store.user_by_email(email.as_str()).await?,
        };
        found.ok_or(EngineError::NotFound("user"))
    }

    /// Every user, ordered by email.
    pub async fn list_users(&self) -> EngineResult<Vec<User>> {
        Ok(self.store.list_users().await?)
    }

    /// Disables or enables a user. Disabling ends every session of the user.
    pub async fn set_user_status(
        &self,
        by: &crate::domain::Actor,
        user: &UserRef,
        status: UserStatus,
    ) -> EngineResult<User> {
        let mut found = self.user(user).await?;
        self.store.set_user_status(&found.id, status).await?;
        if status != UserStatus::Active {
            self.end_user_sessions(&found.id).await?;
        }
        let kind = match status {
            UserStatus::Active => "user_enabled",
            UserStatus::Disabled => "user_disabled",
            UserStatus::PendingActivation => "user_pending",
        };
        self.audit(Event {
            actor: Some(by),
            kind,
            outcome: "success",
            user_id: Some(&found.id),
            ..Event::default()
        })
        .await;
        found.status = status;
        Ok(found)
    }

    /// Changes what an administrator may change of a user's profile; a field left `None` stays.
    pub async fn update_user(
        &self,
        by: &crate::domain::Actor,
        user: &UserRef,
        changes: UserChanges,
    ) -> EngineResult<User> {
        let mut found = self.user(user).await?;
        if let Some(name) = changes.name {
            found.name = name;
        }
        if let Some(username) = changes.username {
            found.username = username.map(|u| u.as_str().to_owned());
        }
        if let Some(phone) = changes.phone {
            found.phone = phone.map(|p| super::factors::parse_phone(&p)).transpose()?;
        }
        if let Some(mfa) = changes.mfa {
            found.mfa = mfa;
        }
        self.store.update_user_profile(&found).await?;
        self.sessions.remove_user(&found.id);
        self.audit(Event {
            actor: Some(by),
            kind: "user_updated",
            outcome: "success",
            user_id: Some(&found.id),
            ..Event::default()
        })
        .await;
        Ok(found)
    }

    /// Deletes a user: its sessions end (here at once, on other instances within a second),
    /// and its factors, memberships and tokens go with it. The audit trail keeps its events,
    /// and records this one.
    pub async fn delete_user(&self, by: &crate::domain::Actor, user: &UserRef) -> EngineResult<()> {
        let found = self.user(user).await?;
        if !self.store.delete_user(&found.id).await? {
            return Err(EngineError::NotFound("user"));
        }
        self.memberships.clear();
        self.sessions.remove_user(&found.id);
        self.audit(Event {
            actor: Some(by),
            kind: "user_deleted",
            outcome: "success",
            user_id: Some(&found.id),
            ..Event::default()
        })
        .await;
        Ok(())
    }

    /// Sets a user's password as an administrator; every session of the user ends.
    pub async fn set_user_password(
        &self,
        by: &crate::domain::Actor,
        user: &UserRef,
        password: &Password,
    ) -> EngineResult<()> {
        let found = self.user(user).await?;
        let hash = self.hash_new_password(password, &found.email).await?;
        self.store_new_password(&found, &hash).await?;
        self.end_user_sessions(&found.id).await?;
        self.audit(Event {
            actor: Some(by),
            kind: "password_set",
            outcome: "success",
            user_id: Some(&found.id),
            ..Event::default()
        })
        .await;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn user_refs_are_ids_or_emails() {
        assert_eq!(UserRef::parse("1001").unwrap(), UserRef::Id("1001".into()));
        assert!(matches!(
            UserRef::parse("Ann@Example.test"),
            Ok(UserRef::Email(_))
        ));
        assert!(UserRef::parse("ann").is_err());
    }

    #[test]
    fn numeric_ids_have_fifteen_digits() {
        let id = numeric_id();
        assert_eq!(id.len(), 15);
        assert!(id.chars().all(|c| c.is_ascii_digit()));
    }
}
