//! Row shapes as both databases return them (text, integers, booleans), and their conversion
//! to and from domain records. Times are stored as Unix seconds, durations as seconds.

use super::{StoreError, StoreResult};
use crate::domain::{
    Actor, AdminScope, AdminToken, Application, Assurance, AuditEvent, Challenge, ChallengePurpose,
    ChallengeStatus, Factor, FactorKind, FactorStatus, Membership, MembershipStatus, MfaPolicy,
    OrgKind, OrgStatus, Organization, OutboxMessage, PasswordHash, PasswordState, Realm, Role,
    Session, SessionKind, StoredSigningKey, User, UserStatus,
};
use std::time::Duration;
use time::OffsetDateTime;

/// Unix seconds of a time.
pub fn ts(t: OffsetDateTime) -> i64 {
    t.unix_timestamp()
}

fn time_of(secs: i64, what: &'static str) -> StoreResult<OffsetDateTime> {
    OffsetDateTime::from_unix_timestamp(secs).map_err(|_| StoreError::Corrupt(what))
}

fn opt_time(secs: Option<i64>, what: &'static str) -> StoreResult<Option<OffsetDateTime>> {
    secs.map(|s| time_of(s, what)).transpose()
}

/// Seconds of a duration, saturating.
pub fn secs(d: Duration) -> i64 {
    i64::try_from(d.as_secs()).unwrap_or(i64::MAX)
}

fn duration_of(secs: i64, what: &'static str) -> StoreResult<Duration> {
    u64::try_from(secs)
        .map(Duration::from_secs)
        .map_err(|_| StoreError::Corrupt(what))
}

fn parsed<T>(value: Option<T>, what: &'static str) -> StoreResult<T> {
    value.ok_or(StoreError::Corrupt(what))
}

#[derive(sqlx::FromRow)]
pub struct UserRow {
    id: String,
    email: String,
    username: Option<String>,
    name: String,
    status: String,
    password_hash: Option<String>,
    password_state: String,
    password_expires_at: Option<i64>,
    external_idp: Option<String>,
    tooling_password_hash: Option<String>,
    realm: String,
    phone: Option<String>,
    mfa: bool,
}

impl TryFrom<UserRow> for User {
    type Error = StoreError;
    fn try_from(r: UserRow) -> StoreResult<Self> {
        Ok(User {
            id: r.id,
            email: r.email,
            username: r.username,
            name: r.name,
            status: parsed(UserStatus::parse(&r.status), "users.status")?,
            password_hash: r.password_hash.map(PasswordHash),
            password_state: parsed(
                PasswordState::parse(&r.password_state),
                "users.password_state",
            )?,
            password_expires_at: opt_time(r.password_expires_at, "users.password_expires_at")?,
            external_idp: r.external_idp,
            tooling_password_hash: r.tooling_password_hash.map(PasswordHash),
            realm: parsed(Realm::parse(&r.realm), "users.realm")?,
            phone: r.phone,
            mfa: r.mfa,
        })
    }
}

#[derive(sqlx::FromRow)]
pub struct OrganizationRow {
    id: String,
    name: String,
    kind: String,
    status: String,
    consumer_access: bool,
    idp_required: bool,
}

impl TryFrom<OrganizationRow> for Organization {
    type Error = StoreError;
    fn try_from(r: OrganizationRow) -> StoreResult<Self> {
        Ok(Organization {
            id: r.id,
            name: r.name,
            kind: parsed(OrgKind::parse(&r.kind), "organizations.kind")?,
            status: parsed(OrgStatus::parse(&r.status), "organizations.status")?,
            consumer_access: r.consumer_access,
            idp_required: r.idp_required,
        })
    }
}

#[derive(sqlx::FromRow)]
pub struct MembershipRow {
    role: String,
    #[sqlx(rename = "membership_status")]
    membership_status: String,
    #[sqlx(flatten)]
    organization: OrganizationRow,
}

impl TryFrom<MembershipRow> for (Membership, Organization) {
    type Error = StoreError;
    fn try_from(r: MembershipRow) -> StoreResult<Self> {
        let organization = Organization::try_from(r.organization)?;
        let membership = Membership {
            organization_id: organization.id.clone(),
            role: parsed(Role::parse(&r.role), "memberships.role")?,
            status: parsed(
                MembershipStatus::parse(&r.membership_status),
                "memberships.status",
            )?,
        };
        Ok((membership, organization))
    }
}

#[derive(sqlx::FromRow)]
pub struct FactorRow {
    id: String,
    kind: String,
    phone: Option<String>,
    email: Option<String>,
    secret: Option<String>,
    status: String,
    name: Option<String>,
}

impl TryFrom<FactorRow> for Factor {
    type Error = StoreError;
    fn try_from(r: FactorRow) -> StoreResult<Self> {
        Ok(Factor {
            id: r.id,
            kind: parsed(FactorKind::parse(&r.kind), "factors.kind")?,
            phone: r.phone,
            email: r.email,
            secret: r.secret,
            status: parsed(FactorStatus::parse(&r.status), "factors.status")?,
            name: r.name,
        })
    }
}

#[derive(sqlx::FromRow)]
pub struct ApplicationRow {
    id: String,
    name: String,
    hostnames: String,
    organization_id: Option<String>,
    mfa: String,
    session_idle_secs: Option<i64>,
    session_absolute_secs: Option<i64>,
    cors_origins: String,
    cors_methods: String,
    cors_headers: String,
}

impl TryFrom<ApplicationRow> for Application {
    type Error = StoreError;
    fn try_from(r: ApplicationRow) -> StoreResult<Self> {
        Ok(Application {
            id: r.id,
            name: r.name,
            hostnames: serde_json::from_str(&r.hostnames)
                .map_err(|_| StoreError::Corrupt("applications.hostnames"))?,
            organization: r.organization_id,
            mfa: parsed(MfaPolicy::parse(&r.mfa), "applications.mfa")?,
            session_idle: r
                .session_idle_secs
                .map(|s| duration_of(s, "applications.session_idle_secs"))
                .transpose()?,
            session_absolute: r
                .session_absolute_secs
                .map(|s| duration_of(s, "applications.session_absolute_secs"))
                .transpose()?,
            cors_origins: serde_json::from_str(&r.cors_origins)
                .map_err(|_| StoreError::Corrupt("applications.cors_origins"))?,
            cors_methods: serde_json::from_str(&r.cors_methods)
                .map_err(|_| StoreError::Corrupt("applications.cors_methods"))?,
            cors_headers: serde_json::from_str(&r.cors_headers)
                .map_err(|_| StoreError::Corrupt("applications.cors_headers"))?,
        })
    }
}

/// The JSON text a list (CORS origins, methods, headers) is stored as.
pub fn list_json(list: &[String]) -> String {
    serde_json::Value::from(list.to_vec()).to_string()
}

/// The JSON text hostnames are stored as.
pub fn hostnames_json(app: &Application) -> String {
    serde_json::Value::from(app.hostnames.clone()).to_string()
}

#[derive(sqlx::FromRow)]
pub struct SessionRow {
    id: String,
    token_hash: String,
    user_id: String,
    kind: String,
    assurance: String,
    application_id: String,
    organization_id: Option<String>,
    created_at: i64,
    last_seen_at: i64,
    idle_secs: i64,
    expires_at: i64,
    revoked_at: Option<i64>,
    stepped_up_at: Option<i64>,
    client: String,
}

impl TryFrom<SessionRow> for Session {
    type Error = StoreError;
    fn try_from(r: SessionRow) -> StoreResult<Self> {
        Ok(Session {
            id: r.id,
            token_hash: r.token_hash,
            user_id: r.user_id,
            kind: parsed(SessionKind::parse(&r.kind), "sessions.kind")?,
            assurance: parsed(Assurance::parse(&r.assurance), "sessions.assurance")?,
            application_id: r.application_id,
            organization_id: r.organization_id,
            created_at: time_of(r.created_at, "sessions.created_at")?,
            last_seen_at: time_of(r.last_seen_at, "sessions.last_seen_at")?,
            idle: duration_of(r.idle_secs, "sessions.idle_secs")?,
            expires_at: time_of(r.expires_at, "sessions.expires_at")?,
            revoked_at: opt_time(r.revoked_at, "sessions.revoked_at")?,
            stepped_up_at: opt_time(r.stepped_up_at, "sessions.stepped_up_at")?,
            client: parsed(
                crate::domain::ClientKind::parse(&r.client),
                "sessions.client",
            )?,
        })
    }
}

/// Converts every row, stopping at the first bad one.
pub fn all<R, T: TryFrom<R, Error = StoreError>>(rows: Vec<R>) -> StoreResult<Vec<T>> {
    rows.into_iter().map(T::try_from).collect()
}

/// Converts an optional row.
pub fn one<R, T: TryFrom<R, Error = StoreError>>(row: Option<R>) -> StoreResult<Option<T>> {
    row.map(T::try_from).transpose()
}

#[derive(sqlx::FromRow)]
pub struct AuditRow {
    id: String,
    at: i64,
    kind: String,
    outcome: String,
    actor: String,
    user_id: Option<String>,
    identifier: Option<String>,
    application_id: Option<String>,
    source: Option<String>,
    detail: Option<String>,
}

impl TryFrom<AuditRow> for AuditEvent {
    type Error = StoreError;
    fn try_from(r: AuditRow) -> StoreResult<Self> {
        Ok(AuditEvent {
            id: r.id,
            at: time_of(r.at, "audit_events.at")?,
            kind: r.kind,
            outcome: r.outcome,
            actor: parsed(Actor::parse(&r.actor), "audit_events.actor")?,
            user_id: r.user_id,
            identifier: r.identifier,
            application_id: r.application_id,
            source: r.source,
            detail: r.detail,
        })
    }
}

#[derive(sqlx::FromRow)]
pub struct OutboxRow {
    id: String,
    at: i64,
    channel: String,
    recipient: String,
    subject: String,
    body: String,
}

impl TryFrom<OutboxRow> for OutboxMessage {
    type Error = StoreError;
    fn try_from(r: OutboxRow) -> StoreResult<Self> {
        Ok(OutboxMessage {
            id: r.id,
            at: time_of(r.at, "outbox.at")?,
            channel: r.channel,
            recipient: r.recipient,
            subject: r.subject,
            body: r.body,
        })
    }
}

#[derive(sqlx::FromRow)]
pub struct KeyRow {
    kid: String,
    public_key: String,
    private_key: String,
    created_at: i64,
    retired_at: Option<i64>,
}

impl TryFrom<KeyRow> for StoredSigningKey {
    type Error = StoreError;
    fn try_from(r: KeyRow) -> StoreResult<Self> {
        Ok(StoredSigningKey {
            kid: r.kid,
            public_key: r.public_key,
            private_key: r.private_key,
            created_at: time_of(r.created_at, "signing_keys.created_at")?,
            retired_at: opt_time(r.retired_at, "signing_keys.retired_at")?,
        })
    }
}

#[derive(sqlx::FromRow)]
pub struct ChallengeRow {
    id: String,
    user_id: String,
    session_id: String,
    purpose: String,
    factor_id: Option<String>,
    kind: String,
    destination: Option<String>,
    code_hash: Option<String>,
    number: Option<i64>,
    status: String,
    attempts: i64,
    sends: i64,
    created_at: i64,
    expires_at: i64,
}

impl TryFrom<ChallengeRow> for Challenge {
    type Error = StoreError;
    fn try_from(r: ChallengeRow) -> StoreResult<Self> {
        let count = |n: i64, what| u32::try_from(n).map_err(|_| StoreError::Corrupt(what));
        Ok(Challenge {
            id: r.id,
            user_id: r.user_id,
            session_id: r.session_id,
            purpose: parsed(ChallengePurpose::parse(&r.purpose), "challenges.purpose")?,
            factor_id: r.factor_id,
            kind: parsed(FactorKind::parse(&r.kind), "challenges.kind")?,
            destination: r.destination,
            code_hash: r.code_hash,
            number: r
                .number
                .map(|n| u8::try_from(n).map_err(|_| StoreError::Corrupt("challenges.number")))
                .transpose()?,
            status: parsed(ChallengeStatus::parse(&r.status), "challenges.status")?,
            attempts: count(r.attempts, "challenges.attempts")?,
            sends: count(r.sends, "challenges.sends")?,
            created_at: time_of(r.created_at, "challenges.created_at")?,
            expires_at: time_of(r.expires_at, "challenges.expires_at")?,
        })
    }
}

#[derive(sqlx::FromRow)]
pub struct OwnedFactorRow {
    user_id: String,
    #[sqlx(flatten)]
    factor: FactorRow,
}

impl TryFrom<OwnedFactorRow> for (String, Factor) {
    type Error = StoreError;
    fn try_from(r: OwnedFactorRow) -> StoreResult<Self> {
        Ok((r.user_id, Factor::try_from(r.factor)?))
    }
}

#[derive(sqlx::FromRow)]
pub struct AdminTokenRow {
    id: String,
    name: String,
    scope: String,
    created_at: i64,
    expires_at: i64,
    last_used_at: Option<i64>,
    revoked_at: Option<i64>,
}

impl TryFrom<AdminTokenRow> for AdminToken {
    type Error = StoreError;
    fn try_from(r: AdminTokenRow) -> StoreResult<Self> {
        Ok(AdminToken {
            id: r.id,
            name: r.name,
            scope: parsed(AdminScope::parse(&r.scope), "admin_tokens.scope")?,
            created_at: time_of(r.created_at, "admin_tokens.created_at")?,
            expires_at: time_of(r.expires_at, "admin_tokens.expires_at")?,
            last_used_at: opt_time(r.last_used_at, "admin_tokens.last_used_at")?,
            revoked_at: opt_time(r.revoked_at, "admin_tokens.revoked_at")?,
        })
    }
}
