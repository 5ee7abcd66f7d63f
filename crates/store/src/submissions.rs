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
                | (S::AwaitingSignOff, S::ReadyForSignOff)
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

/// A sign-off step given: who, in which role, what they declared, when.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SignOff {
    /// The step, from 0, in the definition's `sign_off` order.
    pub step: usize,
    /// The role it was signed in.
    pub role: String,
    /// The person's id.
    pub by: String,
    /// Their name (or email address) when they signed, as shown on the return.
    pub name: String,
    /// The declaration they confirmed.
    pub declaration: String,
    /// When.
    pub at: i64,
}

/// A reviewer's comment on a section of a return sent back for changes.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReviewComment {
    /// What needs changing.
    pub comment: String,
    /// The reviewer's id.
    pub by: Option<String>,
    /// Their name (or email address).
    pub name: String,
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
    /// Sign-offs given since it last changed, in step order.
    pub sign_offs: Vec<SignOff>,
    /// The reviewer's comments by section, while it is sent back for changes.
    pub review_comments: BTreeMap<String, ReviewComment>,
    /// The reference people quote, once submitted.
    pub reference: Option<String>,
    /// When it was last submitted.
    pub submitted_at: Option<i64>,
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
    let sign_offs: String = get(row, "sign_offs")?;
    let review_comments: String = get(row, "review_comments")?;
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
        sign_offs: serde_json::from_str(&sign_offs).map_err(StoreError::Encode)?,
        review_comments: serde_json::from_str(&review_comments).map_err(StoreError::Encode)?,
        reference: get(row, "reference")?,
        submitted_at: get(row, "submitted_at")?,
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
    /// Any of these states (none: any state).
    pub states: Vec<SubmissionState>,
    /// Changed at or after this time (ms).
    pub updated_since: Option<i64>,
    /// At most this many.
    pub limit: i64,
}

/// The `WHERE` clause of `filter` (after `WHERE 1 = 1`) and its values in order; `None` when it
/// selects nothing. With `states` false the state filters are left out (for counts by state).
fn conditions(filter: &Filter, states: bool) -> Option<(String, Vec<String>)> {
    let mut sql = String::new();
    let mut values: Vec<String> = Vec::new();
    let mark = |values: &mut Vec<String>, value: &str| {
        values.push(value.to_string());
        format!("${}", values.len())
    };
    if let Some(orgs) = &filter.organisations {
        if orgs.is_empty() {
            return None;
        }
        let marks: Vec<String> = orgs.iter().map(|o| mark(&mut values, o)).collect();
        sql.push_str(&format!(" AND s.organisation_id IN ({})", marks.join(", ")));
    }
    if let Some(collection) = &filter.collection {
        sql.push_str(&format!(" AND s.collection_slug = {}", mark(&mut values, collection)));
    }
    if let Some(period) = &filter.period {
        sql.push_str(&format!(" AND s.period = {}", mark(&mut values, period)));
    }
    if states {
        let mut wanted: Vec<SubmissionState> = filter.states.clone();
        wanted.extend(filter.state);
        if !wanted.is_empty() {
            let marks: Vec<String> = wanted.iter().map(|s| mark(&mut values, s.as_str())).collect();
            sql.push_str(&format!(" AND s.state IN ({})", marks.join(", ")));
        }
    }
    Some((sql, values))
}

/// Submissions matching `filter`, most recently changed first.
pub async fn list(c: &mut AnyConnection, filter: &Filter) -> Result<Vec<Submission>> {
    let Some((conditions, values)) = conditions(filter, true) else { return Ok(Vec::new()) };
    let mut sql = format!("{}{conditions}", select!("WHERE 1 = 1"));
    let mut n = values.len();
    if filter.updated_since.is_some() {
        n += 1;
        sql.push_str(&format!(" AND s.updated_at >= ${n}"));
    }
    sql.push_str(&format!(" ORDER BY s.updated_at DESC, s.id LIMIT ${}", n + 1));
    // Only numbered placeholders are added to the text; every value is bound.
    let mut query = sqlx::query(sqlx::AssertSqlSafe(sql));
    for value in values {
        query = query.bind(value);
    }
    if let Some(since) = filter.updated_since {
        query = query.bind(since);
    }
    let rows = query.bind(filter.limit.max(1)).fetch_all(&mut *c).await?;
    rows.iter().map(submission).collect()
}

/// How many submissions `filter` selects in each state, its state filters aside (for the counts
/// beside a list filtered by state).
pub async fn count_by_state(c: &mut AnyConnection, filter: &Filter) -> Result<Vec<(SubmissionState, i64)>> {
    let Some((conditions, values)) = conditions(filter, false) else { return Ok(Vec::new()) };
    let mut sql =
        format!("SELECT s.state AS state, COUNT(*) AS n FROM submissions s WHERE 1 = 1{conditions}");
    let mut n = values.len();
    if filter.updated_since.is_some() {
        n += 1;
        sql.push_str(&format!(" AND s.updated_at >= ${n}"));
    }
    sql.push_str(" GROUP BY s.state");
    let mut query = sqlx::query(sqlx::AssertSqlSafe(sql));
    for value in values {
        query = query.bind(value);
    }
    if let Some(since) = filter.updated_since {
        query = query.bind(since);
    }
    let rows = query.fetch_all(&mut *c).await?;
    let mut counts = Vec::new();
    for row in &rows {
        let state: String = get(row, "state")?;
        if let Some(state) = SubmissionState::parse(&state) {
            counts.push((state, get(row, "n")?));
        }
    }
    counts.sort_by_key(|(state, _)| SubmissionState::ALL.iter().position(|s| s == state));
    Ok(counts)
}

/// A change to a submission's answers and progress, made from revision `expected`.
#[derive(Clone, Debug)]
pub struct Save<'a> {
    /// The revision the change was made from.
    pub expected: i64,
    /// The definition version it follows now (a move to a newer version changes it).
    pub version: i64,
    /// The answers now.
    pub answers: &'a Map<String, Value>,
    /// Sections marked complete now.
    pub completed_sections: &'a [String],
    /// Warnings confirmed now.
    pub confirmations: &'a BTreeMap<String, Confirmation>,
    /// Sign-offs now (a change to answers clears them).
    pub sign_offs: &'a [SignOff],
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
    let sign_offs = serde_json::to_string(save.sign_offs).map_err(StoreError::Encode)?;
    let done = sqlx::query(
        "UPDATE submissions SET answers = $1, completed_sections = $2, confirmations = $3, state = $4, \
         revision = revision + 1, updated_by = $5, updated_at = $6, version = $9, sign_offs = $10 \
         WHERE id = $7 AND revision = $8",
    )
    .bind(answers)
    .bind(completed)
    .bind(confirmations)
    .bind(save.state.as_str())
    .bind(save.by)
    .bind(now)
    .bind(id)
    .bind(save.expected)
    .bind(save.version)
    .bind(sign_offs)
    .execute(&mut *c)
    .await?
    .rows_affected();
    if done == 1 {
        Ok(save.expected + 1)
    } else {
        Err(StoreError::conflict("Somebody else changed this return after you opened it"))
    }
}

/// A move of a submission along its lifecycle, made from revision `expected` in state `from`.
#[derive(Clone, Debug)]
pub struct Transition<'a> {
    /// The revision it was made from.
    pub expected: i64,
    /// The state it was in.
    pub from: SubmissionState,
    /// The state it moves to.
    pub to: SubmissionState,
    /// Sign-offs after the move.
    pub sign_offs: &'a [SignOff],
    /// Reviewer's comments after the move.
    pub review_comments: &'a BTreeMap<String, ReviewComment>,
    /// The reference, set when `Some` (kept otherwise).
    pub reference: Option<&'a str>,
    /// When it was submitted, set when `Some` (kept otherwise).
    pub submitted_at: Option<i64>,
    /// Who.
    pub by: Option<&'a str>,
}

/// Move a submission as `t` says, giving the new revision; a conflict when it has moved or changed
/// since, or when the lifecycle does not allow the move. One conditional update.
pub async fn transition(c: &mut AnyConnection, id: &str, t: &Transition<'_>, now: i64) -> Result<i64> {
    if !t.from.may_become(t.to) {
        return Err(StoreError::conflict(format!(
            "A return that is {} cannot become {}",
            t.from.label().to_lowercase(),
            t.to.label().to_lowercase()
        )));
    }
    let sign_offs = serde_json::to_string(t.sign_offs).map_err(StoreError::Encode)?;
    let comments = serde_json::to_string(t.review_comments).map_err(StoreError::Encode)?;
    let done = sqlx::query(
        "UPDATE submissions SET state = $1, revision = revision + 1, updated_by = $2, updated_at = $3, \
         sign_offs = $7, review_comments = $8, reference = COALESCE($9, reference), \
         submitted_at = COALESCE($10, submitted_at) \
         WHERE id = $4 AND revision = $5 AND state = $6",
    )
    .bind(t.to.as_str())
    .bind(t.by)
    .bind(now)
    .bind(id)
    .bind(t.expected)
    .bind(t.from.as_str())
    .bind(sign_offs)
    .bind(comments)
    .bind(t.reference)
    .bind(t.submitted_at)
    .execute(&mut *c)
    .await?
    .rows_affected();
    if done == 1 {
        Ok(t.expected + 1)
    } else {
        Err(StoreError::conflict("Somebody else changed this return after you opened it"))
    }
}

/// True when a submission already has `reference`.
pub async fn reference_taken(c: &mut AnyConnection, reference: &str) -> Result<bool> {
    Ok(sqlx::query("SELECT 1 AS one FROM submissions WHERE reference = $1")
        .bind(reference)
        .fetch_optional(&mut *c)
        .await?
        .is_some())
}

/// Claim the reminder `kind` (`14d`, `overdue`…) of a collection's period for an organisation:
/// true for exactly one caller, ever, however many ask at once.
pub async fn claim_reminder(
    c: &mut AnyConnection,
    collection: &str,
    organisation_id: &str,
    period: &str,
    kind: &str,
    now: i64,
) -> Result<bool> {
    Ok(sqlx::query(
        "INSERT INTO reminders_sent (collection_slug, organisation_id, period, kind, sent_at) VALUES ($1, $2, $3, $4, $5) \
         ON CONFLICT (collection_slug, organisation_id, period, kind) DO NOTHING",
    )
    .bind(collection)
    .bind(organisation_id)
    .bind(period)
    .bind(kind)
    .bind(now)
    .execute(&mut *c)
    .await?
    .rows_affected()
        == 1)
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
