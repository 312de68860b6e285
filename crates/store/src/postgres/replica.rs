//! The read replica's pool, its health, and its lag.

use std::str::FromStr;
use std::sync::{Arc, Weak};
use std::time::Duration;

use sqlx::postgres::{PgConnectOptions, PgPool, PgPoolOptions};

use crate::replica::Health;
use crate::{ConnectOptions, ReplicaStatus, StoreError};

/// A replica read waits this long for a connection at most, then reads the primary: with
/// the replica gone, sqlx retries a refused connection until the acquire timeout, and
/// every read that still tried the replica would wait that long.
const ACQUIRE_TIMEOUT: Duration = Duration::from_secs(1);
/// A lost replica is asked again this often, in the background (no request waits on it).
const PROBE_EVERY: Duration = Duration::from_secs(1);
/// A sample's round trips are bounded: a replica behind a dead network does not refuse,
/// it never answers.
const SAMPLE_TIMEOUT: Duration = Duration::from_secs(2);

pub(super) struct Replica {
    pub(super) pool: PgPool,
    health: Health,
    /// Where the recovery probe runs: the runtime the store was opened on (see `Store`).
    runtime: tokio::runtime::Handle,
}

impl Replica {
    /// A lazy pool: an instance starts (and serves from the primary) without its replica.
    pub(super) fn open(url: &str, options: &ConnectOptions) -> Result<Arc<Self>, StoreError> {
        let connect = PgConnectOptions::from_str(url)
            .map_err(|e| {
                StoreError::Config(format!(
                    "SOCIALRX_READ_DATABASE_URL is not a usable PostgreSQL URL: {e}"
                ))
            })?
            .application_name("socialrx");
        let pool = PgPoolOptions::new()
            .max_connections(options.max_connections)
            .min_connections(options.min_connections.min(options.max_connections))
            .acquire_timeout(options.acquire_timeout.min(ACQUIRE_TIMEOUT))
            .test_before_acquire(false)
            .connect_lazy_with(connect);
        Ok(Arc::new(Self {
            pool,
            health: Health::default(),
            runtime: tokio::runtime::Handle::current(),
        }))
    }

    pub(super) fn in_use(&self) -> bool {
        self.health.is_up()
    }

    /// Takes the replica out of use after `cause` (a connection error, a pool timeout, a
    /// refused login) and, once per outage, starts probing for its return.
    pub(super) fn failed(self: &Arc<Self>, cause: &StoreError) {
        if self.health.mark_down(cause) {
            self.runtime.spawn(recover(Arc::downgrade(self)));
        }
    }

    /// Asks the primary for its WAL position, then the replica how far it has replayed.
    pub(super) async fn sample(self: &Arc<Self>, primary: &PgPool) -> ReplicaStatus {
        let written: Option<String> =
            bounded(sqlx::query_scalar("SELECT pg_current_wal_lsn()::text").fetch_one(primary))
                .await
                .ok();
        let replayed: Result<(Option<f64>, Option<f64>), StoreError> = bounded(
            // The primary's position was read first, so a replica that replayed more since
            // gives a negative difference: nothing is missing.
            sqlx::query_as(
                "SELECT CAST(pg_wal_lsn_diff(CAST($1 AS pg_lsn), pg_last_wal_replay_lsn()) \
                 AS DOUBLE PRECISION), CAST(EXTRACT(EPOCH FROM now() - \
                 pg_last_xact_replay_timestamp()) AS DOUBLE PRECISION)",
            )
            .bind(written)
            .fetch_one(&self.pool),
        )
        .await;
        match replayed {
            Ok((bytes, age)) => {
                self.health.mark_up();
                let lag_bytes = bytes.map(|b| b.max(0.0) as i64);
                ReplicaStatus {
                    up: true,
                    lag_seconds: if lag_bytes == Some(0) { Some(0.0) } else { age },
                    lag_bytes,
                }
            }
            Err(e) => {
                self.failed(&e);
                ReplicaStatus {
                    up: false,
                    lag_seconds: None,
                    lag_bytes: None,
                }
            }
        }
    }

    /// Whether the server is a standby at all: a primary named as the replica answers
    /// every read, but its "lag" means nothing.
    pub(super) async fn is_standby(&self) -> Result<bool, StoreError> {
        bounded(sqlx::query_scalar("SELECT pg_is_in_recovery()").fetch_one(&self.pool)).await
    }
}

async fn bounded<T>(query: impl Future<Output = Result<T, sqlx::Error>>) -> Result<T, StoreError> {
    match tokio::time::timeout(SAMPLE_TIMEOUT, query).await {
        Ok(answer) => Ok(answer?),
        Err(_) => Err(StoreError::Unavailable(format!(
            "no answer within {} s",
            SAMPLE_TIMEOUT.as_secs()
        ))),
    }
}

/// Asks a lost replica again every `PROBE_EVERY` until it answers (or the store is gone),
/// then puts it back in use.
async fn recover(replica: Weak<Replica>) {
    loop {
        tokio::time::sleep(PROBE_EVERY).await;
        let Some(replica) = replica.upgrade() else {
            return;
        };
        if replica.in_use() {
            return; // A sample saw it come back first.
        }
        if bounded(sqlx::query("SELECT 1").execute(&replica.pool))
            .await
            .is_ok()
        {
            replica.health.mark_up();
            return;
        }
    }
}
