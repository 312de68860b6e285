//! `GET /v1/referrals/{id}/timeline`: everything that happened to a referral, in order.

use std::sync::Arc;

use actix_web::{HttpRequest, HttpResponse, web};
use serde::Serialize;
use socialrx_store::{ConnectionMove, Event, Store, TimelineEvent};
use time::OffsetDateTime;
use utoipa::ToSchema;
use uuid::Uuid;

use super::contacts::ContactResponse;
use crate::access::Authorized;
use crate::error::ApiError;
use crate::routes::connections::ConnectionStatusCodes;
use crate::routes::lifecycle::{AssignmentResponse, ResolutionCodes, StatusChangeResponse};
use crate::routes::outcomes::{InstrumentCodes, TimePointCodes};
use crate::schema::code_list_schema;

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
        out.kind = out.attach(e.event).as_str().to_owned();
        out
    }
}

impl TimelineEventResponse {
    /// Fills the one optional object the event is told in, and says which kind it is.
    fn attach(&mut self, event: Event) -> EventKind {
        match event {
            Event::StatusChanged(c) => {
                self.status_change = Some(c.into());
                EventKind::StatusChanged
            }
            Event::Assigned(a) => {
                self.assignment = Some(AssignmentResponse::new(a, None));
                EventKind::Assigned
            }
            Event::Contact(c) => {
                self.contact = Some(ContactResponse::new(c, None));
                EventKind::Contact
            }
            Event::PlanUpdated { version, steps } => {
                self.plan = Some(PlanVersion::new(version, steps));
                EventKind::PlanUpdated
            }
            Event::DuplicateFlagged { other_referral_id } => {
                self.duplicate = Some(DuplicateEvent {
                    other_referral_id,
                    resolution: None,
                });
                EventKind::DuplicateFlagged
            }
            Event::DuplicateResolved {
                other_referral_id,
                resolution,
            } => {
                self.duplicate = Some(DuplicateEvent {
                    other_referral_id,
                    resolution: Some(resolution.as_str().to_owned()),
                });
                EventKind::DuplicateResolved
            }
            Event::Connection(m) => {
                self.connection = Some(m.into());
                EventKind::Connection
            }
            Event::OutcomeRecorded {
                measurement_id,
                instrument,
                time_point,
                measured_on,
            } => {
                self.outcome = Some(OutcomeEvent {
                    measurement_id,
                    instrument: instrument.as_str().to_owned(),
                    time_point: time_point.as_str().to_owned(),
                    measured_on: measured_on.to_string(),
                });
                EventKind::OutcomeRecorded
            }
        }
    }
}

impl From<ConnectionMove> for ConnectionEvent {
    fn from(m: ConnectionMove) -> Self {
        Self {
            connection_id: m.connection_id,
            activity_id: m.activity_id,
            activity_name: m.activity_name,
            from: m.from.map(|s| s.as_str().to_owned()),
            to: m.to.as_str().to_owned(),
            note: m.note,
        }
    }
}

impl PlanVersion {
    /// `steps`: planned, done and dropped, as the store counts them.
    fn new(version: u32, [steps_planned, steps_done, steps_dropped]: [usize; 3]) -> Self {
        Self {
            version,
            steps_planned,
            steps_done,
            steps_dropped,
        }
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
    caller: Authorized,
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
