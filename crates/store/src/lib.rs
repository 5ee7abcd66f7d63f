//! formwork's database: one [`Store`] over SQLite (the embedded default) or PostgreSQL (production),
//! its migrations, and its repositories — one module per subject.
//!
//! Both databases are reached through sqlx's `Any` driver with one set of queries: the schema uses
//! only types both read the same way (TEXT, BIGINT), times are milliseconds since 1970 passed in by
//! the caller (so tests control the clock), ids are UUIDv7 text. Repository functions take a
//! connection (`&mut AnyConnection`), so the same function runs alone or inside a transaction with
//! others — a change and the job it needs are committed together.
//!
//! Errors: every function returns [`StoreError`]; unique and foreign-key violations become
//! `Conflict` and `NotFound` (the web maps them to 409 and 404, never 500), and a database that
//! cannot be reached becomes `Unavailable` (503, and `/readyz` says so).

pub mod audit;
pub mod bulk;
mod clock;
pub mod collections;
pub mod exports;
pub mod invitations;
pub mod jobs;
mod migrate;
pub mod oidc_sign_ins;
pub mod organisations;
pub mod password_resets;
pub mod records;
pub mod rows;
pub mod search;
pub mod sessions;
pub mod sign_in_attempts;
pub mod submissions;
#[cfg(feature = "testing")]
pub mod testing;
pub mod tokens;
pub mod uploads;
pub mod users;

use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

use base64::Engine as _;
use rand::RngExt as _;
use sha2::{Digest, Sha256};
use sqlx::any::{AnyConnectOptions, AnyPoolOptions};
use sqlx::pool::PoolConnection;
use sqlx::{Any, AnyPool, Transaction};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

pub use clock::Clock;
pub use migrate::MIGRATIONS;
/// The connection repositories take: a pooled connection or a transaction dereferences to it.
pub use sqlx::AnyConnection;

/// What went wrong in the store. The database's own wording is kept only as a source, for the
/// log: every message here is formwork's, and what reaches a person is the service's sentence.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// What was asked for does not exist (or a row it refers to no longer does).
    #[error("not found: {what}")]
    NotFound {
        /// What was looked for, in formwork's words.
        what: String,
        /// The database's error, when it reported the absence (a foreign key).
        #[source]
        source: Option<sqlx::Error>,
    },
    /// The change conflicts with what is stored: a duplicate, or a stale state or revision.
    #[error("conflict: {what}")]
    Conflict {
        /// What conflicts, in formwork's words.
        what: String,
        /// The database's error, when it reported the conflict (a unique constraint).
        #[source]
        source: Option<sqlx::Error>,
    },
    /// The database cannot be reached now; try again.
    #[error("the database is unavailable")]
    Unavailable(#[source] sqlx::Error),
    /// The configuration names a database formwork cannot use.
    #[error("{0}")]
    Config(String),
    /// A value could not be written as JSON for the database.
    #[error("a value cannot be stored as JSON")]
    Encode(#[source] serde_json::Error),
    /// Anything else the database reported.
    #[error("the database reported an error")]
    Database(#[source] sqlx::Error),
    /// An SQLite file could not be read by an export's own connection.
    #[error("the database file could not be read")]
    Sqlite(#[source] rusqlite::Error),
}

impl StoreError {
    /// Nothing matches `what`.
    pub fn not_found(what: impl Into<String>) -> StoreError {
        StoreError::NotFound { what: what.into(), source: None }
    }

    /// `what` conflicts with what is stored.
    pub fn conflict(what: impl Into<String>) -> StoreError {
        StoreError::Conflict { what: what.into(), source: None }
    }

    /// The same error saying `what` in formwork's words, when it is a conflict (a repository that
    /// knows which unique constraint a statement can break names it for the person).
    pub fn conflict_as(self, what: impl Into<String>) -> StoreError {
        match self {
            StoreError::Conflict { source, .. } => StoreError::Conflict { what: what.into(), source },
            other => other,
        }
    }
}

impl From<sqlx::Error> for StoreError {
    fn from(e: sqlx::Error) -> StoreError {
        match &e {
            sqlx::Error::RowNotFound => {
                StoreError::NotFound { what: "What you asked for does not exist".into(), source: Some(e) }
            }
            sqlx::Error::Database(db) if db.is_unique_violation() => StoreError::Conflict {
                what: "This conflicts with something already stored: reload the page and try again".into(),
                source: Some(e),
            },
            sqlx::Error::Database(db) if db.is_foreign_key_violation() => {
                StoreError::NotFound { what: "What this refers to no longer exists".into(), source: Some(e) }
            }
            // PostgreSQL's "connection exception" class, a server shutting down or starting up, or
            // out of connections: all pass.
            sqlx::Error::Database(db)
                if db.code().is_some_and(|c| {
                    c.starts_with("08") || matches!(&*c, "57P01" | "57P02" | "57P03" | "53300")
                }) =>
            {
                StoreError::Unavailable(e)
            }
            // A connection that breaks mid-conversation shows as a protocol error.
            sqlx::Error::Io(_)
            | sqlx::Error::Protocol(_)
            | sqlx::Error::PoolTimedOut
            | sqlx::Error::PoolClosed
            | sqlx::Error::Tls(_)
            | sqlx::Error::WorkerCrashed => StoreError::Unavailable(e),
            _ => StoreError::Database(e),
        }
    }
}

/// Results of the store.
pub type Result<T, E = StoreError> = std::result::Result<T, E>;

/// Which database a store is on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backend {
    /// An SQLite file (or memory).
    Sqlite,
    /// A PostgreSQL server.
    Postgres,
}

/// The database: a pool of connections and which kind it is.
#[derive(Clone, Debug)]
pub struct Store {
    pool: AnyPool,
    backend: Backend,
    /// On SQLite, the turn to write: one transaction writes at a time, so writers wait their turn
    /// here, in order, instead of in SQLite's busy handler, which sleeps in steps of up to 100 ms
    /// and so gave a save under load a tail of hundreds of milliseconds.
    writer: Option<Arc<Semaphore>>,
    /// Where exports read their rows ([`rows`]).
    rows: rows::Source,
}

/// How long a transaction waits for its turn to write on SQLite before giving up (as SQLite's
/// busy timeout would).
const WRITE_TURN_TIMEOUT: Duration = Duration::from_secs(5);

/// A connection from the pool.
pub type Conn = PoolConnection<Any>;
/// A transaction: use it as a connection (`&mut tx`), and end it with [`Tx::commit`] (dropped
/// without, it rolls back). On SQLite it holds the turn to write until it ends.
#[derive(Debug)]
pub struct Tx {
    inner: Transaction<'static, Any>,
    _turn: Option<OwnedSemaphorePermit>,
}

impl Tx {
    /// Commit the transaction.
    pub async fn commit(self) -> std::result::Result<(), sqlx::Error> {
        self.inner.commit().await
    }

    /// Roll the transaction back.
    pub async fn rollback(self) -> std::result::Result<(), sqlx::Error> {
        self.inner.rollback().await
    }
}

impl std::ops::Deref for Tx {
    type Target = AnyConnection;

    fn deref(&self) -> &AnyConnection {
        &self.inner
    }
}

impl std::ops::DerefMut for Tx {
    fn deref_mut(&mut self) -> &mut AnyConnection {
        &mut self.inner
    }
}

/// A new id: a UUIDv7, so ids sort by creation time.
pub fn new_id() -> String {
    uuid::Uuid::now_v7().simple().to_string()
}

/// A new secret token (256 random bits, URL-safe base64), and its hash for storing.
pub fn new_token() -> (String, String) {
    let mut bytes = [0u8; 32];
    rand::rng().fill(&mut bytes);
    let token = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes);
    let hash = hash_token(&token);
    (token, hash)
}

/// The hash a token is stored as (SHA-256, hex). Tokens are random and long, so a plain hash is
/// enough: there is nothing to guess.
pub fn hash_token(token: &str) -> String {
    let digest = Sha256::digest(token.as_bytes());
    digest.iter().map(|b| format!("{b:02x}")).collect()
}

impl Store {
    /// Connect to `url` (`sqlite://path`, `sqlite::memory:`, `postgres://…`), creating an SQLite
    /// file and its folder if they do not exist. `max_connections` bounds the pool.
    pub async fn connect(url: &str, max_connections: u32) -> Result<Store> {
        sqlx::any::install_default_drivers();
        let backend = if url.starts_with("sqlite:") {
            Backend::Sqlite
        } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Backend::Postgres
        } else {
            return Err(StoreError::Config(format!(
                "DATABASE_URL must start with sqlite:// or postgres://, but it is “{}”",
                redact(url)
            )));
        };
        let mut url = url.to_string();
        if backend == Backend::Sqlite && !url.contains(":memory:") {
            let path = url.trim_start_matches("sqlite://").trim_start_matches("sqlite:");
            let path = path.split('?').next().unwrap_or(path).to_string();
            if let Some(dir) = std::path::Path::new(&path).parent()
                && !dir.as_os_str().is_empty()
            {
                std::fs::create_dir_all(dir)
                    .map_err(|e| StoreError::Config(format!("cannot create {}: {e}", dir.display())))?;
            }
            if !url.contains("mode=") {
                url.push_str(if url.contains('?') { "&mode=rwc" } else { "?mode=rwc" });
            }
        }
        if backend == Backend::Postgres {
            url = loopback_without_tls(&url, std::env::var_os("PGSSLMODE").is_some());
        }
        let options = AnyConnectOptions::from_str(&url)
            .map_err(|e| StoreError::Config(format!("DATABASE_URL is not usable: {e}")))?;
        let pool = AnyPoolOptions::new()
            .max_connections(if backend == Backend::Sqlite && url.contains(":memory:") {
                1
            } else {
                max_connections
            })
            .min_connections(0)
            // Fail fast when the database is away: requests answer 503 rather than hang.
            .acquire_timeout(Duration::from_secs(3))
            .after_connect(move |conn, _meta| {
                Box::pin(async move {
                    if backend == Backend::Sqlite {
                        for pragma in [
                            "PRAGMA journal_mode = WAL",
                            "PRAGMA busy_timeout = 5000",
                            "PRAGMA foreign_keys = ON",
                            "PRAGMA synchronous = NORMAL",
                        ] {
                            sqlx::query(pragma).execute(&mut *conn).await?;
                        }
                    }
                    Ok(())
                })
            })
            .connect_lazy_with(options);
        let writer = (backend == Backend::Sqlite).then(|| Arc::new(Semaphore::new(1)));
        let rows = rows::Source::for_url(&url)?;
        Ok(Store { pool, backend, writer, rows })
    }

    /// Which database this is.
    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// Apply every migration not yet applied; see [`MIGRATIONS`].
    pub async fn migrate(&self, now: i64) -> Result<Vec<&'static str>> {
        migrate::run(self, now).await
    }

    /// A connection from the pool.
    pub async fn conn(&self) -> Result<Conn> {
        Ok(self.pool.acquire().await?)
    }

    /// A new transaction. On SQLite it takes the write lock at once (`BEGIN IMMEDIATE`, waiting its
    /// turn under the busy timeout): a deferred transaction that reads and then writes fails
    /// outright when another wrote in between, where PostgreSQL would wait for the row. With it,
    /// two conflicting changes at once end as on PostgreSQL — one wins, the other's conditional
    /// update finds the row changed and reports a conflict.
    pub async fn begin(&self) -> Result<Tx> {
        let turn = match &self.writer {
            Some(writer) => {
                match tokio::time::timeout(WRITE_TURN_TIMEOUT, Arc::clone(writer).acquire_owned()).await {
                    Ok(Ok(turn)) => Some(turn),
                    _ => return Err(StoreError::Unavailable(sqlx::Error::PoolTimedOut)),
                }
            }
            None => None,
        };
        let inner = match self.backend {
            Backend::Sqlite => self.pool.begin_with("BEGIN IMMEDIATE").await?,
            Backend::Postgres => self.pool.begin().await?,
        };
        Ok(Tx { inner, _turn: turn })
    }

    /// True when the database answers.
    pub async fn ping(&self) -> Result<()> {
        let mut conn = self.conn().await?;
        sqlx::query("SELECT 1").execute(&mut *conn).await?;
        Ok(())
    }

    /// Close every connection.
    pub async fn close(&self) {
        self.rows.close().await;
        self.pool.close().await;
    }

    /// What reads `selection`'s rows for an export, batch by batch.
    pub fn reader(&self, selection: search::Selection) -> rows::Reader {
        rows::Reader::new(self.rows.clone(), self.pool.clone(), selection)
    }

    /// The pool, for tests that need raw SQL.
    pub fn pool(&self) -> &AnyPool {
        &self.pool
    }
}

/// A PostgreSQL `url` whose host is this machine's loopback address, and which asks nothing of TLS
/// (no `sslmode`, and no `PGSSLMODE` when `env_ssl_mode`), with `sslmode=disable` added. The
/// default, `prefer`, checks no certificate, so over loopback TLS guards against no one who could
/// not read the process's memory anyway; it cost an export a fifth of its time and its first byte
/// 90 ms of handshake. Any `sslmode` the operator gives is kept, and other hosts are left as they are.
fn loopback_without_tls(url: &str, env_ssl_mode: bool) -> String {
    let loopback = |host: &str| {
        host.eq_ignore_ascii_case("localhost")
            || host
                .trim_start_matches('[')
                .trim_end_matches(']')
                .parse::<std::net::IpAddr>()
                .is_ok_and(|ip| ip.is_loopback())
    };
    if env_ssl_mode || url.contains("sslmode=") {
        return url.to_string();
    }
    match sqlx::postgres::PgConnectOptions::from_str(url) {
        Ok(options) if options.get_socket().is_none() && loopback(options.get_host()) => {
            format!("{url}{}sslmode=disable", if url.contains('?') { '&' } else { '?' })
        }
        _ => url.to_string(),
    }
}

/// A database URL with its password replaced, for messages and logs: the one in its user
/// information, and a `password` parameter (which sqlx reads too).
pub fn redact(url: &str) -> String {
    let (base, query) = match url.split_once('?') {
        Some((base, query)) => (base, Some(query)),
        None => (url, None),
    };
    let mut redacted = match (base.find("://"), base.rfind('@')) {
        (Some(scheme), Some(at)) if at > scheme => {
            let credentials = &base[scheme + 3..at];
            match credentials.split_once(':') {
                Some((user, _)) => format!("{}{user}:***{}", &base[..scheme + 3], &base[at..]),
                None => base.to_string(),
            }
        }
        _ => base.to_string(),
    };
    if let Some(query) = query {
        let pairs: Vec<&str> = query
            .split('&')
            .map(|pair| if pair.starts_with("password=") { "password=***" } else { pair })
            .collect();
        redacted.push('?');
        redacted.push_str(&pairs.join("&"));
    }
    redacted
}

/// Shorthand for reading a column.
pub(crate) fn get<T>(row: &sqlx::any::AnyRow, column: &str) -> Result<T>
where
    T: for<'r> sqlx::Decode<'r, Any> + sqlx::Type<Any>,
{
    use sqlx::Row;
    Ok(row.try_get::<T, _>(column)?)
}

/// Roles as stored: comma-separated ids.
pub(crate) fn join_roles(roles: &[String]) -> String {
    roles.join(",")
}

pub(crate) fn split_roles(text: &str) -> Vec<String> {
    text.split(',').map(str::trim).filter(|r| !r.is_empty()).map(str::to_string).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_are_redacted() {
        assert_eq!(
            redact("postgres://formwork:s3cret@db.example:5432/formwork"),
            "postgres://formwork:***@db.example:5432/formwork"
        );
        assert_eq!(redact("postgres://db/formwork"), "postgres://db/formwork");
        assert_eq!(redact("sqlite://data/formwork.db"), "sqlite://data/formwork.db");
        assert_eq!(
            redact("postgres://formwork@db/formwork?sslmode=require&password=s3cret&application_name=a@b"),
            "postgres://formwork@db/formwork?sslmode=require&password=***&application_name=a@b"
        );
        assert_eq!(redact("postgres://?password=s%40cret"), "postgres://?password=***");
    }

    #[test]
    fn a_loopback_database_without_an_sslmode_is_reached_without_tls() {
        for (url, want) in [
            ("postgres://u@127.0.0.1:5432/db", "postgres://u@127.0.0.1:5432/db?sslmode=disable"),
            (
                "postgres://u@localhost/db?options=-c%20a%3Db",
                "postgres://u@localhost/db?options=-c%20a%3Db&sslmode=disable",
            ),
            ("postgresql://u@[::1]/db", "postgresql://u@[::1]/db?sslmode=disable"),
            ("postgres://u@127.0.0.1/db?sslmode=require", "postgres://u@127.0.0.1/db?sslmode=require"),
            ("postgres://u@db.internal:5432/db", "postgres://u@db.internal:5432/db"),
            ("postgres://u@10.0.0.5/db", "postgres://u@10.0.0.5/db"),
            ("postgres://u@%2Fvar%2Frun%2Fpostgresql/db", "postgres://u@%2Fvar%2Frun%2Fpostgresql/db"),
        ] {
            assert_eq!(loopback_without_tls(url, false), want, "{url}");
        }
        assert_eq!(
            loopback_without_tls("postgres://u@127.0.0.1/db", true),
            "postgres://u@127.0.0.1/db",
            "PGSSLMODE is the operator's choice too"
        );
    }

    #[test]
    fn tokens_are_long_random_and_hashed() {
        let (a, ha) = new_token();
        let (b, _) = new_token();
        assert_ne!(a, b);
        assert_eq!(a.len(), 43);
        assert_eq!(ha, hash_token(&a));
        assert_eq!(ha.len(), 64);
    }
}
