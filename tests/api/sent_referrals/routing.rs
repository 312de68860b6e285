//! Where a referral goes: referral agreements, managed by the receiving service's admin,
//! decide which organisations may refer into it, by JSON and by FHIR.

use super::*;

/// The service's admin manages who may refer into it: one agreement names a referrer
/// organisation or an identity provider, never both or neither; the same one twice is a
/// conflict; only admins manage them; another organisation's agreements are 404.
#[tokio::test]
async fn referral_agreements_are_created_listed_read_and_deleted_by_the_services_admin() {
    let app = spawn_app().await;
    register_service(&app).await;
    register(&app, OTHER_ORG, "Leeds North Wellbeing").await;
    let admin = service_admin(&app);

    // Only an admin manages agreements.
    for roles in [&["coordinator"][..], &["referrer", "link_worker"][..]] {
        let response = post_agreement(
            &app,
            &app.token(ORG, roles),
            &json!({"referrer_ods_code": "B85001"}),
        )
        .await;
        problem(response, 403).await;
    }
    // Exactly one of a referrer organisation and an issuer.
    for body in [
        json!({}),
        json!({"referrer_ods_code": "B85001", "issuer": app.settings.jwt_issuer}),
    ] {
        let p = problem(post_agreement(&app, &admin, &body).await, 422).await;
        assert!(!fields(&p).is_empty(), "{p}");
    }
    let p = problem(
        post_agreement(&app, &admin, &json!({"referrer_ods_code": "B8-5001"})).await,
        422,
    )
    .await;
    assert_eq!(fields(&p), vec!["referrer_ods_code"], "{p}");

    // A named practice.
    let response = post_agreement(&app, &admin, &json!({"referrer_ods_code": "B85001"})).await;
    assert_eq!(response.status(), 201);
    let location = response.headers()["location"].to_str().unwrap().to_owned();
    let named: Value = response.json().await.unwrap();
    let named_id = id_of(&named);
    assert_eq!(location, format!("/v1/referral-agreements/{named_id}"));
    assert_eq!(named["organisation"], ORG);
    assert_eq!(named["referrer_ods_code"], "B85001");
    assert_eq!(named["issuer"], Value::Null);
    assert_eq!(named["created_by"], "idp|service-admin");
    assert!(named["created_at"].is_string(), "{named}");
    // The same practice again, however it is spelt, is a conflict.
    for code in ["B85001", "b85001"] {
        let again = post_agreement(&app, &admin, &json!({"referrer_ods_code": code})).await;
        problem(again, 409).await;
    }

    // An identity provider.
    let issuer = json!({"issuer": app.settings.jwt_issuer});
    let response = post_agreement(&app, &admin, &issuer).await;
    assert_eq!(response.status(), 201);
    let location = response.headers()["location"].to_str().unwrap().to_owned();
    let by_issuer: Value = response.json().await.unwrap();
    let issuer_id = id_of(&by_issuer);
    assert_eq!(location, format!("/v1/referral-agreements/{issuer_id}"));
    assert_eq!(by_issuer["issuer"], app.settings.jwt_issuer.as_str());
    assert_eq!(by_issuer["referrer_ods_code"], Value::Null);
    assert_eq!(by_issuer["organisation"], ORG);
    problem(post_agreement(&app, &admin, &issuer).await, 409).await;

    // Listed and read back as created.
    let (status, list) = app.get_json("/v1/referral-agreements", &admin).await;
    assert_eq!(status, 200, "{list}");
    let listed: BTreeSet<String> = ids(&list).into_iter().collect();
    assert_eq!(
        listed,
        BTreeSet::from([named_id.clone(), issuer_id.clone()])
    );
    assert!(list["next_cursor"].is_null(), "{list}");
    let named_path = format!("/v1/referral-agreements/{named_id}");
    let (status, read) = app.get_json(&named_path, &admin).await;
    assert_eq!(status, 200);
    assert_eq!(read, named);

    // Another organisation's admin: its own list is empty, ours are 404 to read or delete,
    // and it may make the same agreement for itself.
    let other_admin = app.token(OTHER_ORG, &["admin"]);
    let (_, theirs) = app.get_json("/v1/referral-agreements", &other_admin).await;
    assert_eq!(theirs["items"], json!([]));
    for id in [&named_id, &issuer_id] {
        let path = format!("/v1/referral-agreements/{id}");
        let response = app
            .get(&path)
            .bearer_auth(&other_admin)
            .send()
            .await
            .unwrap();
        problem(response, 404).await;
        problem(delete(&app, &path, &other_admin).await, 404).await;
    }
    let response =
        post_agreement(&app, &other_admin, &json!({"referrer_ods_code": "B85001"})).await;
    assert_eq!(response.status(), 201, "{}", response.text().await.unwrap());
    let (_, ours) = app.get_json("/v1/referral-agreements", &admin).await;
    assert_eq!(ours["items"].as_array().unwrap().len(), 2, "{ours}");
    // Nor may a coordinator of ours delete one.
    problem(delete(&app, &named_path, &app.coordinator()).await, 403).await;

    // While the agreement stands the practice refers in; once deleted it may not.
    let b85001 = practice(&app, "B85001");
    let response = app
        .post_referral(&b85001, &referral_from("B85001", 41, to_service()))
        .await;
    assert_eq!(response.status(), 201, "{}", response.text().await.unwrap());
    assert_eq!(delete(&app, &named_path, &admin).await.status(), 204);
    let issuer_path = format!("/v1/referral-agreements/{issuer_id}");
    assert_eq!(delete(&app, &issuer_path, &admin).await.status(), 204);
    let response = app
        .post_referral(&b85001, &referral_from("B85001", 42, to_service()))
        .await;
    refused_for_want_of_an_agreement(response).await;
    let (status, _) = app.get_json(&named_path, &admin).await;
    assert_eq!(status, 404);
    problem(delete(&app, &named_path, &admin).await, 404).await;
    let (_, list) = app.get_json("/v1/referral-agreements", &admin).await;
    assert_eq!(list["items"], json!([]));
    problem(
        app.get("/v1/referral-agreements/01a20159-67f6-732d-b6ed-d9503e62ffc1")
            .bearer_auth(&admin)
            .send()
            .await
            .unwrap(),
        404,
    )
    .await;
    app.finish().await;
}

/// Where a referral goes: absent, the caller's own organisation; the caller's own by name;
/// another organisation only under an agreement; an unknown organisation id is named.
#[tokio::test]
async fn the_receiving_service_is_the_callers_own_or_one_with_an_agreement() {
    let app = spawn_app().await;
    let service_id = register_service(&app).await;
    let other_id = register(&app, OTHER_ORG, "Leeds North Wellbeing").await;
    agree(&app, json!({"referrer_ods_code": "B85001"})).await;
    let b85001 = practice(&app, "B85001");

    // No receiving service: the practice's own organisation holds it, as before.
    let own = app
        .create_referral(&b85001, &referral_from("B85001", 51, None))
        .await;
    assert_eq!(own["receiving_service"], "B85001");
    assert_eq!(own["referrer_organisation"], "B85001");
    let (status, _) = app
        .get_json(
            &format!("/v1/referrals/{}", id_of(&own)),
            &app.coordinator(),
        )
        .await;
    assert_eq!(status, 404, "the service does not hold it");
    // The service naming itself.
    let itself = app
        .create_referral(&app.referrer(), &referral_from(ORG, 52, to_service()))
        .await;
    assert_eq!(itself["receiving_service"], ORG);
    assert_eq!(itself["referrer_organisation"], ORG);

    // To the service under the agreement, by ODS code or by organisation id.
    for (n, receiving) in [
        (53, json!({"ods_code": ORG})),
        (54, json!({"organisation_id": service_id})),
    ] {
        let response = app
            .post_referral(&b85001, &referral_from("B85001", n, Some(receiving)))
            .await;
        assert_eq!(response.status(), 201);
        let location = response.headers()["location"].to_str().unwrap().to_owned();
        let created: Value = response.json().await.unwrap();
        assert_eq!(location, format!("/v1/referrals/{}", id_of(&created)));
        assert_eq!(created["receiving_service"], ORG);
        assert_eq!(created["referrer_organisation"], "B85001");
    }
    // To a registered organisation without an agreement, by either name: refused.
    for receiving in [
        json!({"ods_code": OTHER_ORG}),
        json!({"organisation_id": other_id}),
    ] {
        let response = app
            .post_referral(&b85001, &referral_from("B85001", 55, Some(receiving)))
            .await;
        refused_for_want_of_an_agreement(response).await;
    }
    // Another practice the service has no agreement with.
    let response = app
        .post_referral(
            &practice(&app, "B85002"),
            &referral_from("B85002", 56, to_service()),
        )
        .await;
    refused_for_want_of_an_agreement(response).await;
    // No organisation has that id.
    let response = app
        .post_referral(
            &b85001,
            &referral_from(
                "B85001",
                57,
                Some(json!({"organisation_id": "01a20159-67f6-732d-b6ed-d9503e62ffc1"})),
            ),
        )
        .await;
    let p = problem(response, 422).await;
    error_for(&p, "receiving_service.organisation_id");
    // No service has that ODS code.
    let response = app
        .post_referral(
            &b85001,
            &referral_from("B85001", 58, Some(json!({"ods_code": "Y99999"}))),
        )
        .await;
    let p = problem(response, 422).await;
    assert!(
        fields(&p)
            .iter()
            .any(|f| f.starts_with("receiving_service")),
        "{p}"
    );

    // The service received two from the practice and one of its own; nothing refused
    // reached it.
    let (_, list) = app
        .get_json("/v1/referrals?limit=100", &app.coordinator())
        .await;
    assert_eq!(list["items"].as_array().unwrap().len(), 3, "{list}");
    let (_, sent) = app.get_json("/v1/sent-referrals", &b85001).await;
    assert_eq!(sent["items"].as_array().unwrap().len(), 3, "{sent}");
    app.finish().await;
}

/// FHIR intake routes by `ServiceRequest.performer`: under an agreement the referral lands
/// in the service; an unagreed or unknown performer is refused at that element. The
/// practice reads back the Task and ServiceRequest of what it sent, and nothing else.
#[tokio::test]
async fn fhir_service_requests_are_routed_by_performer_and_read_back_by_their_sender() {
    let app = spawn_app().await;
    register_service(&app).await;
    for p in ["B85001", "B85003"] {
        agree(&app, json!({"referrer_ods_code": p})).await;
    }
    let coordinator = app.coordinator();
    let b85001 = practice(&app, "B85001");

    // Agreed: it lands in the service, sent by the practice.
    let id = send_service_request(&app, &b85001, &service_request_from("B85001", Some(ORG))).await;
    let (status, record) = app
        .get_json(&format!("/v1/referrals/{id}"), &coordinator)
        .await;
    assert_eq!(status, 200, "{record}");
    assert_eq!(record["referrer"]["ods_code"], "B85001");
    let (_, sent) = app.get_json("/v1/sent-referrals", &b85001).await;
    assert_eq!(ids(&sent), vec![id.clone()]);
    assert_eq!(sent["items"][0]["receiving_service"], ORG);
    assert_eq!(sent["items"][0]["referrer_organisation"], "B85001");

    // No agreement with this practice; a service nobody knows.
    for (token, body) in [
        (
            practice(&app, "B85002"),
            service_request_from("B85002", Some(ORG)),
        ),
        (
            b85001.clone(),
            service_request_from("B85001", Some("Y99999")),
        ),
    ] {
        let expressions =
            operation_outcome(post_service_request(&app, &token, &body).await, 422).await;
        assert!(
            expressions
                .iter()
                .any(|e| e.starts_with("ServiceRequest.performer")),
            "{expressions:?}"
        );
    }
    // No performer: the sender's own organisation holds it, as before.
    let own = send_service_request(&app, &b85001, &service_request_from("B85001", None)).await;
    let (status, _) = app
        .get_json(&format!("/v1/referrals/{own}"), &coordinator)
        .await;
    assert_eq!(status, 404, "the service does not hold it");
    let (_, list) = app.get_json("/v1/referrals?limit=100", &coordinator).await;
    assert_eq!(
        ids(&list),
        vec![id.clone()],
        "nothing refused reached the service"
    );

    // The practice reads back the Task and the ServiceRequest of its referral.
    let (status, task) = app.get_json(&format!("/fhir/r4/Task/{id}"), &b85001).await;
    assert_eq!(status, 200, "{task}");
    assert_eq!(task["resourceType"], "Task");
    assert_eq!(task["status"], "requested");
    assert_eq!(task["focus"]["reference"], format!("ServiceRequest/{id}"));
    assert_eq!(task["owner"]["identifier"]["value"], ORG, "{task}");
    let (status, sr) = app
        .get_json(&format!("/fhir/r4/ServiceRequest/{id}"), &b85001)
        .await;
    assert_eq!(status, 200, "{sr}");
    assert_eq!(sr["resourceType"], "ServiceRequest");
    assert_eq!(sr["id"], id.as_str());
    assert_eq!(sr["performer"][0]["identifier"]["value"], ORG, "{sr}");
    // Progress shows in the Task.
    app.move_to(&id, json!({"to": "accepted"})).await;
    let (_, task) = app.get_json(&format!("/fhir/r4/Task/{id}"), &b85001).await;
    assert_eq!(task["status"], "accepted");

    // Another practice's referral to the same service, and the service's own: 404.
    let theirs = send_service_request(
        &app,
        &practice(&app, "B85003"),
        &service_request_from("B85003", Some(ORG)),
    )
    .await;
    let services = id_of(
        &app.create_referral(&app.referrer(), &referral_from(ORG, 61, None))
            .await,
    );
    for other in [&theirs, &services] {
        for kind in ["Task", "ServiceRequest"] {
            let response = app
                .get(&format!("/fhir/r4/{kind}/{other}"))
                .bearer_auth(&b85001)
                .send()
                .await
                .unwrap();
            operation_outcome(response, 404).await;
        }
    }
    app.finish().await;
}
