//! Connections (social prescriptions): a referral connected to an activity, moved through
//! its statuses with history; and the counts a provider sees for its activities.

use std::sync::Arc;

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, web};
use serde::{Deserialize, Serialize};
use socialrx_domain::connection::{Connection, ConnectionStatus, NewConnection, StatusChange};
use socialrx_domain::{Violations, limits, text};
use socialrx_store::{Store, StoreError};
use time::OffsetDateTime;
use utoipa::ToSchema;
use uuid::Uuid;
use validator::Validate;

use crate::access::Authorized;
use crate::endpoint::{Endpoint, endpoint};
use crate::error::ApiError;
use crate::extract::Json;
use crate::schema::{code_list_schema, validation_errors};

pub const ENDPOINTS: &[Endpoint] = &[
    endpoint!(list_connections, ReadConnections),
    endpoint!(create_connection, ManageConnections),
    endpoint!(update_connection, ManageConnections),
    endpoint!(connection_counts, ReadConnectionCounts),
];

#[derive(utoipa::OpenApi)]
#[openapi(
    tags((name = "connections", description = "Referrals connected to activities (social prescriptions)"))
)]
pub struct Api;

crate::schema::codes!(ConnectionStatusCodes = ConnectionStatus);

/// Connect a referral to an activity.
#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"activity_id": "019a9f6e-2b1c-7d40-9a51-3c2f1e0d4c01", "supported_first_attendance": true, "note": "Mornings are hard; meet her at the library door for the first session."}))]
pub struct CreateConnectionRequest {
    pub activity_id: Uuid,
    /// The link worker will go along to the first session.
    #[serde(default)]
    pub supported_first_attendance: bool,
    #[validate(length(max = 4000))]
    #[schema(
        max_length = 4000,
        pattern = r"^[^\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]*$"
    )]
    pub note: Option<String>,
}

/// Move a connection on.
#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"status": "attending", "note": "Went with her to the first session; she has been back twice."}))]
pub struct UpdateConnectionRequest {
    /// `suggested -> referred | attending | declined`; `referred -> attending |
    /// did_not_attend | declined`; `attending -> completed | declined | did_not_attend`;
    /// `did_not_attend -> referred | attending | declined`. Anything else is 409.
    #[schema(schema_with = code_list_schema::<ConnectionStatusCodes>)]
    pub status: String,
    #[validate(length(max = 4000))]
    #[schema(
        max_length = 4000,
        pattern = r"^[^\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]*$"
    )]
    pub note: Option<String>,
    /// Change whether the link worker goes along to the first session (for example,
    /// arranged after a missed start). Absent: unchanged.
    pub supported_first_attendance: Option<bool>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ConnectionEventResponse {
    #[schema(schema_with = crate::schema::optional_code_list_schema::<ConnectionStatusCodes>)]
    pub from: Option<String>,
    #[schema(schema_with = code_list_schema::<ConnectionStatusCodes>)]
    pub to: String,
    pub note: Option<String>,
    pub actor: String,
    #[serde(with = "time::serde::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub at: OffsetDateTime,
}

/// A connection with its history, oldest move first.
#[derive(Debug, Serialize, ToSchema)]
pub struct ConnectionResponse {
    pub id: Uuid,
    pub referral_id: Uuid,
    pub activity_id: Uuid,
    pub activity_name: String,
    #[schema(schema_with = code_list_schema::<ConnectionStatusCodes>)]
    pub status: String,
    pub supported_first_attendance: bool,
    pub note: Option<String>,
    pub created_by: String,
    #[serde(with = "time::serde::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub created_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub updated_at: OffsetDateTime,
    pub history: Vec<ConnectionEventResponse>,
}

impl From<Connection> for ConnectionResponse {
    fn from(c: Connection) -> Self {
        Self {
            id: c.id,
            referral_id: c.referral_id,
            activity_id: c.activity_id,
            activity_name: c.activity_name,
            status: c.status.as_str().to_owned(),
            supported_first_attendance: c.supported_first_attendance,
            note: c.note,
            created_by: c.created_by,
            created_at: c.created_at,
            updated_at: c.updated_at,
            history: c
                .history
                .into_iter()
                .map(|e| ConnectionEventResponse {
                    from: e.from.map(|s| s.as_str().to_owned()),
                    to: e.to.as_str().to_owned(),
                    note: e.note,
                    actor: e.actor,
                    at: e.at,
                })
                .collect(),
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ConnectionList {
    pub items: Vec<ConnectionResponse>,
}

/// How many people an activity has been connected with, by status: never who.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({"activity_id": "019a9f6e-2b1c-7d40-9a51-3c2f1e0d4c01", "total": 5, "by_status": {"suggested": 1, "referred": 0, "attending": 3, "completed": 1, "declined": 0, "did_not_attend": 0}}))]
pub struct ConnectionCounts {
    pub activity_id: Uuid,
    pub total: u64,
    /// Every status, zero included.
    #[schema(value_type = Object)]
    pub by_status: serde_json::Map<String, serde_json::Value>,
}

fn note(v: &mut Violations, raw: Option<String>) -> Option<Option<String>> {
    v.check_opt("note", raw, |s| text::free_text(&s, limits::NOTES))
        .map(Option::flatten)
}

/// Connect a referral to an activity.
///
/// The referral must be your organisation's; the activity any live one in the directory.
/// The connection starts as `suggested`.
///
/// One open connection per referral and activity: while an earlier connection to the same
/// activity is not yet `completed` or `declined`, the answer is 409 and its `detail` names
/// that connection (id and address); move it on with PATCH instead. After it has ended, a
/// new connection (a fresh try) may be made.
#[utoipa::path(post, path = "/v1/referrals/{id}/connections", tag = "connections", operation_id = "create_connection",
    security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "The referral's id")),
    request_body(content = CreateConnectionRequest, content_type = "application/json"),
    responses(
        (status = 201, description = "Connected", body = ConnectionResponse,
            headers(("Location" = String, description = "The connection's address"))),
        (status = 400, description = "The body is not JSON", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 401, description = "No valid token", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 403, description = "The token's roles do not allow this", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such referral in your organisation", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 409, description = "The referral already has an open connection to this activity; `detail` names it", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 415, description = "The body is not application/json", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 422, description = "Fields break rules, or the activity does not exist", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 503, description = "The database is unavailable", body = crate::error::Problem, content_type = "application/problem+json"),
    ))]
pub async fn create_connection(
    req: HttpRequest,
    caller: Authorized,
    id: web::Path<Uuid>,
    body: Json<CreateConnectionRequest>,
    store: web::Data<Arc<dyn Store>>,
) -> Result<HttpResponse, ApiError> {
    let body = body.value;
    let mut v = Violations::new();
    v.extend(validation_errors(&body));
    let note = note(&mut v, body.note);
    let new = v.finish(|| {
        Some(NewConnection {
            activity_id: body.activity_id,
            supported_first_attendance: body.supported_first_attendance,
            note: note?,
        })
    })?;
    let referral_id = id.into_inner();
    // Tell an unknown activity (the caller's mistake in the body) from an unknown referral.
    match store.get_activity(new.activity_id).await {
        Err(StoreError::NotFound) => {
            return Err(ApiError::validation(
                "activity_id",
                "unknown_activity",
                "is not an activity in the directory",
            ));
        }
        other => {
            other?;
        }
    }
    let connection = store
        .create_connection(&caller.audit(&req), referral_id, new)
        .await?;
    Ok(HttpResponse::Created()
        .insert_header((
            header::LOCATION,
            format!("/v1/referrals/{referral_id}/connections/{}", connection.id),
        ))
        .json(ConnectionResponse::from(connection)))
}

/// A referral's connections, oldest first, each with its history.
#[utoipa::path(get, path = "/v1/referrals/{id}/connections", tag = "connections", operation_id = "list_connections",
    security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "The referral's id")),
    responses(
        (status = 200, description = "The connections", body = ConnectionList),
        (status = 401, description = "No valid token", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 403, description = "The token's roles do not allow this", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such referral in your organisation", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 503, description = "The database is unavailable", body = crate::error::Problem, content_type = "application/problem+json"),
    ))]
pub async fn list_connections(
    req: HttpRequest,
    caller: Authorized,
    id: web::Path<Uuid>,
    store: web::Data<Arc<dyn Store>>,
) -> Result<HttpResponse, ApiError> {
    let items = store
        .list_connections(&caller.audit(&req), id.into_inner())
        .await?;
    Ok(HttpResponse::Ok().json(ConnectionList {
        items: items.into_iter().map(ConnectionResponse::from).collect(),
    }))
}

/// Move a connection on (attending, completed, ...), with a note; the move is kept in the
/// connection's history.
#[utoipa::path(patch, path = "/v1/referrals/{id}/connections/{connection_id}", tag = "connections", operation_id = "update_connection",
    security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "The referral's id"),
        ("connection_id" = Uuid, Path, description = "The connection's id")),
    request_body(content = UpdateConnectionRequest, content_type = "application/json"),
    responses(
        (status = 200, description = "Moved", body = ConnectionResponse),
        (status = 400, description = "The body is not JSON", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 401, description = "No valid token", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 403, description = "The token's roles do not allow this", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such connection on a referral of your organisation", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 409, description = "The move is not allowed from the current status (`current` and `allowed` say why)", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 415, description = "The body is not application/json", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 422, description = "Fields break rules", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 503, description = "The database is unavailable", body = crate::error::Problem, content_type = "application/problem+json"),
    ))]
pub async fn update_connection(
    req: HttpRequest,
    caller: Authorized,
    path: web::Path<(Uuid, Uuid)>,
    body: Json<UpdateConnectionRequest>,
    store: web::Data<Arc<dyn Store>>,
) -> Result<HttpResponse, ApiError> {
    let body = body.value;
    let mut v = Violations::new();
    v.extend(validation_errors(&body));
    let status = v.check("status", ConnectionStatus::parse(&body.status));
    let note = note(&mut v, body.note);
    let change = v.finish(|| {
        Some(StatusChange {
            status: status?,
            note: note?,
            supported_first_attendance: body.supported_first_attendance,
        })
    })?;
    let (referral_id, connection_id) = path.into_inner();
    match store
        .change_connection_status(&caller.audit(&req), referral_id, connection_id, change)
        .await?
    {
        Ok(connection) => Ok(HttpResponse::Ok().json(ConnectionResponse::from(connection))),
        Err(illegal) => Err(ApiError::Conflict {
            detail: illegal.to_string(),
            current: Some(illegal.from.as_str().to_owned()),
            allowed: Some(
                illegal
                    .from
                    .next()
                    .iter()
                    .map(|s| s.as_str().to_owned())
                    .collect(),
            ),
        }),
    }
}

/// How many people an activity of your organisation has been connected with, by status.
///
/// Counts cover connections made by every organisation; they never say who.
#[utoipa::path(get, path = "/v1/activities/{id}/connection_counts", tag = "connections", operation_id = "connection_counts",
    security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "The activity's id")),
    responses(
        (status = 200, description = "The counts", body = ConnectionCounts),
        (status = 401, description = "No valid token", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 403, description = "The token's roles do not allow this", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such activity of your organisation", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 503, description = "The database is unavailable", body = crate::error::Problem, content_type = "application/problem+json"),
    ))]
pub async fn connection_counts(
    caller: Authorized,
    id: web::Path<Uuid>,
    store: web::Data<Arc<dyn Store>>,
) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    let activity = store.get_activity(id).await?;
    if activity.organisation != caller.organisation.as_str() {
        return Err(ApiError::NotFound);
    }
    let counts = store.connection_counts(id).await?;
    Ok(HttpResponse::Ok().json(ConnectionCounts {
        activity_id: id,
        total: counts.iter().map(|(_, n)| n).sum(),
        by_status: counts
            .into_iter()
            .map(|(s, n)| (s.as_str().to_owned(), serde_json::Value::from(n)))
            .collect(),
    }))
}
