-- Lockout per submitted identifier; `device` is '' for attempts without a known device token.
CREATE TABLE lockouts (
    identifier   TEXT NOT NULL,
    device       TEXT NOT NULL,
    failures     BIGINT NOT NULL,
    locked_until BIGINT,
    PRIMARY KEY (identifier, device)
);

-- Device tokens handed out after a successful sign-in (SHA-256 of the token).
CREATE TABLE device_tokens (
    token_hash TEXT PRIMARY KEY,
    identifier TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL
);
CREATE INDEX device_tokens_identifier ON device_tokens (identifier);

-- Shared rate limits (GCRA): `tat` is the theoretical arrival time in milliseconds.
CREATE TABLE rate_limits (
    key TEXT PRIMARY KEY,
    tat BIGINT NOT NULL
);

-- Previous password hashes, for the reuse rule.
CREATE TABLE password_history (
    user_id    TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    hash       TEXT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE INDEX password_history_user ON password_history (user_id, created_at);

-- Server-wide switches shared by every instance (maintenance mode).
CREATE TABLE settings (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
