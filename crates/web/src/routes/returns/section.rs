//! A section's page: its questions as a form that saves on every post (even with errors), the
//! "Have you completed this section?" question, its warnings each confirmed with a reason, and
//! what someone else changed when the save came from an older revision. A section the person
//! may only read is a summary list.

use askama::Template;
use axum::extract::{Path, Query};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use formwork_definition::SectionContent;
use formwork_definition::validate::Item;
use formwork_service::ServiceError;
use formwork_service::submissions::{self, Edit, Progress, Stale, SubmissionView, Warning};
use serde_json::{Map, Value};

use super::caption;
use super::check::{ReturnTo, field_text, section_rows};
use super::whole::{SectionNotes, section_notes};
use crate::components::{
    Button, Content, ErrorMessage, ErrorSummary, ErrorSummaryItem, Input, Label, NotificationBanner,
    RadioItem, Radios, SummaryList, WarningText, escape,
};
use crate::error::AppError;
use crate::forms::FormData;
use crate::pages::{Ctx, Page, render_with};
use crate::returns::form::{Shown, answers_from_form, section_error_summary, section_fields};
use crate::routes::return_tables::{self, Extra, TableQuery, TableSection, stale_summary, summary_of};
use crate::routes::when;

/// The index of section `id` in the return's definition; 404 when there is none.
pub(crate) fn index(view: &SubmissionView, id: &str) -> Result<usize, AppError> {
    view.definition
        .sections
        .iter()
        .position(|s| s.id == id)
        .ok_or_else(|| ServiceError::NotFound(format!("This return has no section “{id}”")).into())
}

#[derive(serde::Deserialize)]
pub(crate) struct SectionQuery {
    return_to: Option<String>,
}

/// What a section's page shows besides the stored return.
#[derive(Default)]
struct Shows {
    /// Answers laid over the stored ones: what the person typed.
    typed: Map<String, Value>,
    /// Errors to show beside their questions.
    errors: Vec<Item>,
    /// The answer to "Have you completed this section?".
    completed: Option<bool>,
    /// Why the section could not be marked complete.
    not_completed: Option<String>,
    /// What the others changed since the person's revision.
    stale: Option<Stale>,
    /// A warning's key and what is wrong with its confirmation.
    warning_error: Option<(String, String)>,
    return_to: Option<ReturnTo>,
}

/// A warning with its confirmation form.
pub(crate) struct WarningView {
    pub key: String,
    pub text: WarningText,
    /// "Confirmed by … : reason".
    pub confirmed: Option<String>,
    pub reason: Input,
    pub button: Button,
}

/// A section's form: its fields as trusted markup (a file question shows its file and links to
/// the page that attaches one), and the completed question.
struct SectionForm {
    fields: String,
    completed: Radios,
    save: Button,
    later: Button,
}

enum Body {
    /// The section's form.
    Form(Box<SectionForm>),
    /// A section the person may only read.
    ReadOnly(Box<SummaryList>),
    /// A section whose condition does not hold.
    NotNeeded,
}

#[derive(Template)]
#[template(path = "returns/section.html")]
struct SectionPage {
    page: Page,
    caption: String,
    title: String,
    description: Option<String>,
    id: String,
    action: String,
    revision: i64,
    /// The check answers page the person came from.
    back: Option<String>,
    error_summary: Option<ErrorSummary>,
    stale: Option<NotificationBanner>,
    /// The reviewer's comment, and who signed off.
    notes: SectionNotes,
    warnings: Vec<WarningView>,
    body: Body,
}

/// "Have you completed this section?", for a section's form and a table's rows page.
pub(crate) fn completed_radios(value: Option<bool>, error: Option<&str>) -> Radios {
    let item = |text: &str, value: &str| {
        Some(RadioItem {
            content: Content::text(text),
            value: Some(value.to_owned()),
            ..RadioItem::default()
        })
    };
    let mut radios = Radios {
        name: Some("completed".to_owned()),
        id_prefix: Some("completed".to_owned()),
        items: vec![item("Yes", "yes"), item("No, I'll come back later", "no")],
        value: value.map(|v| if v { "yes" } else { "no" }.to_owned()),
        error_message: error.map(ErrorMessage::text),
        classes: Some("govuk-radios--inline".to_owned()),
        ..Radios::default()
    };
    radios.fieldset = Some(crate::components::Fieldset {
        legend: crate::components::Legend {
            content: Content::text("Have you completed this section?"),
            classes: Some("govuk-fieldset__legend--m".to_owned()),
            ..Default::default()
        },
        ..Default::default()
    });
    radios
}

/// The banner that says what the others changed, and that the person's answers are kept.
pub(crate) fn stale_banner(def: &formwork_definition::Definition, stale: &Stale) -> NotificationBanner {
    let mut html = format!(
        "<p class=\"govuk-notification-banner__heading\">Someone else changed this {} while you were editing it</p>",
        stale.noun
    );
    if !stale.changes.is_empty() {
        html.push_str("<ul class=\"govuk-list govuk-list--bullet\">");
        for change in &stale.changes {
            let value = |v: &Value| {
                if v.is_null() { "no answer".to_owned() } else { field_text(def, &change.field, v) }
            };
            html.push_str(&format!(
                "<li>{}: {} → {} (by {}, {})</li>",
                escape(&change.label),
                escape(&value(&change.old)),
                escape(&value(&change.new)),
                escape(change.by.as_deref().unwrap_or("the service")),
                escape(&when(change.at)),
            ));
        }
        html.push_str("</ul>");
    }
    html.push_str(
        "<p class=\"govuk-body\">Your answers have not been saved and are still in the form below. \
Check them, then save again to save your answers over these changes.</p>",
    );
    NotificationBanner {
        content: Content::html(html),
        title_text: Some("Your answers were not saved".to_owned()),
        title_id: Some("stale-title".to_owned()),
        role: Some("alert".to_owned()),
        ..NotificationBanner::default()
    }
}

fn warnings(view: &SubmissionView, section: &str, shows: &Shows) -> Vec<WarningView> {
    warning_views(view.warnings_in(section), shows.warning_error.as_ref())
}

/// Warnings with their confirmations, or a form to give each one; `error` is a warning's key and
/// what is wrong with the reason sent for it.
pub(crate) fn warning_views<'a>(
    warnings: impl Iterator<Item = &'a Warning>,
    error: Option<&(String, String)>,
) -> Vec<WarningView> {
    warnings
        .enumerate()
        .map(|(n, warning)| {
            let error =
                error.filter(|(key, _)| *key == warning.key).map(|(_, message)| ErrorMessage::text(message));
            let confirmed = warning.confirmation.as_ref().map(|c| format!("Confirmed: {}", c.reason));
            WarningView {
                key: warning.key.clone(),
                text: WarningText {
                    content: Content::text(&warning.item.message),
                    icon_fallback_text: Some("Warning".to_owned()),
                    ..WarningText::default()
                },
                confirmed,
                reason: Input {
                    id: Some(format!("reason-{n}")),
                    name: Some("reason".to_owned()),
                    label: Label::text("Why is this answer right?").classes("govuk-label--s"),
                    error_message: error,
                    ..Input::default()
                },
                button: Button::action(
                    "Confirm this answer",
                    &format!(": {}", warning.item.message),
                    "govuk-button--secondary",
                ),
            }
        })
        .collect()
}

fn section_page(
    ctx: &Ctx,
    view: &SubmissionView,
    index: usize,
    shows: Shows,
    status: StatusCode,
) -> Response {
    let def = &view.definition;
    let section = &def.sections[index];
    let progress = view.sections.get(index);
    let editable = view.editable && progress.is_some_and(|s| s.editable);
    let id = view.submission.id.clone();
    let mut answers = view.submission.answers.clone();
    answers.extend(shows.typed.clone());
    let mut error_summary = None;
    let body = if progress.is_some_and(|s| s.status == Progress::NotNeeded) {
        Body::NotNeeded
    } else if !editable || matches!(section.content, SectionContent::Table(_)) {
        Body::ReadOnly(Box::new(SummaryList {
            rows: section_rows(view, index, None),
            ..SummaryList::default()
        }))
    } else {
        let asked = |slot: usize| view.asked.get(slot).copied().unwrap_or(true);
        let file_href = |_: &str, file: &str| format!("/returns/{id}/attachments/{file}");
        let file_page = |question: &str| format!("/returns/{id}/files/{question}");
        let shown = Shown {
            asked: &asked,
            file_href: &file_href,
            file_page: &file_page,
            ..Shown::new(&answers, &shows.errors)
        };
        let fields = section_fields(def, index, &shown);
        error_summary = section_error_summary(def, index, &shows.errors);
        if let Some(message) = &shows.not_completed {
            let summary = error_summary.get_or_insert_with(|| ErrorSummary {
                title_text: Some("There is a problem".to_owned()),
                ..ErrorSummary::default()
            });
            summary.error_list.push(ErrorSummaryItem {
                content: Content::text(message),
                href: Some("#completed".to_owned()),
                ..ErrorSummaryItem::default()
            });
        }
        let completed = shows.completed.or(progress.map(|s| s.marked_complete).filter(|m| *m));
        Body::Form(Box::new(SectionForm {
            fields,
            completed: completed_radios(completed, shows.not_completed.as_deref()),
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
        }))
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
    let revision = shows.stale.as_ref().map_or(view.submission.revision, |s| s.revision);
    let return_to = shows.return_to.map(ReturnTo::as_str);
    let action = match return_to {
        Some(r) => format!("/returns/{id}/sections/{}?return_to={r}", section.id),
        None => format!("/returns/{id}/sections/{}", section.id),
    };
    let template = SectionPage {
        page: page.clone(),
        caption: caption(view),
        title: section.title.clone(),
        description: section.description.clone(),
        warnings: if editable { warnings(view, &section.id, &shows) } else { Vec::new() },
        id,
        action,
        revision,
        back: shows.return_to.map(|r| r.href(&view.submission.id, &section.id)),
        error_summary,
        stale: shows.stale.as_ref().map(|s| stale_banner(def, s)),
        notes: section_notes(view, &section.id, matches!(body, Body::Form(_))),
        body,
    };
    render_with(status, &page, &template)
}

/// `GET /returns/{id}/sections/{section}`: the section's form, or its answers to read.
pub(crate) async fn show(
    ctx: Ctx,
    Path((id, section)): Path<(String, String)>,
    Query(query): Query<SectionQuery>,
    Query(table_query): Query<TableQuery>,
) -> Result<Response, AppError> {
    let view = submissions::get(&ctx.state, ctx.actor(), &id).await?;
    let index = index(&view, &section)?;
    if submissions::table_section(&view.definition, index).is_some() {
        return return_tables::table_section(ctx, id, section, table_query).await;
    }
    // A section someone has saved shows what is still wrong with it.
    let errors = match view.sections.get(index) {
        Some(s) if s.status == Progress::InProgress => view.errors_in(&section).cloned().collect(),
        _ => Vec::new(),
    };
    let shows =
        Shows { errors, return_to: query.return_to.as_deref().and_then(ReturnTo::parse), ..Shows::default() };
    Ok(section_page(&ctx, &view, index, shows, StatusCode::OK))
}

pub(crate) fn revision(form: &FormData) -> Result<i64, AppError> {
    form.get("revision").trim().parse().map_err(|_| AppError::BadRequest {
        code: "bad_form",
        message: "The form has no revision: open the page again".into(),
    })
}

/// `POST /returns/{id}/sections/{section}`: save the section's answers, whatever they are, then
/// show what is wrong or go on.
pub(crate) async fn save(
    ctx: Ctx,
    Path((id, section)): Path<(String, String)>,
    Query(query): Query<SectionQuery>,
    form: FormData,
) -> Result<Response, AppError> {
    let actor = &form.principal.actor;
    let before = submissions::get(&ctx.state, actor, &id).await?;
    let index = index(&before, &section)?;
    if !matches!(before.definition.sections[index].content, SectionContent::Questions(_)) {
        return Err(AppError::BadRequest {
            code: "table_section",
            message: "Change a table's rows on the table's own pages".into(),
        });
    }
    if !before.editable || !before.sections.get(index).is_some_and(|s| s.editable) {
        return Err(ServiceError::Forbidden("You can read this section but not change it".into()).into());
    }
    let expected = revision(&form)?;
    let pairs = form.values();
    let typed = answers_from_form(&before.definition, index, &pairs);
    let later = form.get("action") == "later";
    let complete = match form.get("completed") {
        "yes" => Some(true),
        "no" => Some(false),
        _ => None,
    };
    let return_to = query.return_to.as_deref().and_then(ReturnTo::parse);
    let edit = Edit::Section { section: section.clone(), answers: typed.clone(), complete };
    match submissions::edit(&ctx.state, actor, &id, expected, edit).await {
        Ok(edited) => {
            let errors: Vec<Item> = edited.view.errors_in(&section).cloned().collect();
            if later || (errors.is_empty() && edited.not_completed.is_none()) {
                let to = match return_to {
                    Some(r) if !later => r.href(&id, &section),
                    _ => format!("/returns/{id}?notice=return-saved"),
                };
                // The new revision, as the API gives it: a program driving the pages (the load
                // test) carries on from it.
                let etag = format!("\"{}\"", edited.view.submission.revision);
                return Ok(([(header::ETAG, etag)], Redirect::to(&to)).into_response());
            }
            let shows = Shows {
                typed,
                errors,
                completed: complete,
                not_completed: edited.not_completed,
                return_to,
                ..Shows::default()
            };
            Ok(section_page(&ctx, &edited.view, index, shows, StatusCode::UNPROCESSABLE_ENTITY))
        }
        Err(ServiceError::Stale(stale)) => {
            let view = submissions::get(&ctx.state, actor, &id).await?;
            let shows =
                Shows { typed, completed: complete, stale: Some(*stale), return_to, ..Shows::default() };
            Ok(section_page(&ctx, &view, index, shows, StatusCode::CONFLICT))
        }
        Err(e) => Err(e.into()),
    }
}

/// `POST /returns/{id}/warnings`: confirm a warning with a reason, then back to its section.
pub(crate) async fn confirm_warning(
    ctx: Ctx,
    Path(id): Path<String>,
    form: FormData,
) -> Result<Response, AppError> {
    let actor = &form.principal.actor;
    let view = submissions::get(&ctx.state, actor, &id).await?;
    let key = form.get("key").to_owned();
    let warning =
        view.warnings.iter().find(|w| w.key == key).ok_or_else(|| {
            AppError::from(ServiceError::NotFound("This return has no such warning".into()))
        })?;
    let section = warning.item.section.clone().unwrap_or_default();
    let index = index(&view, &section)?;
    let reason = form.get("reason").trim().to_owned();
    if submissions::table_section(&view.definition, index).is_some() {
        return confirm_table_warning(ctx, view, &section, key, reason, &form).await;
    }
    if reason.is_empty() {
        let shows = Shows {
            warning_error: Some((key, "Enter why this answer is right".to_owned())),
            ..Shows::default()
        };
        return Ok(section_page(&ctx, &view, index, shows, StatusCode::UNPROCESSABLE_ENTITY));
    }
    let expected = revision(&form)?;
    match submissions::edit(&ctx.state, actor, &id, expected, Edit::Confirm { key, reason }).await {
        Ok(_) => Ok(Redirect::to(&format!("/returns/{id}/sections/{section}?notice=warning-confirmed"))
            .into_response()),
        Err(ServiceError::Stale(stale)) => {
            let shows = Shows { stale: Some(*stale), ..Shows::default() };
            Ok(section_page(&ctx, &view, index, shows, StatusCode::CONFLICT))
        }
        Err(e) => Err(e.into()),
    }
}

/// A warning of a table section: confirmed like any other, but its problems are shown on the
/// table's own page, where its confirmation form is.
async fn confirm_table_warning(
    ctx: Ctx,
    view: SubmissionView,
    section: &str,
    key: String,
    reason: String,
    form: &FormData,
) -> Result<Response, AppError> {
    let id = view.submission.id.clone();
    let n = view.warnings_in(section).position(|w| w.key == key);
    let problem = |extra: Extra| async {
        let t = TableSection::load(&ctx, &id, section).await?;
        Ok::<_, AppError>(return_tables::table_page(&ctx, &t, 1, extra))
    };
    if reason.is_empty() {
        let summary = summary_of("Enter why this answer is right", n.map(|n| format!("#reason-{n}")));
        let extra = Extra {
            summary: Some(summary),
            status: Some(StatusCode::UNPROCESSABLE_ENTITY),
            ..Extra::default()
        };
        return problem(extra).await;
    }
    let expected = revision(form)?;
    match submissions::edit(&ctx.state, &form.principal.actor, &id, expected, Edit::Confirm { key, reason })
        .await
    {
        Ok(_) => Ok(Redirect::to(&format!("/returns/{id}/sections/{section}?notice=warning-confirmed"))
            .into_response()),
        Err(ServiceError::Stale(stale)) => {
            let extra = Extra {
                summary: Some(stale_summary(&stale)),
                status: Some(StatusCode::CONFLICT),
                ..Extra::default()
            };
            problem(extra).await
        }
        Err(e) => Err(e.into()),
    }
}
