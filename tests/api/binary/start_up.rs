//! Start-up against a database that is not there yet: the binary retries for the
//! configured wait, then gives up or serves once the database comes up.

use super::*;

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
