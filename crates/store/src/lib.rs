//! socialrx persistence: one [`Store`] trait, a SQLite and a PostgreSQL implementation.
//!
//! [`connect`] picks the backend from the URL scheme. Each method is one use case in one
//! transaction. Every write of personal data appends its audit event in that transaction;
//! a read appends its event before it answers (in its own transaction, or in the
//! caseload's case through the `read_audit` group commit, which batches the events of
//! concurrent reads): if the audit write fails, so does the operation.
//!
//! The SQL is written once, in `shared/`, and compiled twice: `sqlite.rs` and `postgres.rs`
//! each mount that folder as their module `sql` with their own `Db` type (the seam is
//! listed at the top of `shared/mod.rs`). Both drivers take `$N` placeholders and
//! `ON CONFLICT DO NOTHING`, so the statements are the same text on both backends.

mod agreements;
mod audit;
mod caseload;
mod casework;
mod connections;
mod directory;
mod error;
mod fhir;
mod lifecycle;
mod link_workers;
mod model;
mod organisations;
mod outcomes;
mod partners;
mod people;
mod postgres;
mod referrals;
mod replica;
mod reports;
mod retention;
mod sqlite;
mod summary;
#[cfg(feature = "testing")]
pub mod testing;
mod webhooks;

use std::sync::Arc;

use async_trait::async_trait;

pub use agreements::{AgreementStore, ReferralAgreement};
pub use audit::{AuditFilter, AuditStore};
pub use caseload::{Caseload, CaseloadItem, CaseloadRead, CaseloadStore, QueueItem};
pub use casework::{
    CaseworkStore, ConnectionMove, ContactRecorded, Event, PlanSaved, TimelineEvent,
};
pub use connections::ConnectionStore;
pub use directory::{ActivityChange, DirectoryStore, DirectorySummary, Upserted};
pub use error::StoreError;
pub use fhir::{FhirIntake, FhirStore};
pub use lifecycle::{
    Assigned, Assignment, LifecycleStore, NewAssignment, Resolved, StatusChange, Transitioned,
};
pub use link_workers::{Deletion, LinkWorkerFilter, LinkWorkerStore, ListedLinkWorker, Versioned};
pub use model::*;
pub use organisations::{Organisation, OrganisationStore, StaffMember};
pub use outcomes::{
    ConnectionSummary, InstrumentWording, Measurement, OutcomeStore, Reach, ReferralStatusView,
    SentFilter, StatusStep,
};
pub use partners::PartnerStore;
pub use people::{CaseRecord, PersonExport, PersonStore};
pub use referrals::{Recipient, ReferralFilter, ReferralStore};
pub use replica::{ReplicaStatus, ReplicaStore};
pub use reports::{CodeCount, DaysToFirstContact, OutcomeChange, ReportStore, Summary};
pub use retention::{RetentionReport, RetentionStore};
pub use summary::{SummarySource, SummaryStore};
pub use webhooks::{
    AttemptOutcome, Delivery, DueDelivery, NewWebhook, RetryPolicy, Webhook, WebhookStore,
};

/// What the service persists. Used as `Arc<dyn Store>`.
///
/// The methods are grouped by aggregate into sub-traits, one file each (`referrals.rs`,
/// ...), implemented once in `shared/` for both backends. `Store` is all of them.
#[async_trait]
pub trait Store:
    ReferralStore
    + AuditStore
    + PersonStore
    + OrganisationStore
    + RetentionStore
    + PartnerStore
    + FhirStore
    + OutcomeStore
    + WebhookStore
    + ReportStore
    + LinkWorkerStore
    + LifecycleStore
    + CaseloadStore
    + CaseworkStore
    + DirectoryStore
    + ConnectionStore
    + AgreementStore
    + SummaryStore
    + ReplicaStore
    + Send
    + Sync
{
    /// Which backend this is (`sqlite` or `postgres`), for logs and `/readyz`.
    fn backend(&self) -> &'static str;

    /// One round trip to the database.
    async fn ping(&self) -> Result<(), StoreError>;
}

/// Opens the database named by `url` and brings its schema up to date.
///
/// `sqlite:` URLs (and plain paths ending in `.db`) open or create a SQLite file;
/// `postgres://` and `postgresql://` URLs connect to PostgreSQL. Anything else is refused.
pub async fn connect(url: &str, options: &ConnectOptions) -> Result<Arc<dyn Store>, StoreError> {
    match Backend::of(url)? {
        Backend::Sqlite if options.read_url.is_some() => Err(StoreError::Config(
            "a read replica (SOCIALRX_READ_DATABASE_URL) needs PostgreSQL; SQLite has none".into(),
        )),
        Backend::Sqlite => Ok(Arc::new(sqlite::Store::connect(url, options).await?)),
        Backend::Postgres => Ok(Arc::new(postgres::Store::connect(url, options).await?)),
    }
}

/// Applies migrations only (for `socialrx migrate`); the same as what [`connect`] does.
pub async fn migrate(url: &str, options: &ConnectOptions) -> Result<&'static str, StoreError> {
    let store = connect(url, options).await?;
    Ok(store.backend())
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

impl Backend {
    pub fn of(url: &str) -> Result<Self, StoreError> {
        if url.starts_with("sqlite:") {
            Ok(Self::Sqlite)
        } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Ok(Self::Postgres)
        } else {
            Err(StoreError::Config(
                "DATABASE_URL must start with sqlite: or postgres:// (for example sqlite:socialrx.db)".into(),
            ))
        }
    }
}

/// Pool sizing, and a read replica; the defaults suit a small server.
#[derive(Clone)]
pub struct ConnectOptions {
    pub max_connections: u32,
    pub acquire_timeout: std::time::Duration,
    /// PostgreSQL: connections opened at connect and kept open. The server opens all of
    /// them: a connection's socket belongs to the runtime that opened it, and one opened
    /// on an HTTP worker's runtime fails every query once that worker stops, as workers
    /// do one by one during a graceful shutdown. Opened at connect, on the main runtime,
    /// they last until the process exits (the pool's maintenance reopens any it loses
    /// there too). Stores opened directly (the contract tests) leave it at 0; the API
    /// tests' apps open their five.
    pub min_connections: u32,
    /// PostgreSQL: a streaming replica for reads that may be a little stale (a second pool
    /// of the same size); `None` reads everything from the primary. Refused on SQLite.
    pub read_url: Option<String>,
}

impl Default for ConnectOptions {
    fn default() -> Self {
        Self {
            max_connections: 16,
            acquire_timeout: std::time::Duration::from_secs(5),
            min_connections: 0,
            read_url: None,
        }
    }
}

// The replica's URL may carry a password: say only whether there is one.
impl std::fmt::Debug for ConnectOptions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ConnectOptions")
            .field("max_connections", &self.max_connections)
            .field("acquire_timeout", &self.acquire_timeout)
            .field("min_connections", &self.min_connections)
            .field("read_replica", &self.read_url.is_some())
            .finish()
    }
}
