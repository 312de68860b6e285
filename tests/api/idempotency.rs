//! `Idempotency-Key`: a retry answers the first response and creates nothing.

use serde_json::{Value, json};

use crate::support::*;

async fn post_with_key(app: &TestApp, token: &str, key: &str, body: &Value) -> reqwest::Response {
    app.post("/v1/referrals")
        .bearer_auth(token)
        .header("Idempotency-Key", key)
        .json(body)
        .send()
        .await
        .unwrap()
}

/// How many referrals the organisation holds, as its coordinator reads them (a referrer
/// reads only the referrer's view, never the full list).
async fn count(app: &TestApp) -> usize {
    let (status, page) = app
        .get_json("/v1/referrals?limit=100", &app.token(ORG, &["coordinator"]))
        .await;
    assert_eq!(status, 200, "{page}");
    page["items"].as_array().unwrap().len()
}

#[tokio::test]
async fn a_retry_with_the_same_key_and_body_answers_the_first_201_and_creates_nothing() {
    let app = spawn_app().await;
    let token = app.referrer();
    let first = post_with_key(&app, &token, "6f1c-retry", &referral_body()).await;
    assert_eq!(first.status(), 201);
    let location = first.headers()["location"].clone();
    let first: Value = first.json().await.unwrap();

    // Same body with its keys in another order and other whitespace is the same request.
    let reordered: Value = serde_json::from_str(&referral_body().to_string()).unwrap();
    let again = post_with_key(&app, &token, "6f1c-retry", &reordered).await;
    assert_eq!(again.status(), 201);
    assert_eq!(again.headers()["location"], location);
    assert_eq!(again.headers()["idempotent-replayed"], "true");
    assert_eq!(again.json::<Value>().await.unwrap(), first);
    assert_eq!(count(&app).await, 1);
    app.finish().await;
}

#[tokio::test]
async fn the_same_key_with_another_body_is_a_422() {
    let app = spawn_app().await;
    let token = app.referrer();
    assert_eq!(
        post_with_key(&app, &token, "k-1", &referral_body())
            .await
            .status(),
        201
    );
    let mut other = referral_body();
    other["notes"] = "A different referral".into();
    let problem = problem(post_with_key(&app, &token, "k-1", &other).await, 422).await;
    assert_eq!(
        error_for(&problem, "Idempotency-Key")["code"],
        "idempotency_key_reused"
    );
    assert_eq!(count(&app).await, 1);
    app.finish().await;
}

#[tokio::test]
async fn keys_belong_to_one_organisation() {
    let app = spawn_app().await;
    let ours = post_with_key(&app, &app.referrer(), "shared-key", &referral_body()).await;
    let theirs = post_with_key(
        &app,
        &app.token(OTHER_ORG, &["referrer"]),
        "shared-key",
        &referral_body(),
    )
    .await;
    assert_eq!(
        (ours.status().as_u16(), theirs.status().as_u16()),
        (201, 201)
    );
    let ours: Value = ours.json().await.unwrap();
    let theirs: Value = theirs.json().await.unwrap();
    assert_ne!(ours["id"], theirs["id"]);
    app.finish().await;
}

#[tokio::test]
async fn concurrent_requests_with_one_key_create_exactly_one_referral() {
    let app = spawn_app().await;
    let token = app.referrer();
    let body = referral_body();
    let attempts = (0..12).map(|_| post_with_key(&app, &token, "burst", &body));
    let responses = futures::future::join_all(attempts).await;
    let mut ids = std::collections::HashSet::new();
    for response in responses {
        match response.status().as_u16() {
            201 => {
                ids.insert(response.json::<Value>().await.unwrap()["id"].clone());
            }
            409 => {
                let p = problem(response, 409).await;
                assert!(
                    p["detail"]
                        .as_str()
                        .unwrap()
                        .contains("still being handled")
                );
            }
            other => panic!("unexpected {other}: {}", response.text().await.unwrap()),
        }
    }
    assert_eq!(ids.len(), 1, "every 201 names the same referral: {ids:?}");
    assert_eq!(count(&app).await, 1);
    app.finish().await;
}

#[tokio::test]
async fn a_malformed_key_is_refused() {
    let app = spawn_app().await;
    let long = "k".repeat(256);
    let p = problem(
        post_with_key(&app, &app.referrer(), &long, &referral_body()).await,
        422,
    )
    .await;
    assert_eq!(
        p["errors"],
        json!([{"field": "Idempotency-Key", "code": "idempotency_key_format",
        "message": "must be 1 to 255 visible ASCII characters (a UUID is a good choice)"}])
    );
    app.finish().await;
}
