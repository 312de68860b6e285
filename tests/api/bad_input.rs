//! What an outside tester threw at the API: out-of-range dates, keys given twice, bodies in
//! another charset, a bare token, a space in an idempotency key, a body sent a byte at a
//! time, broken and oversized request heads. Each is a clear 4xx naming what is wrong; nothing is half-written.

use std::io::{Read, Write};
use std::time::Duration;

use serde_json::{Value, json};

use crate::support::*;

fn coordinator(app: &TestApp) -> String {
    app.token(ORG, &["coordinator", "referrer"])
}

#[tokio::test]
async fn a_time_before_year_one_in_utc_is_a_422_and_breaks_nothing_after_it() {
    let app = spawn_app().await;
    let token = coordinator(&app);
    let mut body = referral_body();
    body["consent"]["given_at"] = json!("0000-01-01T00:00:00+01:00");
    let p = problem(app.post_referral(&token, &body).await, 422).await;
    assert_eq!(error_for(&p, "consent.given_at")["code"], "out_of_range");
    body["person"]["date_of_birth"] = json!("1899-12-31");
    body["consent"]["given_at"] = json!("2200-01-01T00:00:00Z");
    let p = problem(app.post_referral(&token, &body).await, 422).await;
    assert_eq!(error_for(&p, "consent.given_at")["code"], "out_of_range");
    assert_eq!(
        error_for(&p, "person.date_of_birth")["code"],
        "out_of_range"
    );

    // The audit query with such a bound is a 422 too, not a dropped connection.
    let response = app
        .get("/v1/audit?from=0000-01-01T00:00:00%2B01:00")
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    let p = problem(response, 422).await;
    assert_eq!(error_for(&p, "from")["code"], "out_of_range");

    // The edge of the range is stored and read back, on every read that shows it.
    let mut edge = referral_body();
    edge["consent"]["given_at"] = json!("1900-01-01T00:00:00Z");
    let created = app.create_referral(&token, &edge).await;
    let id = created["id"].as_str().unwrap();
    let (status, one) = app.get_json(&format!("/v1/referrals/{id}"), &token).await;
    assert_eq!(status, 200, "{one}");
    assert_eq!(one["consent"]["given_at"], "1900-01-01T00:00:00Z");
    let (status, list) = app.get_json("/v1/referrals", &token).await;
    assert_eq!(status, 200, "{list}");
    let person = one["person"]["id"].as_str().unwrap();
    let (status, export) = app
        .get_json(&format!("/v1/people/{person}/export"), &token)
        .await;
    assert_eq!(status, 200, "{export}");
    let (status, _) = app
        .get_json(
            "/v1/audit?from=1900-01-01T00:00:00Z&to=2199-12-31T23:59:59Z",
            &token,
        )
        .await;
    assert_eq!(status, 200);
    app.finish().await;
}

#[tokio::test]
async fn a_key_given_twice_is_refused_not_silently_overwritten() {
    let app = spawn_app().await;
    let body = referral_body().to_string().replacen(
        "\"given_name\":\"Margaret\"",
        "\"given_name\":\"Margaret\",\"given_name\":\"Mallory\"",
        1,
    );
    assert!(body.contains("Mallory"));
    let response = app
        .post("/v1/referrals")
        .bearer_auth(app.referrer())
        .header("content-type", "application/json")
        .body(body)
        .send()
        .await
        .unwrap();
    let p = problem(response, 422).await;
    assert_eq!(error_for(&p, "person.given_name")["code"], "duplicate_key");
    let (_, list) = app.get_json("/v1/referrals", &coordinator(&app)).await;
    assert_eq!(list["items"], json!([]), "nothing was stored");
    app.finish().await;
}

#[tokio::test]
async fn a_body_in_another_charset_is_a_415_naming_utf8() {
    let app = spawn_app().await;
    for content_type in [
        "application/json; charset=iso-8859-1",
        "application/json;charset=windows-1252",
    ] {
        let response = app
            .post("/v1/referrals")
            .bearer_auth(app.referrer())
            .header("content-type", content_type)
            .body(referral_body().to_string())
            .send()
            .await
            .unwrap();
        let p = problem(response, 415).await;
        assert!(p["detail"].as_str().unwrap().contains("UTF-8"), "{p}");
    }
    let response = app
        .post("/v1/referrals")
        .bearer_auth(app.referrer())
        .header("content-type", "application/json; charset=utf-8")
        .body(referral_body().to_string())
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 201);
    app.finish().await;
}

#[tokio::test]
async fn a_token_without_its_scheme_is_named_as_such() {
    let app = spawn_app().await;
    let response = app
        .get("/v1/referrals")
        .header("authorization", coordinator(&app))
        .send()
        .await
        .unwrap();
    let p = problem(response, 401).await;
    assert!(
        p["detail"].as_str().unwrap().contains("lacks its scheme"),
        "{p}"
    );
    app.finish().await;
}

#[tokio::test]
async fn an_idempotency_key_with_a_space_is_refused() {
    let app = spawn_app().await;
    // (Spaces around a header value are not part of it in HTTP; inside, they are.)
    for key in ["tour 0001", "tour\t0001"] {
        let response = app
            .post("/v1/referrals")
            .bearer_auth(app.referrer())
            .header("Idempotency-Key", key)
            .json(&referral_body())
            .send()
            .await
            .unwrap();
        let p = problem(response, 422).await;
        assert_eq!(
            error_for(&p, "Idempotency-Key")["code"],
            "idempotency_key_format",
            "{key:?}"
        );
    }
    let (_, list) = app.get_json("/v1/referrals", &coordinator(&app)).await;
    assert_eq!(list["items"], json!([]));
    app.finish().await;
}

/// Sends the headers and a tenth of the body, then nothing; returns what came back.
fn send_slowly(address: &str, token: &str) -> (String, Duration) {
    let host = address.trim_start_matches("http://");
    let mut stream = std::net::TcpStream::connect(host).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(20)))
        .unwrap();
    let body = referral_body().to_string();
    let head = format!(
        "POST /v1/referrals HTTP/1.1\r\nHost: {host}\r\nAuthorization: Bearer {token}\r\n\
         Content-Type: application/json\r\nContent-Length: {}\r\n\r\n",
        body.len()
    );
    stream.write_all(head.as_bytes()).unwrap();
    stream
        .write_all(&body.as_bytes()[..body.len() / 10])
        .unwrap();
    let started = std::time::Instant::now();
    let mut answer = Vec::new();
    let _ = stream.read_to_end(&mut answer);
    (
        String::from_utf8_lossy(&answer).into_owned(),
        started.elapsed(),
    )
}

#[tokio::test]
async fn a_body_that_never_finishes_arriving_is_a_408_problem() {
    let app = spawn_app_with(|s| s.body_timeout_seconds = 1).await;
    let address = app.address.clone();
    let token = app.referrer();
    let (answer, took) = tokio::task::spawn_blocking(move || send_slowly(&address, &token))
        .await
        .unwrap();
    assert!(answer.starts_with("HTTP/1.1 408"), "{answer}");
    assert!(answer.contains("application/problem+json"), "{answer}");
    assert!(answer.contains("request-timeout"), "{answer}");
    // The server answered and closed, rather than waiting for the read timeout above.
    assert!(took < Duration::from_secs(15), "{took:?}");
    let (_, list) = app.get_json("/v1/referrals", &coordinator(&app)).await;
    assert_eq!(list["items"], Value::Array(vec![]));
    app.finish().await;
}

/// Sends `head` (and, after `pause`, nothing more) on a fresh connection; returns the
/// answer, status line to the end of the body.
fn exchange(address: &str, head: &[u8], pause: Duration) -> String {
    let host = address.trim_start_matches("http://");
    let mut stream = std::net::TcpStream::connect(host).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(20)))
        .unwrap();
    stream.write_all(head).unwrap();
    std::thread::sleep(pause);
    let mut answer = Vec::new();
    let _ = stream.read_to_end(&mut answer);
    String::from_utf8_lossy(&answer).into_owned()
}

/// Status, content type and problem `type` of an HTTP/1.1 answer.
fn answer_parts(answer: &str) -> (u16, String, Value) {
    let (head, body) = answer.split_once("\r\n\r\n").unwrap_or((answer, ""));
    let status = head
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    let content_type = head
        .lines()
        .find_map(|l| {
            l.to_ascii_lowercase()
                .strip_prefix("content-type: ")
                .map(str::to_owned)
        })
        .unwrap_or_default();
    (
        status,
        content_type,
        serde_json::from_str(body).unwrap_or(Value::Null),
    )
}

/// What the HTTP reader refuses before the app sees a request (too many or too large
/// header fields, bytes HTTP does not allow) is a problem like every other error, not an
/// empty body.
#[tokio::test]
async fn heads_the_http_reader_refuses_are_answered_with_problems() {
    let app = spawn_app().await;
    let address = app.address.clone();
    let answers = tokio::task::spawn_blocking(move || {
        let too_many: String = (0..100).map(|i| format!("X-Filler-{i}: x\r\n")).collect();
        let cases: [(Vec<u8>, u16, &str); 3] = [
            (
                format!("GET /v1/referrals HTTP/1.1\r\nHost: h\r\n{too_many}\r\n").into_bytes(),
                431,
                "header-fields-too-large",
            ),
            (
                b"GET /v1/refer\x01rals HTTP/1.1\r\nHost: h\r\n\r\n".to_vec(),
                400,
                "malformed-request",
            ),
            (
                b"GET /v1/referrals HTTP/1.1\r\nHost: h\r\nX-Bad: a\x01b\r\n\r\n".to_vec(),
                400,
                "malformed-request",
            ),
        ];
        cases.map(|(head, status, slug)| (exchange(&address, &head, Duration::ZERO), status, slug))
    })
    .await
    .unwrap();
    for (answer, status, slug) in answers {
        let (got, content_type, body) = answer_parts(&answer);
        assert_eq!(got, status, "{answer}");
        assert_eq!(content_type, "application/problem+json", "{answer}");
        assert_eq!(
            body["type"],
            format!("https://socialrx.org.uk/problems/{slug}"),
            "{answer}"
        );
        assert_eq!(body["status"], status, "{answer}");
        assert!(
            body["detail"].as_str().is_some_and(|d| !d.is_empty()),
            "{answer}"
        );
    }
    app.finish().await;
}

/// A request head that stops arriving is cut after the reader's 5 s, with a problem.
#[tokio::test]
async fn a_head_that_never_finishes_arriving_is_a_408_problem() {
    let app = spawn_app().await;
    let address = app.address.clone();
    let answer = tokio::task::spawn_blocking(move || {
        exchange(
            &address,
            b"GET /v1/referrals HTTP/1.1\r\nHost: h\r\nX-Half",
            Duration::ZERO,
        )
    })
    .await
    .unwrap();
    let (status, content_type, body) = answer_parts(&answer);
    assert_eq!(status, 408, "{answer}");
    assert_eq!(content_type, "application/problem+json", "{answer}");
    assert_eq!(
        body["type"], "https://socialrx.org.uk/problems/request-timeout",
        "{answer}"
    );
    app.finish().await;
}

#[tokio::test]
async fn every_missing_mistyped_and_rule_breaking_field_is_reported_together() {
    let app = spawn_app().await;
    let token = app.referrer();
    let mut body = referral_body();
    let object = body.as_object_mut().unwrap();
    for field in ["referrer", "consent", "reasons"] {
        object.remove(field);
    }
    let p = problem(app.post_referral(&token, &body).await, 422).await;
    let mut got = fields(&p);
    got.sort();
    assert_eq!(got, vec!["consent", "reasons", "referrer"]);
    assert!(
        p["errors"]
            .as_array()
            .unwrap()
            .iter()
            .all(|e| e["code"] == "required")
    );

    let mut body = referral_body();
    body["person"]["given_name"] = json!(42);
    body["person"]["nhs_number"] = json!("9434765918");
    body["source"] = json!("GP");
    body["colour"] = json!("blue");
    let p = problem(app.post_referral(&token, &body).await, 422).await;
    assert_eq!(error_for(&p, "person.given_name")["code"], "type");
    assert_eq!(
        error_for(&p, "person.nhs_number")["code"],
        "nhs_number_check_digit"
    );
    assert_eq!(error_for(&p, "source")["code"], "not_in_list");
    assert_eq!(error_for(&p, "colour")["code"], "unknown_field");
    // The stand-in the shape check put in place of the number is not reported again.
    assert_eq!(
        fields(&p)
            .iter()
            .filter(|f| *f == "person.given_name")
            .count(),
        1
    );
    let (_, list) = app.get_json("/v1/referrals", &coordinator(&app)).await;
    assert_eq!(list["items"], json!([]));

    let (_, key) = app
        .register_partner(ORG, "Carers Trust", &["https://carers.example.org"])
        .await;
    let response = app.post_self_referral(&key, &json!({})).await;
    let p = problem(response, 422).await;
    let got = fields(&p);
    for field in [
        "given_name",
        "family_name",
        "date_of_birth",
        "postcode",
        "preferred_contact",
        "help_with",
        "consent",
    ] {
        assert!(
            got.iter().any(|f| f == field),
            "{field} missing from {got:?}"
        );
    }
    app.finish().await;
}
