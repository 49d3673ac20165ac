//! Which organisation a sign-in acts for (docs/DESIGN.md §3 step 7): the one asked for, the
//! application's own, or the user's first active one; and the rules each may impose.

use super::{Engine, EngineError, EngineResult};
use crate::domain::{Application, Membership, MembershipStatus, OrgStatus, Organization, User};

/// What the sign-in asked for.
#[derive(Debug, Clone, Default)]
pub(crate) struct Scope {
    /// The organisation asked for.
    pub organization: Option<String>,
    /// A provider organisation, for a consumer sign-in.
    pub provider: Option<String>,
    /// When the second factor is proven.
    pub second_factor: super::login::SecondFactorAt,
    /// Where a sign-in's code goes.
    pub mfa_via: super::mfa::MfaVia,
    /// Whether a session without an organisation is refused.
    pub require_organization: bool,
    /// The kind of client signing in, which the session keeps.
    pub client: crate::domain::ClientKind,
}

impl Engine {
    /// The organisation the session will act for (`None` for a user with no memberships), and
    /// the user's identities.
    pub(crate) async fn choose_organization(
        &self,
        user: &User,
        app: &Application,
        scope: &Scope,
    ) -> EngineResult<(Option<Organization>, Vec<super::Identity>)> {
        if let Some(provider) = &scope.provider {
            let org = self.store.organization_by_id(provider).await?;
            if !org.is_some_and(|o| o.consumer_access) {
                return Err(EngineError::ConsumerAccessDisabled);
            }
        }
        let memberships = self.store.memberships_of(&user.id).await?;
        let chosen = choose(&memberships, app, scope.organization.as_deref())?;
        let chosen = match chosen {
            Some(org) if org.idp_required => return Err(EngineError::IdpRequired),
            None if scope.require_organization => return Err(EngineError::NoActiveOrganization),
            other => other,
        };
        Ok((chosen, super::identities::active_identities(&memberships)))
    }
}

fn is_usable(membership: &Membership, org: &Organization) -> bool {
    membership.status == MembershipStatus::Active && org.status == OrgStatus::Active
}

fn choose(
    memberships: &[(Membership, Organization)],
    app: &Application,
    requested: Option<&str>,
) -> EngineResult<Option<Organization>> {
    let usable = |id: &str| {
        memberships
            .iter()
            .find(|(m, o)| o.id == id && is_usable(m, o))
            .map(|(_, o)| o.clone())
    };
    if let Some(required) = &app.organization {
        if requested.is_some_and(|r| r != required) {
            return Err(EngineError::ApplicationForbidden);
        }
        return usable(required)
            .map(Some)
            .ok_or(EngineError::ApplicationForbidden);
    }
    if let Some(id) = requested {
        return usable(id)
            .map(Some)
            .ok_or(EngineError::OrganizationNotMember);
    }
    if memberships.is_empty() {
        return Ok(None);
    }
    if let Some((_, org)) = memberships.iter().find(|(m, o)| is_usable(m, o)) {
        return Ok(Some(org.clone()));
    }
    let any_pending = memberships
        .iter()
        .any(|(m, o)| m.status == MembershipStatus::Pending || o.status == OrgStatus::Pending);
    Err(if any_pending {
        EngineError::OrganizationPending
    } else {
        EngineError::NoActiveOrganization
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{OrgKind, Role};
    use crate::engine::application::default_application;

    fn org(id: &str, status: OrgStatus) -> Organization {
        Organization {
            id: id.into(),
            name: id.into(),
            kind: OrgKind::Corporate,
            status,
            consumer_access: true,
            idp_required: false,
        }
    }

    fn member(org: Organization, status: MembershipStatus) -> (Membership, Organization) {
        let m = Membership {
            organization_id: org.id.clone(),
            role: Role::Member,
            status,
        };
        (m, org)
    }

    #[test]
    fn first_active_organisation_is_chosen_when_none_is_asked_for() {
        let all = [
            member(org("1", OrgStatus::Disabled), MembershipStatus::Active),
            member(org("2", OrgStatus::Active), MembershipStatus::Active),
        ];
        let chosen = choose(&all, &default_application(), None).unwrap();
        assert_eq!(chosen.unwrap().id, "2");
    }

    #[test]
    fn only_pending_memberships_is_organization_pending() {
        let all = [member(
            org("1", OrgStatus::Active),
            MembershipStatus::Pending,
        )];
        assert!(matches!(
            choose(&all, &default_application(), None),
            Err(EngineError::OrganizationPending)
        ));
    }

    #[test]
    fn requested_foreign_organisation_is_refused() {
        let all = [member(
            org("1", OrgStatus::Active),
            MembershipStatus::Active,
        )];
        assert!(matches!(
            choose(&all, &default_application(), Some("9")),
            Err(EngineError::OrganizationNotMember)
        ));
    }

    #[test]
    fn application_organisation_admits_only_its_members() {
        let app = Application {
            organization: Some("7".into()),
            ..default_application()
        };
        let all = [member(
            org("1", OrgStatus::Active),
            MembershipStatus::Active,
        )];
        assert!(matches!(
            choose(&all, &app, None),
            Err(EngineError::ApplicationForbidden)
        ));
        assert!(matches!(
            choose(&[], &app, None),
            Err(EngineError::ApplicationForbidden)
        ));
    }

    #[test]
    fn user_without_memberships_signs_in_without_organisation() {
        assert_eq!(choose(&[], &default_application(), None).unwrap(), None);
    }
}
