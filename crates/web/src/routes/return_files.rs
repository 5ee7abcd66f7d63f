//! A return's attached files (`file` questions): the page that shows the file attached to a
//! question and takes a new one, removing it after a confirmation, and downloading it.
//!
//! The upload form is multipart, and its file is streamed from the request into storage by
//! [`submissions::attach`], never held whole: the form's CSRF token comes before the file in the
//! body, so it is checked before a byte of the file is read.

use crate::routes::returns::whole::{SectionNotes, section_notes};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use askama::Template;
use axum::body::Body;
use axum::extract::{Multipart, Path};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use formwork_definition::{Question, QuestionType};
use formwork_service::ServiceError;
use formwork_service::submissions::{self, Attachment, Edit, SubmissionView, Upload, size_words};

use super::return_tables::{revision_of, stale_summary, summary_of};
use super::when;
use crate::auth::check_csrf;
use crate::components::form::{file_upload, yes_no};
use crate::components::{
    Attributes, Cell, ErrorMessage, ErrorSummary, FileUpload, Hint, Label, Radios, SummaryList, SummaryRow,
};
use crate::disposition::content_disposition;
use crate::error::AppError;
use crate::forms::{FormData, watch_limit};
use crate::pages::{Ctx, Page, render_with};

/// A return with one of its file questions picked out.
struct FileQuestion {
    view: SubmissionView,
    /// The question's index in the definition.
    question: usize,
}

impl FileQuestion {
    async fn load(ctx: &Ctx, id: &str, question: &str) -> Result<FileQuestion, AppError> {
        let view = submissions::get(&ctx.state, ctx.actor(), id).await?;
        let index = view
            .definition
            .questions
            .iter()
            .position(|q| q.id == question && q.ty == QuestionType::File)
            .ok_or_else(|| {
                ServiceError::NotFound(format!("This return has no file question “{question}”"))
            })?;
        Ok(FileQuestion { view, question: index })
    }

    fn question(&self) -> &Question {
        &self.view.definition.questions[self.question]
    }

    fn id(&self) -> &str {
        &self.view.submission.id
    }

    fn section_id(&self) -> &str {
        &self.view.definition.sections[self.question().section].id
    }

    fn editable(&self) -> bool {
        self.view.sections.get(self.question().section).is_some_and(|s| s.editable)
    }

    fn must_edit(&self) -> Result<(), AppError> {
        if self.editable() {
            Ok(())
        } else {
            Err(ServiceError::Forbidden(format!("You cannot change {}", self.question().label)).into())
        }
    }

    /// The file attached now.
    fn current(&self) -> Option<&Attachment> {
        let q = &self.question().id;
        self.view.attachments.iter().find(|a| &a.question == q && a.removed_at.is_none())
    }

    fn href(&self) -> String {
        format!("/returns/{}/files/{}", self.id(), self.question().id)
    }

    fn section_href(&self) -> String {
        format!("/returns/{}/sections/{}", self.id(), self.section_id())
    }
}

/// "PDF", "PDF or PNG": the types a question accepts.
fn accepted(q: &Question) -> String {
    q.options.accept.iter().map(|a| a.to_uppercase()).collect::<Vec<_>>().join(" or ")
}

#[derive(Template)]
#[template(path = "returns/file.html")]
struct FilePage {
    page: Page,
    caption: String,
    back: String,
    summary: Option<ErrorSummary>,
    file: FileUpload,
    action: String,
    current: Option<SummaryList>,
    download_href: Option<String>,
    remove_href: Option<String>,
    revision: i64,
    editable: bool,
    /// The reviewer's comment, and who signed the return (a change clears their sign-offs).
    notes: SectionNotes,
}

async fn file_page(
    ctx: &Ctx,
    f: &FileQuestion,
    summary: Option<ErrorSummary>,
    status: StatusCode,
) -> Result<Response, AppError> {
    let q = f.question();
    let current = match f.current() {
        Some(a) => Some(details(ctx, f, a).await?),
        None => None,
    };
    let mut hint = String::new();
    if !q.options.accept.is_empty() {
        hint.push_str(&format!("The file must be a {}", accepted(q)));
    }
    if let Some(max) = q.options.max_size {
        hint.push_str(if hint.is_empty() { "The file must be " } else { ", " });
        hint.push_str(&format!("smaller than {}", size_words(max)));
    }
    if !hint.is_empty() {
        hint.push('.');
    }
    if current.is_some() {
        hint.push_str(" Uploading a file replaces the one attached now.");
    }
    let mut page = ctx.page(q.label.clone(), "/returns");
    page.has_errors = summary.is_some();
    let error = summary
        .as_ref()
        .filter(|_| status == StatusCode::UNPROCESSABLE_ENTITY)
        .and_then(|s| s.error_list.first())
        .and_then(|e| e.content.text.clone());
    let editable = f.editable();
    let accept = q.options.accept.iter().map(|a| format!(".{a}")).collect::<Vec<_>>().join(",");
    let attributes =
        if accept.is_empty() { Attributes::default() } else { Attributes::default().with("accept", accept) };
    let template = FilePage {
        caption: f.view.definition.sections[q.section].title.clone(),
        back: f.section_href(),
        summary,
        file: FileUpload {
            label: Label::text(if current.is_some() { "Upload a different file" } else { "Upload a file" })
                .classes("govuk-label--m"),
            hint: (!hint.trim().is_empty()).then(|| Hint::text(hint.trim())),
            error_message: error.map(ErrorMessage::text),
            attributes,
            ..file_upload("file", "", "")
        },
        action: f.href(),
        download_href: f.current().map(|a| format!("/returns/{}/attachments/{}", f.id(), a.id)),
        remove_href: f.current().filter(|_| editable).map(|_| format!("{}/remove", f.href())),
        current,
        revision: f.view.submission.revision,
        editable,
        notes: section_notes(&f.view, &f.view.definition.sections[q.section].id, editable),
        page: page.clone(),
    };
    Ok(render_with(status, &page, &template))
}

/// The attached file: its name, size, SHA-256, and who uploaded it when.
async fn details(ctx: &Ctx, f: &FileQuestion, a: &Attachment) -> Result<SummaryList, AppError> {
    let history = submissions::history(&ctx.state, ctx.actor(), f.id()).await?;
    let by = history
        .iter()
        .find(|entry| {
            let event = serde_json::to_value(&entry.event).unwrap_or_default();
            event.get("attachment").and_then(serde_json::Value::as_str) == Some(a.id.as_str())
        })
        .and_then(|entry| entry.by.clone());
    let uploaded = match by {
        Some(who) => format!("{who}, {}", when(a.uploaded_at)),
        None => when(a.uploaded_at),
    };
    let size = u64::try_from(a.size).unwrap_or_default();
    let row = |key: &str, value: Cell| SummaryRow { key: Cell::text(key), value, ..SummaryRow::default() };
    Ok(SummaryList {
        rows: vec![
            row("File", Cell::text(&a.file_name)),
            row("Size", Cell::text(if size < 1024 { format!("{size} bytes") } else { size_words(size) })),
            row(
                "SHA-256",
                Cell::html(format!(
                    "<code class=\"app-checksum\">{}</code>",
                    crate::components::escape(&a.sha256)
                )),
            ),
            row("Uploaded", Cell::text(uploaded)),
        ],
        ..SummaryList::default()
    })
}

/// `GET /returns/{id}/files/{question}`.
pub(crate) async fn show(
    ctx: Ctx,
    Path((id, question)): Path<(String, String)>,
) -> Result<Response, AppError> {
    let f = FileQuestion::load(&ctx, &id, &question).await?;
    file_page(&ctx, &f, None, StatusCode::OK).await
}

fn bad_form(message: impl Into<String>) -> AppError {
    AppError::BadRequest { code: "bad_form", message: message.into() }
}

/// `POST /returns/{id}/files/{question}`: a multipart form whose `csrf_token` (and `revision`)
/// come before its `file`, which streams into storage.
pub(crate) async fn attach(
    ctx: Ctx,
    Path((id, question)): Path<(String, String)>,
    headers: HeaderMap,
    mut multipart: Multipart,
) -> Result<Response, AppError> {
    let f = FileQuestion::load(&ctx, &id, &question).await?;
    let mut csrf: Option<String> = None;
    let mut revision: Option<i64> = None;
    let over_limit = Arc::new(AtomicBool::new(false));
    let outcome = loop {
        let field = match multipart.next_field().await {
            Ok(Some(field)) => field,
            Ok(None) => {
                check_csrf(&ctx.principal, &headers, &Method::POST, &ctx.state, csrf.as_deref())?;
                f.must_edit()?;
                let message = format!("Select a file for {}", f.question().label);
                return file_page(
                    &ctx,
                    &f,
                    Some(summary_of(&message, Some("#file".into()))),
                    StatusCode::UNPROCESSABLE_ENTITY,
                )
                .await;
            }
            Err(e) if e.status() == StatusCode::PAYLOAD_TOO_LARGE => {
                return Err(AppError::too_large(ctx.state.config().max_upload_bytes));
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
                f.must_edit()?;
                let upload = Upload {
                    question: question.clone(),
                    file_name: field.file_name().unwrap_or_default().to_owned(),
                    body: watch_limit(field, &over_limit),
                };
                let max = u64::try_from(ctx.state.config().max_upload_bytes).unwrap_or(u64::MAX);
                break submissions::attach(
                    &ctx.state,
                    ctx.state.files(),
                    ctx.actor(),
                    &id,
                    revision,
                    upload,
                    max,
                )
                .await;
            }
            _ => {}
        }
    };
    match outcome {
        Ok(_) => Ok(Redirect::to(&format!("{}?notice=file-attached", f.section_href())).into_response()),
        // The service hears only that the file stopped: here it is known why.
        Err(ServiceError::Invalid(_)) if over_limit.load(Ordering::Relaxed) => {
            Err(AppError::too_large(ctx.state.config().max_upload_bytes))
        }
        Err(ServiceError::Invalid(problems)) => {
            let message = problems.first().map_or("The file could not be attached", |p| p.message.as_str());
            let summary = summary_of(message, Some("#file".into()));
            file_page(&ctx, &f, Some(summary), StatusCode::UNPROCESSABLE_ENTITY).await
        }
        Err(ServiceError::Stale(stale)) => {
            let f = FileQuestion::load(&ctx, &id, &question).await?;
            file_page(&ctx, &f, Some(stale_summary(&stale)), StatusCode::CONFLICT).await
        }
        Err(e) => Err(e.into()),
    }
}

#[derive(Template)]
#[template(path = "returns/remove_file.html")]
struct RemoveFilePage {
    page: Page,
    caption: String,
    back: String,
    action: String,
    summary: Option<ErrorSummary>,
    remove: Radios,
    revision: i64,
    /// The reviewer's comment, and who signed the return (a change clears their sign-offs).
    notes: SectionNotes,
}

fn remove_page(
    ctx: &Ctx,
    f: &FileQuestion,
    summary: Option<ErrorSummary>,
    status: StatusCode,
) -> Result<Response, AppError> {
    let name = f
        .current()
        .map(|a| a.file_name.clone())
        .ok_or_else(|| ServiceError::NotFound(format!("No file is attached to {}", f.question().label)))?;
    let title = format!("Are you sure you want to remove {name}?");
    let mut page = ctx.page(title.clone(), "/returns");
    page.has_errors = summary.is_some();
    let error = summary
        .as_ref()
        .filter(|_| status == StatusCode::UNPROCESSABLE_ENTITY)
        .and_then(|s| s.error_list.first())
        .and_then(|e| e.content.text.clone());
    let template = RemoveFilePage {
        caption: f.question().label.clone(),
        back: f.href(),
        action: format!("{}/remove", f.href()),
        summary,
        remove: yes_no("remove", &title, true, error.as_deref()),
        revision: f.view.submission.revision,
        notes: section_notes(&f.view, &f.view.definition.sections[f.question().section].id, true),
        page: page.clone(),
    };
    Ok(render_with(status, &page, &template))
}

/// `GET /returns/{id}/files/{question}/remove`: are you sure?
pub(crate) async fn confirm_remove(
    ctx: Ctx,
    Path((id, question)): Path<(String, String)>,
) -> Result<Response, AppError> {
    let f = FileQuestion::load(&ctx, &id, &question).await?;
    f.must_edit()?;
    remove_page(&ctx, &f, None, StatusCode::OK)
}

/// `POST /returns/{id}/files/{question}/remove`.
pub(crate) async fn remove(
    ctx: Ctx,
    Path((id, question)): Path<(String, String)>,
    form: FormData,
) -> Result<Response, AppError> {
    let f = FileQuestion::load(&ctx, &id, &question).await?;
    f.must_edit()?;
    let revision = revision_of(&form)?;
    match form.get("remove") {
        "yes" => {}
        "no" => return Ok(Redirect::to(&f.href()).into_response()),
        _ => {
            let summary = summary_of("Select yes if you want to remove the file", Some("#remove".into()));
            return remove_page(&ctx, &f, Some(summary), StatusCode::UNPROCESSABLE_ENTITY);
        }
    }
    match submissions::edit(
        &ctx.state,
        ctx.actor(),
        &id,
        revision,
        Edit::Detach { question: question.clone() },
    )
    .await
    {
        Ok(_) => Ok(Redirect::to(&format!("{}?notice=file-removed", f.href())).into_response()),
        Err(ServiceError::Stale(stale)) => {
            let f = FileQuestion::load(&ctx, &id, &question).await?;
            match f.current() {
                Some(_) => remove_page(&ctx, &f, Some(stale_summary(&stale)), StatusCode::CONFLICT),
                None => file_page(&ctx, &f, Some(stale_summary(&stale)), StatusCode::CONFLICT).await,
            }
        }
        Err(e) => Err(e.into()),
    }
}

/// `GET /returns/{id}/attachments/{attachment}`: the file as stored, streamed, to save rather
/// than open (`nosniff`, `attachment`), for people who may see the return.
pub(crate) async fn download(
    ctx: Ctx,
    Path((id, attachment)): Path<(String, String)>,
) -> Result<Response, AppError> {
    let (attachment, body) =
        submissions::download(&ctx.state, ctx.state.files(), ctx.actor(), &id, &attachment).await?;
    let size = body.size();
    let mut response = Body::from_stream(body).into_response();
    let headers = response.headers_mut();
    let media_type = HeaderValue::from_str(&attachment.media_type)
        .unwrap_or(HeaderValue::from_static("application/octet-stream"));
    headers.insert(header::CONTENT_TYPE, media_type);
    headers.insert(header::CONTENT_LENGTH, HeaderValue::from(size));
    if let Ok(value) = HeaderValue::from_str(&content_disposition(&attachment.file_name)) {
        headers.insert(header::CONTENT_DISPOSITION, value);
    }
    headers.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("private, no-store"));
    Ok(response)
}
