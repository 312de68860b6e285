//! One rule for query strings under `/v1`: a parameter the operation does not document is
//! a 422 naming it, every one at once; ORUK stays lenient.

use serde_json::Value;

use crate::support::*;

/// A caller allowed to read every list these tests touch.
fn everyone(app: &TestApp) -> String {
    app.token(ORG, &["referrer", "coordinator", "admin"])
}

async fn refused(app: &TestApp, path: &str, token: &str) -> Value {
    let response = app.get(path).bearer_auth(token).send().await.unwrap();
    problem(response, 422).await
}

#[tokio::test]
async fn unknown_parameters_on_v1_lists_are_refused_naming_each_one() {
    let app = spawn_app().await;
    let token = everyone(&app);
    for path in [
        "/v1/referrals",
        "/v1/sent-referrals",
        "/v1/audit",
        "/v1/link-workers",
        "/v1/activities",
    ] {
        // A typo of a real parameter, an invented one given twice, and a real one.
        let body = refused(
            &app,
            &format!("{path}?limit=5&limt=5&colour=blue&colour=red"),
            &token,
        )
        .await;
        assert_eq!(fields(&body), ["limt", "colour"], "{path}: {body}");
        let error = error_for(&body, "colour");
        assert_eq!(error["code"], "unknown_parameter", "{path}");
        assert!(
            error["message"]
                .as_str()
                .unwrap()
                .starts_with("is not a parameter of this operation"),
            "{path}: {error}"
        );
    }
    app.finish().await;
}

#[tokio::test]
async fn documented_parameters_still_work() {
    let app = spawn_app().await;
    let token = everyone(&app);
    for path in [
        "/v1/referrals?status=received&limit=5",
        "/v1/sent-referrals?status=received&limit=5",
        "/v1/audit?resource_type=referral&limit=5",
        "/v1/link-workers?active=true&limit=5",
        "/v1/activities?q=walking&free=true&limit=5",
        "/v1/referrals",
    ] {
        let (status, body) = app.get_json(path, &token).await;
        assert_eq!(status, 200, "{path}: {body}");
    }
    app.finish().await;
}

#[tokio::test]
async fn every_v1_operation_follows_the_rule_whatever_else_is_wrong() {
    // The check comes before authentication and the handler, so even with no token, an
    // unknown id or no body the answer is the 422: proof that every documented /v1
    // operation is covered and its path template matches its route.
    let app = spawn_app().await;
    let spec = serde_json::to_value(socialrx_api::openapi()).unwrap();
    for (path, item) in spec["paths"].as_object().unwrap() {
        if !path.starts_with("/v1/") {
            continue;
        }
        let mut concrete = path.clone();
        while let (Some(open), Some(close)) = (concrete.find('{'), concrete.find('}')) {
            concrete.replace_range(open..=close, "01a20159-67f6-732d-b6ed-d9503e62ffc1");
        }
        for method in item.as_object().unwrap().keys() {
            let method = reqwest::Method::from_bytes(method.to_uppercase().as_bytes()).unwrap();
            let response = app
                .client
                .request(method.clone(), app.url(&format!("{concrete}?zz_unknown=1")))
                .send()
                .await
                .unwrap();
            assert_eq!(response.status(), 422, "{method} {path}");
            let body = problem(response, 422).await;
            assert_eq!(fields(&body), ["zz_unknown"], "{method} {path}");
        }
    }
    app.finish().await;
}

#[tokio::test]
async fn oruk_and_health_stay_lenient() {
    let app = spawn_app().await;
    for path in ["/oruk/services?unknown=1", "/healthz?unknown=1"] {
        let response = app.get(path).send().await.unwrap();
        assert_eq!(response.status(), 200, "{path}");
    }
    app.finish().await;
}
