//! PostgreSQL: the production backend. `synchronous_commit` is left at its durable
//! default (`on`). The pool does not ping on checkout: a dead connection shows up as a
//! failed query (503) and `/readyz` does the health check.

use std::str::FromStr;

use sqlx::postgres::{PgConnectOptions, PgPoolOptions};

use crate::{ConnectOptions, StoreError};

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
        // One pool serves both roles here; a read replica would be a second pool.
        Ok(Self {
            writer: pool.clone(),
            scanner: pool.clone(),
            reader: pool,
            intake: Default::default(),
            read_audit: Default::default(),
            runtime: tokio::runtime::Handle::current(),
        })
    }
}

/// The SQL both backends share, compiled here against this file's `Db`.
#[path = "shared/mod.rs"]
mod sql;
use sql::{group_commit, intake};
