//! The journeys of `shared/scenarios.md`, told through the public API only.
//!
//! Journeys 1 and 3 here cover referral, triage, assignment, caseload, contacts and the
//! plan. Marked `EXTEND` is where the activity directory (connections, search) and the
//! outcome measures join the story when those land.

use serde_json::{Value, json};

use crate::steps::*;
use crate::support::*;

/// 1. A carer who needs a push (Kirklees).
#[tokio::test]
async fn journey_1_a_carer_who_needs_a_push() {
    let app = spawn_app().await;
    let coordinator = app.coordinator();

    // Her GP practice refers her: anxiety and low mood, an autoimmune condition, and caring
    // for her adult son.
    let gp = app.token_with(|c| {
        c.sub = "b85001-emis".into();
        c.roles = vec!["referrer".into()];
    });
    let mut referral = referral_body();
    referral["reasons"] = json!(["low_mood_anxiety", "long_term_condition", "carer_support"]);
    let created = app.create_referral(&gp, &referral).await;
    let id = id_of(&created);

    // The coordinator finds it in the unassigned queue, accepts it and gives it to a link
    // worker with room on their caseload.
    let (_, queue) = app.get_json("/v1/queue", &coordinator).await;
    assert_eq!(queue["items"][0]["referral_id"], id.as_str());
    assert_eq!(queue["items"][0]["overdue"], false);
    app.move_to(&id, json!({"to": "accepted"})).await;
    let jo = id_of(&app.create_link_worker("kirklees|jo", 35).await);
    let assigned: Value = app
        .assign(&id, json!({"link_worker_id": jo}))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(assigned["status"], "assigned");
    let (_, queue) = app.get_json("/v1/queue", &coordinator).await;
    assert_eq!(queue["items"], json!([]));

    // The link worker opens her caseload: a new person waiting for a first contact.
    let jo_token = app.link_worker_token("kirklees|jo");
    let (_, me) = app.get_json("/v1/link-workers/me", &jo_token).await;
    let caseload_path = format!("/v1/link-workers/{}/caseload", id_of(&me));
    let (_, caseload) = app.get_json(&caseload_path, &jo_token).await;
    assert_eq!(caseload["items"][0]["referral_id"], id.as_str());
    assert_eq!(caseload["items"][0]["attention"], "waiting_first_contact");
    assert_eq!(caseload["capacity_left"], 34);

    // They meet. What matters to her is local and family history, and crochet.
    let met: Value = app
        .record_contact(
            &jo_token,
            &id,
            json!({"mode": "in_person", "occurred_at": days_ago(14), "minutes": 60,
                   "notes": "Met at the practice. Loves local and family history, and crochet.",
                   "next_follow_up_on": day_in(-7)}),
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(met["referral_status"], "in_progress");
    let (etag, _) = app.plan(&jo_token, &id).await;
    let plan = json!({
        "what_matters_to_me": "Local and family history. Crochet. Time for herself while her son is looked after.",
        "goals": ["Meet people who share her interests", "A few hours a week for herself"],
        "steps": [
            {"text": "Try the knit and natter group at the branch library", "status": "planned"},
            {"text": "Call the carers' information service", "status": "planned"}
        ]
    });
    let response = app.put_plan(&jo_token, &id, Some(&etag), &plan).await;
    assert_eq!(response.status(), 200);
    let etag = response.headers()["etag"].to_str().unwrap().to_owned();
    // EXTEND (directory): four connections, `suggested`: knit-and-natter at a branch
    // library, a carers' information service, a family history society, and a local
    // history group at another library.

    // The follow-up date passes: the caseload says so.
    let (_, caseload) = app.get_json(&caseload_path, &jo_token).await;
    assert_eq!(caseload["items"][0]["attention"], "follow_up_overdue");
    assert_eq!(caseload["items"][0]["follow_up_overdue_days"], 7);

    // At follow-up she has done none of it: mornings are too hard. The link worker arranges
    // to go with her to the local history group.
    app.record_contact(
        &jo_token,
        &id,
        json!({"mode": "phone", "occurred_at": days_ago(6), "minutes": 20,
               "notes": "Has not managed any of it: mornings are too hard. Will go with her to the local history group (afternoons).",
               "next_follow_up_on": day_in(-1)}),
    )
    .await;
    let plan = json!({
        "what_matters_to_me": "Local and family history. Crochet. Time for herself while her son is looked after.",
        "goals": ["Meet people who share her interests", "A few hours a week for herself"],
        "steps": [
            {"text": "Try the knit and natter group at the branch library", "status": "dropped"},
            {"text": "Call the carers' information service", "status": "planned"},
            {"text": "Go to the local history group with Jo (afternoon session)", "due_on": day_in(-1), "status": "planned"}
        ]
    });
    let response = app.put_plan(&jo_token, &id, Some(&etag), &plan).await;
    assert_eq!(response.status(), 200);
    let etag = response.headers()["etag"].to_str().unwrap().to_owned();

    // The supported attendance happens; she keeps going weekly and volunteers in the
    // group's oral history project; she arranges a sitter for her son.
    app.record_contact(
        &jo_token,
        &id,
        json!({"mode": "supported_attendance", "occurred_at": days_ago(1), "minutes": 120,
               "notes": "Went with her to the local history group. She wants to go back next week.",
               "next_follow_up_on": day_in(13)}),
    )
    .await;
    // EXTEND (directory): the local history group connection becomes `attending`, with
    // supported first attendance.
    let plan = json!({
        "what_matters_to_me": "Local and family history. Crochet. Time for herself while her son is looked after.",
        "goals": ["Meet people who share her interests", "A few hours a week for herself"],
        "steps": [
            {"text": "Try the knit and natter group at the branch library", "status": "dropped"},
            {"text": "Call the carers' information service", "status": "done"},
            {"text": "Go to the local history group with Jo (afternoon session)", "due_on": day_in(-1), "status": "done"},
            {"text": "Volunteer in the group's oral history project", "status": "done"},
            {"text": "Arrange a sitter for her son on group afternoons", "status": "done"}
        ]
    });
    let response = app.put_plan(&jo_token, &id, Some(&etag), &plan).await;
    assert_eq!(response.status(), 200);
    let (_, caseload) = app.get_json(&caseload_path, &jo_token).await;
    assert_eq!(caseload["items"][0]["attention"], "follow_up_scheduled");
    assert_eq!(caseload["counts"]["in_progress"], 1);

    // EXTEND (outcomes): baseline and follow-up wellbeing scores show improvement.
    // The referral closes with goals met.
    let closed = app
        .transition(
            &jo_token,
            &id,
            json!({"to": "closed", "reason": "goals_met", "note": "Attends weekly and volunteers."}),
        )
        .await;
    assert_eq!(closed.status(), 201);
    let (_, caseload) = app.get_json(&caseload_path, &jo_token).await;
    assert_eq!(caseload["items"], json!([]));
    assert_eq!(caseload["capacity_left"], 35);

    // The GP practice reads back what became of its referral.
    let (status, readback) = app.get_json(&format!("/v1/referrals/{id}"), &gp).await;
    assert_eq!(status, 200);
    assert_eq!(readback["status"], "closed");
    // EXTEND (outcomes): the referrer's status view with the outcome summary, and the
    // `referral.closed` webhook.

    // The timeline tells the whole story, in order.
    assert_eq!(
        app.timeline_kinds(&coordinator, &id).await,
        vec![
            "status:received",
            "status:accepted",
            "status:assigned",
            "assigned",
            "contact",
            "status:in_progress",
            "plan_updated",
            "contact",
            "plan_updated",
            "contact",
            "plan_updated",
            "status:closed",
        ]
    );
    let (_, history) = app
        .get_json(&format!("/v1/referrals/{id}/history"), &coordinator)
        .await;
    let last = history["items"].as_array().unwrap().last().unwrap().clone();
    assert_eq!(
        (
            last["to"].clone(),
            last["reason"].clone(),
            last["actor"].clone()
        ),
        (json!("closed"), json!("goals_met"), json!("kirklees|jo"))
    );
    app.finish().await;
}

/// 3. A little bit about a lot (Leeds North).
#[tokio::test]
async fn journey_3_a_little_bit_about_a_lot() {
    let app = spawn_app().await;
    let coordinator = app.coordinator();

    // Referred by his surgery for housing support.
    let mut referral = person_body(3);
    referral["person"]["given_name"] = "Derek".into();
    referral["person"]["family_name"] = "Ashworth".into();
    referral["person"]["postcode"] = "LS7 3JB".into();
    referral["reasons"] = json!(["housing"]);
    referral["notes"] = "Rent arrears; asked for help with housing.".into();
    let id = id_of(&app.create_referral(&app.referrer(), &referral).await);
    app.move_to(&id, json!({"to": "accepted"})).await;

    // The wellbeing coordinator at the surgery holds the caseload.
    let priya = id_of(&app.create_link_worker("leeds|priya", 30).await);
    app.assign(&id, json!({"link_worker_id": priya})).await;
    let me = app.link_worker_token("leeds|priya");

    // First conversation: housing is the start, but he turns out to be very lonely. Her
    // three questions go into the plan's "what matters to me".
    app.record_contact(
        &me,
        &id,
        json!({"mode": "in_person", "occurred_at": days_ago(7), "minutes": 40,
               "notes": "Housing advice booked. Very lonely since his wife died.",
               "next_follow_up_on": day_in(0)}),
    )
    .await;
    let (etag, plan) = app.plan(&me, &id).await;
    assert_eq!(plan["version"], 0);
    let what_matters = "How does your day look? Quiet; I don't see anyone from one week to the next.\n\
        What is your passion? Gardening, before my knee went.\n\
        What has helped before? Walking with my brother.";
    let this_week = json!({
        "what_matters_to_me": what_matters,
        "goals": ["Get out of the house most days", "Sort out the rent arrears"],
        "steps": [{"text": "A short walk to Potternewton Park, with the printed directions", "due_on": day_in(0), "status": "planned"}]
    });
    let response = app.put_plan(&me, &id, Some(&etag), &this_week).await;
    assert_eq!(response.status(), 200);
    let week_one_etag = response.headers()["etag"].to_str().unwrap().to_owned();
    let saved: Value = response.json().await.unwrap();
    assert_eq!(saved["what_matters_to_me"], what_matters);
    assert_eq!(saved["steps"].as_array().unwrap().len(), 1);

    // Next week's review: the follow-up is due today, so it is in the caseload in order.
    let (_, caseload) = app
        .get_json(&format!("/v1/link-workers/{priya}/caseload"), &me)
        .await;
    assert_eq!(caseload["items"][0]["attention"], "follow_up_scheduled");
    assert_eq!(caseload["items"][0]["next_follow_up_on"], day_in(0));

    // He did the walk. The step is done; the next small step follows.
    app.record_contact(
        &me,
        &id,
        json!({"mode": "phone", "occurred_at": days_ago(0), "minutes": 15,
               "notes": "Walked to the park twice.", "next_follow_up_on": day_in(7)}),
    )
    .await;
    let next_week = json!({
        "what_matters_to_me": what_matters,
        "goals": ["Get out of the house most days", "Sort out the rent arrears"],
        "steps": [
            {"text": "A short walk to Potternewton Park, with the printed directions", "due_on": day_in(0), "status": "done"},
            {"text": "Try the Tai Chi class at the community centre", "due_on": day_in(7), "status": "planned"}
        ]
    });
    // A colleague editing from an old copy of the plan would lose the review: refused.
    let (etag, _) = app.plan(&me, &id).await;
    assert_eq!(etag, week_one_etag);
    let response = app.put_plan(&me, &id, Some(&etag), &next_week).await;
    assert_eq!(response.status(), 200);
    problem(
        app.put_plan(&coordinator, &id, Some(&week_one_etag), &this_week)
            .await,
        412,
    )
    .await;
    let (etag, plan) = app.plan(&coordinator, &id).await;
    assert_eq!(etag, "\"v2\"");
    assert_eq!(plan["steps"][0]["status"], "done");
    assert_eq!(plan["steps"][1]["status"], "planned");

    // EXTEND (directory): activity search near LS7 finds Tai Chi on a weekday morning,
    // free, and a walking group; a domestic abuse service marked confidential-location is
    // never shown as "near" by a public search. Connections to them join the timeline.

    let kinds = app.timeline_kinds(&coordinator, &id).await;
    assert_eq!(
        kinds,
        vec![
            "status:received",
            "status:accepted",
            "status:assigned",
            "assigned",
            "contact",
            "status:in_progress",
            "plan_updated",
            "contact",
            "plan_updated",
        ]
    );
    app.finish().await;
}
