//! `POST/GET /v1/referrals/{id}/contacts`: conversations and meetings with the person.

use std::sync::Arc;

use actix_web::{HttpRequest, HttpResponse, web};
use serde::{Deserialize, Serialize};
use socialrx_domain::contact::{
    self, Contact, ContactMode, ContactOutcome, LocationType, NewContact,
};
use socialrx_domain::referral::Status;
use socialrx_domain::{FieldError, Violations, limits, text};
use socialrx_store::{ContactRecorded, Store};
use time::OffsetDateTime;
use utoipa::ToSchema;
use uuid::Uuid;
use validator::Validate;

use crate::access::Authorized;
use crate::error::ApiError;
use crate::extract::Json;
use crate::routes::referrals::StatusCodes;
use crate::schema::{code_list_schema, validation_errors};
use socialrx_domain::when::{parse_date, parse_datetime};

crate::schema::codes!(ContactModeCodes = ContactMode);
crate::schema::codes!(ContactOutcomeCodes = ContactOutcome);
crate::schema::codes!(LocationTypeCodes = LocationType);
/// A conversation or meeting with the person.
#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"mode": "supported_attendance", "occurred_at": "2026-11-23T10:00:00Z", "minutes": 90, "notes": "Went with her to the local history group at the library.", "next_follow_up_on": "2026-11-30", "outcome": "attended", "location_type": "activity_venue", "present": "Her daughter, Claire"}))]
pub struct ContactRequest {
    /// How the contact happened: the PRSB standard's "Consultation method".
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
    /// What became of it (the standard's "Outcome of contact"); `attended` when absent.
    /// Only an attended contact counts as work done with the person: a missed or
    /// cancelled one is recorded but is never the first or last contact, does not move an
    /// `assigned` referral to `in_progress`, and may not carry `next_follow_up_on` (422,
    /// code `not_attended`).
    #[schema(schema_with = crate::schema::optional_code_list_schema::<ContactOutcomeCodes>)]
    pub outcome: Option<String>,
    /// The kind of place it happened (our mapping of the NHS Data Dictionary "Activity
    /// location type code").
    #[schema(schema_with = crate::schema::optional_code_list_schema::<LocationTypeCodes>)]
    pub location_type: Option<String>,
    /// Who else was there (a carer, a relative, an interpreter): one line, at most 150
    /// characters.
    #[validate(length(max = 150))]
    #[schema(max_length = 150, pattern = r"^[^\x00-\x1f\x7f-\x9f]*$")]
    pub present: Option<String>,
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
        let outcome = v
            .check_opt("outcome", self.outcome, |o| ContactOutcome::parse(&o))
            .map(|o| o.unwrap_or(ContactOutcome::Attended));
        let location_type = v.check_opt("location_type", self.location_type, |l| {
            LocationType::parse(&l)
        });
        let present = v
            .check_opt("present", self.present, |p| contact::present(&p))
            .map(Option::flatten);
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
        let next = match (next, outcome) {
            (Some(next), Some(outcome)) => v.check(
                "next_follow_up_on",
                contact::next_follow_up_only_if_attended(next, outcome),
            ),
            (next, _) => next,
        };
        v.finish(|| {
            Some(NewContact {
                mode: mode?,
                occurred_at: occurred_at?,
                minutes: minutes?,
                notes: notes?,
                next_follow_up_on: next?,
                outcome: outcome?,
                location_type: location_type?,
                present: present?,
            })
        })
    }
}

/// A recorded contact.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({"id": "019a9f6e-2b1c-7d40-9a51-3c2f1e0d4c10", "referral_id": "019a9f6e-2b1c-7d40-9a51-3c2f1e0d4b7a", "mode": "phone", "occurred_at": "2026-11-23T10:00:00Z", "minutes": 25, "notes": "Mornings are hard; afternoons are better.", "next_follow_up_on": "2026-11-30", "outcome": "attended", "location_type": "telephone_or_video", "present": null, "recorded_by": "idp|sam.taylor", "recorded_at": "2026-11-23T10:31:00Z", "referral_status": "in_progress"}))]
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
    /// `attended` for every contact recorded before the field existed.
    #[schema(schema_with = code_list_schema::<ContactOutcomeCodes>)]
    pub outcome: String,
    #[schema(schema_with = crate::schema::optional_code_list_schema::<LocationTypeCodes>)]
    pub location_type: Option<String>,
    pub present: Option<String>,
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
    pub(super) fn new(c: Contact, status: Option<Status>) -> Self {
        let d = c.details;
        Self {
            id: c.id,
            referral_id: c.referral_id,
            mode: d.mode.as_str().to_owned(),
            occurred_at: d.occurred_at,
            minutes: d.minutes,
            notes: d.notes,
            next_follow_up_on: d.next_follow_up_on.map(|x| x.to_string()),
            outcome: d.outcome.as_str().to_owned(),
            location_type: d.location_type.map(|l| l.as_str().to_owned()),
            present: d.present,
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
/// Only contacts that happened (`outcome` `attended`, the default) do any of that. One
/// that did not (`did_not_attend`, `cancelled_by_person`, `cancelled_by_service`) is kept
/// on the record and in the timeline, but is never the first or last contact, leaves the
/// referral's status and next follow-up as they were, and may not carry
/// `next_follow_up_on` (422, code `not_attended`).
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
        (status = 422, description = "Fields break rules, `occurred_at` is before the referral was received, or a contact that did not happen carries `next_follow_up_on`", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 503, description = "The database is unavailable", body = crate::error::Problem, content_type = "application/problem+json"),
    ))]
pub async fn record_contact(
    req: HttpRequest,
    caller: Authorized,
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
    caller: Authorized,
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
