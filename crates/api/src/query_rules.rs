//! One rule for query strings under `/v1`: a parameter the operation does not document is
//! refused (422 naming each one), so a typo such as `?statuss=closed` never silently
//! returns everything. The allowed names come from the OpenAPI document the code
//! generates, so the rule and the spec cannot disagree.
//!
//! `/oruk`, `/fhir`, `/embed`, the docs, health and metrics are left alone: ORUK consumers
//! expect lenience and FHIR has its own search rules.

use std::collections::{BTreeSet, HashMap};
use std::sync::OnceLock;

use actix_web::body::{EitherBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::middleware::Next;
use actix_web::{ResponseError, web};
use socialrx_domain::FieldError;
use utoipa::openapi::RefOr;
use utoipa::openapi::path::{Operation, Parameter, ParameterIn};

use crate::error::ApiError;

/// Where the rule applies.
const PREFIX: &str = "/v1/";

/// (method, path template) -> the query parameters the spec documents for it.
type Allowed = HashMap<(String, String), BTreeSet<String>>;

fn allowed() -> &'static Allowed {
    static ALLOWED: OnceLock<Allowed> = OnceLock::new();
    ALLOWED.get_or_init(|| {
        let mut map = Allowed::new();
        for (path, item) in crate::openapi().paths.paths {
            if !path.starts_with(PREFIX) {
                continue;
            }
            let shared = query_names(item.parameters.as_deref());
            let operations = [
                ("GET", &item.get),
                ("PUT", &item.put),
                ("POST", &item.post),
                ("DELETE", &item.delete),
                ("PATCH", &item.patch),
            ];
            for (method, operation) in operations {
                if let Some(Operation { parameters, .. }) = operation {
                    let mut names = query_names(parameters.as_deref());
                    names.extend(shared.iter().cloned());
                    map.insert((method.to_owned(), path.clone()), names);
                }
            }
        }
        map
    })
}

fn query_names(parameters: Option<&[RefOr<Parameter>]>) -> BTreeSet<String> {
    parameters
        .unwrap_or_default()
        .iter()
        .filter_map(|p| match p {
            RefOr::T(p) if p.parameter_in == ParameterIn::Query => Some(p.name.clone()),
            _ => None,
        })
        .collect()
}

/// Refuses undocumented query parameters on `/v1` operations.
///
/// Wrapped innermost on the API scope, so CORS headers, the request id, logging and
/// metrics still apply to the 422. It runs before the scope's router has picked a
/// resource, but `match_pattern` then walks the same resource map the router uses, so it
/// finds the same template. A method or path the spec does not list is let through:
/// routing answers it (404, 405) as before.
pub async fn refuse_unknown(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<EitherBody<impl MessageBody>>, actix_web::Error> {
    if !req.path().starts_with(PREFIX) || req.query_string().is_empty() {
        return Ok(next.call(req).await?.map_into_left_body());
    }
    let known = req
        .match_pattern()
        .and_then(|pattern| allowed().get(&(req.method().as_str().to_owned(), pattern)));
    let Some(known) = known else {
        return Ok(next.call(req).await?.map_into_left_body());
    };
    // A query string that cannot be read at all is left to the handler's own extractor.
    let Ok(pairs) = web::Query::<Vec<(String, String)>>::from_query(req.query_string()) else {
        return Ok(next.call(req).await?.map_into_left_body());
    };
    let mut unknown: Vec<&str> = Vec::new();
    for (name, _) in pairs.iter() {
        if !known.contains(name) && !unknown.contains(&name.as_str()) {
            unknown.push(name);
        }
    }
    if unknown.is_empty() {
        return Ok(next.call(req).await?.map_into_left_body());
    }
    let error = ApiError::Validation(
        unknown
            .into_iter()
            .map(FieldError::unknown_parameter)
            .collect(),
    );
    let response = error.error_response();
    Ok(req.into_response(response).map_into_right_body())
}
