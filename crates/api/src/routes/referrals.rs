//! Referral intake: `POST /v1/referrals`, `GET /v1/referrals/{id}`, `GET /v1/referrals`.

use std::sync::Arc;

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, web};
use serde::{Deserialize, Serialize};
use socialrx_domain::Violations;
use socialrx_domain::referral::{Referral, Source, Status};
use socialrx_store::{Reach, ReferralFilter, ReferralStatusView, Store};
use time::OffsetDateTime;
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use crate::access::Authorized;
use crate::endpoint::{Endpoint, endpoint};
use crate::error::ApiError;
use crate::extract::{Body, IdempotencyKeyHeader};
use crate::idempotency::{InFlight, Once, create_once};
pub use crate::receiving::ReceivingServiceRequest;
use crate::schema::{code_list_schema, codes_array_schema};

pub const ENDPOINTS: &[Endpoint] = &[
    endpoint!(list_referrals, ReadReferral),
    endpoint!(create_referral, CreateReferral),
    endpoint!(get_referral, ReadReferral),
];

#[derive(utoipa::OpenApi)]
#[openapi(
    tags((name = "referrals", description = "Referral intake and reading back"))
)]
pub struct Api;

mod request;

pub use request::*;

// ---------------------------------------------------------------------------------------
// Responses

/// What `POST /v1/referrals` answers (and answers again, unchanged, to a retry).
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({"id": "019a9f6e-2b1c-7d40-9a51-3c2f1e0d4b7a", "reference": "SRX-7K3M-9QPD", "status": "received", "created_at": "2026-11-22T09:30:00Z", "receiving_service": "Y02794", "referrer_organisation": "B85001"}))]
pub struct ReferralCreated {
    pub id: Uuid,
    /// Short and unambiguous, for reading out on the phone.
    pub reference: String,
    #[schema(schema_with = code_list_schema::<StatusCodes>)]
    pub status: String,
    #[serde(with = "time::serde::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub created_at: OffsetDateTime,
    /// The service that received it (ODS code).
    pub receiving_service: String,
    /// Your organisation, which sent it (ODS code).
    pub referrer_organisation: String,
}

impl ReferralCreated {
    fn new(
        id: Uuid,
        reference: &str,
        created_at: OffsetDateTime,
        receiving_service: &str,
        referrer_organisation: &str,
    ) -> Self {
        Self {
            id,
            reference: reference.to_owned(),
            // A retry answers what the first request answered: the status at creation.
            status: Status::Received.as_str().to_owned(),
            created_at,
            receiving_service: receiving_service.to_owned(),
            referrer_organisation: referrer_organisation.to_owned(),
        }
    }
}

impl From<&Referral> for ReferralCreated {
    fn from(r: &Referral) -> Self {
        Self::new(
            r.id,
            r.reference.as_str(),
            r.created_at,
            &r.organisation,
            &r.referrer_organisation,
        )
    }
}

impl From<&ReferralStatusView> for ReferralCreated {
    fn from(v: &ReferralStatusView) -> Self {
        Self::new(
            v.id,
            &v.reference,
            v.received_at,
            &v.organisation,
            &v.referrer_organisation,
        )
    }
}

/// A referral with the person it is for.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!(crate::examples::referral_response()))]
pub struct ReferralResponse {
    pub id: Uuid,
    pub reference: String,
    /// The organisation that sent it (ODS code): yours when you recorded it yourself.
    pub referrer_organisation: String,
    #[schema(schema_with = code_list_schema::<StatusCodes>)]
    pub status: String,
    #[schema(schema_with = code_list_schema::<SourceCodes>)]
    pub source: String,
    pub person: PersonResponse,
    pub referrer: ReferrerResponse,
    #[schema(schema_with = codes_array_schema::<ReasonCodes>)]
    pub reasons: Vec<String>,
    pub notes: Option<String>,
    #[schema(schema_with = code_list_schema::<UrgencyCodes>)]
    pub urgency: String,
    pub consent: ConsentResponse,
    #[serde(with = "time::serde::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub created_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub updated_at: OffsetDateTime,
    /// The link worker it is (or was last) assigned to.
    pub link_worker_id: Option<Uuid>,
    /// Open referrals of the organisation that may be for the same person, for a
    /// coordinator to merge or dismiss.
    pub possible_duplicates: Vec<Uuid>,
    #[schema(schema_with = crate::schema::optional_code_list_schema::<ReferralMethodCodes>)]
    pub referral_method: Option<String>,
    pub reason_text: Option<String>,
    pub return_response_to: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct PersonResponse {
    pub id: Uuid,
    pub nhs_number: Option<String>,
    pub given_name: String,
    pub family_name: String,
    #[schema(format = Date)]
    pub date_of_birth: String,
    pub postcode: String,
    /// Empty when no address was given.
    pub address_lines: Vec<String>,
    pub phone: Option<String>,
    pub email: Option<String>,
    #[schema(schema_with = code_list_schema::<ContactMethodCodes>)]
    pub preferred_contact: String,
    pub language: Option<String>,
    pub interpreter_needed: bool,
    pub accessibility_needs: Option<String>,
    pub registered_practice: Option<String>,
    pub pronouns: Option<String>,
    pub carer: Option<bool>,
    pub communication_needs: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ReferrerResponse {
    pub ods_code: Option<String>,
    pub name: String,
    pub role: Option<String>,
    pub contact_details: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ConsentResponse {
    pub given: bool,
    #[serde(with = "time::serde::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub given_at: OffsetDateTime,
    #[schema(schema_with = code_list_schema::<ConsentMethodCodes>)]
    pub method: String,
    /// Consent to share information: `true` agreed, `false` not obtained, `null` not
    /// recorded.
    pub information_sharing: Option<bool>,
    pub information_sharing_not_obtained_reason: Option<String>,
}

impl From<Referral> for ReferralResponse {
    fn from(r: Referral) -> Self {
        let d = r.details;
        let p = d.person;
        Self {
            id: r.id,
            reference: r.reference.as_str().to_owned(),
            referrer_organisation: r.referrer_organisation,
            status: r.status.as_str().to_owned(),
            source: d.source.as_str().to_owned(),
            person: PersonResponse {
                id: r.person_id,
                nhs_number: p.nhs_number.map(|n| n.as_string()),
                given_name: p.given_name,
                family_name: p.family_name,
                date_of_birth: p.date_of_birth.to_string(),
                postcode: p.postcode.as_str().to_owned(),
                address_lines: p.address_lines,
                phone: p.phone.map(|x| x.as_str().to_owned()),
                email: p.email.map(|x| x.as_str().to_owned()),
                preferred_contact: p.preferred_contact.as_str().to_owned(),
                language: p.language,
                interpreter_needed: p.interpreter_needed,
                accessibility_needs: p.accessibility_needs,
                registered_practice: p.registered_practice.map(|x| x.as_str().to_owned()),
                pronouns: p.about_me.pronouns,
                carer: p.about_me.carer,
                communication_needs: p.about_me.communication_needs,
            },
            referrer: ReferrerResponse {
                ods_code: d.referrer.ods_code.map(|x| x.as_str().to_owned()),
                name: d.referrer.name,
                role: d.referrer.role,
                contact_details: d.particulars.referrer_contact,
            },
            reasons: d.reasons.iter().map(|r| r.as_str().to_owned()).collect(),
            notes: d.notes,
            urgency: d.urgency.as_str().to_owned(),
            consent: ConsentResponse {
                given: true,
                given_at: d.consent.given_at,
                method: d.consent.method.as_str().to_owned(),
                information_sharing: d
                    .particulars
                    .information_sharing
                    .as_ref()
                    .map(|s| s.agreed()),
                information_sharing_not_obtained_reason: d
                    .particulars
                    .information_sharing
                    .as_ref()
                    .and_then(|s| s.reason().map(str::to_owned)),
            },
            created_at: r.created_at,
            updated_at: r.updated_at,
            link_worker_id: r.link_worker_id,
            possible_duplicates: r.possible_duplicates,
            referral_method: d.particulars.method.map(|m| m.as_str().to_owned()),
            reason_text: d.particulars.reason_text,
            return_response_to: d.particulars.return_response_to,
        }
    }
}

/// A page of referrals, newest first.
#[derive(Debug, Serialize, ToSchema)]
pub struct ReferralPage {
    pub items: Vec<ReferralResponse>,
    /// Pass as `cursor` to get the next page; absent on the last page.
    pub next_cursor: Option<String>,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListReferralsQuery {
    /// Only referrals in this state.
    #[param(schema_with = code_list_schema::<StatusCodes>)]
    pub status: Option<String>,
    /// Only referrals from this source.
    #[param(schema_with = code_list_schema::<SourceCodes>)]
    pub source: Option<String>,
    /// Page size, 1 to 100 (default 20).
    #[param(value_type = Option<u32>, minimum = 1, maximum = 100)]
    pub limit: Option<String>,
    /// The `next_cursor` of the previous page.
    #[param(min_length = 32, max_length = 32, pattern = r"^[0-9a-fA-F]{32}$")]
    pub cursor: Option<String>,
}

// ---------------------------------------------------------------------------------------
// Handlers

/// Send a referral.
///
/// Validates every field (NHS number check digit, date of birth, postcode, ODS codes,
/// reason codes, consent) and reports every failure at once. The referral goes to your
/// own organisation, or to the `receiving_service` named, which must have a referral
/// agreement with your organisation (`POST /v1/referral-agreements`, by its admin): the
/// service holds it; your organisation reads back the referrer's view
/// (`GET /v1/referrals/{id}/status`, `GET /v1/sent-referrals`). With an
/// `Idempotency-Key`, a retry with the same key and body answers the first 201 again and
/// creates nothing; the same key with another body is 422; the same key while the first
/// request is still being handled is 409. Keys are kept at least 24 hours, per sending
/// organisation.
#[utoipa::path(post, path = "/v1/referrals", tag = "referrals", operation_id = "create_referral",
    security(("bearer" = [])),
    params(("Idempotency-Key" = Option<String>, Header, pattern = r"^[\x21-\x7e]{1,255}$", description = "Makes a retry safe: 1 to 255 visible ASCII characters, such as a UUID")),
    request_body(content = CreateReferralRequest, content_type = "application/json"),
    responses(
        (status = 201, description = "Received", body = ReferralCreated,
            headers(("Location" = String, description = "The new referral's address"))),
        (status = 400, description = "The body is not JSON", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 401, description = "No valid token", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 403, description = "The token's roles do not allow this", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 409, description = "A request with this Idempotency-Key is still being handled", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 413, description = "The body is over 64 KiB", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 415, description = "The body is not application/json", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 422, description = "Fields break rules, a field is unknown, the receiving service does not accept referrals from your organisation, or the Idempotency-Key was used for another body", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 503, description = "The database is unavailable", body = crate::error::Problem, content_type = "application/problem+json"),
    ))]
pub async fn create_referral(
    req: HttpRequest,
    caller: Authorized,
    key: IdempotencyKeyHeader,
    body: Body<CreateReferralRequest>,
    store: web::Data<Arc<dyn Store>>,
    in_flight: web::Data<InFlight>,
) -> Result<HttpResponse, ApiError> {
    let fingerprint = body.fingerprint.clone();
    let now = OffsetDateTime::now_utc();
    // Every shape error (unknown, missing, mistyped fields) with every rule error.
    let (target, referral) = body.judge(|mut request| {
        let target = crate::receiving::parse(request.receiving_service.take(), "receiving_service");
        crate::receiving::both(target, request.into_domain(now))
    })?;
    let to = crate::receiving::resolve(
        store.as_ref().as_ref(),
        &caller,
        target,
        "receiving_service",
    )
    .await?;
    let audit = caller.audit(&req);
    let once = create_once(
        &in_flight,
        &audit.organisation,
        key.0,
        &fingerprint,
        |key| async { Ok::<_, ApiError>(store.refer(&audit, &to, referral, key).await?) },
    )
    .await?;
    match once {
        Once::New(referral) => Ok(created(&ReferralCreated::from(&referral), false)),
        Once::Replay(id) => {
            let view = store.referral_status(&audit, Reach::Sent, id).await?;
            Ok(created(&ReferralCreated::from(&view), true))
        }
    }
}

fn created(referral: &ReferralCreated, replayed: bool) -> HttpResponse {
    let mut response = HttpResponse::Created();
    response.insert_header((header::LOCATION, format!("/v1/referrals/{}", referral.id)));
    if replayed {
        response.insert_header(("Idempotent-Replayed", "true"));
    }
    response.json(referral)
}

/// Read one referral.
///
/// The full record, for the receiving service's staff. A referral your organisation
/// does not hold is 404, exactly like one that does not exist (a referrer reads what it
/// sent through `GET /v1/referrals/{id}/status`).
#[utoipa::path(get, path = "/v1/referrals/{id}", tag = "referrals", operation_id = "get_referral",
    security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "The referral's id")),
    responses(
        (status = 200, description = "The referral", body = ReferralResponse),
        (status = 401, description = "No valid token", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 403, description = "The token's roles do not allow this", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such referral in your organisation", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 503, description = "The database is unavailable", body = crate::error::Problem, content_type = "application/problem+json"),
    ))]
pub async fn get_referral(
    req: HttpRequest,
    caller: Authorized,
    id: web::Path<Uuid>,
    store: web::Data<Arc<dyn Store>>,
) -> Result<HttpResponse, ApiError> {
    let referral = store
        .get_referral(&caller.audit(&req), id.into_inner())
        .await?;
    Ok(HttpResponse::Ok().json(ReferralResponse::from(referral)))
}

/// List referrals, newest first.
///
/// Keyset pagination: pass the previous page's `next_cursor` as `cursor`.
#[utoipa::path(get, path = "/v1/referrals", tag = "referrals", operation_id = "list_referrals",
    security(("bearer" = [])),
    params(ListReferralsQuery),
    responses(
        (status = 200, description = "A page of referrals", body = ReferralPage),
        (status = 401, description = "No valid token", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 403, description = "The token's roles do not allow this", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 422, description = "A query parameter is not valid", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 503, description = "The database is unavailable", body = crate::error::Problem, content_type = "application/problem+json"),
    ))]
pub async fn list_referrals(
    req: HttpRequest,
    caller: Authorized,
    query: web::Query<ListReferralsQuery>,
    store: web::Data<Arc<dyn Store>>,
) -> Result<HttpResponse, ApiError> {
    let q = query.into_inner();
    let mut v = Violations::new();
    let filter = ReferralFilter {
        status: v
            .check_opt("status", q.status, |s| Status::parse(&s))
            .flatten(),
        source: v
            .check_opt("source", q.source, |s| Source::parse(&s))
            .flatten(),
    };
    let page = crate::paging::page(&mut v, q.limit, q.cursor);
    if !v.is_empty() {
        return Err(ApiError::Validation(v.into_errors()));
    }
    let page = store
        .list_referrals(&caller.audit(&req), &filter, page)
        .await?;
    Ok(HttpResponse::Ok().json(ReferralPage {
        items: page.items.into_iter().map(ReferralResponse::from).collect(),
        next_cursor: page.next.map(crate::paging::encode_cursor),
    }))
}
