//! Link workers: `GET/POST /v1/link-workers`, `GET /v1/link-workers/me`,
//! `GET/PUT/DELETE /v1/link-workers/{id}`.

use std::sync::Arc;

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, web};
use serde::{Deserialize, Serialize};
use socialrx_domain::link_worker::{self, LinkWorker, NewLinkWorker};
use socialrx_domain::{FieldError, Violations};
use socialrx_store::{Deletion, LinkWorkerFilter, ListedLinkWorker, Store, StoreError, Versioned};
use time::OffsetDateTime;
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;
use validator::Validate;

use crate::access::Authorized;
use crate::endpoint::{Endpoint, endpoint};
use crate::error::ApiError;
use crate::extract::Json;
use crate::paging::encode_cursor;
use crate::precondition::{IfMatch, etag};
use crate::schema::validation_errors;

pub const ENDPOINTS: &[Endpoint] = &[
    endpoint!(list_link_workers, ReadLinkWorkers),
    endpoint!(create_link_worker, ManageLinkWorkers),
    // Before `{id}`, which would otherwise take "me" for an id.
    endpoint!(my_link_worker, ReadLinkWorkers),
    endpoint!(get_link_worker, ReadLinkWorkers),
    endpoint!(update_link_worker, ManageLinkWorkers),
    endpoint!(delete_link_worker, ManageLinkWorkers),
];

#[derive(utoipa::OpenApi)]
#[openapi(
    tags((name = "link workers", description = "The staff who hold caseloads, with their capacity"))
)]
pub struct Api;

/// A link worker as a coordinator describes them (create and replace alike).
#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"subject": "idp|sam.taylor", "display_name": "Sam Taylor", "capacity": 40, "active": true}))]
pub struct LinkWorkerRequest {
    /// The `sub` claim of this person's tokens: how their own caseload is recognised.
    #[validate(length(max = 255))]
    #[schema(
        max_length = 255,
        min_length = 1,
        pattern = r"^[^\x00-\x1f\x7f-\x9f]*[^\s\x00-\x1f\x7f-\x9f][^\x00-\x1f\x7f-\x9f]*$"
    )]
    pub subject: String,
    #[validate(length(max = 100))]
    #[schema(
        max_length = 100,
        min_length = 1,
        pattern = r"^[^\x00-\x1f\x7f-\x9f]*[^\s\x00-\x1f\x7f-\x9f][^\x00-\x1f\x7f-\x9f]*$"
    )]
    pub display_name: String,
    /// How many open referrals (assigned or in progress) they can hold, 0 to 500.
    #[schema(minimum = 0, maximum = 500)]
    pub capacity: i64,
    /// Inactive link workers keep their history but are given no new referrals. `true`
    /// when absent.
    pub active: Option<bool>,
}

impl LinkWorkerRequest {
    pub fn into_domain(self) -> Result<NewLinkWorker, Vec<FieldError>> {
        let mut v = Violations::new();
        v.extend(validation_errors(&self));
        let subject = v.check("subject", link_worker::subject(&self.subject));
        let display_name = v.check(
            "display_name",
            link_worker::display_name(&self.display_name),
        );
        let capacity = v.check("capacity", link_worker::capacity(self.capacity));
        v.finish(|| {
            Some(NewLinkWorker {
                subject: subject?,
                display_name: display_name?,
                capacity: capacity?,
                active: self.active.unwrap_or(true),
            })
        })
    }
}

/// A link worker.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({"id": "019a9f6e-2b1c-7d40-9a51-3c2f1e0d4b80", "subject": "idp|sam.taylor", "display_name": "Sam Taylor", "capacity": 40, "active": true, "version": 1, "created_at": "2026-11-22T09:00:00Z", "updated_at": "2026-11-22T09:00:00Z"}))]
pub struct LinkWorkerResponse {
    pub id: Uuid,
    pub subject: String,
    pub display_name: String,
    pub capacity: u32,
    pub active: bool,
    /// Also sent as the `ETag`.
    pub version: u32,
    #[serde(with = "time::serde::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub created_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub updated_at: OffsetDateTime,
}

impl From<LinkWorker> for LinkWorkerResponse {
    fn from(w: LinkWorker) -> Self {
        Self {
            id: w.id,
            subject: w.details.subject,
            display_name: w.details.display_name,
            capacity: w.details.capacity,
            active: w.details.active,
            version: w.version,
            created_at: w.created_at,
            updated_at: w.updated_at,
        }
    }
}

/// A link worker in the list, with what their caseload holds: enough to hand out work by
/// capacity without a call per worker.
#[derive(Debug, Serialize, ToSchema)]
pub struct LinkWorkerListItem {
    #[serde(flatten)]
    pub link_worker: LinkWorkerResponse,
    /// Open referrals: `assigned` or `in_progress`.
    pub open: u32,
    /// `capacity` minus `open`, never below 0.
    pub capacity_left: u32,
    /// How many open referrals past `capacity` (after a coordinator's override); 0 when
    /// within it.
    pub over_capacity_by: u32,
}

impl From<ListedLinkWorker> for LinkWorkerListItem {
    fn from(l: ListedLinkWorker) -> Self {
        let room = link_worker::headroom(l.worker.details.capacity, l.open);
        Self {
            link_worker: LinkWorkerResponse::from(l.worker),
            open: room.open,
            capacity_left: room.left,
            over_capacity_by: room.over_by,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({"items": [{"id": "019a9f6e-2b1c-7d40-9a51-3c2f1e0d4b80", "subject": "idp|sam.taylor", "display_name": "Sam Taylor", "capacity": 40, "active": true, "version": 1, "created_at": "2026-11-22T09:00:00Z", "updated_at": "2026-11-22T09:00:00Z", "open": 41, "capacity_left": 0, "over_capacity_by": 1}]}))]
pub struct LinkWorkerPage {
    pub items: Vec<LinkWorkerListItem>,
    /// Pass as `cursor` to get the next page; absent on the last page.
    pub next_cursor: Option<String>,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListLinkWorkersQuery {
    /// `true` or `false`: only active or only inactive link workers.
    #[param(value_type = Option<bool>)]
    pub active: Option<String>,
    /// Page size, 1 to 100 (default 20).
    #[param(value_type = Option<u32>, minimum = 1, maximum = 100)]
    pub limit: Option<String>,
    /// The `next_cursor` of the previous page.
    #[param(min_length = 32, max_length = 32, pattern = r"^[0-9a-fA-F]{32}$")]
    pub cursor: Option<String>,
}

fn with_etag(mut response: actix_web::HttpResponseBuilder, worker: LinkWorker) -> HttpResponse {
    response
        .insert_header((header::ETAG, etag(worker.version)))
        .json(LinkWorkerResponse::from(worker))
}

fn subject_taken(e: StoreError) -> ApiError {
    match e {
        StoreError::Conflict(_) => {
            ApiError::conflict("another link worker of your organisation already has this subject")
        }
        e => e.into(),
    }
}

/// Add a link worker.
///
/// The `subject` is the `sub` claim of their tokens; it is unique in the organisation (409).
#[utoipa::path(post, path = "/v1/link-workers", tag = "link workers", operation_id = "create_link_worker",
    security(("bearer" = [])),
    request_body(content = LinkWorkerRequest, content_type = "application/json"),
    responses(
        (status = 201, description = "Added", body = LinkWorkerResponse,
            headers(("Location" = String, description = "The link worker's address"), ("ETag" = String, description = "The version, for If-Match"))),
        (status = 400, description = "The body is not JSON", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 401, description = "No valid token", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 403, description = "The token's roles do not allow this", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 409, description = "The subject is already a link worker of the organisation", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 415, description = "The body is not application/json", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 422, description = "Fields break rules", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 503, description = "The database is unavailable", body = crate::error::Problem, content_type = "application/problem+json"),
    ))]
pub async fn create_link_worker(
    req: HttpRequest,
    caller: Authorized,
    body: Json<LinkWorkerRequest>,
    store: web::Data<Arc<dyn Store>>,
) -> Result<HttpResponse, ApiError> {
    let worker = body.value.into_domain()?;
    let created = store
        .create_link_worker(&caller.audit(&req), worker)
        .await
        .map_err(subject_taken)?;
    let mut response = HttpResponse::Created();
    response.insert_header((header::LOCATION, format!("/v1/link-workers/{}", created.id)));
    Ok(with_etag(response, created))
}

/// List the organisation's link workers, oldest first.
///
/// Each item carries the worker's open referrals (`open`: assigned or in progress), the
/// room left (`capacity_left`, never negative) and, after a coordinator assigned past
/// capacity, by how many they are over it (`over_capacity_by`; 0 otherwise).
#[utoipa::path(get, path = "/v1/link-workers", tag = "link workers", operation_id = "list_link_workers",
    security(("bearer" = [])),
    params(ListLinkWorkersQuery),
    responses(
        (status = 200, description = "A page of link workers", body = LinkWorkerPage),
        (status = 401, description = "No valid token", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 403, description = "The token's roles do not allow this", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 422, description = "A query parameter is not valid", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 503, description = "The database is unavailable", body = crate::error::Problem, content_type = "application/problem+json"),
    ))]
pub async fn list_link_workers(
    req: HttpRequest,
    caller: Authorized,
    query: web::Query<ListLinkWorkersQuery>,
    store: web::Data<Arc<dyn Store>>,
) -> Result<HttpResponse, ApiError> {
    let q = query.into_inner();
    let mut v = Violations::new();
    let active = v
        .check_opt("active", q.active, |a| match a.as_str() {
            "true" => Ok(true),
            "false" => Ok(false),
            _ => Err(socialrx_domain::violations::Invalid::new(
                "not_in_list",
                "must be true or false",
            )),
        })
        .flatten();
    let page_request = crate::paging::page(&mut v, q.limit, q.cursor);
    if !v.is_empty() {
        return Err(ApiError::Validation(v.into_errors()));
    }
    let page = store
        .list_link_workers(
            &caller.audit(&req),
            &LinkWorkerFilter { active },
            page_request,
        )
        .await?;
    Ok(HttpResponse::Ok().json(LinkWorkerPage {
        items: page
            .items
            .into_iter()
            .map(LinkWorkerListItem::from)
            .collect(),
        next_cursor: page.next.map(encode_cursor),
    }))
}

/// The caller's own link worker record.
///
/// Found by the token's `sub` claim; 404 when the caller is not a link worker of the
/// organisation. Its `id` is the one to ask for the caller's caseload with.
#[utoipa::path(get, path = "/v1/link-workers/me", tag = "link workers", operation_id = "my_link_worker",
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The caller as a link worker", body = LinkWorkerResponse,
            headers(("ETag" = String, description = "The version, for If-Match"))),
        (status = 401, description = "No valid token", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 403, description = "The token's roles do not allow this", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 404, description = "The caller is not a link worker of the organisation", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 503, description = "The database is unavailable", body = crate::error::Problem, content_type = "application/problem+json"),
    ))]
pub async fn my_link_worker(
    req: HttpRequest,
    caller: Authorized,
    store: web::Data<Arc<dyn Store>>,
) -> Result<HttpResponse, ApiError> {
    let worker = store
        .find_link_worker(&caller.audit(&req), &caller.subject)
        .await?;
    Ok(with_etag(HttpResponse::Ok(), worker))
}

/// Read one link worker.
#[utoipa::path(get, path = "/v1/link-workers/{id}", tag = "link workers", operation_id = "get_link_worker",
    security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "The link worker's id")),
    responses(
        (status = 200, description = "The link worker", body = LinkWorkerResponse,
            headers(("ETag" = String, description = "The version, for If-Match"))),
        (status = 401, description = "No valid token", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 403, description = "The token's roles do not allow this", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such link worker in your organisation", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 503, description = "The database is unavailable", body = crate::error::Problem, content_type = "application/problem+json"),
    ))]
pub async fn get_link_worker(
    req: HttpRequest,
    caller: Authorized,
    id: web::Path<Uuid>,
    store: web::Data<Arc<dyn Store>>,
) -> Result<HttpResponse, ApiError> {
    let worker = store
        .get_link_worker(&caller.audit(&req), id.into_inner())
        .await?;
    Ok(with_etag(HttpResponse::Ok(), worker))
}

/// Replace a link worker's details.
///
/// Lowering the capacity below the current caseload refuses new assignments until it
/// drops; it takes no referral away. With `If-Match`, a change made since the caller read
/// the record is 412.
#[utoipa::path(put, path = "/v1/link-workers/{id}", tag = "link workers", operation_id = "update_link_worker",
    security(("bearer" = [])),
    params(
        ("id" = Uuid, Path, description = "The link worker's id"),
        ("If-Match" = Option<String>, Header, pattern = r#"^\s*(W/)?"[\x21\x23-\x7e]*"\s*(,\s*(W/)?"[\x21\x23-\x7e]*"\s*)*$"#, description = "The ETag read; when sent, a stale one is 412"),
    ),
    request_body(content = LinkWorkerRequest, content_type = "application/json"),
    responses(
        (status = 200, description = "Saved", body = LinkWorkerResponse,
            headers(("ETag" = String, description = "The new version"))),
        (status = 400, description = "The body is not JSON", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 401, description = "No valid token", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 403, description = "The token's roles do not allow this", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such link worker in your organisation", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 409, description = "The subject is already another link worker's", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 412, description = "The link worker changed since the ETag was read", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 415, description = "The body is not application/json", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 422, description = "Fields break rules", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 428, description = "If-Match was *", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 503, description = "The database is unavailable", body = crate::error::Problem, content_type = "application/problem+json"),
    ))]
pub async fn update_link_worker(
    req: HttpRequest,
    caller: Authorized,
    id: web::Path<Uuid>,
    if_match: IfMatch,
    body: Json<LinkWorkerRequest>,
    store: web::Data<Arc<dyn Store>>,
) -> Result<HttpResponse, ApiError> {
    let worker = body.value.into_domain()?;
    let saved = store
        .update_link_worker(
            &caller.audit(&req),
            id.into_inner(),
            if_match.0.as_deref(),
            worker,
        )
        .await
        .map_err(subject_taken)?;
    match saved {
        Versioned::Saved(worker) => Ok(with_etag(HttpResponse::Ok(), worker)),
        Versioned::Stale { current_version } => Err(ApiError::PreconditionFailed(format!(
            "the link worker is now at version {}; read it again",
            etag(current_version)
        ))),
    }
}

/// Remove a link worker who was never assigned a referral.
///
/// Anyone who has held a referral stays in its history: deactivate them instead (409).
#[utoipa::path(delete, path = "/v1/link-workers/{id}", tag = "link workers", operation_id = "delete_link_worker",
    security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "The link worker's id")),
    responses(
        (status = 204, description = "Removed"),
        (status = 401, description = "No valid token", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 403, description = "The token's roles do not allow this", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such link worker in your organisation", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 409, description = "The link worker has been assigned referrals; set active to false instead", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 503, description = "The database is unavailable", body = crate::error::Problem, content_type = "application/problem+json"),
    ))]
pub async fn delete_link_worker(
    req: HttpRequest,
    caller: Authorized,
    id: web::Path<Uuid>,
    store: web::Data<Arc<dyn Store>>,
) -> Result<HttpResponse, ApiError> {
    match store
        .delete_link_worker(&caller.audit(&req), id.into_inner())
        .await?
    {
        Deletion::Deleted => Ok(HttpResponse::NoContent().finish()),
        Deletion::InUse => Err(ApiError::conflict(
            "this link worker has been assigned referrals and stays in their history; \
             set active to false instead",
        )),
    }
}
