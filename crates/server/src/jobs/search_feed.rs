//! Keeps the directory search index in step with the store: at start-up the index saved
//! on local disk by the last start, caught up from the store's change feed (or, without a
//! usable one, a full load), then the change feed, polled at the interval `startup` gives
//! (half a second). Writes made through this process are also applied directly after they
//! commit, so they are searchable at once; the feed brings in other instances' writes (and
//! anything a direct update missed).

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use socialrx_search::{SearchIndex, SnapshotError, TextError};
use socialrx_store::{ActivityChange, Store, StoreError};
use time::OffsetDateTime;

#[derive(Debug, thiserror::Error)]
pub enum FeedError {
    #[error("cannot read the directory")]
    Store(#[from] StoreError),
    #[error("cannot update the search index")]
    Index(#[from] TextError),
    #[error("cannot use the saved search index")]
    Snapshot(#[from] SnapshotError),
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
    let started = std::time::Instant::now();
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
    let read = started.elapsed();
    index.apply_until(all, &[], since)?;
    tracing::info!(
        activities = count,
        read_ms = read.as_millis() as u64,
        index_ms = (started.elapsed() - read).as_millis() as u64,
        saved = index.is_saved(),
        "directory search index built from the store"
    );
    Ok((count, since))
}

/// Applies the changes made at or after `since`; returns the time to look from next.
pub async fn catch_up(
    store: &dyn Store,
    index: &SearchIndex,
    since: OffsetDateTime,
) -> Result<OffsetDateTime, FeedError> {
    Ok(catch_up_counted(store, index, since).await?.0)
}

/// `catch_up`, and how many changes the feed gave.
async fn catch_up_counted(
    store: &dyn Store,
    index: &SearchIndex,
    since: OffsetDateTime,
) -> Result<(OffsetDateTime, usize), FeedError> {
    let changes = store.activities_changed_since(since).await?;
    let count = changes.len();
    let latest = changes.iter().map(|(at, _)| *at).max();
    let next = latest.map_or(since, |t| t - OVERLAP).max(since);
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
        // A saved index records `next` with the changes, in one commit.
        index.apply_until(upserts, &deletions, next)?;
    }
    Ok((next, count))
}

/// The index saved in `dir` by an earlier start, caught up from the store and checked
/// against it; or, when there is none or it cannot be trusted, one built afresh from the
/// store and saved there. Returns it and the time to follow changes from. Another process
/// using `dir` leaves this one an index in memory; a `dir` holding anything else stops
/// the start.
pub async fn open_or_build(
    store: &dyn Store,
    dir: &Path,
    origin: &str,
) -> Result<(SearchIndex, OffsetDateTime), FeedError> {
    let started = std::time::Instant::now();
    let reason = match SearchIndex::open(dir, origin) {
        Ok((index, since)) => match checked_catch_up(store, &index, since, started).await? {
            Ok((next, caught_up)) => {
                tracing::info!(
                    activities = index.len(),
                    dir = %dir.display(),
                    open_ms = caught_up.opened.as_millis() as u64,
                    catch_up_ms = caught_up.catch_up.as_millis() as u64,
                    check_ms = caught_up.check.as_millis() as u64,
                    changes = caught_up.changes,
                    "saved search index opened and caught up"
                );
                return Ok((index, next));
            }
            Err(reason) => reason.to_owned(),
        },
        Err(e @ SnapshotError::NotOurs(_)) => return Err(e.into()),
        Err(SnapshotError::Busy(_)) => {
            tracing::warn!(dir = %dir.display(), "the saved search index is in use by another process; building one in memory");
            return build(store, SearchIndex::new()?).await;
        }
        Err(e) => chain(&e),
    };
    tracing::warn!(reason, dir = %dir.display(), "rebuilding the saved search index from the store");
    let index = match SearchIndex::create_in(dir, origin) {
        Ok(index) => index,
        Err(e @ SnapshotError::NotOurs(_)) => return Err(e.into()),
        Err(e) => {
            tracing::warn!(
                error = chain(&e),
                "cannot save the search index; building it in memory"
            );
            SearchIndex::new()?
        }
    };
    build(store, index).await
}

async fn build(
    store: &dyn Store,
    index: SearchIndex,
) -> Result<(SearchIndex, OffsetDateTime), FeedError> {
    let (_, since) = load(store, &index).await?;
    Ok((index, since))
}

/// What opening a saved index took, for the log.
struct CaughtUp {
    opened: Duration,
    catch_up: Duration,
    check: Duration,
    /// Changes the catch-up read from the feed (some may have been in the index already).
    changes: usize,
}

/// Catches an opened index up, then checks that it holds what the store says search
/// should find, and nothing newer than the store has: a database restored from a backup,
/// or another database at the same address, fails that. A write landing between the
/// catch-up and the check makes a false alarm, so a mismatch is caught up and checked
/// once more before it counts. `Ok(Err(why))` means rebuild.
async fn checked_catch_up(
    store: &dyn Store,
    index: &SearchIndex,
    since: OffsetDateTime,
    started: std::time::Instant,
) -> Result<Result<(OffsetDateTime, CaughtUp), &'static str>, FeedError> {
    let opened = started.elapsed();
    let (mut since, mut changes) = catch_up_counted(store, index, since).await?;
    let catch_up = started.elapsed() - opened;
    for _ in 0..2 {
        let summary = store.directory_summary().await?;
        if index
            .latest_change()
            .is_some_and(|held| summary.latest_change.is_none_or(|latest| held > latest))
        {
            return Ok(Err(
                "it holds changes the database does not have (a restored or another database)",
            ));
        }
        if index.len() as u64 == summary.searchable {
            let check = started.elapsed() - opened - catch_up;
            let took = CaughtUp {
                opened,
                catch_up,
                check,
                changes,
            };
            return Ok(Ok((since, took)));
        }
        let (next, more) = catch_up_counted(store, index, since).await?;
        (since, changes) = (next, changes + more);
    }
    Ok(Err(
        "it does not hold the activities the database says search should find",
    ))
}

/// An error and its causes, for a log line.
pub(crate) fn chain(e: &dyn std::error::Error) -> String {
    let mut out = e.to_string();
    let mut cause = e.source();
    while let Some(c) = cause {
        out.push_str(": ");
        out.push_str(&c.to_string());
        cause = c.source();
    }
    out
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
                Err(e) => {
                    tracing::warn!(error = chain(&e), "search index could not follow the store")
                }
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
