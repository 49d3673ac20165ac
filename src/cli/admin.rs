//! `doorward admin token …`, `doorward keys …` and `doorward import`.

use super::values::Output;
use crate::domain::{Actor, AdminScope};
use crate::engine::{Engine, ImportOptions, ImportProgress, NewAdminToken};
use anyhow::{Context, Result};
use clap::Subcommand;
use secrecy::ExposeSecret;
use std::io::{IsTerminal, Write};
use std::path::Path;
use std::time::Duration;

#[derive(Debug, Subcommand)]
pub(super) enum AdminCommand {
    /// Admin tokens for `/v1/admin/*`.
    Token {
        #[command(subcommand)]
        command: TokenCommand,
    },
}

#[derive(Debug, Subcommand)]
pub(super) enum TokenCommand {
    /// Create a token and print it (it is stored only as a hash and shown only now).
    Create {
        /// The name it acts under in the audit trail (unique among live tokens).
        #[arg(long, default_value = "cli")]
        name: String,
        /// What it may do.
        #[arg(long, value_enum, default_value_t = AdminScope::All)]
        scope: AdminScope,
        /// How long it lives, such as `30d` or `12h` (at most 366 days).
        #[arg(long, value_parser = humantime::parse_duration, default_value = "90d")]
        expires_in: Duration,
    },
    /// List tokens (never their secrets).
    List,
    /// Revoke a token by id or name; it stops working at once.
    Revoke {
        /// Id or name.
        token: String,
    },
}

#[derive(Debug, Subcommand)]
pub(super) enum KeysCommand {
    /// Add a new signing key; older keys stay published until their tokens have expired.
    Rotate,
}

pub(super) async fn admin(engine: &Engine, out: Output, command: AdminCommand) -> Result<()> {
    let AdminCommand::Token { command } = command;
    match command {
        TokenCommand::Create {
            name,
            scope,
            expires_in,
        } => {
            let new = NewAdminToken {
                name,
                scope,
                lifetime: expires_in,
            };
            let (record, secret) = engine.create_admin_token(&Actor::Cli, new).await?;
            let mut view = serde_json::json!(record);
            view["token"] = serde_json::Value::from(secret.expose_secret());
            out.print(&view, || secret.expose_secret().to_owned())?;
        }
        TokenCommand::List => {
            let tokens = engine.admin_tokens().await?;
            out.print(&tokens, || {
                tokens
                    .iter()
                    .map(|t| {
                        let state = if t.revoked_at.is_some() {
                            "revoked"
                        } else {
                            "live"
                        };
                        format!(
                            "{}\t{}\t{}\t{}\t{state}",
                            t.id, t.name, t.scope, t.expires_at
                        )
                    })
                    .collect::<Vec<_>>()
                    .join("\n")
            })?;
        }
        TokenCommand::Revoke { token } => {
            engine.revoke_admin_token(&Actor::Cli, &token).await?;
            out.print(&serde_json::json!({"revoked": token}), || {
                "revoked".to_owned()
            })?;
        }
    }
    Ok(())
}

pub(super) async fn keys(engine: &Engine, out: Output, command: KeysCommand) -> Result<()> {
    let KeysCommand::Rotate = command;
    let kid = engine.rotate_keys(&Actor::Cli).await?;
    out.print(&serde_json::json!({"kid": kid}), || kid.clone())
}

pub(super) async fn import(
    engine: &Engine,
    out: Output,
    file: &Path,
    replace: bool,
    dry_run: bool,
) -> Result<()> {
    let bytes = std::fs::read(file).with_context(|| format!("cannot read {}", file.display()))?;
    let options = ImportOptions { replace, dry_run };
    let terminal = std::io::stderr().is_terminal();
    let progress = move |p: ImportProgress| {
        if terminal {
            show_progress(p);
        }
    };
    let report = engine
        .import_json_with(&Actor::Cli, &bytes, options, &progress)
        .await;
    if terminal {
        eprintln!();
    }
    let report = report?;
    // In text mode too the report is one JSON line, as it always was.
    let line = serde_json::to_string(&report)?;
    out.print(&report, || line)
}

/// One line on standard error, rewritten in place.
fn show_progress(p: ImportProgress) {
    let mut err = std::io::stderr().lock();
    let _ = if p.writing {
        write!(err, "\rchecked {} users; writing…          ", p.users_total)
    } else {
        write!(err, "\rchecking users: {}/{}", p.users_done, p.users_total)
    };
    let _ = err.flush();
}
