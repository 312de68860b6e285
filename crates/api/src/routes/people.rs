//! Subject access: `GET /v1/people/{id}/export`, everything held about a person.

use std::sync::Arc;

use actix_web::{HttpRequest, HttpResponse, web};
use serde::Serialize;
use socialrx_store::{CaseRecord, Store};
use time::OffsetDateTime;
use utoipa::ToSchema;
use uuid::Uuid;

use crate::access::Authorized;
use crate::endpoint::{Endpoint, endpoint};
use crate::error::ApiError;
use crate::routes::audit::AuditEventResponse;
use crate::routes::casework::{PlanResponse, TimelineEventResponse};
use crate::routes::outcomes::{MeasurementResponse, measurement_response};
use crate::routes::referrals::ReferralResponse;

pub const ENDPOINTS: &[Endpoint] = &[endpoint!(export_person, ExportPerson)];

#[derive(utoipa::OpenApi)]
#[openapi(
    tags((name = "people", description = "Data protection: subject access"))
)]
pub struct Api;

/// Everything held about one person, as one document.
#[derive(Debug, Serialize, ToSchema)]
pub struct PersonExportResponse {
    pub person_id: Uuid,
    #[serde(with = "time::serde::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub exported_at: OffsetDateTime,
    /// Every referral for the person, with the details given about them.
    pub referrals: Vec<ReferralResponse>,
    /// For each referral, in the same order, everything recorded in the work with them:
    /// the timeline (contacts and connections with their notes), every version of the
    /// plan, and every outcome measurement with its answers.
    pub case_records: Vec<CaseRecordResponse>,
    /// Every recorded access to their data, oldest first.
    pub audit_events: Vec<AuditEventResponse>,
}

/// Everything recorded in the work on one referral.
#[derive(Debug, Serialize, ToSchema)]
pub struct CaseRecordResponse {
    pub referral_id: Uuid,
    pub timeline: Vec<TimelineEventResponse>,
    pub plans: Vec<PlanResponse>,
    pub outcomes: Vec<MeasurementResponse>,
    /// Risks and safeguarding concerns, when recorded.
    pub risks: Option<crate::routes::summary::RisksResponse>,
    /// The link worker's part of the message back to the GP, when written.
    pub message_back: Option<crate::routes::summary::MessageBackResponse>,
}

impl From<CaseRecord> for CaseRecordResponse {
    fn from(r: CaseRecord) -> Self {
        Self {
            referral_id: r.referral_id,
            timeline: r
                .timeline
                .into_iter()
                .map(TimelineEventResponse::from)
                .collect(),
            plans: r.plans.into_iter().map(PlanResponse::from).collect(),
            outcomes: r
                .outcomes
                .iter()
                .map(|m| measurement_response(m, &r.outcomes))
                .collect(),
            risks: r.risks.map(Into::into),
            message_back: r.message_back.map(Into::into),
        }
    }
}

/// Export everything held about a person (subject access request).
///
/// The export itself is recorded in the audit trail.
#[utoipa::path(get, path = "/v1/people/{id}/export", tag = "people", operation_id = "export_person",
    security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "The person's id (`person.id` of a referral)")),
    responses(
        (status = 200, description = "The person's data", body = PersonExportResponse),
        (status = 401, description = "No valid token", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 403, description = "The token's roles do not allow this", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such person in your organisation", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 503, description = "The database is unavailable", body = crate::error::Problem, content_type = "application/problem+json"),
    ))]
pub async fn export_person(
    req: HttpRequest,
    caller: Authorized,
    id: web::Path<Uuid>,
    store: web::Data<Arc<dyn Store>>,
) -> Result<HttpResponse, ApiError> {
    let export = store
        .export_person(&caller.audit(&req), id.into_inner())
        .await?;
    Ok(HttpResponse::Ok().json(PersonExportResponse {
        person_id: export.person_id,
        exported_at: OffsetDateTime::now_utc(),
        referrals: export
            .referrals
            .into_iter()
            .map(ReferralResponse::from)
            .collect(),
        case_records: export
            .records
            .into_iter()
            .map(CaseRecordResponse::from)
            .collect(),
        audit_events: export
            .audit_events
            .into_iter()
            .map(AuditEventResponse::from)
            .collect(),
    }))
}
