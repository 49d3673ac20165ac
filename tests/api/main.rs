//! Doorward's integration tests: the real router on a real port, real SQLite and PostgreSQL.
//! Every test that touches a database runs once per backend (see `both_backends!`).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

mod helpers;
mod peers;

mod accounts;
mod admin;
mod admin_tokens;
mod amplify;
mod attack;
mod audit;
mod axonize;
mod cli;
mod clients;
mod contracts;
mod cors;
mod delivery;
mod ece;
mod edges;
mod hashing;
mod http;
mod import;
mod import_http;
mod input;
mod login;
mod logs;
mod maintenance;
mod membership_cache;
mod mfa;
mod observability;
mod openapi;
mod organizations;
mod password;
mod postgres_pool;
mod postgres_tls;
mod protection;
mod recovery;
mod sessions;
mod stepup;
mod sweep;
mod tokens;
mod weavr;
