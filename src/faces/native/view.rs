//! Response bodies of the native API, built from engine types.

use crate::domain::{Factor, Organization, User};
use crate::engine::{IssuedChallenge, IssuedSession, LiveSession};
use secrecy::ExposeSecret;
use serde::Serialize;
use time::OffsetDateTime;

pub use crate::http::rfc3339;

/// A view as a JSON value (for problem extension members).
pub fn json_value<T: Serialize>(view: &T) -> serde_json::Value {
    serde_json::to_value(view).unwrap_or(serde_json::Value::Null)
}

/// A user as the native API shows it.
#[derive(Serialize, utoipa::ToSchema)]
pub struct UserView {
    id: String,
    #[schema(format = Email)]
    email: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    username: Option<String>,
    name: String,
}

impl From<&User> for UserView {
    fn from(u: &User) -> Self {
        Self {
            id: u.id.clone(),
            email: u.email.clone(),
            username: u.username.clone(),
            name: u.name.clone(),
        }
    }
}

/// A user as the admin API shows it.
#[derive(Serialize, utoipa::ToSchema)]
pub struct AdminUserView {
    #[serde(flatten)]
    user: UserView,
    #[schema(value_type = crate::domain::UserStatus)]
    status: &'static str,
    #[schema(value_type = crate::domain::PasswordState)]
    password_state: &'static str,
}

impl From<&User> for AdminUserView {
    fn from(u: &User) -> Self {
        Self {
            user: UserView::from(u),
            status: u.status.as_str(),
            password_state: u.password_state.as_str(),
        }
    }
}

#[derive(Serialize, utoipa::ToSchema)]
struct OrganizationView {
    id: String,
    name: String,
    #[schema(value_type = crate::domain::OrgKind)]
    kind: &'static str,
}

impl From<&Organization> for OrganizationView {
    fn from(o: &Organization) -> Self {
        Self {
            id: o.id.clone(),
            name: o.name.clone(),
            kind: o.kind.as_str(),
        }
    }
}

/// The body of a successful login (and of a password change).
#[derive(Serialize, utoipa::ToSchema)]
pub struct LoginView {
    token: String,
    #[schema(value_type = crate::domain::SessionKind)]
    token_type: &'static str,
    #[schema(format = DateTime)]
    expires_at: String,
    #[schema(format = DateTime)]
    session_expires_at: String,
    user: UserView,
    #[serde(skip_serializing_if = "Option::is_none")]
    organization: Option<OrganizationView>,
    #[schema(value_type = crate::domain::Assurance)]
    assurance: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    device_token: Option<String>,
}

impl From<&IssuedSession> for LoginView {
    fn from(s: &IssuedSession) -> Self {
        Self {
            token: s.token.expose_secret().to_owned(),
            token_type: s.session.kind.as_str(),
            expires_at: rfc3339(s.idle_deadline()),
            session_expires_at: rfc3339(s.session.expires_at),
            user: UserView::from(&s.user),
            organization: s.organization.as_ref().map(OrganizationView::from),
            assurance: s.session.assurance.as_str(),
            device_token: s
                .device_token
                .as_ref()
                .map(|d| d.expose_secret().to_owned()),
        }
    }
}

/// The body of `GET /v1/session`.
#[derive(Serialize, utoipa::ToSchema)]
pub struct SessionView {
    session: SessionDetail,
    user: UserView,
}

#[derive(Serialize, utoipa::ToSchema)]
struct SessionDetail {
    id: String,
    #[schema(value_type = crate::domain::SessionKind)]
    token_type: &'static str,
    #[schema(value_type = crate::domain::Assurance)]
    assurance: &'static str,
    application: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    organization: Option<String>,
    #[schema(format = DateTime)]
    created_at: String,
    #[schema(format = DateTime)]
    expires_at: String,
    #[schema(format = DateTime)]
    session_expires_at: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(format = DateTime)]
    stepped_up_at: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(format = DateTime)]
    step_up_expires_at: Option<String>,
}

impl SessionView {
    /// Adds until when the session's step-up counts.
    pub fn step_up_until(mut self, until: Option<OffsetDateTime>) -> Self {
        self.session.step_up_expires_at = until.map(rfc3339);
        self
    }
}

impl From<&LiveSession> for SessionView {
    fn from(live: &LiveSession) -> Self {
        let s = live.session();
        Self {
            session: SessionDetail {
                id: s.id.clone(),
                token_type: s.kind.as_str(),
                assurance: s.assurance.as_str(),
                application: s.application_id.clone(),
                organization: s.organization_id.clone(),
                created_at: rfc3339(s.created_at),
                expires_at: rfc3339(live.idle_deadline),
                session_expires_at: rfc3339(s.expires_at),
                stepped_up_at: s.stepped_up_at.map(rfc3339),
                step_up_expires_at: None,
            },
            user: UserView::from(live.user()),
        }
    }
}

/// A challenge as the client that must answer it sees it.
#[derive(Serialize, utoipa::ToSchema)]
pub struct ChallengeView {
    challenge_id: String,
    #[schema(value_type = crate::domain::FactorKind)]
    kind: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    factor_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    destination: Option<String>,
    /// The number to match on the push device.
    #[serde(skip_serializing_if = "Option::is_none")]
    number: Option<u8>,
    #[schema(format = DateTime)]
    expires_at: String,
}

impl From<&IssuedChallenge> for ChallengeView {
    fn from(issued: &IssuedChallenge) -> Self {
        let c = &issued.challenge;
        Self {
            challenge_id: c.id.clone(),
            kind: c.kind.as_str(),
            factor_id: c.factor_id.clone(),
            destination: issued.destination.clone(),
            number: c.number,
            expires_at: rfc3339(c.expires_at),
        }
    }
}

/// A factor as its owner sees it: never its secret.
#[derive(Serialize, utoipa::ToSchema)]
pub struct FactorView {
    id: String,
    #[schema(value_type = crate::domain::FactorKind)]
    kind: &'static str,
    #[schema(value_type = crate::domain::FactorStatus)]
    status: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    phone: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    email: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    name: Option<String>,
}

impl From<&Factor> for FactorView {
    fn from(f: &Factor) -> Self {
        Self {
            id: f.id.clone(),
            kind: f.kind.as_str(),
            status: f.status.as_str(),
            phone: f.phone.clone(),
            email: f.email.clone(),
            name: f.name.clone(),
        }
    }
}
