//! Journey 2, many surgeries, many doors (Birmingham), step by step through the public API.

use serde_json::json;

use crate::connections::connect;
use crate::directory::{activity_body, add_activity, add_provider, editor};
use crate::steps::*;
use crate::support::*;

/// Journey 2, on a fresh app.
pub async fn many_surgeries_many_doors(app: &TestApp) {
    let coordinator = app.coordinator();
    let today = time::OffsetDateTime::now_utc().date();

    // Referrals arrive from several practices (each its own GP system and ODS code)...
    let mut ids = Vec::new();
    for (n, practice) in [
        (21, "M85001"),
        (22, "M85001"),
        (23, "M85002"),
        (24, "M85003"),
    ] {
        let practice_system = app.token_with(|c| {
            c.sub = format!("{practice}-emis");
            c.roles = vec!["referrer".into()];
        });
        let mut body = person_body(n);
        body["referrer"]["ods_code"] = json!(practice);
        body["person"]["registered_practice"] = json!(practice);
        body["person"]["postcode"] = json!("B11 4BW");
        body["reasons"] = json!(["loneliness_isolation"]);
        ids.push(id_of(&app.create_referral(&practice_system, &body).await));
    }
    // ...from a self-referral form on a partner's website (no NHS number, minimal data)...
    let (_, key) = app
        .register_partner(
            ORG,
            "Carers Trust Birmingham",
            &["https://carers-birmingham.example.org"],
        )
        .await;
    let response = app.post_self_referral(&key, &self_referral_body()).await;
    assert_eq!(response.status(), 201);
    // ...and from a local agency, without an ODS code.
    let agency = app.token(ORG, &["referrer"]);
    let mut body = person_body(25);
    body["source"] = json!("local_agency");
    body["referrer"] = json!({"name": "Birmingham Settlement", "role": "Money advice worker"});
    body["reasons"] = json!(["money_benefits_debt", "loneliness_isolation"]);
    ids.push(id_of(&app.create_referral(&agency, &body).await));

    // The coordinator sees the unassigned queue, oldest first: all six.
    let (_, queue) = app.get_json("/v1/queue", &coordinator).await;
    let queued: Vec<&str> = queue["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["referral_id"].as_str().unwrap())
        .collect();
    assert_eq!(queued.len(), 6);
    assert_eq!(queued[0], ids[0].as_str());

    // Assignment follows capacity: Aisha has room for two, Ben for more.
    let aisha = id_of(&app.create_link_worker("birmingham|aisha", 2).await);
    let ben = id_of(&app.create_link_worker("birmingham|ben", 20).await);
    for (i, id) in ids.iter().enumerate() {
        app.move_to(id, json!({"to": "accepted"})).await;
        let worker = if i < 2 { &aisha } else { &ben };
        let r = app.assign(id, json!({"link_worker_id": worker})).await;
        assert_eq!(r.status(), 200, "{}", r.text().await.unwrap());
    }
    let (_, queue) = app.get_json("/v1/queue", &coordinator).await;
    assert_eq!(
        queue["items"].as_array().unwrap().len(),
        1,
        "the self-referral waits"
    );
    let self_referral = queue["items"][0]["referral_id"]
        .as_str()
        .unwrap()
        .to_owned();
    app.move_to(&self_referral, json!({"to": "accepted"})).await;
    let full = app
        .assign(&self_referral, json!({"link_worker_id": aisha}))
        .await;
    assert_eq!(problem(full, 409).await["status"], 409);
    let r = app
        .assign(&self_referral, json!({"link_worker_id": ben}))
        .await;
    assert_eq!(r.status(), 200);

    // The activities they are connected to: volunteering, social groups, gardening,
    // befriending calls, cookery, healthy eating and family activities.
    let editor = editor(app);
    let provider = add_provider(app, &editor, "Birmingham Community Partnership").await;
    let mut activities = Vec::new();
    for (name, category) in [
        ("Sparkbrook food bank volunteers", "volunteering"),
        ("Friday friendship group", "social_groups_and_befriending"),
        ("Balsall Heath community garden", "nature_and_gardening"),
        ("Befriending calls", "social_groups_and_befriending"),
        ("Cook and eat on a budget", "food_and_cooking"),
        ("Healthy eating advice", "food_and_cooking"),
        ("Family fun Saturdays", "family_activities"),
    ] {
        let mut body = activity_body(&provider, name);
        body["categories"] = json!([category]);
        body["location"] =
            json!({"address": "Ladypool Road", "town": "Birmingham", "postcode": "B12 8LA"});
        activities.push(id_of(&add_activity(app, &editor, &body).await));
    }
    let ben_token = app.link_worker_token("birmingham|ben");
    for (referral, activity) in [(&ids[2], 0), (&ids[2], 4), (&ids[3], 2), (&ids[4], 3)] {
        connect(app, &ben_token, referral, &activities[activity], false).await;
    }

    // The month's report: referrals by source and by practice.
    let first = today.replace_day(1).unwrap();
    let next = if first.month() == time::Month::December {
        time::Date::from_calendar_date(first.year() + 1, time::Month::January, 1).unwrap()
    } else {
        time::Date::from_calendar_date(first.year(), first.month().next(), 1).unwrap()
    };
    let (status, report) = app
        .get_json(
            &format!("/v1/reports/summary?from={first}&to={next}"),
            &coordinator,
        )
        .await;
    assert_eq!(status, 200, "{report}");
    assert_eq!(report["referrals"], 6);
    assert_eq!(
        report["by_source"],
        json!([{"code": "gp", "count": 4}, {"code": "local_agency", "count": 1}, {"code": "self", "count": 1}])
    );
    assert_eq!(
        report["by_practice"],
        json!([
            {"code": "M85001", "count": 2},
            {"code": null, "count": 2},
            {"code": "M85002", "count": 1},
            {"code": "M85003", "count": 1}
        ])
    );
    assert_eq!(
        report["by_status"],
        json!([{"code": "assigned", "count": 6}])
    );
    assert_eq!(
        report["connections_by_category"],
        json!({"food_and_cooking": 1, "nature_and_gardening": 1, "social_groups_and_befriending": 1, "volunteering": 1})
    );
    assert_eq!(report["connections_by_status"], json!({"suggested": 4}));
}
