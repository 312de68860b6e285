//! SQLite: the zero-setup embedded backend.
//!
//! WAL with `synchronous = FULL` (an acknowledged referral survives power loss), foreign
//! keys on, and a busy timeout. Writes go through one connection: SQLite has one writer
//! at a time anyway, and queueing in the pool is cheaper than spinning on SQLITE_BUSY.

use std::str::FromStr;

use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};

use crate::{ConnectOptions, StoreError};

type Db = sqlx::Sqlite;
const BACKEND: &str = "sqlite";
/// Bytes of the database file each connection may memory-map (256 MiB).
const MMAP_SIZE: &str = "268435456";

/// Days (fractional) from timestamp column `earlier` to `later`: the one date function
/// the two backends spell differently.
fn days_between(later: &str, earlier: &str) -> String {
    format!("CAST(julianday({later}) - julianday({earlier}) AS DOUBLE PRECISION)")
}

/// The first element of a JSON list column, as text.
fn first_in_json_list(column: &str) -> String {
    format!("json_extract({column}, '$[0]')")
}

pub struct Store {
    writer: sqlx::Pool<Db>,
    reader: sqlx::Pool<Db>,
    /// Whole-table reads (the search index's full load): one read-only connection that
    /// reads pages instead of mapping them. Pages a mapping touches count in the process's
    /// resident memory for as long as the mapping lasts; a scan of every activity through
    /// the readers' maps added the whole table (about 290 MiB at 100,000 activities) to
    /// the RSS of a service whose own memory was 210 MiB.
    scanner: sqlx::Pool<Db>,
    intake: group_commit::GroupCommit<intake::Job>,
    read_audit: group_commit::GroupCommit<group_commit::Audit>,
    /// Where the group commits' drain tasks run: the runtime the store was opened on. In
    /// the server that is the main one, which outlives every HTTP worker's runtime during
    /// a graceful shutdown (a drain on a worker's runtime would die with it, failing the
    /// requests of other workers that were waiting on it).
    runtime: tokio::runtime::Handle,
}

/// One writer: concurrent referrals share a transaction and its fsync (see `intake`).
const GROUP_INTAKE: bool = true;

impl Store {
    pub async fn connect(url: &str, options: &ConnectOptions) -> Result<Self, StoreError> {
        let connect = SqliteConnectOptions::from_str(url)
            .map_err(|e| {
                StoreError::Config(format!("DATABASE_URL is not a usable SQLite URL: {e}"))
            })?
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Full)
            .foreign_keys(true)
            .busy_timeout(std::time::Duration::from_secs(5))
            // Readers map the file instead of copying pages in: every commit invalidates
            // each reader's page cache, and re-reading through the OS cache by memory map
            // doubled caseload reads (1,460 to 2,890 per second in tests/bench/caseload.sh).
            .pragma("mmap_size", MMAP_SIZE);
        // The writer reads through its own page cache, which commits do not invalidate
        // (it made them), so a map gains it little; and every page a map touches counts in
        // the process's resident memory (intake: 97 MiB with the writer mapping, see
        // tests/bench/README.md).
        let writer = SqlitePoolOptions::new()
            .max_connections(1)
            .acquire_timeout(options.acquire_timeout)
            .test_before_acquire(false)
            .connect_with(connect.clone().pragma("mmap_size", "0"))
            .await?;
        sqlx::migrate!("../../migrations/sqlite")
            .run(&writer)
            .await?;
        let reader = SqlitePoolOptions::new()
            .max_connections(options.max_connections.max(2))
            .acquire_timeout(options.acquire_timeout)
            .test_before_acquire(false)
            .connect_with(connect.clone().read_only(true))
            .await?;
        let scanner = SqlitePoolOptions::new()
            .max_connections(1)
            .min_connections(0)
            .idle_timeout(std::time::Duration::from_secs(60))
            .acquire_timeout(options.acquire_timeout)
            .test_before_acquire(false)
            .connect_with(connect.read_only(true).pragma("mmap_size", "0"))
            .await?;
        Ok(Self {
            writer,
            reader,
            scanner,
            intake: Default::default(),
            read_audit: Default::default(),
            runtime: tokio::runtime::Handle::current(),
        })
    }
}

impl Store {
    /// A read that may be stale, which on PostgreSQL may go to a replica (see
    /// `postgres.rs`); SQLite has none, so it reads `local`.
    async fn stale_ok<'a, T, F, Fut>(
        &'a self,
        local: &'a sqlx::Pool<Db>,
        read: F,
    ) -> Result<T, StoreError>
    where
        F: Fn(&'a sqlx::Pool<Db>) -> Fut,
        Fut: Future<Output = Result<T, StoreError>>,
    {
        read(local).await
    }
}

#[async_trait::async_trait]
impl crate::ReplicaStore for Store {
    async fn replica_status(&self) -> Option<crate::ReplicaStatus> {
        None
    }

    fn replica_in_use(&self) -> Option<bool> {
        None
    }
}

/// The SQL both backends share, compiled here against this file's `Db`.
#[path = "shared/mod.rs"]
#[allow(clippy::duplicate_mod)]
mod sql;
use sql::{group_commit, intake};
