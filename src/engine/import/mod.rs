//! Provisioning from a JSON document: applications, organisations and users with their
//! passwords, factors and memberships. The whole document is checked before anything is written
//! and then written in one transaction; importing the same document again changes nothing
//! (records are matched by id, else by email for users and by name for the others, and a plain
//! password that still verifies keeps its stored hash). An import never destroys what it does
//! not mention (`users.rs`).

mod format;
mod users;

pub use format::ImportDocument;

use super::{Engine, EngineResult};
use crate::crypto::token;
use crate::domain::{
    Actor, Application, MfaPolicy, OrgKind, OrgStatus, Organization, PasswordHash,
};
use crate::store::ImportBatch;
use format::{ApplicationEntry, OrganizationEntry, invalid};
use serde::Serialize;
use std::collections::HashSet;

/// What an import did, per kind of record.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct ImportReport {
    /// Records that did not exist.
    pub created: usize,
    /// Records that existed and changed.
    pub updated: usize,
    /// Records that existed exactly so.
    pub unchanged: usize,
}

impl ImportReport {
    /// The counts in words, for the audit trail.
    fn summary(&self, options: ImportOptions) -> String {
        format!(
            "created {}, updated {}, unchanged {}{}",
            self.created,
            self.updated,
            self.unchanged,
            if options.replace { " (replace)" } else { "" }
        )
    }

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

/// How an import treats what a document lists.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct ImportOptions {
    /// A user's listed memberships and factors become the whole set (those not listed go);
    /// without it they are added to or updated in what the user has.
    pub replace: bool,
    /// Check and count only: the report says what would change, and nothing is written.
    pub dry_run: bool,
}

/// How far an import has come: users are checked (and their plain passwords hashed) one by
/// one, then everything is written in one transaction.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
pub struct ImportProgress {
    /// Users checked so far.
    pub users_done: usize,
    /// Users in the document.
    pub users_total: usize,
    /// Whether the checks are over and the transaction is being written.
    pub writing: bool,
}

/// Where an import reports its progress (a terminal line, a streamed response).
pub type ProgressSink<'a> = &'a (dyn Fn(ImportProgress) + Send + Sync);

impl Engine {
    /// Parses and imports a JSON document, adding to what exists.
    pub async fn import_json(&self, by: &Actor, json: &[u8]) -> EngineResult<ImportReport> {
        self.import_json_with(by, json, ImportOptions::default(), &|_| {})
            .await
    }

    /// Parses and imports a JSON document with options, reporting progress.
    pub async fn import_json_with(
        &self,
        by: &Actor,
        json: &[u8],
        options: ImportOptions,
        progress: ProgressSink<'_>,
    ) -> EngineResult<ImportReport> {
        let doc = format::parse(json)?;
        self.import(by, &doc, options, progress).await
    }

    /// Imports a parsed document: all of it, or nothing. Audited with its counts.
    pub async fn import(
        &self,
        by: &Actor,
        doc: &ImportDocument,
        options: ImportOptions,
        progress: ProgressSink<'_>,
    ) -> EngineResult<ImportReport> {
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
            if let Some(Some(org)) = &entry.organization {
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
            for (k, m) in entry.memberships.iter().flatten().enumerate() {
                let path = format!("{at}.memberships[{k}].organization");
                self.check_org_reference(&m.organization, &org_ids, &path)
                    .await?;
            }
            let (planned, existing) = self.plan_user(entry, &at, options).await?;
            if report.count(existing.as_ref(), &planned) {
                batch.users.push(planned);
            }
            progress(ImportProgress {
                users_done: i + 1,
                users_total: doc.users.len(),
                writing: false,
            });
        }
        if options.dry_run {
            return Ok(report);
        }
        progress(ImportProgress {
            users_done: doc.users.len(),
            users_total: doc.users.len(),
            writing: true,
        });
        self.store.apply_import(&batch).await?;
        self.cors.clear();
        self.memberships.clear();
        self.audit(super::audit::Event {
            kind: "import",
            outcome: if batch.users.is_empty()
                && batch.organizations.is_empty()
                && batch.applications.is_empty()
            {
                "unchanged"
            } else {
                "success"
            },
            actor: Some(by),
            detail: Some(&report.summary(options)),
            ..super::audit::Event::default()
        })
        .await;
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
        let old = existing.as_ref();
        let org = Organization {
            id: id.unwrap_or_else(super::users::numeric_id),
            name: e.name.clone(),
            kind: e.kind.or(old.map(|o| o.kind)).unwrap_or(OrgKind::Corporate),
            status: e
                .status
                .or(old.map(|o| o.status))
                .unwrap_or(OrgStatus::Active),
            consumer_access: e
                .consumer_access
                .or(old.map(|o| o.consumer_access))
                .unwrap_or(true),
            idp_required: e
                .idp_required
                .or(old.map(|o| o.idp_required))
                .unwrap_or(false),
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
        let old = existing.as_ref();
        let mut keys: Vec<String> = match &e.api_keys {
            Some(given) => given.iter().map(|k| token::digest(k)).collect(),
            None => old.map(|(_, keys)| keys.clone()).unwrap_or_else(Vec::new),
        };
        keys.sort();
        keys.dedup();
        let old = old.map(|(app, _)| app);
        let (idle, absolute) = match &e.session {
            Some(session) => (
                format::duration(session.idle.as_deref(), "session.idle")?,
                format::duration(session.absolute.as_deref(), "session.absolute")?,
            ),
            None => (
                old.and_then(|a| a.session_idle),
                old.and_then(|a| a.session_absolute),
            ),
        };
        let app = Application {
            id: id.unwrap_or_else(|| uuid::Uuid::new_v4().to_string()),
            name: e.name.clone(),
            hostnames: match &e.hostnames {
                Some(given) => given.iter().map(|h| h.to_ascii_lowercase()).collect(),
                None => old.map(|a| a.hostnames.clone()).unwrap_or_else(Vec::new),
            },
            organization: match &e.organization {
                Some(given) => given.clone(),
                None => old.and_then(|a| a.organization.clone()),
            },
            mfa: e.mfa.or(old.map(|a| a.mfa)).unwrap_or(MfaPolicy::Off),
            session_idle: idle,
            session_absolute: absolute,
            cors_origins: match &e.cors_origins {
                Some(given) => given.iter().map(|o| o.to_ascii_lowercase()).collect(),
                None => old.map(|a| a.cors_origins.clone()).unwrap_or_else(Vec::new),
            },
            cors_methods: match &e.cors_methods {
                Some(given) => given.iter().map(|m| m.to_ascii_uppercase()).collect(),
                None => old.map(|a| a.cors_methods.clone()).unwrap_or_else(Vec::new),
            },
            cors_headers: match &e.cors_headers {
                Some(given) => given.iter().map(|h| h.to_ascii_lowercase()).collect(),
                None => old.map(|a| a.cors_headers.clone()).unwrap_or_else(Vec::new),
            },
        };
        Ok(((app, keys), existing))
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
