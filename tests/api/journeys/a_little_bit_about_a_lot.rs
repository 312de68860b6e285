//! Journey 3, a little bit about a lot (Leeds North), step by step through the public API.

use serde_json::{Value, json};

use crate::connections::connect;
use crate::directory::{activity_body, add_activity, add_provider, editor};
use crate::steps::*;
use crate::support::*;

/// Journey 3, on a fresh app.
pub async fn a_little_bit_about_a_lot(app: &TestApp) {
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
    app.received_days_ago(&id, 30).await;
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

    // The directory holds what Leeds North connects people to.
    let editor = editor(app);
    let provider = add_provider(app, &editor, "Leeds North Wellbeing").await;
    let place =
        |mut body: Value, category: &str, postcode: &str, day: &str, start: &str, end: &str| {
            body["categories"] = json!([category]);
            body["location"] =
                json!({"address": "Chapel Allerton", "town": "Leeds", "postcode": postcode});
            body["schedule"] = json!([{"day": day, "start": start, "end": end}]);
            body
        };
    for body in [
        place(
            activity_body(&provider, "Tai Chi for beginners"),
            "physical_activity",
            "LS7 4NZ",
            "wednesday",
            "10:00",
            "11:00",
        ),
        place(
            activity_body(&provider, "Tai Chi (evening)"),
            "physical_activity",
            "LS7 4NZ",
            "wednesday",
            "18:30",
            "19:30",
        ),
        place(
            activity_body(&provider, "Potternewton Park Walking Group"),
            "physical_activity",
            "LS7 4HB",
            "friday",
            "10:30",
            "11:30",
        ),
        place(
            activity_body(&provider, "Welfare benefits advice"),
            "money_and_benefits_advice",
            "LS7 3EF",
            "monday",
            "09:00",
            "12:00",
        ),
        place(
            activity_body(&provider, "Tai Chi in Bristol"),
            "physical_activity",
            "BS1 4DJ",
            "tuesday",
            "10:00",
            "11:00",
        ),
    ] {
        add_activity(app, &editor, &body).await;
    }
    let mut refuge = activity_body(&provider, "Domestic abuse support drop-in");
    refuge["categories"] = json!(["domestic_abuse_support"]);
    refuge["join_method"] = json!("referral");
    refuge["confidential_location"] = json!(true);
    refuge["location"] = json!({"postcode": "LS7 3JB", "area": "North Leeds"});
    add_activity(app, &editor, &refuge).await;

    // The coordinator searches near his postcode: Tai Chi on a weekday morning, free, and
    // a walking group. Search is public: no token.
    let search = |query: String| {
        let app = &app;
        async move {
            let response = app
                .get(&format!("/v1/activities?{query}"))
                .send()
                .await
                .unwrap();
            assert_eq!(response.status(), 200);
            response.json::<Value>().await.unwrap()
        }
    };
    let names = |page: &Value| -> Vec<String> {
        page["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|a| a["name"].as_str().unwrap().to_owned())
            .collect()
    };
    let tai_chi = search(
        "q=tai+chi&near=LS7+3JB&radius_km=5&free=true&day=monday&day=tuesday&day=wednesday&day=thursday&day=friday&from=06:00&to=12:00".into(),
    )
    .await;
    assert_eq!(names(&tai_chi), vec!["Tai Chi for beginners"]);
    assert!(tai_chi["items"][0]["distance_km"].as_f64().unwrap() < 5.0);
    let walking = search("q=walk&near=LS7+3JB&radius_km=5".into()).await;
    assert_eq!(names(&walking), vec!["Potternewton Park Walking Group"]);
    // A domestic abuse service marked confidential is never "near", though it is at his
    // very postcode.
    let near = search("near=LS7+3JB&radius_km=50".into()).await;
    assert!(!names(&near).iter().any(|n| n.contains("abuse")), "{near}");
    assert!(
        !names(&near).iter().any(|n| n.contains("Bristol")),
        "{near}"
    );

    // Both go on his plan as connections; they join the timeline.
    for page in [&tai_chi, &walking] {
        let activity = page["items"][0]["id"].as_str().unwrap();
        let made = connect(app, &me, &id, activity, false).await;
        assert_eq!(made["status"], "suggested");
    }

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
            "connection",
            "connection",
        ]
    );
}
