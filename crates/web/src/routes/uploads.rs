//! An organisation's uploads of files of records: the form to upload one (for a log and a period),
//! and the list of its uploads, newest first. Each upload then has its own page
//! ([`super::upload_report`]) with its progress and what checking it found.
//!
//! The form is multipart and its file is streamed from the request into storage by
//! [`uploads::receive`], never held whole: the CSRF token and the other fields come before the
//! file in the body, so they are checked before a byte of the file is read.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use askama::Template;
use axum::extract::{Multipart, Path, Query};
use axum::http::{HeaderMap, Method, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use formwork_definition::Definition;
use formwork_definition::schedule::Period;
use formwork_service::lifecycle::editing_roles;
use formwork_service::organisations::{self, Overview};
use formwork_service::policy::{Action, check};
use formwork_service::submissions::size_words;
use formwork_service::uploads::{self, NewFile, UploadFilter};
use formwork_service::{Problem, ServiceError, collections};
use serde::Deserialize;

use super::return_tables::thousands;
use super::{today, when};
use crate::auth::check_csrf;
use crate::components::form::file_upload;
use crate::components::{
    Content, ErrorMessage, Fieldset, Hint, Legend, RadioItem, Radios, Table, TableCell, Tag, link,
};
use crate::error::AppError;
use crate::forms::watch_limit;
use crate::pages::{Ctx, Form, Page, render_with};

/// The most periods the form offers (the latest first); an older one can still be asked for.
const PERIODS_OFFERED: usize = 12;

/// The most uploads the list shows.
const LISTED: i64 = 200;

/// `n thing(s)`, with thousands separated.
pub(crate) fn count_of(n: i64, one: &str, many: &str) -> String {
    if n == 1 { format!("1 {one}") } else { format!("{} {many}", thousands(u64::try_from(n).unwrap_or(0))) }
}

/// How an upload's state (as sent, and as people read it) shows as a tag.
pub(crate) fn state_tag(state: &str, label: &str) -> Tag {
    let colour = match state {
        "failed" => "govuk-tag--red",
        "confirm" => "govuk-tag--yellow",
        "stored" => "govuk-tag--green",
        "same_file" => "govuk-tag--grey",
        _ => "govuk-tag--blue",
    };
    Tag::new(label, Some(colour))
}

/// A log collection the organisation keeps records of, as the form offers it.
struct LogCollection {
    slug: String,
    title: String,
    definition: Arc<Definition>,
}

/// The log collections of `overview`'s organisation that `ctx`'s person may upload records of.
/// When there are some but the person may upload none, why not.
async fn uploadable(ctx: &Ctx, overview: &Overview) -> Result<Vec<LogCollection>, AppError> {
    let mut found = Vec::new();
    let mut refusal = None;
    for collection in overview.collections.iter().filter(|c| c.kind == "log") {
        let definition =
            collections::definition(&ctx.state, &collection.slug, collection.latest_version).await?;
        match check(ctx.actor(), Action::EditRecords(&overview.organisation.id, &editing_roles(&definition)))
        {
            Ok(()) => found.push(LogCollection {
                slug: collection.slug.clone(),
                title: collection.title.clone(),
                definition,
            }),
            Err(e) => refusal = Some(e),
        }
    }
    match refusal {
        Some(e) if found.is_empty() => Err(e.into()),
        _ if found.is_empty() && overview.collections.iter().all(|c| c.kind != "log") => {
            Err(ServiceError::NotFound(format!(
                "{} keeps no records of a log: there is nothing to upload",
                overview.organisation.name
            ))
            .into())
        }
        _ => Ok(found),
    }
}

/// The query of the upload form: which collection and period it is for.
#[derive(Clone, Debug, Default, Deserialize)]
pub(crate) struct NewQuery {
    collection: Option<String>,
    period: Option<String>,
}

#[derive(Template)]
#[template(path = "uploads/new.html")]
struct NewPage {
    page: Page,
    caption: String,
    back: String,
    form: Form,
    /// Where the form posts; `None` while a collection is to be chosen first.
    action: Option<String>,
    /// Links to choose a collection, when the organisation keeps several logs.
    choices: Vec<(String, String)>,
    collection: String,
    /// The period's radios, when there is a choice…
    period: Option<Radios>,
    /// …or the one period there is.
    only_period: Option<Period>,
    file: crate::components::FileUpload,
    /// The collection's templates: (href, text).
    templates: Vec<(String, String)>,
}

/// The form for `slug`, with what was sent and its problems.
async fn new_page(
    ctx: &Ctx,
    slug: &str,
    chosen: &NewQuery,
    form: Form,
    status: StatusCode,
) -> Result<Response, AppError> {
    let overview = organisations::overview(&ctx.state, ctx.actor(), slug).await?;
    let logs = uploadable(ctx, &overview).await?;
    let organisation = &overview.organisation;
    let wanted = chosen.collection.as_deref().filter(|c| !c.is_empty());
    let log = match wanted {
        Some(w) => Some(logs.iter().find(|l| l.slug == w).ok_or_else(|| {
            ServiceError::NotFound(format!("{} keeps no records of the collection “{w}”", organisation.name))
        })?),
        None if logs.len() == 1 => logs.first(),
        None => None,
    };
    let title = match log {
        Some(log) => format!("Upload a file of records: {}", log.title),
        None => "Upload a file of records".to_owned(),
    };
    let mut page = ctx.page(title, "/organisations");
    page.has_errors = form.has_errors();
    let base = format!("/organisations/{}/uploads", organisation.slug);
    let choices = match log {
        Some(_) => Vec::new(),
        None => logs.iter().map(|l| (format!("{base}/new?collection={}", l.slug), l.title.clone())).collect(),
    };
    let limits = format!(
        "The file must be a CSV or XLSX file smaller than {}, with at most {} rows. Its first row holds the column headers: each question's id, label or alias.",
        size_words(ctx.state.settings.upload_max_bytes),
        thousands(ctx.state.settings.upload_max_rows as u64),
    );
    let file = crate::components::FileUpload {
        hint: Some(Hint::text(limits)),
        error_message: form.error("file").map(ErrorMessage::text),
        ..file_upload("file", "Upload a file", ".csv,.xlsx")
    };
    let (collection, period, templates) = match log {
        Some(log) => {
            let value = match form.value("period") {
                "" => chosen.period.clone().unwrap_or_default(),
                typed => typed.to_owned(),
            };
            let api = format!("/api/v1/collections/{}", log.slug);
            let templates = vec![
                (format!("{api}/template.csv"), format!("Download the CSV template for {}", log.title)),
                (
                    format!("{api}/template.xlsx"),
                    format!("Download the spreadsheet template (XLSX) for {}", log.title),
                ),
            ];
            (log.slug.clone(), period_choice(ctx, &log.definition, &value, form.error("period")), templates)
        }
        None => (String::new(), Err(None), Vec::new()),
    };
    let (period, only_period) = match period {
        Ok(radios) => (Some(radios), None),
        Err(only) => (None, only),
    };
    let template = NewPage {
        caption: organisation.name.clone(),
        back: base.clone(),
        action: log.map(|_| base.clone()),
        choices,
        collection,
        period,
        only_period,
        file,
        templates,
        form,
        page: page.clone(),
    };
    Ok(render_with(status, &page, &template))
}

/// The periods of `def` that have started, latest first, as radios with `value` chosen (the latest
/// when none is); the one period when there is only one (`None` when none has started).
fn period_choice(
    ctx: &Ctx,
    def: &Definition,
    value: &str,
    error: Option<&str>,
) -> Result<Radios, Option<Period>> {
    let mut periods = def.schedule.periods_until(today(&ctx.state));
    periods.reverse();
    if periods.len() <= 1 {
        return Err(periods.pop());
    }
    let chosen = if value.is_empty() {
        periods.first().map(|p| p.key.clone()).unwrap_or_default()
    } else {
        value.to_owned()
    };
    let mut offered: Vec<Period> = periods.iter().take(PERIODS_OFFERED).cloned().collect();
    if let Some(older) = periods.iter().skip(PERIODS_OFFERED).find(|p| p.key == chosen) {
        offered.push(older.clone());
    }
    Ok(Radios {
        name: Some("period".to_owned()),
        id_prefix: Some("period".to_owned()),
        value: Some(chosen),
        items: offered
            .into_iter()
            .map(|p| {
                Some(RadioItem {
                    content: Content::text(p.label),
                    value: Some(p.key),
                    ..RadioItem::default()
                })
            })
            .collect(),
        error_message: error.map(ErrorMessage::text),
        fieldset: Some(Fieldset {
            legend: Legend {
                content: Content::text("Which period are the records for?"),
                classes: Some("govuk-fieldset__legend--s".to_owned()),
                is_page_heading: false,
            },
            ..Fieldset::default()
        }),
        ..Radios::default()
    })
}

/// `GET /organisations/{slug}/uploads/new?collection=C&period=P`: upload a file of records.
pub(crate) async fn new(
    ctx: Ctx,
    Path(slug): Path<String>,
    Query(query): Query<NewQuery>,
) -> Result<Response, AppError> {
    new_page(&ctx, &slug, &query, Form::default(), StatusCode::OK).await
}

fn bad_form(message: impl Into<String>) -> AppError {
    AppError::BadRequest { code: "bad_form", message: message.into() }
}

/// The problems of a refused file, each on the field it is about (the file's, when none is).
fn on_fields(problems: Vec<Problem>) -> Vec<Problem> {
    problems
        .into_iter()
        .map(|p| match p.field.as_str() {
            "collection" | "period" | "file" => p,
            _ => Problem { field: "file".to_owned(), ..p },
        })
        .collect()
}

/// `POST /organisations/{slug}/uploads`: a multipart form whose `csrf_token`, `collection` and
/// `period` come before its `file`, which streams into storage; then the upload's page.
pub(crate) async fn create(
    ctx: Ctx,
    Path(slug): Path<String>,
    headers: HeaderMap,
    mut multipart: Multipart,
) -> Result<Response, AppError> {
    // Another organisation's uploads do not exist for its members: not a byte is read for them.
    let organisation = organisations::find(&ctx.state, ctx.actor(), &slug).await?;
    let mut csrf: Option<String> = None;
    let mut chosen = NewQuery::default();
    let over_limit = Arc::new(AtomicBool::new(false));
    let outcome = loop {
        let field = match multipart.next_field().await {
            Ok(Some(field)) => field,
            Ok(None) => {
                check_csrf(&ctx.principal, &headers, &Method::POST, &ctx.state, csrf.as_deref())?;
                break Err(ServiceError::invalid("file", "required", "Select a CSV or XLSX file"));
            }
            Err(e) if e.status() == StatusCode::PAYLOAD_TOO_LARGE => {
                over_limit.store(true, Ordering::Relaxed);
                break Err(ServiceError::invalid("file", "file", "too large"));
            }
            Err(e) => return Err(bad_form(e.body_text())),
        };
        match field.name() {
            Some("csrf_token") => csrf = Some(field.text().await.map_err(|e| bad_form(e.body_text()))?),
            Some("collection") => {
                chosen.collection = Some(field.text().await.map_err(|e| bad_form(e.body_text()))?);
            }
            Some("period") => chosen.period = Some(field.text().await.map_err(|e| bad_form(e.body_text()))?),
            Some("file") => {
                check_csrf(&ctx.principal, &headers, &Method::POST, &ctx.state, csrf.as_deref())?;
                let new = NewFile {
                    collection: chosen.collection.clone(),
                    organisation: Some(organisation.slug.clone()),
                    period: chosen.period.clone(),
                    submission: None,
                    table: None,
                    file_name: field.file_name().unwrap_or_default().to_owned(),
                    body: watch_limit(field, &over_limit),
                };
                break uploads::receive(&ctx.state, ctx.state.files(), ctx.actor(), new).await;
            }
            _ => {}
        }
    };
    let problems = match outcome {
        Ok(view) => return Ok(Redirect::to(&format!("/uploads/{}", view.upload.id)).into_response()),
        // The service hears only that the file stopped: here it is known why.
        Err(ServiceError::Invalid(_)) if over_limit.load(Ordering::Relaxed) => {
            let limit = ctx.state.config().max_upload_bytes;
            vec![Problem::new(
                "file",
                "file",
                format!(
                    "The selected file must be smaller than {} (the service's upload limit): split it into smaller files",
                    size_words(u64::try_from(limit).unwrap_or(u64::MAX))
                ),
            )]
        }
        Err(ServiceError::Invalid(problems)) => on_fields(problems),
        Err(e) => return Err(e.into()),
    };
    let values = vec![
        ("collection".to_owned(), chosen.collection.clone().unwrap_or_default()),
        ("period".to_owned(), chosen.period.clone().unwrap_or_default()),
    ];
    new_page(&ctx, &organisation.slug, &chosen, Form::new(values, problems), StatusCode::UNPROCESSABLE_ENTITY)
        .await
}

#[derive(Template)]
#[template(path = "uploads/list.html")]
struct ListPage {
    page: Page,
    caption: String,
    back: String,
    new_href: Option<String>,
    table: Option<Table>,
}

/// What an upload was for, as the list says it: the collection (by slug), and a table's section.
fn upload_for(
    collection: &str,
    table: Option<&str>,
    titles: &[(String, String)],
    sections: &[(String, String)],
) -> String {
    let collection =
        titles.iter().find(|(slug, _)| slug == collection).map_or(collection, |(_, title)| title.as_str());
    match table.and_then(|t| sections.iter().find(|(id, _)| id == t)) {
        Some((_, section)) => format!("{collection}: {section}"),
        None => collection.to_owned(),
    }
}

/// `GET /organisations/{slug}/uploads`: the organisation's uploads, newest first.
pub(crate) async fn list(ctx: Ctx, Path(slug): Path<String>) -> Result<Response, AppError> {
    let overview = organisations::overview(&ctx.state, ctx.actor(), &slug).await?;
    let organisation = &overview.organisation;
    let filter = UploadFilter {
        organisation: Some(organisation.id.clone()),
        limit: Some(LISTED),
        ..UploadFilter::default()
    };
    let listed = uploads::list(&ctx.state, ctx.actor(), filter).await?;
    let titles: Vec<(String, String)> =
        overview.collections.iter().map(|c| (c.slug.clone(), c.title.clone())).collect();
    // The titles of the table sections uploaded to, from each collection's latest definition.
    let mut sections: Vec<(String, String)> = Vec::new();
    for c in overview.collections.iter().filter(|c| c.kind != "log") {
        let def = collections::definition(&ctx.state, &c.slug, c.latest_version).await?;
        sections.extend(def.tables.iter().map(|t| (t.id.clone(), def.sections[t.section].title.clone())));
    }
    let rows: Vec<Vec<TableCell>> = listed
        .iter()
        .map(|u| {
            vec![
                TableCell::html(link(&format!("/uploads/{}", u.id), &u.file_name)),
                TableCell::text(upload_for(&u.collection, u.table_id.as_deref(), &titles, &sections)),
                TableCell::text(format!(
                    "{}, {}",
                    u.created_by_name.as_deref().unwrap_or("The service"),
                    when(u.created_at)
                )),
                TableCell::html(state_tag(u.state.as_str(), u.state.label()).to_html()),
                TableCell::numeric(thousands(u64::try_from(u.rows_read).unwrap_or(0))),
                TableCell::numeric(thousands(u64::try_from(u.error_count).unwrap_or(0))),
            ]
        })
        .collect();
    let head = ["File", "For", "Uploaded", "State"].map(TableCell::text).into_iter();
    let table = (!rows.is_empty()).then(|| Table {
        head: head.chain(["Rows", "Errors"].map(TableCell::numeric)).collect(),
        rows,
        caption: Some(format!("Uploads of {}, newest first", organisation.name)),
        caption_classes: Some("govuk-table__caption--s govuk-visually-hidden".to_owned()),
        ..Table::default()
    });
    let may_upload = uploadable(&ctx, &overview).await.is_ok_and(|logs| !logs.is_empty());
    let base = format!("/organisations/{}", organisation.slug);
    let page = ctx.page("Uploads", "/organisations");
    let template = ListPage {
        caption: organisation.name.clone(),
        new_href: may_upload.then(|| format!("{base}/uploads/new")),
        back: base,
        table,
        page: page.clone(),
    };
    Ok(render_with(StatusCode::OK, &page, &template))
}
