//! FHIR intake: a referral that arrived as a FHIR ServiceRequest, stored by the same code
//! as any other referral, plus what FHIR carried that our own model does not keep.

use async_trait::async_trait;
use socialrx_domain::referral::{NewReferral, Referral};
use uuid::Uuid;

use crate::{AuditContext, Created, IdempotencyKey, StoreError};

/// What a FHIR referral carried beyond [`NewReferral`].
#[derive(Debug, Clone, PartialEq)]
pub struct FhirIntake {
    /// The sender's id for its ServiceRequest (resource id or bundle `fullUrl`).
    pub source_id: Option<String>,
    /// The BaRS `X-Request-Id` it arrived with.
    pub request_id: Option<String>,
    /// The original codings (category, code, reasonCode) with the reason each mapped to;
    /// a JSON array of codes, never free text.
    pub codings: serde_json::Value,
    /// What the requester asked for, as sent (code, category, reasonCode,
    /// reasonReference, basedOn, identifier, intent): a JSON object, `Null` when not
    /// kept (received before it was, or cleared by anonymisation: it may hold free text).
    pub requested: serde_json::Value,
}

#[async_trait]
pub trait FhirStore {
    /// Stores a referral to `to` exactly as `refer` does (same statements, same
    /// idempotency, same audit event) and, in the same transaction, its FHIR intake.
    async fn create_fhir_referral(
        &self,
        audit: &AuditContext,
        to: &crate::Recipient,
        referral: NewReferral,
        idempotency: Option<IdempotencyKey>,
        intake: FhirIntake,
    ) -> Result<Created<Referral>, StoreError>;

    /// One referral within `reach` of the caller's organisation (audited as `read` in the
    /// holding service's trail) with its FHIR intake when it arrived through FHIR.
    async fn get_fhir_referral(
        &self,
        audit: &AuditContext,
        reach: crate::Reach,
        id: Uuid,
    ) -> Result<(Referral, Option<FhirIntake>), StoreError>;
}
