//! Organisations are tenants: two are registered, each with staff and referrals, and every
//! read and write is tried across the boundary.

use serde_json::{Value, json};

use crate::support::*;

async fn register(app: &TestApp, admin: &str, ods: &str, name: &str) -> Value {
    let response = app
        .post("/v1/organisations")
        .bearer_auth(admin)
        .json(&json!({"ods_code": ods, "name": name, "kind": "social_prescribing_service"}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 201);
    response.json().await.unwrap()
}

#[tokio::test]
async fn nothing_crosses_from_one_organisation_to_another() {
    let app = spawn_app().await;
    let admin_a = app.token(ORG, &["admin"]);
    let admin_b = app.token(OTHER_ORG, &["admin"]);
    let org = register(&app, &admin_a, ORG, "Kirklees Social Prescribing").await;
    assert_eq!(org["ods_code"], ORG);
    register(&app, &admin_b, OTHER_ORG, "Leeds North Wellbeing").await;

    // The same ODS code cannot be registered twice.
    let again = app
        .post("/v1/organisations")
        .bearer_auth(&admin_b)
        .json(&json!({"ods_code": ORG.to_lowercase(), "name": "Impostor", "kind": "other"}))
        .send()
        .await
        .unwrap();
    let p = problem(again, 409).await;
    assert!(p["detail"].as_str().unwrap().contains(ORG));
    let (_, orgs) = app.get_json("/v1/organisations", &admin_b).await;
    assert_eq!(orgs["items"].as_array().unwrap().len(), 2);

    for (admin, subject) in [(&admin_a, "idp|a-lw"), (&admin_b, "idp|b-lw")] {
        let response = app
            .post("/v1/staff")
            .bearer_auth(admin)
            .json(&json!({"subject": subject, "name": "Sam Okafor", "roles": ["link_worker"]}))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 201);
    }
    let (_, staff_b) = app.get_json("/v1/staff", &admin_b).await;
    let subjects: Vec<&str> = staff_b["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["subject"].as_str().unwrap())
        .collect();
    assert_eq!(subjects, vec!["idp|b-lw"], "B sees only its own staff");

    // A's referral, every way B might reach it.
    let a_referrer = app.token(ORG, &["referrer"]);
    let a_coordinator = app.token(ORG, &["coordinator"]);
    let created = app.create_referral(&a_referrer, &referral_body()).await;
    let id = created["id"].as_str().unwrap();
    let (status, referral) = app
        .get_json(&format!("/v1/referrals/{id}"), &a_coordinator)
        .await;
    assert_eq!(status, 200, "{referral}");
    let person = referral["person"]["id"].as_str().unwrap();

    let b_all = app.token(
        OTHER_ORG,
        &["referrer", "link_worker", "coordinator", "admin"],
    );
    assert_eq!(
        app.get_json(&format!("/v1/referrals/{id}"), &b_all).await.0,
        404
    );
    assert_eq!(
        app.get_json(&format!("/v1/people/{person}/export"), &b_all)
            .await
            .0,
        404
    );
    // Nor the referrer's view: B neither holds nor sent it.
    assert_eq!(
        app.get_json(&format!("/v1/referrals/{id}/status"), &b_all)
            .await
            .0,
        404
    );
    let (_, list) = app.get_json("/v1/referrals", &b_all).await;
    assert_eq!(list["items"], json!([]));
    let (_, sent) = app.get_json("/v1/sent-referrals", &b_all).await;
    assert_eq!(sent["items"], json!([]));
    let (_, audit) = app
        .get_json(&format!("/v1/audit?person_id={person}"), &b_all)
        .await;
    assert_eq!(audit["items"], json!([]));
    let (_, audit) = app
        .get_json(&format!("/v1/audit?resource_id={id}"), &b_all)
        .await;
    assert_eq!(audit["items"], json!([]));

    // A cursor taken from A's list gives B nothing of A's.
    for _ in 0..2 {
        app.create_referral(&a_referrer, &referral_body()).await;
    }
    let (_, page) = app.get_json("/v1/referrals?limit=1", &a_coordinator).await;
    let cursor = page["next_cursor"].as_str().unwrap();
    let (_, foreign) = app
        .get_json(&format!("/v1/referrals?cursor={cursor}"), &b_all)
        .await;
    assert_eq!(foreign["items"], json!([]));
    let (_, page) = app
        .get_json("/v1/sent-referrals?limit=1", &a_referrer)
        .await;
    let cursor = page["next_cursor"].as_str().unwrap();
    let (_, foreign) = app
        .get_json(&format!("/v1/sent-referrals?cursor={cursor}"), &b_all)
        .await;
    assert_eq!(foreign["items"], json!([]));

    // Writes: an Idempotency-Key A used does not replay A's referral to B.
    let key_a = app
        .post("/v1/referrals")
        .bearer_auth(&a_referrer)
        .header("Idempotency-Key", "shared")
        .json(&referral_body())
        .send()
        .await
        .unwrap();
    let key_b = app
        .post("/v1/referrals")
        .bearer_auth(&b_all)
        .header("Idempotency-Key", "shared")
        .json(&referral_body())
        .send()
        .await
        .unwrap();
    let a: Value = key_a.json().await.unwrap();
    let b: Value = key_b.json().await.unwrap();
    assert_ne!(a["id"], b["id"]);
    let b_id = b["id"].as_str().unwrap();
    assert_eq!(
        app.get_json(&format!("/v1/referrals/{b_id}"), &a_coordinator)
            .await
            .0,
        404
    );
    // A's referrer reads back only what A sent: B's referral is as missing to it.
    assert_eq!(
        app.get_json(&format!("/v1/referrals/{b_id}/status"), &a_referrer)
            .await
            .0,
        404
    );
    app.finish().await;
}

#[tokio::test]
async fn staff_and_organisation_fields_are_checked() {
    let app = spawn_app().await;
    let admin = app.token(ORG, &["admin"]);
    let response = app
        .post("/v1/organisations")
        .bearer_auth(&admin)
        .json(&json!({"ods_code": "x", "name": "", "kind": "club"}))
        .send()
        .await
        .unwrap();
    let mut got = fields(&problem(response, 422).await);
    got.sort();
    assert_eq!(got, vec!["kind", "name", "ods_code"]);

    let response = app
        .post("/v1/staff")
        .bearer_auth(&admin)
        .json(&json!({"subject": "s", "name": "N", "email": "nope", "roles": ["link_worker", "wizard"]}))
        .send()
        .await
        .unwrap();
    let mut got = fields(&problem(response, 422).await);
    got.sort();
    assert_eq!(got, vec!["email", "roles[1]"]);

    let body = json!({"subject": "idp|1", "name": "N", "roles": ["coordinator"]});
    assert_eq!(
        app.post("/v1/staff")
            .bearer_auth(&admin)
            .json(&body)
            .send()
            .await
            .unwrap()
            .status(),
        201
    );
    problem(
        app.post("/v1/staff")
            .bearer_auth(&admin)
            .json(&body)
            .send()
            .await
            .unwrap(),
        409,
    )
    .await;
    app.finish().await;
}

/// Every operation that names a record, tried by another organisation holding every role,
/// against a full case of ours: referral, person, link worker, contact, plan, connection,
/// outcome, duplicate flag, provider, activity, partner, referral agreement and webhook
/// delivery. Each is a 404, exactly as for a record that does not exist (never a 409 or
/// 422 that would tell it exists), and nothing of ours changes. Lists and reports show
/// none of it. A new operation with a path parameter fails this test until it is added to
/// the walk.
#[tokio::test]
async fn every_operation_on_another_organisations_records_is_a_404_and_changes_nothing() {
    use crate::connections::connect;
    use crate::directory::{activity_body, add_activity, add_provider, editor};
    use crate::steps::{days_ago, id_of};
    use crate::webhooks::{Receiver, SECRET};

    let app = spawn_app_with(|s| s.webhook_poll_interval_ms = 100).await;
    // Our side: a whole case.
    let receiver = Receiver::start(0, std::time::Duration::ZERO);
    let admin = app.token(ORG, &["admin"]);
    let r = app
        .post_json(
            "/v1/webhooks",
            &admin,
            &json!({"url": receiver.url, "secret": SECRET, "event_types": ["outcome.recorded"]}),
        )
        .await;
    assert_eq!(r.status(), 201);
    let worker = id_of(&app.create_link_worker("ours|jo", 10).await);
    let referral = app.assigned_referral(61, &worker).await;
    app.received_days_ago(&referral, 30).await;
    let duplicate = id_of(
        &app.create_referral(&app.referrer(), &crate::steps::person_body(61))
            .await,
    );
    let jo = app.link_worker_token("ours|jo");
    let r = app
        .record_contact(
            &jo,
            &referral,
            json!({"mode": "phone", "occurred_at": days_ago(1), "notes": "Ours"}),
        )
        .await;
    assert_eq!(r.status(), 201);
    let (etag, _) = app.plan(&jo, &referral).await;
    let plan = json!({"what_matters_to_me": "Ours", "goals": [], "steps": []});
    assert_eq!(
        app.put_plan(&jo, &referral, Some(&etag), &plan)
            .await
            .status(),
        200
    );
    let ours_editor = editor(&app);
    let provider = add_provider(&app, &ours_editor, "Our library").await;
    let activity =
        id_of(&add_activity(&app, &ours_editor, &activity_body(&provider, "Our group")).await);
    let connection = id_of(&connect(&app, &jo, &referral, &activity, false).await);
    let r = app
        .post_json(
            &format!("/v1/referrals/{referral}/outcomes"),
            &jo,
            &json!({"instrument": "ucla3", "time_point": "baseline", "measured_on": "2026-11-20", "answers": [3, 2, 3]}),
        )
        .await;
    assert_eq!(r.status(), 201);
    let (partner, _) = app
        .register_partner(ORG, "Our partner", &["https://ours.example.org"])
        .await;
    let r = app
        .post_json(
            "/v1/referral-agreements",
            &admin,
            &json!({"referrer_ods_code": "B85001"}),
        )
        .await;
    assert_eq!(r.status(), 201, "{}", r.text().await.unwrap());
    let agreement = id_of(&r.json().await.unwrap());
    receiver.wait_for(1, 20).await;
    let (_, deliveries) = app.get_json("/v1/webhooks/deliveries", &admin).await;
    let delivery = deliveries["items"][0]["id"].as_str().unwrap().to_owned();
    let (_, record) = app
        .get_json(&format!("/v1/referrals/{referral}"), &jo)
        .await;
    let person = record["person"]["id"].as_str().unwrap().to_owned();

    // Their side: every role, and records of their own to make each request otherwise valid.
    let they = app.token(
        OTHER_ORG,
        &[
            "referrer",
            "link_worker",
            "coordinator",
            "directory_editor",
            "admin",
        ],
    );
    let r = app
        .post_json(
            "/v1/link-workers",
            &they,
            &json!({"subject": "theirs|al", "display_name": "Al", "capacity": 5}),
        )
        .await;
    let their_worker = id_of(&r.json().await.unwrap());
    let their_provider = add_provider(&app, &they, "Their library").await;
    let their_activity =
        id_of(&add_activity(&app, &they, &activity_body(&their_provider, "Their group")).await);

    // What each operation is tried with: (method, path, body, If-Match).
    let attempts: Vec<(&str, String, Option<Value>, Option<&str>)> = vec![
        (
            "GET",
            format!("/fhir/r4/ServiceRequest/{referral}"),
            None,
            None,
        ),
        ("GET", format!("/fhir/r4/Task/{referral}"), None, None),
        (
            "GET",
            format!("/fhir/r4/Composition/{referral}/$document"),
            None,
            None,
        ),
        ("GET", format!("/v1/referrals/{referral}/risks"), None, None),
        (
            "PUT",
            format!("/v1/referrals/{referral}/risks"),
            Some(json!({"no_known_risks": true})),
            None,
        ),
        (
            "PUT",
            format!("/v1/referrals/{referral}/message-back"),
            Some(json!({"summary": "Taken"})),
            None,
        ),
        (
            "GET",
            format!("/v1/referrals/{referral}/summary"),
            None,
            None,
        ),
        (
            "PUT",
            format!("/v1/activities/{activity}"),
            Some(activity_body(&their_provider, "Taken")),
            Some("\"1\""),
        ),
        (
            "DELETE",
            format!("/v1/activities/{activity}"),
            None,
            Some("\"1\""),
        ),
        (
            "GET",
            format!("/v1/activities/{activity}/connection_counts"),
            None,
            None,
        ),
        ("GET", format!("/v1/link-workers/{worker}"), None, None),
        (
            "PUT",
            format!("/v1/link-workers/{worker}"),
            Some(
                json!({"subject": "ours|jo", "display_name": "Taken", "capacity": 1, "active": false}),
            ),
            None,
        ),
        ("DELETE", format!("/v1/link-workers/{worker}"), None, None),
        (
            "GET",
            format!("/v1/link-workers/{worker}/caseload"),
            None,
            None,
        ),
        ("DELETE", format!("/v1/partners/{partner}"), None, None),
        (
            "GET",
            format!("/v1/referral-agreements/{agreement}"),
            None,
            None,
        ),
        (
            "DELETE",
            format!("/v1/referral-agreements/{agreement}"),
            None,
            None,
        ),
        ("GET", format!("/v1/people/{person}/export"), None, None),
        (
            "PUT",
            format!("/v1/providers/{provider}"),
            Some(json!({"name": "Taken"})),
            Some("\"1\""),
        ),
        ("GET", format!("/v1/referrals/{referral}"), None, None),
        (
            "POST",
            format!("/v1/referrals/{referral}/assignment"),
            Some(json!({"link_worker_id": their_worker, "override": true})),
            None,
        ),
        (
            "GET",
            format!("/v1/referrals/{referral}/connections"),
            None,
            None,
        ),
        (
            "POST",
            format!("/v1/referrals/{referral}/connections"),
            Some(json!({"activity_id": their_activity})),
            None,
        ),
        (
            "PATCH",
            format!("/v1/referrals/{referral}/connections/{connection}"),
            Some(json!({"status": "declined"})),
            None,
        ),
        (
            "GET",
            format!("/v1/referrals/{referral}/contacts"),
            None,
            None,
        ),
        (
            "POST",
            format!("/v1/referrals/{referral}/contacts"),
            Some(json!({"mode": "phone", "occurred_at": days_ago(0)})),
            None,
        ),
        (
            "GET",
            format!("/v1/referrals/{referral}/history"),
            None,
            None,
        ),
        (
            "GET",
            format!("/v1/referrals/{referral}/outcomes"),
            None,
            None,
        ),
        (
            "POST",
            format!("/v1/referrals/{referral}/outcomes"),
            Some(
                json!({"instrument": "ucla3", "time_point": "follow_up", "measured_on": "2026-11-21", "answers": [1, 1, 1]}),
            ),
            None,
        ),
        ("GET", format!("/v1/referrals/{referral}/plan"), None, None),
        (
            "PUT",
            format!("/v1/referrals/{referral}/plan"),
            Some(json!({"what_matters_to_me": "Taken", "goals": [], "steps": []})),
            Some("\"v1\""),
        ),
        (
            "POST",
            format!("/v1/referrals/{referral}/possible-duplicates/{duplicate}"),
            Some(json!({"resolution": "dismissed"})),
            None,
        ),
        (
            "GET",
            format!("/v1/referrals/{referral}/status"),
            None,
            None,
        ),
        (
            "GET",
            format!("/v1/referrals/{referral}/timeline"),
            None,
            None,
        ),
        (
            "POST",
            format!("/v1/referrals/{referral}/transitions"),
            Some(json!({"to": "closed", "reason": "moved_away"})),
            None,
        ),
        (
            "POST",
            format!("/v1/webhooks/deliveries/{delivery}/redeliver"),
            None,
            None,
        ),
    ];
    // Public by design (directory data), or not naming a record of an organisation.
    let exempt = [
        "GET /v1/activities/{id}",
        "GET /v1/providers/{id}",
        "GET /oruk/services/{id}",
        "GET /oruk/service_at_locations/{id}",
        "GET /oruk/taxonomies/{id}",
        "GET /oruk/taxonomy_terms/{id}",
        "PUT /v1/instruments/{code}/wording",
    ];
    for op in socialrx_api::routes::operations() {
        if !op.path.contains('{') || exempt.contains(&format!("{} {}", op.method, op.path).as_str())
        {
            continue;
        }
        let shape = |path: &str| {
            let prefix = op.path.split('{').next().unwrap();
            path.starts_with(prefix)
                && path.split('/').count() == op.path.split('/').count()
                && path.ends_with(op.path.rsplit('}').next().unwrap())
        };
        assert!(
            attempts
                .iter()
                .any(|(m, p, ..)| *m == op.method && shape(p)),
            "{} {} is not tried across organisations: add it to this walk",
            op.method,
            op.path
        );
    }
    for (method, path, body, if_match) in &attempts {
        let mut request = app
            .client
            .request(
                reqwest::Method::from_bytes(method.as_bytes()).unwrap(),
                app.url(path),
            )
            .bearer_auth(&they);
        if let Some(body) = body {
            request = request.json(body);
        }
        if let Some(tag) = if_match {
            request = request.header("If-Match", *tag);
        }
        let response = request.send().await.unwrap();
        let status = response.status().as_u16();
        let text = response.text().await.unwrap();
        assert_eq!(status, 404, "{method} {path} across organisations: {text}");
        for ours in ["Ours", "Margaret", "Our group", "9434765919"] {
            assert!(
                !text.contains(ours),
                "{method} {path} told them {ours}: {text}"
            );
        }
    }

    // Their lists and reports hold nothing of ours.
    let task_search = format!("/fhir/r4/Task?focus=ServiceRequest/{referral}");
    let today = time::OffsetDateTime::now_utc().date();
    let report = format!(
        "/v1/reports/summary?from={}&to={}",
        today - time::Duration::days(30),
        today + time::Duration::days(1)
    );
    for path in [
        task_search.as_str(),
        "/v1/referrals",
        "/v1/queue",
        "/v1/audit",
        "/v1/link-workers",
        "/v1/partners",
        "/v1/referral-agreements",
        "/v1/sent-referrals",
        "/v1/webhooks",
        "/v1/webhooks/deliveries",
        "/v1/staff",
        report.as_str(),
    ] {
        let (status, body) = app.get_json(path, &they).await;
        assert_eq!(status, 200, "{path}: {body}");
        let text = body.to_string();
        for ours in [
            &referral, &person, &worker, &partner, &delivery, &duplicate, &agreement,
        ] {
            assert!(
                !text.contains(ours.as_str()),
                "{path} shows them {ours}: {text}"
            );
        }
        if path.starts_with("/v1/reports") {
            assert_eq!(body["referrals"], 0, "{body}");
        } else if path.starts_with("/fhir") {
            assert_eq!(body["total"], 0, "{body}");
        } else {
            assert!(body["items"].is_array(), "{path}: {body}");
        }
    }

    // And ours is as it was.
    let (_, record) = app
        .get_json(&format!("/v1/referrals/{referral}"), &jo)
        .await;
    assert_eq!(record["status"], "in_progress");
    let (etag, plan) = app.plan(&jo, &referral).await;
    assert_eq!(
        (etag.as_str(), plan["what_matters_to_me"].as_str()),
        ("\"v1\"", Some("Ours"))
    );
    let (_, connections) = app
        .get_json(&format!("/v1/referrals/{referral}/connections"), &jo)
        .await;
    assert_eq!(connections["items"].as_array().unwrap().len(), 1);
    assert_eq!(connections["items"][0]["status"], "suggested");
    let (_, outcomes) = app
        .get_json(&format!("/v1/referrals/{referral}/outcomes"), &jo)
        .await;
    assert_eq!(outcomes["items"].as_array().unwrap().len(), 1);
    let (_, contacts) = app
        .get_json(&format!("/v1/referrals/{referral}/contacts"), &jo)
        .await;
    assert_eq!(contacts["items"].as_array().unwrap().len(), 1);
    let (_, me) = app
        .get_json(&format!("/v1/link-workers/{worker}"), &app.coordinator())
        .await;
    assert_eq!(
        (me["active"].clone(), me["capacity"].clone()),
        (json!(true), json!(10))
    );
    let (status, group) = app
        .get_json(&format!("/v1/activities/{activity}"), &jo)
        .await;
    assert_eq!((status, group["name"].as_str()), (200, Some("Our group")));
    let (_, partners) = app.get_json("/v1/partners", &admin).await;
    assert_eq!(partners["items"][0]["active"], true, "{partners}");
    let (status, ours) = app
        .get_json(&format!("/v1/referral-agreements/{agreement}"), &admin)
        .await;
    assert_eq!(status, 200, "our agreement stands: {ours}");
    assert_eq!(ours["referrer_ods_code"], "B85001");
    // The same agreement made by them is theirs, not a conflict with ours (a 409 would
    // tell them ours exists).
    let r = app
        .post_json(
            "/v1/referral-agreements",
            &they,
            &json!({"referrer_ods_code": "B85001"}),
        )
        .await;
    assert_eq!(r.status(), 201, "{}", r.text().await.unwrap());
    let theirs: Value = r.json().await.unwrap();
    assert_eq!(theirs["organisation"], OTHER_ORG);
    assert_ne!(id_of(&theirs), agreement);
    let (_, mine) = app.get_json("/v1/referral-agreements", &admin).await;
    let mine: Vec<String> = mine["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(id_of)
        .collect();
    assert_eq!(mine, vec![agreement.clone()]);
    app.finish().await;
}
