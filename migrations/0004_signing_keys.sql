-- Ed25519 keys that sign access tokens. `private_key` is `plain:<base64>` or, when a key
-- encryption key is configured, `enc:<base64 of nonce || ciphertext>` (ChaCha20-Poly1305).
CREATE TABLE signing_keys (
    kid         TEXT PRIMARY KEY,
    public_key  TEXT NOT NULL,
    private_key TEXT NOT NULL,
    created_at  BIGINT NOT NULL,
    retired_at  BIGINT
);
