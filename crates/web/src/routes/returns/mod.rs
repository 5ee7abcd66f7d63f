//! A return's pages: the dashboard of returns to make, starting one, its task list and its
//! history here; a section's page in [`section`]; check answers in [`check`].
//!
//! Every page is a call to `formwork_service::submissions` and a template; the rules (who may
//! see or change what, what is complete) are the service's.

pub(crate) mod check;
pub(crate) mod lifecycle;
pub(crate) mod moving;
pub(crate) mod section;
pub(crate) mod whole;

use askama::Template;
use axum::extract::Path;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use formwork_service::lifecycle::Actions;
use formwork_service::submissions::{
    self, DashboardEntry, HistoryEntry, Progress, SectionView, SubmissionState, SubmissionView,
};
use serde_json::Value;

use crate::components::form::inline_form_with;
use crate::components::{
    Button, Content, NotificationBanner, SummaryList, Table, TableCell, Tag, TaskList, TaskListItem,
    TaskStatus, escape, link,
};
use crate::error::AppError;
use crate::forms::FormData;
use crate::pages::{Ctx, Form, Page, render, render_with};
use crate::routes::when;

/// The address of a return's task list.
pub(crate) fn return_href(id: &str) -> String {
    format!("/returns/{id}")
}

/// The tag of a return's state.
pub(crate) fn state_tag(state: SubmissionState) -> Tag {
    let colour = match state {
        SubmissionState::NotStarted => "govuk-tag--grey",
        SubmissionState::InProgress => "govuk-tag--light-blue",
        SubmissionState::ChangesRequested => "govuk-tag--orange",
        SubmissionState::ReadyForSignOff | SubmissionState::AwaitingSignOff => "govuk-tag--purple",
        SubmissionState::Submitted => "govuk-tag--blue",
        SubmissionState::Accepted => "govuk-tag--green",
    };
    Tag::new(state.label(), Some(colour))
}

/// The caption of a return's pages: its organisation and period.
pub(crate) fn caption(view: &SubmissionView) -> String {
    format!("{} – {}", view.organisation.name, view.period.label)
}

/// A date as people read it: "30 July 2026".
pub(crate) fn day(date: chrono::NaiveDate) -> String {
    date.format("%-d %B %Y").to_string()
}

#[derive(Template)]
#[template(path = "returns/dashboard.html")]
struct Dashboard {
    page: Page,
    entries: Vec<DashboardEntry>,
    /// The logs the person's organisations keep, each linking to its records.
    logs: Vec<formwork_service::records::LogEntry>,
}

impl Dashboard {
    /// Each period of each collection: the collection and period, due date, state and tags, who
    /// changed it last, and the way in (a link to the return, or a button to start it).
    fn table(&self) -> Table {
        let head = ["Return", "Due", "Status", "Last changed", "Action"].map(TableCell::text).to_vec();
        let several = self.entries.iter().any(|e| e.organisation.id != self.entries[0].organisation.id);
        let rows = self
            .entries
            .iter()
            .map(|entry| {
                let mut name = format!(
                    "{}<br><span class=\"govuk-body-s\">{}</span>",
                    escape(&entry.collection_title),
                    escape(&entry.period.label)
                );
                if several {
                    name.push_str(&format!(
                        "<br><span class=\"govuk-body-s\">{}</span>",
                        escape(&entry.organisation.name)
                    ));
                }
                let mut status = state_tag(entry.state).to_html();
                if entry.overdue {
                    status.push(' ');
                    status.push_str(&Tag::new("Overdue", Some("govuk-tag--red")).to_html());
                } else if entry.due_soon {
                    status.push(' ');
                    status.push_str(&Tag::new("Due soon", Some("govuk-tag--yellow")).to_html());
                }
                let changed = match &entry.submission {
                    Some(s) => format!(
                        "{} by {}",
                        when(s.updated_at),
                        s.updated_by_name.as_deref().unwrap_or("the service")
                    ),
                    None => String::new(),
                };
                let action = match &entry.submission {
                    Some(s) => link(
                        &return_href(&s.id),
                        &format!("Open {} for {}", entry.collection_title, entry.period.label),
                    ),
                    None => start_form(&self.page.csrf, entry),
                };
                vec![
                    TableCell::html(name),
                    TableCell::text(day(entry.period.due)),
                    TableCell::html(status),
                    TableCell::text(changed),
                    TableCell::html(action),
                ]
            })
            .collect();
        Table { rows, ..Table::with_hidden_caption("Your returns", head) }
    }

    fn logs_table(&self) -> Table {
        super::records::logs_table(&self.logs)
    }
}

/// The small form that starts the return of a period.
fn start_form(csrf: &str, entry: &DashboardEntry) -> String {
    let fields = [
        ("collection", entry.collection.as_str()),
        ("organisation", entry.organisation.slug.as_str()),
        ("period", entry.period.key.as_str()),
    ];
    let start = Button::action(
        "Start",
        &format!(" {} for {}", entry.collection_title, entry.period.label),
        "govuk-button--secondary govuk-!-margin-bottom-0",
    );
    inline_form_with("/returns", csrf, &fields, &start)
}

/// `GET /returns`: the returns the person's organisations make, each period up to now.
pub(crate) async fn dashboard(ctx: Ctx) -> Result<Response, AppError> {
    let entries = submissions::dashboard(&ctx.state, ctx.actor()).await?;
    let logs = formwork_service::records::logs(&ctx.state, ctx.actor()).await?;
    let page = ctx.page("Your returns", "/returns");
    Ok(render(&page, &Dashboard { page: page.clone(), entries, logs }))
}

/// `POST /returns`: start the return of a period (or open the one already started).
pub(crate) async fn start(ctx: Ctx, form: FormData) -> Result<Response, AppError> {
    let started = submissions::start(
        &ctx.state,
        &form.principal.actor,
        form.get("collection"),
        form.get("organisation"),
        form.get("period"),
    )
    .await?;
    Ok(Redirect::to(&return_href(&started.submission.id)).into_response())
}

#[derive(Template)]
#[template(path = "returns/task_list.html")]
struct TaskListPage {
    page: Page,
    view: SubmissionView,
    caption: String,
    actions: Actions,
    /// Where the return is: state, reference, sign-offs, next step.
    status: SummaryList,
    /// The reviewer's comments, by section.
    comments: Option<NotificationBanner>,
    /// Problems with a refused submission.
    form: Form,
}

/// A section's status on the task list (GOV.UK "Complete multiple tasks").
pub(crate) fn status(section: &SectionView) -> TaskStatus {
    let tag = |text: &str, colour: Option<&str>| TaskStatus {
        tag: Some(Tag::new(text, colour)),
        ..TaskStatus::default()
    };
    match section.status {
        Progress::Completed => TaskStatus { content: Content::text("Completed"), ..TaskStatus::default() },
        Progress::InProgress => tag("In progress", Some("govuk-tag--light-blue")),
        Progress::NotStarted => tag("Not yet started", Some("govuk-tag--blue")),
        Progress::NotNeeded => TaskStatus {
            content: Content::text("Not needed"),
            classes: Some("govuk-task-list__status--cannot-start-yet".to_owned()),
            ..TaskStatus::default()
        },
    }
}

/// What the task list says under a section's title: read only, errors, unconfirmed warnings.
pub(crate) fn section_hint(section: &SectionView) -> Option<Content> {
    let mut parts = Vec::new();
    if !section.editable && section.status != Progress::NotNeeded {
        parts.push("Read only".to_owned());
    }
    // An untouched section's unanswered questions are not errors yet.
    let errors = if section.status == Progress::InProgress { section.errors } else { 0 };
    match errors {
        0 => {}
        1 => parts.push("1 error".to_owned()),
        n => parts.push(format!("{n} errors")),
    }
    match section.unconfirmed_warnings {
        0 => {}
        1 => parts.push("1 warning to confirm".to_owned()),
        n => parts.push(format!("{n} warnings to confirm")),
    }
    (!parts.is_empty()).then(|| Content::text(parts.join(", ")))
}

impl TaskListPage {
    fn tasks(&self) -> TaskList {
        let id = &self.view.submission.id;
        let items = self
            .view
            .sections
            .iter()
            .map(|section| {
                let href = (section.status != Progress::NotNeeded)
                    .then(|| format!("/returns/{id}/sections/{}", section.id));
                let mut hint = section_hint(section);
                if self.view.submission.review_comments.contains_key(&section.id) {
                    let asked = "The reviewer asked for changes";
                    hint = Some(Content::text(match hint {
                        Some(Content { text: Some(text), .. }) => format!("{asked}. {text}"),
                        _ => asked.to_owned(),
                    }));
                }
                let mut item =
                    TaskListItem { hint, status: status(section), href, ..TaskListItem::default() };
                item.title.content = Content::text(&section.title);
                Some(item)
            })
            .collect();
        TaskList { items, id_prefix: Some("sections".to_owned()), ..TaskList::default() }
    }

    /// "A newer version of this form is available".
    fn move_banner(&self, version: &i64) -> NotificationBanner {
        let html = format!(
            "<p class=\"govuk-notification-banner__heading\">A newer version of this form is available: {}</p>",
            link(
                &format!("/returns/{}/move", self.view.submission.id),
                &format!("move this return to version {version}")
            )
        );
        NotificationBanner {
            content: Content::html(html),
            title_id: Some("move-title".to_owned()),
            ..NotificationBanner::default()
        }
    }

    fn submit_button(&self) -> Button {
        Button { prevent_double_click: Some(true), ..Button::submit("Submit return") }
    }
}

/// True when the return's due date has passed and it is not submitted yet.
/// The banner listing the reviewer's comments, each section linking to its page.
fn comments_banner(view: &SubmissionView) -> Option<NotificationBanner> {
    let comments = &view.submission.review_comments;
    if comments.is_empty() {
        return None;
    }
    let id = &view.submission.id;
    let mut html = String::from(
        "<p class=\"govuk-notification-banner__heading\">A reviewer asked for changes to this return</p>",
    );
    for section in view.definition.sections.iter().filter(|s| comments.contains_key(&s.id)) {
        let comment = &comments[&section.id];
        html.push_str(&format!(
            "<h3 class=\"govuk-heading-s govuk-!-margin-bottom-1\">{}</h3><p class=\"govuk-body app-pre-wrap\">{}</p>",
            link(&format!("/returns/{id}/sections/{}", section.id), &section.title),
            escape(&comment.comment),
        ));
    }
    Some(NotificationBanner {
        content: Content::html(html),
        title_text: Some("Changes requested".to_owned()),
        title_id: Some("comments-title".to_owned()),
        ..NotificationBanner::default()
    })
}

/// The task list of return `id`, with the problems of a refused action.
pub(crate) async fn task_list_page(
    ctx: &Ctx,
    id: &str,
    problems: Vec<formwork_service::Problem>,
    status: StatusCode,
) -> Result<Response, AppError> {
    let view = submissions::get(&ctx.state, ctx.actor(), id).await?;
    let actions = formwork_service::lifecycle::actions(&ctx.state, ctx.actor(), &view).await?;
    let overdue = view.overdue;
    let mut page = ctx.page(view.definition.title.clone(), "/returns");
    page.has_errors = !problems.is_empty();
    let template = TaskListPage {
        page: page.clone(),
        caption: caption(&view),
        status: whole::whereabouts(&view, overdue, whole::next_step(&view)),
        comments: comments_banner(&view),
        actions,
        view,
        form: Form::new(Vec::new(), problems),
    };
    Ok(render_with(status, &page, &template))
}

/// `GET /returns/{id}`: where the return is, its sections each with its status, and what the
/// person may do next.
pub(crate) async fn task_list(ctx: Ctx, Path(id): Path<String>) -> Result<Response, AppError> {
    task_list_page(&ctx, &id, Vec::new(), StatusCode::OK).await
}

#[derive(Template)]
#[template(path = "returns/history.html")]
struct History {
    page: Page,
    view: SubmissionView,
    caption: String,
    entries: Vec<HistoryEntry>,
}

impl History {
    fn when(&self, entry: &HistoryEntry) -> String {
        entry_when(entry)
    }

    fn changes(&self, entry: &HistoryEntry) -> Table {
        changes_table(&self.view.definition, entry)
    }
}

/// "22 November 2026 at 10:00am by NAME": when a history entry happened and who did it.
pub(crate) fn entry_when(entry: &HistoryEntry) -> String {
    match &entry.by {
        Some(by) => format!("{} by {by}", when(entry.at)),
        None => when(entry.at),
    }
}

/// The field changes of a history entry: question, from, to.
pub(crate) fn changes_table(def: &formwork_definition::Definition, entry: &HistoryEntry) -> Table {
    let head = ["Question", "From", "To"].map(TableCell::text).to_vec();
    let rows = entry
        .changes
        .iter()
        .map(|c| {
            vec![
                TableCell::text(&c.label),
                TableCell::text(check::field_text(def, &c.field, &c.old)),
                TableCell::text(check::field_text(def, &c.field, &c.new)),
            ]
        })
        .collect();
    Table { rows, ..Table::with_hidden_caption(&entry.summary, head) }
}

/// `GET /returns/{id}/history`: every change to the return, newest first.
pub(crate) async fn history(ctx: Ctx, Path(id): Path<String>) -> Result<Response, AppError> {
    let view = submissions::get(&ctx.state, ctx.actor(), &id).await?;
    let entries = submissions::history(&ctx.state, ctx.actor(), &id).await?;
    let page = ctx.page("History", "/returns");
    let caption = caption(&view);
    Ok(render(&page, &History { page: page.clone(), view, caption, entries }))
}

/// A JSON value in words, for values that are not a question's answer (table rows).
pub(crate) fn plain(value: &Value) -> String {
    match value {
        Value::Null => String::new(),
        Value::String(s) => s.clone(),
        Value::Bool(true) => "Yes".to_owned(),
        Value::Bool(false) => "No".to_owned(),
        Value::Number(n) => n.to_string(),
        Value::Array(items) => items.iter().map(plain).collect::<Vec<_>>().join("; "),
        Value::Object(map) => map
            .iter()
            .filter(|(_, v)| !v.is_null())
            .map(|(k, v)| format!("{k}: {}", plain(v)))
            .collect::<Vec<_>>()
            .join(", "),
    }
}
