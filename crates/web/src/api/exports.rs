//! Exports through the API: `GET /api/v1/exports/{collection}.{csv|xlsx|jsonl|parquet}` with the
//! search's filters streams exactly what they select (never built first: the first bytes leave at
//! once, memory stays flat); `POST /api/v1/exports` prepares one as a file by a job, for its
//! requester to download until it expires; `/api/v1/scheduled-exports` are the nightly feeds.

use axum::Json;
use axum::body::Body;
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use formwork_service::exports::{self, ExportJob, ExportRequest, NewFeed, Prepared};
use formwork_service::search::{SearchQuery, Subject};
use formwork_service::{Actor, ServiceError};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::AppState;
use crate::api::types::{ErrorBody, iso};
use crate::api::{Api, ApiJson};
use crate::disposition::content_disposition;
use crate::error::AppError;

/// `lettings-log.csv` → (`lettings-log`, `csv`).
fn split_file(file: &str) -> Result<(String, String), ServiceError> {
    match file.rsplit_once('.') {
        Some((slug, ext)) if !slug.is_empty() => Ok((slug.to_string(), ext.to_lowercase())),
        _ => Err(ServiceError::NotFound(
            "Ask for an export as /exports/COLLECTION.csv, .xlsx, .jsonl or .parquet".into(),
        )),
    }
}

/// The export a query string asks for: the search's filters, `headers=labels`,
/// `choices=labels`, `table=ID`.
pub(crate) fn request_of(
    collection: String,
    format: String,
    query: Option<&str>,
) -> Result<ExportRequest, ServiceError> {
    let pairs: Vec<(String, String)> =
        url::form_urlencoded::parse(query.unwrap_or_default().as_bytes()).into_owned().collect();
    let mut request = ExportRequest { collection, format, ..ExportRequest::default() };
    for (name, value) in &pairs {
        match (name.as_str(), value.trim()) {
            ("headers", "labels") => request.labels = true,
            ("headers", "ids" | "") => {}
            ("headers", other) => {
                return Err(ServiceError::invalid(
                    "headers",
                    "headers",
                    format!("headers must be ids or labels, not “{other}”"),
                ));
            }
            ("choices", "labels") => request.choice_labels = true,
            ("choices", "values" | "") => {}
            ("choices", other) => {
                return Err(ServiceError::invalid(
                    "choices",
                    "choices",
                    format!("choices must be values or labels, not “{other}”"),
                ));
            }
            ("table", t) if !t.is_empty() => request.table = Some(t.to_string()),
            _ => {}
        }
    }
    // The subject only shapes parsing here; the service decides it from the collection.
    let query =
        SearchQuery::from_pairs(Subject::Records, pairs.iter().map(|(k, v)| (k.as_str(), v.as_str())));
    request.filters = query
        .filter_pairs()
        .into_iter()
        .filter(|(name, _)| *name != "collection")
        .map(|(k, v)| (k.to_string(), v))
        .collect();
    Ok(request)
}

/// The streaming response of a prepared export.
pub(crate) fn stream_response(state: &AppState, prepared: Prepared) -> Response {
    let file_name = prepared.file_name.clone();
    let content_type = prepared.content_type;
    let link = format!("<{}>; rel=\"describedby\"", prepared.dictionary_link);
    let mut response = Body::from_stream(exports::stream(state, prepared)).into_response();
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    if let Ok(value) = HeaderValue::from_str(&content_disposition(&file_name)) {
        headers.insert(header::CONTENT_DISPOSITION, value);
    }
    if let Ok(value) = HeaderValue::from_str(&link) {
        headers.insert(header::LINK, value);
    }
    headers.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("private, no-store"));
    response
}

/// Export what the search's filters select in one collection, streamed: `.csv` (UTF-8 with a
/// BOM; a return with tables is a zip with one CSV per table, the data dictionary and
/// `columns.csv`), `.xlsx` (one sheet per section and table), `.jsonl` (one object per line,
/// tables nested) or `.parquet` (typed columns; a return with tables is a zip of one file per
/// table). Filters: `organisation`, `period`, `version`, `state` (repeatable), `updated_since`,
/// `q`; options: `headers=labels`, `choices=labels`, `table=ID` (only that table's rows).
/// An organisation's people get only their organisations' rows.
#[utoipa::path(get, path = "/api/v1/exports/{file}", tag = "exports",
    params(("file" = String, Path, description = "The collection's slug and the format, e.g. `lettings-log.csv`")),
    responses((status = 200, description = "The export, streamed", content_type = "application/octet-stream", body = Vec<u8>),
        (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub(crate) async fn download(
    State(state): State<AppState>,
    api: Api,
    Path(file): Path<String>,
    RawQuery(query): RawQuery,
) -> Result<Response, AppError> {
    let (collection, format) = split_file(&file)?;
    let request = request_of(collection, format, query.as_deref())?;
    let prepared = exports::prepare(&state, api.actor(), &request).await?;
    Ok(stream_response(&state, prepared))
}

/// An export prepared as a file.
#[derive(Serialize, ToSchema)]
pub(crate) struct ExportJobBody {
    id: String,
    collection: String,
    format: String,
    /// `queued`, `running`, `ready`, `failed` or `expired`.
    state: String,
    rows_total: Option<i64>,
    rows_done: i64,
    file_name: Option<String>,
    size: Option<i64>,
    sha256: Option<String>,
    error: Option<String>,
    created_at: String,
    /// When the file is removed.
    expires_at: Option<String>,
    /// Where to download it once `ready` (only the person who asked may).
    download: Option<String>,
}

impl From<ExportJob> for ExportJobBody {
    fn from(job: ExportJob) -> ExportJobBody {
        let ready = job.state == exports::ExportState::Ready;
        ExportJobBody {
            download: ready.then(|| format!("/api/v1/exports/jobs/{}/file", job.id)),
            id: job.id,
            collection: job.collection,
            format: job.format,
            state: job.state.as_str().into(),
            rows_total: job.rows_total,
            rows_done: job.rows_done,
            file_name: job.file_name,
            size: job.size,
            sha256: job.sha256,
            error: job.error,
            created_at: iso(job.created_at),
            expires_at: job.expires_at.map(iso),
        }
    }
}

/// What to prepare as a file.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct NewExportBody {
    /// The collection's slug.
    collection: String,
    /// `csv`, `xlsx`, `jsonl` or `parquet`.
    format: String,
    /// The search's filters, as in the query string: `organisation`, `period`, `version`,
    /// `states` (comma-separated), `updated_since`, `q`.
    #[serde(default)]
    filters: std::collections::BTreeMap<String, String>,
    /// `ids` (default) or `labels`.
    #[serde(default)]
    headers: Option<String>,
    /// `values` (default) or `labels`.
    #[serde(default)]
    choices: Option<String>,
    /// Only this table section's rows.
    #[serde(default)]
    table: Option<String>,
}

/// Prepare an export as a file, by a job: 202 with its `Location`; poll it until `ready`, then
/// download it from `download` (only you may, until `expires_at`).
#[utoipa::path(post, path = "/api/v1/exports", tag = "exports", request_body = NewExportBody,
    responses((status = 202, body = ExportJobBody), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub(crate) async fn create(
    State(state): State<AppState>,
    api: Api,
    ApiJson(body): ApiJson<NewExportBody>,
) -> Result<Response, AppError> {
    let mut query: Vec<(String, String)> = body.filters.into_iter().collect();
    query.extend(body.headers.map(|h| ("headers".to_string(), h)));
    query.extend(body.choices.map(|c| ("choices".to_string(), c)));
    query.extend(body.table.map(|t| ("table".to_string(), t)));
    let encoded = url::form_urlencoded::Serializer::new(String::new()).extend_pairs(&query).finish();
    let request = request_of(body.collection, body.format, Some(&encoded))?;
    let job = exports::start_job(&state, api.actor(), &request).await?;
    let location = format!("/api/v1/exports/jobs/{}", job.id);
    let mut response = (StatusCode::ACCEPTED, Json(ExportJobBody::from(job))).into_response();
    if let Ok(value) = HeaderValue::from_str(&location) {
        response.headers_mut().insert(header::LOCATION, value);
    }
    Ok(response)
}

/// Your exports prepared as files, newest first.
#[utoipa::path(get, path = "/api/v1/exports/jobs", tag = "exports",
    responses((status = 200, body = Vec<ExportJobBody>), (status = 401, body = ErrorBody)))]
pub(crate) async fn jobs(
    State(state): State<AppState>,
    api: Api,
) -> Result<Json<Vec<ExportJobBody>>, AppError> {
    let jobs = exports::jobs(&state, api.actor()).await?;
    Ok(Json(jobs.into_iter().map(ExportJobBody::from).collect()))
}

/// One of your exports prepared as a file (another person's is 404).
#[utoipa::path(get, path = "/api/v1/exports/jobs/{id}", tag = "exports",
    params(("id" = String, Path, description = "The export's id")),
    responses((status = 200, body = ExportJobBody), (status = 404, body = ErrorBody)))]
pub(crate) async fn job(
    State(state): State<AppState>,
    api: Api,
    Path(id): Path<String>,
) -> Result<Json<ExportJobBody>, AppError> {
    Ok(Json(exports::job(&state, api.actor(), &id).await?.into()))
}

/// Download an export prepared as a file: only the person who asked, until it expires.
#[utoipa::path(get, path = "/api/v1/exports/jobs/{id}/file", tag = "exports",
    params(("id" = String, Path, description = "The export's id")),
    responses((status = 200, content_type = "application/octet-stream", body = Vec<u8>), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub(crate) async fn file(
    State(state): State<AppState>,
    api: Api,
    Path(id): Path<String>,
) -> Result<Response, AppError> {
    Ok(file_response(&state, api.actor(), &id).await?)
}

/// The download of an export prepared as a file, for the API and the pages alike.
pub(crate) async fn file_response(
    state: &AppState,
    actor: &Actor,
    id: &str,
) -> Result<Response, ServiceError> {
    let (job, file) = exports::download(state, state.files(), actor, id).await?;
    let size = file.size();
    let mut response = Body::from_stream(file).into_response();
    let headers = response.headers_mut();
    let content_type = job.content_type.as_deref().unwrap_or("application/octet-stream");
    if let Ok(value) = HeaderValue::from_str(content_type) {
        headers.insert(header::CONTENT_TYPE, value);
    }
    headers.insert(header::CONTENT_LENGTH, HeaderValue::from(size));
    if let Ok(value) =
        HeaderValue::from_str(&content_disposition(job.file_name.as_deref().unwrap_or("export")))
    {
        headers.insert(header::CONTENT_DISPOSITION, value);
    }
    headers.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("private, no-store"));
    Ok(response)
}

/// A scheduled export: a collection's nightly feed.
#[derive(Serialize, ToSchema)]
pub(crate) struct FeedBody {
    id: String,
    collection: String,
    format: String,
    /// Where in object storage its runs go: `{prefix}/{collection}/{time}/`.
    prefix: String,
    /// `full` or `changes`.
    mode: String,
    last_run_at: Option<String>,
    /// The manifest its last run wrote.
    last_manifest: Option<String>,
    last_error: Option<String>,
}

impl From<exports::Feed> for FeedBody {
    fn from(f: exports::Feed) -> FeedBody {
        FeedBody {
            id: f.id,
            collection: f.collection,
            format: f.format,
            prefix: f.prefix,
            mode: f.mode.as_str().into(),
            last_run_at: f.last_run_at.map(iso),
            last_manifest: f.last_manifest_key,
            last_error: f.last_error,
        }
    }
}

/// A new scheduled export.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct NewFeedBody {
    collection: String,
    format: String,
    prefix: String,
    /// `full` (default) or `changes`.
    #[serde(default)]
    mode: Option<String>,
}

/// Every scheduled export (service admins).
#[utoipa::path(get, path = "/api/v1/scheduled-exports", tag = "exports",
    responses((status = 200, body = Vec<FeedBody>), (status = 403, body = ErrorBody)))]
pub(crate) async fn feeds(State(state): State<AppState>, api: Api) -> Result<Json<Vec<FeedBody>>, AppError> {
    Ok(Json(exports::feeds(&state, api.actor()).await?.into_iter().map(FeedBody::from).collect()))
}

/// Set up a scheduled export (service admins): every night at 02:00 UTC it writes the collection
/// (or its changes since the last run) under the prefix, with a `manifest.json`.
#[utoipa::path(post, path = "/api/v1/scheduled-exports", tag = "exports", request_body = NewFeedBody,
    responses((status = 201, body = FeedBody), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub(crate) async fn add_feed(
    State(state): State<AppState>,
    api: Api,
    ApiJson(body): ApiJson<NewFeedBody>,
) -> Result<Response, AppError> {
    let new =
        NewFeed { collection: body.collection, format: body.format, prefix: body.prefix, mode: body.mode };
    let feed = exports::add_feed(&state, api.actor(), &new).await?;
    Ok((StatusCode::CREATED, Json(FeedBody::from(feed))).into_response())
}

/// Stop a scheduled export (service admins); what it wrote stays.
#[utoipa::path(delete, path = "/api/v1/scheduled-exports/{id}", tag = "exports",
    params(("id" = String, Path, description = "The scheduled export's id")),
    responses((status = 204), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub(crate) async fn remove_feed(
    State(state): State<AppState>,
    api: Api,
    Path(id): Path<String>,
) -> Result<StatusCode, AppError> {
    exports::remove_feed(&state, api.actor(), &id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// What a run wrote.
#[derive(Serialize, ToSchema)]
pub(crate) struct ManifestBody {
    collection: String,
    format: String,
    mode: String,
    changes_since: Option<String>,
    cutoff: String,
    /// Each file: `key`, `name`, `rows`, `size`, `sha256`.
    files: Vec<serde_json::Value>,
}

/// Run a scheduled export now (service admins), as the nightly job would: its manifest.
#[utoipa::path(post, path = "/api/v1/scheduled-exports/{id}/run", tag = "exports",
    params(("id" = String, Path, description = "The scheduled export's id")),
    responses((status = 200, body = ManifestBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub(crate) async fn run_feed(
    State(state): State<AppState>,
    api: Api,
    Path(id): Path<String>,
) -> Result<Json<ManifestBody>, AppError> {
    let manifest = exports::run_feed_as(&state, state.files(), api.actor(), &id).await?;
    Ok(Json(ManifestBody {
        collection: manifest.collection,
        format: manifest.format,
        mode: manifest.mode.as_str().into(),
        changes_since: manifest.changes_since,
        cutoff: manifest.cutoff,
        files: manifest.files.iter().filter_map(|f| serde_json::to_value(f).ok()).collect(),
    }))
}
