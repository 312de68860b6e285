//! Self-referral from a partner's website (journey 2: "a self-referral form on a partner
//! website, no NHS number, minimal data"): a partner key instead of a token, CORS for
//! exactly the partner's origins, rate limits, a honeypot, and an embeddable form.
//!
//! The JSON API's own tests are here with the helpers; `origins` (CORS), `rate_limits` and
//! `form` (the embeddable form and its post without JavaScript) hold the rest.

use serde_json::{Value, json};

use crate::support::*;

mod form;
mod origins;
mod rate_limits;

pub const PARTNER_SITE: &str = "https://www.carers-birmingham.example.org";
const OTHER_SITE: &str = "https://www.ageuk-birmingham.example.org";
const STRANGER: &str = "https://evil.example.net";

fn header<'a>(response: &'a reqwest::Response, name: &str) -> Option<&'a str> {
    response.headers().get(name).map(|v| v.to_str().unwrap())
}

#[tokio::test]
async fn a_self_referral_reaches_the_partners_organisation_as_a_referral_from_self() {
    let app = spawn_app().await;
    let (partner_id, key) = app
        .register_partner(ORG, "Carers Trust Birmingham", &[PARTNER_SITE])
        .await;
    let response = app
        .self_referral(&key)
        .header("Origin", PARTNER_SITE)
        .header("X-Request-Id", "form-1")
        .json(&self_referral_body())
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 201);
    assert!(response.headers().get("location").is_none());
    let text = response.text().await.unwrap();
    let answer: Value = serde_json::from_str(&text).unwrap();
    let reference = answer["reference"].as_str().unwrap();
    assert!(reference.starts_with("SRX-"), "{answer}");
    assert_eq!(
        answer.as_object().unwrap().keys().collect::<Vec<_>>(),
        vec!["message", "reference"],
        "only the reference and a message"
    );
    for personal in ["Delroy", "Campbell", "1958", "B11", "0121", "retired"] {
        assert!(!text.contains(personal), "the answer echoes {personal}");
    }

    // A coordinator of the organisation finds it among the self-referrals.
    let coordinator = app.token(ORG, &["coordinator"]);
    let (status, page) = app
        .get_json("/v1/referrals?source=self", &coordinator)
        .await;
    assert_eq!(status, 200);
    let items = page["items"].as_array().unwrap();
    assert_eq!(items.len(), 1);
    let referral = &items[0];
    assert_eq!(referral["reference"], reference);
    assert_eq!(referral["source"], "self");
    assert_eq!(referral["status"], "received");
    assert_eq!(
        referral["referrer"],
        json!({"ods_code": null, "name": "Carers Trust Birmingham",
               "role": "Self-referral through a partner's website form",
               "contact_details": null})
    );
    assert_eq!(referral["referral_method"], "self_referral");
    assert_eq!(
        referral["reasons"],
        json!(["loneliness_isolation", "physical_activity"])
    );
    assert_eq!(referral["notes"], "Since I retired I hardly see anyone.");
    assert_eq!(referral["person"]["nhs_number"], Value::Null);
    assert_eq!(referral["person"]["postcode"], "B11 4BW");
    assert_eq!(referral["person"]["given_name"], "Delroy");
    assert_eq!(referral["consent"]["method"], "electronic");

    // Another organisation sees nothing of it.
    let (_, theirs) = app
        .get_json(
            "/v1/referrals?source=self",
            &app.token(OTHER_ORG, &["coordinator"]),
        )
        .await;
    assert_eq!(theirs["items"], json!([]));

    // The partner form is the audited actor.
    let id = referral["id"].as_str().unwrap();
    let (_, audit) = app
        .get_json(
            &format!("/v1/audit?resource_id={id}&actor=partner:{partner_id}"),
            &coordinator,
        )
        .await;
    let events = audit["items"].as_array().unwrap();
    assert_eq!(events.len(), 1, "{audit}");
    assert_eq!(events[0]["action"], "create");
    assert_eq!(events[0]["request_id"], "form-1");
    app.finish().await;
}

#[tokio::test]
async fn without_a_known_active_key_it_is_401_naming_the_header() {
    let app = spawn_app().await;
    let response = app
        .post("/v1/self-referrals")
        .json(&self_referral_body())
        .send()
        .await
        .unwrap();
    assert!(
        response.headers().get("www-authenticate").is_none(),
        "no bearer challenge for a partner-key route"
    );
    let p = problem(response, 401).await;
    assert_eq!(p["type"], "https://socialrx.org.uk/problems/partner-key");
    assert!(p["detail"].as_str().unwrap().contains("X-Partner-Key"));

    for key in ["nonsense", "srxpk_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", ""] {
        let p = problem(
            app.post_self_referral(key, &self_referral_body()).await,
            401,
        )
        .await;
        assert!(p["detail"].as_str().unwrap().contains("not known"), "{p}");
    }
    // A bearer token is no substitute.
    let response = app
        .post("/v1/self-referrals")
        .bearer_auth(app.token(ORG, &["admin"]))
        .json(&self_referral_body())
        .send()
        .await
        .unwrap();
    problem(response, 401).await;
    app.finish().await;
}

#[tokio::test]
async fn field_errors_are_named_as_in_the_self_referral_and_all_reported_at_once() {
    let app = spawn_app().await;
    let (_, key) = app.register_partner(ORG, "Partner", &[PARTNER_SITE]).await;
    let body = json!({
        "given_name": " ",
        "family_name": "Campbell",
        "date_of_birth": "2999-01-01",
        "postcode": "not a postcode",
        "phone": "",
        "email": "",
        "preferred_contact": "email",
        "nhs_number": "943 476 5918",
        "help_with": [],
        "help_with_details": "x".repeat(4001),
        "consent": {"given": false}
    });
    let p = problem(app.post_self_referral(&key, &body).await, 422).await;
    let mut named = fields(&p);
    named.sort();
    assert_eq!(
        named,
        vec![
            "consent.given",
            "date_of_birth",
            "given_name",
            "help_with",
            "help_with_details",
            "nhs_number",
            "postcode",
            "preferred_contact"
        ],
        "{p}"
    );
    assert_eq!(error_for(&p, "consent.given")["code"], "consent_required");
    assert_eq!(
        error_for(&p, "preferred_contact")["code"],
        "contact_missing"
    );

    let mut body = self_referral_body();
    body["help_with"] = json!(["housing", "walking"]);
    let p = problem(app.post_self_referral(&key, &body).await, 422).await;
    assert_eq!(fields(&p), vec!["help_with[1]"]);

    // Fields of a professional referral are not part of a self-referral.
    let mut body = self_referral_body();
    body["source"] = json!("gp");
    let p = problem(app.post_self_referral(&key, &body).await, 422).await;
    assert_eq!(error_for(&p, "source")["code"], "unknown_field");

    // A blank NHS number is no NHS number.
    let mut body = self_referral_body();
    body["nhs_number"] = json!("  ");
    assert_eq!(app.post_self_referral(&key, &body).await.status(), 201);
    let coordinator = app.token(ORG, &["coordinator"]);
    let (_, page) = app.get_json("/v1/referrals", &coordinator).await;
    assert_eq!(
        page["items"].as_array().unwrap().len(),
        1,
        "only the valid one was kept"
    );
    app.finish().await;
}

#[tokio::test]
async fn the_honeypot_answers_like_an_acceptance_and_keeps_nothing() {
    let app = spawn_app().await;
    let (_, key) = app.register_partner(ORG, "Partner", &[PARTNER_SITE]).await;
    let mut body = self_referral_body();
    body["website"] = json!("https://cheap-pills.example");
    let response = app.post_self_referral(&key, &body).await;
    assert_eq!(response.status(), 201);
    let answer: Value = response.json().await.unwrap();
    assert!(answer["reference"].as_str().unwrap().starts_with("SRX-"));
    let real: Value = app
        .post_self_referral(&key, &self_referral_body())
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(answer["message"], real["message"], "indistinguishable");

    // Even an invalid submission that fills the honeypot looks accepted.
    let response = app
        .post_self_referral(
            &key,
            &json!({"given_name": "", "family_name": "", "date_of_birth": "",
            "postcode": "", "preferred_contact": "", "help_with": [], "consent": {"given": false},
            "website": "x"}),
        )
        .await;
    assert_eq!(response.status(), 201);

    let coordinator = app.token(ORG, &["coordinator"]);
    let (_, page) = app.get_json("/v1/referrals", &coordinator).await;
    let kept = page["items"].as_array().unwrap();
    assert_eq!(kept.len(), 1, "only the real one");
    assert_eq!(kept[0]["reference"], real["reference"]);
    let metrics = app
        .get("/metrics")
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        metrics.contains("socialrx_self_referrals_discarded_total{reason=\"honeypot\"} 2"),
        "{metrics}"
    );
    app.finish().await;
}

#[tokio::test]
async fn a_retry_with_the_same_idempotency_key_makes_one_referral() {
    let app = spawn_app().await;
    let (_, key) = app.register_partner(ORG, "Carers", &[PARTNER_SITE]).await;
    let (_, other) = app.register_partner(ORG, "Age UK", &[OTHER_SITE]).await;
    let send = |key: &str| {
        app.self_referral(key)
            .header("Idempotency-Key", "attempt-1")
            .json(&self_referral_body())
            .send()
    };
    let first = send(&key).await.unwrap();
    assert_eq!(first.status(), 201);
    let first: Value = first.json().await.unwrap();
    let again = send(&key).await.unwrap();
    assert_eq!(header(&again, "idempotent-replayed"), Some("true"));
    assert_eq!(again.json::<Value>().await.unwrap(), first);

    // The same key from another partner's form is another request.
    let theirs: Value = send(&other).await.unwrap().json().await.unwrap();
    assert_ne!(theirs["reference"], first["reference"]);

    let mut changed = self_referral_body();
    changed["given_name"] = json!("Del");
    let reused = app
        .self_referral(&key)
        .header("Idempotency-Key", "attempt-1")
        .json(&changed)
        .send()
        .await
        .unwrap();
    let p = problem(reused, 422).await;
    assert_eq!(
        error_for(&p, "Idempotency-Key")["code"],
        "idempotency_key_reused"
    );

    let (_, page) = app
        .get_json("/v1/referrals", &app.token(ORG, &["coordinator"]))
        .await;
    assert_eq!(page["items"].as_array().unwrap().len(), 2);
    app.finish().await;
}

#[tokio::test]
async fn an_oversized_body_is_refused_before_it_is_read_whole() {
    let app = spawn_app().await;
    let (_, key) = app.register_partner(ORG, "Carers", &[PARTNER_SITE]).await;
    let mut body = self_referral_body();
    body["help_with_details"] = json!("x".repeat(70 * 1024));
    let response = app
        .self_referral(&key)
        .header("Origin", PARTNER_SITE)
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(
        header(&response, "access-control-allow-origin"),
        Some(PARTNER_SITE)
    );
    problem(response, 413).await;
    app.finish().await;
}

#[tokio::test]
async fn a_letter_needs_an_address_on_the_json_api_too() {
    let app = spawn_app().await;
    let (_, key) = app.register_partner(ORG, "Carers", &[PARTNER_SITE]).await;
    let mut body = self_referral_body();
    body["preferred_contact"] = json!("letter");
    let p = problem(app.post_self_referral(&key, &body).await, 422).await;
    assert_eq!(p["errors"][0]["field"], "address_lines", "{p}");
    assert_eq!(p["errors"][0]["code"], "contact_missing", "{p}");
    body["address_lines"] = json!(["12 Stratford Road", "Birmingham"]);
    assert_eq!(app.post_self_referral(&key, &body).await.status(), 201);

    // The referral API names the same field under person.
    let mut referral = referral_body();
    referral["person"]["preferred_contact"] = json!("letter");
    let response = app
        .post("/v1/referrals")
        .bearer_auth(app.referrer())
        .json(&referral)
        .send()
        .await
        .unwrap();
    let p = problem(response, 422).await;
    assert_eq!(p["errors"][0]["field"], "person.address_lines", "{p}");
    app.finish().await;
}
