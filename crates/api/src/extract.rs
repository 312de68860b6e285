//! Request extractors that answer in problem+json: a strict JSON body, query strings and
//! path segments, and the idempotency key header.

use std::future::Future;
use std::pin::Pin;
use std::time::Duration;

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

/// How long a request body may take to arrive once its headers are in. actix cuts slow
/// headers (5 s) but not a slow body: without this a client sending a byte a second holds
/// a connection and a worker's attention for as long as it likes.
#[derive(Debug, Clone, Copy)]
pub struct BodyTimeout(pub Duration);

impl Default for BodyTimeout {
    fn default() -> Self {
        Self(Duration::from_secs(10))
    }
}

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
        let bytes = read_json_bytes(req, payload);
        Box::pin(async move { parse(&bytes.await?) })
    }
}

/// The body's bytes, once its content type is UTF-8 JSON, within the size limit and the
/// body timeout.
fn read_json_bytes(
    req: &HttpRequest,
    payload: &mut Payload,
) -> impl Future<Output = Result<web::Bytes, ApiError>> + 'static {
    let content_type_ok = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(is_json_utf8);
    let bytes = web::Bytes::from_request(req, payload);
    let timeout = req
        .app_data::<web::Data<BodyTimeout>>()
        .map_or(BodyTimeout::default().0, |t| t.0);
    async move {
        if !content_type_ok {
            return Err(ApiError::UnsupportedMediaType);
        }
        tokio::time::timeout(timeout, bytes)
            .await
            .map_err(|_| ApiError::RequestTimeout(timeout.as_secs()))?
            .map_err(|e| match e.as_error::<PayloadError>() {
                Some(PayloadError::Overflow) => ApiError::PayloadTooLarge,
                _ if e.as_response_error().status_code()
                    == actix_web::http::StatusCode::PAYLOAD_TOO_LARGE =>
                {
                    ApiError::PayloadTooLarge
                }
                _ => ApiError::BadRequest("the request body could not be read".into()),
            })
    }
}

/// `application/json` (or `+json`), with no charset or `charset=utf-8`: JSON is UTF-8
/// (RFC 8259), and a body declared in another charset would be read wrongly.
fn is_json_utf8(content_type: &str) -> bool {
    let mut parts = content_type.split(';');
    let media = parts.next().unwrap_or("").trim().to_ascii_lowercase();
    let json = media == "application/json" || media.ends_with("+json");
    let utf8 = parts.all(|p| match p.split_once('=') {
        Some((name, value)) if name.trim().eq_ignore_ascii_case("charset") => {
            let v = value.trim().trim_matches('"');
            v.eq_ignore_ascii_case("utf-8") || v.eq_ignore_ascii_case("utf8")
        }
        _ => true,
    });
    json && utf8
}

/// Parses in two steps: any JSON at all (syntax errors are 400), then our shape (shape
/// errors are 422 with the path of each offending field: every one, not the first).
pub fn parse<T: DeserializeOwned>(bytes: &[u8]) -> Result<Json<T>, ApiError> {
    let body = parse_every::<T>(bytes)?;
    match body.value {
        Some(value) if body.shape_errors.is_empty() => Ok(Json {
            value,
            fingerprint: body.fingerprint,
        }),
        _ => Err(ApiError::Validation(body.shape_errors)),
    }
}

/// A JSON body whose shape errors (unknown, missing and wrongly typed fields) are held
/// rather than raised, so that a handler reports them together with its rules' errors
/// ([`Body::judge`]): "every failure of a request at once" includes both kinds.
pub struct Body<T> {
    /// The body, with a stand-in value wherever its shape was wrong (`None` when it could
    /// not be read into `T` at all).
    value: Option<T>,
    pub fingerprint: String,
    shape_errors: Vec<FieldError>,
    /// Fields that hold a stand-in: rule errors about them are not the caller's.
    stand_ins: Vec<String>,
}

impl<T> Body<T> {
    /// Runs the request's rules and answers every shape and rule error together.
    pub fn judge<R>(
        self,
        rules: impl FnOnce(T) -> Result<R, Vec<FieldError>>,
    ) -> Result<R, ApiError> {
        let Some(value) = self.value else {
            return Err(ApiError::Validation(self.shape_errors));
        };
        let mut errors = self.shape_errors;
        match rules(value) {
            Ok(judged) if errors.is_empty() => return Ok(judged),
            Ok(_) => {}
            Err(rule_errors) => errors.extend(
                rule_errors
                    .into_iter()
                    .filter(|e| !self.stand_ins.iter().any(|f| within(&e.field, f))),
            ),
        }
        Err(ApiError::Validation(errors))
    }
}

impl<T: DeserializeOwned + 'static> FromRequest for Body<T> {
    type Error = ApiError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, ApiError>>>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let bytes = read_json_bytes(req, payload);
        Box::pin(async move { parse_every(&bytes.await?) })
    }
}

/// Whether `field` is `path` or inside it (`person` holds `person.name`, `reasons[0]`).
fn within(field: &str, path: &str) -> bool {
    field == path
        || field
            .strip_prefix(path)
            .is_some_and(|rest| rest.starts_with('.') || rest.starts_with('['))
}

/// Values tried, in turn, in place of a missing or wrongly typed field until `T` accepts
/// one: our request types hold strings, numbers, booleans, lists, objects and ids.
const STAND_INS: [&str; 6] = [
    "\"\"",
    "0",
    "false",
    "[]",
    "{}",
    "\"00000000-0000-0000-0000-000000000000\"",
];

/// At most this many shape errors are listed (a body of 10,000 unknown keys would
/// otherwise cost 10,000 parses).
const MAX_SHAPE_ERRORS: usize = 50;

/// Reads the tree into `T`, noting each shape error and patching the tree past it (an
/// unknown field removed, a missing or mistyped one replaced by a stand-in) until `T`
/// accepts it, so that every shape error is found, not only the first.
fn parse_every<T: DeserializeOwned>(bytes: &[u8]) -> Result<Body<T>, ApiError> {
    let mut tree = strict_tree(bytes)?;
    let fingerprint = hex(&Sha256::digest(tree.to_string().as_bytes()));
    let mut shape_errors: Vec<FieldError> = Vec::new();
    let mut stand_ins: Vec<String> = Vec::new();
    let mut tries: std::collections::HashMap<String, usize> = Default::default();
    let mut value = None;
    for _ in 0..MAX_SHAPE_ERRORS * STAND_INS.len() {
        let e = match serde_path_to_error::deserialize::<_, T>(&tree) {
            Ok(v) => {
                value = Some(v);
                break;
            }
            Err(e) => e,
        };
        let segments: Vec<serde_path_to_error::Segment> = e.path().iter().cloned().collect();
        let parent = match e.path().to_string() {
            p if p == "." => String::new(),
            p => p,
        };
        let inner = e.into_inner().to_string();
        let (code, message) = describe_shape_error(&inner);
        let field = field_of(&parent, &inner);
        let reported = shape_errors.iter().any(|x| x.field == field)
            || stand_ins.iter().any(|f| within(&field, f));
        if !reported {
            if shape_errors.len() == MAX_SHAPE_ERRORS {
                break;
            }
            shape_errors.push(FieldError::new(field.clone(), code, message));
        }
        let patched = match code {
            "unknown_field" => remove_at(&mut tree, &segments),
            _ => {
                let n = tries.entry(field.clone()).or_default();
                let stand_in = STAND_INS
                    .get(*n)
                    .map(|s| serde_json::from_str(s).unwrap_or_default());
                *n += 1;
                if !stand_ins.contains(&field) {
                    stand_ins.push(field.clone());
                }
                match (stand_in, code) {
                    (Some(v), "required") => {
                        let name = missing_name(&inner);
                        insert_at(&mut tree, &segments, name, v)
                    }
                    (Some(v), _) => replace_at(&mut tree, &segments, v),
                    (None, _) => false,
                }
            }
        };
        if !patched {
            break;
        }
    }
    if value.is_none() && shape_errors.is_empty() {
        shape_errors.push(FieldError::new(
            "",
            "invalid",
            "the body is not of this request's shape",
        ));
    }
    Ok(Body {
        value,
        fingerprint,
        shape_errors,
        stand_ins,
    })
}

fn missing_name(message: &str) -> &str {
    message
        .strip_prefix("missing field `")
        .and_then(|rest| rest.split('`').next())
        .unwrap_or("")
}

fn value_at<'a>(
    tree: &'a mut serde_json::Value,
    segments: &[serde_path_to_error::Segment],
) -> Option<&'a mut serde_json::Value> {
    use serde_path_to_error::Segment;
    let mut at = tree;
    for segment in segments {
        at = match segment {
            Segment::Map { key } => at.get_mut(key.as_str())?,
            Segment::Seq { index } => at.get_mut(*index)?,
            _ => return None,
        };
    }
    Some(at)
}

/// Removes the field the path ends with (an unknown field's path names it).
fn remove_at(tree: &mut serde_json::Value, segments: &[serde_path_to_error::Segment]) -> bool {
    let Some((serde_path_to_error::Segment::Map { key }, parent)) = segments.split_last() else {
        return false;
    };
    value_at(tree, parent)
        .and_then(|p| p.as_object_mut())
        .and_then(|o| o.remove(key.as_str()))
        .is_some()
}

/// Adds the missing field `name` to the object the path names.
fn insert_at(
    tree: &mut serde_json::Value,
    segments: &[serde_path_to_error::Segment],
    name: &str,
    value: serde_json::Value,
) -> bool {
    match value_at(tree, segments).and_then(|p| p.as_object_mut()) {
        Some(object) if !name.is_empty() => {
            object.insert(name.to_owned(), value);
            true
        }
        _ => false,
    }
}

fn replace_at(
    tree: &mut serde_json::Value,
    segments: &[serde_path_to_error::Segment],
    value: serde_json::Value,
) -> bool {
    if segments.is_empty() {
        // The body itself is of the wrong kind (a list for an object): nothing to patch.
        return false;
    }
    match value_at(tree, segments) {
        Some(at) => {
            *at = value;
            true
        }
        None => false,
    }
}

/// The body as a JSON tree, refusing a key given twice in one object: parsers disagree on
/// which one wins (serde keeps the last, others the first), so a clinical record must not
/// depend on it. Syntax errors are 400; a duplicate is 422 naming the key's path.
fn strict_tree(bytes: &[u8]) -> Result<serde_json::Value, ApiError> {
    let mut de = serde_json::Deserializer::from_slice(bytes);
    let tree = serde_path_to_error::deserialize::<_, UniqueKeys>(&mut de)
        .map_err(|e| body_error(e.path().to_string(), e.into_inner()))?;
    de.end().map_err(|e| body_error(String::new(), e))?;
    Ok(tree.0)
}

fn body_error(path: String, e: serde_json::Error) -> ApiError {
    match e.classify() {
        serde_json::error::Category::Data => {
            let message = e.to_string();
            let message = message
                .split(" at line")
                .next()
                .unwrap_or("a key is given twice");
            // serde reports the object's path; the field is the key inside it.
            let key = message.split('`').nth(1).unwrap_or("");
            let field = match (path.as_str(), key) {
                (".", k) | ("", k) => k.to_owned(),
                (p, "") => p.to_owned(),
                (p, k) => format!("{p}.{k}"),
            };
            ApiError::Validation(vec![FieldError::new(field, "duplicate_key", message)])
        }
        _ => ApiError::BadRequest(format!(
            "the body is not valid JSON (line {}, column {})",
            e.line(),
            e.column()
        )),
    }
}

/// A JSON value whose objects have no repeated keys.
struct UniqueKeys(serde_json::Value);

impl<'de> serde::Deserialize<'de> for UniqueKeys {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(UniqueKeysVisitor).map(UniqueKeys)
    }
}

struct UniqueKeysVisitor;

impl<'de> serde::de::Visitor<'de> for UniqueKeysVisitor {
    type Value = serde_json::Value;

    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("any JSON value")
    }
    fn visit_bool<E>(self, v: bool) -> Result<Self::Value, E> {
        Ok(v.into())
    }
    fn visit_i64<E>(self, v: i64) -> Result<Self::Value, E> {
        Ok(v.into())
    }
    fn visit_u64<E>(self, v: u64) -> Result<Self::Value, E> {
        Ok(v.into())
    }
    fn visit_f64<E>(self, v: f64) -> Result<Self::Value, E> {
        // JSON has one number type: `260.0` is the integer 260 (JSON Schema agrees), so an
        // integer field takes it. Beyond 2^53 a float no longer holds every integer.
        const EXACT: f64 = 9_007_199_254_740_992.0;
        if v.fract() == 0.0 && v.abs() <= EXACT {
            return Ok((v as i64).into());
        }
        Ok(serde_json::Number::from_f64(v).map_or(serde_json::Value::Null, Into::into))
    }
    fn visit_str<E>(self, v: &str) -> Result<Self::Value, E> {
        Ok(v.into())
    }
    fn visit_string<E>(self, v: String) -> Result<Self::Value, E> {
        Ok(v.into())
    }
    fn visit_unit<E>(self) -> Result<Self::Value, E> {
        Ok(serde_json::Value::Null)
    }
    fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        let mut items = Vec::new();
        while let Some(UniqueKeys(v)) = seq.next_element()? {
            items.push(v);
        }
        Ok(serde_json::Value::Array(items))
    }
    fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut object = serde_json::Map::new();
        while let Some(key) = map.next_key::<String>()? {
            if object.contains_key(&key) {
                let shown: String = key.chars().filter(|c| !c.is_control()).take(40).collect();
                return Err(serde::de::Error::custom(format!(
                    "the key `{shown}` is given twice in one object; send it once"
                )));
            }
            let UniqueKeys(value) = map.next_value()?;
            object.insert(key, value);
        }
        Ok(serde_json::Value::Object(object))
    }
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
                // Visible ASCII only: a space inside a key is refused rather than kept or
                // trimmed, so that two clients never read one key differently.
                Ok(key)
                    if (1..=255).contains(&key.len())
                        && key.bytes().all(|b| b.is_ascii_graphic()) =>
                {
                    Ok(Self(Some(key.to_owned())))
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

    fn every_error(body: &str) -> Vec<(String, &'static str)> {
        errors(body)
            .into_iter()
            .map(|e| (e.field, e.code))
            .collect()
    }

    #[test]
    fn every_shape_error_is_listed_not_only_the_first() {
        assert_eq!(
            every_error(r#"{"inner": {"name": "a", "nmae": "b"}, "n": "x", "extra": 1}"#),
            // In the order the keys sort in (the body is read as a tree first).
            vec![
                ("extra".to_owned(), "unknown_field"),
                ("inner.nmae".to_owned(), "unknown_field"),
                ("n".to_owned(), "type"),
            ]
        );
        assert_eq!(
            every_error("{}"),
            vec![
                ("inner".to_owned(), "required"),
                ("n".to_owned(), "required")
            ]
        );
        // A wrongly typed object is one error, not one per field it lacks.
        assert_eq!(
            every_error(r#"{"inner": 5, "n": 1}"#),
            vec![("inner".to_owned(), "type")]
        );
        assert_eq!(every_error("[1, 2]"), vec![("[0]".to_owned(), "type")]);
    }

    #[test]
    fn rule_errors_come_with_shape_errors_except_about_stand_ins() {
        let body = parse_every::<Outer>(br#"{"inner": {"name": 7}, "n": 1, "x": 0}"#).unwrap();
        let judged = body.judge(|o| {
            // The rules see the stand-in for `inner.name` and complain; that is dropped.
            let mut errors = vec![FieldError::new("inner.name", "required", "is required")];
            if o.n < 5 {
                errors.push(FieldError::new("n", "too_small", "must be 5 or more"));
            }
            Err::<(), _>(errors)
        });
        let Err(ApiError::Validation(errors)) = judged else {
            panic!("expected a validation error")
        };
        let fields: Vec<(&str, &str)> = errors.iter().map(|e| (e.field.as_str(), e.code)).collect();
        assert_eq!(
            fields,
            vec![
                ("inner.name", "type"),
                ("x", "unknown_field"),
                ("n", "too_small")
            ]
        );
    }

    #[test]
    fn a_whole_number_written_with_a_fraction_is_an_integer() {
        let tree = strict_tree(br#"{"minutes": 260.0, "lat": 53.5, "big": 1e300}"#).unwrap();
        assert_eq!(tree["minutes"], serde_json::json!(260));
        assert_eq!(tree["lat"], serde_json::json!(53.5));
        assert!(tree["big"].is_f64());
    }

    #[test]
    fn a_key_given_twice_is_refused_with_its_path() {
        let e = errors(r#"{"inner": {"name": "a", "name": "b"}, "n": 1}"#);
        assert_eq!(
            (e[0].field.as_str(), e[0].code),
            ("inner.name", "duplicate_key")
        );
        assert!(e[0].message.contains("`name`"), "{}", e[0].message);
        // The same key in two different objects is fine.
        assert!(parse::<serde_json::Value>(br#"{"a": {"n": 1}, "b": {"n": 1}}"#).is_ok());
        // Numbers keep their JSON form (the fingerprint depends on it).
        let v = parse::<serde_json::Value>(br#"{"n": 1.5, "m": -3, "k": 18446744073709551615}"#)
            .unwrap();
        assert_eq!(
            v.value.to_string(),
            r#"{"k":18446744073709551615,"m":-3,"n":1.5}"#
        );
    }

    #[test]
    fn trailing_bytes_after_the_body_are_a_bad_request() {
        assert!(matches!(
            parse::<serde_json::Value>(br#"{"a": 1} {"b": 2}"#),
            Err(ApiError::BadRequest(_))
        ));
    }

    #[test]
    fn only_utf8_json_bodies_are_read() {
        assert!(is_json_utf8("application/json"));
        assert!(is_json_utf8("application/fhir+json; charset=UTF-8"));
        assert!(is_json_utf8("application/json;charset=\"utf-8\""));
        assert!(!is_json_utf8("application/json; charset=iso-8859-1"));
        assert!(!is_json_utf8("text/plain"));
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
