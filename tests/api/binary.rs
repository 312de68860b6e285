//! The real `socialrx` binary: its command line, its configuration errors, its logs, and
//! what survives a crash.

use std::io::Read;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use serde_json::Value;
use socialrx_store::testing::{TestDatabase, require_postgres_in_ci};

use crate::support::*;

const BIN: &str = env!("CARGO_BIN_EXE_socialrx");

/// Runs the binary to completion with a clean environment of our choosing.
fn run(args: &[&str], env: &[(&str, &str)]) -> (i32, String, String) {
    let dir = tempfile::tempdir().unwrap();
    let mut command = Command::new(BIN);
    command.args(args).current_dir(dir.path()).env_clear();
    command.env("PATH", std::env::var("PATH").unwrap_or_default());
    for (k, v) in env {
        command.env(k, v);
    }
    let out = command.output().unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn every_command_has_help() {
    for args in [
        vec!["--help"],
        vec!["serve", "--help"],
        vec!["migrate", "--help"],
        vec!["token", "--help"],
        vec!["openapi", "--help"],
    ] {
        let (code, out, _) = run(&args, &[]);
        assert_eq!(code, 0, "{args:?}");
        assert!(out.contains("Usage:"), "{args:?}: {out}");
    }
    let (_, out, _) = run(&["token", "--help"], &[]);
    assert!(out.contains("--org") && out.contains("--roles"));
}

/// The README's table of commands is the binary's own list, and says how many there are.
#[test]
fn the_readme_lists_every_command_of_the_binary() {
    let (code, out, _) = run(&["--help"], &[]);
    assert_eq!(code, 0);
    let commands: Vec<&str> = out
        .lines()
        .skip_while(|l| !l.starts_with("Commands:"))
        .skip(1)
        .take_while(|l| l.starts_with("  "))
        .filter_map(|l| l.split_whitespace().next())
        .filter(|c| *c != "help")
        .collect();
    assert!(commands.len() >= 4, "{out}");
    let readme = include_str!("../../README.md");
    let listed: Vec<&str> = readme
        .lines()
        .filter_map(|l| l.strip_prefix("| `socialrx "))
        .filter_map(|l| l.split([' ', '`']).next())
        .collect();
    assert_eq!(listed, commands, "the README's table of commands");
    let words = [
        "", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine",
    ];
    let count = words.get(commands.len()).copied().unwrap_or("many");
    assert!(
        readme.contains(&format!("The binary has {count} commands")),
        "the README should say the binary has {count} commands"
    );
}

#[test]
fn the_openapi_command_prints_the_committed_spec() {
    let (code, out, _) = run(&["openapi"], &[]);
    assert_eq!(code, 0);
    let printed: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(
        printed,
        serde_json::to_value(socialrx_api::openapi()).unwrap()
    );
}

#[test]
fn invalid_configuration_names_the_setting_and_exits_2() {
    let cases: &[(&[(&str, &str)], &str)] = &[
        (&[("SOCIALRX_BIND", "not-an-address")], "bind"),
        (&[("SOCIALRX_MAX_CONNECTIONS", "many")], "max_connections"),
        (&[("DATABASE_URL", "mysql://localhost/x")], "DATABASE_URL"),
        (&[("SOCIALRX_ENVIRONMENT", "staging")], "environment"),
        (&[("SOCIALRX_ENVIRONMENT", "production")], "jwt_secret"),
        (&[("SOCIALRX_JWT_SECRET", "short")], "jwt_secret"),
        (&[("SOCIALRX_LOG_FORMAT", "xml")], "log_format"),
        (
            &[("SOCIALRX_TRUSTED_PROXIES", "10.0.0.0/8, proxy")],
            "trusted_proxies",
        ),
        (
            &[("SOCIALRX_WEBHOOK_ALLOW_PRIVATE_RECEIVERS", "sometimes")],
            "webhook_allow_private_receivers",
        ),
    ];
    for (env, setting) in cases {
        let (code, _, err) = run(&["serve"], env);
        assert_eq!(code, 2, "{env:?}: {err}");
        assert!(
            err.contains(setting),
            "{env:?} should name {setting}: {err}"
        );
        assert_eq!(err.trim().lines().count(), 1, "one clear message: {err}");
    }
}

#[test]
fn a_config_file_is_read_and_its_mistakes_named() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("socialrx.toml");
    std::fs::write(
        &file,
        "jwt_issuer = \"https://idp.example.org\"\nworkerz = 4\n",
    )
    .unwrap();
    let (code, _, err) = run(&["--config", file.to_str().unwrap(), "serve"], &[]);
    assert_eq!(code, 2);
    assert!(err.contains("workerz"), "{err}");

    std::fs::write(&file, "jwt_issuer = \"https://idp.example.org\"\n").unwrap();
    let (code, out, _) = run(
        &[
            "--config",
            file.to_str().unwrap(),
            "token",
            "--org",
            "Y02794",
            "--sub",
            "a",
            "--roles",
            "referrer",
        ],
        &[],
    );
    assert_eq!(code, 0);
    let payload = out.trim().split('.').nth(1).unwrap();
    use base64::Engine;
    let claims: Value = serde_json::from_slice(
        &base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(payload)
            .unwrap(),
    )
    .unwrap();
    assert_eq!(
        claims["iss"], "https://idp.example.org",
        "the file's setting was used"
    );
    assert_eq!(claims["org"], "Y02794");
    assert_eq!(claims["roles"], serde_json::json!(["referrer"]));
}

#[test]
fn token_refuses_unknown_roles_and_bad_org_codes() {
    let (code, _, err) = run(
        &[
            "token",
            "--org",
            "Y02794",
            "--sub",
            "a",
            "--roles",
            "superuser",
        ],
        &[],
    );
    assert_eq!(code, 2);
    assert!(err.contains("--roles"), "{err}");
    let (code, _, err) = run(
        &["token", "--org", "?", "--sub", "a", "--roles", "referrer"],
        &[],
    );
    assert_eq!(code, 2);
    assert!(err.contains("--org"), "{err}");
}

#[tokio::test]
async fn migrate_brings_a_new_database_up_to_date() {
    require_postgres_in_ci();
    let db = TestDatabase::create().await;
    let (code, _, err) = run(&["migrate"], &[("DATABASE_URL", &db.url)]);
    assert_eq!(code, 0, "{err}");
    assert!(err.contains("up to date"));
    let (code, _, _) = run(&["migrate"], &[("DATABASE_URL", &db.url)]);
    assert_eq!(code, 0, "migrating twice is harmless");
    db.drop_database().await;
}

/// A running `socialrx serve` child process.
pub(crate) struct Server {
    pub(crate) child: Child,
    pub(crate) base: String,
    log: std::path::PathBuf,
    _dir: tempfile::TempDir,
}

impl Server {
    pub(crate) async fn start(database_url: &str, extra: &[(&str, &str)]) -> Server {
        let dir = tempfile::tempdir().unwrap();
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let log = dir.path().join("server.log");
        let mut command = Command::new(BIN);
        command
            .arg("serve")
            .current_dir(dir.path())
            .env_clear()
            .env("SOCIALRX_BIND", format!("127.0.0.1:{port}"))
            .env("DATABASE_URL", database_url)
            .env("SOCIALRX_WORKERS", "2")
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(&log).unwrap());
        for (k, v) in extra {
            command.env(k, v);
        }
        let child = command.spawn().unwrap();
        let server = Server {
            child,
            base: format!("http://127.0.0.1:{port}"),
            log,
            _dir: dir,
        };
        server.wait_ready().await;
        server
    }

    async fn wait_ready(&self) {
        let client = reqwest::Client::new();
        for _ in 0..100 {
            if let Ok(r) = client.get(format!("{}/readyz", self.base)).send().await
                && r.status() == 200
            {
                return;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!("the server did not become ready: {}", self.log_text());
    }

    pub(crate) fn log_text(&self) -> String {
        let mut s = String::new();
        if let Ok(mut f) = std::fs::File::open(&self.log) {
            let _ = f.read_to_string(&mut s);
        }
        s
    }

    pub(crate) fn token(&self, roles: &str) -> String {
        let (code, out, err) = run(
            &[
                "token",
                "--org",
                ORG,
                "--sub",
                "crash-test",
                "--roles",
                roles,
            ],
            &[],
        );
        assert_eq!(code, 0, "{err}");
        out.trim().to_owned()
    }

    fn sigterm(&self) {
        let status = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status()
            .unwrap();
        assert!(status.success());
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

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

/// Several clients post referrals; the process is killed with SIGKILL mid-stream and
/// restarted on the same database. Every referral that was answered 201 is there, and a
/// retry of each unanswered request with its Idempotency-Key creates at most one.
#[tokio::test]
async fn every_acknowledged_referral_survives_a_sigkill() {
    require_postgres_in_ci();
    let db = TestDatabase::create().await;
    let mut server = Server::start(&db.url, &[("SOCIALRX_LOG_LEVEL", "warn")]).await;
    let token = server.token("referrer,coordinator");
    let base = server.base.clone();

    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let mut clients = Vec::new();
    for c in 0..6 {
        let (base, token, stop) = (base.clone(), token.clone(), stop.clone());
        clients.push(tokio::spawn(async move {
            let client = reqwest::Client::new();
            let mut acknowledged = Vec::new();
            let mut unanswered = Vec::new();
            for i in 0..10_000 {
                if stop.load(std::sync::atomic::Ordering::Relaxed) {
                    break;
                }
                let key = format!("crash-{c}-{i}");
                let result = client
                    .post(format!("{base}/v1/referrals"))
                    .bearer_auth(&token)
                    .header("Idempotency-Key", &key)
                    .json(&referral_body())
                    .timeout(Duration::from_secs(5))
                    .send()
                    .await;
                match result {
                    Ok(r) if r.status() == 201 => match r.json::<Value>().await {
                        Ok(body) => acknowledged.push(body["id"].as_str().unwrap().to_owned()),
                        Err(_) => {
                            unanswered.push(key);
                            break;
                        }
                    },
                    Ok(r) => panic!("unexpected status {}", r.status()),
                    Err(_) => {
                        unanswered.push(key);
                        break;
                    }
                }
            }
            (acknowledged, unanswered)
        }));
    }
    tokio::time::sleep(Duration::from_millis(1500)).await;
    server.child.kill().unwrap(); // SIGKILL
    server.child.wait().unwrap();
    stop.store(true, std::sync::atomic::Ordering::Relaxed);

    let mut acknowledged = Vec::new();
    let mut unanswered = Vec::new();
    for client in clients {
        let (a, u) = client.await.unwrap();
        acknowledged.extend(a);
        unanswered.extend(u);
    }
    assert!(
        acknowledged.len() >= 10,
        "the load was real: {} acknowledged",
        acknowledged.len()
    );

    let server = Server::start(&db.url, &[("SOCIALRX_LOG_LEVEL", "warn")]).await;
    let client = reqwest::Client::new();
    for id in &acknowledged {
        let r = client
            .get(format!("{}/v1/referrals/{id}", server.base))
            .bearer_auth(&token)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200, "acknowledged referral {id} was lost");
    }
    for key in &unanswered {
        for _ in 0..2 {
            let r = client
                .post(format!("{}/v1/referrals", server.base))
                .bearer_auth(&token)
                .header("Idempotency-Key", key)
                .json(&referral_body())
                .send()
                .await
                .unwrap();
            assert_eq!(r.status(), 201);
        }
    }
    let mut total = 0;
    let mut cursor: Option<String> = None;
    loop {
        let mut url = format!("{}/v1/referrals?limit=100", server.base);
        if let Some(c) = &cursor {
            url.push_str(&format!("&cursor={c}"));
        }
        let page: Value = client
            .get(url)
            .bearer_auth(&token)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        total += page["items"].as_array().unwrap().len();
        match page["next_cursor"].as_str() {
            Some(c) => cursor = Some(c.to_owned()),
            None => break,
        }
    }
    assert!(
        total >= acknowledged.len() && total <= acknowledged.len() + unanswered.len(),
        "{total} referrals for {} acknowledged and {} retried",
        acknowledged.len(),
        unanswered.len()
    );
    drop(server);
    db.drop_database().await;
}

/// SIGTERM: the server stops taking connections, lets requests in flight finish, and
/// exits cleanly; every request answered before it stopped is complete and stored.
#[tokio::test]
async fn sigterm_lets_requests_in_flight_finish() {
    require_postgres_in_ci();
    let db = TestDatabase::create().await;
    // More workers than cores, and more clients than workers: the workers stop one by one
    // while requests on the others still use the database.
    let mut server = Server::start(
        &db.url,
        &[("SOCIALRX_LOG_LEVEL", "warn"), ("SOCIALRX_WORKERS", "4")],
    )
    .await;
    let token = server.token("referrer");
    let base = server.base.clone();
    let mut clients = Vec::new();
    for _ in 0..8 {
        let (base, token) = (base.clone(), token.clone());
        clients.push(tokio::spawn(async move {
            let client = reqwest::Client::new();
            let mut answered = Vec::new();
            for _ in 0..10_000 {
                match client
                    .post(format!("{base}/v1/referrals"))
                    .bearer_auth(&token)
                    .json(&referral_body())
                    .send()
                    .await
                {
                    Ok(r) => {
                        assert_eq!(r.status(), 201);
                        let body: Value = r.json().await.expect("a started response is finished");
                        answered.push(body["id"].as_str().unwrap().to_owned());
                    }
                    // After shutdown begins, new connections are refused: that is fine.
                    Err(e) => {
                        assert!(e.is_connect() || e.is_request(), "{e}");
                        break;
                    }
                }
            }
            answered
        }));
    }
    tokio::time::sleep(Duration::from_millis(800)).await;
    server.sigterm();
    let status = tokio::task::spawn_blocking(move || {
        let status = server.child.wait().unwrap();
        (status, server)
    })
    .await
    .unwrap();
    assert!(status.0.success(), "exit status {:?}", status.0);
    let mut answered = Vec::new();
    for c in clients {
        answered.extend(c.await.unwrap());
    }
    drop(status);
    let server = Server::start(&db.url, &[("SOCIALRX_LOG_LEVEL", "warn")]).await;
    // Every referral answered was written: the service's coordinator reads each in full.
    let coordinator = server.token("coordinator");
    let client = reqwest::Client::new();
    for id in &answered {
        let r = client
            .get(format!("{}/v1/referrals/{id}", server.base))
            .bearer_auth(&coordinator)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200);
    }
    drop(server);
    db.drop_database().await;
}

/// `socialrx retention` anonymises people whose referrals all closed before the cut-off and
/// leaves the codes and dates that reports need; open referrals are untouched.
#[tokio::test]
async fn retention_anonymises_closed_cases_and_keeps_codes() {
    let app = spawn_app().await;
    let coordinator = app.token(ORG, &["coordinator"]);
    let closed = app.create_referral(&app.referrer(), &referral_body()).await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let open = app.create_referral(&app.referrer(), &referral_body()).await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    for body in [
        serde_json::json!({"to": "accepted"}),
        serde_json::json!({"to": "closed", "reason": "moved_away", "note": "Moved to Margaret's sister in Hull"}),
    ] {
        let r = app
            .post(&format!("/v1/referrals/{closed}/transitions"))
            .bearer_auth(&coordinator)
            .json(&body)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 201);
    }
    tokio::time::sleep(Duration::from_millis(50)).await;

    let url = app.db.url.clone();
    let (code, out, err) = run(
        &["retention", "--older-than", "0s", "--dry-run"],
        &[("DATABASE_URL", &url)],
    );
    assert_eq!(code, 0, "{err}");
    assert!(
        out.starts_with("would anonymise 1 people (1 referrals)"),
        "{out}"
    );
    let (_, still) = app
        .get_json(&format!("/v1/referrals/{closed}"), &coordinator)
        .await;
    assert_eq!(
        still["person"]["given_name"], "Margaret",
        "a dry run changes nothing"
    );

    let (code, out, err) = run(
        &["retention", "--older-than", "0s"],
        &[("DATABASE_URL", &url)],
    );
    assert_eq!(code, 0, "{err}");
    assert!(
        out.starts_with("anonymised 1 people (1 referrals)"),
        "{out}"
    );

    let (_, gone) = app
        .get_json(&format!("/v1/referrals/{closed}"), &coordinator)
        .await;
    let person = &gone["person"];
    assert_eq!(person["given_name"], "[removed]");
    assert_eq!(person["family_name"], "[removed]");
    assert!(
        person["nhs_number"].is_null() && person["phone"].is_null() && person["email"].is_null()
    );
    assert_eq!(person["postcode"], "ZZ99 3WZ");
    assert_eq!(
        person["date_of_birth"], "1971-01-01",
        "only the year of birth stays"
    );
    assert!(gone["notes"].is_null());
    assert_eq!(
        gone["reasons"],
        referral_body()["reasons"],
        "codes stay for reporting"
    );
    assert_eq!(gone["status"], "closed");
    let (_, history) = app
        .get_json(&format!("/v1/referrals/{closed}/history"), &coordinator)
        .await;
    assert!(
        !history.to_string().contains("Hull"),
        "free text in the history is gone: {history}"
    );

    let (_, kept) = app
        .get_json(&format!("/v1/referrals/{open}"), &coordinator)
        .await;
    assert_eq!(
        kept["person"]["given_name"], "Margaret",
        "an open referral is never anonymised"
    );
    let person_id = person["id"].as_str().unwrap();
    let (_, trail) = app
        .get_json(&format!("/v1/audit?person_id={person_id}"), &coordinator)
        .await;
    assert!(
        trail["items"]
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e["action"] == "anonymise" && e["actor"] == "socialrx-retention")
    );

    let (code, out, _) = run(
        &["retention", "--older-than", "0s"],
        &[("DATABASE_URL", &url)],
    );
    assert_eq!(code, 0);
    assert!(
        out.starts_with("anonymised 0 people"),
        "a second run finds nothing: {out}"
    );
    app.finish().await;
}

/// A port nothing listens on (yet).
fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

#[test]
fn start_up_gives_up_on_an_unreachable_database_after_the_configured_wait() {
    let url = format!("postgres://postgres@127.0.0.1:{}/nowhere", free_port());
    let started = std::time::Instant::now();
    let (code, _, err) = run(
        &["serve"],
        &[
            ("DATABASE_URL", url.as_str()),
            // Each attempt waits for the pool's 5 s acquire timeout: 8 s allows a retry.
            ("SOCIALRX_DATABASE_WAIT_SECONDS", "8"),
        ],
    );
    let took = started.elapsed();
    assert_ne!(code, 0, "{err}");
    assert!(err.contains("retrying"), "each retry is logged: {err}");
    assert!(err.contains("cannot open the database"), "{err}");
    // It waited (at least one retry) and then gave up; no timing assertion beyond that.
    assert!(took >= Duration::from_millis(500), "{took:?}");
}

#[tokio::test]
async fn a_service_started_before_its_database_comes_up_on_its_own() {
    require_postgres_in_ci();
    let db = TestDatabase::create().await;
    if !db.is_postgres() {
        // SQLite is a file beside the service: it is never "not up yet".
        db.drop_database().await;
        return;
    }
    // The service talks to PostgreSQL through a port that only starts forwarding later.
    let port = free_port();
    // postgres://user@host:port/database?...: the host and port sit between '@' and '/'.
    let (scheme_user, rest) = db.url.split_once('@').unwrap();
    let (upstream, path) = rest.split_once('/').unwrap();
    let upstream = if upstream.contains(':') {
        upstream.to_owned()
    } else {
        format!("{upstream}:5432")
    };
    let late = format!("{scheme_user}@127.0.0.1:{port}/{path}");
    let forward = tokio::spawn(async move {
        // Later than the pool's own 5 s of connection attempts, so that start-up's retry
        // (not only sqlx's) is what waits for it.
        tokio::time::sleep(Duration::from_millis(6000)).await;
        let listener = tokio::net::TcpListener::bind(("127.0.0.1", port))
            .await
            .unwrap();
        loop {
            let (mut inbound, _) = listener.accept().await.unwrap();
            let upstream = upstream.clone();
            tokio::spawn(async move {
                if let Ok(mut outbound) = tokio::net::TcpStream::connect(upstream).await {
                    let _ = tokio::io::copy_bidirectional(&mut inbound, &mut outbound).await;
                }
            });
        }
    });
    let server = Server::start(&late, &[("SOCIALRX_DATABASE_WAIT_SECONDS", "30")]).await;
    let log = server.log_text();
    assert!(
        log.contains("retrying") && log.contains("the database is reachable"),
        "{log}"
    );
    drop(server);
    forward.abort();
    db.drop_database().await;
}
