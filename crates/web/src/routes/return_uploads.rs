//! "Upload a spreadsheet for this section": a table section's rows from a file, taken as an
//! upload ([`uploads::receive`]) that a job checks. The file streams from the request into
//! storage (the CSRF token comes before it in the body, and is checked before a byte of it is
//! read); the person then follows the upload's own page, which reports its problems or says that
//! its rows replaced the section's. A file refused at once (none chosen, not a CSV or XLSX file,
//! too large, empty) shows the rows page again with the problem.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use axum::extract::{Multipart, Path};
use axum::http::{HeaderMap, Method, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use formwork_service::ServiceError;
use formwork_service::submissions::size_words;
use formwork_service::uploads::{self, NewFile};

use super::return_tables::{TableSection, stale_table_page, upload_problem_page};
use crate::auth::check_csrf;
use crate::error::AppError;
use crate::forms::watch_limit;
use crate::pages::Ctx;

fn bad_form(message: impl Into<String>) -> AppError {
    AppError::BadRequest { code: "bad_form", message: message.into() }
}

/// `POST /returns/{id}/sections/{section}/upload`: a CSV or XLSX file of the table's rows, as a
/// multipart form whose `csrf_token` comes before its `file`; then the upload's page.
pub(crate) async fn upload(
    ctx: Ctx,
    Path((id, section)): Path<(String, String)>,
    headers: HeaderMap,
    mut multipart: Multipart,
) -> Result<Response, AppError> {
    let t = TableSection::load(&ctx, &id, &section).await?;
    let mut csrf: Option<String> = None;
    let mut revision: Option<i64> = None;
    let over_limit = Arc::new(AtomicBool::new(false));
    let outcome = loop {
        let field = match multipart.next_field().await {
            Ok(Some(field)) => field,
            Ok(None) => {
                check_csrf(&ctx.principal, &headers, &Method::POST, &ctx.state, csrf.as_deref())?;
                t.must_edit()?;
                return Ok(upload_problem_page(&ctx, &t, "Select a CSV or XLSX file to upload"));
            }
            Err(e) if e.status() == StatusCode::PAYLOAD_TOO_LARGE => {
                over_limit.store(true, Ordering::Relaxed);
                break Err(ServiceError::invalid("file", "file", "too large"));
            }
            Err(e) => return Err(bad_form(e.body_text())),
        };
        match field.name() {
            Some("csrf_token") => csrf = Some(field.text().await.map_err(|e| bad_form(e.body_text()))?),
            Some("revision") => {
                revision = field.text().await.map_err(|e| bad_form(e.body_text()))?.trim().parse().ok();
            }
            Some("file") => {
                check_csrf(&ctx.principal, &headers, &Method::POST, &ctx.state, csrf.as_deref())?;
                t.must_edit()?;
                let file_name = field.file_name().unwrap_or_default().to_owned();
                if file_name.is_empty() {
                    return Ok(upload_problem_page(&ctx, &t, "Select a CSV or XLSX file to upload"));
                }
                let new = NewFile {
                    collection: None,
                    organisation: None,
                    period: None,
                    submission: Some(id.clone()),
                    table: Some(section.clone()),
                    file_name,
                    body: watch_limit(field, &over_limit),
                };
                // From the return the page showed: a return changed since is refused as stale.
                break uploads::receive_from(&ctx.state, ctx.state.files(), ctx.actor(), new, revision).await;
            }
            _ => {}
        }
    };
    match outcome {
        Ok(view) => Ok(Redirect::to(&format!("/uploads/{}", view.upload.id)).into_response()),
        // The service hears only that the file stopped: here it is known why.
        Err(ServiceError::Invalid(_)) if over_limit.load(Ordering::Relaxed) => {
            let limit = u64::try_from(ctx.state.config().max_upload_bytes).unwrap_or(u64::MAX);
            let message = format!(
                "The selected file must be smaller than {} (the service's upload limit): split it into smaller files",
                size_words(limit)
            );
            Ok(upload_problem_page(&ctx, &t, &message))
        }
        Err(ServiceError::Invalid(problems)) => {
            let message = problems.iter().map(|p| p.message.as_str()).collect::<Vec<_>>().join(". ");
            Ok(upload_problem_page(&ctx, &t, &message))
        }
        Err(ServiceError::Stale(stale)) => stale_table_page(&ctx, &id, &section, &stale).await,
        Err(e) => Err(e.into()),
    }
}
