//! Journey 1, a carer who needs a push (Kirklees), step by step through the public API.

use std::time::Duration;

use serde_json::{Value, json};

use crate::connections::{connect, move_to as move_connection};
use crate::directory::{activity_body, add_activity, add_provider, editor};
use crate::steps::*;
use crate::support::*;
use crate::webhooks::{Receiver, SECRET};

/// Journey 1, on a fresh app whose webhook worker polls often.
pub async fn a_carer_who_needs_a_push(app: &TestApp) {
    let coordinator = app.coordinator();

    // The service has subscribed the practice's system to closure and outcome events.
    let practice_system = Receiver::start(0, Duration::ZERO);
    let subscribed = app
        .post("/v1/webhooks")
        .bearer_auth(app.token(ORG, &["admin"]))
        .json(&json!({"url": practice_system.url, "secret": SECRET,
                      "event_types": ["referral.closed", "outcome.recorded",
                                      "referral.summary_available"]}))
        .send()
        .await
        .unwrap();
    assert_eq!(subscribed.status(), 201);

    // The directory holds Kirklees libraries' groups and the carers' service.
    let editor = editor(app);
    let libraries = add_provider(app, &editor, "Kirklees Libraries").await;
    let carers = add_provider(app, &editor, "Carers Count Kirklees").await;
    let activity = |provider: &str, name: &str, category: &str, start: &str, postcode: &str| {
        let mut body = activity_body(provider, name);
        body["categories"] = json!([category]);
        body["schedule"] = json!([{"day": "wednesday", "start": start, "end": "16:00"}]);
        body["location"] =
            json!({"address": "Kirklees", "town": "Huddersfield", "postcode": postcode});
        body
    };
    let mut activities = Vec::new();
    for body in [
        activity(
            &libraries,
            "Knit and Natter at Birstall Library",
            "arts_and_crafts",
            "10:00",
            "WF17 9HE",
        ),
        activity(
            &carers,
            "Carers Information Service",
            "carers_support",
            "09:30",
            "HD1 2SP",
        ),
        activity(
            &libraries,
            "Huddersfield and District Family History Society",
            "learning_and_local_history",
            "10:30",
            "HD1 2SU",
        ),
        activity(
            &libraries,
            "Local History Group at Dewsbury Library",
            "learning_and_local_history",
            "14:00",
            "WF13 1HA",
        ),
    ] {
        activities.push(id_of(&add_activity(app, &editor, &body).await));
    }

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

    // They meet (the referral came in a month ago). What matters to her is local and
    // family history, and crochet.
    app.received_days_ago(&id, 30).await;
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
    // Four connections, `suggested`: knit-and-natter at a branch library, a carers'
    // information service, a family history society, and a local history group at
    // another library.
    let mut connections = Vec::new();
    for activity in &activities {
        let made = connect(app, &jo_token, &id, activity, false).await;
        assert_eq!(made["status"], "suggested");
        connections.push(id_of(&made));
    }
    let [knit, carers_info, _family_history, local_history] =
        <[String; 4]>::try_from(connections).unwrap();

    // Baseline wellbeing at the first meeting: SWEMWBS raw 21 (metric 19.25); UCLA 8.
    for body in [
        json!({"instrument": "swemwbs", "time_point": "baseline", "measured_on": day_in(-14), "answers": [3, 3, 3, 3, 3, 3, 3]}),
        json!({"instrument": "ucla3", "time_point": "baseline", "measured_on": day_in(-14), "answers": [3, 3, 2]}),
    ] {
        let r = app
            .post_json(&format!("/v1/referrals/{id}/outcomes"), &jo_token, &body)
            .await;
        assert_eq!(r.status(), 201, "{}", r.text().await.unwrap());
    }

    // The follow-up date passes: the caseload says so.
    let (_, caseload) = app.get_json(&caseload_path, &jo_token).await;
    assert_eq!(caseload["items"][0]["attention"], "follow_up_overdue");
    assert_eq!(caseload["items"][0]["follow_up_overdue_days"], 7);

    // At follow-up she has done none of it: mornings are too hard. The link worker arranges
    // to go with her to the local history group, which meets in the afternoon.
    let declined = move_connection(
        app,
        &jo_token,
        &id,
        &knit,
        "declined",
        "Mornings are too hard.",
    )
    .await;
    assert_eq!(declined.status(), 200);
    let referred = app
        .client
        .patch(app.url(&format!("/v1/referrals/{id}/connections/{local_history}")))
        .bearer_auth(&jo_token)
        .json(
            &json!({"status": "referred", "supported_first_attendance": true,
                      "note": "Afternoon session; Jo will go with her."}),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(referred.status(), 200);
    let referred: Value = referred.json().await.unwrap();
    assert_eq!(referred["supported_first_attendance"], true);
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
    // The local history group connection becomes `attending`; the carers' service
    // helped, the family history society is for later.
    for (connection, status) in [
        (&local_history, "attending"),
        (&carers_info, "attending"),
        (&carers_info, "completed"),
    ] {
        let moved = move_connection(app, &jo_token, &id, connection, status, "").await;
        assert_eq!(moved.status(), 200, "{}", moved.text().await.unwrap());
    }
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

    // Follow-up wellbeing scores show improvement: SWEMWBS raw 25 (metric 22.35, +3.1),
    // UCLA 5 (-3: less lonely).
    for body in [
        json!({"instrument": "swemwbs", "time_point": "follow_up", "measured_on": day_in(0), "answers": [4, 3, 4, 3, 4, 3, 4]}),
        json!({"instrument": "ucla3", "time_point": "follow_up", "measured_on": day_in(0), "answers": [2, 2, 1]}),
    ] {
        let r = app
            .post_json(&format!("/v1/referrals/{id}/outcomes"), &jo_token, &body)
            .await;
        assert_eq!(r.status(), 201, "{}", r.text().await.unwrap());
    }
    // Before closing, the link worker records risks (PRSB: at least one entry, or "no
    // known risks") and writes her part of the message back to the GP.
    let risks = app
        .put_json(
            &format!("/v1/referrals/{id}/risks"),
            &jo_token,
            &json!({"risks": [{"description": "Carer strain: sole carer for her son",
                               "comment": "Sitter now arranged for group afternoons"}]}),
        )
        .await;
    assert_eq!(risks.status(), 200, "{}", risks.text().await.unwrap());
    let message = app
        .put_json(
            &format!("/v1/referrals/{id}/message-back"),
            &jo_token,
            &json!({"summary": "Mornings were too hard at first. After a supported visit she goes to the local history group weekly and volunteers in its oral history project.",
                    "actions_for_person": "Keep going to the group; keep the sitter booked.",
                    "agreed_with_person": true}),
        )
        .await;
    assert_eq!(message.status(), 200, "{}", message.text().await.unwrap());
    let message: Value = message.json().await.unwrap();
    assert_eq!(message["actions_for_professionals"], "No actions required");

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

    // The GP practice reads back what became of its referral: not the full record (the
    // case is the service's)...
    let (status, _) = app.get_json(&format!("/v1/referrals/{id}"), &gp).await;
    assert_eq!(status, 403);
    let (status, readback) = app
        .get_json(&format!("/v1/referrals/{id}"), &coordinator)
        .await;
    assert_eq!(status, 200, "{readback}");
    assert_eq!(readback["status"], "closed");
    // ...but its limited status view: the outcome summary and the connections she took
    // up by category (not the declined knit and natter, nor the family history society
    // only suggested), every connection counted by category and status, no notes and
    // nothing about her.
    let (status, view) = app
        .get_json(&format!("/v1/referrals/{id}/status"), &gp)
        .await;
    assert_eq!(status, 200, "{view}");
    assert_eq!(view["status"], "closed");
    assert_eq!(view["source"], "gp");
    assert_eq!(
        view["reasons"],
        json!(["low_mood_anxiety", "long_term_condition", "carer_support"])
    );
    assert_eq!(view["referrer_organisation"], ORG);
    assert_eq!(view["receiving_service"], ORG);
    assert_eq!(view["closure_reason"], "goals_met");
    assert_eq!(view["decline_reason"], Value::Null);
    assert_eq!(view["assigned"], true);
    assert_eq!(
        view["connections_by_category"],
        json!({"carers_support": 1, "learning_and_local_history": 1})
    );
    assert_eq!(
        view["connections"],
        json!([
            {"category": "arts_and_crafts", "status": "declined", "count": 1},
            {"category": "carers_support", "status": "completed", "count": 1},
            {"category": "learning_and_local_history", "status": "suggested", "count": 1},
            {"category": "learning_and_local_history", "status": "attending", "count": 1}
        ])
    );
    let change = |instrument: &str, scale: &str| {
        view["outcomes"]
            .as_array()
            .unwrap()
            .iter()
            .find(|o| o["instrument"] == instrument)
            .and_then(|o| {
                o["changes"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .find(|c| c["scale"] == scale)
            })
            .map(|c| (c["change"].clone(), c["improved"].clone()))
            .unwrap_or_else(|| panic!("no {instrument}.{scale} in {view}"))
    };
    assert_eq!(change("swemwbs", "metric"), (json!(3.1), json!(true)));
    assert_eq!(change("ucla3", "total"), (json!(-3.0), json!(true)));
    let text = view.to_string();
    for private in ["Margaret", "Hughes", "crochet", "Mornings", "Jo will go"] {
        assert!(!text.contains(private), "{private} leaked into {text}");
    }
    // Its FHIR Task is completed, with the connections and the outcome change as codes.
    let (status, task) = app.get_json(&format!("/fhir/r4/Task/{id}"), &gp).await;
    assert_eq!(status, 200, "{task}");
    assert_eq!(task["status"], "completed");
    let outputs = task["output"].as_array().unwrap();
    let connection_statuses: Vec<&str> = outputs
        .iter()
        .filter(|o| o["type"]["coding"][0]["code"] == "connection")
        .map(|o| {
            o["valueCodeableConcept"]["coding"][0]["code"]
                .as_str()
                .unwrap()
        })
        .collect();
    assert_eq!(
        connection_statuses,
        vec!["declined", "completed", "suggested", "attending"]
    );
    let swemwbs_metric = outputs
        .iter()
        .find(|o| o["type"]["coding"][2]["code"] == "swemwbs.metric")
        .unwrap_or_else(|| panic!("no SWEMWBS change in {task}"));
    assert_eq!(swemwbs_metric["valueDecimal"], 3.1);
    // The practice receives the message back the PRSB standard describes, as JSON, as a
    // FHIR document and as a PDF to file in her record; its copy has no risks.
    crate::summary::the_practice_files_the_summary(app, &id, &gp, &coordinator).await;

    // And the practice system received the closure, the outcome and the summary events,
    // signed: one summary event for the message back, one for the closure.
    practice_system.wait_for(7, 20).await;
    let events: Vec<Value> = practice_system
        .all()
        .iter()
        .map(|r| {
            assert!(r.verifies(SECRET));
            r.json()
        })
        .collect();
    let closed_event = events
        .iter()
        .find(|e| e["type"] == "referral.closed")
        .unwrap_or_else(|| panic!("no referral.closed in {events:?}"));
    assert_eq!(closed_event["data"]["referral_id"], id.as_str());
    assert_eq!(closed_event["data"]["closure_reason"], "goals_met");
    assert_eq!(
        events
            .iter()
            .filter(|e| e["type"] == "outcome.recorded")
            .count(),
        4
    );
    let summaries: Vec<&Value> = events
        .iter()
        .filter(|e| e["type"] == "referral.summary_available")
        .collect();
    assert_eq!(summaries.len(), 2, "{events:?}");
    assert_eq!(
        summaries[0]["data"]["summary"],
        format!("/v1/referrals/{id}/summary")
    );

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
            "connection",
            "connection",
            "connection",
            "connection",
            "outcome_recorded",
            "outcome_recorded",
            "connection",
            "connection",
            "contact",
            "plan_updated",
            "contact",
            "connection",
            "connection",
            "connection",
            "plan_updated",
            "outcome_recorded",
            "outcome_recorded",
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
}
