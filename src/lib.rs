//! Doorward: a self-hosted authentication server. One engine decides; each face translates.
//!
//! - [`engine`] owns every rule (login order, sessions, passwords, import);
//! - [`faces`] translate: the native JSON face and the four platform faces, siblings that
//!   share only the [`http`] kit;
//! - [`store`] keeps records in SQLite or PostgreSQL;
//! - [`crypto`] hashes passwords on a bounded pool and makes tokens;
//! - [`clock`] is the one source of time; [`metrics`] counts for Prometheus;
//! - [`server`] wires it together and [`connections`] bounds every connection.

pub mod cli;
pub mod clock;
pub mod config;
pub mod connections;
pub mod crypto;
pub mod directory;
pub mod domain;
pub mod engine;
pub mod faces;
pub mod http;
pub mod logging;
pub mod metrics;
pub mod notify;
pub mod observe;
pub mod server;
pub mod store;
