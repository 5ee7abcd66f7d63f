//! Migrations: SQL files in `crates/store/migrations`, one per change, embedded in the binary and
//! applied in order, each in its own transaction. The same files serve both databases (the schema
//! keeps to types both read alike); a migration that must differ can carry its own text per
//! database. Several instances starting together take turns (a PostgreSQL advisory lock).

use sqlx::Row;

use crate::{Backend, Result, Store};

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

/// Every migration, in order.
pub static MIGRATIONS: &[Migration] = &[
    same(1, "people and organisations", include_str!("../migrations/0001_people_and_organisations.sql")),
    same(2, "collections", include_str!("../migrations/0002_collections.sql")),
    same(3, "jobs", include_str!("../migrations/0003_jobs.sql")),
    same(4, "oidc sign-ins", include_str!("../migrations/0004_oidc_sign_ins.sql")),
];

/// An arbitrary number that names formwork's migration lock in PostgreSQL.
const LOCK: i64 = 0x666f_726d_776f_726b;

pub(crate) async fn run(store: &Store, now: i64) -> Result<Vec<&'static str>> {
    let mut conn = store.conn().await?;
    sqlx::raw_sql(
        "CREATE TABLE IF NOT EXISTS schema_migrations (version BIGINT PRIMARY KEY, name TEXT NOT NULL, applied_at BIGINT NOT NULL)",
    )
    .execute(&mut *conn)
    .await?;
    if store.backend() == Backend::Postgres {
        sqlx::query("SELECT pg_advisory_lock($1)").bind(LOCK).execute(&mut *conn).await?;
    }
    let result = apply(store, &mut conn, now).await;
    if store.backend() == Backend::Postgres {
        sqlx::query("SELECT pg_advisory_unlock($1)").bind(LOCK).execute(&mut *conn).await?;
    }
    result
}

async fn apply(store: &Store, conn: &mut crate::Conn, now: i64) -> Result<Vec<&'static str>> {
    let done: Vec<i64> = sqlx::query("SELECT version FROM schema_migrations")
        .fetch_all(&mut **conn)
        .await?
        .iter()
        .map(|row| row.try_get::<i64, _>(0))
        .collect::<std::result::Result<_, _>>()?;
    let mut applied = Vec::new();
    for m in MIGRATIONS.iter().filter(|m| !done.contains(&m.version)) {
        let sql = match store.backend() {
            Backend::Sqlite => m.sqlite,
            Backend::Postgres => m.postgres,
        };
        // On the connection that holds the lock: migrating needs one connection, however small the pool.
        let mut tx = sqlx::Connection::begin(&mut **conn).await?;
        sqlx::raw_sql(sql).execute(&mut *tx).await?;
        sqlx::query("INSERT INTO schema_migrations (version, name, applied_at) VALUES ($1, $2, $3)")
            .bind(m.version)
            .bind(m.name)
            .bind(now)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        tracing::info!(migration.version = m.version, migration.name = m.name, "applied a migration");
        applied.push(m.name);
    }
    Ok(applied)
}
