//! Connections: journey 1 (Kirklees: a carer who needs a push) and journey 4 (Camden: a
//! practice that connects its own patients to its own garden group).

use serde_json::{Value, json};

use crate::directory::{activity_body, add_activity, add_provider, editor};
use crate::support::*;

pub async fn connect(
    app: &TestApp,
    token: &str,
    referral: &str,
    activity: &str,
    supported: bool,
) -> Value {
    let response = app
        .post(&format!("/v1/referrals/{referral}/connections"))
        .bearer_auth(token)
        .json(&json!({"activity_id": activity, "supported_first_attendance": supported}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 201, "{}", response.text().await.unwrap());
    response.json().await.unwrap()
}

pub async fn move_to(
    app: &TestApp,
    token: &str,
    referral: &str,
    connection: &str,
    status: &str,
    note: &str,
) -> reqwest::Response {
    app.client
        .patch(app.url(&format!(
            "/v1/referrals/{referral}/connections/{connection}"
        )))
        .bearer_auth(token)
        .json(&json!({"status": status, "note": note}))
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn kirklees_a_carer_is_connected_to_four_groups_and_after_a_supported_attendance_keeps_going()
{
    let app = spawn_app().await;
    let editor = editor(&app);
    let libraries = add_provider(&app, &editor, "Kirklees Libraries").await;
    let mut ids = Vec::new();
    for name in [
        "Knit and Natter",
        "Carers Information Service",
        "Huddersfield Family History Society",
        "Local History Group",
    ] {
        ids.push(
            add_activity(&app, &editor, &activity_body(&libraries, name)).await["id"]
                .as_str()
                .unwrap()
                .to_owned(),
        );
    }
    let referral = app.create_referral(&app.referrer(), &referral_body()).await;
    let referral = referral["id"].as_str().unwrap();
    let worker = app.token(ORG, &["link_worker"]);

    let mut connections = Vec::new();
    for id in &ids {
        let c = connect(&app, &worker, referral, id, false).await;
        assert_eq!(c["status"], "suggested");
        connections.push(c["id"].as_str().unwrap().to_owned());
    }
    // None of it happened; a supported attendance at the local history group.
    let attending = move_to(
        &app,
        &worker,
        referral,
        &connections[3],
        "attending",
        "Went with her to the first session.",
    )
    .await;
    assert_eq!(attending.status(), 200);
    let attending: Value = attending.json().await.unwrap();
    assert_eq!(attending["status"], "attending");
    let history = attending["history"].as_array().unwrap();
    assert_eq!(history.len(), 2);
    assert_eq!(
        (history[1]["from"].as_str(), history[1]["to"].as_str()),
        (Some("suggested"), Some("attending"))
    );
    assert_eq!(history[1]["note"], "Went with her to the first session.");

    // A finished connection cannot be reopened.
    assert_eq!(
        move_to(
            &app,
            &worker,
            referral,
            &connections[0],
            "declined",
            "Mornings too hard"
        )
        .await
        .status(),
        200
    );
    let refused = move_to(&app, &worker, referral, &connections[0], "attending", "").await;
    let p = problem(refused, 409).await;
    assert_eq!(p["current"], "declined");
    assert_eq!(p["allowed"], json!([]));

    // The referring practice reads back what became of it: not the connections with the
    // link worker's notes (the case record), but the referrer's view, which counts only
    // what she took up (the attended group; not the suggested or declined ones).
    let (status, _) = app
        .get_json(
            &format!("/v1/referrals/{referral}/connections"),
            &app.referrer(),
        )
        .await;
    assert_eq!(status, 403);
    let (status, view) = app
        .get_json(&format!("/v1/referrals/{referral}/status"), &app.referrer())
        .await;
    assert_eq!(status, 200, "{view}");
    assert_eq!(
        view["connections_by_category"],
        json!({"social_groups_and_befriending": 1}),
        "{view}"
    );
    let mut counted: Vec<(String, i64)> = view["connections"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            assert_eq!(c["category"], "social_groups_and_befriending", "{view}");
            (
                c["status"].as_str().unwrap().to_owned(),
                c["count"].as_i64().unwrap(),
            )
        })
        .collect();
    counted.sort();
    assert_eq!(
        counted,
        vec![
            ("attending".to_owned(), 1),
            ("declined".to_owned(), 1),
            ("suggested".to_owned(), 2)
        ]
    );
    for note in ["Went with her", "Mornings too hard", "Local History Group"] {
        assert!(!view.to_string().contains(note), "{note} in {view}");
    }

    // The service's staff read every connection, with its activity.
    let (status, list) = app
        .get_json(
            &format!("/v1/referrals/{referral}/connections"),
            &app.token(ORG, &["coordinator"]),
        )
        .await;
    assert_eq!(status, 200);
    let statuses: Vec<&str> = list["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["status"].as_str().unwrap())
        .collect();
    assert_eq!(
        statuses,
        vec!["declined", "suggested", "suggested", "attending"]
    );
    assert_eq!(list["items"][3]["activity_name"], "Local History Group");

    // Another organisation sees nothing of it.
    let other = app.token(OTHER_ORG, &["link_worker"]);
    let (status, _) = app
        .get_json(&format!("/v1/referrals/{referral}/connections"), &other)
        .await;
    assert_eq!(status, 404);
    let foreign = move_to(&app, &other, referral, &connections[3], "completed", "").await;
    problem(foreign, 404).await;
    app.finish().await;
}

#[tokio::test]
async fn camden_a_practice_connects_its_own_patients_to_its_own_garden_group_and_sees_the_count() {
    let app = spawn_app().await;
    // The practice is both the referrer and the provider: one organisation, two roles.
    let practice_editor = editor(&app);
    let provider = app
        .post("/v1/providers")
        .bearer_auth(&practice_editor)
        .json(&json!({"name": "Camden Health Centre", "ods_code": "Y02794"}))
        .send()
        .await
        .unwrap();
    let provider: Value = provider.json().await.unwrap();
    assert_eq!(provider["ods_code"], "Y02794");
    assert_eq!(provider["organisation"], ORG);
    let mut garden = activity_body(provider["id"].as_str().unwrap(), "Therapeutic garden group");
    garden["categories"] = json!(["nature_and_gardening"]);
    garden["join_method"] = json!("referral");
    garden["location"] =
        json!({"address": "The garden, Camden Health Centre", "postcode": "NW1 0PE"});
    let garden = add_activity(&app, &practice_editor, &garden).await;
    let garden_id = garden["id"].as_str().unwrap();
    let page: Value = app
        .get("/v1/activities?q=garden&near=NW1")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(page["items"][0]["provider"]["name"], "Camden Health Centre");

    let worker = app.token(ORG, &["link_worker", "referrer"]);
    for _ in 0..3 {
        let referral = app.create_referral(&worker, &referral_body()).await;
        let referral = referral["id"].as_str().unwrap();
        let c = connect(&app, &worker, referral, garden_id, true).await;
        assert_eq!(c["supported_first_attendance"], true);
        let moved = move_to(
            &app,
            &worker,
            referral,
            c["id"].as_str().unwrap(),
            "attending",
            "",
        )
        .await;
        assert_eq!(moved.status(), 200);
    }
    let (status, counts) = app
        .get_json(
            &format!("/v1/activities/{garden_id}/connection_counts"),
            &practice_editor,
        )
        .await;
    assert_eq!(status, 200);
    assert_eq!(counts["total"], 3);
    assert_eq!(counts["by_status"]["attending"], 3);
    assert_eq!(counts["by_status"]["suggested"], 0);
    // Counts are for the provider only.
    let (status, _) = app
        .get_json(
            &format!("/v1/activities/{garden_id}/connection_counts"),
            &app.token(OTHER_ORG, &["directory_editor"]),
        )
        .await;
    assert_eq!(status, 404);
    app.finish().await;
}

#[tokio::test]
async fn a_connection_to_an_unknown_activity_or_referral_is_refused() {
    let app = spawn_app().await;
    let worker = app.token(ORG, &["link_worker", "referrer"]);
    let referral = app.create_referral(&worker, &referral_body()).await;
    let referral = referral["id"].as_str().unwrap();
    let response = app
        .post(&format!("/v1/referrals/{referral}/connections"))
        .bearer_auth(&worker)
        .json(&json!({"activity_id": "01a20159-67f6-732d-b6ed-d9503e62ffc1"}))
        .send()
        .await
        .unwrap();
    assert_eq!(
        error_for(&problem(response, 422).await, "activity_id")["code"],
        "unknown_activity"
    );

    let editor = editor(&app);
    let provider = add_provider(&app, &editor, "Leeds Libraries").await;
    let activity = add_activity(&app, &editor, &activity_body(&provider, "Chess club")).await;
    let response = app
        .post("/v1/referrals/01a20159-67f6-732d-b6ed-d9503e62ffc1/connections")
        .bearer_auth(&worker)
        .json(&json!({"activity_id": activity["id"]}))
        .send()
        .await
        .unwrap();
    problem(response, 404).await;
    app.finish().await;
}

#[tokio::test]
async fn a_referral_is_not_connected_to_the_same_activity_twice_while_the_first_is_open() {
    let app = spawn_app().await;
    let worker = app.token(ORG, &["link_worker", "referrer", "coordinator"]);
    let referral = app.create_referral(&worker, &referral_body()).await;
    let referral = referral["id"].as_str().unwrap();
    let editor = editor(&app);
    let provider = add_provider(&app, &editor, "Leeds Libraries").await;
    let activity = add_activity(&app, &editor, &activity_body(&provider, "Chess club")).await;
    let activity = activity["id"].as_str().unwrap();

    let first = connect(&app, &worker, referral, activity, false).await;
    let first_id = first["id"].as_str().unwrap();
    let response = app
        .post(&format!("/v1/referrals/{referral}/connections"))
        .bearer_auth(&worker)
        .json(&json!({"activity_id": activity}))
        .send()
        .await
        .unwrap();
    let body = problem(response, 409).await;
    assert!(
        body["detail"].as_str().unwrap().contains(first_id),
        "{body}"
    );
    let (status, counts) = app
        .get_json(
            &format!("/v1/activities/{activity}/connection_counts"),
            &worker,
        )
        .await;
    assert_eq!(status, 200, "{counts}");
    assert_eq!(counts["total"], 1);

    // Once declined, a fresh try is a new connection.
    let declined = move_to(&app, &worker, referral, first_id, "declined", "Not now").await;
    assert_eq!(declined.status(), 200);
    let fresh = connect(&app, &worker, referral, activity, true).await;
    assert_ne!(fresh["id"], first["id"]);
    app.finish().await;
}
