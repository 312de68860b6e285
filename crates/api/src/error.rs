//! One error type for the HTTP layer, always answered as RFC 9457 `application/problem+json`.
//!
//! Store and domain errors convert into [`ApiError`] once, here. Extractor failures and
//! actix's own 404/405/413 responses are turned into problems too (see
//! [`problem_for_bare_errors`]), so a client never sees a plain-text error. On `/fhir` the
//! same errors are written as FHIR OperationOutcomes instead ([`fhir`]).

pub mod fhir;

use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::ServiceResponse;
use actix_web::http::{StatusCode, header};
use actix_web::middleware::ErrorHandlerResponse;
use actix_web::{HttpResponse, ResponseError};
use serde::Serialize;
use socialrx_domain::FieldError;
use socialrx_store::StoreError;
use utoipa::ToSchema;

pub const PROBLEM_JSON: &str = "application/problem+json";

/// An RFC 9457 problem document.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({
    "type": "https://socialrx.org.uk/problems/validation",
    "title": "The request is not valid",
    "status": 422,
    "detail": "2 fields are not valid",
    "errors": [
        {"field": "person.nhs_number", "code": "nhs_number_check_digit", "message": "is not a valid NHS number (the check digit does not match)"},
        {"field": "reasons", "code": "required", "message": "at least one reason is needed"}
    ]
}))]
pub struct Problem {
    /// A stable URI naming the kind of problem.
    #[serde(rename = "type")]
    pub problem_type: String,
    pub title: String,
    pub status: u16,
    pub detail: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub instance: Option<String>,
    /// Validation failures: every field that broke a rule, with the rule.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub errors: Option<Vec<FieldErrorBody>>,
    /// For a refused state change: where the resource is now and where it may go.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub current: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub allowed: Option<Vec<String>>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct FieldErrorBody {
    /// Dotted path to the field in the request (`person.postcode`, `reasons[0]`); for a
    /// header or query parameter, its name.
    pub field: String,
    /// A stable rule name (`required`, `too_long`, `nhs_number_check_digit`, ...).
    pub code: String,
    pub message: String,
}

impl From<FieldError> for FieldErrorBody {
    fn from(e: FieldError) -> Self {
        Self {
            field: e.field,
            code: e.code.to_owned(),
            message: e.message,
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    #[error("malformed request: {0}")]
    BadRequest(String),
    #[error("authentication required: {0}")]
    Unauthorized(String),
    /// A partner-key route without a usable `X-Partner-Key` (no bearer challenge).
    #[error("partner key required: {0}")]
    PartnerKey(String),
    #[error("forbidden: {0}")]
    Forbidden(String),
    #[error("not found")]
    NotFound,
    #[error("method not allowed")]
    MethodNotAllowed,
    #[error("conflict: {detail}")]
    Conflict {
        detail: String,
        current: Option<String>,
        allowed: Option<Vec<String>>,
    },
    /// `If-Match` names a version that is no longer the current one.
    #[error("precondition failed: {0}")]
    PreconditionFailed(String),
    /// An update of a shared record came without `If-Match`.
    #[error("precondition required: {0}")]
    PreconditionRequired(String),
    #[error("payload too large")]
    PayloadTooLarge,
    /// The body did not arrive within the body timeout (seconds).
    #[error("request body timed out after {0} s")]
    RequestTimeout(u64),
    #[error("unsupported media type")]
    UnsupportedMediaType,
    /// None of the representations the caller accepts is one this resource has.
    #[error("not acceptable: {0}")]
    NotAcceptable(String),
    #[error("validation failed")]
    Validation(Vec<FieldError>),
    /// A rate limit was hit; `retry_after` is in whole seconds.
    #[error("too many requests: {detail}")]
    TooManyRequests { retry_after: u64, detail: String },
    #[error("service unavailable: {0}")]
    Unavailable(String),
    /// Anything the caller cannot fix; the cause and its sources go to the log, never to
    /// the caller.
    #[error("internal error")]
    Internal(#[source] BoxError),
}

/// A cause of an internal error, with its chain of sources.
pub type BoxError = Box<dyn std::error::Error + Send + Sync + 'static>;

/// An error and every source under it on one line, for the log: "database error: no such
/// table: contacts". Messages of store and driver errors carry no row contents.
pub fn chain(error: &(dyn std::error::Error + 'static)) -> String {
    let mut line = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        let text = cause.to_string();
        // Some errors repeat their source's message in their own; say it once.
        if !line.ends_with(&text) {
            line.push_str(": ");
            line.push_str(&text);
        }
        source = cause.source();
    }
    line
}

impl ApiError {
    pub fn validation(field: &str, code: &'static str, message: impl Into<String>) -> Self {
        Self::Validation(vec![FieldError::new(field, code, message)])
    }

    pub fn conflict(detail: impl Into<String>) -> Self {
        Self::Conflict {
            detail: detail.into(),
            current: None,
            allowed: None,
        }
    }

    fn slug_and_title(&self) -> (&'static str, &'static str) {
        match self {
            Self::BadRequest(_) => ("malformed-request", "The request could not be read"),
            Self::Unauthorized(_) => ("unauthorized", "Authentication is required"),
            Self::PartnerKey(_) => ("partner-key", "A valid partner key is required"),
            Self::Forbidden(_) => ("forbidden", "Not allowed"),
            Self::NotFound => ("not-found", "Not found"),
            Self::MethodNotAllowed => ("method-not-allowed", "Method not allowed"),
            Self::Conflict { .. } => ("conflict", "Conflict"),
            Self::PreconditionFailed(_) => (
                "precondition-failed",
                "The resource has changed since you read it",
            ),
            Self::PreconditionRequired(_) => ("precondition-required", "If-Match is required"),
            Self::PayloadTooLarge => ("payload-too-large", "The request body is too large"),
            Self::RequestTimeout(_) => ("request-timeout", "The request took too long to arrive"),
            Self::UnsupportedMediaType => ("unsupported-media-type", "Unsupported media type"),
            Self::NotAcceptable(_) => ("not-acceptable", "Not acceptable"),
            Self::Validation(_) => ("validation", "The request is not valid"),
            Self::TooManyRequests { .. } => ("too-many-requests", "Too many requests"),
            Self::Unavailable(_) => ("unavailable", "Service unavailable"),
            Self::Internal(_) => ("internal", "Internal server error"),
        }
    }

    pub fn problem(&self) -> Problem {
        let (slug, title) = self.slug_and_title();
        let detail = match self {
            Self::BadRequest(d)
            | Self::NotAcceptable(d)
            | Self::Unauthorized(d)
            | Self::PartnerKey(d)
            | Self::Forbidden(d)
            | Self::PreconditionFailed(d)
            | Self::PreconditionRequired(d) => d.clone(),
            Self::TooManyRequests { detail, .. } => detail.clone(),
            Self::NotFound => "no resource was found at this address".into(),
            Self::MethodNotAllowed => "this resource does not support that method".into(),
            Self::Conflict { detail, .. } => detail.clone(),
            Self::PayloadTooLarge => format!(
                "request bodies are limited to {} KiB",
                crate::extract::BODY_LIMIT / 1024
            ),
            Self::RequestTimeout(seconds) => format!(
                "the request body did not arrive within {seconds} s; send it again, at once"
            ),
            Self::UnsupportedMediaType => {
                "send the body as application/json in UTF-8 (no charset, or charset=utf-8)".into()
            }
            Self::Validation(errors) => match errors.len() {
                1 => "1 field is not valid".into(),
                n => format!("{n} fields are not valid"),
            },
            // Never a cause, a SQL message or a stack trace: those go to the log.
            Self::Unavailable(_) => {
                "the service is temporarily unavailable; try again shortly".into()
            }
            Self::Internal(_) => "something went wrong on our side; it has been logged".into(),
        };
        let (current, allowed) = match self {
            Self::Conflict {
                current, allowed, ..
            } => (current.clone(), allowed.clone()),
            _ => (None, None),
        };
        Problem {
            problem_type: problem_type(slug),
            title: title.into(),
            status: self.status_code().as_u16(),
            detail,
            instance: None,
            errors: match self {
                Self::Validation(errors) => {
                    Some(errors.iter().cloned().map(FieldErrorBody::from).collect())
                }
                _ => None,
            },
            current,
            allowed,
        }
    }
}

pub fn problem_type(slug: &str) -> String {
    format!("https://socialrx.org.uk/problems/{slug}")
}

impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        match self {
            Self::BadRequest(_) => StatusCode::BAD_REQUEST,
            Self::Unauthorized(_) | Self::PartnerKey(_) => StatusCode::UNAUTHORIZED,
            Self::Forbidden(_) => StatusCode::FORBIDDEN,
            Self::NotFound => StatusCode::NOT_FOUND,
            Self::MethodNotAllowed => StatusCode::METHOD_NOT_ALLOWED,
            Self::Conflict { .. } => StatusCode::CONFLICT,
            Self::PreconditionFailed(_) => StatusCode::PRECONDITION_FAILED,
            Self::PreconditionRequired(_) => StatusCode::PRECONDITION_REQUIRED,
            Self::PayloadTooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            Self::RequestTimeout(_) => StatusCode::REQUEST_TIMEOUT,
            Self::UnsupportedMediaType => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            Self::NotAcceptable(_) => StatusCode::NOT_ACCEPTABLE,
            Self::Validation(_) => StatusCode::UNPROCESSABLE_ENTITY,
            Self::TooManyRequests { .. } => StatusCode::TOO_MANY_REQUESTS,
            Self::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
            Self::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn error_response(&self) -> HttpResponse<BoxBody> {
        match self {
            Self::Internal(cause) => {
                tracing::error!(error = %chain(cause.as_ref()), "request failed");
            }
            Self::Unavailable(cause) => tracing::warn!(error = %cause, "database unavailable"),
            _ => {}
        }
        let mut response = HttpResponse::build(self.status_code());
        response.content_type(PROBLEM_JSON);
        match self {
            Self::Unauthorized(_) => {
                response.insert_header((header::WWW_AUTHENTICATE, "Bearer realm=\"socialrx\""));
            }
            Self::Unavailable(_) => {
                response.insert_header((header::RETRY_AFTER, "5"));
            }
            Self::TooManyRequests { retry_after, .. } => {
                response.insert_header((header::RETRY_AFTER, retry_after.to_string()));
            }
            // The rest of the body may still be on its way: do not read it.
            Self::RequestTimeout(_) => {
                response.insert_header((header::CONNECTION, "close"));
            }
            _ => {}
        }
        response.json(self.problem())
    }
}

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::NotFound => Self::NotFound,
            StoreError::Conflict(detail) => {
                tracing::info!(%detail, "store refused a write");
                Self::conflict("the change conflicts with data already held")
            }
            StoreError::AlreadyExists(detail) => Self::conflict(detail),
            StoreError::VersionMismatch => Self::PreconditionFailed(
                "the resource has changed since you read it; read it again".into(),
            ),
            StoreError::Unavailable(cause) => Self::Unavailable(cause),
            StoreError::Invalid(errors) => Self::Validation(errors),
            e @ (StoreError::Config(_)
            | StoreError::Corrupt(_)
            | StoreError::TimeFormat(_)
            | StoreError::Group(_)
            | StoreError::WriterStopped
            | StoreError::Database(_)
            | StoreError::Migration(_)) => Self::Internal(Box::new(e)),
        }
    }
}

impl From<Vec<FieldError>> for ApiError {
    fn from(errors: Vec<FieldError>) -> Self {
        Self::Validation(errors)
    }
}

/// Middleware hook: an error response that is not already a problem (actix's default 404
/// for an unknown route, 405, or any other bare status) gets a problem body for its status.
/// HTML error pages (of the embeddable self-referral form, read by people) are left alone.
pub fn problem_for_bare_errors<B: MessageBody + 'static>(
    res: ServiceResponse<B>,
) -> actix_web::Result<ErrorHandlerResponse<B>> {
    // FHIR clients get an OperationOutcome, whatever failed.
    let on_fhir_path = fhir::is_fhir_path(res.request().path());
    let is_fhir = res
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|ct| ct.starts_with(fhir::FHIR_JSON));
    if on_fhir_path && !is_fhir {
        return fhir::for_error_response(res);
    }
    let is_problem = res
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|ct| {
            ct.starts_with(PROBLEM_JSON)
                || ct.starts_with(fhir::FHIR_JSON)
                || ct.starts_with("text/html")
        });
    if is_problem {
        return Ok(ErrorHandlerResponse::Response(res.map_into_left_body()));
    }
    let status = res.status();
    let error = match status {
        StatusCode::NOT_FOUND => ApiError::NotFound,
        StatusCode::METHOD_NOT_ALLOWED => ApiError::MethodNotAllowed,
        StatusCode::PAYLOAD_TOO_LARGE => ApiError::PayloadTooLarge,
        StatusCode::UNSUPPORTED_MEDIA_TYPE => ApiError::UnsupportedMediaType,
        s if s.is_server_error() => ApiError::Internal(format!("bare {s} response").into()),
        s => ApiError::BadRequest(
            s.canonical_reason()
                .unwrap_or("the request could not be handled")
                .to_owned(),
        ),
    };
    let (req, old) = res.into_parts();
    let mut problem = error.problem();
    problem.status = status.as_u16();
    let mut new = HttpResponse::build(status)
        .content_type(PROBLEM_JSON)
        .json(problem);
    // Keep headers such as Allow that the original response carried.
    for (name, value) in old.headers() {
        if name != header::CONTENT_TYPE && name != header::CONTENT_LENGTH {
            new.headers_mut().insert(name.clone(), value.clone());
        }
    }
    Ok(ErrorHandlerResponse::Response(
        ServiceResponse::new(req, new).map_into_right_body(),
    ))
}
