//! FHIR out: a referral as a ServiceRequest (its person contained), its closed-loop
//! Task, the Bundles that carry them, and the CapabilityStatement.

use serde_json::{Value, json};
use socialrx_domain::person::Person;
use socialrx_domain::referral::{ClosureReason, NewReferral, Referral, Status};
use socialrx_store::FhirIntake;
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use super::mapping::{self, display};
use crate::routes::outcomes::summaries;

pub const REFERENCE_SYSTEM: &str = "https://socialrx.org.uk/fhir/Id/referral-reference";
const TASK_CODES: &str = "http://hl7.org/fhir/CodeSystem/task-code";
/// Task output types: one per connection and per outcome measure.
pub const OUTPUT_SYSTEM: &str = "https://socialrx.org.uk/fhir/CodeSystem/task-output";
pub const CONNECTION_STATUS_SYSTEM: &str =
    "https://socialrx.org.uk/fhir/CodeSystem/connection-status";
pub const INSTRUMENT_SYSTEM: &str = "https://socialrx.org.uk/fhir/CodeSystem/instrument";
/// A scale of an instrument, as `instrument.scale` (ONS4 has four, one per item).
pub const INSTRUMENT_SCALE_SYSTEM: &str =
    "https://socialrx.org.uk/fhir/CodeSystem/instrument-scale";

fn instant(t: OffsetDateTime) -> String {
    t.format(&Rfc3339).unwrap_or_default()
}

/// What a referral's closed loop knows beyond its status: closure and decline reasons
/// from the status history, and, for the Task output, its connections and the change in
/// each outcome measure (see [`LoopState::load`]).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct LoopState {
    /// Why a closed referral was closed.
    pub closure_reason: Option<ClosureReason>,
    /// A code for why a referral was declined, when the lifecycle records one.
    pub decline_reason: Option<String>,
    /// The referral's connections to activities, oldest first:
    /// (the activity's main category code, connection status code).
    pub connections: Vec<(String, String)>,
    /// Change from baseline to the latest later measurement: (instrument, scale, change).
    pub outcome_changes: Vec<(String, String, f64)>,
}

impl LoopState {
    /// Reads the final move's coded reasons, the connections and the outcome changes of a
    /// declined or closed referral (one store call; other referrals' Tasks need none).
    pub async fn load(
        store: &dyn socialrx_store::Store,
        audit: &socialrx_store::AuditContext,
        referral: &Referral,
    ) -> Result<Self, socialrx_store::StoreError> {
        if !matches!(referral.status, Status::Closed | Status::Declined) {
            return Ok(Self::default());
        }
        let view = store
            .referral_status(audit, socialrx_store::Reach::HeldOrSent, referral.id)
            .await?;
        let last_reason = |status: Status| {
            view.history
                .iter()
                .rev()
                .find(|step| step.status == status)
                .and_then(|step| step.reason.clone())
        };
        Ok(Self {
            closure_reason: last_reason(Status::Closed).and_then(|r| ClosureReason::parse(&r).ok()),
            decline_reason: last_reason(Status::Declined),
            connections: view
                .connections
                .iter()
                .filter_map(|c| Some((c.categories.first()?.clone(), c.status.clone())))
                .collect(),
            outcome_changes: summaries(&view.outcomes)
                .into_iter()
                .flat_map(|s| {
                    let instrument = s.instrument;
                    s.changes
                        .into_iter()
                        .map(move |c| (instrument.clone(), c.scale, c.change))
                })
                .collect(),
        })
    }
}

/// `Task.output`, codes only: one entry per connection (activity category and how it
/// went) and one per scale of each instrument measured twice (change from baseline).
/// No free text.
pub fn task_output(state: &LoopState) -> Vec<Value> {
    let mut out = Vec::new();
    for (category, status) in &state.connections {
        out.push(json!({
            "type": {"coding": [{"system": OUTPUT_SYSTEM, "code": "connection", "display": "Connection to an activity"}]},
            "valueCodeableConcept": {"coding": [
                {"system": CONNECTION_STATUS_SYSTEM, "code": status, "display": display(status)},
                {"system": mapping::ACTIVITY_CATEGORY_SYSTEM, "code": category},
            ]},
        }));
    }
    for (instrument, scale, change) in &state.outcome_changes {
        out.push(json!({
            "type": {"coding": [
                {"system": OUTPUT_SYSTEM, "code": "outcome-change", "display": "Change in score from baseline"},
                {"system": INSTRUMENT_SYSTEM, "code": instrument},
                {"system": INSTRUMENT_SCALE_SYSTEM, "code": format!("{instrument}.{scale}")},
            ]},
            "valueDecimal": change,
        }));
    }
    out
}

fn coding(system: &str, code: &str) -> Value {
    json!({"system": system, "code": code, "display": display(code)})
}

/// The referral's ServiceRequest `status`.
fn request_status(status: Status) -> &'static str {
    match status {
        Status::Declined => "revoked",
        Status::Closed => "completed",
        _ => "active",
    }
}

/// A referral as a ServiceRequest, with its person as a contained Patient.
pub fn service_request(referral: &Referral, intake: Option<&FhirIntake>) -> Value {
    let d = &referral.details;
    let patient = contained_patient(&d.person);
    let requested = intake
        .map(|i| &i.requested)
        .filter(|r| r.is_object())
        .cloned()
        .unwrap_or_default();
    let (category, code, reason_code) = if requested.is_null() {
        coded_from_codings(referral, intake)
    } else {
        coded_as_requested(referral, intake, &requested)
    };
    let identifier = identifiers(referral, intake, &requested);
    let requester = requester(d);
    let mut sr = json!({
        "resourceType": "ServiceRequest",
        "id": referral.id.to_string(),
        "meta": {"lastUpdated": instant(referral.updated_at)},
        "contained": [patient],
        "identifier": identifier,
        "status": request_status(referral.status),
        "intent": requested.get("intent").cloned().unwrap_or(json!("order")),
        "category": category,
        "priority": mapping::priority_for(d.urgency),
        "code": code,
        "subject": {"reference": "#patient"},
        "authoredOn": instant(referral.created_at),
        "requester": requester,
        "performer": [{"identifier": {"system": mapping::ODS_ORGANISATION_CODE, "value": referral.organisation}}],
        "reasonCode": reason_code,
    });
    for element in ["basedOn", "reasonReference"] {
        if let Some(v) = requested.get(element) {
            sr[element] = v.clone();
        }
    }
    if let Some(notes) = &d.notes {
        sr["note"] = json!([{"text": notes}]);
    }
    let version = version_of(&sr);
    sr["meta"]["versionId"] = json!(version);
    sr
}

/// The person as the Patient contained in a ServiceRequest we give back.
fn contained_patient(p: &Person) -> Value {
    let mut patient = json!({
        "resourceType": "Patient",
        "id": "patient",
        "name": [{"use": "official", "family": p.family_name, "given": [p.given_name]}],
        "birthDate": p.date_of_birth.to_string(),
        "address": [{"use": "home", "postalCode": p.postcode.as_str()}],
    });
    if let Some(n) = &p.nhs_number {
        patient["identifier"] = json!([{"system": mapping::NHS_NUMBER, "value": n.as_string()}]);
    }
    let mut telecom = Vec::new();
    if let Some(phone) = &p.phone {
        telecom.push(json!({"system": "phone", "value": phone.as_str()}));
    }
    if let Some(email) = &p.email {
        telecom.push(json!({"system": "email", "value": email.as_str()}));
    }
    if !telecom.is_empty() {
        patient["telecom"] = Value::Array(telecom);
    }
    if let Some(language) = &p.language {
        patient["communication"] = json!([{"language": {"text": language}, "preferred": true}]);
    }
    if let Some(practice) = &p.registered_practice {
        patient["generalPractitioner"] = json!([{"identifier": {"system": mapping::ODS_ORGANISATION_CODE, "value": practice.as_str()}}]);
    }
    patient
}

/// Our reference, the sender's id for its request, and the identifiers it sent.
fn identifiers(referral: &Referral, intake: Option<&FhirIntake>, requested: &Value) -> Vec<Value> {
    let mut identifier =
        vec![json!({"system": REFERENCE_SYSTEM, "value": referral.reference.as_str()})];
    if let Some(source) = intake.and_then(|i| i.source_id.as_deref()) {
        identifier.push(json!({"system": "urn:ietf:rfc:3986", "value": source}));
    }
    identifier.extend(
        requested["identifier"]
            .as_array()
            .into_iter()
            .flatten()
            .cloned(),
    );
    identifier
}

fn requester(d: &NewReferral) -> Value {
    let mut requester = json!({"display": d.referrer.name});
    if let Some(ods) = &d.referrer.ods_code {
        requester["identifier"] =
            json!({"system": mapping::ODS_ORGANISATION_CODE, "value": ods.as_str()});
    }
    requester
}

/// A ServiceRequest's `meta.versionId`: a digest of all it says, `meta.lastUpdated`
/// included, so that it changes whenever the referral is updated or what the request
/// shows changes, whichever table the change was written to (the referral has no version
/// counter of its own). There is no version history to read (no `vread`).
fn version_of(resource: &Value) -> String {
    use sha2::{Digest, Sha256};
    let digest = Sha256::digest(resource.to_string().as_bytes());
    digest[..8].iter().map(|b| format!("{b:02x}")).collect()
}

fn social_prescribing() -> Value {
    json!({"coding": [{
        "system": mapping::SNOMED,
        "code": mapping::SOCIAL_PRESCRIBING_REFERRAL,
        "display": "Referral to social prescribing service",
    }]})
}

fn has_social_prescribing(concept: &Value) -> bool {
    concept["coding"].as_array().into_iter().flatten().any(|c| {
        c["system"]
            .as_str()
            .is_some_and(|s| mapping::same_system(s, mapping::SNOMED))
            && c["code"] == mapping::SOCIAL_PRESCRIBING_REFERRAL
    })
}

/// `category`, `code` and `reasonCode` for a referral whose request was kept as sent:
/// the requester's own, unchanged, with ours added. Social prescribing (SNOMED CT
/// 871731000000106) is a category when the sender did not give it; `code` is the
/// sender's (ours only if it sent none); each of the sender's reasonCode concepts gains
/// the coding of the reason it became (a translation within the same concept, so the
/// sender's coding and text stay), and reasons that came from elsewhere (a category) are
/// concepts of their own.
fn coded_as_requested(
    referral: &Referral,
    intake: Option<&FhirIntake>,
    requested: &Value,
) -> (Vec<Value>, Value, Vec<Value>) {
    let mut category: Vec<Value> = requested["category"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    if !category.iter().any(has_social_prescribing) {
        category.insert(0, social_prescribing());
    }
    let code = requested
        .get("code")
        .cloned()
        .unwrap_or_else(social_prescribing);
    let reasons = &referral.details.reasons;
    let mut shown: Vec<&str> = Vec::new();
    let mut reason_code: Vec<Value> = requested["reasonCode"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    for c in intake
        .and_then(|i| i.codings.as_array())
        .into_iter()
        .flatten()
    {
        let (Some(element), Some(reason)) = (c["element"].as_str(), c["reason"].as_str()) else {
            continue;
        };
        let Some(index) = element
            .strip_prefix("reasonCode[")
            .and_then(|rest| rest.strip_suffix(']'))
            .and_then(|n| n.parse::<usize>().ok())
        else {
            continue;
        };
        // Only a reason the referral still has (staff may have changed them since).
        if !reasons.iter().any(|r| r.as_str() == reason) {
            continue;
        }
        let Some(codings) = reason_code
            .get_mut(index)
            .and_then(|concept| concept.get_mut("coding"))
            .and_then(Value::as_array_mut)
        else {
            continue;
        };
        let ours = coding(mapping::REASON_SYSTEM, reason);
        let present = codings
            .iter()
            .any(|x| x["system"] == ours["system"] && x["code"] == ours["code"]);
        if !present {
            codings.push(ours);
        }
        shown.push(reason);
    }
    for r in reasons {
        if !shown.contains(&r.as_str()) {
            reason_code.push(json!({"coding": [coding(mapping::REASON_SYSTEM, r.as_str())]}));
        }
    }
    (category, code, reason_code)
}

/// `category`, `code` and `reasonCode` for a referral made without FHIR, or received
/// before the request was kept as sent: ours, then every coding the sender used, each as
/// a concept of its own.
fn coded_from_codings(
    referral: &Referral,
    intake: Option<&FhirIntake>,
) -> (Vec<Value>, Value, Vec<Value>) {
    let mut category = vec![social_prescribing()];
    let mut reason_code: Vec<Value> = referral
        .details
        .reasons
        .iter()
        .map(|r| json!({"coding": [coding(mapping::REASON_SYSTEM, r.as_str())]}))
        .collect();
    for c in intake
        .and_then(|i| i.codings.as_array())
        .into_iter()
        .flatten()
    {
        let original = json!({"coding": [{"system": c["system"], "code": c["code"], "display": c["display"]}]});
        let element = c["element"].as_str().unwrap_or("");
        if element.starts_with("reasonCode") {
            reason_code.push(original);
        } else if element.starts_with("category")
            && c["code"] != mapping::SOCIAL_PRESCRIBING_REFERRAL
        {
            category.push(original);
        }
    }
    (category, social_prescribing(), reason_code)
}

/// The ServiceRequest as the referrer organisation reads it back: the request it sent,
/// with the person named only as far as needed to match its own record (name, date of
/// birth, NHS number, registered practice). The service's current contact details,
/// address and notes are the service's record, not the referrer's view.
pub fn service_request_for_referrer(referral: &Referral, intake: Option<&FhirIntake>) -> Value {
    let mut sr = service_request(referral, intake);
    if let Some(object) = sr.as_object_mut() {
        object.remove("note");
    }
    if let Some(patient) = sr["contained"][0].as_object_mut() {
        for element in ["telecom", "address", "communication"] {
            patient.remove(element);
        }
    }
    sr
}

/// The referral's closed-loop Task (same id as the referral).
pub fn task(referral: &Referral, state: &LoopState) -> Value {
    let s = mapping::task_state(referral.status, state.closure_reason);
    let mut business = vec![coding(mapping::STATUS_SYSTEM, s.business_status.as_str())];
    if let Some(c) = s.closure_reason {
        business.push(coding(mapping::CLOSURE_SYSTEM, c.as_str()));
    }
    let d = &referral.details;
    let mut requester = json!({"display": d.referrer.name});
    if let Some(ods) = &d.referrer.ods_code {
        requester["identifier"] =
            json!({"system": mapping::ODS_ORGANISATION_CODE, "value": ods.as_str()});
    }
    let mut task = json!({
        "resourceType": "Task",
        "id": referral.id.to_string(),
        "meta": {"lastUpdated": instant(referral.updated_at)},
        "identifier": [{"system": REFERENCE_SYSTEM, "value": referral.reference.as_str()}],
        "status": s.status,
        "businessStatus": {"coding": business},
        "intent": "order",
        "code": {"coding": [{"system": TASK_CODES, "code": "fulfill", "display": "Fulfill the focal request"}]},
        "focus": {"reference": format!("ServiceRequest/{}", referral.id)},
        "authoredOn": instant(referral.created_at),
        "lastModified": instant(referral.updated_at),
        "requester": requester,
        "owner": {"identifier": {"system": mapping::ODS_ORGANISATION_CODE, "value": referral.organisation}},
    });
    if let Some(n) = &d.person.nhs_number {
        task["for"] =
            json!({"identifier": {"system": mapping::NHS_NUMBER, "value": n.as_string()}});
    }
    // Why, in the code system of the reason: a closure reason or a decline reason. The
    // state itself is in `businessStatus`; a move with no recorded reason has none.
    if s.has_status_reason {
        let reason = match (referral.status, s.closure_reason, &state.decline_reason) {
            (Status::Closed, Some(c), _) => Some(coding(mapping::CLOSURE_SYSTEM, c.as_str())),
            (Status::Declined, _, Some(code)) => Some(coding(mapping::DECLINE_SYSTEM, code)),
            _ => None,
        };
        if let Some(reason) = reason {
            task["statusReason"] = json!({"coding": [reason]});
        }
    }
    if s.status == "completed" {
        let output = task_output(state);
        if !output.is_empty() {
            task["output"] = Value::Array(output);
        }
    }
    task
}

/// A search result Bundle.
pub fn searchset(base_url: &str, resources: Vec<Value>) -> Value {
    json!({
        "resourceType": "Bundle",
        "type": "searchset",
        "total": resources.len(),
        "entry": resources.into_iter().map(|r| json!({
            "fullUrl": format!("{base_url}/{}/{}", r["resourceType"].as_str().unwrap_or(""), r["id"].as_str().unwrap_or("")),
            "resource": r,
            "search": {"mode": "match"},
        })).collect::<Vec<_>>(),
    })
}

/// `GET /fhir/r4/metadata`: exactly what this server does, at `base_url`. An `instance`
/// statement names its implementation (invariant cpb-14).
pub fn capability_statement(base_url: &str) -> Value {
    use super::model::CONTEXT_TYPES;
    let element_rule = element_rule();
    json!({
        "resourceType": "CapabilityStatement",
        "status": "active",
        "date": "2026-11-22",
        "publisher": "socialrx",
        "kind": "instance",
        "software": {"name": "socialrx", "version": env!("CARGO_PKG_VERSION")},
        "implementation": {
            "description": "socialrx: social prescribing referrals in, closed loop out",
            "url": base_url,
        },
        "fhirVersion": "4.0.1",
        "format": ["application/fhir+json", "json"],
        "rest": [{
            "mode": "server",
            "documentation": format!("Social prescribing referrals from clinical systems. Send a ServiceRequest \
                coded as social prescribing (SNOMED CT 871731000000106) or with a Gravity SDOH category, \
                status 'active' and intent 'order' (or 'original-order'), with its Patient (NHS number \
                https://fhir.nhs.uk/Id/nhs-number) and a Consent; follow it through its Task. Anything else \
                is refused with an OperationOutcome. Elements: any element not listed here is refused \
                (modifierExtension and implicitRules always); extensions we do not know are ignored. \
                {element_rule}. Other resource types a Bundle may carry, not kept: {}. JSON only: \
                an Accept or _format asking for anything else is 406.", CONTEXT_TYPES.join(", ")),
            "security": {
                "service": [{"text": "Bearer JWT (claims sub, org, roles, exp, iss, aud)"}],
                "description": "Authorization: Bearer <JWT>. Sending needs one of the roles referrer, link_worker, coordinator; reading the same."
            },
            "resource": rest_resources(),
            "interaction": [{"code": "transaction", "documentation": "A transaction Bundle holding one ServiceRequest and its Patient (and Consent, requester)."}],
            "operation": [{"name": "process-message", "definition": "http://hl7.org/fhir/OperationDefinition/MessageHeader-process-message"}]
        }],
        "messaging": [{
            "endpoint": [{
                "protocol": {"system": "http://terminology.hl7.org/CodeSystem/message-transport", "code": "http"},
                "address": format!("{base_url}/$process-message"),
            }],
            "supportedMessage": [{"mode": "receiver", "definition": "https://fhir.nhs.uk/MessageDefinition/bars-message-servicerequest-request-referral"}],
            "documentation": "NHS Booking and Referral Standard (BaRS) servicerequest-request messages, for social prescribing referrals only."
        }]
    })
}

/// For the CapabilityStatement: per resource type, the elements intake reads and those it
/// leaves unused (everything else is refused).
fn element_rule() -> String {
    use super::model::elements;
    [
        "ServiceRequest",
        "Patient",
        "Consent",
        "Organization",
        "Practitioner",
        "PractitionerRole",
    ]
    .iter()
    .filter_map(|kind| {
        let (read, unused) = elements(kind)?;
        Some(format!(
            "{kind}: reads {}; leaves unused {}",
            read.iter()
                .filter(|e| **e != "resourceType")
                .copied()
                .collect::<Vec<_>>()
                .join(", "),
            unused.join(", ")
        ))
    })
    .collect::<Vec<_>>()
    .join(". ")
}

/// What the server does with each resource type it names.
fn rest_resources() -> Value {
    json!([
        {
            "type": "ServiceRequest",
            "interaction": [{"code": "create"}, {"code": "read"}],
            "versioning": "versioned",
            "readHistory": false,
            "updateCreate": false,
            "conditionalCreate": false,
            "conditionalRead": "not-supported",
            "conditionalUpdate": false,
            "conditionalDelete": "not-supported",
            "documentation": "create: a ServiceRequest with a contained Patient. Honours Idempotency-Key and echoes X-Request-Id. \
                read: code, category, reasonCode, reasonReference, basedOn, identifier and intent as the requester sent them, \
                with our reasons added. ETag W/\"<meta.versionId>\". No search."
        },
        {
            "type": "Task",
            "interaction": [{"code": "read"}, {"code": "search-type"}],
            "searchParam": [{"name": "focus", "type": "reference", "documentation": "ServiceRequest/{id}; required"}],
            "documentation": "Read only: one Task per referral, following its lifecycle."
        },
        {
            "type": "Composition",
            "operation": [{"name": "document", "definition": "http://hl7.org/fhir/OperationDefinition/Composition-document"}],
            "documentation": "Only $document on Composition/{referral id}: the social prescribing summary for the GP and the referrer as a document Bundle (no read, no search)."
        }
    ])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_completed_task_lists_connections_and_outcome_change_as_codes() {
        let state = LoopState {
            closure_reason: Some(ClosureReason::GoalsMet),
            decline_reason: None,
            connections: vec![("physical_activity".into(), "attending".into())],
            outcome_changes: vec![("ucla3".into(), "total".into(), -2.0)],
        };
        let out = task_output(&state);
        assert_eq!(out.len(), 2);
        assert_eq!(
            out[0]["valueCodeableConcept"]["coding"][0]["code"],
            "attending"
        );
        assert_eq!(
            out[0]["valueCodeableConcept"]["coding"][1]["code"],
            "physical_activity"
        );
        assert_eq!(out[1]["type"]["coding"][2]["code"], "ucla3.total");
        assert_eq!(out[1]["valueDecimal"], -2.0);
        assert!(out.iter().all(|o| o.get("valueString").is_none()));
    }
}
