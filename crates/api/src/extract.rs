//! Request extractors that answer in problem+json: a strict JSON body, query strings and
//! path segments, and the idempotency key header.

use std::future::Future;
use std::pin::Pin;

use actix_web::dev::Payload;
use actix_web::error::PayloadError;
use actix_web::http::header;
use actix_web::{FromRequest, HttpRequest, web};
use serde::de::DeserializeOwned;
use sha2::{Digest, Sha256};
use socialrx_domain::FieldError;

use crate::error::ApiError;

/// Every JSON body is limited to 64 KiB: a referral is a few KiB at most.
pub const BODY_LIMIT: usize = 64 * 1024;

/// A JSON request body, parsed strictly: the content type must be JSON, the body at most
/// [`BODY_LIMIT`], well-formed (else 400) and of the right shape, with no unknown fields
/// (else 422 naming the field). Also keeps a fingerprint of the body for idempotency.
pub struct Json<T> {
    pub value: T,
    /// SHA-256 of the body in canonical form (keys sorted, no whitespace), so that a retry
    /// that only reorders keys is still the same request.
    pub fingerprint: String,
}

impl<T: DeserializeOwned + 'static> FromRequest for Json<T> {
    type Error = ApiError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, ApiError>>>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let content_type_ok = req
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.split(';').next())
            .map(|v| v.trim().to_ascii_lowercase())
            .is_some_and(|v| v == "application/json" || v.ends_with("+json"));
        let bytes = web::Bytes::from_request(req, payload);
        Box::pin(async move {
            if !content_type_ok {
                return Err(ApiError::UnsupportedMediaType);
            }
            let bytes = bytes
                .await
                .map_err(|e| match e.as_error::<PayloadError>() {
                    Some(PayloadError::Overflow) => ApiError::PayloadTooLarge,
                    _ if e.as_response_error().status_code()
                        == actix_web::http::StatusCode::PAYLOAD_TOO_LARGE =>
                    {
                        ApiError::PayloadTooLarge
                    }
                    _ => ApiError::BadRequest("the request body could not be read".into()),
                })?;
            parse(&bytes)
        })
    }
}

/// Parses in two steps: any JSON at all (syntax errors are 400), then our shape (shape
/// errors are 422 with the path of the offending field).
pub fn parse<T: DeserializeOwned>(bytes: &[u8]) -> Result<Json<T>, ApiError> {
    let tree: serde_json::Value = serde_json::from_slice(bytes).map_err(|e| {
        ApiError::BadRequest(format!(
            "the body is not valid JSON (line {}, column {})",
            e.line(),
            e.column()
        ))
    })?;
    let fingerprint = hex(&Sha256::digest(tree.to_string().as_bytes()));
    let value = serde_path_to_error::deserialize(&tree).map_err(|e| {
        let field = match e.path().to_string() {
            p if p == "." => String::new(),
            p => p,
        };
        let inner = e.into_inner().to_string();
        let (code, message) = describe_shape_error(&inner);
        ApiError::Validation(vec![FieldError::new(
            field_of(&field, &inner),
            code,
            message,
        )])
    })?;
    Ok(Json { value, fingerprint })
}

/// serde's messages are clear but name the field inside the text for unknown and
/// missing fields; this turns them into a field path and a stable code.
fn describe_shape_error(message: &str) -> (&'static str, String) {
    let first_line = message.lines().next().unwrap_or(message);
    if first_line.starts_with("unknown field") {
        ("unknown_field", "is not a field of this request; unknown fields are refused so that nothing is silently dropped".into())
    } else if first_line.starts_with("missing field") {
        ("required", "is required".into())
    } else if first_line.starts_with("invalid type") || first_line.starts_with("invalid value") {
        ("type", first_line.to_owned())
    } else if first_line.starts_with("unknown variant") {
        ("not_in_list", first_line.to_owned())
    } else {
        ("invalid", first_line.to_owned())
    }
}

/// For unknown and missing fields serde reports the parent's path; add the field name.
fn field_of(parent: &str, message: &str) -> String {
    let named = ["unknown field `", "missing field `"]
        .iter()
        .find_map(|prefix| message.strip_prefix(prefix))
        .and_then(|rest| rest.split('`').next());
    match named {
        // serde_path_to_error already ends the path with an unknown field's name.
        Some(name) if parent == name || parent.ends_with(&format!(".{name}")) => parent.to_owned(),
        Some(name) if parent.is_empty() => name.to_owned(),
        Some(name) => format!("{parent}.{name}"),
        None => parent.to_owned(),
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// The `Idempotency-Key` header: 1 to 255 visible ASCII characters.
pub struct IdempotencyKeyHeader(pub Option<String>);

impl FromRequest for IdempotencyKeyHeader {
    type Error = ApiError;
    type Future = std::future::Ready<Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let result = match req.headers().get("Idempotency-Key") {
            None => Ok(Self(None)),
            Some(value) => match value.to_str() {
                Ok(key)
                    if (1..=255).contains(&key.len())
                        && key.bytes().all(|b| b.is_ascii_graphic() || b == b' ') =>
                {
                    Ok(Self(Some(key.trim().to_owned())))
                }
                _ => Err(ApiError::validation(
                    "Idempotency-Key",
                    "idempotency_key_format",
                    "must be 1 to 255 visible ASCII characters (a UUID is a good choice)",
                )),
            },
        };
        std::future::ready(result)
    }
}

/// Query-string errors as 422 problems naming the parameter.
pub fn query_error(err: actix_web::error::QueryPayloadError, _: &HttpRequest) -> actix_web::Error {
    let message = err.to_string();
    let inner = message
        .strip_prefix("Query deserialize error: ")
        .unwrap_or(&message);
    let (code, text) = describe_shape_error(inner);
    let field = field_of("", inner);
    ApiError::Validation(vec![FieldError::new(
        if field.is_empty() {
            "query".to_owned()
        } else {
            field
        },
        code,
        text,
    )])
    .into()
}

/// A path segment that does not parse (an id that is not a UUID) is simply not found.
pub fn path_error(_: actix_web::error::PathError, _: &HttpRequest) -> actix_web::Error {
    ApiError::NotFound.into()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, serde::Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Outer {
        inner: Inner,
        n: u8,
    }
    #[derive(Debug, serde::Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Inner {
        name: String,
    }

    fn errors(body: &str) -> Vec<FieldError> {
        match parse::<Outer>(body.as_bytes()) {
            Err(ApiError::Validation(e)) => e,
            other => panic!("expected a validation error, got {:?}", other.err()),
        }
    }

    #[test]
    fn an_unknown_nested_field_is_named_with_its_path() {
        let e = errors(r#"{"inner": {"name": "a", "nmae": "b"}, "n": 1}"#);
        assert_eq!(e[0].field, "inner.nmae");
        assert_eq!(e[0].code, "unknown_field");
    }

    #[test]
    fn a_missing_field_is_named() {
        let e = errors(r#"{"inner": {}, "n": 1}"#);
        assert_eq!((e[0].field.as_str(), e[0].code), ("inner.name", "required"));
    }

    #[test]
    fn a_wrong_type_is_named_with_its_path() {
        let e = errors(r#"{"inner": {"name": 5}, "n": 1}"#);
        assert_eq!((e[0].field.as_str(), e[0].code), ("inner.name", "type"));
        let e = errors(r#"{"inner": {"name": "a"}, "n": 300}"#);
        assert_eq!(e[0].field, "n");
    }

    #[test]
    fn broken_json_is_a_bad_request() {
        assert!(matches!(
            parse::<Outer>(b"{\"inner\":"),
            Err(ApiError::BadRequest(_))
        ));
    }

    #[test]
    fn the_fingerprint_ignores_key_order_and_whitespace() {
        let a = parse::<Outer>(br#"{"inner": {"name": "a"}, "n": 1}"#).unwrap();
        let b = parse::<Outer>(br#"{"n":1,"inner":{"name":"a"}}"#).unwrap();
        let c = parse::<Outer>(br#"{"n":2,"inner":{"name":"a"}}"#).unwrap();
        assert_eq!(a.fingerprint, b.fingerprint);
        assert_ne!(a.fingerprint, c.fingerprint);
    }
}
