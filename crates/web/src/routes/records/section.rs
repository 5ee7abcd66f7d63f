//! A section of a record: the same generated form as a return's section (saved on every post,
//! even with errors), its warnings each confirmed with a reason, what someone else changed when
//! the save came from an older revision, and the duplicate the record is, linking to the other
//! record. A section the person may only read is a summary list.

use askama::Template;
use axum::extract::Path;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use formwork_definition::SectionContent;
use formwork_definition::validate::Item;
use formwork_service::ServiceError;
use formwork_service::records::{self, Edit, RecordView};
use formwork_service::submissions::{Progress, Stale};
use serde_json::{Map, Value};

use super::{caption, duplicate_banner, record_href};
use crate::components::{
    Button, Cell, Content, ErrorSummary, ErrorSummaryItem, NotificationBanner, SummaryList, SummaryRow,
};
use crate::error::AppError;
use crate::forms::FormData;
use crate::pages::{Ctx, Page, render_with};
use crate::returns::form::{Shown, answers_from_form, section_error_summary, section_fields};
use crate::routes::returns::check::answer_text;
use crate::routes::returns::section::{WarningView, stale_banner, warning_views};

pub(crate) use crate::routes::returns::section::revision;

/// The index of section `id` in the record's definition; 404 when there is none.
fn index(view: &RecordView, id: &str) -> Result<usize, AppError> {
    view.definition
        .sections
        .iter()
        .position(|s| s.id == id)
        .ok_or_else(|| ServiceError::NotFound(format!("This record has no section “{id}”")).into())
}

/// What a section's page shows besides the stored record.
#[derive(Default)]
struct Shows {
    /// Answers laid over the stored ones: what the person typed.
    typed: Map<String, Value>,
    /// Errors to show beside their questions.
    errors: Vec<Item>,
    /// What the others changed since the person's revision.
    stale: Option<Stale>,
    /// A warning's key and what is wrong with its confirmation.
    warning_error: Option<(String, String)>,
}

enum Body {
    /// The section's form, as trusted markup.
    Form(String),
    /// A section the person may only read.
    ReadOnly(Box<SummaryList>),
    /// A section whose condition does not hold.
    NotNeeded,
}

#[derive(Template)]
#[template(path = "records/section.html")]
struct SectionPage {
    page: Page,
    caption: String,
    title: String,
    description: Option<String>,
    id: String,
    action: String,
    warnings_action: String,
    revision: i64,
    error_summary: Option<ErrorSummary>,
    stale: Option<NotificationBanner>,
    duplicate: Option<NotificationBanner>,
    warnings: Vec<WarningView>,
    body: Body,
    save: Button,
    later: Button,
}

/// A section's answers to read.
fn answers_to_read(view: &RecordView, index: usize) -> SummaryList {
    let def = &view.definition;
    let rows = match def.sections.get(index).map(|s| &s.content) {
        Some(SectionContent::Questions(questions)) => questions
            .iter()
            .filter_map(|q| def.questions.get(*q))
            .filter(|q| view.asked.get(q.slot).copied().unwrap_or(true))
            .map(|q| SummaryRow {
                key: Cell::text(&q.label),
                value: Cell::text(answer_text(def, q, view.record.answers.get(&q.id))),
                ..SummaryRow::default()
            })
            .collect(),
        _ => Vec::new(),
    };
    SummaryList { rows, ..SummaryList::default() }
}

fn section_page(ctx: &Ctx, view: &RecordView, index: usize, shows: Shows, status: StatusCode) -> Response {
    let def = &view.definition;
    let section = &def.sections[index];
    let progress = view.sections.get(index);
    let editable = view.editable && progress.is_some_and(|s| s.editable);
    let id = view.record.id.clone();
    let mut answers = view.record.answers.clone();
    answers.extend(shows.typed.clone());
    let mut error_summary = None;
    let body = if progress.is_some_and(|s| s.status == Progress::NotNeeded) {
        Body::NotNeeded
    } else if !editable || !matches!(section.content, SectionContent::Questions(_)) {
        Body::ReadOnly(Box::new(answers_to_read(view, index)))
    } else {
        let asked = |slot: usize| view.asked.get(slot).copied().unwrap_or(true);
        let shown = Shown { asked: &asked, ..Shown::new(&answers, &shows.errors) };
        error_summary = section_error_summary(def, index, &shows.errors);
        Body::Form(section_fields(def, index, &shown))
    };
    if let Some((_, message)) = &shows.warning_error {
        let summary = error_summary.get_or_insert_with(|| ErrorSummary {
            title_text: Some("There is a problem".to_owned()),
            ..ErrorSummary::default()
        });
        let n = view
            .warnings_in(&section.id)
            .position(|w| Some(&w.key) == shows.warning_error.as_ref().map(|(k, _)| k));
        summary.error_list.push(ErrorSummaryItem {
            content: Content::text(message),
            href: n.map(|n| format!("#reason-{n}")),
            ..ErrorSummaryItem::default()
        });
    }
    let mut page = ctx.page(section.title.clone(), "/returns");
    page.has_errors = error_summary.is_some();
    let revision = shows.stale.as_ref().map_or(view.record.revision, |s| s.revision);
    // The duplicate is shown on the section of the key's first question, where the error is.
    let duplicate =
        view.errors_in(&section.id).any(|i| i.code == formwork_definition::validate::Code::Duplicate);
    let template = SectionPage {
        page: page.clone(),
        caption: caption(view),
        title: section.title.clone(),
        description: section.description.clone(),
        warnings: if editable {
            warning_views(view.warnings_in(&section.id), shows.warning_error.as_ref())
        } else {
            Vec::new()
        },
        action: format!("/records/{id}/sections/{}", section.id),
        warnings_action: format!("/records/{id}/warnings"),
        id,
        revision,
        error_summary,
        stale: shows.stale.as_ref().map(|s| stale_banner(def, s)),
        duplicate: if duplicate { duplicate_banner(view) } else { None },
        body,
        save: Button {
            name: Some("action".to_owned()),
            value: Some("continue".to_owned()),
            ..Button::submit("Save and continue")
        },
        later: Button {
            name: Some("action".to_owned()),
            value: Some("later".to_owned()),
            ..Button::submit("Save and come back later").classes("govuk-button--secondary")
        },
    };
    render_with(status, &page, &template)
}

/// `GET /records/{id}/sections/{section}`: the section's form, or its answers to read.
pub(crate) async fn show(
    ctx: Ctx,
    Path((id, section)): Path<(String, String)>,
) -> Result<Response, AppError> {
    let view = records::get(&ctx.state, ctx.actor(), &id).await?;
    let index = index(&view, &section)?;
    // A section someone has saved shows what is still wrong with it.
    let errors = match view.sections.get(index) {
        Some(s) if s.status == Progress::InProgress => view.errors_in(&section).cloned().collect(),
        _ => Vec::new(),
    };
    Ok(section_page(&ctx, &view, index, Shows { errors, ..Shows::default() }, StatusCode::OK))
}

/// `POST /records/{id}/sections/{section}`: save the section's answers, whatever they are, then
/// show what is wrong or go back to the record.
pub(crate) async fn save(
    ctx: Ctx,
    Path((id, section)): Path<(String, String)>,
    form: FormData,
) -> Result<Response, AppError> {
    let actor = &form.principal.actor;
    let before = records::get(&ctx.state, actor, &id).await?;
    let index = index(&before, &section)?;
    if !before.editable || !before.sections.get(index).is_some_and(|s| s.editable) {
        return Err(ServiceError::Forbidden("You can read this record but not change it".into()).into());
    }
    let expected = revision(&form)?;
    let typed = answers_from_form(&before.definition, index, &form.values());
    let later = form.get("action") == "later";
    let edit = Edit::Section { section: section.clone(), answers: typed.clone() };
    match records::edit(&ctx.state, actor, &id, expected, edit).await {
        Ok(edited) => {
            let errors: Vec<Item> = edited.view.errors_in(&section).cloned().collect();
            if later || errors.is_empty() {
                // The new revision, as the API gives it: a program driving the pages carries on
                // from it.
                let etag = format!("\"{}\"", edited.view.record.revision);
                let to = format!("{}?notice=record-saved", record_href(&id));
                return Ok(([(header::ETAG, etag)], Redirect::to(&to)).into_response());
            }
            let shows = Shows { typed, errors, ..Shows::default() };
            Ok(section_page(&ctx, &edited.view, index, shows, StatusCode::UNPROCESSABLE_ENTITY))
        }
        Err(ServiceError::Stale(stale)) => {
            let view = records::get(&ctx.state, actor, &id).await?;
            let shows = Shows { typed, stale: Some(*stale), ..Shows::default() };
            Ok(section_page(&ctx, &view, index, shows, StatusCode::CONFLICT))
        }
        Err(e) => Err(e.into()),
    }
}

/// `POST /records/{id}/warnings`: confirm a warning with a reason, then back to its section.
pub(crate) async fn confirm_warning(
    ctx: Ctx,
    Path(id): Path<String>,
    form: FormData,
) -> Result<Response, AppError> {
    let actor = &form.principal.actor;
    let view = records::get(&ctx.state, actor, &id).await?;
    let key = form.get("key").to_owned();
    let warning =
        view.warnings.iter().find(|w| w.key == key).ok_or_else(|| {
            AppError::from(ServiceError::NotFound("This record has no such warning".into()))
        })?;
    let reason = form.get("reason").trim().to_owned();
    let Some(section) = warning.item.section.clone() else {
        // A warning about the record as a whole: confirmed on the record's own page.
        return confirm_whole(ctx, view, key, reason, &form).await;
    };
    let index = index(&view, &section)?;
    if reason.is_empty() {
        let shows = Shows {
            warning_error: Some((key, "Enter why this answer is right".to_owned())),
            ..Shows::default()
        };
        return Ok(section_page(&ctx, &view, index, shows, StatusCode::UNPROCESSABLE_ENTITY));
    }
    let expected = revision(&form)?;
    match records::edit(&ctx.state, actor, &id, expected, Edit::Confirm { key, reason }).await {
        Ok(_) => Ok(Redirect::to(&format!("/records/{id}/sections/{section}?notice=warning-confirmed"))
            .into_response()),
        Err(ServiceError::Stale(stale)) => {
            let view = records::get(&ctx.state, actor, &id).await?;
            let shows = Shows { stale: Some(*stale), ..Shows::default() };
            Ok(section_page(&ctx, &view, index, shows, StatusCode::CONFLICT))
        }
        Err(e) => Err(e.into()),
    }
}

async fn confirm_whole(
    ctx: Ctx,
    view: RecordView,
    key: String,
    reason: String,
    form: &FormData,
) -> Result<Response, AppError> {
    let id = view.record.id.clone();
    if reason.is_empty() {
        let error = Some((key, "Enter why this answer is right".to_owned()));
        return Ok(super::record_page(&ctx, view, error, StatusCode::UNPROCESSABLE_ENTITY));
    }
    let expected = revision(form)?;
    match records::edit(
        &ctx.state,
        &form.principal.actor,
        &id,
        expected,
        Edit::Confirm { key: key.clone(), reason },
    )
    .await
    {
        Ok(_) => Ok(Redirect::to(&format!("{}?notice=warning-confirmed", record_href(&id))).into_response()),
        Err(ServiceError::Stale(_)) => {
            let view = records::get(&ctx.state, ctx.actor(), &id).await?;
            let error = Some((
                key,
                "Someone changed this record after you opened it: check it and confirm again".to_owned(),
            ));
            Ok(super::record_page(&ctx, view, error, StatusCode::CONFLICT))
        }
        Err(e) => Err(e.into()),
    }
}
