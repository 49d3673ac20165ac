//! The SQL both backends share. SQLite (3.35+) and PostgreSQL agree on every statement Doorward
//! needs (`$n` parameters, `ON CONFLICT … DO UPDATE`, `RETURNING`, expression indexes), so the
//! statements are written once and [`impl_sql_store!`] implements [`Store`](super::Store) for
//! each backend's pool. Each backend keeps its own connection settings; both share `migrations/`.

macro_rules! user_columns {
    () => {
        "id, email, username, name, status, password_hash, password_state, password_expires_at, \
         external_idp, tooling_password_hash, realm, phone, mfa"
    };
}

macro_rules! insert_user {
    () => {
        concat!(
            "INSERT INTO users (",
            user_columns!(),
            ", created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)"
        )
    };
}

macro_rules! organization_columns {
    () => {
        "id, name, kind, status, consumer_access, idp_required"
    };
}

macro_rules! application_columns {
    () => {
        "id, name, hostnames, organization_id, mfa, session_idle_secs, session_absolute_secs"
    };
}

macro_rules! session_columns {
    () => {
        "id, token_hash, user_id, kind, assurance, application_id, organization_id, created_at, \
         last_seen_at, idle_secs, expires_at, revoked_at, stepped_up_at, client"
    };
}

pub(super) const USER_BY_ID: &str =
    concat!("SELECT ", user_columns!(), " FROM users WHERE id = $1");
pub(super) const USER_BY_EMAIL: &str =
    concat!("SELECT ", user_columns!(), " FROM users WHERE email = $1");
pub(super) const USER_BY_USERNAME: &str = concat!(
    "SELECT ",
    user_columns!(),
    " FROM users WHERE lower(username) = lower($1)"
);
pub(super) const LIST_USERS: &str =
    concat!("SELECT ", user_columns!(), " FROM users ORDER BY email");
pub(super) const INSERT_USER: &str = insert_user!();
pub(super) const UPSERT_USER: &str = concat!(
    insert_user!(),
    " ON CONFLICT (id) DO UPDATE SET email = excluded.email, username = excluded.username, \
     name = excluded.name, status = excluded.status, password_hash = excluded.password_hash, \
     password_state = excluded.password_state, password_expires_at = excluded.password_expires_at, \
     external_idp = excluded.external_idp, tooling_password_hash = excluded.tooling_password_hash, \
     realm = excluded.realm, phone = excluded.phone, mfa = excluded.mfa"
);
pub(super) const SET_USER_STATUS: &str = "UPDATE users SET status = $2 WHERE id = $1";
pub(super) const SET_PASSWORD: &str = "UPDATE users SET password_hash = $2, password_state = $3, \
     password_expires_at = $4 WHERE id = $1";

pub(super) const ORGANIZATION_BY_ID: &str = concat!(
    "SELECT ",
    organization_columns!(),
    " FROM organizations WHERE id = $1"
);
pub(super) const ORGANIZATION_BY_NAME: &str = concat!(
    "SELECT ",
    organization_columns!(),
    " FROM organizations WHERE name = $1 ORDER BY id LIMIT 1"
);
pub(super) const UPSERT_ORGANIZATION: &str = concat!(
    "INSERT INTO organizations (",
    organization_columns!(),
    ") VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (id) DO UPDATE SET name = excluded.name, \
     kind = excluded.kind, status = excluded.status, consumer_access = excluded.consumer_access, \
     idp_required = excluded.idp_required"
);
pub(super) const MEMBERSHIPS_OF: &str = "SELECT m.role, m.status AS membership_status, o.id, o.name, \
     o.kind, o.status, o.consumer_access, o.idp_required FROM memberships m \
     JOIN organizations o ON o.id = m.organization_id WHERE m.user_id = $1 ORDER BY o.id";
pub(super) const DELETE_MEMBERSHIPS: &str = "DELETE FROM memberships WHERE user_id = $1";
pub(super) const INSERT_MEMBERSHIP: &str =
    "INSERT INTO memberships (user_id, organization_id, role, status) VALUES ($1, $2, $3, $4)";

pub(super) const FACTORS_OF: &str = "SELECT id, kind, phone, email, secret, status, name FROM factors \
     WHERE user_id = $1 ORDER BY created_at, id";
pub(super) const DELETE_FACTORS: &str = "DELETE FROM factors WHERE user_id = $1";
pub(super) const INSERT_FACTOR: &str = "INSERT INTO factors (id, user_id, kind, phone, email, secret, \
     status, created_at, name) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)";

pub(super) const APPLICATION_BY_ID: &str = concat!(
    "SELECT ",
    application_columns!(),
    " FROM applications WHERE id = $1"
);
pub(super) const APPLICATION_BY_NAME: &str = concat!(
    "SELECT ",
    application_columns!(),
    " FROM applications WHERE name = $1 ORDER BY id LIMIT 1"
);
pub(super) const APPLICATIONS_WITH_HOSTNAMES: &str = concat!(
    "SELECT ",
    application_columns!(),
    " FROM applications WHERE hostnames <> '' AND hostnames <> '[]' ORDER BY id"
);
pub(super) const APPLICATION_BY_API_KEY: &str = "SELECT a.id, a.name, a.hostnames, a.organization_id, \
     a.mfa, a.session_idle_secs, a.session_absolute_secs FROM applications a \
     JOIN application_api_keys k ON k.application_id = a.id WHERE k.key_hash = $1";
pub(super) const API_KEY_HASHES_OF: &str =
    "SELECT key_hash FROM application_api_keys WHERE application_id = $1 ORDER BY key_hash";
pub(super) const UPSERT_APPLICATION: &str = concat!(
    "INSERT INTO applications (",
    application_columns!(),
    ") VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (id) DO UPDATE SET name = excluded.name, \
     hostnames = excluded.hostnames, organization_id = excluded.organization_id, mfa = excluded.mfa, \
     session_idle_secs = excluded.session_idle_secs, \
     session_absolute_secs = excluded.session_absolute_secs"
);
pub(super) const DELETE_API_KEYS: &str =
    "DELETE FROM application_api_keys WHERE application_id = $1";
pub(super) const INSERT_API_KEY: &str =
    "INSERT INTO application_api_keys (key_hash, application_id) VALUES ($1, $2)";

pub(super) const INSERT_SESSION: &str = concat!(
    "INSERT INTO sessions (",
    session_columns!(),
    ") VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)"
);
pub(super) const SESSION_BY_TOKEN_HASH: &str = concat!(
    "SELECT ",
    session_columns!(),
    " FROM sessions WHERE token_hash = $1"
);
pub(super) const REPLACE_SESSION_TOKEN: &str = "UPDATE sessions SET token_hash = $3 \
     WHERE id = $1 AND token_hash = $2 AND revoked_at IS NULL";
pub(super) const TOUCH_SESSION: &str =
    "UPDATE sessions SET last_seen_at = $2 WHERE id = $1 AND last_seen_at < $2";
pub(super) const REVOKE_SESSION: &str =
    "UPDATE sessions SET revoked_at = $2 WHERE id = $1 AND revoked_at IS NULL";
pub(super) const REVOKE_ORGANIZATION_SESSIONS: &str = "UPDATE sessions SET revoked_at = $3 \
     WHERE organization_id = $1 AND ($2 IS NULL OR user_id = $2) AND revoked_at IS NULL";
pub(super) const REVOKE_USER_SESSIONS: &str =
    "UPDATE sessions SET revoked_at = $2 WHERE user_id = $1 AND revoked_at IS NULL";

pub(super) const ENSURE_LOCKOUT: &str = "INSERT INTO lockouts (identifier, device, failures, locked_until) \
     VALUES ($1, $2, 0, NULL) ON CONFLICT (identifier, device) DO NOTHING";
/// Admits one attempt to check its password: only while the bucket is unlocked (or its lock has
/// run out, which starts counting afresh) and its confirmed failures plus the attempts in flight
/// stay below the maximum. A lapsed lease means the attempts it counted are gone (a crashed
/// instance), so they no longer count. `$3` now, `$4` max failures, `$5` the new lease.
pub(super) const ADMIT_ATTEMPT: &str = "UPDATE lockouts SET \
     failures = CASE WHEN locked_until IS NOT NULL THEN 0 ELSE failures END, \
     locked_until = NULL, \
     in_flight = (CASE WHEN lease_until <= $3 THEN 0 ELSE in_flight END) + 1, \
     lease_until = $5 \
     WHERE identifier = $1 AND device = $2 AND (locked_until IS NULL OR locked_until <= $3) \
     AND (CASE WHEN locked_until IS NOT NULL THEN 0 ELSE failures END) \
       + (CASE WHEN lease_until <= $3 THEN 0 ELSE in_flight END) < $4 \
     RETURNING failures";
pub(super) const LOCKED_UNTIL: &str =
    "SELECT locked_until FROM lockouts WHERE identifier = $1 AND device = $2";
/// A wrong password: one confirmed failure, and the attempt that reaches `$3` sets the lock.
pub(super) const RECORD_FAILURE: &str = "UPDATE lockouts SET \
     in_flight = CASE WHEN in_flight > 0 THEN in_flight - 1 ELSE 0 END, \
     failures = failures + 1, \
     locked_until = CASE WHEN locked_until IS NULL AND failures + 1 >= $3 THEN $4 ELSE locked_until END \
     WHERE identifier = $1 AND device = $2 RETURNING failures";
/// A right password: the failures are forgotten (unless a lock is set, which only wrong
/// passwords can have set), and the attempt leaves the flight. The row stays, so no parallel
/// attempt ever finds it missing.
pub(super) const RECORD_SUCCESS: &str = "UPDATE lockouts SET \
     in_flight = CASE WHEN in_flight > 0 THEN in_flight - 1 ELSE 0 END, \
     failures = CASE WHEN locked_until IS NULL THEN 0 ELSE failures END \
     WHERE identifier = $1 AND device = $2";
/// An attempt whose password was never checked leaves the flight without counting.
pub(super) const RELEASE_ATTEMPT: &str = "UPDATE lockouts SET \
     in_flight = CASE WHEN in_flight > 0 THEN in_flight - 1 ELSE 0 END \
     WHERE identifier = $1 AND device = $2";
pub(super) const COUNT_LOCKED: &str = "SELECT COUNT(*) FROM lockouts WHERE identifier = $1 AND locked_until IS NOT NULL AND locked_until > $2";
pub(super) const UNLOCK_IDENTIFIER: &str = "DELETE FROM lockouts WHERE identifier = $1";
pub(super) const INSERT_DEVICE_TOKEN: &str = "INSERT INTO device_tokens (token_hash, identifier, created_at, expires_at) VALUES ($1, $2, $3, $4)";
pub(super) const REMEMBER_SOURCE: &str = "INSERT INTO known_sources (identifier, network, expires_at) \
     VALUES ($1, $2, $3) ON CONFLICT (identifier, network) DO UPDATE SET expires_at = excluded.expires_at";
pub(super) const KNOWN_SOURCE_VALID: &str = "SELECT network FROM known_sources \
     WHERE identifier = $1 AND network = $2 AND expires_at > $3";
pub(super) const DEVICE_TOKEN_VALID: &str = "SELECT token_hash FROM device_tokens WHERE token_hash = $1 AND identifier = $2 AND expires_at > $3";
/// GCRA: the new theoretical arrival time is max(tat, now) + interval; refused when that is
/// further ahead of now than the burst window.
pub(super) const TAKE_RATE_TOKEN: &str = "INSERT INTO rate_limits (key, tat) VALUES ($1, $2 + $3) \
     ON CONFLICT (key) DO UPDATE SET tat = (CASE WHEN rate_limits.tat > $2 THEN rate_limits.tat ELSE $2 END) + $3 \
     WHERE (CASE WHEN rate_limits.tat > $2 THEN rate_limits.tat ELSE $2 END) + $3 - $2 <= $4 \
     RETURNING tat";
/// Gives a token back (a sign-in whose password proved right). A bucket that has refilled
/// already keeps `tat` in the past, which the next take treats as now.
pub(super) const REFUND_RATE_TOKEN: &str = "UPDATE rate_limits SET tat = tat - $2 WHERE key = $1";
pub(super) const RATE_TAT: &str = "SELECT tat FROM rate_limits WHERE key = $1";
pub(super) const PUSH_PASSWORD_HISTORY: &str =
    "INSERT INTO password_history (user_id, hash, created_at) VALUES ($1, $2, $3)";
pub(super) const PASSWORD_HISTORY: &str =
    "SELECT hash FROM password_history WHERE user_id = $1 ORDER BY created_at DESC, hash";
pub(super) const TRIM_PASSWORD_HISTORY: &str = "DELETE FROM password_history WHERE user_id = $1 AND hash NOT IN \
     (SELECT hash FROM password_history WHERE user_id = $1 ORDER BY created_at DESC LIMIT $2)";
pub(super) const SETTING: &str = "SELECT value FROM settings WHERE key = $1";
pub(super) const SET_SETTING: &str = "INSERT INTO settings (key, value) VALUES ($1, $2) ON CONFLICT (key) DO UPDATE SET value = excluded.value";

pub(super) const INSERT_AUDIT: &str = "INSERT INTO audit_events (id, at, kind, outcome, user_id, identifier, \
     application_id, source) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)";
pub(super) const AUDIT_EVENTS: &str = "SELECT id, at, kind, outcome, user_id, identifier, application_id, source \
     FROM audit_events WHERE ($1 IS NULL OR user_id = $1) AND at >= $2 ORDER BY at DESC, id LIMIT $3";
pub(super) const INSERT_OUTBOX: &str = "INSERT INTO outbox (id, at, channel, recipient, subject, body) VALUES ($1, $2, $3, $4, $5, $6)";
pub(super) const OUTBOX: &str =
    "SELECT id, at, channel, recipient, subject, body FROM outbox ORDER BY at DESC, id LIMIT $1";
pub(super) const INSERT_ONE_TIME_TOKEN: &str = "INSERT INTO one_time_tokens (token_hash, purpose, user_id, expires_at, used_at) VALUES ($1, $2, $3, $4, NULL)";
pub(super) const PEEK_ONE_TIME_TOKEN: &str = "SELECT user_id FROM one_time_tokens \
     WHERE token_hash = $1 AND purpose = $2 AND used_at IS NULL AND expires_at > $3";
pub(super) const USE_ONE_TIME_TOKEN: &str = "UPDATE one_time_tokens SET used_at = $3 \
     WHERE token_hash = $1 AND purpose = $2 AND used_at IS NULL AND expires_at > $3 RETURNING user_id";

pub(super) const LIST_ORGANIZATIONS: &str = concat!(
    "SELECT ",
    organization_columns!(),
    " FROM organizations ORDER BY id"
);
pub(super) const DELETE_ORGANIZATION: &str = "DELETE FROM organizations WHERE id = $1";
pub(super) const UPSERT_MEMBERSHIP: &str = "INSERT INTO memberships (user_id, organization_id, role, status) \
     VALUES ($1, $2, $3, $4) ON CONFLICT (user_id, organization_id) DO UPDATE SET role = excluded.role, \
     status = excluded.status";
pub(super) const DELETE_MEMBERSHIP: &str =
    "DELETE FROM memberships WHERE user_id = $1 AND organization_id = $2";
pub(super) const SESSION_BY_ID: &str = concat!(
    "SELECT ",
    session_columns!(),
    " FROM sessions WHERE id = $1"
);
pub(super) const SET_SESSION_ORGANIZATION: &str =
    "UPDATE sessions SET organization_id = $2 WHERE id = $1";
pub(super) const INSERT_SIGNING_KEY: &str = "INSERT INTO signing_keys (kid, public_key, private_key, created_at, \
     retired_at) VALUES ($1, $2, $3, $4, $5)";
pub(super) const SIGNING_KEYS: &str = "SELECT kid, public_key, private_key, created_at, retired_at FROM signing_keys ORDER BY created_at, kid";
pub(super) const RETIRE_SIGNING_KEYS: &str =
    "UPDATE signing_keys SET retired_at = $2 WHERE kid <> $1 AND retired_at IS NULL";

/// Statements of a sweep: each takes `$1` (a time in seconds) or, for rate buckets, `$1` in ms.
pub(super) const SWEEP_SECONDS: [&str; 7] = [
    "DELETE FROM challenges WHERE expires_at < $1",
    "DELETE FROM sessions WHERE expires_at < $1 OR revoked_at < $1",
    "DELETE FROM device_tokens WHERE expires_at < $1",
    "DELETE FROM one_time_tokens WHERE expires_at < $1",
    "DELETE FROM lockouts WHERE locked_until IS NOT NULL AND locked_until < $1",
    "DELETE FROM lockouts WHERE failures = 0 AND locked_until IS NULL AND lease_until < $1",
    "DELETE FROM known_sources WHERE expires_at < $1",
];
pub(super) const SWEEP_AUDIT: &str = "DELETE FROM audit_events WHERE at < $1";
pub(super) const SWEEP_OUTBOX: &str = "DELETE FROM outbox WHERE at < $1";
pub(super) const SWEEP_RATE_LIMITS: &str = "DELETE FROM rate_limits WHERE tat < $1";

pub(super) const INSERT_ADMIN_TOKEN: &str =
    "INSERT INTO admin_tokens (token_hash, name, created_at) VALUES ($1, $2, $3)";
pub(super) const ADMIN_TOKEN_EXISTS: &str =
    "SELECT token_hash FROM admin_tokens WHERE token_hash = $1";

/// Implements [`Store`](crate::store::Store) for a type with a `pool: sqlx::Pool<$db>` field and
/// a `MIGRATOR` static in scope.
macro_rules! impl_sql_store {
    ($store:ty, $db:ty, $kind:literal) => {
        use time::OffsetDateTime;
        use $crate::domain::{
            Application, AuditEvent, Factor, Membership, Organization, OutboxMessage,
            PasswordState, Session, StoredSigningKey, User, UserStatus,
        };
        use $crate::store::rows::{
            self, ApplicationRow, AuditRow, FactorRow, KeyRow, MembershipRow, OrganizationRow,
            OutboxRow, SessionRow, UserRow, ts,
        };
        use $crate::store::sql;
        use $crate::store::{Admission, ImportBatch, MembershipWithOrg, Store, StoreError};

        type Args<'q> = <$db as sqlx::Database>::Arguments<'q>;
        type Query<'q> = sqlx::query::Query<'q, $db, Args<'q>>;

        fn bind_user<'q>(query: Query<'q>, user: &'q User, created_at: i64) -> Query<'q> {
            query
                .bind(&user.id)
                .bind(&user.email)
                .bind(user.username.as_deref())
                .bind(&user.name)
                .bind(user.status.as_str())
                .bind(user.password_hash.as_ref().map(|h| h.0.as_str()))
                .bind(user.password_state.as_str())
                .bind(user.password_expires_at.map(ts))
                .bind(&user.external_idp)
                .bind(user.tooling_password_hash.as_ref().map(|h| h.0.as_str()))
                .bind(user.realm.as_str())
                .bind(&user.phone)
                .bind(user.mfa)
                .bind(created_at)
        }

        /// The user of a live single-use token, by `statement` (which peeks or consumes it).
        async fn one_time_token_user(
            pool: &sqlx::Pool<$db>,
            statement: &'static str,
            token_hash: &str,
            purpose: &str,
            now: OffsetDateTime,
        ) -> StoreResult<Option<String>> {
            let row: Option<(String,)> = sqlx::query_as(statement)
                .bind(token_hash)
                .bind(purpose)
                .bind(ts(now))
                .fetch_optional(pool)
                .await?;
            Ok(row.map(|(user,)| user))
        }

        #[async_trait::async_trait]
        impl Store for $store {
            async fn migrate(&self) -> StoreResult<()> {
                MIGRATOR
                    .run(&self.pool)
                    .await
                    .map_err(StoreError::Migration)
            }

            async fn ping(&self) -> StoreResult<()> {
                sqlx::query("SELECT 1").execute(&self.pool).await?;
                Ok(())
            }

            fn kind(&self) -> &'static str {
                $kind
            }

            async fn user_by_id(&self, id: &str) -> StoreResult<Option<User>> {
                let row: Option<UserRow> = sqlx::query_as(sql::USER_BY_ID)
                    .bind(id)
                    .fetch_optional(&self.pool)
                    .await?;
                rows::one(row)
            }

            async fn user_by_email(&self, email: &str) -> StoreResult<Option<User>> {
                let row: Option<UserRow> = sqlx::query_as(sql::USER_BY_EMAIL)
                    .bind(email)
                    .fetch_optional(&self.pool)
                    .await?;
                rows::one(row)
            }

            async fn user_by_username(&self, username: &str) -> StoreResult<Option<User>> {
                let row: Option<UserRow> = sqlx::query_as(sql::USER_BY_USERNAME)
                    .bind(username)
                    .fetch_optional(&self.pool)
                    .await?;
                rows::one(row)
            }

            async fn list_users(&self) -> StoreResult<Vec<User>> {
                let found: Vec<UserRow> = sqlx::query_as(sql::LIST_USERS)
                    .fetch_all(&self.pool)
                    .await?;
                rows::all(found)
            }

            async fn insert_user(&self, user: &User, at: OffsetDateTime) -> StoreResult<()> {
                bind_user(sqlx::query(sql::INSERT_USER), user, ts(at))
                    .execute(&self.pool)
                    .await?;
                Ok(())
            }

            async fn set_user_status(&self, id: &str, status: UserStatus) -> StoreResult<()> {
                let done = sqlx::query(sql::SET_USER_STATUS)
                    .bind(id)
                    .bind(status.as_str())
                    .execute(&self.pool)
                    .await?;
                if done.rows_affected() == 0 {
                    Err(StoreError::NotFound)
                } else {
                    Ok(())
                }
            }

            async fn set_password(
                &self,
                id: &str,
                hash: &str,
                state: PasswordState,
                expires_at: Option<OffsetDateTime>,
            ) -> StoreResult<()> {
                let done = sqlx::query(sql::SET_PASSWORD)
                    .bind(id)
                    .bind(hash)
                    .bind(state.as_str())
                    .bind(expires_at.map(ts))
                    .execute(&self.pool)
                    .await?;
                if done.rows_affected() == 0 {
                    Err(StoreError::NotFound)
                } else {
                    Ok(())
                }
            }

            async fn organization_by_id(&self, id: &str) -> StoreResult<Option<Organization>> {
                let row: Option<OrganizationRow> = sqlx::query_as(sql::ORGANIZATION_BY_ID)
                    .bind(id)
                    .fetch_optional(&self.pool)
                    .await?;
                rows::one(row)
            }

            async fn organization_by_name(&self, name: &str) -> StoreResult<Option<Organization>> {
                let row: Option<OrganizationRow> = sqlx::query_as(sql::ORGANIZATION_BY_NAME)
                    .bind(name)
                    .fetch_optional(&self.pool)
                    .await?;
                rows::one(row)
            }

            async fn memberships_of(&self, user_id: &str) -> StoreResult<Vec<MembershipWithOrg>> {
                let found: Vec<MembershipRow> = sqlx::query_as(sql::MEMBERSHIPS_OF)
                    .bind(user_id)
                    .fetch_all(&self.pool)
                    .await?;
                rows::all(found)
            }

            async fn factors_of(&self, user_id: &str) -> StoreResult<Vec<Factor>> {
                let found: Vec<FactorRow> = sqlx::query_as(sql::FACTORS_OF)
                    .bind(user_id)
                    .fetch_all(&self.pool)
                    .await?;
                rows::all(found)
            }

            async fn application_by_id(&self, id: &str) -> StoreResult<Option<Application>> {
                let row: Option<ApplicationRow> = sqlx::query_as(sql::APPLICATION_BY_ID)
                    .bind(id)
                    .fetch_optional(&self.pool)
                    .await?;
                rows::one(row)
            }

            async fn application_by_name(&self, name: &str) -> StoreResult<Option<Application>> {
                let row: Option<ApplicationRow> = sqlx::query_as(sql::APPLICATION_BY_NAME)
                    .bind(name)
                    .fetch_optional(&self.pool)
                    .await?;
                rows::one(row)
            }

            async fn applications_with_hostnames(&self) -> StoreResult<Vec<Application>> {
                let found: Vec<ApplicationRow> = sqlx::query_as(sql::APPLICATIONS_WITH_HOSTNAMES)
                    .fetch_all(&self.pool)
                    .await?;
                rows::all(found)
            }

            async fn application_by_api_key(
                &self,
                key_hash: &str,
            ) -> StoreResult<Option<Application>> {
                let row: Option<ApplicationRow> = sqlx::query_as(sql::APPLICATION_BY_API_KEY)
                    .bind(key_hash)
                    .fetch_optional(&self.pool)
                    .await?;
                rows::one(row)
            }

            async fn api_key_hashes_of(&self, application_id: &str) -> StoreResult<Vec<String>> {
                let found: Vec<(String,)> = sqlx::query_as(sql::API_KEY_HASHES_OF)
                    .bind(application_id)
                    .fetch_all(&self.pool)
                    .await?;
                Ok(found.into_iter().map(|(h,)| h).collect())
            }

            async fn apply_import(&self, batch: &ImportBatch) -> StoreResult<()> {
                let created_at = batch.at.map_or(0, ts);
                let mut tx = self.pool.begin().await?;
                for org in &batch.organizations {
                    sqlx::query(sql::UPSERT_ORGANIZATION)
                        .bind(&org.id)
                        .bind(&org.name)
                        .bind(org.kind.as_str())
                        .bind(org.status.as_str())
                        .bind(org.consumer_access)
                        .bind(org.idp_required)
                        .execute(&mut *tx)
                        .await?;
                }
                for (app, keys) in &batch.applications {
                    sqlx::query(sql::UPSERT_APPLICATION)
                        .bind(&app.id)
                        .bind(&app.name)
                        .bind(rows::hostnames_json(app))
                        .bind(&app.organization)
                        .bind(app.mfa.as_str())
                        .bind(app.session_idle.map(rows::secs))
                        .bind(app.session_absolute.map(rows::secs))
                        .execute(&mut *tx)
                        .await?;
                    sqlx::query(sql::DELETE_API_KEYS)
                        .bind(&app.id)
                        .execute(&mut *tx)
                        .await?;
                    for key in keys {
                        sqlx::query(sql::INSERT_API_KEY)
                            .bind(key)
                            .bind(&app.id)
                            .execute(&mut *tx)
                            .await?;
                    }
                }
                for (user, memberships, factors) in &batch.users {
                    bind_user(sqlx::query(sql::UPSERT_USER), user, created_at)
                        .execute(&mut *tx)
                        .await?;
                    sqlx::query(sql::DELETE_MEMBERSHIPS)
                        .bind(&user.id)
                        .execute(&mut *tx)
                        .await?;
                    for m in memberships {
                        sqlx::query(sql::INSERT_MEMBERSHIP)
                            .bind(&user.id)
                            .bind(&m.organization_id)
                            .bind(m.role.as_str())
                            .bind(m.status.as_str())
                            .execute(&mut *tx)
                            .await?;
                    }
                    sqlx::query(sql::DELETE_FACTORS)
                        .bind(&user.id)
                        .execute(&mut *tx)
                        .await?;
                    for f in factors {
                        sqlx::query(sql::INSERT_FACTOR)
                            .bind(&f.id)
                            .bind(&user.id)
                            .bind(f.kind.as_str())
                            .bind(&f.phone)
                            .bind(&f.email)
                            .bind(&f.secret)
                            .bind(f.status.as_str())
                            .bind(created_at)
                            .bind(&f.name)
                            .execute(&mut *tx)
                            .await?;
                    }
                }
                tx.commit().await?;
                Ok(())
            }

            async fn insert_session(&self, s: &Session) -> StoreResult<()> {
                sqlx::query(sql::INSERT_SESSION)
                    .bind(&s.id)
                    .bind(&s.token_hash)
                    .bind(&s.user_id)
                    .bind(s.kind.as_str())
                    .bind(s.assurance.as_str())
                    .bind(&s.application_id)
                    .bind(&s.organization_id)
                    .bind(ts(s.created_at))
                    .bind(ts(s.last_seen_at))
                    .bind(rows::secs(s.idle))
                    .bind(ts(s.expires_at))
                    .bind(s.revoked_at.map(ts))
                    .bind(s.stepped_up_at.map(ts))
                    .bind(s.client.as_str())
                    .execute(&self.pool)
                    .await?;
                Ok(())
            }

            async fn session_by_token_hash(
                &self,
                token_hash: &str,
            ) -> StoreResult<Option<Session>> {
                let row: Option<SessionRow> = sqlx::query_as(sql::SESSION_BY_TOKEN_HASH)
                    .bind(token_hash)
                    .fetch_optional(&self.pool)
                    .await?;
                rows::one(row)
            }

            async fn replace_session_token(
                &self,
                id: &str,
                old_hash: &str,
                new_hash: &str,
            ) -> StoreResult<bool> {
                let done = sqlx::query(sql::REPLACE_SESSION_TOKEN)
                    .bind(id)
                    .bind(old_hash)
                    .bind(new_hash)
                    .execute(&self.pool)
                    .await?;
                Ok(done.rows_affected() > 0)
            }

            async fn touch_session(&self, id: &str, last_seen: OffsetDateTime) -> StoreResult<()> {
                sqlx::query(sql::TOUCH_SESSION)
                    .bind(id)
                    .bind(ts(last_seen))
                    .execute(&self.pool)
                    .await?;
                Ok(())
            }

            async fn revoke_session(&self, id: &str, at: OffsetDateTime) -> StoreResult<bool> {
                let done = sqlx::query(sql::REVOKE_SESSION)
                    .bind(id)
                    .bind(ts(at))
                    .execute(&self.pool)
                    .await?;
                Ok(done.rows_affected() > 0)
            }

            async fn revoke_organization_sessions(
                &self,
                organization_id: &str,
                user_id: Option<&str>,
                at: OffsetDateTime,
            ) -> StoreResult<u64> {
                let done = sqlx::query(sql::REVOKE_ORGANIZATION_SESSIONS)
                    .bind(organization_id)
                    .bind(user_id)
                    .bind(ts(at))
                    .execute(&self.pool)
                    .await?;
                Ok(done.rows_affected())
            }

            async fn revoke_user_sessions(
                &self,
                user_id: &str,
                at: OffsetDateTime,
            ) -> StoreResult<u64> {
                let done = sqlx::query(sql::REVOKE_USER_SESSIONS)
                    .bind(user_id)
                    .bind(ts(at))
                    .execute(&self.pool)
                    .await?;
                Ok(done.rows_affected())
            }

            async fn admit_attempt(
                &self,
                identifier: &str,
                bucket: &str,
                now: OffsetDateTime,
                max_failures: u32,
                lease_until: OffsetDateTime,
            ) -> StoreResult<Admission> {
                sqlx::query(sql::ENSURE_LOCKOUT)
                    .bind(identifier)
                    .bind(bucket)
                    .execute(&self.pool)
                    .await?;
                let admitted: Option<(i64,)> = sqlx::query_as(sql::ADMIT_ATTEMPT)
                    .bind(identifier)
                    .bind(bucket)
                    .bind(ts(now))
                    .bind(i64::from(max_failures))
                    .bind(ts(lease_until))
                    .fetch_optional(&self.pool)
                    .await?;
                if admitted.is_some() {
                    return Ok(Admission::Admitted);
                }
                // Refused: locked, or full. The row may have gone since (an admin unlock), and
                // then the bucket is simply full for this moment.
                let row: Option<(Option<i64>,)> = sqlx::query_as(sql::LOCKED_UNTIL)
                    .bind(identifier)
                    .bind(bucket)
                    .fetch_optional(&self.pool)
                    .await?;
                let until = row
                    .and_then(|(until,)| until)
                    .map(|until| {
                        OffsetDateTime::from_unix_timestamp(until)
                            .map_err(|_| StoreError::Corrupt("lockouts.locked_until"))
                    })
                    .transpose()?;
                Ok(match until {
                    Some(until) if until > now => Admission::Locked(until),
                    _ => Admission::Full,
                })
            }

            async fn record_failure(
                &self,
                identifier: &str,
                bucket: &str,
                max_failures: u32,
                lock_until: OffsetDateTime,
            ) -> StoreResult<u32> {
                let failures: Option<(i64,)> = sqlx::query_as(sql::RECORD_FAILURE)
                    .bind(identifier)
                    .bind(bucket)
                    .bind(i64::from(max_failures))
                    .bind(ts(lock_until))
                    .fetch_optional(&self.pool)
                    .await?;
                Ok(failures.map_or(0, |(n,)| u32::try_from(n).unwrap_or(u32::MAX)))
            }

            async fn record_success(&self, identifier: &str, bucket: &str) -> StoreResult<()> {
                sqlx::query(sql::RECORD_SUCCESS)
                    .bind(identifier)
                    .bind(bucket)
                    .execute(&self.pool)
                    .await?;
                Ok(())
            }

            async fn release_attempt(&self, identifier: &str, bucket: &str) -> StoreResult<()> {
                sqlx::query(sql::RELEASE_ATTEMPT)
                    .bind(identifier)
                    .bind(bucket)
                    .execute(&self.pool)
                    .await?;
                Ok(())
            }

            async fn remember_source(
                &self,
                identifier: &str,
                network: &str,
                expires_at: OffsetDateTime,
            ) -> StoreResult<()> {
                sqlx::query(sql::REMEMBER_SOURCE)
                    .bind(identifier)
                    .bind(network)
                    .bind(ts(expires_at))
                    .execute(&self.pool)
                    .await?;
                Ok(())
            }

            async fn known_source_valid(
                &self,
                identifier: &str,
                network: &str,
                now: OffsetDateTime,
            ) -> StoreResult<bool> {
                let row: Option<(String,)> = sqlx::query_as(sql::KNOWN_SOURCE_VALID)
                    .bind(identifier)
                    .bind(network)
                    .bind(ts(now))
                    .fetch_optional(&self.pool)
                    .await?;
                Ok(row.is_some())
            }

            async fn unlock_identifier(
                &self,
                identifier: &str,
                now: OffsetDateTime,
            ) -> StoreResult<u64> {
                let (locked,): (i64,) = sqlx::query_as(sql::COUNT_LOCKED)
                    .bind(identifier)
                    .bind(ts(now))
                    .fetch_one(&self.pool)
                    .await?;
                sqlx::query(sql::UNLOCK_IDENTIFIER)
                    .bind(identifier)
                    .execute(&self.pool)
                    .await?;
                Ok(u64::try_from(locked).unwrap_or_default())
            }

            async fn insert_device_token(
                &self,
                token_hash: &str,
                identifier: &str,
                now: OffsetDateTime,
                expires_at: OffsetDateTime,
            ) -> StoreResult<()> {
                sqlx::query(sql::INSERT_DEVICE_TOKEN)
                    .bind(token_hash)
                    .bind(identifier)
                    .bind(ts(now))
                    .bind(ts(expires_at))
                    .execute(&self.pool)
                    .await?;
                Ok(())
            }

            async fn device_token_valid(
                &self,
                token_hash: &str,
                identifier: &str,
                now: OffsetDateTime,
            ) -> StoreResult<bool> {
                let row: Option<(String,)> = sqlx::query_as(sql::DEVICE_TOKEN_VALID)
                    .bind(token_hash)
                    .bind(identifier)
                    .bind(ts(now))
                    .fetch_optional(&self.pool)
                    .await?;
                Ok(row.is_some())
            }

            async fn take_rate_token(
                &self,
                key: &str,
                now_ms: i64,
                interval_ms: i64,
                window_ms: i64,
            ) -> StoreResult<Result<(), i64>> {
                let taken: Option<(i64,)> = sqlx::query_as(sql::TAKE_RATE_TOKEN)
                    .bind(key)
                    .bind(now_ms)
                    .bind(interval_ms)
                    .bind(window_ms)
                    .fetch_optional(&self.pool)
                    .await?;
                if taken.is_some() {
                    return Ok(Ok(()));
                }
                // Refused; should the row have been swept since, one interval is a fair wait.
                let tat: Option<(i64,)> = sqlx::query_as(sql::RATE_TAT)
                    .bind(key)
                    .fetch_optional(&self.pool)
                    .await?;
                let tat = tat.map_or(now_ms + window_ms, |(tat,)| tat);
                Ok(Err((tat + interval_ms - now_ms - window_ms).max(1)))
            }

            async fn refund_rate_token(&self, key: &str, interval_ms: i64) -> StoreResult<()> {
                sqlx::query(sql::REFUND_RATE_TOKEN)
                    .bind(key)
                    .bind(interval_ms)
                    .execute(&self.pool)
                    .await?;
                Ok(())
            }

            async fn push_password_history(
                &self,
                user_id: &str,
                hash: &str,
                at: OffsetDateTime,
                keep: u32,
            ) -> StoreResult<()> {
                let mut tx = self.pool.begin().await?;
                sqlx::query(sql::PUSH_PASSWORD_HISTORY)
                    .bind(user_id)
                    .bind(hash)
                    .bind(ts(at))
                    .execute(&mut *tx)
                    .await?;
                sqlx::query(sql::TRIM_PASSWORD_HISTORY)
                    .bind(user_id)
                    .bind(i64::from(keep))
                    .execute(&mut *tx)
                    .await?;
                tx.commit().await?;
                Ok(())
            }

            async fn password_history(&self, user_id: &str) -> StoreResult<Vec<String>> {
                let rows: Vec<(String,)> = sqlx::query_as(sql::PASSWORD_HISTORY)
                    .bind(user_id)
                    .fetch_all(&self.pool)
                    .await?;
                Ok(rows.into_iter().map(|(h,)| h).collect())
            }

            async fn setting(&self, key: &str) -> StoreResult<Option<String>> {
                let row: Option<(String,)> = sqlx::query_as(sql::SETTING)
                    .bind(key)
                    .fetch_optional(&self.pool)
                    .await?;
                Ok(row.map(|(v,)| v))
            }

            async fn set_setting(&self, key: &str, value: &str) -> StoreResult<()> {
                sqlx::query(sql::SET_SETTING)
                    .bind(key)
                    .bind(value)
                    .execute(&self.pool)
                    .await?;
                Ok(())
            }

            async fn insert_audit(&self, e: &AuditEvent) -> StoreResult<()> {
                sqlx::query(sql::INSERT_AUDIT)
                    .bind(&e.id)
                    .bind(ts(e.at))
                    .bind(&e.kind)
                    .bind(&e.outcome)
                    .bind(&e.user_id)
                    .bind(&e.identifier)
                    .bind(&e.application_id)
                    .bind(&e.source)
                    .execute(&self.pool)
                    .await?;
                Ok(())
            }

            async fn audit_events(
                &self,
                user_id: Option<&str>,
                since: Option<OffsetDateTime>,
                limit: u32,
            ) -> StoreResult<Vec<AuditEvent>> {
                let found: Vec<AuditRow> = sqlx::query_as(sql::AUDIT_EVENTS)
                    .bind(user_id)
                    .bind(since.map_or(i64::MIN, ts))
                    .bind(i64::from(limit))
                    .fetch_all(&self.pool)
                    .await?;
                rows::all(found)
            }

            async fn insert_outbox(&self, m: &OutboxMessage) -> StoreResult<()> {
                sqlx::query(sql::INSERT_OUTBOX)
                    .bind(&m.id)
                    .bind(ts(m.at))
                    .bind(&m.channel)
                    .bind(&m.recipient)
                    .bind(&m.subject)
                    .bind(&m.body)
                    .execute(&self.pool)
                    .await?;
                Ok(())
            }

            async fn outbox(&self, limit: u32) -> StoreResult<Vec<OutboxMessage>> {
                let found: Vec<OutboxRow> = sqlx::query_as(sql::OUTBOX)
                    .bind(i64::from(limit))
                    .fetch_all(&self.pool)
                    .await?;
                rows::all(found)
            }

            async fn insert_one_time_token(
                &self,
                token_hash: &str,
                purpose: &str,
                user_id: &str,
                expires_at: OffsetDateTime,
            ) -> StoreResult<()> {
                sqlx::query(sql::INSERT_ONE_TIME_TOKEN)
                    .bind(token_hash)
                    .bind(purpose)
                    .bind(user_id)
                    .bind(ts(expires_at))
                    .execute(&self.pool)
                    .await?;
                Ok(())
            }

            async fn peek_one_time_token(
                &self,
                token_hash: &str,
                purpose: &str,
                now: OffsetDateTime,
            ) -> StoreResult<Option<String>> {
                one_time_token_user(
                    &self.pool,
                    sql::PEEK_ONE_TIME_TOKEN,
                    token_hash,
                    purpose,
                    now,
                )
                .await
            }

            async fn use_one_time_token(
                &self,
                token_hash: &str,
                purpose: &str,
                now: OffsetDateTime,
            ) -> StoreResult<Option<String>> {
                one_time_token_user(
                    &self.pool,
                    sql::USE_ONE_TIME_TOKEN,
                    token_hash,
                    purpose,
                    now,
                )
                .await
            }

            async fn list_organizations(&self) -> StoreResult<Vec<Organization>> {
                let found: Vec<OrganizationRow> = sqlx::query_as(sql::LIST_ORGANIZATIONS)
                    .fetch_all(&self.pool)
                    .await?;
                rows::all(found)
            }

            async fn save_organization(&self, org: &Organization) -> StoreResult<()> {
                sqlx::query(sql::UPSERT_ORGANIZATION)
                    .bind(&org.id)
                    .bind(&org.name)
                    .bind(org.kind.as_str())
                    .bind(org.status.as_str())
                    .bind(org.consumer_access)
                    .bind(org.idp_required)
                    .execute(&self.pool)
                    .await?;
                Ok(())
            }

            async fn delete_organization(&self, id: &str) -> StoreResult<bool> {
                let done = sqlx::query(sql::DELETE_ORGANIZATION)
                    .bind(id)
                    .execute(&self.pool)
                    .await?;
                Ok(done.rows_affected() > 0)
            }

            async fn save_membership(&self, user_id: &str, m: &Membership) -> StoreResult<()> {
                sqlx::query(sql::UPSERT_MEMBERSHIP)
                    .bind(user_id)
                    .bind(&m.organization_id)
                    .bind(m.role.as_str())
                    .bind(m.status.as_str())
                    .execute(&self.pool)
                    .await?;
                Ok(())
            }

            async fn delete_membership(
                &self,
                user_id: &str,
                organization_id: &str,
            ) -> StoreResult<bool> {
                let done = sqlx::query(sql::DELETE_MEMBERSHIP)
                    .bind(user_id)
                    .bind(organization_id)
                    .execute(&self.pool)
                    .await?;
                Ok(done.rows_affected() > 0)
            }

            async fn session_by_id(&self, id: &str) -> StoreResult<Option<Session>> {
                let row: Option<SessionRow> = sqlx::query_as(sql::SESSION_BY_ID)
                    .bind(id)
                    .fetch_optional(&self.pool)
                    .await?;
                rows::one(row)
            }

            async fn set_session_organization(
                &self,
                id: &str,
                organization_id: &str,
            ) -> StoreResult<()> {
                sqlx::query(sql::SET_SESSION_ORGANIZATION)
                    .bind(id)
                    .bind(organization_id)
                    .execute(&self.pool)
                    .await?;
                Ok(())
            }

            async fn insert_signing_key(&self, key: &StoredSigningKey) -> StoreResult<()> {
                sqlx::query(sql::INSERT_SIGNING_KEY)
                    .bind(&key.kid)
                    .bind(&key.public_key)
                    .bind(&key.private_key)
                    .bind(ts(key.created_at))
                    .bind(key.retired_at.map(ts))
                    .execute(&self.pool)
                    .await?;
                Ok(())
            }

            async fn signing_keys(&self) -> StoreResult<Vec<StoredSigningKey>> {
                let found: Vec<KeyRow> = sqlx::query_as(sql::SIGNING_KEYS)
                    .fetch_all(&self.pool)
                    .await?;
                rows::all(found)
            }

            async fn retire_signing_keys(
                &self,
                current: &str,
                at: OffsetDateTime,
            ) -> StoreResult<()> {
                sqlx::query(sql::RETIRE_SIGNING_KEYS)
                    .bind(current)
                    .bind(ts(at))
                    .execute(&self.pool)
                    .await?;
                Ok(())
            }

            async fn sweep(&self, before: OffsetDateTime, now_ms: i64) -> StoreResult<u64> {
                let mut removed = 0;
                for statement in sql::SWEEP_SECONDS {
                    removed += sqlx::query(statement)
                        .bind(ts(before))
                        .execute(&self.pool)
                        .await?
                        .rows_affected();
                }
                removed += sqlx::query(sql::SWEEP_RATE_LIMITS)
                    .bind(now_ms)
                    .execute(&self.pool)
                    .await?
                    .rows_affected();
                Ok(removed)
            }

            async fn sweep_history(
                &self,
                audit_before: OffsetDateTime,
                outbox_before: OffsetDateTime,
            ) -> StoreResult<u64> {
                let audit = sqlx::query(sql::SWEEP_AUDIT)
                    .bind(ts(audit_before))
                    .execute(&self.pool)
                    .await?
                    .rows_affected();
                let outbox = sqlx::query(sql::SWEEP_OUTBOX)
                    .bind(ts(outbox_before))
                    .execute(&self.pool)
                    .await?
                    .rows_affected();
                Ok(audit + outbox)
            }

            async fn insert_admin_token(
                &self,
                token_hash: &str,
                name: &str,
                at: OffsetDateTime,
            ) -> StoreResult<()> {
                sqlx::query(sql::INSERT_ADMIN_TOKEN)
                    .bind(token_hash)
                    .bind(name)
                    .bind(ts(at))
                    .execute(&self.pool)
                    .await?;
                Ok(())
            }

            async fn admin_token_exists(&self, token_hash: &str) -> StoreResult<bool> {
                let row: Option<(String,)> = sqlx::query_as(sql::ADMIN_TOKEN_EXISTS)
                    .bind(token_hash)
                    .fetch_optional(&self.pool)
                    .await?;
                Ok(row.is_some())
            }
        }
    };
}

pub(super) use impl_sql_store;
