//! FHIR R4 for clinical systems, under `/fhir/r4` in `application/fhir+json`: referrals in
//! as a ServiceRequest (alone, in a transaction Bundle, or as a BaRS message), read back
//! as a ServiceRequest, followed to their outcome through a Task. Every error is an
//! OperationOutcome.
//!
//! A FHIR referral becomes the same `CreateReferralRequest` as `POST /v1/referrals` and is
//! judged by the same `into_domain`; it is stored by the same store code, with the codings
//! it arrived with kept beside it.

pub mod intake;
pub mod mapping;
pub mod model;
pub mod render;
pub mod schemas;

use std::sync::Arc;

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, web};
use serde::Deserialize;
use serde_json::{Value, json};
use socialrx_domain::referral::{NewReferral, Referral};
use socialrx_store::{FhirIntake, Recipient, Store};
use time::OffsetDateTime;
use utoipa::IntoParams;
use uuid::Uuid;

use self::intake::Intake;
use self::render::LoopState;
use crate::access::Authorized;
use crate::endpoint::{Endpoint, endpoint};
use crate::error::fhir::{FHIR_JSON, FhirError, Issue, is_fhir_path};
use crate::extract::{IdempotencyKeyHeader, Json};
use crate::idempotency::{InFlight, Once, create_once};

pub const ENDPOINTS: &[Endpoint] = &[
    endpoint!(metadata, public),
    endpoint!(post_bundle, CreateReferral),
    endpoint!(process_message, CreateReferral),
    endpoint!(search_service_requests, public),
    endpoint!(create_service_request, CreateReferral),
    endpoint!(read_service_request, ReadReferralStatus),
    endpoint!(search_tasks, ReadReferralStatus),
    endpoint!(read_task, ReadReferralStatus),
];

/// Mounted after every other route: any other path under /fhir/r4 names a resource type
/// (or an interaction) that is not served, which FHIR answers as not supported, not as an
/// unknown page.
pub fn mount_fallback(cfg: &mut web::ServiceConfig) {
    cfg.service(web::resource("/fhir/r4/{rest:.*}").to(not_supported));
}

async fn not_supported(rest: web::Path<String>) -> Result<HttpResponse, FhirError> {
    let kind = rest.split('/').next().unwrap_or("");
    Err(FhirError::new(
        actix_web::http::StatusCode::NOT_FOUND,
        vec![Issue::error(
            "not-supported",
            "not_supported",
            format!(
                "'{kind}' is not supported here: this server takes ServiceRequests (create, read) \
                 and serves Tasks (read, search by focus); see GET /fhir/r4/metadata"
            ),
            None,
        )],
    ))
}

/// Media types a FHIR client may ask for: ours is JSON only (`application/fhir+json`).
const JSON_FORMATS: &[&str] = &[
    "*/*",
    "application/*",
    "application/json",
    "application/fhir+json",
    "application/json+fhir",
    "json",
];

/// Middleware for `/fhir`: a client that asks for anything but JSON (an `Accept` header
/// with no JSON range, or `_format=xml`) gets 406 with an OperationOutcome, in JSON since
/// that is all we write, before any other work is done.
pub async fn negotiate(
    req: actix_web::dev::ServiceRequest,
    next: actix_web::middleware::Next<impl actix_web::body::MessageBody + 'static>,
) -> Result<actix_web::dev::ServiceResponse<impl actix_web::body::MessageBody>, actix_web::Error> {
    if is_fhir_path(req.path())
        && let Some(asked) = unacceptable_format(req.request())
    {
        let error = FhirError::new(
            actix_web::http::StatusCode::NOT_ACCEPTABLE,
            vec![Issue::error(
                "not-supported",
                "not_acceptable",
                format!("{asked} cannot be given: this server answers application/fhir+json only"),
                None,
            )],
        );
        let response = actix_web::ResponseError::error_response(&error);
        return Ok(req.into_response(response).map_into_right_body());
    }
    Ok(next.call(req).await?.map_into_left_body())
}

/// What the request asks for that we cannot give, if anything: `_format` wins over
/// `Accept`, as FHIR says.
fn unacceptable_format(req: &HttpRequest) -> Option<String> {
    let is_json = |media: &str| {
        let media = media
            .split(';')
            .next()
            .unwrap_or("")
            .trim()
            .to_ascii_lowercase();
        JSON_FORMATS.contains(&media.as_str())
    };
    let query = web::Query::<Vec<(String, String)>>::from_query(req.query_string()).ok();
    if let Some(format) = query
        .as_ref()
        .and_then(|q| q.iter().find(|(k, _)| k == "_format"))
        .map(|(_, v)| v)
    {
        return (!is_json(format)).then(|| format!("_format={format}"));
    }
    let accept = req.headers().get(header::ACCEPT)?.to_str().ok()?;
    (!accept.split(',').any(is_json)).then(|| format!("Accept: {accept}"))
}

#[derive(utoipa::OpenApi)]
#[openapi(
    components(schemas(
        schemas::OperationOutcome,
        schemas::ServiceRequest,
        schemas::Bundle,
        schemas::Task,
        schemas::CapabilityStatement
    )),
    tags((name = "fhir", description = "FHIR R4 for GP systems: social prescribing referrals in, closed loop out"))
)]
pub struct Api;

fn fhir(status: actix_web::http::StatusCode, body: &Value) -> HttpResponse {
    HttpResponse::build(status)
        .content_type(FHIR_JSON)
        .body(body.to_string())
}

fn base_url(req: &HttpRequest) -> String {
    let info = req.connection_info();
    format!("{}://{}/fhir/r4", info.scheme(), info.host())
}

/// What the server supports.
///
/// A CapabilityStatement listing exactly the interactions below. Public, as FHIR expects.
#[utoipa::path(get, path = "/fhir/r4/metadata", tag = "fhir", operation_id = "fhir_metadata",
    responses(
        (status = 200, description = "The CapabilityStatement", body = schemas::CapabilityStatement, content_type = "application/fhir+json"),
    ))]
pub async fn metadata(req: HttpRequest) -> HttpResponse {
    fhir(
        actix_web::http::StatusCode::OK,
        &render::capability_statement(&base_url(&req)),
    )
}

/// Searching ServiceRequests: not supported.
///
/// Always an OperationOutcome (`not-supported`): read a referral by its id, or find its
/// Task with `GET /fhir/r4/Task?focus=ServiceRequest/{id}`.
#[utoipa::path(get, path = "/fhir/r4/ServiceRequest", tag = "fhir", operation_id = "fhir_search_service_requests",
    responses(
        (status = 400, description = "Searching ServiceRequests is not supported", body = schemas::OperationOutcome, content_type = "application/fhir+json"),
    ))]
pub async fn search_service_requests() -> Result<HttpResponse, FhirError> {
    Err(FhirError::new(
        actix_web::http::StatusCode::BAD_REQUEST,
        vec![Issue::error(
            "not-supported",
            "search_not_supported",
            "searching ServiceRequests is not supported: read one by id \
             (GET /fhir/r4/ServiceRequest/{id}), or find a referral's Task with \
             GET /fhir/r4/Task?focus=ServiceRequest/{id}",
            None,
        )],
    ))
}

/// The weak ETag of a resource we render with a `meta.versionId`.
fn etag(resource: &Value) -> Option<String> {
    resource["meta"]["versionId"]
        .as_str()
        .map(|v| format!("W/\"{v}\""))
}

/// A referral read from FHIR, stored (or found again for a retried Idempotency-Key).
struct Accepted {
    referral: Referral,
    stored: Option<FhirIntake>,
    intake: Intake,
    replayed: bool,
}

/// The one intake path of every FHIR POST: read the FHIR into our request, judge it with
/// the referral rules of `POST /v1/referrals`, store it with the same store code.
async fn accept(
    req: &HttpRequest,
    caller: &crate::Caller,
    key: IdempotencyKeyHeader,
    body: Json<Value>,
    store: &Arc<dyn Store>,
    in_flight: &InFlight,
    read: fn(&Value, &str) -> Result<Intake, FhirError>,
) -> Result<Accepted, FhirError> {
    let mut intake = read(&body.value, caller.organisation.as_str())?;
    let (to, referral) = judge(&mut intake, caller, store).await?;
    let audit = caller.audit(req);
    let fhir_intake = FhirIntake {
        source_id: intake.source_id.clone(),
        request_id: request_id(req),
        codings: intake.codings.clone(),
        requested: intake.requested.clone(),
    };
    let once = create_once(
        in_flight,
        &audit.organisation,
        key.0,
        &body.fingerprint,
        |key| async {
            store
                .create_fhir_referral(&audit, &to, referral, key, fhir_intake.clone())
                .await
                .map_err(|e| located(&intake, e.into()))
        },
    )
    .await?;
    match once {
        Once::New(referral) => Ok(Accepted {
            referral,
            stored: Some(fhir_intake),
            intake,
            replayed: false,
        }),
        Once::Replay(id) => {
            let (referral, stored) = store
                .get_fhir_referral(&audit, socialrx_store::Reach::Sent, id)
                .await?;
            Ok(Accepted {
                referral,
                stored,
                intake,
                replayed: true,
            })
        }
    }
}

/// The request read from FHIR, judged by the referral rules of `POST /v1/referrals`, and
/// the service that is to receive it; every error placed at the element it came from.
async fn judge(
    intake: &mut Intake,
    caller: &crate::Caller,
    store: &Arc<dyn Store>,
) -> Result<(Recipient, NewReferral), FhirError> {
    let mut request = intake.request.take().ok_or_else(|| {
        FhirError::from(crate::error::ApiError::Internal(
            "intake without a request".into(),
        ))
    })?;
    let target = crate::receiving::parse(request.receiving_service.take(), "receiving_service");
    let referral = request.into_domain(OffsetDateTime::now_utc());
    let (target, referral) = crate::receiving::both(target, referral)
        .map_err(|errors| located(intake, crate::error::ApiError::Validation(errors)))?;
    let to = crate::receiving::resolve(store.as_ref(), caller, target, "receiving_service")
        .await
        .map_err(|e| located(intake, e))?;
    Ok((to, referral))
}

/// An error of our rules as a FHIR error, its fields named as the FHIR elements they
/// were read from.
fn located(intake: &Intake, e: crate::error::ApiError) -> FhirError {
    match e {
        crate::error::ApiError::Validation(errors) => {
            FhirError::from_fields(errors, |f| intake.locate(f))
        }
        other => FhirError::from(other),
    }
}

/// The caller's `X-Request-Id`, kept with the intake when it is of a sensible length.
fn request_id(req: &HttpRequest) -> Option<String> {
    req.headers()
        .get(crate::observe::REQUEST_ID)
        .and_then(|v| v.to_str().ok())
        .filter(|v| (1..=200).contains(&v.len()))
        .map(str::to_owned)
}

fn created(
    status: actix_web::http::StatusCode,
    a: &Accepted,
    sr: &Value,
    body: &Value,
) -> HttpResponse {
    let mut response = HttpResponse::build(status);
    response.content_type(FHIR_JSON).insert_header((
        header::LOCATION,
        format!("/fhir/r4/ServiceRequest/{}", a.referral.id),
    ));
    if let Some(tag) = etag(sr) {
        response.insert_header((header::ETAG, tag));
    }
    if a.replayed {
        response.insert_header(("Idempotent-Replayed", "true"));
    }
    response.body(body.to_string())
}

/// Send a social prescribing referral as a FHIR ServiceRequest.
///
/// The ServiceRequest contains its Patient (NHS number under
/// `https://fhir.nhs.uk/Id/nhs-number`, check digit enforced), and may contain its
/// requester (Organization by ODS code `https://fhir.nhs.uk/Id/ods-organization-code`, or a
/// PractitionerRole) and a Consent (from `supportingInfo`). It must be coded as social
/// prescribing (SNOMED CT 871731000000106) or carry a Gravity SDOH category; its
/// categories and reason codes become our reasons (unmapped ones `other`, the original
/// coding kept). It must be a new request: `status` `active` and `intent` `order` (or
/// `original-order`), both required. Elements the model neither reads nor deliberately
/// leaves unused are refused by name, never dropped (the CapabilityStatement lists them).
/// Judged by the same rules as `POST /v1/referrals`; anything refused is an
/// OperationOutcome whose `issue.expression` points at the element. `Idempotency-Key` as
/// on `POST /v1/referrals`; `X-Request-Id` (BaRS) is kept with the referral and echoed.
#[utoipa::path(post, path = "/fhir/r4/ServiceRequest", tag = "fhir", operation_id = "fhir_create_service_request",
    security(("bearer" = [])),
    params(
        ("Idempotency-Key" = Option<String>, Header, pattern = r"^[\x21-\x7e]{1,255}$", description = "Makes a retry safe, as on POST /v1/referrals"),
        ("X-Request-Id" = Option<String>, Header, description = "BaRS request id: kept with the referral and echoed"),
    ),
    request_body(content = schemas::ServiceRequest, content_type = "application/fhir+json"),
    responses(
        (status = 201, description = "Received: the referral as a ServiceRequest", body = schemas::ServiceRequest, content_type = "application/fhir+json",
            headers(("Location" = String, description = "The new ServiceRequest's address"),
                ("ETag" = String, description = "W/\"<meta.versionId>\""))),
        (status = 400, description = "The body is not JSON", body = schemas::OperationOutcome, content_type = "application/fhir+json"),
        (status = 401, description = "No valid token", body = schemas::OperationOutcome, content_type = "application/fhir+json"),
        (status = 403, description = "The token's roles do not allow this", body = schemas::OperationOutcome, content_type = "application/fhir+json"),
        (status = 409, description = "A request with this Idempotency-Key is still being handled", body = schemas::OperationOutcome, content_type = "application/fhir+json"),
        (status = 413, description = "The body is over 64 KiB", body = schemas::OperationOutcome, content_type = "application/fhir+json"),
        (status = 415, description = "The body is not JSON", body = schemas::OperationOutcome, content_type = "application/fhir+json"),
        (status = 422, description = "Not a social prescribing referral, or an element breaks the referral rules", body = schemas::OperationOutcome, content_type = "application/fhir+json"),
        (status = 503, description = "The database is unavailable", body = schemas::OperationOutcome, content_type = "application/fhir+json"),
    ))]
pub async fn create_service_request(
    req: HttpRequest,
    caller: Authorized,
    key: IdempotencyKeyHeader,
    body: Json<Value>,
    store: web::Data<Arc<dyn Store>>,
    in_flight: web::Data<InFlight>,
) -> Result<HttpResponse, FhirError> {
    let a = accept(
        &req,
        &caller,
        key,
        body,
        &store,
        &in_flight,
        intake::from_service_request,
    )
    .await?;
    let sr = render::service_request(&a.referral, a.stored.as_ref());
    Ok(created(actix_web::http::StatusCode::CREATED, &a, &sr, &sr))
}

/// Send a referral as a Bundle: a `transaction` or a BaRS `message`.
///
/// A `transaction` Bundle holds one ServiceRequest and the Patient (and requester,
/// Consent) it references; the answer is a `transaction-response`. A `message` Bundle is
/// handled as by `$process-message`. The same rules as `POST /fhir/r4/ServiceRequest`.
#[utoipa::path(post, path = "/fhir/r4", tag = "fhir", operation_id = "fhir_post_bundle",
    security(("bearer" = [])),
    params(
        ("Idempotency-Key" = Option<String>, Header, pattern = r"^[\x21-\x7e]{1,255}$", description = "Makes a retry safe, as on POST /v1/referrals"),
        ("X-Request-Id" = Option<String>, Header, description = "BaRS request id: kept with the referral and echoed"),
    ),
    request_body(content = schemas::Bundle, content_type = "application/fhir+json"),
    responses(
        (status = 200, description = "A transaction-response (or, for a message, a response message) Bundle", body = schemas::Bundle, content_type = "application/fhir+json"),
        (status = 400, description = "The body is not JSON", body = schemas::OperationOutcome, content_type = "application/fhir+json"),
        (status = 401, description = "No valid token", body = schemas::OperationOutcome, content_type = "application/fhir+json"),
        (status = 403, description = "The token's roles do not allow this", body = schemas::OperationOutcome, content_type = "application/fhir+json"),
        (status = 409, description = "A request with this Idempotency-Key is still being handled", body = schemas::OperationOutcome, content_type = "application/fhir+json"),
        (status = 413, description = "The body is over 64 KiB", body = schemas::OperationOutcome, content_type = "application/fhir+json"),
        (status = 415, description = "The body is not JSON", body = schemas::OperationOutcome, content_type = "application/fhir+json"),
        (status = 422, description = "Not a transaction or message, not a social prescribing referral, or an element breaks the referral rules", body = schemas::OperationOutcome, content_type = "application/fhir+json"),
        (status = 503, description = "The database is unavailable", body = schemas::OperationOutcome, content_type = "application/fhir+json"),
    ))]
pub async fn post_bundle(
    req: HttpRequest,
    caller: Authorized,
    key: IdempotencyKeyHeader,
    body: Json<Value>,
    store: web::Data<Arc<dyn Store>>,
    in_flight: web::Data<InFlight>,
) -> Result<HttpResponse, FhirError> {
    let a = accept(
        &req,
        &caller,
        key,
        body,
        &store,
        &in_flight,
        intake::from_bundle,
    )
    .await?;
    Ok(bundle_response(&req, &a))
}

/// Process a BaRS message (`servicerequest-request`).
///
/// The Bundle's MessageHeader focuses on the ServiceRequest; the Patient, requester
/// (Practitioner, PractitionerRole, Organization) and Consent are entries beside it, and
/// the MessageHeader's sender supplies the ODS code when the requester has none. A BaRS
/// validation request (category `validation`) is not a referral and is refused. The
/// answer is a response message whose MessageHeader says `ok` and focuses on the new
/// ServiceRequest.
#[utoipa::path(post, path = "/fhir/r4/$process-message", tag = "fhir", operation_id = "fhir_process_message",
    security(("bearer" = [])),
    params(
        ("Idempotency-Key" = Option<String>, Header, pattern = r"^[\x21-\x7e]{1,255}$", description = "Makes a retry safe, as on POST /v1/referrals"),
        ("X-Request-Id" = Option<String>, Header, description = "BaRS request id: kept with the referral and echoed"),
    ),
    request_body(content = schemas::Bundle, content_type = "application/fhir+json"),
    responses(
        (status = 200, description = "The response message", body = schemas::Bundle, content_type = "application/fhir+json"),
        (status = 400, description = "The body is not JSON", body = schemas::OperationOutcome, content_type = "application/fhir+json"),
        (status = 401, description = "No valid token", body = schemas::OperationOutcome, content_type = "application/fhir+json"),
        (status = 403, description = "The token's roles do not allow this", body = schemas::OperationOutcome, content_type = "application/fhir+json"),
        (status = 409, description = "A request with this Idempotency-Key is still being handled", body = schemas::OperationOutcome, content_type = "application/fhir+json"),
        (status = 413, description = "The body is over 64 KiB", body = schemas::OperationOutcome, content_type = "application/fhir+json"),
        (status = 415, description = "The body is not JSON", body = schemas::OperationOutcome, content_type = "application/fhir+json"),
        (status = 422, description = "Not a message, not a social prescribing referral, or an element breaks the referral rules", body = schemas::OperationOutcome, content_type = "application/fhir+json"),
        (status = 503, description = "The database is unavailable", body = schemas::OperationOutcome, content_type = "application/fhir+json"),
    ))]
pub async fn process_message(
    req: HttpRequest,
    caller: Authorized,
    key: IdempotencyKeyHeader,
    body: Json<Value>,
    store: web::Data<Arc<dyn Store>>,
    in_flight: web::Data<InFlight>,
) -> Result<HttpResponse, FhirError> {
    if body.value["resourceType"] == "Bundle" && body.value["type"] != "message" {
        return Err(FhirError::unprocessable(
            "not-supported",
            "bundle_type",
            "$process-message takes a Bundle of type 'message'",
            "Bundle.type",
        ));
    }
    let a = accept(
        &req,
        &caller,
        key,
        body,
        &store,
        &in_flight,
        intake::from_bundle,
    )
    .await?;
    Ok(bundle_response(&req, &a))
}

fn bundle_response(req: &HttpRequest, a: &Accepted) -> HttpResponse {
    let base = base_url(req);
    let id = a.referral.id;
    let sr = render::service_request(&a.referral, a.stored.as_ref());
    let ok = actix_web::http::StatusCode::OK;
    if let Some(message) = &a.intake.message {
        let header_id = Uuid::now_v7();
        let body = json!({
            "resourceType": "Bundle",
            "id": Uuid::now_v7().to_string(),
            "type": "message",
            "timestamp": OffsetDateTime::now_utc().format(&time::format_description::well_known::Rfc3339).unwrap_or_default(),
            "entry": [
                {
                    "fullUrl": format!("urn:uuid:{header_id}"),
                    "resource": {
                        "resourceType": "MessageHeader",
                        "id": header_id.to_string(),
                        "eventCoding": message.event.as_ref().map(|e| json!({"system": e.system, "code": e.code})),
                        "source": {"name": "socialrx", "endpoint": base},
                        "response": {
                            "identifier": message.header_id.clone().or(message.bundle_id.clone()).unwrap_or_default(),
                            "code": "ok",
                        },
                        "focus": [{"reference": format!("ServiceRequest/{id}")}],
                    },
                },
                {"fullUrl": format!("{base}/ServiceRequest/{id}"), "resource": sr},
            ],
        });
        return created(ok, a, &sr, &body);
    }
    let (index, count) = a.intake.transaction.unwrap_or((0, 1));
    let entries: Vec<Value> = (0..count)
        .map(|i| {
            if i == index {
                json!({
                    "fullUrl": format!("{base}/ServiceRequest/{id}"),
                    "resource": sr,
                    "response": {
                        "status": "201 Created",
                        "location": format!("ServiceRequest/{id}"),
                        "etag": etag(&sr),
                        "lastModified": sr["meta"]["lastUpdated"],
                    },
                })
            } else {
                // Patient, Consent and requester are taken into the referral, not created
                // as resources of their own: no location, and the outcome says where.
                json!({"response": {
                    "status": "200 OK",
                    "outcome": {
                        "resourceType": "OperationOutcome",
                        "issue": [{
                            "severity": "information",
                            "code": "informational",
                            "diagnostics": format!("taken into ServiceRequest/{id}; not kept as a resource of its own"),
                        }],
                    },
                }})
            }
        })
        .collect();
    created(
        ok,
        a,
        &sr,
        &json!({"resourceType": "Bundle", "type": "transaction-response", "entry": entries}),
    )
}

/// Read a referral as a ServiceRequest.
///
/// The person is a contained Patient. `code`, `category`, `reasonCode`,
/// `reasonReference`, `basedOn`, `identifier` and `intent` are given back as the sender
/// sent them, with our reasons added as further codings; `ETag` is `W/"<meta.versionId>"`. The receiving service's link workers and coordinators read
/// the whole request. A caller with only the `referrer` role reads the requests its
/// organisation sent, without the notes and without the person's contact details and
/// address (name, birth date, NHS number and practice stay, to match its own record).
/// Anything else is 404.
#[utoipa::path(get, path = "/fhir/r4/ServiceRequest/{id}", tag = "fhir", operation_id = "fhir_read_service_request",
    security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "The referral's id")),
    responses(
        (status = 200, description = "The ServiceRequest", body = schemas::ServiceRequest, content_type = "application/fhir+json",
            headers(("ETag" = String, description = "W/\"<meta.versionId>\""))),
        (status = 401, description = "No valid token", body = schemas::OperationOutcome, content_type = "application/fhir+json"),
        (status = 403, description = "The token's roles do not allow this", body = schemas::OperationOutcome, content_type = "application/fhir+json"),
        (status = 404, description = "No such referral in your organisation", body = schemas::OperationOutcome, content_type = "application/fhir+json"),
        (status = 503, description = "The database is unavailable", body = schemas::OperationOutcome, content_type = "application/fhir+json"),
    ))]
pub async fn read_service_request(
    req: HttpRequest,
    caller: Authorized,
    id: web::Path<Uuid>,
    store: web::Data<Arc<dyn Store>>,
) -> Result<HttpResponse, FhirError> {
    let reach = caller.referral_reach();
    let (referral, stored) = store
        .get_fhir_referral(&caller.audit(&req), reach, id.into_inner())
        .await?;
    let body = match reach {
        socialrx_store::Reach::Sent => {
            render::service_request_for_referrer(&referral, stored.as_ref())
        }
        _ => render::service_request(&referral, stored.as_ref()),
    };
    let mut response = fhir(actix_web::http::StatusCode::OK, &body);
    if let Some(tag) = etag(&body).and_then(|t| header::HeaderValue::from_str(&t).ok()) {
        response.headers_mut().insert(header::ETAG, tag);
    }
    Ok(response)
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct TaskSearch {
    /// `ServiceRequest/{id}` (or the bare id): the Task of that referral. Required.
    #[param(
        required = true,
        pattern = r"^(ServiceRequest/)?([0-9a-fA-F]{32}|[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12})$"
    )]
    pub focus: Option<String>,
}

/// Find the Task of a referral.
///
/// `focus=ServiceRequest/{id}` answers a searchset Bundle with that referral's Task, or
/// none. `focus` is required: there is no listing of every Task.
#[utoipa::path(get, path = "/fhir/r4/Task", tag = "fhir", operation_id = "fhir_search_tasks",
    security(("bearer" = [])),
    params(TaskSearch),
    responses(
        (status = 200, description = "A searchset Bundle", body = schemas::Bundle, content_type = "application/fhir+json"),
        (status = 400, description = "No focus, or one that is not a ServiceRequest", body = schemas::OperationOutcome, content_type = "application/fhir+json"),
        (status = 422, description = "The query string cannot be read (focus given twice, say)", body = schemas::OperationOutcome, content_type = "application/fhir+json"),
        (status = 401, description = "No valid token", body = schemas::OperationOutcome, content_type = "application/fhir+json"),
        (status = 403, description = "The token's roles do not allow this", body = schemas::OperationOutcome, content_type = "application/fhir+json"),
        (status = 503, description = "The database is unavailable", body = schemas::OperationOutcome, content_type = "application/fhir+json"),
    ))]
pub async fn search_tasks(
    req: HttpRequest,
    caller: Authorized,
    query: web::Query<TaskSearch>,
    store: web::Data<Arc<dyn Store>>,
) -> Result<HttpResponse, FhirError> {
    let Some(focus) = query.into_inner().focus else {
        return Err(bad_search("focus is required: focus=ServiceRequest/{id}"));
    };
    let raw = focus.strip_prefix("ServiceRequest/").unwrap_or(&focus);
    let id = Uuid::try_parse(raw)
        .map_err(|_| bad_search("focus must be ServiceRequest/{id} with a referral's id"))?;
    let audit = caller.audit(&req);
    let found = match store
        .get_fhir_referral(&audit, caller.referral_reach(), id)
        .await
    {
        Ok((referral, _)) => {
            let state = LoopState::load(store.as_ref().as_ref(), &audit, &referral).await?;
            vec![render::task(&referral, &state)]
        }
        Err(socialrx_store::StoreError::NotFound) => Vec::new(),
        Err(e) => return Err(e.into()),
    };
    Ok(fhir(
        actix_web::http::StatusCode::OK,
        &render::searchset(&base_url(&req), found),
    ))
}

fn bad_search(message: &str) -> FhirError {
    FhirError::new(
        actix_web::http::StatusCode::BAD_REQUEST,
        vec![Issue::error(
            "required",
            "search_parameter",
            message,
            Some("focus".into()),
        )],
    )
}

/// Read a referral's Task.
///
/// The Task's id is the referral's. Its status follows the referral: received ->
/// `requested`, accepted -> `accepted`, declined -> `rejected` (with `statusReason`),
/// assigned and in progress -> `in-progress`, closed with goals met -> `completed`, unable
/// to contact -> `failed`, other closures -> `cancelled`; `businessStatus` carries our
/// status (and closure reason) code.
#[utoipa::path(get, path = "/fhir/r4/Task/{id}", tag = "fhir", operation_id = "fhir_read_task",
    security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "The referral's id")),
    responses(
        (status = 200, description = "The Task", body = schemas::Task, content_type = "application/fhir+json"),
        (status = 401, description = "No valid token", body = schemas::OperationOutcome, content_type = "application/fhir+json"),
        (status = 403, description = "The token's roles do not allow this", body = schemas::OperationOutcome, content_type = "application/fhir+json"),
        (status = 404, description = "No such referral in your organisation", body = schemas::OperationOutcome, content_type = "application/fhir+json"),
        (status = 503, description = "The database is unavailable", body = schemas::OperationOutcome, content_type = "application/fhir+json"),
    ))]
pub async fn read_task(
    req: HttpRequest,
    caller: Authorized,
    id: web::Path<Uuid>,
    store: web::Data<Arc<dyn Store>>,
) -> Result<HttpResponse, FhirError> {
    let audit = caller.audit(&req);
    let (referral, _) = store
        .get_fhir_referral(&audit, caller.referral_reach(), id.into_inner())
        .await?;
    let state = LoopState::load(store.as_ref().as_ref(), &audit, &referral).await?;
    Ok(fhir(
        actix_web::http::StatusCode::OK,
        &render::task(&referral, &state),
    ))
}
