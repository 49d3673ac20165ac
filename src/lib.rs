//! Doorward: a self-hosted authentication server. One engine decides; each face translates.
//!
//! - [`engine`] owns every rule (login order, sessions, passwords, import);
//! - [`api`] is the native JSON face; [`dialect`] holds the four platform faces;
//! - [`store`] keeps records in SQLite or PostgreSQL;
//! - [`crypto`] hashes passwords on a bounded pool and makes tokens;
//! - [`clock`] is the one source of time;
//! - [`server`] wires it together and [`connections`] bounds every connection.

pub mod api;
pub mod cli;
pub mod clock;
pub mod config;
pub mod connections;
pub mod crypto;
pub mod dialect;
pub mod directory;
pub mod domain;
pub mod engine;
pub mod notify;
pub mod server;
pub mod store;
