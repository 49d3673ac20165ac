//! Password hash strings: argon2id (the server's own, computed in a caller-owned memory block),
//! and the imported schemes it verifies and then upgrades: argon2i/argon2d, bcrypt, PBKDF2, scrypt.

use argon2::{Algorithm, Argon2, Block, Params, Version};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD_NO_PAD;
use password_hash::{PasswordHash, PasswordVerifier};
use rand::RngCore;
use rand::rngs::OsRng;
use subtle::ConstantTimeEq;

/// Bytes of salt in hashes this server makes.
const SALT_BYTES: usize = 16;
/// Bytes of output in hashes this server makes.
const OUTPUT_BYTES: usize = 32;

/// The family a stored hash belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HashScheme {
    /// `$argon2id$`, `$argon2i$`, `$argon2d$`.
    Argon2,
    /// `$2a$`, `$2b$`, `$2y$`.
    Bcrypt,
    /// `$pbkdf2-sha256$`, `$pbkdf2-sha512$`.
    Pbkdf2,
    /// `$scrypt$`.
    Scrypt,
}

impl HashScheme {
    /// The scheme of a stored hash string, if it is one this server verifies.
    pub fn of(hash: &str) -> Option<Self> {
        let id = hash.strip_prefix('$')?.split('$').next()?;
        match id {
            "argon2id" | "argon2i" | "argon2d" => Some(Self::Argon2),
            "2a" | "2b" | "2y" => Some(Self::Bcrypt),
            "pbkdf2-sha256" | "pbkdf2-sha512" => Some(Self::Pbkdf2),
            "scrypt" => Some(Self::Scrypt),
            _ => None,
        }
    }
}

/// Checks that an imported hash string is one this server can verify; the error says why not.
pub fn check_importable_hash(hash: &str) -> Result<(), String> {
    let scheme = HashScheme::of(hash).ok_or_else(|| {
        "unsupported hash scheme (argon2id, argon2i, bcrypt, pbkdf2-sha256, pbkdf2-sha512, scrypt)"
            .to_owned()
    })?;
    match scheme {
        HashScheme::Bcrypt => hash
            .parse::<bcrypt::HashParts>()
            .map(drop)
            .map_err(|_| "malformed bcrypt hash".to_owned()),
        HashScheme::Argon2 => {
            let phc = PasswordHash::new(hash).map_err(|e| format!("malformed hash: {e}"))?;
            argon2_setup(&phc)
                .map(drop)
                .ok_or_else(|| "malformed argon2 hash".to_owned())
        }
        HashScheme::Pbkdf2 | HashScheme::Scrypt => PasswordHash::new(hash)
            .map(drop)
            .map_err(|e| format!("malformed hash: {e}")),
    }
}

/// The argon2id parameters this server hashes with.
pub fn server_params(memory_kib: u32, iterations: u32, parallelism: u32) -> Result<Params, String> {
    Params::new(memory_kib, iterations, parallelism, Some(OUTPUT_BYTES)).map_err(|e| e.to_string())
}

/// Hashes `password` with argon2id and `params`, using `memory` as the work area.
pub fn hash_argon2id(
    password: &[u8],
    params: &Params,
    memory: &mut Vec<Block>,
) -> Result<String, argon2::Error> {
    let mut salt = [0u8; SALT_BYTES];
    OsRng.fill_bytes(&mut salt);
    let mut out = [0u8; OUTPUT_BYTES];
    let argon = Argon2::new(Algorithm::Argon2id, Version::V0x13, params.clone());
    argon.hash_password_into_with_memory(password, &salt, &mut out, blocks(memory, params))?;
    Ok(format!(
        "$argon2id$v=19$m={},t={},p={}${}${}",
        params.m_cost(),
        params.t_cost(),
        params.p_cost(),
        STANDARD_NO_PAD.encode(salt),
        STANDARD_NO_PAD.encode(out)
    ))
}

/// Verifies `password` against any supported `hash`. `Err` means the hash itself is unusable.
pub fn verify(password: &[u8], hash: &str, memory: &mut Vec<Block>) -> Result<bool, ()> {
    match HashScheme::of(hash).ok_or(())? {
        HashScheme::Argon2 => verify_argon2(password, hash, memory),
        HashScheme::Bcrypt => bcrypt::verify(password, hash).map_err(drop),
        HashScheme::Pbkdf2 => verify_phc(&pbkdf2::Pbkdf2, password, hash),
        HashScheme::Scrypt => verify_phc(&scrypt::Scrypt, password, hash),
    }
}

/// Whether `hash` should be replaced by a fresh argon2id hash with `params`.
pub fn needs_upgrade(hash: &str, params: &Params) -> bool {
    let Ok(phc) = PasswordHash::new(hash) else {
        return true;
    };
    let Some((algorithm, version, stored, _)) = argon2_setup(&phc) else {
        return true;
    };
    algorithm != Algorithm::Argon2id
        || version != Version::V0x13
        || stored.m_cost() != params.m_cost()
        || stored.t_cost() != params.t_cost()
        || stored.p_cost() != params.p_cost()
}

fn verify_argon2(password: &[u8], hash: &str, memory: &mut Vec<Block>) -> Result<bool, ()> {
    let phc = PasswordHash::new(hash).map_err(drop)?;
    let (algorithm, version, params, expected) = argon2_setup(&phc).ok_or(())?;
    let mut salt_buf = [0u8; 64];
    let salt = phc
        .salt
        .ok_or(())?
        .decode_b64(&mut salt_buf)
        .map_err(drop)?;
    let mut out = vec![0u8; expected.len()];
    let argon = Argon2::new(algorithm, version, params.clone());
    argon
        .hash_password_into_with_memory(password, salt, &mut out, blocks(memory, &params))
        .map_err(drop)?;
    Ok(bool::from(out.ct_eq(expected)))
}

/// Algorithm, version, parameters (with the stored output length) and expected output.
fn argon2_setup<'a>(phc: &'a PasswordHash<'a>) -> Option<(Algorithm, Version, Params, &'a [u8])> {
    let algorithm = Algorithm::try_from(phc.algorithm).ok()?;
    let version = match phc.version {
        Some(v) => Version::try_from(v).ok()?,
        None => Version::V0x10,
    };
    let expected = phc.hash.as_ref()?.as_bytes();
    let stored = Params::try_from(phc).ok()?;
    let params = Params::new(
        stored.m_cost(),
        stored.t_cost(),
        stored.p_cost(),
        Some(expected.len()),
    )
    .ok()?;
    Some((algorithm, version, params, expected))
}

fn verify_phc(scheme: &dyn PasswordVerifier, password: &[u8], hash: &str) -> Result<bool, ()> {
    let phc = PasswordHash::new(hash).map_err(drop)?;
    match scheme.verify_password(password, &phc) {
        Ok(()) => Ok(true),
        Err(password_hash::Error::Password) => Ok(false),
        Err(_) => Err(()),
    }
}

/// The work area for `params`, grown once and then reused: allocating it per call makes the
/// allocator map fresh pages every time, which alone slows a verify down by up to 2.5×.
fn blocks<'a>(memory: &'a mut Vec<Block>, params: &Params) -> &'a mut [Block] {
    let needed = params.block_count();
    if memory.len() < needed {
        memory.resize(needed, Block::default());
    }
    &mut memory[..needed]
}

#[cfg(test)]
mod tests {
    use super::*;
    use password_hash::{PasswordHasher, SaltString};

    fn params() -> Params {
        server_params(1024, 1, 1).unwrap()
    }

    #[test]
    fn own_argon2id_hash_verifies_here_and_with_the_argon2_crate() {
        let mut memory = Vec::new();
        let hash = hash_argon2id(b"correct horse", &params(), &mut memory).unwrap();
        assert!(verify(b"correct horse", &hash, &mut memory).unwrap());
        assert!(!verify(b"wrong horse", &hash, &mut memory).unwrap());
        let phc = PasswordHash::new(&hash).unwrap();
        assert!(
            Argon2::default()
                .verify_password(b"correct horse", &phc)
                .is_ok()
        );
        assert!(!needs_upgrade(&hash, &params()));
        assert!(needs_upgrade(&hash, &server_params(2048, 1, 1).unwrap()));
    }

    #[test]
    fn imported_schemes_verify_and_ask_for_an_upgrade() {
        let mut memory = Vec::new();
        let salt = SaltString::generate(&mut OsRng);
        let bcrypt_hash = bcrypt::hash("pw-1", 4).unwrap();
        let pbkdf = pbkdf2::Pbkdf2
            .hash_password_customized(
                b"pw-1",
                Some(pbkdf2::Algorithm::Pbkdf2Sha256.ident()),
                None,
                pbkdf2::Params {
                    rounds: 1000,
                    output_length: 32,
                },
                &salt,
            )
            .unwrap()
            .to_string();
        let scrypt_hash = scrypt::Scrypt
            .hash_password_customized(
                b"pw-1",
                None,
                None,
                scrypt::Params::new(4, 8, 1, 32).unwrap(),
                &salt,
            )
            .unwrap()
            .to_string();
        let argon2i = Argon2::new(Algorithm::Argon2i, Version::V0x13, params())
            .hash_password(b"pw-1", &salt)
            .unwrap()
            .to_string();
        for hash in [bcrypt_hash, pbkdf, scrypt_hash, argon2i] {
            assert!(verify(b"pw-1", &hash, &mut memory).unwrap(), "{hash}");
            assert!(!verify(b"pw-2", &hash, &mut memory).unwrap(), "{hash}");
            assert!(needs_upgrade(&hash, &params()), "{hash}");
            assert!(check_importable_hash(&hash).is_ok(), "{hash}");
        }
    }

    #[test]
    fn unknown_or_broken_hashes_are_refused_at_import() {
        assert!(check_importable_hash("$md5$abc").is_err());
        assert!(check_importable_hash("plain").is_err());
        assert!(check_importable_hash("$2b$broken").is_err());
        assert!(check_importable_hash("$argon2id$v=19$m=x").is_err());
    }
}
