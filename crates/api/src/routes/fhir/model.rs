//! The FHIR R4 we read: a hand-written serde subset of ServiceRequest, Patient,
//! Organization, Practitioner, PractitionerRole, Consent, Bundle and MessageHeader.
//! Only the elements we use are declared. A clinical record must not lose what was sent
//! without anyone knowing, so [`elements`] lists, per resource type, the elements we read
//! and the few we deliberately do not use; intake refuses any other element. What we
//! write (ServiceRequest, Task, Bundle, CapabilityStatement) is built in `render.rs`, and
//! OperationOutcomes in `crate::error::fhir`.

use serde::Deserialize;

#[derive(Debug, Clone, Default, Deserialize)]
pub struct Coding {
    pub system: Option<String>,
    pub code: Option<String>,
    pub display: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize)]
pub struct CodeableConcept {
    #[serde(default)]
    pub coding: Vec<Coding>,
    pub text: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize)]
pub struct Identifier {
    pub system: Option<String>,
    pub value: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize)]
pub struct Reference {
    pub reference: Option<String>,
    pub identifier: Option<Identifier>,
    pub display: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Extension {
    pub url: String,
    pub value_code: Option<String>,
    pub value_boolean: Option<bool>,
    pub value_codeable_concept: Option<CodeableConcept>,
    #[serde(default)]
    pub extension: Vec<Extension>,
}

#[derive(Debug, Clone, Default, Deserialize)]
pub struct Annotation {
    pub text: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ServiceRequest {
    pub id: Option<String>,
    #[serde(default)]
    pub contained: Vec<serde_json::Value>,
    #[serde(default)]
    pub extension: Vec<Extension>,
    pub status: Option<String>,
    pub intent: Option<String>,
    #[serde(default)]
    pub category: Vec<CodeableConcept>,
    pub priority: Option<String>,
    pub code: Option<CodeableConcept>,
    pub subject: Option<Reference>,
    pub requester: Option<Reference>,
    /// The receiving service: an Organization by ODS code.
    #[serde(default)]
    pub performer: Vec<Reference>,
    #[serde(default)]
    pub reason_code: Vec<CodeableConcept>,
    #[serde(default)]
    pub supporting_info: Vec<Reference>,
    #[serde(default)]
    pub note: Vec<Annotation>,
    /// Kept as sent and given back on read.
    #[serde(default)]
    pub identifier: Vec<Identifier>,
    /// Kept as sent and given back on read.
    #[serde(default)]
    pub based_on: Vec<Reference>,
    /// Kept as sent and given back on read.
    #[serde(default)]
    pub reason_reference: Vec<Reference>,
}

#[derive(Debug, Clone, Default, Deserialize)]
pub struct HumanName {
    #[serde(rename = "use")]
    pub use_: Option<String>,
    pub family: Option<String>,
    #[serde(default)]
    pub given: Vec<String>,
    pub text: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Address {
    #[serde(rename = "use")]
    pub use_: Option<String>,
    #[serde(default)]
    pub line: Vec<String>,
    pub postal_code: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize)]
pub struct ContactPoint {
    pub system: Option<String>,
    pub value: Option<String>,
    pub rank: Option<u32>,
}

#[derive(Debug, Clone, Default, Deserialize)]
pub struct PatientContact {
    #[serde(default)]
    pub relationship: Vec<CodeableConcept>,
    #[serde(default)]
    pub telecom: Vec<ContactPoint>,
}

#[derive(Debug, Clone, Default, Deserialize)]
pub struct Communication {
    pub language: Option<CodeableConcept>,
    pub preferred: Option<bool>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Patient {
    #[serde(default)]
    pub extension: Vec<Extension>,
    #[serde(default)]
    pub identifier: Vec<Identifier>,
    #[serde(default)]
    pub name: Vec<HumanName>,
    #[serde(default)]
    pub telecom: Vec<ContactPoint>,
    pub birth_date: Option<String>,
    #[serde(default)]
    pub address: Vec<Address>,
    #[serde(default)]
    pub contact: Vec<PatientContact>,
    #[serde(default)]
    pub communication: Vec<Communication>,
    #[serde(default)]
    pub general_practitioner: Vec<Reference>,
}

#[derive(Debug, Clone, Default, Deserialize)]
pub struct Organization {
    #[serde(default)]
    pub identifier: Vec<Identifier>,
    pub name: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize)]
pub struct Practitioner {
    #[serde(default)]
    pub name: Vec<HumanName>,
}

#[derive(Debug, Clone, Default, Deserialize)]
pub struct PractitionerRole {
    pub practitioner: Option<Reference>,
    pub organization: Option<Reference>,
    #[serde(default)]
    pub code: Vec<CodeableConcept>,
    #[serde(default)]
    pub specialty: Vec<CodeableConcept>,
}

#[derive(Debug, Clone, Default, Deserialize)]
pub struct ConsentProvision {
    #[serde(rename = "type")]
    pub type_: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Consent {
    #[serde(default)]
    pub extension: Vec<Extension>,
    pub status: Option<String>,
    pub patient: Option<Reference>,
    pub date_time: Option<String>,
    pub source_attachment: Option<serde_json::Value>,
    pub source_reference: Option<serde_json::Value>,
    pub provision: Option<ConsentProvision>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct BundleEntry {
    pub full_url: Option<String>,
    pub resource: Option<serde_json::Value>,
}

#[derive(Debug, Clone, Default, Deserialize)]
pub struct Bundle {
    pub id: Option<String>,
    #[serde(rename = "type")]
    pub type_: Option<String>,
    #[serde(default)]
    pub entry: Vec<BundleEntry>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct MessageHeader {
    pub id: Option<String>,
    pub event_coding: Option<Coding>,
    pub sender: Option<Reference>,
    #[serde(default)]
    pub focus: Vec<Reference>,
    pub definition: Option<String>,
}

/// The top-level elements of a resource type we take a referral from: those we read (or
/// keep as sent), and those we deliberately leave unused because they say nothing the
/// referral needs (resource metadata and narrative, the context of a BaRS message).
/// `None` for a type we do not read at all. Anything not listed is refused at intake:
/// silently dropping an element of a clinical record is worse than asking the sender to
/// leave it out. `modifierExtension` and `implicitRules` are never listed, as FHIR requires
/// of a receiver that does not understand them.
///
/// Inside a listed element only what the model declares is read (of an address, the
/// postcode); `extension`s whose URL we do not know are ignored, as FHIR allows for
/// (non-modifier) extensions; `_element` (a primitive's id and extensions) follows its
/// element.
pub fn elements(resource_type: &str) -> Option<(&'static [&'static str], &'static [&'static str])> {
    Some(match resource_type {
        "ServiceRequest" => (SERVICE_REQUEST_READ, SERVICE_REQUEST_UNUSED),
        "Patient" => (PATIENT_READ, PATIENT_UNUSED),
        "Consent" => (CONSENT_READ, CONSENT_UNUSED),
        "Organization" => (&["resourceType", "identifier", "name"], COMMON_UNUSED),
        // The referrer is recorded by name and role, not contact details.
        "Practitioner" => (
            &["resourceType", "name"],
            &["id", "meta", "text", "language", "identifier", "telecom"],
        ),
        "PractitionerRole" => (
            &[
                "resourceType",
                "practitioner",
                "organization",
                "code",
                "specialty",
            ],
            COMMON_UNUSED,
        ),
        _ => return None,
    })
}

const COMMON_UNUSED: &[&str] = &["id", "meta", "text", "language"];

const SERVICE_REQUEST_READ: &[&str] = &[
    "resourceType",
    "id",
    "contained",
    "extension",
    "identifier",
    "basedOn",
    "status",
    "intent",
    "category",
    "priority",
    "code",
    "subject",
    "requester",
    "performer",
    "reasonCode",
    "reasonReference",
    "supportingInfo",
    "note",
];
/// When and where the sender's own encounter took place, and when it authored the
/// request: our referral records when we received it.
const SERVICE_REQUEST_UNUSED: &[&str] = &[
    "meta",
    "text",
    "language",
    "encounter",
    "authoredOn",
    "occurrencePeriod",
    "occurrenceDateTime",
    "locationReference",
];

const PATIENT_READ: &[&str] = &[
    "resourceType",
    "extension",
    "identifier",
    "name",
    "telecom",
    "birthDate",
    "address",
    "contact",
    "communication",
    "generalPractitioner",
];
/// Gender is not part of a social prescribing referral here.
const PATIENT_UNUSED: &[&str] = &["id", "meta", "text", "language", "gender"];

const CONSENT_READ: &[&str] = &[
    "resourceType",
    "extension",
    "status",
    "patient",
    "dateTime",
    "sourceAttachment",
    "sourceReference",
    "provision",
];
/// What kind of consent it is: ours is always consent to this referral.
const CONSENT_UNUSED: &[&str] = &[
    "id",
    "meta",
    "text",
    "language",
    "scope",
    "category",
    "policyRule",
];

/// Resource types a request may carry that we do not take into the referral: the
/// message's own header and the receiving HealthcareService (read for routing only), and
/// the clinical context a BaRS message sends beside its ServiceRequest. Any other type is
/// refused.
pub const CONTEXT_TYPES: &[&str] = &[
    "MessageHeader",
    "HealthcareService",
    "Encounter",
    "CarePlan",
    "Location",
    "Observation",
    "Flag",
];

/// The elements of `resource` (of a type [`elements`] knows) that are neither read nor
/// deliberately unused.
pub fn unknown_elements(resource: &serde_json::Value) -> Vec<String> {
    let kind = resource["resourceType"].as_str().unwrap_or("");
    let (Some((read, unused)), Some(object)) = (elements(kind), resource.as_object()) else {
        return Vec::new();
    };
    let known = |name: &str| read.contains(&name) || unused.contains(&name);
    object
        .keys()
        .filter(|k| !known(k.strip_prefix('_').unwrap_or(k)))
        .cloned()
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn an_element_we_do_not_know_is_named_and_known_ones_are_not() {
        let patient = json!({"resourceType": "Patient", "gender": "female", "_birthDate": {},
            "birthDate": "1971-03-14", "fooBar": 1, "deceasedBoolean": true});
        let mut unknown = unknown_elements(&patient);
        unknown.sort();
        assert_eq!(unknown, vec!["deceasedBoolean", "fooBar"]);
    }

    #[test]
    fn modifier_extensions_and_implicit_rules_are_never_known() {
        for kind in [
            "ServiceRequest",
            "Patient",
            "Consent",
            "Organization",
            "Practitioner",
            "PractitionerRole",
        ] {
            let r = json!({"resourceType": kind, "modifierExtension": [], "implicitRules": "x"});
            assert_eq!(unknown_elements(&r).len(), 2, "{kind}");
        }
    }

    #[test]
    fn types_we_do_not_read_have_no_element_list() {
        assert!(elements("Observation").is_none());
        assert!(unknown_elements(&json!({"resourceType": "Flag", "fooBar": 1})).is_empty());
    }
}
