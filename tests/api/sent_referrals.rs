//! Referrals between organisations: GP practices refer into a social prescribing service
//! under referral agreements the service's admin controls, and read back only the
//! referrer's view of what they sent (journey 2, "many surgeries, many doors"). The
//! service holds every record; a practice sees status, dates and counts, never the case.

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use reqwest::Response;
use serde_json::{Value, json};

use crate::connections::{connect, move_to as move_connection};
use crate::directory::{activity_body, add_activity, add_provider, editor};
use crate::steps::*;
use crate::support::*;
use crate::webhooks::{Receiver, SECRET};

const ODS_SYSTEM: &str = "https://fhir.nhs.uk/Id/ods-organization-code";

/// What every referrer view carries.
const REFERRER_VIEW_KEYS: &[&str] = &[
    "id",
    "reference",
    "status",
    "source",
    "reasons",
    "referrer_organisation",
    "receiving_service",
    "received_at",
    "updated_at",
    "accepted_at",
    "declined_at",
    "assigned_at",
    "first_contact_at",
    "closed_at",
    "assigned",
    "decline_reason",
    "closure_reason",
    "connections_by_category",
    "connections",
    "outcomes",
];

/// What a referrer view never carries.
const CASE_RECORD_KEYS: &[&str] = &["person", "notes", "contacts", "plan"];

fn assert_referrer_view(view: &Value) {
    for key in REFERRER_VIEW_KEYS {
        assert!(view.get(*key).is_some(), "no {key} in the view: {view}");
    }
    for key in CASE_RECORD_KEYS {
        assert!(view.get(*key).is_none(), "{key} in a referrer view: {view}");
    }
}

/// A referrer-only token of a practice's GP system (its `org` is the practice).
fn practice(app: &TestApp, ods: &str) -> String {
    app.token_with(|c| {
        c.org = ods.into();
        c.sub = format!("{}-emis", ods.to_lowercase());
        c.roles = vec!["referrer".into()];
    })
}

/// The service's (`ORG`'s) admin.
fn service_admin(app: &TestApp) -> String {
    app.token_with(|c| {
        c.sub = "idp|service-admin".into();
        c.roles = vec!["admin".into()];
    })
}

/// Registers an organisation as its own admin; returns its id.
async fn register(app: &TestApp, ods: &str, name: &str) -> String {
    let response = app
        .post_json(
            "/v1/organisations",
            &app.token(ods, &["admin"]),
            &json!({"ods_code": ods, "name": name, "kind": "social_prescribing_service"}),
        )
        .await;
    assert_eq!(response.status(), 201, "{}", response.text().await.unwrap());
    id_of(&response.json().await.unwrap())
}

async fn register_service(app: &TestApp) -> String {
    register(app, ORG, "Birmingham Social Prescribing").await
}

async fn post_agreement(app: &TestApp, token: &str, body: &Value) -> Response {
    app.post_json("/v1/referral-agreements", token, body).await
}

/// Creates an agreement as the service's admin; returns the 201 body.
async fn agree(app: &TestApp, body: Value) -> Value {
    let response = post_agreement(app, &service_admin(app), &body).await;
    assert_eq!(response.status(), 201, "{}", response.text().await.unwrap());
    response.json().await.unwrap()
}

async fn delete(app: &TestApp, path: &str, token: &str) -> Response {
    app.delete(path).bearer_auth(token).send().await.unwrap()
}

/// A referral of person `n` from `practice`, to `receiving` (absent: to the caller's own
/// organisation).
fn referral_from(practice: &str, n: u32, receiving: Option<Value>) -> Value {
    let mut body = person_body(n);
    body["referrer"]["ods_code"] = json!(practice);
    body["person"]["registered_practice"] = json!(practice);
    body["person"]["family_name"] = json!(format!("Family{n}"));
    if let Some(receiving) = receiving {
        body["receiving_service"] = receiving;
    }
    body
}

fn to_service() -> Option<Value> {
    Some(json!({"ods_code": ORG}))
}

/// Asserts the 422 of a referral to a service that has no agreement with the caller.
async fn refused_for_want_of_an_agreement(response: Response) {
    let p = problem(response, 422).await;
    let e = error_for(&p, "receiving_service");
    let said = format!("{} {}", e["code"], e["message"]).to_lowercase();
    assert!(said.contains("agreement"), "{p}");
}

fn ids(page: &Value) -> Vec<String> {
    page["items"]
        .as_array()
        .unwrap_or_else(|| panic!("no items in {page}"))
        .iter()
        .map(id_of)
        .collect()
}

fn status_path(id: &str) -> String {
    format!("/v1/referrals/{id}/status")
}

/// A contained ServiceRequest from `practice`, addressed to `performer` (an ODS code).
fn service_request_from(practice: &str, performer: Option<&str>) -> Value {
    let mut sr = socialrx_api::routes::fhir::schemas::service_request();
    assert_eq!(sr["contained"][1]["resourceType"], "Organization");
    sr["contained"][1]["identifier"][0]["value"] = json!(practice);
    if let Some(ods) = performer {
        sr["performer"] = json!([{
            "type": "Organization",
            "identifier": {"system": ODS_SYSTEM, "value": ods}
        }]);
    }
    sr
}

async fn post_service_request(app: &TestApp, token: &str, body: &Value) -> Response {
    app.post("/fhir/r4/ServiceRequest")
        .bearer_auth(token)
        .header("content-type", "application/fhir+json")
        .body(body.to_string())
        .send()
        .await
        .unwrap()
}

/// Posts a ServiceRequest that must be taken in; returns the referral's id.
async fn send_service_request(app: &TestApp, token: &str, body: &Value) -> String {
    let response = post_service_request(app, token, body).await;
    let status = response.status().as_u16();
    let location = response
        .headers()
        .get("location")
        .map(|l| l.to_str().unwrap().to_owned());
    let text = response.text().await.unwrap();
    assert_eq!(status, 201, "{text}");
    location
        .unwrap()
        .strip_prefix("/fhir/r4/ServiceRequest/")
        .unwrap()
        .to_owned()
}

/// Asserts an OperationOutcome with `status`; returns its issues' expressions.
async fn operation_outcome(response: Response, status: u16) -> Vec<String> {
    let actual = response.status().as_u16();
    let content_type = response
        .headers()
        .get("content-type")
        .map(|v| v.to_str().unwrap().to_owned())
        .unwrap_or_default();
    let body: Value = response.json().await.unwrap_or(Value::Null);
    assert_eq!(actual, status, "{body}");
    assert_eq!(content_type, "application/fhir+json", "{body}");
    assert_eq!(body["resourceType"], "OperationOutcome", "{body}");
    body["issue"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|i| i["expression"].as_array().cloned().unwrap_or_default())
        .map(|e| e.as_str().unwrap().to_owned())
        .collect()
}

fn today() -> time::Date {
    time::OffsetDateTime::now_utc().date()
}

/// 2. Many surgeries, many doors (Birmingham), across organisations: six practices refer
/// into one service under its agreements; each reads back only what it sent, and only the
/// referrer's view of it; the service works the case and reports by referrer organisation.
#[tokio::test]
async fn journey_2_six_practices_refer_into_one_service() {
    let app = spawn_app().await;
    let service_id = register_service(&app).await;
    let admin = service_admin(&app);
    let coordinator = app.coordinator();
    let practices = ["B85001", "B85002", "B85003", "B85004", "B85005", "B85006"];
    // A practice the service has no agreement with.
    let seventh = "B86007";
    let token: BTreeMap<&str, String> = practices
        .iter()
        .chain([&seventh])
        .map(|p| (*p, practice(&app, p)))
        .collect();

    // The service's admin agrees to take referrals from five practices by name.
    for p in &practices[..5] {
        let agreement = agree(&app, json!({"referrer_ods_code": p})).await;
        assert_eq!(agreement["organisation"], ORG);
        assert_eq!(agreement["referrer_ods_code"], *p);
        assert_eq!(agreement["issuer"], Value::Null);
    }

    // Each of the five refers one person (the first practice two), from its own GP system;
    // one names the service by its organisation id rather than its ODS code.
    let mut sent: BTreeMap<&str, Vec<String>> = BTreeMap::new();
    let mut n = 200;
    for p in &practices[..5] {
        let times = if *p == "B85001" { 2 } else { 1 };
        for _ in 0..times {
            n += 1;
            let receiving = if *p == "B85003" {
                Some(json!({"organisation_id": service_id}))
            } else {
                to_service()
            };
            let created = app
                .create_referral(&token[p], &referral_from(p, n, receiving))
                .await;
            assert_eq!(created["status"], "received");
            assert_eq!(created["receiving_service"], ORG, "{created}");
            assert_eq!(created["referrer_organisation"], *p, "{created}");
            sent.entry(*p).or_default().push(id_of(&created));
        }
    }

    // The sixth practice and the seventh have no agreement: refused, naming the service.
    for p in ["B85006", seventh] {
        let response = app
            .post_referral(&token[p], &referral_from(p, 300, to_service()))
            .await;
        refused_for_want_of_an_agreement(response).await;
    }
    // An agreement with the identity provider covers every organisation whose token it
    // signed: the sixth practice, and the seventh too while it stands.
    let by_issuer = agree(&app, json!({"issuer": app.settings.jwt_issuer})).await;
    assert_eq!(by_issuer["issuer"], app.settings.jwt_issuer.as_str());
    assert_eq!(by_issuer["referrer_ods_code"], Value::Null);
    for (p, n) in [("B85006", 301), (seventh, 302)] {
        let created = app
            .create_referral(&token[p], &referral_from(p, n, to_service()))
            .await;
        assert_eq!(created["receiving_service"], ORG);
        assert_eq!(created["referrer_organisation"], p);
        sent.entry(p).or_default().push(id_of(&created));
    }
    let path = format!("/v1/referral-agreements/{}", id_of(&by_issuer));
    assert_eq!(delete(&app, &path, &admin).await.status(), 204);
    // Withdrawn: neither may send again (the five named practices still may).
    for p in ["B85006", seventh] {
        let response = app
            .post_referral(&token[p], &referral_from(p, 303, to_service()))
            .await;
        refused_for_want_of_an_agreement(response).await;
    }
    let all: BTreeSet<String> = sent.values().flatten().cloned().collect();
    assert_eq!(all.len(), 8);

    // Each practice lists only what it sent, newest first, as referrer views.
    for (p, mine) in &sent {
        let (status, page) = app.get_json("/v1/sent-referrals", &token[p]).await;
        assert_eq!(status, 200, "{page}");
        let mut newest_first = mine.clone();
        newest_first.reverse();
        assert_eq!(ids(&page), newest_first, "{p}");
        assert!(page["next_cursor"].is_null(), "{page}");
        for item in page["items"].as_array().unwrap() {
            assert_referrer_view(item);
            assert_eq!(item["referrer_organisation"], *p);
            assert_eq!(item["receiving_service"], ORG);
            assert_eq!(item["status"], "received");
        }
    }
    // The service sent none itself; a link worker may not list sent referrals.
    let (_, none) = app.get_json("/v1/sent-referrals", &coordinator).await;
    assert_eq!(none["items"], json!([]));
    let worker_only = app.token(ORG, &["link_worker"]);
    problem(
        app.get("/v1/sent-referrals")
            .bearer_auth(&worker_only)
            .send()
            .await
            .unwrap(),
        403,
    )
    .await;

    // The service's coordinator sees all of them in the service's list.
    let (status, list) = app.get_json("/v1/referrals?limit=100", &coordinator).await;
    assert_eq!(status, 200, "{list}");
    let listed: BTreeSet<String> = ids(&list).into_iter().collect();
    assert_eq!(listed, all);

    // A practice reads neither another practice's referral nor the case record of its own.
    let a = sent["B85001"][0].clone();
    let b = sent["B85002"][0].clone();
    let b_practice = &token["B85002"];
    let (status, foreign) = app.get_json(&status_path(&a), b_practice).await;
    assert_eq!(status, 404, "{foreign}");
    let mine = &token["B85001"];
    for path in [
        format!("/v1/referrals/{a}"),
        format!("/v1/referrals/{a}/contacts"),
        format!("/v1/referrals/{a}/plan"),
        format!("/v1/referrals/{a}/connections"),
        format!("/v1/referrals/{a}/timeline"),
        format!("/v1/referrals/{a}/history"),
        "/v1/referrals".to_owned(),
    ] {
        let response = app.get(&path).bearer_auth(mine).send().await.unwrap();
        problem(response, 403).await;
    }

    // The service accepts the first practice's referral, assigns it, makes contact and
    // connects her to a gardening group (she goes) and a craft group (she says no).
    app.move_to(&a, json!({"to": "accepted"})).await;
    let aisha = id_of(&app.create_link_worker("birmingham|aisha", 10).await);
    let r = app.assign(&a, json!({"link_worker_id": aisha})).await;
    assert_eq!(r.status(), 200, "{}", r.text().await.unwrap());
    let r = app
        .record_contact(
            &coordinator,
            &a,
            json!({"mode": "phone", "occurred_at": days_ago(0), "minutes": 25,
                   "notes": "Struggling since her sister moved away; loves her allotment."}),
        )
        .await;
    assert_eq!(r.status(), 201, "{}", r.text().await.unwrap());
    let editor = editor(&app);
    let provider = add_provider(&app, &editor, "Birmingham Community Partnership").await;
    let mut garden = activity_body(&provider, "Balsall Heath community garden");
    garden["categories"] = json!(["nature_and_gardening"]);
    let garden = id_of(&add_activity(&app, &editor, &garden).await);
    let mut crafts = activity_body(&provider, "Sparkhill craft circle");
    crafts["categories"] = json!(["arts_and_crafts"]);
    let crafts = id_of(&add_activity(&app, &editor, &crafts).await);
    let went = id_of(&connect(&app, &coordinator, &a, &garden, true).await);
    let refused = id_of(&connect(&app, &coordinator, &a, &crafts, false).await);
    let r = move_connection(
        &app,
        &coordinator,
        &a,
        &went,
        "attending",
        "Goes every Thursday with her neighbour.",
    )
    .await;
    assert_eq!(r.status(), 200, "{}", r.text().await.unwrap());
    let r = move_connection(
        &app,
        &coordinator,
        &a,
        &refused,
        "declined",
        "Her hands are too painful for crafts.",
    )
    .await;
    assert_eq!(r.status(), 200, "{}", r.text().await.unwrap());
    // The second practice's referral is declined: out of area.
    app.move_to(&b, json!({"to": "declined", "reason": "out_of_area"}))
        .await;

    // The first practice reads the progress: dates, the connection taken up, no notes.
    let (status, view) = app.get_json(&status_path(&a), mine).await;
    assert_eq!(status, 200, "{view}");
    assert_referrer_view(&view);
    assert_eq!(view["id"], a.as_str());
    assert_eq!(view["status"], "in_progress");
    assert_eq!(view["source"], "gp");
    assert_eq!(view["referrer_organisation"], "B85001");
    assert_eq!(view["receiving_service"], ORG);
    assert_eq!(view["assigned"], true);
    for at in [
        "received_at",
        "accepted_at",
        "assigned_at",
        "first_contact_at",
    ] {
        assert!(view[at].is_string(), "{at}: {view}");
    }
    for none in [
        "declined_at",
        "closed_at",
        "decline_reason",
        "closure_reason",
    ] {
        assert!(view[none].is_null(), "{none}: {view}");
    }
    assert_eq!(
        view["connections_by_category"],
        json!({"nature_and_gardening": 1}),
        "a declined connection is never counted"
    );
    let connections = view["connections"].as_array().unwrap();
    assert!(
        connections.contains(
            &json!({"category": "nature_and_gardening", "status": "attending", "count": 1})
        ),
        "{view}"
    );
    assert!(view["outcomes"].is_array());
    let text = view.to_string();
    for private in [
        "Person201",
        "Family201",
        nhs_number(201).as_str(),
        "allotment",
        "sister",
        "Thursday",
        "hands are too painful",
        "Balsall Heath",
    ] {
        assert!(!text.contains(private), "{private} leaked into {text}");
    }
    // The service's own staff read the same view of a referral the service holds.
    let (status, theirs) = app.get_json(&status_path(&a), &coordinator).await;
    assert_eq!(status, 200, "{theirs}");
    assert_eq!(theirs["status"], "in_progress");

    // The second practice learns its referral was declined, and why (a code only).
    let (status, declined) = app.get_json(&status_path(&b), b_practice).await;
    assert_eq!(status, 200, "{declined}");
    assert_referrer_view(&declined);
    assert_eq!(declined["status"], "declined");
    assert_eq!(declined["decline_reason"], "out_of_area");
    assert!(declined["declined_at"].is_string(), "{declined}");
    assert_eq!(declined["assigned"], false);
    assert_eq!(declined["connections_by_category"], json!({}));

    // The first practice's list, filtered by status and by day received, and paged.
    let first = &sent["B85001"];
    let (_, page) = app
        .get_json("/v1/sent-referrals?status=in_progress", mine)
        .await;
    assert_eq!(ids(&page), vec![first[0].clone()]);
    let (_, page) = app
        .get_json("/v1/sent-referrals?status=received", mine)
        .await;
    assert_eq!(ids(&page), vec![first[1].clone()]);
    let (_, page) = app
        .get_json("/v1/sent-referrals?status=declined", mine)
        .await;
    assert_eq!(page["items"], json!([]));
    let (_, page) = app
        .get_json("/v1/sent-referrals?status=declined", b_practice)
        .await;
    assert_eq!(ids(&page), vec![b.clone()]);
    let today = today();
    let (yesterday, tomorrow) = (today.previous_day().unwrap(), today.next_day().unwrap());
    for (query, expected) in [
        (format!("received_from={tomorrow}"), 0),
        (format!("received_to={yesterday}"), 0),
        (format!("received_from={today}&received_to={today}"), 2),
        (
            format!("received_from={yesterday}&received_to={tomorrow}"),
            2,
        ),
    ] {
        let (status, page) = app
            .get_json(&format!("/v1/sent-referrals?{query}"), mine)
            .await;
        assert_eq!(status, 200, "{query}: {page}");
        assert_eq!(page["items"].as_array().unwrap().len(), expected, "{query}");
    }
    let (_, page) = app.get_json("/v1/sent-referrals?limit=1", mine).await;
    assert_eq!(ids(&page), vec![first[1].clone()], "newest first");
    let cursor = page["next_cursor"].as_str().unwrap();
    let (_, page) = app
        .get_json(&format!("/v1/sent-referrals?limit=1&cursor={cursor}"), mine)
        .await;
    assert_eq!(ids(&page), vec![first[0].clone()]);
    assert!(page["next_cursor"].is_null(), "{page}");
    // Another practice's cursor gives nothing of the first's.
    let (_, page) = app
        .get_json(&format!("/v1/sent-referrals?cursor={cursor}"), b_practice)
        .await;
    assert!(!ids(&page).contains(&first[0]), "{page}");
    for (query, field) in [
        ("status=lost", "status"),
        ("received_from=yesterday", "received_from"),
        ("received_to=2026-13-01", "received_to"),
        ("limit=0", "limit"),
    ] {
        let response = app
            .get(&format!("/v1/sent-referrals?{query}"))
            .bearer_auth(mine)
            .send()
            .await
            .unwrap();
        let p = problem(response, 422).await;
        assert_eq!(fields(&p), vec![field], "{query}");
    }

    // The service's report counts referrals by the organisation that sent them.
    let report = format!("/v1/reports/summary?from={yesterday}&to={tomorrow}");
    let (status, summary) = app.get_json(&report, &coordinator).await;
    assert_eq!(status, 200, "{summary}");
    assert_eq!(summary["referrals"], 8);
    let by_practice = summary["by_practice"].as_array().unwrap();
    assert!(
        by_practice.contains(&json!({"code": "B85001", "count": 2})),
        "{summary}"
    );
    // A practice's own report holds none of them: the records are the service's.
    let practice_coordinator = app.token("B85001", &["coordinator"]);
    let (status, theirs) = app.get_json(&report, &practice_coordinator).await;
    assert_eq!(status, 200, "{theirs}");
    assert_eq!(theirs["referrals"], 0, "{theirs}");
    // By the organisation that sent them (the token's), beside by practice (the body's).
    // A list of codes and counts like `by_practice`: most first, then by code.
    assert_eq!(
        summary["by_referrer_organisation"],
        json!([
            {"code": "B85001", "count": 2},
            {"code": "B85002", "count": 1},
            {"code": "B85003", "count": 1},
            {"code": "B85004", "count": 1},
            {"code": "B85005", "count": 1},
            {"code": "B85006", "count": 1},
            {"code": "B86007", "count": 1}
        ]),
        "{summary}"
    );
    app.finish().await;
}

/// The service's admin manages who may refer into it: one agreement names a referrer
/// organisation or an identity provider, never both or neither; the same one twice is a
/// conflict; only admins manage them; another organisation's agreements are 404.
#[tokio::test]
async fn referral_agreements_are_created_listed_read_and_deleted_by_the_services_admin() {
    let app = spawn_app().await;
    register_service(&app).await;
    register(&app, OTHER_ORG, "Leeds North Wellbeing").await;
    let admin = service_admin(&app);

    // Only an admin manages agreements.
    for roles in [&["coordinator"][..], &["referrer", "link_worker"][..]] {
        let response = post_agreement(
            &app,
            &app.token(ORG, roles),
            &json!({"referrer_ods_code": "B85001"}),
        )
        .await;
        problem(response, 403).await;
    }
    // Exactly one of a referrer organisation and an issuer.
    for body in [
        json!({}),
        json!({"referrer_ods_code": "B85001", "issuer": app.settings.jwt_issuer}),
    ] {
        let p = problem(post_agreement(&app, &admin, &body).await, 422).await;
        assert!(!fields(&p).is_empty(), "{p}");
    }
    let p = problem(
        post_agreement(&app, &admin, &json!({"referrer_ods_code": "B8-5001"})).await,
        422,
    )
    .await;
    assert_eq!(fields(&p), vec!["referrer_ods_code"], "{p}");

    // A named practice.
    let response = post_agreement(&app, &admin, &json!({"referrer_ods_code": "B85001"})).await;
    assert_eq!(response.status(), 201);
    let location = response.headers()["location"].to_str().unwrap().to_owned();
    let named: Value = response.json().await.unwrap();
    let named_id = id_of(&named);
    assert_eq!(location, format!("/v1/referral-agreements/{named_id}"));
    assert_eq!(named["organisation"], ORG);
    assert_eq!(named["referrer_ods_code"], "B85001");
    assert_eq!(named["issuer"], Value::Null);
    assert_eq!(named["created_by"], "idp|service-admin");
    assert!(named["created_at"].is_string(), "{named}");
    // The same practice again, however it is spelt, is a conflict.
    for code in ["B85001", "b85001"] {
        let again = post_agreement(&app, &admin, &json!({"referrer_ods_code": code})).await;
        problem(again, 409).await;
    }

    // An identity provider.
    let issuer = json!({"issuer": app.settings.jwt_issuer});
    let response = post_agreement(&app, &admin, &issuer).await;
    assert_eq!(response.status(), 201);
    let location = response.headers()["location"].to_str().unwrap().to_owned();
    let by_issuer: Value = response.json().await.unwrap();
    let issuer_id = id_of(&by_issuer);
    assert_eq!(location, format!("/v1/referral-agreements/{issuer_id}"));
    assert_eq!(by_issuer["issuer"], app.settings.jwt_issuer.as_str());
    assert_eq!(by_issuer["referrer_ods_code"], Value::Null);
    assert_eq!(by_issuer["organisation"], ORG);
    problem(post_agreement(&app, &admin, &issuer).await, 409).await;

    // Listed and read back as created.
    let (status, list) = app.get_json("/v1/referral-agreements", &admin).await;
    assert_eq!(status, 200, "{list}");
    let listed: BTreeSet<String> = ids(&list).into_iter().collect();
    assert_eq!(
        listed,
        BTreeSet::from([named_id.clone(), issuer_id.clone()])
    );
    assert!(list["next_cursor"].is_null(), "{list}");
    let named_path = format!("/v1/referral-agreements/{named_id}");
    let (status, read) = app.get_json(&named_path, &admin).await;
    assert_eq!(status, 200);
    assert_eq!(read, named);

    // Another organisation's admin: its own list is empty, ours are 404 to read or delete,
    // and it may make the same agreement for itself.
    let other_admin = app.token(OTHER_ORG, &["admin"]);
    let (_, theirs) = app.get_json("/v1/referral-agreements", &other_admin).await;
    assert_eq!(theirs["items"], json!([]));
    for id in [&named_id, &issuer_id] {
        let path = format!("/v1/referral-agreements/{id}");
        let response = app
            .get(&path)
            .bearer_auth(&other_admin)
            .send()
            .await
            .unwrap();
        problem(response, 404).await;
        problem(delete(&app, &path, &other_admin).await, 404).await;
    }
    let response =
        post_agreement(&app, &other_admin, &json!({"referrer_ods_code": "B85001"})).await;
    assert_eq!(response.status(), 201, "{}", response.text().await.unwrap());
    let (_, ours) = app.get_json("/v1/referral-agreements", &admin).await;
    assert_eq!(ours["items"].as_array().unwrap().len(), 2, "{ours}");
    // Nor may a coordinator of ours delete one.
    problem(delete(&app, &named_path, &app.coordinator()).await, 403).await;

    // While the agreement stands the practice refers in; once deleted it may not.
    let b85001 = practice(&app, "B85001");
    let response = app
        .post_referral(&b85001, &referral_from("B85001", 41, to_service()))
        .await;
    assert_eq!(response.status(), 201, "{}", response.text().await.unwrap());
    assert_eq!(delete(&app, &named_path, &admin).await.status(), 204);
    let issuer_path = format!("/v1/referral-agreements/{issuer_id}");
    assert_eq!(delete(&app, &issuer_path, &admin).await.status(), 204);
    let response = app
        .post_referral(&b85001, &referral_from("B85001", 42, to_service()))
        .await;
    refused_for_want_of_an_agreement(response).await;
    let (status, _) = app.get_json(&named_path, &admin).await;
    assert_eq!(status, 404);
    problem(delete(&app, &named_path, &admin).await, 404).await;
    let (_, list) = app.get_json("/v1/referral-agreements", &admin).await;
    assert_eq!(list["items"], json!([]));
    problem(
        app.get("/v1/referral-agreements/01a20159-67f6-732d-b6ed-d9503e62ffc1")
            .bearer_auth(&admin)
            .send()
            .await
            .unwrap(),
        404,
    )
    .await;
    app.finish().await;
}

/// Where a referral goes: absent, the caller's own organisation; the caller's own by name;
/// another organisation only under an agreement; an unknown organisation id is named.
#[tokio::test]
async fn the_receiving_service_is_the_callers_own_or_one_with_an_agreement() {
    let app = spawn_app().await;
    let service_id = register_service(&app).await;
    let other_id = register(&app, OTHER_ORG, "Leeds North Wellbeing").await;
    agree(&app, json!({"referrer_ods_code": "B85001"})).await;
    let b85001 = practice(&app, "B85001");

    // No receiving service: the practice's own organisation holds it, as before.
    let own = app
        .create_referral(&b85001, &referral_from("B85001", 51, None))
        .await;
    assert_eq!(own["receiving_service"], "B85001");
    assert_eq!(own["referrer_organisation"], "B85001");
    let (status, _) = app
        .get_json(
            &format!("/v1/referrals/{}", id_of(&own)),
            &app.coordinator(),
        )
        .await;
    assert_eq!(status, 404, "the service does not hold it");
    // The service naming itself.
    let itself = app
        .create_referral(&app.referrer(), &referral_from(ORG, 52, to_service()))
        .await;
    assert_eq!(itself["receiving_service"], ORG);
    assert_eq!(itself["referrer_organisation"], ORG);

    // To the service under the agreement, by ODS code or by organisation id.
    for (n, receiving) in [
        (53, json!({"ods_code": ORG})),
        (54, json!({"organisation_id": service_id})),
    ] {
        let response = app
            .post_referral(&b85001, &referral_from("B85001", n, Some(receiving)))
            .await;
        assert_eq!(response.status(), 201);
        let location = response.headers()["location"].to_str().unwrap().to_owned();
        let created: Value = response.json().await.unwrap();
        assert_eq!(location, format!("/v1/referrals/{}", id_of(&created)));
        assert_eq!(created["receiving_service"], ORG);
        assert_eq!(created["referrer_organisation"], "B85001");
    }
    // To a registered organisation without an agreement, by either name: refused.
    for receiving in [
        json!({"ods_code": OTHER_ORG}),
        json!({"organisation_id": other_id}),
    ] {
        let response = app
            .post_referral(&b85001, &referral_from("B85001", 55, Some(receiving)))
            .await;
        refused_for_want_of_an_agreement(response).await;
    }
    // Another practice the service has no agreement with.
    let response = app
        .post_referral(
            &practice(&app, "B85002"),
            &referral_from("B85002", 56, to_service()),
        )
        .await;
    refused_for_want_of_an_agreement(response).await;
    // No organisation has that id.
    let response = app
        .post_referral(
            &b85001,
            &referral_from(
                "B85001",
                57,
                Some(json!({"organisation_id": "01a20159-67f6-732d-b6ed-d9503e62ffc1"})),
            ),
        )
        .await;
    let p = problem(response, 422).await;
    error_for(&p, "receiving_service.organisation_id");
    // No service has that ODS code.
    let response = app
        .post_referral(
            &b85001,
            &referral_from("B85001", 58, Some(json!({"ods_code": "Y99999"}))),
        )
        .await;
    let p = problem(response, 422).await;
    assert!(
        fields(&p)
            .iter()
            .any(|f| f.starts_with("receiving_service")),
        "{p}"
    );

    // The service received two from the practice and one of its own; nothing refused
    // reached it.
    let (_, list) = app
        .get_json("/v1/referrals?limit=100", &app.coordinator())
        .await;
    assert_eq!(list["items"].as_array().unwrap().len(), 3, "{list}");
    let (_, sent) = app.get_json("/v1/sent-referrals", &b85001).await;
    assert_eq!(sent["items"].as_array().unwrap().len(), 3, "{sent}");
    app.finish().await;
}

/// FHIR intake routes by `ServiceRequest.performer`: under an agreement the referral lands
/// in the service; an unagreed or unknown performer is refused at that element. The
/// practice reads back the Task and ServiceRequest of what it sent, and nothing else.
#[tokio::test]
async fn fhir_service_requests_are_routed_by_performer_and_read_back_by_their_sender() {
    let app = spawn_app().await;
    register_service(&app).await;
    for p in ["B85001", "B85003"] {
        agree(&app, json!({"referrer_ods_code": p})).await;
    }
    let coordinator = app.coordinator();
    let b85001 = practice(&app, "B85001");

    // Agreed: it lands in the service, sent by the practice.
    let id = send_service_request(&app, &b85001, &service_request_from("B85001", Some(ORG))).await;
    let (status, record) = app
        .get_json(&format!("/v1/referrals/{id}"), &coordinator)
        .await;
    assert_eq!(status, 200, "{record}");
    assert_eq!(record["referrer"]["ods_code"], "B85001");
    let (_, sent) = app.get_json("/v1/sent-referrals", &b85001).await;
    assert_eq!(ids(&sent), vec![id.clone()]);
    assert_eq!(sent["items"][0]["receiving_service"], ORG);
    assert_eq!(sent["items"][0]["referrer_organisation"], "B85001");

    // No agreement with this practice; a service nobody knows.
    for (token, body) in [
        (
            practice(&app, "B85002"),
            service_request_from("B85002", Some(ORG)),
        ),
        (
            b85001.clone(),
            service_request_from("B85001", Some("Y99999")),
        ),
    ] {
        let expressions =
            operation_outcome(post_service_request(&app, &token, &body).await, 422).await;
        assert!(
            expressions
                .iter()
                .any(|e| e.starts_with("ServiceRequest.performer")),
            "{expressions:?}"
        );
    }
    // No performer: the sender's own organisation holds it, as before.
    let own = send_service_request(&app, &b85001, &service_request_from("B85001", None)).await;
    let (status, _) = app
        .get_json(&format!("/v1/referrals/{own}"), &coordinator)
        .await;
    assert_eq!(status, 404, "the service does not hold it");
    let (_, list) = app.get_json("/v1/referrals?limit=100", &coordinator).await;
    assert_eq!(
        ids(&list),
        vec![id.clone()],
        "nothing refused reached the service"
    );

    // The practice reads back the Task and the ServiceRequest of its referral.
    let (status, task) = app.get_json(&format!("/fhir/r4/Task/{id}"), &b85001).await;
    assert_eq!(status, 200, "{task}");
    assert_eq!(task["resourceType"], "Task");
    assert_eq!(task["status"], "requested");
    assert_eq!(task["focus"]["reference"], format!("ServiceRequest/{id}"));
    assert_eq!(task["owner"]["identifier"]["value"], ORG, "{task}");
    let (status, sr) = app
        .get_json(&format!("/fhir/r4/ServiceRequest/{id}"), &b85001)
        .await;
    assert_eq!(status, 200, "{sr}");
    assert_eq!(sr["resourceType"], "ServiceRequest");
    assert_eq!(sr["id"], id.as_str());
    assert_eq!(sr["performer"][0]["identifier"]["value"], ORG, "{sr}");
    // Progress shows in the Task.
    app.move_to(&id, json!({"to": "accepted"})).await;
    let (_, task) = app.get_json(&format!("/fhir/r4/Task/{id}"), &b85001).await;
    assert_eq!(task["status"], "accepted");

    // Another practice's referral to the same service, and the service's own: 404.
    let theirs = send_service_request(
        &app,
        &practice(&app, "B85003"),
        &service_request_from("B85003", Some(ORG)),
    )
    .await;
    let services = id_of(
        &app.create_referral(&app.referrer(), &referral_from(ORG, 61, None))
            .await,
    );
    for other in [&theirs, &services] {
        for kind in ["Task", "ServiceRequest"] {
            let response = app
                .get(&format!("/fhir/r4/{kind}/{other}"))
                .bearer_auth(&b85001)
                .send()
                .await
                .unwrap();
            operation_outcome(response, 404).await;
        }
    }
    app.finish().await;
}

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
