//! The directory summary a saved search index is checked against: it counts what search
//! should find (live, active activities) and moves with every change, deletions included.

use socialrx_domain::directory::ActivityStatus;
use socialrx_store::DirectorySummary;

use super::directory::{activity, provider};
use super::with_store;

#[tokio::test]
async fn the_summary_counts_live_active_activities_and_follows_every_change() {
    with_store(|store| async move {
        assert_eq!(
            store.directory_summary().await.unwrap(),
            DirectorySummary {
                searchable: 0,
                latest_change: None
            }
        );
        let p = store
            .create_provider("Y02794", provider("Leeds Libraries"))
            .await
            .unwrap();
        let a = store
            .create_activity("Y02794", activity(p.id, "One"))
            .await
            .unwrap();
        let mut closed = activity(p.id, "Two");
        closed.status = ActivityStatus::TemporarilyClosed;
        let b = store.create_activity("Y02794", closed).await.unwrap();
        let c = store
            .create_activity("Y02794", activity(p.id, "Three"))
            .await
            .unwrap();
        let summary = store.directory_summary().await.unwrap();
        assert_eq!(summary.searchable, 2);
        assert_eq!(summary.latest_change, Some(c.updated_at.max(b.updated_at)));

        store.delete_activity("Y02794", a.id).await.unwrap();
        let deleted = store.directory_summary().await.unwrap();
        assert_eq!(deleted.searchable, 1);
        let latest = deleted.latest_change.unwrap();
        assert!(
            latest >= summary.latest_change.unwrap(),
            "{latest} before {summary:?}"
        );
        let changes = store.activities_changed_since(latest).await.unwrap();
        assert!(
            changes.iter().any(|(at, change)| *at == latest
                && matches!(change, socialrx_store::ActivityChange::Deleted { id, .. } if *id == a.id)),
            "the latest change is the deletion: {changes:?}"
        );
    })
    .await;
}
