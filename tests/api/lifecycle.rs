//! Triage, assignment and closure over HTTP: the state machine, its 409s, the history,
//! capacity, and possible duplicates.

use serde_json::{Value, json};

use crate::steps::*;
use crate::support::*;

#[tokio::test]
async fn a_coordinator_accepts_and_the_history_records_who_when_and_why() {
    let app = spawn_app().await;
    let id = id_of(&app.create_referral(&app.referrer(), &referral_body()).await);

    let moved = app.move_to(&id, json!({"to": "accepted"})).await;
    assert_eq!(moved["from"], "received");
    assert_eq!(moved["to"], "accepted");
    assert_eq!(moved["actor"], "user-1");
    assert_eq!(moved["referral_id"], id.as_str());

    let (status, referral) = app
        .get_json(&format!("/v1/referrals/{id}"), &app.coordinator())
        .await;
    assert_eq!(status, 200, "{referral}");
    assert_eq!(referral["status"], "accepted");

    let (status, history) = app
        .get_json(&format!("/v1/referrals/{id}/history"), &app.coordinator())
        .await;
    assert_eq!(status, 200);
    let moves: Vec<(Value, Value)> = history["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| (c["from"].clone(), c["to"].clone()))
        .collect();
    assert_eq!(
        moves,
        vec![
            (Value::Null, json!("received")),
            (json!("received"), json!("accepted"))
        ]
    );
    app.finish().await;
}

#[tokio::test]
async fn an_illegal_move_is_409_naming_the_current_and_allowed_states() {
    let app = spawn_app().await;
    let id = id_of(&app.create_referral(&app.referrer(), &referral_body()).await);
    app.move_to(&id, json!({"to": "accepted"})).await;

    let response = app
        .transition(
            &app.coordinator(),
            &id,
            json!({"to": "declined", "reason": "out_of_area"}),
        )
        .await;
    let body = problem(response, 409).await;
    assert_eq!(body["current"], "accepted");
    assert_eq!(body["allowed"], json!(["assigned", "closed"]));
    assert!(body["detail"].as_str().unwrap().contains("'accepted'"));

    app.move_to(&id, json!({"to": "closed", "reason": "unable_to_contact"}))
        .await;
    let response = app
        .transition(&app.coordinator(), &id, json!({"to": "accepted"}))
        .await;
    let body = problem(response, 409).await;
    assert_eq!(body["current"], "closed");
    assert_eq!(body["allowed"], json!([]));
    app.finish().await;
}

#[tokio::test]
async fn declining_needs_a_reason_and_closing_a_closure_reason_from_the_list() {
    let app = spawn_app().await;
    let id = id_of(&app.create_referral(&app.referrer(), &referral_body()).await);
    let token = app.coordinator();

    let body = problem(
        app.transition(&token, &id, json!({"to": "declined"})).await,
        422,
    )
    .await;
    assert_eq!(error_for(&body, "reason")["code"], "required");

    let body = problem(
        app.transition(
            &token,
            &id,
            json!({"to": "closed", "reason": "out_of_area"}),
        )
        .await,
        422,
    )
    .await;
    assert_eq!(error_for(&body, "reason")["code"], "not_in_list");

    let body = problem(
        app.transition(&token, &id, json!({"to": "declined", "reason": "other"}))
            .await,
        422,
    )
    .await;
    assert_eq!(error_for(&body, "note")["code"], "required");

    for to in ["assigned", "in_progress", "received"] {
        let body = problem(app.transition(&token, &id, json!({"to": to})).await, 422).await;
        assert_eq!(error_for(&body, "to")["code"], "not_by_transition", "{to}");
    }
    let body = problem(
        app.transition(
            &token,
            &id,
            json!({"to": "accepted", "reason": "goals_met"}),
        )
        .await,
        422,
    )
    .await;
    assert_eq!(error_for(&body, "reason")["code"], "not_applicable");
    let body = problem(
        app.transition(&token, &id, json!({"to": "lost"})).await,
        422,
    )
    .await;
    assert_eq!(error_for(&body, "to")["code"], "not_in_list");

    let declined = app
        .move_to(
            &id,
            json!({"to": "declined", "reason": "better_met_elsewhere", "note": "Needs the memory clinic"}),
        )
        .await;
    assert_eq!(declined["reason"], "better_met_elsewhere");
    assert_eq!(declined["note"], "Needs the memory clinic");
    app.finish().await;
}

#[tokio::test]
async fn the_lifecycle_is_for_staff_of_the_organisation_only() {
    let app = spawn_app().await;
    let id = id_of(&app.create_referral(&app.referrer(), &referral_body()).await);
    let response = app
        .transition(&app.referrer(), &id, json!({"to": "accepted"}))
        .await;
    problem(response, 403).await;
    let other = app.token(OTHER_ORG, &["coordinator"]);
    problem(
        app.transition(&other, &id, json!({"to": "accepted"})).await,
        404,
    )
    .await;
    let response = app
        .get(&format!("/v1/referrals/{id}/history"))
        .bearer_auth(&other)
        .send()
        .await
        .unwrap();
    problem(response, 404).await;
    let response = app
        .get(&format!("/v1/referrals/{id}/history"))
        .bearer_auth(app.referrer())
        .send()
        .await
        .unwrap();
    problem(response, 403).await;
    app.finish().await;
}

#[tokio::test]
async fn assignment_respects_capacity_unless_overridden_and_keeps_history() {
    let app = spawn_app().await;
    let sam = id_of(&app.create_link_worker("sam", 1).await);
    let alex = id_of(&app.create_link_worker("alex", 5).await);

    // A received referral must be accepted first.
    let received = id_of(&app.create_referral(&app.referrer(), &person_body(1)).await);
    let body = problem(
        app.assign(&received, json!({"link_worker_id": sam})).await,
        409,
    )
    .await;
    assert_eq!(body["current"], "received");
    assert_eq!(body["allowed"], json!(["accepted", "declined", "closed"]));

    let first = app.assigned_referral(2, &sam).await;
    let (_, referral) = app
        .get_json(&format!("/v1/referrals/{first}"), &app.coordinator())
        .await;
    assert_eq!(referral["status"], "assigned");
    assert_eq!(referral["link_worker_id"], sam.as_str());

    let second = id_of(&app.create_referral(&app.referrer(), &person_body(3)).await);
    app.move_to(&second, json!({"to": "accepted"})).await;
    let body = problem(
        app.assign(&second, json!({"link_worker_id": sam})).await,
        409,
    )
    .await;
    assert!(
        body["detail"]
            .as_str()
            .unwrap()
            .contains("capacity (1 open of 1)"),
        "{body}"
    );
    let response = app
        .assign(
            &second,
            json!({"link_worker_id": sam, "override": true, "note": "Covering leave"}),
        )
        .await;
    assert_eq!(response.status(), 200);
    let assignment: Value = response.json().await.unwrap();
    assert_eq!(assignment["capacity_overridden"], true);
    assert_eq!(assignment["status"], "assigned");

    // Reassignment keeps the status and names who held it before.
    let response = app.assign(&first, json!({"link_worker_id": alex})).await;
    let reassigned: Value = response.json().await.unwrap();
    assert_eq!(reassigned["previous_link_worker_id"], sam.as_str());
    assert_eq!(reassigned["status"], "assigned");
    // The same link worker again changes nothing.
    let again: Value = app
        .assign(&first, json!({"link_worker_id": alex}))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(again["id"], reassigned["id"]);
    let kinds = app.timeline_kinds(&app.coordinator(), &first).await;
    assert_eq!(
        kinds,
        vec![
            "status:received",
            "status:accepted",
            "status:assigned",
            "assigned",
            "assigned"
        ]
    );

    let body = problem(
        app.assign(
            &first,
            json!({"link_worker_id": "01a20159-67f6-732d-b6ed-d9503e62ffc1"}),
        )
        .await,
        422,
    )
    .await;
    assert_eq!(error_for(&body, "link_worker_id")["code"], "not_found");

    // Inactive link workers take nothing, even with an override.
    let response = app
        .put(&format!("/v1/link-workers/{alex}"))
        .bearer_auth(app.coordinator())
        .json(&json!({"subject": "alex", "display_name": "Alex", "capacity": 5, "active": false}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let body = problem(
        app.assign(&second, json!({"link_worker_id": alex, "override": true}))
            .await,
        409,
    )
    .await;
    assert!(body["detail"].as_str().unwrap().contains("not active"));

    // Only coordinators assign.
    let response = app
        .post_json(
            &format!("/v1/referrals/{second}/assignment"),
            &app.link_worker_token("sam"),
            &json!({"link_worker_id": sam}),
        )
        .await;
    problem(response, 403).await;
    app.finish().await;
}

#[tokio::test]
async fn possible_duplicates_are_flagged_on_both_records_and_a_coordinator_merges_or_dismisses() {
    let app = spawn_app().await;
    let token = app.referrer();
    let first = id_of(&app.create_referral(&token, &referral_body()).await);
    // The same NHS number.
    let second = id_of(&app.create_referral(&token, &referral_body()).await);
    // The same name and date of birth, no NHS number, written differently.
    let mut body = referral_body();
    body["person"].as_object_mut().unwrap().remove("nhs_number");
    body["person"]["given_name"] = "MARGARET".into();
    body["source"] = "self".into();
    let third = id_of(&app.create_referral(&token, &body).await);
    // Someone else.
    let fourth = id_of(&app.create_referral(&token, &person_body(9)).await);

    // Possible duplicates are on the full record: the service's staff's to read.
    let coordinator = app.coordinator();
    let flags = |v: &Value| v["possible_duplicates"].clone();
    let (status, r1) = app
        .get_json(&format!("/v1/referrals/{first}"), &coordinator)
        .await;
    assert_eq!(status, 200, "{r1}");
    assert_eq!(flags(&r1), json!([second, third]));
    let (_, r3) = app
        .get_json(&format!("/v1/referrals/{third}"), &coordinator)
        .await;
    assert_eq!(flags(&r3), json!([first, second]));
    let (_, r4) = app
        .get_json(&format!("/v1/referrals/{fourth}"), &coordinator)
        .await;
    assert_eq!(flags(&r4), json!([]));
    let (_, list) = app.get_json("/v1/referrals?limit=10", &coordinator).await;
    assert_eq!(flags(&list["items"][3]), json!([second, third]));

    let resolve = |other: &str, resolution: &str| {
        app.post(&format!(
            "/v1/referrals/{first}/possible-duplicates/{other}"
        ))
        .bearer_auth(&coordinator)
        .json(&json!({"resolution": resolution}))
        .send()
    };
    let response = resolve(&third, "dismissed").await.unwrap();
    assert_eq!(response.status(), 200);
    let response = resolve(&second, "merged").await.unwrap();
    let merged: Value = response.json().await.unwrap();
    assert_eq!(merged["resolution"], "merged");
    problem(resolve(&second, "merged").await.unwrap(), 404).await;
    problem(resolve(&fourth, "dismissed").await.unwrap(), 404).await;
    let body = problem(resolve(&third, "forgotten").await.unwrap(), 422).await;
    assert_eq!(error_for(&body, "resolution")["code"], "not_in_list");

    let (_, r1) = app
        .get_json(&format!("/v1/referrals/{first}"), &coordinator)
        .await;
    assert_eq!(flags(&r1), json!([]));
    let (_, r2) = app
        .get_json(&format!("/v1/referrals/{second}"), &coordinator)
        .await;
    assert_eq!(r2["status"], "closed");
    let (_, history) = app
        .get_json(&format!("/v1/referrals/{second}/history"), &coordinator)
        .await;
    let last = history["items"].as_array().unwrap().last().unwrap().clone();
    assert_eq!(last["reason"], "duplicate");
    assert!(
        last["note"]
            .as_str()
            .unwrap()
            .starts_with("Merged into SRX-")
    );

    let kinds = app.timeline_kinds(&coordinator, &first).await;
    assert_eq!(
        kinds,
        vec![
            "status:received",
            "duplicate_flagged",
            "duplicate_flagged",
            "duplicate_resolved",
            "duplicate_resolved"
        ]
    );
    // Only coordinators decide.
    let response = app
        .post(&format!(
            "/v1/referrals/{third}/possible-duplicates/{first}"
        ))
        .bearer_auth(app.link_worker_token("sam"))
        .json(&json!({"resolution": "dismissed"}))
        .send()
        .await
        .unwrap();
    problem(response, 403).await;
    app.finish().await;
}
