//! Reading the pages' form posts — URL-encoded or multipart — with the CSRF check built in: a
//! handler that takes a [`FormData`] cannot forget it.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use axum::body::Bytes;
use axum::extract::multipart::{Field, MultipartError};
use axum::extract::{FromRequest, FromRequestParts, Multipart, Request};
use axum::http::{StatusCode, header};
use futures_util::{Stream, StreamExt};

use crate::AppState;
use crate::auth::{Principal, check_csrf};
use crate::error::AppError;

/// A file sent with a form.
#[derive(Clone, Debug)]
pub(crate) struct UploadedFile {
    /// The form field.
    pub field: String,
    /// Its bytes.
    pub bytes: Bytes,
}

/// A form post whose CSRF token has been checked, and who sent it.
#[derive(Debug)]
pub(crate) struct FormData {
    /// Who sent it.
    pub principal: Principal,
    fields: Vec<(String, String)>,
    files: Vec<UploadedFile>,
}

impl FormData {
    /// The value of field `name` ("" when absent).
    pub fn get(&self, name: &str) -> &str {
        self.fields.iter().find(|(k, _)| k == name).map_or("", |(_, v)| v.as_str())
    }

    /// Every value of field `name` (checkboxes).
    pub fn all(&self, name: &str) -> Vec<String> {
        self.fields.iter().filter(|(k, _)| k == name).map(|(_, v)| v.clone()).collect()
    }

    /// The file sent as field `name`, if one was chosen.
    pub fn file(&self, name: &str) -> Option<&UploadedFile> {
        self.files.iter().find(|f| f.field == name && !f.bytes.is_empty())
    }

    /// The fields as sent, to show the form again with what was typed (never passwords).
    pub fn values(&self) -> Vec<(String, String)> {
        self.fields.iter().filter(|(k, _)| !k.contains("password") && k != "csrf_token").cloned().collect()
    }
}

/// A file field's bytes as a stream for [`submissions::attach`](formwork_service::submissions::attach),
/// raising `over_limit` when they stop at the server's body limit: the service hears only that
/// the file stopped, which alone would read as a connection that broke.
pub(crate) fn watch_limit<'a>(
    field: Field<'a>,
    over_limit: &Arc<AtomicBool>,
) -> impl Stream<Item = Result<Bytes, MultipartError>> + 'a {
    let flag = Arc::clone(over_limit);
    field.inspect(move |chunk| {
        if let Err(e) = chunk
            && e.status() == StatusCode::PAYLOAD_TOO_LARGE
        {
            flag.store(true, Ordering::Relaxed);
        }
    })
}

fn too_large(state: &AppState) -> AppError {
    AppError::TooLarge(format!(
        "The file or form is too large: the most this service accepts is {} MB",
        state.config().max_upload_bytes / 1024 / 1024
    ))
}

impl FromRequest<AppState> for FormData {
    type Rejection = AppError;

    async fn from_request(request: Request, state: &AppState) -> Result<FormData, AppError> {
        let (mut parts, body) = request.into_parts();
        let principal = Principal::from_request_parts(&mut parts, state).await?;
        let headers = parts.headers.clone();
        let method = parts.method.clone();
        let content_type =
            headers.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or("").to_string();
        let request = Request::from_parts(parts, body);
        let mut fields = Vec::new();
        let mut files = Vec::new();
        if content_type.starts_with("multipart/form-data") {
            let mut multipart = Multipart::from_request(request, state)
                .await
                .map_err(|e| AppError::BadRequest { code: "bad_form", message: e.body_text() })?;
            loop {
                let field = match multipart.next_field().await {
                    Ok(Some(field)) => field,
                    Ok(None) => break,
                    Err(e) if e.status() == StatusCode::PAYLOAD_TOO_LARGE => return Err(too_large(state)),
                    Err(e) => return Err(AppError::BadRequest { code: "bad_form", message: e.body_text() }),
                };
                let name = field.name().unwrap_or("").to_string();
                let is_file = field.file_name().is_some();
                let bytes = match field.bytes().await {
                    Ok(bytes) => bytes,
                    Err(e) if e.status() == StatusCode::PAYLOAD_TOO_LARGE => return Err(too_large(state)),
                    Err(e) => return Err(AppError::BadRequest { code: "bad_form", message: e.body_text() }),
                };
                if is_file {
                    files.push(UploadedFile { field: name, bytes });
                } else {
                    fields.push((name, String::from_utf8_lossy(&bytes).into_owned()));
                }
            }
        } else if content_type.starts_with("application/x-www-form-urlencoded") || content_type.is_empty() {
            let bytes = Bytes::from_request(request, state).await.map_err(|e| {
                if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
                    too_large(state)
                } else {
                    AppError::BadRequest { code: "bad_form", message: e.body_text() }
                }
            })?;
            fields = url::form_urlencoded::parse(&bytes).into_owned().collect();
        } else {
            drop(request);
            return Err(AppError::BadRequest {
                code: "bad_form",
                message: "Send the form as application/x-www-form-urlencoded or multipart/form-data".into(),
            });
        }
        let submitted = fields.iter().find(|(k, _)| k == "csrf_token").map(|(_, v)| v.as_str());
        check_csrf(&principal, &headers, &method, state, submitted)?;
        Ok(FormData { principal, fields, files })
    }
}
