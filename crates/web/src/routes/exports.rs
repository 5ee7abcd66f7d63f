//! Exports from the pages: the search page's links download at once (streamed), unless the
//! selection is larger than `EXPORT_DIRECT_MAX_ROWS` (or the person asks): then a page offers to
//! prepare it as a file, a job writes it, and its page shows the progress and then the download,
//! for the person who asked only, until it expires. Service admins set up the scheduled exports
//! (nightly feeds to object storage) here too. Each action is the API's service call.

use askama::Template;
use axum::extract::{Path, RawQuery};
use axum::response::{IntoResponse, Redirect, Response};
use formwork_service::exports::{self, ExportJob, ExportState, Feed, NewFeed};
use formwork_service::policy::{Action, check};
use formwork_service::submissions::size_words;
use formwork_service::{ServiceError, collections};

use super::return_tables::thousands;
use super::uploads::state_tag;
use super::when;
use crate::api::exports::{file_response, request_of, stream_response};
use crate::components::form::inline_form;
use crate::components::{
    Button, Cell, Content, ErrorMessage, Fieldset, Label, Legend, RadioItem, Radios, Select, SelectItem,
    SummaryList, SummaryRow, Table, TableCell, Tag, escape,
};
use crate::error::AppError;
use crate::forms::FormData;
use crate::pages::{Ctx, Form, Page, render, render_with};

/// Where people find their exports.
pub(crate) const NAV: &str = "/exports";

/// The formats, as offered.
const FORMATS: [(&str, &str); 4] = [
    ("csv", "CSV (opens in Excel; a return with tables is a zip of one file per table)"),
    ("xlsx", "Excel workbook (XLSX)"),
    ("jsonl", "JSON Lines"),
    ("parquet", "Parquet (for DuckDB, Athena or Spark)"),
];

#[derive(Template)]
#[template(path = "exports/large.html")]
struct LargePage {
    page: Page,
    rows: String,
    file_name: String,
    keep: String,
    collection: String,
    format: String,
    query: String,
    back: String,
}

/// `GET /exports/{collection}.{format}?filters`: the export, streamed; a large one (or with
/// `prepare=yes`) offered as a file to prepare.
pub(crate) async fn download(
    ctx: Ctx,
    Path(file): Path<String>,
    RawQuery(query): RawQuery,
) -> Result<Response, AppError> {
    let (collection, format) = match file.rsplit_once('.') {
        Some((c, f)) if !c.is_empty() => (c.to_string(), f.to_lowercase()),
        _ => return Err(ServiceError::NotFound("Page not found".into()).into()),
    };
    let query = query.unwrap_or_default();
    let request = request_of(collection.clone(), format.clone(), Some(&query))?;
    let prepared = exports::prepare(&ctx.state, ctx.actor(), &request).await?;
    let asked = url::form_urlencoded::parse(query.as_bytes()).any(|(k, v)| k == "prepare" && v == "yes");
    let rows = exports::count(&ctx.state, &prepared).await?;
    if !asked && rows <= ctx.state.settings.export_direct_max_rows {
        return Ok(stream_response(&ctx.state, prepared));
    }
    let kept: Vec<(String, String)> = url::form_urlencoded::parse(query.as_bytes())
        .filter(|(k, _)| k != "prepare")
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect();
    let query = url::form_urlencoded::Serializer::new(String::new()).extend_pairs(&kept).finish();
    let page = ctx.page("Prepare the export", NAV);
    let subject = if collections::latest_definition(&ctx.state, ctx.actor(), &collection).await?.kind
        == formwork_definition::Kind::Log
    {
        "records"
    } else {
        "returns"
    };
    let template = LargePage {
        page: page.clone(),
        rows: thousands(u64::try_from(rows).unwrap_or(0)),
        file_name: prepared.file_name.clone(),
        keep: hours(ctx.state.settings.export_keep_hours),
        back: format!("/search/{subject}?{query}"),
        collection,
        format,
        query,
    };
    Ok(render(&page, &template))
}

/// A format's short name: "CSV", "Parquet".
fn format_name(format: &str) -> &str {
    match format {
        "csv" => "CSV",
        "xlsx" => "XLSX",
        "jsonl" => "JSON Lines",
        "parquet" => "Parquet",
        other => other,
    }
}

fn hours(n: i64) -> String {
    if n == 1 { "1 hour".into() } else { format!("{n} hours") }
}

/// `POST /exports`: prepare an export as a file (fields `collection`, `format`, `query`).
pub(crate) async fn create(ctx: Ctx, form: FormData) -> Result<Response, AppError> {
    let request = request_of(
        form.get("collection").to_string(),
        form.get("format").to_string(),
        Some(form.get("query")),
    )?;
    let job = exports::start_job(&ctx.state, &form.principal.actor, &request).await?;
    Ok(Redirect::to(&format!("/exports/jobs/{}", job.id)).into_response())
}

#[derive(Template)]
#[template(path = "exports/list.html")]
struct ListPage {
    page: Page,
    jobs: Option<Table>,
    manage_feeds: bool,
}

/// `GET /exports`: the person's exports prepared as files.
pub(crate) async fn list(ctx: Ctx) -> Result<Response, AppError> {
    let jobs = exports::jobs(&ctx.state, ctx.actor()).await?;
    let page = ctx.page("Your exports", NAV);
    let table = (!jobs.is_empty()).then(|| {
        let head = ["File", "Status", "Rows", "Asked for", "Available until"].map(TableCell::text).to_vec();
        let rows = jobs
            .iter()
            .map(|job| {
                let name =
                    job.file_name.clone().unwrap_or_else(|| format!("{}.{}", job.collection, job.format));
                vec![
                    TableCell::html(crate::components::link(&format!("/exports/jobs/{}", job.id), &name)),
                    TableCell::html(state_html(job)),
                    TableCell::text(rows_text(job)),
                    TableCell::text(when(job.created_at)),
                    TableCell::text(job.expires_at.map(when).unwrap_or_default()),
                ]
            })
            .collect();
        Table { rows, ..Table::with_hidden_caption("Your exports", head) }
    });
    let manage_feeds = check(ctx.actor(), Action::ManageFeeds).is_ok();
    Ok(render(&page, &ListPage { page: page.clone(), jobs: table, manage_feeds }))
}

fn job_tag(job: &ExportJob) -> Tag {
    let state = match job.state {
        ExportState::Ready => "stored",
        ExportState::Failed => "failed",
        ExportState::Expired => "same_file",
        ExportState::Queued | ExportState::Running => "queued",
    };
    state_tag(state, job.state_label)
}

fn state_html(job: &ExportJob) -> String {
    job_tag(job).to_html()
}

fn rows_text(job: &ExportJob) -> String {
    match (job.state, job.rows_total) {
        (ExportState::Running, Some(total)) => format!(
            "{} of {}",
            thousands(u64::try_from(job.rows_done).unwrap_or(0)),
            thousands(u64::try_from(total).unwrap_or(0))
        ),
        (_, Some(total)) => thousands(u64::try_from(total).unwrap_or(0)),
        (_, None) => String::new(),
    }
}

#[derive(Template)]
#[template(path = "exports/job.html")]
struct JobPage {
    page: Page,
    id: String,
    state: &'static str,
    tag: Tag,
    progress: Option<String>,
    details: SummaryList,
    download: Option<String>,
    error: Option<String>,
}

/// `GET /exports/jobs/{id}`: how far an export has got; then its download.
pub(crate) async fn job(ctx: Ctx, Path(id): Path<String>) -> Result<Response, AppError> {
    let job = exports::job(&ctx.state, ctx.actor(), &id).await?;
    let page =
        ctx.page(job.file_name.clone().unwrap_or_else(|| format!("Export of {}", job.collection)), NAV);
    let row = |key: &str, value: String| SummaryRow {
        key: Cell::text(key),
        value: Cell::text(value),
        ..SummaryRow::default()
    };
    // The collection's title as people know it (its slug if they may no longer see it).
    let collection = collections::latest_definition(&ctx.state, ctx.actor(), &job.collection)
        .await
        .map_or_else(|_| job.collection.clone(), |d| d.title.clone());
    let mut rows = vec![row("Collection", collection), row("Format", format_name(&job.format).to_owned())];
    let filters: Vec<String> = job
        .request
        .get("filters")
        .and_then(|f| f.as_array())
        .map(|pairs| {
            pairs
                .iter()
                .filter_map(|p| {
                    Some(format!("{}: {}", p.get(0)?.as_str()?.replace('_', " "), p.get(1)?.as_str()?))
                })
                .collect()
        })
        .unwrap_or_default();
    rows.push(row(
        "Filters",
        if filters.is_empty() { "None: everything you may see".into() } else { filters.join("; ") },
    ));
    if let Some(total) = job.rows_total {
        rows.push(row("Rows", thousands(u64::try_from(total).unwrap_or(0))));
    }
    if let Some(size) = job.size {
        rows.push(row("Size", size_words(u64::try_from(size).unwrap_or(0))));
    }
    if let Some(sha) = &job.sha256 {
        rows.push(row("SHA-256", sha.clone()));
    }
    rows.push(row("Asked for", when(job.created_at)));
    if let Some(at) = job.expires_at {
        rows.push(row(
            if job.state == ExportState::Expired { "Removed" } else { "Available until" },
            when(at),
        ));
    }
    let progress =
        matches!(job.state, ExportState::Queued | ExportState::Running).then(|| match job.rows_total {
            Some(total) if job.state == ExportState::Running => format!(
                "{} of {} rows written.",
                thousands(u64::try_from(job.rows_done).unwrap_or(0)),
                thousands(u64::try_from(total).unwrap_or(0))
            ),
            _ => "Waiting to start.".into(),
        });
    let template = JobPage {
        page: page.clone(),
        id: job.id.clone(),
        state: job.state.as_str(),
        tag: job_tag(&job),
        progress,
        details: SummaryList { rows, ..SummaryList::default() },
        download: (job.state == ExportState::Ready).then(|| format!("/exports/jobs/{}/download", job.id)),
        error: job.error.clone(),
    };
    Ok(render(&page, &template))
}

/// `GET /exports/jobs/{id}/download`: the file, for the person who asked.
pub(crate) async fn job_download(ctx: Ctx, Path(id): Path<String>) -> Result<Response, AppError> {
    Ok(file_response(&ctx.state, ctx.actor(), &id).await?)
}

#[derive(Template)]
#[template(path = "exports/scheduled.html")]
struct FeedsPage {
    page: Page,
    form: Form,
    feeds: Option<Table>,
    collection: Select,
    format: Radios,
    mode: Radios,
}

/// The scheduled exports, with buttons to run each now or stop it; `titles` names collections.
fn feeds_table(feeds: &[Feed], csrf: &str, titles: &[(String, String)]) -> Option<Table> {
    if feeds.is_empty() {
        return None;
    }
    let head = ["Collection", "Format", "Where", "Last run", "Actions"].map(TableCell::text).to_vec();
    let rows = feeds
        .iter()
        .map(|f| {
            let folder = format!("{}/{}/", f.prefix, f.collection);
            // The last run's manifest, under the folder the row already names.
            let last = match (&f.last_run_at, &f.last_error, &f.last_manifest_key) {
                (None, _, _) => escape("Not run yet"),
                (Some(at), Some(error), _) => escape(&format!("{}: failed: {error}", when(*at))),
                (Some(at), None, Some(manifest)) => format!(
                    "{}<br>{}",
                    escape(&when(*at)),
                    escape(manifest.strip_prefix(&folder).unwrap_or(manifest))
                ),
                (Some(at), None, None) => escape(&when(*at)),
            };
            let mode = match f.mode {
                exports::FeedMode::Full => "everything",
                exports::FeedMode::Changes => "changes since the last run",
            };
            let title =
                titles.iter().find(|(slug, _)| *slug == f.collection).map_or(&f.collection, |(_, t)| t);
            let run = Button::action(
                "Run now",
                &format!(" {title}, {}", format_name(&f.format)),
                "govuk-button--secondary govuk-!-margin-bottom-0 govuk-!-margin-right-1",
            );
            let stop = Button::action(
                "Stop",
                &format!(" {title}, {}", format_name(&f.format)),
                "govuk-button--warning govuk-!-margin-bottom-0",
            );
            let actions = TableCell::html(format!(
                "{}{}",
                inline_form(&format!("/exports/scheduled/{}/run", f.id), csrf, &run),
                inline_form(&format!("/exports/scheduled/{}/remove", f.id), csrf, &stop)
            ));
            vec![
                TableCell::text(title.clone()),
                TableCell::text(format!("{}, {mode}", format_name(&f.format))),
                TableCell::text(folder),
                TableCell::html(last),
                TableCell { classes: Some("app-nowrap".into()), ..actions },
            ]
        })
        .collect();
    Some(Table { rows, ..Table::with_hidden_caption("Scheduled exports", head) })
}

fn radios(name: &str, legend: &str, items: &[(&str, &str)], value: &str, error: Option<&str>) -> Radios {
    Radios {
        name: Some(name.to_owned()),
        id_prefix: Some(name.to_owned()),
        value: Some(value.to_owned()),
        items: items
            .iter()
            .map(|(v, text)| {
                Some(RadioItem {
                    content: Content::text(*text),
                    value: Some((*v).to_owned()),
                    ..RadioItem::default()
                })
            })
            .collect(),
        error_message: error.map(ErrorMessage::text),
        fieldset: Some(Fieldset {
            legend: Legend {
                content: Content::text(legend),
                classes: Some("govuk-fieldset__legend--s".to_owned()),
                is_page_heading: false,
            },
            ..Fieldset::default()
        }),
        ..Radios::default()
    }
}

async fn feeds_page(ctx: &Ctx, form: Form, status: axum::http::StatusCode) -> Result<Response, AppError> {
    let feeds = exports::feeds(&ctx.state, ctx.actor()).await?;
    let collections = collections::list(&ctx.state, ctx.actor()).await?;
    let page = ctx.page("Scheduled exports", NAV);
    let value = |name: &str| form.value(name).to_string();
    let mut items = vec![SelectItem {
        value: Some(String::new()),
        text: Some("Choose a collection".into()),
        ..SelectItem::default()
    }];
    items.extend(collections.iter().map(|c| SelectItem {
        value: Some(c.slug.clone()),
        text: Some(c.title.clone()),
        ..SelectItem::default()
    }));
    let collection = Select {
        id: Some("collection".into()),
        name: Some("collection".into()),
        items,
        value: Some(value("collection")),
        label: Label::text("Collection").classes("govuk-label--s"),
        error_message: form.error("collection").map(ErrorMessage::text),
        ..Select::default()
    };
    let format_value = if value("format").is_empty() { "parquet".to_string() } else { value("format") };
    let mode_value = if value("mode").is_empty() { "full".to_string() } else { value("mode") };
    let template = FeedsPage {
        page: page.clone(),
        feeds: feeds_table(
            &feeds,
            &page.csrf,
            &collections.iter().map(|c| (c.slug.clone(), c.title.clone())).collect::<Vec<_>>(),
        ),
        collection,
        format: radios("format", "Format", &FORMATS, &format_value, form.error("format")),
        mode: radios(
            "mode",
            "What each night writes",
            &[
                ("full", "Everything the collection holds"),
                ("changes", "What changed since the night before"),
            ],
            &mode_value,
            form.error("mode"),
        ),
        form,
    };
    Ok(render_with(status, &page, &template))
}

/// `GET /exports/scheduled` (service admins).
pub(crate) async fn feeds(ctx: Ctx) -> Result<Response, AppError> {
    check(ctx.actor(), Action::ManageFeeds)?;
    feeds_page(&ctx, Form::default(), axum::http::StatusCode::OK).await
}

/// `POST /exports/scheduled` (service admins): set one up.
pub(crate) async fn add_feed(ctx: Ctx, form: FormData) -> Result<Response, AppError> {
    let new = NewFeed {
        collection: form.get("collection").to_string(),
        format: form.get("format").to_string(),
        prefix: form.get("prefix").to_string(),
        mode: Some(form.get("mode").to_string()),
    };
    if new.collection.is_empty() {
        let problems = vec![formwork_service::Problem::new("collection", "required", "Choose a collection")];
        return feeds_page(
            &ctx,
            Form::new(form.values(), problems),
            axum::http::StatusCode::UNPROCESSABLE_ENTITY,
        )
        .await;
    }
    match exports::add_feed(&ctx.state, &form.principal.actor, &new).await {
        Ok(_) => Ok(Redirect::to("/exports/scheduled?notice=feed-added").into_response()),
        Err(ServiceError::Invalid(problems)) => {
            feeds_page(&ctx, Form::new(form.values(), problems), axum::http::StatusCode::UNPROCESSABLE_ENTITY)
                .await
        }
        Err(ServiceError::Conflict(message)) => {
            let problems = vec![formwork_service::Problem::new("prefix", "conflict", message)];
            feeds_page(&ctx, Form::new(form.values(), problems), axum::http::StatusCode::CONFLICT).await
        }
        Err(e) => Err(e.into()),
    }
}

/// `POST /exports/scheduled/{id}/run` (service admins): run it now.
pub(crate) async fn run_feed(ctx: Ctx, Path(id): Path<String>, form: FormData) -> Result<Response, AppError> {
    exports::run_feed_as(&ctx.state, ctx.state.files(), &form.principal.actor, &id).await?;
    Ok(Redirect::to("/exports/scheduled?notice=feed-ran").into_response())
}

/// `POST /exports/scheduled/{id}/remove` (service admins): stop it.
pub(crate) async fn remove_feed(
    ctx: Ctx,
    Path(id): Path<String>,
    form: FormData,
) -> Result<Response, AppError> {
    exports::remove_feed(&ctx.state, &form.principal.actor, &id).await?;
    Ok(Redirect::to("/exports/scheduled?notice=feed-removed").into_response())
}
