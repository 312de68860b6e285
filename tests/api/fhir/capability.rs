//! What the FHIR API says of itself: the capability statement, the searches it does not
//! support, JSON only, and versions on what it creates.

use super::*;

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
