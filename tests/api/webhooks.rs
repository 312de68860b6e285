//! Webhooks: subscriptions, signed deliveries to a local receiver with retries, the
//! delivery log and redelivery; and, with the real binary, every event arriving at least
//! once across a SIGKILL and restart.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use actix_web::{HttpRequest, HttpResponse, web};
use serde_json::{Value, json};

use crate::binary::Server;
use crate::support::*;

pub const SECRET: &str = "whsec-test-0123456789abcdef";

#[derive(Debug, Clone)]
pub struct Received {
    pub event_id: String,
    pub timestamp: String,
    pub signature: String,
    pub body: String,
}

impl Received {
    pub fn verifies(&self, secret: &str) -> bool {
        socialrx_server::jobs::webhook_delivery::verify(
            secret,
            &self.timestamp,
            &self.body,
            &self.signature,
            time::OffsetDateTime::now_utc().unix_timestamp(),
            300,
        )
    }

    pub fn json(&self) -> Value {
        serde_json::from_str(&self.body).unwrap()
    }
}

/// A local webhook receiver: answers 503 to the first `fail_first` posts, waits `delay`
/// before answering each, and keeps what it accepted.
pub struct Receiver {
    pub url: String,
    pub received: Arc<Mutex<Vec<Received>>>,
    pub refused: Arc<AtomicUsize>,
}

impl Receiver {
    pub fn start(fail_first: usize, delay: Duration) -> Receiver {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let received = Arc::new(Mutex::new(Vec::new()));
        let refused = Arc::new(AtomicUsize::new(0));
        let (r, f) = (received.clone(), refused.clone());
        let server = actix_web::HttpServer::new(move || {
            let (r, f) = (r.clone(), f.clone());
            actix_web::App::new().default_service(web::to(
                move |req: HttpRequest, body: web::Bytes| {
                    let (r, f) = (r.clone(), f.clone());
                    async move {
                        actix_web::rt::time::sleep(delay).await;
                        let header = |name: &str| {
                            req.headers()
                                .get(name)
                                .and_then(|v| v.to_str().ok())
                                .unwrap_or("")
                                .to_owned()
                        };
                        if f.load(Ordering::SeqCst) < fail_first {
                            f.fetch_add(1, Ordering::SeqCst);
                            return HttpResponse::ServiceUnavailable().finish();
                        }
                        r.lock().unwrap().push(Received {
                            event_id: header("Socialrx-Event-Id"),
                            timestamp: header("Socialrx-Timestamp"),
                            signature: header("Socialrx-Signature"),
                            body: String::from_utf8_lossy(&body).into_owned(),
                        });
                        HttpResponse::NoContent().finish()
                    }
                },
            ))
        })
        .workers(1)
        .listen(listener)
        .unwrap()
        .run();
        tokio::spawn(server);
        Receiver {
            url: format!("http://127.0.0.1:{port}/hooks"),
            received,
            refused,
        }
    }

    pub fn all(&self) -> Vec<Received> {
        self.received.lock().unwrap().clone()
    }

    pub fn distinct_ids(&self) -> std::collections::BTreeSet<String> {
        self.all().into_iter().map(|r| r.event_id).collect()
    }

    /// Waits until `n` distinct events have arrived, or panics after `seconds`.
    pub async fn wait_for(&self, n: usize, seconds: u64) {
        for _ in 0..seconds * 10 {
            if self.distinct_ids().len() >= n {
                return;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!(
            "only {} of {n} events arrived: {:?}",
            self.distinct_ids().len(),
            self.all()
        );
    }
}

fn baseline() -> Value {
    json!({"instrument": "ucla3", "time_point": "baseline", "measured_on": "2026-11-20", "answers": [3, 2, 3]})
}

/// Records the baseline measurement on referral `id`: an `outcome.recorded` event.
async fn post_baseline(app: &TestApp, token: &str, id: &str) -> reqwest::Response {
    app.post(&format!("/v1/referrals/{id}/outcomes"))
        .bearer_auth(token)
        .json(&baseline())
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn outcome_events_are_signed_retried_logged_and_redeliverable() {
    let app = spawn_app_with(|s| {
        s.webhook_poll_interval_ms = 100;
        s.webhook_backoff_seconds = 1;
    })
    .await;
    let receiver = Receiver::start(1, Duration::ZERO);
    let admin = app.token(ORG, &["admin"]);

    // Invalid subscriptions are refused with every problem listed.
    let r = app
        .post("/v1/webhooks")
        .bearer_auth(&admin)
        .json(&json!({"url": "ftp://x", "secret": "short", "event_types": ["referral.accepted", "referral.exploded"]}))
        .send()
        .await
        .unwrap();
    let p = problem(r, 422).await;
    assert_eq!(fields(&p), vec!["url", "secret", "event_types[1]"]);

    let r = app
        .post("/v1/webhooks")
        .bearer_auth(&admin)
        .json(&json!({"url": receiver.url, "secret": SECRET, "event_types": ["outcome.recorded", "referral.closed"]}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201);
    let (_, hooks) = app.get_json("/v1/webhooks", &admin).await;
    assert_eq!(hooks["items"].as_array().unwrap().len(), 1);
    assert!(
        !hooks.to_string().contains(SECRET),
        "the secret is never shown"
    );

    let worker = app.token(ORG, &["link_worker"]);
    let referral = app.create_referral(&app.referrer(), &referral_body()).await;
    let id = referral["id"].as_str().unwrap();
    let r = post_baseline(&app, &worker, id).await;
    assert_eq!(r.status(), 201);
    // A refused measurement is rolled back and raises no event.
    let r = post_baseline(&app, &worker, id).await;
    assert_eq!(r.status(), 422);

    receiver.wait_for(1, 20).await;
    assert_eq!(
        receiver.refused.load(Ordering::SeqCst),
        1,
        "the first post was refused and retried"
    );
    let got = receiver.all()[0].clone();
    assert!(got.verifies(SECRET), "{got:?}");
    assert!(!got.verifies("another-secret-0123456789"));
    let event = got.json();
    assert_eq!(event["type"], "outcome.recorded");
    assert_eq!(event["id"], got.event_id.as_str());
    assert_eq!(event["organisation"], ORG);
    assert_eq!(event["data"]["referral_id"], id);
    assert_eq!(event["data"]["referral_reference"], referral["reference"]);
    assert_eq!(event["data"]["instrument"], "ucla3");
    assert_eq!(event["data"]["time_point"], "baseline");
    assert_eq!(event["snomed_ct"], Value::Null);
    for private in ["Margaret", "Hughes", "9434765919", "Cares for her"] {
        assert!(!got.body.contains(private), "{private} in {}", got.body);
    }

    // The delivery log shows one delivery, delivered on the second attempt.
    let (status, log) = app.get_json("/v1/webhooks/deliveries", &admin).await;
    assert_eq!(status, 200);
    let items = log["items"].as_array().unwrap();
    assert_eq!(items.len(), 1, "{log}");
    assert_eq!(items[0]["status"], "delivered");
    assert_eq!(items[0]["attempts"], 2);
    assert_eq!(items[0]["event_id"], got.event_id.as_str());

    // An admin redelivers it: the same event arrives again.
    let delivery = items[0]["id"].as_str().unwrap();
    let other_admin = app.token(OTHER_ORG, &["admin"]);
    let r = app
        .post(&format!("/v1/webhooks/deliveries/{delivery}/redeliver"))
        .bearer_auth(&other_admin)
        .send()
        .await
        .unwrap();
    problem(r, 404).await;
    let r = app
        .post(&format!("/v1/webhooks/deliveries/{delivery}/redeliver"))
        .bearer_auth(&admin)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 202);
    for _ in 0..100 {
        if receiver.all().len() >= 2 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let all = receiver.all();
    assert_eq!(all.len(), 2);
    assert_eq!(all[1].event_id, got.event_id);
    assert!(all[1].verifies(SECRET));
    app.finish().await;
}

/// Outside development the worker posts only to public addresses: a receiver on this
/// machine, by IP address or by a name that resolves to it, gets nothing, and the delivery
/// log says why.
#[tokio::test]
async fn receivers_on_private_addresses_are_refused_outside_development() {
    let app = spawn_app_with(|s| {
        s.webhook_poll_interval_ms = 100;
        s.webhook_backoff_seconds = 1;
        s.webhook_allow_private_receivers = Some(false);
    })
    .await;
    let receiver = Receiver::start(0, Duration::ZERO);
    let by_name = receiver.url.replace("127.0.0.1", "localhost");
    let admin = app.token(ORG, &["admin"]);
    for url in [&receiver.url, &by_name] {
        let r = app
            .post("/v1/webhooks")
            .bearer_auth(&admin)
            .json(&json!({"url": url, "secret": SECRET, "event_types": ["outcome.recorded"]}))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 201);
    }
    let worker = app.token(ORG, &["link_worker"]);
    let referral = app.create_referral(&app.referrer(), &referral_body()).await;
    let id = referral["id"].as_str().unwrap();
    let r = post_baseline(&app, &worker, id).await;
    assert_eq!(r.status(), 201);

    // Both deliveries are tried and refused before anything is sent.
    let mut items = Vec::new();
    for _ in 0..100 {
        let (_, log) = app.get_json("/v1/webhooks/deliveries", &admin).await;
        items = log["items"].as_array().unwrap().clone();
        if items.len() == 2 && items.iter().all(|d| d["attempts"].as_u64() >= Some(1)) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(items.len(), 2, "{items:?}");
    for d in &items {
        assert_ne!(d["status"], "delivered", "{d}");
        assert!(d["attempts"].as_u64() >= Some(1), "{d}");
        assert!(
            d["last_error"]
                .as_str()
                .unwrap_or("")
                .contains("not a public one"),
            "{d}"
        );
    }
    assert!(
        receiver.all().is_empty(),
        "nothing reached the private receiver"
    );
    assert_eq!(receiver.refused.load(Ordering::SeqCst), 0);
    app.finish().await;
}

/// The real binary posts to a slow receiver; it is killed with SIGKILL while events are
/// waiting, restarted on the same database, and every event still arrives and verifies.
#[tokio::test]
async fn every_event_arrives_at_least_once_across_a_sigkill() {
    socialrx_store::testing::require_postgres_in_ci();
    let db = socialrx_store::testing::TestDatabase::create().await;
    let env = [
        ("SOCIALRX_LOG_LEVEL", "warn"),
        ("SOCIALRX_WEBHOOK_POLL_INTERVAL_MS", "100"),
        ("SOCIALRX_WEBHOOK_BACKOFF_SECONDS", "1"),
        ("SOCIALRX_WEBHOOK_TIMEOUT_SECONDS", "2"),
    ];
    let mut server = Server::start(&db.url, &env).await;
    let receiver = Receiver::start(2, Duration::from_millis(300));
    let token = server.token("admin,link_worker,referrer");
    let client = reqwest::Client::new();
    let r = client
        .post(format!("{}/v1/webhooks", server.base))
        .bearer_auth(&token)
        .json(&json!({"url": receiver.url, "secret": SECRET, "event_types": ["outcome.recorded"]}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201);

    let record = |base: String, token: String| async move {
        let client = reqwest::Client::new();
        let r = client
            .post(format!("{base}/v1/referrals"))
            .bearer_auth(&token)
            .json(&referral_body())
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 201);
        let id = r.json::<Value>().await.unwrap()["id"]
            .as_str()
            .unwrap()
            .to_owned();
        let r = client
            .post(format!("{base}/v1/referrals/{id}/outcomes"))
            .bearer_auth(&token)
            .json(&baseline())
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 201);
    };
    for _ in 0..6 {
        record(server.base.clone(), token.clone()).await;
    }
    // Kill it as soon as the first event is through: the rest are pending or in flight.
    receiver.wait_for(1, 20).await;
    server.child.kill().unwrap(); // SIGKILL
    server.child.wait().unwrap();
    let before = receiver.distinct_ids().len();
    assert!(
        before < 6,
        "the kill should come mid-way ({before} delivered)"
    );

    let server = Server::start(&db.url, &env).await;
    record(server.base.clone(), token.clone()).await;
    receiver.wait_for(7, 60).await;
    for got in receiver.all() {
        assert!(got.verifies(SECRET), "{got:?}");
        assert_eq!(got.json()["type"], "outcome.recorded");
        assert_eq!(got.json()["id"], got.event_id.as_str());
    }
    drop(server);
    db.drop_database().await;
}

/// Lifecycle moves raise their events from the same transaction as the move: acceptance and
/// decline carry the SNOMED CT codes a GP system records, closure its reason code.
#[tokio::test]
async fn referral_moves_raise_signed_events_with_snomed_codes() {
    let app = spawn_app_with(|s| {
        s.webhook_poll_interval_ms = 100;
    })
    .await;
    let receiver = Receiver::start(0, Duration::ZERO);
    let admin = app.token(ORG, &["admin"]);
    let r = app
        .post("/v1/webhooks")
        .bearer_auth(&admin)
        .json(&json!({"url": receiver.url, "secret": SECRET,
            "event_types": ["referral.accepted", "referral.declined", "referral.closed"]}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201);

    let coordinator = app.token(ORG, &["coordinator"]);
    let move_to = |id: String, body: Value| {
        let app = &app;
        let coordinator = coordinator.clone();
        async move {
            let r = app
                .post(&format!("/v1/referrals/{id}/transitions"))
                .bearer_auth(&coordinator)
                .json(&body)
                .send()
                .await
                .unwrap();
            assert_eq!(r.status(), 201, "{}", r.text().await.unwrap());
        }
    };
    let a = app.create_referral(&app.referrer(), &referral_body()).await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let b = app.create_referral(&app.referrer(), &referral_body()).await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    move_to(a.clone(), json!({"to": "accepted"})).await;
    move_to(a.clone(), json!({"to": "closed", "reason": "moved_away"})).await;
    move_to(
        b.clone(),
        json!({"to": "declined", "reason": "out_of_area"}),
    )
    .await;
    // An illegal move is refused and raises nothing.
    let r = app
        .post(&format!("/v1/referrals/{b}/transitions"))
        .bearer_auth(&coordinator)
        .json(&json!({"to": "accepted"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 409);

    receiver.wait_for(3, 20).await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    let events: Vec<Value> = receiver
        .all()
        .iter()
        .map(|g| {
            assert!(g.verifies(SECRET));
            g.json()
        })
        .collect();
    assert_eq!(events.len(), 3, "{events:?}");
    let of = |t: &str| {
        events
            .iter()
            .find(|e| e["type"] == t)
            .unwrap_or_else(|| panic!("no {t}"))
            .clone()
    };
    assert_eq!(of("referral.accepted")["snomed_ct"], "871731000000106");
    assert_eq!(of("referral.accepted")["data"]["referral_id"], a.as_str());
    assert_eq!(of("referral.declined")["snomed_ct"], "871711000000103");
    assert_eq!(of("referral.declined")["data"]["referral_id"], b.as_str());
    assert_eq!(
        of("referral.closed")["data"]["closure_reason"],
        "moved_away"
    );
    for e in &events {
        assert!(
            !e.to_string().contains("Margaret"),
            "no personal data in events"
        );
    }
    app.finish().await;
}
