//! Referrals: intake, reading back, listing.

use async_trait::async_trait;
use socialrx_domain::referral::{NewReferral, Referral, Source, Status};
use uuid::Uuid;

use crate::{AuditContext, Created, IdempotencyKey, Page, PageRequest, StoreError};

/// Where a referral goes: the receiving service, and the identity provider that signed
/// the sender's token (an agreement may let in every organisation of one).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Recipient {
    /// The receiving service's ODS code.
    pub service: String,
    /// The sender's token's `iss`.
    pub issuer: String,
}

impl Recipient {
    /// The caller's own organisation, which always accepts its own referrals.
    pub fn own(audit: &AuditContext) -> Self {
        Self {
            service: audit.organisation.clone(),
            issuer: String::new(),
        }
    }
}

#[derive(Debug, Clone, Default)]
pub struct ReferralFilter {
    pub status: Option<Status>,
    pub source: Option<Source>,
}

#[async_trait]
pub trait ReferralStore: Sync {
    /// Stores a new referral from the caller's organisation to the receiving service `to`
    /// (which holds it and its person), with its first status, audited as `create` in
    /// `to`'s trail. `to` must accept referrals from the caller, whose token `issuer`
    /// signed (its own organisation, or a referral agreement); otherwise nothing is written
    /// and the answer is `Invalid` at `receiving_service` (`not_accepted`).
    ///
    /// With an idempotency key: if the caller's organisation already used the key, nothing
    /// is written and the earlier request's fingerprint and referral id are returned, even
    /// when the agreement has ended since (the first request was accepted).
    async fn refer(
        &self,
        audit: &AuditContext,
        to: &Recipient,
        referral: NewReferral,
        idempotency: Option<IdempotencyKey>,
    ) -> Result<Created<Referral>, StoreError>;

    /// [`ReferralStore::refer`] to the caller's own organisation.
    async fn create_referral(
        &self,
        audit: &AuditContext,
        referral: NewReferral,
        idempotency: Option<IdempotencyKey>,
    ) -> Result<Created<Referral>, StoreError> {
        let own = Recipient::own(audit);
        self.refer(audit, &own, referral, idempotency).await
    }

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
