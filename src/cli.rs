//! The command line: `serve`, `migrate`, `import`, `admin …`, `user …`. Each command calls the
//! same engine functions as the HTTP API.

use crate::clock::SystemClock;
use crate::config::Config;
use crate::domain::{
    Email, MembershipStatus, OrgKind, OrgStatus, Password, Role, UserStatus, Username,
};
use crate::engine::{Engine, NewUser, OrganizationChange, UserRef};
use crate::server;
use anyhow::{Context, Result, anyhow};
use clap::{Parser, Subcommand};
use secrecy::ExposeSecret;
use std::io::BufRead;
use std::path::PathBuf;
use std::sync::Arc;

/// Doorward, a self-hosted authentication server.
#[derive(Debug, Parser)]
#[command(name = "doorward", version)]
pub struct Cli {
    /// TOML configuration file (environment `DOORWARD_*` overrides it).
    #[arg(long, global = true)]
    config: Option<PathBuf>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Migrate the store and serve HTTP.
    Serve,
    /// Migrate the store and exit.
    Migrate,
    /// Import applications, organisations and users from a JSON file.
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
        command: AdminCommand,
    },
    /// Switch maintenance mode (every face answers 503 but health and admin) on or off.
    Maintenance {
        /// `on` or `off`.
        #[arg(value_parser = ["on", "off"])]
        state: String,
    },
    /// Manage organisations and memberships.
    Org {
        #[command(subcommand)]
        command: OrgCommand,
    },
    /// Access-token signing keys.
    Keys {
        #[command(subcommand)]
        command: KeysCommand,
    },
    /// Manage users.
    User {
        #[command(subcommand)]
        command: UserCommand,
    },
}

#[derive(Debug, Subcommand)]
enum AdminCommand {
    /// Admin tokens for `/v1/admin/*`.
    Token {
        #[command(subcommand)]
        command: TokenCommand,
    },
}

#[derive(Debug, Subcommand)]
enum OrgCommand {
    /// Create an organisation and print its id.
    Create {
        /// Display name.
        #[arg(long)]
        name: String,
        /// Numeric id (generated when absent).
        #[arg(long)]
        id: Option<String>,
        /// `consumer` or `corporate`.
        #[arg(long, default_value = "corporate", value_parser = ["consumer", "corporate"])]
        kind: String,
    },
    /// Set an organisation's status: active, pending or disabled.
    SetStatus {
        /// Organisation id.
        id: String,
        /// New status.
        #[arg(value_parser = ["active", "pending", "disabled"])]
        status: String,
    },
    /// Remove an organisation and its memberships.
    Delete {
        /// Organisation id.
        id: String,
    },
    /// List organisations.
    List,
    /// Add a user (id or email) to an organisation, or change its role or status there.
    AddMember {
        /// Organisation id.
        organization: String,
        /// User id or email.
        user: String,
        /// `owner`, `admin` or `member`.
        #[arg(long, default_value = "member", value_parser = ["owner", "admin", "member"])]
        role: String,
        /// `active` or `pending`.
        #[arg(long, default_value = "active", value_parser = ["active", "pending"])]
        status: String,
    },
    /// Remove a user from an organisation.
    RemoveMember {
        /// Organisation id.
        organization: String,
        /// User id or email.
        user: String,
    },
}

#[derive(Debug, Subcommand)]
enum KeysCommand {
    /// Add a new signing key; older keys stay published until their tokens have expired.
    Rotate,
}

#[derive(Debug, Subcommand)]
enum TokenCommand {
    /// Create a token and print it (it is stored only as a hash).
    Create {
        /// A label for the token.
        #[arg(long, default_value = "cli")]
        name: String,
    },
}

#[derive(Debug, Subcommand)]
enum UserCommand {
    /// Create a user; with --password-stdin the first line of standard input is the password.
    Create {
        /// Email address.
        #[arg(long)]
        email: String,
        /// Username.
        #[arg(long)]
        username: Option<String>,
        /// Display name.
        #[arg(long)]
        name: Option<String>,
        /// Read the password from standard input.
        #[arg(long)]
        password_stdin: bool,
    },
    /// Disable a user (by id or email) and end its sessions.
    Disable {
        /// Id or email.
        user: String,
    },
    /// Enable a user (by id or email).
    Enable {
        /// Id or email.
        user: String,
    },
    /// Lift every sign-in lock on a user's email and username.
    Unlock {
        /// Id or email.
        user: String,
    },
    /// Set a user's password from the first line of standard input; ends its sessions.
    SetPassword {
        /// Id or email.
        user: String,
    },
    /// List users.
    List,
    /// Change a user's name, username or phone (only the options given).
    Update {
        /// Id or email.
        user: String,
        /// Display name.
        #[arg(long)]
        name: Option<String>,
        /// Username.
        #[arg(long)]
        username: Option<String>,
        /// Phone number (E.164).
        #[arg(long)]
        phone: Option<String>,
    },
    /// Delete a user: its sessions, factors, memberships and tokens go with it; the audit
    /// trail keeps its events.
    Delete {
        /// Id or email.
        user: String,
    },
}

/// Runs a parsed command line.
pub async fn run(cli: Cli) -> Result<()> {
    let loaded = Config::from_process(cli.config.as_deref())?;
    if !loaded.ignored_env.is_empty() {
        tracing::warn!(
            variables = %loaded.ignored_env.join(", "),
            "ignoring DOORWARD_ environment variables that are not configuration keys"
        );
    }
    let config = loaded.config;
    if let Command::Serve = cli.command {
        return serve(config).await;
    }
    let engine = server::build(config, Arc::new(SystemClock)).await?.engine;
    match cli.command {
        Command::Serve | Command::Migrate => {
            println!("store migrated ({})", engine.store_kind());
        }
        Command::Import {
            file,
            replace,
            dry_run,
        } => {
            let bytes =
                std::fs::read(&file).with_context(|| format!("cannot read {}", file.display()))?;
            let options = crate::engine::ImportOptions { replace, dry_run };
            let report = engine.import_json_with(&bytes, options).await?;
            println!("{}", serde_json::to_string(&report)?);
        }
        Command::Admin {
            command:
                AdminCommand::Token {
                    command: TokenCommand::Create { name },
                },
        } => {
            let token = engine.create_admin_token(&name).await?;
            println!("{}", token.expose_secret());
        }
        Command::Maintenance { state } => {
            engine.set_maintenance(state == "on").await?;
            println!("maintenance {state}");
        }
        Command::Keys {
            command: KeysCommand::Rotate,
        } => {
            let kid = engine.rotate_keys().await?;
            println!("{kid}");
        }
        Command::Org { command } => org(&engine, command).await?,
        Command::User { command } => user(&engine, command).await?,
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
    tracing::info!(address = %listener.local_addr()?, store = built.engine.store_kind(), "doorward listening");
    server::serve(listener, built, server::shutdown_signal()).await?;
    Ok(())
}

async fn user(engine: &Engine, command: UserCommand) -> Result<()> {
    match command {
        UserCommand::Create {
            email,
            username,
            name,
            password_stdin,
        } => {
            let email = Email::parse(&email).map_err(|e| anyhow!("--email: {e}"))?;
            let username = username
                .map(|u| Username::parse(&u))
                .transpose()
                .map_err(|e| anyhow!("--username: {e}"))?;
            let password = if password_stdin {
                Some(read_password()?)
            } else {
                None
            };
            let user = engine
                .create_user(NewUser {
                    email,
                    username,
                    name,
                    password,
                    status: None,
                })
                .await?;
            println!("{}", user.id);
        }
        UserCommand::Disable { user } => {
            engine
                .set_user_status(&user_ref(&user)?, UserStatus::Disabled)
                .await?;
        }
        UserCommand::Enable { user } => {
            engine
                .set_user_status(&user_ref(&user)?, UserStatus::Active)
                .await?;
        }
        UserCommand::Update {
            user,
            name,
            username,
            phone,
        } => {
            let username = username
                .map(|u| Username::parse(&u))
                .transpose()
                .map_err(|e| anyhow!("--username: {e}"))?;
            let changes = crate::engine::UserChanges {
                name,
                username: username.map(Some),
                phone: phone.map(Some),
                mfa: None,
            };
            let updated = engine.update_user(&user_ref(&user)?, changes).await?;
            println!("{}", updated.id);
        }
        UserCommand::Delete { user } => {
            engine.delete_user(&user_ref(&user)?).await?;
            println!("deleted");
        }
        UserCommand::Unlock { user } => {
            let was_locked = engine.unlock_user(&user_ref(&user)?).await?;
            println!(
                "{}",
                if was_locked {
                    "unlocked"
                } else {
                    "was not locked"
                }
            );
        }
        UserCommand::SetPassword { user } => {
            let password = read_password()?;
            engine
                .set_user_password(&user_ref(&user)?, &password)
                .await?;
        }
        UserCommand::List => {
            for user in engine.list_users().await? {
                println!("{}\t{}\t{}", user.id, user.email, user.status);
            }
        }
    }
    Ok(())
}

async fn org(engine: &Engine, command: OrgCommand) -> Result<()> {
    // clap's value parsers allow only valid texts, so the parses below cannot fail.
    let parsed = |what: &str| anyhow!("invalid {what}");
    match command {
        OrgCommand::Create { name, id, kind } => {
            let change = OrganizationChange {
                name: Some(name),
                kind: Some(OrgKind::parse(&kind).ok_or_else(|| parsed("kind"))?),
                ..OrganizationChange::default()
            };
            println!("{}", engine.create_organization(id, change).await?.id);
        }
        OrgCommand::SetStatus { id, status } => {
            let change = OrganizationChange {
                status: Some(OrgStatus::parse(&status).ok_or_else(|| parsed("status"))?),
                ..OrganizationChange::default()
            };
            engine.update_organization(&id, change).await?;
        }
        OrgCommand::Delete { id } => engine.delete_organization(&id).await?,
        OrgCommand::List => {
            for org in engine.list_organizations().await? {
                println!("{}\t{}\t{}\t{}", org.id, org.name, org.kind, org.status);
            }
        }
        OrgCommand::AddMember {
            organization,
            user,
            role,
            status,
        } => {
            let role = Role::parse(&role).ok_or_else(|| parsed("role"))?;
            let status = MembershipStatus::parse(&status).ok_or_else(|| parsed("status"))?;
            engine
                .set_membership(&user_ref(&user)?, &organization, Some(role), Some(status))
                .await?;
        }
        OrgCommand::RemoveMember { organization, user } => {
            engine
                .remove_membership(&user_ref(&user)?, &organization)
                .await?;
        }
    }
    Ok(())
}

fn user_ref(text: &str) -> Result<UserRef> {
    UserRef::parse(text).map_err(|e| anyhow!("{text}: {e}"))
}

/// The first line of standard input, without its line ending: passwords never go on the
/// command line, where `ps` would show them.
fn read_password() -> Result<Password> {
    let mut line = String::new();
    std::io::stdin().lock().read_line(&mut line)?;
    let trimmed = line.trim_end_matches(['\r', '\n']).to_owned();
    Password::parse(trimmed).map_err(|e| anyhow!("password {e}"))
}
