//! A row of a return's table section: adding it, changing it, and removing it after a
//! confirmation.
//!
//! Every post of a row saves, errors and all, and shows the row again with its errors: nothing a
//! person typed is lost. A save from an older revision shows what the others changed and keeps
//! what the person typed in the form, with the new revision, so saving again is their choice.

use crate::routes::returns::whole::{SectionNotes, section_notes};
use askama::Template;
use axum::extract::Path;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use formwork_definition::validate::Item;
use formwork_service::ServiceError;
use formwork_service::submissions::{self, Edit};
use serde_json::{Map, Value};

use super::return_tables::{
    Extra, RowWarning, TableSection, cell_text, revision_of, row_warnings, stale_summary, summary_of,
    table_page,
};
use crate::components::form::yes_no;
use crate::components::{Cell, Content, ErrorSummary, ErrorSummaryItem, Radios, SummaryList, SummaryRow};
use crate::error::AppError;
use crate::forms::FormData;
use crate::pages::{Ctx, Page, render_with};
use crate::returns::form::{self, Shown};

#[derive(Template)]
#[template(path = "returns/row.html")]
struct RowPage {
    page: Page,
    caption: String,
    back: String,
    action: String,
    summary: Option<ErrorSummary>,
    fields: String,
    revision: i64,
    editable: bool,
    /// The return's id, for the warnings' forms.
    id: String,
    /// The row's warnings, to confirm here.
    warnings: Vec<RowWarning>,
    /// The reviewer's comment, and who signed the return (a change clears their sign-offs).
    notes: SectionNotes,
}

/// A row's page: its fields with `cells` (as stored or as typed) and `items`; `index` is `None`
/// for a row not yet added.
fn row_page(
    ctx: &Ctx,
    t: &TableSection,
    index: Option<usize>,
    cells: &Map<String, Value>,
    items: &[Item],
    summary: Option<ErrorSummary>,
    status: StatusCode,
) -> Response {
    let def = t.def();
    let shown_index = index.unwrap_or(t.rows().len());
    let shown = Shown::new(cells, items);
    let fields = form::row_fields(def, t.table, shown_index, &shown);
    let summary = summary.or_else(|| form::row_error_summary(def, t.table, shown_index, items));
    let title = match index {
        None => format!("Add a row to {}", t.title()),
        Some(i) if t.editable() => format!("Change row {} of {}", i + 1, t.title()),
        Some(i) => format!("Row {} of {}", i + 1, t.title()),
    };
    let mut page = ctx.page(title, "/returns");
    page.has_errors = summary.is_some();
    let action = match index {
        None => format!("{}/rows/new", t.href(None)),
        Some(i) => format!("{}/rows/{i}", t.href(None)),
    };
    let template = RowPage {
        caption: t.title().to_owned(),
        back: t.href(index.map(TableSection::page_of)),
        action,
        summary,
        fields,
        revision: t.view.submission.revision,
        editable: t.editable(),
        id: t.id().to_owned(),
        warnings: match index {
            Some(index) if t.editable() => row_warnings(t, Some(index)),
            _ => Vec::new(),
        },
        notes: section_notes(&t.view, t.section_id(), t.editable()),
        page: page.clone(),
    };
    render_with(status, &page, &template)
}

/// `GET /returns/{id}/sections/{section}/rows/new`.
pub(crate) async fn new_row(
    ctx: Ctx,
    Path((id, section)): Path<(String, String)>,
) -> Result<Response, AppError> {
    let t = TableSection::load(&ctx, &id, &section).await?;
    t.must_edit()?;
    Ok(row_page(&ctx, &t, None, &Map::new(), &[], None, StatusCode::OK))
}

/// `GET /returns/{id}/sections/{section}/rows/{index}`.
pub(crate) async fn show_row(
    ctx: Ctx,
    Path((id, section, index)): Path<(String, String, String)>,
) -> Result<Response, AppError> {
    let t = TableSection::load(&ctx, &id, &section).await?;
    let index = row_index(&t, &index)?;
    let cells = t.row(index).unwrap_or_default();
    let items = t.row_items(index);
    Ok(row_page(&ctx, &t, Some(index), &cells, &items, None, StatusCode::OK))
}

fn row_index(t: &TableSection, text: &str) -> Result<usize, AppError> {
    text.parse::<usize>()
        .ok()
        .filter(|i| *i < t.rows().len())
        .ok_or_else(|| ServiceError::NotFound(format!("{} has no row {text}", t.title())).into())
}

/// `POST /returns/{id}/sections/{section}/rows/new`.
pub(crate) async fn add_row(
    ctx: Ctx,
    Path((id, section)): Path<(String, String)>,
    form: FormData,
) -> Result<Response, AppError> {
    save_row(ctx, id, section, None, form).await
}

/// `POST /returns/{id}/sections/{section}/rows/{index}`.
pub(crate) async fn change_row(
    ctx: Ctx,
    Path((id, section, index)): Path<(String, String, String)>,
    form: FormData,
) -> Result<Response, AppError> {
    let t = TableSection::load(&ctx, &id, &section).await?;
    let index = row_index(&t, &index)?;
    save_row(ctx, id, section, Some(index), form).await
}

/// Save a row, errors and all; show it again with its errors, or go back to the rows.
async fn save_row(
    ctx: Ctx,
    id: String,
    section: String,
    index: Option<usize>,
    form: FormData,
) -> Result<Response, AppError> {
    let t = TableSection::load(&ctx, &id, &section).await?;
    t.must_edit()?;
    let revision = revision_of(&form)?;
    let pairs = form.values();
    let row = form::row_from_form(t.def(), t.table, &pairs);
    let edit = Edit::Row { table: t.table().id.clone(), index, row: row.clone() };
    match submissions::edit(&ctx.state, ctx.actor(), &id, revision, edit).await {
        Ok(edited) => {
            let t = TableSection { view: edited.view, ..t };
            let saved = index.unwrap_or_else(|| t.rows().len().saturating_sub(1));
            let items = t.row_items(saved);
            if items.iter().any(Item::is_error) {
                // The row is saved: its page from now on is the change page.
                let cells = t.row(saved).unwrap_or(row);
                return Ok(row_page(
                    &ctx,
                    &t,
                    Some(saved),
                    &cells,
                    &items,
                    None,
                    StatusCode::UNPROCESSABLE_ENTITY,
                ));
            }
            let notice = if index.is_some() { "row-changed" } else { "row-added" };
            let page = TableSection::page_of(saved);
            let href = t.href(None);
            Ok(Redirect::to(&format!("{href}?page={page}&notice={notice}")).into_response())
        }
        Err(ServiceError::Stale(stale)) => {
            let t = TableSection::load(&ctx, &id, &section).await?;
            let index = index.filter(|i| *i < t.rows().len());
            Ok(row_page(&ctx, &t, index, &row, &[], Some(stale_summary(&stale)), StatusCode::CONFLICT))
        }
        Err(ServiceError::Invalid(problems)) => {
            let summary = ErrorSummary {
                title_text: Some("There is a problem".to_owned()),
                error_list: problems
                    .iter()
                    .map(|p| ErrorSummaryItem {
                        content: Content::text(&p.message),
                        ..ErrorSummaryItem::default()
                    })
                    .collect(),
                ..ErrorSummary::default()
            };
            Ok(row_page(&ctx, &t, index, &row, &[], Some(summary), StatusCode::UNPROCESSABLE_ENTITY))
        }
        Err(e) => Err(e.into()),
    }
}

#[derive(Template)]
#[template(path = "returns/remove_row.html")]
struct RemoveRowPage {
    page: Page,
    caption: String,
    back: String,
    action: String,
    summary: Option<ErrorSummary>,
    remove: Radios,
    cells: SummaryList,
    revision: i64,
    /// The reviewer's comment, and who signed the return (a change clears their sign-offs).
    notes: SectionNotes,
}

fn remove_page(
    ctx: &Ctx,
    t: &TableSection,
    index: usize,
    summary: Option<ErrorSummary>,
    status: StatusCode,
) -> Response {
    let def = t.def();
    let cells = t.row(index).unwrap_or_default();
    let rows = t
        .table()
        .columns
        .iter()
        .map(|c| SummaryRow {
            key: Cell::text(&c.label),
            value: Cell::text(cell_text(def, c, cells.get(&c.id))),
            ..SummaryRow::default()
        })
        .collect();
    let mut page = ctx.page(format!("Are you sure you want to remove row {}?", index + 1), "/returns");
    page.has_errors = summary.is_some();
    let error = summary
        .as_ref()
        .filter(|_| status == StatusCode::UNPROCESSABLE_ENTITY)
        .and_then(|s| s.error_list.first().and_then(|e| e.content.text.clone()));
    let template = RemoveRowPage {
        caption: t.title().to_owned(),
        back: t.href(Some(TableSection::page_of(index))),
        action: format!("{}/rows/{index}/remove", t.href(None)),
        summary,
        remove: yes_no("remove", "Remove this row?", false, error.as_deref()),
        cells: SummaryList { rows, ..SummaryList::default() },
        revision: t.view.submission.revision,
        notes: section_notes(&t.view, t.section_id(), true),
        page: page.clone(),
    };
    render_with(status, &page, &template)
}

/// `GET /returns/{id}/sections/{section}/rows/{index}/remove`: are you sure?
pub(crate) async fn confirm_remove_row(
    ctx: Ctx,
    Path((id, section, index)): Path<(String, String, String)>,
) -> Result<Response, AppError> {
    let t = TableSection::load(&ctx, &id, &section).await?;
    t.must_edit()?;
    let index = row_index(&t, &index)?;
    Ok(remove_page(&ctx, &t, index, None, StatusCode::OK))
}

/// `POST /returns/{id}/sections/{section}/rows/{index}/remove`.
pub(crate) async fn remove_row(
    ctx: Ctx,
    Path((id, section, index)): Path<(String, String, String)>,
    form: FormData,
) -> Result<Response, AppError> {
    let t = TableSection::load(&ctx, &id, &section).await?;
    t.must_edit()?;
    let index = row_index(&t, &index)?;
    let revision = revision_of(&form)?;
    match form.get("remove") {
        "yes" => {}
        "no" => return Ok(Redirect::to(&t.href(Some(TableSection::page_of(index)))).into_response()),
        _ => {
            let summary = summary_of(
                &format!("Select yes if you want to remove row {}", index + 1),
                Some("#remove".into()),
            );
            return Ok(remove_page(&ctx, &t, index, Some(summary), StatusCode::UNPROCESSABLE_ENTITY));
        }
    }
    let edit = Edit::RemoveRow { table: t.table().id.clone(), index };
    match submissions::edit(&ctx.state, ctx.actor(), &id, revision, edit).await {
        Ok(edited) => {
            let t = TableSection { view: edited.view, ..t };
            let page = TableSection::page_of(index.min(t.rows().len().saturating_sub(1)));
            Ok(Redirect::to(&format!("{}?page={page}&notice=row-removed", t.href(None))).into_response())
        }
        Err(ServiceError::Stale(stale)) => {
            let t = TableSection::load(&ctx, &id, &section).await?;
            // The rows may have moved: the person confirms again, against the table as it is now.
            match t.rows().len() > index {
                true => Ok(remove_page(&ctx, &t, index, Some(stale_summary(&stale)), StatusCode::CONFLICT)),
                false => Ok(table_page(
                    &ctx,
                    &t,
                    1,
                    Extra {
                        summary: Some(stale_summary(&stale)),
                        status: Some(StatusCode::CONFLICT),
                        ..Extra::default()
                    },
                )),
            }
        }
        Err(e) => Err(e.into()),
    }
}
