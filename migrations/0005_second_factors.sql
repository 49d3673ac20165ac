-- Second factors and step-up.
-- A factor's label (push devices) and, for TOTP, the last time step accepted (replay guard).
ALTER TABLE factors ADD COLUMN name TEXT;
ALTER TABLE factors ADD COLUMN last_used_step BIGINT;

-- When a second factor was last proven in the session.
ALTER TABLE sessions ADD COLUMN stepped_up_at BIGINT;

-- OTP and push challenges; codes are kept only as SHA-256 over the challenge id and the code.
CREATE TABLE challenges (
    id          TEXT PRIMARY KEY,
    user_id     TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    session_id  TEXT NOT NULL,
    purpose     TEXT NOT NULL,
    factor_id   TEXT REFERENCES factors (id) ON DELETE CASCADE,
    kind        TEXT NOT NULL,
    destination TEXT,
    code_hash   TEXT,
    number      BIGINT,
    status      TEXT NOT NULL,
    attempts    BIGINT NOT NULL,
    sends       BIGINT NOT NULL,
    created_at  BIGINT NOT NULL,
    expires_at  BIGINT NOT NULL
);
CREATE INDEX challenges_session ON challenges (session_id);
CREATE INDEX challenges_factor ON challenges (factor_id);
