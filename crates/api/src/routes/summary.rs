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

use std::sync::Arc;

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, web};
use serde::{Deserialize, Serialize};
use socialrx_domain::message_back::{self, MessageBack, StoredMessageBack};
use socialrx_domain::outcome::Instrument;
use socialrx_domain::referrer_view::InstrumentSummary;
use socialrx_domain::risk::{self, Concern, Risk, Risks, StoredRisks};
use socialrx_domain::snomed::ConceptId;
use socialrx_domain::{FieldError, Role, Violations, text};
use socialrx_store::{Store, SummarySource};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;
use utoipa::ToSchema;
use uuid::Uuid;

use crate::access::Authorized;
use crate::auth::Caller;
use crate::endpoint::{Endpoint, endpoint};
use crate::error::ApiError;
use crate::extract::Json;
use crate::routes::referrals::parse_date;

mod document;
mod fhir_document;

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

pub use fhir_document::get_document as fhir_document;

// ---------------------------------------------------------------------------------------
// Risks and safeguarding

/// A risk to the person or others: a SNOMED CT code (a finding of at risk), a
/// description, or both.
#[derive(Debug, Clone, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RiskEntry {
    /// SNOMED CT concept id (e.g. a descendant of 281694009 |Finding of at risk|).
    #[schema(max_length = 18, pattern = r"^\s*[1-9][0-9]{5,17}\s*$")]
    pub code: Option<String>,
    /// At most 150 characters.
    #[schema(max_length = 150, pattern = r"^[^\x00-\x1f\x7f-\x9f]*$")]
    pub description: Option<String>,
    /// At most 150 characters.
    #[schema(max_length = 150, pattern = r"^[^\x00-\x1f\x7f-\x9f]*$")]
    pub comment: Option<String>,
    /// `YYYY-MM-DD`.
    #[schema(format = Date, max_length = 10)]
    pub started_on: Option<String>,
    /// `YYYY-MM-DD`, not before `started_on`.
    #[schema(format = Date, max_length = 10)]
    pub ended_on: Option<String>,
}

/// A safeguarding concern: a SNOMED CT code (safeguarding issues), a description, or both.
#[derive(Debug, Clone, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ConcernEntry {
    #[schema(max_length = 18, pattern = r"^\s*[1-9][0-9]{5,17}\s*$")]
    pub code: Option<String>,
    #[schema(max_length = 150, pattern = r"^[^\x00-\x1f\x7f-\x9f]*$")]
    pub description: Option<String>,
    #[schema(max_length = 150, pattern = r"^[^\x00-\x1f\x7f-\x9f]*$")]
    pub comment: Option<String>,
    #[schema(format = Date, max_length = 10)]
    pub identified_on: Option<String>,
    #[schema(format = Date, max_length = 10)]
    pub ended_on: Option<String>,
}

/// The whole record of risks and safeguarding, as it should be from now on.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({
    "no_known_risks": false,
    "risks": [{"description": "Falls at home", "comment": "Uses a stick outdoors", "started_on": "2026-10-01"}],
    "safeguarding": []
}))]
pub struct RisksRequest {
    /// "No known risks", said in so many words; then `risks` must be empty.
    #[serde(default)]
    pub no_known_risks: bool,
    /// At least one unless `no_known_risks`; at most 20.
    #[serde(default)]
    #[schema(max_items = 20)]
    pub risks: Vec<RiskEntry>,
    /// At most 20.
    #[serde(default)]
    #[schema(max_items = 20)]
    pub safeguarding: Vec<ConcernEntry>,
}

#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({
    "referral_id": "019a9f6e-2b1c-7d40-9a51-3c2f1e0d4b7a", "no_known_risks": false,
    "risks": [{"code": null, "description": "Falls at home", "comment": "Uses a stick outdoors", "started_on": "2026-10-01", "ended_on": null}],
    "safeguarding": [], "updated_by": "idp|sam.taylor", "updated_at": "2026-11-23T10:31:00Z"
}))]
pub struct RisksResponse {
    pub referral_id: Uuid,
    pub no_known_risks: bool,
    pub risks: Vec<RiskEntry>,
    pub safeguarding: Vec<ConcernEntry>,
    pub updated_by: String,
    #[serde(with = "time::serde::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub updated_at: OffsetDateTime,
}

/// One entry's common fields, checked: code, description, comment, period.
struct Entry {
    code: Option<ConceptId>,
    description: Option<String>,
    comment: Option<String>,
    from: Option<time::Date>,
    to: Option<time::Date>,
}

#[allow(clippy::too_many_arguments)]
fn entry(
    v: &mut Violations,
    at: &str,
    code: Option<&str>,
    description: Option<&str>,
    comment: Option<&str>,
    (from_name, from): (&str, Option<&str>),
    to: Option<&str>,
) -> Option<Entry> {
    let code = v.check_opt(&format!("{at}.code"), code, ConceptId::parse);
    let description = v
        .check_opt(&format!("{at}.description"), description, |d| {
            text::optional_label(d, risk::TEXT)
        })
        .map(Option::flatten);
    let comment = v
        .check_opt(&format!("{at}.comment"), comment, |c| {
            text::optional_label(c, risk::TEXT)
        })
        .map(Option::flatten);
    let from = v.check_opt(&format!("{at}.{from_name}"), from, parse_date);
    let to = v.check_opt(&format!("{at}.ended_on"), to, parse_date);
    if let (Some(code), Some(description)) = (&code, &description) {
        v.check(at, risk::check_entry(code.as_ref(), description.as_deref()));
    }
    if let (Some(from), Some(to)) = (from, to) {
        v.check(&format!("{at}.ended_on"), risk::check_period(from, to));
    }
    Some(Entry {
        code: code?,
        description: description?,
        comment: comment?,
        from: from?,
        to: to?,
    })
}

impl RisksRequest {
    fn into_domain(self) -> Result<Risks, Vec<FieldError>> {
        let mut v = Violations::new();
        v.check("risks", Risks::check(self.no_known_risks, self.risks.len()));
        if self.safeguarding.len() > risk::MAX_ENTRIES {
            v.push(FieldError::new(
                "safeguarding",
                "too_many",
                format!("must have at most {} entries", risk::MAX_ENTRIES),
            ));
        }
        let mut risks = Vec::new();
        for (i, r) in self.risks.iter().enumerate() {
            if let Some(e) = entry(
                &mut v,
                &format!("risks[{i}]"),
                r.code.as_deref(),
                r.description.as_deref(),
                r.comment.as_deref(),
                ("started_on", r.started_on.as_deref()),
                r.ended_on.as_deref(),
            ) {
                risks.push(Risk {
                    code: e.code,
                    description: e.description,
                    comment: e.comment,
                    started_on: e.from,
                    ended_on: e.to,
                });
            }
        }
        let mut safeguarding = Vec::new();
        for (i, c) in self.safeguarding.iter().enumerate() {
            if let Some(e) = entry(
                &mut v,
                &format!("safeguarding[{i}]"),
                c.code.as_deref(),
                c.description.as_deref(),
                c.comment.as_deref(),
                ("identified_on", c.identified_on.as_deref()),
                c.ended_on.as_deref(),
            ) {
                safeguarding.push(Concern {
                    code: e.code,
                    description: e.description,
                    comment: e.comment,
                    identified_on: e.from,
                    ended_on: e.to,
                });
            }
        }
        v.finish(|| {
            Some(Risks {
                no_known_risks: self.no_known_risks,
                risks,
                safeguarding,
            })
        })
    }
}

fn risk_entry(r: &Risk) -> RiskEntry {
    RiskEntry {
        code: r.code.as_ref().map(|c| c.to_string()),
        description: r.description.clone(),
        comment: r.comment.clone(),
        started_on: r.started_on.map(|d| d.to_string()),
        ended_on: r.ended_on.map(|d| d.to_string()),
    }
}

fn concern_entry(c: &Concern) -> ConcernEntry {
    ConcernEntry {
        code: c.code.as_ref().map(|c| c.to_string()),
        description: c.description.clone(),
        comment: c.comment.clone(),
        identified_on: c.identified_on.map(|d| d.to_string()),
        ended_on: c.ended_on.map(|d| d.to_string()),
    }
}

impl From<StoredRisks> for RisksResponse {
    fn from(s: StoredRisks) -> Self {
        Self {
            referral_id: s.referral_id,
            no_known_risks: s.risks.no_known_risks,
            risks: s.risks.risks.iter().map(risk_entry).collect(),
            safeguarding: s.risks.safeguarding.iter().map(concern_entry).collect(),
            updated_by: s.updated_by,
            updated_at: s.updated_at,
        }
    }
}

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

/// What the link worker writes for the GP and the referrer.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({
    "summary": "Margaret was finding mornings hard. With a supported first visit she now goes to the local history group every week and volunteers in its oral history project.",
    "actions_for_professionals": null,
    "actions_for_person": "Keep going to the group; arrange the sitter for Thursdays.",
    "agreed_with_person": true
}))]
pub struct MessageBackRequest {
    /// The link worker's summary of the work ("Clinical summary"). At most 4000.
    #[schema(
        max_length = 4000,
        pattern = r"^[^\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]*$"
    )]
    pub summary: Option<String>,
    /// What the GP or other professionals are asked to do. Absent: "No actions required".
    #[schema(
        max_length = 4000,
        pattern = r"^[^\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]*$"
    )]
    pub actions_for_professionals: Option<String>,
    /// What the person or their carer will do. Absent: "No actions required".
    #[schema(
        max_length = 4000,
        pattern = r"^[^\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]*$"
    )]
    pub actions_for_person: Option<String>,
    /// Whether the person (or their legitimate representative) agreed the plan.
    pub agreed_with_person: Option<bool>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct MessageBackResponse {
    pub referral_id: Uuid,
    pub summary: Option<String>,
    /// Never blank: "No actions required" when none were written.
    pub actions_for_professionals: String,
    pub actions_for_person: String,
    pub agreed_with_person: Option<bool>,
    pub updated_by: String,
    #[serde(with = "time::serde::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub updated_at: OffsetDateTime,
}

impl MessageBackRequest {
    fn into_domain(self) -> Result<MessageBack, Vec<FieldError>> {
        let mut v = Violations::new();
        let mut long = |field: &str, value: Option<String>| {
            v.check_opt(field, value, |t| text::free_text(&t, message_back::TEXT))
                .map(Option::flatten)
        };
        let summary = long("summary", self.summary);
        let professionals = long("actions_for_professionals", self.actions_for_professionals);
        let person = long("actions_for_person", self.actions_for_person);
        v.finish(|| {
            Some(MessageBack {
                summary: summary?,
                actions_for_professionals: professionals?,
                actions_for_person: person?,
                agreed_with_person: self.agreed_with_person,
            })
        })
    }
}

impl From<StoredMessageBack> for MessageBackResponse {
    fn from(s: StoredMessageBack) -> Self {
        Self {
            referral_id: s.referral_id,
            actions_for_professionals: s.message.professional_actions_or_none().to_owned(),
            actions_for_person: s.message.person_actions_or_none().to_owned(),
            summary: s.message.summary,
            agreed_with_person: s.message.agreed_with_person,
            updated_by: s.updated_by,
            updated_at: s.updated_at,
        }
    }
}

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

/// Who reads a summary decides what it holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Audience {
    /// The receiving service's link workers and coordinators: everything, with risks and
    /// safeguarding.
    Service,
    /// The organisation that sent the referral: no risks, no safeguarding.
    Referrer,
}

impl Audience {
    pub fn of(caller: &Caller, source: &SummarySource) -> Self {
        let staff = caller
            .roles
            .iter()
            .any(|r| matches!(r, Role::LinkWorker | Role::Coordinator));
        if staff && caller.organisation.as_str() == source.referral.organisation {
            Audience::Service
        } else {
            Audience::Referrer
        }
    }

    fn as_str(self) -> &'static str {
        match self {
            Audience::Service => "service",
            Audience::Referrer => "referrer",
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct SummaryPerson {
    pub given_name: String,
    pub family_name: String,
    pub pronouns: Option<String>,
    /// Whether the person is a carer (SNOMED CT 224484003).
    pub carer: Option<bool>,
    pub nhs_number: Option<String>,
    #[schema(value_type = String, format = Date)]
    pub date_of_birth: String,
    /// The person's registered GP practice (ODS code).
    pub gp_practice: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct SummaryReferral {
    pub source: &'static str,
    pub reasons: Vec<&'static str>,
    pub referrer_name: String,
    pub referrer_role: Option<String>,
    pub referrer_contact_details: Option<String>,
    /// PRSB "Referral method".
    pub referral_method: Option<&'static str>,
    /// The reason for referral in the referrer's words.
    pub reason_text: Option<String>,
    /// The professional to answer, when not the referrer.
    pub return_response_to: Option<String>,
    /// The organisation that sent the referral (ODS code).
    pub referrer_organisation: String,
    /// The service that received it (ODS code).
    pub receiving_service: String,
    pub status: &'static str,
    #[serde(with = "time::serde::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub received_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339::option")]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub closed_at: Option<OffsetDateTime>,
    pub closure_reason: Option<&'static str>,
}

/// The standard's "Plan and requested actions", shown first.
#[derive(Debug, Serialize, ToSchema)]
pub struct PlanAndActions {
    /// Never blank: "No actions required" when there are none.
    pub actions_for_professionals: String,
    pub actions_for_person: String,
    pub agreed_with_person: Option<bool>,
    pub what_matters_to_me: Option<String>,
    /// The person's strengths and assets (care and support plan).
    pub strengths: Vec<String>,
    pub goals: Vec<String>,
    pub steps: Vec<SummaryStep>,
    #[schema(value_type = Option<String>, format = Date)]
    pub planned_review_on: Option<String>,
    pub review_by: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct SummaryStep {
    pub text: String,
    pub status: &'static str,
    #[schema(value_type = Option<String>, format = Date)]
    pub due_on: Option<String>,
    /// Who carries it out.
    pub who: Option<String>,
    /// The person's confidence to do it, 1 to 10.
    pub confidence: Option<u8>,
}

/// An activity the person was connected to, including those that did not work.
#[derive(Debug, Serialize, ToSchema)]
pub struct Intervention {
    pub activity: String,
    pub status: &'static str,
    /// `worked`, `did_not_work` or `not_started`.
    pub how_it_went: &'static str,
    pub supported_first_attendance: bool,
}

/// Contacts that happened (`outcome` `attended`); missed and cancelled ones are only
/// counted, in `not_attended`.
#[derive(Debug, Serialize, ToSchema)]
pub struct ContactsSummary {
    pub count: usize,
    #[serde(with = "time::serde::rfc3339::option")]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub first_at: Option<OffsetDateTime>,
    #[serde(with = "time::serde::rfc3339::option")]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub last_at: Option<OffsetDateTime>,
    /// How each contact happened (consultation method), counted.
    pub by_method: std::collections::BTreeMap<&'static str, usize>,
    /// Contacts that did not happen: the person did not attend, or either side cancelled.
    pub not_attended: usize,
}

/// One measurement in the standard's "Assessments" shape: the instrument, its total
/// score and its item scores.
#[derive(Debug, Serialize, ToSchema)]
pub struct Assessment {
    /// Our instrument code (`ons4`, `swemwbs`, `ucla3`).
    pub instrument: &'static str,
    pub name: &'static str,
    pub time_point: &'static str,
    #[schema(value_type = String, format = Date)]
    pub measured_on: String,
    /// The instrument's headline score (SWEMWBS metric score, UCLA-3 total, ONS4 life
    /// satisfaction) and every scale.
    pub scores: Vec<AssessmentScore>,
    /// The item answers, in the instrument's order.
    pub items: Vec<i64>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct AssessmentScore {
    pub scale: String,
    pub value: f64,
}

#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({
    "referral_id": "019a9f6e-2b1c-7d40-9a51-3c2f1e0d4b7a", "reference": "SRX-7K3M-9QPD", "audience": "referrer",
    "generated_at": "2027-02-01T09:00:00Z",
    "person": {"given_name": "Margaret", "family_name": "Hughes", "nhs_number": "9434765919", "date_of_birth": "1971-03-14", "gp_practice": "B85001"},
    "referral": {"source": "gp", "reasons": ["low_mood_anxiety", "carer_support"], "referrer_name": "Dr A Patel", "referrer_role": "GP", "referrer_organisation": "B85001", "receiving_service": "Y02794", "status": "closed", "received_at": "2026-11-13T09:30:00Z", "closed_at": "2027-02-01T09:00:00Z", "closure_reason": "goals_met"},
    "plan_and_requested_actions": {"actions_for_professionals": "No actions required", "actions_for_person": "Keep going to the group.", "agreed_with_person": true, "what_matters_to_me": "Local and family history; crochet.", "goals": ["Get out of the house twice a week"], "steps": [{"text": "Supported visit to the local history group", "status": "done", "due_on": "2026-11-30"}]},
    "link_worker_summary": "Now attends the local history group weekly.",
    "interventions": [{"activity": "Local history group", "status": "attending", "how_it_went": "worked", "supported_first_attendance": true}, {"activity": "Knit and natter", "status": "declined", "how_it_went": "did_not_work", "supported_first_attendance": false}],
    "contacts": {"count": 3, "first_at": "2026-11-16T10:00:00Z", "last_at": "2027-01-20T10:00:00Z", "by_method": {"phone": 2, "supported_attendance": 1}, "not_attended": 1},
    "outcomes": [{"instrument": "swemwbs", "baseline_on": "2026-11-16", "latest_on": "2027-01-20", "latest_time_point": "follow_up", "changes": [{"scale": "metric", "baseline": 17.43, "value": 21.54, "change": 4.11, "improved": true}]}],
    "assessments": [],
    "risks": null, "safeguarding": null
}))]
pub struct ReferralSummary {
    pub referral_id: Uuid,
    pub reference: String,
    /// `service` (with risks and safeguarding) or `referrer` (without).
    pub audience: &'static str,
    #[serde(with = "time::serde::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub generated_at: OffsetDateTime,
    pub person: SummaryPerson,
    pub referral: SummaryReferral,
    pub plan_and_requested_actions: PlanAndActions,
    pub link_worker_summary: Option<String>,
    pub interventions: Vec<Intervention>,
    pub contacts: ContactsSummary,
    /// Per instrument, first and latest scores with the change.
    #[schema(value_type = Vec<Object>)]
    pub outcomes: Vec<InstrumentSummary>,
    pub assessments: Vec<Assessment>,
    /// Only for the receiving service's staff; `null` in the referrer's copy.
    pub risks: Option<SummaryRisks>,
    /// Only for the receiving service's staff; `null` in the referrer's copy.
    pub safeguarding: Option<Vec<ConcernEntry>>,
    /// Set in the referrer's copy when the person did not agree to share information:
    /// the casework (plan, activities, contacts, scores, the link worker's summary) is
    /// left out, and this says why.
    pub withheld: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct SummaryRisks {
    /// `false` with no risks listed means none has been recorded yet.
    pub no_known_risks: bool,
    pub risks: Vec<RiskEntry>,
}

pub fn instrument_name(i: Instrument) -> &'static str {
    match i {
        Instrument::Ons4 => "ONS personal wellbeing (ONS4)",
        Instrument::Swemwbs => "Short Warwick-Edinburgh Mental Wellbeing Scale (SWEMWBS)",
        Instrument::Ucla3 => "UCLA three-item loneliness scale",
    }
}

impl ReferralSummary {
    pub fn build(source: SummarySource, audience: Audience, now: OffsetDateTime) -> Self {
        let view = source.status.referrer_view();
        let r = &source.referral;
        let d = &r.details;
        let message = source.message.as_ref().map(|m| &m.message);
        let none = MessageBack::default();
        let m = message.unwrap_or(&none);
        let (attended, not_attended): (Vec<_>, Vec<_>) = source
            .contacts
            .iter()
            .partition(|c| c.details.outcome.happened());
        let mut by_method = std::collections::BTreeMap::new();
        for c in &attended {
            *by_method.entry(c.details.mode.as_str()).or_insert(0) += 1;
        }
        let (risks, safeguarding) = match (audience, &source.risks) {
            (Audience::Service, Some(s)) => (
                Some(SummaryRisks {
                    no_known_risks: s.risks.no_known_risks,
                    risks: s.risks.risks.iter().map(risk_entry).collect(),
                }),
                Some(s.risks.safeguarding.iter().map(concern_entry).collect()),
            ),
            (Audience::Service, None) => (
                Some(SummaryRisks {
                    no_known_risks: false,
                    risks: Vec::new(),
                }),
                Some(Vec::new()),
            ),
            (Audience::Referrer, _) => (None, None),
        };
        let mut summary = Self {
            referral_id: r.id,
            reference: r.reference.as_str().to_owned(),
            audience: audience.as_str(),
            generated_at: now,
            person: SummaryPerson {
                given_name: d.person.given_name.clone(),
                family_name: d.person.family_name.clone(),
                pronouns: d.person.about_me.pronouns.clone(),
                carer: d.person.about_me.carer,
                nhs_number: d.person.nhs_number.as_ref().map(|n| n.as_string()),
                date_of_birth: d.person.date_of_birth.to_string(),
                gp_practice: d
                    .person
                    .registered_practice
                    .as_ref()
                    .map(|o| o.as_str().to_owned()),
            },
            referral: SummaryReferral {
                source: d.source.as_str(),
                reasons: d.reasons.iter().map(|x| x.as_str()).collect(),
                referrer_name: d.referrer.name.clone(),
                referrer_role: d.referrer.role.clone(),
                referrer_contact_details: d.particulars.referrer_contact.clone(),
                referral_method: d.particulars.method.map(|m| m.as_str()),
                reason_text: d.particulars.reason_text.clone(),
                return_response_to: d.particulars.return_response_to.clone(),
                referrer_organisation: r.referrer_organisation.clone(),
                receiving_service: r.organisation.clone(),
                status: view.status,
                received_at: view.received_at,
                closed_at: view.closed_at,
                closure_reason: view.closure_reason,
            },
            plan_and_requested_actions: PlanAndActions {
                actions_for_professionals: m.professional_actions_or_none().to_owned(),
                actions_for_person: m.person_actions_or_none().to_owned(),
                // Agreement is recorded on the message back, or failing that on the plan.
                agreed_with_person: m.agreed_with_person.or(source.plan.plan.agreed_with_person),
                what_matters_to_me: source.plan.plan.what_matters_to_me.clone(),
                strengths: source.plan.plan.strengths.clone(),
                goals: source.plan.plan.goals.clone(),
                planned_review_on: source.plan.plan.planned_review_on.map(|d| d.to_string()),
                review_by: source.plan.plan.review_by.clone(),
                steps: source
                    .plan
                    .plan
                    .steps
                    .iter()
                    .map(|s| SummaryStep {
                        text: s.text.clone(),
                        status: s.status.as_str(),
                        due_on: s.due_on.map(|d| d.to_string()),
                        who: s.who.clone(),
                        confidence: s.confidence,
                    })
                    .collect(),
            },
            link_worker_summary: m.summary.clone(),
            interventions: source
                .connections
                .iter()
                .map(|c| Intervention {
                    activity: c.activity_name.clone(),
                    status: c.status.as_str(),
                    how_it_went: c.status.how_it_went(),
                    supported_first_attendance: c.supported_first_attendance,
                })
                .collect(),
            contacts: ContactsSummary {
                count: attended.len(),
                first_at: attended.first().map(|c| c.details.occurred_at),
                last_at: attended.last().map(|c| c.details.occurred_at),
                by_method,
                not_attended: not_attended.len(),
            },
            outcomes: view.outcomes,
            assessments: source
                .measurements
                .iter()
                .map(|x| Assessment {
                    instrument: x.instrument.as_str(),
                    name: instrument_name(x.instrument),
                    time_point: x.time_point.as_str(),
                    measured_on: x.measured_on.to_string(),
                    scores: x
                        .scores
                        .iter()
                        .map(|s| AssessmentScore {
                            scale: s.scale.to_string(),
                            value: s.value,
                        })
                        .collect(),
                    items: x.answers.clone(),
                })
                .collect(),
            risks,
            safeguarding,
            withheld: None,
        };
        if audience == Audience::Referrer
            && !message_back::referrer_may_read_casework(
                source
                    .referral
                    .details
                    .particulars
                    .information_sharing
                    .as_ref(),
            )
        {
            summary.withhold_casework();
        }
        summary
    }

    /// The referrer's copy when the person did not agree to share information.
    fn withhold_casework(&mut self) {
        const WITHHELD: &str = "Withheld: the person did not agree to share information";
        self.plan_and_requested_actions = PlanAndActions {
            actions_for_professionals: WITHHELD.into(),
            actions_for_person: WITHHELD.into(),
            agreed_with_person: None,
            what_matters_to_me: None,
            strengths: Vec::new(),
            goals: Vec::new(),
            steps: Vec::new(),
            planned_review_on: None,
            review_by: None,
        };
        self.link_worker_summary = None;
        self.interventions.clear();
        self.contacts = ContactsSummary {
            count: 0,
            not_attended: 0,
            first_at: None,
            last_at: None,
            by_method: Default::default(),
        };
        self.outcomes.clear();
        self.assessments.clear();
        self.withheld = Some(
            "The person did not agree to share information about their support with the \
             referrer; the referral's status is shown, and the service can be asked directly."
                .into(),
        );
    }
}

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
