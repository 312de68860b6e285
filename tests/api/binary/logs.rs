//! The binary's logs: no personal data at any level or across the journeys, and a
//! server error logged with its cause and the request id.

use super::*;

#[tokio::test]
async fn logs_never_carry_personal_data_even_at_trace_level() {
    require_postgres_in_ci();
    let db = TestDatabase::create().await;
    let server = Server::start(
        &db.url,
        &[
            ("SOCIALRX_LOG_LEVEL", "trace"),
            ("SOCIALRX_LOG_FORMAT", "json"),
        ],
    )
    .await;
    let client = reqwest::Client::new();
    let token = server.token("referrer");
    let created: Value = client
        .post(format!("{}/v1/referrals", server.base))
        .bearer_auth(&token)
        .json(&referral_body())
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let id = created["id"].as_str().unwrap();
    // The full record and the list, read back by the service's coordinator (a referrer
    // may not), so the person's details really pass through.
    let coordinator = server.token("coordinator");
    for path in [format!("/v1/referrals/{id}"), "/v1/referrals".to_owned()] {
        let r = client
            .get(format!("{}{path}", server.base))
            .bearer_auth(&coordinator)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200, "{path}");
    }
    let mut invalid = referral_body();
    invalid["person"]["nhs_number"] = "9434765918".into();
    client
        .post(format!("{}/v1/referrals", server.base))
        .bearer_auth(&token)
        .json(&invalid)
        .send()
        .await
        .unwrap();
    tokio::time::sleep(Duration::from_millis(300)).await;

    let log = server.log_text();
    assert!(
        log.contains("\"route\":\"/v1/referrals\""),
        "the request lines are there: {log}"
    );
    for secret in [
        "9434765919",
        "9434765918",
        "Margaret",
        "Hughes",
        "HD1 2RS",
        "hd1 2rs",
        "01484 496000",
        "1971-03-14",
        "crochet",
        &token,
        &coordinator,
    ] {
        assert!(!log.contains(secret), "the log contains {secret:?}");
    }
    drop(server);
    db.drop_database().await;
}

/// A 500 leaves its cause in the log, on the line of the request that failed (found by
/// the request id the caller was given): the error and its sources, which name what broke
/// (here a table the schema no longer has). The caller is told nothing of it.
#[tokio::test]
async fn a_server_error_logs_its_cause_and_sources_with_the_request_id() {
    require_postgres_in_ci();
    let db = TestDatabase::create().await;
    let server = Server::start(&db.url, &[("SOCIALRX_LOG_FORMAT", "json")]).await;
    let client = reqwest::Client::new();
    let created: Value = client
        .post(format!("{}/v1/referrals", server.base))
        .bearer_auth(server.token("referrer"))
        .json(&referral_body())
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let id = created["id"].as_str().unwrap();
    db.execute("ALTER TABLE contacts RENAME TO contacts_elsewhere")
        .await;

    let response = client
        .get(format!("{}/v1/referrals/{id}/contacts", server.base))
        .bearer_auth(server.token("coordinator"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 500);
    let request_id = response.headers()["x-request-id"]
        .to_str()
        .unwrap()
        .to_owned();
    let body = response.text().await.unwrap();
    assert!(
        !body.contains("contacts"),
        "the caller is told no cause: {body}"
    );
    tokio::time::sleep(Duration::from_millis(300)).await;

    let log = server.log_text();
    let line = log
        .lines()
        .find(|l| l.contains("request failed") && l.contains(&request_id))
        .unwrap_or_else(|| panic!("no error line for request {request_id}: {log}"));
    let line: Value = serde_json::from_str(line).unwrap();
    let error = line["error"].as_str().unwrap_or_default();
    // "database error: error returned from database: no such table: contacts" on SQLite,
    // "...: relation \"contacts\" does not exist" on PostgreSQL.
    assert!(
        error.starts_with("database error: ") && error.contains("contacts"),
        "the cause and its source are logged: {line}"
    );
    assert_eq!(line["level"], "ERROR", "{line}");
    drop(server);
    db.drop_database().await;
}

/// The journeys of `shared/scenarios.md` run against the real binary logging at trace
/// level, each on its own database; nothing personal from any of them is in the log:
/// names, NHS numbers, dates of birth, postcodes, phone numbers, notes, plan text, tokens.
#[tokio::test]
async fn logs_never_carry_personal_data_across_the_journeys() {
    require_postgres_in_ci();
    let mut log = String::new();
    let mut tokens = Vec::new();
    for journey in 0..3 {
        let db = std::sync::Arc::new(TestDatabase::create().await);
        let server = Server::start(
            &db.url,
            &[
                ("SOCIALRX_LOG_LEVEL", "trace"),
                ("SOCIALRX_LOG_FORMAT", "json"),
                ("SOCIALRX_WEBHOOK_POLL_INTERVAL_MS", "100"),
            ],
        )
        .await;
        let app = TestApp {
            address: server.base.clone(),
            client: reqwest::Client::new(),
            db: db.clone(),
            settings: socialrx_server::config::Settings::default(),
        };
        tokens.push(app.coordinator());
        match journey {
            0 => crate::journeys::a_carer_who_needs_a_push(&app).await,
            1 => crate::journeys::many_surgeries_many_doors(&app).await,
            _ => crate::journeys::a_little_bit_about_a_lot(&app).await,
        }
        tokio::time::sleep(Duration::from_millis(300)).await;
        log.push_str(&server.log_text());
        drop(server);
        drop(app);
        if let Ok(db) = std::sync::Arc::try_unwrap(db) {
            db.drop_database().await;
        }
    }
    for route in [
        "/v1/referrals/{id}/plan",
        "/v1/referrals/{id}/connections",
        "/v1/reports/summary",
        "/v1/activities",
    ] {
        assert!(
            log.contains(&format!("\"route\":\"{route}\"")),
            "no request line for {route}"
        );
    }
    let mut secrets: Vec<String> = [
        // Journey 1
        "Margaret",
        "Hughes",
        "9434765919",
        "1971-03-14",
        "HD1 2RS",
        "hd1 2rs",
        "01484 496000",
        "crochet",
        "Mornings are too hard",
        "Jo will go",
        "Time for herself",
        "sitter",
        // Journey 2
        "Delroy",
        "Campbell",
        "1958-07-02",
        "B11 4BW",
        "b11 4bw",
        "0121 496 0000",
        "hardly see anyone",
        // Journey 3
        "Derek",
        "Ashworth",
        "LS7 3JB",
        "LS7+3JB",
        "LS7%203JB",
        "Rent arrears",
        "since his wife died",
        "Potternewton Park, with",
        "Walking with my brother",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    secrets.extend([3, 21, 22, 23, 24, 25].map(crate::steps::nhs_number));
    secrets.extend(tokens);
    for secret in &secrets {
        assert!(
            !log.contains(secret.as_str()),
            "the log contains {secret:?}"
        );
    }
}
