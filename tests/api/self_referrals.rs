//! Self-referral from a partner's website (journey 2: "a self-referral form on a partner
//! website, no NHS number, minimal data"): a partner key instead of a token, CORS for
//! exactly the partner's origins, rate limits, a honeypot, and an embeddable form.

use serde_json::{Value, json};

use crate::support::*;

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
async fn a_preflight_is_allowed_for_exactly_the_origins_an_active_partner_lists() {
    let app = spawn_app().await;
    let (id, _) = app.register_partner(ORG, "Carers", &[PARTNER_SITE]).await;
    app.register_partner(OTHER_ORG, "Age UK", &[OTHER_SITE])
        .await;
    let preflight = |origin: &str| {
        app.client
            .request(reqwest::Method::OPTIONS, app.url("/v1/self-referrals"))
            .header("Origin", origin)
            .header("Access-Control-Request-Method", "POST")
            .header(
                "Access-Control-Request-Headers",
                "content-type,x-partner-key,idempotency-key",
            )
            .send()
    };
    for site in [PARTNER_SITE, OTHER_SITE] {
        let response = preflight(site).await.unwrap();
        assert_eq!(response.status(), 204);
        assert_eq!(header(&response, "access-control-allow-origin"), Some(site));
        assert_eq!(
            header(&response, "access-control-allow-methods"),
            Some("POST")
        );
        assert_eq!(
            header(&response, "access-control-allow-headers"),
            Some("Content-Type, X-Partner-Key, Idempotency-Key")
        );
        assert!(header(&response, "vary").unwrap().contains("Origin"));
        assert!(header(&response, "access-control-allow-credentials").is_none());
    }
    for origin in [
        STRANGER,
        "null",
        "https://www.carers-birmingham.example.org.evil.net",
    ] {
        let response = preflight(origin).await.unwrap();
        assert!(
            response
                .headers()
                .keys()
                .all(|h| !h.as_str().starts_with("access-control-")),
            "{origin} got CORS headers"
        );
    }

    // Once the partner is revoked, its origin is a stranger too.
    app.client
        .delete(app.url(&format!("/v1/partners/{id}")))
        .bearer_auth(app.token(ORG, &["admin"]))
        .send()
        .await
        .unwrap();
    let response = preflight(PARTNER_SITE).await.unwrap();
    assert!(header(&response, "access-control-allow-origin").is_none());

    // OPTIONS that is not a preflight is just a method this route does not have.
    let response = app
        .client
        .request(reqwest::Method::OPTIONS, app.url("/v1/self-referrals"))
        .send()
        .await
        .unwrap();
    assert_eq!(header(&response, "allow"), Some("POST"));
    problem(response, 405).await;
    app.finish().await;
}

#[tokio::test]
async fn an_actual_response_allows_only_the_origins_of_the_keys_partner() {
    let app = spawn_app().await;
    let (_, key) = app.register_partner(ORG, "Carers", &[PARTNER_SITE]).await;
    app.register_partner(ORG, "Age UK", &[OTHER_SITE]).await;
    let post = |origin: &str, key: &str| {
        app.self_referral(key)
            .header("Origin", origin)
            .json(&self_referral_body())
            .send()
    };

    let ok = post(PARTNER_SITE, &key).await.unwrap();
    assert_eq!(ok.status(), 201);
    assert_eq!(
        header(&ok, "access-control-allow-origin"),
        Some(PARTNER_SITE)
    );
    assert_eq!(header(&ok, "vary"), Some("Origin"));
    assert!(
        header(&ok, "access-control-expose-headers")
            .unwrap()
            .contains("Retry-After")
    );

    // Another partner's website may not use this key, nor may anyone else's.
    for origin in [OTHER_SITE, STRANGER] {
        let refused = post(origin, &key).await.unwrap();
        assert!(header(&refused, "access-control-allow-origin").is_none());
        let p = problem(refused, 403).await;
        assert!(p["detail"].as_str().unwrap().contains(origin), "{p}");
    }

    // A refusal before the partner is known follows the preflight rule, so a partner's
    // own form can tell the person what went wrong.
    let no_key = post(PARTNER_SITE, "srxpk_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA")
        .await
        .unwrap();
    assert_eq!(
        header(&no_key, "access-control-allow-origin"),
        Some(PARTNER_SITE)
    );
    problem(no_key, 401).await;
    let stranger = post(STRANGER, "srxpk_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA")
        .await
        .unwrap();
    assert!(header(&stranger, "access-control-allow-origin").is_none());

    // The embedded form is served by us and posts same-origin.
    let own = post(&app.address, &key).await.unwrap();
    assert_eq!(own.status(), 201);
    assert!(header(&own, "access-control-allow-origin").is_none());

    // Only the two accepted ones were kept.
    let (_, page) = app
        .get_json("/v1/referrals", &app.token(ORG, &["coordinator"]))
        .await;
    assert_eq!(page["items"].as_array().unwrap().len(), 2);
    app.finish().await;
}

#[tokio::test]
async fn one_address_is_limited_and_told_when_to_come_back() {
    let app = spawn_app_with(|s| {
        s.self_referral_per_ip_per_minute = 2;
        s.self_referral_per_partner_per_minute = 100;
    })
    .await;
    let (_, key) = app.register_partner(ORG, "Carers", &[PARTNER_SITE]).await;
    for _ in 0..2 {
        assert_eq!(
            app.post_self_referral(&key, &self_referral_body())
                .await
                .status(),
            201
        );
    }
    // Every attempt counts, with or without a valid key: guessing keys is limited too.
    let response = app
        .self_referral("srxpk_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA")
        .header("Origin", PARTNER_SITE)
        .json(&self_referral_body())
        .send()
        .await
        .unwrap();
    let retry: u64 = header(&response, "retry-after").unwrap().parse().unwrap();
    assert!((1..=30).contains(&retry), "{retry}");
    assert_eq!(
        header(&response, "access-control-allow-origin"),
        Some(PARTNER_SITE),
        "the partner's form can read the 429"
    );
    let p = problem(response, 429).await;
    assert_eq!(
        p["type"],
        "https://socialrx.org.uk/problems/too-many-requests"
    );
    app.finish().await;
}

#[tokio::test]
async fn one_partner_is_limited_whoever_sends_for_it() {
    let app = spawn_app_with(|s| {
        s.self_referral_per_ip_per_minute = 100;
        s.self_referral_per_partner_per_minute = 2;
    })
    .await;
    let (_, busy) = app.register_partner(ORG, "Busy", &[PARTNER_SITE]).await;
    let (_, quiet) = app.register_partner(ORG, "Quiet", &[OTHER_SITE]).await;
    for _ in 0..2 {
        assert_eq!(
            app.post_self_referral(&busy, &self_referral_body())
                .await
                .status(),
            201
        );
    }
    let response = app.post_self_referral(&busy, &self_referral_body()).await;
    assert!(header(&response, "retry-after").is_some());
    let p = problem(response, 429).await;
    assert!(p["detail"].as_str().unwrap().contains("for this form"));
    assert_eq!(
        app.post_self_referral(&quiet, &self_referral_body())
            .await
            .status(),
        201,
        "another partner has its own allowance"
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
async fn the_embeddable_form_is_served_for_an_active_key_and_framed_only_by_its_origins() {
    let app = spawn_app().await;
    let (_, key) = app
        .register_partner(ORG, "Carers & <Friends>", &[PARTNER_SITE, OTHER_SITE])
        .await;
    let page = app
        .get(&format!("/embed/self-referral?key={key}"))
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), 200);
    assert_eq!(
        header(&page, "content-type"),
        Some("text/html; charset=utf-8")
    );
    let csp = header(&page, "content-security-policy").unwrap().to_owned();
    assert!(csp.contains("default-src 'none'"), "{csp}");
    assert!(csp.contains("script-src 'self'"), "{csp}");
    assert!(
        csp.ends_with(&format!(
            "frame-ancestors 'self' {PARTNER_SITE} {OTHER_SITE}"
        )),
        "{csp}"
    );
    assert_eq!(header(&page, "cache-control"), Some("no-store"));
    assert_eq!(header(&page, "referrer-policy"), Some("same-origin"));
    let html = page.text().await.unwrap();
    assert!(html.contains(&format!("data-partner-key=\"{key}\"")));
    assert!(
        html.contains("Carers &amp; &lt;Friends&gt;"),
        "the name is escaped"
    );
    assert!(!html.contains("<script>"), "no inline script");
    // Nothing from elsewhere; the one address of another site is the quick exit's link.
    assert!(
        !html
            .replace("href=\"https://www.bbc.co.uk/weather\"", "")
            .contains("http"),
        "nothing from elsewhere"
    );
    for code in ["loneliness_isolation", "domestic_abuse", "other"] {
        assert!(html.contains(&format!("value=\"{code}\"")), "{code}");
    }

    for (path, content_type) in [
        ("/embed/self-referral.js", "text/javascript; charset=utf-8"),
        ("/embed/self-referral.css", "text/css; charset=utf-8"),
    ] {
        let asset = app.get(path).send().await.unwrap();
        assert_eq!(asset.status(), 200, "{path}");
        assert_eq!(header(&asset, "content-type"), Some(content_type));
        assert_eq!(header(&asset, "x-content-type-options"), Some("nosniff"));
    }

    let missing = app.get("/embed/self-referral").send().await.unwrap();
    assert_eq!(missing.status(), 400);
    assert!(
        header(&missing, "content-type")
            .unwrap()
            .starts_with("text/html")
    );
    let unknown = app
        .get("/embed/self-referral?key=srxpk_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA")
        .send()
        .await
        .unwrap();
    assert_eq!(unknown.status(), 404);
    assert!(
        unknown
            .text()
            .await
            .unwrap()
            .contains("This form is not available")
    );
    app.finish().await;
}

/// Two instances behind one load balancer share one allowance: the count is kept in the
/// database, not in each process.
#[tokio::test]
async fn two_instances_of_the_service_share_one_limit() {
    let limits = |s: &mut socialrx_server::config::Settings| {
        s.self_referral_per_ip_per_minute = 100;
        s.self_referral_per_partner_per_minute = 3;
    };
    let first = spawn_app_with(limits).await;
    let second = spawn_app_on_with(first.db.clone(), limits).await;
    let (_, key) = first.register_partner(ORG, "Carers", &[PARTNER_SITE]).await;
    // The allowance is per minute: start well inside one.
    let second_of_minute = time::OffsetDateTime::now_utc().second();
    if second_of_minute > 50 {
        tokio::time::sleep(std::time::Duration::from_secs(u64::from(
            61 - second_of_minute,
        )))
        .await;
    }
    for app in [&first, &first, &second] {
        assert_eq!(
            app.post_self_referral(&key, &self_referral_body())
                .await
                .status(),
            201
        );
    }
    // The second instance has seen one request of its own; together they have seen three.
    let response = second.post_self_referral(&key, &self_referral_body()).await;
    let retry: u64 = header(&response, "retry-after").unwrap().parse().unwrap();
    assert!((1..=60).contains(&retry), "{retry}");
    let p = problem(response, 429).await;
    assert!(
        p["detail"].as_str().unwrap().contains("for this form"),
        "{p}"
    );
    drop(second);
    first.finish().await;
}

/// The form as a browser without JavaScript sends it: urlencoded, the key in a field.
fn form_fields(key: &str) -> Vec<(&'static str, String)> {
    [
        ("key", key),
        ("idempotency_key", "form-retry-1"),
        ("given_name", "Delroy"),
        ("family_name", "Campbell"),
        ("dob-day", "2"),
        ("dob-month", "7"),
        ("dob-year", "1958"),
        ("postcode", "b11 4bw"),
        ("address_line", "12 Stratford Road"),
        ("address_line", ""),
        ("address_line", "Birmingham"),
        ("phone", ""),
        ("email", ""),
        ("preferred_contact", "letter"),
        ("nhs_number", ""),
        ("help_with", "loneliness_isolation"),
        ("help_with", "physical_activity"),
        ("help_with_details", "Since I retired I hardly see anyone."),
        ("website", ""),
        ("consent", "given"),
    ]
    .into_iter()
    .map(|(k, v)| (k, v.to_owned()))
    .collect()
}

async fn post_form(app: &TestApp, fields: &[(&str, String)]) -> reqwest::Response {
    app.post("/embed/self-referral")
        .form(fields)
        .send()
        .await
        .unwrap()
}

fn set(fields: &mut Vec<(&'static str, String)>, name: &'static str, value: &str) {
    fields.retain(|(k, _)| *k != name);
    fields.push((name, value.to_owned()));
}

#[tokio::test]
async fn without_javascript_the_form_posts_itself_and_answers_the_reference_in_html() {
    let app = spawn_app().await;
    let (_, key) = app.register_partner(ORG, "Carers", &[PARTNER_SITE]).await;
    let response = post_form(&app, &form_fields(&key)).await;
    assert_eq!(response.status(), 201);
    assert_eq!(
        header(&response, "content-type"),
        Some("text/html; charset=utf-8")
    );
    assert_eq!(header(&response, "cache-control"), Some("no-store"));
    assert!(header(&response, "content-security-policy").is_some());
    let page = response.text().await.unwrap();
    assert!(page.contains("<title>Referral sent: "), "{page}");
    let start = page.find("<strong id=\"reference\">").unwrap() + 23;
    let reference = &page[start..start + page[start..].find('<').unwrap()];
    assert!(reference.starts_with("SRX-"), "{reference}");
    assert!(!page.contains("Delroy"), "the answer echoes the details");

    // The same post again (a reload) is the same referral.
    let again = post_form(&app, &form_fields(&key)).await;
    assert_eq!(again.status(), 201);
    assert_eq!(header(&again, "idempotent-replayed"), Some("true"));
    assert!(again.text().await.unwrap().contains(reference));

    let (_, listed) = app
        .get_json(
            "/v1/referrals?source=self",
            &app.token(ORG, &["coordinator"]),
        )
        .await;
    let items = listed["items"].as_array().unwrap();
    assert_eq!(items.len(), 1);
    let person = &items[0]["person"];
    assert_eq!(items[0]["reference"], reference);
    assert_eq!(person["date_of_birth"], "1958-07-02");
    assert_eq!(person["preferred_contact"], "letter");
    assert_eq!(
        person["address_lines"],
        json!(["12 Stratford Road", "Birmingham"])
    );
    assert_eq!(person["postcode"], "B11 4BW");
    app.finish().await;
}

#[tokio::test]
async fn without_javascript_errors_come_back_at_their_fields_with_the_answers_escaped() {
    let app = spawn_app().await;
    let (_, key) = app.register_partner(ORG, "Carers", &[PARTNER_SITE]).await;
    let mut fields = form_fields(&key);
    fields.retain(|(k, _)| *k != "address_line" && *k != "consent");
    set(&mut fields, "given_name", "<script>alert(1)</script>");
    set(&mut fields, "postcode", "no\"><b>");
    let response = post_form(&app, &fields).await;
    assert_eq!(response.status(), 422);
    assert_eq!(
        header(&response, "content-type"),
        Some("text/html; charset=utf-8")
    );
    let page = response.text().await.unwrap();
    assert!(page.contains("<title>Error: "), "{page}");
    assert!(!page.contains("<script>alert"), "unescaped: {page}");
    assert!(page.contains("value=\"&lt;script&gt;alert(1)&lt;/script&gt;\""));
    assert!(page.contains("value=\"no&quot;&gt;&lt;b&gt;\""));
    // Each error at its field, the control marked and described, a summary linking to it.
    for (field, control, message) in [
        (
            "postcode",
            "postcode",
            "Enter a full UK postcode, like LS1 4AP",
        ),
        (
            "address_lines",
            "address_line_1",
            "Enter your address, or choose another way for us to contact you",
        ),
        ("consent", "consent-given", "Tick the box to agree"),
    ] {
        assert!(
            page.contains(&format!(
                "<p class=\"error-message\" id=\"{field}-error\"><span class=\"visually-hidden\">Error: </span>{message}"
            )),
            "{field}: {page}"
        );
        assert!(
            page.contains(&format!("<a href=\"#{control}\">{message}")),
            "{field}"
        );
        assert!(
            page.contains(&format!("class=\"field field-error\" id=\"{field}-field\""))
                || page.contains(&format!(
                    "class=\"field conditional field-error\" id=\"{field}-field\""
                )),
            "{field}"
        );
    }
    assert!(page.contains("id=\"postcode\" name=\"postcode\" value=\"no&quot;&gt;&lt;b&gt;\" aria-invalid=\"true\" aria-describedby=\"postcode-error\""));
    // What they chose stays chosen.
    assert!(page.contains("value=\"letter\" checked"));
    assert!(page.contains("value=\"physical_activity\" checked"));
    assert!(!page.contains("error-summary-title\" hidden"));
    // Nothing was made.
    let (_, listed) = app
        .get_json(
            "/v1/referrals?source=self",
            &app.token(ORG, &["coordinator"]),
        )
        .await;
    assert_eq!(listed["items"], json!([]));
    app.finish().await;
}

#[tokio::test]
async fn without_javascript_the_key_and_the_rate_limits_are_checked_as_for_json() {
    let app = spawn_app_with(|s| {
        s.self_referral_per_ip_per_minute = 2;
        s.self_referral_per_partner_per_minute = 100;
    })
    .await;
    let (_, key) = app.register_partner(ORG, "Carers", &[PARTNER_SITE]).await;
    let mut unknown = form_fields("srxpk_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA");
    set(&mut unknown, "idempotency_key", "a");
    let refused = post_form(&app, &unknown).await;
    assert_eq!(refused.status(), 401);
    assert_eq!(
        header(&refused, "content-type"),
        Some("text/html; charset=utf-8")
    );
    assert!(
        refused
            .text()
            .await
            .unwrap()
            .contains("This form is not available")
    );
    let mut fields = form_fields(&key);
    set(&mut fields, "idempotency_key", "b");
    assert_eq!(post_form(&app, &fields).await.status(), 201);
    set(&mut fields, "idempotency_key", "c");
    let limited = post_form(&app, &fields).await;
    assert_eq!(limited.status(), 429);
    let retry: u64 = header(&limited, "retry-after").unwrap().parse().unwrap();
    assert!((1..=60).contains(&retry), "{retry}");
    assert!(limited.text().await.unwrap().contains("Please wait"));
    // JSON is refused too: one limit for both ways in.
    let json = app.post_self_referral(&key, &self_referral_body()).await;
    assert_eq!(json.status(), 429);
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

#[tokio::test]
async fn the_form_offers_an_address_and_safety_text_with_a_quick_exit() {
    let app = spawn_app().await;
    let (_, key) = app.register_partner(ORG, "Carers", &[PARTNER_SITE]).await;
    let page = app
        .get(&format!("/embed/self-referral?key={key}"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(page.contains("<form id=\"self-referral\" action=\"self-referral\" method=\"post\""));
    assert!(page.contains(&format!(
        "<input type=\"hidden\" name=\"key\" value=\"{key}\">"
    )));
    assert!(page.contains("id=\"address_line_1\" name=\"address_line\""));
    assert!(page.contains("aria-controls=\"address_lines-field\""));
    assert!(page.contains("value=\"domestic_abuse\" aria-controls=\"safety\""));
    assert!(page.contains(
        "<a href=\"https://www.bbc.co.uk/weather\" class=\"quick-exit\" id=\"quick-exit\""
    ));
    assert!(page.contains("history"));
    app.finish().await;
}
