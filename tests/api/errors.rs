//! Every failure answers problem+json: malformed bodies, wrong media types, unknown
//! fields, unknown routes and methods, oversized bodies.

use serde_json::json;

use crate::support::*;

#[tokio::test]
async fn a_validation_problem_has_exactly_this_shape() {
    let app = spawn_app().await;
    let mut body = referral_body();
    body["reasons"] = json!([]);
    let response = app.post_referral(&app.referrer(), &body).await;
    let problem = problem(response, 422).await;
    assert_eq!(
        problem,
        json!({
            "type": "https://socialrx.org.uk/problems/validation",
            "title": "The request is not valid",
            "status": 422,
            "detail": "1 field is not valid",
            "errors": [{"field": "reasons", "code": "length", "message": "must have 1 to 12 entries"}]
        })
    );
    app.finish().await;
}

#[tokio::test]
async fn malformed_json_is_a_400() {
    let app = spawn_app().await;
    let response = app
        .post("/v1/referrals")
        .bearer_auth(app.referrer())
        .header("content-type", "application/json")
        .body("{\"person\": {")
        .send()
        .await
        .unwrap();
    let problem = problem(response, 400).await;
    assert!(
        problem["detail"]
            .as_str()
            .unwrap()
            .contains("not valid JSON")
    );
    app.finish().await;
}

#[tokio::test]
async fn a_body_that_is_not_json_is_a_415() {
    let app = spawn_app().await;
    for content_type in [
        Some("text/plain"),
        Some("application/x-www-form-urlencoded"),
        None,
    ] {
        let mut request = app
            .post("/v1/referrals")
            .bearer_auth(app.referrer())
            .body("{}");
        if let Some(ct) = content_type {
            request = request.header("content-type", ct);
        }
        problem(request.send().await.unwrap(), 415).await;
    }
    app.finish().await;
}

#[tokio::test]
async fn unknown_fields_are_refused_by_name_so_nothing_is_silently_dropped() {
    let app = spawn_app().await;
    let mut body = referral_body();
    body["person"]["nhs_no"] = "9434765919".into();
    let problem = problem(app.post_referral(&app.referrer(), &body).await, 422).await;
    assert_eq!(fields(&problem), vec!["person.nhs_no"]);
    assert_eq!(
        error_for(&problem, "person.nhs_no")["code"],
        "unknown_field"
    );

    let mut body = referral_body();
    body["priority"] = "high".into();
    let problem =
        crate::support::problem(app.post_referral(&app.referrer(), &body).await, 422).await;
    assert_eq!(fields(&problem), vec!["priority"]);
    app.finish().await;
}

#[tokio::test]
async fn wrong_types_and_missing_fields_are_named() {
    let app = spawn_app().await;
    let mut body = referral_body();
    body["person"]["interpreter_needed"] = "yes".into();
    let p = problem(app.post_referral(&app.referrer(), &body).await, 422).await;
    assert_eq!(error_for(&p, "person.interpreter_needed")["code"], "type");

    let mut body = referral_body();
    body.as_object_mut().unwrap().remove("consent");
    let p = problem(app.post_referral(&app.referrer(), &body).await, 422).await;
    assert_eq!(error_for(&p, "consent")["code"], "required");

    let p = problem(
        app.post_referral(&app.referrer(), &json!([1, 2])).await,
        422,
    )
    .await;
    assert_eq!(p["errors"][0]["code"], "type");
    app.finish().await;
}

#[tokio::test]
async fn a_body_over_64_kib_is_a_413() {
    let app = spawn_app().await;
    let mut body = referral_body();
    body["notes"] = "x".repeat(70 * 1024).into();
    problem(app.post_referral(&app.referrer(), &body).await, 413).await;
    app.finish().await;
}

#[tokio::test]
async fn unknown_routes_are_404_and_unknown_methods_405_with_allow() {
    let app = spawn_app().await;
    problem(app.get("/v2/nothing").send().await.unwrap(), 404).await;
    problem(
        // With a token that may read referrals, so it is the route that is unknown.
        app.get("/v1/referrals/not-a-uuid")
            .bearer_auth(app.token(ORG, &["coordinator"]))
            .send()
            .await
            .unwrap(),
        404,
    )
    .await;

    let response = app
        .client
        .delete(app.url("/v1/referrals"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.headers()["allow"], "GET, POST");
    problem(response, 405).await;
    let response = app.client.put(app.url("/healthz")).send().await.unwrap();
    problem(response, 405).await;
    app.finish().await;
}
