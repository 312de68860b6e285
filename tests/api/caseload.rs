//! Caseloads and the queue: what needs attention first, who may see it.

use serde_json::{Value, json};

use crate::steps::*;
use crate::support::*;

#[tokio::test]
async fn a_caseload_puts_what_needs_attention_first_and_says_why() {
    let app = spawn_app().await;
    let sam = id_of(&app.create_link_worker("sam", 6).await);
    let me = app.link_worker_token("sam");

    let waiting = app.assigned_referral(1, &sam).await;
    let overdue = app.assigned_referral(2, &sam).await;
    let scheduled = app.assigned_referral(3, &sam).await;
    app.received_days_ago(&overdue, 30).await;
    app.received_days_ago(&scheduled, 30).await;
    let mut urgent_body = person_body(4);
    urgent_body["urgency"] = "urgent".into();
    let urgent = id_of(&app.create_referral(&app.referrer(), &urgent_body).await);
    app.move_to(&urgent, json!({"to": "accepted"})).await;
    app.assign(&urgent, json!({"link_worker_id": sam})).await;
    let closed = app.assigned_referral(5, &sam).await;

    let response = app
        .record_contact(
            &me,
            &overdue,
            json!({"mode": "phone", "occurred_at": days_ago(9), "next_follow_up_on": day_in(-2)}),
        )
        .await;
    assert_eq!(response.status(), 201, "{}", response.text().await.unwrap());
    app.record_contact(
        &me,
        &scheduled,
        json!({"mode": "home_visit", "occurred_at": days_ago(1), "minutes": 60, "next_follow_up_on": day_in(5)}),
    )
    .await;
    app.move_to(&closed, json!({"to": "closed", "reason": "moved_away"}))
        .await;

    let (status, caseload) = app
        .get_json(&format!("/v1/link-workers/{sam}/caseload"), &me)
        .await;
    assert_eq!(status, 200, "{caseload}");
    let order: Vec<(String, String)> = caseload["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| {
            (
                i["referral_id"].as_str().unwrap().to_owned(),
                i["attention"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    assert_eq!(
        order,
        vec![
            (urgent.clone(), "waiting_first_contact".into()),
            (waiting.clone(), "waiting_first_contact".into()),
            (overdue.clone(), "follow_up_overdue".into()),
            (scheduled.clone(), "follow_up_scheduled".into()),
        ]
    );
    let items = caseload["items"].as_array().unwrap();
    assert_eq!(items[0]["urgency"], "urgent");
    assert_eq!(items[1]["waiting_first_contact_days"], 0);
    assert_eq!(items[1]["person"]["given_name"], "Person1");
    assert_eq!(items[2]["follow_up_overdue_days"], 2);
    assert_eq!(items[2]["waiting_first_contact_days"], Value::Null);
    assert_eq!(items[3]["next_follow_up_on"], day_in(5));
    assert_eq!(
        caseload["counts"],
        json!({"assigned": 2, "in_progress": 2, "open": 4})
    );
    assert_eq!(caseload["capacity"], 6);
    assert_eq!(caseload["capacity_left"], 2);
    assert_eq!(caseload["link_worker"]["id"], sam.as_str());
    app.finish().await;
}

#[tokio::test]
async fn link_workers_see_their_own_caseload_and_coordinators_anyones() {
    let app = spawn_app().await;
    let sam = id_of(&app.create_link_worker("sam", 5).await);
    let alex = id_of(&app.create_link_worker("alex", 5).await);
    app.assigned_referral(1, &alex).await;

    let path = format!("/v1/link-workers/{alex}/caseload");
    let response = app
        .get(&path)
        .bearer_auth(app.link_worker_token("sam"))
        .send()
        .await
        .unwrap();
    problem(response, 403).await;
    let (status, theirs) = app.get_json(&path, &app.link_worker_token("alex")).await;
    assert_eq!(
        (status, theirs["items"].as_array().unwrap().len()),
        (200, 1)
    );
    let (status, any) = app.get_json(&path, &app.coordinator()).await;
    assert_eq!((status, any["counts"]["open"].clone()), (200, json!(1)));
    let (status, empty) = app
        .get_json(
            &format!("/v1/link-workers/{sam}/caseload"),
            &app.coordinator(),
        )
        .await;
    assert_eq!((status, empty["items"].clone()), (200, json!([])));

    for token in [
        app.referrer(),
        app.token(ORG, &["directory_editor", "admin"]),
    ] {
        let response = app.get(&path).bearer_auth(token).send().await.unwrap();
        problem(response, 403).await;
    }
    let response = app
        .get(&path)
        .bearer_auth(app.token(OTHER_ORG, &["coordinator"]))
        .send()
        .await
        .unwrap();
    problem(response, 404).await;
    app.finish().await;
}

#[tokio::test]
async fn the_queue_lists_unassigned_referrals_oldest_first_with_overdue_flags() {
    let app = spawn_app().await;
    let sam = id_of(&app.create_link_worker("sam", 5).await);
    let old = id_of(&app.create_referral(&app.referrer(), &person_body(1)).await);
    let accepted = id_of(&app.create_referral(&app.referrer(), &person_body(2)).await);
    app.move_to(&accepted, json!({"to": "accepted"})).await;
    app.assigned_referral(3, &sam).await;
    let fresh = id_of(&app.create_referral(&app.referrer(), &person_body(4)).await);
    // Received three weeks ago: overdue under the default five working days.
    app.db
        .backdate_referral(
            old.parse().unwrap(),
            time::OffsetDateTime::now_utc() - time::Duration::days(21),
        )
        .await;

    let token = app.coordinator();
    let (status, queue) = app.get_json("/v1/queue?limit=2", &token).await;
    assert_eq!(status, 200, "{queue}");
    assert_eq!(queue["overdue_after_working_days"], 5);
    let items = queue["items"].as_array().unwrap();
    assert_eq!(items[0]["referral_id"], old.as_str());
    assert_eq!(items[0]["overdue"], true);
    assert_eq!(items[0]["working_days_waiting"], 15);
    assert_eq!(items[0]["status"], "received");
    assert_eq!(items[1]["referral_id"], accepted.as_str());
    assert_eq!(items[1]["overdue"], false);
    assert_eq!(items[1]["status"], "accepted");
    let cursor = queue["next_cursor"].as_str().unwrap();
    let (_, rest) = app
        .get_json(&format!("/v1/queue?limit=2&cursor={cursor}"), &token)
        .await;
    let rest = rest["items"].as_array().unwrap();
    assert_eq!(rest.len(), 1);
    assert_eq!(rest[0]["referral_id"], fresh.as_str());
    assert_eq!(rest[0]["working_days_waiting"], 0);
    assert_eq!(rest[0]["person"]["given_name"], "Person4");

    for token in [app.link_worker_token("sam"), app.referrer()] {
        let response = app
            .get("/v1/queue")
            .bearer_auth(token)
            .send()
            .await
            .unwrap();
        problem(response, 403).await;
    }
    let (_, foreign) = app
        .get_json("/v1/queue", &app.token(OTHER_ORG, &["coordinator"]))
        .await;
    assert_eq!(foreign["items"], json!([]));
    let response = app
        .get("/v1/queue?limit=0")
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    problem(response, 422).await;
    app.finish().await;
}

#[tokio::test]
async fn the_response_time_policy_is_configurable() {
    let app = spawn_app_with(|s| s.response_working_days = 20).await;
    let old = id_of(&app.create_referral(&app.referrer(), &person_body(1)).await);
    app.db
        .backdate_referral(
            old.parse().unwrap(),
            time::OffsetDateTime::now_utc() - time::Duration::days(21),
        )
        .await;
    let (_, queue) = app.get_json("/v1/queue", &app.coordinator()).await;
    assert_eq!(queue["overdue_after_working_days"], 20);
    assert_eq!(queue["items"][0]["working_days_waiting"], 15);
    assert_eq!(queue["items"][0]["overdue"], false);
    app.finish().await;
}
