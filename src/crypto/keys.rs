//! Storage format of secrets the server must read back (signing keys, TOTP secrets): kept as
//! `plain:<base64>` or, when a key encryption key is configured, `enc:<base64 of nonce ||
//! ciphertext>` sealed with ChaCha20-Poly1305, so a copy of the database alone does not yield
//! them.

use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use chacha20poly1305::aead::{Aead, KeyInit};
use chacha20poly1305::{ChaCha20Poly1305, Key, Nonce};
use ed25519_dalek::SigningKey;
use rand::RngCore;
use rand::rngs::OsRng;

/// Bytes of a ChaCha20-Poly1305 nonce.
const NONCE_BYTES: usize = 12;

/// A key that encrypts signing keys at rest (32 bytes).
#[derive(Clone)]
pub struct KeyEncryptionKey([u8; 32]);

impl KeyEncryptionKey {
    /// From standard base64 of exactly 32 bytes.
    pub fn from_base64(text: &str) -> Option<Self> {
        let bytes = STANDARD.decode(text.trim()).ok()?;
        Some(Self(bytes.try_into().ok()?))
    }
}

impl std::fmt::Debug for KeyEncryptionKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("KeyEncryptionKey(…)")
    }
}

/// The public key as JWKS `x` (base64url of the 32 raw bytes).
pub fn public_x(key: &SigningKey) -> String {
    URL_SAFE_NO_PAD.encode(key.verifying_key().to_bytes())
}

/// Sealing failed: the cipher refused the input (it never should for a key of this size).
#[derive(Debug, thiserror::Error)]
#[error("cannot seal a secret")]
pub struct SealError;

/// The stored form of a private key.
pub fn seal(key: &SigningKey, kek: Option<&KeyEncryptionKey>) -> Result<String, SealError> {
    seal_bytes(&key.to_bytes(), kek)
}

/// The private key from its stored form; `None` if it is sealed and `kek` is missing or wrong.
pub fn open(stored: &str, kek: Option<&KeyEncryptionKey>) -> Option<SigningKey> {
    Some(SigningKey::from_bytes(
        &open_bytes(stored, kek)?.try_into().ok()?,
    ))
}

/// The stored form of a secret: `plain:<base64>`, or `enc:<base64 of nonce || ciphertext>`
/// when a key encryption key is configured.
pub fn seal_bytes(secret: &[u8], kek: Option<&KeyEncryptionKey>) -> Result<String, SealError> {
    match kek {
        None => Ok(format!("plain:{}", STANDARD.encode(secret))),
        Some(kek) => {
            let cipher = ChaCha20Poly1305::new(&Key::from(kek.0));
            let mut nonce = [0u8; NONCE_BYTES];
            OsRng.fill_bytes(&mut nonce);
            let sealed = cipher
                .encrypt(&Nonce::from(nonce), secret)
                .map_err(|_| SealError)?;
            let mut out = nonce.to_vec();
            out.extend_from_slice(&sealed);
            Ok(format!("enc:{}", STANDARD.encode(out)))
        }
    }
}

/// A secret from its stored form; `None` if it is sealed and `kek` is missing or wrong.
pub fn open_bytes(stored: &str, kek: Option<&KeyEncryptionKey>) -> Option<Vec<u8>> {
    if let Some(plain) = stored.strip_prefix("plain:") {
        return STANDARD.decode(plain).ok();
    }
    let sealed = STANDARD.decode(stored.strip_prefix("enc:")?).ok()?;
    let (nonce, ciphertext) = sealed.split_at_checked(NONCE_BYTES)?;
    let cipher = ChaCha20Poly1305::new(&Key::from(kek?.0));
    let nonce: [u8; NONCE_BYTES] = nonce.try_into().ok()?;
    cipher.decrypt(&Nonce::from(nonce), ciphertext).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sealed_keys_open_only_with_their_encryption_key() {
        let key = SigningKey::generate(&mut OsRng);
        let kek = KeyEncryptionKey([7; 32]);
        let sealed = seal(&key, Some(&kek)).unwrap();
        assert!(sealed.starts_with("enc:"));
        assert!(!sealed.contains(&STANDARD.encode(key.to_bytes())));
        assert_eq!(
            open(&sealed, Some(&kek)).unwrap().to_bytes(),
            key.to_bytes()
        );
        assert!(open(&sealed, Some(&KeyEncryptionKey([8; 32]))).is_none());
        assert!(open(&sealed, None).is_none());
        assert_eq!(
            open(&seal(&key, None).unwrap(), None).unwrap().to_bytes(),
            key.to_bytes()
        );
    }
}
