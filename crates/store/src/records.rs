//! Records of a log: one row each, entered on the web or stored from an upload.
//!
//! A record's answers are one JSON document normalised by the engine, like a return's. Its state
//! and answers change only by conditional updates on the revision ([`save`], [`delete`]); records
//! from an upload go in many at a time ([`insert_many`]) inside the transaction that marks the
//! upload stored, and `(upload_id, upload_row)` is unique, so an upload's record is stored once.

use std::collections::{BTreeMap, HashMap};

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use sqlx::AnyConnection;
use sqlx::any::AnyRow;

use crate::submissions::Confirmation;
use crate::{Result, StoreError, bulk, get, new_id};

/// Where a record is (DESIGN §5: a record of a log is in progress or completed).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RecordState {
    /// Saved as a draft: it may have errors or unconfirmed warnings.
    InProgress,
    /// No errors, every warning confirmed.
    Completed,
    /// Deleted (kept, with its history, but no longer counted or listed).
    Deleted,
}

impl RecordState {
    /// Every state.
    pub const ALL: [RecordState; 3] = [RecordState::InProgress, RecordState::Completed, RecordState::Deleted];

    /// As stored and sent.
    pub fn as_str(self) -> &'static str {
        match self {
            RecordState::InProgress => "in_progress",
            RecordState::Completed => "completed",
            RecordState::Deleted => "deleted",
        }
    }

    /// The state named `text`.
    pub fn parse(text: &str) -> Option<RecordState> {
        RecordState::ALL.into_iter().find(|s| s.as_str() == text)
    }

    /// How pages show it.
    pub fn label(self) -> &'static str {
        match self {
            RecordState::InProgress => "In progress",
            RecordState::Completed => "Completed",
            RecordState::Deleted => "Deleted",
        }
    }
}

/// A record of a log.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Record {
    /// Its id.
    pub id: String,
    /// The collection's slug.
    pub collection: String,
    /// The definition version it follows.
    pub version: i64,
    /// The organisation it belongs to.
    pub organisation_id: String,
    /// The period's key.
    pub period: String,
    /// Its `record_key` answers joined ([`key_of`]); `None` until they are all given.
    pub record_key: Option<String>,
    /// Where it is.
    pub state: RecordState,
    /// Goes up by one with every change.
    pub revision: i64,
    /// The answers, normalised by the engine.
    pub answers: Map<String, Value>,
    /// Warnings confirmed, by key.
    pub confirmations: BTreeMap<String, Confirmation>,
    /// The upload it came from, if any.
    pub upload_id: Option<String>,
    /// Its row in that upload's file.
    pub upload_row: Option<i64>,
    /// Who made it.
    pub created_by: Option<String>,
    /// When.
    pub created_at: i64,
    /// Who changed it last.
    pub updated_by: Option<String>,
    /// Their name or email address, for lists.
    pub updated_by_name: Option<String>,
    /// When.
    pub updated_at: i64,
}

/// The `record_key` of `answers` for the key's questions `key`: the answers as the engine
/// normalised them, joined by a separator no answer holds. `None` when any is not given.
pub fn key_of(key: &[String], answers: &Map<String, Value>) -> Option<String> {
    if key.is_empty() {
        return None;
    }
    let mut joined = String::new();
    for (i, id) in key.iter().enumerate() {
        let part = match answers.get(id)? {
            Value::Null => return None,
            Value::String(s) => s.trim().to_lowercase(),
            other => other.to_string(),
        };
        if part.is_empty() {
            return None;
        }
        if i > 0 {
            joined.push('\u{1f}');
        }
        joined.push_str(&part);
    }
    Some(joined)
}

macro_rules! select {
    ($rest:literal) => {
        concat!(
            "SELECT r.*, COALESCE(u.name, u.email) AS updated_by_name FROM records r LEFT JOIN users u ON u.id = r.updated_by ",
            $rest
        )
    };
}

fn record(row: &AnyRow) -> Result<Record> {
    let state: String = get(row, "state")?;
    let answers: String = get(row, "answers")?;
    let confirmations: String = get(row, "confirmations")?;
    Ok(Record {
        id: get(row, "id")?,
        collection: get(row, "collection_slug")?,
        version: get(row, "version")?,
        organisation_id: get(row, "organisation_id")?,
        period: get(row, "period")?,
        record_key: get(row, "record_key")?,
        state: RecordState::parse(&state)
            .ok_or_else(|| StoreError::Config(format!("a record has the unknown state “{state}”")))?,
        revision: get(row, "revision")?,
        answers: serde_json::from_str(&answers).map_err(StoreError::Encode)?,
        confirmations: serde_json::from_str(&confirmations).map_err(StoreError::Encode)?,
        upload_id: get(row, "upload_id")?,
        upload_row: get(row, "upload_row")?,
        created_by: get(row, "created_by")?,
        created_at: get(row, "created_at")?,
        updated_by: get(row, "updated_by")?,
        updated_by_name: get(row, "updated_by_name")?,
        updated_at: get(row, "updated_at")?,
    })
}

/// A new record.
#[derive(Clone, Debug)]
pub struct NewRecord {
    /// The collection's slug.
    pub collection: String,
    /// The definition version it follows.
    pub version: i64,
    /// The organisation's id.
    pub organisation_id: String,
    /// The period's key.
    pub period: String,
    /// Its record key ([`key_of`]).
    pub record_key: Option<String>,
    /// Its state.
    pub state: RecordState,
    /// Its answers, normalised by the engine.
    pub answers: Map<String, Value>,
    /// Warnings confirmed.
    pub confirmations: BTreeMap<String, Confirmation>,
    /// The upload and row it came from.
    pub upload: Option<(String, i64)>,
    /// Who.
    pub by: Option<String>,
}

const COLUMNS: [&str; 16] = [
    "id",
    "collection_slug",
    "version",
    "organisation_id",
    "period",
    "record_key",
    "state",
    "revision",
    "answers",
    "confirmations",
    "upload_id",
    "upload_row",
    "created_by",
    "created_at",
    "updated_by",
    "updated_at",
];

/// Store one new record, giving its id.
pub async fn insert(c: &mut AnyConnection, new: NewRecord, now: i64) -> Result<String> {
    let id = new_id();
    insert_with_ids(c, std::iter::once((id.clone(), new)), now).await?;
    Ok(id)
}

/// Store many new records in few statements, all or none (see [`bulk::insert`]). Returns how many.
pub async fn insert_many(
    c: &mut AnyConnection,
    new: impl IntoIterator<Item = NewRecord>,
    now: i64,
) -> Result<u64> {
    insert_with_ids(c, new.into_iter().map(|r| (new_id(), r)), now).await
}

async fn insert_with_ids(
    c: &mut AnyConnection,
    new: impl IntoIterator<Item = (String, NewRecord)>,
    now: i64,
) -> Result<u64> {
    // Encoding fails only for a map with non-string keys, which a `Map` cannot have.
    let rows = new.into_iter().map(|(id, r)| {
        let answers = serde_json::to_string(&r.answers).unwrap_or_else(|_| "{}".into());
        let confirmations = serde_json::to_string(&r.confirmations).unwrap_or_else(|_| "{}".into());
        (id, r, answers, confirmations)
    });
    bulk::insert(c, "records", &COLUMNS, rows, |(id, r, answers, confirmations), v| {
        let (upload_id, upload_row) = match r.upload {
            Some((upload, row)) => (Some(upload), Some(row)),
            None => (None, None),
        };
        v.push(id)
            .push(r.collection)
            .push(r.version)
            .push(r.organisation_id)
            .push(r.period)
            .push(r.record_key)
            .push(r.state.as_str())
            .push(1_i64)
            .push(answers)
            .push(confirmations)
            .push(upload_id)
            .push(upload_row)
            .push(r.by.clone())
            .push(now)
            .push(r.by)
            .push(now);
    })
    .await
}

/// A record by id (deleted ones too: their history stays readable).
pub async fn by_id(c: &mut AnyConnection, id: &str) -> Result<Option<Record>> {
    let row = sqlx::query(select!("WHERE r.id = $1")).bind(id).fetch_optional(&mut *c).await?;
    row.as_ref().map(record).transpose()
}

/// Which records to list.
#[derive(Clone, Debug, Default)]
pub struct Filter {
    /// Only these organisations (ids); `None` for every organisation.
    pub organisations: Option<Vec<String>>,
    /// One collection (slug).
    pub collection: Option<String>,
    /// One period.
    pub period: Option<String>,
    /// One state; `None`: every state but `deleted`.
    pub state: Option<RecordState>,
    /// Only records from this upload.
    pub upload: Option<String>,
    /// Changed at or after this time (ms).
    pub updated_since: Option<i64>,
    /// The page after this record (its `updated_at` and id): pages by key, not offset.
    pub after: Option<(i64, String)>,
    /// At most this many.
    pub limit: i64,
}

/// `AND …` conditions of `filter` and their values, numbered from `$1`; `None` when it selects
/// nothing. With `states` false the state filter is left out (for counts by state).
fn conditions(filter: &Filter, states: bool) -> Option<(String, Vec<Value>)> {
    let mut sql = String::new();
    let mut values: Vec<Value> = Vec::new();
    let mark = |values: &mut Vec<Value>, value: Value| {
        values.push(value);
        format!("${}", values.len())
    };
    if let Some(orgs) = &filter.organisations {
        if orgs.is_empty() {
            return None;
        }
        let marks: Vec<String> = orgs.iter().map(|o| mark(&mut values, o.as_str().into())).collect();
        sql.push_str(&format!(" AND r.organisation_id IN ({})", marks.join(", ")));
    }
    if let Some(collection) = &filter.collection {
        sql.push_str(&format!(" AND r.collection_slug = {}", mark(&mut values, collection.as_str().into())));
    }
    if let Some(period) = &filter.period {
        sql.push_str(&format!(" AND r.period = {}", mark(&mut values, period.as_str().into())));
    }
    if let Some(upload) = &filter.upload {
        sql.push_str(&format!(" AND r.upload_id = {}", mark(&mut values, upload.as_str().into())));
    }
    if let Some(since) = filter.updated_since {
        sql.push_str(&format!(" AND r.updated_at >= {}", mark(&mut values, since.into())));
    }
    if states {
        match filter.state {
            Some(state) => {
                sql.push_str(&format!(" AND r.state = {}", mark(&mut values, state.as_str().into())))
            }
            None => sql.push_str(" AND r.state <> 'deleted'"),
        }
    }
    Some((sql, values))
}

fn bind_all<'q>(
    mut query: sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments>,
    values: Vec<Value>,
) -> sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments> {
    for value in values {
        query = match value {
            Value::Number(n) => query.bind(n.as_i64().unwrap_or(0)),
            Value::String(s) => query.bind(s),
            other => query.bind(other.to_string()),
        };
    }
    query
}

/// Records matching `filter`, most recently changed first, a page at a time by key.
pub async fn list(c: &mut AnyConnection, filter: &Filter) -> Result<Vec<Record>> {
    let Some((conditions, mut values)) = conditions(filter, true) else { return Ok(Vec::new()) };
    let mut sql = format!("{}{conditions}", select!("WHERE 1 = 1"));
    if let Some((at, id)) = &filter.after {
        values.push((*at).into());
        let a = values.len();
        values.push(id.as_str().into());
        let b = values.len();
        sql.push_str(&format!(" AND (r.updated_at < ${a} OR (r.updated_at = ${a} AND r.id < ${b}))"));
    }
    values.push(filter.limit.max(1).into());
    sql.push_str(&format!(" ORDER BY r.updated_at DESC, r.id DESC LIMIT ${}", values.len()));
    // Only numbered placeholders are added to the text; every value is bound.
    let rows = bind_all(sqlx::query(sqlx::AssertSqlSafe(sql)), values).fetch_all(&mut *c).await?;
    rows.iter().map(record).collect()
}

/// How many records `filter` selects in each state, its state filter aside.
pub async fn count_by_state(c: &mut AnyConnection, filter: &Filter) -> Result<Vec<(RecordState, i64)>> {
    let Some((conditions, values)) = conditions(filter, false) else { return Ok(Vec::new()) };
    let sql = format!(
        "SELECT r.state AS state, COUNT(*) AS n FROM records r WHERE 1 = 1{conditions} GROUP BY r.state"
    );
    let rows = bind_all(sqlx::query(sqlx::AssertSqlSafe(sql)), values).fetch_all(&mut *c).await?;
    let mut counts = Vec::new();
    for row in &rows {
        let state: String = get(row, "state")?;
        if let Some(state) = RecordState::parse(&state) {
            counts.push((state, get(row, "n")?));
        }
    }
    counts.sort_by_key(|(state, _)| RecordState::ALL.iter().position(|s| s == state));
    Ok(counts)
}

/// Every stored (not deleted) record key of an organisation's records in a collection, with the
/// id of a record holding it: the set an upload's records are checked against, by hash lookup.
pub async fn keys(
    c: &mut AnyConnection,
    collection: &str,
    organisation_id: &str,
) -> Result<HashMap<String, String>> {
    use futures_util::TryStreamExt as _;
    let query = sqlx::query(
        "SELECT record_key, id FROM records WHERE collection_slug = $1 AND organisation_id = $2 \
         AND record_key IS NOT NULL AND state <> 'deleted'",
    )
    .bind(collection)
    .bind(organisation_id);
    let mut keys = HashMap::new();
    let mut rows =
        bulk::stream(c, query, |row| Ok((get::<String>(row, "record_key")?, get::<String>(row, "id")?)));
    while let Some((key, id)) = rows.try_next().await? {
        keys.entry(key).or_insert(id);
    }
    Ok(keys)
}

/// Another stored record (not `except`, not deleted) with this key, if any.
pub async fn with_key(
    c: &mut AnyConnection,
    collection: &str,
    organisation_id: &str,
    key: &str,
    except: &str,
) -> Result<Option<String>> {
    let row = sqlx::query(
        "SELECT id FROM records WHERE collection_slug = $1 AND organisation_id = $2 AND record_key = $3 \
         AND id <> $4 AND state <> 'deleted' ORDER BY created_at LIMIT 1",
    )
    .bind(collection)
    .bind(organisation_id)
    .bind(key)
    .bind(except)
    .fetch_optional(&mut *c)
    .await?;
    row.as_ref().map(|r| get(r, "id")).transpose()
}

/// A change to a record, made from revision `expected`.
#[derive(Clone, Debug)]
pub struct Save<'a> {
    /// The revision the change was made from.
    pub expected: i64,
    /// The answers now.
    pub answers: &'a Map<String, Value>,
    /// Its record key now.
    pub record_key: Option<&'a str>,
    /// Warnings confirmed now.
    pub confirmations: &'a BTreeMap<String, Confirmation>,
    /// The state now.
    pub state: RecordState,
    /// Who.
    pub by: Option<&'a str>,
}

/// Store a change made from revision `save.expected`, giving the new revision; a conflict when
/// somebody else changed the record since (or it was deleted).
pub async fn save(c: &mut AnyConnection, id: &str, save: &Save<'_>, now: i64) -> Result<i64> {
    let answers = serde_json::to_string(save.answers).map_err(StoreError::Encode)?;
    let confirmations = serde_json::to_string(save.confirmations).map_err(StoreError::Encode)?;
    let done = sqlx::query(
        "UPDATE records SET answers = $1, record_key = $2, confirmations = $3, state = $4, \
         revision = revision + 1, updated_by = $5, updated_at = $6 \
         WHERE id = $7 AND revision = $8 AND state <> 'deleted'",
    )
    .bind(answers)
    .bind(save.record_key)
    .bind(confirmations)
    .bind(save.state.as_str())
    .bind(save.by)
    .bind(now)
    .bind(id)
    .bind(save.expected)
    .execute(&mut *c)
    .await?;
    if done.rows_affected() == 0 {
        return Err(StoreError::conflict(
            "Somebody else changed this record after you opened it: your change was not saved",
        ));
    }
    Ok(save.expected + 1)
}

/// Delete a record (softly: it is kept, in state `deleted`), from revision `expected`.
pub async fn delete(
    c: &mut AnyConnection,
    id: &str,
    expected: i64,
    by: Option<&str>,
    now: i64,
) -> Result<i64> {
    let done = sqlx::query(
        "UPDATE records SET state = 'deleted', revision = revision + 1, updated_by = $1, updated_at = $2 \
         WHERE id = $3 AND revision = $4 AND state <> 'deleted'",
    )
    .bind(by)
    .bind(now)
    .bind(id)
    .bind(expected)
    .execute(&mut *c)
    .await?;
    if done.rows_affected() == 0 {
        return Err(StoreError::conflict(
            "Somebody else changed or deleted this record after you opened it: it was not deleted",
        ));
    }
    Ok(expected + 1)
}
