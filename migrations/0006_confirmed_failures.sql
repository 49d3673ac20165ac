-- Only confirmed failures lock (engine/lockout.rs): `failures` counts wrong passwords only;
-- `in_flight` counts attempts whose password is being checked, under a lease that a crashed
-- instance cannot hold for ever.
ALTER TABLE lockouts ADD COLUMN in_flight BIGINT NOT NULL DEFAULT 0;
ALTER TABLE lockouts ADD COLUMN lease_until BIGINT NOT NULL DEFAULT 0;

-- Known sources: a network from which an identifier signed in successfully lately has a
-- lockout bucket of its own.
CREATE TABLE known_sources (
    identifier TEXT NOT NULL,
    network    TEXT NOT NULL,
    expires_at BIGINT NOT NULL,
    PRIMARY KEY (identifier, network)
);
