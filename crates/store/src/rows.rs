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

use std::collections::{HashMap, HashSet};
use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::Value;
use sqlx::postgres::{PgConnectOptions, PgPool, PgPoolOptions};
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

/// Organisations' slugs and names by id, as one export has met them: each looked up once, not
/// joined to every row (the join was a third of the database's work in an export). A name changed
/// during an export keeps, in that export, the name it had when the export first met it.
type Organisations = HashMap<String, (String, String)>;

/// A batch of rows packed into one buffer: each row its ten fields in the order of [`RowRef`]
/// (the organisation as its id), each field a little-endian `u32` length (`u32::MAX` for none)
/// and its bytes, a number as its eight little-endian bytes.
#[derive(Debug, Default)]
pub struct Batch {
    bytes: Vec<u8>,
    rows: usize,
    /// Where the last row starts (its id is its first field).
    last_row: usize,
    /// Where the last row's organisation id lies: most rows have the one before's.
    last_organisation: Option<(usize, usize)>,
    organisations: Arc<Organisations>,
}

impl Batch {
    /// An empty batch with room for `bytes`.
    fn with_capacity(bytes: usize) -> Batch {
        Batch { bytes: Vec::with_capacity(bytes), ..Batch::default() }
    }

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
        if self.rows == 0 {
            return None;
        }
        let mut last = Rows { bytes: self.bytes.get(self.last_row..)?, at: 0, ..self.rows() };
        last.text().ok().flatten()
    }

    /// Its rows, in id order.
    pub fn rows(&self) -> Rows<'_> {
        Rows { bytes: &self.bytes, at: 0, organisations: &self.organisations, last: None }
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

    /// A row that started at `start` is packed.
    fn end_row(&mut self, start: usize) {
        self.rows += 1;
        self.last_row = start;
    }

    /// Pack one row as read from the database, noting in `unmet` its organisation when `known`
    /// lacks it (looked up only when it is not the row before's).
    fn push(&mut self, row: Packed<'_>, known: &Organisations, unmet: &mut HashSet<String>) {
        let previous = self.last_organisation.and_then(|(at, len)| self.bytes.get(at..at + len));
        if previous != Some(row.organisation_id)
            && !std::str::from_utf8(row.organisation_id).is_ok_and(|id| known.contains_key(id))
        {
            unmet.insert(String::from_utf8_lossy(row.organisation_id).into_owned());
        }
        let start = self.bytes.len();
        self.text(Some(row.id));
        self.number(Some(row.version));
        self.last_organisation = Some((self.bytes.len() + 4, row.organisation_id.len()));
        self.text(Some(row.organisation_id));
        self.text(row.period);
        self.text(row.state);
        self.text(row.reference);
        self.text(row.upload_id);
        self.number(row.submitted_at);
        self.number(Some(row.updated_at));
        self.text(row.answers);
        self.end_row(start);
    }
}

/// One row's fields as the database gives them, in [`RowRef`]'s order with the organisation as its
/// id: what [`Batch::push`] packs. A required field the database gave as null is packed as none,
/// and reading it back is an error.
struct Packed<'r> {
    id: &'r [u8],
    version: i64,
    organisation_id: &'r [u8],
    period: Option<&'r [u8]>,
    state: Option<&'r [u8]>,
    reference: Option<&'r [u8]>,
    upload_id: Option<&'r [u8]>,
    submitted_at: Option<i64>,
    updated_at: i64,
    answers: Option<&'r [u8]>,
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
    organisations: &'a Organisations,
    /// The last organisation looked up: most rows have the one before's.
    last: Option<(&'a str, &'a (String, String))>,
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
        let id = self.required()?;
        let version = self.number()?.ok_or(Unpacked)?;
        let organisation = self.required()?;
        let (slug, name) = match self.last {
            Some((last, found)) if last == organisation => found,
            _ => {
                let found = self.organisations.get(organisation).ok_or(Unpacked)?;
                self.last = Some((organisation, found));
                found
            }
        };
        Ok(RowRef {
            id,
            version,
            organisation_slug: slug,
            organisation_name: name,
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
/// SQLite connection and the organisations met so far.
#[derive(Clone, Debug)]
pub struct Reader {
    source: Source,
    any: AnyPool,
    selection: Arc<Selection>,
    /// The first batch's query and the next ones' (with the id to start after), with the
    /// filters' values; `None` when the selection selects nothing.
    queries: Option<Arc<(String, String, Vec<Value>)>>,
    sqlite: Arc<Mutex<Option<rusqlite::Connection>>>,
    /// The organisations met so far, shared by every batch that has them.
    organisations: Arc<Mutex<Arc<Organisations>>>,
    /// The bytes a row took in the last batch, to size the next one's buffer once.
    row_bytes: Arc<AtomicUsize>,
}

/// The most a batch's buffer is sized for beforehand: past it, it grows as it needs.
const MOST_RESERVED: usize = 64 << 20;

impl Reader {
    pub(crate) fn new(source: Source, any: AnyPool, selection: Selection) -> Reader {
        let queries = search::batch_sql(&selection, false, false)
            .zip(search::batch_sql(&selection, true, false))
            .map(|((first, values), (next, _))| Arc::new((first, next, values)));
        Reader {
            source,
            any,
            selection: Arc::new(selection),
            queries,
            sqlite: Arc::new(Mutex::new(None)),
            organisations: Arc::default(),
            row_bytes: Arc::default(),
        }
    }

    /// Up to `limit` rows after the id `after` (from the first when `None`), in id order.
    pub async fn batch(&self, after: Option<&str>, limit: usize) -> Result<Batch> {
        let Some(queries) = &self.queries else { return Ok(Batch::default()) };
        let reserve = limit.saturating_mul(self.row_bytes.load(Ordering::Relaxed)).min(MOST_RESERVED);
        let limit = i64::try_from(limit.max(1)).unwrap_or(i64::MAX);
        let batch = match &self.source {
            Source::Postgres(pool) => {
                let mut conn = pool.acquire().await?;
                let (mut batch, missing) =
                    postgres_batch(&mut conn, queries, after, limit, reserve, &self.known()).await?;
                if !missing.is_empty() {
                    let rows: Vec<(String, String, String)> =
                        sqlx::query_as("SELECT id, slug, name FROM organisations WHERE id = ANY($1)")
                            .bind(missing)
                            .fetch_all(&mut *conn)
                            .await?;
                    self.meet(rows.into_iter().map(|(id, slug, name)| (id, (slug, name))));
                }
                batch.organisations = self.known();
                batch
            }
            Source::SqliteFile(path) => {
                let reader = self.clone();
                let (path, queries) = (path.clone(), Arc::clone(queries));
                let after = after.map(str::to_string);
                tokio::task::spawn_blocking(move || {
                    reader.sqlite_batch(&path, &queries, after.as_deref(), limit, reserve)
                })
                .await
                .map_err(|e| StoreError::Database(sqlx::Error::Io(std::io::Error::other(e))))??
            }
            Source::SqliteMemory => {
                let mut conn = self.any.acquire().await?;
                let rows = search::batch(&mut conn, &self.selection, after, limit).await?;
                let mut batch = Batch::with_capacity(reserve);
                let (known, mut unmet) = (self.known(), HashSet::new());
                for row in &rows {
                    let packed = Packed {
                        id: row.id.as_bytes(),
                        version: row.version,
                        organisation_id: row.organisation_id.as_bytes(),
                        period: Some(row.period.as_bytes()),
                        state: Some(row.state.as_bytes()),
                        reference: row.reference.as_deref().map(str::as_bytes),
                        upload_id: row.upload_id.as_deref().map(str::as_bytes),
                        submitted_at: row.submitted_at,
                        updated_at: row.updated_at,
                        answers: Some(row.answers.as_bytes()),
                    };
                    batch.push(packed, &known, &mut unmet);
                }
                // The rows came with their organisations joined: what was unmet is met here.
                self.meet(
                    rows.into_iter()
                        .map(|row| (row.organisation_id, (row.organisation_slug, row.organisation_name))),
                );
                batch.organisations = self.known();
                batch
            }
        };
        if let Some(per_row) = batch.size().checked_div(batch.len()) {
            // A little over the last batch's rows, so that a slightly longer row needs no regrowth.
            self.row_bytes.store(per_row + per_row / 8 + 16, Ordering::Relaxed);
        }
        Ok(batch)
    }

    /// The organisations met so far.
    fn known(&self) -> Arc<Organisations> {
        Arc::clone(&self.organisations.lock().unwrap_or_else(std::sync::PoisonError::into_inner))
    }

    /// Add organisations met: a new map for batches to come, leaving those already read theirs.
    fn meet(&self, met: impl IntoIterator<Item = (String, (String, String))>) {
        let mut known = self.organisations.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        let map = Arc::make_mut(&mut known);
        for (id, organisation) in met {
            map.entry(id).or_insert(organisation);
        }
    }

    /// A batch from an SQLite file, on a blocking thread: the export's read-only connection is
    /// opened on its first batch and kept for the rest.
    fn sqlite_batch(
        &self,
        path: &std::path::Path,
        queries: &(String, String, Vec<Value>),
        after: Option<&str>,
        limit: i64,
        reserve: usize,
    ) -> Result<Batch> {
        use rusqlite::OpenFlags;

        let mut guard = self.sqlite.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
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
            bind(&mut statement, rusqlite::types::Value::Text(after.to_string()))
                .map_err(StoreError::Sqlite)?;
        }
        bind(&mut statement, rusqlite::types::Value::Integer(limit)).map_err(StoreError::Sqlite)?;
        let (known, mut missing) = (self.known(), HashSet::new());
        let mut rows = statement.raw_query();
        let mut batch = Batch::with_capacity(reserve);
        while let Some(row) = rows.next().map_err(StoreError::Sqlite)? {
            let packed = Packed {
                id: sqlite_text(row, 0)?.unwrap_or_default(),
                version: sqlite_number(row, 1)?.unwrap_or_default(),
                organisation_id: sqlite_text(row, 2)?.unwrap_or_default(),
                period: sqlite_text(row, 3)?,
                state: sqlite_text(row, 4)?,
                reference: sqlite_text(row, 5)?,
                upload_id: sqlite_text(row, 6)?,
                submitted_at: sqlite_number(row, 7)?,
                updated_at: sqlite_number(row, 8)?.unwrap_or_default(),
                answers: sqlite_text(row, 9)?,
            };
            batch.push(packed, &known, &mut missing);
        }
        drop(rows);
        drop(statement);
        let missing: Vec<String> = missing.into_iter().collect();
        for ids in missing.chunks(500) {
            let marks = vec!["?"; ids.len()].join(", ");
            let mut statement = conn
                .prepare(&format!("SELECT id, slug, name FROM organisations WHERE id IN ({marks})"))
                .map_err(StoreError::Sqlite)?;
            let met = statement
                .query_map(rusqlite::params_from_iter(ids), |row| {
                    Ok((row.get(0)?, (row.get(1)?, row.get(2)?)))
                })
                .map_err(StoreError::Sqlite)?
                .collect::<rusqlite::Result<Vec<_>>>()
                .map_err(StoreError::Sqlite)?;
            self.meet(met);
        }
        batch.organisations = self.known();
        Ok(batch)
    }
}

/// Column `i` of an SQLite row as text (or none).
fn sqlite_text<'r>(row: &'r rusqlite::Row<'_>, i: usize) -> Result<Option<&'r [u8]>> {
    use rusqlite::types::ValueRef;
    match row.get_ref(i).map_err(StoreError::Sqlite)? {
        ValueRef::Null => Ok(None),
        ValueRef::Text(bytes) | ValueRef::Blob(bytes) => Ok(Some(bytes)),
        ValueRef::Integer(_) | ValueRef::Real(_) => Err(StoreError::Sqlite(
            rusqlite::Error::InvalidColumnType(i, String::new(), rusqlite::types::Type::Integer),
        )),
    }
}

/// Column `i` of an SQLite row as a whole number (or none).
fn sqlite_number(row: &rusqlite::Row<'_>, i: usize) -> Result<Option<i64>> {
    use rusqlite::types::ValueRef;
    match row.get_ref(i).map_err(StoreError::Sqlite)? {
        ValueRef::Null => Ok(None),
        ValueRef::Integer(n) => Ok(Some(n)),
        _ => Err(StoreError::Sqlite(rusqlite::Error::InvalidColumnType(
            i,
            String::new(),
            rusqlite::types::Type::Text,
        ))),
    }
}

/// A batch from PostgreSQL, with the ids of the organisations in it that `known` lacks.
async fn postgres_batch(
    conn: &mut sqlx::PgConnection,
    queries: &(String, String, Vec<Value>),
    after: Option<&str>,
    limit: i64,
    reserve: usize,
    known: &Organisations,
) -> Result<(Batch, Vec<String>)> {
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
    let mut rows = query.fetch(&mut *conn);
    let mut batch = Batch::with_capacity(reserve);
    let mut missing = HashSet::new();
    while let Some(row) = rows.try_next().await? {
        let text = |i: usize| -> Result<Option<&[u8]>> {
            let value = row.try_get_raw(i)?;
            if value.is_null() {
                return Ok(None);
            }
            Ok(Some(value.as_bytes().map_err(sqlx::Error::Decode)?))
        };
        let packed = Packed {
            id: text(0)?.unwrap_or_default(),
            // The query's own columns, of these types: unchecked spares a type comparison per value.
            version: row.try_get_unchecked::<i64, _>(1)?,
            organisation_id: text(2)?.unwrap_or_default(),
            period: text(3)?,
            state: text(4)?,
            reference: text(5)?,
            upload_id: text(6)?,
            submitted_at: row.try_get_unchecked::<Option<i64>, _>(7)?,
            updated_at: row.try_get_unchecked::<i64, _>(8)?,
            answers: text(9)?,
        };
        batch.push(packed, known, &mut missing);
    }
    Ok((batch, missing.into_iter().collect()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_packed_batch_reads_back_as_written() {
        let mut batch = Batch::default();
        for (id, reference) in [("a1", Some("REF-1")), ("b2", None)] {
            let start = batch.bytes.len();
            batch.text(Some(id.as_bytes()));
            batch.number(Some(3));
            batch.text(Some(b"o1"));
            batch.text(Some(b"2026-27"));
            batch.text(Some(b"completed"));
            batch.text(reference.map(str::as_bytes));
            batch.text(None);
            batch.number(reference.map(|_| -5));
            batch.number(Some(i64::MAX));
            batch.text(Some(br#"{"a":"\t"}"#));
            batch.end_row(start);
        }
        batch.organisations = Arc::new(
            [("o1".to_string(), ("riverside".to_string(), "Riverside Homes — North".to_string()))].into(),
        );
        let rows: Vec<RowRef<'_>> = batch.rows().collect::<Result<_>>().unwrap();
        assert_eq!(rows.len(), 2);
        assert_eq!(batch.last_id(), Some("b2"));
        assert_eq!(
            (rows[0].organisation_slug, rows[0].organisation_name),
            ("riverside", "Riverside Homes — North")
        );
        assert_eq!((rows[0].reference, rows[0].submitted_at), (Some("REF-1"), Some(-5)));
        assert_eq!((rows[1].reference, rows[1].upload_id, rows[1].submitted_at), (None, None, None));
        assert_eq!((rows[1].updated_at, rows[1].answers), (i64::MAX, r#"{"a":"\t"}"#));
    }

    #[test]
    fn rows_of_alternating_organisations_each_get_their_own() {
        let known: Organisations = [("o1".to_string(), ("one".to_string(), "One".to_string()))].into();
        let (mut batch, mut unmet) = (Batch::default(), HashSet::new());
        let organisations = ["o1", "o1", "o2", "o2", "o1", "o3", "o1"];
        let ids: Vec<String> = (0..organisations.len()).map(|i| format!("id{i}")).collect();
        for (id, organisation) in ids.iter().zip(organisations) {
            let row = Packed {
                id: id.as_bytes(),
                version: 1,
                organisation_id: organisation.as_bytes(),
                period: Some(b"2026"),
                state: Some(b"completed"),
                reference: None,
                upload_id: None,
                submitted_at: None,
                updated_at: 0,
                answers: Some(b"{}"),
            };
            batch.push(row, &known, &mut unmet);
        }
        assert_eq!(unmet, HashSet::from(["o2".to_string(), "o3".to_string()]));
        assert_eq!(batch.last_id(), Some("id6"));
        let mut all = known;
        all.insert("o2".into(), ("two".into(), "Two".into()));
        all.insert("o3".into(), ("three".into(), "Three".into()));
        batch.organisations = Arc::new(all);
        let slugs: Vec<&str> =
            batch.rows().map(|row| row.map(|row| row.organisation_slug)).collect::<Result<_>>().unwrap();
        assert_eq!(slugs, ["one", "one", "two", "two", "one", "three", "one"]);
        assert_eq!(Batch::default().last_id(), None);
    }

    #[test]
    fn a_row_of_an_organisation_not_looked_up_is_an_error_not_a_panic() {
        let mut batch = Batch::default();
        batch.text(Some(b"a1"));
        batch.number(Some(1));
        batch.text(Some(b"o-unknown"));
        batch.end_row(0);
        assert!(batch.rows().next().is_some_and(|row| row.is_err()));
    }

    #[test]
    fn a_damaged_batch_is_an_error_not_a_panic() {
        let mut batch = Batch::default();
        batch.text(Some(b"a1"));
        batch.number(Some(1));
        batch.end_row(0);
        let mut rows = batch.rows();
        assert!(rows.next().is_some_and(|row| row.is_err()));
        assert!(rows.next().is_none());
        let cut = Batch { bytes: vec![200, 0, 0, 0, b'x'], rows: 1, ..Batch::default() };
        assert!(cut.rows().next().is_some_and(|row| row.is_err()));
    }
}
