//! What a referrer organisation reads back of the referrals it sent: the status and FHIR
//! views only, audited with its ODS code, and the same view in its webhooks.

use super::*;

/// What a referrer-only token of a practice gets, endpoint by endpoint, for its own sent
/// referral, another practice's and the service's own; beside it the service's own
/// referrer (who sent only the last) and the service's coordinator (who holds all three).
#[tokio::test]
async fn a_practices_referrer_reads_only_the_status_and_fhir_views_of_what_it_sent() {
    let app = spawn_app().await;
    register_service(&app).await;
    for p in ["B85001", "B85002"] {
        agree(&app, json!({"referrer_ods_code": p})).await;
    }
    let b85001 = practice(&app, "B85001");
    let b85002 = practice(&app, "B85002");
    let own = id_of(
        &app.create_referral(&b85001, &referral_from("B85001", 71, to_service()))
            .await,
    );
    let other = id_of(
        &app.create_referral(&b85002, &referral_from("B85002", 72, to_service()))
            .await,
    );
    let services = id_of(
        &app.create_referral(&app.referrer(), &referral_from(ORG, 73, None))
            .await,
    );
    // Something in each case record, so a leak would show.
    let worker = id_of(&app.create_link_worker("birmingham|ben", 10).await);
    for id in [&own, &other, &services] {
        app.move_to(id, json!({"to": "accepted"})).await;
        assert_eq!(
            app.assign(id, json!({"link_worker_id": worker}))
                .await
                .status(),
            200
        );
        let r = app
            .record_contact(
                &app.coordinator(),
                id,
                json!({"mode": "phone", "occurred_at": days_ago(0), "notes": "Private words"}),
            )
            .await;
        assert_eq!(r.status(), 201);
    }

    const OK: u16 = 200;
    const FORBIDDEN: u16 = 403;
    const NOT_FOUND: u16 = 404;
    // (endpoint, [own sent referral, another practice's, the service's own]).
    let practice_referrer: &[(&str, [u16; 3])] = &[
        ("/v1/referrals/{id}", [FORBIDDEN; 3]),
        ("/v1/referrals/{id}/status", [OK, NOT_FOUND, NOT_FOUND]),
        ("/v1/referrals/{id}/connections", [FORBIDDEN; 3]),
        ("/v1/referrals/{id}/contacts", [FORBIDDEN; 3]),
        ("/v1/referrals/{id}/plan", [FORBIDDEN; 3]),
        ("/v1/referrals/{id}/timeline", [FORBIDDEN; 3]),
        ("/v1/referrals/{id}/history", [FORBIDDEN; 3]),
        ("/v1/referrals/{id}/outcomes", [FORBIDDEN; 3]),
        ("/fhir/r4/Task/{id}", [OK, NOT_FOUND, NOT_FOUND]),
        ("/fhir/r4/ServiceRequest/{id}", [OK, NOT_FOUND, NOT_FOUND]),
    ];
    // The service's own referrer-only token sent only the last; it holds all three, but a
    // referrer sees what its organisation sent, never the rest.
    let service_referrer: &[(&str, [u16; 3])] = &[
        ("/v1/referrals/{id}", [FORBIDDEN; 3]),
        ("/v1/referrals/{id}/status", [NOT_FOUND, NOT_FOUND, OK]),
        ("/v1/referrals/{id}/connections", [FORBIDDEN; 3]),
        ("/v1/referrals/{id}/contacts", [FORBIDDEN; 3]),
        ("/fhir/r4/Task/{id}", [NOT_FOUND, NOT_FOUND, OK]),
        ("/fhir/r4/ServiceRequest/{id}", [NOT_FOUND, NOT_FOUND, OK]),
    ];
    // The service's coordinator holds all three, whoever sent them.
    let service_coordinator: &[(&str, [u16; 3])] = &[
        ("/v1/referrals/{id}", [OK; 3]),
        ("/v1/referrals/{id}/status", [OK; 3]),
        ("/v1/referrals/{id}/connections", [OK; 3]),
        ("/v1/referrals/{id}/contacts", [OK; 3]),
        ("/v1/referrals/{id}/plan", [OK; 3]),
        ("/v1/referrals/{id}/timeline", [OK; 3]),
        ("/v1/referrals/{id}/history", [OK; 3]),
        ("/v1/referrals/{id}/outcomes", [OK; 3]),
        ("/fhir/r4/Task/{id}", [OK; 3]),
        ("/fhir/r4/ServiceRequest/{id}", [OK; 3]),
    ];
    let callers = [
        ("B85001's referrer", b85001.clone(), practice_referrer),
        ("the service's referrer", app.referrer(), service_referrer),
        (
            "the service's coordinator",
            app.coordinator(),
            service_coordinator,
        ),
    ];
    let targets = [&own, &other, &services];
    for (caller, token, table) in &callers {
        for (endpoint, expected) in table.iter() {
            for (target, want) in targets.iter().zip(expected) {
                let path = endpoint.replace("{id}", target);
                let response = app.get(&path).bearer_auth(token).send().await.unwrap();
                let status = response.status().as_u16();
                let content_type = response
                    .headers()
                    .get("content-type")
                    .map(|v| v.to_str().unwrap().to_owned())
                    .unwrap_or_default();
                let text = response.text().await.unwrap();
                assert_eq!(status, *want, "{caller}: GET {path}: {text}");
                let fhir = path.starts_with("/fhir");
                if status != OK {
                    let expected_type = if fhir {
                        "application/fhir+json"
                    } else {
                        "application/problem+json"
                    };
                    assert_eq!(content_type, expected_type, "{caller}: GET {path}");
                }
                if status != OK || endpoint.ends_with("/status") {
                    let numbers = [nhs_number(71), nhs_number(72), nhs_number(73)];
                    for private in ["Private words", "Person7", "Family7"]
                        .into_iter()
                        .chain(numbers.iter().map(String::as_str))
                    {
                        assert!(
                            !text.contains(private),
                            "{caller}: GET {path} told {private}: {text}"
                        );
                    }
                }
                if status == OK && endpoint.ends_with("/status") {
                    assert_referrer_view(&serde_json::from_str(&text).unwrap());
                }
            }
        }
    }
    // A referral another practice sent is exactly as missing as one that does not exist.
    let foreign = app
        .get(&status_path(&other))
        .bearer_auth(&b85001)
        .send()
        .await
        .unwrap();
    let missing = app
        .get(&status_path("01a20159-67f6-732d-b6ed-d9503e62ffc1"))
        .bearer_auth(&b85001)
        .send()
        .await
        .unwrap();
    let (foreign, missing) = (problem(foreign, 404).await, problem(missing, 404).await);
    assert_eq!(foreign, missing, "the two must be indistinguishable");
    // The lists: the practice lists what it sent, never the service's list.
    let (status, sent) = app.get_json("/v1/sent-referrals", &b85001).await;
    assert_eq!(status, 200);
    assert_eq!(ids(&sent), vec![own.clone()]);
    problem(
        app.get("/v1/referrals")
            .bearer_auth(&b85001)
            .send()
            .await
            .unwrap(),
        403,
    )
    .await;
    let (_, sent) = app.get_json("/v1/sent-referrals", &app.referrer()).await;
    assert_eq!(ids(&sent), vec![services.clone()]);
    app.finish().await;
}

/// A practice's reads of the referrals it sent are written to the service's trail, naming
/// the practice; the service's own staff's events name no other organisation; the
/// practice's own trail holds none of the service's records.
#[tokio::test]
async fn reads_by_a_referrer_organisation_are_audited_with_its_ods_code() {
    let app = spawn_app().await;
    register_service(&app).await;
    agree(&app, json!({"referrer_ods_code": "B85001"})).await;
    let b85001 = practice(&app, "B85001");
    let id = id_of(
        &app.create_referral(&b85001, &referral_from("B85001", 81, to_service()))
            .await,
    );
    let (status, _) = app.get_json(&status_path(&id), &b85001).await;
    assert_eq!(status, 200);
    let (status, _) = app.get_json(&format!("/fhir/r4/Task/{id}"), &b85001).await;
    assert_eq!(status, 200);
    let coordinator = app.token_with(|c| {
        c.sub = "service-coordinator-1".into();
        c.roles = vec!["coordinator".into()];
    });
    let (status, _) = app
        .get_json(&format!("/v1/referrals/{id}"), &coordinator)
        .await;
    assert_eq!(status, 200);

    // The practice's reads, in the service's trail.
    let (status, page) = app
        .get_json("/v1/audit?actor=b85001-emis", &coordinator)
        .await;
    assert_eq!(status, 200, "{page}");
    let events = page["items"].as_array().unwrap();
    let reads: Vec<&Value> = events
        .iter()
        .filter(|e| e["action"] == "read" && e["resource_id"] == id.as_str())
        .collect();
    assert!(!reads.is_empty(), "no read by the practice in {page}");
    for event in events {
        assert_eq!(event["actor_organisation"], "B85001", "{event}");
    }
    let (_, page) = app
        .get_json(&format!("/v1/audit?resource_id={id}"), &coordinator)
        .await;
    assert!(
        page["items"]
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e["actor"] == "b85001-emis" && e["actor_organisation"] == "B85001"),
        "{page}"
    );
    // The service's own staff: no other organisation to name.
    let (_, page) = app
        .get_json("/v1/audit?actor=service-coordinator-1", &coordinator)
        .await;
    let events = page["items"].as_array().unwrap();
    assert!(
        events
            .iter()
            .any(|e| e["action"] == "read" && e["resource_id"] == id.as_str()),
        "{page}"
    );
    for event in events {
        assert!(event.get("actor_organisation").is_some(), "{event}");
        assert_eq!(event["actor_organisation"], Value::Null, "{event}");
    }
    // The practice's own trail holds nothing of the service's records.
    let practice_admin = app.token("B85001", &["admin", "coordinator"]);
    let (status, theirs) = app
        .get_json(&format!("/v1/audit?resource_id={id}"), &practice_admin)
        .await;
    assert_eq!(status, 200);
    assert_eq!(theirs["items"], json!([]));
    app.finish().await;
}

/// A practice's admin subscribes its system to lifecycle events: it receives them for the
/// referrals it sent to the service, with the referrer's view as data (nothing about the
/// person), and none for referrals others sent.
#[tokio::test]
async fn a_referrer_organisations_webhooks_receive_the_referrer_view_of_what_it_sent() {
    let app = spawn_app_with(|s| s.webhook_poll_interval_ms = 100).await;
    register_service(&app).await;
    for p in ["B85001", "B85002"] {
        agree(&app, json!({"referrer_ods_code": p})).await;
    }
    let receiver = Receiver::start(0, Duration::ZERO);
    let practice_admin = app.token("B85001", &["admin"]);
    let r = app
        .post_json(
            "/v1/webhooks",
            &practice_admin,
            &json!({"url": receiver.url, "secret": SECRET,
                    "event_types": ["referral.accepted", "referral.declined", "referral.closed"]}),
        )
        .await;
    assert_eq!(r.status(), 201, "{}", r.text().await.unwrap());

    let mine = id_of(
        &app.create_referral(
            &practice(&app, "B85001"),
            &referral_from("B85001", 91, to_service()),
        )
        .await,
    );
    let someone_elses = id_of(
        &app.create_referral(
            &practice(&app, "B85002"),
            &referral_from("B85002", 92, to_service()),
        )
        .await,
    );
    let services = id_of(
        &app.create_referral(&app.referrer(), &referral_from(ORG, 93, None))
            .await,
    );
    app.move_to(&mine, json!({"to": "accepted"})).await;
    app.move_to(&someone_elses, json!({"to": "accepted"})).await;
    app.move_to(
        &services,
        json!({"to": "declined", "reason": "out_of_area"}),
    )
    .await;
    app.move_to(
        &mine,
        json!({"to": "closed", "reason": "moved_away", "note": "Moved to Leeds to live with her daughter."}),
    )
    .await;

    receiver.wait_for(2, 20).await;
    tokio::time::sleep(Duration::from_millis(800)).await;
    let got = receiver.all();
    let events: Vec<Value> = got
        .iter()
        .map(|g| {
            assert!(g.verifies(SECRET), "{g:?}");
            g.json()
        })
        .collect();
    let types: BTreeSet<&str> = events.iter().map(|e| e["type"].as_str().unwrap()).collect();
    assert_eq!(
        types,
        BTreeSet::from(["referral.accepted", "referral.closed"]),
        "{events:?}"
    );
    assert_eq!(receiver.distinct_ids().len(), 2, "{events:?}");
    let number = nhs_number(91);
    for g in &got {
        for private in [
            "Person91",
            "Family91",
            number.as_str(),
            "Leeds",
            "daughter",
            "Mornings",
            "Cares for her",
        ] {
            assert!(!g.body.contains(private), "{private} in {}", g.body);
        }
    }
    // The practice's delivery log shows them; the service's holds none of the practice's.
    let (status, log) = app
        .get_json("/v1/webhooks/deliveries", &practice_admin)
        .await;
    assert_eq!(status, 200, "{log}");
    let delivered: BTreeSet<String> = log["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|d| d["status"] == "delivered")
        .map(|d| d["event_id"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(delivered, receiver.distinct_ids(), "{log}");
    let (_, service_log) = app
        .get_json("/v1/webhooks/deliveries", &app.token(ORG, &["admin"]))
        .await;
    assert_eq!(service_log["items"], json!([]), "{service_log}");
    // Each event's data names the referral it sent and carries the referrer's view of it.
    for event in &events {
        let data = &event["data"];
        assert_eq!(data["referral_id"], mine.as_str(), "{event}");
        let view = &data["referral"];
        assert_eq!(view["id"], mine.as_str(), "{event}");
        assert_eq!(view["referrer_organisation"], "B85001", "{event}");
        assert_eq!(view["receiving_service"], ORG, "{event}");
        assert_referrer_view(view);
    }
    let closed = events
        .iter()
        .find(|e| e["type"] == "referral.closed")
        .unwrap();
    assert_eq!(closed["data"]["referral"]["status"], "closed");
    assert_eq!(closed["data"]["referral"]["closure_reason"], "moved_away");
    app.finish().await;
}
