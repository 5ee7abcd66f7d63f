//! A return's table sections, by GOV.UK's "Add multiple things" pattern: the rows page (a page
//! of rows at a time, each with its status and Change and Remove links, "Add another row", the
//! spreadsheet upload and "Have you completed this section?"), and what the row pages
//! ([`super::return_rows`]) and the upload ([`super::return_uploads`]) share with it.

use std::collections::HashMap;

use askama::Template;
use axum::extract::Path;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use formwork_definition::validate::Item;
use formwork_definition::{Definition, Question, QuestionType, SectionContent, Table};
use formwork_service::ServiceError;
use formwork_service::submissions::{self, Edit, Progress, Stale, SubmissionView};
use serde::Deserialize;
use serde_json::{Map, Value};

use super::returns::section::completed_radios;
use crate::components::form::file_upload;
use crate::components::{
    Button, Content, ErrorMessage, ErrorSummary, ErrorSummaryItem, FileUpload, Input, Label, Pagination,
    PaginationItem, PaginationLink, Radios, TableCell, Tag, WarningText, escape,
};
use crate::error::AppError;
use crate::forms::FormData;
use crate::pages::{Ctx, Page, render_with};
use crate::returns::form;

/// Rows on one page of a table section: enough to scan, few enough that a table of 20,000 rows
/// renders as fast as one of 20.
pub(crate) const ROWS_PER_PAGE: usize = 50;

/// The most columns the rows page shows of each row (a row's page shows them all).
const KEY_COLUMNS: usize = 4;

/// The query of a table section's page.
#[derive(Clone, Debug, Default, Deserialize)]
pub(crate) struct TableQuery {
    /// The page of rows, from 1.
    pub page: Option<usize>,
}

/// A return with one of its table sections picked out.
pub(crate) struct TableSection {
    pub view: SubmissionView,
    /// The section's index in the definition.
    pub section: usize,
    /// The table's index in the definition.
    pub table: usize,
}

impl TableSection {
    /// The return of `id` and its table section `section`; "not found" when the section is not a
    /// table of this return (or the person may not see the return).
    pub async fn load(ctx: &Ctx, id: &str, section: &str) -> Result<TableSection, AppError> {
        let view = submissions::get(&ctx.state, ctx.actor(), id).await?;
        let (section, table) = view
            .definition
            .sections
            .iter()
            .enumerate()
            .find_map(|(i, s)| match s.content {
                SectionContent::Table(t) if s.id == section => Some((i, t)),
                _ => None,
            })
            .ok_or_else(|| ServiceError::NotFound(format!("This return has no table “{section}”")))?;
        Ok(TableSection { view, section, table })
    }

    pub(crate) fn def(&self) -> &Definition {
        &self.view.definition
    }

    pub(crate) fn table(&self) -> &Table {
        &self.def().tables[self.table]
    }

    pub(crate) fn id(&self) -> &str {
        &self.view.submission.id
    }

    pub fn section_id(&self) -> &str {
        &self.def().sections[self.section].id
    }

    pub(crate) fn title(&self) -> &str {
        &self.def().sections[self.section].title
    }

    /// The rows as stored.
    pub(crate) fn rows(&self) -> &[Value] {
        self.view
            .submission
            .answers
            .get(&self.table().id)
            .and_then(Value::as_array)
            .map_or(&[], Vec::as_slice)
    }

    /// The row at `index`, as a map of cells.
    pub(crate) fn row(&self, index: usize) -> Option<Map<String, Value>> {
        self.rows().get(index).map(|r| r.as_object().cloned().unwrap_or_default())
    }

    pub(crate) fn editable(&self) -> bool {
        self.view.sections.get(self.section).is_some_and(|s| s.editable)
    }

    /// Refuse a change to a section the person may only read.
    pub(crate) fn must_edit(&self) -> Result<(), AppError> {
        if self.editable() {
            Ok(())
        } else {
            Err(ServiceError::Forbidden(format!("You cannot change {}", self.title())).into())
        }
    }

    /// The address of the section's page (`page` of rows, when not the first).
    pub(crate) fn href(&self, page: Option<usize>) -> String {
        let base = format!("/returns/{}/sections/{}", self.id(), self.section_id());
        match page {
            Some(p) if p > 1 => format!("{base}?page={p}"),
            _ => base,
        }
    }

    /// The page of rows that holds row `index`.
    pub(crate) fn page_of(index: usize) -> usize {
        index / ROWS_PER_PAGE + 1
    }

    /// "Northshire County Council – April to June 2026": what the pages' captions say.
    pub(crate) fn caption(&self) -> String {
        format!("{} – {}", self.view.organisation.name, self.view.period.label)
    }

    /// The items of row `index` of this table.
    pub(crate) fn row_items(&self, index: usize) -> Vec<Item> {
        let prefix = format!("{}/{index}/", self.table().id);
        self.view.errors.iter().filter(|i| i.path.starts_with(&prefix)).cloned().collect()
    }
}

/// The row index in an item's path `TABLE/INDEX/…`, for items of `table`.
fn row_of(item: &Item, table: &str) -> Option<usize> {
    let rest = item.path.strip_prefix(table)?.strip_prefix('/')?;
    rest.split('/').next()?.parse().ok()
}

/// A hidden revision field's value: the revision the person's page was made from.
pub(crate) fn revision_of(form: &FormData) -> Result<i64, AppError> {
    form.get("revision").trim().parse().map_err(|_| AppError::BadRequest {
        code: "revision",
        message: "The form did not say which revision of the return it changes: go back, reload the page and try again"
            .into(),
    })
}

/// The table page again after a change came too late (409), listing what the others changed.
pub(crate) async fn stale_table_page(
    ctx: &Ctx,
    id: &str,
    section: &str,
    stale: &Stale,
) -> Result<Response, AppError> {
    let t = TableSection::load(ctx, id, section).await?;
    let extra =
        Extra { summary: Some(stale_summary(stale)), status: Some(StatusCode::CONFLICT), ..Extra::default() };
    Ok(table_page(ctx, &t, 1, extra))
}

/// What the others changed, as error summary entries: the person's own answers stay in the form.
pub(crate) fn stale_summary(stale: &Stale) -> ErrorSummary {
    let mut error_list = vec![ErrorSummaryItem {
        content: Content::text(
            "Someone else changed this return after you opened this page. Your answers have not been saved: check them against the changes below and save again",
        ),
        ..ErrorSummaryItem::default()
    }];
    for change in stale.changes.iter().take(10) {
        let who = change.by.as_deref().unwrap_or("Someone");
        let value = |v: &Value| match v {
            Value::Null => "nothing".to_owned(),
            other => format!("“{}”", form::text_of(Some(other))),
        };
        error_list.push(ErrorSummaryItem {
            content: Content::text(format!(
                "{who} changed {} from {} to {}",
                change.label,
                value(&change.old),
                value(&change.new)
            )),
            ..ErrorSummaryItem::default()
        });
    }
    if stale.changes.len() > 10 {
        error_list.push(ErrorSummaryItem {
            content: Content::text(format!("and {} more changes", stale.changes.len() - 10)),
            ..ErrorSummaryItem::default()
        });
    }
    ErrorSummary {
        title_text: Some("This return has changed".to_owned()),
        error_list,
        ..ErrorSummary::default()
    }
}

/// A one-entry error summary.
pub(crate) fn summary_of(message: &str, href: Option<String>) -> ErrorSummary {
    ErrorSummary {
        title_text: Some("There is a problem".to_owned()),
        error_list: vec![ErrorSummaryItem {
            content: Content::text(message),
            href,
            ..ErrorSummaryItem::default()
        }],
        ..ErrorSummary::default()
    }
}

/// A cell as the rows page shows it, as check answers shows an answer (choices by their label,
/// money with its symbol, dates in words); blank when empty.
pub(super) fn cell_text(def: &Definition, column: &Question, value: Option<&Value>) -> String {
    match value {
        None | Some(Value::Null) => String::new(),
        Some(v) => super::returns::check::answer_text(def, column, Some(v)),
    }
}

/// The columns the rows page shows: the table's unique key, then the first others.
fn key_columns(table: &Table) -> Vec<usize> {
    let mut columns: Vec<usize> = table.unique.iter().copied().take(KEY_COLUMNS).collect();
    for c in 0..table.columns.len() {
        if columns.len() >= KEY_COLUMNS {
            break;
        }
        if !columns.contains(&c) && table.columns[c].ty != QuestionType::Calculated {
            columns.push(c);
        }
    }
    columns.sort_unstable();
    columns
}

/// GOV.UK pagination for page `current` of `pages`: the first, the last, and those next to the
/// current one, with ellipses between.
pub(crate) fn pagination(href: impl Fn(usize) -> String, current: usize, pages: usize) -> Option<Pagination> {
    if pages <= 1 {
        return None;
    }
    let mut items = Vec::new();
    let mut last_shown = 0;
    for n in 1..=pages {
        if n == 1 || n == pages || n.abs_diff(current) <= 1 {
            if last_shown != 0 && n > last_shown + 1 {
                items.push(PaginationItem { ellipsis: true, ..PaginationItem::default() });
            }
            items.push(PaginationItem {
                number: Some(n.to_string()),
                href: Some(href(n)),
                current: n == current,
                ..PaginationItem::default()
            });
            last_shown = n;
        }
    }
    let link = |n: usize| PaginationLink { href: Some(href(n)), ..PaginationLink::default() };
    Some(Pagination {
        items,
        previous: (current > 1).then(|| link(current - 1)),
        next: (current < pages).then(|| link(current + 1)),
        landmark_label: Some("Pages of rows".to_owned()),
        ..Pagination::default()
    })
}

fn plural(n: usize, one: &str, many: &str) -> String {
    if n == 1 { format!("1 {one}") } else { format!("{n} {many}") }
}

/// A whole number with its thousands separated: 20,000.
pub(crate) fn thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// The most warnings a page lists to confirm at once.
const WARNINGS_SHOWN: usize = 20;

/// A warning on a row, with its confirmation or a form to give one.
pub(super) struct RowWarning {
    pub key: String,
    pub text: WarningText,
    pub confirmed: Option<String>,
    pub reason: Input,
    pub button: Button,
}

/// A link to a row's page, for warnings not listed on the rows page.
struct RowLink {
    href: String,
    text: String,
}

/// The section's warnings (only row `row`'s, when given) with their confirmations or forms to
/// give them: those still to confirm first, at most [`WARNINGS_SHOWN`]. A warning's reason field
/// is `reason-N`, N its place among the section's warnings, as the confirmation's errors link.
pub(super) fn row_warnings(t: &TableSection, row: Option<usize>) -> Vec<RowWarning> {
    let table = &t.table().id;
    let mut warnings: Vec<_> = t
        .view
        .warnings_in(t.section_id())
        .enumerate()
        .filter(|(_, w)| row.is_none_or(|r| row_of(&w.item, table) == Some(r)))
        .collect();
    warnings.sort_by_key(|(_, w)| w.confirmation.is_some());
    warnings
        .into_iter()
        .take(WARNINGS_SHOWN)
        .map(|(n, warning)| {
            let message = match row_of(&warning.item, table) {
                Some(r) => format!("Row {}: {}", r + 1, warning.item.message),
                None => warning.item.message.clone(),
            };
            RowWarning {
                key: warning.key.clone(),
                confirmed: warning.confirmation.as_ref().map(|c| format!("Confirmed: {}", c.reason)),
                reason: Input {
                    id: Some(format!("reason-{n}")),
                    name: Some("reason".to_owned()),
                    label: Label::text("Why is this answer right?").classes("govuk-label--s"),
                    ..Input::default()
                },
                button: Button::action(
                    "Confirm this answer",
                    &format!(": {message}"),
                    "govuk-button--secondary",
                ),
                text: WarningText {
                    content: Content::text(message),
                    icon_fallback_text: Some("Warning".to_owned()),
                    ..WarningText::default()
                },
            }
        })
        .collect()
}

/// The warnings still to confirm that the rows page has no room for: how many, and a link to
/// each row's page, where they are confirmed.
fn unlisted_warnings(t: &TableSection) -> (usize, Vec<RowLink>) {
    let table = &t.table().id;
    let mut rows: Vec<(usize, usize)> = Vec::new();
    let mut more = 0;
    for warning in
        t.view.warnings_in(t.section_id()).filter(|w| w.confirmation.is_none()).skip(WARNINGS_SHOWN)
    {
        more += 1;
        if let Some(r) = row_of(&warning.item, table) {
            match rows.iter_mut().find(|(row, _)| *row == r) {
                Some((_, n)) => *n += 1,
                None => rows.push((r, 1)),
            }
        }
    }
    rows.sort_unstable();
    let links = rows
        .into_iter()
        .map(|(r, n)| RowLink {
            href: format!("{}/rows/{r}", t.href(None)),
            text: format!("Row {}: {}", r + 1, plural(n, "answer to confirm", "answers to confirm")),
        })
        .collect();
    (more, links)
}

#[derive(Template)]
#[template(path = "returns/table.html")]
struct TablePage {
    page: Page,
    id: String,
    caption: String,
    summary: Option<ErrorSummary>,
    intro: String,
    table: Option<crate::components::Table>,
    pagination: Option<Pagination>,
    editable: bool,
    add_href: Option<String>,
    upload_href: String,
    complete_href: String,
    csv_href: String,
    xlsx_href: String,
    revision: i64,
    /// "Have you completed this section?".
    completed: Radios,
    /// The spreadsheet to upload.
    file: FileUpload,
    warnings: Vec<RowWarning>,
    /// How many warnings to confirm are not listed, and the rows they are on.
    more_warnings: usize,
    more_rows: Vec<RowLink>,
    /// The reviewer's comment, and who signed off.
    notes: crate::routes::returns::whole::SectionNotes,
}

/// What the rows page shows besides the rows: problems with a post.
#[derive(Default)]
pub(crate) struct Extra {
    /// The error summary instead of the table's own errors.
    pub summary: Option<ErrorSummary>,
    /// A problem to list first, above the table's own errors.
    pub first: Option<String>,
    pub status: Option<StatusCode>,
}

pub(super) fn table_page(ctx: &Ctx, t: &TableSection, page_number: usize, extra: Extra) -> Response {
    let def = t.def();
    let table = t.table();
    let rows = t.rows();
    let pages = rows.len().div_ceil(ROWS_PER_PAGE).max(1);
    let current = page_number.clamp(1, pages);
    let start = (current - 1) * ROWS_PER_PAGE;
    let end = (start + ROWS_PER_PAGE).min(rows.len());
    let mut errors_by_row: HashMap<usize, usize> = HashMap::new();
    let mut table_errors: Vec<&Item> = Vec::new();
    let mut row_errors: Vec<(usize, &Item)> = Vec::new();
    for item in t.view.errors_in(t.section_id()) {
        match row_of(item, &table.id) {
            Some(r) => {
                *errors_by_row.entry(r).or_default() += 1;
                row_errors.push((r, item));
            }
            None => table_errors.push(item),
        }
    }
    let mut warnings_by_row: HashMap<usize, usize> = HashMap::new();
    for warning in t.view.warnings_in(t.section_id()).filter(|w| w.confirmation.is_none()) {
        if let Some(r) = row_of(&warning.item, &table.id) {
            *warnings_by_row.entry(r).or_default() += 1;
        }
    }
    let editable = t.editable();
    let columns = key_columns(table);
    let shown_rows: Vec<Vec<TableCell>> = (start..end)
        .map(|r| {
            let cells = rows[r].as_object();
            let mut line = vec![TableCell::numeric((r + 1).to_string())];
            for &c in &columns {
                let column = &table.columns[c];
                line.push(TableCell::text(cell_text(def, column, cells.and_then(|m| m.get(&column.id)))));
            }
            let status = match (errors_by_row.get(&r), warnings_by_row.get(&r)) {
                (Some(&n), _) => Tag::new(plural(n, "error", "errors"), Some("govuk-tag--red")),
                (None, Some(_)) => Tag::new("Warning to confirm", Some("govuk-tag--yellow")),
                (None, None) => Tag::new("No errors", Some("govuk-tag--green")),
            };
            line.push(TableCell::html(status.to_html()));
            let row_href = format!("{}/rows/{r}", t.href(None));
            let hidden = format!(" row {}", r + 1);
            let mut actions = format!(
                "<a class=\"govuk-link\" href=\"{}\">{}<span class=\"govuk-visually-hidden\">{}</span></a>",
                escape(&row_href),
                if editable { "Change" } else { "View" },
                escape(&hidden)
            );
            if editable {
                actions.push_str(&format!(
                    " <a class=\"govuk-link govuk-!-margin-left-2\" href=\"{}/remove\">Remove<span class=\"govuk-visually-hidden\">{}</span></a>",
                    escape(&row_href),
                    escape(&hidden)
                ));
            }
            line.push(TableCell::html(actions));
            line
        })
        .collect();
    let mut head = vec![TableCell::numeric("Row")];
    head.extend(columns.iter().map(|&c| TableCell::text(&table.columns[c].label)));
    head.push(TableCell::text("Status"));
    head.push(TableCell::html("<span class=\"govuk-visually-hidden\">Actions</span>"));
    let rows_table = (!rows.is_empty()).then(|| crate::components::Table {
        rows: shown_rows,
        caption: Some(if pages > 1 {
            format!("Rows {} to {} of {}", start + 1, end, thousands(rows.len() as u64))
        } else {
            format!("Rows of {}", t.title())
        }),
        caption_classes: Some("govuk-table__caption--s".to_owned()),
        head,
        ..crate::components::Table::default()
    });
    let mut intro = match rows.len() {
        0 => "You have not added any rows yet.".to_owned(),
        n => format!("You have added {}.", plural_rows(u32::try_from(n).unwrap_or(u32::MAX))),
    };
    match (table.min_rows, table.max_rows) {
        (0, max) => intro.push_str(&format!(" You can add up to {}.", plural_rows(max))),
        (min, max) => intro.push_str(&format!(
            " You must add at least {}, and can add up to {}.",
            plural_rows(min),
            plural_rows(max)
        )),
    }
    let summary = extra.summary.or_else(|| {
        let first = extra.first.iter().map(|message| ErrorSummaryItem {
            content: Content::text(message),
            href: Some("#completed".to_owned()),
            ..ErrorSummaryItem::default()
        });
        // An untouched section lists what it needs once someone has started on it.
        let started = extra.first.is_some()
            || t.view.sections.get(t.section).is_some_and(|s| s.status != Progress::NotStarted);
        let mut error_list: Vec<ErrorSummaryItem> = first
            .chain(table_errors.iter().filter(|_| started).map(|i| ErrorSummaryItem {
                content: Content::text(&i.message),
                href: Some("#rows-count".to_owned()),
                ..ErrorSummaryItem::default()
            }))
            .collect();
        let with_errors = errors_by_row.len();
        for (r, item) in row_errors.iter().take(10) {
            error_list.push(ErrorSummaryItem {
                content: Content::text(format!("Row {}: {}", r + 1, item.message)),
                href: Some(format!("{}/rows/{r}", t.href(None))),
                ..ErrorSummaryItem::default()
            });
        }
        if row_errors.len() > 10 {
            error_list.push(ErrorSummaryItem {
                content: Content::text(format!(
                    "{} have errors in all: change each to fix them, or upload the spreadsheet again",
                    plural(with_errors, "row", "rows")
                )),
                ..ErrorSummaryItem::default()
            });
        }
        (!error_list.is_empty()).then(|| ErrorSummary {
            title_text: Some("There is a problem".to_owned()),
            error_list,
            ..ErrorSummary::default()
        })
    });
    let full = rows.len() >= table.max_rows as usize;
    let api = format!("/api/v1/collections/{}", def.collection);
    let mut page = ctx.page(t.title(), "/returns");
    page.has_errors = extra.status.is_some_and(|s| s.is_client_error());
    let (more_warnings, more_rows) = if editable { unlisted_warnings(t) } else { (0, Vec::new()) };
    // Each problem the summary links to a field says so beside the field too.
    let inline_error = |href: &str| {
        summary.as_ref()?.error_list.iter().find(|e| e.href.as_deref() == Some(href))?.content.text.clone()
    };
    let (completed_error, file_error) = (inline_error("#completed"), inline_error("#file"));
    let template = TablePage {
        id: t.id().to_owned(),
        caption: t.caption(),
        summary,
        intro,
        table: rows_table,
        pagination: pagination(|n| t.href(Some(n)), current, pages),
        editable,
        add_href: (editable && !full).then(|| format!("{}/rows/new", t.href(None))),
        upload_href: format!("{}/upload", t.href(None)),
        complete_href: format!("{}/complete", t.href(None)),
        csv_href: format!("{api}/template.csv?table={}", t.section_id()),
        xlsx_href: format!("{api}/template.xlsx"),
        revision: t.view.submission.revision,
        completed: completed_radios(
            t.view.sections.get(t.section).is_some_and(|s| s.marked_complete).then_some(true),
            completed_error.as_deref(),
        ),
        file: FileUpload {
            error_message: file_error.map(ErrorMessage::text),
            ..file_upload("file", "Upload a file (CSV or XLSX)", ".csv,.xlsx")
        },
        warnings: if editable { row_warnings(t, None) } else { Vec::new() },
        more_warnings,
        more_rows,
        notes: crate::routes::returns::whole::section_notes(&t.view, t.section_id(), editable),
        page: page.clone(),
    };
    render_with(extra.status.unwrap_or(StatusCode::OK), &page, &template)
}

fn plural_rows(n: u32) -> String {
    if n == 1 { "1 row".to_owned() } else { format!("{} rows", thousands(u64::from(n))) }
}

/// `GET /returns/{id}/sections/{section}` when the section is a table: its rows, a page at a time.
pub(crate) async fn table_section(
    ctx: Ctx,
    id: String,
    section: String,
    query: TableQuery,
) -> Result<Response, AppError> {
    let t = TableSection::load(&ctx, &id, &section).await?;
    Ok(table_page(&ctx, &t, query.page.unwrap_or(1), Extra::default()))
}

/// `POST /returns/{id}/sections/{section}/complete`: "Have you completed this section?".
pub(crate) async fn complete(
    ctx: Ctx,
    Path((id, section)): Path<(String, String)>,
    form: FormData,
) -> Result<Response, AppError> {
    let t = TableSection::load(&ctx, &id, &section).await?;
    t.must_edit()?;
    let revision = revision_of(&form)?;
    let complete = match form.get("completed") {
        "yes" => true,
        "no" => false,
        _ => {
            let summary =
                summary_of("Select whether you have completed this section", Some("#completed".into()));
            let extra = Extra {
                summary: Some(summary),
                status: Some(StatusCode::UNPROCESSABLE_ENTITY),
                ..Extra::default()
            };
            return Ok(table_page(&ctx, &t, 1, extra));
        }
    };
    let edit = Edit::Mark { section: section.clone(), complete };
    match submissions::edit(&ctx.state, ctx.actor(), &id, revision, edit).await {
        Ok(edited) => {
            if let Some(why) = edited.not_completed {
                let t = TableSection { view: edited.view, ..t };
                let extra = Extra {
                    first: Some(why),
                    status: Some(StatusCode::UNPROCESSABLE_ENTITY),
                    ..Extra::default()
                };
                return Ok(table_page(&ctx, &t, 1, extra));
            }
            Ok(Redirect::to(&format!("/returns/{id}?notice=return-saved")).into_response())
        }
        Err(ServiceError::Stale(stale)) => stale_table_page(&ctx, &id, &section, &stale).await,
        Err(ServiceError::Invalid(problems)) => {
            let message = problems.first().map_or("The section could not be marked", |p| p.message.as_str());
            let extra = Extra {
                summary: Some(summary_of(message, Some("#completed".into()))),
                status: Some(StatusCode::UNPROCESSABLE_ENTITY),
                ..Extra::default()
            };
            Ok(table_page(&ctx, &t, 1, extra))
        }
        Err(e) => Err(e.into()),
    }
}

/// The rows page with one problem about an upload (no file chosen, an unreadable file).
pub(crate) fn upload_problem_page(ctx: &Ctx, t: &TableSection, message: &str) -> Response {
    let extra = Extra {
        summary: Some(summary_of(message, Some("#file".into()))),
        status: Some(StatusCode::UNPROCESSABLE_ENTITY),
        ..Extra::default()
    };
    table_page(ctx, t, 1, extra)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pagination_shows_the_ends_and_the_neighbours_of_the_current_page() {
        let p = pagination(|n| format!("?page={n}"), 5, 10).unwrap();
        let shown: Vec<String> = p
            .items
            .iter()
            .map(|i| if i.ellipsis { "…".to_owned() } else { i.number.clone().unwrap_or_default() })
            .collect();
        assert_eq!(shown, ["1", "…", "4", "5", "6", "…", "10"]);
        assert!(p.items.iter().any(|i| i.current && i.number.as_deref() == Some("5")));
        assert_eq!(p.previous.unwrap().href.as_deref(), Some("?page=4"));
        assert!(pagination(|n| n.to_string(), 1, 1).is_none());
    }

    #[test]
    fn big_numbers_have_commas() {
        assert_eq!(thousands(20_000), "20,000");
        assert_eq!(thousands(999), "999");
        assert_eq!(thousands(1_234_567), "1,234,567");
    }
}
