//! The closed loop, from the referrer's side: `GET /v1/referrals/{id}/status` and
//! `GET /v1/sent-referrals`.
//!
//! A referrer organisation (a GP practice, an agency) reads back what became of the
//! referrals it sent, in the referrer's view only (see `socialrx_domain::referrer_view`):
//! never the person's details, contacts, plans or notes. The receiving service's staff
//! read the same view of the referrals they hold. Each read is audited in the trail of
//! the service holding the referral, naming the reader's organisation.

use std::collections::BTreeMap;
use std::sync::Arc;

use actix_web::{HttpRequest, HttpResponse, web};
use serde::{Deserialize, Serialize};
use socialrx_domain::Violations;
use socialrx_domain::referral::Status;
use socialrx_domain::referrer_view::{ConnectionCount, ReferrerView};
use socialrx_store::{PageRequest, SentFilter, Store};

use time::OffsetDateTime;
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use crate::access::Authorized;
use crate::endpoint::{Endpoint, endpoint};
use crate::error::ApiError;
use crate::paging::PageQuery;
use crate::paging::encode_cursor;
use crate::routes::connections::ConnectionStatusCodes;
use crate::routes::lifecycle::{ClosureReasonCodes, DeclineReasonCodes};
use crate::routes::outcomes::InstrumentSummary;
use crate::routes::referrals::{ReasonCodes, SourceCodes, StatusCodes};
use crate::schema::{code_list_schema, codes_array_schema, optional_code_list_schema};
use socialrx_domain::when::parse_date;

pub const ENDPOINTS: &[Endpoint] = &[
    endpoint!(referral_status, ReadReferralStatus),
    endpoint!(list_sent_referrals, ReadSentReferrals),
];

#[derive(utoipa::OpenApi)]
#[openapi(
    tags((name = "closed loop", description = "What the referrer organisation reads back of the referrals it sent"))
)]
pub struct Api;

/// The referrer's view of a referral: status and dates, coded reasons, the decline or
/// closure reason, connections by category and status, and the change in outcome scores.
/// No person details, contacts, plans or notes: nothing written in free text.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({"id": "019a9f6e-2b1c-7d40-9a51-3c2f1e0d4b7a", "reference": "SRX-7K3M-9QPD",
    "status": "closed", "source": "gp", "reasons": ["loneliness_isolation", "carer_support"],
    "referrer_organisation": "B85001", "receiving_service": "Y02794",
    "received_at": "2026-11-20T10:20:00Z", "updated_at": "2027-02-01T09:00:00Z",
    "accepted_at": "2026-11-20T14:00:00Z", "declined_at": null, "assigned_at": "2026-11-21T09:00:00Z",
    "first_contact_at": "2026-11-24T10:00:00Z", "closed_at": "2027-02-01T09:00:00Z", "assigned": true,
    "decline_reason": null, "closure_reason": "goals_met",
    "connections_by_category": {"carers_support": 1, "learning_and_local_history": 2},
    "connections": [{"category": "carers_support", "status": "attending", "count": 1},
        {"category": "learning_and_local_history", "status": "completed", "count": 2},
        {"category": "physical_activity", "status": "declined", "count": 1}],
    "outcomes": []}))]
pub struct ReferralStatusResponse {
    pub id: Uuid,
    pub reference: String,
    #[schema(schema_with = code_list_schema::<StatusCodes>)]
    pub status: String,
    #[schema(schema_with = code_list_schema::<SourceCodes>)]
    pub source: String,
    #[schema(schema_with = codes_array_schema::<ReasonCodes>)]
    pub reasons: Vec<String>,
    /// The organisation that sent it (ODS code).
    pub referrer_organisation: String,
    /// The service that received it and holds it (ODS code).
    pub receiving_service: String,
    #[serde(with = "time::serde::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub received_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub updated_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339::option")]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub accepted_at: Option<OffsetDateTime>,
    #[serde(with = "time::serde::rfc3339::option")]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub declined_at: Option<OffsetDateTime>,
    #[serde(with = "time::serde::rfc3339::option")]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub assigned_at: Option<OffsetDateTime>,
    /// When the link worker first made contact (the move to `in_progress`).
    #[serde(with = "time::serde::rfc3339::option")]
    #[schema(value_type = Option<String>, format = DateTime)]
    /// When the earliest contact with the person happened (its `occurred_at`), as the
    /// caseload shows it; not when it was recorded.
    pub first_contact_at: Option<OffsetDateTime>,
    #[serde(with = "time::serde::rfc3339::option")]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub closed_at: Option<OffsetDateTime>,
    /// Whether a link worker has been assigned (now or before closure).
    pub assigned: bool,
    #[schema(schema_with = optional_code_list_schema::<DeclineReasonCodes>)]
    pub decline_reason: Option<String>,
    #[schema(schema_with = optional_code_list_schema::<ClosureReasonCodes>)]
    pub closure_reason: Option<String>,
    /// Connections the person took up (referred, attending, completed, did not attend),
    /// by the activity's main category. Suggested and declined ones are not counted.
    pub connections_by_category: BTreeMap<String, i64>,
    /// Every connection, counted by the activity's main category and its status.
    pub connections: Vec<ConnectionCountResponse>,
    /// Change from baseline per instrument: scores only, no answers.
    pub outcomes: Vec<InstrumentSummary>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ConnectionCountResponse {
    pub category: String,
    #[schema(schema_with = code_list_schema::<ConnectionStatusCodes>)]
    pub status: String,
    pub count: i64,
}

impl From<ConnectionCount> for ConnectionCountResponse {
    fn from(c: ConnectionCount) -> Self {
        Self {
            category: c.category,
            status: c.status.to_owned(),
            count: c.count,
        }
    }
}

impl From<ReferrerView> for ReferralStatusResponse {
    fn from(v: ReferrerView) -> Self {
        Self {
            id: v.id,
            reference: v.reference,
            status: v.status.to_owned(),
            source: v.source.to_owned(),
            reasons: v.reasons.iter().map(|r| (*r).to_owned()).collect(),
            referrer_organisation: v.referrer_organisation,
            receiving_service: v.receiving_service,
            received_at: v.received_at,
            updated_at: v.updated_at,
            accepted_at: v.accepted_at,
            declined_at: v.declined_at,
            assigned_at: v.assigned_at,
            first_contact_at: v.first_contact_at,
            closed_at: v.closed_at,
            assigned: v.assigned,
            decline_reason: v.decline_reason.map(str::to_owned),
            closure_reason: v.closure_reason.map(str::to_owned),
            connections_by_category: v.connections_by_category,
            connections: v
                .connections
                .into_iter()
                .map(ConnectionCountResponse::from)
                .collect(),
            outcomes: v
                .outcomes
                .into_iter()
                .map(InstrumentSummary::from)
                .collect(),
        }
    }
}

/// A page of sent referrals, newest first.
#[derive(Debug, Serialize, ToSchema)]
pub struct SentReferralPage {
    pub items: Vec<ReferralStatusResponse>,
    /// Pass as `cursor` to get the next page; absent on the last page.
    pub next_cursor: Option<String>,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct SentReferralsQuery {
    /// Only referrals now in this state.
    #[param(schema_with = code_list_schema::<StatusCodes>)]
    pub status: Option<String>,
    /// Only referrals received on or after this day (`YYYY-MM-DD`, UTC).
    #[param(value_type = Option<String>, format = Date, max_length = 10)]
    pub received_from: Option<String>,
    /// Only referrals received on or before this day (`YYYY-MM-DD`, UTC).
    #[param(value_type = Option<String>, format = Date, max_length = 10)]
    pub received_to: Option<String>,
    /// Page size, 1 to 100 (default 20).
    #[param(value_type = Option<u32>, minimum = 1, maximum = 100)]
    pub limit: Option<String>,
    /// The `next_cursor` of the previous page.
    #[param(min_length = 32, max_length = 32, pattern = r"^[0-9a-fA-F]{32}$")]
    pub cursor: Option<String>,
}

impl SentReferralsQuery {
    fn parse(self) -> Result<(SentFilter, PageRequest), ApiError> {
        let mut v = Violations::new();
        let filter = SentFilter {
            status: v
                .check_opt("status", self.status, |s| Status::parse(&s))
                .flatten(),
            received_from: v
                .check_opt("received_from", self.received_from, |d| parse_date(&d))
                .flatten(),
            received_to: v
                .check_opt("received_to", self.received_to, |d| parse_date(&d))
                .flatten(),
        };
        if let (Some(from), Some(to)) = (filter.received_from, filter.received_to)
            && to < from
        {
            v.push(socialrx_domain::FieldError::new(
                "received_to",
                "before_from",
                "must not be before received_from",
            ));
        }
        let page = PageQuery {
            limit: self.limit,
            cursor: self.cursor,
        }
        .check(&mut v);
        if v.is_empty() {
            Ok((filter, page))
        } else {
            Err(ApiError::Validation(v.into_errors()))
        }
    }
}

/// Read back what became of a referral (the closed loop).
///
/// The referrer's view: status and its dates, the coded reasons, the decline or closure
/// reason, connections by activity category and status, and the change in outcome
/// scores. No person details, contacts, plans or notes. A caller with only the
/// `referrer` role reaches the referrals its organisation sent (to any service); link
/// workers and coordinators also those their organisation holds. Anything else is 404,
/// exactly like a referral that does not exist. Audited in the holding service's trail.
#[utoipa::path(get, path = "/v1/referrals/{id}/status", tag = "closed loop", operation_id = "get_referral_status",
    security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "The referral's id")),
    responses(
        (status = 200, description = "The referrer's view of the referral", body = ReferralStatusResponse),
        (status = 401, description = "No valid token", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 403, description = "The token's roles do not allow this", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such referral sent or held by your organisation", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 503, description = "The database is unavailable", body = crate::error::Problem, content_type = "application/problem+json"),
    ))]
pub async fn referral_status(
    req: HttpRequest,
    caller: Authorized,
    id: web::Path<Uuid>,
    store: web::Data<Arc<dyn Store>>,
) -> Result<HttpResponse, ApiError> {
    let view = store
        .referral_status(
            &caller.audit(&req),
            caller.referral_reach(),
            id.into_inner(),
        )
        .await?;
    Ok(HttpResponse::Ok().json(ReferralStatusResponse::from(view.referrer_view())))
}

/// List the referrals your organisation sent, newest first.
///
/// To every service, in the referrer's view (as `GET /v1/referrals/{id}/status`).
/// Filter by current status and by the day received; keyset pagination: pass the
/// previous page's `next_cursor` as `cursor`. Audited in each holding service's trail.
#[utoipa::path(get, path = "/v1/sent-referrals", tag = "closed loop", operation_id = "list_sent_referrals",
    security(("bearer" = [])),
    params(SentReferralsQuery),
    responses(
        (status = 200, description = "A page of sent referrals", body = SentReferralPage),
        (status = 401, description = "No valid token", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 403, description = "The token's roles do not allow this", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 422, description = "A query parameter is not valid", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 503, description = "The database is unavailable", body = crate::error::Problem, content_type = "application/problem+json"),
    ))]
pub async fn list_sent_referrals(
    req: HttpRequest,
    caller: Authorized,
    query: web::Query<SentReferralsQuery>,
    store: web::Data<Arc<dyn Store>>,
) -> Result<HttpResponse, ApiError> {
    let (filter, page) = query.into_inner().parse()?;
    let page = store
        .list_sent_referrals(&caller.audit(&req), &filter, page)
        .await?;
    Ok(HttpResponse::Ok().json(SentReferralPage {
        items: page
            .items
            .iter()
            .map(|v| ReferralStatusResponse::from(v.referrer_view()))
            .collect(),
        next_cursor: page.next.map(encode_cursor),
    }))
}
