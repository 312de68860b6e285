//! A GP practice system posts a referral and reads it back.

use serde_json::Value;

use crate::support::*;

#[tokio::test]
async fn a_gp_practice_posts_a_referral_and_reads_it_back() {
    let app = spawn_app().await;
    let token = app.referrer();

    let response = app.post_referral(&token, &referral_body()).await;
    assert_eq!(response.status(), 201);
    let location = response.headers()["location"].to_str().unwrap().to_owned();
    let created: Value = response.json().await.unwrap();
    assert_eq!(created["status"], "received");
    let reference = created["reference"].as_str().unwrap();
    assert_eq!(reference.len(), "SRX-XXXX-XXXX".len());
    assert_eq!(
        location,
        format!("/v1/referrals/{}", created["id"].as_str().unwrap())
    );
    // No receiving service named: the practice's own organisation receives it.
    assert_eq!(created["receiving_service"], ORG);
    assert_eq!(created["referrer_organisation"], ORG);

    // The practice's referrer reads back the referrer's view, not the full record.
    let (status, _) = app.get_json(&location, &token).await;
    assert_eq!(status, 403);
    let (status, view) = app.get_json(&format!("{location}/status"), &token).await;
    assert_eq!(status, 200, "{view}");
    assert_eq!(view["id"], created["id"]);
    assert_eq!(view["reference"], reference);
    assert_eq!(view["status"], "received");
    assert_eq!(view["source"], "gp");
    assert_eq!(
        view["reasons"],
        serde_json::json!(["low_mood_anxiety", "long_term_condition", "carer_support"])
    );
    assert_eq!(view["referrer_organisation"], ORG);
    assert_eq!(view["receiving_service"], ORG);
    assert_eq!(view["received_at"], created["created_at"]);
    assert!(view.get("person").is_none(), "{view}");
    assert!(view.get("notes").is_none(), "{view}");

    // The service's staff read the full record as it was sent.
    let (status, referral) = app
        .get_json(&location, &app.token(ORG, &["coordinator"]))
        .await;
    assert_eq!(status, 200);
    assert_eq!(referral["id"], created["id"]);
    assert_eq!(referral["referrer_organisation"], ORG);
    assert_eq!(referral["reference"], reference);
    assert_eq!(referral["status"], "received");
    assert_eq!(referral["source"], "gp");
    assert_eq!(referral["person"]["nhs_number"], "9434765919");
    assert_eq!(referral["person"]["given_name"], "Margaret");
    assert_eq!(
        referral["person"]["postcode"], "HD1 2RS",
        "postcodes are normalised"
    );
    assert_eq!(referral["person"]["date_of_birth"], "1971-03-14");
    assert_eq!(referral["person"]["registered_practice"], "B85001");
    assert_eq!(referral["referrer"]["ods_code"], "B85001");
    assert_eq!(
        referral["reasons"],
        serde_json::json!(["low_mood_anxiety", "long_term_condition", "carer_support"])
    );
    assert_eq!(referral["consent"]["given"], true);
    assert_eq!(referral["consent"]["given_at"], "2026-11-20T10:15:00Z");
    assert_eq!(referral["urgency"], "routine");
    assert_eq!(referral["created_at"], created["created_at"]);
    app.finish().await;
}

#[tokio::test]
async fn another_organisations_referral_is_a_404_like_a_missing_one() {
    let app = spawn_app().await;
    let created = app.create_referral(&app.referrer(), &referral_body()).await;
    let path = format!("/v1/referrals/{}", created["id"].as_str().unwrap());

    let other = app.token(OTHER_ORG, &["referrer", "coordinator"]);
    let foreign = app.get(&path).bearer_auth(&other).send().await.unwrap();
    let foreign = problem(foreign, 404).await;
    let missing = app
        .get("/v1/referrals/01a20159-67f6-732d-b6ed-d9503e62ffc1")
        .bearer_auth(&other)
        .send()
        .await
        .unwrap();
    let missing = problem(missing, 404).await;
    assert_eq!(foreign, missing, "the two must be indistinguishable");

    let (_, list) = app.get_json("/v1/referrals", &other).await;
    assert_eq!(list["items"], serde_json::json!([]));
    app.finish().await;
}

#[tokio::test]
async fn the_list_is_newest_first_filtered_and_paged_by_cursor() {
    let app = spawn_app().await;
    let token = app.token(ORG, &["coordinator"]);
    let mut ids = Vec::new();
    for source in ["gp", "local_agency", "gp", "practice_nurse", "gp"] {
        let mut body = referral_body();
        body["source"] = source.into();
        ids.push(app.create_referral(&token, &body).await["id"].clone());
    }
    ids.reverse();

    let (status, page) = app.get_json("/v1/referrals?limit=2", &token).await;
    assert_eq!(status, 200);
    let got: Vec<&Value> = page["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| &r["id"])
        .collect();
    assert_eq!(got, vec![&ids[0], &ids[1]]);
    let cursor = page["next_cursor"].as_str().unwrap();

    let (_, page) = app
        .get_json(&format!("/v1/referrals?limit=2&cursor={cursor}"), &token)
        .await;
    let got: Vec<&Value> = page["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| &r["id"])
        .collect();
    assert_eq!(got, vec![&ids[2], &ids[3]]);
    let cursor = page["next_cursor"].as_str().unwrap();
    let (_, page) = app
        .get_json(&format!("/v1/referrals?limit=2&cursor={cursor}"), &token)
        .await;
    assert_eq!(page["items"].as_array().unwrap().len(), 1);
    assert!(page["next_cursor"].is_null());

    let (_, gp) = app.get_json("/v1/referrals?source=gp", &token).await;
    assert_eq!(gp["items"].as_array().unwrap().len(), 3);
    assert!(
        gp["items"]
            .as_array()
            .unwrap()
            .iter()
            .all(|r| r["source"] == "gp")
    );
    let (_, received) = app
        .get_json("/v1/referrals?status=received&source=local_agency", &token)
        .await;
    assert_eq!(received["items"].as_array().unwrap().len(), 1);
    let (_, closed) = app.get_json("/v1/referrals?status=closed", &token).await;
    assert_eq!(closed["items"], serde_json::json!([]));
    app.finish().await;
}

#[tokio::test]
async fn list_parameters_that_break_rules_are_named() {
    let app = spawn_app().await;
    let token = app.token(ORG, &["coordinator"]);
    for (query, field) in [
        ("limit=0", "limit"),
        ("limit=101", "limit"),
        ("limit=ten", "limit"),
        ("status=lost", "status"),
        ("source=pharmacy", "source"),
        ("cursor=not-a-cursor", "cursor"),
    ] {
        let response = app
            .get(&format!("/v1/referrals?{query}"))
            .bearer_auth(&token)
            .send()
            .await
            .unwrap();
        let body = problem(response, 422).await;
        assert_eq!(fields(&body), vec![field], "{query}");
    }
    app.finish().await;
}

#[tokio::test]
async fn a_self_referral_source_may_omit_the_nhs_number_but_a_gp_may_not() {
    let app = spawn_app().await;
    let token = app.referrer();
    let mut body = referral_body();
    body["person"].as_object_mut().unwrap().remove("nhs_number");
    body["source"] = "local_agency".into();
    app.create_referral(&token, &body).await;

    body["source"] = "gp".into();
    let response = app.post_referral(&token, &body).await;
    let problem = problem(response, 422).await;
    assert_eq!(error_for(&problem, "person.nhs_number")["code"], "required");
    app.finish().await;
}
