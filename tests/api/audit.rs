//! The audit trail: every read and write of a person's data, listed for coordinators and
//! admins, filtered, paged, and never changeable.

use serde_json::{Value, json};

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
    // The referrer reads back its view of the referral; the full record and the list are
    // the service's staff's (403 to a referrer, and nothing is read or audited).
    let (status, view) = app
        .get_json(&format!("/v1/referrals/{id}/status"), &referrer)
        .await;
    assert_eq!(status, 200, "{view}");
    for path in [format!("/v1/referrals/{id}"), "/v1/referrals".to_owned()] {
        let (status, _) = app.get_json(&path, &referrer).await;
        assert_eq!(status, 403, "{path}");
    }
    let coordinator = app.token_with(|c| {
        c.sub = "coordinator-1".into();
        c.roles = vec!["coordinator".into()];
    });
    let (status, _) = app
        .get_json(&format!("/v1/referrals/{id}"), &coordinator)
        .await;
    assert_eq!(status, 200);
    let (status, _) = app.get_json("/v1/referrals", &coordinator).await;
    assert_eq!(status, 200);

    let (status, page) = app
        .get_json(&format!("/v1/audit?resource_id={id}"), &coordinator)
        .await;
    assert_eq!(status, 200);
    let events = page["items"].as_array().unwrap();
    let actions: Vec<&str> = events
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    assert_eq!(
        actions,
        vec!["list", "read", "read_status", "create"],
        "newest first"
    );
    let actors: Vec<&str> = events
        .iter()
        .map(|e| e["actor"].as_str().unwrap())
        .collect();
    assert_eq!(
        actors,
        vec![
            "coordinator-1",
            "coordinator-1",
            "gp-system-b85001",
            "gp-system-b85001"
        ]
    );
    for event in events {
        // Every actor is of the organisation holding the referral: none other to name.
        assert!(event.get("actor_organisation").is_some(), "{event}");
        assert_eq!(event["actor_organisation"], Value::Null, "{event}");
    }
    let create = &events[3];
    assert_eq!(create["actor"], "gp-system-b85001");
    assert_eq!(create["resource_type"], "referral");
    assert_eq!(create["request_id"], "req-create-1");
    assert_eq!(create["client_ip"], "127.0.0.1");
    let person = create["person_id"].as_str().unwrap();

    let (_, by_person) = app
        .get_json(
            &format!("/v1/audit?person_id={person}&limit=3"),
            &coordinator,
        )
        .await;
    assert_eq!(by_person["items"].as_array().unwrap().len(), 3);
    let cursor = by_person["next_cursor"].as_str().unwrap();
    let (_, rest) = app
        .get_json(
            &format!("/v1/audit?person_id={person}&limit=3&cursor={cursor}"),
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
        .get_json("/v1/audit?from=2190-01-01T00:00:00Z", &coordinator)
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
    let coordinator = app.token(ORG, &["coordinator"]);
    let (status, referral) = app
        .get_json(
            &format!("/v1/referrals/{}", created["id"].as_str().unwrap()),
            &coordinator,
        )
        .await;
    assert_eq!(status, 200, "{referral}");
    let person = referral["person"]["id"].as_str().unwrap().to_owned();

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

/// The export holds the whole case record: contacts and connections with their notes,
/// every plan version, and outcome answers, for each referral of the person.
#[tokio::test]
async fn a_subject_access_export_holds_the_whole_case_record() {
    let app = spawn_app().await;
    let worker = crate::steps::id_of(&app.create_link_worker("export|sam", 10).await);
    let id = app.assigned_referral(41, &worker).await;
    app.received_days_ago(&id, 30).await;
    let sam = app.link_worker_token("export|sam");
    let contact = app
        .record_contact(
            &sam,
            &id,
            json!({"mode": "phone", "occurred_at": crate::steps::days_ago(1), "minutes": 15,
                   "notes": "Talked about the allotment her late husband kept."}),
        )
        .await;
    assert_eq!(contact.status(), 201);
    let (etag, _) = app.plan(&sam, &id).await;
    let plan = json!({"what_matters_to_me": "Growing vegetables again", "goals": [], "steps": [
        {"text": "Visit the community allotment", "status": "planned"}]});
    assert_eq!(
        app.put_plan(&sam, &id, Some(&etag), &plan).await.status(),
        200
    );
    let editor = crate::directory::editor(&app);
    let provider = crate::directory::add_provider(&app, &editor, "Allotment Society").await;
    let activity = crate::directory::add_activity(
        &app,
        &editor,
        &crate::directory::activity_body(&provider, "Community allotment"),
    )
    .await;
    let connection = app
        .post_json(
            &format!("/v1/referrals/{id}/connections"),
            &sam,
            &json!({"activity_id": activity["id"], "note": "Ask for Pat at the gate"}),
        )
        .await;
    assert_eq!(connection.status(), 201);
    let outcome = app
        .post_json(
            &format!("/v1/referrals/{id}/outcomes"),
            &sam,
            &json!({"instrument": "ucla3", "time_point": "baseline", "measured_on": "2026-11-20", "answers": [3, 2, 3]}),
        )
        .await;
    assert_eq!(outcome.status(), 201);

    let (_, referral) = app.get_json(&format!("/v1/referrals/{id}"), &sam).await;
    let person = referral["person"]["id"].as_str().unwrap().to_owned();
    let (status, export) = app
        .get_json(&format!("/v1/people/{person}/export"), &app.coordinator())
        .await;
    assert_eq!(status, 200, "{export}");
    let record = &export["case_records"][0];
    assert_eq!(record["referral_id"], id.as_str());
    let kinds: Vec<&str> = record["timeline"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["kind"].as_str().unwrap())
        .collect();
    for kind in [
        "status_changed",
        "assigned",
        "contact",
        "plan_updated",
        "connection",
        "outcome_recorded",
    ] {
        assert!(kinds.contains(&kind), "no {kind} in {kinds:?}");
    }
    let text = record.to_string();
    for held in [
        "late husband kept",
        "Ask for Pat at the gate",
        "Growing vegetables again",
        "Visit the community allotment",
    ] {
        assert!(
            text.contains(held),
            "{held} missing from the export: {text}"
        );
    }
    assert_eq!(record["plans"].as_array().unwrap().len(), 1);
    assert_eq!(record["outcomes"][0]["answers"], json!([3, 2, 3]));
    app.finish().await;
}

/// A list read is one event naming every record it returned: a caseload read is found
/// by the link worker, by each referral and by each person in it.
#[tokio::test]
async fn a_caseload_read_is_one_event_that_names_every_referral_listed() {
    let app = spawn_app().await;
    let worker = crate::steps::id_of(&app.create_link_worker("audit|kim", 10).await);
    let first = app.assigned_referral(71, &worker).await;
    let second = app.assigned_referral(72, &worker).await;
    let kim = app.link_worker_token("audit|kim");
    let (status, _) = app
        .get_json(&format!("/v1/link-workers/{worker}/caseload"), &kim)
        .await;
    assert_eq!(status, 200);

    let coordinator = app.coordinator();
    let (_, by_worker) = app
        .get_json(
            &format!("/v1/audit?resource_id={worker}&actor=audit%7Ckim"),
            &coordinator,
        )
        .await;
    let events = by_worker["items"].as_array().unwrap();
    assert_eq!(events.len(), 1, "{by_worker}");
    let read = &events[0];
    assert_eq!(read["action"], "list");
    assert_eq!(read["resource_type"], "referral");
    let mut listed: Vec<&str> = read["listed"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["resource_id"].as_str().unwrap())
        .collect();
    listed.sort();
    let mut expected = vec![first.as_str(), second.as_str()];
    expected.sort();
    assert_eq!(listed, expected);

    // Found by the referral and by the person too.
    let (_, record) = app
        .get_json(&format!("/v1/referrals/{second}"), &coordinator)
        .await;
    let person = record["person"]["id"].as_str().unwrap();
    for filter in [
        format!("resource_id={second}"),
        format!("person_id={person}"),
    ] {
        let (_, page) = app
            .get_json(
                &format!("/v1/audit?{filter}&actor=audit%7Ckim"),
                &coordinator,
            )
            .await;
        assert_eq!(page["items"][0]["id"], read["id"], "{filter}: {page}");
    }
    // And in the person's subject access export.
    let (_, export) = app
        .get_json(&format!("/v1/people/{person}/export"), &coordinator)
        .await;
    assert!(
        export["audit_events"]
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e["id"] == read["id"]),
        "{export}"
    );
    app.finish().await;
}

/// Behind a trusted reverse proxy the audit trail records the caller's address from
/// `X-Forwarded-For`; from anyone else the header is ignored.
#[tokio::test]
async fn the_callers_address_comes_from_trusted_proxies_only() {
    for (trusted, expected) in [("", "127.0.0.1"), ("127.0.0.0/8", "198.51.100.23")] {
        let app = spawn_app_with(|s| s.trusted_proxies = trusted.into()).await;
        let referrer = app.referrer();
        let response = app
            .post("/v1/referrals")
            .bearer_auth(&referrer)
            // What a client wrote itself, then what the (loopback) proxy added.
            .header("X-Forwarded-For", "1.2.3.4, 198.51.100.23")
            .json(&referral_body())
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 201);
        let created: Value = response.json().await.unwrap();
        let id = created["id"].as_str().unwrap();
        let coordinator = app.token(ORG, &["coordinator"]);
        let (_, page) = app
            .get_json(&format!("/v1/audit?resource_id={id}"), &coordinator)
            .await;
        let events = page["items"].as_array().unwrap();
        assert_eq!(events.len(), 1, "{page}");
        assert_eq!(
            events[0]["client_ip"], expected,
            "trusted proxies {trusted:?}"
        );
        app.finish().await;
    }
}
