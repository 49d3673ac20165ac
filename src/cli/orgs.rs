//! `doorward org …`.

use super::user_ref;
use super::values::Output;
use crate::domain::{Actor, MembershipStatus, OrgKind, OrgStatus, Organization, Role};
use crate::engine::{Engine, OrganizationChange};
use anyhow::Result;
use clap::Subcommand;
use serde_json::{Value, json};

#[derive(Debug, Subcommand)]
pub(super) enum OrgCommand {
    /// Create an organisation and print its id.
    Create {
        /// Display name.
        #[arg(long)]
        name: String,
        /// Numeric id (generated when absent).
        #[arg(long)]
        id: Option<String>,
        /// Its kind.
        #[arg(long, value_enum, default_value_t = OrgKind::Corporate)]
        kind: OrgKind,
    },
    /// Set an organisation's status.
    SetStatus {
        /// Organisation id.
        id: String,
        /// New status.
        #[arg(value_enum)]
        status: OrgStatus,
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
        /// The role.
        #[arg(long, value_enum, default_value_t = Role::Member)]
        role: Role,
        /// The membership's status.
        #[arg(long, value_enum, default_value_t = MembershipStatus::Active)]
        status: MembershipStatus,
    },
    /// Remove a user from an organisation.
    RemoveMember {
        /// Organisation id.
        organization: String,
        /// User id or email.
        user: String,
    },
}

fn view(o: &Organization) -> Value {
    json!({"id": o.id, "name": o.name, "kind": o.kind.as_str(), "status": o.status.as_str()})
}

pub(super) async fn org(engine: &Engine, out: Output, command: OrgCommand) -> Result<()> {
    let by = &Actor::Cli;
    match command {
        OrgCommand::Create { name, id, kind } => {
            let change = OrganizationChange {
                name: Some(name),
                kind: Some(kind),
                ..OrganizationChange::default()
            };
            let org = engine.create_organization(by, id, change).await?;
            out.print(&view(&org), || org.id.clone())?;
        }
        OrgCommand::SetStatus { id, status } => {
            let change = OrganizationChange {
                status: Some(status),
                ..OrganizationChange::default()
            };
            let org = engine.update_organization(by, &id, change).await?;
            out.print(&view(&org), String::new)?;
        }
        OrgCommand::Delete { id } => {
            engine.delete_organization(by, &id).await?;
            out.print(&json!({"deleted": id}), String::new)?;
        }
        OrgCommand::List => {
            let orgs = engine.list_organizations().await?;
            let views: Vec<Value> = orgs.iter().map(view).collect();
            out.print(&views, || {
                orgs.iter()
                    .map(|o| format!("{}\t{}\t{}\t{}", o.id, o.name, o.kind, o.status))
                    .collect::<Vec<_>>()
                    .join("\n")
            })?;
        }
        OrgCommand::AddMember {
            organization,
            user,
            role,
            status,
        } => {
            let m = engine
                .set_membership(
                    by,
                    &user_ref(&user)?,
                    &organization,
                    Some(role),
                    Some(status),
                )
                .await?;
            let shown = json!({"user": user, "organization": m.organization_id,
                               "role": m.role.as_str(), "status": m.status.as_str()});
            out.print(&shown, String::new)?;
        }
        OrgCommand::RemoveMember { organization, user } => {
            engine
                .remove_membership(by, &user_ref(&user)?, &organization)
                .await?;
            out.print(
                &json!({"removed": user, "organization": organization}),
                String::new,
            )?;
        }
    }
    Ok(())
}
