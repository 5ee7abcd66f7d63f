//! The pages of a log's records: an organisation's records of a log (filtered by period and
//! state, counted by state, a page at a time), adding one, a record's task list, its history, and
//! deleting it; a section's page in [`section`].
//!
//! Every page is a call to `formwork_service::records` and a template; the rules (who may see or
//! change what, when a record is completed, what is a duplicate) are the service's.

pub(crate) mod section;

use askama::Template;
use axum::extract::{Path, Query};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use formwork_service::records::{self, ListFilter, Log, LogEntry, RecordList, RecordState, RecordView};
use formwork_service::submissions::{HistoryEntry, Progress};
use formwork_service::{Problem, ServiceError};

use super::returns::check::answer_text;
use super::returns::section::{WarningView, warning_views};
use super::returns::{changes_table, entry_when, section_hint, status};
use super::when;
use crate::components::form::{inline_form_with, yes_no};
use crate::components::{
    Button, Cell, Content, ErrorSummary, ErrorSummaryItem, Label, NotificationBanner, Pagination,
    PaginationLink, Radios, Select, SelectItem, SummaryList, SummaryRow, Table, TableCell, Tag, TaskList,
    TaskListItem, WarningText, escape, link,
};
use crate::error::AppError;
use crate::forms::FormData;
use crate::pages::{Ctx, Form, Page, render, render_with};

/// The address of a record's task list.
pub(crate) fn record_href(id: &str) -> String {
    format!("/records/{id}")
}

/// The address of an organisation's records of a log.
pub(crate) fn list_href(organisation: &str, collection: &str) -> String {
    format!("/organisations/{organisation}/records/{collection}")
}

/// The tag of a record's state.
pub(crate) fn state_tag(state: RecordState) -> Tag {
    let colour = match state {
        RecordState::InProgress => "govuk-tag--light-blue",
        RecordState::Completed => "govuk-tag--green",
        RecordState::Deleted => "govuk-tag--grey",
    };
    Tag::new(state.label(), Some(colour))
}

/// A record's key answers in words ("ABC123, 1 April 2026, SW1A 1AA"), or "Record without a key yet".
fn key_text(def: &formwork_definition::Definition, record: &records::Record) -> String {
    let parts: Vec<String> = records::key_questions(def)
        .into_iter()
        .filter_map(|q| {
            record.answers.get(&q.id).filter(|v| !v.is_null()).map(|v| answer_text(def, q, Some(v)))
        })
        .collect();
    if parts.is_empty() { "A record without its key answers yet".to_owned() } else { parts.join(", ") }
}

/// The caption of a record's pages: its organisation, log and period.
pub(crate) fn caption(view: &RecordView) -> String {
    format!("{} – {} – {}", view.organisation.name, view.definition.title, view.period.label)
}

/// Percent-encodes a query value.
fn encode(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => (b as char).to_string(),
            b => format!("%{b:02X}"),
        })
        .collect()
}

/// The list's filters, as its GET form sends them (empty: any).
#[derive(Clone, Debug, Default, serde::Deserialize)]
pub(crate) struct ListQuery {
    #[serde(default)]
    period: String,
    #[serde(default)]
    state: String,
    #[serde(default)]
    after: String,
}

impl ListQuery {
    fn state(&self) -> Result<Option<RecordState>, AppError> {
        match self.state.trim() {
            "" => Ok(None),
            s => RecordState::parse(s).map(Some).ok_or_else(|| AppError::BadRequest {
                code: "invalid_query",
                message: format!("“{s}” is not a state of a record"),
            }),
        }
    }
}

#[derive(Template)]
#[template(path = "records/list.html")]
struct ListPage {
    page: Page,
    log: Log,
    list: RecordList,
    query: ListQuery,
    /// Problems with adding a record.
    form: Form,
}

impl ListPage {
    fn href(&self) -> String {
        list_href(&self.log.organisation.slug, &self.log.definition.collection)
    }

    /// The list's address with these filters but `state` as given, from the first page.
    fn filtered(&self, state: Option<RecordState>) -> String {
        let mut pairs = Vec::new();
        if !self.query.period.trim().is_empty() {
            pairs.push(format!("period={}", encode(self.query.period.trim())));
        }
        if let Some(state) = state {
            pairs.push(format!("state={}", state.as_str()));
        }
        if pairs.is_empty() { self.href() } else { format!("{}?{}", self.href(), pairs.join("&")) }
    }

    /// Counts by state, each linking to the list filtered on it.
    fn counts(&self) -> Vec<(String, String, bool)> {
        let shown = RecordState::parse(self.query.state.trim());
        let count =
            |state: RecordState| self.list.counts.iter().find(|(s, _)| *s == state).map_or(0, |(_, n)| *n);
        let current: i64 = [RecordState::InProgress, RecordState::Completed].into_iter().map(count).sum();
        let mut counts = vec![(self.filtered(None), format!("All records ({current})"), shown.is_none())];
        counts.extend(RecordState::ALL.into_iter().map(|state| {
            (
                self.filtered(Some(state)),
                format!("{} ({})", state.label(), count(state)),
                shown == Some(state),
            )
        }));
        counts
    }

    fn select(&self, name: &str, label: &str, options: Vec<(String, String)>, value: &str) -> Select {
        let mut items = vec![SelectItem {
            value: Some(String::new()),
            text: Some("Any".to_owned()),
            ..SelectItem::default()
        }];
        items.extend(options.into_iter().map(|(v, t)| SelectItem {
            value: Some(v),
            text: Some(t),
            ..SelectItem::default()
        }));
        Select {
            id: Some(name.to_owned()),
            name: Some(name.to_owned()),
            items,
            value: Some(value.to_owned()),
            label: Label::text(label).classes("govuk-label--s"),
            ..Select::default()
        }
    }

    fn period_select(&self) -> Select {
        let periods = self.log.periods.iter().map(|p| (p.key.clone(), p.label.clone())).collect();
        self.select("period", "Period", periods, self.query.period.trim())
    }

    fn state_select(&self) -> Select {
        let states =
            RecordState::ALL.into_iter().map(|s| (s.as_str().to_owned(), s.label().to_owned())).collect();
        self.select("state", "Status", states, self.query.state.trim())
    }

    /// The period a record added from this page is for: the one filtered on, or the latest.
    fn add_period(&self) -> String {
        match self.query.period.trim() {
            "" => self.log.periods.first().map(|p| p.key.clone()).unwrap_or_default(),
            chosen => chosen.to_owned(),
        }
    }

    fn add_form(&self) -> String {
        let period = self.add_period();
        let button = Button::submit("Add a record");
        inline_form_with(&self.href(), &self.page.csrf, &[("period", &period)], &button)
    }

    fn upload_href(&self) -> String {
        format!(
            "/organisations/{}/uploads/new?collection={}&period={}",
            self.log.organisation.slug,
            encode(&self.log.definition.collection),
            encode(&self.add_period())
        )
    }

    /// Each record: its key answers (linking to it), period, state and when it last changed.
    fn table(&self) -> Table {
        let def = &self.log.definition;
        let keys = records::key_questions(def);
        let mut head: Vec<TableCell> = if keys.is_empty() {
            vec![TableCell::text("Record")]
        } else {
            keys.iter().map(|q| TableCell::text(&q.label)).collect()
        };
        head.extend(["Period", "Status", "Last changed"].map(TableCell::text));
        let rows = self
            .list
            .records
            .iter()
            .map(|record| {
                let href = record_href(&record.id);
                let mut row: Vec<TableCell> = if keys.is_empty() {
                    vec![TableCell::html(link(&href, "Open the record"))]
                } else {
                    keys.iter()
                        .enumerate()
                        .map(|(i, q)| {
                            let value = record.answers.get(&q.id).filter(|v| !v.is_null());
                            let text = value
                                .map_or_else(|| "Not answered".to_owned(), |v| answer_text(def, q, Some(v)));
                            if i == 0 { TableCell::html(link(&href, &text)) } else { TableCell::text(text) }
                        })
                        .collect()
                };
                let period = def
                    .schedule
                    .period_by_key(&record.period)
                    .map_or_else(|| record.period.clone(), |p| p.label);
                row.push(TableCell::text(period));
                row.push(TableCell::html(state_tag(record.state).to_html()));
                row.push(TableCell::text(format!(
                    "{} by {}",
                    when(record.updated_at),
                    record.updated_by_name.as_deref().unwrap_or("the service")
                )));
                row
            })
            .collect();
        Table { rows, ..Table::with_hidden_caption("Records", head) }
    }

    /// The next page, and back to the first one.
    fn pagination(&self) -> Option<Pagination> {
        let base = self.filtered(RecordState::parse(self.query.state.trim()));
        let joined = |after: &str| {
            let separator = if base.contains('?') { '&' } else { '?' };
            format!("{base}{separator}after={}", encode(after))
        };
        let next = self
            .list
            .next
            .as_ref()
            .map(|after| PaginationLink { href: Some(joined(after)), ..PaginationLink::default() });
        let previous = (!self.query.after.trim().is_empty()).then(|| PaginationLink {
            content: Content::text("First page"),
            href: Some(base.clone()),
            ..PaginationLink::default()
        });
        (next.is_some() || previous.is_some()).then(|| Pagination { previous, next, ..Pagination::default() })
    }
}

async fn list_page(
    ctx: &Ctx,
    organisation: &str,
    collection: &str,
    query: ListQuery,
    problems: Vec<Problem>,
    status: StatusCode,
) -> Result<Response, AppError> {
    let log = records::log(&ctx.state, ctx.actor(), organisation, collection).await?;
    let filter = ListFilter {
        organisation: Some(log.organisation.id.clone()),
        collection: Some(collection.to_owned()),
        period: Some(query.period.trim().to_owned()).filter(|p| !p.is_empty()),
        state: query.state()?,
        after: Some(query.after.trim().to_owned()).filter(|a| !a.is_empty()),
        ..ListFilter::default()
    };
    let list = records::list(&ctx.state, ctx.actor(), filter).await?;
    let mut page = ctx.page(log.definition.title.clone(), "/returns");
    page.has_errors = !problems.is_empty();
    let form = Form::new(Vec::new(), problems);
    Ok(render_with(status, &page, &ListPage { page: page.clone(), log, list, query, form }))
}

/// `GET /organisations/{slug}/records/{collection}`: the organisation's records of a log.
pub(crate) async fn list(
    ctx: Ctx,
    Path((organisation, collection)): Path<(String, String)>,
    Query(query): Query<ListQuery>,
) -> Result<Response, AppError> {
    list_page(&ctx, &organisation, &collection, query, Vec::new(), StatusCode::OK).await
}

/// `POST /organisations/{slug}/records/{collection}`: add a record to the log, then fill it in.
pub(crate) async fn create(
    ctx: Ctx,
    Path((organisation, collection)): Path<(String, String)>,
    form: FormData,
) -> Result<Response, AppError> {
    // Another organisation's log does not exist for the person: 404 before anything else.
    records::log(&ctx.state, ctx.actor(), &organisation, &collection).await?;
    let period = Some(form.get("period").trim().to_owned()).filter(|p| !p.is_empty());
    let new = records::NewRecordInput {
        collection: collection.clone(),
        organisation: organisation.clone(),
        period: period.clone(),
        answers: serde_json::Map::new(),
    };
    match records::create(&ctx.state, &form.principal.actor, new).await {
        Ok(view) => {
            Ok(Redirect::to(&format!("{}?notice=record-added", record_href(&view.record.id))).into_response())
        }
        Err(ServiceError::Invalid(problems)) => {
            let query = ListQuery { period: period.unwrap_or_default(), ..ListQuery::default() };
            list_page(&ctx, &organisation, &collection, query, problems, StatusCode::UNPROCESSABLE_ENTITY)
                .await
        }
        Err(e) => Err(e.into()),
    }
}

#[derive(Template)]
#[template(path = "records/record.html")]
struct RecordPage {
    page: Page,
    view: RecordView,
    caption: String,
    list: String,
    /// Warnings about the record as a whole (no section's), with their forms.
    warnings: Vec<WarningView>,
    error_summary: Option<ErrorSummary>,
}

/// The banner that says another record has the same key, linking to it.
pub(crate) fn duplicate_banner(view: &RecordView) -> Option<NotificationBanner> {
    let other = view.duplicate.as_ref()?;
    let message = view
        .errors
        .iter()
        .find(|i| i.code == formwork_definition::validate::Code::Duplicate)
        .map_or_else(|| "Another record has the same key".to_owned(), |i| i.message.clone());
    let html = format!(
        "<p class=\"govuk-notification-banner__heading\">{}</p><p class=\"govuk-body\">{}</p>",
        escape(&message),
        link(&record_href(other), "Open the other record"),
    );
    Some(NotificationBanner {
        content: Content::html(html),
        title_text: Some("Duplicate record".to_owned()),
        title_id: Some("duplicate-title".to_owned()),
        ..NotificationBanner::default()
    })
}

impl RecordPage {
    /// Where the record is: its state, key, and who changed it last.
    fn status(&self) -> SummaryList {
        let record = &self.view.record;
        let row =
            |key: &str, value: Cell| SummaryRow { key: Cell::text(key), value, ..SummaryRow::default() };
        let def = &self.view.definition;
        let mut rows = vec![row("Status", Cell::html(state_tag(record.state).to_html()))];
        for q in records::key_questions(def) {
            rows.push(row(&q.label, Cell::text(answer_text(def, q, record.answers.get(&q.id)))));
        }
        rows.push(row(
            "Last changed",
            Cell::text(format!(
                "{} by {}",
                when(record.updated_at),
                record.updated_by_name.as_deref().unwrap_or("the service")
            )),
        ));
        if record.upload_id.is_some() {
            rows.push(row("Added from", Cell::text("An uploaded file")));
        }
        SummaryList { rows, ..SummaryList::default() }
    }

    fn next_step(&self) -> String {
        let view = &self.view;
        match view.record.state {
            RecordState::Deleted => "This record has been deleted. It is kept with its history.".to_owned(),
            RecordState::Completed => "This record is complete.".to_owned(),
            RecordState::InProgress if view.duplicate.is_some() => {
                "This record has the same key as another: change it, or delete one of the two.".to_owned()
            }
            RecordState::InProgress => {
                "Complete every section: the record is completed once it has no errors and its warnings are confirmed."
                    .to_owned()
            }
        }
    }

    fn tasks(&self) -> TaskList {
        let id = &self.view.record.id;
        let items = self
            .view
            .sections
            .iter()
            .map(|section| {
                let href = (section.status != Progress::NotNeeded
                    && self.view.record.state != RecordState::Deleted)
                    .then(|| format!("/records/{id}/sections/{}", section.id));
                let mut item = TaskListItem {
                    hint: section_hint(section),
                    status: status(section),
                    href,
                    ..TaskListItem::default()
                };
                item.title.content = Content::text(&section.title);
                Some(item)
            })
            .collect();
        TaskList { items, id_prefix: Some("sections".to_owned()), ..TaskList::default() }
    }

    fn duplicate(&self) -> Option<NotificationBanner> {
        duplicate_banner(&self.view)
    }
}

/// The task list of a record; `warning_error` is a warning's key and what is wrong with the
/// reason sent for it.
pub(crate) fn record_page(
    ctx: &Ctx,
    view: RecordView,
    warning_error: Option<(String, String)>,
    status: StatusCode,
) -> Response {
    let mut page = ctx.page(key_text(&view.definition, &view.record), "/returns");
    let whole = view.warnings.iter().filter(|w| w.item.section.is_none());
    let warnings = if view.editable { warning_views(whole, warning_error.as_ref()) } else { Vec::new() };
    let error_summary = warning_error.map(|(key, message)| {
        let n = view.warnings.iter().filter(|w| w.item.section.is_none()).position(|w| w.key == key);
        ErrorSummary {
            title_text: Some("There is a problem".to_owned()),
            error_list: vec![ErrorSummaryItem {
                content: Content::text(message),
                href: n.map(|n| format!("#reason-{n}")),
                ..ErrorSummaryItem::default()
            }],
            ..ErrorSummary::default()
        }
    });
    page.has_errors = error_summary.is_some();
    let list = list_href(&view.organisation.slug, &view.record.collection);
    let template =
        RecordPage { page: page.clone(), caption: caption(&view), view, list, warnings, error_summary };
    render_with(status, &page, &template)
}

/// `GET /records/{id}`: a record's sections, each with its status, and where the record is.
pub(crate) async fn show(ctx: Ctx, Path(id): Path<String>) -> Result<Response, AppError> {
    let view = records::get(&ctx.state, ctx.actor(), &id).await?;
    Ok(record_page(&ctx, view, None, StatusCode::OK))
}

#[derive(Template)]
#[template(path = "records/history.html")]
struct HistoryPage {
    page: Page,
    view: RecordView,
    caption: String,
    entries: Vec<HistoryEntry>,
}

impl HistoryPage {
    fn when(&self, entry: &HistoryEntry) -> String {
        entry_when(entry)
    }

    fn changes(&self, entry: &HistoryEntry) -> Table {
        changes_table(&self.view.definition, entry)
    }
}

/// `GET /records/{id}/history`: every change to the record, newest first.
pub(crate) async fn history(ctx: Ctx, Path(id): Path<String>) -> Result<Response, AppError> {
    let view = records::get(&ctx.state, ctx.actor(), &id).await?;
    let entries = records::history(&ctx.state, ctx.actor(), &id).await?;
    let page = ctx.page("History", "/returns");
    let caption = caption(&view);
    Ok(render(&page, &HistoryPage { page: page.clone(), view, caption, entries }))
}

#[derive(Template)]
#[template(path = "records/delete.html")]
struct DeletePage {
    page: Page,
    view: RecordView,
    caption: String,
    summary: Option<ErrorSummary>,
    confirm: Radios,
    warning: WarningText,
}

fn delete_page(ctx: &Ctx, view: RecordView, error: Option<&str>, status: StatusCode) -> Response {
    let mut page = ctx.page("Are you sure you want to delete this record?", "/returns");
    page.has_errors = error.is_some();
    let summary = error.map(|message| ErrorSummary {
        title_text: Some("There is a problem".to_owned()),
        error_list: vec![ErrorSummaryItem {
            content: Content::text(message),
            href: Some("#delete".to_owned()),
            ..ErrorSummaryItem::default()
        }],
        ..ErrorSummary::default()
    });
    let warning = WarningText {
        content: Content::text(format!(
            "The record {} will no longer be listed or counted. It is kept, with its history.",
            key_text(&view.definition, &view.record)
        )),
        icon_fallback_text: Some("Warning".to_owned()),
        ..WarningText::default()
    };
    let template = DeletePage {
        page: page.clone(),
        caption: caption(&view),
        view,
        summary,
        confirm: yes_no("delete", "Do you want to delete this record?", false, error),
        warning,
    };
    render_with(status, &page, &template)
}

/// The record, when the person may delete it.
async fn deletable(ctx: &Ctx, id: &str) -> Result<RecordView, AppError> {
    let view = records::get(&ctx.state, ctx.actor(), id).await?;
    if view.record.state == RecordState::Deleted {
        return Err(ServiceError::Conflict("This record has already been deleted".into()).into());
    }
    if !view.editable {
        return Err(ServiceError::Forbidden("You can read this record but not delete it".into()).into());
    }
    Ok(view)
}

/// `GET /records/{id}/delete`: are you sure?
pub(crate) async fn confirm_delete(ctx: Ctx, Path(id): Path<String>) -> Result<Response, AppError> {
    let view = deletable(&ctx, &id).await?;
    Ok(delete_page(&ctx, view, None, StatusCode::OK))
}

/// `POST /records/{id}/delete`: delete the record (softly), then back to the log's list.
pub(crate) async fn delete(ctx: Ctx, Path(id): Path<String>, form: FormData) -> Result<Response, AppError> {
    let view = deletable(&ctx, &id).await?;
    let expected = section::revision(&form)?;
    match form.get("delete") {
        "yes" => {}
        "no" => return Ok(Redirect::to(&record_href(&id)).into_response()),
        _ => {
            let error = Some("Select yes if you want to delete this record");
            return Ok(delete_page(&ctx, view, error, StatusCode::UNPROCESSABLE_ENTITY));
        }
    }
    match records::delete(&ctx.state, &form.principal.actor, &id, expected).await {
        Ok(deleted) => {
            let list = list_href(&deleted.organisation.slug, &deleted.record.collection);
            Ok(Redirect::to(&format!("{list}?notice=record-deleted")).into_response())
        }
        Err(ServiceError::Stale(stale)) => {
            let view = records::get(&ctx.state, ctx.actor(), &id).await?;
            let message = format!(
                "Someone changed this record after you opened this page ({} changes): check it, then delete it again",
                stale.changes.len()
            );
            Ok(delete_page(&ctx, view, Some(&message), StatusCode::CONFLICT))
        }
        Err(e) => Err(e.into()),
    }
}

/// The logs of the person's organisations, for the dashboard: each with its records counted and
/// linking to its list.
pub(crate) fn logs_table(entries: &[LogEntry]) -> Table {
    let head = ["Log", "Organisation", "In progress", "Completed"].map(TableCell::text).to_vec();
    let count = |entry: &LogEntry, state: RecordState| {
        entry.counts.iter().find(|(s, _)| *s == state).map_or(0, |(_, n)| *n).to_string()
    };
    let rows = entries
        .iter()
        .map(|entry| {
            vec![
                TableCell::html(link(
                    &list_href(&entry.organisation.slug, &entry.collection),
                    &entry.collection_title,
                )),
                TableCell::text(&entry.organisation.name),
                TableCell::numeric(count(entry, RecordState::InProgress)),
                TableCell::numeric(count(entry, RecordState::Completed)),
            ]
        })
        .collect();
    Table { rows, ..Table::with_hidden_caption("Your logs", head) }
}
