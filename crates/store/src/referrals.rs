//! Referrals: intake, reading back, listing.

use async_trait::async_trait;
use socialrx_domain::referral::{NewReferral, Referral, Source, Status};
use uuid::Uuid;

use crate::{AuditContext, Created, IdempotencyKey, Page, PageRequest, StoreError};

#[derive(Debug, Clone, Default)]
pub struct ReferralFilter {
    pub status: Option<Status>,
    pub source: Option<Source>,
}

#[async_trait]
pub trait ReferralStore {
    /// Stores a new referral with its person and first status, audited as `create`.
    ///
    /// With an idempotency key: if the organisation already used the key, nothing is
    /// written and the earlier request's fingerprint and referral id are returned.
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
