//! Three instances of the real binary on one PostgreSQL with a streaming replica beside it
//! (tests/replica/make_replica.sh): own writes read back at once from the primary, the
//! directory's changes reach every instance's search through the replica, the replica's
//! lag in `/metrics`, and its loss and return.
//!
//! Runs when `TEST_REPLICA_URL` names the replica (and `TEST_DATABASE_URL` its primary);
//! CI sets `REQUIRE_REPLICA=true` in the step that makes one, so that it cannot skip there.
//! It stops and restarts the replica with the harness script, so it runs as root.

use std::process::Command;
use std::time::{Duration, Instant};

use reqwest::Client;
use serde_json::{Value, json};
use socialrx_store::testing::TestDatabase;

use crate::binary::Server;
use crate::support::*;

const HARNESS: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../tests/replica/make_replica.sh"
);

/// The replica's URL, or `None` to skip (never in CI's replica step).
fn replica_url() -> Option<String> {
    let url = std::env::var("TEST_REPLICA_URL").ok();
    let primary = std::env::var("TEST_DATABASE_URL").is_ok_and(|u| u.starts_with("postgres"));
    match (url, primary) {
        (Some(url), true) => Some(url),
        _ if std::env::var("REQUIRE_REPLICA").as_deref() == Ok("true") => panic!(
            "REQUIRE_REPLICA is set but TEST_REPLICA_URL (the replica) or TEST_DATABASE_URL \
             (its PostgreSQL primary) is not"
        ),
        _ => {
            eprintln!("replica test skipped: set TEST_REPLICA_URL and TEST_DATABASE_URL");
            None
        }
    }
}

/// `url` with its database swapped for the one `db` made on the primary (replicated).
fn same_database(url: &str, db: &TestDatabase) -> String {
    let name = db
        .url
        .rsplit('/')
        .next()
        .unwrap()
        .split('?')
        .next()
        .unwrap();
    let (host, _) = url.rsplit_once('/').unwrap();
    format!("{host}/{name}")
}

fn harness(command: &str) {
    let out = Command::new("bash")
        .args([HARNESS, command])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "make_replica.sh {command}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Pauses or resumes the replica's replay of the primary's WAL.
fn replay(replica: &str, what: &str) {
    let out = Command::new("psql")
        .args([replica, "-qAtc", &format!("SELECT pg_wal_replay_{what}()")])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

async fn get(client: &Client, url: String, token: &str) -> (u16, String) {
    let r = client.get(url).bearer_auth(token).send().await.unwrap();
    (r.status().as_u16(), r.text().await.unwrap())
}

/// The value of an unlabelled gauge in a `/metrics` text.
fn gauge(metrics: &str, name: &str) -> Option<f64> {
    metrics
        .lines()
        .find_map(|l| l.strip_prefix(name)?.strip_prefix(' ')?.parse().ok())
}

/// Waits (at most `limit`) until `server`'s `/metrics` has `name` at `want`.
async fn wait_gauge(client: &Client, server: &Server, name: &str, want: f64, limit: Duration) {
    let started = Instant::now();
    loop {
        let (_, text) = get(client, format!("{}/metrics", server.base), "").await;
        if gauge(&text, name) == Some(want) {
            return;
        }
        assert!(started.elapsed() < limit, "{name} is not {want}: {text}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// How long until every instance's search finds `word`, each.
async fn found_everywhere(client: &Client, servers: &[Server], word: &str) -> Vec<Duration> {
    let started = Instant::now();
    let mut took = Vec::new();
    for server in servers {
        loop {
            let url = format!("{}/v1/activities?q={word}", server.base);
            let (status, body) = get(client, url, "").await;
            assert_eq!(status, 200, "{body}");
            if body.contains(word) {
                took.push(started.elapsed());
                break;
            }
            assert!(
                started.elapsed() < Duration::from_secs(5),
                "{word} not found"
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
    took
}

async fn add_activity(client: &Client, base: &str, token: &str, provider: &str, name: &str) {
    let body = json!({
        "provider_id": provider, "name": name, "description": "Newcomers welcome.",
        "categories": ["social_groups_and_befriending"], "join_method": "drop_in",
        "cost": {"free": true}, "last_verified_on": "2026-11-01",
        "location": {"address": "Headingley Library", "town": "Leeds", "postcode": "LS6 3HG"},
    });
    let r = client
        .post(format!("{base}/v1/activities"))
        .bearer_auth(token)
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201, "{}", r.text().await.unwrap());
}

#[tokio::test]
async fn three_instances_read_stale_from_the_replica_and_fall_back_to_the_primary() {
    let Some(replica) = replica_url() else {
        return;
    };
    // Up, whatever an earlier run that failed mid-outage left behind.
    harness("resume");
    let db = TestDatabase::create().await;
    let replica = same_database(&replica, &db);
    let env = [
        ("SOCIALRX_READ_DATABASE_URL", replica.as_str()),
        ("SOCIALRX_MAX_CONNECTIONS", "3"),
        ("SOCIALRX_WEBHOOKS_ENABLED", "false"),
    ];
    let mut servers = Vec::new();
    for _ in 0..3 {
        servers.push(Server::start(&db.url, &env).await);
    }
    let client = Client::new();
    let token = servers[0].token("referrer,coordinator,directory_editor");
    for server in &servers {
        let (_, ready) = get(&client, format!("{}/readyz", server.base), "").await;
        assert!(
            ready.contains(r#""replica":"up""#),
            "{ready}: {}",
            server.log_text()
        );
        wait_gauge(
            &client,
            server,
            "socialrx_replica_up",
            1.0,
            Duration::from_secs(3),
        )
        .await;
        let (_, metrics) = get(&client, format!("{}/metrics", server.base), "").await;
        let bytes = gauge(&metrics, "socialrx_replica_lag_bytes").expect("a byte lag");
        let seconds = gauge(&metrics, "socialrx_replica_lag_seconds").expect("a lag");
        eprintln!(
            "replica lag seen by {}: {bytes} bytes, {seconds} s",
            server.base
        );
        assert!(bytes >= 0.0 && seconds >= 0.0, "{metrics}");
    }

    // A write, and the writer reading it at once through the same instance: the primary.
    let base = servers[0].base.as_str();
    let r = client
        .post(format!("{base}/v1/referrals"))
        .bearer_auth(&token)
        .json(&referral_body())
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201);
    let created: Value = r.json().await.unwrap();
    let path = format!("{base}/v1/referrals/{}", created["id"].as_str().unwrap());
    let (status, body) = get(&client, path, &token).await;
    assert_eq!(status, 200, "{body}");

    // A directory change reaches every instance's search (the others through the replica).
    let r = client
        .post(format!("{base}/v1/providers"))
        .bearer_auth(&token)
        .json(&json!({"name": "Leeds Library Service"}))
        .send()
        .await
        .unwrap();
    let provider: Value = r.json().await.unwrap();
    let provider = provider["id"].as_str().unwrap().to_owned();
    add_activity(&client, base, &token, &provider, "Quillwork circle").await;
    let took = found_everywhere(&client, &servers, "Quillwork").await;
    eprintln!("searchable on each instance after {took:?}");
    assert!(took.iter().all(|t| *t < Duration::from_secs(1)), "{took:?}");

    // With the replica's replay paused, which reads go where shows: a new provider is in
    // the primary's answer to its editor at once, and not yet in the stale list.
    replay(&replica, "pause");
    let r = client
        .post(format!("{base}/v1/providers"))
        .bearer_auth(&token)
        .json(&json!({"name": "Kirkstall Forge Trust"}))
        .send()
        .await
        .unwrap();
    let paused: Value = r.json().await.unwrap();
    let own = format!("{base}/v1/providers/{}", paused["id"].as_str().unwrap());
    let (status, body) = get(&client, own, &token).await;
    assert_eq!(status, 200, "{body}");
    let (_, list) = get(&client, format!("{}/v1/providers", servers[1].base), &token).await;
    assert!(
        !list.contains("Kirkstall"),
        "the list reads the replica: {list}"
    );
    let lagging = Instant::now();
    let metrics = loop {
        let (_, text) = get(&client, format!("{}/metrics", servers[1].base), "").await;
        if gauge(&text, "socialrx_replica_lag_bytes").is_some_and(|b| b > 0.0) {
            break text;
        }
        assert!(lagging.elapsed() < Duration::from_secs(3), "no lag: {text}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    eprintln!(
        "paused replay: lag {:?} bytes, {:?} s",
        gauge(&metrics, "socialrx_replica_lag_bytes"),
        gauge(&metrics, "socialrx_replica_lag_seconds")
    );
    replay(&replica, "resume");
    let caught_up = Instant::now();
    loop {
        let (_, list) = get(&client, format!("{}/v1/providers", servers[1].base), &token).await;
        if list.contains("Kirkstall") {
            break;
        }
        assert!(caught_up.elapsed() < Duration::from_secs(3), "{list}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }

    // The replica goes: stale-OK reads answer from the primary, the feed follows it there.
    harness("stop");
    let lost = Instant::now();
    let today = time::OffsetDateTime::now_utc().date();
    let report = format!(
        "/v1/reports/summary?from={}&to={today}",
        today - time::Duration::days(30)
    );
    for server in &servers {
        let started = Instant::now();
        let (status, body) = get(&client, format!("{}/v1/providers", server.base), &token).await;
        assert_eq!(status, 200, "{body}");
        assert!(body.contains("Leeds Library Service"), "{body}");
        let (status, body) = get(&client, format!("{}{report}", server.base), &token).await;
        assert_eq!(status, 200, "{body}");
        assert!(body.contains(r#""referrals":1"#), "{body}");
        eprintln!("fallback reads answered in {:?}", started.elapsed());
    }
    add_activity(&client, base, &token, &provider, "Marquetry morning").await;
    let took = found_everywhere(&client, &servers, "Marquetry").await;
    eprintln!("without the replica, searchable on each instance after {took:?}");
    for server in &servers {
        wait_gauge(
            &client,
            server,
            "socialrx_replica_up",
            0.0,
            Duration::from_secs(5),
        )
        .await;
        let (status, ready) = get(&client, format!("{}/readyz", server.base), "").await;
        assert_eq!(status, 200, "the primary alone is enough: {ready}");
        assert!(ready.contains(r#""replica":"down""#), "{ready}");
    }
    eprintln!(
        "every instance reported the replica down after {:?}",
        lost.elapsed()
    );

    // It comes back, and is used again.
    harness("resume");
    let back = Instant::now();
    for server in &servers {
        wait_gauge(
            &client,
            server,
            "socialrx_replica_up",
            1.0,
            Duration::from_secs(5),
        )
        .await;
    }
    eprintln!(
        "every instance used the replica again after {:?}",
        back.elapsed()
    );
    for server in &servers {
        let log = server.log_text();
        let warnings = log.matches("the read replica cannot be reached").count();
        assert_eq!(warnings, 1, "one warning per outage: {log}");
        assert!(log.contains("the read replica answers again"), "{log}");
        assert!(
            !log.contains("Margaret") && !log.contains("9434765919"),
            "{log}"
        );
    }
    drop(servers);
    db.drop_database().await;
}
