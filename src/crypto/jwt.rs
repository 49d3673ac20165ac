//! Compact JWS for access tokens, EdDSA (Ed25519) only. Verification accepts nothing else:
//! `alg` must be `EdDSA`, the `kid` must name a key this server holds, and header-supplied keys
//! (`jwk`, `jku`, `x5u`, …) are never looked at, so a token can never make the server fetch.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use ed25519_dalek::{Signature, Signer, SigningKey, Verifier, VerifyingKey};
use serde::Serialize;
use serde::de::DeserializeOwned;
use thiserror::Error;

/// Why a token was refused. Deliberately coarse: callers answer 401 for all of them.
#[derive(Debug, Error, PartialEq, Eq)]
pub enum JwtError {
    /// Not three base64url parts of JSON.
    #[error("malformed token")]
    Malformed,
    /// `alg` is not EdDSA, or `typ` is not ours.
    #[error("algorithm not allowed")]
    Algorithm,
    /// No key with that `kid`.
    #[error("unknown key")]
    UnknownKey,
    /// The signature does not verify.
    #[error("bad signature")]
    Signature,
}

/// The header this server writes and accepts.
const TYP: &str = "at+jwt";

#[derive(Serialize, serde::Deserialize)]
struct Header {
    alg: String,
    typ: Option<String>,
    kid: Option<String>,
}

/// Signs `claims` with `key`, naming it `kid`.
/// Fails only if the claims cannot be written as JSON.
pub fn sign<C: Serialize>(
    claims: &C,
    kid: &str,
    key: &SigningKey,
) -> Result<String, serde_json::Error> {
    let header = Header {
        alg: "EdDSA".to_owned(),
        typ: Some(TYP.to_owned()),
        kid: Some(kid.to_owned()),
    };
    let encode = |value: &[u8]| URL_SAFE_NO_PAD.encode(value);
    let header = encode(&serde_json::to_vec(&header)?);
    let payload = encode(&serde_json::to_vec(claims)?);
    let signing_input = format!("{header}.{payload}");
    let signature = key.sign(signing_input.as_bytes());
    Ok(format!("{signing_input}.{}", encode(&signature.to_bytes())))
}

/// Whether a bearer string has the shape of a JWT (and so is not an opaque session token).
pub fn looks_like_jwt(token: &str) -> bool {
    token.bytes().filter(|b| *b == b'.').count() == 2
}

/// Verifies the signature with the key `find` returns for the token's `kid`, then parses the
/// claims. Time claims are the caller's to check.
pub fn verify<C: DeserializeOwned>(
    token: &str,
    find: impl Fn(&str) -> Option<VerifyingKey>,
) -> Result<C, JwtError> {
    let mut parts = token.split('.');
    let (Some(header), Some(payload), Some(signature), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(JwtError::Malformed);
    };
    let decode = |part: &str| {
        URL_SAFE_NO_PAD
            .decode(part)
            .map_err(|_| JwtError::Malformed)
    };
    let parsed: Header =
        serde_json::from_slice(&decode(header)?).map_err(|_| JwtError::Malformed)?;
    if parsed.alg != "EdDSA" || parsed.typ.as_deref() != Some(TYP) {
        return Err(JwtError::Algorithm);
    }
    let key = parsed
        .kid
        .as_deref()
        .and_then(&find)
        .ok_or(JwtError::UnknownKey)?;
    let signature = Signature::from_slice(&decode(signature)?).map_err(|_| JwtError::Signature)?;
    key.verify(format!("{header}.{payload}").as_bytes(), &signature)
        .map_err(|_| JwtError::Signature)?;
    serde_json::from_slice(&decode(payload)?).map_err(|_| JwtError::Malformed)
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::rngs::OsRng;
    use serde_json::{Value, json};

    #[test]
    fn signed_tokens_verify_and_tampering_is_caught() {
        let key = SigningKey::generate(&mut OsRng);
        let public = key.verifying_key();
        let token = sign(&json!({"sub": "1001"}), "k1", &key).unwrap();
        let claims: Value = verify(&token, |kid| (kid == "k1").then_some(public)).unwrap();
        assert_eq!(claims["sub"], "1001");

        let mut parts: Vec<String> = token.split('.').map(str::to_owned).collect();
        parts[1] = URL_SAFE_NO_PAD.encode(br#"{"sub":"1002"}"#);
        let forged = parts.join(".");
        assert_eq!(
            verify::<Value>(&forged, |_| Some(public)),
            Err(JwtError::Signature)
        );
        assert_eq!(verify::<Value>(&token, |_| None), Err(JwtError::UnknownKey));
    }

    #[test]
    fn alg_none_and_other_algorithms_are_refused() {
        let header = URL_SAFE_NO_PAD.encode(br#"{"alg":"none","typ":"at+jwt","kid":"k1"}"#);
        let payload = URL_SAFE_NO_PAD.encode(br#"{"sub":"1001"}"#);
        let key = SigningKey::generate(&mut OsRng).verifying_key();
        let none = format!("{header}.{payload}.");
        assert_eq!(
            verify::<Value>(&none, |_| Some(key)),
            Err(JwtError::Algorithm)
        );
        let hs = URL_SAFE_NO_PAD.encode(br#"{"alg":"HS256","typ":"at+jwt","kid":"k1"}"#);
        assert_eq!(
            verify::<Value>(&format!("{hs}.{payload}.c2ln"), |_| Some(key)),
            Err(JwtError::Algorithm)
        );
        assert_eq!(
            verify::<Value>("a.b", |_| Some(key)),
            Err(JwtError::Malformed)
        );
    }
}
