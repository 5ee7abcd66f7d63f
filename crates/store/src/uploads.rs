//! Uploads: a file for a log (its records) or for one table of a return (its rows), kept in object
//! storage and checked by a job. Its state changes only by conditional updates from the states it
//! may leave ([`advance`]), so of two workers finishing the same upload one does and the other is
//! told; the records it stores go in within the same transaction as its move to `stored`.

use serde::{Deserialize, Serialize};
use serde_json::Value;
use sqlx::AnyConnection;
use sqlx::any::AnyRow;

use crate::{Result, StoreError, get};

/// Where an upload is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum UploadState {
    /// Kept, waiting for a worker.
    Queued,
    /// Being checked.
    Checking,
    /// The file has errors, or could not be read: nothing was stored.
    Failed,
    /// No errors, but warnings to confirm before anything is stored.
    Confirm,
    /// Checked and confirmed; its records are being stored.
    Storing,
    /// Its records (or rows) are stored.
    Stored,
    /// The same file was uploaded before for the same collection and organisation: not stored
    /// again.
    SameFile,
}

impl UploadState {
    /// Every state.
    pub const ALL: [UploadState; 7] = [
        UploadState::Queued,
        UploadState::Checking,
        UploadState::Failed,
        UploadState::Confirm,
        UploadState::Storing,
        UploadState::Stored,
        UploadState::SameFile,
    ];

    /// As stored and sent.
    pub fn as_str(self) -> &'static str {
        match self {
            UploadState::Queued => "queued",
            UploadState::Checking => "checking",
            UploadState::Failed => "failed",
            UploadState::Confirm => "confirm",
            UploadState::Storing => "storing",
            UploadState::Stored => "stored",
            UploadState::SameFile => "same_file",
        }
    }

    /// The state named `text`.
    pub fn parse(text: &str) -> Option<UploadState> {
        UploadState::ALL.into_iter().find(|s| s.as_str() == text)
    }

    /// How pages show it.
    pub fn label(self) -> &'static str {
        match self {
            UploadState::Queued => "Waiting to be checked",
            UploadState::Checking => "Being checked",
            UploadState::Failed => "Has errors",
            UploadState::Confirm => "Warnings to confirm",
            UploadState::Storing => "Being stored",
            UploadState::Stored => "Stored",
            UploadState::SameFile => "Already uploaded",
        }
    }

    /// True once nothing more will happen to it by itself.
    pub fn is_finished(self) -> bool {
        matches!(
            self,
            UploadState::Failed | UploadState::Confirm | UploadState::Stored | UploadState::SameFile
        )
    }

    /// The moves an upload may make, defined once.
    pub fn may_become(self, to: UploadState) -> bool {
        use UploadState as S;
        matches!(
            (self, to),
            (S::Queued | S::Checking | S::Storing, S::Checking)
                | (S::Queued | S::Checking | S::Storing, S::Failed | S::Confirm | S::Storing | S::Stored)
                | (S::Confirm, S::Queued)
                | (S::Failed, S::Queued)
        )
    }
}

/// An upload.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Upload {
    /// Its id.
    pub id: String,
    /// The collection's slug.
    pub collection: String,
    /// The definition version it was checked against.
    pub version: i64,
    /// The organisation it is for.
    pub organisation_id: String,
    /// The period.
    pub period: String,
    /// For a table of a return: the return's id.
    pub submission_id: Option<String>,
    /// And the table's id.
    pub table_id: Option<String>,
    /// The file's name as sent.
    pub file_name: String,
    /// Where the file is kept.
    pub object_key: String,
    /// Its size in bytes.
    pub size: i64,
    /// Its SHA-256, hex.
    pub sha256: String,
    /// Where it is.
    pub state: UploadState,
    /// Goes up by one with every change of state.
    pub revision: i64,
    /// Rows read so far.
    pub rows_read: i64,
    /// Errors found so far (all of them; at most some are kept in `items`).
    pub error_count: i64,
    /// Warnings found.
    pub warning_count: i64,
    /// Records (or rows) stored.
    pub stored_count: i64,
    /// Why the whole file was refused, in words for the person.
    pub message: Option<String>,
    /// The items kept (DESIGN §4), errors then warnings.
    pub items: Vec<Value>,
    /// The file marked up with its problems.
    pub annotated_key: Option<String>,
    /// The reason its warnings were confirmed with.
    pub confirmed_reason: Option<String>,
    /// Who confirmed them.
    pub confirmed_by: Option<String>,
    /// The earlier upload of the same file.
    pub same_as: Option<String>,
    /// Who uploaded it.
    pub created_by: Option<String>,
    /// Their name or email address.
    pub created_by_name: Option<String>,
    /// When.
    pub created_at: i64,
    /// When a worker first took it.
    pub started_at: Option<i64>,
    /// When it was last finished.
    pub finished_at: Option<i64>,
}

macro_rules! select {
    ($rest:literal) => {
        concat!(
            "SELECT up.*, COALESCE(u.name, u.email) AS created_by_name FROM uploads up LEFT JOIN users u ON u.id = up.created_by ",
            $rest
        )
    };
}

fn upload(row: &AnyRow) -> Result<Upload> {
    let state: String = get(row, "state")?;
    let items: String = get(row, "items")?;
    Ok(Upload {
        id: get(row, "id")?,
        collection: get(row, "collection_slug")?,
        version: get(row, "version")?,
        organisation_id: get(row, "organisation_id")?,
        period: get(row, "period")?,
        submission_id: get(row, "submission_id")?,
        table_id: get(row, "table_id")?,
        file_name: get(row, "file_name")?,
        object_key: get(row, "object_key")?,
        size: get(row, "size")?,
        sha256: get(row, "sha256")?,
        state: UploadState::parse(&state)
            .ok_or_else(|| StoreError::Config(format!("an upload has the unknown state “{state}”")))?,
        revision: get(row, "revision")?,
        rows_read: get(row, "rows_read")?,
        error_count: get(row, "error_count")?,
        warning_count: get(row, "warning_count")?,
        stored_count: get(row, "stored_count")?,
        message: get(row, "message")?,
        items: serde_json::from_str(&items).map_err(StoreError::Encode)?,
        annotated_key: get(row, "annotated_key")?,
        confirmed_reason: get(row, "confirmed_reason")?,
        confirmed_by: get(row, "confirmed_by")?,
        same_as: get(row, "same_as")?,
        created_by: get(row, "created_by")?,
        created_by_name: get(row, "created_by_name")?,
        created_at: get(row, "created_at")?,
        started_at: get(row, "started_at")?,
        finished_at: get(row, "finished_at")?,
    })
}

/// A new upload, its file already kept under `object_key`.
#[derive(Clone, Debug)]
pub struct NewUpload<'a> {
    /// Its id (the file's key is made from it before the row exists).
    pub id: &'a str,
    /// The collection's slug.
    pub collection: &'a str,
    /// The definition version to check it against.
    pub version: i64,
    /// The organisation's id.
    pub organisation_id: &'a str,
    /// The period.
    pub period: &'a str,
    /// For a table of a return: the return and the table.
    pub table: Option<(&'a str, &'a str)>,
    /// The file's name.
    pub file_name: &'a str,
    /// Where the file is kept.
    pub object_key: &'a str,
    /// Its size.
    pub size: i64,
    /// Its SHA-256.
    pub sha256: &'a str,
    /// `queued`, or `same_file` with the earlier upload.
    pub state: UploadState,
    /// The earlier upload of the same file.
    pub same_as: Option<&'a str>,
    /// Who.
    pub by: Option<&'a str>,
}

/// Store a new upload.
pub async fn insert(c: &mut AnyConnection, new: &NewUpload<'_>, now: i64) -> Result<()> {
    let (submission, table) = new.table.unzip();
    let finished = (new.state == UploadState::SameFile).then_some(now);
    sqlx::query(
        "INSERT INTO uploads (id, collection_slug, version, organisation_id, period, submission_id, table_id, \
         file_name, object_key, size, sha256, state, revision, rows_read, error_count, warning_count, stored_count, \
         items, same_as, created_by, created_at, finished_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, 1, 0, 0, 0, 0, '[]', $13, $14, $15, $16)",
    )
    .bind(new.id)
    .bind(new.collection)
    .bind(new.version)
    .bind(new.organisation_id)
    .bind(new.period)
    .bind(submission)
    .bind(table)
    .bind(new.file_name)
    .bind(new.object_key)
    .bind(new.size)
    .bind(new.sha256)
    .bind(new.state.as_str())
    .bind(new.same_as)
    .bind(new.by)
    .bind(now)
    .bind(finished)
    .execute(&mut *c)
    .await?;
    Ok(())
}

/// An upload by id.
pub async fn by_id(c: &mut AnyConnection, id: &str) -> Result<Option<Upload>> {
    let row = sqlx::query(select!("WHERE up.id = $1")).bind(id).fetch_optional(&mut *c).await?;
    row.as_ref().map(upload).transpose()
}

/// An earlier upload of the same file (same SHA-256) for the same collection and organisation
/// that was stored or is on its way to being stored, if any.
pub async fn same_file(
    c: &mut AnyConnection,
    collection: &str,
    organisation_id: &str,
    sha256: &str,
    table: Option<(&str, &str)>,
) -> Result<Option<Upload>> {
    let (submission, table) = table.unzip();
    let row = sqlx::query(select!(
        "WHERE up.collection_slug = $1 AND up.organisation_id = $2 AND up.sha256 = $3 \
         AND up.state IN ('queued', 'checking', 'confirm', 'storing', 'stored') \
         AND COALESCE(up.submission_id, '') = COALESCE($4, '') AND COALESCE(up.table_id, '') = COALESCE($5, '') \
         ORDER BY up.created_at LIMIT 1"
    ))
    .bind(collection)
    .bind(organisation_id)
    .bind(sha256)
    .bind(submission)
    .bind(table)
    .fetch_optional(&mut *c)
    .await?;
    row.as_ref().map(upload).transpose()
}

/// Which uploads to list.
#[derive(Clone, Debug, Default)]
pub struct Filter {
    /// Only these organisations; `None` for every one.
    pub organisations: Option<Vec<String>>,
    /// One collection.
    pub collection: Option<String>,
    /// One return's table uploads.
    pub submission: Option<String>,
    /// At most this many.
    pub limit: i64,
}

/// Uploads matching `filter`, newest first.
pub async fn list(c: &mut AnyConnection, filter: &Filter) -> Result<Vec<Upload>> {
    let mut sql = select!("WHERE 1 = 1").to_string();
    let mut values: Vec<String> = Vec::new();
    if let Some(orgs) = &filter.organisations {
        if orgs.is_empty() {
            return Ok(Vec::new());
        }
        let marks: Vec<String> = orgs
            .iter()
            .map(|o| {
                values.push(o.clone());
                format!("${}", values.len())
            })
            .collect();
        sql.push_str(&format!(" AND up.organisation_id IN ({})", marks.join(", ")));
    }
    if let Some(collection) = &filter.collection {
        values.push(collection.clone());
        sql.push_str(&format!(" AND up.collection_slug = ${}", values.len()));
    }
    if let Some(submission) = &filter.submission {
        values.push(submission.clone());
        sql.push_str(&format!(" AND up.submission_id = ${}", values.len()));
    }
    sql.push_str(&format!(" ORDER BY up.created_at DESC, up.id DESC LIMIT ${}", values.len() + 1));
    // Only numbered placeholders are added to the text; every value is bound.
    let mut query = sqlx::query(sqlx::AssertSqlSafe(sql));
    for value in values {
        query = query.bind(value);
    }
    let rows = query.bind(filter.limit.max(1)).fetch_all(&mut *c).await?;
    rows.iter().map(upload).collect()
}

/// Note how far a check has got (rows read, errors so far), while it is being checked.
pub async fn progress(c: &mut AnyConnection, id: &str, rows_read: i64, error_count: i64) -> Result<()> {
    sqlx::query("UPDATE uploads SET rows_read = $1, error_count = $2 WHERE id = $3 AND state = 'checking'")
        .bind(rows_read)
        .bind(error_count)
        .bind(id)
        .execute(&mut *c)
        .await?;
    Ok(())
}

/// What a finished step found.
#[derive(Clone, Debug, Default)]
pub struct Outcome {
    /// Rows read.
    pub rows_read: i64,
    /// Errors found.
    pub error_count: i64,
    /// Warnings found.
    pub warning_count: i64,
    /// Records or rows stored.
    pub stored_count: i64,
    /// Why the file was refused as a whole.
    pub message: Option<String>,
    /// The items kept.
    pub items: Vec<Value>,
    /// The marked-up file.
    pub annotated_key: Option<String>,
}

/// Move upload `id` to `to` from any state it may leave for it, with what the step found
/// (`outcome`, or the counts left as they are when `None`). Returns whether it moved: `false`
/// when another worker got there first or it is in no state to move.
pub async fn advance(
    c: &mut AnyConnection,
    id: &str,
    to: UploadState,
    outcome: Option<&Outcome>,
    now: i64,
) -> Result<bool> {
    let from: Vec<&str> =
        UploadState::ALL.into_iter().filter(|s| s.may_become(to)).map(UploadState::as_str).collect();
    let marks: Vec<String> = (0..from.len()).map(|i| format!("${}", i + 4)).collect();
    let finished = to.is_finished().then_some(now);
    let mut sql = String::from(
        "UPDATE uploads SET state = $1, revision = revision + 1, finished_at = COALESCE($2, finished_at), \
         started_at = COALESCE(started_at, $3)",
    );
    let n = 3 + from.len();
    if outcome.is_some() {
        sql.push_str(&format!(
            ", rows_read = ${}, error_count = ${}, warning_count = ${}, stored_count = ${}, message = ${}, items = ${}, annotated_key = ${}",
            n + 1,
            n + 2,
            n + 3,
            n + 4,
            n + 5,
            n + 6,
            n + 7
        ));
    }
    let id_mark = if outcome.is_some() { n + 8 } else { n + 1 };
    sql.push_str(&format!(" WHERE id = ${id_mark} AND state IN ({})", marks.join(", ")));
    // Only numbered placeholders are added to the text; every value is bound.
    let mut query = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(to.as_str()).bind(finished).bind(now);
    for state in from {
        query = query.bind(state);
    }
    if let Some(o) = outcome {
        let items = serde_json::to_string(&o.items).map_err(StoreError::Encode)?;
        query = query
            .bind(o.rows_read)
            .bind(o.error_count)
            .bind(o.warning_count)
            .bind(o.stored_count)
            .bind(o.message.clone())
            .bind(items)
            .bind(o.annotated_key.clone());
    }
    let done = query.bind(id).execute(&mut *c).await?;
    Ok(done.rows_affected() == 1)
}

/// Note where the file marked up with a failed upload's problems is kept (written after its
/// report, so that the report is ready first).
pub async fn set_annotated(c: &mut AnyConnection, id: &str, key: &str) -> Result<()> {
    sqlx::query("UPDATE uploads SET annotated_key = $1 WHERE id = $2 AND state = 'failed'")
        .bind(key)
        .bind(id)
        .execute(&mut *c)
        .await?;
    Ok(())
}

/// Confirm the warnings of an upload in `confirm` with one reason, putting it back in the queue
/// to be stored. Returns whether it moved.
pub async fn confirm(c: &mut AnyConnection, id: &str, reason: &str, by: Option<&str>) -> Result<bool> {
    let done = sqlx::query(
        "UPDATE uploads SET state = 'queued', revision = revision + 1, confirmed_reason = $1, confirmed_by = $2, \
         finished_at = NULL WHERE id = $3 AND state = 'confirm'",
    )
    .bind(reason)
    .bind(by)
    .bind(id)
    .execute(&mut *c)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Put a failed upload back in the queue to be checked again (an admin's re-run). Returns whether
/// it moved.
pub async fn rerun(c: &mut AnyConnection, id: &str) -> Result<bool> {
    let done = sqlx::query(
        "UPDATE uploads SET state = 'queued', revision = revision + 1, rows_read = 0, error_count = 0, \
         warning_count = 0, message = NULL, items = '[]', annotated_key = NULL, finished_at = NULL WHERE id = $1 AND state = 'failed'",
    )
    .bind(id)
    .execute(&mut *c)
    .await?;
    Ok(done.rows_affected() == 1)
}
