//! formwork's web service: server-rendered GOV.UK pages and the JSON API (`/api/v1`), two thin
//! adapters over the same operations ([`formwork_service`]); sign-in by password or OpenID
//! Connect; security headers; `/healthz`, `/readyz` and `/metrics`.
//!
//! Error policy: handlers return [`AppError`], made from the operations' errors; one middleware
//! renders it as a GOV.UK error page or as the JSON error body, depending on the path. Internal
//! errors are logged there, once, with the request id, and never shown in detail.

mod api;
mod assets;
mod auth;
pub mod components;
mod cookies;
mod disposition;
mod error;
mod forms;
mod limits;
mod metrics;
mod middleware;
mod oidc;
mod pages;
mod returns;
mod routes;

use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use formwork_files::Files;
use formwork_service::App;

pub use error::AppError;
pub use oidc::OidcConfig;
pub use routes::pages;

/// How the web service is set up.
#[derive(Clone, Debug)]
pub struct Config {
    /// The address people reach the service at, e.g. `https://returns.example.gov.uk`. Cookies are
    /// `Secure` and HSTS is sent when it is https.
    pub base_url: String,
    /// Sign-in through an OpenID Connect provider, when configured.
    pub oidc: Option<OidcConfig>,
    /// The largest request body accepted, in bytes. A `Content-Length` over it is refused before
    /// the body is read.
    pub max_upload_bytes: usize,
    /// The longest a client may take to send a request's headers; its connection is then closed.
    pub header_read_timeout: Duration,
    /// The longest the service waits for the next part of a request's body; the request is then
    /// answered 408 and its connection closed.
    pub body_read_timeout: Duration,
    /// Take the client's address from the last `X-Forwarded-For` entry (behind a load balancer).
    pub trust_forwarded_for: bool,
    /// When set, `/metrics` answers only requests that send it as `Authorization: Bearer`.
    pub metrics_token: Option<String>,
    /// What the pages' header and footer show.
    pub brand: Brand,
    /// The public body that runs the service, named in the header and footer.
    pub organisation_name: Option<String>,
}

/// What the pages' header and footer show. GOV.UK Frontend reserves the crown and the GOV.UK
/// logotype for services on GOV.UK; any other service shows its own names.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Brand {
    /// The public body's name above the service's, with no crown: GOV.UK Frontend's generic
    /// header.
    #[default]
    Plain,
    /// The GOV.UK crown and logotype, and Crown copyright: only for services on GOV.UK.
    Govuk,
}

impl Config {
    /// True when the service is reached over https.
    pub fn secure(&self) -> bool {
        self.base_url.starts_with("https://")
    }
}

/// What every request handler can reach.
#[derive(Clone)]
pub struct AppState(Arc<Inner>);

struct Inner {
    app: App,
    files: Files,
    config: Config,
    oidc: Option<oidc::Client>,
    metrics: metrics::Metrics,
}

impl std::ops::Deref for AppState {
    type Target = App;
    fn deref(&self) -> &App {
        &self.0.app
    }
}

impl AppState {
    /// The state for `app`, with `files` for storage.
    pub fn new(app: App, files: Files, config: Config) -> AppState {
        let oidc = config.oidc.clone().map(oidc::Client::new);
        AppState(Arc::new(Inner { app, files, config, oidc, metrics: metrics::Metrics::default() }))
    }

    /// The operations.
    pub fn app(&self) -> &App {
        &self.0.app
    }

    /// Where files are kept.
    pub fn files(&self) -> &Files {
        &self.0.files
    }

    pub(crate) fn config(&self) -> &Config {
        &self.0.config
    }

    pub(crate) fn oidc(&self) -> Option<&oidc::Client> {
        self.0.oidc.as_ref()
    }

    pub(crate) fn metrics(&self) -> &metrics::Metrics {
        &self.0.metrics
    }
}

/// The whole service: pages, API, assets, health and metrics, with the middleware.
pub fn router(state: AppState) -> Router {
    let (api, _) = api::router().split_for_parts();
    routes::router()
        .merge(api)
        .fallback(routes::not_found)
        .layer(axum::extract::DefaultBodyLimit::max(state.config().max_upload_bytes))
        .layer(tower_http::catch_panic::CatchPanicLayer::custom(error::panicked))
        .layer(axum::middleware::from_fn_with_state(state.clone(), limits::guard))
        .layer(axum::middleware::from_fn_with_state(state.clone(), error::render))
        .layer(axum::middleware::from_fn_with_state(state.clone(), middleware::around))
        .with_state(state)
}

/// The OpenAPI document of `/api/v1`.
pub fn openapi() -> utoipa::openapi::OpenApi {
    api::document()
}

/// Serve until `shutdown` completes, then finish the requests in hand. Each connection speaks
/// HTTP/1.1 with the configured header read timeout (axum's own `serve` has none).
pub async fn serve(
    mut listener: tokio::net::TcpListener,
    state: AppState,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    use axum::extract::ConnectInfo;
    use hyper_util::rt::{TokioIo, TokioTimer};
    use tower::ServiceExt as _;

    let header_read_timeout = state.config().header_read_timeout;
    let router = router(state);
    let connections = hyper_util::server::graceful::GracefulShutdown::new();
    let mut shutdown = std::pin::pin!(shutdown);
    loop {
        let (stream, remote) = tokio::select! {
            // axum's listener waits and retries when accepting fails (too many open files).
            accepted = axum::serve::Listener::accept(&mut listener) => accepted,
            () = &mut shutdown => break,
        };
        let service = router.clone().map_request(move |mut request: axum::http::Request<_>| {
            request.extensions_mut().insert(ConnectInfo(remote));
            request
        });
        let connection = hyper::server::conn::http1::Builder::new()
            .timer(TokioTimer::new())
            .header_read_timeout(header_read_timeout)
            .serve_connection(TokioIo::new(stream), hyper_util::service::TowerToHyperService::new(service));
        let connection = connections.watch(connection);
        tokio::spawn(async move {
            if let Err(error) = connection.await {
                tracing::debug!(%error, "a connection ended with an error");
            }
        });
    }
    drop(listener);
    connections.shutdown().await;
    Ok(())
}
