//! Fresh databases for tests: a temporary SQLite file, or, when `TEST_DATABASE_URL`
//! names a PostgreSQL server, a new database created on it and dropped afterwards.
//!
//! With `CI=true`, a PostgreSQL that cannot be reached fails the run rather than
//! skipping it quietly.

use std::sync::Arc;

use sqlx::{Connection, Executor, PgConnection};

use crate::{ConnectOptions, Store};

/// A database that lives as long as this value.
pub struct TestDatabase {
    pub url: String,
    admin_url: Option<String>,
    name: Option<String>,
    _dir: Option<tempfile::TempDir>,
}

impl TestDatabase {
    /// A new empty database on the backend the environment asks for.
    pub async fn create() -> Self {
        match std::env::var("TEST_DATABASE_URL") {
            Ok(url) if url.starts_with("postgres") => Self::postgres(url).await,
            _ => Self::sqlite(),
        }
    }

    pub fn sqlite() -> Self {
        let dir = tempfile::tempdir().expect("a temporary directory");
        let url = format!("sqlite:{}", dir.path().join("socialrx.db").display());
        Self {
            url,
            admin_url: None,
            name: None,
            _dir: Some(dir),
        }
    }

    async fn postgres(admin_url: String) -> Self {
        let name = format!("socialrx_test_{}", uuid::Uuid::now_v7().simple());
        let mut admin = match PgConnection::connect(&admin_url).await {
            Ok(c) => c,
            Err(e) => panic!(
                "TEST_DATABASE_URL is set but PostgreSQL cannot be reached ({e}); \
                 start it (pg_ctlcluster 15 main start) or unset TEST_DATABASE_URL"
            ),
        };
        admin
            .execute(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
            .await
            .expect("CREATE DATABASE");
        let url = replace_database(&admin_url, &name);
        Self {
            url,
            admin_url: Some(admin_url),
            name: Some(name),
            _dir: None,
        }
    }

    pub fn is_postgres(&self) -> bool {
        self.admin_url.is_some()
    }

    pub async fn store(&self) -> Arc<dyn Store> {
        crate::connect(&self.url, &ConnectOptions::default())
            .await
            .expect("the test database opens and migrates")
    }

    /// Pretends a referral was received at `at`: the API cannot backdate one, and the
    /// response-time policy counts working days since receipt.
    pub async fn backdate_referral(&self, id: uuid::Uuid, at: time::OffsetDateTime) {
        const SQL: &str = "UPDATE referrals SET created_at = $1 WHERE id = $2";
        if self.is_postgres() {
            let mut c = PgConnection::connect(&self.url).await.expect("connect");
            sqlx::query(SQL)
                .bind(at)
                .bind(id)
                .execute(&mut c)
                .await
                .expect("backdate");
        } else {
            let mut c = sqlx::SqliteConnection::connect(&self.url)
                .await
                .expect("connect");
            sqlx::query(SQL)
                .bind(at)
                .bind(id)
                .execute(&mut c)
                .await
                .expect("backdate");
        }
    }

    /// Runs one statement the API could never run (a test that breaks the schema on
    /// purpose, to see how the service fails).
    pub async fn execute(&self, sql: &'static str) {
        if self.is_postgres() {
            let mut c = PgConnection::connect(&self.url).await.expect("connect");
            c.execute(sql).await.expect(sql);
        } else {
            let mut c = sqlx::SqliteConnection::connect(&self.url)
                .await
                .expect("connect");
            c.execute(sql).await.expect(sql);
        }
    }

    /// Drops a PostgreSQL test database (SQLite files go with their directory).
    pub async fn drop_database(self) {
        if let (Some(admin_url), Some(name)) = (&self.admin_url, &self.name)
            && let Ok(mut admin) = PgConnection::connect(admin_url).await
        {
            let _ = admin
                .execute(sqlx::AssertSqlSafe(format!(
                    "DROP DATABASE IF EXISTS {name} WITH (FORCE)"
                )))
                .await;
        }
    }
}

/// `postgres://u@h:5432/test?x=y` with database `name` instead of `test`.
fn replace_database(url: &str, name: &str) -> String {
    let (base, query) = match url.split_once('?') {
        Some((b, q)) => (b, Some(q)),
        None => (url, None),
    };
    let scheme_end = base.find("://").map(|i| i + 3).unwrap_or(0);
    let path_start = base[scheme_end..].find('/').map(|i| i + scheme_end);
    let host = match path_start {
        Some(i) => &base[..i],
        None => base,
    };
    match query {
        Some(q) => format!("{host}/{name}?{q}"),
        None => format!("{host}/{name}"),
    }
}

/// Fails in CI when PostgreSQL was expected but not configured.
pub fn require_postgres_in_ci() {
    if std::env::var("CI").as_deref() == Ok("true")
        && std::env::var("REQUIRE_POSTGRES").as_deref() == Ok("true")
        && !std::env::var("TEST_DATABASE_URL").is_ok_and(|u| u.starts_with("postgres"))
    {
        panic!("CI asked for a PostgreSQL run but TEST_DATABASE_URL is not a postgres:// URL");
    }
}

#[cfg(test)]
mod tests {
    use super::replace_database;

    #[test]
    fn swaps_the_database_name_and_keeps_the_query() {
        assert_eq!(
            replace_database("postgres://root@127.0.0.1:5432/test?sslmode=disable", "x"),
            "postgres://root@127.0.0.1:5432/x?sslmode=disable"
        );
        assert_eq!(replace_database("postgres://h", "x"), "postgres://h/x");
    }
}
