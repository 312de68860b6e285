//! socialrx persistence: one [`Store`] trait, a SQLite and a PostgreSQL implementation.
//!
//! [`connect`] picks the backend from the URL scheme. Each method is one use case in one
//! transaction, and every read or write of personal data appends its audit event inside
//! that same transaction: if the audit write fails, so does the operation.
//!
//! The SQL is written once, in `shared/`, and compiled twice: `sqlite.rs` and `postgres.rs`
//! each `include!` it with their own `Db` type. Both drivers take `$N` placeholders and
//! `ON CONFLICT DO NOTHING`, so the statements are the same text on both backends.

mod error;
mod model;
mod postgres;
mod sqlite;
#[cfg(feature = "testing")]
pub mod testing;

use std::sync::Arc;

use async_trait::async_trait;
use socialrx_domain::referral::{NewReferral, Referral};
use uuid::Uuid;

pub use error::StoreError;
pub use model::*;

/// What the service persists. Used as `Arc<dyn Store>`.
#[async_trait]
pub trait Store: Send + Sync {
    /// Which backend this is (`sqlite` or `postgres`), for logs and `/readyz`.
    fn backend(&self) -> &'static str;

    /// One round trip to the database.
    async fn ping(&self) -> Result<(), StoreError>;

    /// Stores a new referral with its person and first status, audited as `create`.
    ///
    /// With an idempotency key: if the organisation already used the key, nothing is
    /// written and the earlier record is returned for the caller to compare and replay.
    async fn create_referral(
        &self,
        audit: &AuditContext,
        referral: NewReferral,
        idempotency: Option<IdempotencyKey>,
    ) -> Result<Created<Referral>, StoreError>;

    /// One referral of the caller's organisation, audited as `read`. Another
    /// organisation's referral is `NotFound`, exactly like a missing one.
    async fn get_referral(&self, audit: &AuditContext, id: Uuid) -> Result<Referral, StoreError>;

    /// A page of the organisation's referrals, newest first; every returned id is audited.
    async fn list_referrals(
        &self,
        audit: &AuditContext,
        filter: &ReferralFilter,
        page: PageRequest,
    ) -> Result<Page<Referral>, StoreError>;

    /// Forgets idempotency keys created before `cutoff`; returns how many.
    async fn purge_idempotency_keys(&self, cutoff: time::OffsetDateTime)
    -> Result<u64, StoreError>;
}

/// Opens the database named by `url` and brings its schema up to date.
///
/// `sqlite:` URLs (and plain paths ending in `.db`) open or create a SQLite file;
/// `postgres://` and `postgresql://` URLs connect to PostgreSQL. Anything else is refused.
pub async fn connect(url: &str, options: &ConnectOptions) -> Result<Arc<dyn Store>, StoreError> {
    match Backend::of(url)? {
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

/// Pool sizing; the defaults suit a small server.
#[derive(Debug, Clone)]
pub struct ConnectOptions {
    pub max_connections: u32,
    pub acquire_timeout: std::time::Duration,
}

impl Default for ConnectOptions {
    fn default() -> Self {
        Self {
            max_connections: 16,
            acquire_timeout: std::time::Duration::from_secs(5),
        }
    }
}
