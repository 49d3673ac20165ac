//! Where the configuration comes from, and how its errors are worded. figment layers the
//! sources (defaults come from serde's `default`s); this module adds what figment leaves to its
//! user: the file's line for a key, the name of the variable a value came from, and the rule for
//! the environment.
//!
//! The environment rule: a variable is read when its name, after `DOORWARD_`, is a configuration
//! key (`DOORWARD_SESSION__IDLE` is `session.idle`). Other `DOORWARD_` names are not errors: an
//! orchestrator sets some on its own (a Kubernetes Service named `doorward` injects
//! `DOORWARD_PORT=tcp://…`), so they are returned in [`Loaded::ignored_env`] for one warning, and
//! start-up goes on. `DOORWARD_TEST_` variables belong to the test suite and are never read.
//! In a file, an unknown key stays an error: a file is written on purpose.

use super::Config;
use figment::error::Kind;
use figment::providers::{Format, Serialized, Toml};
use figment::value::{Dict, Map};
use figment::{Figment, Metadata, Profile, Provider};
use std::path::Path;
use thiserror::Error;
use toml_edit::{ImDocument, TableLike};

/// Environment variables with this prefix are configuration keys.
const ENV_PREFIX: &str = "DOORWARD_";
/// Variables with this prefix belong to the test suite, not to the server.
const ENV_TEST_PREFIX: &str = "DOORWARD_TEST_";
/// The name figment gives the environment's values.
const ENV_SOURCE: &str = "environment";

/// A loaded configuration, with what was passed over.
#[derive(Debug)]
pub struct Loaded {
    /// The configuration in force.
    pub config: Config,
    /// `DOORWARD_` variables that are not configuration keys, by name (never by value).
    pub ignored_env: Vec<String>,
}

/// Why the configuration could not be loaded. Each message says once where the problem is and
/// what it is.
#[derive(Debug, Error)]
pub enum ConfigError {
    /// The file could not be read.
    #[error("cannot read configuration file {path}: {source}")]
    Read {
        /// The file.
        path: String,
        /// The I/O error.
        source: std::io::Error,
    },
    /// The file is not valid TOML.
    #[error("{path}, line {line}: not valid TOML: {message}")]
    Syntax {
        /// The file.
        path: String,
        /// The line the parser stopped at.
        line: usize,
        /// What the parser said.
        message: String,
    },
    /// A key is unknown or its value is invalid.
    #[error("{origin}: `{key}`: {message}")]
    Key {
        /// Where the value came from: the file and line, or the environment variable.
        origin: String,
        /// The dotted key (`session.idle`).
        key: String,
        /// What is wrong with it.
        message: String,
    },
    /// The values are valid one by one, but break a rule together (or a range).
    #[error("configuration key `{key}` {message}")]
    Rule {
        /// The dotted key (`session.absolute`).
        key: String,
        /// The rule.
        message: String,
    },
}

impl Config {
    /// Loads defaults, then `file` (if any), then the `DOORWARD_*` variables of `env`.
    pub fn load(
        file: Option<&Path>,
        env: impl IntoIterator<Item = (String, String)>,
    ) -> Result<Loaded, ConfigError> {
        let file = file.map(ConfigFile::read).transpose()?;
        let (variables, ignored_env) = Environment::of(env);
        let mut figment = Figment::new();
        if let Some(file) = &file {
            figment = figment.merge(Toml::string(&file.text));
        }
        let variables_read = variables.keys();
        let mut config: Config = figment
            .merge(variables)
            .extract()
            .map_err(|e| key_error(&e, &variables_read, file.as_ref()))?;
        config.faces.fill_bases();
        config.check()?;
        Ok(Loaded {
            config,
            ignored_env,
        })
    }

    /// Loads the configuration from `file` and the process environment.
    pub fn from_process(file: Option<&Path>) -> Result<Loaded, ConfigError> {
        Self::load(file, std::env::vars())
    }
}

/// A configuration file, parsed once for its syntax and the position of its keys.
struct ConfigFile {
    shown: String,
    text: String,
    document: ImDocument<String>,
}

impl ConfigFile {
    fn read(path: &Path) -> Result<Self, ConfigError> {
        let shown = path.display().to_string();
        let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
            path: shown.clone(),
            source,
        })?;
        let document = ImDocument::parse(text.clone()).map_err(|e| ConfigError::Syntax {
            line: e.span().map_or(1, |span| line_at(&text, span.start)),
            message: e.message().trim().replace('\n', "; "),
            path: shown.clone(),
        })?;
        Ok(Self {
            shown,
            text,
            document,
        })
    }

    /// `path, line n` for a dotted key of the file (just the path when it cannot be found).
    fn origin(&self, key: &[String]) -> String {
        match self.line_of(key) {
            Some(line) => format!("{}, line {line}", self.shown),
            None => self.shown.clone(),
        }
    }

    fn line_of(&self, key: &[String]) -> Option<usize> {
        let (last, parents) = key.split_last()?;
        let mut table: &dyn TableLike = self.document.as_table();
        for part in parents {
            table = table.get(part)?.as_table_like()?;
        }
        let span = table.key(last)?.span()?;
        Some(line_at(&self.text, span.start))
    }
}

fn line_at(text: &str, offset: usize) -> usize {
    text.get(..offset)
        .map_or(1, |before| before.matches('\n').count() + 1)
}

/// The `DOORWARD_` variables that name configuration keys, as one figment provider.
struct Environment {
    /// Dotted key and value of each variable read.
    values: Vec<(String, toml::Value)>,
}

impl Environment {
    /// Splits `env` into the variables that are configuration keys and the names of the other
    /// `DOORWARD_` variables.
    fn of(env: impl IntoIterator<Item = (String, String)>) -> (Self, Vec<String>) {
        let mut values = Vec::new();
        let mut ignored = Vec::new();
        for (name, raw) in env {
            if name.starts_with(ENV_TEST_PREFIX) {
                continue;
            }
            let Some(rest) = name.strip_prefix(ENV_PREFIX) else {
                continue;
            };
            let key = rest.to_ascii_lowercase().replace("__", ".");
            let value = (key, env_value(&raw));
            if is_config_key(&value) {
                values.push(value);
            } else {
                ignored.push(name);
            }
        }
        ignored.sort();
        (Self { values }, ignored)
    }
}

/// Whether a variable names a configuration key: loaded alone, nothing calls its key unknown
/// (a bad value for a real key still counts as a key; the full load reports it).
fn is_config_key(value: &(String, toml::Value)) -> bool {
    let alone = Environment {
        values: vec![value.clone()],
    };
    match Figment::from(alone).extract::<Config>() {
        Ok(_) => true,
        Err(errors) => !errors
            .into_iter()
            .any(|e| matches!(e.kind, Kind::UnknownField(..))),
    }
}

impl Environment {
    /// The dotted keys read, with their variables' names.
    fn keys(&self) -> Vec<(String, String)> {
        self.values
            .iter()
            .map(|(key, _)| (key.clone(), variable_of(key)))
            .collect()
    }
}

/// `session.idle` → `DOORWARD_SESSION__IDLE`.
fn variable_of(key: &str) -> String {
    format!(
        "{ENV_PREFIX}{}",
        key.replace('.', "__").to_ascii_uppercase()
    )
}

impl Provider for Environment {
    fn metadata(&self) -> Metadata {
        Metadata::named(ENV_SOURCE).interpolater(|_, key| {
            format!(
                "environment variable {ENV_PREFIX}{}",
                key.join("__").to_ascii_uppercase()
            )
        })
    }

    fn data(&self) -> Result<Map<Profile, Dict>, figment::Error> {
        self.values
            .iter()
            .fold(Figment::new(), |figment, (key, value)| {
                figment.merge(Serialized::default(key, value))
            })
            .data()
    }
}

/// Environment values are read as TOML values when they are one (`true`, `2`,
/// `["10.0.0.0/8"]`, `{burst = 3, per = "1s"}`), and as plain strings otherwise (`5m`,
/// `127.0.0.1:8080`).
fn env_value(raw: &str) -> toml::Value {
    format!("v = {raw}")
        .parse::<toml::Table>()
        .ok()
        .and_then(|mut t| t.remove("v"))
        .unwrap_or_else(|| toml::Value::String(raw.to_owned()))
}

/// Words figment's first error: where, which key, what.
fn key_error(
    errors: &figment::Error,
    variables: &[(String, String)],
    file: Option<&ConfigFile>,
) -> ConfigError {
    let Some(error) = errors.clone().into_iter().next() else {
        return ConfigError::Rule {
            key: String::new(),
            message: "cannot be loaded".to_owned(),
        };
    };
    let mut key = error.path.clone();
    let message = match &error.kind {
        Kind::UnknownField(field, expected) => {
            if key.last() != Some(field) {
                key.push(field.clone());
            }
            if expected.is_empty() {
                "not a configuration key".to_owned()
            } else {
                format!(
                    "not a configuration key; the keys here are {}",
                    expected.join(", ")
                )
            }
        }
        Kind::MissingField(field) => {
            if key.last().map(|k| k.as_str()) != Some(field.as_ref()) {
                key.push(field.to_string());
            }
            "required here".to_owned()
        }
        Kind::Message(text) => text.clone(),
        other => other.to_string(),
    };
    // The environment overrides the file: a key (or a table around it) that a variable set
    // came from that variable.
    let dotted = key.join(".");
    let variable = variables
        .iter()
        .find(|(read, _)| dotted == *read || dotted.starts_with(&format!("{read}.")));
    let origin = match (variable, file) {
        (Some((_, name)), _) => format!("environment variable {name}"),
        (None, Some(file)) => file.origin(&key),
        (None, None) => "configuration".to_owned(),
    };
    ConfigError::Key {
        origin,
        key: dotted,
        message,
    }
}
