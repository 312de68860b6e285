//! FHIR out: a referral as a ServiceRequest (its person contained), its closed-loop
//! Task, the Bundles that carry them, and the CapabilityStatement.

use serde_json::{Value, json};
use socialrx_domain::referral::{ClosureReason, Referral, Status};
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
    let p = &d.person;
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

    // Our reasons, then every coding the sender used, as it was sent.
    let mut category = vec![json!({"coding": [{
        "system": mapping::SNOMED,
        "code": mapping::SOCIAL_PRESCRIBING_REFERRAL,
        "display": "Referral to social prescribing service",
    }]})];
    let mut reason_code: Vec<Value> = d
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
    let mut identifier =
        vec![json!({"system": REFERENCE_SYSTEM, "value": referral.reference.as_str()})];
    if let Some(source) = intake.and_then(|i| i.source_id.as_deref()) {
        identifier.push(json!({"system": "urn:ietf:rfc:3986", "value": source}));
    }
    let mut requester = json!({"display": d.referrer.name});
    if let Some(ods) = &d.referrer.ods_code {
        requester["identifier"] =
            json!({"system": mapping::ODS_ORGANISATION_CODE, "value": ods.as_str()});
    }
    let mut sr = json!({
        "resourceType": "ServiceRequest",
        "id": referral.id.to_string(),
        "meta": {"lastUpdated": instant(referral.updated_at)},
        "contained": [patient],
        "identifier": identifier,
        "status": request_status(referral.status),
        "intent": "order",
        "category": category,
        "priority": mapping::priority_for(d.urgency),
        "code": {"coding": [{"system": mapping::SNOMED, "code": mapping::SOCIAL_PRESCRIBING_REFERRAL, "display": "Referral to social prescribing service"}]},
        "subject": {"reference": "#patient"},
        "authoredOn": instant(referral.created_at),
        "requester": requester,
        "performer": [{"identifier": {"system": mapping::ODS_ORGANISATION_CODE, "value": referral.organisation}}],
        "reasonCode": reason_code,
    });
    if let Some(notes) = &d.notes {
        sr["note"] = json!([{"text": notes}]);
    }
    sr
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
    if s.has_status_reason {
        let mut reason = vec![match s.closure_reason {
            Some(c) => coding(mapping::CLOSURE_SYSTEM, c.as_str()),
            None => coding(mapping::STATUS_SYSTEM, s.business_status.as_str()),
        }];
        if let Some(code) = &state.decline_reason {
            reason.push(json!({"system": mapping::STATUS_SYSTEM, "code": code}));
        }
        task["statusReason"] = json!({"coding": reason});
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

/// `GET /fhir/r4/metadata`: exactly what this server does.
pub fn capability_statement() -> Value {
    json!({
        "resourceType": "CapabilityStatement",
        "status": "active",
        "date": "2026-11-22",
        "publisher": "socialrx",
        "kind": "instance",
        "software": {"name": "socialrx", "version": env!("CARGO_PKG_VERSION")},
        "fhirVersion": "4.0.1",
        "format": ["application/fhir+json", "json"],
        "rest": [{
            "mode": "server",
            "documentation": "Social prescribing referrals from clinical systems. Send a ServiceRequest \
                coded as social prescribing (SNOMED CT 871731000000106) or with a Gravity SDOH category, \
                with its Patient (NHS number https://fhir.nhs.uk/Id/nhs-number) and a Consent; follow it \
                through its Task. Anything else is refused with an OperationOutcome.",
            "security": {
                "service": [{"text": "Bearer JWT (claims sub, org, roles, exp, iss, aud)"}],
                "description": "Authorization: Bearer <JWT>. Sending needs one of the roles referrer, link_worker, coordinator; reading the same."
            },
            "resource": [
                {
                    "type": "ServiceRequest",
                    "interaction": [{"code": "create"}, {"code": "read"}],
                    "conditionalCreate": false,
                    "documentation": "create: a ServiceRequest with a contained Patient. Honours Idempotency-Key and echoes X-Request-Id."
                },
                {
                    "type": "Task",
                    "interaction": [{"code": "read"}, {"code": "search-type"}],
                    "searchParam": [{"name": "focus", "type": "reference", "documentation": "ServiceRequest/{id}"}],
                    "documentation": "Read only: one Task per referral, following its lifecycle."
                }
            ],
            "interaction": [{"code": "transaction", "documentation": "A transaction Bundle holding one ServiceRequest and its Patient (and Consent, requester)."}],
            "operation": [{"name": "process-message", "definition": "http://hl7.org/fhir/OperationDefinition/MessageHeader-process-message"}]
        }],
        "messaging": [{
            "supportedMessage": [{"mode": "receiver", "definition": "https://fhir.nhs.uk/MessageDefinition/bars-message-servicerequest-request-referral"}],
            "documentation": "NHS Booking and Referral Standard (BaRS) servicerequest-request messages, for social prescribing referrals only."
        }]
    })
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
