//! CORS for third-party browser frontends: configured origins only, none by default.

use crate::support::*;

const ALLOWED: &str = "https://app.example.org";
const REFUSED: &str = "https://evil.example.net";

async fn cors_app() -> TestApp {
    spawn_app_with(|s| {
        s.cors_allowed_origins = format!("{ALLOWED}, http://localhost:5173");
        s.cors_max_age_seconds = 600;
    })
    .await
}

fn preflight(app: &TestApp, origin: &str) -> reqwest::RequestBuilder {
    app.client
        .request(reqwest::Method::OPTIONS, app.url("/v1/referrals"))
        .header("Origin", origin)
        .header("Access-Control-Request-Method", "POST")
        .header(
            "Access-Control-Request-Headers",
            "authorization, content-type, idempotency-key",
        )
}

fn header(response: &reqwest::Response, name: &str) -> Option<String> {
    response
        .headers()
        .get(name)
        .map(|v| v.to_str().unwrap().to_owned())
}

#[tokio::test]
async fn an_allowed_origin_passes_preflight_and_reads_the_exposed_headers() {
    let app = cors_app().await;
    let response = preflight(&app, ALLOWED).send().await.unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(
        header(&response, "access-control-allow-origin").as_deref(),
        Some(ALLOWED)
    );
    let methods = header(&response, "access-control-allow-methods").unwrap();
    assert!(methods.contains("POST"), "{methods}");
    let headers = header(&response, "access-control-allow-headers")
        .unwrap()
        .to_ascii_lowercase();
    assert!(headers.contains("idempotency-key"), "{headers}");
    assert_eq!(
        header(&response, "access-control-max-age").as_deref(),
        Some("600")
    );

    // The actual request.
    let response = app
        .post("/v1/referrals")
        .header("Origin", ALLOWED)
        .bearer_auth(app.referrer())
        .json(&referral_body())
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 201);
    assert_eq!(
        header(&response, "access-control-allow-origin").as_deref(),
        Some(ALLOWED)
    );
    let exposed = header(&response, "access-control-expose-headers")
        .unwrap()
        .to_ascii_lowercase();
    for name in ["etag", "location", "x-request-id"] {
        assert!(exposed.contains(name), "{name} not exposed: {exposed}");
    }
    app.finish().await;
}

#[tokio::test]
async fn a_refused_origin_fails_preflight_and_gets_no_cors_headers() {
    let app = cors_app().await;
    let response = preflight(&app, REFUSED).send().await.unwrap();
    assert_eq!(header(&response, "access-control-allow-origin"), None);
    problem(response, 400).await;

    // An actual request from a refused origin is served without CORS headers, so a
    // browser withholds the answer from the page; non-browser clients are unaffected.
    let response = app
        .get("/v1/referrals")
        .header("Origin", REFUSED)
        .bearer_auth(app.token(ORG, &["coordinator"]))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(header(&response, "access-control-allow-origin"), None);

    // On FHIR routes the refused preflight is an OperationOutcome.
    let response = app
        .client
        .request(reqwest::Method::OPTIONS, app.url("/fhir/r4/ServiceRequest"))
        .header("Origin", REFUSED)
        .header("Access-Control-Request-Method", "POST")
        .send()
        .await
        .unwrap();
    assert_eq!(header(&response, "access-control-allow-origin"), None);
    assert_eq!(response.status(), 400);
    assert_eq!(
        header(&response, "content-type").as_deref(),
        Some("application/fhir+json")
    );
    app.finish().await;
}

#[tokio::test]
async fn no_origin_is_allowed_by_default() {
    let app = spawn_app().await;
    let response = preflight(&app, ALLOWED).send().await.unwrap();
    assert_eq!(header(&response, "access-control-allow-origin"), None);
    let response = app
        .get("/v1/referrals")
        .header("Origin", ALLOWED)
        .bearer_auth(app.token(ORG, &["coordinator"]))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(header(&response, "access-control-allow-origin"), None);
    app.finish().await;
}
