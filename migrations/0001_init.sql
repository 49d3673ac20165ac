-- Doorward schema. Times are Unix seconds; durations are seconds; enums are lowercase text.
CREATE TABLE organizations (
    id              TEXT PRIMARY KEY,
    name            TEXT NOT NULL,
    kind            TEXT NOT NULL,
    status          TEXT NOT NULL,
    consumer_access BOOLEAN NOT NULL,
    idp_required    BOOLEAN NOT NULL
);

CREATE TABLE applications (
    id                    TEXT PRIMARY KEY,
    name                  TEXT NOT NULL,
    hostnames             TEXT NOT NULL,
    organization_id       TEXT REFERENCES organizations (id),
    mfa                   TEXT NOT NULL,
    session_idle_secs     BIGINT,
    session_absolute_secs BIGINT
);

CREATE TABLE application_api_keys (
    key_hash       TEXT PRIMARY KEY,
    application_id TEXT NOT NULL REFERENCES applications (id) ON DELETE CASCADE
);

CREATE TABLE users (
    id                    TEXT PRIMARY KEY,
    email                 TEXT NOT NULL UNIQUE,
    username              TEXT,
    name                  TEXT NOT NULL,
    status                TEXT NOT NULL,
    password_hash         TEXT,
    password_state        TEXT NOT NULL,
    password_expires_at   BIGINT,
    external_idp          TEXT,
    tooling_password_hash TEXT,
    realm                 TEXT NOT NULL,
    phone                 TEXT,
    mfa                   BOOLEAN NOT NULL,
    created_at            BIGINT NOT NULL
);
CREATE UNIQUE INDEX users_username ON users (lower(username));

CREATE TABLE memberships (
    user_id         TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    organization_id TEXT NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    role            TEXT NOT NULL,
    status          TEXT NOT NULL,
    PRIMARY KEY (user_id, organization_id)
);

CREATE TABLE factors (
    id         TEXT PRIMARY KEY,
    user_id    TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    kind       TEXT NOT NULL,
    phone      TEXT,
    email      TEXT,
    secret     TEXT,
    status     TEXT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE INDEX factors_user ON factors (user_id);

CREATE TABLE sessions (
    id              TEXT PRIMARY KEY,
    token_hash      TEXT NOT NULL UNIQUE,
    user_id         TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    kind            TEXT NOT NULL,
    assurance       TEXT NOT NULL,
    application_id  TEXT NOT NULL,
    organization_id TEXT,
    created_at      BIGINT NOT NULL,
    last_seen_at    BIGINT NOT NULL,
    idle_secs       BIGINT NOT NULL,
    expires_at      BIGINT NOT NULL,
    revoked_at      BIGINT
);
CREATE INDEX sessions_user ON sessions (user_id);

CREATE TABLE admin_tokens (
    token_hash TEXT PRIMARY KEY,
    name       TEXT NOT NULL,
    created_at BIGINT NOT NULL
);
