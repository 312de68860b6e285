//! Optimistic concurrency over HTTP: reads of shared records carry an `ETag`, updates send
//! it back in `If-Match`. The store keeps a version number; the tag is `"v<version>"`.

use std::future::{Ready, ready};

use actix_web::dev::Payload;
use actix_web::http::header;
use actix_web::{FromRequest, HttpRequest};

use crate::error::ApiError;

/// The strong entity tag of a version.
pub fn etag(version: u32) -> String {
    format!("\"v{version}\"")
}

/// The `If-Match` header as the versions it names: `None` when the header is absent. Weak
/// tags and tags we did not issue name no version (and so never match: 412). `*` is
/// refused, since it would match any version and so protect nothing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IfMatch(pub Option<Vec<u32>>);

impl IfMatch {
    pub fn parse(raw: &str) -> Result<Self, ApiError> {
        let mut versions = Vec::new();
        for tag in raw.split(',').map(str::trim).filter(|t| !t.is_empty()) {
            if tag == "*" {
                return Err(ApiError::PreconditionRequired(
                    "If-Match: * is not accepted; send the ETag you read".into(),
                ));
            }
            let version = tag
                .strip_prefix("\"v")
                .and_then(|t| t.strip_suffix('"'))
                .and_then(|n| n.parse::<u32>().ok());
            if let Some(v) = version {
                versions.push(v);
            }
        }
        Ok(Self(Some(versions)))
    }

    /// The versions named, or 428 when the header was not sent.
    pub fn required(self) -> Result<Vec<u32>, ApiError> {
        self.0.ok_or_else(|| {
            ApiError::PreconditionRequired(
                "send If-Match with the ETag you read, so that a change made meanwhile is not lost"
                    .into(),
            )
        })
    }
}

impl FromRequest for IfMatch {
    type Error = ApiError;
    type Future = Ready<Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        ready(match req.headers().get(header::IF_MATCH) {
            None => Ok(Self(None)),
            Some(value) => match value.to_str() {
                Ok(raw) => Self::parse(raw),
                // Not ASCII: not a tag we issued.
                Err(_) => Ok(Self(Some(Vec::new()))),
            },
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_tag_round_trips_to_its_version() {
        assert_eq!(IfMatch::parse(&etag(7)).unwrap(), IfMatch(Some(vec![7])));
    }

    #[test]
    fn lists_weak_tags_and_foreign_tags_are_read_strictly() {
        assert_eq!(
            IfMatch::parse("\"v1\", W/\"v2\", \"abc\", \"v3\"").unwrap(),
            IfMatch(Some(vec![1, 3]))
        );
        assert_eq!(IfMatch::parse("v1").unwrap(), IfMatch(Some(vec![])));
    }

    #[test]
    fn a_star_is_refused() {
        assert!(matches!(
            IfMatch::parse("*"),
            Err(ApiError::PreconditionRequired(_))
        ));
    }

    #[test]
    fn a_missing_header_is_precondition_required() {
        assert!(matches!(
            IfMatch(None).required(),
            Err(ApiError::PreconditionRequired(_))
        ));
    }
}
