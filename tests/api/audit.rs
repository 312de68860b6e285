//! The audit trail: every read and write of a person's data, listed for coordinators and
//! admins, filtered, paged, and never changeable.

use serde_json::Value;

use crate::support::*;

#[tokio::test]
async fn reads_writes_and_lists_of_a_referral_are_audited_with_who_what_and_where() {
    let app = spawn_app().await;
    let referrer = app.token_with(|c| {
        c.sub = "gp-system-b85001".into();
        c.roles = vec!["referrer".into()];
    });
    let created = app
        .post("/v1/referrals")
        .bearer_auth(&referrer)
        .header("X-Request-Id", "req-create-1")
        .json(&referral_body())
        .send()
        .await
        .unwrap();
    let created: Value = created.json().await.unwrap();
    let id = created["id"].as_str().unwrap();
    app.get_json(&format!("/v1/referrals/{id}"), &referrer)
        .await;
    app.get_json("/v1/referrals", &referrer).await;

    let coordinator = app.token(ORG, &["coordinator"]);
    let (status, page) = app
        .get_json(&format!("/v1/audit?resource_id={id}"), &coordinator)
        .await;
    assert_eq!(status, 200);
    let events = page["items"].as_array().unwrap();
    let actions: Vec<&str> = events
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    assert_eq!(actions, vec!["list", "read", "create"], "newest first");
    let create = &events[2];
    assert_eq!(create["actor"], "gp-system-b85001");
    assert_eq!(create["resource_type"], "referral");
    assert_eq!(create["request_id"], "req-create-1");
    assert_eq!(create["client_ip"], "127.0.0.1");
    let person = create["person_id"].as_str().unwrap();

    let (_, by_person) = app
        .get_json(
            &format!("/v1/audit?person_id={person}&limit=2"),
            &coordinator,
        )
        .await;
    assert_eq!(by_person["items"].as_array().unwrap().len(), 2);
    let cursor = by_person["next_cursor"].as_str().unwrap();
    let (_, rest) = app
        .get_json(
            &format!("/v1/audit?person_id={person}&limit=2&cursor={cursor}"),
            &coordinator,
        )
        .await;
    assert_eq!(rest["items"].as_array().unwrap().len(), 1);
    assert!(rest["next_cursor"].is_null());

    let (_, by_actor) = app
        .get_json("/v1/audit?actor=someone-else", &coordinator)
        .await;
    assert_eq!(by_actor["items"], serde_json::json!([]));
    let (_, future) = app
        .get_json("/v1/audit?from=2999-01-01T00:00:00Z", &coordinator)
        .await;
    assert_eq!(future["items"], serde_json::json!([]));
    let (_, past) = app
        .get_json("/v1/audit?to=2000-01-01T00:00:00Z", &coordinator)
        .await;
    assert_eq!(past["items"], serde_json::json!([]));

    // Another organisation's coordinator sees nothing of ours.
    let (_, foreign) = app
        .get_json(
            "/v1/audit",
            &app.token(OTHER_ORG, &["coordinator", "admin"]),
        )
        .await;
    assert_eq!(foreign["items"], serde_json::json!([]));
    app.finish().await;
}

#[tokio::test]
async fn the_trail_cannot_be_changed_through_the_api() {
    let app = spawn_app().await;
    let admin = app.token(ORG, &["admin"]);
    for method in [
        reqwest::Method::POST,
        reqwest::Method::PUT,
        reqwest::Method::PATCH,
        reqwest::Method::DELETE,
    ] {
        let response = app
            .client
            .request(method.clone(), app.url("/v1/audit"))
            .bearer_auth(&admin)
            .send()
            .await
            .unwrap();
        assert_eq!(response.headers()["allow"], "GET", "{method}");
        problem(response, 405).await;
    }
    app.finish().await;
}

#[tokio::test]
async fn audit_filters_that_break_rules_are_named() {
    let app = spawn_app().await;
    let admin = app.token(ORG, &["admin"]);
    for (query, field) in [
        ("person_id=42", "person_id"),
        ("from=yesterday", "from"),
        ("limit=1000", "limit"),
    ] {
        let response = app
            .get(&format!("/v1/audit?{query}"))
            .bearer_auth(&admin)
            .send()
            .await
            .unwrap();
        assert_eq!(fields(&problem(response, 422).await), vec![field]);
    }
    app.finish().await;
}

#[tokio::test]
async fn a_subject_access_export_holds_everything_and_is_itself_audited() {
    let app = spawn_app().await;
    let created = app.create_referral(&app.referrer(), &referral_body()).await;
    let (_, referral) = app
        .get_json(
            &format!("/v1/referrals/{}", created["id"].as_str().unwrap()),
            &app.referrer(),
        )
        .await;
    let person = referral["person"]["id"].as_str().unwrap().to_owned();

    let coordinator = app.token(ORG, &["coordinator"]);
    let (status, export) = app
        .get_json(&format!("/v1/people/{person}/export"), &coordinator)
        .await;
    assert_eq!(status, 200);
    assert_eq!(export["person_id"], person.as_str());
    assert_eq!(
        export["referrals"][0], referral,
        "the referral as held, in full"
    );
    let actions: Vec<&str> = export["audit_events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    assert_eq!(actions, vec!["create", "read"]);

    let (_, trail) = app
        .get_json(&format!("/v1/audit?person_id={person}"), &coordinator)
        .await;
    assert_eq!(trail["items"][0]["action"], "export");

    let (status, _) = app
        .get_json(
            &format!("/v1/people/{person}/export"),
            &app.token(OTHER_ORG, &["admin"]),
        )
        .await;
    assert_eq!(status, 404, "another organisation cannot export our people");
    app.finish().await;
}
