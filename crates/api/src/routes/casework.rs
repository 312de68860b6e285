//! Working with the person: `POST/GET /v1/referrals/{id}/contacts`,
//! `GET/PUT /v1/referrals/{id}/plan` and `GET /v1/referrals/{id}/timeline`.

use std::sync::Arc;

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, web};
use serde::{Deserialize, Serialize};
use socialrx_domain::contact::{self, Contact, ContactMode, NewContact};
use socialrx_domain::plan::{self, Plan, Step, StepStatus, StoredPlan};
use socialrx_domain::referral::Status;
use socialrx_domain::{FieldError, Permission, Violations, limits, text};
use socialrx_store::{ContactRecorded, Event, PlanSaved, Store, TimelineEvent};
use time::OffsetDateTime;
use utoipa::ToSchema;
use uuid::Uuid;
use validator::Validate;

use crate::access::{Authorized, Operation, can};
use crate::error::ApiError;
use crate::extract::Json;
use crate::precondition::{IfMatch, etag};
use crate::resource::resource;
use crate::routes::connections::ConnectionStatusCodes;
use crate::routes::lifecycle::{AssignmentResponse, ResolutionCodes, StatusChangeResponse};
use crate::routes::outcomes::{InstrumentCodes, TimePointCodes};
use crate::routes::referrals::{StatusCodes, parse_date, parse_datetime};
use crate::schema::{code_list_schema, validation_errors};

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(
        resource("/v1/referrals/{id}/contacts")
            .get(list_contacts)
            .post(record_contact),
    )
    .service(
        resource("/v1/referrals/{id}/plan")
            .get(get_plan)
            .put(put_plan),
    )
    .service(resource("/v1/referrals/{id}/timeline").get(get_timeline));
}

#[derive(utoipa::OpenApi)]
#[openapi(
    paths(record_contact, list_contacts, get_plan, put_plan, get_timeline),
    tags((name = "casework", description = "Contacts, the personal plan, and the referral's timeline"))
)]
pub struct Api;

pub const OPERATIONS: &[Operation] = &[
    Operation::needs(
        "POST",
        "/v1/referrals/{id}/contacts",
        Permission::RecordContact,
    ),
    Operation::needs(
        "GET",
        "/v1/referrals/{id}/contacts",
        Permission::ReadCaseRecord,
    ),
    Operation::needs("GET", "/v1/referrals/{id}/plan", Permission::ReadCaseRecord),
    Operation::needs("PUT", "/v1/referrals/{id}/plan", Permission::EditPlan),
    Operation::needs(
        "GET",
        "/v1/referrals/{id}/timeline",
        Permission::ReadCaseRecord,
    ),
];

crate::schema::codes!(ContactModeCodes = ContactMode);
crate::schema::codes!(StepStatusCodes = StepStatus);

// ---------------------------------------------------------------------------------------
// Contacts

/// A conversation or meeting with the person.
#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"mode": "supported_attendance", "occurred_at": "2026-11-23T10:00:00Z", "minutes": 90, "notes": "Went with her to the local history group at the library.", "next_follow_up_on": "2026-11-30"}))]
pub struct ContactRequest {
    #[schema(schema_with = code_list_schema::<ContactModeCodes>)]
    pub mode: String,
    /// When it happened (RFC 3339); not in the future.
    #[validate(length(max = 40))]
    #[schema(format = DateTime, max_length = 40)]
    pub occurred_at: String,
    /// How long, 0 to 720.
    #[schema(minimum = 0, maximum = 720)]
    pub minutes: Option<i64>,
    #[validate(length(max = 4000))]
    #[schema(
        max_length = 4000,
        pattern = r"^[^\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]*$"
    )]
    pub notes: Option<String>,
    /// `YYYY-MM-DD`, on or after the day of the contact and within a year of it. The
    /// newest contact's date is the referral's next follow-up.
    #[validate(length(max = 10))]
    #[schema(format = Date, max_length = 10)]
    pub next_follow_up_on: Option<String>,
}

impl ContactRequest {
    pub fn into_domain(self, now: OffsetDateTime) -> Result<NewContact, Vec<FieldError>> {
        let mut v = Violations::new();
        v.extend(validation_errors(&self));
        let mode = v.check("mode", ContactMode::parse(&self.mode));
        let occurred_at = v.check(
            "occurred_at",
            parse_datetime(&self.occurred_at).and_then(|t| contact::occurred_at(t, now)),
        );
        let minutes = v.check_opt("minutes", self.minutes, contact::minutes);
        let notes = v
            .check_opt("notes", self.notes, |n| text::free_text(&n, limits::NOTES))
            .map(Option::flatten);
        let next = match (self.next_follow_up_on, occurred_at) {
            (None, _) => Some(None),
            (Some(raw), Some(at)) => v
                .check(
                    "next_follow_up_on",
                    parse_date(&raw).and_then(|d| contact::next_follow_up_on(d, at.date())),
                )
                .map(Some),
            (Some(raw), None) => v.check("next_follow_up_on", parse_date(&raw)).map(Some),
        };
        v.finish(|| {
            Some(NewContact {
                mode: mode?,
                occurred_at: occurred_at?,
                minutes: minutes?,
                notes: notes?,
                next_follow_up_on: next?,
            })
        })
    }
}

/// A recorded contact.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({"id": "019a9f6e-2b1c-7d40-9a51-3c2f1e0d4c10", "referral_id": "019a9f6e-2b1c-7d40-9a51-3c2f1e0d4b7a", "mode": "phone", "occurred_at": "2026-11-23T10:00:00Z", "minutes": 25, "notes": "Mornings are hard; afternoons are better.", "next_follow_up_on": "2026-11-30", "recorded_by": "idp|sam.taylor", "recorded_at": "2026-11-23T10:31:00Z", "referral_status": "in_progress"}))]
pub struct ContactResponse {
    pub id: Uuid,
    pub referral_id: Uuid,
    #[schema(schema_with = code_list_schema::<ContactModeCodes>)]
    pub mode: String,
    #[serde(with = "time::serde::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub occurred_at: OffsetDateTime,
    pub minutes: Option<u32>,
    pub notes: Option<String>,
    #[schema(value_type = Option<String>, format = Date)]
    pub next_follow_up_on: Option<String>,
    pub recorded_by: String,
    #[serde(with = "time::serde::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub recorded_at: OffsetDateTime,
    /// The referral's status after recording (only in the answer to recording it).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(schema_with = crate::schema::optional_code_list_schema::<StatusCodes>)]
    pub referral_status: Option<String>,
}

impl ContactResponse {
    fn new(c: Contact, status: Option<Status>) -> Self {
        let d = c.details;
        Self {
            id: c.id,
            referral_id: c.referral_id,
            mode: d.mode.as_str().to_owned(),
            occurred_at: d.occurred_at,
            minutes: d.minutes,
            notes: d.notes,
            next_follow_up_on: d.next_follow_up_on.map(|x| x.to_string()),
            recorded_by: c.recorded_by,
            recorded_at: c.recorded_at,
            referral_status: status.map(|s| s.as_str().to_owned()),
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ContactList {
    /// In the order they happened.
    pub items: Vec<ContactResponse>,
}

/// Record a contact with the person.
///
/// Contacts are recorded on `assigned` and `in_progress` referrals (409 otherwise). The
/// first contact moves an `assigned` referral to `in_progress`. The newest contact's
/// `next_follow_up_on` becomes the referral's next follow-up in the caseload.
///
/// `occurred_at` is when the contact happened, and may be back-dated, but not to before
/// the referral was received (422 on `occurred_at`, code `before_received`). The
/// referral's first contact, wherever it is shown (caseload, status view, sent-referrals
/// list, webhooks), is the earliest `occurred_at`, not the time it was recorded.
#[utoipa::path(post, path = "/v1/referrals/{id}/contacts", tag = "casework", operation_id = "record_contact",
    security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "The referral's id")),
    request_body(content = ContactRequest, content_type = "application/json"),
    responses(
        (status = 201, description = "Recorded", body = ContactResponse),
        (status = 400, description = "The body is not JSON", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 401, description = "No valid token", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 403, description = "The token's roles do not allow this", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such referral in your organisation", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 409, description = "The referral is not assigned or in progress", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 415, description = "The body is not application/json", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 422, description = "Fields break rules, or `occurred_at` is before the referral was received", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 503, description = "The database is unavailable", body = crate::error::Problem, content_type = "application/problem+json"),
    ))]
pub async fn record_contact(
    req: HttpRequest,
    caller: Authorized<can::RecordContact>,
    id: web::Path<Uuid>,
    body: Json<ContactRequest>,
    store: web::Data<Arc<dyn Store>>,
) -> Result<HttpResponse, ApiError> {
    let contact = body.value.into_domain(OffsetDateTime::now_utc())?;
    match store
        .record_contact(&caller.audit(&req), id.into_inner(), contact)
        .await?
    {
        ContactRecorded::Recorded { contact, status } => {
            Ok(HttpResponse::Created().json(ContactResponse::new(contact, Some(status))))
        }
        ContactRecorded::WrongState(status) => Err(ApiError::Conflict {
            detail: format!(
                "contacts are recorded on assigned or in-progress referrals; this one is '{status}'"
            ),
            current: Some(status.as_str().to_owned()),
            allowed: None,
        }),
    }
}

/// A referral's contacts, in the order they happened.
#[utoipa::path(get, path = "/v1/referrals/{id}/contacts", tag = "casework", operation_id = "list_contacts",
    security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "The referral's id")),
    responses(
        (status = 200, description = "Every contact", body = ContactList),
        (status = 401, description = "No valid token", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 403, description = "The token's roles do not allow this", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such referral in your organisation", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 503, description = "The database is unavailable", body = crate::error::Problem, content_type = "application/problem+json"),
    ))]
pub async fn list_contacts(
    req: HttpRequest,
    caller: Authorized<can::ReadCaseRecord>,
    id: web::Path<Uuid>,
    store: web::Data<Arc<dyn Store>>,
) -> Result<HttpResponse, ApiError> {
    let contacts = store
        .list_contacts(&caller.audit(&req), id.into_inner())
        .await?;
    Ok(HttpResponse::Ok().json(ContactList {
        items: contacts
            .into_iter()
            .map(|c| ContactResponse::new(c, None))
            .collect(),
    }))
}

// ---------------------------------------------------------------------------------------
// Plan

/// The whole plan, as it should be from now on.
#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({
    "what_matters_to_me": "How does your day look? Quiet; I don't see anyone. What is your passion? Gardening, before my knee. What has helped before? Walking with my sister.",
    "goals": ["Get out of the house three times a week"],
    "steps": [{"text": "Short walk to Potternewton Park with the printed directions", "due_on": "2026-11-30", "status": "planned"}]
}))]
pub struct PlanRequest {
    /// What matters to the person, in their words.
    #[validate(length(max = 4000))]
    #[schema(
        max_length = 4000,
        pattern = r"^[^\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]*$"
    )]
    pub what_matters_to_me: Option<String>,
    /// At most 20, each at most 500 characters.
    #[serde(default)]
    #[schema(schema_with = crate::schema::labels_schema::<{ plan::ITEM_TEXT }, { plan::MAX_GOALS }>)]
    pub goals: Vec<String>,
    /// Small steps, at most 50.
    #[serde(default)]
    #[schema(max_items = 50)]
    #[validate(nested)]
    pub steps: Vec<StepRequest>,
}

#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct StepRequest {
    #[validate(length(max = 500))]
    #[schema(
        max_length = 500,
        min_length = 1,
        pattern = r"^[^\x00-\x1f\x7f-\x9f]*[^\s\x00-\x1f\x7f-\x9f][^\x00-\x1f\x7f-\x9f]*$"
    )]
    pub text: String,
    /// `YYYY-MM-DD`.
    #[validate(length(max = 10))]
    #[schema(format = Date, max_length = 10)]
    pub due_on: Option<String>,
    /// `planned` when absent.
    #[schema(schema_with = code_list_schema::<StepStatusCodes>)]
    pub status: Option<String>,
}

impl PlanRequest {
    pub fn into_domain(self) -> Result<Plan, Vec<FieldError>> {
        let mut v = Violations::new();
        v.extend(validation_errors(&self));
        let what = v
            .check_opt("what_matters_to_me", self.what_matters_to_me, |t| {
                text::free_text(&t, limits::NOTES)
            })
            .map(Option::flatten);
        v.check(
            "goals",
            plan::check_count(self.goals.len(), plan::MAX_GOALS),
        );
        v.check(
            "steps",
            plan::check_count(self.steps.len(), plan::MAX_STEPS),
        );
        let mut goals = Vec::with_capacity(self.goals.len());
        for (i, g) in self.goals.iter().enumerate() {
            if let Some(g) = v.check(&format!("goals[{i}]"), text::label(g, plan::ITEM_TEXT)) {
                goals.push(g);
            }
        }
        let mut steps = Vec::with_capacity(self.steps.len());
        for (i, s) in self.steps.into_iter().enumerate() {
            let text = v.check(
                &format!("steps[{i}].text"),
                text::label(&s.text, plan::ITEM_TEXT),
            );
            let due_on = v.check_opt(&format!("steps[{i}].due_on"), s.due_on, |d| parse_date(&d));
            let status = v.check_opt(&format!("steps[{i}].status"), s.status, |x| {
                StepStatus::parse(&x)
            });
            if let (Some(text), Some(due_on), Some(status)) = (text, due_on, status) {
                steps.push(Step {
                    text,
                    due_on,
                    status: status.unwrap_or(StepStatus::Planned),
                });
            }
        }
        v.finish(|| {
            Some(Plan {
                what_matters_to_me: what?,
                goals,
                steps,
            })
        })
    }
}

/// The personal plan.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({
    "referral_id": "019a9f6e-2b1c-7d40-9a51-3c2f1e0d4b7a",
    "version": 1,
    "what_matters_to_me": "Local and family history; crochet.",
    "goals": ["Meet people who share her interests"],
    "steps": [{"text": "Go to the local history group with Sam", "due_on": "2026-11-30", "status": "planned"}],
    "updated_by": "idp|sam.taylor",
    "updated_at": "2026-11-23T10:40:00Z"
}))]
pub struct PlanResponse {
    pub referral_id: Uuid,
    /// 0 until the plan is first saved. Also sent as the `ETag`.
    pub version: u32,
    pub what_matters_to_me: Option<String>,
    pub goals: Vec<String>,
    pub steps: Vec<StepResponse>,
    pub updated_by: Option<String>,
    #[serde(with = "time::serde::rfc3339::option")]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub updated_at: Option<OffsetDateTime>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct StepResponse {
    pub text: String,
    #[schema(value_type = Option<String>, format = Date)]
    pub due_on: Option<String>,
    #[schema(schema_with = code_list_schema::<StepStatusCodes>)]
    pub status: String,
}

impl From<StoredPlan> for PlanResponse {
    fn from(p: StoredPlan) -> Self {
        Self {
            referral_id: p.referral_id,
            version: p.version,
            what_matters_to_me: p.plan.what_matters_to_me,
            goals: p.plan.goals,
            steps: p
                .plan
                .steps
                .into_iter()
                .map(|s| StepResponse {
                    text: s.text,
                    due_on: s.due_on.map(|d| d.to_string()),
                    status: s.status.as_str().to_owned(),
                })
                .collect(),
            updated_by: p.updated_by,
            updated_at: p.updated_at,
        }
    }
}

fn plan_response(plan: StoredPlan) -> HttpResponse {
    HttpResponse::Ok()
        .insert_header((header::ETAG, etag(plan.version)))
        .json(PlanResponse::from(plan))
}

/// Read the plan: what matters to the person, goals and small steps.
///
/// A referral's plan is empty (version 0) until first saved. The `ETag` is what a `PUT`
/// sends back in `If-Match`.
#[utoipa::path(get, path = "/v1/referrals/{id}/plan", tag = "casework", operation_id = "get_plan",
    security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "The referral's id")),
    responses(
        (status = 200, description = "The plan", body = PlanResponse,
            headers(("ETag" = String, description = "The plan's version, for If-Match"))),
        (status = 401, description = "No valid token", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 403, description = "The token's roles do not allow this", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such referral in your organisation", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 503, description = "The database is unavailable", body = crate::error::Problem, content_type = "application/problem+json"),
    ))]
pub async fn get_plan(
    req: HttpRequest,
    caller: Authorized<can::ReadCaseRecord>,
    id: web::Path<Uuid>,
    store: web::Data<Arc<dyn Store>>,
) -> Result<HttpResponse, ApiError> {
    let plan = store.get_plan(&caller.audit(&req), id.into_inner()).await?;
    Ok(plan_response(plan))
}

/// Replace the plan.
///
/// Send the whole plan with `If-Match` carrying the `ETag` last read: without it the answer
/// is 428; when someone saved a newer version meanwhile it is 412 (read it again, merge,
/// retry). Every version is kept and shows in the timeline. Plans of declined and closed
/// referrals no longer change (409).
#[utoipa::path(put, path = "/v1/referrals/{id}/plan", tag = "casework", operation_id = "put_plan",
    security(("bearer" = [])),
    params(
        ("id" = Uuid, Path, description = "The referral's id"),
        ("If-Match" = String, Header, pattern = r#"^\s*(W/)?"[\x21\x23-\x7e]*"\s*(,\s*(W/)?"[\x21\x23-\x7e]*"\s*)*$"#, description = "The ETag of the plan as last read"),
    ),
    request_body(content = PlanRequest, content_type = "application/json"),
    responses(
        (status = 200, description = "Saved", body = PlanResponse,
            headers(("ETag" = String, description = "The new version"))),
        (status = 400, description = "The body is not JSON", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 401, description = "No valid token", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 403, description = "The token's roles do not allow this", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such referral in your organisation", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 409, description = "The referral is declined or closed", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 412, description = "The plan changed since the ETag was read", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 415, description = "The body is not application/json", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 422, description = "Fields break rules", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 428, description = "If-Match is missing (or *)", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 503, description = "The database is unavailable", body = crate::error::Problem, content_type = "application/problem+json"),
    ))]
pub async fn put_plan(
    req: HttpRequest,
    caller: Authorized<can::EditPlan>,
    id: web::Path<Uuid>,
    if_match: IfMatch,
    body: Json<PlanRequest>,
    store: web::Data<Arc<dyn Store>>,
) -> Result<HttpResponse, ApiError> {
    let expected = if_match.required()?;
    let plan = body.value.into_domain()?;
    match store
        .put_plan(&caller.audit(&req), id.into_inner(), &expected, plan)
        .await?
    {
        PlanSaved::Saved(plan) => Ok(plan_response(plan)),
        PlanSaved::Stale { current_version } => Err(ApiError::PreconditionFailed(format!(
            "the plan is now at version {}; read it again, merge your changes and retry",
            etag(current_version)
        ))),
        PlanSaved::NotOpen(status) => Err(ApiError::Conflict {
            detail: format!("the referral is '{status}'; its plan no longer changes"),
            current: Some(status.as_str().to_owned()),
            allowed: None,
        }),
    }
}

// ---------------------------------------------------------------------------------------
// Timeline

crate::schema::codes!(EventKindCodes = EventKind);

socialrx_domain::code_list!(
    /// The kinds of timeline event.
    EventKind {
        StatusChanged => "status_changed",
        Assigned => "assigned",
        Contact => "contact",
        PlanUpdated => "plan_updated",
        DuplicateFlagged => "duplicate_flagged",
        DuplicateResolved => "duplicate_resolved",
        Connection => "connection",
        OutcomeRecorded => "outcome_recorded",
    }
);

/// One event. `kind` says which of the optional objects is present.
#[derive(Debug, Serialize, ToSchema)]
pub struct TimelineEventResponse {
    /// The id of the record behind the event (a duplicate flag's id appears twice: flagged
    /// and resolved).
    pub id: Uuid,
    #[schema(schema_with = code_list_schema::<EventKindCodes>)]
    pub kind: String,
    #[serde(with = "time::serde::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub at: OffsetDateTime,
    pub actor: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status_change: Option<StatusChangeResponse>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub assignment: Option<AssignmentResponse>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub contact: Option<ContactResponse>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub plan: Option<PlanVersion>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub duplicate: Option<DuplicateEvent>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub connection: Option<ConnectionEvent>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub outcome: Option<OutcomeEvent>,
}

/// A connection made (`from` empty) or moved on.
#[derive(Debug, Serialize, ToSchema)]
pub struct ConnectionEvent {
    pub connection_id: Uuid,
    pub activity_id: Uuid,
    pub activity_name: String,
    #[schema(schema_with = crate::schema::optional_code_list_schema::<ConnectionStatusCodes>)]
    pub from: Option<String>,
    #[schema(schema_with = code_list_schema::<ConnectionStatusCodes>)]
    pub to: String,
    pub note: Option<String>,
}

/// An outcome measurement recorded (scores and answers are under `/outcomes`).
#[derive(Debug, Serialize, ToSchema)]
pub struct OutcomeEvent {
    pub measurement_id: Uuid,
    #[schema(schema_with = code_list_schema::<InstrumentCodes>)]
    pub instrument: String,
    #[schema(schema_with = code_list_schema::<TimePointCodes>)]
    pub time_point: String,
    #[schema(format = Date)]
    pub measured_on: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct PlanVersion {
    pub version: u32,
    pub steps_planned: usize,
    pub steps_done: usize,
    pub steps_dropped: usize,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct DuplicateEvent {
    pub other_referral_id: Uuid,
    /// Present once resolved.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(schema_with = crate::schema::optional_code_list_schema::<ResolutionCodes>)]
    pub resolution: Option<String>,
}

impl From<TimelineEvent> for TimelineEventResponse {
    fn from(e: TimelineEvent) -> Self {
        let mut out = Self {
            id: e.id,
            kind: String::new(),
            at: e.at,
            actor: e.actor,
            status_change: None,
            assignment: None,
            contact: None,
            plan: None,
            duplicate: None,
            connection: None,
            outcome: None,
        };
        let kind = match e.event {
            Event::StatusChanged(c) => {
                out.status_change = Some(c.into());
                EventKind::StatusChanged
            }
            Event::Assigned(a) => {
                out.assignment = Some(AssignmentResponse::new(a, None));
                EventKind::Assigned
            }
            Event::Contact(c) => {
                out.contact = Some(ContactResponse::new(c, None));
                EventKind::Contact
            }
            Event::PlanUpdated { version, steps } => {
                out.plan = Some(PlanVersion {
                    version,
                    steps_planned: steps[0],
                    steps_done: steps[1],
                    steps_dropped: steps[2],
                });
                EventKind::PlanUpdated
            }
            Event::DuplicateFlagged { other_referral_id } => {
                out.duplicate = Some(DuplicateEvent {
                    other_referral_id,
                    resolution: None,
                });
                EventKind::DuplicateFlagged
            }
            Event::DuplicateResolved {
                other_referral_id,
                resolution,
            } => {
                out.duplicate = Some(DuplicateEvent {
                    other_referral_id,
                    resolution: Some(resolution.as_str().to_owned()),
                });
                EventKind::DuplicateResolved
            }
            Event::Connection(m) => {
                out.connection = Some(ConnectionEvent {
                    connection_id: m.connection_id,
                    activity_id: m.activity_id,
                    activity_name: m.activity_name,
                    from: m.from.map(|s| s.as_str().to_owned()),
                    to: m.to.as_str().to_owned(),
                    note: m.note,
                });
                EventKind::Connection
            }
            Event::OutcomeRecorded {
                measurement_id,
                instrument,
                time_point,
                measured_on,
            } => {
                out.outcome = Some(OutcomeEvent {
                    measurement_id,
                    instrument: instrument.as_str().to_owned(),
                    time_point: time_point.as_str().to_owned(),
                    measured_on: measured_on.to_string(),
                });
                EventKind::OutcomeRecorded
            }
        };
        out.kind = kind.as_str().to_owned();
        out
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Timeline {
    /// In the order things happened.
    pub items: Vec<TimelineEventResponse>,
}

/// Everything that happened to a referral, in order.
///
/// Status moves, assignments, contacts, plan versions, possible-duplicate flags with
/// their resolution, connections to activities (made and each move), and outcome
/// measurements (which instrument and when; the answers stay under `/outcomes`), each at
/// the time it was recorded (a contact also says when it took place:
/// `contact.occurred_at`).
#[utoipa::path(get, path = "/v1/referrals/{id}/timeline", tag = "casework", operation_id = "get_timeline",
    security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "The referral's id")),
    responses(
        (status = 200, description = "The timeline", body = Timeline),
        (status = 401, description = "No valid token", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 403, description = "The token's roles do not allow this", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such referral in your organisation", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 503, description = "The database is unavailable", body = crate::error::Problem, content_type = "application/problem+json"),
    ))]
pub async fn get_timeline(
    req: HttpRequest,
    caller: Authorized<can::ReadCaseRecord>,
    id: web::Path<Uuid>,
    store: web::Data<Arc<dyn Store>>,
) -> Result<HttpResponse, ApiError> {
    let events = store.timeline(&caller.audit(&req), id.into_inner()).await?;
    Ok(HttpResponse::Ok().json(Timeline {
        items: events
            .into_iter()
            .map(TimelineEventResponse::from)
            .collect(),
    }))
}
