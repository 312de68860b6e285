//! Caseloads and the coordinator's queue: what needs attention, in order.

use async_trait::async_trait;
use socialrx_domain::caseload::{CaseloadScope, Priority};
use socialrx_domain::link_worker::LinkWorker;
use socialrx_domain::referral::{Reason, ReferralReference, Source, Status, Urgency};
use time::{Date, OffsetDateTime};
use uuid::Uuid;

use crate::{AuditContext, Page, PageRequest, StoreError};

/// One open referral in a caseload, with its place's reason.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CaseloadItem {
    pub referral_id: Uuid,
    pub reference: ReferralReference,
    pub status: Status,
    pub urgency: Urgency,
    pub reasons: Vec<Reason>,
    pub given_name: String,
    pub family_name: String,
    pub received_at: OffsetDateTime,
    pub assigned_at: Option<OffsetDateTime>,
    pub first_contact_at: Option<OffsetDateTime>,
    pub last_contact_at: Option<OffsetDateTime>,
    pub next_follow_up_on: Option<Date>,
    pub priority: Priority,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Caseload {
    pub link_worker: LinkWorker,
    pub assigned: u32,
    pub in_progress: u32,
    /// Ordered by what needs attention first (`caseload::prioritise`).
    pub items: Vec<CaseloadItem>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CaseloadRead {
    Found(Caseload),
    /// The caller may only read their own caseload, and this is someone else's.
    NotPermitted,
}

/// One unassigned referral in the coordinator's queue.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QueueItem {
    pub referral_id: Uuid,
    pub reference: ReferralReference,
    pub status: Status,
    pub urgency: Urgency,
    pub source: Source,
    pub reasons: Vec<Reason>,
    pub given_name: String,
    pub family_name: String,
    pub received_at: OffsetDateTime,
    pub possible_duplicates: Vec<Uuid>,
}

#[async_trait]
pub trait CaseloadStore {
    /// A link worker's open referrals (assigned or in progress) in priority order on
    /// `today`, with counts by state. Every listed referral is audited as `list`.
    async fn caseload(
        &self,
        audit: &AuditContext,
        link_worker_id: Uuid,
        scope: &CaseloadScope,
        today: Date,
    ) -> Result<CaseloadRead, StoreError>;

    /// The organisation's unassigned referrals (received or accepted), oldest first; every
    /// listed referral is audited as `list`.
    async fn queue(
        &self,
        audit: &AuditContext,
        page: PageRequest,
    ) -> Result<Page<QueueItem>, StoreError>;
}
