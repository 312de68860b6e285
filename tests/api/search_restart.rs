//! The search index saved on local disk between starts (`SOCIALRX_SEARCH_INDEX_DIR`): the
//! real binary, stopped and started again on the same database and directory, opens the
//! saved index and catches up with what another instance changed while it was down
//! (additions and deletions) instead of rebuilding; a damaged index is rebuilt.

use reqwest::Client;
use serde_json::Value;

use crate::binary::Server;
use crate::directory::{activity_body, add_activity, add_provider, editor};
use crate::support::*;

/// The names a text search on `server` finds.
async fn found(server: &Server, q: &str) -> Vec<String> {
    let page: Value = Client::new()
        .get(format!("{}/v1/activities?q={q}", server.base))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    page["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["name"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test]
async fn a_restarted_server_catches_up_with_what_changed_while_it_was_down() {
    // Another instance, searching from memory, makes every change.
    let other = spawn_app_with(|s| s.search_index_dir = Some(String::new())).await;
    let dir = tempfile::tempdir().unwrap();
    let saved = dir.path().join("search");
    let env = [
        ("SOCIALRX_SEARCH_INDEX_DIR", saved.to_str().unwrap()),
        ("SOCIALRX_LOG_LEVEL", "info"),
    ];
    let token = editor(&other);
    let provider = add_provider(&other, &token, "Headingley Library").await;
    add_activity(
        &other,
        &token,
        &activity_body(&provider, "Riverside walking group"),
    )
    .await;
    let doomed = add_activity(&other, &token, &activity_body(&provider, "Knitting circle")).await;

    let first = Server::start(&other.db.url, &env).await;
    assert!(
        first
            .log_text()
            .contains("rebuilding the saved search index"),
        "{}",
        first.log_text()
    );
    assert_eq!(found(&first, "knitting").await, vec!["Knitting circle"]);
    drop(first); // killed, as a crash or a redeploy would

    let response = other
        .client
        .delete(other.url(&format!(
            "/v1/activities/{}",
            doomed["id"].as_str().unwrap()
        )))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 204);
    add_activity(&other, &token, &activity_body(&provider, "Community choir")).await;

    let second = Server::start(&other.db.url, &env).await;
    let log = second.log_text();
    assert!(
        log.contains("saved search index opened and caught up"),
        "{log}"
    );
    assert!(!log.contains("rebuilding"), "{log}");
    assert_eq!(
        found(&second, "walking").await,
        vec!["Riverside walking group"]
    );
    assert_eq!(found(&second, "choir").await, vec!["Community choir"]);
    assert!(
        found(&second, "knitting").await.is_empty(),
        "deleted while it was down"
    );
    drop(second);

    // A damaged index is not trusted: the next start rebuilds it from the database.
    std::fs::write(saved.join("index").join("meta.json"), b"{ damaged").unwrap();
    let third = Server::start(&other.db.url, &env).await;
    assert!(
        third
            .log_text()
            .contains("rebuilding the saved search index"),
        "{}",
        third.log_text()
    );
    assert_eq!(found(&third, "choir").await, vec!["Community choir"]);
    assert!(found(&third, "knitting").await.is_empty());
    drop(third);
    other.finish().await;
}
