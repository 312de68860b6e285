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

#[tokio::test]
async fn a_contact_that_did_not_happen_is_recorded_but_does_not_start_the_work() {
    let app = spawn_app().await;
    let sam = id_of(&app.create_link_worker("sam", 5).await);
    let me = app.link_worker_token("sam");
    let id = app.assigned_referral(1, &sam).await;
    app.received_days_ago(&id, 30).await;

    let response = app
        .record_contact(
            &me,
            &id,
            json!({"mode": "home_visit", "occurred_at": days_ago(5), "outcome": "did_not_attend", "location_type": "home", "minutes": 30}),
        )
        .await;
    assert_eq!(response.status(), 201);
    let missed: Value = response.json().await.unwrap();
    assert_eq!(missed["outcome"], "did_not_attend");
    assert_eq!(missed["location_type"], "home");
    assert_eq!(missed["referral_status"], "assigned");
    let response = app
        .record_contact(
            &me,
            &id,
            json!({"mode": "phone", "occurred_at": days_ago(4), "outcome": "cancelled_by_person"}),
        )
        .await;
    let cancelled: Value = response.json().await.unwrap();
    assert_eq!(cancelled["referral_status"], "assigned");

    let (_, referral) = app
        .get_json(&format!("/v1/referrals/{id}"), &app.coordinator())
        .await;
    assert_eq!(referral["status"], "assigned");
    let (_, caseload) = app
        .get_json(&format!("/v1/link-workers/{sam}/caseload"), &me)
        .await;
    let item = &caseload["items"][0];
    assert!(item["first_contact_at"].is_null(), "{caseload}");
    assert!(item["last_contact_at"].is_null(), "{caseload}");
    let (_, view) = app
        .get_json(&format!("/v1/referrals/{id}/status"), &app.referrer())
        .await;
    assert!(view["first_contact_at"].is_null(), "{view}");

    // The one that happens starts the work; a client from before `outcome` records one.
    let response = app
        .record_contact(
            &me,
            &id,
            json!({"mode": "in_person", "occurred_at": days_ago(3), "next_follow_up_on": day_in(7)}),
        )
        .await;
    let attended: Value = response.json().await.unwrap();
    assert_eq!(attended["outcome"], "attended");
    assert!(attended["location_type"].is_null() && attended["present"].is_null());
    assert_eq!(attended["referral_status"], "in_progress");

    // A newer missed one is not the last contact and leaves the follow-up alone.
    let response = app
        .record_contact(
            &me,
            &id,
            json!({"mode": "phone", "occurred_at": days_ago(1), "outcome": "cancelled_by_service"}),
        )
        .await;
    assert_eq!(response.status(), 201);
    let (_, caseload) = app
        .get_json(&format!("/v1/link-workers/{sam}/caseload"), &me)
        .await;
    let item = &caseload["items"][0];
    assert_eq!(
        item["first_contact_at"], item["last_contact_at"],
        "{caseload}"
    );
    assert_eq!(item["next_follow_up_on"], day_in(7), "{caseload}");

    let (_, list) = app
        .get_json(&format!("/v1/referrals/{id}/contacts"), &me)
        .await;
    let outcomes: Vec<&Value> = list["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| &c["outcome"])
        .collect();
    assert_eq!(
        outcomes,
        vec![
            "did_not_attend",
            "cancelled_by_person",
            "attended",
            "cancelled_by_service"
        ]
    );

    // The summary for the GP counts contacts that happened, and the others apart.
    let (status, summary) = app
        .get_json(&format!("/v1/referrals/{id}/summary"), &app.coordinator())
        .await;
    assert_eq!(status, 200, "{summary}");
    let contacts = &summary["contacts"];
    assert_eq!(contacts["count"], 1, "{contacts}");
    assert_eq!(contacts["not_attended"], 3, "{contacts}");
    assert_eq!(contacts["by_method"], json!({"in_person": 1}));
    app.finish().await;
}

#[tokio::test]
async fn a_contacts_outcome_location_and_who_was_present_read_back() {
    let app = spawn_app().await;
    let sam = id_of(&app.create_link_worker("sam", 5).await);
    let me = app.link_worker_token("sam");
    let id = app.assigned_referral(1, &sam).await;
    app.received_days_ago(&id, 30).await;
    let response = app
        .record_contact(
            &me,
            &id,
            json!({"mode": "supported_attendance", "occurred_at": days_ago(2), "outcome": "attended", "location_type": "activity_venue", "present": "  Her daughter, Claire  "}),
        )
        .await;
    assert_eq!(response.status(), 201);
    let recorded: Value = response.json().await.unwrap();
    assert_eq!(recorded["present"], "Her daughter, Claire");
    let (_, list) = app
        .get_json(&format!("/v1/referrals/{id}/contacts"), &me)
        .await;
    let read = &list["items"][0];
    for field in ["outcome", "location_type", "present", "mode", "occurred_at"] {
        assert_eq!(read[field], recorded[field], "{field}");
    }
    let (_, timeline) = app
        .get_json(&format!("/v1/referrals/{id}/timeline"), &me)
        .await;
    let contact = timeline["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["kind"] == "contact")
        .unwrap();
    assert_eq!(contact["contact"]["location_type"], "activity_venue");
    app.finish().await;
}

#[tokio::test]
async fn new_contact_fields_that_break_rules_are_named() {
    let app = spawn_app().await;
    let sam = id_of(&app.create_link_worker("sam", 5).await);
    let me = app.link_worker_token("sam");
    let id = app.assigned_referral(1, &sam).await;
    app.received_days_ago(&id, 30).await;
    let response = app
        .record_contact(
            &me,
            &id,
            json!({"mode": "phone", "occurred_at": days_ago(1), "outcome": "no_show", "location_type": "moon", "present": "x".repeat(151)}),
        )
        .await;
    let body = problem(response, 422).await;
    let mut named = fields(&body);
    named.sort();
    assert_eq!(named, vec!["location_type", "outcome", "present"], "{body}");
    assert_eq!(error_for(&body, "outcome")["code"], "not_in_list");
    assert_eq!(error_for(&body, "location_type")["code"], "not_in_list");
    assert_eq!(error_for(&body, "present")["code"], "too_long");

    let response = app
        .record_contact(
            &me,
            &id,
            json!({"mode": "phone", "occurred_at": days_ago(1), "present": "Claire\nTom"}),
        )
        .await;
    let body = problem(response, 422).await;
    assert_eq!(error_for(&body, "present")["code"], "control_characters");

    // A follow-up booked on a contact that did not happen is refused, naming the rule.
    for outcome in [
        "did_not_attend",
        "cancelled_by_person",
        "cancelled_by_service",
    ] {
        let response = app
            .record_contact(
                &me,
                &id,
                json!({"mode": "phone", "occurred_at": days_ago(1), "outcome": outcome, "next_follow_up_on": day_in(3)}),
            )
            .await;
        let body = problem(response, 422).await;
        assert_eq!(fields(&body), vec!["next_follow_up_on"], "{body}");
        assert_eq!(
            error_for(&body, "next_follow_up_on")["code"],
            "not_attended"
        );
    }
    let (_, list) = app
        .get_json(&format!("/v1/referrals/{id}/contacts"), &me)
        .await;
    assert_eq!(list["items"], json!([]), "nothing was written");
    app.finish().await;
}

#[tokio::test]
async fn the_plans_strengths_agreement_review_and_step_details_round_trip() {
    let app = spawn_app().await;
    let id = id_of(&app.create_referral(&app.referrer(), &referral_body()).await);
    let token = app.coordinator();
    let (_, empty) = app.plan(&token, &id).await;
    assert_eq!(empty["strengths"], json!([]));
    for field in ["agreed_with_person", "planned_review_on", "review_by"] {
        assert!(empty[field].is_null(), "{field}: {empty}");
    }

    let body = json!({
        "what_matters_to_me": "Local and family history; crochet",
        "goals": ["Meet people who share her interests"],
        "steps": [
            {"text": "Go to the local history group", "due_on": day_in(7), "who": " Margaret, with Sam ", "confidence": 6, "review_on": day_in(14)},
            {"text": "Ring her sister on Sundays", "status": "done"}
        ],
        "strengths": ["Knows the area's history", "Her sister lives nearby"],
        "agreed_with_person": true,
        "planned_review_on": day_in(60),
        "review_by": "Sam Taylor, link worker"
    });
    let response = app.put_plan(&token, &id, Some("\"v0\""), &body).await;
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["etag"], "\"v1\"");
    let saved: Value = response.json().await.unwrap();
    assert_eq!(saved["strengths"], body["strengths"]);
    assert_eq!(saved["agreed_with_person"], true);
    assert_eq!(saved["planned_review_on"], day_in(60));
    assert_eq!(saved["review_by"], "Sam Taylor, link worker");
    let step = &saved["steps"][0];
    assert_eq!(step["who"], "Margaret, with Sam");
    assert_eq!(step["confidence"], 6);
    assert_eq!(step["review_on"], day_in(14));
    let bare = &saved["steps"][1];
    assert!(bare["who"].is_null() && bare["confidence"].is_null() && bare["review_on"].is_null());
    let (etag, read) = app.plan(&token, &id).await;
    assert_eq!((etag.as_str(), &read), ("\"v1\"", &saved));

    // A new field alone makes a new version, and the old ETag no longer matches.
    let mut changed = body.clone();
    changed["agreed_with_person"] = json!(false);
    let response = app.put_plan(&token, &id, Some(&etag), &changed).await;
    assert_eq!(response.headers()["etag"], "\"v2\"");
    problem(app.put_plan(&token, &id, Some(&etag), &body).await, 412).await;

    // A client from before the fields saves a plan without them.
    let old = json!({"goals": ["Meet people"], "steps": [{"text": "Walk"}]});
    let response = app.put_plan(&token, &id, Some("\"v2\""), &old).await;
    assert_eq!(response.status(), 200);
    let saved: Value = response.json().await.unwrap();
    assert_eq!(saved["strengths"], json!([]));
    assert!(saved["agreed_with_person"].is_null() && saved["review_by"].is_null());
    assert!(saved["steps"][0]["confidence"].is_null());
    app.finish().await;
}

#[tokio::test]
async fn new_plan_fields_that_break_rules_are_named() {
    let app = spawn_app().await;
    let id = id_of(&app.create_referral(&app.referrer(), &referral_body()).await);
    let token = app.coordinator();
    let strengths: Vec<String> = (0..21).map(|i| format!("Strength {i}")).collect();
    let body = json!({
        "strengths": strengths,
        "planned_review_on": "in a month",
        "review_by": "x".repeat(71),
        "steps": [
            {"text": "Walk", "who": "y".repeat(71), "confidence": 0, "review_on": "2026-02-30"},
            {"text": "Swim", "who": "Sam\tTaylor", "confidence": 11, "review_on": "2200-01-01"}
        ]
    });
    let response = app.put_plan(&token, &id, Some("\"v0\""), &body).await;
    let body = problem(response, 422).await;
    for (field, code) in [
        ("strengths", "too_many"),
        ("planned_review_on", "date_format"),
        ("review_by", "too_long"),
        ("steps[0].who", "too_long"),
        ("steps[0].confidence", "out_of_range"),
        ("steps[0].review_on", "date_format"),
        ("steps[1].who", "control_characters"),
        ("steps[1].confidence", "out_of_range"),
        ("steps[1].review_on", "out_of_range"),
    ] {
        assert_eq!(error_for(&body, field)["code"], code, "{field}: {body}");
    }

    let body = json!({
        "strengths": [" ", "z".repeat(501)],
        "planned_review_on": "1899-12-31",
        "review_by": "Sam\nTaylor"
    });
    let response = app.put_plan(&token, &id, Some("\"v0\""), &body).await;
    let body = problem(response, 422).await;
    let mut named = fields(&body);
    named.sort();
    assert_eq!(
        named,
        vec![
            "planned_review_on",
            "review_by",
            "strengths[0]",
            "strengths[1]"
        ],
        "{body}"
    );
    assert_eq!(error_for(&body, "strengths[0]")["code"], "required");
    assert_eq!(error_for(&body, "strengths[1]")["code"], "too_long");
    assert_eq!(
        error_for(&body, "planned_review_on")["code"],
        "out_of_range"
    );
    assert_eq!(error_for(&body, "review_by")["code"], "control_characters");
    let (etag, _) = app.plan(&token, &id).await;
    assert_eq!(etag, "\"v0\"", "nothing was saved");
    app.finish().await;
}
