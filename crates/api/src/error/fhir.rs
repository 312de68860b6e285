//! Every error on `/fhir` is a FHIR `OperationOutcome` in `application/fhir+json`:
//! [`FhirError`] for the FHIR handlers, and [`for_error_response`] for everything else
//! that fails on a FHIR path (authentication, roles, unknown routes, body limits), which
//! the error middleware hands over here instead of writing a problem.
//!
//! It sits beside [`ApiError`] rather than under `routes::fhir` because the error
//! middleware needs it, and core modules import nothing from `routes`.

use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::ServiceResponse;
use actix_web::http::{StatusCode, header};
use actix_web::middleware::ErrorHandlerResponse;
use actix_web::{HttpResponse, ResponseError};
use serde_json::{Value, json};
use socialrx_domain::FieldError;
use socialrx_store::StoreError;

use super::{ApiError, chain};

pub const FHIR_JSON: &str = "application/fhir+json";
/// Our stable error codes (the problem `type` slugs and field rule names), as a code system.
pub const ERROR_SYSTEM: &str = "https://socialrx.org.uk/fhir/CodeSystem/error";

/// One `OperationOutcome.issue`.
#[derive(Debug, Clone, PartialEq)]
pub struct Issue {
    pub severity: &'static str,
    /// FHIR `issue-type` (`required`, `value`, `not-supported`, `security`, ...).
    pub code: &'static str,
    /// Our finer, stable code, in `details.coding`.
    pub detail_code: String,
    pub diagnostics: String,
    /// FHIRPath of the offending element(s).
    pub expression: Vec<String>,
}

impl Issue {
    pub fn error(
        code: &'static str,
        detail_code: impl Into<String>,
        diagnostics: impl Into<String>,
        expression: Option<String>,
    ) -> Self {
        Self {
            severity: "error",
            code,
            detail_code: detail_code.into(),
            diagnostics: diagnostics.into(),
            expression: expression.into_iter().collect(),
        }
    }
}

/// A refused FHIR request.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("FHIR request refused ({status}): {issues:?}")]
pub struct FhirError {
    pub status: StatusCode,
    pub issues: Vec<Issue>,
    /// The cause of a 5xx: logged, never sent.
    internal: Option<String>,
}

impl FhirError {
    pub fn new(status: StatusCode, issues: Vec<Issue>) -> Self {
        Self {
            status,
            issues,
            internal: None,
        }
    }

    /// 422 with one issue at `expression`.
    pub fn unprocessable(
        code: &'static str,
        detail_code: &str,
        diagnostics: impl Into<String>,
        expression: impl Into<String>,
    ) -> Self {
        Self::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            vec![Issue::error(
                code,
                detail_code,
                diagnostics,
                Some(expression.into()),
            )],
        )
    }

    /// Field errors of the referral rules, each placed at the FHIR element it came from.
    pub fn from_fields(errors: Vec<FieldError>, locate: impl Fn(&str) -> String) -> Self {
        let issues = errors
            .into_iter()
            .map(|e| {
                let code = match e.code {
                    "required" | "consent_required" => "required",
                    "not_in_list" => "code-invalid",
                    "too_long" => "too-long",
                    "unknown_field" | "type" => "structure",
                    _ => "value",
                };
                let expression = locate(&e.field);
                Issue::error(
                    code,
                    e.code,
                    format!("{}: {}", expression, e.message),
                    Some(expression),
                )
            })
            .collect();
        Self::new(StatusCode::UNPROCESSABLE_ENTITY, issues)
    }

    pub fn outcome(&self) -> Value {
        json!({
            "resourceType": "OperationOutcome",
            "issue": self.issues.iter().map(|i| {
                let mut issue = json!({
                    "severity": i.severity,
                    "code": i.code,
                    "details": {"coding": [{"system": ERROR_SYSTEM, "code": i.detail_code}]},
                    "diagnostics": i.diagnostics,
                });
                if !i.expression.is_empty() {
                    issue["expression"] = json!(i.expression);
                }
                issue
            }).collect::<Vec<_>>(),
        })
    }
}

impl ResponseError for FhirError {
    fn status_code(&self) -> StatusCode {
        self.status
    }

    fn error_response(&self) -> HttpResponse<BoxBody> {
        if let Some(cause) = &self.internal
            && self.status.is_server_error()
        {
            tracing::error!(error = %cause, "FHIR request failed");
        }
        HttpResponse::build(self.status)
            .content_type(FHIR_JSON)
            .body(self.outcome().to_string())
    }
}

impl From<&ApiError> for FhirError {
    fn from(e: &ApiError) -> Self {
        let status = e.status_code();
        let problem = e.problem();
        let slug = problem.problem_type.rsplit('/').next().unwrap_or("error");
        if let ApiError::Validation(errors) = e {
            return Self::from_fields(errors.clone(), |f| f.to_owned());
        }
        let code = match e {
            ApiError::BadRequest(_) => "structure",
            ApiError::Unauthorized(_) | ApiError::PartnerKey(_) => "login",
            ApiError::TooManyRequests { .. } => "throttled",
            ApiError::Forbidden(_) => "forbidden",
            ApiError::NotFound => "not-found",
            ApiError::MethodNotAllowed => "not-supported",
            ApiError::Conflict { .. } => "conflict",
            ApiError::PreconditionFailed(_) | ApiError::PreconditionRequired(_) => "conflict",
            ApiError::PayloadTooLarge => "too-costly",
            ApiError::RequestTimeout(_) => "timeout",
            ApiError::UnsupportedMediaType | ApiError::NotAcceptable(_) => "not-supported",
            ApiError::Validation(_) => "invalid",
            ApiError::Unavailable(_) => "transient",
            ApiError::Internal(_) => "exception",
        };
        let detail = match e {
            ApiError::UnsupportedMediaType => {
                "send the body as application/fhir+json (application/json is accepted too)".into()
            }
            _ => problem.detail,
        };
        let mut error = Self::new(status, vec![Issue::error(code, slug, detail, None)]);
        match e {
            ApiError::Internal(cause) => error.internal = Some(chain(cause.as_ref())),
            ApiError::Unavailable(cause) => error.internal = Some(cause.clone()),
            _ => {}
        }
        error
    }
}

impl From<ApiError> for FhirError {
    fn from(e: ApiError) -> Self {
        Self::from(&e)
    }
}

impl From<StoreError> for FhirError {
    fn from(e: StoreError) -> Self {
        Self::from(ApiError::from(e))
    }
}

impl From<Vec<FieldError>> for FhirError {
    fn from(errors: Vec<FieldError>) -> Self {
        Self::from_fields(errors, |f| f.to_owned())
    }
}

/// Whether a request path is under the FHIR API.
pub fn is_fhir_path(path: &str) -> bool {
    path == "/fhir" || path.starts_with("/fhir/")
}

/// An error response on a FHIR path that is not yet an OperationOutcome becomes one: the
/// `ApiError` it carries says which, else its status does. Headers such as `Allow`,
/// `WWW-Authenticate` and `Retry-After` are kept.
pub fn for_error_response<B: MessageBody + 'static>(
    res: ServiceResponse<B>,
) -> actix_web::Result<ErrorHandlerResponse<B>> {
    let status = res.status();
    let error = match res
        .response()
        .error()
        .and_then(|e| e.as_error::<ApiError>())
    {
        Some(api) => FhirError::from(api),
        None => FhirError::from(match status {
            StatusCode::NOT_FOUND => ApiError::NotFound,
            StatusCode::METHOD_NOT_ALLOWED => ApiError::MethodNotAllowed,
            StatusCode::PAYLOAD_TOO_LARGE => ApiError::PayloadTooLarge,
            StatusCode::UNSUPPORTED_MEDIA_TYPE => ApiError::UnsupportedMediaType,
            StatusCode::UNAUTHORIZED => {
                ApiError::Unauthorized("a valid bearer token is required".into())
            }
            StatusCode::FORBIDDEN => ApiError::Forbidden("not allowed".into()),
            s if s.is_server_error() => ApiError::Internal(format!("bare {s} response").into()),
            s => ApiError::BadRequest(
                s.canonical_reason()
                    .unwrap_or("the request could not be handled")
                    .to_owned(),
            ),
        }),
    };
    let (req, old) = res.into_parts();
    let mut new = HttpResponse::build(status)
        .content_type(FHIR_JSON)
        .body(error.outcome().to_string());
    for (name, value) in old.headers() {
        if name != header::CONTENT_TYPE && name != header::CONTENT_LENGTH {
            new.headers_mut().insert(name.clone(), value.clone());
        }
    }
    Ok(ErrorHandlerResponse::Response(
        ServiceResponse::new(req, new).map_into_right_body(),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_outcome_names_severity_code_and_expression() {
        let e = FhirError::unprocessable(
            "not-supported",
            "not_social_prescribing",
            "a colonoscopy is not ours",
            "ServiceRequest.code",
        );
        let o = e.outcome();
        assert_eq!(o["resourceType"], "OperationOutcome");
        assert_eq!(o["issue"][0]["severity"], "error");
        assert_eq!(o["issue"][0]["code"], "not-supported");
        assert_eq!(o["issue"][0]["expression"][0], "ServiceRequest.code");
    }

    #[test]
    fn api_errors_keep_their_status() {
        let e = FhirError::from(ApiError::Forbidden("no".into()));
        assert_eq!(e.status, StatusCode::FORBIDDEN);
        assert_eq!(e.issues[0].code, "forbidden");
        let e = FhirError::from(ApiError::Internal("secret cause".into()));
        assert!(!e.outcome().to_string().contains("secret cause"));
    }
}
