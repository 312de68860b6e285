//! The FHIR R4 we read: a hand-written serde subset of ServiceRequest, Patient,
//! Organization, Practitioner, PractitionerRole, Consent, Bundle and MessageHeader.
//! Only the elements we use are declared; everything else a sender puts in a resource is
//! ignored, as FHIR expects of a receiver. What we write (ServiceRequest, Task, Bundle,
//! OperationOutcome, CapabilityStatement) is built in `render.rs` and `outcome.rs`.

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
