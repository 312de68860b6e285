//! Outcomes, the instruments' wording, and the referrer's status view (journey 1's
//! outcome part: the lifecycle moves come with the caseload work).

use serde_json::{Value, json};

use crate::support::*;

async fn record(app: &TestApp, token: &str, referral: &str, body: Value) -> reqwest::Response {
    app.post(&format!("/v1/referrals/{referral}/outcomes"))
        .bearer_auth(token)
        .json(&body)
        .send()
        .await
        .unwrap()
}

fn scale<'a>(changes: &'a Value, name: &str) -> &'a Value {
    changes
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["scale"] == name)
        .unwrap_or_else(|| panic!("no {name} in {changes}"))
}

#[tokio::test]
async fn a_carers_wellbeing_improves_and_her_gp_practice_reads_the_summary_back() {
    let app = spawn_app().await;
    let gp = app.referrer();
    let link_worker = app.token(ORG, &["link_worker"]);
    let referral = app.create_referral(&gp, &referral_body()).await;
    let id = referral["id"].as_str().unwrap();

    // Baseline at the first meeting: SWEMWBS raw 21 (metric 19.25), UCLA 8, ONS4.
    for body in [
        json!({"instrument": "swemwbs", "time_point": "baseline", "measured_on": "2026-11-21", "answers": [3, 3, 3, 3, 3, 3, 3]}),
        json!({"instrument": "ucla3", "time_point": "baseline", "measured_on": "2026-11-21", "answers": [3, 3, 2]}),
        json!({"instrument": "ons4", "time_point": "baseline", "measured_on": "2026-11-21", "answers": [4, 5, 4, 8]}),
    ] {
        let r = record(&app, &link_worker, id, body).await;
        assert_eq!(r.status(), 201, "{}", r.text().await.unwrap());
    }
    // Follow-up after weeks at the local history group.
    let r = record(&app, &link_worker, id, json!({"instrument": "swemwbs", "time_point": "follow_up", "measured_on": "2026-11-21", "answers": [4, 3, 4, 3, 4, 3, 4]})).await;
    assert_eq!(r.status(), 201);
    let follow_up: Value = r.json().await.unwrap();
    assert_eq!(scale(&follow_up["scores"], "metric")["value"], 22.35);
    assert_eq!(
        scale(&follow_up["change_from_baseline"], "metric")["change"],
        3.1
    );
    assert_eq!(
        scale(&follow_up["change_from_baseline"], "metric")["improved"],
        true
    );
    for body in [
        json!({"instrument": "ucla3", "time_point": "follow_up", "measured_on": "2026-11-21", "answers": [2, 2, 1]}),
        json!({"instrument": "ons4", "time_point": "discharge", "measured_on": "2026-11-21", "answers": [7, 8, 6, 3]}),
    ] {
        assert_eq!(record(&app, &link_worker, id, body).await.status(), 201);
    }

    let (status, outcomes) = app
        .get_json(&format!("/v1/referrals/{id}/outcomes"), &link_worker)
        .await;
    assert_eq!(status, 200);
    assert_eq!(outcomes["items"].as_array().unwrap().len(), 6);
    let summary = outcomes["summary"].as_array().unwrap();
    let of = |code: &str| summary.iter().find(|s| s["instrument"] == code).unwrap();
    assert_eq!(scale(&of("ucla3")["changes"], "total")["change"], -3.0);
    assert_eq!(scale(&of("ucla3")["changes"], "total")["improved"], true);
    let ons4 = &of("ons4")["changes"];
    assert_eq!(
        ons4.as_array().unwrap().len(),
        4,
        "ONS4 items stay separate"
    );
    assert_eq!(scale(ons4, "anxious_yesterday")["change"], -5.0);
    assert_eq!(scale(ons4, "anxious_yesterday")["improved"], true);
    assert_eq!(of("ons4")["latest_time_point"], "discharge");

    // The referring practice reads the limited view: outcome summary, no notes, no person.
    let (status, view) = app
        .get_json(&format!("/v1/referrals/{id}/status"), &gp)
        .await;
    assert_eq!(status, 200, "{view}");
    assert_eq!(view["status"], "received");
    assert_eq!(view["reference"], referral["reference"]);
    assert_eq!(view["assigned"], false);
    assert_eq!(view["closure_reason"], Value::Null);
    assert_eq!(view["connections_by_category"], json!({}));
    let swemwbs = view["outcomes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|o| o["instrument"] == "swemwbs")
        .unwrap();
    assert_eq!(scale(&swemwbs["changes"], "metric")["change"], 3.1);
    let text = view.to_string();
    for private in [
        "Margaret",
        "Hughes",
        "9434765919",
        "Cares for her",
        "answers",
    ] {
        assert!(!text.contains(private), "{private} leaked into {text}");
    }
    // A referrer cannot read the full outcomes with the answers.
    let (status, _) = app
        .get_json(&format!("/v1/referrals/{id}/outcomes"), &gp)
        .await;
    assert_eq!(status, 403);
    app.finish().await;
}

#[tokio::test]
async fn every_problem_of_a_measurement_is_listed_at_once() {
    let app = spawn_app().await;
    let token = app.token(ORG, &["link_worker"]);
    let referral = app.create_referral(&app.referrer(), &referral_body()).await;
    let id = referral["id"].as_str().unwrap();

    // A follow-up with no baseline, three answers where seven are needed, two out of range.
    let r = record(&app, &token, id, json!({"instrument": "swemwbs", "time_point": "follow_up", "measured_on": "2026-11-21", "answers": [0, 3, 6]})).await;
    let p = problem(r, 422).await;
    assert_eq!(error_for(&p, "answers")["code"], "item_count");
    assert_eq!(error_for(&p, "answers[0]")["code"], "out_of_range");
    assert_eq!(error_for(&p, "answers[2]")["code"], "out_of_range");
    assert_eq!(error_for(&p, "time_point")["code"], "baseline_required");
    assert_eq!(fields(&p).len(), 4);

    // Bad codes and a future date are listed with the answers' problems.
    let r = record(&app, &token, id, json!({"instrument": "ons4", "time_point": "sometime", "measured_on": "2190-01-01", "answers": [11, 5, 5, 5]})).await;
    let p = problem(r, 422).await;
    assert_eq!(error_for(&p, "time_point")["code"], "not_in_list");
    assert_eq!(error_for(&p, "measured_on")["code"], "in_future");
    assert_eq!(error_for(&p, "answers[0]")["code"], "out_of_range");

    // A second baseline, and a follow-up dated before the baseline.
    let baseline = json!({"instrument": "ucla3", "time_point": "baseline", "measured_on": "2026-11-20", "answers": [2, 2, 2]});
    assert_eq!(
        record(&app, &token, id, baseline.clone()).await.status(),
        201
    );
    let p = problem(record(&app, &token, id, baseline).await, 422).await;
    assert_eq!(error_for(&p, "time_point")["code"], "baseline_exists");
    let early = json!({"instrument": "ucla3", "time_point": "follow_up", "measured_on": "2026-11-01", "answers": [2, 2, 4]});
    let p = problem(record(&app, &token, id, early).await, 422).await;
    assert_eq!(error_for(&p, "measured_on")["code"], "before_baseline");
    assert_eq!(error_for(&p, "answers[2]")["code"], "out_of_range");

    // Nothing refused was stored.
    let (_, outcomes) = app
        .get_json(&format!("/v1/referrals/{id}/outcomes"), &token)
        .await;
    assert_eq!(outcomes["items"].as_array().unwrap().len(), 1);
    app.finish().await;
}

#[tokio::test]
async fn another_organisations_referral_has_no_outcomes_or_status_to_show() {
    let app = spawn_app().await;
    let referral = app.create_referral(&app.referrer(), &referral_body()).await;
    let id = referral["id"].as_str().unwrap();
    let other = app.token(OTHER_ORG, &["link_worker", "referrer"]);
    let body = json!({"instrument": "ucla3", "time_point": "baseline", "measured_on": "2026-11-20", "answers": [2, 2, 2]});
    problem(record(&app, &other, id, body).await, 404).await;
    let r = app
        .get(&format!("/v1/referrals/{id}/status"))
        .bearer_auth(&other)
        .send()
        .await
        .unwrap();
    problem(r, 404).await;
    let r = app
        .get(&format!("/v1/referrals/{id}/outcomes"))
        .bearer_auth(&other)
        .send()
        .await
        .unwrap();
    problem(r, 404).await;
    app.finish().await;
}

#[tokio::test]
async fn an_organisation_attaches_its_own_licensed_wording() {
    let app = spawn_app().await;
    let coordinator = app.token(ORG, &["coordinator"]);
    let (status, list) = app.get_json("/v1/instruments", &coordinator).await;
    assert_eq!(status, 200);
    let items = list["items"].as_array().unwrap();
    assert_eq!(items.len(), 3);
    assert!(
        items
            .iter()
            .all(|i| i["licensed"] == true && i["wording"].is_null())
    );
    let swemwbs = items.iter().find(|i| i["code"] == "swemwbs").unwrap();
    assert_eq!(
        (
            swemwbs["items"].clone(),
            swemwbs["answer_min"].clone(),
            swemwbs["answer_max"].clone()
        ),
        (json!(7), json!(1), json!(5))
    );

    let put = |body: Value| {
        app.client
            .put(app.url("/v1/instruments/ucla3/wording"))
            .bearer_auth(&coordinator)
            .json(&body)
            .send()
    };
    let p = problem(put(json!({"items": ["one", " "]})).await.unwrap(), 422).await;
    assert_eq!(error_for(&p, "items")["code"], "item_count");
    assert_eq!(error_for(&p, "items[1]")["code"], "required");
    let r = put(json!({"items": ["Our item one", "Our item two", "Our item three"], "licence": "L-2026-117"})).await.unwrap();
    assert_eq!(r.status(), 200);

    let (_, list) = app.get_json("/v1/instruments", &coordinator).await;
    let ucla = list["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["code"] == "ucla3")
        .unwrap()
        .clone();
    assert_eq!(ucla["wording"]["items"][2], "Our item three");
    assert_eq!(ucla["wording"]["licence"], "L-2026-117");
    // Another organisation does not see it.
    let (_, other) = app
        .get_json("/v1/instruments", &app.token(OTHER_ORG, &["coordinator"]))
        .await;
    assert!(
        other["items"]
            .as_array()
            .unwrap()
            .iter()
            .all(|i| i["wording"].is_null())
    );
    let r = app
        .client
        .put(app.url("/v1/instruments/phq9/wording"))
        .bearer_auth(&coordinator)
        .json(&json!({"items": []}))
        .send()
        .await
        .unwrap();
    problem(r, 404).await;
    app.finish().await;
}
