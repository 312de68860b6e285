//! Link workers: coordinators manage them; link workers find themselves.

use serde_json::{Value, json};

use crate::steps::*;
use crate::support::*;

#[tokio::test]
async fn a_coordinator_adds_reads_lists_changes_and_removes_link_workers() {
    let app = spawn_app().await;
    let token = app.coordinator();
    let response = app
        .post_json(
            "/v1/link-workers",
            &token,
            &json!({"subject": "idp|sam", "display_name": "Sam Taylor", "capacity": 40}),
        )
        .await;
    assert_eq!(response.status(), 201);
    let location = response.headers()["location"].to_str().unwrap().to_owned();
    assert_eq!(response.headers()["etag"], "\"v1\"");
    let sam: Value = response.json().await.unwrap();
    assert_eq!(sam["active"], true, "active unless said otherwise");
    assert_eq!(sam["capacity"], 40);
    assert_eq!(location, format!("/v1/link-workers/{}", id_of(&sam)));

    let (status, read) = app.get_json(&location, &token).await;
    assert_eq!((status, &read), (200, &sam));

    // The subject is unique in the organisation, not across organisations.
    let response = app
        .post_json(
            "/v1/link-workers",
            &token,
            &json!({"subject": "idp|sam", "display_name": "Another Sam", "capacity": 4}),
        )
        .await;
    problem(response, 409).await;
    let response = app
        .post_json(
            "/v1/link-workers",
            &app.token(OTHER_ORG, &["coordinator"]),
            &json!({"subject": "idp|sam", "display_name": "Sam elsewhere", "capacity": 4}),
        )
        .await;
    assert_eq!(response.status(), 201);
    let alex = app.create_link_worker("idp|alex", 10).await;

    let (_, page) = app.get_json("/v1/link-workers?limit=1", &token).await;
    assert_eq!(page["items"][0]["id"], sam["id"]);
    let cursor = page["next_cursor"].as_str().unwrap();
    let (_, page) = app
        .get_json(&format!("/v1/link-workers?limit=1&cursor={cursor}"), &token)
        .await;
    assert_eq!(page["items"][0]["id"], alex["id"]);
    assert!(page["next_cursor"].is_null());

    // Replace, guarded by the ETag when one is sent.
    let change = json!({"subject": "idp|sam", "display_name": "Sam Taylor", "capacity": 30, "active": false});
    let response = app
        .put(&location)
        .bearer_auth(&token)
        .header("If-Match", "\"v1\"")
        .json(&change)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["etag"], "\"v2\"");
    let changed: Value = response.json().await.unwrap();
    assert_eq!(
        (changed["capacity"].clone(), changed["active"].clone()),
        (json!(30), json!(false))
    );
    let response = app
        .put(&location)
        .bearer_auth(&token)
        .header("If-Match", "\"v1\"")
        .json(&change)
        .send()
        .await
        .unwrap();
    problem(response, 412).await;

    let (_, active) = app.get_json("/v1/link-workers?active=true", &token).await;
    assert_eq!(active["items"].as_array().unwrap().len(), 1);
    assert_eq!(active["items"][0]["id"], alex["id"]);

    let response = app
        .delete(&format!("/v1/link-workers/{}", id_of(&alex)))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 204);
    let (status, _) = app
        .get_json(&format!("/v1/link-workers/{}", id_of(&alex)), &token)
        .await;
    assert_eq!(status, 404);
    app.finish().await;
}

#[tokio::test]
async fn a_link_worker_with_referrals_is_deactivated_not_removed() {
    let app = spawn_app().await;
    let sam = id_of(&app.create_link_worker("sam", 5).await);
    app.assigned_referral(1, &sam).await;
    let response = app
        .delete(&format!("/v1/link-workers/{sam}"))
        .bearer_auth(app.coordinator())
        .send()
        .await
        .unwrap();
    let body = problem(response, 409).await;
    assert!(body["detail"].as_str().unwrap().contains("active to false"));
    app.finish().await;
}

#[tokio::test]
async fn a_link_worker_finds_their_own_record_by_their_token() {
    let app = spawn_app().await;
    let sam = app.create_link_worker("idp|sam", 5).await;
    let (status, me) = app
        .get_json("/v1/link-workers/me", &app.link_worker_token("idp|sam"))
        .await;
    assert_eq!((status, me["id"].clone()), (200, sam["id"].clone()));
    let response = app
        .get("/v1/link-workers/me")
        .bearer_auth(app.link_worker_token("idp|nobody"))
        .send()
        .await
        .unwrap();
    problem(response, 404).await;
    // Link workers read the team but do not manage it.
    let response = app
        .post_json(
            "/v1/link-workers",
            &app.link_worker_token("idp|sam"),
            &json!({"subject": "x", "display_name": "X", "capacity": 1}),
        )
        .await;
    problem(response, 403).await;
    app.finish().await;
}

#[tokio::test]
async fn link_worker_fields_that_break_rules_are_named() {
    let app = spawn_app().await;
    let response = app
        .post_json(
            "/v1/link-workers",
            &app.coordinator(),
            &json!({"subject": " ", "display_name": "x".repeat(101), "capacity": 501}),
        )
        .await;
    let body = problem(response, 422).await;
    assert_eq!(error_for(&body, "subject")["code"], "required");
    assert_eq!(error_for(&body, "display_name")["code"], "too_long");
    assert_eq!(error_for(&body, "capacity")["code"], "out_of_range");

    let response = app
        .post_json(
            "/v1/link-workers",
            &app.coordinator(),
            &json!({"subject": "a", "display_name": "A", "capacity": 3, "caseload": 2}),
        )
        .await;
    let body = problem(response, 422).await;
    assert_eq!(error_for(&body, "caseload")["code"], "unknown_field");
    let response = app
        .get("/v1/link-workers?active=maybe")
        .bearer_auth(app.coordinator())
        .send()
        .await
        .unwrap();
    let body = problem(response, 422).await;
    assert_eq!(fields(&body), vec!["active"]);
    app.finish().await;
}

#[tokio::test]
async fn the_list_shows_each_workers_open_referrals_and_says_over_capacity_plainly() {
    let app = spawn_app().await;
    let sam = id_of(&app.create_link_worker("sam", 1).await);
    let jo = id_of(&app.create_link_worker("jo", 3).await);
    app.assigned_referral(1, &sam).await;
    let second = id_of(&app.create_referral(&app.referrer(), &person_body(2)).await);
    app.move_to(&second, json!({"to": "accepted"})).await;
    let response = app
        .assign(&second, json!({"link_worker_id": sam, "override": true}))
        .await;
    assert_eq!(response.status(), 200, "{}", response.text().await.unwrap());
    app.assigned_referral(3, &jo).await;

    let (status, page) = app.get_json("/v1/link-workers", &app.coordinator()).await;
    assert_eq!(status, 200, "{page}");
    let item = |id: &str| {
        page["items"]
            .as_array()
            .unwrap()
            .iter()
            .find(|w| w["id"] == id)
            .cloned()
            .unwrap()
    };
    let (sam_item, jo_item) = (item(&sam), item(&jo));
    assert_eq!(
        (
            &sam_item["open"],
            &sam_item["capacity_left"],
            &sam_item["over_capacity_by"]
        ),
        (&json!(2), &json!(0), &json!(1))
    );
    assert_eq!(
        (
            &jo_item["open"],
            &jo_item["capacity_left"],
            &jo_item["over_capacity_by"]
        ),
        (&json!(1), &json!(2), &json!(0))
    );
    assert_eq!(sam_item["display_name"], "Worker sam");

    // The caseload says the same, never a negative number.
    let (_, caseload) = app
        .get_json(
            &format!("/v1/link-workers/{sam}/caseload"),
            &app.coordinator(),
        )
        .await;
    assert_eq!(caseload["capacity_left"], 0);
    assert_eq!(caseload["over_capacity_by"], 1);
    app.finish().await;
}
