//! `GET /v1/audit`: who read or changed which person's data, when, from where.
//! There is no route to change or delete an event.

use std::sync::Arc;

use actix_web::{HttpResponse, web};
use serde::{Deserialize, Serialize};
use socialrx_domain::Violations;
use socialrx_domain::violations::Invalid;
use socialrx_store::{AuditEvent, AuditFilter, Store};
use time::OffsetDateTime;
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use crate::access::Authorized;
use crate::endpoint::{Endpoint, endpoint};
use crate::error::ApiError;
use crate::paging::encode_cursor;

pub const ENDPOINTS: &[Endpoint] = &[endpoint!(list_audit_events, ReadAudit)];

#[derive(utoipa::OpenApi)]
#[openapi(
    tags((name = "audit", description = "The append-only audit trail of access to personal data"))
)]
pub struct Api;

/// One access to personal data.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({"id": "01a2015a-0000-7000-8000-000000000001", "actor": "lw-17", "action": "read",
    "resource_type": "referral", "resource_id": "01a20159-67f6-732d-b6ed-d9503e62ffc1",
    "person_id": "01a20159-67f6-732d-b6ed-d951bdd04a04", "at": "2026-11-22T09:31:02.120Z",
    "client_ip": "10.0.4.12", "request_id": "01a2015a-67f5-7199-a896-a44f0dde2a1d", "listed": [], "actor_organisation": null}))]
pub struct AuditEventResponse {
    pub id: Uuid,
    /// The token subject who acted.
    pub actor: String,
    /// The actor's organisation when it is not yours: a referrer organisation reading
    /// the referrals it sent you (their status view, FHIR Task or ServiceRequest).
    pub actor_organisation: Option<String>,
    /// `create`, `read`, `list`, `update`, `export`, ...
    pub action: String,
    pub resource_type: String,
    /// The record acted on. For a list read, the record the list belongs to (the link
    /// worker of a caseload), or the nil id for a search or queue of the organisation.
    pub resource_id: Uuid,
    pub person_id: Option<Uuid>,
    #[serde(with = "time::serde::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub at: OffsetDateTime,
    pub client_ip: Option<String>,
    pub request_id: Option<String>,
    /// For a list read: every record it returned, with its person. The `person_id` and
    /// `resource_id` filters find a list read by any record in it.
    pub listed: Vec<ListedResponse>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ListedResponse {
    pub resource_id: Uuid,
    pub person_id: Option<Uuid>,
}

impl From<AuditEvent> for AuditEventResponse {
    fn from(e: AuditEvent) -> Self {
        Self {
            id: e.id,
            actor: e.actor,
            actor_organisation: e.actor_organisation,
            action: e.action,
            resource_type: e.resource_type,
            resource_id: e.resource_id,
            person_id: e.person_id,
            at: e.at,
            client_ip: e.client_ip,
            request_id: e.request_id,
            listed: e
                .listed
                .into_iter()
                .map(|l| ListedResponse {
                    resource_id: l.resource_id,
                    person_id: l.person_id,
                })
                .collect(),
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct AuditPage {
    pub items: Vec<AuditEventResponse>,
    pub next_cursor: Option<String>,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AuditQuery {
    /// Events about this person.
    #[param(value_type = Option<Uuid>)]
    pub person_id: Option<String>,
    /// Events by this token subject.
    #[param(
        max_length = 200,
        pattern = r"^[^\x00-\x1f\x7f-\x9f]*[^\s\x00-\x1f\x7f-\x9f][^\x00-\x1f\x7f-\x9f]*$"
    )]
    pub actor: Option<String>,
    /// `referral`, `person`, ...
    #[param(
        max_length = 50,
        pattern = r"^[^\x00-\x1f\x7f-\x9f]*[^\s\x00-\x1f\x7f-\x9f][^\x00-\x1f\x7f-\x9f]*$"
    )]
    pub resource_type: Option<String>,
    #[param(value_type = Option<Uuid>)]
    pub resource_id: Option<String>,
    /// From this time (inclusive, RFC 3339).
    #[param(value_type = Option<String>, format = DateTime)]
    pub from: Option<String>,
    /// Up to this time (exclusive, RFC 3339).
    #[param(value_type = Option<String>, format = DateTime)]
    pub to: Option<String>,
    /// Page size, 1 to 100 (default 20).
    #[param(value_type = Option<u32>, minimum = 1, maximum = 100)]
    pub limit: Option<String>,
    /// The `next_cursor` of the previous page.
    #[param(min_length = 32, max_length = 32, pattern = r"^[0-9a-fA-F]{32}$")]
    pub cursor: Option<String>,
}

/// List audit events of your organisation, newest first.
///
/// Every read and write of personal data is recorded with the actor, the action, the
/// resource, the time, the client address and the request id. Events cannot be changed or
/// deleted through the API, and the store has no method that would.
#[utoipa::path(get, path = "/v1/audit", tag = "audit", operation_id = "list_audit_events",
    security(("bearer" = [])),
    params(AuditQuery),
    responses(
        (status = 200, description = "A page of events", body = AuditPage),
        (status = 401, description = "No valid token", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 403, description = "The token's roles do not allow this", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 422, description = "A query parameter is not valid", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 503, description = "The database is unavailable", body = crate::error::Problem, content_type = "application/problem+json"),
    ))]
pub async fn list_audit_events(
    caller: Authorized,
    query: web::Query<AuditQuery>,
    store: web::Data<Arc<dyn Store>>,
) -> Result<HttpResponse, ApiError> {
    let q = query.into_inner();
    let mut v = Violations::new();
    let filter = AuditFilter {
        person_id: v
            .check_opt("person_id", q.person_id, |s| parse_uuid(&s))
            .flatten(),
        actor: v.check_opt("actor", q.actor, |s| short(s, 200)).flatten(),
        resource_type: v
            .check_opt("resource_type", q.resource_type, |s| short(s, 50))
            .flatten(),
        resource_id: v
            .check_opt("resource_id", q.resource_id, |s| parse_uuid(&s))
            .flatten(),
        from: v.check_opt("from", q.from, |s| parse_time(&s)).flatten(),
        to: v.check_opt("to", q.to, |s| parse_time(&s)).flatten(),
    };
    let page_request = crate::paging::page(&mut v, q.limit, q.cursor);
    if !v.is_empty() {
        return Err(ApiError::Validation(v.into_errors()));
    }
    let page = store
        .list_audit_events(caller.organisation.as_str(), &filter, page_request)
        .await?;
    Ok(HttpResponse::Ok().json(AuditPage {
        items: page
            .items
            .into_iter()
            .map(AuditEventResponse::from)
            .collect(),
        next_cursor: page.next.map(encode_cursor),
    }))
}

fn parse_uuid(raw: &str) -> Result<Uuid, Invalid> {
    Uuid::try_parse(raw.trim()).map_err(|_| Invalid::new("uuid_format", "must be a UUID"))
}

fn short(raw: String, max: usize) -> Result<String, Invalid> {
    socialrx_domain::text::label(&raw, max)
}

fn parse_time(raw: &str) -> Result<OffsetDateTime, Invalid> {
    socialrx_domain::when::parse_datetime(raw)
}
