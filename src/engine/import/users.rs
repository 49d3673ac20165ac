//! How an import entry changes a user, without destroying what it does not mention: a field
//! left out keeps its value (a new user gets the default), listed memberships and factors are
//! added or updated, `"remove": true` removes one, and only [`ImportOptions::replace`] makes a
//! listed set the user's whole set.

use super::format::{FactorEntry, MembershipEntry, UserEntry, invalid};
use super::{Engine, EngineResult, ImportOptions};
use crate::domain::{Factor, FactorKind, Membership, PasswordState, Realm, User, UserStatus};
use crate::store::ImportedUser;

impl Engine {
    /// The user as the entry leaves it, and as it is now (if it exists).
    pub(super) async fn plan_user(
        &self,
        e: &UserEntry,
        at: &str,
        options: ImportOptions,
    ) -> EngineResult<(ImportedUser, Option<ImportedUser>)> {
        let email =
            crate::domain::Email::parse(&e.email).map_err(|m| invalid(format!("{at}.email"), m))?;
        let by_email = self.store.user_by_email(email.as_str()).await?;
        let existing = match &e.id {
            Some(id) => {
                if by_email.as_ref().is_some_and(|u| &u.id != id) {
                    return Err(invalid(format!("{at}.email"), "belongs to another user"));
                }
                self.store.user_by_id(id).await?
            }
            None => by_email,
        };
        let existing = match existing {
            Some(user) => {
                let memberships = self.store.memberships_of(&user.id).await?;
                let factors = self.store.factors_of(&user.id).await?;
                Some(ImportedUser {
                    user,
                    memberships: memberships.into_iter().map(|(m, _)| m).collect(),
                    factors,
                    removed_factors: Vec::new(),
                })
            }
            None => None,
        };
        let old = existing.as_ref().map(|u| &u.user);
        let keep = |field: Option<Option<String>>, current: Option<&Option<String>>| match field {
            Some(given) => given,
            None => current.cloned().flatten(),
        };
        let user = User {
            id: e
                .id
                .clone()
                .or_else(|| old.map(|u| u.id.clone()))
                .unwrap_or_else(crate::engine::users::numeric_id),
            email: email.as_str().to_owned(),
            username: keep(
                e.username
                    .clone()
                    .map(|u| u.map(|name| name.trim().to_owned())),
                old.map(|u| &u.username),
            ),
            name: e
                .name
                .clone()
                .or_else(|| old.map(|u| u.name.clone()))
                .unwrap_or_else(|| email.as_str().to_owned()),
            status: e
                .status
                .or(old.map(|u| u.status))
                .unwrap_or(UserStatus::Active),
            password_hash: self
                .import_hash(
                    e.password.as_deref(),
                    e.password_hash.as_deref(),
                    old.and_then(|u| u.password_hash.as_ref()),
                )
                .await?,
            password_state: e
                .password_state
                .or(old.map(|u| u.password_state))
                .unwrap_or(PasswordState::Ok),
            password_expires_at: match e.password_expires_at {
                Some(given) => given,
                None => old.and_then(|u| u.password_expires_at),
            },
            external_idp: keep(e.external_idp.clone(), old.map(|u| &u.external_idp)),
            tooling_password_hash: self
                .import_hash(
                    e.tooling_password.as_deref(),
                    None,
                    old.and_then(|u| u.tooling_password_hash.as_ref()),
                )
                .await?,
            realm: e.realm.or(old.map(|u| u.realm)).unwrap_or(Realm::Local),
            phone: keep(e.phone.clone(), old.map(|u| &u.phone)),
            mfa: e.mfa.or(old.map(|u| u.mfa)).unwrap_or(false),
        };
        let stored_memberships = existing.as_ref().map_or(&[][..], |u| &u.memberships);
        let memberships = match &e.memberships {
            None => stored_memberships.to_vec(),
            Some(listed) => merge_memberships(stored_memberships, listed, options.replace),
        };
        let stored_factors = existing.as_ref().map_or(&[][..], |u| &u.factors);
        let (factors, removed_factors) = match &e.factors {
            None => (stored_factors.to_vec(), Vec::new()),
            Some(listed) => merge_factors(stored_factors, listed, &user, options.replace),
        };
        let planned = ImportedUser {
            user,
            memberships,
            factors,
            removed_factors,
        };
        Ok((planned, existing))
    }
}

/// The memberships after the listed ones are applied, by organisation.
fn merge_memberships(
    stored: &[Membership],
    listed: &[MembershipEntry],
    replace: bool,
) -> Vec<Membership> {
    let mut result: Vec<Membership> = if replace { Vec::new() } else { stored.to_vec() };
    for entry in listed {
        result.retain(|m| m.organization_id != entry.organization);
        if !entry.remove {
            result.push(Membership {
                organization_id: entry.organization.clone(),
                role: entry.role,
                status: entry.status,
            });
        }
    }
    result.sort_by(|a, b| a.organization_id.cmp(&b.organization_id));
    result
}

/// What names a factor across imports: its type and its destination (or secret).
fn same_factor(factor: &Factor, kind: FactorKind, wanted: &Factor) -> bool {
    factor.kind == kind
        && match kind {
            FactorKind::Sms => factor.phone == wanted.phone,
            FactorKind::Email => factor.email == wanted.email,
            FactorKind::Totp | FactorKind::Push => factor.secret == wanted.secret,
        }
}

/// The factors after the listed ones are applied, and the ids of the stored ones that go. A
/// stored factor that a listed one names keeps its id (and so its state).
fn merge_factors(
    stored: &[Factor],
    listed: &[FactorEntry],
    user: &User,
    replace: bool,
) -> (Vec<Factor>, Vec<String>) {
    let mut kept: Vec<Factor> = if replace { Vec::new() } else { stored.to_vec() };
    for entry in listed {
        let wanted = Factor {
            id: uuid::Uuid::new_v4().to_string(),
            kind: entry.kind,
            phone: entry.phone.clone().or_else(|| match entry.kind {
                FactorKind::Sms => user.phone.clone(),
                _ => None,
            }),
            email: entry.email.clone().or_else(|| match entry.kind {
                FactorKind::Email => Some(user.email.clone()),
                _ => None,
            }),
            secret: entry.secret.clone(),
            status: entry.status,
            name: None,
        };
        kept.retain(|f| !same_factor(f, entry.kind, &wanted));
        if entry.remove {
            continue;
        }
        let id = stored
            .iter()
            .find(|f| same_factor(f, entry.kind, &wanted))
            .map_or(wanted.id.clone(), |f| f.id.clone());
        let name = stored
            .iter()
            .find(|f| f.id == id)
            .and_then(|f| f.name.clone());
        kept.push(Factor { id, name, ..wanted });
    }
    let removed = stored
        .iter()
        .filter(|f| !kept.iter().any(|k| k.id == f.id))
        .map(|f| f.id.clone())
        .collect();
    // The stored order (creation), then new ones: what `factors_of` reads back.
    kept.sort_by_key(|f| {
        stored
            .iter()
            .position(|s| s.id == f.id)
            .unwrap_or(usize::MAX)
    });
    (kept, removed)
}
