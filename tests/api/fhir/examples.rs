//! The real examples (GRAVITY, BaRS, UK Core) through intake: what is accepted becomes a
//! referral with the right person, reasons and practice; what is not is refused at the
//! exact element.

use super::*;

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
