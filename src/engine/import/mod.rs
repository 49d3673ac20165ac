//! Provisioning from a JSON document: applications, organisations and users with their
//! passwords, factors and memberships. The whole document is checked before anything is written
//! and then written in one transaction; importing the same document again changes nothing
//! (records are matched by id, else by email for users and by name for the others, and a plain
//! password that still verifies keeps its stored hash).

mod format;

pub use format::ImportDocument;

use super::{Engine, EngineResult};
use crate::crypto::token;
use crate::domain::{Application, Factor, Membership, Organization, PasswordHash, User};
use crate::store::ImportBatch;
use format::{ApplicationEntry, OrganizationEntry, UserEntry, invalid};
use serde::Serialize;
use std::collections::HashSet;

/// What an import did, per kind of record.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct ImportReport {
    /// Records that did not exist.
    pub created: usize,
    /// Records that existed and changed.
    pub updated: usize,
    /// Records that existed exactly so.
    pub unchanged: usize,
}

impl ImportReport {
    fn count<T: PartialEq>(&mut self, existing: Option<&T>, new: &T) -> bool {
        match existing {
            None => self.created += 1,
            Some(old) if old == new => {
                self.unchanged += 1;
                return false;
            }
            Some(_) => self.updated += 1,
        }
        true
    }
}

impl Engine {
    /// Parses and imports a JSON document.
    pub async fn import_json(&self, json: &[u8]) -> EngineResult<ImportReport> {
        let doc = format::parse(json)?;
        self.import(&doc).await
    }

    /// Imports a parsed document: all of it, or nothing.
    pub async fn import(&self, doc: &ImportDocument) -> EngineResult<ImportReport> {
        format::validate(doc)?;
        let mut report = ImportReport::default();
        let mut batch = ImportBatch {
            at: Some(self.now()),
            ..ImportBatch::default()
        };
        let mut org_ids = HashSet::new();
        for entry in &doc.organizations {
            let (org, existing) = self.plan_organization(entry).await?;
            org_ids.insert(org.id.clone());
            if report.count(existing.as_ref(), &org) {
                batch.organizations.push(org);
            }
        }
        for (i, entry) in doc.applications.iter().enumerate() {
            let at = format!("$.applications[{i}]");
            if let Some(org) = &entry.organization {
                self.check_org_reference(org, &org_ids, &format!("{at}.organization"))
                    .await?;
            }
            let (planned, existing) = self.plan_application(entry).await?;
            if report.count(existing.as_ref(), &planned) {
                batch.applications.push(planned);
            }
        }
        for (i, entry) in doc.users.iter().enumerate() {
            let at = format!("$.users[{i}]");
            for (k, m) in entry.memberships.iter().enumerate() {
                let path = format!("{at}.memberships[{k}].organization");
                self.check_org_reference(&m.organization, &org_ids, &path)
                    .await?;
            }
            let (planned, existing) = self.plan_user(entry, &at).await?;
            if report.count(existing.as_ref(), &planned) {
                batch.users.push(planned);
            }
        }
        self.store.apply_import(&batch).await?;
        Ok(report)
    }

    async fn check_org_reference(
        &self,
        id: &str,
        in_file: &HashSet<String>,
        path: &str,
    ) -> EngineResult<()> {
        if in_file.contains(id) || self.store.organization_by_id(id).await?.is_some() {
            Ok(())
        } else {
            Err(invalid(
                path,
                format!("no organisation `{id}` in the file or the database"),
            ))
        }
    }

    async fn plan_organization(
        &self,
        e: &OrganizationEntry,
    ) -> EngineResult<(Organization, Option<Organization>)> {
        let existing = match &e.id {
            Some(id) => self.store.organization_by_id(id).await?,
            None => self.store.organization_by_name(&e.name).await?,
        };
        let id =
            e.id.clone()
                .or_else(|| existing.as_ref().map(|o| o.id.clone()));
        let org = Organization {
            id: id.unwrap_or_else(super::users::numeric_id),
            name: e.name.clone(),
            kind: e.kind,
            status: e.status,
            consumer_access: e.consumer_access,
            idp_required: e.idp_required,
        };
        Ok((org, existing))
    }

    async fn plan_application(
        &self,
        e: &ApplicationEntry,
    ) -> EngineResult<(PlannedApp, Option<PlannedApp>)> {
        let existing = match &e.id {
            Some(id) => self.store.application_by_id(id).await?,
            None => self.store.application_by_name(&e.name).await?,
        };
        let existing = match existing {
            Some(app) => {
                let keys = self.store.api_key_hashes_of(&app.id).await?;
                Some((app, keys))
            }
            None => None,
        };
        let id =
            e.id.clone()
                .or_else(|| existing.as_ref().map(|(a, _)| a.id.clone()));
        let mut keys: Vec<String> = e.api_keys.iter().map(|k| token::digest(k)).collect();
        keys.sort();
        keys.dedup();
        let app = Application {
            id: id.unwrap_or_else(|| uuid::Uuid::new_v4().to_string()),
            name: e.name.clone(),
            hostnames: e.hostnames.iter().map(|h| h.to_ascii_lowercase()).collect(),
            organization: e.organization.clone(),
            mfa: e.mfa,
            session_idle: format::duration(e.session.idle.as_deref(), "session.idle")?,
            session_absolute: format::duration(e.session.absolute.as_deref(), "session.absolute")?,
        };
        Ok(((app, keys), existing))
    }

    async fn plan_user(
        &self,
        e: &UserEntry,
        at: &str,
    ) -> EngineResult<(PlannedUser, Option<PlannedUser>)> {
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
                Some((
                    user,
                    memberships.into_iter().map(|(m, _)| m).collect(),
                    factors,
                ))
            }
            None => None,
        };
        let old = existing.as_ref().map(|(u, _, _)| u);
        let user = User {
            id: e
                .id
                .clone()
                .or_else(|| old.map(|u| u.id.clone()))
                .unwrap_or_else(super::users::numeric_id),
            email: email.as_str().to_owned(),
            username: e.username.as_ref().map(|u| u.trim().to_owned()),
            name: e.name.clone().unwrap_or_else(|| email.as_str().to_owned()),
            status: e.status,
            password_hash: self
                .import_hash(
                    e.password.as_deref(),
                    e.password_hash.as_deref(),
                    old.and_then(|u| u.password_hash.as_ref()),
                )
                .await?,
            password_state: e.password_state,
            password_expires_at: e.password_expires_at,
            external_idp: e.external_idp.clone(),
            tooling_password_hash: self
                .import_hash(
                    e.tooling_password.as_deref(),
                    None,
                    old.and_then(|u| u.tooling_password_hash.as_ref()),
                )
                .await?,
            realm: e.realm,
            phone: e.phone.clone(),
            mfa: e.mfa,
        };
        let mut memberships: Vec<Membership> = e
            .memberships
            .iter()
            .map(|m| Membership {
                organization_id: m.organization.clone(),
                role: m.role,
                status: m.status,
            })
            .collect();
        memberships.sort_by(|a, b| a.organization_id.cmp(&b.organization_id));
        let factors = plan_factors(e, &user, existing.as_ref().map(|(_, _, f)| f.as_slice()));
        Ok(((user, memberships, factors), existing))
    }

    /// The hash to store: a given hash as is; a plain password that still verifies against the
    /// stored hash keeps it (so a re-import changes nothing); otherwise a fresh argon2id hash.
    async fn import_hash(
        &self,
        plain: Option<&str>,
        given: Option<&str>,
        stored: Option<&PasswordHash>,
    ) -> EngineResult<Option<PasswordHash>> {
        if let Some(hash) = given {
            return Ok(Some(PasswordHash(hash.to_owned())));
        }
        let Some(plain) = plain else {
            return Ok(stored.cloned());
        };
        let secret = secrecy::SecretString::from(plain.to_owned());
        if let Some(stored) = stored {
            let verdict = self
                .hasher
                .verify(&secret, &stored.0)
                .await
                .map_err(|e| self.hash_error(e))?;
            if verdict.matched {
                return Ok(Some(stored.clone()));
            }
        }
        let hash = self
            .hasher
            .hash(&secret)
            .await
            .map_err(|e| self.hash_error(e))?;
        Ok(Some(PasswordHash(hash)))
    }
}

type PlannedApp = (Application, Vec<String>);
type PlannedUser = (User, Vec<Membership>, Vec<Factor>);

/// The user's factors; the stored ones are kept (with their ids) when the file says the same.
fn plan_factors(e: &UserEntry, user: &User, stored: Option<&[Factor]>) -> Vec<Factor> {
    let mut wanted: Vec<Factor> = e
        .factors
        .iter()
        .map(|f| Factor {
            id: uuid::Uuid::new_v4().to_string(),
            kind: f.kind,
            phone: f.phone.clone().or_else(|| match f.kind {
                crate::domain::FactorKind::Sms => user.phone.clone(),
                _ => None,
            }),
            email: f.email.clone().or_else(|| match f.kind {
                crate::domain::FactorKind::Email => Some(user.email.clone()),
                _ => None,
            }),
            secret: f.secret.clone(),
            status: f.status,
            name: None,
        })
        .collect();
    let key = |f: &Factor| {
        (
            f.kind,
            f.phone.clone(),
            f.email.clone(),
            f.secret.clone(),
            f.status,
        )
    };
    if let Some(stored) = stored {
        let mut old: Vec<_> = stored.iter().map(key).collect();
        let mut new: Vec<_> = wanted.iter().map(key).collect();
        old.sort();
        new.sort();
        if old == new {
            return stored.to_vec();
        }
    }
    wanted.sort_by(|a, b| a.id.cmp(&b.id));
    wanted
}
