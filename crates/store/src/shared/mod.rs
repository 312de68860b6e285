// The SQL of socialrx, written once and compiled per backend: `sqlite.rs` and
// `postgres.rs` each `include!` this file after declaring `type Db` and a `Store` struct
// with a `writer` and a `reader` pool. Keep every statement portable: `$N` placeholders,
// `ON CONFLICT ... DO NOTHING`, no backend-only functions.

use async_trait::async_trait;
use socialrx_domain::referral::{NewReferral, Referral};
use sqlx::QueryBuilder;
use time::OffsetDateTime;
use uuid::Uuid;

use crate::{
    AuditContext, AuditEvent, Created, IdempotencyKey, Page, PageRequest, ReferralFilter,
    StoreError,
};

include!("rows.rs");
include!("audit.rs");
include!("referrals.rs");

#[async_trait]
impl crate::Store for Store {
    fn backend(&self) -> &'static str {
        BACKEND
    }

    async fn ping(&self) -> Result<(), StoreError> {
        sqlx::query("SELECT 1").execute(&self.reader).await?;
        Ok(())
    }

    async fn create_referral(
        &self,
        audit: &AuditContext,
        referral: NewReferral,
        idempotency: Option<IdempotencyKey>,
    ) -> Result<Created<Referral>, StoreError> {
        referrals::create(&self.writer, audit, referral, idempotency).await
    }

    async fn get_referral(&self, audit: &AuditContext, id: Uuid) -> Result<Referral, StoreError> {
        referrals::get(&self.writer, audit, id).await
    }

    async fn list_referrals(
        &self,
        audit: &AuditContext,
        filter: &ReferralFilter,
        page: PageRequest,
    ) -> Result<Page<Referral>, StoreError> {
        referrals::list(&self.writer, audit, filter, page).await
    }

    async fn purge_idempotency_keys(&self, cutoff: OffsetDateTime) -> Result<u64, StoreError> {
        let done = sqlx::query("DELETE FROM idempotency_keys WHERE created_at < $1")
            .bind(cutoff)
            .execute(&self.writer)
            .await?;
        Ok(done.rows_affected())
    }
}

/// Now, to the microsecond: PostgreSQL keeps no more, and both backends must agree.
fn now() -> OffsetDateTime {
    let t = OffsetDateTime::now_utc();
    t.replace_nanosecond(t.nanosecond() / 1_000 * 1_000).unwrap_or(t)
}
