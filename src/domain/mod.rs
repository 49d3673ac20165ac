//! The domain model (docs/DESIGN.md §2): plain records and the closed sets of states they move
//! through. Shared by the engine, which decides, and the store, which keeps them.

mod client;
mod inputs;
mod kept;

pub use admin::{Actor, AdminScope, AdminToken};
pub use client::ClientKind;
pub use inputs::{
    Email, FieldError, HAS_NUL, LoginId, PASSWORD_MAX_BYTES, Password, TEXT_MAX_BYTES, TOO_LONG,
    Username, storable, unstorable_field, unstorable_member,
};
pub use kept::{AuditEvent, OutboxMessage};

use std::fmt;
use std::time::Duration;
use time::OffsetDateTime;

/// Declares an enum stored and sent as lowercase text, with its text form and parser.
macro_rules! text_enum {
    ($(#[$meta:meta])* $name:ident { $($(#[$vmeta:meta])* $variant:ident = $text:literal),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize)]
        pub enum $name {
            $($(#[$vmeta])* #[serde(rename = $text)] $variant),+
        }

        impl $name {
            /// Every value, in declaration order.
            pub const ALL: &'static [Self] = &[$(Self::$variant),+];

            /// The stored and wire form.
            pub fn as_str(self) -> &'static str {
                match self { $(Self::$variant => $text),+ }
            }

            /// Parses the stored and wire form.
            pub fn parse(text: &str) -> Option<Self> {
                match text { $($text => Some(Self::$variant),)+ _ => None }
            }
        }

        // By hand: a derive would not see the wire forms through the macro's fragments.
        impl utoipa::PartialSchema for $name {
            fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
                utoipa::openapi::schema::ObjectBuilder::new()
                    .schema_type(utoipa::openapi::schema::Type::String)
                    .enum_values(Some([$($text),+]))
                    .into()
            }
        }

        impl utoipa::ToSchema for $name {}

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}

// After the macro, which it uses.
mod admin;

text_enum! {
    /// Whether a user may sign in at all.
    UserStatus {
        /// Created but not yet activated.
        PendingActivation = "pending_activation",
        /// May sign in.
        Active = "active",
        /// May not sign in; its sessions are ended.
        Disabled = "disabled",
    }
}

text_enum! {
    /// Whether the user's password may be used to open a full session.
    PasswordState {
        /// Usable.
        Ok = "ok",
        /// An administrator asked for a new password.
        ResetRequired = "reset_required",
        /// The password has expired.
        Expired = "expired",
    }
}

text_enum! {
    /// Where a user's password is checked.
    Realm {
        /// Against the hash kept here.
        Local = "local",
        /// Against an outside directory.
        Directory = "directory",
    }
}

text_enum! {
    /// What an organisation is (Weavr's identity type).
    OrgKind {
        /// A person's own organisation.
        Consumer = "consumer",
        /// A company.
        Corporate = "corporate",
    }
}

text_enum! {
    /// An organisation's lifecycle state.
    OrgStatus {
        /// Members may sign in to it.
        Active = "active",
        /// Waiting for approval.
        Pending = "pending",
        /// Closed.
        Disabled = "disabled",
    }
}

text_enum! {
    /// A member's role in an organisation.
    Role {
        /// The owner (Weavr's `ROOT`).
        Owner = "owner",
        /// An administrator.
        Admin = "admin",
        /// A member.
        Member = "member",
    }
}

text_enum! {
    /// Whether a membership is in force.
    MembershipStatus {
        /// In force.
        Active = "active",
        /// Invited, not yet accepted.
        Pending = "pending",
    }
}

text_enum! {
    /// An application's second-factor policy.
    MfaPolicy {
        /// Second factor only where the user asked for one.
        Off = "off",
        /// Every sign-in needs a second factor.
        Required = "required",
    }
}

text_enum! {
    /// A kind of second factor.
    FactorKind {
        /// A code by text message.
        Sms = "sms",
        /// A code by email.
        Email = "email",
        /// A time-based one-time password.
        Totp = "totp",
        /// A push approval with number matching.
        Push = "push",
    }
}

text_enum! {
    /// A factor's state.
    FactorStatus {
        /// Enrolled, not yet proven.
        PendingVerification = "pending_verification",
        /// Usable.
        Active = "active",
        /// Switched off.
        Inactive = "inactive",
    }
}

text_enum! {
    /// What a challenge is for.
    ChallengePurpose {
        /// Finishing a sign-in (an `mfa_pending` session).
        Login = "login",
        /// Stepping up a full session.
        StepUp = "stepup",
        /// Proving a newly enrolled factor.
        Enrol = "enrol",
    }
}

text_enum! {
    /// Where a challenge stands.
    ChallengeStatus {
        /// Waiting for a code or a device's answer.
        Pending = "pending",
        /// A push device approved it; the waiting client has not collected it yet.
        Approved = "approved",
        /// The device denied it, or answered with the wrong number or signature.
        Denied = "denied",
        /// Too many wrong codes.
        Failed = "failed",
        /// Succeeded and was used; it cannot be used again.
        Used = "used",
        /// Replaced by a challenge on another factor.
        Replaced = "replaced",
    }
}

/// An OTP or push challenge (docs/DESIGN.md §2). Its code is never kept; only a hash is.
#[derive(Clone, PartialEq, Eq)]
pub struct Challenge {
    /// UUID.
    pub id: String,
    /// The user challenged.
    pub user_id: String,
    /// The session it finishes or steps up (for enrolment, the session that enrols).
    pub session_id: String,
    /// What it is for.
    pub purpose: ChallengePurpose,
    /// The factor challenged; `None` for the account's own email address.
    pub factor_id: Option<String>,
    /// How it is answered.
    pub kind: FactorKind,
    /// Where the code went (phone or email), for resends.
    pub destination: Option<String>,
    /// SHA-256 of the challenge id and the code (SMS and email only).
    pub code_hash: Option<String>,
    /// The number the user must match on the device (push only).
    pub number: Option<u8>,
    /// Where it stands.
    pub status: ChallengeStatus,
    /// Wrong codes so far.
    pub attempts: u32,
    /// Codes sent so far.
    pub sends: u32,
    /// When it was made.
    pub created_at: OffsetDateTime,
    /// When it stops being answerable.
    pub expires_at: OffsetDateTime,
}

impl fmt::Debug for Challenge {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Challenge")
            .field("id", &self.id)
            .field("purpose", &self.purpose)
            .field("kind", &self.kind)
            .field("status", &self.status)
            .field("attempts", &self.attempts)
            .field("sends", &self.sends)
            .finish_non_exhaustive()
    }
}

text_enum! {
    /// What a session's token may be used for.
    SessionKind {
        /// A full session.
        Auth = "auth",
        /// A password was proven; a second factor is still due.
        MfaPending = "mfa_pending",
        /// Only good for changing the password, once.
        PasswordUpdate = "password_update",
    }
}

text_enum! {
    /// How strongly a session's user was authenticated.
    Assurance {
        /// A password.
        Aal1 = "aal1",
        /// A password and a second factor.
        Aal2 = "aal2",
    }
}

/// A stored password hash (PHC or bcrypt string). Not a secret like a password, but kept out of
/// `Debug` all the same.
#[derive(Clone, PartialEq, Eq)]
pub struct PasswordHash(pub String);

impl fmt::Debug for PasswordHash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("PasswordHash(…)")
    }
}

/// A person who signs in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct User {
    /// Numeric string id.
    pub id: String,
    /// Lowercase email, unique.
    pub email: String,
    /// Optional unique username.
    pub username: Option<String>,
    /// Display name.
    pub name: String,
    /// Lifecycle state.
    pub status: UserStatus,
    /// Local password hash, if the account has one.
    pub password_hash: Option<PasswordHash>,
    /// Whether the password may open a full session.
    pub password_state: PasswordState,
    /// When the password expires, if ever.
    pub password_expires_at: Option<OffsetDateTime>,
    /// The outside identity provider the account belongs to, if any.
    pub external_idp: Option<String>,
    /// A separate credential an external account may use from a CLI.
    pub tooling_password_hash: Option<PasswordHash>,
    /// Where the password is checked.
    pub realm: Realm,
    /// Phone number (E.164).
    pub phone: Option<String>,
    /// The user asked for a second factor at every sign-in.
    pub mfa: bool,
}

/// A tenant of users (Amplify's org, Weavr's identity).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Organization {
    /// Numeric string id.
    pub id: String,
    /// Display name.
    pub name: String,
    /// Consumer or corporate.
    pub kind: OrgKind,
    /// Lifecycle state.
    pub status: OrgStatus,
    /// Consumers may sign in through this (provider) organisation.
    pub consumer_access: bool,
    /// Members must sign in through the organisation's identity provider.
    pub idp_required: bool,
}

/// A user's place in an organisation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Membership {
    /// The organisation.
    pub organization_id: String,
    /// The member's role.
    pub role: Role,
    /// Whether it is in force.
    pub status: MembershipStatus,
}

/// A client of the server with its own sign-in policy.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Application {
    /// UUID.
    pub id: String,
    /// Display name.
    pub name: String,
    /// Hosts (or `host/path` prefixes) sign-in is allowed on; empty means anywhere.
    pub hostnames: Vec<String>,
    /// Only members of this organisation may sign in.
    pub organization: Option<String>,
    /// Second-factor policy.
    pub mfa: MfaPolicy,
    /// Idle timeout override.
    pub session_idle: Option<Duration>,
    /// Absolute lifetime override.
    pub session_absolute: Option<Duration>,
    /// Browser origins (`https://app.example.com`) allowed to call the API with credentials.
    pub cors_origins: Vec<String>,
    /// The methods those origins may use (uppercase); empty means the API's own.
    pub cors_methods: Vec<String>,
    /// The request headers those origins may send (lowercase); empty means the API's own.
    pub cors_headers: Vec<String>,
}

/// A second factor of a user.
#[derive(Clone, PartialEq, Eq)]
pub struct Factor {
    /// UUID.
    pub id: String,
    /// Its kind.
    pub kind: FactorKind,
    /// Phone number, for SMS.
    pub phone: Option<String>,
    /// Address, for email.
    pub email: Option<String>,
    /// Shared secret (TOTP, base32) or device public key (push, base64url).
    pub secret: Option<String>,
    /// Its state.
    pub status: FactorStatus,
    /// A label the user chose (a push device's name).
    pub name: Option<String>,
}

impl fmt::Debug for Factor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Factor")
            .field("id", &self.id)
            .field("kind", &self.kind)
            .field("status", &self.status)
            .field("name", &self.name)
            .finish_non_exhaustive()
    }
}

/// A signed-in session. Its token is never kept; only its SHA-256 is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Session {
    /// UUID.
    pub id: String,
    /// SHA-256 (hex) of the bearer token.
    pub token_hash: String,
    /// The user.
    pub user_id: String,
    /// What the token may be used for.
    pub kind: SessionKind,
    /// How strongly the user was authenticated.
    pub assurance: Assurance,
    /// The application signed in to.
    pub application_id: String,
    /// The organisation acted for, if any.
    pub organization_id: Option<String>,
    /// When it was opened.
    pub created_at: OffsetDateTime,
    /// When it was last used (as last persisted).
    pub last_seen_at: OffsetDateTime,
    /// Idle timeout.
    pub idle: Duration,
    /// Absolute cap: it ends then, however active.
    pub expires_at: OffsetDateTime,
    /// When it was ended, if it was.
    pub revoked_at: Option<OffsetDateTime>,
    /// When a second factor was last proven in it (at login or by a step-up).
    pub stepped_up_at: Option<OffsetDateTime>,
    /// The kind of client it was opened from.
    pub client: ClientKind,
}

impl Session {
    /// When the session ends if it is not used again.
    pub fn idle_deadline(&self, last_seen: OffsetDateTime) -> OffsetDateTime {
        (last_seen + self.idle).min(self.expires_at)
    }
}

/// A stored access-token signing key.
#[derive(Clone, PartialEq, Eq)]
pub struct StoredSigningKey {
    /// Key id, published as `kid`.
    pub kid: String,
    /// The Ed25519 public key (base64url, JWKS `x`).
    pub public_key: String,
    /// The private key, sealed or plain (see `crypto::keys`).
    pub private_key: String,
    /// When it was made.
    pub created_at: OffsetDateTime,
    /// When it stopped signing (a newer key took over), if it has.
    pub retired_at: Option<OffsetDateTime>,
}

impl fmt::Debug for StoredSigningKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("StoredSigningKey")
            .field("kid", &self.kid)
            .finish_non_exhaustive()
    }
}
