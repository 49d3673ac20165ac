-- Admin tokens get a public id, a scope, an expiry, a last-used time and a revocation time.
-- Tokens created before this migration keep working with scope `all` until 90 days after
-- their creation.
ALTER TABLE admin_tokens ADD COLUMN id TEXT;
ALTER TABLE admin_tokens ADD COLUMN scope TEXT NOT NULL DEFAULT 'all';
ALTER TABLE admin_tokens ADD COLUMN expires_at BIGINT NOT NULL DEFAULT 0;
ALTER TABLE admin_tokens ADD COLUMN last_used_at BIGINT;
ALTER TABLE admin_tokens ADD COLUMN revoked_at BIGINT;
UPDATE admin_tokens SET id = 'legacy-' || substr(token_hash, 1, 12),
    expires_at = created_at + 7776000;
CREATE UNIQUE INDEX admin_tokens_id ON admin_tokens (id);

-- Every audit event names who acted: user:<id>, admin:<token name>, cli, system, anonymous.
ALTER TABLE audit_events ADD COLUMN actor TEXT NOT NULL DEFAULT 'system';
-- What an event counted or changed, in words (an import's counts); never a secret.
ALTER TABLE audit_events ADD COLUMN detail TEXT;
CREATE INDEX audit_events_kind ON audit_events (kind, at);
