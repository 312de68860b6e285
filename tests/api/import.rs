//! `socialrx import-oruk`: ORUK 3.0 and v1 feeds upserted idempotently, rejects reported
//! with reasons, the imported services found by search and served back in ORUK shape.

use std::process::Command;

use serde_json::{Value, json};

use crate::support::*;

const BIN: &str = env!("CARGO_BIN_EXE_socialrx");

fn feed_v3() -> Value {
    json!({
        "total_items": 2, "total_pages": 1, "page_number": 1, "size": 2,
        "first_page": true, "last_page": true, "empty": false,
        "contents": [
            {
                "id": "svc-3-1", "name": "Riverside Walking Group", "status": "active",
                "description": "<p>A gentle <b>walk</b> by the river &amp; a cuppa.</p>",
                "organization": {"id": "org-3", "name": "Riverside Trust", "description": "A local charity"},
                "schedules": [{"id": "s1", "freq": "WEEKLY", "byday": "WE", "opens_at": "10:00", "closes_at": "11:00"}],
                "cost_options": [{"id": "c1", "amount": 2.5}],
                "service_at_locations": [{"id": "sal1", "location": {"id": "l1", "location_type": "physical",
                    "latitude": 53.5, "longitude": -0.65,
                    "addresses": [{"id": "a1", "address_1": "Riverside Park", "city": "Scunthorpe", "postal_code": "DN15 6AB"}]}}]
            },
            {"id": "svc-3-2", "name": "", "organization": {"id": "org-3", "name": "Riverside Trust"}}
        ]
    })
}

fn feed_v1() -> Value {
    json!([
        {"id": "svc-1-1", "name": "Carers Café", "description": "Support for carers", "url": "https://example.org",
         "email": "cafe@example.org", "status": "active", "fees": "", "assured_date": "2024-12-10",
         "organization": {"id": "org-1", "name": "Carers Together", "description": "", "url": "https://example.org"},
         "pc_metadata": {"assured_by": "staff@example.org"}},
        {"id": "svc-1-2", "name": "Lost record", "status": "open", "organization": {"id": "org-1", "name": "Carers Together"}}
    ])
}

fn import(app: &TestApp, dir: &std::path::Path) -> String {
    let out = Command::new(BIN)
        .args(["import-oruk", dir.to_str().unwrap(), "--org", ORG])
        .env("DATABASE_URL", &app.db.url)
        .env_remove("SOCIALRX_CONFIG")
        .current_dir(dir)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

#[tokio::test]
async fn an_import_takes_what_it_can_says_why_not_and_changes_nothing_the_second_time() {
    let app = spawn_app().await;
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("a-v3.json"), feed_v3().to_string()).unwrap();
    std::fs::write(dir.path().join("b-v1.json"), feed_v1().to_string()).unwrap();

    let first = import(&app, dir.path());
    assert!(
        first.contains("4 read: 2 created, 0 updated, 0 unchanged, 2 rejected"),
        "{first}"
    );
    assert!(
        first.contains("rejected svc-3-2: it has no name"),
        "{first}"
    );
    assert!(
        first.contains("rejected svc-1-2: its status 'open'"),
        "{first}"
    );
    let second = import(&app, dir.path());
    assert!(
        second.contains("4 read: 0 created, 0 updated, 2 unchanged, 2 rejected"),
        "{second}"
    );

    // The running service picks the import up from the store within a second.
    let started = std::time::Instant::now();
    let page = loop {
        let page: Value = app
            .get("/v1/activities?q=walk")
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        if !page["items"].as_array().unwrap().is_empty() || started.elapsed().as_secs() > 3 {
            break page;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    };
    let walk = &page["items"][0];
    assert_eq!(walk["name"], "Riverside Walking Group");
    assert_eq!(walk["description"], "A gentle walk by the river & a cuppa.");
    assert_eq!(
        walk["cost"],
        json!({"free": false, "amount_pence": 250, "unit": "per_session"})
    );
    assert_eq!(walk["schedule"][0]["day"], "wednesday");
    assert_eq!(walk["location"]["postcode"], "DN15 6AB");
    let carers: Value = app
        .get("/v1/activities?category=carers_support")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(carers["items"][0]["provider"]["name"], "Carers Together");
    assert!(!carers.to_string().contains("staff@example.org"));
    app.finish().await;
}
