//! The rules a loaded configuration must keep; each broken rule names its key.

use super::{Config, ConfigError};

impl Config {
    /// Checks the rules that serde cannot.
    pub(super) fn check(&self) -> Result<(), ConfigError> {
        let bad = |key: &str, message: &str| ConfigError::Rule {
            key: key.to_owned(),
            message: message.to_owned(),
        };
        if self.session.idle.is_zero() {
            return Err(bad("session.idle", "must be longer than zero"));
        }
        if self.session.absolute < self.session.idle {
            return Err(bad(
                "session.absolute",
                "must not be shorter than session.idle",
            ));
        }
        if self.hashing.memory_kib < 8 * self.hashing.parallelism.max(1) {
            return Err(bad(
                "hashing.memory_kib",
                "must be at least 8 × parallelism",
            ));
        }
        if self.hashing.iterations == 0 || self.hashing.parallelism == 0 {
            return Err(bad(
                "hashing",
                "iterations and parallelism must be at least 1",
            ));
        }
        if self.hashing.queue == 0 {
            return Err(bad("hashing.queue", "must be at least 1"));
        }
        if self.http.header_timeout.is_zero() || self.http.idle_timeout.is_zero() {
            return Err(bad(
                "http",
                "header_timeout and idle_timeout must be longer than zero",
            ));
        }
        if !(1..=1_000_000).contains(&self.http.max_connections) {
            return Err(bad("http.max_connections", "must be from 1 to 1000000"));
        }
        if self.lockout.max_failures == 0 {
            return Err(bad("lockout.max_failures", "must be at least 1"));
        }
        // A short prefix would make a large part of the internet one known source.
        if !(16..=32).contains(&self.lockout.known_source_prefix_v4) {
            return Err(bad(
                "lockout.known_source_prefix_v4",
                "must be from 16 to 32",
            ));
        }
        if !(32..=128).contains(&self.lockout.known_source_prefix_v6) {
            return Err(bad(
                "lockout.known_source_prefix_v6",
                "must be from 32 to 128",
            ));
        }
        for (key, rate) in [
            (
                "rate_limits.login_per_address",
                self.rate_limits.login_per_address,
            ),
            (
                "rate_limits.login_per_identifier",
                self.rate_limits.login_per_identifier,
            ),
            (
                "rate_limits.send_per_identifier",
                self.rate_limits.send_per_identifier,
            ),
            (
                "rate_limits.challenge_per_user",
                self.rate_limits.challenge_per_user,
            ),
        ] {
            if rate.burst == 0 || rate.per.is_zero() {
                return Err(bad(key, "burst and per must be more than zero"));
            }
        }
        if let Some(directory) = &self.directory {
            let by_template = directory.bind_dn.is_some();
            let by_search = directory.search_base.is_some() && directory.search_filter.is_some();
            if by_template == by_search {
                return Err(bad(
                    "directory",
                    "set either bind_dn, or search_base and search_filter",
                ));
            }
            if directory.search_bind_dn.is_some() && directory.search_bind_password.is_none() {
                return Err(bad(
                    "directory.search_bind_password",
                    "is required with search_bind_dn (an empty password would bind anonymously)",
                ));
            }
            if !(directory.url.starts_with("ldap://") || directory.url.starts_with("ldaps://")) {
                return Err(bad("directory.url", "must be an ldap:// or ldaps:// URL"));
            }
        }
        for (key, face) in [
            ("faces.weavr.base", &self.faces.weavr),
            ("faces.axonize.base", &self.faces.axonize),
            ("faces.amplify.base", &self.faces.amplify),
            ("faces.ece.base", &self.faces.ece),
        ] {
            let base = &face.base;
            let valid_base = base.starts_with('/')
                && base.len() > 1
                && !base.ends_with('/')
                && !base.starts_with("/v1")
                && !base.contains(['?', '#', '{', '}', '*']);
            if !valid_base {
                return Err(bad(
                    key,
                    "must start with /, not end with /, and not be under /v1",
                ));
            }
            let valid_host = |h: &String| {
                !h.is_empty()
                    && h.bytes()
                        .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'.')
            };
            if !face.hosts.iter().all(valid_host) {
                return Err(bad(
                    &key.replace(".base", ".hosts"),
                    "must be host names (letters, digits, - and .; no port)",
                ));
            }
        }
        for (key, face) in [
            ("faces.axonize.version", &self.faces.axonize),
            ("faces.amplify.version", &self.faces.amplify),
            ("faces.ece.version", &self.faces.ece),
        ] {
            if face.version != super::ApiVersion::Seed {
                return Err(bad(
                    key,
                    "must be seed: only faces.weavr.version has another",
                ));
            }
        }
        let faces = [
            &self.faces.weavr,
            &self.faces.axonize,
            &self.faces.amplify,
            &self.faces.ece,
        ];
        let mut hosts: Vec<String> = faces
            .iter()
            .flat_map(|f| f.hosts.iter().map(|h| h.to_ascii_lowercase()))
            .collect();
        let listed = hosts.len();
        hosts.sort();
        hosts.dedup();
        if hosts.len() != listed {
            return Err(bad(
                "faces.*.hosts",
                "must not name one host for two faces (or twice)",
            ));
        }
        if self.password.require_classes > 4 {
            return Err(bad("password.require_classes", "must be 0 to 4"));
        }
        if self.password.min_length == 0 || self.password.max_length < self.password.min_length {
            return Err(bad(
                "password.max_length",
                "must be at least password.min_length (≥ 1)",
            ));
        }
        Ok(())
    }
}
