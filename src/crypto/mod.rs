//! Cryptographic building blocks: password hashing on a bounded worker pool, opaque tokens.

pub mod hasher;
pub mod jwt;
pub mod keys;
pub mod otp;
mod phc;
pub mod token;

pub use hasher::{HashError, Hasher, HashingConfig, Verification};
pub use phc::{HashScheme, check_importable_hash};
