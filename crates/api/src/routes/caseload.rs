//! What needs attention: `GET /v1/link-workers/{id}/caseload` for link workers and
//! coordinators, `GET /v1/queue` (unassigned referrals) for coordinators.

use std::sync::Arc;

use actix_web::{HttpRequest, HttpResponse, web};
use serde::{Deserialize, Serialize};
use socialrx_domain::Violations;
use socialrx_domain::caseload::{Attention, CaseloadScope, ResponsePolicy, working_days_between};
use socialrx_store::{Caseload, CaseloadItem, CaseloadRead, QueueItem, Store};
use time::{Date, OffsetDateTime};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use crate::access::Authorized;
use crate::endpoint::{Endpoint, endpoint};
use crate::error::ApiError;
use crate::paging::encode_cursor;
use crate::routes::link_workers::LinkWorkerResponse;
use crate::routes::referrals::{ReasonCodes, SourceCodes, StatusCodes, UrgencyCodes};
use crate::schema::{code_list_schema, codes_array_schema};

pub const ENDPOINTS: &[Endpoint] = &[
    endpoint!(get_caseload, ReadCaseload),
    endpoint!(get_queue, ReadQueue),
];

#[derive(utoipa::OpenApi)]
#[openapi(
    tags((name = "caseloads", description = "Link workers' caseloads and the coordinator's queue"))
)]
pub struct Api;

crate::schema::codes!(AttentionCodes = Attention);

/// Today, for ages and overdue dates. UTC: a day boundary an hour off local time in summer.
fn today() -> Date {
    OffsetDateTime::now_utc().date()
}

/// The person's name, so that a list can be read without opening each referral.
#[derive(Debug, Serialize, ToSchema)]
pub struct PersonName {
    pub given_name: String,
    pub family_name: String,
}

// ---------------------------------------------------------------------------------------
// Caseload

/// A link worker's open referrals, most in need of attention first.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({
    "link_worker": {"id": "019a9f6e-2b1c-7d40-9a51-3c2f1e0d4b80", "subject": "idp|sam.taylor", "display_name": "Sam Taylor", "capacity": 40, "active": true, "version": 1, "created_at": "2026-11-01T09:00:00Z", "updated_at": "2026-11-01T09:00:00Z"},
    "on": "2026-11-23",
    "counts": {"assigned": 1, "in_progress": 1, "open": 2},
    "capacity": 40,
    "capacity_left": 38,
    "over_capacity_by": 0,
    "items": [
        {"referral_id": "019a9f6e-2b1c-7d40-9a51-3c2f1e0d4b7a", "reference": "SRX-7K3M-9QPD", "status": "assigned", "urgency": "routine", "reasons": ["carer_support"], "person": {"given_name": "Margaret", "family_name": "Hughes"}, "received_at": "2026-11-13T09:30:00Z", "assigned_at": "2026-11-16T11:00:00Z", "first_contact_at": null, "last_contact_at": null, "next_follow_up_on": null, "attention": "waiting_first_contact", "waiting_first_contact_days": 10, "follow_up_overdue_days": null},
        {"referral_id": "019a9f6e-2b1c-7d40-9a51-3c2f1e0d4c01", "reference": "SRX-3HT4-PQ7W", "status": "in_progress", "urgency": "routine", "reasons": ["housing", "loneliness_isolation"], "person": {"given_name": "Derek", "family_name": "Ashworth"}, "received_at": "2026-10-02T14:00:00Z", "assigned_at": "2026-10-05T10:00:00Z", "first_contact_at": "2026-10-07T10:00:00Z", "last_contact_at": "2026-11-09T10:00:00Z", "next_follow_up_on": "2026-11-20", "attention": "follow_up_overdue", "waiting_first_contact_days": null, "follow_up_overdue_days": 3}
    ]
}))]
pub struct CaseloadResponse {
    pub link_worker: LinkWorkerResponse,
    /// The day the order and the day counts were worked out for (UTC).
    #[schema(value_type = String, format = Date)]
    pub on: String,
    pub counts: CaseloadCounts,
    pub capacity: u32,
    /// Capacity minus open referrals, never below 0.
    pub capacity_left: u32,
    /// Open referrals past capacity, after a coordinator assigned over it ("over capacity
    /// by 1"); 0 when within capacity.
    pub over_capacity_by: u32,
    /// Urgent first; then waiting for first contact longest; then overdue follow-up, most
    /// overdue first; then the rest by next follow-up date (none last).
    pub items: Vec<CaseloadItemResponse>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct CaseloadCounts {
    pub assigned: u32,
    pub in_progress: u32,
    pub open: u32,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct CaseloadItemResponse {
    pub referral_id: Uuid,
    pub reference: String,
    #[schema(schema_with = code_list_schema::<StatusCodes>)]
    pub status: String,
    #[schema(schema_with = code_list_schema::<UrgencyCodes>)]
    pub urgency: String,
    #[schema(schema_with = codes_array_schema::<ReasonCodes>)]
    pub reasons: Vec<String>,
    pub person: PersonName,
    #[serde(with = "time::serde::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub received_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339::option")]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub assigned_at: Option<OffsetDateTime>,
    #[serde(with = "time::serde::rfc3339::option")]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub first_contact_at: Option<OffsetDateTime>,
    #[serde(with = "time::serde::rfc3339::option")]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub last_contact_at: Option<OffsetDateTime>,
    #[schema(value_type = Option<String>, format = Date)]
    pub next_follow_up_on: Option<String>,
    /// Why the item stands where it does (after urgency).
    #[schema(schema_with = code_list_schema::<AttentionCodes>)]
    pub attention: String,
    /// Days since the referral was received, while no contact has been made.
    pub waiting_first_contact_days: Option<i64>,
    /// Days past the next follow-up date.
    pub follow_up_overdue_days: Option<i64>,
}

impl From<CaseloadItem> for CaseloadItemResponse {
    fn from(i: CaseloadItem) -> Self {
        Self {
            referral_id: i.referral_id,
            reference: i.reference.as_str().to_owned(),
            status: i.status.as_str().to_owned(),
            urgency: i.urgency.as_str().to_owned(),
            reasons: i.reasons.iter().map(|r| r.as_str().to_owned()).collect(),
            person: PersonName {
                given_name: i.given_name,
                family_name: i.family_name,
            },
            received_at: i.received_at,
            assigned_at: i.assigned_at,
            first_contact_at: i.first_contact_at,
            last_contact_at: i.last_contact_at,
            next_follow_up_on: i.next_follow_up_on.map(|d| d.to_string()),
            attention: i.priority.attention.as_str().to_owned(),
            waiting_first_contact_days: i.priority.waiting_first_contact_days,
            follow_up_overdue_days: i.priority.follow_up_overdue_days,
        }
    }
}

impl CaseloadResponse {
    fn new(c: Caseload, on: Date) -> Self {
        let open = c.assigned + c.in_progress;
        let capacity = c.link_worker.details.capacity;
        let room = socialrx_domain::link_worker::headroom(capacity, open);
        Self {
            link_worker: LinkWorkerResponse::from(c.link_worker),
            on: on.to_string(),
            counts: CaseloadCounts {
                assigned: c.assigned,
                in_progress: c.in_progress,
                open,
            },
            capacity,
            capacity_left: room.left,
            over_capacity_by: room.over_by,
            items: c
                .items
                .into_iter()
                .map(CaseloadItemResponse::from)
                .collect(),
        }
    }
}

/// A link worker's caseload: their open referrals by what needs attention first.
///
/// Open means `assigned` or `in_progress`. Each item carries the reason for its place
/// (`attention`, `waiting_first_contact_days`, `follow_up_overdue_days`); the response
/// counts referrals by state and the capacity left. Link workers see their own caseload
/// (403 for anyone else's); coordinators see anyone's in their organisation. Every listed
/// referral is recorded in the audit trail.
#[utoipa::path(get, path = "/v1/link-workers/{id}/caseload", tag = "caseloads", operation_id = "get_caseload",
    security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "The link worker's id")),
    responses(
        (status = 200, description = "The caseload", body = CaseloadResponse),
        (status = 401, description = "No valid token", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 403, description = "The token's roles do not allow this, or it is another link worker's caseload", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such link worker in your organisation", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 503, description = "The database is unavailable", body = crate::error::Problem, content_type = "application/problem+json"),
    ))]
pub async fn get_caseload(
    req: HttpRequest,
    caller: Authorized,
    id: web::Path<Uuid>,
    store: web::Data<Arc<dyn Store>>,
) -> Result<HttpResponse, ApiError> {
    let scope = CaseloadScope::of(&caller.roles, &caller.subject).ok_or_else(|| {
        ApiError::Forbidden("this needs the link_worker or coordinator role".into())
    })?;
    let today = today();
    match store
        .caseload(&caller.audit(&req), id.into_inner(), &scope, today)
        .await?
    {
        CaseloadRead::Found(caseload) => {
            Ok(HttpResponse::Ok().json(CaseloadResponse::new(caseload, today)))
        }
        CaseloadRead::NotPermitted => Err(ApiError::Forbidden(
            "link workers see their own caseload only; coordinators see anyone's".into(),
        )),
    }
}

// ---------------------------------------------------------------------------------------
// Queue

#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({
    "overdue_after_working_days": 5,
    "items": [{"referral_id": "019a9f6e-2b1c-7d40-9a51-3c2f1e0d4b7a", "reference": "SRX-7K3M-9QPD", "status": "received", "urgency": "routine", "source": "gp", "reasons": ["carer_support"], "person": {"given_name": "Margaret", "family_name": "Hughes"}, "received_at": "2026-11-13T09:30:00Z", "working_days_waiting": 6, "overdue": true, "possible_duplicates": []}],
    "next_cursor": null
}))]
pub struct QueuePage {
    /// The response-time policy: a referral still `received` after this many working days
    /// is overdue.
    pub overdue_after_working_days: u32,
    pub items: Vec<QueueItemResponse>,
    /// Pass as `cursor` to get the next page; absent on the last page.
    pub next_cursor: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct QueueItemResponse {
    pub referral_id: Uuid,
    pub reference: String,
    #[schema(schema_with = code_list_schema::<StatusCodes>)]
    pub status: String,
    #[schema(schema_with = code_list_schema::<UrgencyCodes>)]
    pub urgency: String,
    #[schema(schema_with = code_list_schema::<SourceCodes>)]
    pub source: String,
    #[schema(schema_with = codes_array_schema::<ReasonCodes>)]
    pub reasons: Vec<String>,
    pub person: PersonName,
    #[serde(with = "time::serde::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub received_at: OffsetDateTime,
    /// Working days (Monday to Friday) since it was received.
    pub working_days_waiting: i64,
    /// Still `received` after the policy's working days.
    pub overdue: bool,
    pub possible_duplicates: Vec<Uuid>,
}

impl QueueItemResponse {
    fn new(i: QueueItem, policy: &ResponsePolicy, today: Date) -> Self {
        let received_on = i.received_at.date();
        Self {
            referral_id: i.referral_id,
            reference: i.reference.as_str().to_owned(),
            status: i.status.as_str().to_owned(),
            urgency: i.urgency.as_str().to_owned(),
            source: i.source.as_str().to_owned(),
            reasons: i.reasons.iter().map(|r| r.as_str().to_owned()).collect(),
            person: PersonName {
                given_name: i.given_name,
                family_name: i.family_name,
            },
            received_at: i.received_at,
            working_days_waiting: working_days_between(received_on, today),
            overdue: policy.is_overdue(i.status, received_on, today),
            possible_duplicates: i.possible_duplicates,
        }
    }
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct QueueQuery {
    /// Page size, 1 to 100 (default 20).
    #[param(value_type = Option<u32>, minimum = 1, maximum = 100)]
    pub limit: Option<String>,
    /// The `next_cursor` of the previous page.
    #[param(min_length = 32, max_length = 32, pattern = r"^[0-9a-fA-F]{32}$")]
    pub cursor: Option<String>,
}

/// The unassigned queue: referrals `received` or `accepted` and not yet with a link
/// worker, oldest first.
///
/// Each item says how many working days it has waited and whether it is overdue under the
/// response-time policy (still `received` after `overdue_after_working_days`, configured
/// with `SOCIALRX_RESPONSE_WORKING_DAYS`). Every listed referral is recorded in the audit
/// trail.
#[utoipa::path(get, path = "/v1/queue", tag = "caseloads", operation_id = "get_queue",
    security(("bearer" = [])),
    params(QueueQuery),
    responses(
        (status = 200, description = "A page of the queue", body = QueuePage),
        (status = 401, description = "No valid token", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 403, description = "The token's roles do not allow this", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 422, description = "A query parameter is not valid", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 503, description = "The database is unavailable", body = crate::error::Problem, content_type = "application/problem+json"),
    ))]
pub async fn get_queue(
    req: HttpRequest,
    caller: Authorized,
    query: web::Query<QueueQuery>,
    policy: web::Data<ResponsePolicy>,
    store: web::Data<Arc<dyn Store>>,
) -> Result<HttpResponse, ApiError> {
    let q = query.into_inner();
    let mut v = Violations::new();
    let page_request = crate::paging::page(&mut v, q.limit, q.cursor);
    if !v.is_empty() {
        return Err(ApiError::Validation(v.into_errors()));
    }
    let page = store.queue(&caller.audit(&req), page_request).await?;
    let today = today();
    Ok(HttpResponse::Ok().json(QueuePage {
        overdue_after_working_days: policy.working_days,
        items: page
            .items
            .into_iter()
            .map(|i| QueueItemResponse::new(i, &policy, today))
            .collect(),
        next_cursor: page.next.map(encode_cursor),
    }))
}
