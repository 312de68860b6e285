//! FHIR R4 intake and closed loop, against the real examples in tests/fixtures/fhir.

use reqwest::Response;
use serde_json::{Value, json};

use crate::support::*;

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

#[tokio::test]
async fn the_gravity_service_request_becomes_a_referral_with_the_right_person_and_reasons() {
    let app = spawn_app().await;
    let token = app.referrer();
    let response = post_fhir(&app, "/fhir/r4", &token, &gravity_transaction(true)).await;
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["content-type"], "application/fhir+json");
    let id = id_from_location(&response);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["type"], "transaction-response");
    assert_eq!(body["entry"][0]["response"]["status"], "201 Created");
    assert_eq!(
        body["entry"][0]["response"]["location"],
        format!("ServiceRequest/{id}")
    );

    // No performer: the sender's own organisation received it; its staff read the record.
    let (status, referral) = app
        .get_json(
            &format!("/v1/referrals/{id}"),
            &app.token(ORG, &["coordinator"]),
        )
        .await;
    assert_eq!(status, 200);
    assert_eq!(referral["referrer_organisation"], ORG);
    assert_eq!(referral["person"]["given_name"], "Colin V.");
    assert_eq!(referral["person"]["family_name"], "Abbas");
    assert_eq!(referral["person"]["date_of_birth"], "1987-02-20");
    assert_eq!(referral["person"]["postcode"], "LS1 4AP");
    assert_eq!(referral["person"]["preferred_contact"], "letter");
    // Food insecurity is a money matter in our list.
    assert_eq!(referral["reasons"], json!(["money_benefits_debt"]));
    assert_eq!(referral["source"], "other_professional");
    assert_eq!(referral["status"], "received");

    // Read back as FHIR by the sender's referrer: the sender's codings are kept beside
    // ours.
    let (status, sr) = app
        .get_json(&format!("/fhir/r4/ServiceRequest/{id}"), &token)
        .await;
    assert_eq!(status, 200);
    assert_eq!(sr["resourceType"], "ServiceRequest");
    let category = sr["category"].to_string();
    assert!(category.contains("food-insecurity"), "{category}");
    assert!(category.contains("871731000000106"), "{category}");
    assert!(sr["reasonCode"].to_string().contains("money_benefits_debt"));
    assert_eq!(sr["contained"][0]["birthDate"], "1987-02-20");
    app.finish().await;
}

#[tokio::test]
async fn a_contained_service_request_is_received_and_its_task_is_requested() {
    let app = spawn_app().await;
    let token = app.referrer();
    let body = socialrx_api::routes::fhir::schemas::service_request();
    let response = app
        .post("/fhir/r4/ServiceRequest")
        .bearer_auth(&token)
        .header("content-type", "application/fhir+json")
        .header("Idempotency-Key", "fhir-key-1")
        .header("X-Request-Id", "bars-req-42")
        .body(body.to_string())
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 201);
    assert_eq!(response.headers()["x-request-id"], "bars-req-42");
    let id = id_from_location(&response);
    let sr: Value = response.json().await.unwrap();
    assert_eq!(sr["id"], id);
    assert_eq!(sr["status"], "active");
    assert_eq!(sr["priority"], "routine");

    let coordinator = app.token(ORG, &["coordinator"]);
    let (status, referral) = app
        .get_json(&format!("/v1/referrals/{id}"), &coordinator)
        .await;
    assert_eq!(status, 200, "{referral}");
    assert_eq!(referral["person"]["nhs_number"], "9434765919");
    assert_eq!(referral["person"]["registered_practice"], "B85001");
    assert_eq!(referral["referrer"]["ods_code"], "B85001");
    assert_eq!(referral["referrer"]["name"], "Riverside Surgery");
    assert_eq!(referral["source"], "gp");
    assert_eq!(referral["reasons"], json!(["loneliness_isolation"]));
    assert_eq!(referral["consent"]["method"], "verbal");
    assert_eq!(
        referral["notes"],
        "Lives alone since her husband died; keen on gardening."
    );

    // A retry with the same key answers the same referral and creates nothing.
    let again = app
        .post("/fhir/r4/ServiceRequest")
        .bearer_auth(&token)
        .header("content-type", "application/fhir+json")
        .header("Idempotency-Key", "fhir-key-1")
        .body(body.to_string())
        .send()
        .await
        .unwrap();
    assert_eq!(again.status(), 201);
    assert_eq!(again.headers()["idempotent-replayed"], "true");
    assert_eq!(id_from_location(&again), id);
    let (_, page) = app.get_json("/v1/referrals", &coordinator).await;
    assert_eq!(page["items"].as_array().unwrap().len(), 1);
    let (_, sent) = app.get_json("/v1/sent-referrals", &token).await;
    assert_eq!(sent["items"].as_array().unwrap().len(), 1);

    // Closed loop: the Task follows the referral, read by the referrer that sent it.
    let (status, search) = app
        .get_json(&format!("/fhir/r4/Task?focus=ServiceRequest/{id}"), &token)
        .await;
    assert_eq!(status, 200);
    assert_eq!(search["type"], "searchset");
    assert_eq!(search["total"], 1);
    let task = &search["entry"][0]["resource"];
    assert_eq!(task["resourceType"], "Task");
    assert_eq!(task["status"], "requested");
    assert_eq!(task["businessStatus"]["coding"][0]["code"], "received");
    assert_eq!(task["focus"]["reference"], format!("ServiceRequest/{id}"));
    assert!(task.get("output").is_none());
    let (status, read) = app.get_json(&format!("/fhir/r4/Task/{id}"), &token).await;
    assert_eq!(status, 200);
    assert_eq!(&read, task);

    // Another organisation sees no Task and no ServiceRequest.
    let other = app.token(OTHER_ORG, &["referrer"]);
    let (_, none) = app
        .get_json(&format!("/fhir/r4/Task?focus=ServiceRequest/{id}"), &other)
        .await;
    assert_eq!(none["total"], 0);
    let response = app
        .get(&format!("/fhir/r4/ServiceRequest/{id}"))
        .bearer_auth(&other)
        .send()
        .await
        .unwrap();
    outcome(response, 404).await;
    app.finish().await;
}

#[tokio::test]
async fn the_bars_validation_request_is_read_as_bars_and_refused_as_not_a_referral() {
    let app = spawn_app().await;
    let response = post_fhir(
        &app,
        "/fhir/r4/$process-message",
        &app.referrer(),
        &bars_bundle(),
    )
    .await;
    let body = outcome(response, 422).await;
    assert_eq!(body["issue"][0]["code"], "not-supported");
    assert_eq!(
        expressions(&body),
        vec!["Bundle.entry[1].resource.category[0]"]
    );
    let diagnostics = body["issue"][0]["diagnostics"].as_str().unwrap();
    assert!(
        diagnostics.contains("BaRS validation request"),
        "{diagnostics}"
    );
    app.finish().await;
}

#[tokio::test]
async fn the_bars_bundle_recoded_as_social_prescribing_is_accepted_with_the_right_person_and_practice()
 {
    let app = spawn_app().await;
    // The sender posts with its own organisation's token; the performer names the
    // receiving service, which takes nothing from the sender without an agreement.
    let token = bars_sender(&app);
    let refused = post_fhir(
        &app,
        "/fhir/r4/$process-message",
        &token,
        &bars_recoded(true),
    )
    .await;
    let body = outcome(refused, 422).await;
    assert_eq!(
        expressions(&body),
        vec!["Bundle.entry[1].resource.performer[0]"]
    );
    bars_receiver_accepts_the_sender(&app).await;
    let response = app
        .post("/fhir/r4/$process-message")
        .bearer_auth(&token)
        .header("content-type", "application/fhir+json")
        .header("X-Request-Id", "3d1f0c3a-bars")
        .body(bars_recoded(true).to_string())
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["x-request-id"], "3d1f0c3a-bars");
    let id = id_from_location(&response);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["type"], "message");
    let header = &body["entry"][0]["resource"];
    assert_eq!(header["resourceType"], "MessageHeader");
    assert_eq!(header["response"]["code"], "ok");
    assert_eq!(
        header["response"]["identifier"],
        "86e3371d-1c15-4862-9552-d9560f8292ba"
    );
    assert_eq!(
        header["focus"][0]["reference"],
        format!("ServiceRequest/{id}")
    );

    // The receiving service holds it: its coordinator reads the full record.
    let receiver = app.token(BARS_RECEIVER, &["coordinator"]);
    let (status, referral) = app
        .get_json(&format!("/v1/referrals/{id}"), &receiver)
        .await;
    assert_eq!(status, 200, "{referral}");
    assert_eq!(referral["referrer_organisation"], BARS_SENDER);
    let person = &referral["person"];
    assert_eq!(person["given_name"], "Julie");
    assert_eq!(person["family_name"], "Jones");
    assert_eq!(person["date_of_birth"], "1959-05-04");
    assert_eq!(person["postcode"], "LS10 4YU");
    assert_eq!(person["nhs_number"], "9434765919");
    assert_eq!(person["registered_practice"], "G82080");
    assert_eq!(person["preferred_contact"], "phone");
    assert_eq!(person["email"], "jjones@hotmail.co.uk");
    assert_eq!(person["language"], "English");
    // The requester is a Practitioner whose PractitionerRole's organisation has no ODS
    // code; the MessageHeader's sender supplies it.
    assert_eq!(referral["referrer"]["name"], "Marcy BLAKE");
    assert_eq!(referral["referrer"]["ods_code"], "RND");
    assert_eq!(
        referral["referrer"]["role"],
        "Administrative healthcare staff"
    );
    assert_eq!(referral["consent"]["given_at"], "2021-11-26T00:00:00Z");
    assert_eq!(referral["reasons"], json!(["other"]));

    // The sender reads back the referrer's view and its Task, never the full record.
    let (status, _) = app.get_json(&format!("/v1/referrals/{id}"), &token).await;
    assert_eq!(status, 403);
    let (status, view) = app
        .get_json(&format!("/v1/referrals/{id}/status"), &token)
        .await;
    assert_eq!(status, 200, "{view}");
    assert_eq!(view["status"], "received");
    assert_eq!(view["referrer_organisation"], BARS_SENDER);
    assert_eq!(view["receiving_service"], BARS_RECEIVER);
    assert!(view.get("person").is_none(), "{view}");
    let (status, task) = app.get_json(&format!("/fhir/r4/Task/{id}"), &token).await;
    assert_eq!(status, 200, "{task}");
    assert_eq!(task["status"], "requested");
    // No other organisation holds it.
    let (status, _) = app
        .get_json(
            &format!("/v1/referrals/{id}"),
            &app.token(ORG, &["coordinator"]),
        )
        .await;
    assert_eq!(status, 404);

    // The same through POST /fhir/r4 (a message Bundle there too).
    let response = post_fhir(&app, "/fhir/r4", &token, &bars_recoded(true)).await;
    assert_eq!(response.status(), 200);
    let (_, held) = app.get_json("/v1/referrals", &receiver).await;
    assert_eq!(held["items"].as_array().unwrap().len(), 2, "{held}");
    app.finish().await;
}

#[tokio::test]
async fn the_bars_example_nhs_number_fails_its_check_digit_at_the_exact_element() {
    let app = spawn_app().await;
    // The receiving service accepts the sender: the NHS number is the only fault.
    bars_receiver_accepts_the_sender(&app).await;
    let response = post_fhir(
        &app,
        "/fhir/r4/$process-message",
        &bars_sender(&app),
        &bars_recoded(false),
    )
    .await;
    let body = outcome(response, 422).await;
    assert_eq!(
        expressions(&body),
        vec!["Bundle.entry[5].resource.identifier[0].value"]
    );
    assert_eq!(
        body["issue"][0]["details"]["coding"][0]["code"],
        "nhs_number_check_digit"
    );
    app.finish().await;
}

#[tokio::test]
async fn the_uk_core_colonoscopy_request_is_refused_with_a_precise_outcome() {
    let app = spawn_app().await;
    let body = fixture("ukcore/UKCore-ServiceRequest-ColonoscopyRequest-Example.json");
    let response = post_fhir(&app, "/fhir/r4/ServiceRequest", &app.referrer(), &body).await;
    let body = outcome(response, 422).await;
    assert_eq!(body["issue"][0]["code"], "not-supported");
    assert_eq!(expressions(&body), vec!["ServiceRequest.code"]);
    let diagnostics = body["issue"][0]["diagnostics"].as_str().unwrap();
    assert!(
        diagnostics.contains("73761001") && diagnostics.contains("Colonoscopy"),
        "{diagnostics}"
    );
    app.finish().await;
}

#[tokio::test]
async fn a_referral_without_consent_is_refused_at_supporting_info() {
    let app = spawn_app().await;
    let response = post_fhir(
        &app,
        "/fhir/r4",
        &app.referrer(),
        &gravity_transaction(false),
    )
    .await;
    let body = outcome(response, 422).await;
    assert_eq!(
        expressions(&body),
        vec!["Bundle.entry[0].resource.supportingInfo"]
    );
    assert_eq!(body["issue"][0]["code"], "required");
    app.finish().await;
}

#[tokio::test]
async fn every_error_on_fhir_routes_is_an_operation_outcome() {
    let app = spawn_app().await;
    let example = socialrx_api::routes::fhir::schemas::service_request();
    // No token.
    let response = app
        .post("/fhir/r4/ServiceRequest")
        .header("content-type", "application/fhir+json")
        .body(example.to_string())
        .send()
        .await
        .unwrap();
    let body = outcome(response, 401).await;
    assert_eq!(body["issue"][0]["code"], "login");
    // A role that may not send referrals.
    let editor = app.token(ORG, &["directory_editor"]);
    let body = outcome(
        post_fhir(&app, "/fhir/r4/ServiceRequest", &editor, &example).await,
        403,
    )
    .await;
    assert_eq!(body["issue"][0]["code"], "forbidden");
    let token = app.referrer();
    // Not JSON.
    let response = app
        .post("/fhir/r4/ServiceRequest")
        .bearer_auth(&token)
        .header("content-type", "application/fhir+json")
        .body("{\"resourceType\":")
        .send()
        .await
        .unwrap();
    outcome(response, 400).await;
    // Not a ServiceRequest.
    let body = outcome(
        post_fhir(
            &app,
            "/fhir/r4/ServiceRequest",
            &token,
            &json!({"resourceType": "Patient"}),
        )
        .await,
        422,
    )
    .await;
    assert_eq!(expressions(&body), vec!["ServiceRequest.resourceType"]);
    // A wrong shape names the element.
    let mut bad = example.clone();
    bad["priority"] = json!(5);
    let body = outcome(
        post_fhir(&app, "/fhir/r4/ServiceRequest", &token, &bad).await,
        422,
    )
    .await;
    assert_eq!(expressions(&body), vec!["ServiceRequest.priority"]);
    // A wrong NHS number in a contained Patient.
    let mut bad = example.clone();
    bad["contained"][0]["identifier"][0]["value"] = json!("9434765918");
    let body = outcome(
        post_fhir(&app, "/fhir/r4/ServiceRequest", &token, &bad).await,
        422,
    )
    .await;
    assert_eq!(
        expressions(&body),
        vec!["ServiceRequest.contained[0].identifier[0].value"]
    );
    // A collection Bundle.
    let body = outcome(
        post_fhir(
            &app,
            "/fhir/r4",
            &token,
            &json!({"resourceType": "Bundle", "type": "collection"}),
        )
        .await,
        422,
    )
    .await;
    assert_eq!(expressions(&body), vec!["Bundle.type"]);
    // Unknown resource, unknown id, wrong method, missing search parameter.
    outcome(
        app.get("/fhir/r4/Patient/1")
            .bearer_auth(&token)
            .send()
            .await
            .unwrap(),
        404,
    )
    .await;
    outcome(
        app.get("/fhir/r4/Task/01a20159-67f6-732d-b6ed-d9503e62ffc1")
            .bearer_auth(&token)
            .send()
            .await
            .unwrap(),
        404,
    )
    .await;
    outcome(
        app.get("/fhir/r4/Task/not-a-uuid")
            .bearer_auth(&token)
            .send()
            .await
            .unwrap(),
        404,
    )
    .await;
    let response = app
        .client
        .delete(app.url("/fhir/r4/ServiceRequest"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(response.headers()["allow"], "GET, POST");
    outcome(response, 405).await;
    let body = outcome(
        app.get("/fhir/r4/Task")
            .bearer_auth(&token)
            .send()
            .await
            .unwrap(),
        400,
    )
    .await;
    assert_eq!(expressions(&body), vec!["focus"]);
    app.finish().await;
}

#[tokio::test]
async fn the_capability_statement_lists_what_is_supported() {
    let app = spawn_app().await;
    let response = app.get("/fhir/r4/metadata").send().await.unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["content-type"], "application/fhir+json");
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["resourceType"], "CapabilityStatement");
    assert_eq!(body["fhirVersion"], "4.0.1");
    let resources: Vec<&str> = body["rest"][0]["resource"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["type"].as_str().unwrap())
        .collect();
    assert_eq!(resources, vec!["ServiceRequest", "Task", "Composition"]);
    assert_eq!(
        body["rest"][0]["resource"][2]["operation"][0]["name"],
        "document"
    );
    assert_eq!(body["rest"][0]["operation"][0]["name"], "process-message");
    app.finish().await;
}

/// The Task follows a referral through the lifecycle to its end: accepted, then closed with
/// goals met is `completed`; a declined referral is `rejected` with its reason; a closure
/// for another reason is `cancelled`.
#[tokio::test]
async fn the_task_follows_a_referral_from_received_to_completed() {
    let app = spawn_app().await;
    let referrer = app.referrer();
    let coordinator = app.token(ORG, &["coordinator"]);
    let task = |id: String| {
        let app = &app;
        let referrer = referrer.clone();
        async move {
            let (status, task) = app
                .get_json(&format!("/fhir/r4/Task/{id}"), &referrer)
                .await;
            assert_eq!(status, 200, "{task}");
            task
        }
    };
    let move_to = |id: String, body: serde_json::Value| {
        let app = &app;
        let coordinator = coordinator.clone();
        async move {
            let r = app
                .post(&format!("/v1/referrals/{id}/transitions"))
                .bearer_auth(&coordinator)
                .json(&body)
                .send()
                .await
                .unwrap();
            assert_eq!(r.status(), 201);
        }
    };
    let id = app.create_referral(&referrer, &referral_body()).await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(task(id.clone()).await["status"], "requested");
    move_to(id.clone(), serde_json::json!({"to": "accepted"})).await;
    assert_eq!(task(id.clone()).await["status"], "accepted");
    move_to(
        id.clone(),
        serde_json::json!({"to": "closed", "reason": "goals_met"}),
    )
    .await;
    let done = task(id.clone()).await;
    assert_eq!(done["status"], "completed", "{done}");
    assert!(done.to_string().contains("goals_met"), "{done}");

    let declined = app.create_referral(&referrer, &referral_body()).await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    move_to(
        declined.clone(),
        serde_json::json!({"to": "declined", "reason": "out_of_area"}),
    )
    .await;
    let rejected = task(declined).await;
    assert_eq!(rejected["status"], "rejected");
    // Why it was declined, in the decline-reason system (the state is businessStatus).
    assert_eq!(
        rejected["statusReason"]["coding"],
        json!([{"system": "https://socialrx.org.uk/fhir/CodeSystem/decline-reason",
                "code": "out_of_area", "display": "Out of area"}]),
        "{rejected}"
    );

    let moved = app.create_referral(&referrer, &referral_body()).await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    move_to(
        moved.clone(),
        serde_json::json!({"to": "closed", "reason": "moved_away"}),
    )
    .await;
    assert_eq!(task(moved).await["status"], "cancelled");
    app.finish().await;
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

#[tokio::test]
async fn a_service_request_that_is_not_an_active_order_is_refused_at_its_status_or_intent() {
    let app = spawn_app().await;
    let token = app.referrer();
    let cases: &[(&str, Option<&str>, &str)] = &[
        ("status", Some("entered-in-error"), "business-rule"),
        ("status", Some("revoked"), "business-rule"),
        ("status", Some("draft"), "business-rule"),
        ("status", Some("on-hold"), "business-rule"),
        ("status", Some("completed"), "business-rule"),
        ("status", None, "required"),
        ("intent", Some("proposal"), "business-rule"),
        ("intent", Some("plan"), "business-rule"),
        ("intent", Some("filler-order"), "business-rule"),
        ("intent", Some("bogus"), "code-invalid"),
        ("intent", None, "required"),
    ];
    for (element, value, code) in cases {
        let body = example_with(|sr| match value {
            Some(v) => sr[*element] = json!(v),
            None => {
                sr.as_object_mut().unwrap().remove(*element);
            }
        });
        let refused = outcome(
            post_fhir(&app, "/fhir/r4/ServiceRequest", &token, &body).await,
            422,
        )
        .await;
        assert_eq!(
            expressions(&refused),
            vec![format!("ServiceRequest.{element}")],
            "{element} {value:?}"
        );
        assert_eq!(refused["issue"][0]["code"], *code, "{element} {value:?}");
    }
    // Both wrong: both named.
    let body = example_with(|sr| {
        sr["status"] = json!("draft");
        sr["intent"] = json!("proposal");
    });
    let refused = outcome(
        post_fhir(&app, "/fhir/r4/ServiceRequest", &token, &body).await,
        422,
    )
    .await;
    assert_eq!(
        expressions(&refused),
        vec!["ServiceRequest.status", "ServiceRequest.intent"]
    );
    assert_eq!(referrals_held(&app).await, 0);
    // An original order is the order as its requester placed it: a referral.
    let body = example_with(|sr| sr["intent"] = json!("original-order"));
    let response = post_fhir(&app, "/fhir/r4/ServiceRequest", &token, &body).await;
    assert_eq!(response.status(), 201);
    let sr: Value = response.json().await.unwrap();
    assert_eq!(sr["intent"], "original-order");
    assert_eq!(referrals_held(&app).await, 1);
    app.finish().await;
}

#[tokio::test]
async fn elements_and_resources_we_would_not_keep_are_refused_by_name() {
    let app = spawn_app().await;
    let token = app.referrer();
    let cases: Vec<(Value, Vec<&str>)> = vec![
        (
            example_with(|sr| sr["fooBar"] = json!("x")),
            vec!["ServiceRequest.fooBar"],
        ),
        (
            example_with(|sr| sr["contained"][0]["deceasedBoolean"] = json!(false)),
            vec!["ServiceRequest.contained[0].deceasedBoolean"],
        ),
        (
            example_with(|sr| {
                sr["contained"][0]["maritalStatus"] = json!({"text": "Widowed"});
                sr["contained"][2]["fooBar"] = json!(1);
            }),
            vec![
                "ServiceRequest.contained[0].maritalStatus",
                "ServiceRequest.contained[2].fooBar",
            ],
        ),
        // A modifier extension may change the meaning of everything else: never ignored.
        (
            example_with(|sr| {
                sr["modifierExtension"] =
                    json!([{"url": "https://example.org/not-really", "valueBoolean": true}])
            }),
            vec!["ServiceRequest.modifierExtension"],
        ),
        (
            example_with(|sr| {
                sr["contained"]
                    .as_array_mut()
                    .unwrap()
                    .push(json!({"resourceType": "MedicationRequest", "id": "med"}))
            }),
            vec!["ServiceRequest.contained[3]"],
        ),
    ];
    for (body, expected) in cases {
        let refused = outcome(
            post_fhir(&app, "/fhir/r4/ServiceRequest", &token, &body).await,
            422,
        )
        .await;
        assert_eq!(expressions(&refused), expected);
        assert_eq!(refused["issue"][0]["code"], "not-supported");
    }
    // In a Bundle too, at the entry.
    let mut bundle = gravity_transaction(true);
    bundle["entry"][1]["resource"]["photo"] = json!([{"url": "https://example.org/p.jpg"}]);
    let refused = outcome(post_fhir(&app, "/fhir/r4", &token, &bundle).await, 422).await;
    assert_eq!(
        expressions(&refused),
        vec!["Bundle.entry[1].resource.photo"]
    );
    assert_eq!(referrals_held(&app).await, 0);
    // Elements we know but leave unused (meta, narrative, gender) and extensions we do
    // not know are not refused.
    let body = example_with(|sr| {
        sr["meta"] = json!({"profile": ["https://fhir.hl7.org.uk/StructureDefinition/UKCore-ServiceRequest"]});
        sr["text"] = json!({"status": "generated", "div": "<div xmlns=\"http://www.w3.org/1999/xhtml\">Referral</div>"});
        sr["contained"][0]["gender"] = json!("female");
        sr["contained"][0]["extension"] =
            json!([{"url": "https://example.org/unknown", "valueString": "x"}]);
    });
    let response = post_fhir(&app, "/fhir/r4/ServiceRequest", &token, &body).await;
    assert_eq!(response.status(), 201);
    app.finish().await;
}

#[tokio::test]
async fn the_requesters_code_based_on_and_reason_reference_come_back_as_sent() {
    let app = spawn_app().await;
    let token = app.referrer();
    let code = json!({
        "coding": [
            {"system": SNOMED, "code": "871731000000106", "display": "Referral to social prescribing service"},
            {"system": "https://example.org/CodeSystem/programme", "code": "green-rx", "display": "Green social prescribing"}
        ],
        "text": "Green social prescribing: walking for health"
    });
    let based_on = json!([{"reference": "CarePlan/cp-17", "display": "Care plan"}]);
    let reason_reference = json!([{"reference": "Condition/c-4", "display": "Bereavement"}]);
    let sdoh =
        "http://hl7.org/fhir/us/sdoh-clinicalcare/CodeSystem/SDOHCC-CodeSystemTemporaryCodes";
    let unmapped = json!({"system": SNOMED, "code": "161148000", "display": "Widowed"});
    let body = example_with(|sr| {
        sr["code"] = code.clone();
        sr["basedOn"] = based_on.clone();
        sr["reasonReference"] = reason_reference.clone();
        sr["identifier"] =
            json!([{"system": "https://example.org/Id/gp-referral", "value": "R-2026-0042"}]);
        sr["reasonCode"] = json!([
            {"coding": [{"system": sdoh, "code": "social-connection", "display": "Social Connection"}],
             "text": "Lonely since moving"},
            {"coding": [unmapped.clone()]}
        ]);
    });
    let response = post_fhir(&app, "/fhir/r4/ServiceRequest", &token, &body).await;
    assert_eq!(response.status(), 201);
    let id = id_from_location(&response);
    let created: Value = response.json().await.unwrap();
    for reader in [token.clone(), app.token(ORG, &["coordinator"])] {
        let (status, sr) = app
            .get_json(&format!("/fhir/r4/ServiceRequest/{id}"), &reader)
            .await;
        assert_eq!(status, 200, "{sr}");
        assert_eq!(sr["code"], code);
        assert_eq!(sr["basedOn"], based_on);
        assert_eq!(sr["reasonReference"], reason_reference);
        assert!(
            sr["identifier"].as_array().unwrap().contains(
                &json!({"system": "https://example.org/Id/gp-referral", "value": "R-2026-0042"})
            ),
            "{sr}"
        );
        // Each reason as sent, with ours as a further coding of the same concept.
        let reasons = &sr["reasonCode"];
        assert_eq!(reasons[0]["text"], "Lonely since moving", "{reasons}");
        assert_eq!(reasons[0]["coding"][0]["code"], "social-connection");
        assert_eq!(reasons[0]["coding"][1]["code"], "loneliness_isolation");
        assert_eq!(reasons[1]["coding"][0], unmapped);
        assert_eq!(reasons[1]["coding"][1]["code"], "other");
        assert_eq!(reasons.as_array().unwrap().len(), 2, "{reasons}");
    }
    assert_eq!(created["code"], code);
    app.finish().await;
}

#[tokio::test]
async fn the_capability_statement_is_an_instance_and_unsupported_searches_say_so() {
    let app = spawn_app().await;
    let response = app.get("/fhir/r4/metadata").send().await.unwrap();
    assert_eq!(response.status(), 200);
    let cs: Value = response.json().await.unwrap();
    assert_eq!(cs["kind"], "instance");
    // cpb-14: an instance names its implementation.
    assert_eq!(cs["implementation"]["url"], app.url("/fhir/r4"));
    assert!(cs["implementation"]["description"].is_string());
    let resources = &cs["rest"][0]["resource"];
    assert_eq!(
        resources[0]["interaction"],
        json!([{"code": "create"}, {"code": "read"}])
    );
    assert!(resources[0].get("searchParam").is_none());
    assert_eq!(resources[1]["searchParam"][0]["name"], "focus");
    assert!(
        cs["rest"][0]["documentation"]
            .as_str()
            .unwrap()
            .contains("Patient: reads extension, identifier"),
        "{cs}"
    );

    let token = app.referrer();
    let body = outcome(
        app.get("/fhir/r4/ServiceRequest?patient=x")
            .bearer_auth(&token)
            .send()
            .await
            .unwrap(),
        400,
    )
    .await;
    assert_eq!(body["issue"][0]["code"], "not-supported");
    for path in [
        "/fhir/r4/Patient",
        "/fhir/r4/Patient?name=Smith",
        "/fhir/r4/Patient/1",
    ] {
        let body = outcome(app.get(path).bearer_auth(&token).send().await.unwrap(), 404).await;
        assert_eq!(body["issue"][0]["code"], "not-supported", "{path}");
    }
    app.finish().await;
}

#[tokio::test]
async fn fhir_speaks_json_only_and_versions_what_it_creates() {
    let app = spawn_app().await;
    let token = app.referrer();
    let example = socialrx_api::routes::fhir::schemas::service_request();
    // 415 names the media type to send.
    let response = app
        .post("/fhir/r4/ServiceRequest")
        .bearer_auth(&token)
        .header("content-type", "application/xml")
        .body("<ServiceRequest/>")
        .send()
        .await
        .unwrap();
    let body = outcome(response, 415).await;
    let diagnostics = body["issue"][0]["diagnostics"].as_str().unwrap();
    assert!(
        diagnostics.contains("application/fhir+json"),
        "{diagnostics}"
    );
    // Asking for XML, by Accept or _format, is 406, answered in JSON.
    for (path, accept) in [
        ("/fhir/r4/metadata", "application/fhir+xml"),
        ("/fhir/r4/metadata?_format=xml", "application/fhir+json"),
    ] {
        let response = app.get(path).header("accept", accept).send().await.unwrap();
        let body = outcome(response, 406).await;
        assert_eq!(body["issue"][0]["code"], "not-supported", "{path} {accept}");
    }
    for path in [
        "/fhir/r4/ServiceRequest",
        "/fhir/r4/ServiceRequest?_format=application/fhir%2Bxml",
    ] {
        let accept = if path.contains("_format") {
            "*/*"
        } else {
            "application/fhir+xml"
        };
        let response = app
            .post(path)
            .bearer_auth(&token)
            .header("content-type", "application/fhir+json")
            .header("accept", accept)
            .body(example.to_string())
            .send()
            .await
            .unwrap();
        outcome(response, 406).await;
    }
    assert_eq!(referrals_held(&app).await, 0);
    // JSON, by any of its names, is fine.
    let response = app
        .get("/fhir/r4/metadata?_format=json")
        .header("accept", "application/fhir+json;q=1, */*;q=0.1")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);

    // Create and read carry the version: ETag W/"<meta.versionId>".
    let response = post_fhir(&app, "/fhir/r4/ServiceRequest", &token, &example).await;
    assert_eq!(response.status(), 201);
    let id = id_from_location(&response);
    let etag = response.headers()["etag"].to_str().unwrap().to_owned();
    let sr: Value = response.json().await.unwrap();
    let version = sr["meta"]["versionId"].as_str().unwrap().to_owned();
    assert_eq!(etag, format!("W/\"{version}\""));
    let response = app
        .get(&format!("/fhir/r4/ServiceRequest/{id}"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(response.headers()["etag"].to_str().unwrap(), etag);
    let read: Value = response.json().await.unwrap();
    assert_eq!(read["meta"]["versionId"], version);
    // A change to the referral is a new version.
    let moved = app
        .post(&format!("/v1/referrals/{id}/transitions"))
        .bearer_auth(app.token(ORG, &["coordinator"]))
        .json(&json!({"to": "accepted"}))
        .send()
        .await
        .unwrap();
    assert_eq!(moved.status(), 201);
    let (_, accepted) = app
        .get_json(&format!("/fhir/r4/ServiceRequest/{id}"), &token)
        .await;
    assert_ne!(accepted["meta"]["versionId"], version);

    // A transaction answers 201 Created, a location and the version for what it created;
    // the entries taken into it say so and claim no location.
    let response = post_fhir(&app, "/fhir/r4", &token, &gravity_transaction(true)).await;
    assert_eq!(response.status(), 200);
    let id = id_from_location(&response);
    let etag = response.headers()["etag"].to_str().unwrap().to_owned();
    let body: Value = response.json().await.unwrap();
    let created = &body["entry"][0]["response"];
    assert_eq!(created["status"], "201 Created");
    assert_eq!(created["location"], format!("ServiceRequest/{id}"));
    assert_eq!(created["etag"], etag);
    assert!(created["lastModified"].is_string());
    for taken in &body["entry"].as_array().unwrap()[1..] {
        assert!(taken["response"].get("location").is_none(), "{taken}");
        assert_eq!(
            taken["response"]["outcome"]["resourceType"],
            "OperationOutcome"
        );
    }
    app.finish().await;
}
