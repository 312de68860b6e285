//! The audit trail: read-only from outside. Events are appended by the other stores inside
//! their own transactions; there is deliberately no method to change or delete one.

use async_trait::async_trait;
use time::OffsetDateTime;
use uuid::Uuid;

use crate::{AuditEvent, Page, PageRequest, StoreError};

/// Which events to list; every filter is optional and they combine with AND.
#[derive(Debug, Clone, Default)]
pub struct AuditFilter {
    pub person_id: Option<Uuid>,
    pub actor: Option<String>,
    pub resource_type: Option<String>,
    pub resource_id: Option<Uuid>,
    /// Inclusive lower bound on the event time.
    pub from: Option<OffsetDateTime>,
    /// Exclusive upper bound on the event time.
    pub to: Option<OffsetDateTime>,
}

#[async_trait]
pub trait AuditStore {
    /// The organisation's audit events, newest first.
    async fn list_audit_events(
        &self,
        organisation: &str,
        filter: &AuditFilter,
        page: PageRequest,
    ) -> Result<Page<AuditEvent>, StoreError>;
}
