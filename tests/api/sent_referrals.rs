//! Referrals between organisations: GP practices refer into a social prescribing service
//! under referral agreements the service's admin controls, and read back only the
//! referrer's view of what they sent (journey 2, "many surgeries, many doors"). The
//! service holds every record; a practice sees status, dates and counts, never the case.
//!
//! This file holds the helpers and journey 2 end to end; `routing` (agreements, and where
//! a referral goes) and `referrer_view` (what a practice reads back) hold the rest.

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use reqwest::Response;
use serde_json::{Value, json};

use crate::connections::{connect, move_to as move_connection};
use crate::directory::{activity_body, add_activity, add_provider, editor};
use crate::steps::*;
use crate::support::*;
use crate::webhooks::{Receiver, SECRET};

mod referrer_view;
mod routing;

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
