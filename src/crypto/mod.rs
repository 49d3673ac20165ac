//! Cryptographic building blocks: password hashing on a bounded worker pool, opaque tokens.

pub mod hasher;
mod phc;
pub mod token;

pub use hasher::{HashError, Hasher, Verification};
pub use phc::{HashScheme, check_importable_hash};
