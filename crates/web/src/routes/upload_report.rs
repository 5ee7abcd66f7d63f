//! One upload's page: while it is checked, how far it has got (with a Refresh link, and a script
//! that follows it by itself when JavaScript is on); then what it found. A file with errors shows
//! them grouped by column and problem and then every one, a page at a time, with the file marked
//! up to download and a form to upload a corrected file; one with warnings lists them with a form
//! to confirm them all with one reason; a stored one says how many records (or rows) it stored.
//! Service admins can also download the original file and check a failed one again.

use askama::Template;
use axum::body::Body;
use axum::extract::{Path, Query};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use formwork_definition::validate::Item;
use formwork_files::Download;
use formwork_service::policy::{Action, check};
use formwork_service::submissions::size_words;
use formwork_service::uploads::{self, Group, UploadView};
use formwork_service::{Actor, ServiceError, collections};
use serde::Deserialize;

use super::return_tables::{pagination, thousands};
use super::uploads::{count_of, state_tag};
use super::when;
use crate::components::form::file_upload;
use crate::components::{
    Cell, Content, ErrorSummary, ErrorSummaryItem, FileUpload, Hint, Label, Pagination, Panel, SummaryList,
    SummaryRow, Table, TableCell,
};
use crate::disposition::content_disposition;
use crate::error::AppError;
use crate::forms::FormData;
use crate::pages::{Ctx, Form, Page, render_with};

/// Problems listed on one page of the report.
const PER_PAGE: usize = 100;

/// The most kinds of problem the error summary names (the summary table has them all).
const SUMMARY_GROUPS: usize = 10;

/// The query of an upload's page.
#[derive(Clone, Debug, Default, Deserialize)]
pub(crate) struct ReportQuery {
    /// The page of problems, from 1.
    page: Option<usize>,
}

/// "Upload a corrected file": where it posts, what it sends besides the file, and the file.
struct Again {
    action: String,
    fields: Vec<(&'static str, String)>,
    file: FileUpload,
}

#[derive(Template)]
#[template(path = "uploads/show.html")]
struct UploadPage {
    page: Page,
    id: String,
    caption: String,
    /// Where the person goes back to: (href, text).
    back: (String, String),
    /// The state, as sent (for the browser tests and the script).
    state: &'static str,
    /// For a file with errors: how many, and the first kinds.
    summary: Option<ErrorSummary>,
    /// The reason for confirming the warnings, and its problems.
    form: Form,
    panel: Option<Panel>,
    /// While it is under way: how far it has got.
    progress: Option<String>,
    /// What the page says under the heading.
    intro: Vec<String>,
    details: SummaryList,
    groups: Option<Table>,
    items: Option<Table>,
    pagination: Option<Pagination>,
    annotated_href: Option<String>,
    /// The marked-up file is still being written.
    annotated_pending: bool,
    original_href: Option<String>,
    rerun_action: Option<String>,
    confirm_action: Option<String>,
    /// "Confirm and store the records" (or rows).
    confirm_button: String,
    /// Where its records are (a stored log): (href, text).
    records: Option<(String, String)>,
    same_as_href: Option<String>,
    again: Option<Again>,
}

/// Where the upload goes back to: the section of a table, or the organisation's uploads; and
/// the section's address for a table.
async fn back_of(ctx: &Ctx, view: &UploadView) -> Result<((String, String), Option<String>), AppError> {
    let u = &view.upload;
    if let (Some(submission), Some(table)) = (&u.submission_id, &u.table_id) {
        let def = collections::definition(&ctx.state, &u.collection, u.version).await?;
        let section = def.table(table).map_or(table.as_str(), |t| def.sections[t.section].id.as_str());
        let href = format!("/returns/{submission}/sections/{section}");
        return Ok(((href.clone(), "Go back to the section".to_owned()), Some(href)));
    }
    Ok((
        (format!("/organisations/{}/uploads", view.organisation_slug), "Back to the uploads".to_owned()),
        None,
    ))
}

/// May `actor` confirm the upload's warnings and upload a file in its place? As the service
/// decides.
async fn may_change(ctx: &Ctx, actor: &Actor, view: &UploadView) -> Result<bool, AppError> {
    match uploads::may_change(&ctx.state, actor, &view.upload).await {
        Ok(()) => Ok(true),
        Err(ServiceError::Forbidden(_) | ServiceError::NotFound(_) | ServiceError::SignInRequired) => {
            Ok(false)
        }
        Err(e) => Err(e.into()),
    }
}

/// The grouped summary of `items` (errors or warnings) as a table.
fn groups_table(groups: &[Group], caption: &str) -> Table {
    let head = vec![
        TableCell::text("Column"),
        TableCell::text("Problem"),
        TableCell::numeric("Times"),
        TableCell::text("First found at"),
    ];
    let rows = groups
        .iter()
        .map(|g| {
            vec![
                TableCell::text(match g.column.as_str() {
                    // An item about a whole row (a rule across its columns), or the whole file.
                    "" if g.first.iter().any(|at| at.starts_with("row")) => "The row as a whole",
                    "" => "The file as a whole",
                    column => column,
                }),
                TableCell::text(&g.message),
                TableCell::numeric(thousands(g.count as u64)),
                TableCell::text(g.first.join(", ")),
            ]
        })
        .collect();
    Table {
        head,
        rows,
        caption: Some(caption.to_owned()),
        caption_classes: Some("govuk-table__caption--m".to_owned()),
        ..Table::default()
    }
}

/// One page of `items` as a table, and the pagination to the others.
fn items_table(id: &str, items: &[&Item], noun: &str, page: usize) -> (Table, Option<Pagination>) {
    let pages = items.len().div_ceil(PER_PAGE).max(1);
    let current = page.clamp(1, pages);
    let start = (current - 1) * PER_PAGE;
    let shown = &items[start..(start + PER_PAGE).min(items.len())];
    let with_cells = items.iter().any(|i| i.cell.is_some());
    let mut head = vec![TableCell::numeric("Row"), TableCell::text("Column")];
    if with_cells {
        head.push(TableCell::text("Cell"));
    }
    head.push(TableCell::text("Problem"));
    let rows = shown
        .iter()
        .map(|item| {
            let mut row = vec![
                TableCell::numeric(item.row.map(|r| r.to_string()).unwrap_or_default()),
                TableCell::text(item.column.clone().unwrap_or_default()),
            ];
            if with_cells {
                row.push(TableCell::text(item.cell.clone().unwrap_or_default()));
            }
            row.push(TableCell::text(&item.message));
            row
        })
        .collect();
    let caption = if pages > 1 {
        format!("{noun} {} to {} of {}", start + 1, start + shown.len(), thousands(items.len() as u64))
    } else {
        format!("Every {}", noun.to_lowercase().trim_end_matches('s'))
    };
    let table = Table {
        head,
        rows,
        caption: Some(caption),
        caption_classes: Some("govuk-table__caption--m".to_owned()),
        ..Table::default()
    };
    let mut links = pagination(|n| format!("/uploads/{id}?page={n}#problems"), current, pages);
    if let Some(p) = &mut links {
        p.landmark_label = Some(format!("Pages of {}", noun.to_lowercase()));
    }
    (table, links)
}

/// The error summary of a file with errors: how many, that nothing was stored, and the first kinds.
fn errors_summary(view: &UploadView, groups: &[Group]) -> ErrorSummary {
    let u = &view.upload;
    let title = format!("Your file has {}. Nothing was stored", count_of(u.error_count, "error", "errors"));
    let mut error_list: Vec<ErrorSummaryItem> = Vec::new();
    if let Some(message) = &u.message {
        error_list.push(ErrorSummaryItem {
            content: Content::text(message),
            href: Some("#problems".to_owned()),
            ..ErrorSummaryItem::default()
        });
    } else {
        for g in groups.iter().take(SUMMARY_GROUPS) {
            let times =
                if g.count == 1 { String::new() } else { format!(" ({} times)", thousands(g.count as u64)) };
            let text = if g.column.is_empty() {
                format!("{}{times}", g.message)
            } else {
                format!("{}: {}{times}", g.column, g.message)
            };
            error_list.push(ErrorSummaryItem {
                content: Content::text(text),
                href: Some("#summary".to_owned()),
                ..ErrorSummaryItem::default()
            });
        }
        if groups.len() > SUMMARY_GROUPS {
            error_list.push(ErrorSummaryItem {
                content: Content::text(format!(
                    "and {} more kinds of error",
                    thousands((groups.len() - SUMMARY_GROUPS) as u64)
                )),
                href: Some("#summary".to_owned()),
                ..ErrorSummaryItem::default()
            });
        }
    }
    ErrorSummary { title_text: Some(title), error_list, ..ErrorSummary::default() }
}

/// The upload's details: the file, what it is for, who uploaded it when, where it is.
fn details(view: &UploadView) -> SummaryList {
    let u = &view.upload;
    let row = |key: &str, value: Cell| SummaryRow { key: Cell::text(key), value, ..SummaryRow::default() };
    let size = u64::try_from(u.size).unwrap_or(0);
    let size = if size < 1024 { count_of(u.size, "byte", "bytes") } else { size_words(size) };
    let target = match &view.table_title {
        Some(section) => format!("{section}, {} for {}", view.collection_title, view.period_label),
        None => format!("{} for {}", view.collection_title, view.period_label),
    };
    let mut rows = vec![
        row("File", Cell::text(format!("{} ({size})", u.file_name))),
        row("For", Cell::text(target)),
        row(
            "Uploaded",
            Cell::text(format!(
                "{}, {}",
                u.created_by_name.as_deref().unwrap_or("The service"),
                when(u.created_at)
            )),
        ),
        row("State", Cell::html(state_tag(u.state.as_str(), u.state.label()).to_html())),
    ];
    // A file waiting, or recognised as one uploaded before, has not been read.
    if !matches!(u.state.as_str(), "queued" | "same_file") {
        rows.push(row("Rows read", Cell::text(thousands(u64::try_from(u.rows_read).unwrap_or(0)))));
    }
    if u.error_count > 0 {
        rows.push(row("Errors", Cell::text(thousands(u64::try_from(u.error_count).unwrap_or(0)))));
    }
    if u.warning_count > 0 {
        rows.push(row("Warnings", Cell::text(thousands(u64::try_from(u.warning_count).unwrap_or(0)))));
    }
    if let Some(reason) = &u.confirmed_reason {
        rows.push(row("Warnings confirmed because", Cell::text(reason)));
    }
    SummaryList { rows, ..SummaryList::default() }
}

/// The page of upload `view`, page `page` of its problems, with the confirmation form as sent.
async fn upload_page(
    ctx: &Ctx,
    view: &UploadView,
    page_number: usize,
    form: Form,
    status: StatusCode,
) -> Result<Response, AppError> {
    let u = &view.upload;
    let id = &u.id;
    let state = u.state.as_str();
    let table = view.is_table();
    let noun = if table { ("row", "rows") } else { ("record", "records") };
    let (back, section_href) = back_of(ctx, view).await?;
    let may_change = may_change(ctx, ctx.actor(), view).await?;
    let admin = check(ctx.actor(), Action::ManageUploads).is_ok();
    let items = view.items();
    let errors: Vec<&Item> = items.iter().filter(|i| i.is_error()).collect();
    let warnings: Vec<&Item> = items.iter().filter(|i| !i.is_error()).collect();
    let groups = uploads::summary(&items);
    let (error_groups, warning_groups): (Vec<Group>, Vec<Group>) =
        groups.into_iter().partition(|g| g.severity == "error");
    let rows_read = count_of(u.rows_read, "row", "rows");
    let mut intro = Vec::new();
    let mut progress = None;
    let mut panel = None;
    let mut summary = None;
    let (mut groups, mut listed, mut pages) = (None, None, None);
    let title = match state {
        "queued" | "checking" => {
            progress = Some(if state == "queued" {
                "Your file is waiting to be checked.".to_owned()
            } else {
                format!(
                    "Rows read so far: {}. Errors found so far: {}.",
                    thousands(u64::try_from(u.rows_read).unwrap_or(0)),
                    thousands(u64::try_from(u.error_count).unwrap_or(0))
                )
            });
            format!("Checking {}", u.file_name)
        }
        "storing" => {
            progress = Some(format!("Checked {rows_read} with no errors. The {} are being stored.", noun.1));
            format!("Storing the {} from {}", noun.1, u.file_name)
        }
        "failed" => {
            summary = Some(errors_summary(view, &error_groups));
            if u.error_count > errors.len() as i64 && !errors.is_empty() {
                intro.push(format!("The first {} errors are listed.", thousands(errors.len() as u64)));
            }
            if !warnings.is_empty() {
                intro.push(format!(
                    "It also has {}: once the errors are fixed, you will be asked to confirm them.",
                    count_of(u.warning_count, "warning", "warnings")
                ));
            }
            if !error_groups.is_empty() && u.message.is_none() {
                groups = Some(groups_table(&error_groups, "Summary of the errors"));
                let (t, p) = items_table(id, &errors, "Errors", page_number);
                (listed, pages) = (Some(t), p);
            }
            format!("{} has errors", u.file_name)
        }
        "confirm" => {
            intro.push(format!(
                "Your file has no errors, but {} that must be confirmed before its {} are stored. Check the answers: if they are right, confirm them with one reason; if not, correct the file and upload it again.",
                count_of(u.warning_count, "warning", "warnings"),
                noun.1
            ));
            groups = Some(groups_table(&warning_groups, "Summary of the warnings"));
            let (t, p) = items_table(id, &warnings, "Warnings", page_number);
            (listed, pages) = (Some(t), p);
            format!("{} has warnings to confirm", u.file_name)
        }
        "stored" => {
            let stored = count_of(u.stored_count, noun.0, noun.1);
            let body = match &view.table_title {
                Some(section) => format!(
                    "in {}, from {}",
                    crate::components::escape(section),
                    crate::components::escape(&u.file_name)
                ),
                None => format!("from {}", crate::components::escape(&u.file_name)),
            };
            panel = Some(Panel::confirmation(format!("{stored} stored"), body));
            format!("{stored} stored")
        }
        _ => {
            intro.push(format!(
                "The same file was uploaded before for {}: its {} are stored, or on their way, so they have not been stored again.",
                view.organisation_name, noun.1
            ));
            format!("You have uploaded {} before", u.file_name)
        }
    };
    let mut page = ctx.page(title, if table { "/returns" } else { "/organisations" });
    page.has_errors = state == "failed" || form.has_errors();
    let again = (may_change && matches!(state, "failed" | "confirm")).then(|| {
        let (action, fields) = match &section_href {
            Some(section) => (format!("{section}/upload"), Vec::new()),
            None => (
                format!("/organisations/{}/uploads", view.organisation_slug),
                vec![("collection", u.collection.clone()), ("period", u.period.clone())],
            ),
        };
        let file = FileUpload {
            label: Label::text("Upload a corrected file").classes("govuk-label--m"),
            hint: Some(Hint::text("A CSV or XLSX file: it is checked again from the start.")),
            ..file_upload("file", "", ".csv,.xlsx")
        };
        Again { action, fields, file }
    });
    let records = (state == "stored" && !table).then(|| {
        (
            format!("/organisations/{}/records/{}", view.organisation_slug, u.collection),
            format!("See the {} records", view.collection_title),
        )
    });
    let template = UploadPage {
        id: id.clone(),
        caption: view.organisation_name.clone(),
        back,
        state,
        summary,
        form,
        panel,
        progress,
        intro,
        details: details(view),
        groups,
        items: listed,
        pagination: pages,
        annotated_href: (state == "failed" && u.annotated_key.is_some())
            .then(|| format!("/uploads/{id}/annotated")),
        // Written just after the report; a file refused whole (`message`) has none.
        annotated_pending: state == "failed" && u.annotated_key.is_none() && u.message.is_none(),
        original_href: admin.then(|| format!("/uploads/{id}/original")),
        rerun_action: (admin && state == "failed").then(|| format!("/uploads/{id}/rerun")),
        confirm_action: (may_change && state == "confirm").then(|| format!("/uploads/{id}/confirm")),
        confirm_button: format!("Confirm and store the {}", noun.1),
        records,
        same_as_href: u.same_as.as_ref().map(|earlier| format!("/uploads/{earlier}")),
        again,
        page: page.clone(),
    };
    Ok(render_with(status, &page, &template))
}

/// `GET /uploads/{id}?page=N`: the upload's progress, or what checking it found.
pub(crate) async fn show(
    ctx: Ctx,
    Path(id): Path<String>,
    Query(query): Query<ReportQuery>,
) -> Result<Response, AppError> {
    let view = uploads::get(&ctx.state, ctx.actor(), &id).await?;
    upload_page(&ctx, &view, query.page.unwrap_or(1), Form::default(), StatusCode::OK).await
}

/// `POST /uploads/{id}/confirm`: confirm every warning with one reason; the records are then stored.
pub(crate) async fn confirm(ctx: Ctx, Path(id): Path<String>, form: FormData) -> Result<Response, AppError> {
    match uploads::confirm(&ctx.state, &form.principal.actor, &id, form.get("reason")).await {
        Ok(_) => Ok(Redirect::to(&format!("/uploads/{id}?notice=warnings-confirmed")).into_response()),
        Err(ServiceError::Invalid(problems)) => {
            let view = uploads::get(&ctx.state, ctx.actor(), &id).await?;
            let form = Form::new(form.values(), problems);
            upload_page(&ctx, &view, 1, form, StatusCode::UNPROCESSABLE_ENTITY).await
        }
        Err(e) => Err(e.into()),
    }
}

/// `POST /uploads/{id}/rerun`: check a failed upload again (service admins).
pub(crate) async fn rerun(ctx: Ctx, Path(id): Path<String>, form: FormData) -> Result<Response, AppError> {
    uploads::rerun(&ctx.state, &form.principal.actor, &id).await?;
    Ok(Redirect::to(&format!("/uploads/{id}?notice=upload-rerun")).into_response())
}

/// A stored file to save rather than open (`attachment`, `nosniff`), streamed.
fn download(body: Download, name: &str, content_type: &'static str) -> Response {
    let size = body.size();
    let mut response = Body::from_stream(body).into_response();
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    headers.insert(header::CONTENT_LENGTH, HeaderValue::from(size));
    if let Ok(value) = HeaderValue::from_str(&content_disposition(name)) {
        headers.insert(header::CONTENT_DISPOSITION, value);
    }
    headers.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("private, no-store"));
    response
}

const XLSX: &str = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";

/// `GET /uploads/{id}/annotated`: the file with its problems marked, as a workbook.
pub(crate) async fn annotated(ctx: Ctx, Path(id): Path<String>) -> Result<Response, AppError> {
    let (view, body) = uploads::annotated(&ctx.state, ctx.state.files(), ctx.actor(), &id).await?;
    let name = &view.upload.file_name;
    let stem = name.rsplit_once('.').map_or(name.as_str(), |(stem, _)| stem);
    Ok(download(body, &format!("{stem}-errors.xlsx"), XLSX))
}

/// `GET /uploads/{id}/original`: the file as it was uploaded (service admins).
pub(crate) async fn original(ctx: Ctx, Path(id): Path<String>) -> Result<Response, AppError> {
    let (view, body) = uploads::original(&ctx.state, ctx.state.files(), ctx.actor(), &id).await?;
    let name = &view.upload.file_name;
    let content_type = match name.rsplit_once('.').map(|(_, e)| e.to_lowercase()).as_deref() {
        Some("xlsx") => XLSX,
        Some("csv") => "text/csv; charset=utf-8",
        _ => "application/octet-stream",
    };
    Ok(download(body, name, content_type))
}
