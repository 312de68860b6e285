//! The message back to the GP and the referrer (PRSB Social Prescribing Information
//! Standard v1.1): `PUT/GET /v1/referrals/{id}/risks`, `PUT /v1/referrals/{id}/message-back`
//! and the summary itself, `GET /v1/referrals/{id}/summary` as JSON or PDF and
//! `GET /fhir/r4/Composition/{id}/$document` as a FHIR document.
//!
//! The summary is assembled on every read from the record as it stands, so it is never
//! stale; closing a referral, or writing the message back, raises
//! `referral.summary_available`. Its audience decides what it holds: the receiving
//! service's link workers and coordinators see risks and safeguarding; the organisation
//! that sent the referral does not.
//!
//! Here: the handlers. Beside them: `risks` and `message_back` (their bodies and checks),
//! `sections` (the summary's JSON), `build` (filling it from the record for an audience),
//! `document` (the PDF) and `fhir_document` (the FHIR document Bundle).

use std::sync::Arc;

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, web};
use socialrx_store::Store;
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;
use uuid::Uuid;

use crate::access::Authorized;
use crate::auth::Caller;
use crate::endpoint::{Endpoint, endpoint};
use crate::error::ApiError;
use crate::extract::Json;

mod build;
mod document;
mod fhir_document;
mod message_back;
mod risks;
mod sections;

pub use build::{Audience, instrument_name};
pub use message_back::{MessageBackRequest, MessageBackResponse};
pub use risks::{ConcernEntry, RiskEntry, RisksRequest, RisksResponse};
pub use sections::{
    Assessment, AssessmentScore, ContactsSummary, Intervention, PlanAndActions, ReferralSummary,
    SummaryPerson, SummaryReferral, SummaryRisks, SummaryStep,
};

pub const ENDPOINTS: &[Endpoint] = &[
    endpoint!(get_risks, ReadRisks),
    endpoint!(put_risks, ManageRisks),
    endpoint!(put_message_back, WriteMessageBack),
    endpoint!(get_summary, ReadSummary),
    endpoint!(fhir_document::get_document, ReadSummary),
];

#[derive(utoipa::OpenApi)]
#[openapi(
    tags((name = "message back", description = "Risks and safeguarding, and the summary that goes back to the GP and the referrer (PRSB Social Prescribing standard)"))
)]
pub struct Api;

// ---------------------------------------------------------------------------------------
// Risks and safeguarding

/// Record the referral's risks and safeguarding concerns (PRSB "Risks", "Safeguarding").
///
/// Replaces the whole record. At least one risk, or `no_known_risks: true`; each risk or
/// concern a SNOMED CT code, a description (150 characters), or both. Seen only by the
/// receiving service's link workers and coordinators: never in the referrer's view,
/// webhooks, the referrer's copy of the summary, or a partner's answer.
#[utoipa::path(put, path = "/v1/referrals/{id}/risks", tag = "message back", operation_id = "put_risks",
    security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "The referral's id")),
    request_body(content = RisksRequest, content_type = "application/json"),
    responses(
        (status = 200, description = "Recorded", body = RisksResponse),
        (status = 400, description = "The body is not JSON", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 401, description = "No valid token", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 403, description = "The token's roles do not allow this", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such referral in your organisation", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 415, description = "The body is not application/json", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 422, description = "Fields break rules (every problem is listed)", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 503, description = "The database is unavailable", body = crate::error::Problem, content_type = "application/problem+json"),
    ))]
pub async fn put_risks(
    req: HttpRequest,
    caller: Authorized,
    id: web::Path<Uuid>,
    body: Json<RisksRequest>,
    store: web::Data<Arc<dyn Store>>,
) -> Result<HttpResponse, ApiError> {
    let risks = body.value.into_domain()?;
    let stored = store
        .put_risks(&caller.audit(&req), id.into_inner(), risks)
        .await?;
    Ok(HttpResponse::Ok().json(RisksResponse::from(stored)))
}

/// Read the referral's risks and safeguarding concerns.
///
/// 404 when the referral is not your organisation's, or no risks are recorded yet
/// (`detail` says which).
#[utoipa::path(get, path = "/v1/referrals/{id}/risks", tag = "message back", operation_id = "get_risks",
    security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "The referral's id")),
    responses(
        (status = 200, description = "The record", body = RisksResponse),
        (status = 401, description = "No valid token", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 403, description = "The token's roles do not allow this", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such referral in your organisation, or no risks recorded yet", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 503, description = "The database is unavailable", body = crate::error::Problem, content_type = "application/problem+json"),
    ))]
pub async fn get_risks(
    req: HttpRequest,
    caller: Authorized,
    id: web::Path<Uuid>,
    store: web::Data<Arc<dyn Store>>,
) -> Result<HttpResponse, ApiError> {
    match store
        .get_risks(&caller.audit(&req), id.into_inner())
        .await?
    {
        Some(stored) => Ok(HttpResponse::Ok().json(RisksResponse::from(stored))),
        None => Err(ApiError::NotFound),
    }
}

// ---------------------------------------------------------------------------------------
// The link worker's part of the message

/// Write the link worker's part of the message back to the GP and referrer.
///
/// Replaces it whole: the summary of the work, actions for professionals and for the
/// person (absent ones read "No actions required"), and whether the person agreed.
/// Raises `referral.summary_available` for the service's and the referrer's webhooks.
#[utoipa::path(put, path = "/v1/referrals/{id}/message-back", tag = "message back", operation_id = "put_message_back",
    security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "The referral's id")),
    request_body(content = MessageBackRequest, content_type = "application/json"),
    responses(
        (status = 200, description = "Written", body = MessageBackResponse),
        (status = 400, description = "The body is not JSON", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 401, description = "No valid token", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 403, description = "The token's roles do not allow this", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such referral in your organisation", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 415, description = "The body is not application/json", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 422, description = "Fields break rules (every problem is listed)", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 503, description = "The database is unavailable", body = crate::error::Problem, content_type = "application/problem+json"),
    ))]
pub async fn put_message_back(
    req: HttpRequest,
    caller: Authorized,
    id: web::Path<Uuid>,
    body: Json<MessageBackRequest>,
    store: web::Data<Arc<dyn Store>>,
) -> Result<HttpResponse, ApiError> {
    let message = body.value.into_domain()?;
    let stored = store
        .put_message_back(&caller.audit(&req), id.into_inner(), message)
        .await?;
    Ok(HttpResponse::Ok().json(MessageBackResponse::from(stored)))
}

// ---------------------------------------------------------------------------------------
// The summary

/// Whether the caller asked for the PDF rather than JSON.
fn wants_pdf(req: &HttpRequest) -> Result<bool, ApiError> {
    let accept = req
        .headers()
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("application/json");
    let kinds: Vec<&str> = accept
        .split(',')
        .map(|k| k.split(';').next().unwrap_or("").trim())
        .collect();
    let json = kinds
        .iter()
        .any(|k| matches!(*k, "application/json" | "application/*" | "*/*" | ""));
    let pdf = kinds.contains(&"application/pdf");
    match (pdf, json) {
        (true, _) if kinds.first() == Some(&"application/pdf") => Ok(true),
        (_, true) => Ok(false),
        (true, false) => Ok(true),
        (false, false) => Err(ApiError::NotAcceptable(
            "the summary is served as application/json or application/pdf".into(),
        )),
    }
}

/// The summary for the GP and the referrer, as JSON or as a PDF.
///
/// The PRSB Social Prescribing standard's message back: plan and requested actions
/// first (actions for professionals and for the person, "No actions required" when
/// none), what matters to the person, goals and steps, the link worker's summary, every
/// intervention tried (including those that did not work), contacts, and outcome scores
/// first and latest with the change. Risks and safeguarding are in it only for the
/// receiving service's link workers and coordinators; the organisation that sent the
/// referral gets its copy without them. Send `Accept: application/pdf` for the document
/// a practice files in the patient's record (tagged, accessible PDF). Built from the
/// record on every read; audited as `read_summary`.
#[utoipa::path(get, path = "/v1/referrals/{id}/summary", tag = "message back", operation_id = "get_summary",
    security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "The referral's id")),
    responses(
        (status = 200, description = "The summary", content(
            (ReferralSummary = "application/json"),
            (Vec<u8> = "application/pdf"),
        )),
        (status = 401, description = "No valid token", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 403, description = "The token's roles do not allow this", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such referral sent or held by your organisation", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 406, description = "Neither JSON nor PDF is acceptable to the caller", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 503, description = "The database is unavailable", body = crate::error::Problem, content_type = "application/problem+json"),
    ))]
pub async fn get_summary(
    req: HttpRequest,
    caller: Authorized,
    id: web::Path<Uuid>,
    store: web::Data<Arc<dyn Store>>,
) -> Result<HttpResponse, ApiError> {
    let pdf = wants_pdf(&req)?;
    let summary = read_summary(&req, &caller, id.into_inner(), store.as_ref()).await?;
    if !pdf {
        return Ok(HttpResponse::Ok().json(summary));
    }
    let bytes = socialrx_pdf::render(&document::of(&summary))
        .map_err(|e| ApiError::Internal(Box::new(e)))?;
    Ok(HttpResponse::Ok()
        .content_type("application/pdf")
        .insert_header((
            header::CONTENT_DISPOSITION,
            format!("inline; filename=\"summary-{}.pdf\"", summary.reference),
        ))
        .body(bytes))
}

/// The summary of a referral within the caller's reach, as the caller may see it.
async fn read_summary(
    req: &HttpRequest,
    caller: &Caller,
    id: Uuid,
    store: &Arc<dyn Store>,
) -> Result<ReferralSummary, ApiError> {
    let source = store
        .referral_summary(&caller.audit(req), caller.referral_reach(), id)
        .await?;
    let audience = Audience::of(caller, &source);
    Ok(ReferralSummary::build(
        source,
        audience,
        OffsetDateTime::now_utc(),
    ))
}

/// RFC 3339 text, for documents.
fn rfc3339(t: OffsetDateTime) -> String {
    t.format(&Rfc3339).unwrap_or_default()
}
