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
        "id, name, hostnames, organization_id, mfa, session_idle_secs, session_absolute_secs, \
         cors_origins, cors_methods, cors_headers"
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
pub(super) const UPDATE_USER_PROFILE: &str =
    "UPDATE users SET name = $2, username = $3, phone = $4, mfa = $5 WHERE id = $1";
pub(super) const DELETE_USER: &str = "DELETE FROM users WHERE id = $1";
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
pub(super) const DELETE_FACTOR_OF_USER: &str = "DELETE FROM factors WHERE user_id = $1 AND id = $2";
pub(super) const UPSERT_FACTOR: &str = "INSERT INTO factors (id, user_id, kind, phone, email, \
     secret, status, created_at, name) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) \
     ON CONFLICT (id) DO UPDATE SET phone = excluded.phone, email = excluded.email, \
     status = excluded.status, name = excluded.name";
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
pub(super) const APPLICATIONS_WITH_CORS_ORIGINS: &str = concat!(
    "SELECT ",
    application_columns!(),
    " FROM applications WHERE cors_origins <> '[]' ORDER BY id"
);
pub(super) const APPLICATION_BY_API_KEY: &str = "SELECT a.id, a.name, a.hostnames, a.organization_id, \
     a.mfa, a.session_idle_secs, a.session_absolute_secs, a.cors_origins, a.cors_methods, \
     a.cors_headers FROM applications a \
     JOIN application_api_keys k ON k.application_id = a.id WHERE k.key_hash = $1";
pub(super) const API_KEY_HASHES_OF: &str =
    "SELECT key_hash FROM application_api_keys WHERE application_id = $1 ORDER BY key_hash";
pub(super) const UPSERT_APPLICATION: &str = concat!(
    "INSERT INTO applications (",
    application_columns!(),
    ") VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) ON CONFLICT (id) DO UPDATE SET name = excluded.name, \
     hostnames = excluded.hostnames, organization_id = excluded.organization_id, mfa = excluded.mfa, \
     session_idle_secs = excluded.session_idle_secs, \
     session_absolute_secs = excluded.session_absolute_secs, cors_origins = excluded.cors_origins, \
     cors_methods = excluded.cors_methods, cors_headers = excluded.cors_headers"
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

/// Admits one attempt to check its password, creating the bucket on its first attempt, and
/// takes a token of the bucket's rate limit (GCRA, as `TAKE_RATE_TOKEN`): only while the bucket
/// is unlocked (or its lock has run out, which starts counting afresh), its confirmed failures
/// plus the attempts in flight stay below the maximum, and the rate limit has a token. A lapsed
/// lease means the attempts it counted are gone (a crashed instance), so they no longer count.
/// One statement, so the checks and the counts are atomic on both stores. `$3` now (s), `$4`
/// max failures (at least one, so a new bucket always admits), `$5` the new lease (s); `$6` now,
/// `$7` the rate's interval and `$8` its window (ms; the window is at least one interval).
pub(super) const ADMIT_ATTEMPT: &str = "INSERT INTO lockouts \
     (identifier, device, failures, locked_until, in_flight, lease_until, rate_tat) \
     VALUES ($1, $2, 0, NULL, 1, $5, $6 + $7) ON CONFLICT (identifier, device) DO UPDATE SET \
     failures = CASE WHEN lockouts.locked_until IS NOT NULL THEN 0 ELSE lockouts.failures END, \
     locked_until = NULL, \
     in_flight = (CASE WHEN lockouts.lease_until <= $3 THEN 0 ELSE lockouts.in_flight END) + 1, \
     lease_until = $5, \
     rate_tat = (CASE WHEN lockouts.rate_tat > $6 THEN lockouts.rate_tat ELSE $6 END) + $7 \
     WHERE (lockouts.locked_until IS NULL OR lockouts.locked_until <= $3) \
     AND (CASE WHEN lockouts.locked_until IS NOT NULL THEN 0 ELSE lockouts.failures END) \
       + (CASE WHEN lockouts.lease_until <= $3 THEN 0 ELSE lockouts.in_flight END) < $4 \
     AND (CASE WHEN lockouts.rate_tat > $6 THEN lockouts.rate_tat ELSE $6 END) + $7 - $6 <= $8 \
     RETURNING failures";
/// Why an attempt was refused: the lock, and the rate bucket's theoretical arrival time.
pub(super) const LOCKOUT_STATE: &str =
    "SELECT locked_until, rate_tat FROM lockouts WHERE identifier = $1 AND device = $2";
pub(super) const RECORD_FAILURE: &str = "UPDATE lockouts SET \
     in_flight = CASE WHEN in_flight > 0 THEN in_flight - 1 ELSE 0 END, \
     failures = failures + 1, \
     locked_until = CASE WHEN locked_until IS NULL AND failures + 1 >= $3 THEN $4 ELSE locked_until END \
     WHERE identifier = $1 AND device = $2 RETURNING failures";
/// A right password: the failures are forgotten (unless a lock is set, which only wrong
/// passwords can have set), the attempt leaves the flight, and its rate token (`$3` ms) is
/// given back. The row stays, so no parallel attempt ever finds it missing.
pub(super) const RECORD_SUCCESS: &str = "UPDATE lockouts SET \
     in_flight = CASE WHEN in_flight > 0 THEN in_flight - 1 ELSE 0 END, \
     failures = CASE WHEN locked_until IS NULL THEN 0 ELSE failures END, \
     rate_tat = rate_tat - $3 \
     WHERE identifier = $1 AND device = $2";
/// An attempt whose password was never checked leaves the flight without counting, and gives
/// back `$3` ms of its rate token (all of it, or none for a cancelled request).
pub(super) const RELEASE_ATTEMPT: &str = "UPDATE lockouts SET \
     in_flight = CASE WHEN in_flight > 0 THEN in_flight - 1 ELSE 0 END, \
     rate_tat = rate_tat - $3 \
     WHERE identifier = $1 AND device = $2";
pub(super) const COUNT_LOCKED: &str = "SELECT COUNT(*) FROM lockouts WHERE identifier = $1 AND locked_until IS NOT NULL AND locked_until > $2";
pub(super) const UNLOCK_IDENTIFIER: &str = "DELETE FROM lockouts WHERE identifier = $1";
pub(super) const INSERT_DEVICE_TOKEN: &str = "INSERT INTO device_tokens (token_hash, identifier, created_at, expires_at) VALUES ($1, $2, $3, $4)";
pub(super) const REMEMBER_SOURCE: &str = "INSERT INTO known_sources (identifier, network, expires_at) \
     VALUES ($1, $2, $3) ON CONFLICT (identifier, network) DO UPDATE SET expires_at = excluded.expires_at";
pub(super) const KNOWN_SOURCE_UNTIL: &str = "SELECT expires_at FROM known_sources \
     WHERE identifier = $1 AND network = $2 AND expires_at > $3";
pub(super) const DEVICE_TOKEN_VALID: &str = "SELECT token_hash FROM device_tokens WHERE token_hash = $1 AND identifier = $2 AND expires_at > $3";
/// GCRA: the new theoretical arrival time is max(tat, now) + interval; refused when that is
/// further ahead of now than the burst window.
pub(super) const TAKE_RATE_TOKEN: &str = "INSERT INTO rate_limits (key, tat) VALUES ($1, $2 + $3) \
     ON CONFLICT (key) DO UPDATE SET tat = (CASE WHEN rate_limits.tat > $2 THEN rate_limits.tat ELSE $2 END) + $3 \
     WHERE (CASE WHEN rate_limits.tat > $2 THEN rate_limits.tat ELSE $2 END) + $3 - $2 <= $4 \
     RETURNING tat";
pub(super) const RATE_TAT: &str = "SELECT tat FROM rate_limits WHERE key = $1";
pub(super) const PUSH_PASSWORD_HISTORY: &str =
    "INSERT INTO password_history (user_id, hash, created_at) VALUES ($1, $2, $3)";
pub(super) const PASSWORD_HISTORY: &str =
    "SELECT hash FROM password_history WHERE user_id = $1 ORDER BY created_at DESC, hash";
pub(super) const TRIM_PASSWORD_HISTORY: &str = "DELETE FROM password_history WHERE user_id = $1 AND hash NOT IN \
     (SELECT hash FROM password_history WHERE user_id = $1 ORDER BY created_at DESC LIMIT $2)";
pub(super) const SETTING: &str = "SELECT value FROM settings WHERE key = $1";
pub(super) const SET_SETTING: &str = "INSERT INTO settings (key, value) VALUES ($1, $2) ON CONFLICT (key) DO UPDATE SET value = excluded.value";

pub(super) const INSERT_AUDIT: &str = "INSERT INTO audit_events (id, at, kind, outcome, actor, user_id, \
     identifier, application_id, source, detail) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)";
/// Newest first, after a cursor `($9, $10)`: the events of a user (by id, or naming her email
/// `$2` or username `$3`), of a kind, outcome or actor, between two times.
pub(super) const AUDIT_EVENTS: &str = "SELECT id, at, kind, outcome, actor, user_id, identifier, \
     application_id, source, detail FROM audit_events \
     WHERE ($1 IS NULL OR user_id = $1 OR identifier = $2 OR identifier = $3) \
     AND ($4 IS NULL OR kind = $4) AND ($5 IS NULL OR outcome = $5) AND ($6 IS NULL OR actor = $6) \
     AND at >= $7 AND at <= $8 AND (at < $9 OR (at = $9 AND id > $10)) \
     ORDER BY at DESC, id LIMIT $11";
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
    "DELETE FROM lockouts WHERE locked_until IS NOT NULL AND locked_until < $1 \
     AND rate_tat < $1 * 1000",
    "DELETE FROM lockouts WHERE failures = 0 AND locked_until IS NULL AND lease_until < $1 \
     AND rate_tat < $1 * 1000",
    "DELETE FROM known_sources WHERE expires_at < $1",
];
pub(super) const SWEEP_AUDIT: &str = "DELETE FROM audit_events WHERE at < $1";
pub(super) const SWEEP_OUTBOX: &str = "DELETE FROM outbox WHERE at < $1";
pub(super) const SWEEP_RATE_LIMITS: &str = "DELETE FROM rate_limits WHERE tat < $1";

pub(super) const INSERT_ADMIN_TOKEN: &str = "INSERT INTO admin_tokens (token_hash, id, name, scope, \
     created_at, expires_at) VALUES ($1, $2, $3, $4, $5, $6)";
pub(super) const ADMIN_TOKEN: &str = "SELECT id, name, scope, created_at, expires_at, last_used_at, \
     revoked_at FROM admin_tokens WHERE token_hash = $1";
pub(super) const ADMIN_TOKENS: &str = "SELECT id, name, scope, created_at, expires_at, last_used_at, \
     revoked_at FROM admin_tokens ORDER BY created_at DESC, id";
pub(super) const REVOKE_ADMIN_TOKEN: &str = "UPDATE admin_tokens SET revoked_at = $2 \
     WHERE (id = $1 OR name = $1) AND revoked_at IS NULL AND expires_at > $2";
pub(super) const TOUCH_ADMIN_TOKEN: &str = "UPDATE admin_tokens SET last_used_at = $2 \
     WHERE id = $1 AND (last_used_at IS NULL OR last_used_at < $3)";
