//! People: subject access (everything held about a person).

use async_trait::async_trait;
use socialrx_domain::referral::Referral;
use uuid::Uuid;

use crate::{AuditContext, AuditEvent, StoreError};

/// Everything socialrx holds about one person, for a subject access request.
#[derive(Debug, Clone)]
pub struct PersonExport {
    pub person_id: Uuid,
    /// Every referral for the person, oldest first, with the person's details as given.
    pub referrals: Vec<Referral>,
    /// Who accessed the person's data, oldest first.
    pub audit_events: Vec<AuditEvent>,
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
