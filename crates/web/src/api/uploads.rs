//! Uploads through the API: a CSV or XLSX file of a log's records (or of a table's rows) sent as
//! the raw body or as `multipart/form-data`, streamed to storage and answered `202 Accepted` with
//! the upload's `Location`; a job checks it. Poll `GET /api/v1/uploads/{id}` for progress and
//! the outcome.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use axum::Json;
use axum::body::Body;
use axum::extract::{FromRequest, Multipart, Path, Query, Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use formwork_service::ServiceError;
use formwork_service::uploads::{self, Group, NewFile, UploadFilter, UploadView};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::AppState;
use crate::api::submissions::ItemBody;
use crate::api::types::{ErrorBody, iso};
use crate::api::{Api, ApiJson};
use crate::disposition::content_disposition;
use crate::error::AppError;
use crate::forms::watch_limit;

/// Items per page of an upload's report.
const PER_PAGE: usize = 100;

/// What a file is for, as query parameters (or multipart fields before the `file`).
#[derive(Clone, Debug, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub(crate) struct UploadQuery {
    /// For a log: the collection's slug.
    collection: Option<String>,
    /// For a log: the organisation's slug.
    organisation: Option<String>,
    /// For a log: the period's key (default: the latest that has started).
    period: Option<String>,
    /// For a table of a return: the return's id.
    submission: Option<String>,
    /// And the table (its section's id).
    table: Option<String>,
    /// The file's name, e.g. `lettings.csv` (for a raw body).
    file_name: Option<String>,
}

/// A group of the report's items: one column and code.
#[derive(Serialize, ToSchema)]
pub(crate) struct GroupBody {
    severity: String,
    /// The column as written in the file (empty: the file as a whole).
    column: String,
    code: String,
    /// How many items.
    count: usize,
    /// The first cells (or rows) where it was found.
    first: Vec<String>,
    message: String,
}

impl From<Group> for GroupBody {
    fn from(g: Group) -> GroupBody {
        GroupBody {
            severity: g.severity,
            column: g.column,
            code: g.code,
            count: g.count,
            first: g.first,
            message: g.message,
        }
    }
}

/// An upload: what it is for, where it is, and what checking it found.
#[derive(Serialize, ToSchema)]
pub(crate) struct UploadBody {
    id: String,
    /// `queued`, `checking`, `failed`, `confirm` (warnings to confirm), `storing`, `stored` or
    /// `same_file` (uploaded before: not stored again).
    state: String,
    collection: String,
    version: i64,
    organisation: String,
    period: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    submission: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    table: Option<String>,
    file_name: String,
    size: i64,
    sha256: String,
    /// Rows read so far.
    rows_read: i64,
    /// Errors found so far (all of them).
    error_count: i64,
    warning_count: i64,
    /// Records (or rows) stored.
    stored_count: i64,
    /// Why the whole file was refused, when it was.
    #[serde(skip_serializing_if = "Option::is_none")]
    message: Option<String>,
    /// The earlier upload of the same file.
    #[serde(skip_serializing_if = "Option::is_none")]
    same_as: Option<String>,
    /// The items grouped by column and code.
    summary: Vec<GroupBody>,
    /// A page of the items (`?page=N`, 100 a page), errors first.
    items: Vec<ItemBody>,
    /// How many items are kept (at most 10,000; `error_count` and `warning_count` count all).
    items_kept: usize,
    /// The next page of items, if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    next_page: Option<String>,
    /// The uploaded file with its problems marked, once made.
    #[serde(skip_serializing_if = "Option::is_none")]
    annotated_workbook: Option<String>,
    created_at: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    finished_at: Option<String>,
}

fn body_of(view: &UploadView, page: usize) -> UploadBody {
    let u = &view.upload;
    let items = view.items();
    let start = page.saturating_sub(1).saturating_mul(PER_PAGE);
    let next_page = (items.len() > start.saturating_add(PER_PAGE))
        .then(|| format!("/api/v1/uploads/{}?page={}", u.id, page.max(1).saturating_add(1)));
    UploadBody {
        id: u.id.clone(),
        state: u.state.as_str().into(),
        collection: u.collection.clone(),
        version: u.version,
        organisation: view.organisation_slug.clone(),
        period: u.period.clone(),
        submission: u.submission_id.clone(),
        table: u.table_id.clone(),
        file_name: u.file_name.clone(),
        size: u.size,
        sha256: u.sha256.clone(),
        rows_read: u.rows_read,
        error_count: u.error_count,
        warning_count: u.warning_count,
        stored_count: u.stored_count,
        message: u.message.clone(),
        same_as: u.same_as.clone(),
        summary: uploads::summary(&items).into_iter().map(GroupBody::from).collect(),
        items: items.iter().skip(start).take(PER_PAGE).map(ItemBody::from).collect(),
        items_kept: items.len(),
        next_page,
        annotated_workbook: u
            .annotated_key
            .as_ref()
            .map(|_| format!("/api/v1/uploads/{}/annotated.xlsx", u.id)),
        created_at: iso(u.created_at),
        finished_at: u.finished_at.map(iso),
    }
}

fn bad(code: &'static str, message: impl Into<String>) -> AppError {
    AppError::BadRequest { code, message: message.into() }
}

/// Upload a CSV or XLSX file: the records of a log (`collection`, `organisation`, `period`) or
/// the rows of one table of a return (`submission`, `table`), as the raw body (with `?file_name=`)
/// or as `multipart/form-data` (the fields, then `file`). The file is kept and checked by a job:
/// the answer is `202` with the upload and its `Location`. A file with any error stores nothing;
/// one with warnings waits for them to be confirmed; the same file uploaded again is recognised.
#[utoipa::path(post, path = "/api/v1/uploads", tag = "uploads",
    request_body(content = Vec<u8>, content_type = "text/csv", description = "CSV or XLSX, raw or as multipart `file`"),
    params(UploadQuery),
    responses((status = 202, body = UploadBody), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 413, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub(crate) async fn create(
    State(state): State<AppState>,
    api: Api,
    Query(mut query): Query<UploadQuery>,
    request: Request,
) -> Result<Response, AppError> {
    let content_type =
        request.headers().get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or("").to_string();
    let limit = state.config().max_upload_bytes;
    let over_limit = Arc::new(AtomicBool::new(false));
    let outcome = if content_type.starts_with("multipart/form-data") {
        let mut multipart =
            Multipart::from_request(request, &state).await.map_err(|e| bad("bad_form", e.body_text()))?;
        loop {
            let field = match multipart.next_field().await {
                Ok(Some(field)) => field,
                Ok(None) => {
                    return Err(ServiceError::invalid(
                        "file",
                        "required",
                        "Send the file in a part named file",
                    )
                    .into());
                }
                Err(e) if e.status() == StatusCode::PAYLOAD_TOO_LARGE => {
                    return Err(AppError::too_large(limit));
                }
                Err(e) => return Err(bad("bad_form", e.body_text())),
            };
            let name = field.name().unwrap_or_default().to_string();
            if name == "file" {
                let file_name = field.file_name().unwrap_or("upload.csv").to_string();
                let new = new_file(query, file_name, watch_limit(field, &over_limit));
                break uploads::receive(&state, state.files(), api.actor(), new).await;
            }
            let value = field.text().await.map_err(|e| bad("bad_form", e.body_text()))?;
            let slot = match name.as_str() {
                "collection" => &mut query.collection,
                "organisation" => &mut query.organisation,
                "period" => &mut query.period,
                "submission" => &mut query.submission,
                "table" => &mut query.table,
                _ => continue,
            };
            *slot = Some(value);
        }
    } else {
        let default = if content_type.contains("spreadsheetml") { "upload.xlsx" } else { "upload.csv" };
        let file_name = query.file_name.clone().unwrap_or_else(|| default.to_string());
        // A body over the limit stops at the limit in the service (a declared one is refused
        // before it is read).
        let body = request.into_body().into_data_stream();
        let new = new_file(query, file_name, body);
        uploads::receive(&state, state.files(), api.actor(), new).await
    };
    let view = match outcome {
        Ok(view) => view,
        Err(ServiceError::Invalid(_)) if over_limit.load(Ordering::Relaxed) => {
            return Err(AppError::too_large(limit));
        }
        Err(e) => return Err(e.into()),
    };
    let location = format!("/api/v1/uploads/{}", view.upload.id);
    let mut response = (StatusCode::ACCEPTED, Json(body_of(&view, 1))).into_response();
    if let Ok(value) = HeaderValue::from_str(&location) {
        response.headers_mut().insert(header::LOCATION, value);
    }
    Ok(response)
}

fn new_file<S>(query: UploadQuery, file_name: String, body: S) -> NewFile<S> {
    NewFile {
        collection: query.collection,
        organisation: query.organisation,
        period: query.period,
        submission: query.submission,
        table: query.table,
        file_name,
        body,
    }
}

/// Which uploads to list.
#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub(crate) struct ListQuery {
    /// One collection (slug).
    collection: Option<String>,
    /// One organisation (slug).
    organisation: Option<String>,
    /// One return's table uploads.
    submission: Option<String>,
    /// At most this many (default 50, at most 500).
    limit: Option<i64>,
}

/// The uploads you may see, newest first: your organisations' (the staff: every organisation's).
#[utoipa::path(get, path = "/api/v1/uploads", tag = "uploads", params(ListQuery),
    responses((status = 200, body = Vec<UploadBody>), (status = 401, body = ErrorBody)))]
pub(crate) async fn list(
    State(state): State<AppState>,
    api: Api,
    Query(query): Query<ListQuery>,
) -> Result<Json<Vec<UploadBody>>, AppError> {
    let organisation = match &query.organisation {
        Some(slug) => Some(
            formwork_service::submissions::organisation_id(&state, slug)
                .await?
                .unwrap_or_else(|| "-".to_string()),
        ),
        None => None,
    };
    let filter = UploadFilter {
        collection: query.collection,
        organisation,
        submission: query.submission,
        limit: query.limit,
    };
    let list = uploads::list(&state, api.actor(), filter).await?;
    let mut bodies = Vec::with_capacity(list.len());
    // `list` has decided who may see them: no need to read each one again.
    for upload in list {
        bodies.push(body_of(&uploads::view_of(&state, upload).await?, usize::MAX));
    }
    Ok(Json(bodies))
}

/// A page of an upload's items.
#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub(crate) struct PageQuery {
    /// The page of items, from 1 (100 a page).
    page: Option<usize>,
}

/// An upload: its state and progress while it is checked (rows read, errors so far), then its
/// outcome, the report's summary and a page of its items.
#[utoipa::path(get, path = "/api/v1/uploads/{id}", tag = "uploads",
    params(("id" = String, Path, description = "The upload's id"), PageQuery),
    responses((status = 200, body = UploadBody), (status = 404, body = ErrorBody)))]
pub(crate) async fn get(
    State(state): State<AppState>,
    api: Api,
    Path(id): Path<String>,
    Query(page): Query<PageQuery>,
) -> Result<Json<UploadBody>, AppError> {
    let view = uploads::get(&state, api.actor(), &id).await?;
    Ok(Json(body_of(&view, page.page.unwrap_or(1).max(1))))
}

/// Why the warnings are right.
#[derive(Deserialize, ToSchema)]
pub(crate) struct ConfirmBody {
    /// One reason for every warning in the file.
    reason: String,
}

/// Confirm every warning of an upload in state `confirm` with one reason: its records are then
/// stored (202; poll the upload).
#[utoipa::path(post, path = "/api/v1/uploads/{id}/confirm", tag = "uploads", request_body = ConfirmBody,
    params(("id" = String, Path, description = "The upload's id")),
    responses((status = 202, body = UploadBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub(crate) async fn confirm(
    State(state): State<AppState>,
    api: Api,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<ConfirmBody>,
) -> Result<Response, AppError> {
    let view = uploads::confirm(&state, api.actor(), &id, &body.reason).await?;
    Ok((StatusCode::ACCEPTED, Json(body_of(&view, 1))).into_response())
}

/// Check a failed upload again (service admins): 202; poll the upload.
#[utoipa::path(post, path = "/api/v1/uploads/{id}/rerun", tag = "uploads",
    params(("id" = String, Path, description = "The upload's id")),
    responses((status = 202, body = UploadBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub(crate) async fn rerun(
    State(state): State<AppState>,
    api: Api,
    Path(id): Path<String>,
) -> Result<Response, AppError> {
    let view = uploads::rerun(&state, api.actor(), &id).await?;
    Ok((StatusCode::ACCEPTED, Json(body_of(&view, 1))).into_response())
}

fn download(download: formwork_files::Download, content_type: &'static str, name: &str) -> Response {
    let size = download.size();
    let mut response = Body::from_stream(download).into_response();
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    headers.insert(header::CONTENT_LENGTH, HeaderValue::from(size));
    if let Ok(value) = HeaderValue::from_str(&content_disposition(name)) {
        headers.insert(header::CONTENT_DISPOSITION, value);
    }
    headers.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("private, no-store"));
    response
}

/// The uploaded file with its problems marked, as a workbook (an upload that failed).
#[utoipa::path(get, path = "/api/v1/uploads/{id}/annotated.xlsx", tag = "uploads",
    params(("id" = String, Path, description = "The upload's id")),
    responses((status = 200, content_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", body = Vec<u8>), (status = 404, body = ErrorBody)))]
pub(crate) async fn annotated(
    State(state): State<AppState>,
    api: Api,
    Path(id): Path<String>,
) -> Result<Response, AppError> {
    let (view, file) = uploads::annotated(&state, state.files(), api.actor(), &id).await?;
    let stem = view.upload.file_name.rsplit_once('.').map_or(view.upload.file_name.as_str(), |(s, _)| s);
    Ok(download(
        file,
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        &format!("{stem}-errors.xlsx"),
    ))
}

/// The file as it was uploaded (service admins).
#[utoipa::path(get, path = "/api/v1/uploads/{id}/original", tag = "uploads",
    params(("id" = String, Path, description = "The upload's id")),
    responses((status = 200, content_type = "application/octet-stream", body = Vec<u8>), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub(crate) async fn original(
    State(state): State<AppState>,
    api: Api,
    Path(id): Path<String>,
) -> Result<Response, AppError> {
    let (view, file) = uploads::original(&state, state.files(), api.actor(), &id).await?;
    let content_type = if view.upload.file_name.to_lowercase().ends_with(".xlsx") {
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    } else {
        "text/csv"
    };
    Ok(download(file, content_type, &view.upload.file_name))
}
