//! The referral lifecycle: `POST /v1/referrals/{id}/transitions`,
//! `GET /v1/referrals/{id}/history`, `POST /v1/referrals/{id}/assignment` and
//! `POST /v1/referrals/{id}/possible-duplicates/{other_id}`.

use std::sync::Arc;

use actix_web::{HttpRequest, HttpResponse, web};
use serde::{Deserialize, Serialize};
use socialrx_domain::duplicates::Resolution;
use socialrx_domain::link_worker::Refusal;
use socialrx_domain::referral::{ClosureReason, DeclineReason, Move, Status};
use socialrx_domain::{FieldError, Violations, limits, text};
use socialrx_store::{
    Assigned, Assignment, NewAssignment, Resolved, StatusChange, Store, Transitioned,
};
use time::OffsetDateTime;
use utoipa::ToSchema;
use utoipa::openapi::RefOr;
use utoipa::openapi::schema::{AnyOfBuilder, Schema};
use uuid::Uuid;
use validator::Validate;

use crate::access::Authorized;
use crate::endpoint::{Endpoint, endpoint};
use crate::error::ApiError;
use crate::extract::Json;
use crate::routes::referrals::StatusCodes;
use crate::schema::{CodeList, code_list_schema, validation_errors};

pub const ENDPOINTS: &[Endpoint] = &[
    endpoint!(transition_referral, TransitionReferral),
    endpoint!(referral_history, ReadCaseRecord),
    endpoint!(assign_referral, AssignReferral),
    endpoint!(resolve_duplicate, ResolveDuplicates),
];

#[derive(utoipa::OpenApi)]
#[openapi(
    tags((name = "lifecycle", description = "Triage, assignment, closure and the status history"))
)]
pub struct Api;

/// The states a transition may ask for; `assigned` and `in_progress` come from assignment
/// and the first contact.
pub struct DecisionCodes;
impl CodeList for DecisionCodes {
    const CODES: &'static [&'static str] = &["accepted", "declined", "closed"];
}
crate::schema::codes!(DeclineReasonCodes = DeclineReason);
crate::schema::codes!(ClosureReasonCodes = ClosureReason);
crate::schema::codes!(ResolutionCodes = Resolution);

fn move_reason_schema() -> impl Into<RefOr<Schema>> {
    AnyOfBuilder::new()
        .item(code_list_schema::<DeclineReasonCodes>())
        .item(code_list_schema::<ClosureReasonCodes>())
        .description(Some(
            "A decline reason when `to` is `declined`, a closure reason when it is `closed`",
        ))
}

// ---------------------------------------------------------------------------------------
// Transitions and history

/// A decision about a referral.
#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"to": "declined", "reason": "out_of_area", "note": "Lives in Calderdale; passed to their service"}))]
pub struct TransitionRequest {
    #[schema(schema_with = code_list_schema::<DecisionCodes>)]
    pub to: String,
    /// Required for `declined` and `closed`; not given for `accepted`.
    #[schema(schema_with = move_reason_schema)]
    pub reason: Option<String>,
    /// Why, in words. Required when the reason is `other`.
    #[validate(length(max = 4000))]
    #[schema(
        max_length = 4000,
        pattern = r"^[^\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]*$"
    )]
    pub note: Option<String>,
}

impl TransitionRequest {
    pub fn into_domain(self) -> Result<Move, Vec<FieldError>> {
        let mut v = Violations::new();
        v.extend(validation_errors(&self));
        let Some(to) = v.check("to", Status::parse(&self.to)) else {
            return Err(v.into_errors());
        };
        if !v.is_empty() {
            return Err(v.into_errors());
        }
        Move::decided(to, self.reason.as_deref(), self.note)
    }
}

/// One move of a referral's status.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({"id": "019a9f6e-2b1c-7d40-9a51-3c2f1e0d4b90", "referral_id": "019a9f6e-2b1c-7d40-9a51-3c2f1e0d4b7a", "from": "received", "to": "declined", "reason": "out_of_area", "note": "Lives in Calderdale; passed to their service", "actor": "idp|coordinator-1", "at": "2026-11-23T10:00:00Z"}))]
pub struct StatusChangeResponse {
    pub id: Uuid,
    pub referral_id: Uuid,
    /// Absent for the first entry, made at intake.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(schema_with = crate::schema::optional_code_list_schema::<StatusCodes>)]
    pub from: Option<String>,
    #[schema(schema_with = code_list_schema::<StatusCodes>)]
    pub to: String,
    pub reason: Option<String>,
    pub note: Option<String>,
    /// The token subject of who made the move.
    pub actor: String,
    #[serde(with = "time::serde::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub at: OffsetDateTime,
}

impl From<StatusChange> for StatusChangeResponse {
    fn from(c: StatusChange) -> Self {
        Self {
            id: c.id,
            referral_id: c.referral_id,
            from: c.from.map(|s| s.as_str().to_owned()),
            to: c.to.as_str().to_owned(),
            reason: c.reason.map(|r| r.as_str().to_owned()),
            note: c.note,
            actor: c.actor,
            at: c.at,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct StatusHistory {
    /// Oldest first, starting with `received`.
    pub items: Vec<StatusChangeResponse>,
}

/// The 409 of a move the state machine does not allow from the current state.
pub fn illegal(current: Status, detail: String) -> ApiError {
    ApiError::Conflict {
        detail,
        current: Some(current.as_str().to_owned()),
        allowed: Some(
            current
                .next()
                .iter()
                .map(|s| s.as_str().to_owned())
                .collect(),
        ),
    }
}

/// Move a referral: accept, decline or close it.
///
/// The lifecycle: `received -> accepted | declined`, `accepted -> assigned` (by assignment),
/// `assigned -> in_progress` (by the first contact), `in_progress -> closed`, and any open
/// state `-> closed`. Declining needs a decline reason, closing a closure reason. A move the
/// lifecycle does not allow from the current state is 409 naming the current state and the
/// allowed next ones. Every move records who, when and why.
#[utoipa::path(post, path = "/v1/referrals/{id}/transitions", tag = "lifecycle", operation_id = "transition_referral",
    security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "The referral's id")),
    request_body(content = TransitionRequest, content_type = "application/json"),
    responses(
        (status = 201, description = "Moved", body = StatusChangeResponse),
        (status = 400, description = "The body is not JSON", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 401, description = "No valid token", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 403, description = "The token's roles do not allow this", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such referral in your organisation", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 409, description = "The move is not allowed from the current state; `current` and `allowed` say where it may go", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 415, description = "The body is not application/json", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 422, description = "Fields break rules (a missing or wrong reason, a state reached otherwise)", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 503, description = "The database is unavailable", body = crate::error::Problem, content_type = "application/problem+json"),
    ))]
pub async fn transition_referral(
    req: HttpRequest,
    caller: Authorized,
    id: web::Path<Uuid>,
    body: Json<TransitionRequest>,
    store: web::Data<Arc<dyn Store>>,
) -> Result<HttpResponse, ApiError> {
    let decision = body.value.into_domain()?;
    match store
        .transition_referral(&caller.audit(&req), id.into_inner(), decision)
        .await?
    {
        Transitioned::Moved(change) => {
            Ok(HttpResponse::Created().json(StatusChangeResponse::from(change)))
        }
        Transitioned::Refused(illegal_move) => {
            Err(illegal(illegal_move.from, illegal_move.to_string()))
        }
    }
}

/// A referral's status history, oldest first.
#[utoipa::path(get, path = "/v1/referrals/{id}/history", tag = "lifecycle", operation_id = "referral_history",
    security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "The referral's id")),
    responses(
        (status = 200, description = "Every status move", body = StatusHistory),
        (status = 401, description = "No valid token", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 403, description = "The token's roles do not allow this", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such referral in your organisation", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 503, description = "The database is unavailable", body = crate::error::Problem, content_type = "application/problem+json"),
    ))]
pub async fn referral_history(
    req: HttpRequest,
    caller: Authorized,
    id: web::Path<Uuid>,
    store: web::Data<Arc<dyn Store>>,
) -> Result<HttpResponse, ApiError> {
    let history = store
        .referral_history(&caller.audit(&req), id.into_inner())
        .await?;
    Ok(HttpResponse::Ok().json(StatusHistory {
        items: history
            .into_iter()
            .map(StatusChangeResponse::from)
            .collect(),
    }))
}

// ---------------------------------------------------------------------------------------
// Assignment

/// Give a referral to a link worker.
#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"link_worker_id": "019a9f6e-2b1c-7d40-9a51-3c2f1e0d4b80", "override": false, "note": "Knows the local history groups"}))]
pub struct AssignmentRequest {
    pub link_worker_id: Uuid,
    /// Assign even though the link worker is at capacity.
    #[serde(default, rename = "override")]
    pub override_capacity: bool,
    #[validate(length(max = 4000))]
    #[schema(
        max_length = 4000,
        pattern = r"^[^\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]*$"
    )]
    pub note: Option<String>,
}

impl AssignmentRequest {
    pub fn into_domain(self) -> Result<NewAssignment, Vec<FieldError>> {
        let mut v = Violations::new();
        v.extend(validation_errors(&self));
        let note = v
            .check_opt("note", self.note, |n| text::free_text(&n, limits::NOTES))
            .map(Option::flatten);
        v.finish(|| {
            Some(NewAssignment {
                link_worker_id: self.link_worker_id,
                override_capacity: self.override_capacity,
                note: note?,
            })
        })
    }
}

/// An assignment (or reassignment) of a referral.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({"id": "019a9f6e-2b1c-7d40-9a51-3c2f1e0d4ba0", "referral_id": "019a9f6e-2b1c-7d40-9a51-3c2f1e0d4b7a", "link_worker_id": "019a9f6e-2b1c-7d40-9a51-3c2f1e0d4b80", "previous_link_worker_id": null, "capacity_overridden": false, "note": null, "actor": "idp|coordinator-1", "at": "2026-11-23T10:05:00Z", "status": "assigned"}))]
pub struct AssignmentResponse {
    pub id: Uuid,
    pub referral_id: Uuid,
    pub link_worker_id: Uuid,
    /// Set when this was a reassignment.
    pub previous_link_worker_id: Option<Uuid>,
    /// The link worker was at or over capacity and a coordinator overrode it.
    pub capacity_overridden: bool,
    pub note: Option<String>,
    pub actor: String,
    #[serde(with = "time::serde::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub at: OffsetDateTime,
    /// The referral's status now (absent inside a timeline).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(schema_with = crate::schema::optional_code_list_schema::<StatusCodes>)]
    pub status: Option<String>,
}

impl AssignmentResponse {
    pub fn new(a: Assignment, status: Option<Status>) -> Self {
        Self {
            id: a.id,
            referral_id: a.referral_id,
            link_worker_id: a.link_worker_id,
            previous_link_worker_id: a.previous_link_worker_id,
            capacity_overridden: a.capacity_overridden,
            note: a.note,
            actor: a.actor,
            at: a.at,
            status: status.map(|s| s.as_str().to_owned()),
        }
    }
}

/// Assign or reassign a referral to a link worker.
///
/// An `accepted` referral moves to `assigned`; an `assigned` or `in_progress` one is
/// reassigned and keeps its status. Every assignment stays in the history (and the
/// timeline). Refused with 409 when the link worker is inactive, or at capacity unless
/// `override` is true. Assigning to the link worker who already has it changes nothing.
#[utoipa::path(post, path = "/v1/referrals/{id}/assignment", tag = "lifecycle", operation_id = "assign_referral",
    security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "The referral's id")),
    request_body(content = AssignmentRequest, content_type = "application/json"),
    responses(
        (status = 200, description = "Assigned (or already so)", body = AssignmentResponse),
        (status = 400, description = "The body is not JSON", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 401, description = "No valid token", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 403, description = "The token's roles do not allow this", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such referral in your organisation", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 409, description = "The referral is not in a state to assign, or the link worker is at capacity or inactive", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 415, description = "The body is not application/json", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 422, description = "Fields break rules, or no such link worker", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 503, description = "The database is unavailable", body = crate::error::Problem, content_type = "application/problem+json"),
    ))]
pub async fn assign_referral(
    req: HttpRequest,
    caller: Authorized,
    id: web::Path<Uuid>,
    body: Json<AssignmentRequest>,
    store: web::Data<Arc<dyn Store>>,
) -> Result<HttpResponse, ApiError> {
    let assignment = body.value.into_domain()?;
    match store
        .assign_referral(&caller.audit(&req), id.into_inner(), assignment)
        .await?
    {
        Assigned::Done { assignment, status } | Assigned::Unchanged { assignment, status } => {
            Ok(HttpResponse::Ok().json(AssignmentResponse::new(assignment, Some(status))))
        }
        Assigned::WrongState(status) => Err(illegal(
            status,
            format!(
                "a referral that is '{status}' cannot be assigned: only accepted referrals are \
                 assigned, and assigned or in-progress ones reassigned"
            ),
        )),
        Assigned::NoSuchLinkWorker => Err(ApiError::validation(
            "link_worker_id",
            "not_found",
            "is not a link worker of your organisation",
        )),
        Assigned::Refused(refusal @ Refusal::AtCapacity { .. }) => Err(ApiError::conflict(
            format!("{refusal}; a coordinator may assign anyway with \"override\": true"),
        )),
        Assigned::Refused(refusal @ Refusal::Inactive) => {
            Err(ApiError::conflict(refusal.to_string()))
        }
    }
}

// ---------------------------------------------------------------------------------------
// Possible duplicates

/// What to do about a flagged pair.
#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"resolution": "merged"}))]
pub struct ResolveDuplicateRequest {
    /// `dismissed`: not the same person (or both stand); `merged`: the same person, and the
    /// referral `other_id` is closed as a duplicate of `id`.
    #[schema(schema_with = code_list_schema::<ResolutionCodes>)]
    pub resolution: String,
}

#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({"referral_id": "019a9f6e-2b1c-7d40-9a51-3c2f1e0d4b7a", "other_referral_id": "019a9f6e-2b1c-7d40-9a51-3c2f1e0d4bb0", "resolution": "merged"}))]
pub struct DuplicateResolved {
    pub referral_id: Uuid,
    pub other_referral_id: Uuid,
    #[schema(schema_with = code_list_schema::<ResolutionCodes>)]
    pub resolution: String,
}

/// Merge or dismiss a possible duplicate.
///
/// At intake, an open referral of the organisation for the same NHS number (or the same
/// name and date of birth) is flagged on both records (`possible_duplicates`). `merged`
/// keeps `id` and closes `other_id` with closure reason `duplicate`; `dismissed` removes the
/// flag. No open flag between the two is 404.
#[utoipa::path(post, path = "/v1/referrals/{id}/possible-duplicates/{other_id}", tag = "lifecycle", operation_id = "resolve_duplicate",
    security(("bearer" = [])),
    params(
        ("id" = Uuid, Path, description = "The referral that stays"),
        ("other_id" = Uuid, Path, description = "The referral flagged as its possible duplicate"),
    ),
    request_body(content = ResolveDuplicateRequest, content_type = "application/json"),
    responses(
        (status = 200, description = "Resolved", body = DuplicateResolved),
        (status = 400, description = "The body is not JSON", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 401, description = "No valid token", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 403, description = "The token's roles do not allow this", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 404, description = "No open flag between these referrals in your organisation", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 409, description = "A merge needs the other referral still open", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 415, description = "The body is not application/json", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 422, description = "Fields break rules", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 503, description = "The database is unavailable", body = crate::error::Problem, content_type = "application/problem+json"),
    ))]
pub async fn resolve_duplicate(
    req: HttpRequest,
    caller: Authorized,
    ids: web::Path<(Uuid, Uuid)>,
    body: Json<ResolveDuplicateRequest>,
    store: web::Data<Arc<dyn Store>>,
) -> Result<HttpResponse, ApiError> {
    let resolution = Resolution::parse(&body.value.resolution)
        .map_err(|e| ApiError::validation("resolution", e.code, e.message))?;
    let (id, other_id) = ids.into_inner();
    match store
        .resolve_duplicate(&caller.audit(&req), id, other_id, resolution)
        .await?
    {
        Resolved::Done => Ok(HttpResponse::Ok().json(DuplicateResolved {
            referral_id: id,
            other_referral_id: other_id,
            resolution: resolution.as_str().to_owned(),
        })),
        Resolved::OtherNotOpen(status) => Err(ApiError::Conflict {
            detail: format!("the other referral is '{status}' already; dismiss the flag instead"),
            current: Some(status.as_str().to_owned()),
            allowed: None,
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use socialrx_domain::referral::Trigger;

    #[test]
    fn the_decision_codes_are_the_states_reached_by_a_decision() {
        let decisions: Vec<&str> = Status::ALL
            .iter()
            .filter(|s| s.reached_by() == Trigger::Decision)
            .map(|s| s.as_str())
            .collect();
        assert_eq!(decisions, DecisionCodes::CODES);
    }
}
