//! Exports run as jobs, and scheduled exports (a collection's nightly feed to a data warehouse).
//!
//! An export job's state changes only by conditional updates from the states it may leave
//! ([`ExportState::may_become`]); its file may be downloaded only by the person who asked, until it
//! expires, and expired files are removed by a recurring job ([`expired`], [`mark_expired`]).

use serde::{Deserialize, Serialize};
use sqlx::AnyConnection;
use sqlx::any::AnyRow;

use crate::{Result, StoreError, get, new_id};

/// Where an export job is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ExportState {
    /// Waiting for a worker.
    Queued,
    /// Being written.
    Running,
    /// Written: its file may be downloaded until it expires.
    Ready,
    /// It could not be written.
    Failed,
    /// Its file has been removed.
    Expired,
}

impl ExportState {
    /// Every state.
    pub const ALL: [ExportState; 5] = [
        ExportState::Queued,
        ExportState::Running,
        ExportState::Ready,
        ExportState::Failed,
        ExportState::Expired,
    ];

    /// As stored and sent.
    pub fn as_str(self) -> &'static str {
        match self {
            ExportState::Queued => "queued",
            ExportState::Running => "running",
            ExportState::Ready => "ready",
            ExportState::Failed => "failed",
            ExportState::Expired => "expired",
        }
    }

    /// The state named `text`.
    pub fn parse(text: &str) -> Option<ExportState> {
        ExportState::ALL.into_iter().find(|s| s.as_str() == text)
    }

    /// How pages show it.
    pub fn label(self) -> &'static str {
        match self {
            ExportState::Queued => "Waiting to start",
            ExportState::Running => "Being prepared",
            ExportState::Ready => "Ready to download",
            ExportState::Failed => "Failed",
            ExportState::Expired => "Expired",
        }
    }

    /// The moves an export may make, defined once. A worker that died while writing leaves it
    /// `running`; the job's next attempt starts it again.
    pub fn may_become(self, to: ExportState) -> bool {
        use ExportState as S;
        matches!(
            (self, to),
            (S::Queued | S::Running, S::Running | S::Ready | S::Failed) | (S::Ready | S::Failed, S::Expired)
        )
    }
}

/// An export run as a job.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Export {
    /// Its id.
    pub id: String,
    /// The person who asked: the only one who may download it.
    pub requested_by: String,
    /// The collection's slug.
    pub collection: String,
    /// The format: csv, xlsx, jsonl or parquet.
    pub format: String,
    /// What was asked for (filters and options), as the service wrote it.
    pub request: serde_json::Value,
    /// Where it is.
    pub state: ExportState,
    /// How many rows it holds, once counted.
    pub rows_total: Option<i64>,
    /// How many are written.
    pub rows_done: i64,
    /// Where its file is kept.
    pub file_key: Option<String>,
    /// The file's name for downloading.
    pub file_name: Option<String>,
    /// The file's content type.
    pub content_type: Option<String>,
    /// Its size in bytes.
    pub size: Option<i64>,
    /// Its SHA-256.
    pub sha256: Option<String>,
    /// Why it failed.
    pub error: Option<String>,
    /// When it was asked for.
    pub created_at: i64,
    /// When it was written (or failed).
    pub finished_at: Option<i64>,
    /// When its file is removed.
    pub expires_at: Option<i64>,
}

fn export(row: &AnyRow) -> Result<Export> {
    let state: String = get(row, "state")?;
    let request: String = get(row, "request")?;
    Ok(Export {
        id: get(row, "id")?,
        requested_by: get(row, "requested_by")?,
        collection: get(row, "collection_slug")?,
        format: get(row, "format")?,
        request: serde_json::from_str(&request).map_err(StoreError::Encode)?,
        state: ExportState::parse(&state)
            .ok_or_else(|| StoreError::Config(format!("an export has the unknown state “{state}”")))?,
        rows_total: get(row, "rows_total")?,
        rows_done: get(row, "rows_done")?,
        file_key: get(row, "file_key")?,
        file_name: get(row, "file_name")?,
        content_type: get(row, "content_type")?,
        size: get(row, "size")?,
        sha256: get(row, "sha256")?,
        error: get(row, "error")?,
        created_at: get(row, "created_at")?,
        finished_at: get(row, "finished_at")?,
        expires_at: get(row, "expires_at")?,
    })
}

/// Keep a new export job, queued; its id.
pub async fn insert(
    c: &mut AnyConnection,
    requested_by: &str,
    collection: &str,
    format: &str,
    request: &serde_json::Value,
    now: i64,
) -> Result<String> {
    let id = new_id();
    let request = serde_json::to_string(request).map_err(StoreError::Encode)?;
    sqlx::query(
        "INSERT INTO exports (id, requested_by, collection_slug, format, request, state, rows_done, created_at) \
         VALUES ($1, $2, $3, $4, $5, 'queued', 0, $6)",
    )
    .bind(&id)
    .bind(requested_by)
    .bind(collection)
    .bind(format)
    .bind(request)
    .bind(now)
    .execute(&mut *c)
    .await?;
    Ok(id)
}

/// An export job by id.
pub async fn by_id(c: &mut AnyConnection, id: &str) -> Result<Option<Export>> {
    let row = sqlx::query("SELECT * FROM exports WHERE id = $1").bind(id).fetch_optional(&mut *c).await?;
    row.as_ref().map(export).transpose()
}

/// A person's export jobs, newest first (at most `limit`).
pub async fn of_person(c: &mut AnyConnection, user_id: &str, limit: i64) -> Result<Vec<Export>> {
    let rows = sqlx::query(
        "SELECT * FROM exports WHERE requested_by = $1 ORDER BY created_at DESC, id DESC LIMIT $2",
    )
    .bind(user_id)
    .bind(limit.max(1))
    .fetch_all(&mut *c)
    .await?;
    rows.iter().map(export).collect()
}

/// `UPDATE exports SET … WHERE id = … AND state IN (every state that may become `to`)`: the
/// conditional move, with `sets` (numbered from `$3`) bound by `bind`. True when it moved.
async fn advance(
    c: &mut AnyConnection,
    id: &str,
    to: ExportState,
    sets: &str,
    bind: impl FnOnce(
        sqlx::query::Query<'_, sqlx::Any, sqlx::any::AnyArguments>,
    ) -> sqlx::query::Query<'_, sqlx::Any, sqlx::any::AnyArguments>,
    extra: usize,
) -> Result<bool> {
    let from: Vec<&str> =
        ExportState::ALL.into_iter().filter(|s| s.may_become(to)).map(ExportState::as_str).collect();
    let first = 3 + extra;
    let marks: Vec<String> = (0..from.len()).map(|i| format!("${}", i + first)).collect();
    let sql =
        format!("UPDATE exports SET state = $1{sets} WHERE id = $2 AND state IN ({})", marks.join(", "));
    // Only numbered placeholders are added to the text; every value is bound.
    let mut query = bind(sqlx::query(sqlx::AssertSqlSafe(sql)).bind(to.as_str()).bind(id));
    for state in from {
        query = query.bind(state);
    }
    Ok(query.execute(&mut *c).await?.rows_affected() == 1)
}

/// Start (or start again) writing an export that will hold `rows_total` rows.
pub async fn start(c: &mut AnyConnection, id: &str, rows_total: i64) -> Result<bool> {
    advance(c, id, ExportState::Running, ", rows_total = $3, rows_done = 0", |q| q.bind(rows_total), 1).await
}

/// How many rows are written so far (for the progress shown on the page).
pub async fn progress(c: &mut AnyConnection, id: &str, rows_done: i64) -> Result<()> {
    sqlx::query("UPDATE exports SET rows_done = $1 WHERE id = $2 AND state = 'running'")
        .bind(rows_done)
        .bind(id)
        .execute(&mut *c)
        .await?;
    Ok(())
}

/// The file an export wrote.
#[derive(Clone, Debug)]
pub struct Written<'a> {
    /// Where it is kept.
    pub file_key: &'a str,
    /// Its name for downloading.
    pub file_name: &'a str,
    /// Its content type.
    pub content_type: &'a str,
    /// Its size.
    pub size: i64,
    /// Its SHA-256.
    pub sha256: &'a str,
    /// How many rows it holds.
    pub rows: i64,
    /// When it is removed.
    pub expires_at: i64,
}

/// Mark an export written; false if it was not running (another worker finished it).
pub async fn ready(c: &mut AnyConnection, id: &str, w: &Written<'_>, now: i64) -> Result<bool> {
    advance(
        c,
        id,
        ExportState::Ready,
        ", file_key = $3, file_name = $4, content_type = $5, size = $6, sha256 = $7, rows_done = $8, finished_at = $9, expires_at = $10",
        |q| {
            q.bind(w.file_key.to_string())
                .bind(w.file_name.to_string())
                .bind(w.content_type.to_string())
                .bind(w.size)
                .bind(w.sha256.to_string())
                .bind(w.rows)
                .bind(now)
                .bind(w.expires_at)
        },
        8,
    )
    .await
}

/// Mark an export failed with a message people may read; it expires like a written one.
pub async fn fail(c: &mut AnyConnection, id: &str, error: &str, now: i64, expires_at: i64) -> Result<bool> {
    advance(
        c,
        id,
        ExportState::Failed,
        ", error = $3, finished_at = $4, expires_at = $5",
        |q| q.bind(error.to_string()).bind(now).bind(expires_at),
        3,
    )
    .await
}

/// Export jobs whose time is up at `now` (ready or failed), oldest first, at most `limit`.
pub async fn expired(c: &mut AnyConnection, now: i64, limit: i64) -> Result<Vec<Export>> {
    let rows = sqlx::query(
        "SELECT * FROM exports WHERE state IN ('ready', 'failed') AND expires_at <= $1 ORDER BY expires_at LIMIT $2",
    )
    .bind(now)
    .bind(limit.max(1))
    .fetch_all(&mut *c)
    .await?;
    rows.iter().map(export).collect()
}

/// Mark an export expired once its file is removed.
pub async fn mark_expired(c: &mut AnyConnection, id: &str) -> Result<bool> {
    advance(c, id, ExportState::Expired, "", |q| q, 0).await
}

/// Whether a scheduled export writes everything each night or only what changed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FeedMode {
    /// Every row the collection holds.
    Full,
    /// The rows changed since the last run.
    Changes,
}

impl FeedMode {
    /// As stored and sent.
    pub fn as_str(self) -> &'static str {
        match self {
            FeedMode::Full => "full",
            FeedMode::Changes => "changes",
        }
    }

    /// The mode named `text`.
    pub fn parse(text: &str) -> Option<FeedMode> {
        [FeedMode::Full, FeedMode::Changes].into_iter().find(|m| m.as_str() == text)
    }
}

/// A scheduled export: a collection's nightly feed.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Feed {
    /// Its id.
    pub id: String,
    /// The collection's slug.
    pub collection: String,
    /// The format.
    pub format: String,
    /// The object-storage prefix its files go under.
    pub prefix: String,
    /// Full or changes.
    pub mode: FeedMode,
    /// A `changes` feed's next run holds what changed at or after this time.
    pub changes_since: Option<i64>,
    /// When it last ran.
    pub last_run_at: Option<i64>,
    /// The manifest its last run wrote.
    pub last_manifest_key: Option<String>,
    /// Why its last run failed.
    pub last_error: Option<String>,
    /// When it was set up.
    pub created_at: i64,
}

fn feed(row: &AnyRow) -> Result<Feed> {
    let mode: String = get(row, "mode")?;
    Ok(Feed {
        id: get(row, "id")?,
        collection: get(row, "collection_slug")?,
        format: get(row, "format")?,
        prefix: get(row, "prefix")?,
        mode: FeedMode::parse(&mode)
            .ok_or_else(|| StoreError::Config(format!("a scheduled export has the unknown mode “{mode}”")))?,
        changes_since: get(row, "changes_since")?,
        last_run_at: get(row, "last_run_at")?,
        last_manifest_key: get(row, "last_manifest_key")?,
        last_error: get(row, "last_error")?,
        created_at: get(row, "created_at")?,
    })
}

/// Set up a scheduled export; its id. The same collection, format and prefix twice is a conflict.
pub async fn add_feed(
    c: &mut AnyConnection,
    collection: &str,
    format: &str,
    prefix: &str,
    mode: FeedMode,
    by: Option<&str>,
    now: i64,
) -> Result<String> {
    let id = new_id();
    sqlx::query(
        "INSERT INTO scheduled_exports (id, collection_slug, format, prefix, mode, created_by, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $7)",
    )
    .bind(&id)
    .bind(collection)
    .bind(format)
    .bind(prefix)
    .bind(mode.as_str())
    .bind(by)
    .bind(now)
    .execute(&mut *c)
    .await
    .map_err(|e| {
        StoreError::from(e).conflict_as("This collection already has a scheduled export in this format to this prefix")
    })?;
    Ok(id)
}

/// Every scheduled export, by collection.
pub async fn feeds(c: &mut AnyConnection) -> Result<Vec<Feed>> {
    let rows = sqlx::query("SELECT * FROM scheduled_exports ORDER BY collection_slug, format, prefix")
        .fetch_all(&mut *c)
        .await?;
    rows.iter().map(feed).collect()
}

/// A scheduled export by id.
pub async fn feed_by_id(c: &mut AnyConnection, id: &str) -> Result<Option<Feed>> {
    let row =
        sqlx::query("SELECT * FROM scheduled_exports WHERE id = $1").bind(id).fetch_optional(&mut *c).await?;
    row.as_ref().map(feed).transpose()
}

/// Remove a scheduled export; false if there was none.
pub async fn remove_feed(c: &mut AnyConnection, id: &str) -> Result<bool> {
    let done = sqlx::query("DELETE FROM scheduled_exports WHERE id = $1").bind(id).execute(&mut *c).await?;
    Ok(done.rows_affected() == 1)
}

/// Record a run of a feed that wrote its manifest under `manifest_key` and holds the changes up to
/// `cutoff`: only when the feed is still as the run found it (`changes_since` unchanged), so two
/// runs of the same night move it once.
pub async fn feed_ran(
    c: &mut AnyConnection,
    id: &str,
    found_since: Option<i64>,
    cutoff: i64,
    manifest_key: &str,
    now: i64,
) -> Result<bool> {
    let done = sqlx::query(
        "UPDATE scheduled_exports SET changes_since = $1, last_run_at = $2, last_manifest_key = $3, last_error = NULL, updated_at = $2 \
         WHERE id = $4 AND (changes_since = $5 OR (changes_since IS NULL AND $6 = 1))",
    )
    .bind(cutoff)
    .bind(now)
    .bind(manifest_key)
    .bind(id)
    .bind(found_since.unwrap_or(0))
    .bind(i64::from(found_since.is_none()))
    .execute(&mut *c)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Record why a feed's run failed (its `changes_since` stays, so the next run catches up).
pub async fn feed_failed(c: &mut AnyConnection, id: &str, error: &str, now: i64) -> Result<()> {
    sqlx::query(
        "UPDATE scheduled_exports SET last_error = $1, last_run_at = $2, updated_at = $2 WHERE id = $3",
    )
    .bind(error)
    .bind(now)
    .bind(id)
    .execute(&mut *c)
    .await?;
    Ok(())
}
