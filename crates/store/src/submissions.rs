//! Submissions of returns, their attached files, and remembered answers to repeated POSTs.
//!
//! A submission's answers are one JSON document (normalised by the engine before it gets here).
//! Its state and answers change only through [`save`] and [`transition`], conditional updates on
//! the revision: of two changes made from the same revision exactly one is stored, and the other
//! is a [`StoreError::Conflict`].

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use sqlx::AnyConnection;
use sqlx::any::AnyRow;

use crate::{Result, StoreError, get, new_id};

/// Where a submission is in its life (DESIGN §5). A period with no submission yet is
/// `not_started` on the dashboard; a stored submission starts `in_progress`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SubmissionState {
    /// Nobody has started it.
    NotStarted,
    /// Being filled in.
    InProgress,
    /// Every section complete and every warning confirmed.
    ReadyForSignOff,
    /// Waiting for a sign-off step.
    AwaitingSignOff,
    /// Sent to the public body.
    Submitted,
    /// Returned by a reviewer with comments.
    ChangesRequested,
    /// Accepted by a reviewer.
    Accepted,
}

impl SubmissionState {
    /// Every state, in lifecycle order.
    pub const ALL: [SubmissionState; 7] = [
        SubmissionState::NotStarted,
        SubmissionState::InProgress,
        SubmissionState::ReadyForSignOff,
        SubmissionState::AwaitingSignOff,
        SubmissionState::Submitted,
        SubmissionState::ChangesRequested,
        SubmissionState::Accepted,
    ];

    /// As stored and sent.
    pub fn as_str(self) -> &'static str {
        match self {
            SubmissionState::NotStarted => "not_started",
            SubmissionState::InProgress => "in_progress",
            SubmissionState::ReadyForSignOff => "ready_for_sign_off",
            SubmissionState::AwaitingSignOff => "awaiting_sign_off",
            SubmissionState::Submitted => "submitted",
            SubmissionState::ChangesRequested => "changes_requested",
            SubmissionState::Accepted => "accepted",
        }
    }

    /// The state named `text`.
    pub fn parse(text: &str) -> Option<SubmissionState> {
        SubmissionState::ALL.into_iter().find(|s| s.as_str() == text)
    }

    /// How pages show it.
    pub fn label(self) -> &'static str {
        match self {
            SubmissionState::NotStarted => "Not started",
            SubmissionState::InProgress => "In progress",
            SubmissionState::ReadyForSignOff => "Ready for sign-off",
            SubmissionState::AwaitingSignOff => "Awaiting sign-off",
            SubmissionState::Submitted => "Submitted",
            SubmissionState::ChangesRequested => "Changes requested",
            SubmissionState::Accepted => "Accepted",
        }
    }

    /// True while the organisation may change its answers.
    pub fn is_editable(self) -> bool {
        matches!(
            self,
            SubmissionState::InProgress
                | SubmissionState::ReadyForSignOff
                | SubmissionState::AwaitingSignOff
                | SubmissionState::ChangesRequested
        )
    }

    /// The moves the lifecycle allows, defined once.
    pub fn may_become(self, to: SubmissionState) -> bool {
        use SubmissionState as S;
        matches!(
            (self, to),
            (S::NotStarted, S::InProgress)
                | (S::InProgress | S::ChangesRequested, S::ReadyForSignOff)
                | (S::ReadyForSignOff | S::AwaitingSignOff | S::ChangesRequested, S::InProgress)
                | (S::ReadyForSignOff | S::AwaitingSignOff, S::AwaitingSignOff)
                | (S::ReadyForSignOff | S::AwaitingSignOff, S::Submitted)
                | (S::Submitted, S::ChangesRequested | S::Accepted)
                | (S::Accepted, S::InProgress)
        )
    }
}

/// A warning someone confirmed, with their reason.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Confirmation {
    /// Why the answer is right despite the warning.
    pub reason: String,
    /// Who confirmed it.
    pub by: Option<String>,
    /// When.
    pub at: i64,
}

/// A submission of a return.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Submission {
    /// Its id.
    pub id: String,
    /// The collection's slug.
    pub collection: String,
    /// The definition version it follows.
    pub version: i64,
    /// The organisation making it.
    pub organisation_id: String,
    /// The period's key, e.g. `2026-Q2`.
    pub period: String,
    /// Where it is in its life.
    pub state: SubmissionState,
    /// Goes up by one with every change.
    pub revision: i64,
    /// The answers, normalised by the engine.
    pub answers: Map<String, Value>,
    /// Sections marked complete.
    pub completed_sections: Vec<String>,
    /// Warnings confirmed, by key.
    pub confirmations: BTreeMap<String, Confirmation>,
    /// Who started it.
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

/// A submission query: every column and the name of who changed it last, then `$rest`.
macro_rules! select {
    ($rest:literal) => {
        concat!(
            "SELECT s.*, COALESCE(u.name, u.email) AS updated_by_name FROM submissions s LEFT JOIN users u ON u.id = s.updated_by ",
            $rest
        )
    };
}

fn submission(row: &AnyRow) -> Result<Submission> {
    let state: String = get(row, "state")?;
    let answers: String = get(row, "answers")?;
    let completed: String = get(row, "completed_sections")?;
    let confirmations: String = get(row, "confirmations")?;
    Ok(Submission {
        id: get(row, "id")?,
        collection: get(row, "collection_slug")?,
        version: get(row, "version")?,
        organisation_id: get(row, "organisation_id")?,
        period: get(row, "period")?,
        state: SubmissionState::parse(&state)
            .ok_or_else(|| StoreError::Config(format!("a submission has the unknown state “{state}”")))?,
        revision: get(row, "revision")?,
        answers: serde_json::from_str(&answers).map_err(StoreError::Encode)?,
        completed_sections: serde_json::from_str(&completed).map_err(StoreError::Encode)?,
        confirmations: serde_json::from_str(&confirmations).map_err(StoreError::Encode)?,
        created_by: get(row, "created_by")?,
        created_at: get(row, "created_at")?,
        updated_by: get(row, "updated_by")?,
        updated_by_name: get(row, "updated_by_name")?,
        updated_at: get(row, "updated_at")?,
    })
}

/// What starts a submission.
#[derive(Clone, Debug)]
pub struct NewSubmission<'a> {
    /// The collection's slug.
    pub collection: &'a str,
    /// The definition version it follows.
    pub version: i64,
    /// The organisation's id.
    pub organisation_id: &'a str,
    /// The period's key.
    pub period: &'a str,
    /// Who starts it.
    pub by: Option<&'a str>,
}

/// Start a submission, or find the one already started for the same collection, organisation and
/// period: a second start, or two at once, give the same submission. The flag is true when this
/// call made it.
pub async fn start(c: &mut AnyConnection, new: &NewSubmission<'_>, now: i64) -> Result<(Submission, bool)> {
    let id = new_id();
    let made = sqlx::query(
        "INSERT INTO submissions (id, collection_slug, version, organisation_id, period, state, revision, answers, completed_sections, confirmations, created_by, created_at, updated_by, updated_at) \
         VALUES ($1, $2, $3, $4, $5, 'in_progress', 1, '{}', '[]', '{}', $6, $7, $6, $7) \
         ON CONFLICT (collection_slug, organisation_id, period) DO NOTHING",
    )
    .bind(&id)
    .bind(new.collection)
    .bind(new.version)
    .bind(new.organisation_id)
    .bind(new.period)
    .bind(new.by)
    .bind(now)
    .execute(&mut *c)
    .await?
    .rows_affected()
        == 1;
    let row =
        sqlx::query(select!("WHERE s.collection_slug = $1 AND s.organisation_id = $2 AND s.period = $3"))
            .bind(new.collection)
            .bind(new.organisation_id)
            .bind(new.period)
            .fetch_one(&mut *c)
            .await?;
    Ok((submission(&row)?, made))
}

/// A submission by id.
pub async fn by_id(c: &mut AnyConnection, id: &str) -> Result<Option<Submission>> {
    let row = sqlx::query(select!("WHERE s.id = $1")).bind(id).fetch_optional(&mut *c).await?;
    row.as_ref().map(submission).transpose()
}

/// Which submissions to list; every filter is optional.
#[derive(Clone, Debug, Default)]
pub struct Filter {
    /// Only these organisations (ids); `None` for every organisation.
    pub organisations: Option<Vec<String>>,
    /// One collection (slug).
    pub collection: Option<String>,
    /// One period key.
    pub period: Option<String>,
    /// One state.
    pub state: Option<SubmissionState>,
    /// Changed at or after this time (ms).
    pub updated_since: Option<i64>,
    /// At most this many.
    pub limit: i64,
}

/// Submissions matching `filter`, most recently changed first.
pub async fn list(c: &mut AnyConnection, filter: &Filter) -> Result<Vec<Submission>> {
    let mut sql = String::from(select!("WHERE 1 = 1"));
    let mut n = 0;
    let mut next = || {
        n += 1;
        format!("${n}")
    };
    let orgs = filter.organisations.as_deref().unwrap_or_default();
    if filter.organisations.is_some() {
        if orgs.is_empty() {
            return Ok(Vec::new());
        }
        let marks: Vec<String> = orgs.iter().map(|_| next()).collect();
        sql.push_str(&format!(" AND s.organisation_id IN ({})", marks.join(", ")));
    }
    if filter.collection.is_some() {
        sql.push_str(&format!(" AND s.collection_slug = {}", next()));
    }
    if filter.period.is_some() {
        sql.push_str(&format!(" AND s.period = {}", next()));
    }
    if filter.state.is_some() {
        sql.push_str(&format!(" AND s.state = {}", next()));
    }
    if filter.updated_since.is_some() {
        sql.push_str(&format!(" AND s.updated_at >= {}", next()));
    }
    sql.push_str(&format!(" ORDER BY s.updated_at DESC, s.id LIMIT {}", next()));
    // Only numbered placeholders are added to the text; every value is bound.
    let mut query = sqlx::query(sqlx::AssertSqlSafe(sql));
    for org in orgs {
        query = query.bind(org);
    }
    if let Some(collection) = &filter.collection {
        query = query.bind(collection);
    }
    if let Some(period) = &filter.period {
        query = query.bind(period);
    }
    if let Some(state) = filter.state {
        query = query.bind(state.as_str());
    }
    if let Some(since) = filter.updated_since {
        query = query.bind(since);
    }
    let rows = query.bind(filter.limit.max(1)).fetch_all(&mut *c).await?;
    rows.iter().map(submission).collect()
}

/// A change to a submission's answers and progress, made from revision `expected`.
#[derive(Clone, Debug)]
pub struct Save<'a> {
    /// The revision the change was made from.
    pub expected: i64,
    /// The answers now.
    pub answers: &'a Map<String, Value>,
    /// Sections marked complete now.
    pub completed_sections: &'a [String],
    /// Warnings confirmed now.
    pub confirmations: &'a BTreeMap<String, Confirmation>,
    /// The state now.
    pub state: SubmissionState,
    /// Who.
    pub by: Option<&'a str>,
}

/// Store a change made from revision `save.expected`, giving the new revision. When somebody else
/// changed the submission since, nothing is stored and the answer is a conflict.
pub async fn save(c: &mut AnyConnection, id: &str, save: &Save<'_>, now: i64) -> Result<i64> {
    let answers = serde_json::to_string(save.answers).map_err(StoreError::Encode)?;
    let completed = serde_json::to_string(save.completed_sections).map_err(StoreError::Encode)?;
    let confirmations = serde_json::to_string(save.confirmations).map_err(StoreError::Encode)?;
    let done = sqlx::query(
        "UPDATE submissions SET answers = $1, completed_sections = $2, confirmations = $3, state = $4, \
         revision = revision + 1, updated_by = $5, updated_at = $6 WHERE id = $7 AND revision = $8",
    )
    .bind(answers)
    .bind(completed)
    .bind(confirmations)
    .bind(save.state.as_str())
    .bind(save.by)
    .bind(now)
    .bind(id)
    .bind(save.expected)
    .execute(&mut *c)
    .await?
    .rows_affected();
    if done == 1 {
        Ok(save.expected + 1)
    } else {
        Err(StoreError::conflict("Somebody else changed this return after you opened it"))
    }
}

/// Move a submission from state `from` at revision `expected` to state `to`, giving the new
/// revision; a conflict when it has moved or changed since, or when the lifecycle does not allow
/// the move.
pub async fn transition(
    c: &mut AnyConnection,
    id: &str,
    expected: i64,
    from: SubmissionState,
    to: SubmissionState,
    by: Option<&str>,
    now: i64,
) -> Result<i64> {
    if !from.may_become(to) {
        return Err(StoreError::conflict(format!(
            "A return that is {} cannot become {}",
            from.label().to_lowercase(),
            to.label().to_lowercase()
        )));
    }
    let done = sqlx::query(
        "UPDATE submissions SET state = $1, revision = revision + 1, updated_by = $2, updated_at = $3 \
         WHERE id = $4 AND revision = $5 AND state = $6",
    )
    .bind(to.as_str())
    .bind(by)
    .bind(now)
    .bind(id)
    .bind(expected)
    .bind(from.as_str())
    .execute(&mut *c)
    .await?
    .rows_affected();
    if done == 1 {
        Ok(expected + 1)
    } else {
        Err(StoreError::conflict("Somebody else changed this return after you opened it"))
    }
}

/// A file attached to a submission.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Attachment {
    /// Its id.
    pub id: String,
    /// The submission.
    pub submission_id: String,
    /// The `file` question it answers.
    pub question: String,
    /// Where the bytes are in object storage.
    pub object_key: String,
    /// SHA-256 of the bytes, hex.
    pub sha256: String,
    /// Bytes.
    pub size: i64,
    /// The media type found from its content.
    pub media_type: String,
    /// The file's name as uploaded.
    pub file_name: String,
    /// Who uploaded it.
    pub uploaded_by: Option<String>,
    /// When.
    pub uploaded_at: i64,
    /// When it was replaced or removed.
    pub removed_at: Option<i64>,
}

fn attachment(row: &AnyRow) -> Result<Attachment> {
    Ok(Attachment {
        id: get(row, "id")?,
        submission_id: get(row, "submission_id")?,
        question: get(row, "question")?,
        object_key: get(row, "object_key")?,
        sha256: get(row, "sha256")?,
        size: get(row, "size")?,
        media_type: get(row, "media_type")?,
        file_name: get(row, "file_name")?,
        uploaded_by: get(row, "uploaded_by")?,
        uploaded_at: get(row, "uploaded_at")?,
        removed_at: get(row, "removed_at")?,
    })
}

/// Record a stored file as attached (its `id` chosen by the caller, who named the object after
/// it), marking any file it replaces on the same question as removed.
pub async fn attach(c: &mut AnyConnection, a: &Attachment) -> Result<()> {
    sqlx::query(
        "UPDATE attachments SET removed_at = $1 WHERE submission_id = $2 AND question = $3 AND removed_at IS NULL",
    )
    .bind(a.uploaded_at)
    .bind(&a.submission_id)
    .bind(&a.question)
    .execute(&mut *c)
    .await?;
    sqlx::query(
        "INSERT INTO attachments (id, submission_id, question, object_key, sha256, size, media_type, file_name, uploaded_by, uploaded_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
    )
    .bind(&a.id)
    .bind(&a.submission_id)
    .bind(&a.question)
    .bind(&a.object_key)
    .bind(&a.sha256)
    .bind(a.size)
    .bind(&a.media_type)
    .bind(&a.file_name)
    .bind(&a.uploaded_by)
    .bind(a.uploaded_at)
    .execute(&mut *c)
    .await?;
    Ok(())
}

/// Mark the file on `question` removed.
pub async fn detach(c: &mut AnyConnection, submission_id: &str, question: &str, now: i64) -> Result<u64> {
    Ok(sqlx::query(
        "UPDATE attachments SET removed_at = $1 WHERE submission_id = $2 AND question = $3 AND removed_at IS NULL",
    )
    .bind(now)
    .bind(submission_id)
    .bind(question)
    .execute(&mut *c)
    .await?
    .rows_affected())
}

/// An attachment by id, within its submission (removed ones too: history links to them).
pub async fn attachment_by_id(
    c: &mut AnyConnection,
    submission_id: &str,
    id: &str,
) -> Result<Option<Attachment>> {
    let row = sqlx::query("SELECT * FROM attachments WHERE id = $1 AND submission_id = $2")
        .bind(id)
        .bind(submission_id)
        .fetch_optional(&mut *c)
        .await?;
    row.as_ref().map(attachment).transpose()
}

/// The files attached to a submission now, by question.
pub async fn attachments(c: &mut AnyConnection, submission_id: &str) -> Result<Vec<Attachment>> {
    let rows = sqlx::query(
        "SELECT * FROM attachments WHERE submission_id = $1 AND removed_at IS NULL ORDER BY question, uploaded_at",
    )
    .bind(submission_id)
    .fetch_all(&mut *c)
    .await?;
    rows.iter().map(attachment).collect()
}

/// A remembered answer to a POST sent with an `Idempotency-Key`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Remembered {
    /// What the request was (method, path and a hash of its body): the same key with another
    /// request is refused.
    pub fingerprint: String,
    /// The status sent.
    pub status: i64,
    /// The body sent.
    pub body: String,
}

/// The answer remembered for `actor`'s `key`, if any.
pub async fn remembered(c: &mut AnyConnection, actor: &str, key: &str) -> Result<Option<Remembered>> {
    let row = sqlx::query(
        "SELECT fingerprint, status, body FROM idempotency_keys WHERE actor = $1 AND idem_key = $2",
    )
    .bind(actor)
    .bind(key)
    .fetch_optional(&mut *c)
    .await?;
    row.map(|row| {
        Ok(Remembered {
            fingerprint: get(&row, "fingerprint")?,
            status: get(&row, "status")?,
            body: get(&row, "body")?,
        })
    })
    .transpose()
}

/// Remember the answer to `actor`'s `key`; the first one stored stays.
pub async fn remember(
    c: &mut AnyConnection,
    actor: &str,
    key: &str,
    answer: &Remembered,
    now: i64,
) -> Result<()> {
    sqlx::query(
        "INSERT INTO idempotency_keys (actor, idem_key, fingerprint, status, body, created_at) VALUES ($1, $2, $3, $4, $5, $6) \
         ON CONFLICT (actor, idem_key) DO NOTHING",
    )
    .bind(actor)
    .bind(key)
    .bind(&answer.fingerprint)
    .bind(answer.status)
    .bind(&answer.body)
    .bind(now)
    .execute(&mut *c)
    .await?;
    Ok(())
}
