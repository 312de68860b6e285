//! The Open Referral UK read API: the profile's endpoints, page envelope and CORS header,
//! and every body valid against the profile's JSON schemas (pages first, middle and last,
//! then detail pages with ids taken from the lists), as the ORUK validator checks.

use serde_json::{Value, json};

use crate::directory::{activity_body, add_activity, add_provider, editor};
use crate::support::*;

async fn get(app: &TestApp, path: &str) -> Value {
    let response = app.get(path).send().await.unwrap();
    assert_eq!(response.status(), 200, "{path}");
    assert_eq!(
        response.headers()["access-control-allow-origin"],
        "*",
        "{path}"
    );
    response.json().await.unwrap()
}

#[tokio::test]
async fn every_oruk_endpoint_answers_in_the_profiles_shape() {
    let app = spawn_app().await;
    let token = editor(&app);
    let provider = add_provider(&app, &token, "Leeds Libraries").await;
    for n in 0..7 {
        let mut body = activity_body(&provider, &format!("Walking group {n}"));
        body["categories"] = json!(["physical_activity", "nature_and_gardening"]);
        if n == 3 {
            body["cost"] = json!({"free": false, "amount_pence": 250, "unit": "per_session"});
            body["age_min"] = json!(18);
        }
        if n == 5 {
            body["confidential_location"] = json!(true);
            body["location"]["area"] = json!("North Leeds");
        }
        add_activity(&app, &token, &body).await;
    }

    let details = get(&app, "/oruk/").await;
    assert_eq!(details["version"], "HSDS-UK-3.0");

    let dir = tempfile::tempdir().unwrap();
    let save = |schema: &str, name: &str, body: &Value| {
        std::fs::write(
            dir.path().join(format!("{schema}__{name}.json")),
            body.to_string(),
        )
        .unwrap();
    };
    save("api_details", "root", &details);

    for (list, detail, schema, path) in [
        ("services", "services", "service", "/oruk/services"),
        ("taxonomies", "taxonomies", "taxonomy", "/oruk/taxonomies"),
        (
            "taxonomy_terms",
            "taxonomy_terms",
            "taxonomy_term",
            "/oruk/taxonomy_terms",
        ),
        (
            "service_at_locations",
            "service_at_locations",
            "service_at_location",
            "/oruk/service_at_locations",
        ),
    ] {
        let first = get(&app, &format!("{path}?per_page=2")).await;
        let pages = first["total_pages"].as_u64().unwrap();
        assert_eq!(first["first_page"], true);
        assert_eq!(first["page_number"], 1);
        save(&format!("{schema}_list"), &format!("{list}-first"), &first);
        let middle = get(
            &app,
            &format!("{path}?per_page=2&page={}", pages.div_ceil(2)),
        )
        .await;
        save(
            &format!("{schema}_list"),
            &format!("{list}-middle"),
            &middle,
        );
        let last = get(&app, &format!("{path}?per_page=2&page={pages}")).await;
        assert_eq!(last["last_page"], true, "{path}");
        save(&format!("{schema}_list"), &format!("{list}-last"), &last);
        for item in first["contents"]
            .as_array()
            .unwrap()
            .iter()
            .chain(last["contents"].as_array().unwrap())
        {
            let id = item["id"].as_str().unwrap();
            let body = get(&app, &format!("/oruk/{detail}/{id}")).await;
            assert_eq!(body["id"], item["id"]);
            save(schema, &format!("{detail}-{id}"), &body);
        }
    }

    let services = get(&app, "/oruk/services?per_page=50").await;
    assert_eq!(services["total_items"], 7);
    // The refuge is a service but never a service at a location.
    let placed = get(&app, "/oruk/service_at_locations?per_page=50").await;
    assert_eq!(placed["total_items"], 6);
    let near = get(
        &app,
        "/oruk/service_at_locations?postcode=LS6+3HG&proximity=2000",
    )
    .await;
    assert_eq!(near["total_items"], 6);
    let far = get(
        &app,
        "/oruk/service_at_locations?postcode=BS1+4DJ&proximity=2000",
    )
    .await;
    assert_eq!(
        (far["total_items"].as_u64(), far["empty"].as_bool()),
        (Some(0), Some(true))
    );
    let found = get(&app, "/oruk/services?search=walk&per_page=3").await;
    assert_eq!(found["total_items"], 7);
    assert_eq!(found["size"], 3);
    problem(
        app.get("/oruk/service_at_locations?postcode=BT1+1AA")
            .send()
            .await
            .unwrap(),
        422,
    )
    .await;

    validate(dir.path());
    app.finish().await;
}

/// Runs the schema validator; without Python's `jsonschema` the check is skipped locally
/// and fails in CI.
fn validate(dir: &std::path::Path) {
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/../../tests/oruk/validate.py");
    let has_jsonschema = std::process::Command::new("python3")
        .args(["-c", "import jsonschema"])
        .status()
        .is_ok_and(|s| s.success());
    if !has_jsonschema {
        assert!(
            std::env::var("CI").as_deref() != Ok("true"),
            "CI must have python3 with jsonschema (pip install jsonschema) to validate ORUK bodies"
        );
        eprintln!("skipping ORUK schema validation: python3 with jsonschema is not installed");
        return;
    }
    let out = std::process::Command::new("python3")
        .arg(script)
        .arg(dir)
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "ORUK schema validation failed:\n{text}"
    );
    assert!(text.contains("0 schema errors"), "{text}");
}
