//! The start page, the cookies and accessibility pages, health checks and metrics.

use std::time::Duration;

use askama::Template;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use formwork_service::collections::Collection;
use formwork_service::organisations::Organisation;
use formwork_service::{collections, organisations};
use serde_json::json;

use crate::AppState;
use crate::error::AppError;
use crate::pages::{Ctx, Page, render};

#[derive(Template)]
#[template(path = "home.html")]
struct Home {
    page: Page,
    collections: Vec<Collection>,
    organisations: Vec<Organisation>,
    staff: Option<&'static str>,
}

/// `GET /`: for signed-out people, what the service is and how to sign in; for everyone else,
/// their organisations and collections.
pub(crate) async fn home(ctx: Ctx) -> Result<Response, AppError> {
    let page = ctx.page(ctx.state.settings.service_name.clone(), "/");
    let (collections, organisations) = if ctx.principal.signed_in() {
        (
            collections::list(&ctx.state, ctx.actor()).await?,
            organisations::list(&ctx.state, ctx.actor()).await?,
        )
    } else {
        (Vec::new(), Vec::new())
    };
    let staff = ctx.actor().staff().map(|s| s.describe());
    Ok(render(&page, &Home { page: page.clone(), collections, organisations, staff }))
}

#[derive(Template)]
#[template(path = "cookies.html")]
struct Cookies {
    page: Page,
}

/// `GET /cookies`: the cookies the service sets, all essential.
pub(crate) async fn cookies(ctx: Ctx) -> Response {
    let page = ctx.page("Cookies", "");
    render(&page, &Cookies { page: page.clone() })
}

#[derive(Template)]
#[template(path = "accessibility.html")]
struct Accessibility {
    page: Page,
}

/// `GET /accessibility`: the accessibility statement.
pub(crate) async fn accessibility(ctx: Ctx) -> Response {
    let page = ctx.page("Accessibility statement", "");
    render(&page, &Accessibility { page: page.clone() })
}

/// `GET /healthz`: the process is up (it does not look at the database: a load balancer should
/// not restart instances because the database is away).
pub(crate) async fn healthz() -> Response {
    axum::Json(json!({"status": "ok"})).into_response()
}

/// `GET /readyz`: the database and storage answer; 503 saying which does not.
pub(crate) async fn readyz(State(state): State<AppState>) -> Response {
    let limit = Duration::from_secs(3);
    let database = matches!(tokio::time::timeout(limit, state.app().database_answers()).await, Ok(true));
    let storage = matches!(tokio::time::timeout(limit, state.files().ping()).await, Ok(Ok(())));
    let word = |ok: bool| if ok { "ok" } else { "unavailable" };
    let body = json!({"status": if database && storage { "ready" } else { "unavailable" }, "database": word(database), "storage": word(storage)});
    if database && storage {
        axum::Json(body).into_response()
    } else {
        tracing::warn!(database, storage, "not ready: the database or storage does not answer");
        let mut response = (StatusCode::SERVICE_UNAVAILABLE, axum::Json(body)).into_response();
        response.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from_static("5"));
        response
    }
}

/// `GET /metrics`: Prometheus metrics; with `METRICS_TOKEN` set, only for a scraper that sends it
/// as `Authorization: Bearer`.
pub(crate) async fn metrics(State(state): State<AppState>, headers: HeaderMap) -> Response {
    if let Some(token) = &state.config().metrics_token {
        let sent = headers.get(header::AUTHORIZATION).and_then(crate::auth::bearer).unwrap_or_default();
        if !crate::auth::same_secret(sent, token) {
            let mut response = (
                StatusCode::UNAUTHORIZED,
                "Send the metrics token (METRICS_TOKEN) as Authorization: Bearer TOKEN\n",
            )
                .into_response();
            response
                .headers_mut()
                .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer realm=\"metrics\""));
            return response;
        }
    }
    let queue = match tokio::time::timeout(
        Duration::from_secs(2),
        formwork_service::queue::counts(state.app()),
    )
    .await
    {
        Ok(Ok(counts)) => Some(counts),
        _ => None,
    };
    let mut response = state.metrics().render(queue).into_response();
    response
        .headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static("text/plain; version=0.0.4; charset=utf-8"));
    response
}
