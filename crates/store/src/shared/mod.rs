// The SQL of socialrx, written once and compiled per backend: `sqlite.rs` and
// `postgres.rs` each `include!` this file after declaring `type Db`, `GROUP_INTAKE` and a
// `Store` struct with `writer`, `reader` and `scanner` pools, the group commits `intake`
// and `read_audit`, and the `runtime` they run on. Keep every statement portable: `$N` placeholders, `ON CONFLICT ... DO NOTHING`, no
// backend-only functions.

use async_trait::async_trait;
use sqlx::QueryBuilder;
use time::OffsetDateTime;
use uuid::Uuid;

use crate::{AuditContext, AuditEvent, StoreError};

include!("rows.rs");
include!("audit.rs");
include!("group_commit.rs");
include!("intake.rs");
include!("referrals.rs");
include!("people.rs");
include!("organisations.rs");
include!("retention.rs");
include!("partners.rs");
include!("fhir.rs");
include!("webhooks.rs");
include!("outcomes.rs");
include!("reports.rs");
include!("link_workers.rs");
include!("lifecycle.rs");
include!("caseload.rs");
include!("casework.rs");
include!("directory.rs");
include!("connections.rs");
include!("agreements.rs");
include!("summary.rs");

#[async_trait]
impl crate::Store for Store {
    fn backend(&self) -> &'static str {
        BACKEND
    }

    async fn ping(&self) -> Result<(), StoreError> {
        sqlx::query("SELECT 1").execute(&self.reader).await?;
        Ok(())
    }
}

/// Now, to the microsecond: PostgreSQL keeps no more, and both backends must agree.
fn now() -> OffsetDateTime {
    let t = OffsetDateTime::now_utc();
    t.replace_nanosecond(t.nanosecond() / 1_000 * 1_000).unwrap_or(t)
}
