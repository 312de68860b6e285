//! What operators rely on: health, readiness (and recovery), metrics, request ids, docs.

use crate::support::*;

#[tokio::test]
async fn healthz_and_readyz_answer() {
    let app = spawn_app().await;
    let health = app.get("/healthz").send().await.unwrap();
    assert_eq!(health.status(), 200);
    let ready: serde_json::Value = app
        .get("/readyz")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(ready["status"], "ready");
    let expected = if app.db.is_postgres() {
        "postgres"
    } else {
        "sqlite"
    };
    assert_eq!(ready["database"], expected);
    app.finish().await;
}

#[tokio::test]
async fn metrics_count_requests_by_route_pattern_and_status() {
    let app = spawn_app().await;
    let created = app.create_referral(&app.referrer(), &referral_body()).await;
    let (status, _) = app
        .get_json(
            &format!("/v1/referrals/{}", created["id"].as_str().unwrap()),
            &app.token(ORG, &["coordinator"]),
        )
        .await;
    assert_eq!(status, 200);
    let text = app
        .get("/metrics")
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        text.contains(
            r#"socialrx_http_requests_total{method="POST",route="/v1/referrals",status="201"} 1"#
        ),
        "{text}"
    );
    assert!(text.contains(r#"socialrx_http_requests_total{method="GET",route="/v1/referrals/{id}",status="200"} 1"#), "{text}");
    assert!(text.contains("socialrx_http_request_duration_seconds_bucket"));
    // Ids never become label values (they would explode the series and are not for logs).
    assert!(!text.contains(created["id"].as_str().unwrap()));
    app.finish().await;
}

#[tokio::test]
async fn a_request_id_is_echoed_or_made_up() {
    let app = spawn_app().await;
    let given = app
        .get("/healthz")
        .header("X-Request-Id", "gp-system-42")
        .send()
        .await
        .unwrap();
    assert_eq!(given.headers()["x-request-id"], "gp-system-42");
    let made = app.get("/healthz").send().await.unwrap();
    let id = made.headers()["x-request-id"].to_str().unwrap().to_owned();
    assert_eq!(id.len(), 36, "a UUID: {id}");
    // An id that could forge log lines is replaced, not echoed.
    let hostile = app
        .get("/healthz")
        .header("X-Request-Id", "a b\tc")
        .send()
        .await
        .unwrap();
    assert_ne!(hostile.headers()["x-request-id"], "a b\tc");
    // Errors carry it too.
    let missing = app
        .get("/nowhere")
        .header("X-Request-Id", "r-404")
        .send()
        .await
        .unwrap();
    assert_eq!(missing.headers()["x-request-id"], "r-404");
    app.finish().await;
}

#[tokio::test]
async fn the_docs_page_and_the_spec_are_served() {
    let app = spawn_app().await;
    let docs = app.get("/docs").send().await.unwrap();
    assert_eq!(docs.status(), 200);
    assert!(docs.text().await.unwrap().contains("<html"));
    let spec: serde_json::Value = app
        .get("/openapi.json")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(spec, serde_json::to_value(socialrx_api::openapi()).unwrap());
    app.finish().await;
}

/// `/docs` names no other host: its scripts and styles come from the binary, with their
/// types, compressed, and cached for long under a versioned address.
#[tokio::test]
async fn the_docs_page_loads_its_assets_from_the_service_only() {
    let app = spawn_app().await;
    let docs = app.get("/docs").send().await.unwrap();
    assert_eq!(docs.status(), 200);
    assert_eq!(docs.headers()["content-type"], "text/html; charset=utf-8");
    assert_eq!(docs.headers()["cache-control"], "no-cache");
    let csp = docs.headers()["content-security-policy"].to_str().unwrap();
    assert!(
        csp.starts_with("default-src 'none'; script-src 'self';"),
        "{csp}"
    );
    let page = docs.text().await.unwrap();
    assert!(!page.contains("://"), "the page names another host: {page}");
    let mut assets = Vec::new();
    for attribute in ["src=\"", "href=\""] {
        for (i, _) in page.match_indices(attribute) {
            let rest = &page[i + attribute.len()..];
            assets.push(rest[..rest.find('"').unwrap()].to_owned());
        }
    }
    assert_eq!(assets.len(), 4, "{assets:?}");
    for asset in assets.iter().filter(|a| a.starts_with("docs/")) {
        let response = app
            .get(&format!("/{asset}"))
            .header("Accept-Encoding", "gzip")
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200, "{asset}");
        let expected = if asset.ends_with(".js") {
            "text/javascript; charset=utf-8"
        } else {
            "text/css; charset=utf-8"
        };
        assert_eq!(response.headers()["content-type"], expected, "{asset}");
        assert_eq!(response.headers()["x-content-type-options"], "nosniff");
        let cache = response.headers()["cache-control"].to_str().unwrap();
        if asset.contains("/swagger-ui-") {
            assert_eq!(cache, "public, max-age=31536000, immutable", "{asset}");
            assert_eq!(response.headers()["content-encoding"], "gzip", "{asset}");
        } else {
            assert_eq!(cache, "public, max-age=300", "{asset}");
        }
        let body = response.text().await.unwrap();
        assert!(body.len() > 100, "{asset}");
    }
    app.finish().await;
}

/// PostgreSQL goes away and comes back: `/readyz` says 503 meanwhile and recovers by
/// itself. (SQLite is a file in the process: it cannot go away like this, so the test
/// runs in the PostgreSQL pass of CI.)
#[tokio::test]
async fn readyz_is_503_while_the_database_is_down_and_recovers() {
    let Ok(admin_url) = std::env::var("TEST_DATABASE_URL") else {
        eprintln!("skipped on SQLite: needs TEST_DATABASE_URL=postgres://...");
        return;
    };
    let db = socialrx_store::testing::TestDatabase::create().await;
    let upstream = upstream_addr(&admin_url);
    let mut proxy = proxy::Proxy::start(upstream.clone()).await;
    let through_proxy = db.url.replacen(&upstream, &proxy.addr, 1);
    let db = std::sync::Arc::new(db);
    let mut settings_db = socialrx_store::testing::TestDatabase::sqlite();
    settings_db.url = through_proxy;
    let app = spawn_app_on(std::sync::Arc::new(settings_db)).await;
    assert_eq!(app.get("/readyz").send().await.unwrap().status(), 200);

    proxy.stop();
    let down = app.get("/readyz").send().await.unwrap();
    problem(down, 503).await;
    // Requests that need the database fail cleanly too, with Retry-After.
    let response = app.post_referral(&app.referrer(), &referral_body()).await;
    assert_eq!(response.headers()["retry-after"], "5");
    problem(response, 503).await;

    proxy.restart().await;
    let mut recovered = false;
    for _ in 0..50 {
        if app.get("/readyz").send().await.unwrap().status() == 200 {
            recovered = true;
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    }
    assert!(
        recovered,
        "readyz did not recover within 10 s of the database coming back"
    );
    app.create_referral(&app.referrer(), &referral_body()).await;
    proxy.stop();
    if let Ok(db) = std::sync::Arc::try_unwrap(db) {
        db.drop_database().await;
    }
}

fn upstream_addr(url: &str) -> String {
    let after_scheme = url.split("://").nth(1).unwrap();
    let host_part = after_scheme.split('/').next().unwrap();
    host_part.rsplit('@').next().unwrap().to_owned()
}

mod proxy {
    //! A TCP proxy that can be switched off and on, standing in for a database outage.
    use tokio::net::{TcpListener, TcpStream};
    use tokio::task::JoinHandle;

    pub struct Proxy {
        pub addr: String,
        upstream: String,
        tasks: std::sync::Arc<std::sync::Mutex<Vec<JoinHandle<()>>>>,
    }

    impl Proxy {
        pub async fn start(upstream: String) -> Self {
            let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
            let addr = listener.local_addr().unwrap().to_string();
            let proxy = Self {
                addr,
                upstream,
                tasks: Default::default(),
            };
            proxy.serve(listener);
            proxy
        }

        fn serve(&self, listener: TcpListener) {
            let upstream = self.upstream.clone();
            let tasks = self.tasks.clone();
            let accept = tokio::spawn({
                let tasks = tasks.clone();
                async move {
                    while let Ok((mut inbound, _)) = listener.accept().await {
                        let upstream = upstream.clone();
                        let conn = tokio::spawn(async move {
                            if let Ok(mut outbound) = TcpStream::connect(upstream).await {
                                let _ = tokio::io::copy_bidirectional(&mut inbound, &mut outbound)
                                    .await;
                            }
                        });
                        tasks.lock().unwrap().push(conn);
                    }
                }
            });
            tasks.lock().unwrap().push(accept);
        }

        /// Drops the listener and every proxied connection.
        pub fn stop(&mut self) {
            for task in self.tasks.lock().unwrap().drain(..) {
                task.abort();
            }
        }

        pub async fn restart(&mut self) {
            let mut listener = None;
            for _ in 0..50 {
                match TcpListener::bind(&self.addr).await {
                    Ok(l) => {
                        listener = Some(l);
                        break;
                    }
                    Err(_) => tokio::time::sleep(std::time::Duration::from_millis(100)).await,
                }
            }
            self.serve(listener.expect("the proxy port can be bound again"));
        }
    }
}
