//! The engine's one error type. Every face maps it with an exhaustive `match`, so a new variant
//! cannot go unmapped; [`EngineError::code`] is the stable machine-readable name.

use crate::crypto::HashError;
use crate::domain::FieldError;
use crate::store::StoreError;
use std::time::Duration;
use thiserror::Error;

/// A password rule a new password broke.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PasswordRule {
    /// Fewer code points than the minimum.
    TooShort {
        /// The minimum.
        min: usize,
    },
    /// More code points than the maximum.
    TooLong {
        /// The maximum.
        max: usize,
    },
    /// One of the most common passwords.
    TooCommon,
    /// Equal to or containing the local part of the user's email.
    ContainsEmail,
    /// Fewer character classes than configured.
    TooSimple {
        /// Classes required.
        classes: u8,
    },
    /// One of the user's recent passwords.
    Reused {
        /// How many recent passwords are remembered.
        history: u32,
    },
}

/// Why the engine refused or failed.
#[derive(Debug, Error)]
pub enum EngineError {
    /// Input fields are missing or malformed.
    #[error("invalid input")]
    Validation(Vec<FieldError>),
    /// Unknown user or wrong password: never says which.
    #[error("invalid credentials")]
    InvalidCredentials,
    /// The named application does not exist.
    #[error("unknown application")]
    UnknownApplication,
    /// An application was named twice (by id and by URL) and the two disagree.
    #[error("the application's id and URL name different applications")]
    ApplicationMismatch,
    /// The application does not allow sign-in on this host.
    #[error("sign-in is not allowed on this host")]
    HostnameNotAllowed,
    /// The submitted identifier is locked after repeated failures (whether or not it exists).
    #[error("the identifier is locked")]
    AccountLocked {
        /// When the lock lifts by itself.
        until: time::OffsetDateTime,
        /// How long until then.
        retry_after: Duration,
    },
    /// Too many requests; retry after the given time.
    #[error("rate limited")]
    RateLimited {
        /// When to try again.
        retry_after: Duration,
        /// The size of the bucket that ran out.
        limit: u32,
    },
    /// The account belongs to an outside identity provider.
    #[error("the account signs in through an external identity provider")]
    ExternalAccount,
    /// An external account from a CLI without (or with a wrong) tooling password.
    #[error("the account needs a tooling password for CLI sign-in")]
    ExternalAccountTooling,
    /// A directory account, and no directory is configured.
    #[error("no directory is configured for this account")]
    DirectoryUnavailable,
    /// The directory that checks this account's password failed or could not be reached.
    #[error("the directory failed: {0}")]
    DirectoryFailed(#[source] crate::directory::DirectoryError),
    /// A second factor is due and this face has no way to ask for one.
    #[error("a second factor is required, and this client cannot give one")]
    SecondFactorUnavailable,
    /// The account has not been activated.
    #[error("the account is not activated")]
    AccountPendingActivation,
    /// The account is disabled.
    #[error("the account is disabled")]
    AccountDisabled,
    /// The requested organisation is not an active membership in an active organisation.
    #[error("not a member of that organisation")]
    OrganizationNotMember,
    /// The organisation is disabled.
    #[error("the organisation is disabled")]
    OrganizationDisabled,
    /// The user has memberships but none is active.
    #[error("no active organisation")]
    NoActiveOrganization,
    /// The user's only organisations or memberships are pending.
    #[error("the organisation is pending approval")]
    OrganizationPending,
    /// The organisation requires its identity provider.
    #[error("the organisation requires its identity provider")]
    IdpRequired,
    /// The provider organisation does not let consumers sign in.
    #[error("consumer access is disabled")]
    ConsumerAccessDisabled,
    /// The application admits only members of its organisation.
    #[error("the application does not admit this user")]
    ApplicationForbidden,
    /// No token, or an unknown, expired or revoked one.
    #[error("invalid or expired token")]
    Unauthenticated,
    /// The admin token is valid but its scope does not cover this action.
    #[error("the admin token's scope does not allow this; it needs {0}")]
    InsufficientScope(crate::domain::AdminScope),
    /// The token is restricted (password update, pending MFA) and cannot be used here.
    #[error("the token cannot be used for this")]
    TokenRestricted,
    /// The action needs a second factor proven within the step-up validity.
    #[error("a step-up is required")]
    StepUpRequired,
    /// The challenge takes no more answers: used, failed, denied or replaced (or none exists).
    #[error("the challenge is closed")]
    ChallengeClosed,
    /// The challenge ran out of time.
    #[error("the challenge has expired")]
    ChallengeExpired,
    /// A push challenge of the session is still waiting for its answer.
    #[error("a challenge is already in flight")]
    ChallengePending,
    /// The user already has an active factor of this kind for this destination.
    #[error("the factor is already registered")]
    FactorAlreadyRegistered,
    /// The user has no phone number on file.
    #[error("no phone number on file")]
    PhoneMissing,
    /// An activation or reset code that is unknown, used or expired.
    #[error("the code is invalid, used or expired")]
    InvalidCode,
    /// The current password given to a password change is wrong.
    #[error("the current password is incorrect")]
    CurrentPasswordIncorrect,
    /// The new password breaks a rule.
    #[error("the new password is not acceptable")]
    PasswordRejected(PasswordRule),
    /// The named record does not exist.
    #[error("{0} not found")]
    NotFound(&'static str),
    /// A unique value is taken.
    #[error("already exists: {0}")]
    Conflict(String),
    /// An import document is invalid; nothing was written.
    #[error("invalid import at {path}: {message}")]
    ImportInvalid {
        /// JSON path of the first error.
        path: String,
        /// What is wrong there.
        message: String,
    },
    /// The server cannot take the request now: the hashing pool is saturated, or the database
    /// is out of reach; retry after the given time.
    #[error("busy")]
    Busy {
        /// When to try again.
        retry_after: Duration,
    },
    /// Something failed inside; the cause is logged (with its sources), never sent.
    #[error("internal error")]
    Internal(#[source] Failure),
}

/// An unexpected failure, kept whole for the log — its message and its `source()` chain — and
/// never sent to a client. Cheap to clone, so a face can hand it to the response.
#[derive(Debug, Clone)]
pub struct Failure(std::sync::Arc<dyn std::error::Error + Send + Sync>);

impl Failure {
    /// Wraps a cause (an error, or a message for a broken invariant).
    pub fn new(cause: impl Into<Box<dyn std::error::Error + Send + Sync>>) -> Self {
        Self(std::sync::Arc::from(cause.into()))
    }

    /// Whether an error of type `E` is the cause or one of its sources.
    pub fn caused_by<E: std::error::Error + 'static>(&self) -> bool {
        let mut next: Option<&(dyn std::error::Error + 'static)> = Some(&*self.0);
        while let Some(cause) = next {
            if cause.is::<E>() {
                return true;
            }
            next = cause.source();
        }
        false
    }

    /// The cause and every source under it, `outer: inner: innermost`.
    pub fn chain(&self) -> String {
        let mut text = self.0.to_string();
        let mut next = self.0.source();
        while let Some(cause) = next {
            text.push_str(": ");
            text.push_str(&cause.to_string());
            next = cause.source();
        }
        text
    }
}

impl std::fmt::Display for Failure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.0.fmt(f)
    }
}

impl std::error::Error for Failure {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.0.source()
    }
}

impl EngineError {
    /// An internal error with its cause.
    pub fn internal(cause: impl Into<Box<dyn std::error::Error + Send + Sync>>) -> Self {
        Self::Internal(Failure::new(cause))
    }
}

impl EngineError {
    /// The stable machine-readable code.
    pub fn code(&self) -> &'static str {
        match self {
            Self::Validation(_) => "validation_failed",
            Self::InvalidCredentials => "invalid_credentials",
            Self::UnknownApplication => "unknown_application",
            Self::ApplicationMismatch => "application_mismatch",
            Self::HostnameNotAllowed => "hostname_not_allowed",
            Self::AccountLocked { .. } => "account_locked",
            Self::RateLimited { .. } => "rate_limited",
            Self::ExternalAccount => "external_account",
            Self::ExternalAccountTooling => "external_account_tooling",
            Self::DirectoryUnavailable => "directory_unavailable",
            Self::DirectoryFailed(_) => "directory_error",
            Self::SecondFactorUnavailable => "second_factor_unavailable",
            Self::AccountPendingActivation => "account_pending_activation",
            Self::AccountDisabled => "account_disabled",
            Self::OrganizationNotMember => "organization_not_member",
            Self::OrganizationDisabled => "organization_disabled",
            Self::NoActiveOrganization => "no_active_organization",
            Self::OrganizationPending => "organization_pending",
            Self::IdpRequired => "idp_required",
            Self::ConsumerAccessDisabled => "consumer_access_disabled",
            Self::ApplicationForbidden => "application_forbidden",
            Self::InsufficientScope(_) => "insufficient_scope",
            Self::Unauthenticated => "invalid_token",
            Self::TokenRestricted => "token_restricted",
            Self::StepUpRequired => "step_up_required",
            Self::ChallengeClosed => "challenge_closed",
            Self::ChallengeExpired => "challenge_expired",
            Self::ChallengePending => "challenge_pending",
            Self::FactorAlreadyRegistered => "factor_already_registered",
            Self::PhoneMissing => "phone_missing",
            Self::InvalidCode => "invalid_code",
            Self::CurrentPasswordIncorrect => "current_password_incorrect",
            Self::PasswordRejected(PasswordRule::TooShort { .. }) => "password_too_short",
            Self::PasswordRejected(PasswordRule::TooLong { .. }) => "password_too_long",
            Self::PasswordRejected(PasswordRule::TooCommon) => "password_too_common",
            Self::PasswordRejected(PasswordRule::ContainsEmail) => "password_contains_email",
            Self::PasswordRejected(PasswordRule::TooSimple { .. }) => "password_too_simple",
            Self::PasswordRejected(PasswordRule::Reused { .. }) => "password_reused",
            Self::NotFound(_) => "not_found",
            Self::Conflict(_) => "conflict",
            Self::ImportInvalid { .. } => "import_invalid",
            Self::Busy { .. } => "busy",
            Self::Internal(_) => "internal",
        }
    }
}

impl From<StoreError> for EngineError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::Conflict(what) => Self::Conflict(what),
            StoreError::NotFound => Self::NotFound("record"),
            StoreError::Unreachable(cause) => {
                tracing::warn!(error = %cause, "the database is out of reach: answered busy");
                Self::Busy {
                    retry_after: Duration::from_secs(1),
                }
            }
            other => Self::internal(other),
        }
    }
}

/// Maps a hashing failure; `retry_after` comes from the pool.
pub(crate) fn hash_error(e: HashError, retry_after: Duration) -> EngineError {
    match e {
        HashError::Busy => EngineError::Busy { retry_after },
        HashError::Stopped | HashError::Malformed => EngineError::internal(e),
    }
}

/// Result of an engine call.
pub type EngineResult<T> = Result<T, EngineError>;
