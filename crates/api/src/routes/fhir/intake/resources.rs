//! Finding resources in a request: each one with the FHIRPath it sits at, so that every
//! refusal and every field error can name the element it is about.

use serde::de::DeserializeOwned;
use serde_json::Value;

use crate::error::fhir::FhirError;
use crate::routes::fhir::model::{Extension, Reference};

/// One resource found in the request, with where it sits.
pub(super) struct Found {
    pub(super) value: Value,
    /// FHIRPath to it: `ServiceRequest.contained[0]`, `Bundle.entry[5].resource`.
    pub(super) path: String,
    pub(super) full_url: Option<String>,
}

impl Found {
    pub(super) fn resource_type(&self) -> &str {
        self.value["resourceType"].as_str().unwrap_or("")
    }

    pub(super) fn id(&self) -> Option<&str> {
        self.value["id"].as_str()
    }

    pub(super) fn parse<T: DeserializeOwned>(&self) -> Result<T, FhirError> {
        parse_at(&self.value, &self.path)
    }
}

/// Reads a resource, naming the element whose shape is wrong.
pub(super) fn parse_at<T: DeserializeOwned>(value: &Value, path: &str) -> Result<T, FhirError> {
    serde_path_to_error::deserialize(value).map_err(|e| {
        let at = e.path().to_string();
        let expression = if at == "." {
            path.to_owned()
        } else {
            format!("{path}.{at}")
        };
        FhirError::unprocessable(
            "structure",
            "type",
            format!("{expression}: {}", e.into_inner()),
            expression,
        )
    })
}

/// The resources a ServiceRequest may point to: its contained ones, or a Bundle's entries.
pub(super) struct Resources {
    pub(super) all: Vec<Found>,
}

impl Resources {
    pub(super) fn resolve(&self, from: &Reference) -> Option<&Found> {
        let r = from.reference.as_deref()?;
        if let Some(local) = r.strip_prefix('#') {
            return self
                .all
                .iter()
                .find(|f| f.path.contains(".contained[") && f.id() == Some(local));
        }
        if let Some(hit) = self.all.iter().find(|f| f.full_url.as_deref() == Some(r)) {
            return Some(hit);
        }
        let mut parts = r.rsplitn(2, '/');
        let (id, kind) = (parts.next()?, parts.next()?);
        let kind = kind.rsplit('/').next().unwrap_or(kind);
        self.all
            .iter()
            .find(|f| f.resource_type() == kind && f.id() == Some(id))
    }

    pub(super) fn of_type<'a>(&'a self, kind: &'a str) -> impl Iterator<Item = &'a Found> + 'a {
        self.all.iter().filter(move |f| f.resource_type() == kind)
    }
}

pub(super) fn is(value: &Value, kind: &str) -> bool {
    value["resourceType"].as_str() == Some(kind)
}

pub(super) fn wrong_type(value: &Value, expected: &str, at: &str) -> FhirError {
    FhirError::unprocessable(
        "structure",
        "resource_type",
        format!(
            "expected a {expected}, not '{}'",
            value["resourceType"]
                .as_str()
                .unwrap_or("(no resourceType)")
        ),
        format!("{at}.resourceType"),
    )
}

pub(super) fn find_extension<'a>(extensions: &'a [Extension], url: &str) -> Option<&'a Extension> {
    extensions.iter().find(|e| e.url == url)
}
