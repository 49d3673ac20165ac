//! Who acts: the actor every audit event names, and the scoped admin tokens of `/v1/admin/*`.

use std::fmt;
use time::OffsetDateTime;

text_enum! {
    /// What an admin token may do. Every scope but `read` also reads; `all` does everything.
    AdminScope {
        /// Read users, organisations, the audit trail, the outbox and maintenance state.
        Read = "read",
        /// Create, change, delete, enable, disable users and set their passwords.
        Users = "users",
        /// Organisations, applications and memberships.
        Orgs = "orgs",
        /// Unlocks, maintenance, signing keys and admin tokens.
        Security = "security",
        /// Everything, including imports.
        All = "all",
    }
}

impl AdminScope {
    /// Whether a token of this scope may do what `needed` names.
    pub fn covers(self, needed: AdminScope) -> bool {
        self == AdminScope::All || self == needed || needed == AdminScope::Read
    }
}

/// Who did something, as recorded in the audit trail.
#[derive(Clone, PartialEq, Eq)]
pub enum Actor {
    /// A signed-in user (by id), acting for herself.
    User(String),
    /// An admin token, by its name.
    Admin(String),
    /// The command line on the server's host.
    Cli,
    /// Doorward itself: lockouts, sweeps.
    System,
    /// Someone not (yet) known: a sign-in attempt, a request with a bad admin token.
    Anonymous,
}

impl Actor {
    /// Parses the stored form; `None` when it is none of the five shapes.
    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "cli" => Some(Self::Cli),
            "system" => Some(Self::System),
            "anonymous" => Some(Self::Anonymous),
            _ => match text.split_once(':') {
                Some(("user", id)) if !id.is_empty() => Some(Self::User(id.to_owned())),
                Some(("admin", name)) if !name.is_empty() => Some(Self::Admin(name.to_owned())),
                _ => None,
            },
        }
    }
}

impl fmt::Display for Actor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::User(id) => write!(f, "user:{id}"),
            Self::Admin(name) => write!(f, "admin:{name}"),
            Self::Cli => f.write_str("cli"),
            Self::System => f.write_str("system"),
            Self::Anonymous => f.write_str("anonymous"),
        }
    }
}

impl fmt::Debug for Actor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

impl serde::Serialize for Actor {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

/// An admin token as listed: never its secret, which is kept only as a SHA-256.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
pub struct AdminToken {
    /// Public id (what `revoke` takes).
    pub id: String,
    /// The name it acts under in the audit trail.
    pub name: String,
    /// What it may do.
    pub scope: AdminScope,
    /// When it was created.
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    /// When it stops working.
    #[serde(with = "time::serde::rfc3339")]
    pub expires_at: OffsetDateTime,
    /// When it was last used (updated at most once a minute).
    #[serde(with = "time::serde::rfc3339::option")]
    pub last_used_at: Option<OffsetDateTime>,
    /// When it was revoked.
    #[serde(with = "time::serde::rfc3339::option")]
    pub revoked_at: Option<OffsetDateTime>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn actors_round_trip_through_their_stored_form() {
        for actor in [
            Actor::User("42".into()),
            Actor::Admin("deploy bot".into()),
            Actor::Cli,
            Actor::System,
            Actor::Anonymous,
        ] {
            assert_eq!(Actor::parse(&actor.to_string()), Some(actor));
        }
        assert_eq!(Actor::parse("user:"), None);
        assert_eq!(Actor::parse("root"), None);
    }

    #[test]
    fn scopes_cover_reading_and_themselves_and_all_covers_everything() {
        use AdminScope::*;
        assert!(Users.covers(Read) && Users.covers(Users) && !Users.covers(Orgs));
        assert!(!Read.covers(Users) && !Security.covers(All));
        assert!(All.covers(Security) && All.covers(All));
    }
}
