//! `/api/v1/submissions`: returns through the API — start one, read it with its validation, change
//! answers of a section or of the whole return (`PATCH` with `If-Match`), attach files, upload a
//! table from a spreadsheet, confirm warnings, read the history. The same operations as the pages,
//! with the same messages.
//!
//! A return's revision is its `ETag`; a `PATCH` must send it back in `If-Match`, and a change made
//! from an older revision is refused with 412 and what the others changed. `POST`s may carry an
//! `Idempotency-Key`: the same key from the same person with the same request gets the first
//! answer again.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use axum::Json;
use axum::body::{Body, Bytes};
use axum::extract::multipart::Field;
use axum::extract::{FromRequest, Multipart, Path, Query, Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use formwork_definition::validate::Item;
use formwork_service::submissions::{
    self, Attachment, Edit, Filter, HistoryEntry, SubmissionState, SubmissionView, Upload,
};
use formwork_service::table_uploads::{self, TableUpload, TableUploadOutcome};
use formwork_service::{Problem, ServiceError, idempotency, lifecycle, organisations};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};
use sha2::{Digest, Sha256};
use utoipa::ToSchema;

use crate::AppState;
use crate::api::types::{ErrorBody, iso};
use crate::api::{Api, ApiJson};
use crate::disposition::content_disposition;
use crate::error::{AppError, no_content};
use crate::forms::watch_limit;

/// One validation item (DESIGN §4).
#[derive(Serialize, ToSchema)]
pub(crate) struct ItemBody {
    /// `error` or `warning`.
    pub severity: String,
    /// `required`, `type`, `min`, `max`, `length`, `pattern`, `choice`, `rule`, `unique`, `rows`,
    /// `missing_column`, `unknown_column`, `template`, `file`…
    pub code: String,
    pub message: String,
    /// `question`, or `table/INDEX/column` (index from 0).
    pub path: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub section: Option<String>,
    /// The row in an uploaded file, from 1.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub row: Option<u64>,
    /// The column header as written in an uploaded file.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub column: Option<String>,
    /// The cell, e.g. `C5` (workbooks only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cell: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sheet: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rule: Option<String>,
}

impl From<&Item> for ItemBody {
    fn from(i: &Item) -> ItemBody {
        ItemBody {
            severity: i.severity.text(),
            code: i.code.as_str().to_string(),
            message: i.message.clone(),
            path: i.path.clone(),
            section: i.section.clone(),
            row: i.row,
            column: i.column.clone(),
            cell: i.cell.clone(),
            sheet: i.sheet.clone(),
            rule: i.rule.clone(),
        }
    }
}

/// A value's serde name (`"error"`, `"in_progress"`).
pub(super) trait SerdeName {
    fn text(&self) -> String;
}

impl<T: Serialize> SerdeName for T {
    fn text(&self) -> String {
        serde_json::to_value(self).ok().and_then(|v| v.as_str().map(str::to_string)).unwrap_or_default()
    }
}

/// A section of a return (or a record) and where it is.
#[derive(Serialize, ToSchema)]
pub(crate) struct SectionStatus {
    pub id: String,
    pub title: String,
    /// `not_needed`, `not_started`, `in_progress` or `completed`.
    pub status: String,
    /// May the caller change it?
    pub editable: bool,
    /// Marked complete (a return's "Have you completed this section?"; a record's, never).
    pub marked_complete: bool,
    pub errors: usize,
    pub unconfirmed_warnings: usize,
}

/// A warning, with its confirmation once given.
#[derive(Serialize, ToSchema)]
pub(crate) struct WarningBody {
    /// Send this to `POST …/warnings` (of the return or record) to confirm it.
    pub key: String,
    pub item: ItemBody,
    pub confirmation: Option<ConfirmationBody>,
}

/// Why someone confirmed a warning.
#[derive(Serialize, ToSchema)]
pub(crate) struct ConfirmationBody {
    pub reason: String,
    pub at: String,
}

/// A file attached to a return.
#[derive(Serialize, ToSchema)]
pub(crate) struct AttachmentBody {
    pub id: String,
    /// The `file` question it answers.
    pub question: String,
    pub file_name: String,
    pub size: i64,
    /// Found from the content.
    pub media_type: String,
    /// SHA-256 of the bytes, hex.
    pub sha256: String,
    pub uploaded_at: String,
    /// Where to download it.
    pub download: String,
}

fn attachment_body(a: &Attachment) -> AttachmentBody {
    AttachmentBody {
        id: a.id.clone(),
        question: a.question.clone(),
        file_name: a.file_name.clone(),
        size: a.size,
        media_type: a.media_type.clone(),
        sha256: a.sha256.clone(),
        uploaded_at: iso(a.uploaded_at),
        download: format!("/api/v1/submissions/{}/attachments/{}", a.submission_id, a.id),
    }
}

/// A return: its answers, state, revision, per-section progress and validation.
#[derive(Serialize, ToSchema)]
pub(crate) struct SubmissionBody {
    pub id: String,
    /// The collection's slug.
    pub collection: String,
    /// The definition version it follows.
    pub version: i64,
    /// The organisation's slug.
    pub organisation: String,
    /// The period's key.
    pub period: String,
    pub period_label: String,
    /// `in_progress`, `ready_for_sign_off`, `submitted`…
    pub state: String,
    /// Goes up with every change; also the `ETag`.
    pub revision: i64,
    /// Answers by question id; a table's rows as a list of objects by column id. Numbers are exact
    /// decimal strings, dates `YYYY-MM-DD`.
    #[schema(value_type = Object)]
    pub answers: Map<String, Value>,
    pub sections: Vec<SectionStatus>,
    pub errors: Vec<ItemBody>,
    pub warnings: Vec<WarningBody>,
    pub attachments: Vec<AttachmentBody>,
    pub created_at: String,
    pub updated_at: String,
    /// Who changed it last (name or email address).
    pub updated_by: Option<String>,
    /// The sign-off steps given so far, in order (cleared by any change to an answer).
    pub sign_offs: Vec<SignOffBody>,
    /// The reference people quote, from its first submission.
    pub reference: Option<String>,
    /// When it was last submitted.
    pub submitted_at: Option<String>,
    /// The reviewer's comments by section id, when it was sent back for changes.
    pub review_comments: BTreeMap<String, ReviewCommentBody>,
    /// What the caller may do next with it.
    pub actions: ActionsBody,
    /// Why a section asked to be marked complete was not.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub not_completed: Option<String>,
}

impl From<&SubmissionView> for SubmissionBody {
    fn from(v: &SubmissionView) -> SubmissionBody {
        let s = &v.submission;
        SubmissionBody {
            id: s.id.clone(),
            collection: s.collection.clone(),
            version: s.version,
            organisation: v.organisation.slug.clone(),
            period: s.period.clone(),
            period_label: v.period.label.clone(),
            state: s.state.text(),
            revision: s.revision,
            answers: s.answers.clone(),
            sections: v
                .sections
                .iter()
                .map(|x| SectionStatus {
                    id: x.id.clone(),
                    title: x.title.clone(),
                    status: x.status.text(),
                    editable: x.editable,
                    marked_complete: x.marked_complete,
                    errors: x.errors,
                    unconfirmed_warnings: x.unconfirmed_warnings,
                })
                .collect(),
            errors: v.errors.iter().map(ItemBody::from).collect(),
            warnings: v
                .warnings
                .iter()
                .map(|w| WarningBody {
                    key: w.key.clone(),
                    item: ItemBody::from(&w.item),
                    confirmation: w
                        .confirmation
                        .as_ref()
                        .map(|c| ConfirmationBody { reason: c.reason.clone(), at: iso(c.at) }),
                })
                .collect(),
            attachments: v.attachments.iter().map(attachment_body).collect(),
            created_at: iso(s.created_at),
            updated_at: iso(s.updated_at),
            updated_by: s.updated_by_name.clone(),
            sign_offs: s
                .sign_offs
                .iter()
                .map(|x| SignOffBody {
                    step: x.step,
                    role: x.role.clone(),
                    name: x.name.clone(),
                    declaration: x.declaration.clone(),
                    at: iso(x.at),
                })
                .collect(),
            reference: s.reference.clone(),
            submitted_at: s.submitted_at.map(iso),
            review_comments: s
                .review_comments
                .iter()
                .map(|(section, c)| {
                    (
                        section.clone(),
                        ReviewCommentBody { comment: c.comment.clone(), name: c.name.clone(), at: iso(c.at) },
                    )
                })
                .collect(),
            actions: ActionsBody::default(),
            not_completed: None,
        }
    }
}

/// A sign-off step given.
#[derive(Serialize, ToSchema)]
pub(crate) struct SignOffBody {
    /// The step, from 0, in the definition's `sign_off` order.
    pub step: usize,
    /// The role it was signed in.
    pub role: String,
    /// Who signed it (name or email address).
    pub name: String,
    /// The declaration they confirmed.
    pub declaration: String,
    pub at: String,
}

/// A reviewer's comment on a section.
#[derive(Serialize, ToSchema)]
pub(crate) struct ReviewCommentBody {
    /// What needs changing.
    pub comment: String,
    /// The reviewer (name or email address).
    pub name: String,
    pub at: String,
}

/// What the caller may do next with a return: exactly what the pages offer them.
#[derive(Default, Serialize, ToSchema)]
pub(crate) struct ActionsBody {
    /// The sign-off step (from 0) they may sign now: `POST …/sign-off`.
    pub sign_off: Option<usize>,
    /// Why the next step is not theirs to sign, when one is waiting.
    pub sign_off_blocked: Option<String>,
    /// They may submit it (a collection without sign-off steps): `POST …/submit`.
    pub submit: bool,
    /// They may send it back for changes or accept it: `POST …/return`, `POST …/accept`.
    pub review: bool,
    /// They may reopen it: `POST …/reopen`.
    pub reopen: bool,
    /// The newer version of its form they may move it to: `POST …/move`.
    pub move_to: Option<i64>,
}

/// The body of a return as `actor` sees it, with what they may do next.
pub(super) async fn submission_body(
    state: &AppState,
    actor: &formwork_service::Actor,
    view: &SubmissionView,
) -> Result<SubmissionBody, AppError> {
    let actions = lifecycle::actions(state, actor, view).await?;
    let mut body = SubmissionBody::from(view);
    body.actions = ActionsBody {
        sign_off: actions.sign_off,
        sign_off_blocked: actions.sign_off_blocked,
        submit: actions.submit,
        review: actions.review,
        reopen: actions.reopen,
        move_to: actions.move_to,
    };
    Ok(body)
}

/// A return in a list.
#[derive(Serialize, ToSchema)]
pub(crate) struct SubmissionSummary {
    pub id: String,
    pub collection: String,
    pub organisation: String,
    pub period: String,
    pub state: String,
    pub revision: i64,
    pub updated_at: String,
    pub updated_by: Option<String>,
}

/// Start the return of an organisation for a period.
#[derive(Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct NewSubmission {
    /// The collection's slug.
    pub collection: String,
    /// The organisation's slug.
    pub organisation: String,
    /// The period's key, e.g. `2026-04-01`.
    pub period: String,
}

/// Answers to change: of one section (`section`, optionally `complete`), or of any sections the
/// caller edits. A key sent replaces that answer; `null` clears it.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct AnswersChange {
    pub section: Option<String>,
    #[schema(value_type = Object)]
    pub answers: Map<String, Value>,
    /// Mark the section complete (or not); only with `section`.
    pub complete: Option<bool>,
}

/// Confirm a warning with a reason.
#[derive(Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct WarningConfirmation {
    /// The warning's `key`.
    pub key: String,
    /// Why the answer is right.
    pub reason: String,
}

/// The report of a table uploaded from a spreadsheet or CSV file.
#[derive(Serialize, ToSchema)]
pub(crate) struct TableUploadBody {
    pub table: String,
    /// True when the rows replaced the table's.
    pub clean: bool,
    /// Rows read from the file.
    pub rows: usize,
    /// Rows the table had before (0 when nothing was replaced).
    pub rows_replaced: usize,
    pub error_count: usize,
    pub warning_count: usize,
    /// The cell-level items.
    pub items: Vec<ItemBody>,
    /// The file with its problems marked, to download.
    pub annotated_workbook: Option<String>,
    /// The return's revision after a clean upload.
    pub revision: Option<i64>,
}

/// The report of an upload with errors: the error body with the items as its details.
#[derive(Serialize, ToSchema)]
pub(crate) struct TableUploadRefused {
    pub error: crate::api::types::ErrorDetail,
    pub report: TableUploadBody,
}

/// One entry of a return's history.
#[derive(Serialize, ToSchema)]
pub(crate) struct HistoryBody {
    pub at: String,
    pub by: Option<String>,
    /// What happened, in words.
    pub summary: String,
    /// Field changes: `{field, label, old, new}`.
    pub changes: Vec<Value>,
}

impl From<HistoryEntry> for HistoryBody {
    fn from(h: HistoryEntry) -> HistoryBody {
        HistoryBody {
            at: iso(h.at),
            by: h.by,
            summary: h.summary,
            changes: h.changes.iter().map(|c| serde_json::to_value(c).unwrap_or_default()).collect(),
        }
    }
}

/// Filters for the list.
#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub(crate) struct ListQuery {
    /// A collection's slug.
    collection: Option<String>,
    /// An organisation's slug.
    organisation: Option<String>,
    /// A period's key.
    period: Option<String>,
    /// A state, e.g. `in_progress`, or several separated by commas: `submitted,changes_requested`.
    status: Option<String>,
    /// Changed at or after this time (RFC 3339).
    updated_since: Option<String>,
    /// `true`: only returns past their due date and not yet submitted (staff only; started
    /// returns, oldest period first).
    overdue: Option<bool>,
}

impl ListQuery {
    /// The filter these ask for (the organisation looked up by slug).
    pub(super) async fn filter(&self, state: &AppState) -> Result<Filter, AppError> {
        let mut filter =
            Filter { collection: self.collection.clone(), period: self.period.clone(), ..Filter::default() };
        if let Some(slug) = &self.organisation {
            let id = submissions::organisation_id(state, slug).await?;
            filter.organisations = Some(id.into_iter().collect());
        }
        if let Some(status) = &self.status {
            filter.states = states(status)?;
        }
        if let Some(since) = &self.updated_since {
            let at = chrono::DateTime::parse_from_rfc3339(since).map_err(|_| {
                bad("invalid_query", "updated_since must be a time in RFC 3339, e.g. 2026-05-01T00:00:00Z")
            })?;
            filter.updated_since = Some(at.timestamp_millis());
        }
        Ok(filter)
    }
}

/// The states of a `status` filter: one, or several separated by commas.
fn states(text: &str) -> Result<Vec<SubmissionState>, AppError> {
    text.split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(|status| {
            SubmissionState::parse(status).ok_or_else(|| {
                bad(
                    "invalid_query",
                    format!("“{status}” is not a state: use e.g. in_progress, submitted or submitted,changes_requested"),
                )
            })
        })
        .collect()
}

fn bad(code: &'static str, message: impl Into<String>) -> AppError {
    AppError::BadRequest { code, message: message.into() }
}

/// A JSON response with the return's revision as its `ETag`.
pub(super) fn with_etag(status: StatusCode, body: Value, revision: Option<i64>) -> Response {
    let mut response = (status, Json(body)).into_response();
    if let Some(revision) = revision
        && let Ok(value) = HeaderValue::from_str(&format!("\"{revision}\""))
    {
        response.headers_mut().insert(header::ETAG, value);
    }
    response
}

/// The revision in `If-Match`, if sent: `"12"` (or `W/"12"`).
pub(super) fn if_match(headers: &HeaderMap) -> Result<Option<i64>, AppError> {
    if_match_of(headers, "return")
}

/// [`if_match`] for a `noun` ("return", "record"), as its messages name it.
pub(super) fn if_match_of(headers: &HeaderMap, noun: &str) -> Result<Option<i64>, AppError> {
    let Some(value) = headers.get(header::IF_MATCH) else { return Ok(None) };
    let text = value.to_str().unwrap_or("").trim();
    let text = text.strip_prefix("W/").unwrap_or(text).trim_matches('"');
    text.parse::<i64>().map(Some).map_err(|_| {
        bad("invalid_if_match", format!("If-Match must be the ETag of the {noun} as you read it, e.g. \"3\""))
    })
}

pub(super) fn precondition_required() -> Response {
    precondition_required_for("return")
}

/// 428: a change to a `noun` ("return", "record") sent without the ETag it was made from.
pub(super) fn precondition_required_for(noun: &str) -> Response {
    let message = format!(
        "Send the {noun}'s ETag in an If-Match header: changes are made only to the revision you read (GET the {noun} first)"
    );
    (
        StatusCode::PRECONDITION_REQUIRED,
        Json(json!({"error": {"code": "precondition_required", "message": message, "details": []}})),
    )
        .into_response()
}

/// What a request was, for its `Idempotency-Key`.
pub(super) fn fingerprint(method: &str, path: &str, body: &[u8]) -> String {
    format!("{method} {path} {}", hex(&Sha256::digest(body)))
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

pub(super) fn idempotency_key(headers: &HeaderMap) -> Option<String> {
    headers.get("idempotency-key").map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned())
}

/// The first answer to this key, when the request was sent before. Call it only once the caller
/// is known to be allowed the request now: a remembered answer is no licence.
pub(super) async fn replay(
    state: &AppState,
    api: &Api,
    key: Option<&str>,
    print: &str,
) -> Result<Option<Response>, AppError> {
    let Some(key) = key else { return Ok(None) };
    let answer = idempotency::remembered(state, api.actor(), key, print).await?;
    Ok(answer.map(replayed))
}

/// A remembered answer, sent again.
pub(super) fn replayed(answer: idempotency::Answer) -> Response {
    let status = StatusCode::from_u16(answer.status).unwrap_or(StatusCode::OK);
    let body: Value = serde_json::from_str(&answer.body).unwrap_or(Value::Null);
    let revision = body.get("revision").and_then(Value::as_i64);
    let mut response = with_etag(status, body, revision);
    response.headers_mut().insert("idempotent-replayed", HeaderValue::from_static("true"));
    response
}

/// Remember the answer to a key (successes and refusals of what was sent, never failures of the
/// service, which may work on a retry).
pub(super) async fn remember(
    state: &AppState,
    api: &Api,
    key: Option<&str>,
    print: &str,
    status: StatusCode,
    body: &Value,
) -> Result<(), AppError> {
    if let Some(key) = key
        && (status.is_success() || status == StatusCode::UNPROCESSABLE_ENTITY)
    {
        let answer = idempotency::Answer { status: status.as_u16(), body: body.to_string() };
        idempotency::remember(state, api.actor(), key, print, &answer).await?;
    }
    Ok(())
}

pub(super) fn json_of<T: Serialize>(body: &T) -> Value {
    serde_json::to_value(body).unwrap_or_default()
}

/// The returns the caller may see, most recently changed first: staff see every organisation's,
/// members their own organisations'. The review queue is this list filtered:
/// `status=submitted,changes_requested`, or `overdue=true`; `GET /api/v1/submissions/counts`
/// counts it by state.
#[utoipa::path(get, path = "/api/v1/submissions", tag = "submissions", params(ListQuery),
    responses((status = 200, body = Vec<SubmissionSummary>), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody, description = "`overdue=true` from someone not on the staff")))]
pub(crate) async fn list(
    State(state): State<AppState>,
    api: Api,
    Query(query): Query<ListQuery>,
) -> Result<Json<Vec<SubmissionSummary>>, AppError> {
    let filter = query.filter(&state).await?;
    let found = if query.overdue == Some(true) {
        overdue(&state, &api, &query, &filter).await?
    } else {
        submissions::list(&state, api.actor(), filter).await?
    };
    let slugs: BTreeMap<String, String> =
        organisations::list(&state, api.actor()).await?.into_iter().map(|o| (o.id, o.slug)).collect();
    Ok(Json(
        found
            .into_iter()
            .map(|s| SubmissionSummary {
                organisation: slugs.get(&s.organisation_id).cloned().unwrap_or(s.organisation_id),
                id: s.id,
                collection: s.collection,
                period: s.period,
                state: s.state.text(),
                revision: s.revision,
                updated_at: iso(s.updated_at),
                updated_by: s.updated_by_name,
            })
            .collect(),
    ))
}

/// The started returns past their due date, from the review queue (staff only), with the list's
/// other filters.
async fn overdue(
    state: &AppState,
    api: &Api,
    query: &ListQuery,
    filter: &Filter,
) -> Result<Vec<submissions::Submission>, AppError> {
    let wanted = lifecycle::QueueFilter {
        collection: query.collection.clone(),
        period: query.period.clone(),
        organisation: query.organisation.clone(),
        overdue: true,
        ..lifecycle::QueueFilter::default()
    };
    let queue = lifecycle::queue(state, api.actor(), &wanted).await?;
    Ok(queue
        .entries
        .into_iter()
        .filter_map(|e| e.submission)
        .filter(|s| filter.states.is_empty() || filter.states.contains(&s.state))
        .filter(|s| filter.updated_since.is_none_or(|since| s.updated_at >= since))
        .collect())
}

/// Start the return of an organisation for a period — or open the one already started: 201 when
/// this call started it, 200 when it existed, with the same body.
#[utoipa::path(post, path = "/api/v1/submissions", tag = "submissions", request_body = NewSubmission,
    params(("Idempotency-Key" = Option<String>, Header, description = "Send the same key to repeat a request safely")),
    responses((status = 201, body = SubmissionBody), (status = 200, body = SubmissionBody, description = "Started before"), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub(crate) async fn start(
    State(state): State<AppState>,
    api: Api,
    headers: HeaderMap,
    ApiJson(body): ApiJson<NewSubmission>,
) -> Result<Response, AppError> {
    let key = idempotency_key(&headers);
    let print = fingerprint("POST", "/api/v1/submissions", json_of(&body).to_string().as_bytes());
    if let Some(key) = key.as_deref()
        && let Some(answer) = idempotency::remembered(&state, api.actor(), key, &print).await?
    {
        // Only someone who may still see the return started hears how the key was answered.
        let first: Value = serde_json::from_str(&answer.body).unwrap_or(Value::Null);
        if let Some(id) = first.get("id").and_then(Value::as_str) {
            submissions::get(&state, api.actor(), id).await?;
        }
        return Ok(replayed(answer));
    }
    let started =
        submissions::start(&state, api.actor(), &body.collection, &body.organisation, &body.period).await?;
    let view = submissions::get(&state, api.actor(), &started.submission.id).await?;
    let status = if started.created { StatusCode::CREATED } else { StatusCode::OK };
    let json = json_of(&submission_body(&state, api.actor(), &view).await?);
    remember(&state, &api, key.as_deref(), &print, status, &json).await?;
    let mut response = with_etag(status, json, Some(view.submission.revision));
    if let Ok(location) = HeaderValue::from_str(&format!("/api/v1/submissions/{}", view.submission.id)) {
        response.headers_mut().insert(header::LOCATION, location);
    }
    Ok(response)
}

/// A return: answers, state, revision (also the `ETag`), each section's progress, errors and
/// warnings, attached files.
#[utoipa::path(get, path = "/api/v1/submissions/{id}", tag = "submissions",
    params(("id" = String, Path, description = "The return's id")),
    responses((status = 200, body = SubmissionBody), (status = 404, body = ErrorBody)))]
pub(crate) async fn get(
    State(state): State<AppState>,
    api: Api,
    Path(id): Path<String>,
) -> Result<Response, AppError> {
    let view = submissions::get(&state, api.actor(), &id).await?;
    let body = submission_body(&state, api.actor(), &view).await?;
    Ok(with_etag(StatusCode::OK, json_of(&body), Some(view.submission.revision)))
}

/// Change answers: `{"section", "answers", "complete"}` for one section, or `{"answers"}` for any
/// sections the caller edits. Needs `If-Match` with the revision read: without it 428; from an
/// older revision 412, with what the others changed in `details`, and nothing stored. Answers of
/// the wrong type are saved and reported as errors, as on the pages.
#[utoipa::path(patch, path = "/api/v1/submissions/{id}", tag = "submissions", request_body = AnswersChange,
    params(("id" = String, Path, description = "The return's id"), ("If-Match" = String, Header, description = "The ETag read")),
    responses((status = 200, body = SubmissionBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 412, body = ErrorBody), (status = 422, body = ErrorBody), (status = 428, body = ErrorBody)))]
pub(crate) async fn patch(
    State(state): State<AppState>,
    api: Api,
    Path(id): Path<String>,
    headers: HeaderMap,
    ApiJson(body): ApiJson<AnswersChange>,
) -> Result<Response, AppError> {
    let Some(expected) = if_match(&headers)? else { return Ok(precondition_required()) };
    let edit = match (body.section, body.complete) {
        (Some(section), complete) => Edit::Section { section, answers: body.answers, complete },
        (None, None) => Edit::Answers(body.answers),
        (None, Some(_)) => {
            return Err(ServiceError::invalid(
                "complete",
                "required",
                "Say which section to mark complete: send \"section\" with \"complete\"",
            )
            .into());
        }
    };
    let edited = submissions::edit(&state, api.actor(), &id, expected, edit).await?;
    let mut body = submission_body(&state, api.actor(), &edited.view).await?;
    body.not_completed = edited.not_completed;
    Ok(with_etag(StatusCode::OK, json_of(&body), Some(edited.view.submission.revision)))
}

/// Attach a file to a `file` question: `multipart/form-data` with a `question` field, then the
/// `file`. The file streams to storage; its type is checked by its content and its size while it
/// arrives. `If-Match` is optional.
#[utoipa::path(post, path = "/api/v1/submissions/{id}/attachments", tag = "submissions",
    request_body(content = String, content_type = "multipart/form-data", description = "`question`, then `file`"),
    params(("id" = String, Path, description = "The return's id"), ("If-Match" = Option<String>, Header, description = "The ETag read"), ("Idempotency-Key" = Option<String>, Header, description = "Send the same key to repeat a request safely")),
    responses((status = 201, body = AttachmentBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 412, body = ErrorBody), (status = 413, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub(crate) async fn attach(
    State(state): State<AppState>,
    api: Api,
    Path(id): Path<String>,
    request: Request,
) -> Result<Response, AppError> {
    let headers = request.headers().clone();
    let expected = if_match(&headers)?;
    let key = idempotency_key(&headers);
    let length = headers.get(header::CONTENT_LENGTH).and_then(|v| v.to_str().ok()).unwrap_or("").to_string();
    if key.is_some() {
        // Only someone who may still see the return hears how a key was answered.
        submissions::get(&state, api.actor(), &id).await?;
    }
    let mut multipart = Multipart::from_request(request, &state)
        .await
        .map_err(|e| bad("bad_form", format!("Send the file as multipart/form-data: {}", e.body_text())))?;
    let mut question: Option<String> = None;
    let limit = state.config().max_upload_bytes;
    let over_limit = Arc::new(AtomicBool::new(false));
    let (outcome, question, print) = loop {
        let field = match multipart.next_field().await {
            Ok(Some(field)) => field,
            Ok(None) => {
                return Err(
                    ServiceError::invalid("file", "required", "Send the file in a part named file").into()
                );
            }
            Err(e) if e.status() == StatusCode::PAYLOAD_TOO_LARGE => return Err(AppError::too_large(limit)),
            Err(e) => return Err(bad("bad_form", e.body_text())),
        };
        match field.name().unwrap_or("") {
            "question" => {
                let text = field.text().await.map_err(|e| bad("bad_form", e.body_text()))?;
                question = Some(text.trim().to_string());
            }
            "file" => {
                let Some(question) = question.take() else {
                    return Err(ServiceError::invalid(
                        "question",
                        "required",
                        "Send the question field before the file",
                    )
                    .into());
                };
                // The file is never held: a repeat is known by its path, question and length, then
                // by the SHA-256 of what it sends.
                let path = format!("/api/v1/submissions/{id}/attachments {question}");
                let print = fingerprint("POST", &path, length.as_bytes());
                if let Some(key) = key.as_deref()
                    && let Some(answer) = idempotency::remembered(&state, api.actor(), key, &print).await?
                {
                    return repeated_attachment(field, answer, limit).await;
                }
                let file_name = field.file_name().unwrap_or("").to_string();
                let body = watch_limit(field, &over_limit);
                let upload = Upload { question: question.clone(), file_name, body };
                let outcome = submissions::attach(
                    &state,
                    state.files(),
                    api.actor(),
                    &id,
                    expected,
                    upload,
                    limit as u64,
                )
                .await;
                break (outcome, question, print);
            }
            _ => {}
        }
    };
    let edited = match outcome {
        // The service hears only that the file stopped: here it is known why.
        Err(ServiceError::Invalid(_)) if over_limit.load(Ordering::Relaxed) => {
            return Err(AppError::too_large(limit));
        }
        outcome => outcome?,
    };
    let view = &edited.view;
    let attached = view
        .attachments
        .iter()
        .find(|a| a.question == question)
        .ok_or_else(|| ServiceError::internal("an attached file is not listed"))?;
    let json = json_of(&attachment_body(attached));
    remember(&state, &api, key.as_deref(), &print, StatusCode::CREATED, &json).await?;
    Ok(with_etag(StatusCode::CREATED, json, Some(view.submission.revision)))
}

/// The answer to an attachment sent again with its `Idempotency-Key`: the file is read, not stored,
/// and the first answer is sent again only when it is the same file.
async fn repeated_attachment(
    mut field: Field<'_>,
    answer: idempotency::Answer,
    limit: usize,
) -> Result<Response, AppError> {
    let mut digest = Sha256::new();
    loop {
        match field.chunk().await {
            Ok(Some(bytes)) => digest.update(&bytes),
            Ok(None) => break,
            Err(e) if e.status() == StatusCode::PAYLOAD_TOO_LARGE => return Err(AppError::too_large(limit)),
            Err(e) => return Err(bad("bad_form", e.body_text())),
        }
    }
    let sent = hex(&digest.finalize());
    let first: Value = serde_json::from_str(&answer.body).unwrap_or(Value::Null);
    if first.get("sha256").and_then(Value::as_str).is_some_and(|sha256| sha256 != sent) {
        return Err(ServiceError::Invalid(vec![Problem::new(
            "Idempotency-Key",
            "duplicate",
            "This Idempotency-Key was used for a different request: use a new key for each new request",
        )])
        .into());
    }
    Ok(replayed(answer))
}

/// Download an attached file (only people who may see the return).
#[utoipa::path(get, path = "/api/v1/submissions/{id}/attachments/{attachment}", tag = "submissions",
    params(("id" = String, Path, description = "The return's id"), ("attachment" = String, Path, description = "The file's id")),
    responses((status = 200, content_type = "application/octet-stream", body = Vec<u8>), (status = 404, body = ErrorBody)))]
pub(crate) async fn download(
    State(state): State<AppState>,
    api: Api,
    Path((id, attachment)): Path<(String, String)>,
) -> Result<Response, AppError> {
    let (attachment, body) =
        submissions::download(&state, state.files(), api.actor(), &id, &attachment).await?;
    let size = body.size();
    let mut response = Body::from_stream(body).into_response();
    let headers = response.headers_mut();
    if let Ok(value) = HeaderValue::from_str(&attachment.media_type) {
        headers.insert(header::CONTENT_TYPE, value);
    }
    headers.insert(header::CONTENT_LENGTH, HeaderValue::from(size));
    if let Ok(value) = HeaderValue::from_str(&content_disposition(&attachment.file_name)) {
        headers.insert(header::CONTENT_DISPOSITION, value);
    }
    headers.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("private, no-store"));
    Ok(response)
}

/// Remove an attached file from its question (kept for the history).
#[utoipa::path(delete, path = "/api/v1/submissions/{id}/attachments/{attachment}", tag = "submissions",
    params(("id" = String, Path, description = "The return's id"), ("attachment" = String, Path, description = "The file's id"), ("If-Match" = Option<String>, Header, description = "The ETag read")),
    responses((status = 204), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 412, body = ErrorBody)))]
pub(crate) async fn detach(
    State(state): State<AppState>,
    api: Api,
    Path((id, attachment)): Path<(String, String)>,
    headers: HeaderMap,
) -> Result<Response, AppError> {
    let view = submissions::get(&state, api.actor(), &id).await?;
    let question = view
        .attachments
        .iter()
        .find(|a| a.id == attachment)
        .map(|a| a.question.clone())
        .ok_or_else(|| ServiceError::NotFound("There is no such file".into()))?;
    let expected = if_match(&headers)?.unwrap_or(view.submission.revision);
    let edited = submissions::edit(&state, api.actor(), &id, expected, Edit::Detach { question }).await?;
    let mut response = no_content();
    if let Ok(etag) = HeaderValue::from_str(&format!("\"{}\"", edited.view.submission.revision)) {
        response.headers_mut().insert(header::ETAG, etag);
    }
    Ok(response)
}

/// Replace a table's rows from a spreadsheet or CSV file — the table's CSV template, the
/// return's XLSX template, or a file with the table's headers — as the raw body (with its
/// `Content-Type`, and `?file_name=`) or as `multipart/form-data` with a `file`. A clean file
/// replaces the rows (200); a file with errors changes nothing and gets 422 with the cell-level
/// report and the file with its problems marked.
#[utoipa::path(post, path = "/api/v1/submissions/{id}/tables/{table}", tag = "submissions",
    request_body(content = Vec<u8>, content_type = "text/csv", description = "CSV or XLSX, raw or as multipart `file`"),
    params(("id" = String, Path, description = "The return's id"), ("table" = String, Path, description = "The table (its section's id)"), FileNameQuery, ("If-Match" = Option<String>, Header, description = "The ETag read"), ("Idempotency-Key" = Option<String>, Header, description = "Send the same key to repeat a request safely")),
    responses((status = 200, body = TableUploadBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 412, body = ErrorBody), (status = 413, body = ErrorBody), (status = 422, body = TableUploadRefused)))]
pub(crate) async fn upload_table(
    State(state): State<AppState>,
    api: Api,
    Path((id, table)): Path<(String, String)>,
    Query(query): Query<FileNameQuery>,
    request: Request,
) -> Result<Response, AppError> {
    let headers = request.headers().clone();
    let expected = if_match(&headers)?;
    let key = idempotency_key(&headers);
    let content_type =
        headers.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or("").to_string();
    let limit = state.config().max_upload_bytes;
    let (file_name, bytes) = if content_type.starts_with("multipart/form-data") {
        let mut multipart =
            Multipart::from_request(request, &state).await.map_err(|e| bad("bad_form", e.body_text()))?;
        let mut found = None;
        while let Some(field) = multipart.next_field().await.map_err(|e| {
            if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
                AppError::too_large(limit)
            } else {
                bad("bad_form", e.body_text())
            }
        })? {
            if field.name() == Some("file") {
                let name = field.file_name().unwrap_or("").to_string();
                let bytes = field.bytes().await.map_err(|e| {
                    if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
                        AppError::too_large(limit)
                    } else {
                        bad("bad_form", e.body_text())
                    }
                })?;
                found = Some((name, bytes));
                break;
            }
        }
        found
            .ok_or_else(|| ServiceError::invalid("file", "required", "Send the file in a part named file"))?
    } else {
        let bytes = Bytes::from_request(request, &state).await.map_err(|e| {
            if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
                AppError::too_large(limit)
            } else {
                bad("bad_request", e.body_text())
            }
        })?;
        let default = if content_type.contains("spreadsheetml") { "upload.xlsx" } else { "upload.csv" };
        (query.file_name.unwrap_or_else(|| default.to_string()), bytes)
    };
    let path = format!("/api/v1/submissions/{id}/tables/{table}");
    let print = fingerprint("POST", &format!("{path} {file_name}"), &bytes);
    if key.is_some() {
        // Only someone who may still see the return hears how a key was answered.
        submissions::get(&state, api.actor(), &id).await?;
    }
    if let Some(replayed) = replay(&state, &api, key.as_deref(), &print).await? {
        return Ok(replayed);
    }
    let upload = TableUpload { table, file_name, bytes };
    let outcome =
        table_uploads::check_table_upload(&state, state.files(), api.actor(), &id, expected, upload).await?;
    let (status, json, revision) = table_report(&id, &outcome);
    remember(&state, &api, key.as_deref(), &print, status, &json).await?;
    Ok(with_etag(status, json, revision))
}

/// The name of a file sent as the raw body.
#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub(crate) struct FileNameQuery {
    /// The file's name, e.g. `spend.csv` (for a raw body).
    file_name: Option<String>,
}

fn table_report(id: &str, outcome: &TableUploadOutcome) -> (StatusCode, Value, Option<i64>) {
    let revision = outcome.view.as_ref().map(|v| v.submission.revision);
    let report = TableUploadBody {
        table: outcome.table.clone(),
        clean: outcome.clean,
        rows: outcome.rows,
        rows_replaced: outcome.rows_replaced,
        error_count: outcome.error_count,
        warning_count: outcome.warning_count,
        items: outcome.items.iter().map(ItemBody::from).collect(),
        annotated_workbook: outcome
            .annotated
            .as_ref()
            .map(|r| format!("/api/v1/submissions/{id}/tables/{}/reports/{r}", outcome.table)),
        revision,
    };
    if outcome.clean {
        return (StatusCode::OK, json_of(&report), revision);
    }
    let n = outcome.error_count;
    let message = format!(
        "The file has {n} error{}: nothing was changed. Fix {} and upload the file again",
        if n == 1 { "" } else { "s" },
        if n == 1 { "it" } else { "them" }
    );
    let details: Vec<Value> = report.items.iter().map(json_of).collect();
    let error = crate::api::types::ErrorDetail { code: "invalid".into(), message, details };
    (StatusCode::UNPROCESSABLE_ENTITY, json_of(&TableUploadRefused { error, report }), None)
}

/// The file of an upload with errors, with its problems marked.
#[utoipa::path(get, path = "/api/v1/submissions/{id}/tables/{table}/reports/{report}", tag = "submissions",
    params(("id" = String, Path, description = "The return's id"), ("table" = String, Path, description = "The table"), ("report" = String, Path, description = "The report's id")),
    responses((status = 200, content_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", body = Vec<u8>), (status = 404, body = ErrorBody)))]
pub(crate) async fn table_report_file(
    State(state): State<AppState>,
    api: Api,
    Path((id, table, report)): Path<(String, String, String)>,
) -> Result<Response, AppError> {
    let bytes = table_uploads::annotated(&state, state.files(), api.actor(), &id, &report).await?;
    let mut response = bytes.into_response();
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
    );
    if let Ok(value) = HeaderValue::from_str(&content_disposition(&format!("{table}-errors.xlsx"))) {
        headers.insert(header::CONTENT_DISPOSITION, value);
    }
    headers.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    Ok(response)
}

/// Confirm a warning with a reason (kept in the history). An unconfirmed warning keeps its
/// section from being complete.
#[utoipa::path(post, path = "/api/v1/submissions/{id}/warnings", tag = "submissions", request_body = WarningConfirmation,
    params(("id" = String, Path, description = "The return's id"), ("If-Match" = Option<String>, Header, description = "The ETag read"), ("Idempotency-Key" = Option<String>, Header, description = "Send the same key to repeat a request safely")),
    responses((status = 201, body = SubmissionBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 412, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub(crate) async fn confirm_warning(
    State(state): State<AppState>,
    api: Api,
    Path(id): Path<String>,
    headers: HeaderMap,
    ApiJson(body): ApiJson<WarningConfirmation>,
) -> Result<Response, AppError> {
    let key = idempotency_key(&headers);
    let print = fingerprint(
        "POST",
        &format!("/api/v1/submissions/{id}/warnings"),
        json_of(&body).to_string().as_bytes(),
    );
    // Only someone who may still see the return hears how a key was answered.
    let view = submissions::get(&state, api.actor(), &id).await?;
    if let Some(replayed) = replay(&state, &api, key.as_deref(), &print).await? {
        return Ok(replayed);
    }
    let expected = if_match(&headers)?.unwrap_or(view.submission.revision);
    let edit = Edit::Confirm { key: body.key, reason: body.reason };
    let edited = submissions::edit(&state, api.actor(), &id, expected, edit).await?;
    let json = json_of(&submission_body(&state, api.actor(), &edited.view).await?);
    remember(&state, &api, key.as_deref(), &print, StatusCode::CREATED, &json).await?;
    Ok(with_etag(StatusCode::CREATED, json, Some(edited.view.submission.revision)))
}

/// Every change to a return, newest first: who, when, which question, from what to what.
#[utoipa::path(get, path = "/api/v1/submissions/{id}/history", tag = "submissions",
    params(("id" = String, Path, description = "The return's id")),
    responses((status = 200, body = Vec<HistoryBody>), (status = 404, body = ErrorBody)))]
pub(crate) async fn history(
    State(state): State<AppState>,
    api: Api,
    Path(id): Path<String>,
) -> Result<Json<Vec<HistoryBody>>, AppError> {
    let entries = submissions::history(&state, api.actor(), &id).await?;
    Ok(Json(entries.into_iter().map(HistoryBody::from).collect()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn if_match_is_the_etag_read() {
        let mut headers = HeaderMap::new();
        assert!(matches!(if_match(&headers), Ok(None)));
        headers.insert(header::IF_MATCH, HeaderValue::from_static("W/\"7\""));
        assert!(matches!(if_match(&headers), Ok(Some(7))));
        headers.insert(header::IF_MATCH, HeaderValue::from_static("\"seven\""));
        assert!(if_match(&headers).is_err());
    }
}
