//! People: subject access (everything held about a person).

use async_trait::async_trait;
use socialrx_domain::plan::StoredPlan;
use socialrx_domain::referral::Referral;
use uuid::Uuid;

use crate::{AuditContext, AuditEvent, Measurement, StoreError, TimelineEvent};

/// Everything socialrx holds about one person, for a subject access request.
#[derive(Debug, Clone)]
pub struct PersonExport {
    pub person_id: Uuid,
    /// Every referral for the person, oldest first, with the person's details as given.
    pub referrals: Vec<Referral>,
    /// For each referral, in the same order: what happened and what was recorded.
    pub records: Vec<CaseRecord>,
    /// Who accessed the person's data, oldest first.
    pub audit_events: Vec<AuditEvent>,
}

/// Everything recorded in the work on one referral.
#[derive(Debug, Clone)]
pub struct CaseRecord {
    pub referral_id: Uuid,
    /// Status moves, assignments, contacts (with notes), plan versions, duplicate flags,
    /// connections (with notes) and outcome measurements, in order.
    pub timeline: Vec<TimelineEvent>,
    /// Every version of the plan, oldest first.
    pub plans: Vec<StoredPlan>,
    /// Every outcome measurement with its answers, oldest first.
    pub outcomes: Vec<Measurement>,
    /// Risks and safeguarding concerns as recorded (a subject access request covers
    /// them; whoever releases the export decides on any exemption).
    pub risks: Option<socialrx_domain::risk::StoredRisks>,
    /// The link worker's part of the message back to the GP.
    pub message_back: Option<socialrx_domain::message_back::StoredMessageBack>,
}

#[async_trait]
pub trait PersonStore {
    /// Gathers everything about a person of the caller's organisation, audited as `export`.
    async fn export_person(
        &self,
        audit: &AuditContext,
        person_id: Uuid,
    ) -> Result<PersonExport, StoreError>;
}
