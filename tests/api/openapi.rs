//! The spec is the product's face: committed, generated from code, complete.

use serde_json::Value;

use crate::support::*;

const COMMITTED: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../openapi/openapi.json");

fn generated() -> Value {
    serde_json::to_value(socialrx_api::openapi()).unwrap()
}

#[test]
fn the_committed_spec_matches_the_code() {
    let generated = generated();
    let rendered = serde_json::to_string_pretty(&generated).unwrap() + "\n";
    if std::env::var("UPDATE_OPENAPI").as_deref() == Ok("1") {
        std::fs::write(COMMITTED, rendered).unwrap();
        return;
    }
    let committed: Value =
        serde_json::from_str(&std::fs::read_to_string(COMMITTED).unwrap()).unwrap();
    assert!(
        committed == generated,
        "openapi/openapi.json differs from the code; run \
         `UPDATE_OPENAPI=1 cargo test -p socialrx --test api openapi` and commit the file"
    );
}

/// Operations the permission table marks public (directory reads): no token, no 401/403.
fn is_public(path: &str, method: &str) -> bool {
    socialrx_api::routes::operations()
        .iter()
        .any(|o| o.path == path && o.method.eq_ignore_ascii_case(method) && o.permission.is_none())
}

fn operations(spec: &Value) -> Vec<(String, String, Value)> {
    let mut out = Vec::new();
    for (path, item) in spec["paths"].as_object().unwrap() {
        for (method, op) in item.as_object().unwrap() {
            out.push((path.clone(), method.clone(), op.clone()));
        }
    }
    out
}

#[test]
fn every_api_operation_documents_auth_errors_and_examples() {
    let spec = generated();
    for (path, method, op) in operations(&spec) {
        let name = format!("{method} {path}");
        assert!(
            op["description"].as_str().is_some_and(|d| !d.is_empty()) || op["summary"].is_string(),
            "{name}: no description"
        );
        let responses = op["responses"].as_object().unwrap();
        for (status, response) in responses {
            // FHIR routes answer FHIR: every error there is an OperationOutcome.
            if (status.starts_with('4') || status.starts_with('5')) && path.starts_with("/fhir/") {
                let outcome = &response["content"]["application/fhir+json"]["schema"]["$ref"];
                assert_eq!(
                    outcome, "#/components/schemas/OperationOutcome",
                    "{name} {status} must be an OperationOutcome"
                );
            } else if (status.starts_with('4') || status.starts_with('5'))
                && path.starts_with("/embed/")
            {
                // The self-referral form's page is for people: its errors are pages too.
                assert!(
                    response["content"]["text/html"].is_object(),
                    "{name} {status} must be an HTML page"
                );
            } else if status.starts_with('4') || status.starts_with('5') {
                let problem = &response["content"]["application/problem+json"]["schema"]["$ref"];
                assert_eq!(
                    problem, "#/components/schemas/Problem",
                    "{name} {status} must be a problem"
                );
            }
        }
        // Public operations (self-referrals take a partner key; FHIR metadata) need no token.
        let public = socialrx_api::routes::operations().iter().any(|o| {
            o.permission.is_none() && o.path == path && o.method.eq_ignore_ascii_case(&method)
        });
        let needs_token = (path.starts_with("/v1/") || path.starts_with("/fhir/")) && !public;
        if needs_token {
            assert_eq!(
                op["security"],
                serde_json::json!([{"bearer": []}]),
                "{name}: security"
            );
            for status in ["401", "403"] {
                assert!(responses.contains_key(status), "{name}: no {status}");
            }
            assert!(
                op["description"].as_str().unwrap().contains("Roles:"),
                "{name}: roles not documented"
            );
        }
        if let Some(body) = op.get("requestBody")
            && path.starts_with("/embed/")
        {
            let form = &body["content"]["application/x-www-form-urlencoded"];
            assert!(form["example"].is_string(), "{name}: no example form");
        } else if let Some(body) = op.get("requestBody") {
            let media = if path.starts_with("/fhir/") {
                "application/fhir+json"
            } else {
                "application/json"
            };
            let schema_ref = body["content"][media]["schema"]["$ref"].as_str().unwrap();
            let name_of = schema_ref.rsplit('/').next().unwrap();
            assert!(
                spec["components"]["schemas"][name_of]["example"].is_object(),
                "{name}: the request body has no example"
            );
        }
    }
}

#[tokio::test]
async fn every_documented_operation_is_routed() {
    let app = spawn_app().await;
    for (path, method, _) in operations(&generated()) {
        let concrete = path.replace("{id}", "01a20159-67f6-732d-b6ed-d9503e62ffc1");
        let method = reqwest::Method::from_bytes(method.to_uppercase().as_bytes()).unwrap();
        let response = app
            .client
            .request(method.clone(), app.url(&concrete))
            .send()
            .await
            .unwrap();
        let status = response.status().as_u16();
        assert!(
            status != 405 && (status != 404 || path.contains("{id}")),
            "{method} {path}: {status}"
        );
        if (path.starts_with("/v1/") || path.starts_with("/fhir/"))
            && !is_public(&path, method.as_str())
        {
            assert_eq!(status, 401, "{method} {path} must need a token");
        }
    }
    app.finish().await;
}
