//! Reading a selection's rows for an export, at the speed the database gives them.
//!
//! An export reads its rows batch after batch by id, each batch one short indexed query, so that
//! no query or snapshot stays open while a slow client reads. [`crate::search::batch`] does the
//! same through the generic `Any` connection, which copies every value into an owned value of its
//! own and then into a `String` of ours: a dozen allocations a row, and most of an export's time.
//! Here PostgreSQL's rows are read on native connections (a small pool of their own, so that
//! exports never take the connections pages need) and SQLite's through rusqlite on a read-only
//! connection of the export's own, and either is copied once, straight into one buffer per batch
//! ([`Batch`]), which the writer reads borrowed ([`RowRef`]).

use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::Value;
use sqlx::postgres::{PgConnectOptions, PgPool, PgPoolOptions, PgRow};
use sqlx::{AnyPool, Row as _, ValueRef as _};

use crate::search::{self, Selection};
use crate::{Result, StoreError};

/// How many native connections exports may hold at once on PostgreSQL (each only while it reads
/// a batch).
const CONNECTIONS: u32 = 4;

/// Where an export's rows are read from: fixed when the store connects.
#[derive(Clone, Debug)]
pub(crate) enum Source {
    /// PostgreSQL, through native connections.
    Postgres(PgPool),
    /// An SQLite file, opened read-only by each export.
    SqliteFile(PathBuf),
    /// An SQLite database in memory, which no other connection can open: through the `Any` pool.
    SqliteMemory,
}

impl Source {
    /// The source for a store on `url` (already checked to be SQLite or PostgreSQL).
    pub(crate) fn for_url(url: &str) -> Result<Source> {
        if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            let options: PgConnectOptions =
                url.parse().map_err(|e| StoreError::Config(format!("DATABASE_URL is not usable: {e}")))?;
            let pool = PgPoolOptions::new()
                .max_connections(CONNECTIONS)
                .min_connections(0)
                .acquire_timeout(Duration::from_secs(3))
                .idle_timeout(Duration::from_secs(60))
                .connect_lazy_with(options);
            return Ok(Source::Postgres(pool));
        }
        if url.contains(":memory:") {
            return Ok(Source::SqliteMemory);
        }
        let path = url.trim_start_matches("sqlite://").trim_start_matches("sqlite:");
        Ok(Source::SqliteFile(PathBuf::from(path.split('?').next().unwrap_or(path))))
    }

    /// Close the native connections.
    pub(crate) async fn close(&self) {
        if let Source::Postgres(pool) = self {
            pool.close().await;
        }
    }
}

/// A batch of rows packed into one buffer: each row its eleven fields in the order of
/// [`RowRef`], each field a little-endian `u32` length (`u32::MAX` for none) and its bytes, a
/// number as its eight little-endian bytes.
#[derive(Debug, Default)]
pub struct Batch {
    bytes: Vec<u8>,
    rows: usize,
    last_id: Option<String>,
}

impl Batch {
    /// How many rows it holds.
    pub fn len(&self) -> usize {
        self.rows
    }

    /// True when it holds none.
    pub fn is_empty(&self) -> bool {
        self.rows == 0
    }

    /// The bytes it takes.
    pub fn size(&self) -> usize {
        self.bytes.len()
    }

    /// The id of its last row, where the next batch starts after.
    pub fn last_id(&self) -> Option<&str> {
        self.last_id.as_deref()
    }

    /// Its rows, in id order.
    pub fn rows(&self) -> Rows<'_> {
        Rows { bytes: &self.bytes, at: 0 }
    }

    fn text(&mut self, value: Option<&[u8]>) {
        match value {
            Some(bytes) => {
                // A value over 4 GB cannot be stored in the first place.
                self.bytes
                    .extend_from_slice(&u32::try_from(bytes.len()).unwrap_or(u32::MAX - 1).to_le_bytes());
                self.bytes.extend_from_slice(bytes);
            }
            None => self.bytes.extend_from_slice(&u32::MAX.to_le_bytes()),
        }
    }

    fn number(&mut self, value: Option<i64>) {
        match value {
            Some(n) => {
                self.bytes.extend_from_slice(&8u32.to_le_bytes());
                self.bytes.extend_from_slice(&n.to_le_bytes());
            }
            None => self.bytes.extend_from_slice(&u32::MAX.to_le_bytes()),
        }
    }

    fn end_row(&mut self, id: &[u8]) {
        self.rows += 1;
        self.last_id = Some(String::from_utf8_lossy(id).into_owned());
    }
}

/// One row of a [`Batch`], borrowed from it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RowRef<'a> {
    /// The submission's or record's id.
    pub id: &'a str,
    /// The definition version it was filled against.
    pub version: i64,
    /// The organisation's slug.
    pub organisation_slug: &'a str,
    /// The organisation's name.
    pub organisation_name: &'a str,
    /// The period's key.
    pub period: &'a str,
    /// Its state.
    pub state: &'a str,
    /// A return's reference.
    pub reference: Option<&'a str>,
    /// The upload a record came from.
    pub upload_id: Option<&'a str>,
    /// When a return was last submitted (ms).
    pub submitted_at: Option<i64>,
    /// When it last changed (ms).
    pub updated_at: i64,
    /// The answers, as the JSON text stored.
    pub answers: &'a str,
}

/// The rows of a [`Batch`].
#[derive(Debug)]
pub struct Rows<'a> {
    bytes: &'a [u8],
    at: usize,
}

/// A batch that does not hold what was packed into it: a fault of ours, reported, never a panic.
#[derive(Debug, thiserror::Error)]
#[error("a batch of rows read for an export is not as it was written")]
struct Unpacked;

impl<'a> Rows<'a> {
    fn field(&mut self) -> std::result::Result<Option<&'a [u8]>, Unpacked> {
        let length = self.bytes.get(self.at..self.at + 4).ok_or(Unpacked)?;
        let length = u32::from_le_bytes([length[0], length[1], length[2], length[3]]);
        self.at += 4;
        if length == u32::MAX {
            return Ok(None);
        }
        let end = self.at + length as usize;
        let value = self.bytes.get(self.at..end).ok_or(Unpacked)?;
        self.at = end;
        Ok(Some(value))
    }

    fn text(&mut self) -> std::result::Result<Option<&'a str>, Unpacked> {
        self.field()?.map(|bytes| std::str::from_utf8(bytes).map_err(|_| Unpacked)).transpose()
    }

    fn required(&mut self) -> std::result::Result<&'a str, Unpacked> {
        self.text()?.ok_or(Unpacked)
    }

    fn number(&mut self) -> std::result::Result<Option<i64>, Unpacked> {
        match self.field()? {
            Some(bytes) => {
                let bytes: [u8; 8] = bytes.try_into().map_err(|_| Unpacked)?;
                Ok(Some(i64::from_le_bytes(bytes)))
            }
            None => Ok(None),
        }
    }

    fn row(&mut self) -> std::result::Result<RowRef<'a>, Unpacked> {
        Ok(RowRef {
            id: self.required()?,
            version: self.number()?.ok_or(Unpacked)?,
            organisation_slug: self.required()?,
            organisation_name: self.required()?,
            period: self.required()?,
            state: self.required()?,
            reference: self.text()?,
            upload_id: self.text()?,
            submitted_at: self.number()?,
            updated_at: self.number()?.ok_or(Unpacked)?,
            answers: self.required()?,
        })
    }
}

impl<'a> Iterator for Rows<'a> {
    type Item = Result<RowRef<'a>>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.at >= self.bytes.len() {
            return None;
        }
        Some(self.row().map_err(|e| {
            self.at = self.bytes.len();
            StoreError::Database(sqlx::Error::Decode(Box::new(e)))
        }))
    }
}

/// Reads one selection's rows, batch by batch in id order. Cheap to clone: clones share the
/// SQLite connection.
#[derive(Clone, Debug)]
pub struct Reader {
    source: Source,
    any: AnyPool,
    selection: Arc<Selection>,
    /// The first batch's query and the next ones' (with the id to start after), with the
    /// filters' values; `None` when the selection selects nothing.
    queries: Option<Arc<(String, String, Vec<Value>)>>,
    sqlite: Arc<Mutex<Option<rusqlite::Connection>>>,
}

impl Reader {
    pub(crate) fn new(source: Source, any: AnyPool, selection: Selection) -> Reader {
        let queries = search::batch_sql(&selection, false)
            .zip(search::batch_sql(&selection, true))
            .map(|((first, values), (next, _))| Arc::new((first, next, values)));
        Reader { source, any, selection: Arc::new(selection), queries, sqlite: Arc::new(Mutex::new(None)) }
    }

    /// Up to `limit` rows after the id `after` (from the first when `None`), in id order.
    pub async fn batch(&self, after: Option<&str>, limit: usize) -> Result<Batch> {
        let Some(queries) = &self.queries else { return Ok(Batch::default()) };
        let limit = i64::try_from(limit.max(1)).unwrap_or(i64::MAX);
        match &self.source {
            Source::Postgres(pool) => postgres_batch(pool, queries, after, limit).await,
            Source::SqliteFile(path) => {
                let (path, queries, sqlite) = (path.clone(), Arc::clone(queries), Arc::clone(&self.sqlite));
                let after = after.map(str::to_string);
                tokio::task::spawn_blocking(move || {
                    sqlite_batch(&path, &sqlite, &queries, after.as_deref(), limit)
                })
                .await
                .map_err(|e| StoreError::Database(sqlx::Error::Io(std::io::Error::other(e))))?
            }
            Source::SqliteMemory => {
                let mut conn = self.any.acquire().await?;
                let rows = search::batch(&mut conn, &self.selection, after, limit).await?;
                let mut batch = Batch::default();
                for row in &rows {
                    batch.text(Some(row.id.as_bytes()));
                    batch.number(Some(row.version));
                    batch.text(Some(row.organisation_slug.as_bytes()));
                    batch.text(Some(row.organisation_name.as_bytes()));
                    batch.text(Some(row.period.as_bytes()));
                    batch.text(Some(row.state.as_bytes()));
                    batch.text(row.reference.as_deref().map(str::as_bytes));
                    batch.text(row.upload_id.as_deref().map(str::as_bytes));
                    batch.number(row.submitted_at);
                    batch.number(Some(row.updated_at));
                    batch.text(Some(row.answers.as_bytes()));
                    batch.end_row(row.id.as_bytes());
                }
                Ok(batch)
            }
        }
    }
}

async fn postgres_batch(
    pool: &PgPool,
    queries: &(String, String, Vec<Value>),
    after: Option<&str>,
    limit: i64,
) -> Result<Batch> {
    use futures_util::TryStreamExt as _;

    let (first, next, values) = queries;
    let mut query =
        sqlx::query(sqlx::AssertSqlSafe(if after.is_some() { next.as_str() } else { first.as_str() }));
    for value in values {
        query = match value {
            Value::Number(n) => query.bind(n.as_i64().unwrap_or(0)),
            Value::String(s) => query.bind(s.as_str()),
            other => query.bind(other.to_string()),
        };
    }
    if let Some(after) = after {
        query = query.bind(after);
    }
    query = query.bind(limit);
    let mut conn = pool.acquire().await?;
    let mut rows = query.fetch(&mut *conn);
    let mut batch = Batch::default();
    while let Some(row) = rows.try_next().await? {
        pack_postgres(&mut batch, &row)?;
    }
    Ok(batch)
}

/// One PostgreSQL row into `batch`: its text as the bytes received, its numbers decoded.
fn pack_postgres(batch: &mut Batch, row: &PgRow) -> Result<()> {
    let text = |i: usize| -> Result<Option<&[u8]>> {
        let value = row.try_get_raw(i)?;
        if value.is_null() {
            return Ok(None);
        }
        Ok(Some(value.as_bytes().map_err(sqlx::Error::Decode)?))
    };
    let id = text(0)?.unwrap_or_default();
    batch.text(Some(id));
    batch.number(Some(row.try_get::<i64, _>(1)?));
    for i in 2..=7 {
        batch.text(text(i)?);
    }
    batch.number(row.try_get::<Option<i64>, _>(8)?);
    batch.number(Some(row.try_get::<i64, _>(9)?));
    batch.text(text(10)?);
    batch.end_row(id);
    Ok(())
}

/// A batch from an SQLite file, on a blocking thread: the export's read-only connection is opened
/// on its first batch and kept for the rest.
fn sqlite_batch(
    path: &std::path::Path,
    connection: &Mutex<Option<rusqlite::Connection>>,
    queries: &(String, String, Vec<Value>),
    after: Option<&str>,
    limit: i64,
) -> Result<Batch> {
    use rusqlite::OpenFlags;
    use rusqlite::types::ValueRef;

    let mut guard = connection.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
    if guard.is_none() {
        let opened = rusqlite::Connection::open_with_flags(
            path,
            OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )
        .map_err(StoreError::Sqlite)?;
        opened.busy_timeout(Duration::from_secs(5)).map_err(StoreError::Sqlite)?;
        *guard = Some(opened);
    }
    let Some(conn) = guard.as_ref() else { return Ok(Batch::default()) };
    let (first, next, values) = queries;
    let mut statement =
        conn.prepare(if after.is_some() { next } else { first }).map_err(StoreError::Sqlite)?;
    let mut index = 0;
    let mut bind = |statement: &mut rusqlite::Statement<'_>, value: rusqlite::types::Value| {
        index += 1;
        statement.raw_bind_parameter(index, value)
    };
    for value in values {
        let value = match value {
            Value::Number(n) => rusqlite::types::Value::Integer(n.as_i64().unwrap_or(0)),
            Value::String(s) => rusqlite::types::Value::Text(s.clone()),
            other => rusqlite::types::Value::Text(other.to_string()),
        };
        bind(&mut statement, value).map_err(StoreError::Sqlite)?;
    }
    if let Some(after) = after {
        bind(&mut statement, rusqlite::types::Value::Text(after.to_string())).map_err(StoreError::Sqlite)?;
    }
    bind(&mut statement, rusqlite::types::Value::Integer(limit)).map_err(StoreError::Sqlite)?;
    let mut rows = statement.raw_query();
    let mut batch = Batch::default();
    while let Some(row) = rows.next().map_err(StoreError::Sqlite)? {
        let text = |i: usize| -> Result<Option<&[u8]>> {
            match row.get_ref(i).map_err(StoreError::Sqlite)? {
                ValueRef::Null => Ok(None),
                ValueRef::Text(bytes) | ValueRef::Blob(bytes) => Ok(Some(bytes)),
                ValueRef::Integer(_) | ValueRef::Real(_) => Err(StoreError::Sqlite(
                    rusqlite::Error::InvalidColumnType(i, String::new(), rusqlite::types::Type::Integer),
                )),
            }
        };
        let number = |i: usize| -> Result<Option<i64>> {
            match row.get_ref(i).map_err(StoreError::Sqlite)? {
                ValueRef::Null => Ok(None),
                ValueRef::Integer(n) => Ok(Some(n)),
                _ => Err(StoreError::Sqlite(rusqlite::Error::InvalidColumnType(
                    i,
                    String::new(),
                    rusqlite::types::Type::Text,
                ))),
            }
        };
        let id = text(0)?.unwrap_or_default();
        batch.text(Some(id));
        batch.number(Some(number(1)?.unwrap_or_default()));
        for i in 2..=7 {
            batch.text(text(i)?);
        }
        batch.number(number(8)?);
        batch.number(Some(number(9)?.unwrap_or_default()));
        batch.text(text(10)?);
        batch.end_row(id);
    }
    Ok(batch)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_packed_batch_reads_back_as_written() {
        let mut batch = Batch::default();
        for (id, reference) in [("a1", Some("REF-1")), ("b2", None)] {
            batch.text(Some(id.as_bytes()));
            batch.number(Some(3));
            batch.text(Some(b"riverside"));
            batch.text(Some("Riverside Homes — North".as_bytes()));
            batch.text(Some(b"2026-27"));
            batch.text(Some(b"completed"));
            batch.text(reference.map(str::as_bytes));
            batch.text(None);
            batch.number(reference.map(|_| -5));
            batch.number(Some(i64::MAX));
            batch.text(Some(br#"{"a":"\t"}"#));
            batch.end_row(id.as_bytes());
        }
        let rows: Vec<RowRef<'_>> = batch.rows().collect::<Result<_>>().unwrap();
        assert_eq!(rows.len(), 2);
        assert_eq!(batch.last_id(), Some("b2"));
        assert_eq!(rows[0].organisation_name, "Riverside Homes — North");
        assert_eq!((rows[0].reference, rows[0].submitted_at), (Some("REF-1"), Some(-5)));
        assert_eq!((rows[1].reference, rows[1].upload_id, rows[1].submitted_at), (None, None, None));
        assert_eq!((rows[1].updated_at, rows[1].answers), (i64::MAX, r#"{"a":"\t"}"#));
    }

    #[test]
    fn a_damaged_batch_is_an_error_not_a_panic() {
        let mut batch = Batch::default();
        batch.text(Some(b"a1"));
        batch.number(Some(1));
        batch.end_row(b"a1");
        let mut rows = batch.rows();
        assert!(rows.next().is_some_and(|row| row.is_err()));
        assert!(rows.next().is_none());
        let cut = Batch { bytes: vec![200, 0, 0, 0, b'x'], rows: 1, last_id: None };
        assert!(cut.rows().next().is_some_and(|row| row.is_err()));
    }
}
