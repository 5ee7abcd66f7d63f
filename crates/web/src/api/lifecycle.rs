//! `/api/v1/submissions/{id}/sign-off | submit | return | accept | reopen | move`: the life of a
//! return after it is filled in (DESIGN §5), the same steps as the pages, decided by
//! [`formwork_service::lifecycle`]; and `/api/v1/submissions/counts`, the review queue's counts.
//!
//! Every step changes the return, so each needs `If-Match` with the `ETag` read, exactly as a
//! `PATCH`: without it 428, from an older revision 412 with what the others changed, garbled 400.
//! Each answers with the return as `GET` shows it and its new `ETag`, and may carry an
//! `Idempotency-Key` to be repeated safely.

use std::collections::BTreeMap;

use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use formwork_service::lifecycle::{self, DroppedAnswer};
use formwork_service::submissions::{self, SubmissionView};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::ToSchema;

use super::submissions::{
    ListQuery, SubmissionBody, fingerprint, idempotency_key, if_match, json_of, precondition_required,
    remember, replay, submission_body, with_etag,
};
use crate::AppState;
use crate::api::types::ErrorBody;
use crate::api::{Api, ApiJson};
use crate::error::AppError;

/// Sign off a step, having read the whole return and confirmed the step's declaration.
#[derive(Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct SignOffRequest {
    /// The step, from 0 (default: the next one to sign).
    pub step: Option<usize>,
    /// `true`: you confirm the step's declaration.
    #[serde(default)]
    pub confirm: bool,
}

/// Send a submitted return back with a comment on each section that needs changing.
#[derive(Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct ReturnRequest {
    /// Section id → what needs changing (at least one).
    #[serde(default)]
    pub comments: BTreeMap<String, String>,
}

/// Reopen an accepted return.
#[derive(Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct ReopenRequest {
    /// Why it is reopened (kept in the history and sent to the organisation).
    #[serde(default)]
    pub reason: String,
}

/// An answer that did not fit the newer version: listed, kept in the history, never lost silently.
#[derive(Serialize, ToSchema)]
pub(crate) struct DroppedAnswerBody {
    /// Where it was: `question`, or `table/INDEX/column`.
    pub path: String,
    /// The question's label.
    pub label: String,
    /// The value it had.
    #[schema(value_type = Object)]
    pub value: Value,
    /// Why it does not fit.
    pub reason: String,
}

/// A question whose answer moved to a new id.
#[derive(Serialize, ToSchema)]
pub(crate) struct RenamedBody {
    pub from: String,
    pub to: String,
}

/// A return moved to the latest version of its form, with what happened to its answers.
#[derive(Serialize, ToSchema)]
pub(crate) struct MovedBody {
    /// The version it followed.
    pub from_version: i64,
    /// The version it follows now.
    pub to_version: i64,
    /// Answers carried to a question with a new id.
    pub renamed: Vec<RenamedBody>,
    /// Answers that did not fit.
    pub dropped: Vec<DroppedAnswerBody>,
    /// The return now.
    pub submission: SubmissionBody,
}

/// How many returns are in each state.
#[derive(Serialize, ToSchema)]
pub(crate) struct CountsBody {
    /// State → how many (states with none are left out).
    pub counts: BTreeMap<String, i64>,
    /// All of them.
    pub total: i64,
}

/// A step about to be taken: the revision it is taken from, and its `Idempotency-Key`.
struct Step {
    expected: i64,
    key: Option<String>,
    print: String,
}

/// Read what every step needs from the request — or the answer already due: 428 without
/// `If-Match`, or the first answer to a repeated `Idempotency-Key`.
async fn begin(
    state: &AppState,
    api: &Api,
    id: &str,
    action: &str,
    headers: &HeaderMap,
    body: &Value,
) -> Result<Result<Step, Response>, AppError> {
    let key = idempotency_key(headers);
    let print =
        fingerprint("POST", &format!("/api/v1/submissions/{id}/{action}"), body.to_string().as_bytes());
    if key.is_some() {
        // Only someone who may still see the return hears how a key was answered.
        submissions::get(state, api.actor(), id).await?;
        if let Some(replayed) = replay(state, api, key.as_deref(), &print).await? {
            return Ok(Err(replayed));
        }
    }
    let Some(expected) = if_match(headers)? else { return Ok(Err(precondition_required())) };
    Ok(Ok(Step { expected, key, print }))
}

/// The answer to a step taken: `body`, with the return's new revision as its `ETag`.
async fn done(
    state: &AppState,
    api: &Api,
    step: &Step,
    body: Value,
    revision: i64,
) -> Result<Response, AppError> {
    remember(state, api, step.key.as_deref(), &step.print, StatusCode::OK, &body).await?;
    Ok(with_etag(StatusCode::OK, body, Some(revision)))
}

/// The return after a step, as `GET` shows it to the caller.
async fn answer(
    state: &AppState,
    api: &Api,
    step: &Step,
    view: &SubmissionView,
) -> Result<Response, AppError> {
    let body = json_of(&submission_body(state, api.actor(), view).await?);
    done(state, api, step, body, view.submission.revision).await
}

/// Sign off a step of a return (`{"step": 0, "confirm": true}`), as a member holding the step's
/// role: steps in order, one person one step, on a return that is ready. The last step submits it
/// and gives it its `reference`.
#[utoipa::path(post, path = "/api/v1/submissions/{id}/sign-off", tag = "lifecycle", request_body = SignOffRequest,
    params(("id" = String, Path, description = "The return's id"), ("If-Match" = String, Header, description = "The ETag read"), ("Idempotency-Key" = Option<String>, Header, description = "Send the same key to repeat a request safely")),
    responses((status = 200, body = SubmissionBody), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody, description = "Not ready, out of order or already signed"), (status = 412, body = ErrorBody), (status = 422, body = ErrorBody), (status = 428, body = ErrorBody)))]
pub(crate) async fn sign_off(
    State(state): State<AppState>,
    api: Api,
    Path(id): Path<String>,
    headers: HeaderMap,
    ApiJson(body): ApiJson<SignOffRequest>,
) -> Result<Response, AppError> {
    let step = match begin(&state, &api, &id, "sign-off", &headers, &json_of(&body)).await? {
        Ok(step) => step,
        Err(answered) => return Ok(answered),
    };
    let number = match body.step {
        Some(n) => n,
        None => submissions::get(&state, api.actor(), &id).await?.submission.sign_offs.len(),
    };
    let view = lifecycle::sign_off(&state, api.actor(), &id, step.expected, number, body.confirm).await?;
    answer(&state, &api, &step, &view).await
}

/// Submit a return whose collection has no sign-off steps (with steps, the last sign-off
/// submits it). It gets its `reference`.
#[utoipa::path(post, path = "/api/v1/submissions/{id}/submit", tag = "lifecycle",
    params(("id" = String, Path, description = "The return's id"), ("If-Match" = String, Header, description = "The ETag read"), ("Idempotency-Key" = Option<String>, Header, description = "Send the same key to repeat a request safely")),
    responses((status = 200, body = SubmissionBody), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody, description = "Not ready, or it must be signed off"), (status = 412, body = ErrorBody), (status = 422, body = ErrorBody), (status = 428, body = ErrorBody)))]
pub(crate) async fn submit(
    State(state): State<AppState>,
    api: Api,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Result<Response, AppError> {
    let step = match begin(&state, &api, &id, "submit", &headers, &Value::Null).await? {
        Ok(step) => step,
        Err(answered) => return Ok(answered),
    };
    let view = lifecycle::submit(&state, api.actor(), &id, step.expected).await?;
    answer(&state, &api, &step, &view).await
}

/// Send a submitted return back for changes, with a comment on each section concerned (staff
/// reviewers). Its sign-offs are cleared; the organisation sees the comments and is emailed.
#[utoipa::path(post, path = "/api/v1/submissions/{id}/return", tag = "lifecycle", request_body = ReturnRequest,
    params(("id" = String, Path, description = "The return's id"), ("If-Match" = String, Header, description = "The ETag read"), ("Idempotency-Key" = Option<String>, Header, description = "Send the same key to repeat a request safely")),
    responses((status = 200, body = SubmissionBody), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody, description = "Not submitted"), (status = 412, body = ErrorBody), (status = 422, body = ErrorBody), (status = 428, body = ErrorBody)))]
pub(crate) async fn return_for_changes(
    State(state): State<AppState>,
    api: Api,
    Path(id): Path<String>,
    headers: HeaderMap,
    ApiJson(body): ApiJson<ReturnRequest>,
) -> Result<Response, AppError> {
    let step = match begin(&state, &api, &id, "return", &headers, &json_of(&body)).await? {
        Ok(step) => step,
        Err(answered) => return Ok(answered),
    };
    let comments: Vec<(String, String)> = body.comments.into_iter().collect();
    let view = lifecycle::return_for_changes(&state, api.actor(), &id, step.expected, &comments).await?;
    answer(&state, &api, &step, &view).await
}

/// Accept a submitted return, which locks it (staff reviewers).
#[utoipa::path(post, path = "/api/v1/submissions/{id}/accept", tag = "lifecycle",
    params(("id" = String, Path, description = "The return's id"), ("If-Match" = String, Header, description = "The ETag read"), ("Idempotency-Key" = Option<String>, Header, description = "Send the same key to repeat a request safely")),
    responses((status = 200, body = SubmissionBody), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody, description = "Not submitted"), (status = 412, body = ErrorBody), (status = 422, body = ErrorBody), (status = 428, body = ErrorBody)))]
pub(crate) async fn accept(
    State(state): State<AppState>,
    api: Api,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Result<Response, AppError> {
    let step = match begin(&state, &api, &id, "accept", &headers, &Value::Null).await? {
        Ok(step) => step,
        Err(answered) => return Ok(answered),
    };
    let view = lifecycle::accept(&state, api.actor(), &id, step.expected).await?;
    answer(&state, &api, &step, &view).await
}

/// Reopen an accepted return with a reason (staff reviewers): it is in progress again and must be
/// signed off and submitted again, under the same reference.
#[utoipa::path(post, path = "/api/v1/submissions/{id}/reopen", tag = "lifecycle", request_body = ReopenRequest,
    params(("id" = String, Path, description = "The return's id"), ("If-Match" = String, Header, description = "The ETag read"), ("Idempotency-Key" = Option<String>, Header, description = "Send the same key to repeat a request safely")),
    responses((status = 200, body = SubmissionBody), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody, description = "Not accepted"), (status = 412, body = ErrorBody), (status = 422, body = ErrorBody), (status = 428, body = ErrorBody)))]
pub(crate) async fn reopen(
    State(state): State<AppState>,
    api: Api,
    Path(id): Path<String>,
    headers: HeaderMap,
    ApiJson(body): ApiJson<ReopenRequest>,
) -> Result<Response, AppError> {
    let step = match begin(&state, &api, &id, "reopen", &headers, &json_of(&body)).await? {
        Ok(step) => step,
        Err(answered) => return Ok(answered),
    };
    let view = lifecycle::reopen(&state, api.actor(), &id, step.expected, &body.reason).await?;
    answer(&state, &api, &step, &view).await
}

/// Move a return not yet submitted to the latest version of its form (its editors): answers carry
/// over by question id and `renamed_from`; those that no longer fit are listed in `dropped` and
/// kept in the history. Submitted and accepted returns keep their version (409).
#[utoipa::path(post, path = "/api/v1/submissions/{id}/move", tag = "lifecycle",
    params(("id" = String, Path, description = "The return's id"), ("If-Match" = String, Header, description = "The ETag read"), ("Idempotency-Key" = Option<String>, Header, description = "Send the same key to repeat a request safely")),
    responses((status = 200, body = MovedBody), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody, description = "Submitted, accepted, or already on the latest version"), (status = 412, body = ErrorBody), (status = 422, body = ErrorBody), (status = 428, body = ErrorBody)))]
pub(crate) async fn move_to_latest(
    State(state): State<AppState>,
    api: Api,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Result<Response, AppError> {
    let step = match begin(&state, &api, &id, "move", &headers, &Value::Null).await? {
        Ok(step) => step,
        Err(answered) => return Ok(answered),
    };
    let moved = lifecycle::move_to_latest(&state, api.actor(), &id, step.expected).await?;
    let body = MovedBody {
        from_version: moved.from_version,
        to_version: moved.to_version,
        renamed: moved.renamed.into_iter().map(|(from, to)| RenamedBody { from, to }).collect(),
        dropped: moved.dropped.into_iter().map(dropped_body).collect(),
        submission: submission_body(&state, api.actor(), &moved.view).await?,
    };
    done(&state, &api, &step, json_of(&body), moved.view.submission.revision).await
}

fn dropped_body(d: DroppedAnswer) -> DroppedAnswerBody {
    DroppedAnswerBody { path: d.path, label: d.label, value: d.value, reason: d.reason }
}

/// How many of the returns the caller may see are in each state, with the list's filters (its
/// `status` aside): the review queue's counts.
#[utoipa::path(get, path = "/api/v1/submissions/counts", tag = "lifecycle", params(ListQuery),
    responses((status = 200, body = CountsBody), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody)))]
pub(crate) async fn counts(
    State(state): State<AppState>,
    api: Api,
    Query(query): Query<ListQuery>,
) -> Result<Json<CountsBody>, AppError> {
    let filter = query.filter(&state).await?;
    let counts = submissions::counts(&state, api.actor(), filter).await?;
    let total = counts.iter().map(|(_, n)| n).sum();
    Ok(Json(CountsBody {
        counts: counts.into_iter().map(|(s, n)| (s.as_str().to_string(), n)).collect(),
        total,
    }))
}
