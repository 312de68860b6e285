use thiserror::Error;

/// Everything a store method can fail with. Messages never carry row contents.
#[derive(Debug, Error)]
pub enum StoreError {
    #[error("not found")]
    NotFound,
    /// A unique or foreign-key rule refused the write.
    #[error("conflict: {0}")]
    Conflict(String),
    /// A record with the same natural key exists; the message is safe to show callers.
    #[error("{0}")]
    AlreadyExists(String),
    /// The record changed since the caller read it (`If-Match` did not match).
    #[error("the record has changed")]
    VersionMismatch,
    /// The database cannot be reached or the pool is exhausted: worth a retry.
    #[error("database unavailable: {0}")]
    Unavailable(String),
    /// The request breaks rules that can only be checked against stored data (a second
    /// baseline, say); every problem is listed.
    #[error("invalid: {} problem(s)", .0.len())]
    Invalid(Vec<socialrx_domain::FieldError>),
    /// Bad connection settings.
    #[error("{0}")]
    Config(String),
    /// The database refused a statement for a reason no other variant names (a schema
    /// that does not match, say); the driver's error stays attached for the log.
    #[error("database error")]
    Database(#[source] sqlx::Error),
    /// The schema could not be brought up to date.
    #[error("migration failed")]
    Migration(#[source] sqlx::migrate::MigrateError),
    /// A stored value no longer parses: the database holds something this version of the
    /// code cannot read (a code list shrank, a row written by hand). Names the column,
    /// never its contents.
    #[error("stored {0}")]
    Corrupt(String),
    /// A time could not be written out in its wire format.
    #[error("a time could not be formatted")]
    TimeFormat(#[from] time::error::Format),
    /// A group commit failed as a whole; every job in the group gets the same cause.
    #[error("the group commit failed")]
    Group(#[source] std::sync::Arc<StoreError>),
    /// The group commit's writer task stopped before it answered (it panicked).
    #[error("the writer stopped before it answered")]
    WriterStopped,
}

impl From<sqlx::Error> for StoreError {
    fn from(e: sqlx::Error) -> Self {
        match &e {
            sqlx::Error::RowNotFound => StoreError::NotFound,
            sqlx::Error::Database(db) => match db.kind() {
                sqlx::error::ErrorKind::UniqueViolation
                | sqlx::error::ErrorKind::ForeignKeyViolation => {
                    StoreError::Conflict(db.message().to_owned())
                }
                _ if is_transient_db_error(db.code().as_deref()) => {
                    StoreError::Unavailable(db.message().to_owned())
                }
                _ => StoreError::Database(e),
            },
            sqlx::Error::PoolTimedOut
            | sqlx::Error::PoolClosed
            | sqlx::Error::Io(_)
            | sqlx::Error::Tls(_)
            | sqlx::Error::Protocol(_)
            | sqlx::Error::WorkerCrashed => StoreError::Unavailable(e.to_string()),
            _ => StoreError::Database(e),
        }
    }
}

/// SQLite busy/locked (5, 6) and PostgreSQL connection and shutdown classes (08xxx, 57Pxx)
/// mean "try again later", not "your request is wrong".
fn is_transient_db_error(code: Option<&str>) -> bool {
    match code {
        Some(c) => {
            c == "5"
                || c == "6"
                || c.starts_with("08")
                || c.starts_with("57P")
                || c == "40001"
                || c == "40P01"
        }
        None => false,
    }
}

impl From<sqlx::migrate::MigrateError> for StoreError {
    fn from(e: sqlx::migrate::MigrateError) -> Self {
        StoreError::Migration(e)
    }
}
