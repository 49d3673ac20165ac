//! Compact JWS for access tokens, EdDSA (Ed25519) only, signed and verified by `jsonwebtoken`.
//! Verification accepts nothing else: `alg` must be `EdDSA` and `typ` ours, the `kid` must name
//! a key this server holds, and header-supplied keys (`jwk`, `jku`, `x5u`, …) are never looked
//! at, so a token can never make the server fetch. Time claims are the caller's to check.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use ed25519_dalek::pkcs8::EncodePrivateKey;
use ed25519_dalek::{SigningKey, VerifyingKey};
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Validation};
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

/// Why a token could not be signed.
#[derive(Debug, Error)]
pub enum SignError {
    /// The key could not be written as PKCS#8.
    #[error("cannot encode the signing key")]
    Key,
    /// The claims could not be written as JSON.
    #[error("cannot sign the token: {0}")]
    Sign(#[source] jsonwebtoken::errors::Error),
}

/// Signs `claims` with `key`, naming it `kid`.
pub fn sign<C: Serialize>(claims: &C, kid: &str, key: &SigningKey) -> Result<String, SignError> {
    let der = key.to_pkcs8_der().map_err(|_| SignError::Key)?;
    let mut header = jsonwebtoken::Header::new(Algorithm::EdDSA);
    header.typ = Some(TYP.to_owned());
    header.kid = Some(kid.to_owned());
    jsonwebtoken::encode(&header, claims, &EncodingKey::from_ed_der(der.as_bytes()))
        .map_err(SignError::Sign)
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
    let (Some(header), Some(_payload), Some(_signature), None) =
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
    let mut validation = Validation::new(Algorithm::EdDSA);
    validation.validate_exp = false;
    validation.validate_nbf = false;
    validation.validate_aud = false;
    validation.required_spec_claims.clear();
    let key = DecodingKey::from_ed_der(key.as_bytes());
    match jsonwebtoken::decode::<C>(token, &key, &validation) {
        Ok(data) => Ok(data.claims),
        Err(e) if *e.kind() == jsonwebtoken::errors::ErrorKind::InvalidSignature => {
            Err(JwtError::Signature)
        }
        Err(_) => Err(JwtError::Malformed),
    }
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
