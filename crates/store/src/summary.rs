//! The message back to the GP and referrer: risks and safeguarding, the link worker's
//! part of the message, and everything the summary document is assembled from.

use async_trait::async_trait;
use socialrx_domain::connection::Connection;
use socialrx_domain::contact::Contact;
use socialrx_domain::message_back::{MessageBack, StoredMessageBack};
use socialrx_domain::plan::StoredPlan;
use socialrx_domain::referral::Referral;
use socialrx_domain::risk::{Risks, StoredRisks};
use uuid::Uuid;

use crate::{AuditContext, Measurement, Reach, ReferralStatusView, StoreError};

/// Everything a referral's summary is made from, read in one transaction.
#[derive(Debug, Clone)]
pub struct SummarySource {
    pub referral: Referral,
    pub status: ReferralStatusView,
    pub plan: StoredPlan,
    pub contacts: Vec<Contact>,
    /// Oldest first, with the activity's name.
    pub connections: Vec<Connection>,
    /// Oldest first.
    pub measurements: Vec<Measurement>,
    pub risks: Option<StoredRisks>,
    pub message: Option<StoredMessageBack>,
}

#[async_trait]
pub trait SummaryStore {
    /// Replaces the risks and safeguarding concerns of a referral the caller's
    /// organisation holds; audited as `update` of `risks`. Another organisation's referral
    /// is `NotFound`.
    async fn put_risks(
        &self,
        audit: &AuditContext,
        referral_id: Uuid,
        risks: Risks,
    ) -> Result<StoredRisks, StoreError>;

    /// The risks and safeguarding concerns recorded for a referral the caller's
    /// organisation holds (`None` until recorded); audited as `read` of `risks`.
    async fn get_risks(
        &self,
        audit: &AuditContext,
        referral_id: Uuid,
    ) -> Result<Option<StoredRisks>, StoreError>;

    /// Replaces the link worker's part of the message back, audited as `update` of
    /// `message_back`, and raises `referral.summary_available` for the holding service's
    /// and the referrer organisation's subscriptions, in the same transaction.
    async fn put_message_back(
        &self,
        audit: &AuditContext,
        referral_id: Uuid,
        message: MessageBack,
    ) -> Result<StoredMessageBack, StoreError>;

    /// What the summary of a referral within `reach` is made from, audited as
    /// `read_summary` in the holding service's trail (naming the reader's organisation
    /// when it is another). Out of reach is `NotFound`. Risks are read whatever the
    /// reader: the summary decides what its audience sees.
    async fn referral_summary(
        &self,
        audit: &AuditContext,
        reach: Reach,
        referral_id: Uuid,
    ) -> Result<SummarySource, StoreError>;
}
