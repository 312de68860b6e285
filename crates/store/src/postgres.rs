//! PostgreSQL: the production backend. `synchronous_commit` is left at its durable
//! default (`on`). The pool does not ping on checkout: a dead connection shows up as a
//! failed query (503) and `/readyz` does the health check.

mod replica;

use std::str::FromStr;
use std::sync::Arc;

use sqlx::postgres::{PgConnectOptions, PgPoolOptions};

use crate::{ConnectOptions, ReplicaStatus, StoreError};

type Db = sqlx::Postgres;
const BACKEND: &str = "postgres";

/// Days (fractional) from timestamp column `earlier` to `later`: the one date function
/// the two backends spell differently.
fn days_between(later: &str, earlier: &str) -> String {
    format!("CAST(EXTRACT(EPOCH FROM ({later} - {earlier})) / 86400.0 AS DOUBLE PRECISION)")
}

/// The first element of a JSON list column, as text.
fn first_in_json_list(column: &str) -> String {
    format!("({column} ->> 0)")
}

pub struct Store {
    writer: sqlx::Pool<Db>,
    reader: sqlx::Pool<Db>,
    /// Whole-table reads; the same pool here (see the SQLite store for why it differs).
    scanner: sqlx::Pool<Db>,
    /// A streaming replica for the reads that may be stale (see `stale_ok`), if configured.
    replica: Option<Arc<replica::Replica>>,
    intake: group_commit::GroupCommit<intake::Job>,
    read_audit: group_commit::GroupCommit<group_commit::Audit>,
    /// Where the group commits' drain tasks run: the runtime the store was opened on. In
    /// the server that is the main one, which outlives every HTTP worker's runtime during
    /// a graceful shutdown (a drain on a worker's runtime would die with it, failing the
    /// requests of other workers that were waiting on it).
    runtime: tokio::runtime::Handle,
}

/// Many writers: each referral has its own transaction, and PostgreSQL groups their WAL flushes itself.
const GROUP_INTAKE: bool = false;

impl Store {
    pub async fn connect(url: &str, options: &ConnectOptions) -> Result<Self, StoreError> {
        let connect = PgConnectOptions::from_str(url)
            .map_err(|e| {
                StoreError::Config(format!("DATABASE_URL is not a usable PostgreSQL URL: {e}"))
            })?
            .application_name("socialrx");
        let pool = PgPoolOptions::new()
            .max_connections(options.max_connections)
            .min_connections(options.min_connections.min(options.max_connections))
            .acquire_timeout(options.acquire_timeout)
            .test_before_acquire(false)
            .connect_with(connect)
            .await?;
        sqlx::migrate!("../../migrations/postgres")
            .run(&pool)
            .await?;
        // One pool serves writer, reader and scanner; the replica is a second pool.
        let replica = match &options.read_url {
            Some(url) => Some(open_replica(url, options, &pool).await?),
            None => None,
        };
        Ok(Self {
            writer: pool.clone(),
            scanner: pool.clone(),
            reader: pool,
            replica,
            intake: Default::default(),
            read_audit: Default::default(),
            runtime: tokio::runtime::Handle::current(),
        })
    }
}

/// Opens the replica's pool and asks it once, so that the log says at start-up whether it
/// serves (a replica that cannot be reached yet is no reason not to start).
async fn open_replica(
    url: &str,
    options: &ConnectOptions,
    primary: &sqlx::Pool<Db>,
) -> Result<Arc<replica::Replica>, StoreError> {
    let replica = replica::Replica::open(url, options)?;
    let status = replica.sample(primary).await;
    if status.up {
        if let Ok(false) = replica.is_standby().await {
            tracing::warn!(
                "the read database is not a standby (pg_is_in_recovery() is false); its lag cannot be measured"
            );
        }
        tracing::info!(lag_bytes = status.lag_bytes, "the read replica answers");
    }
    Ok(replica)
}

impl Store {
    /// Runs `read`, which may see data a little stale, on the replica when there is one
    /// in use, and on `local` (the primary) otherwise or when the replica cannot be
    /// reached (a connection error or a pool timeout) or fails with a database error,
    /// which also takes the replica out of use until a probe sees it answer again.
    ///
    /// Which reads may be stale (by the replica's lag, normally milliseconds):
    /// - the directory's change feed (`activities_changed_since`), which every instance's
    ///   search index follows: the feed moves on only from changes it has seen, so a
    ///   lagging replica delays a change but never loses one, and `search_feed` ignores a
    ///   change older than what the index holds (its own instance's writes are applied
    ///   at once, before the replica has them);
    /// - public directory reads that nobody writes through: the provider list and the
    ///   ORUK lookup of a service by its feed id (`activities_by_external_id`);
    /// - the summary report: counts over a period, no personal data, so no audit event.
    ///
    /// Everything else reads the primary: what a caller reads right after writing (a
    /// referral after creating it, caseload, casework, a provider or activity by id after
    /// saving it), what carries an `ETag` for a later `If-Match` (an activity, a plan, a
    /// link worker), an idempotent replay, every
    /// read of personal data (its audit event is written in the same transaction, or
    /// through the read audit's group commit before the answer), reads that decide a write
    /// (agreements, partner keys, the activity a connection names), and the search
    /// index's full load at start-up (`list_activities`): the feed follows on from the
    /// time the load began, which only the primary's contents are sure to include.
    async fn stale_ok<'a, T, F, Fut>(
        &'a self,
        local: &'a sqlx::Pool<Db>,
        read: F,
    ) -> Result<T, StoreError>
    where
        F: Fn(&'a sqlx::Pool<Db>) -> Fut,
        Fut: Future<Output = Result<T, StoreError>>,
    {
        if let Some(replica) = &self.replica
            && replica.in_use()
        {
            match read(&replica.pool).await {
                // Unreachable, or refusing what the primary would answer (a database
                // missing there, a login refused): the primary is the record either way.
                Err(e @ (StoreError::Unavailable(_) | StoreError::Database(_))) => {
                    replica.failed(&e)
                }
                answered => return answered,
            }
        }
        read(local).await
    }
}

#[async_trait::async_trait]
impl crate::ReplicaStore for Store {
    async fn replica_status(&self) -> Option<ReplicaStatus> {
        Some(self.replica.as_ref()?.sample(&self.writer).await)
    }

    fn replica_in_use(&self) -> Option<bool> {
        self.replica.as_ref().map(|r| r.in_use())
    }
}

/// The SQL both backends share, compiled here against this file's `Db`.
#[path = "shared/mod.rs"]
#[allow(clippy::duplicate_mod)]
mod sql;
use sql::{group_commit, intake};
