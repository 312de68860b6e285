//! Samples the read replica for `/metrics` (`socialrx_replica_up`, `_lag_seconds`,
//! `_lag_bytes`) every second: one bounded round trip to the primary and one to the
//! replica. Sampled here rather than on scrape so that a scrape never waits on a replica
//! that does not answer, and so that a replica that answers again is put back in use
//! within a second. Each instance samples for itself; nothing is shared between them.

use std::sync::Arc;
use std::time::Duration;

use actix_web::web;
use socialrx_api::Metrics;
use socialrx_store::Store;

/// Samples until the process stops; does nothing without a replica.
pub fn follow(store: Arc<dyn Store>, metrics: web::Data<Metrics>, every: Duration) {
    if store.replica_in_use().is_none() {
        return;
    }
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(every);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tick.tick().await;
            if let Some(status) = store.replica_status().await {
                metrics.replica_sampled(&status);
            }
        }
    });
}
