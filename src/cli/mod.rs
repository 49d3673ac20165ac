//! The command line: `serve`, `migrate`, `import`, `admin …`, `user …`, `org …`, `keys …`,
//! `maintenance`, and the `completions` and `man` generators. Each command calls the same engine
//! functions as the HTTP API and acts as `cli` in the audit trail. Every command that prints a
//! result prints JSON with `--output json`.

mod admin;
mod orgs;
mod users;
mod values;

use crate::clock::SystemClock;
use crate::config::Config;
use crate::domain::Actor;
use crate::engine::UserRef;
use crate::server;
use anyhow::{Context, Result, anyhow};
use clap::{CommandFactory, Parser, Subcommand};
use std::path::PathBuf;
use std::sync::Arc;
pub use values::Output;
use values::Switch;

/// Doorward, a self-hosted authentication server.
#[derive(Debug, Parser)]
#[command(name = "doorward", version)]
pub struct Cli {
    /// TOML configuration file (environment `DOORWARD_*` overrides it).
    #[arg(long, global = true)]
    config: Option<PathBuf>,
    /// How results are printed.
    #[arg(long, global = true, value_enum, default_value_t = Output::Text)]
    output: Output,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Migrate the store and serve HTTP.
    Serve,
    /// Migrate the store and exit.
    Migrate,
    /// Import applications, organisations and users from a JSON file (one transaction; progress
    /// on a terminal).
    Import {
        /// The JSON document.
        file: PathBuf,
        /// Make each user's listed memberships and factors the whole set (without it they are
        /// added to or updated in what the user has).
        #[arg(long)]
        replace: bool,
        /// Check the document and print what would change, writing nothing.
        #[arg(long)]
        dry_run: bool,
    },
    /// Administration credentials.
    Admin {
        #[command(subcommand)]
        command: admin::AdminCommand,
    },
    /// Switch maintenance mode (every face answers 503 but health and admin) on or off.
    Maintenance {
        /// The new state.
        #[arg(value_enum)]
        state: Switch,
    },
    /// Manage organisations and memberships.
    Org {
        #[command(subcommand)]
        command: orgs::OrgCommand,
    },
    /// Access-token signing keys.
    Keys {
        #[command(subcommand)]
        command: admin::KeysCommand,
    },
    /// Manage users.
    User {
        #[command(subcommand)]
        command: users::UserCommand,
    },
    /// Print a shell completion script (bash, zsh, fish, elvish, powershell).
    Completions {
        /// The shell.
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
    /// Print the man page (roff) to standard output.
    Man,
    /// Write the native API's OpenAPI 3.1 document (as `GET /openapi.json` serves it).
    Openapi {
        /// Where to write it; `-` for standard output.
        #[arg(default_value = "docs/openapi.json")]
        file: PathBuf,
    },
    /// Ask the running server at the configured listen address whether it is ready
    /// (`/readyz`: the store answers); exit 0 if so, 1 if not. For container health checks.
    Health,
}

/// Runs a parsed command line.
pub async fn run(cli: Cli) -> Result<()> {
    match cli.command {
        Command::Completions { shell } => {
            clap_complete::generate(
                shell,
                &mut Cli::command(),
                "doorward",
                &mut std::io::stdout(),
            );
            return Ok(());
        }
        Command::Man => {
            clap_mangen::Man::new(Cli::command()).render(&mut std::io::stdout())?;
            return Ok(());
        }
        Command::Openapi { file } => {
            let mut text = crate::faces::native::openapi().to_pretty_json()?;
            text.push('\n');
            if file.as_os_str() == "-" {
                print!("{text}");
            } else {
                std::fs::write(&file, text)
                    .with_context(|| format!("cannot write {}", file.display()))?;
            }
            return Ok(());
        }
        _ => {}
    }
    let loaded = Config::from_process(cli.config.as_deref())?;
    crate::logging::init(loaded.config.log.format);
    if !loaded.ignored_env.is_empty() {
        tracing::warn!(
            variables = %loaded.ignored_env.join(", "),
            "ignoring DOORWARD_ environment variables that are not configuration keys"
        );
    }
    let config = loaded.config;
    match cli.command {
        Command::Serve => return serve(config).await,
        Command::Health => return health(config.listen, cli.output).await,
        _ => {}
    }
    let engine = server::build(config, Arc::new(SystemClock)).await?.engine;
    let out = cli.output;
    let by = &Actor::Cli;
    match cli.command {
        Command::Serve
        | Command::Migrate
        | Command::Completions { .. }
        | Command::Man
        | Command::Openapi { .. }
        | Command::Health => {
            let kind = engine.store_kind();
            out.print(&serde_json::json!({"migrated": kind}), || {
                format!("store migrated ({kind})")
            })?;
        }
        Command::Import {
            file,
            replace,
            dry_run,
        } => admin::import(&engine, out, &file, replace, dry_run).await?,
        Command::Admin { command } => admin::admin(&engine, out, command).await?,
        Command::Maintenance { state } => {
            let on = state == Switch::On;
            engine.set_maintenance(by, on).await?;
            out.print(&serde_json::json!({"enabled": on}), || {
                format!("maintenance {}", if on { "on" } else { "off" })
            })?;
        }
        Command::Keys { command } => admin::keys(&engine, out, command).await?,
        Command::Org { command } => orgs::org(&engine, out, command).await?,
        Command::User { command } => users::user(&engine, out, command).await?,
    }
    Ok(())
}

async fn serve(config: Config) -> Result<()> {
    let listener = tokio::net::TcpListener::bind(config.listen)
        .await
        .with_context(|| format!("cannot listen on {}", config.listen))?;
    let sandbox = config.sandbox;
    let no_smtp = config.notify.smtp.is_none();
    let built = server::build(config, Arc::new(SystemClock)).await?;
    if sandbox {
        tracing::warn!(
            "SANDBOX MODE: one-time codes are 123456 and messages stay in the outbox; never use in production"
        );
    }
    if !sandbox && no_smtp {
        tracing::warn!(
            "no notify.smtp configured: emails are kept in the outbox (GET /v1/admin/outbox)"
        );
    }
    if let (true, Some(address)) = (built.config.metrics.enabled, built.config.metrics.listen) {
        let metrics = tokio::net::TcpListener::bind(address)
            .await
            .with_context(|| format!("cannot listen on {address} (metrics.listen)"))?;
        tracing::info!(address = %metrics.local_addr()?, "metrics listening");
        let engine = Arc::clone(&built.engine);
        tokio::spawn(async move {
            if let Err(e) = server::serve_metrics(metrics, engine, server::shutdown_signal()).await
            {
                tracing::error!(error = %e, "the metrics listener stopped");
            }
        });
    }
    tracing::info!(address = %listener.local_addr()?, store = built.engine.store_kind(), "doorward listening");
    server::serve(listener, built, server::shutdown_signal()).await?;
    Ok(())
}

/// `GET /readyz` on the listen address (loopback when it listens on every address).
async fn health(listen: std::net::SocketAddr, out: Output) -> Result<()> {
    let mut target = listen;
    if target.ip().is_unspecified() {
        target.set_ip(match target {
            std::net::SocketAddr::V4(_) => std::net::Ipv4Addr::LOCALHOST.into(),
            std::net::SocketAddr::V6(_) => std::net::Ipv6Addr::LOCALHOST.into(),
        });
    }
    let url = format!("http://{target}/readyz");
    let client = reqwest::Client::builder()
        .timeout(std::time::Duration::from_secs(3))
        .build()?;
    let status = client
        .get(&url)
        .send()
        .await
        .with_context(|| format!("{url} does not answer"))?
        .status();
    out.print(
        &serde_json::json!({"url": url, "status": status.as_u16()}),
        || format!("{url}: {status}"),
    )?;
    if !status.is_success() {
        return Err(anyhow!("{url} is not ready ({status})"));
    }
    Ok(())
}

/// A user named on the command line by id or email.
fn user_ref(text: &str) -> Result<UserRef> {
    UserRef::parse(text).map_err(|e| anyhow!("{text}: {e}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_command_line_is_well_formed() {
        Cli::command().debug_assert();
    }

    #[test]
    fn enumerated_arguments_refuse_unknown_values_and_list_the_known_ones() {
        let refused =
            Cli::try_parse_from(["doorward", "org", "create", "--name", "A", "--kind", "club"])
                .expect_err("club is no organisation kind");
        let text = refused.to_string();
        assert!(
            text.contains("consumer") && text.contains("corporate"),
            "{text}"
        );
        let parsed = Cli::try_parse_from(["doorward", "--output", "json", "maintenance", "on"])
            .expect("parses");
        assert_eq!(parsed.output, Output::Json);
    }
}
