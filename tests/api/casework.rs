//! Contacts, the plan with its ETag, and the timeline.

use serde_json::{Value, json};

use crate::steps::*;
use crate::support::*;

#[tokio::test]
async fn the_first_contact_starts_the_work_and_contacts_read_back_in_order() {
    let app = spawn_app().await;
    let sam = id_of(&app.create_link_worker("sam", 5).await);
    let me = app.link_worker_token("sam");
    let id = id_of(&app.create_referral(&app.referrer(), &referral_body()).await);
    app.move_to(&id, json!({"to": "accepted"})).await;
    app.received_days_ago(&id, 30).await;

    let body = problem(
        app.record_contact(
            &me,
            &id,
            json!({"mode": "phone", "occurred_at": days_ago(0)}),
        )
        .await,
        409,
    )
    .await;
    assert_eq!(body["current"], "accepted");

    app.assign(&id, json!({"link_worker_id": sam})).await;
    let response = app
        .record_contact(
            &me,
            &id,
            json!({"mode": "in_person", "occurred_at": days_ago(2), "minutes": 45, "notes": "Met at the surgery", "next_follow_up_on": day_in(5)}),
        )
        .await;
    assert_eq!(response.status(), 201);
    let first: Value = response.json().await.unwrap();
    assert_eq!(first["referral_status"], "in_progress");
    assert_eq!(first["mode"], "in_person");
    assert_eq!(first["minutes"], 45);
    assert_eq!(first["recorded_by"], "sam");
    assert_eq!(first["next_follow_up_on"], day_in(5));
    let (status, referral) = app
        .get_json(&format!("/v1/referrals/{id}"), &app.coordinator())
        .await;
    assert_eq!(status, 200, "{referral}");
    assert_eq!(referral["status"], "in_progress");

    // Recorded later, but it happened earlier.
    let response = app
        .record_contact(
            &me,
            &id,
            json!({"mode": "phone", "occurred_at": days_ago(4)}),
        )
        .await;
    let earlier: Value = response.json().await.unwrap();
    assert_eq!(earlier["referral_status"], "in_progress");

    let (status, list) = app
        .get_json(&format!("/v1/referrals/{id}/contacts"), &me)
        .await;
    assert_eq!(status, 200);
    let ids: Vec<&Value> = list["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| &c["id"])
        .collect();
    assert_eq!(ids, vec![&earlier["id"], &first["id"]]);
    assert!(list["items"][0].get("referral_status").is_none());

    // The case record is not the referrer's.
    let response = app
        .get(&format!("/v1/referrals/{id}/contacts"))
        .bearer_auth(app.referrer())
        .send()
        .await
        .unwrap();
    problem(response, 403).await;
    app.finish().await;
}

#[tokio::test]
async fn contact_fields_that_break_rules_are_named() {
    let app = spawn_app().await;
    let sam = id_of(&app.create_link_worker("sam", 5).await);
    let id = app.assigned_referral(1, &sam).await;
    let response = app
        .record_contact(
            &app.link_worker_token("sam"),
            &id,
            json!({"mode": "carrier_pigeon", "occurred_at": day_in(2) + "T10:00:00Z", "minutes": 721}),
        )
        .await;
    let body = problem(response, 422).await;
    assert_eq!(error_for(&body, "mode")["code"], "not_in_list");
    assert_eq!(error_for(&body, "occurred_at")["code"], "in_future");
    assert_eq!(error_for(&body, "minutes")["code"], "out_of_range");

    let response = app
        .record_contact(
            &app.link_worker_token("sam"),
            &id,
            json!({"mode": "video", "occurred_at": days_ago(1), "next_follow_up_on": day_in(-3)}),
        )
        .await;
    let body = problem(response, 422).await;
    assert_eq!(fields(&body), vec!["next_follow_up_on"]);
    assert_eq!(
        error_for(&body, "next_follow_up_on")["code"],
        "before_contact"
    );
    app.finish().await;
}

#[tokio::test]
async fn a_plan_update_needs_the_current_etag() {
    let app = spawn_app().await;
    let id = id_of(&app.create_referral(&app.referrer(), &referral_body()).await);
    let token = app.coordinator();

    let (etag, plan) = app.plan(&token, &id).await;
    assert_eq!(etag, "\"v0\"");
    assert_eq!(plan["version"], 0);
    assert_eq!(plan["goals"], json!([]));

    let body = json!({
        "what_matters_to_me": "Local and family history; crochet",
        "goals": ["Meet people who share her interests"],
        "steps": [{"text": "Visit the local history group", "due_on": day_in(7)}]
    });
    let body_of_428 = problem(app.put_plan(&token, &id, None, &body).await, 428).await;
    assert!(body_of_428["detail"].as_str().unwrap().contains("If-Match"));
    problem(app.put_plan(&token, &id, Some("*"), &body).await, 428).await;

    let response = app.put_plan(&token, &id, Some(&etag), &body).await;
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["etag"], "\"v1\"");
    let saved: Value = response.json().await.unwrap();
    assert_eq!(saved["steps"][0]["status"], "planned");
    assert_eq!(saved["updated_by"], "user-1");

    // Someone who read version 0 cannot overwrite version 1.
    let stale = problem(app.put_plan(&token, &id, Some(&etag), &body).await, 412).await;
    assert!(stale["detail"].as_str().unwrap().contains("\"v1\""));
    problem(
        app.put_plan(&token, &id, Some("W/\"v1\""), &body).await,
        412,
    )
    .await;

    let (etag, plan) = app.plan(&token, &id).await;
    assert_eq!((etag.as_str(), &plan), ("\"v1\"", &saved));
    app.finish().await;
}

#[tokio::test]
async fn plan_fields_that_break_rules_are_named() {
    let app = spawn_app().await;
    let id = id_of(&app.create_referral(&app.referrer(), &referral_body()).await);
    let token = app.coordinator();
    let goals: Vec<String> = (0..21).map(|i| format!("Goal {i}")).collect();
    let body = json!({
        "goals": goals,
        "steps": [
            {"text": " ", "status": "maybe"},
            {"text": "x".repeat(501), "due_on": "next week"}
        ]
    });
    let response = app.put_plan(&token, &id, Some("\"v0\""), &body).await;
    let body = problem(response, 422).await;
    assert_eq!(error_for(&body, "goals")["code"], "too_many");
    assert_eq!(error_for(&body, "steps[0].text")["code"], "required");
    assert_eq!(error_for(&body, "steps[0].status")["code"], "not_in_list");
    assert_eq!(error_for(&body, "steps[1].text")["code"], "too_long");
    assert_eq!(error_for(&body, "steps[1].due_on")["code"], "date_format");
    app.finish().await;
}

#[tokio::test]
async fn a_closed_referrals_plan_no_longer_changes() {
    let app = spawn_app().await;
    let id = id_of(&app.create_referral(&app.referrer(), &referral_body()).await);
    app.move_to(&id, json!({"to": "closed", "reason": "declined_by_person"}))
        .await;
    let body = problem(
        app.put_plan(
            &app.coordinator(),
            &id,
            Some("\"v0\""),
            &json!({"goals": ["x"]}),
        )
        .await,
        409,
    )
    .await;
    assert_eq!(body["current"], "closed");
    app.finish().await;
}

#[tokio::test]
async fn a_contact_dated_before_the_referral_was_received_is_refused_naming_the_field() {
    let app = spawn_app().await;
    let sam = id_of(&app.create_link_worker("sam", 5).await);
    let id = app.assigned_referral(1, &sam).await;
    let response = app
        .record_contact(
            &app.link_worker_token("sam"),
            &id,
            json!({"mode": "phone", "occurred_at": days_ago(3)}),
        )
        .await;
    let body = problem(response, 422).await;
    assert_eq!(error_for(&body, "occurred_at")["code"], "before_received");
    // Nothing was written: the referral waits for its first contact still.
    let (_, referral) = app
        .get_json(&format!("/v1/referrals/{id}"), &app.coordinator())
        .await;
    assert_eq!(referral["status"], "assigned");
    app.finish().await;
}

#[tokio::test]
async fn the_first_contact_is_when_it_happened_in_the_status_view_and_the_caseload_alike() {
    let app = spawn_app().await;
    let sam = id_of(&app.create_link_worker("sam", 5).await);
    let id = app.assigned_referral(1, &sam).await;
    app.received_days_ago(&id, 10).await;
    let happened = (time::OffsetDateTime::now_utc() - time::Duration::days(3))
        .replace_nanosecond(0)
        .unwrap();
    let happened = happened
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap();
    // Written up three days after it happened.
    let response = app
        .record_contact(
            &app.link_worker_token("sam"),
            &id,
            json!({"mode": "phone", "occurred_at": happened}),
        )
        .await;
    assert_eq!(response.status(), 201, "{}", response.text().await.unwrap());

    let (status, view) = app
        .get_json(&format!("/v1/referrals/{id}/status"), &app.referrer())
        .await;
    assert_eq!(status, 200, "{view}");
    let (_, caseload) = app
        .get_json(
            &format!("/v1/link-workers/{sam}/caseload"),
            &app.coordinator(),
        )
        .await;
    let parse = |v: &Value| {
        time::OffsetDateTime::parse(
            v.as_str().unwrap(),
            &time::format_description::well_known::Rfc3339,
        )
        .unwrap()
    };
    let expected = parse(&json!(happened));
    assert_eq!(parse(&view["first_contact_at"]), expected, "{view}");
    assert_eq!(
        parse(&caseload["items"][0]["first_contact_at"]),
        expected,
        "{caseload}"
    );
    app.finish().await;
}
