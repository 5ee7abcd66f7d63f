//! Migrations: SQL files in `crates/store/migrations`, one per change, embedded in the binary and
//! applied in order, each in its own transaction. The same files serve both databases (the schema
//! keeps to types both read alike); a migration that must differ can carry its own text per
//! database. Several instances starting together take turns (a PostgreSQL advisory lock).
//!
//! Each applied migration is recorded with a checksum of its text (SHA-256, hex). A migration file
//! edited after it was applied would leave databases migrated before and after the edit different
//! under one version number, so formwork refuses to start on such a database and names the
//! migration. A database migrated before checksums were recorded gains the column and has the
//! current files' checksums written in the first time it is migrated.

use sha2::{Digest, Sha256};
use sqlx::Row;

use crate::{Backend, Result, Store, StoreError};

/// A migration: its number, its name, its SQL for SQLite and for PostgreSQL.
pub struct Migration {
    /// The number it is applied in order of.
    pub version: i64,
    /// What it does.
    pub name: &'static str,
    sqlite: &'static str,
    postgres: &'static str,
}

/// A migration whose SQL is the same for both databases.
const fn same(version: i64, name: &'static str, sql: &'static str) -> Migration {
    Migration { version, name, sqlite: sql, postgres: sql }
}

impl Migration {
    /// Its SQL for `backend`.
    pub fn sql(&self, backend: Backend) -> &'static str {
        match backend {
            Backend::Sqlite => self.sqlite,
            Backend::Postgres => self.postgres,
        }
    }

    /// The checksum recorded when it is applied on `backend`: SHA-256 of its SQL, in hex.
    pub fn checksum(&self, backend: Backend) -> String {
        Sha256::digest(self.sql(backend).as_bytes()).iter().map(|b| format!("{b:02x}")).collect()
    }
}

/// Every migration, in order.
pub static MIGRATIONS: &[Migration] = &[
    same(1, "people and organisations", include_str!("../migrations/0001_people_and_organisations.sql")),
    same(2, "collections", include_str!("../migrations/0002_collections.sql")),
    same(3, "jobs", include_str!("../migrations/0003_jobs.sql")),
    same(4, "oidc sign-ins", include_str!("../migrations/0004_oidc_sign_ins.sql")),
    same(5, "recurring jobs", include_str!("../migrations/0005_recurring_jobs.sql")),
    same(6, "invitation state", include_str!("../migrations/0006_invitation_state.sql")),
    same(7, "audit history", include_str!("../migrations/0007_audit_history.sql")),
    same(8, "submissions", include_str!("../migrations/0008_submissions.sql")),
    same(9, "sign-off and review", include_str!("../migrations/0009_sign_off_and_review.sql")),
    same(10, "records and uploads", include_str!("../migrations/0010_records_and_uploads.sql")),
    same(11, "search and exports", include_str!("../migrations/0011_search_and_exports.sql")),
    Migration {
        version: 12,
        name: "row counts",
        sqlite: include_str!("../migrations/0012_row_counts.sqlite.sql"),
        postgres: include_str!("../migrations/0012_row_counts.postgres.sql"),
    },
];

/// An arbitrary number that names formwork's migration lock in PostgreSQL.
const LOCK: i64 = 0x666f_726d_776f_726b;

pub(crate) async fn run(store: &Store, now: i64) -> Result<Vec<&'static str>> {
    let mut conn = store.conn().await?;
    sqlx::raw_sql(
        "CREATE TABLE IF NOT EXISTS schema_migrations (version BIGINT PRIMARY KEY, name TEXT NOT NULL, applied_at BIGINT NOT NULL, checksum TEXT)",
    )
    .execute(&mut *conn)
    .await?;
    if store.backend() == Backend::Postgres {
        sqlx::query("SELECT pg_advisory_lock($1)").bind(LOCK).execute(&mut *conn).await?;
    }
    let result = async {
        add_checksums(store, &mut conn).await?;
        apply(store, &mut conn, now).await
    }
    .await;
    if store.backend() == Backend::Postgres {
        sqlx::query("SELECT pg_advisory_unlock($1)").bind(LOCK).execute(&mut *conn).await?;
    }
    result
}

/// Give a `schema_migrations` table from before checksums its `checksum` column, and fill in the
/// checksums of migrations applied without one (their files are taken as they are now).
async fn add_checksums(store: &Store, conn: &mut crate::Conn) -> Result<()> {
    let backend = store.backend();
    match backend {
        Backend::Postgres => {
            sqlx::raw_sql("ALTER TABLE schema_migrations ADD COLUMN IF NOT EXISTS checksum TEXT")
                .execute(&mut **conn)
                .await?;
        }
        Backend::Sqlite => {
            let has: i64 = sqlx::query(
                "SELECT COUNT(*) FROM pragma_table_info('schema_migrations') WHERE name = 'checksum'",
            )
            .fetch_one(&mut **conn)
            .await?
            .try_get(0)?;
            if has == 0 {
                sqlx::raw_sql("ALTER TABLE schema_migrations ADD COLUMN checksum TEXT")
                    .execute(&mut **conn)
                    .await?;
            }
        }
    }
    for m in MIGRATIONS {
        sqlx::query("UPDATE schema_migrations SET checksum = $1 WHERE version = $2 AND checksum IS NULL")
            .bind(m.checksum(backend))
            .bind(m.version)
            .execute(&mut **conn)
            .await?;
    }
    Ok(())
}

async fn apply(store: &Store, conn: &mut crate::Conn, now: i64) -> Result<Vec<&'static str>> {
    let backend = store.backend();
    let mut done = Vec::new();
    for row in sqlx::query("SELECT version, checksum FROM schema_migrations").fetch_all(&mut **conn).await? {
        let version: i64 = row.try_get(0)?;
        let checksum: Option<String> = row.try_get(1)?;
        if let Some(m) = MIGRATIONS.iter().find(|m| m.version == version)
            && checksum.is_some_and(|c| c != m.checksum(backend))
        {
            return Err(StoreError::Config(format!(
                "migration {version} ({}) has changed since it was applied to this database: a \
                 migration's file must not be edited once released; restore it and add the change \
                 as a new migration",
                m.name
            )));
        }
        done.push(version);
    }
    let mut applied = Vec::new();
    for m in MIGRATIONS.iter().filter(|m| !done.contains(&m.version)) {
        let sql = m.sql(backend);
        // On the connection that holds the lock: migrating needs one connection, however small the pool.
        let mut tx = sqlx::Connection::begin(&mut **conn).await?;
        sqlx::raw_sql(sql).execute(&mut *tx).await?;
        sqlx::query(
            "INSERT INTO schema_migrations (version, name, applied_at, checksum) VALUES ($1, $2, $3, $4)",
        )
        .bind(m.version)
        .bind(m.name)
        .bind(now)
        .bind(m.checksum(backend))
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        tracing::info!(migration.version = m.version, migration.name = m.name, "applied a migration");
        applied.push(m.name);
    }
    Ok(applied)
}
