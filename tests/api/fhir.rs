//! FHIR R4 intake and closed loop, against the real examples in tests/fixtures/fhir.
//!
//! The helpers here (fixtures, posting, reading an OperationOutcome) serve the tests, which
//! are by topic in `examples`, `refusals`, `closed_loop` and `capability`.

use reqwest::Response;
use serde_json::{Value, json};

use crate::support::*;

mod capability;
mod closed_loop;
mod examples;
mod refusals;

const FIXTURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../tests/fixtures/fhir/");
const SNOMED: &str = "http://snomed.info/sct";

fn fixture(name: &str) -> Value {
    let path = format!("{FIXTURES}{name}");
    serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap()
}

fn gravity_service_request() -> Value {
    fixture(
        "sdoh-cc/ServiceRequest-SDOHCC-ServiceRequestActiveFoodPantryApplicationAssistExample.json",
    )
}

fn bars_bundle() -> Value {
    fixture("bars/Bundle-message-ValidationRequest-POST.json")
}

/// The Gravity ServiceRequest, unchanged, with its Patient and a Consent, as a transaction.
fn gravity_transaction(with_consent: bool) -> Value {
    let mut entry = vec![
        json!({"fullUrl": "urn:uuid:6a1e9c2f-0d1b-4f57-8d7c-2a9b5e3c1d01", "resource": gravity_service_request(),
               "request": {"method": "POST", "url": "ServiceRequest"}}),
        json!({"fullUrl": "urn:uuid:6a1e9c2f-0d1b-4f57-8d7c-2a9b5e3c1d02", "resource": fixture("sdoh-cc/Patient-pat-53234-constructed.json"),
               "request": {"method": "POST", "url": "Patient"}}),
    ];
    if with_consent {
        entry.push(json!({"fullUrl": "urn:uuid:6a1e9c2f-0d1b-4f57-8d7c-2a9b5e3c1d03", "resource": fixture("sdoh-cc/Consent-pat-53234-constructed.json"),
               "request": {"method": "POST", "url": "Consent"}}));
    }
    json!({"resourceType": "Bundle", "type": "transaction", "entry": entry})
}

/// The BaRS bundle with its ServiceRequest recoded as a social prescribing referral.
fn bars_recoded(valid_nhs_number: bool) -> Value {
    let mut bundle = bars_bundle();
    let sr = &mut bundle["entry"][1]["resource"];
    assert_eq!(sr["resourceType"], "ServiceRequest");
    sr["category"] = json!([{"coding": [{"system": SNOMED, "code": "871731000000106", "display": "Referral to social prescribing service"}]}]);
    sr["intent"] = json!("order");
    if valid_nhs_number {
        let patient = &mut bundle["entry"][5]["resource"];
        assert_eq!(patient["resourceType"], "Patient");
        patient["identifier"][0]["value"] = json!("9434765919");
    }
    bundle
}

/// The BaRS fixture's receiving service: the Organization providing the HealthcareService
/// its ServiceRequest's `performer` names.
const BARS_RECEIVER: &str = "RYE";
/// The BaRS fixture's sender: the MessageHeader's `sender` Organization.
const BARS_SENDER: &str = "RND";

/// The sender's system, posting with a token of its own organisation.
fn bars_sender(app: &TestApp) -> String {
    app.token(BARS_SENDER, &["referrer"])
}

/// The receiving service's admin agrees to take referrals from the BaRS sender, as a
/// service must before another organisation's referrals reach it.
async fn bars_receiver_accepts_the_sender(app: &TestApp) {
    let response = app
        .post("/v1/referral-agreements")
        .bearer_auth(app.token(BARS_RECEIVER, &["admin"]))
        .json(&json!({"referrer_ods_code": BARS_SENDER}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 201, "{}", response.text().await.unwrap());
}

async fn post_fhir(app: &TestApp, path: &str, token: &str, body: &Value) -> Response {
    app.post(path)
        .bearer_auth(token)
        .header("content-type", "application/fhir+json")
        .body(body.to_string())
        .send()
        .await
        .unwrap()
}

/// Asserts an OperationOutcome with `status` and returns it.
async fn outcome(response: Response, status: u16) -> Value {
    let actual = response.status().as_u16();
    let content_type = response
        .headers()
        .get("content-type")
        .map(|v| v.to_str().unwrap().to_owned())
        .unwrap_or_default();
    let body: Value = response.json().await.unwrap_or(Value::Null);
    assert_eq!(actual, status, "{body}");
    assert_eq!(content_type, "application/fhir+json", "{body}");
    assert_eq!(body["resourceType"], "OperationOutcome", "{body}");
    for issue in body["issue"].as_array().unwrap() {
        assert_eq!(issue["severity"], "error");
        assert!(issue["code"].is_string() && issue["diagnostics"].is_string());
    }
    body
}

fn expressions(outcome: &Value) -> Vec<String> {
    outcome["issue"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|i| i["expression"].as_array().cloned().unwrap_or_default())
        .map(|e| e.as_str().unwrap().to_owned())
        .collect()
}

fn id_from_location(response: &Response) -> String {
    let location = response.headers()["location"].to_str().unwrap();
    location
        .strip_prefix("/fhir/r4/ServiceRequest/")
        .unwrap()
        .to_owned()
}

/// The README's example ServiceRequest with `change` applied at the top level.
fn example_with(change: impl FnOnce(&mut Value)) -> Value {
    let mut sr = socialrx_api::routes::fhir::schemas::service_request();
    change(&mut sr);
    sr
}

async fn referrals_held(app: &TestApp) -> usize {
    let (_, held) = app
        .get_json("/v1/referrals", &app.token(ORG, &["coordinator"]))
        .await;
    held["items"].as_array().unwrap().len()
}
