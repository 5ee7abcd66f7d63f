//! What a client may send and take of the server: a path holding a control character names
//! nothing (404, before any lookup: PostgreSQL cannot even compare text holding a NUL), a body
//! larger than the limit is refused before it is read when its `Content-Length` says so, and a
//! body that stops arriving is answered 408. (The header read timeout is the HTTP server's: see
//! [`crate::serve`].)

use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::task::{Context, Poll};
use std::time::Duration;

use axum::body::{Body, Bytes};
use axum::extract::{Request, State};
use axum::http::header;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use http_body::{Frame, SizeHint};
use tokio::time::Sleep;

use formwork_service::ServiceError;

use crate::AppState;
use crate::error::AppError;

/// The middleware: refuse a path with a control character and a declared body over the limit
/// at once, and give the body a read timeout.
pub(crate) async fn guard(State(state): State<AppState>, request: Request, next: Next) -> Response {
    if has_control_character(request.uri().path()) {
        return AppError::Service(ServiceError::NotFound("Page not found".into())).into_response();
    }
    let limit = state.config().max_upload_bytes;
    let declared = request
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|length| length > limit as u64) {
        return AppError::too_large(limit).into_response();
    }
    let timed_out = Arc::new(AtomicBool::new(false));
    let timeout = state.config().body_read_timeout;
    let flag = Arc::clone(&timed_out);
    let request = request.map(|body| Body::new(ReadTimeout { body, timeout, sleep: None, timed_out: flag }));
    let response = next.run(request).await;
    if timed_out.load(Ordering::Relaxed) {
        tracing::info!("a request's body stopped arriving: answered 408");
        return AppError::TimedOut.into_response();
    }
    response
}

/// True when `path`, percent-decoded, holds a control character (`%00`–`%1F`, `%7F`).
fn has_control_character(path: &str) -> bool {
    path.split('%').skip(1).any(|escaped| {
        escaped
            .get(..2)
            .and_then(|hex| u8::from_str_radix(hex, 16).ok())
            .is_some_and(|b| b < 0x20 || b == 0x7f)
    })
}

/// The body stopped arriving.
#[derive(Debug, thiserror::Error)]
#[error("the request body stopped arriving")]
struct TimedOut;

/// A body that fails when its next part takes longer than `timeout` to arrive (the wait starts
/// when the body is first read, and again after each part), and says so in `timed_out`.
struct ReadTimeout {
    body: Body,
    timeout: Duration,
    sleep: Option<Pin<Box<Sleep>>>,
    timed_out: Arc<AtomicBool>,
}

impl http_body::Body for ReadTimeout {
    type Data = Bytes;
    type Error = axum::Error;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, axum::Error>>> {
        let this = &mut *self;
        if let Poll::Ready(frame) = Pin::new(&mut this.body).poll_frame(cx) {
            this.sleep = None;
            return Poll::Ready(frame);
        }
        let timeout = this.timeout;
        let sleep = this.sleep.get_or_insert_with(|| Box::pin(tokio::time::sleep(timeout)));
        if sleep.as_mut().poll(cx).is_ready() {
            this.timed_out.store(true, Ordering::Relaxed);
            return Poll::Ready(Some(Err(axum::Error::new(TimedOut))));
        }
        Poll::Pending
    }

    fn is_end_stream(&self) -> bool {
        self.body.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.body.size_hint()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_with_escaped_control_characters_are_found() {
        for path in ["/organisations/a%00b", "/api/v1/people/%0a", "/x%7F", "/x%1f"] {
            assert!(has_control_character(path), "{path}");
        }
        for path in ["/organisations/a%20b", "/a%C3%A9", "/100%", "/%2", "/%zz"] {
            assert!(!has_control_character(path), "{path}");
        }
    }
}
