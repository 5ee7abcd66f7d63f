//! `/api/v1/tokens`: the caller's API tokens.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use formwork_service::tokens;

use crate::AppState;
use crate::api::types::{CreatedToken, ErrorBody, NewToken, TokenBody};
use crate::api::{Api, ApiJson};
use crate::error::{AppError, no_content};

/// The caller's tokens, newest first (never their secrets).
#[utoipa::path(get, path = "/api/v1/tokens", tag = "account",
    responses((status = 200, body = Vec<TokenBody>), (status = 401, body = ErrorBody)))]
pub(crate) async fn list(State(state): State<AppState>, api: Api) -> Result<Json<Vec<TokenBody>>, AppError> {
    Ok(Json(tokens::list(&state, api.actor()).await?.into_iter().map(TokenBody::from).collect()))
}

/// Make a token. Its secret is in this answer only.
#[utoipa::path(post, path = "/api/v1/tokens", tag = "account", request_body = NewToken,
    responses((status = 201, body = CreatedToken), (status = 401, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub(crate) async fn create(
    State(state): State<AppState>,
    api: Api,
    ApiJson(body): ApiJson<NewToken>,
) -> Result<(StatusCode, Json<CreatedToken>), AppError> {
    let (token, secret) = tokens::create(&state, api.actor(), &body.name).await?;
    Ok((StatusCode::CREATED, Json(CreatedToken { token: token.into(), secret })))
}

/// Revoke one of the caller's tokens: it stops working at once.
#[utoipa::path(delete, path = "/api/v1/tokens/{id}", tag = "account",
    params(("id" = String, Path, description = "The token's id")),
    responses((status = 204), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub(crate) async fn revoke(
    State(state): State<AppState>,
    api: Api,
    Path(id): Path<String>,
) -> Result<Response, AppError> {
    tokens::revoke(&state, api.actor(), &id).await?;
    Ok(no_content())
}
