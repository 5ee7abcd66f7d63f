//! Databases for other crates' tests: a fresh SQLite file, or a fresh schema in the PostgreSQL
//! server at `TEST_DATABASE_URL` (default `postgres://postgres@127.0.0.1:5432/test`), migrated and
//! removed again when dropped.

use crate::{Backend, Result, Store, StoreError};

/// The PostgreSQL server tests use.
pub fn postgres_url() -> String {
    std::env::var("TEST_DATABASE_URL").unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".into())
}

/// A database of a test's own.
#[derive(Debug)]
pub struct TestDatabase {
    /// The store on it.
    pub store: Store,
    /// Its URL (for starting another process on it).
    pub url: String,
    schema: Option<String>,
    _dir: Option<tempfile::TempDir>,
}

impl TestDatabase {
    /// A new, migrated database of either kind.
    pub async fn new(backend: Backend, now: i64) -> Result<TestDatabase> {
        match backend {
            Backend::Sqlite => TestDatabase::sqlite(now).await,
            Backend::Postgres => TestDatabase::postgres(now).await,
        }
    }

    /// A new SQLite file in a temporary directory, migrated.
    pub async fn sqlite(now: i64) -> Result<TestDatabase> {
        let dir = tempfile::tempdir().map_err(|e| StoreError::Config(e.to_string()))?;
        let url = format!("sqlite://{}/formwork.db", dir.path().display());
        let store = Store::connect(&url, 8).await?;
        store.migrate(now).await?;
        Ok(TestDatabase { store, url, schema: None, _dir: Some(dir) })
    }

    /// A new schema in the test PostgreSQL server, migrated.
    pub async fn postgres(now: i64) -> Result<TestDatabase> {
        let schema = format!("t_{}", crate::new_id());
        let admin = Store::connect(&postgres_url(), 1).await?;
        sqlx::raw_sql(sqlx::AssertSqlSafe(format!("CREATE SCHEMA {schema}"))).execute(admin.pool()).await?;
        admin.close().await;
        // Named after the schema, so that dropping it can end its connections first.
        let url = format!("{}?options=-c%20search_path%3D{schema}&application_name={schema}", postgres_url());
        let store = Store::connect(&url, 8).await?;
        store.migrate(now).await?;
        Ok(TestDatabase { store, url, schema: Some(schema), _dir: None })
    }
}

impl Drop for TestDatabase {
    fn drop(&mut self) {
        let Some(schema) = self.schema.take() else { return };
        // Drop the schema on a thread of its own: Drop cannot await, and may run inside a runtime.
        let _ = std::thread::spawn(move || {
            let Ok(runtime) = tokio::runtime::Builder::new_current_thread().enable_all().build() else {
                return;
            };
            runtime.block_on(async move {
                if let Ok(admin) = Store::connect(&postgres_url(), 1).await {
                    // A test's pool may still hold a connection whose rolled-back transaction is
                    // waiting to be flushed by a task of the test's runtime — which this drop is
                    // blocking. End the schema's connections, so that their locks go with them.
                    let _ = sqlx::query(
                        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity \
                         WHERE application_name = $1 AND pid <> pg_backend_pid()",
                    )
                    .bind(&schema)
                    .execute(admin.pool())
                    .await;
                    let _ =
                        sqlx::raw_sql(sqlx::AssertSqlSafe(format!("DROP SCHEMA IF EXISTS {schema} CASCADE")))
                            .execute(admin.pool())
                            .await;
                    admin.close().await;
                }
            });
        })
        .join();
    }
}
