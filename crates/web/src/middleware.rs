//! What happens around every request: a request id (taken from `X-Request-Id` when it is sensible,
//! else made), a CSP nonce for the page's one inline script, the security headers, the access log
//! line and the metrics.

use std::time::Instant;

use axum::extract::{MatchedPath, Request, State};
use axum::http::{HeaderName, HeaderValue, header};
use axum::middleware::Next;
use axum::response::Response;
use base64::Engine as _;
use rand::RngExt as _;
use tracing::Instrument as _;

use crate::AppState;

/// What the middleware learned about a request, for handlers and the error renderer.
#[derive(Clone, Debug)]
pub(crate) struct RequestContext {
    /// Its id, also sent back as `X-Request-Id`.
    pub request_id: String,
    /// The nonce that lets the page's inline script run under the CSP.
    pub nonce: String,
}

static REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

fn request_id(request: &Request) -> String {
    request
        .headers()
        .get(&REQUEST_ID)
        .and_then(|v| v.to_str().ok())
        .filter(|v| {
            !v.is_empty()
                && v.len() <= 64
                && v.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
        })
        .map_or_else(|| uuid::Uuid::now_v7().simple().to_string(), str::to_string)
}

fn nonce() -> String {
    let mut bytes = [0u8; 18];
    rand::rng().fill(&mut bytes);
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

/// A new secret for a form's CSRF cookie: 256 random bits, URL-safe.
pub(crate) fn random_token() -> String {
    let mut bytes = [0u8; 32];
    rand::rng().fill(&mut bytes);
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

/// The middleware around every request.
pub(crate) async fn around(State(state): State<AppState>, mut request: Request, next: Next) -> Response {
    let started = Instant::now();
    let context = RequestContext { request_id: request_id(&request), nonce: nonce() };
    let method = request.method().clone();
    let route = request.extensions().get::<MatchedPath>().map(|p| p.as_str().to_string());
    let path = request.uri().path().to_string();
    request.extensions_mut().insert(context.clone());
    let span = tracing::info_span!("request", request.id = %context.request_id, http.method = %method, http.path = %path);
    let mut response = next.run(request).instrument(span).await;

    let route = route
        .or_else(|| response.extensions().get::<MatchedPath>().map(|p| p.as_str().to_string()))
        .unwrap_or_else(|| {
            if path.starts_with("/assets/") { "/assets/{*path}".into() } else { "unmatched".into() }
        });
    let elapsed = started.elapsed();
    let status = response.status();
    state.metrics().record(method.as_str(), &route, status.as_u16(), elapsed);
    if route != "/healthz" && route != "/metrics" && route != "/assets/{*path}" {
        tracing::info!(
            request.id = %context.request_id,
            http.method = %method,
            http.route = %route,
            http.status = status.as_u16(),
            http.ms = elapsed.as_secs_f64() * 1000.0,
            "answered a request"
        );
    }
    secure(&state, &context, &mut response);
    response
}

/// The security headers every response carries.
fn secure(state: &AppState, context: &RequestContext, response: &mut Response) {
    let headers = response.headers_mut();
    let csp = format!(
        "default-src 'self'; script-src 'self' 'nonce-{}'; style-src 'self'; img-src 'self' data:; font-src 'self'; \
         connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'; object-src 'none'",
        context.nonce
    );
    if let Ok(value) = HeaderValue::from_str(&csp) {
        headers.insert(header::CONTENT_SECURITY_POLICY, value);
    }
    if let Ok(value) = HeaderValue::from_str(&context.request_id) {
        headers.insert(REQUEST_ID.clone(), value);
    }
    headers.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    headers.insert(header::REFERRER_POLICY, HeaderValue::from_static("no-referrer"));
    headers.insert(
        HeaderName::from_static("cross-origin-opener-policy"),
        HeaderValue::from_static("same-origin"),
    );
    headers.insert(
        HeaderName::from_static("permissions-policy"),
        HeaderValue::from_static("camera=(), microphone=(), geolocation=(), interest-cohort=()"),
    );
    if state.config().secure() {
        headers.insert(
            header::STRICT_TRANSPORT_SECURITY,
            HeaderValue::from_static("max-age=31536000; includeSubDomains"),
        );
    }
    // Pages and API answers hold people's data: never kept by browsers or proxies, unless the
    // handler said otherwise (assets, templates).
    if !headers.contains_key(header::CACHE_CONTROL) {
        headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
}
