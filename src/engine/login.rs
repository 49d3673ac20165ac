//! Password sign-in in the order of docs/DESIGN.md §3. The order is a security property: nothing
//! about an account is revealed before its password is proven, except the deliberate home-realm
//! hint of step 5.

use super::application::{AppSelector, SignInLocation};
use super::audit::Event;
use super::mfa::{MfaDue, MfaVia};
use super::organization::Scope;
use super::session::IssuedSession;
use super::{Engine, EngineError, EngineResult};
use crate::crypto::Verification;
use crate::domain::{
    Actor, Application, Assurance, LoginId, MfaPolicy, Password, PasswordHash, PasswordState,
    Realm, SessionKind, User, UserStatus,
};
use secrecy::ExposeSecret;
use time::OffsetDateTime;

pub use crate::domain::ClientKind;

/// When a face's clients prove a second factor.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SecondFactorAt {
    /// At sign-in, when policy asks (403 `mfa_required`).
    #[default]
    SignIn,
    /// Only by step-up: sign-in opens an `aal1` session whatever the policy (Weavr).
    StepUp,
    /// Never: a sign-in that policy gives a second factor is refused (a face with no second
    /// step, such as Elastic Cloud Enterprise's).
    Unavailable,
}

/// A password sign-in, parsed.
#[derive(Debug, Clone)]
pub struct LoginRequest {
    /// Email or username.
    pub login: LoginId,
    /// The password as typed.
    pub password: Password,
    /// The application signed in to.
    pub application: AppSelector,
    /// Where the sign-in was made, for the application's host list.
    pub location: Option<SignInLocation>,
    /// Whether the application's hostnames restrict where sign-in may happen (the native
    /// face); `false` where the face selected the application by API key or URL instead.
    pub check_host: bool,
    /// The organisation asked for, if any.
    pub organization: Option<String>,
    /// A provider organisation for a consumer sign-in, if any.
    pub provider: Option<String>,
    /// Browser or CLI.
    pub client: ClientKind,
    /// The client's address, for rate limits.
    pub source: Option<std::net::IpAddr>,
    /// The device token the client got at an earlier sign-in (see `lockout.rs`).
    pub device_token: Option<secrecy::SecretString>,
    /// Whether the face hands the client a new device token (see [`super::FaceProfile`]).
    pub issue_device_token: bool,
    /// When the face's clients prove a second factor.
    pub second_factor: SecondFactorAt,
    /// Where a sign-in's code goes.
    pub mfa_via: MfaVia,
    /// Whether the face needs every session to act for an organisation (a user without an
    /// active one is refused with `no_active_organization`).
    pub require_organization: bool,
}

impl LoginRequest {
    /// A web sign-in to `application` from `source` under a face's profile, which sets the
    /// policy (second factor, where codes go, host check, organisation required). The face
    /// fills in what its wire says: where the sign-in was made, the organisation or provider
    /// asked for, the client kind and the device token.
    pub fn for_face(
        profile: &super::FaceProfile,
        login: LoginId,
        password: Password,
        application: AppSelector,
        source: Option<std::net::IpAddr>,
    ) -> Self {
        Self {
            login,
            password,
            application,
            location: None,
            check_host: profile.check_host,
            organization: None,
            provider: None,
            client: ClientKind::Web,
            source,
            device_token: None,
            issue_device_token: profile.device_tokens,
            second_factor: profile.second_factor,
            mfa_via: profile.mfa_via,
            require_organization: profile.require_organization,
        }
    }
}

/// What a correct password leads to.
#[derive(Debug)]
pub enum LoginOutcome {
    /// A full session.
    Authenticated(IssuedSession),
    /// The password must be changed first: a restricted `password_update` session.
    PasswordUpdateRequired(IssuedSession),
    /// A second factor is due: an `mfa_pending` session, and the challenge sent.
    MfaRequired(IssuedSession, Box<MfaDue>),
}

impl LoginOutcome {
    /// The session this outcome opened, whatever its kind.
    pub fn session(&self) -> &IssuedSession {
        match self {
            Self::Authenticated(s) | Self::PasswordUpdateRequired(s) | Self::MfaRequired(s, _) => s,
        }
    }

    fn session_mut(&mut self) -> &mut IssuedSession {
        match self {
            Self::Authenticated(s) | Self::PasswordUpdateRequired(s) | Self::MfaRequired(s, _) => s,
        }
    }
}

/// Which stored credential the typed password is checked against (step 5).
enum Credential<'a> {
    /// The account's own password (`None`: no account or no password; a dummy is checked).
    Password(Option<&'a PasswordHash>),
    /// An external account's tooling password, from a CLI.
    Tooling(&'a PasswordHash),
    /// A directory account's password, checked by the directory.
    Directory(&'a User),
}

impl Engine {
    /// Signs in with a password, and records the outcome in the audit trail.
    pub async fn login(&self, request: LoginRequest) -> EngineResult<LoginOutcome> {
        let identifier = request.login.key();
        let source = request.source;
        let mut user_id = None;
        let result = self.sign_in(request, &mut user_id).await;
        let outcome = match &result {
            Ok(LoginOutcome::Authenticated(_)) => "success",
            Ok(LoginOutcome::PasswordUpdateRequired(_)) => "password_update_required",
            Ok(LoginOutcome::MfaRequired(..)) => "mfa_required",
            Err(e) => e.code(),
        };
        self.metrics.sign_in(outcome);
        // Floods are not written down one by one; the logs and metrics show them.
        if let Err(EngineError::RateLimited { .. } | EngineError::Busy { .. }) = &result {
            return result;
        }
        let application_id = result
            .as_ref()
            .ok()
            .map(|o| o.session().session.application_id.clone());
        // Only a success proves who signed in; until then the one acting is unknown.
        let actor = match (outcome, &user_id) {
            ("success", Some(id)) => Actor::User(id.clone()),
            _ => Actor::Anonymous,
        };
        self.audit(Event {
            kind: "login",
            outcome,
            actor: Some(&actor),
            user_id: user_id.as_deref(),
            identifier: Some(&identifier),
            application_id: application_id.as_deref(),
            source,
            detail: None,
        })
        .await;
        result
    }

    async fn sign_in(
        &self,
        request: LoginRequest,
        user_id: &mut Option<String>,
    ) -> EngineResult<LoginOutcome> {
        let identifier = request.login.key();
        self.limit_login(request.source)?;
        let app = self
            .resolve_application(
                &request.application,
                request.location.as_ref().filter(|_| request.check_host),
                request.check_host,
            )
            .await?;
        let bucket = self
            .bucket(&identifier, presented_device(&request), request.source)
            .await?;
        let attempt = self.admit_attempt(bucket).await?;
        let user = self.find_user(&request.login).await?;
        *user_id = user.as_ref().map(|u| u.id.clone());
        let checked = match credential_for(user.as_ref(), request.client, self.directory.is_some())
        {
            Ok(credential) => self
                .check_credential(&credential, &request.password)
                .await
                .map(|verdict| (verdict, matches!(credential, Credential::Tooling(_)))),
            Err(hint) => Err(hint),
        };
        let (verdict, tooling) = match checked {
            Ok(checked) => checked,
            Err(unchecked) => {
                // No password was checked (a home-realm hint, a busy pool): not a failure.
                self.attempt_unchecked(attempt).await;
                return Err(unchecked);
            }
        };
        let user = match user {
            Some(user) if verdict.matched => user,
            wrong => {
                self.attempt_failed(attempt).await?;
                return Err(match wrong {
                    Some(_) if tooling => EngineError::ExternalAccountTooling,
                    _ => EngineError::InvalidCredentials,
                });
            }
        };
        let device_token = self
            .attempt_succeeded(
                attempt,
                presented_device(&request),
                request.source,
                request.issue_device_token,
            )
            .await?;
        if verdict.needs_upgrade && !tooling {
            self.upgrade_hash(&user, &request.password).await;
        }
        let scope = Scope {
            organization: request.organization,
            provider: request.provider,
            second_factor: request.second_factor,
            mfa_via: request.mfa_via,
            require_organization: request.require_organization,
            client: request.client,
        };
        let mut outcome = self.admit(user, &app, &scope).await?;
        outcome.session_mut().device_token = device_token;
        Ok(outcome)
    }

    /// Finds the account an identifier names.
    pub(crate) async fn find_user(&self, login: &LoginId) -> EngineResult<Option<User>> {
        Ok(match login {
            LoginId::Email(email) => self.store.user_by_email(email.as_str()).await?,
            LoginId::Username(name) => self.store.user_by_username(name.as_str()).await?,
        })
    }

    /// Checks the password on the hashing pool. An absent credential is checked against a
    /// dummy hash, so that it takes as long as a real one.
    async fn check_credential(
        &self,
        credential: &Credential<'_>,
        password: &Password,
    ) -> EngineResult<Verification> {
        let result = match credential {
            Credential::Directory(user) => return self.check_directory(user, password).await,
            Credential::Password(Some(hash)) | Credential::Tooling(hash) => {
                self.hasher.verify(password.secret(), &hash.0).await
            }
            Credential::Password(None) => {
                self.hasher
                    .verify_dummy(password.secret())
                    .await
                    .map(|()| Verification {
                        matched: false,
                        needs_upgrade: false,
                    })
            }
        };
        result.map_err(|e| self.hash_error(e))
    }

    /// Checks a directory user's password by binding to the directory as the user.
    async fn check_directory(
        &self,
        user: &User,
        password: &Password,
    ) -> EngineResult<Verification> {
        let directory = self
            .directory
            .as_ref()
            .ok_or(EngineError::DirectoryUnavailable)?;
        let who = crate::directory::DirectoryUser {
            username: user.username.as_deref().unwrap_or(&user.email),
            email: &user.email,
        };
        let matched = directory
            .verify(who, password.secret().expose_secret())
            .await
            .map_err(EngineError::DirectoryFailed)?;
        Ok(Verification {
            matched,
            needs_upgrade: false,
        })
    }

    /// Replaces an imported or outdated hash with one at the server's parameters. A failure
    /// here does not fail the sign-in; the next one tries again.
    async fn upgrade_hash(&self, user: &User, password: &Password) {
        let upgraded = match self.hasher.hash(password.secret()).await {
            Ok(hash) => {
                let state = user.password_state;
                self.store
                    .set_password(&user.id, &hash, state, user.password_expires_at)
                    .await
                    .is_ok()
            }
            Err(_) => false,
        };
        if !upgraded {
            tracing::warn!(user = %user.id, "password hash upgrade deferred");
        }
    }

    /// Step 7 and 8 for a user whose password was just proven: account state, organisation,
    /// second factor, then the session.
    pub(crate) async fn admit(
        &self,
        user: User,
        app: &Application,
        scope: &Scope,
    ) -> EngineResult<LoginOutcome> {
        match user.status {
            UserStatus::Active => {}
            UserStatus::PendingActivation => return Err(EngineError::AccountPendingActivation),
            UserStatus::Disabled => return Err(EngineError::AccountDisabled),
        }
        let (organization, identities) = self.choose_organization(&user, app, scope).await?;
        let mut outcome = self.open_for(user, app, scope, organization).await?;
        outcome.session_mut().identities = identities;
        Ok(outcome)
    }

    /// Step 8: the kind of session a proven password opens.
    async fn open_for(
        &self,
        user: User,
        app: &Application,
        scope: &Scope,
        organization: Option<crate::domain::Organization>,
    ) -> EngineResult<LoginOutcome> {
        if password_update_due(&user, self.now()) {
            let session = self
                .open_session(
                    &user,
                    app,
                    organization,
                    SessionKind::PasswordUpdate,
                    Assurance::Aal1,
                    scope.client,
                )
                .await?;
            return Ok(LoginOutcome::PasswordUpdateRequired(session));
        }
        let policy = app.mfa == MfaPolicy::Required || user.mfa;
        if policy && scope.second_factor == SecondFactorAt::Unavailable {
            return Err(EngineError::SecondFactorUnavailable);
        }
        if policy && scope.second_factor == SecondFactorAt::SignIn {
            let session = self
                .open_session(
                    &user,
                    app,
                    organization,
                    SessionKind::MfaPending,
                    Assurance::Aal1,
                    scope.client,
                )
                .await?;
            let due = self
                .start_login_mfa(&user, &session.session.id, scope.mfa_via)
                .await?;
            return Ok(LoginOutcome::MfaRequired(session, Box::new(due)));
        }
        let session = self
            .open_session(
                &user,
                app,
                organization,
                SessionKind::Auth,
                Assurance::Aal1,
                scope.client,
            )
            .await?;
        Ok(LoginOutcome::Authenticated(session))
    }
}

/// The device token a sign-in presents, if any.
fn presented_device(request: &LoginRequest) -> Option<&str> {
    request
        .device_token
        .as_ref()
        .map(|token| token.expose_secret())
}

/// Step 5: the credential to check, or the one deliberate disclosure before the password.
fn credential_for(
    user: Option<&User>,
    client: ClientKind,
    directory: bool,
) -> EngineResult<Credential<'_>> {
    let Some(user) = user else {
        return Ok(Credential::Password(None));
    };
    if user.external_idp.is_some() {
        return match (client, &user.tooling_password_hash) {
            (ClientKind::Web, _) => Err(EngineError::ExternalAccount),
            (ClientKind::Tooling, None) => Err(EngineError::ExternalAccountTooling),
            (ClientKind::Tooling, Some(hash)) => Ok(Credential::Tooling(hash)),
        };
    }
    match user.realm {
        Realm::Directory if directory => Ok(Credential::Directory(user)),
        Realm::Directory => Err(EngineError::DirectoryUnavailable),
        Realm::Local => Ok(Credential::Password(user.password_hash.as_ref())),
    }
}

/// The password may not open a full session: reset asked for, or expired.
fn password_update_due(user: &User, now: OffsetDateTime) -> bool {
    user.password_state != PasswordState::Ok || user.password_expires_at.is_some_and(|at| at <= now)
}
