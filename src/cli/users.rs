//! `doorward user …`.

use super::user_ref;
use super::values::Output;
use crate::domain::{Actor, Email, Password, User, UserStatus, Username};
use crate::engine::{Engine, NewUser, UserChanges};
use anyhow::{Result, anyhow};
use clap::Subcommand;
use serde_json::{Value, json};
use std::io::BufRead;

#[derive(Debug, Subcommand)]
pub(super) enum UserCommand {
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

/// What the command line prints of a user: never a hash.
fn view(user: &User) -> Value {
    json!({"id": user.id, "email": user.email, "username": user.username, "name": user.name,
           "status": user.status.as_str()})
}

pub(super) async fn user(engine: &Engine, out: Output, command: UserCommand) -> Result<()> {
    let by = &Actor::Cli;
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
            let new = NewUser {
                email,
                username,
                name,
                password,
                status: None,
            };
            let user = engine.create_user(by, new).await?;
            out.print(&view(&user), || user.id.clone())?;
        }
        UserCommand::Disable { user } => {
            let user = engine
                .set_user_status(by, &user_ref(&user)?, UserStatus::Disabled)
                .await?;
            out.print(&view(&user), String::new)?;
        }
        UserCommand::Enable { user } => {
            let user = engine
                .set_user_status(by, &user_ref(&user)?, UserStatus::Active)
                .await?;
            out.print(&view(&user), String::new)?;
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
            let changes = UserChanges {
                name,
                username: username.map(Some),
                phone: phone.map(Some),
                mfa: None,
            };
            let updated = engine.update_user(by, &user_ref(&user)?, changes).await?;
            out.print(&view(&updated), || updated.id.clone())?;
        }
        UserCommand::Delete { user } => {
            engine.delete_user(by, &user_ref(&user)?).await?;
            out.print(&json!({"deleted": user}), || "deleted".to_owned())?;
        }
        UserCommand::Unlock { user } => {
            let was_locked = engine.unlock_user(by, &user_ref(&user)?).await?;
            out.print(&json!({"unlocked": was_locked}), || {
                if was_locked {
                    "unlocked"
                } else {
                    "was not locked"
                }
                .to_owned()
            })?;
        }
        UserCommand::SetPassword { user } => {
            let password = read_password()?;
            engine
                .set_user_password(by, &user_ref(&user)?, &password)
                .await?;
            out.print(&json!({"password_set": user}), String::new)?;
        }
        UserCommand::List => {
            let users = engine.list_users().await?;
            let views: Vec<Value> = users.iter().map(view).collect();
            out.print(&views, || {
                users
                    .iter()
                    .map(|u| format!("{}\t{}\t{}", u.id, u.email, u.status))
                    .collect::<Vec<_>>()
                    .join("\n")
            })?;
        }
    }
    Ok(())
}

/// The first line of standard input, without its line ending: passwords never go on the
/// command line, where `ps` would show them.
fn read_password() -> Result<Password> {
    let mut line = String::new();
    std::io::stdin().lock().read_line(&mut line)?;
    let trimmed = line.trim_end_matches(['\r', '\n']).to_owned();
    Password::parse(trimmed).map_err(|e| anyhow!("password {e}"))
}
