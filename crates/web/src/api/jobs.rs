//! `/api/v1/jobs`: the background job queue (service admins).

use axum::Json;
use axum::extract::{Path, State};
use axum::response::Response;
use formwork_service::queue;

use crate::AppState;
use crate::api::Api;
use crate::api::types::{ErrorBody, JobBody, QueueBody};
use crate::error::{AppError, no_content};

/// Jobs waiting (soonest first) and failed for good (newest first).
#[utoipa::path(get, path = "/api/v1/jobs", tag = "jobs",
    responses((status = 200, body = QueueBody), (status = 403, body = ErrorBody)))]
pub(crate) async fn list(State(state): State<AppState>, api: Api) -> Result<Json<QueueBody>, AppError> {
    let q = queue::list(&state, api.actor()).await?;
    Ok(Json(QueueBody {
        pending: q.pending.into_iter().map(JobBody::from).collect(),
        failed: q.failed.into_iter().map(JobBody::from).collect(),
    }))
}

/// Run a failed job again.
#[utoipa::path(post, path = "/api/v1/jobs/{id}/retry", tag = "jobs",
    params(("id" = String, Path, description = "The job's id")),
    responses((status = 204), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub(crate) async fn retry(
    State(state): State<AppState>,
    api: Api,
    Path(id): Path<String>,
) -> Result<Response, AppError> {
    queue::retry(&state, api.actor(), &id).await?;
    Ok(no_content())
}
