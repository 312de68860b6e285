//! FHIR bodies in the OpenAPI document: free-form JSON objects (the FHIR specification is
//! their schema) with a worked example each.

use serde_json::{Value, json};
use utoipa::ToSchema;

use super::mapping;

/// Declares a FHIR body for the spec: a free-form object (the FHIR specification is its
/// schema) with a description and an example.
macro_rules! fhir_schema {
    ($name:ident, $doc:literal, $example:expr) => {
        #[doc = $doc]
        pub struct $name;

        impl utoipa::PartialSchema for $name {
            fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
                // `example` (not `examples`): the form the rest of this spec uses.
                #[allow(deprecated)]
                let object = utoipa::openapi::schema::ObjectBuilder::new()
                    .description(Some($doc))
                    .example(Some($example));
                object.into()
            }
        }

        impl ToSchema for $name {
            fn name() -> std::borrow::Cow<'static, str> {
                std::borrow::Cow::Borrowed(stringify!($name))
            }
        }
    };
}

fhir_schema!(
    OperationOutcome,
    "A FHIR R4 OperationOutcome: every error on `/fhir`.",
    operation_outcome()
);
fhir_schema!(
    ServiceRequest,
    "A FHIR R4 ServiceRequest with its Patient (and requester, Consent) contained.",
    service_request()
);
fhir_schema!(
    Bundle,
    "A FHIR R4 Bundle: `transaction` or `message` in; `transaction-response`, `message` or `searchset` out.",
    bundle()
);
fhir_schema!(Task, "A FHIR R4 Task following a referral.", task());
fhir_schema!(
    CapabilityStatement,
    "A FHIR R4 CapabilityStatement.",
    super::render::capability_statement("https://socialrx.example/fhir/r4")
);

pub fn operation_outcome() -> Value {
    json!({
        "resourceType": "OperationOutcome",
        "issue": [{
            "severity": "error",
            "code": "not-supported",
            "details": {"coding": [{"system": crate::error::fhir::ERROR_SYSTEM, "code": "not_social_prescribing"}]},
            "diagnostics": "ServiceRequest.code is SNOMED CT 73761001 'Colonoscopy': socialrx accepts only social prescribing (SNOMED CT 871731000000106) and social-needs (Gravity SDOH category) referrals",
            "expression": ["ServiceRequest.code"]
        }]
    })
}

/// A social prescribing referral from a GP practice: the README's curl example.
pub fn service_request() -> Value {
    json!({
        "resourceType": "ServiceRequest",
        "contained": [
            {
                "resourceType": "Patient",
                "id": "patient",
                "identifier": [{"system": mapping::NHS_NUMBER, "value": "9434765919"}],
                "name": [{"use": "official", "family": "O'Brien", "given": ["Ada"]}],
                "birthDate": "1971-03-14",
                "address": [{"use": "home", "postalCode": "HD1 2RS"}],
                "telecom": [{"system": "phone", "value": "01484 496000", "rank": 1}],
                "generalPractitioner": [{"identifier": {"system": mapping::ODS_ORGANISATION_CODE, "value": "B85001"}}]
            },
            {
                "resourceType": "Organization",
                "id": "practice",
                "identifier": [{"system": mapping::ODS_ORGANISATION_CODE, "value": "B85001"}],
                "name": "Riverside Surgery"
            },
            {
                "resourceType": "Consent",
                "id": "consent",
                "extension": [{"url": mapping::CONSENT_METHOD_EXTENSION, "valueCode": "verbal"}],
                "status": "active",
                "scope": {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/consentscope", "code": "patient-privacy"}]},
                "category": [{"coding": [{"system": "http://loinc.org", "code": "59284-0"}]}],
                "patient": {"reference": "#patient"},
                "dateTime": "2026-11-20T10:15:00Z"
            }
        ],
        "status": "active",
        "intent": "order",
        "category": [
            {"coding": [{"system": mapping::SNOMED, "code": mapping::SOCIAL_PRESCRIBING_REFERRAL, "display": "Referral to social prescribing service"}]},
            {"coding": [{"system": mapping::SDOHCC_TEMPORARY_CODES, "code": "social-connection", "display": "Social Connection"}]}
        ],
        "priority": "routine",
        "subject": {"reference": "#patient"},
        "requester": {"reference": "#practice"},
        "supportingInfo": [{"reference": "#consent"}],
        "note": [{"text": "Lives alone since her husband died; keen on gardening."}]
    })
}

pub fn bundle() -> Value {
    json!({
        "resourceType": "Bundle",
        "type": "transaction",
        "entry": [{
            "fullUrl": "urn:uuid:9d7c2b4e-1f0a-4c1e-9a51-3c2f1e0d4b7a",
            "resource": service_request(),
            "request": {"method": "POST", "url": "ServiceRequest"}
        }]
    })
}

pub fn task() -> Value {
    json!({
        "resourceType": "Task",
        "id": "019a9f6e-2b1c-7d40-9a51-3c2f1e0d4b7a",
        "identifier": [{"system": super::render::REFERENCE_SYSTEM, "value": "SRX-7K3M-9QPD"}],
        "status": "requested",
        "businessStatus": {"coding": [{"system": mapping::STATUS_SYSTEM, "code": "received", "display": "Received"}]},
        "intent": "order",
        "code": {"coding": [{"system": "http://hl7.org/fhir/CodeSystem/task-code", "code": "fulfill"}]},
        "focus": {"reference": "ServiceRequest/019a9f6e-2b1c-7d40-9a51-3c2f1e0d4b7a"},
        "for": {"identifier": {"system": mapping::NHS_NUMBER, "value": "9434765919"}},
        "authoredOn": "2026-11-22T09:30:00Z",
        "requester": {"identifier": {"system": mapping::ODS_ORGANISATION_CODE, "value": "B85001"}, "display": "Riverside Surgery"},
        "owner": {"identifier": {"system": mapping::ODS_ORGANISATION_CODE, "value": "Y02794"}}
    })
}
