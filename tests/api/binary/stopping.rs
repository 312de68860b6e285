//! What survives the binary stopping: every acknowledged referral through a SIGKILL, and
//! requests in flight through a SIGTERM.

use super::*;

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
