-- Security events, queryable by administrators. Never holds a secret.
CREATE TABLE audit_events (
    id             TEXT PRIMARY KEY,
    at             BIGINT NOT NULL,
    kind           TEXT NOT NULL,
    outcome        TEXT NOT NULL,
    user_id        TEXT,
    identifier     TEXT,
    application_id TEXT,
    source         TEXT
);
CREATE INDEX audit_events_at ON audit_events (at);
CREATE INDEX audit_events_user ON audit_events (user_id, at);

-- Messages kept instead of being sent (sandbox, or no delivery channel configured yet).
CREATE TABLE outbox (
    id        TEXT PRIMARY KEY,
    at        BIGINT NOT NULL,
    channel   TEXT NOT NULL,
    recipient TEXT NOT NULL,
    subject   TEXT NOT NULL,
    body      TEXT NOT NULL
);
CREATE INDEX outbox_at ON outbox (at);

-- Single-use tokens for activation and password reset (SHA-256 of the token).
CREATE TABLE one_time_tokens (
    token_hash TEXT PRIMARY KEY,
    purpose    TEXT NOT NULL,
    user_id    TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    expires_at BIGINT NOT NULL,
    used_at    BIGINT
);
