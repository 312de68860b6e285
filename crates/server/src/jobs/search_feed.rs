//! Keeps the directory search index in step with the store: a full load at start-up, then
//! the store's change feed, polled at the interval `startup` gives (half a second). Writes made through this process are
//! also applied directly after they commit, so they are searchable at once; the feed
//! brings in other instances' writes (and anything a direct update missed).

use std::sync::Arc;
use std::time::Duration;

use socialrx_search::{SearchIndex, TextError};
use socialrx_store::{ActivityChange, Store, StoreError};
use time::OffsetDateTime;

/// Why the index could not take in the store's activities.
#[derive(Debug, thiserror::Error)]
pub enum FeedError {
    #[error("the directory could not be read from the store")]
    Store(#[from] StoreError),
    #[error("the search index refused the activities")]
    Index(#[from] TextError),
}

/// How far back each poll looks again: covers clock skew between instances and
/// transactions that commit a little after the time they stamped.
const OVERLAP: time::Duration = time::Duration::seconds(5);
const PAGE: u32 = 2000;

/// Loads every live activity into the index: read in pages, indexed in one text-index
/// commit (a commit per page made 50 segments for 100,000 activities, and tantivy then
/// merged them while the service waited). Returns how many, and the time to follow
/// changes from.
pub async fn load(
    store: &dyn Store,
    index: &SearchIndex,
) -> Result<(usize, OffsetDateTime), FeedError> {
    let since = OffsetDateTime::now_utc() - OVERLAP;
    let mut after = None;
    let mut all = Vec::new();
    loop {
        let page = store.list_activities(after, PAGE).await?;
        let Some(last) = page.last().map(|a| a.id) else {
            break;
        };
        all.extend(page);
        after = Some(last);
    }
    let count = all.len();
    index.apply(all, &[])?;
    Ok((count, since))
}

/// Applies the changes made at or after `since`; returns the time to look from next.
pub async fn catch_up(
    store: &dyn Store,
    index: &SearchIndex,
    since: OffsetDateTime,
) -> Result<OffsetDateTime, FeedError> {
    let changes = store.activities_changed_since(since).await?;
    let latest = changes.iter().map(|(at, _)| *at).max();
    let mut upserts = Vec::new();
    let mut deletions = Vec::new();
    for (_, change) in changes {
        match change {
            ActivityChange::Upserted(a) => {
                if is_news(index.indexed(a.id), a.version, Some(a.updated_at)) {
                    upserts.push(*a);
                }
            }
            ActivityChange::Deleted { id, version } => {
                let indexed = index.indexed(id);
                if indexed.is_some() && is_news(indexed, version, None) {
                    deletions.push(id);
                }
            }
        }
    }
    if !upserts.is_empty() || !deletions.is_empty() {
        tracing::debug!(
            upserts = upserts.len(),
            deletions = deletions.len(),
            "search index follows the store"
        );
        index.apply(upserts, &deletions)?;
    }
    Ok(latest.map_or(since, |t| t - OVERLAP).max(since))
}

/// Whether a change at `version` is newer than what the index holds. The feed may come
/// from a read replica, which can still show a version older than one this instance wrote
/// and indexed itself a moment ago (or than the full load read from the primary): that
/// change is past, and applying it would take the index back until the replica caught up.
/// Versions, not times, decide: each instance stamps times with its own clock.
fn is_news(
    indexed: Option<(i64, OffsetDateTime)>,
    version: i64,
    updated_at: Option<OffsetDateTime>,
) -> bool {
    match indexed {
        None => true,
        Some((held, _)) if held != version => held < version,
        // The same version again: news only if it was stamped differently (never, unless
        // the row was rewritten without a version bump).
        Some((_, held_at)) => updated_at.is_some_and(|at| at != held_at),
    }
}

/// Follows the change feed every `every` until the process stops.
pub fn follow(
    store: Arc<dyn Store>,
    index: Arc<SearchIndex>,
    mut since: OffsetDateTime,
    every: Duration,
) {
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(every);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tick.tick().await;
            match catch_up(store.as_ref(), &index, since).await {
                Ok(next) => since = next,
                Err(e) => tracing::warn!(
                    error = &e as &dyn std::error::Error,
                    "search index could not follow the store"
                ),
            }
        }
    });
}

#[cfg(test)]
mod tests {
    use super::is_news;
    use time::macros::datetime;

    #[test]
    fn a_change_older_than_the_indexed_version_is_past() {
        let at = datetime!(2026-11-20 10:00 UTC);
        let later = datetime!(2026-11-20 10:01 UTC);
        assert!(is_news(None, 1, Some(at)), "a new activity");
        assert!(is_news(Some((1, at)), 2, Some(later)), "a newer version");
        assert!(
            !is_news(Some((3, later)), 2, Some(at)),
            "a replica's older version"
        );
        assert!(!is_news(Some((2, at)), 2, Some(at)), "the version held");
        assert!(is_news(Some((2, at)), 3, None), "a removal after it");
        assert!(
            !is_news(Some((4, later)), 3, None),
            "a removal the index has seen undone"
        );
    }
}
