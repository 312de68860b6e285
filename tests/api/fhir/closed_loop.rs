//! The closed loop: the Task follows a referral to its end, and a ServiceRequest reads
//! back as it was sent.

use super::*;

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
