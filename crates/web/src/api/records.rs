//! `/api/v1/records`: records of a log through the API — list them (filtered, counted by state, a
//! page at a time by a `next` cursor), add one, read it with its validation, change answers
//! (`PATCH` with `If-Match`), confirm a warning, delete it (softly, with `If-Match`), and read its
//! history. The same operations as the pages, with the same messages, in the shapes of
//! `/api/v1/submissions`.

use std::collections::BTreeMap;

use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::Response;
use formwork_service::records::{self, Edit, ListFilter, NewRecordInput, RecordState, RecordView};
use formwork_service::{idempotency, organisations, submissions};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use utoipa::ToSchema;

use crate::AppState;
use crate::api::submissions::{
    ConfirmationBody, HistoryBody, ItemBody, SectionStatus, SerdeName as _, WarningBody, WarningConfirmation,
    fingerprint, idempotency_key, if_match_of, json_of, precondition_required_for, remember, replay,
    replayed, with_etag,
};
use crate::api::types::{ErrorBody, iso};
use crate::api::{Api, ApiJson};
use crate::error::{AppError, no_content};

/// A record of a log: its answers, state, revision, per-section progress and validation.
#[derive(Serialize, ToSchema)]
pub(crate) struct RecordBody {
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
    /// `in_progress`, `completed` or `deleted`.
    pub state: String,
    /// Goes up with every change; also the `ETag`.
    pub revision: i64,
    /// Answers by question id. Numbers are exact decimal strings, dates `YYYY-MM-DD`.
    #[schema(value_type = Object)]
    pub answers: Map<String, Value>,
    pub sections: Vec<SectionStatus>,
    /// Errors, a `duplicate` one included when another record has the same `record_key`.
    pub errors: Vec<ItemBody>,
    pub warnings: Vec<WarningBody>,
    /// The id of the other stored record with the same `record_key`, if any.
    pub duplicate_of: Option<String>,
    /// The upload it was stored from, if any.
    pub upload: Option<String>,
    pub created_at: String,
    pub updated_at: String,
    /// Who changed it last (name or email address).
    pub updated_by: Option<String>,
}

impl From<&RecordView> for RecordBody {
    fn from(v: &RecordView) -> RecordBody {
        let r = &v.record;
        RecordBody {
            id: r.id.clone(),
            collection: r.collection.clone(),
            version: r.version,
            organisation: v.organisation.slug.clone(),
            period: r.period.clone(),
            period_label: v.period.label.clone(),
            state: r.state.as_str().to_string(),
            revision: r.revision,
            answers: r.answers.clone(),
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
            duplicate_of: v.duplicate.clone(),
            upload: r.upload_id.clone(),
            created_at: iso(r.created_at),
            updated_at: iso(r.updated_at),
            updated_by: r.updated_by_name.clone(),
        }
    }
}

/// A record in a list.
#[derive(Serialize, ToSchema)]
pub(crate) struct RecordSummary {
    pub id: String,
    pub collection: String,
    /// The organisation's slug.
    pub organisation: String,
    pub period: String,
    pub state: String,
    pub revision: i64,
    /// The answers to the log's `record_key` questions, by question id.
    #[schema(value_type = Object)]
    pub key: Map<String, Value>,
    /// The upload it was stored from, if any.
    pub upload: Option<String>,
    pub updated_at: String,
    pub updated_by: Option<String>,
}

/// A page of records.
#[derive(Serialize, ToSchema)]
pub(crate) struct RecordListBody {
    pub records: Vec<RecordSummary>,
    /// How many records the filters select in each state (the `state` filter aside).
    #[schema(value_type = Object)]
    pub counts: BTreeMap<String, i64>,
    /// Send this as `after` for the next page; `null` on the last page.
    pub next: Option<String>,
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
    /// `in_progress`, `completed` or `deleted` (default: every state but `deleted`).
    state: Option<String>,
    /// Changed at or after this time (RFC 3339).
    updated_since: Option<String>,
    /// The `next` cursor of the page before.
    after: Option<String>,
    /// Records on a page: 50 unless given, at most 500.
    limit: Option<i64>,
}

/// Add a record to an organisation's log.
#[derive(Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct NewRecord {
    /// The collection's slug (a log).
    pub collection: String,
    /// The organisation's slug.
    pub organisation: String,
    /// The period's key, e.g. `2026-04-01` (default: the latest period that has started).
    pub period: Option<String>,
    /// Answers to start it with, by question id.
    #[schema(value_type = Option<Object>)]
    pub answers: Option<Map<String, Value>>,
}

/// Answers to change: of one section (`section`), or of any sections the caller edits. A key sent
/// replaces that answer; `null` clears it.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct RecordChange {
    pub section: Option<String>,
    #[schema(value_type = Object)]
    pub answers: Map<String, Value>,
}

fn bad(code: &'static str, message: impl Into<String>) -> AppError {
    AppError::BadRequest { code, message: message.into() }
}

fn body_of(view: &RecordView) -> Response {
    with_etag(StatusCode::OK, json_of(&RecordBody::from(view)), Some(view.record.revision))
}

/// The records the caller may see, most recently changed first, a page at a time: staff see
/// every organisation's, members their own organisations'. Follow `next` for the next page.
#[utoipa::path(get, path = "/api/v1/records", tag = "records", params(ListQuery),
    responses((status = 200, body = RecordListBody), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 422, body = ErrorBody, description = "`after` is not a cursor")))]
pub(crate) async fn list(
    State(state): State<AppState>,
    api: Api,
    Query(query): Query<ListQuery>,
) -> Result<Json<RecordListBody>, AppError> {
    let organisation = match &query.organisation {
        // An organisation that does not exist has no records: an id no organisation has.
        Some(slug) => Some(submissions::organisation_id(&state, slug).await?.unwrap_or_default()),
        None => None,
    };
    let record_state = match query.state.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
        Some(s) => Some(RecordState::parse(s).ok_or_else(|| {
            bad("invalid_query", format!("“{s}” is not a state: use in_progress, completed or deleted"))
        })?),
        None => None,
    };
    let updated_since = match &query.updated_since {
        Some(since) => Some(
            chrono::DateTime::parse_from_rfc3339(since)
                .map_err(|_| {
                    bad(
                        "invalid_query",
                        "updated_since must be a time in RFC 3339, e.g. 2026-05-01T00:00:00Z",
                    )
                })?
                .timestamp_millis(),
        ),
        None => None,
    };
    let filter = ListFilter {
        organisation,
        collection: query.collection.clone(),
        period: query.period.clone(),
        state: record_state,
        updated_since,
        after: query.after.clone(),
        limit: query.limit,
    };
    let found = records::list(&state, api.actor(), filter).await?;
    let slugs: BTreeMap<String, String> =
        organisations::list(&state, api.actor()).await?.into_iter().map(|o| (o.id, o.slug)).collect();
    let mut keys: BTreeMap<(String, i64), Vec<String>> = BTreeMap::new();
    let mut summaries = Vec::with_capacity(found.records.len());
    for r in found.records {
        let ids = match keys.get(&(r.collection.clone(), r.version)) {
            Some(ids) => ids.clone(),
            None => {
                let def = formwork_service::collections::definition(&state, &r.collection, r.version).await?;
                let ids: Vec<String> =
                    records::key_questions(&def).into_iter().map(|q| q.id.clone()).collect();
                keys.insert((r.collection.clone(), r.version), ids.clone());
                ids
            }
        };
        let key =
            ids.iter().map(|id| (id.clone(), r.answers.get(id).cloned().unwrap_or(Value::Null))).collect();
        summaries.push(RecordSummary {
            organisation: slugs.get(&r.organisation_id).cloned().unwrap_or(r.organisation_id),
            id: r.id,
            collection: r.collection,
            period: r.period,
            state: r.state.as_str().to_string(),
            revision: r.revision,
            key,
            upload: r.upload_id,
            updated_at: iso(r.updated_at),
            updated_by: r.updated_by_name,
        });
    }
    let counts = found.counts.into_iter().map(|(s, n)| (s.as_str().to_string(), n)).collect();
    Ok(Json(RecordListBody { records: summaries, counts, next: found.next }))
}

/// Add a record to an organisation's log, with any answers to start it with (saved whatever their
/// errors, as a draft): 201 with its `Location`.
#[utoipa::path(post, path = "/api/v1/records", tag = "records", request_body = NewRecord,
    params(("Idempotency-Key" = Option<String>, Header, description = "Send the same key to repeat a request safely")),
    responses((status = 201, body = RecordBody), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub(crate) async fn create(
    State(state): State<AppState>,
    api: Api,
    headers: HeaderMap,
    ApiJson(body): ApiJson<NewRecord>,
) -> Result<Response, AppError> {
    let key = idempotency_key(&headers);
    let print = fingerprint("POST", "/api/v1/records", json_of(&body).to_string().as_bytes());
    if let Some(key) = key.as_deref()
        && let Some(answer) = idempotency::remembered(&state, api.actor(), key, &print).await?
    {
        // Only someone who may still see the record added hears how the key was answered.
        let first: Value = serde_json::from_str(&answer.body).unwrap_or(Value::Null);
        if let Some(id) = first.get("id").and_then(Value::as_str) {
            records::get(&state, api.actor(), id).await?;
        }
        return Ok(replayed(answer));
    }
    let new = NewRecordInput {
        collection: body.collection,
        organisation: body.organisation,
        period: body.period,
        answers: body.answers.unwrap_or_default(),
    };
    let view = records::create(&state, api.actor(), new).await?;
    let json = json_of(&RecordBody::from(&view));
    remember(&state, &api, key.as_deref(), &print, StatusCode::CREATED, &json).await?;
    let mut response = with_etag(StatusCode::CREATED, json, Some(view.record.revision));
    if let Ok(location) = HeaderValue::from_str(&format!("/api/v1/records/{}", view.record.id)) {
        response.headers_mut().insert(header::LOCATION, location);
    }
    Ok(response)
}

/// A record: answers, state, revision (also the `ETag`), each section's progress, errors (a
/// `duplicate` one naming the other record in `duplicate_of`) and warnings. Another
/// organisation's record is 404.
#[utoipa::path(get, path = "/api/v1/records/{id}", tag = "records",
    params(("id" = String, Path, description = "The record's id")),
    responses((status = 200, body = RecordBody), (status = 404, body = ErrorBody)))]
pub(crate) async fn get(
    State(state): State<AppState>,
    api: Api,
    Path(id): Path<String>,
) -> Result<Response, AppError> {
    let view = records::get(&state, api.actor(), &id).await?;
    Ok(body_of(&view))
}

/// Change answers: `{"section", "answers"}` for one section, or `{"answers"}` for any sections
/// the caller edits. Needs `If-Match` with the revision read: without it 428; from an older
/// revision 412, with what the others changed in `details`, and nothing stored. The record is
/// `completed` once it has no errors and every warning is confirmed.
#[utoipa::path(patch, path = "/api/v1/records/{id}", tag = "records", request_body = RecordChange,
    params(("id" = String, Path, description = "The record's id"), ("If-Match" = String, Header, description = "The ETag read")),
    responses((status = 200, body = RecordBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody, description = "The record is deleted"), (status = 412, body = ErrorBody), (status = 422, body = ErrorBody), (status = 428, body = ErrorBody)))]
pub(crate) async fn patch(
    State(state): State<AppState>,
    api: Api,
    Path(id): Path<String>,
    headers: HeaderMap,
    ApiJson(body): ApiJson<RecordChange>,
) -> Result<Response, AppError> {
    let Some(expected) = if_match_of(&headers, "record")? else {
        return Ok(precondition_required_for("record"));
    };
    let edit = match body.section {
        Some(section) => Edit::Section { section, answers: body.answers },
        None => Edit::Answers(body.answers),
    };
    let edited = records::edit(&state, api.actor(), &id, expected, edit).await?;
    Ok(body_of(&edited.view))
}

/// Delete a record: it is kept, with its history, in state `deleted`, and no longer listed (but
/// with `state=deleted`), counted or a duplicate of another. Needs `If-Match`, as `PATCH` does.
#[utoipa::path(delete, path = "/api/v1/records/{id}", tag = "records",
    params(("id" = String, Path, description = "The record's id"), ("If-Match" = String, Header, description = "The ETag read")),
    responses((status = 204), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody, description = "Deleted already"), (status = 412, body = ErrorBody), (status = 428, body = ErrorBody)))]
pub(crate) async fn delete(
    State(state): State<AppState>,
    api: Api,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Result<Response, AppError> {
    let Some(expected) = if_match_of(&headers, "record")? else {
        return Ok(precondition_required_for("record"));
    };
    let view = records::delete(&state, api.actor(), &id, expected).await?;
    let mut response = no_content();
    if let Ok(etag) = HeaderValue::from_str(&format!("\"{}\"", view.record.revision)) {
        response.headers_mut().insert(header::ETAG, etag);
    }
    Ok(response)
}

/// Confirm a warning with a reason (kept in the history). A record is completed only once each of
/// its warnings is confirmed. `If-Match` is optional.
#[utoipa::path(post, path = "/api/v1/records/{id}/warnings", tag = "records", request_body = WarningConfirmation,
    params(("id" = String, Path, description = "The record's id"), ("If-Match" = Option<String>, Header, description = "The ETag read"), ("Idempotency-Key" = Option<String>, Header, description = "Send the same key to repeat a request safely")),
    responses((status = 201, body = RecordBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 412, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub(crate) async fn confirm_warning(
    State(state): State<AppState>,
    api: Api,
    Path(id): Path<String>,
    headers: HeaderMap,
    ApiJson(body): ApiJson<WarningConfirmation>,
) -> Result<Response, AppError> {
    let key = idempotency_key(&headers);
    let print =
        fingerprint("POST", &format!("/api/v1/records/{id}/warnings"), json_of(&body).to_string().as_bytes());
    // Only someone who may still see the record hears how a key was answered.
    let view = records::get(&state, api.actor(), &id).await?;
    if let Some(replayed) = replay(&state, &api, key.as_deref(), &print).await? {
        return Ok(replayed);
    }
    let expected = if_match_of(&headers, "record")?.unwrap_or(view.record.revision);
    let edit = Edit::Confirm { key: body.key, reason: body.reason };
    let edited = records::edit(&state, api.actor(), &id, expected, edit).await?;
    let json = json_of(&RecordBody::from(&edited.view));
    remember(&state, &api, key.as_deref(), &print, StatusCode::CREATED, &json).await?;
    Ok(with_etag(StatusCode::CREATED, json, Some(edited.view.record.revision)))
}

/// Every change to a record, newest first: who, when, which question, from what to what.
#[utoipa::path(get, path = "/api/v1/records/{id}/history", tag = "records",
    params(("id" = String, Path, description = "The record's id")),
    responses((status = 200, body = Vec<HistoryBody>), (status = 404, body = ErrorBody)))]
pub(crate) async fn history(
    State(state): State<AppState>,
    api: Api,
    Path(id): Path<String>,
) -> Result<Json<Vec<HistoryBody>>, AppError> {
    let entries = records::history(&state, api.actor(), &id).await?;
    Ok(Json(entries.into_iter().map(HistoryBody::from).collect()))
}
