//! Referral agreements: which organisations may refer into a service.

use async_trait::async_trait;
use socialrx_domain::agreement::Referrers;
use time::OffsetDateTime;
use uuid::Uuid;

use crate::{AuditContext, Page, PageRequest, StoreError};

/// One agreement of a receiving service.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReferralAgreement {
    pub id: Uuid,
    /// The receiving service.
    pub organisation: String,
    pub referrers: Referrers,
    pub created_by: String,
    pub created_at: OffsetDateTime,
}

#[async_trait]
pub trait AgreementStore {
    /// Records that the caller's organisation accepts referrals from `referrers`, audited
    /// as `create` of a `referral_agreement`. The same agreement twice is `AlreadyExists`.
    async fn create_agreement(
        &self,
        audit: &AuditContext,
        referrers: Referrers,
    ) -> Result<ReferralAgreement, StoreError>;

    /// A page of the organisation's agreements, newest first.
    async fn list_agreements(
        &self,
        organisation: &str,
        page: PageRequest,
    ) -> Result<Page<ReferralAgreement>, StoreError>;

    /// One agreement of the organisation; another organisation's is `NotFound`.
    async fn get_agreement(
        &self,
        organisation: &str,
        id: Uuid,
    ) -> Result<ReferralAgreement, StoreError>;

    /// Ends an agreement of the caller's organisation: referrals it covered are refused
    /// from then on (those already received stay). Audited as `delete`.
    async fn delete_agreement(&self, audit: &AuditContext, id: Uuid) -> Result<(), StoreError>;

    /// Whether `service` accepts a referral from `referrer` whose token `issuer` signed
    /// (see [`socialrx_domain::agreement::accepts`]).
    async fn accepts_referrals(
        &self,
        service: &str,
        referrer: &str,
        issuer: &str,
    ) -> Result<bool, StoreError>;
}
