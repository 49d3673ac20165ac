//! Administration of organisations and memberships. The CLI and the admin API call these.

use super::audit::Event;
use super::users::numeric_id;
use super::{Engine, EngineError, EngineResult, UserRef};
use crate::domain::{Membership, MembershipStatus, OrgKind, OrgStatus, Organization, Role};

/// Fields of an organisation to set; `None` keeps (or, on creation, defaults) the value.
#[derive(Debug, Clone, Default)]
pub struct OrganizationChange {
    /// Display name (required on creation).
    pub name: Option<String>,
    /// Consumer or corporate (default corporate).
    pub kind: Option<OrgKind>,
    /// Lifecycle state (default active).
    pub status: Option<OrgStatus>,
    /// Consumers may sign in through it (default true).
    pub consumer_access: Option<bool>,
    /// Members must use its identity provider (default false).
    pub idp_required: Option<bool>,
}

impl Engine {
    /// Every organisation.
    pub async fn list_organizations(&self) -> EngineResult<Vec<Organization>> {
        Ok(self.store.list_organizations().await?)
    }

    /// Creates an organisation (with the given numeric id, or a new one).
    pub async fn create_organization(
        &self,
        by: &crate::domain::Actor,
        id: Option<String>,
        change: OrganizationChange,
    ) -> EngineResult<Organization> {
        if let Some(id) = &id {
            if id.is_empty() || !id.chars().all(|c| c.is_ascii_digit()) {
                return Err(EngineError::Validation(vec![
                    crate::domain::FieldError::new("id", "must be a numeric string"),
                ]));
            }
            if self.store.organization_by_id(id).await?.is_some() {
                return Err(EngineError::Conflict(format!("organization {id}")));
            }
        }
        let name = change
            .name
            .clone()
            .filter(|n| !n.trim().is_empty())
            .ok_or_else(|| {
                EngineError::Validation(vec![crate::domain::FieldError::new("name", "is required")])
            })?;
        let org = Organization {
            id: id.unwrap_or_else(numeric_id),
            name,
            kind: change.kind.unwrap_or(OrgKind::Corporate),
            status: change.status.unwrap_or(OrgStatus::Active),
            consumer_access: change.consumer_access.unwrap_or(true),
            idp_required: change.idp_required.unwrap_or(false),
        };
        self.store.save_organization(&org).await?;
        self.audit_org(by, "organization_created", &org.id).await;
        Ok(org)
    }

    /// Changes an organisation's fields.
    pub async fn update_organization(
        &self,
        by: &crate::domain::Actor,
        id: &str,
        change: OrganizationChange,
    ) -> EngineResult<Organization> {
        let mut org = self
            .store
            .organization_by_id(id)
            .await?
            .ok_or(EngineError::NotFound("organization"))?;
        if let Some(name) = change.name.filter(|n| !n.trim().is_empty()) {
            org.name = name;
        }
        org.kind = change.kind.unwrap_or(org.kind);
        org.status = change.status.unwrap_or(org.status);
        org.consumer_access = change.consumer_access.unwrap_or(org.consumer_access);
        org.idp_required = change.idp_required.unwrap_or(org.idp_required);
        self.store.save_organization(&org).await?;
        if org.status != OrgStatus::Active || org.idp_required {
            // Sessions acting for it lose it now (password sessions, if it requires its IdP).
            self.end_organization_sessions(&org.id, None).await?;
        }
        self.audit_org(by, "organization_changed", &org.id).await;
        Ok(org)
    }

    /// Removes an organisation and its memberships (refused while an application names it).
    pub async fn delete_organization(
        &self,
        by: &crate::domain::Actor,
        id: &str,
    ) -> EngineResult<()> {
        if !self.store.delete_organization(id).await? {
            return Err(EngineError::NotFound("organization"));
        }
        self.end_organization_sessions(id, None).await?;
        self.audit_org(by, "organization_deleted", id).await;
        Ok(())
    }

    /// Adds a user to an organisation or changes its role and status there (by default an
    /// active member).
    pub async fn set_membership(
        &self,
        by: &crate::domain::Actor,
        user: &UserRef,
        organization: &str,
        role: Option<Role>,
        status: Option<MembershipStatus>,
    ) -> EngineResult<Membership> {
        let found = self.user(user).await?;
        if self.store.organization_by_id(organization).await?.is_none() {
            return Err(EngineError::NotFound("organization"));
        }
        let membership = Membership {
            organization_id: organization.to_owned(),
            role: role.unwrap_or(Role::Member),
            status: status.unwrap_or(MembershipStatus::Active),
        };
        self.store.save_membership(&found.id, &membership).await?;
        self.memberships.clear();
        if membership.status != MembershipStatus::Active {
            self.end_organization_sessions(organization, Some(&found.id))
                .await?;
        }
        self.audit(Event {
            actor: Some(by),
            kind: "membership_set",
            outcome: "success",
            user_id: Some(&found.id),
            ..Event::default()
        })
        .await;
        Ok(membership)
    }

    /// Removes a user from an organisation.
    pub async fn remove_membership(
        &self,
        by: &crate::domain::Actor,
        user: &UserRef,
        organization: &str,
    ) -> EngineResult<()> {
        let found = self.user(user).await?;
        if !self
            .store
            .delete_membership(&found.id, organization)
            .await?
        {
            return Err(EngineError::NotFound("membership"));
        }
        self.memberships.clear();
        self.end_organization_sessions(organization, Some(&found.id))
            .await?;
        self.audit(Event {
            actor: Some(by),
            kind: "membership_removed",
            outcome: "success",
            user_id: Some(&found.id),
            ..Event::default()
        })
        .await;
        Ok(())
    }

    /// Ends the sessions acting for an organisation (of one user, or of everyone): at once on
    /// this instance, within the session cache's second on others.
    async fn end_organization_sessions(
        &self,
        organization: &str,
        user_id: Option<&str>,
    ) -> EngineResult<()> {
        self.store
            .revoke_organization_sessions(organization, user_id, self.now())
            .await?;
        self.sessions.remove_organization(organization, user_id);
        Ok(())
    }

    async fn audit_org(&self, by: &crate::domain::Actor, kind: &str, id: &str) {
        // Every organisation change may change what a session's identities show.
        self.memberships.clear();
        self.audit(Event {
            kind,
            actor: Some(by),
            outcome: "success",
            identifier: Some(id),
            ..Event::default()
        })
        .await;
    }
}
