//! One-time codes: random 6-digit codes for SMS and email challenges, two-digit numbers for push
//! number matching, and TOTP (RFC 6238: HMAC-SHA-1, 6 digits, 30-second steps).

use data_encoding::BASE32_NOPAD;
use rand::Rng;
use rand::rngs::OsRng;
use secrecy::{ExposeSecret, SecretString};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

/// Digits of every one-time code.
pub const CODE_DIGITS: u32 = 6;
/// Seconds of a TOTP time step.
pub const TOTP_STEP_SECS: i64 = 30;
/// Bytes of a new TOTP secret (160 bits, as RFC 4226 recommends).
const TOTP_SECRET_BYTES: usize = 20;

/// A new 6-digit code from the operating system's CSPRNG, zero-padded.
pub fn random_code() -> SecretString {
    let n: u32 = OsRng.gen_range(0..10u32.pow(CODE_DIGITS));
    SecretString::from(format!("{n:06}"))
}

/// A new two-digit number (10–99) for push number matching.
pub fn random_number() -> u8 {
    OsRng.gen_range(10..100)
}

/// A new challenge id: 19 random decimal digits (some platforms' clients expect digits).
pub fn random_id() -> String {
    OsRng
        .gen_range(1_000_000_000_000_000_000..=u64::MAX)
        .to_string()
}

/// The stored form of a challenge's code: SHA-256 over the challenge id and the code, so that
/// the same code in two challenges is stored differently.
pub fn code_hash(challenge_id: &str, code: &str) -> String {
    let mut hasher = Sha256::new();
    hasher.update(challenge_id.as_bytes());
    hasher.update(b":");
    hasher.update(code.as_bytes());
    hex::encode(hasher.finalize())
}

/// Whether `code` is the one stored as `stored` for the challenge, in constant time.
pub fn code_matches(challenge_id: &str, code: &str, stored: &str) -> bool {
    let computed = code_hash(challenge_id, code);
    computed.as_bytes().ct_eq(stored.as_bytes()).into()
}

/// A new TOTP secret, base32 without padding (what authenticator apps read).
pub fn new_totp_secret() -> SecretString {
    let bytes: [u8; TOTP_SECRET_BYTES] = OsRng.r#gen();
    SecretString::from(BASE32_NOPAD.encode(&bytes))
}

/// The time step of a Unix time.
pub fn totp_step(unix_secs: i64) -> i64 {
    unix_secs.div_euclid(TOTP_STEP_SECS)
}

/// The shortest TOTP key accepted, in bytes (128 bits, RFC 4226 §4's minimum). A shorter key
/// (an empty one above all: its codes are an HMAC anyone can compute) never checks a code.
pub const TOTP_MIN_KEY_BYTES: usize = 16;

/// The key of a base32 TOTP secret (spaces, `=` and case ignored), if it is one of at least
/// [`TOTP_MIN_KEY_BYTES`].
pub fn totp_key(secret: &str) -> Option<Vec<u8>> {
    let normalised: String = secret
        .chars()
        .filter(|c| !c.is_whitespace() && *c != '=')
        .map(|c| c.to_ascii_uppercase())
        .collect();
    let key = BASE32_NOPAD.decode(normalised.as_bytes()).ok()?;
    (key.len() >= TOTP_MIN_KEY_BYTES).then_some(key)
}

/// The TOTP code of a base32 secret at a time step; `None` if the secret is not base32 of at
/// least [`TOTP_MIN_KEY_BYTES`].
pub fn totp_at(secret: &SecretString, step: i64) -> Option<String> {
    let key = totp_key(secret.expose_secret())?;
    // totp-rs's checked constructor also wants an account name; the length is checked above.
    let totp = totp_rs::TOTP::new_unchecked(
        totp_rs::Algorithm::SHA1,
        usize::try_from(CODE_DIGITS).ok()?,
        1,
        u64::try_from(TOTP_STEP_SECS).ok()?,
        key,
    );
    let at = u64::try_from(step).ok()?.checked_mul(totp.step)?;
    Some(totp.generate(at))
}

/// The step (within ±1 of `now_step`) at which `code` is the TOTP of `secret`, if any.
pub fn totp_match(secret: &SecretString, code: &str, now_step: i64) -> Option<i64> {
    [now_step, now_step - 1, now_step + 1]
        .into_iter()
        .find(|step| {
            totp_at(secret, *step)
                .is_some_and(|expected| bool::from(expected.as_bytes().ct_eq(code.as_bytes())))
        })
}

/// The `otpauth://` URI an authenticator app enrols from.
pub fn otpauth_uri(issuer: &str, account: &str, secret: &SecretString) -> String {
    let issuer = percent_encode(issuer);
    format!(
        "otpauth://totp/{issuer}:{account}?secret={secret}&issuer={issuer}&algorithm=SHA1&digits={CODE_DIGITS}&period={TOTP_STEP_SECS}",
        account = percent_encode(account),
        secret = secret.expose_secret(),
    )
}

/// Everything but RFC 3986 unreserved characters is percent-encoded.
const NOT_UNRESERVED: &percent_encoding::AsciiSet = &percent_encoding::NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

fn percent_encode(text: &str) -> String {
    percent_encoding::utf8_percent_encode(text, NOT_UNRESERVED).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// RFC 6238 Appendix B, SHA-1: the secret "12345678901234567890", last six digits.
    #[test]
    fn totp_matches_the_rfc_6238_test_vectors() {
        let secret = SecretString::from(BASE32_NOPAD.encode(b"12345678901234567890"));
        for (time, expected) in [
            (59, "287082"),
            (1_111_111_109, "081804"),
            (1_111_111_111, "050471"),
            (1_234_567_890, "005924"),
            (2_000_000_000, "279037"),
            (20_000_000_000, "353130"),
        ] {
            assert_eq!(
                totp_at(&secret, totp_step(time)).unwrap(),
                expected,
                "t={time}"
            );
        }
    }

    #[test]
    fn totp_refuses_keys_shorter_than_128_bits() {
        for short in ["", "   ", "JBSWY3DPEHPK3PXP", "not base32!"] {
            let secret = SecretString::from(short.to_owned());
            assert_eq!(totp_at(&secret, 1), None, "{short:?}");
        }
        assert_eq!(totp_key("JBSWY3DPEHPK3PXPJBSWY3DP"), None, "15 bytes");
        assert_eq!(
            totp_key("jbsw y3dp ehpk 3pxp jbsw y3dp ehpk 3pxp").map(|k| k.len()),
            Some(20)
        );
    }

    #[test]
    fn totp_accepts_one_step_either_side_only() {
        let secret = SecretString::from("JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP".to_owned());
        let now = totp_step(1_700_000_000);
        for step in [now - 1, now, now + 1] {
            let code = totp_at(&secret, step).unwrap();
            assert_eq!(totp_match(&secret, &code, now), Some(step));
        }
        for step in [now - 2, now + 2] {
            let code = totp_at(&secret, step).unwrap();
            assert_eq!(totp_match(&secret, &code, now), None, "step {step}");
        }
    }

    #[test]
    fn random_codes_have_six_digits() {
        for _ in 0..100 {
            let code = random_code();
            assert_eq!(code.expose_secret().len(), 6);
            assert!(code.expose_secret().bytes().all(|b| b.is_ascii_digit()));
            assert!((10..100).contains(&random_number()));
            let id = random_id();
            assert!(
                id.len() >= 19 && id.bytes().all(|b| b.is_ascii_digit()),
                "{id}"
            );
        }
    }

    #[test]
    fn code_hashes_depend_on_the_challenge() {
        assert_ne!(code_hash("a", "123456"), code_hash("b", "123456"));
        assert!(code_matches("a", "123456", &code_hash("a", "123456")));
        assert!(!code_matches("a", "123457", &code_hash("a", "123456")));
    }

    #[test]
    fn otpauth_uri_names_issuer_and_account() {
        let secret = SecretString::from("JBSWY3DPEHPK3PXP".to_owned());
        assert_eq!(
            otpauth_uri("Doorward", "ann@example.test", &secret),
            "otpauth://totp/Doorward:ann%40example.test?secret=JBSWY3DPEHPK3PXP&issuer=Doorward&algorithm=SHA1&digits=6&period=30"
        );
    }
}
