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

/// Two records of the North Lincolnshire feed (December 2024), trimmed: a leisure-centre
/// class whose description states its price while `fees` is empty, and a service whose
/// feed id is itself a UUID.
fn feed_sample() -> Value {
    json!([
        {"id": "cc05b640-cbc7-090e-0756-0411af28c5d0", "name": "Kayak Lessons",
         "description": "<p>Learn to<b> kayak </b>this winter in the pool at the Ancholme Leisure Centre! Sessions are at 4pm and 4.50 pm on Saturday evenings. The cost until 2025 is&nbsp; £8 per person per week .</p>",
         "url": "https://www.gscc-online.com/", "status": "active", "fees": "",
         "organization": {"id": "2b0fff9d-ac04-389c-8887-a0eac7bfc9b4", "name": "Glanford and Scunthorpe Canoe Club"}},
        {"id": "738f94e0-aa6c-6a5c-2395-7b64421ba2a5", "name": "\"We are with You\" WAWY",
         "description": "<p>Struggling with Drug &amp; Alcohol Addiction? We Are With You provide free and confidential Services.</p>",
         "status": "active", "fees": "",
         "organization": {"id": "20da2f9a-59de-622c-3b63-78d899ba0d94", "name": "Victor House"}}
    ])
}

async fn find(app: &TestApp, q: &str) -> Value {
    let started = std::time::Instant::now();
    loop {
        let page: Value = app
            .get(&format!("/v1/activities?{q}"))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        if !page["items"].as_array().unwrap().is_empty() || started.elapsed().as_secs() > 3 {
            return page;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
}

#[tokio::test]
async fn an_empty_fee_is_imported_as_cost_unknown_not_free() {
    let app = spawn_app().await;
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("feed.json"), feed_sample().to_string()).unwrap();
    let out = import(&app, dir.path());
    assert!(out.contains("2 read: 2 created"), "{out}");

    let kayak = &find(&app, "q=kayak").await["items"][0];
    assert_eq!(kayak["name"], "Kayak Lessons");
    assert_eq!(kayak["cost"], json!({"free": false, "known": false}));
    // Neither "free only" nor "paid only" claims it.
    for free in ["true", "false"] {
        let page: Value = app
            .get(&format!("/v1/activities?q=kayak&free={free}"))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert_eq!(page["items"], json!([]), "free={free}");
    }
    // The ORUK feed states no cost option and no fees rather than "Free".
    let id = kayak["id"].as_str().unwrap();
    let service: Value = app
        .get(&format!("/oruk/services/{id}"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(service["cost_options"], json!([]));
    assert!(service.get("fees").is_none(), "{service}");
    app.finish().await;
}

#[tokio::test]
async fn an_imported_service_answers_by_its_feed_id() {
    let app = spawn_app().await;
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("a.json"), feed_sample().to_string()).unwrap();
    std::fs::write(dir.path().join("b.json"), feed_v1().to_string()).unwrap();
    import(&app, dir.path());

    for (feed_id, name) in [
        (
            "738f94e0-aa6c-6a5c-2395-7b64421ba2a5",
            "\"We are with You\" WAWY",
        ),
        ("svc-1-1", "Carers Café"),
    ] {
        let response = app
            .get(&format!("/oruk/services/{feed_id}"))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200, "{feed_id}");
        let service: Value = response.json().await.unwrap();
        assert_eq!(service["name"], name);
        // Our own id still answers too.
        let own = service["id"].as_str().unwrap();
        let again = app
            .get(&format!("/oruk/services/{own}"))
            .send()
            .await
            .unwrap();
        assert_eq!(again.status(), 200);
    }
    let missing = app.get("/oruk/services/svc-none").send().await.unwrap();
    assert_eq!(missing.status(), 404);
    app.finish().await;
}

#[tokio::test]
async fn a_feed_id_seen_twice_is_reported_the_first_kept_and_a_reimport_changes_nothing() {
    let app = spawn_app().await;
    let dir = tempfile::tempdir().unwrap();
    let feed = json!([
        {"id": "svc-d", "name": "Walking group (Mondays)", "status": "active",
         "organization": {"id": "org-1", "name": "Ramblers"}},
        {"id": "svc-e", "name": "Lunch club", "status": "active",
         "organization": {"id": "org-1", "name": "Ramblers"}},
        {"id": "svc-d", "name": "Walking group (Tuesdays)", "status": "active",
         "organization": {"id": "org-1", "name": "Ramblers"}}
    ]);
    std::fs::write(dir.path().join("feed.json"), feed.to_string()).unwrap();

    let first = import(&app, dir.path());
    assert!(
        first.contains("3 read: 2 created, 0 updated, 0 unchanged, 1 rejected"),
        "{first}"
    );
    assert!(
        first.contains("rejected svc-d: its id is a duplicate; the first record"),
        "{first}"
    );
    let second = import(&app, dir.path());
    assert!(
        second.contains("3 read: 0 created, 0 updated, 2 unchanged, 1 rejected"),
        "{second}"
    );
    let walk: Value = app
        .get("/oruk/services/svc-d")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(walk["name"], "Walking group (Mondays)");
    app.finish().await;
}

#[tokio::test]
async fn a_service_without_an_organization_is_imported_under_a_flagged_provider() {
    let app = spawn_app().await;
    let dir = tempfile::tempdir().unwrap();
    let feed = json!([
        {"id": "svc-o", "name": "Knit and natter", "description": "Knitting at the library",
         "status": "active", "fees": ""}
    ]);
    std::fs::write(dir.path().join("feed.json"), feed.to_string()).unwrap();

    let first = import(&app, dir.path());
    assert!(
        first.contains("1 read: 1 created, 0 updated, 0 unchanged, 0 rejected"),
        "{first}"
    );
    assert!(
        first.contains(&format!(
            "flagged svc-o: the feed names no organization; imported under the provider \"{ORG} (organisation not named in the feed)\""
        )),
        "{first}"
    );
    let second = import(&app, dir.path());
    assert!(
        second.contains("1 read: 0 created, 0 updated, 1 unchanged, 0 rejected"),
        "{second}"
    );
    let knit = &find(&app, "q=knit").await["items"][0];
    assert_eq!(
        knit["provider"]["name"],
        format!("{ORG} (organisation not named in the feed)")
    );
    let service: Value = app
        .get("/oruk/services/svc-o")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        service["organization"]["name"],
        format!("{ORG} (organisation not named in the feed)")
    );
    app.finish().await;
}
