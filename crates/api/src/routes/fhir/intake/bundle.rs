//! A Bundle read into its resources and the one ServiceRequest it carries: a
//! `transaction` holds exactly one; a `message` (BaRS) starts with a MessageHeader whose
//! focus is it. Any other Bundle type is refused.

use serde_json::Value;

use super::MessageInfo;
use super::resources::{Found, Resources, is, parse_at};
use crate::error::fhir::FhirError;
use crate::routes::fhir::mapping::same_system;
use crate::routes::fhir::model::{Bundle, MessageHeader};

const BARS_EVENTS: &str = "https://fhir.nhs.uk/CodeSystem/message-events-bars";

/// The ServiceRequest a Bundle carries and, for a message, what its header says.
pub(super) struct Focus<'a> {
    pub(super) service_request: &'a Found,
    pub(super) message: Option<MessageInfo>,
    /// FHIRPath of the message's sender, when it is an Organization in the Bundle.
    pub(super) sender: Option<String>,
}

/// Every entry's resource, and the resources contained in each, with where they sit.
pub(super) fn resources_of(bundle: &Bundle) -> Resources {
    let mut all = Vec::new();
    for (i, entry) in bundle.entry.iter().enumerate() {
        let Some(resource) = &entry.resource else {
            continue;
        };
        let path = format!("Bundle.entry[{i}].resource");
        if let Some(contained) = resource["contained"].as_array() {
            for (j, c) in contained.iter().enumerate() {
                all.push(Found {
                    value: c.clone(),
                    path: format!("{path}.contained[{j}]"),
                    full_url: None,
                });
            }
        }
        all.push(Found {
            value: resource.clone(),
            path,
            full_url: entry.full_url.clone(),
        });
    }
    Resources { all }
}

/// The ServiceRequest the Bundle is about, found the way its type says.
pub(super) fn focus<'a>(bundle: &Bundle, resources: &'a Resources) -> Result<Focus<'a>, FhirError> {
    match bundle.type_.as_deref() {
        Some("message") => message_focus(bundle, resources),
        Some("transaction") => Ok(Focus {
            service_request: transaction_focus(resources)?,
            message: None,
            sender: None,
        }),
        other => Err(FhirError::unprocessable(
            "not-supported",
            "bundle_type",
            format!(
                "Bundle type '{}' is not supported here: send a 'transaction' or a 'message'",
                other.unwrap_or("")
            ),
            "Bundle.type",
        )),
    }
}

/// The index of a top-level entry, from its FHIRPath: `Bundle.entry[3].resource` is 3.
pub(super) fn entry_index(path: &str) -> usize {
    path.strip_prefix("Bundle.entry[")
        .and_then(|rest| rest.split(']').next())
        .and_then(|n| n.parse().ok())
        .unwrap_or(0)
}

fn message_focus<'a>(bundle: &Bundle, resources: &'a Resources) -> Result<Focus<'a>, FhirError> {
    let header = message_header(bundle)?;
    refuse_other_bars_events(&header)?;
    let focus = header
        .focus
        .iter()
        .filter_map(|f| resources.resolve(f))
        .find(|f| f.resource_type() == "ServiceRequest");
    let Some(focus) = focus else {
        return Err(FhirError::unprocessable(
            "required",
            "required",
            "the MessageHeader's focus must be a ServiceRequest in the Bundle",
            "Bundle.entry[0].resource.focus",
        ));
    };
    let sender = header
        .sender
        .as_ref()
        .and_then(|s| resources.resolve(s))
        .filter(|f| f.resource_type() == "Organization")
        .map(|f| f.path.clone());
    Ok(Focus {
        service_request: focus,
        message: Some(MessageInfo {
            header_id: header.id,
            bundle_id: bundle.id.clone(),
            event: header.event_coding,
        }),
        sender,
    })
}

fn message_header(bundle: &Bundle) -> Result<MessageHeader, FhirError> {
    let first = bundle.entry.first().and_then(|e| e.resource.as_ref());
    if !first.is_some_and(|r| is(r, "MessageHeader")) {
        return Err(FhirError::unprocessable(
            "structure",
            "message_header_first",
            "a message Bundle starts with its MessageHeader",
            "Bundle.entry[0].resource",
        ));
    }
    parse_at(first.unwrap_or(&Value::Null), "Bundle.entry[0].resource")
}

/// A BaRS message must be a new referral; messages of other standards are not judged by
/// their event.
fn refuse_other_bars_events(header: &MessageHeader) -> Result<(), FhirError> {
    let Some(event) = &header.event_coding else {
        return Ok(());
    };
    let bars = event
        .system
        .as_deref()
        .is_some_and(|s| same_system(s, BARS_EVENTS));
    if bars && event.code.as_deref() != Some("servicerequest-request") {
        return Err(FhirError::unprocessable(
            "not-supported",
            "message_event",
            format!(
                "the BaRS event '{}' is not supported: socialrx takes 'servicerequest-request' (a new referral)",
                event.code.as_deref().unwrap_or("")
            ),
            "Bundle.entry[0].resource.eventCoding",
        ));
    }
    Ok(())
}

fn transaction_focus(resources: &Resources) -> Result<&Found, FhirError> {
    let mut srs = resources
        .of_type("ServiceRequest")
        .filter(|f| !f.path.contains(".contained["));
    let (Some(sr), None) = (srs.next(), srs.next()) else {
        return Err(FhirError::unprocessable(
            "invalid",
            "one_service_request",
            "a transaction Bundle must hold exactly one ServiceRequest",
            "Bundle.entry",
        ));
    };
    Ok(sr)
}
