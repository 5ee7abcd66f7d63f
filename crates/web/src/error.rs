//! The one error type of the HTTP edge, and the middleware that renders it.
//!
//! A handler returns [`AppError`]; its response carries an [`ErrorInfo`] (status, code, message,
//! details) and a JSON body. The [`render`] middleware then turns it into a GOV.UK error page for
//! browsers, leaving `/api/…` responses as JSON: `{"error": {"code", "message", "details"}}`.
//! Internal errors are logged here, once, with the request id; people see only that something
//! went wrong.

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Redirect, Response};
use formwork_service::ServiceError;
use serde_json::{Value, json};

use crate::AppState;
use crate::middleware::RequestContext;
use crate::pages::{self, Page};

/// Why a request did not succeed.
#[derive(Debug, thiserror::Error)]
pub enum AppError {
    /// An operation refused or failed.
    #[error(transparent)]
    Service(#[from] ServiceError),
    /// The request itself is malformed (bad JSON, a missing field, a bad query).
    #[error("{message}")]
    BadRequest {
        /// A stable code, e.g. `invalid_json`.
        code: &'static str,
        /// What is wrong.
        message: String,
    },
    /// A form or request without the right CSRF token, or from another site.
    #[error("csrf")]
    Csrf,
    /// An API token that is not valid.
    #[error("token")]
    BadToken,
    /// The body is larger than allowed.
    #[error("{0}")]
    TooLarge(String),
    /// The body stopped arriving before it was complete.
    #[error("timed out")]
    TimedOut,
}

impl AppError {
    /// A body larger than `limit` bytes, the most the service accepts.
    pub(crate) fn too_large(limit: usize) -> AppError {
        AppError::TooLarge(format!(
            "The request is too large: the most this service accepts is {} MB",
            limit / 1024 / 1024
        ))
    }
}

/// What the renderer needs to know about an error response.
#[derive(Clone, Debug)]
pub(crate) struct ErrorInfo {
    pub status: StatusCode,
    pub code: &'static str,
    pub message: String,
    pub details: Value,
    /// For internal errors: what went wrong, for the log only.
    pub internal: Option<String>,
}

impl AppError {
    fn info(&self) -> ErrorInfo {
        let simple = |status, code, message: &str| ErrorInfo {
            status,
            code,
            message: message.to_string(),
            details: json!([]),
            internal: None,
        };
        match self {
            AppError::Service(e) => match e {
                ServiceError::SignInRequired => {
                    simple(StatusCode::UNAUTHORIZED, "sign_in_required", "Sign in to continue")
                }
                ServiceError::Forbidden(m) => simple(StatusCode::FORBIDDEN, "forbidden", m),
                ServiceError::NotFound(m) => simple(StatusCode::NOT_FOUND, "not_found", m),
                ServiceError::Invalid(problems) => ErrorInfo {
                    status: StatusCode::UNPROCESSABLE_ENTITY,
                    code: "invalid",
                    message: e.to_string(),
                    details: serde_json::to_value(problems).unwrap_or_default(),
                    internal: None,
                },
                ServiceError::Conflict(m) => simple(StatusCode::CONFLICT, "conflict", m),
                ServiceError::Stale(stale) => ErrorInfo {
                    status: StatusCode::PRECONDITION_FAILED,
                    code: "stale_revision",
                    message: e.to_string(),
                    details: serde_json::to_value(&stale.changes).unwrap_or_default(),
                    internal: None,
                },
                ServiceError::TooManyAttempts(m) => {
                    simple(StatusCode::TOO_MANY_REQUESTS, "too_many_attempts", m)
                }
                ServiceError::DefinitionRefused { diagnostics, .. } => ErrorInfo {
                    status: StatusCode::UNPROCESSABLE_ENTITY,
                    code: "definition_invalid",
                    message: e.to_string(),
                    details: serde_json::to_value(diagnostics).unwrap_or_default(),
                    internal: None,
                },
                ServiceError::Unavailable(_) => ErrorInfo {
                    internal: Some(e.log_text()),
                    ..simple(
                        StatusCode::SERVICE_UNAVAILABLE,
                        "unavailable",
                        "The service is unavailable at the moment. Try again in a few minutes",
                    )
                },
                ServiceError::Internal(_) => ErrorInfo {
                    internal: Some(e.log_text()),
                    ..simple(
                        StatusCode::INTERNAL_SERVER_ERROR,
                        "internal",
                        "Sorry, there is a problem with the service. Try again later",
                    )
                },
            },
            AppError::BadRequest { code, message } => simple(StatusCode::BAD_REQUEST, code, message),
            AppError::Csrf => simple(
                StatusCode::FORBIDDEN,
                "csrf",
                "The form you sent has expired or did not come from this service. Go back, reload the page and try again",
            ),
            AppError::BadToken => simple(
                StatusCode::UNAUTHORIZED,
                "invalid_token",
                "The API token is not valid: it may have been revoked. Make a new one on your account page",
            ),
            AppError::TooLarge(m) => simple(StatusCode::PAYLOAD_TOO_LARGE, "too_large", m),
            AppError::TimedOut => simple(
                StatusCode::REQUEST_TIMEOUT,
                "timeout",
                "The request took too long to arrive. Check your connection and try again",
            ),
        }
    }
}

/// The headers that tell a client what to do next: when to try again, how to authenticate,
/// that the connection ends.
fn advise(info: &ErrorInfo, response: &mut Response) {
    // The rest of the body was not read: the connection cannot carry another request.
    if matches!(info.status, StatusCode::PAYLOAD_TOO_LARGE | StatusCode::REQUEST_TIMEOUT) {
        response.headers_mut().insert(header::CONNECTION, HeaderValue::from_static("close"));
    }
    if info.status == StatusCode::SERVICE_UNAVAILABLE {
        response.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from_static("5"));
    }
    if info.status == StatusCode::UNAUTHORIZED && info.code == "invalid_token" {
        response
            .headers_mut()
            .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer error=\"invalid_token\""));
    }
}

/// The JSON error body.
pub(crate) fn body(info: &ErrorInfo) -> Value {
    json!({"error": {"code": info.code, "message": info.message, "details": info.details}})
}

impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        let info = self.info();
        let mut response = (info.status, axum::Json(body(&info))).into_response();
        advise(&info, &mut response);
        response.extensions_mut().insert(info);
        response
    }
}

/// The response to a panic in a handler: a 500, rendered like any other error.
pub(crate) fn panicked(_: Box<dyn std::any::Any + Send + 'static>) -> Response {
    AppError::Service(ServiceError::internal("a request handler panicked")).into_response()
}

/// True for requests answered in JSON: the API, and anything that asks only for JSON.
pub(crate) fn wants_json(request_path: &str, accept: Option<&HeaderValue>) -> bool {
    request_path.starts_with("/api/")
        || matches!(request_path, "/healthz" | "/readyz" | "/metrics")
        || accept.and_then(|a| a.to_str().ok()).is_some_and(|a| a.starts_with("application/json"))
}

/// Render error responses: JSON for the API, GOV.UK pages for browsers; a browser asked to sign
/// in is sent to the sign-in page and brought back afterwards.
pub(crate) async fn render(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let path = request.uri().path().to_string();
    let path_and_query = request.uri().path_and_query().map_or(path.clone(), |p| p.as_str().to_string());
    let method = request.method().clone();
    let json = wants_json(&path, request.headers().get(header::ACCEPT));
    let context = request.extensions().get::<RequestContext>().cloned();
    let response = next.run(request).await;
    let status = response.status();
    let info = match response.extensions().get::<ErrorInfo>() {
        Some(info) => info.clone(),
        None if status == StatusCode::METHOD_NOT_ALLOWED => ErrorInfo {
            status,
            code: "method_not_allowed",
            message: format!("{path} does not accept {method} requests"),
            details: json!([]),
            internal: None,
        },
        None if status == StatusCode::PAYLOAD_TOO_LARGE => ErrorInfo {
            status,
            code: "too_large",
            message: format!(
                "The request is too large: the most this service accepts is {} MB",
                state.config().max_upload_bytes / 1024 / 1024
            ),
            details: json!([]),
            internal: None,
        },
        None if status == StatusCode::UNSUPPORTED_MEDIA_TYPE
            || (status == StatusCode::BAD_REQUEST && json) =>
        {
            // axum's own rejections (a missing content type, a body that is not JSON): keep their
            // words, in our shape.
            let bytes = axum::body::to_bytes(response.into_body(), 64 * 1024).await.unwrap_or_default();
            let text = String::from_utf8_lossy(&bytes).trim().to_string();
            let info = ErrorInfo {
                status,
                code: if status == StatusCode::UNSUPPORTED_MEDIA_TYPE {
                    "unsupported_media_type"
                } else {
                    "bad_request"
                },
                message: if text.is_empty() { "The request is not valid".into() } else { text },
                details: json!([]),
                internal: None,
            };
            return finish(&state, context.as_ref(), &info, json, &method, &path_and_query);
        }
        None => return response,
    };
    finish(&state, context.as_ref(), &info, json, &method, &path_and_query)
}

fn finish(
    state: &AppState,
    context: Option<&RequestContext>,
    info: &ErrorInfo,
    json: bool,
    method: &Method,
    path_and_query: &str,
) -> Response {
    let request_id = context.map_or("", |c| c.request_id.as_str());
    if let Some(internal) = &info.internal {
        if info.status == StatusCode::SERVICE_UNAVAILABLE {
            tracing::warn!(request.id = %request_id, error = %internal, "a request failed: the database or storage is unavailable");
        } else {
            tracing::error!(request.id = %request_id, error = %internal, "a request failed");
        }
    }
    let mut response = if json {
        (info.status, axum::Json(body(info))).into_response()
    } else if info.status == StatusCode::UNAUTHORIZED && method == Method::GET {
        let target = format!(
            "/sign-in?return_to={}",
            url::form_urlencoded::byte_serialize(path_and_query.as_bytes()).collect::<String>()
        );
        Redirect::to(&target).into_response()
    } else {
        let page = Page::plain(state, context);
        let html = pages::error_page(&page, info.status, info.code, &info.message, request_id);
        (info.status, html).into_response()
    };
    advise(info, &mut response);
    response
}

/// An empty body, for handlers that answer with a status alone.
pub(crate) fn no_content() -> Response {
    Response::builder().status(StatusCode::NO_CONTENT).body(Body::empty()).unwrap_or_default()
}

/// The body of a response as text, for the renderer's tests.
#[cfg(test)]
pub(crate) async fn text(response: Response) -> String {
    let bytes = axum::body::to_bytes(response.into_body(), usize::MAX).await.unwrap_or_default();
    String::from_utf8_lossy(&bytes).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn errors_are_json_with_code_message_and_details() {
        let response =
            AppError::Service(ServiceError::invalid("email", "required", "Enter an email address"))
                .into_response();
        assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
        let body: Value = serde_json::from_str(&text(response).await).unwrap_or_default();
        assert_eq!(
            body,
            json!({"error": {"code": "invalid", "message": "Enter an email address",
                   "details": [{"path": "email", "code": "required", "message": "Enter an email address"}]}})
        );
    }

    #[tokio::test]
    async fn internal_errors_do_not_say_what_went_wrong() {
        let response =
            AppError::Service(ServiceError::internal("password authentication failed for postgres"))
                .into_response();
        assert_eq!(response.status(), StatusCode::INTERNAL_SERVER_ERROR);
        assert!(!text(response).await.contains("postgres"));
    }

    #[test]
    fn the_api_and_json_clients_get_json() {
        assert!(wants_json("/api/v1/organisations", None));
        assert!(wants_json("/organisations", Some(&HeaderValue::from_static("application/json"))));
        assert!(!wants_json("/organisations", Some(&HeaderValue::from_static("text/html,application/json"))));
    }
}
