//! The summary report on a fixed data set: exact numbers, as JSON and CSV (journey 2's
//! report: referrals by source and by practice for the month).

use serde_json::{Value, json};

use crate::connections::{connect, move_to};
use crate::directory::{activity_body, add_activity, add_provider, editor};
use crate::support::*;

fn referral(source: &str, practice: Option<&str>, reasons: &[&str]) -> Value {
    let mut body = referral_body();
    body["source"] = json!(source);
    body["reasons"] = json!(reasons);
    match practice {
        Some(ods) => body["referrer"]["ods_code"] = json!(ods),
        None => {
            body["referrer"].as_object_mut().unwrap().remove("ods_code");
        }
    }
    if source == "self" {
        body["person"].as_object_mut().unwrap().remove("nhs_number");
    }
    body
}

async fn record(
    app: &TestApp,
    token: &str,
    id: &str,
    instrument: &str,
    time_point: &str,
    answers: &[i64],
) {
    let r = app
        .post(&format!("/v1/referrals/{id}/outcomes"))
        .bearer_auth(token)
        .json(&json!({"instrument": instrument, "time_point": time_point, "measured_on": "2026-11-21", "answers": answers}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201, "{}", r.text().await.unwrap());
}

#[tokio::test]
async fn the_summary_counts_a_fixed_data_set_exactly() {
    let app = spawn_app().await;
    let referrer = app.token(ORG, &["referrer"]);
    let worker = app.token(ORG, &["link_worker"]);
    let mut ids = Vec::new();
    for (source, practice, reasons) in [
        (
            "gp",
            Some("B85001"),
            &["low_mood_anxiety", "carer_support"][..],
        ),
        ("gp", Some("B85001"), &["loneliness_isolation"][..]),
        (
            "local_agency",
            None,
            &["loneliness_isolation", "housing"][..],
        ),
        ("self", None, &["other"][..]),
        ("gp", Some("B85002"), &["low_mood_anxiety"][..]),
    ] {
        let r = app
            .create_referral(&referrer, &referral(source, practice, reasons))
            .await;
        ids.push(r["id"].as_str().unwrap().to_owned());
    }
    // Another organisation's referral never counts.
    app.create_referral(&app.token(OTHER_ORG, &["referrer"]), &referral_body())
        .await;

    // SWEMWBS: +5.78 (latest is the discharge) and -1.24; a baseline alone does not count.
    record(&app, &worker, &ids[0], "swemwbs", "baseline", &[3; 7]).await;
    record(
        &app,
        &worker,
        &ids[0],
        "swemwbs",
        "follow_up",
        &[4, 3, 4, 3, 4, 3, 4],
    )
    .await;
    record(&app, &worker, &ids[0], "swemwbs", "discharge", &[4; 7]).await;
    record(&app, &worker, &ids[1], "swemwbs", "baseline", &[2; 7]).await;
    record(
        &app,
        &worker,
        &ids[1],
        "swemwbs",
        "follow_up",
        &[2, 2, 2, 2, 2, 1, 1],
    )
    .await;
    record(&app, &worker, &ids[2], "swemwbs", "baseline", &[3; 7]).await;
    // UCLA: -3 (improved) and 0 (not).
    record(&app, &worker, &ids[0], "ucla3", "baseline", &[3, 3, 2]).await;
    record(&app, &worker, &ids[0], "ucla3", "follow_up", &[2, 2, 1]).await;
    record(&app, &worker, &ids[4], "ucla3", "baseline", &[2, 2, 2]).await;
    record(&app, &worker, &ids[4], "ucla3", "follow_up", &[2, 2, 2]).await;

    // Connections: two to the garden (one attending, one declined), one to the cookery
    // class (suggested), one to befriending calls (completed). An activity counts under
    // its main (first) category.
    let editor = editor(&app);
    let provider = add_provider(&app, &editor, "Birmingham Community Partnership").await;
    let activity = |name: &str, categories: Value| {
        let mut body = activity_body(&provider, name);
        body["categories"] = categories;
        body
    };
    let garden = add_activity(
        &app,
        &editor,
        &activity("Community garden", json!(["nature_and_gardening"])),
    )
    .await;
    let cookery = add_activity(
        &app,
        &editor,
        &activity("Cookery class", json!(["food_and_cooking"])),
    )
    .await;
    let calls = add_activity(
        &app,
        &editor,
        &activity(
            "Befriending calls",
            json!(["social_groups_and_befriending", "volunteering"]),
        ),
    )
    .await;
    for (referral, activity, moves) in [
        (&ids[0], &garden, &["attending"][..]),
        (&ids[0], &cookery, &[][..]),
        (&ids[1], &calls, &["attending", "completed"][..]),
        (&ids[3], &garden, &["declined"][..]),
    ] {
        let c = connect(
            &app,
            &worker,
            referral,
            activity["id"].as_str().unwrap(),
            false,
        )
        .await;
        for status in moves {
            let r = move_to(
                &app,
                &worker,
                referral,
                c["id"].as_str().unwrap(),
                status,
                "",
            )
            .await;
            assert_eq!(r.status(), 200);
        }
    }

    let coordinator = app.token(ORG, &["coordinator"]);
    let today = time::OffsetDateTime::now_utc().date();
    let path = format!(
        "/v1/reports/summary?from={}&to={}",
        today - time::Duration::days(30),
        today
    );
    let (status, report) = app.get_json(&path, &coordinator).await;
    assert_eq!(status, 200, "{report}");
    assert_eq!(report["referrals"], 5);
    assert_eq!(
        report["by_source"],
        json!([{"code": "gp", "count": 3}, {"code": "local_agency", "count": 1}, {"code": "self", "count": 1}])
    );
    assert_eq!(
        report["by_practice"],
        json!([{"code": "B85001", "count": 2}, {"code": null, "count": 2}, {"code": "B85002", "count": 1}])
    );
    assert_eq!(
        report["by_reason"],
        json!([
            {"code": "loneliness_isolation", "count": 2},
            {"code": "low_mood_anxiety", "count": 2},
            {"code": "carer_support", "count": 1},
            {"code": "housing", "count": 1},
            {"code": "other", "count": 1}
        ])
    );
    assert_eq!(
        report["by_status"],
        json!([{"code": "received", "count": 5}])
    );
    assert_eq!(
        report["days_to_first_contact"],
        json!({"referrals": 0, "median_days": null, "p90_days": null})
    );
    assert_eq!(
        report["connections_by_category"],
        json!({"food_and_cooking": 1, "nature_and_gardening": 2, "social_groups_and_befriending": 1})
    );
    assert_eq!(
        report["connections_by_status"],
        json!({"attending": 1, "completed": 1, "declined": 1, "suggested": 1})
    );
    assert_eq!(
        report["outcomes"],
        json!([
            {"instrument": "swemwbs", "scale": "metric", "people_with_baseline_and_follow_up": 2, "mean_change": 2.27, "improved": 1, "share_improved": 0.5},
            {"instrument": "swemwbs", "scale": "raw", "people_with_baseline_and_follow_up": 2, "mean_change": 2.5, "improved": 1, "share_improved": 0.5},
            {"instrument": "ucla3", "scale": "total", "people_with_baseline_and_follow_up": 2, "mean_change": -1.5, "improved": 1, "share_improved": 0.5}
        ])
    );

    // The same numbers as CSV.
    let r = app
        .get(&path)
        .bearer_auth(&coordinator)
        .header("Accept", "text/csv")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert!(
        r.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/csv")
    );
    let csv = r.text().await.unwrap();
    for line in [
        "section,code,measure,value",
        "referrals,,count,5",
        "by_source,gp,count,3",
        "by_practice,B85001,count,2",
        "by_practice,,count,2",
        "by_reason,loneliness_isolation,count,2",
        "outcomes,swemwbs.metric,mean_change,2.27",
        "outcomes,ucla3.total,share_improved,0.5",
        "connections_by_category,nature_and_gardening,count,2",
        "connections_by_status,declined,count,1",
    ] {
        assert!(csv.lines().any(|l| l == line), "no {line} in\n{csv}");
    }

    // A period with nothing in it, and periods that are not valid.
    let (_, empty) = app
        .get_json(
            "/v1/reports/summary?from=2020-01-01&to=2020-01-31",
            &coordinator,
        )
        .await;
    assert_eq!(empty["referrals"], 0);
    assert_eq!(empty["outcomes"], json!([]));
    assert_eq!(empty["connections_by_status"], json!({}));
    let r = app
        .get("/v1/reports/summary?from=2026-12-01&to=2026-11-01")
        .bearer_auth(&coordinator)
        .send()
        .await
        .unwrap();
    assert_eq!(error_for(&problem(r, 422).await, "to")["code"], "period");
    let r = app
        .get("/v1/reports/summary?to=nonsense")
        .bearer_auth(&coordinator)
        .send()
        .await
        .unwrap();
    let p = problem(r, 422).await;
    assert_eq!(fields(&p), vec!["from", "to"]);
    app.finish().await;
}
