//! What FHIR intake refuses, and how: every error is an OperationOutcome, and a request
//! that is not an active order, or carries what we would not keep, is refused by name.

use super::*;

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
