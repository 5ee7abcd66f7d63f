//! The front-end assets embedded in the binary at build time (see `build.rs`): GOV.UK Frontend's
//! CSS, JavaScript, fonts and images from its npm package, and formwork's own few files.

use axum::extract::Path;
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};

use crate::error::AppError;

include!(concat!(env!("OUT_DIR"), "/assets.rs"));

/// `GET /assets/{*path}`: fingerprinted files are cached for a year, the rest for a day.
pub(crate) async fn serve(Path(path): Path<String>) -> Response {
    let Some((url, content_type, bytes)) = ASSETS.iter().find(|(url, _, _)| *url == path) else {
        return AppError::Service(formwork_service::ServiceError::NotFound("Page not found".into()))
            .into_response();
    };
    let fingerprinted = url.contains('/') && !url.starts_with("fonts/") && !url.starts_with("images/");
    let cache = if fingerprinted { "public, max-age=31536000, immutable" } else { "public, max-age=86400" };
    let mut response = (*bytes).into_response();
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static(cache));
    response
}

/// `GET /favicon.ico`: browsers ask for it at the root whatever a page links to.
pub(crate) async fn favicon() -> Response {
    serve(Path("images/favicon.ico".to_owned())).await
}
