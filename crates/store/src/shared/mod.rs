//! The SQL of socialrx, written once and compiled once per backend: `sqlite.rs` and
//! `postgres.rs` each mount this folder as their module `sql` (`#[path]`), so every
//! statement here is type-checked against both drivers.
//!
//! The seam is the short list imported from `super` below, which each backend file
//! defines: `Db` (the sqlx driver), `BACKEND`, `GROUP_INTAKE` (whether concurrent
//! intakes share a transaction), the two expressions the backends spell differently
//! (`days_between`, `first_in_json_list`) and the `Store` struct with its `writer`,
//! `reader` and `scanner` pools, the group commits `intake` and `read_audit`, and the
//! `runtime` they run on. Everything else must be portable: `$N` placeholders,
//! `ON CONFLICT ... DO NOTHING`, no backend-only functions.
//!
//! Mounting one folder twice is the point, so clippy's `duplicate_mod` (which guards
//! against doing it by mistake) is allowed at the two `mod sql` declarations.

use async_trait::async_trait;
use sqlx::QueryBuilder;
use time::OffsetDateTime;
use uuid::Uuid;

use super::{BACKEND, Db, GROUP_INTAKE, Store, days_between, first_in_json_list};
use crate::{AuditContext, AuditEvent, StoreError};

mod agreements;
mod audit;
mod caseload;
mod casework;
mod connections;
mod directory;
mod fhir;
pub(super) mod group_commit;
pub(super) mod intake;
mod lifecycle;
mod link_workers;
mod organisations;
mod outcomes;
mod partners;
mod people;
mod referrals;
mod reports;
mod retention;
mod rows;
mod summary;
mod timeline;
mod webhooks;

#[async_trait]
impl crate::Store for Store {
    fn backend(&self) -> &'static str {
        BACKEND
    }

    #[tracing::instrument(level = "debug", skip_all)]
    async fn ping(&self) -> Result<(), StoreError> {
        sqlx::query("SELECT 1").execute(&self.reader).await?;
        Ok(())
    }
}

/// Now, to the microsecond: PostgreSQL keeps no more, and both backends must agree.
fn now() -> OffsetDateTime {
    let t = OffsetDateTime::now_utc();
    t.replace_nanosecond(t.nanosecond() / 1_000 * 1_000)
        .unwrap_or(t)
}
