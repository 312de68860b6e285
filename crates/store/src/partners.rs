//! Partner forms: websites of an organisation's partners that post self-referrals.

use async_trait::async_trait;
use socialrx_domain::partner::{NewPartner, Partner};
use uuid::Uuid;

use crate::{AuditContext, Page, PageRequest, StoreError};

#[async_trait]
pub trait PartnerStore {
    /// Registers a partner form of the caller's organisation, active, with the SHA-256 of
    /// its key (the key itself is never stored). Audited as `create` of a `partner`.
    async fn create_partner(
        &self,
        audit: &AuditContext,
        partner: NewPartner,
        key_hash: &str,
        key_prefix: &str,
    ) -> Result<Partner, StoreError>;

    /// A page of the organisation's partners, newest first, revoked ones included.
    async fn list_partners(
        &self,
        organisation: &str,
        page: PageRequest,
    ) -> Result<Page<Partner>, StoreError>;

    /// Revokes a partner of the caller's organisation: its key is refused from then on.
    /// Revoking a revoked partner changes nothing. Another organisation's partner is
    /// `NotFound`. Audited as `disable` of a `partner`.
    async fn disable_partner(&self, audit: &AuditContext, id: Uuid) -> Result<Partner, StoreError>;

    /// The partner, active or not, whose key hashes to `key_hash`; `NotFound` if none.
    /// Not scoped to an organisation: the key is what names the organisation.
    async fn find_partner_by_key(&self, key_hash: &str) -> Result<Partner, StoreError>;

    /// Whether any active partner lists `origin` (the CORS preflight rule: a preflight
    /// carries no key).
    async fn origin_allowed(&self, origin: &str) -> Result<bool, StoreError>;

    /// Counts one hit on each bucket for the minute `window` (Unix seconds / 60) and
    /// returns each bucket's hits so far in that minute, in order: the self-referral rate
    /// limits, shared by every instance of the service. One transaction.
    async fn count_rate_limit_hits(
        &self,
        buckets: &[String],
        window: i64,
    ) -> Result<Vec<u32>, StoreError>;

    /// Forgets the hits of minutes before `window`.
    async fn purge_rate_limit_hits(&self, window: i64) -> Result<u64, StoreError>;
}
