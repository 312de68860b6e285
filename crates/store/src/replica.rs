//! Read replicas (PostgreSQL): reads that may be a little stale go to a streaming replica,
//! and to the primary while the replica cannot be reached. Which reads those are is listed
//! at `stale_ok` in `postgres.rs`; docs/SCALING.md says how to run one.

use std::sync::atomic::{AtomicBool, Ordering};

use async_trait::async_trait;

use crate::StoreError;

/// One sample of the read replica, for `/metrics`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ReplicaStatus {
    /// Reads that may be stale go to the replica (it answered when last asked).
    pub up: bool,
    /// Seconds since the replica replayed its last transaction, or 0 when it has replayed
    /// all the WAL the primary had written; `None` when unknown (the replica is down, or
    /// has replayed nothing since it started). The 0 matters: on an idle primary the age
    /// of the last replayed transaction grows although nothing is missing.
    pub lag_seconds: Option<f64>,
    /// Bytes of WAL the primary had written that the replica had not replayed yet.
    pub lag_bytes: Option<i64>,
}

#[async_trait]
pub trait ReplicaStore {
    /// Samples the replica (a bounded round trip to each server); `None` without one.
    /// A replica that answers again is put back in use.
    async fn replica_status(&self) -> Option<ReplicaStatus>;

    /// Whether reads that may be stale go to the replica now; `None` without one. No I/O.
    fn replica_in_use(&self) -> Option<bool>;
}

/// Up or down, each change logged once: a warning when the replica is lost, a note when
/// it is back. The log carries the driver's connection error only, never a row.
#[derive(Debug, Default)]
pub(crate) struct Health {
    down: AtomicBool,
}

impl Health {
    pub(crate) fn is_up(&self) -> bool {
        !self.down.load(Ordering::Acquire)
    }

    /// Returns whether this call took it down (its caller starts the recovery probe).
    pub(crate) fn mark_down(&self, cause: &StoreError) -> bool {
        let was_down = self.down.swap(true, Ordering::AcqRel);
        if !was_down {
            tracing::warn!(
                error = %cause,
                "the read replica cannot be reached; reads that may be stale go to the primary until it answers again"
            );
        }
        !was_down
    }

    pub(crate) fn mark_up(&self) {
        if self.down.swap(false, Ordering::AcqRel) {
            tracing::info!("the read replica answers again; reads that may be stale go back to it");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_outage_is_reported_once_and_ends_when_the_replica_answers() {
        let health = Health::default();
        assert!(health.is_up());
        let cause = StoreError::Unavailable("connection refused".into());
        assert!(
            health.mark_down(&cause),
            "the first failure starts the outage"
        );
        assert!(
            !health.mark_down(&cause),
            "later failures are the same outage"
        );
        assert!(!health.is_up());
        health.mark_up();
        assert!(health.is_up());
        assert!(health.mark_down(&cause), "a new outage is reported again");
    }
}
