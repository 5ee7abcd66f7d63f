//! A return's life after it is filled in (DESIGN §5): signing off each step, submitting, the
//! confirmation with its reference, and the reviewer's pages — the whole return to read, sending it
//! back with comments, accepting and reopening it. What may be done is the service's
//! [`lifecycle::actions`]; a refusal is shown on the page, in the error summary, with its reason.

use askama::Template;
use axum::extract::Path;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use formwork_service::lifecycle::{self, Actions};
use formwork_service::submissions::{self, SubmissionState, SubmissionView};
use formwork_service::{Problem, ServiceError};

use super::caption;
use super::whole::{WholeReturn, next_step, whereabouts, whole};
use crate::components::{
    CheckboxItem, Checkboxes, Content, ErrorMessage, Fieldset, Hint, Label, Legend, SummaryList, Textarea,
};
use crate::error::AppError;
use crate::forms::FormData;
use crate::pages::{Ctx, Form, Page, render_with};

/// The revision a form was read at.
pub(crate) fn revision(form: &FormData) -> Result<i64, AppError> {
    form.get("revision").trim().parse().map_err(|_| AppError::BadRequest {
        code: "bad_form",
        message: "The form has no revision: open the page again".into(),
    })
}

/// A refused action as problems to show on its page, with the status to answer: what was
/// wrong with the form, or why it may not be done now (`field` is where the summary links).
/// Anything else (not found, signed out) is the error page's.
fn refused(e: ServiceError, field: &str) -> Result<(StatusCode, Vec<Problem>), AppError> {
    let one = |message: String| vec![Problem::new(field, "refused", message)];
    match e {
        ServiceError::Invalid(problems) => Ok((StatusCode::UNPROCESSABLE_ENTITY, problems)),
        ServiceError::Forbidden(m) => Ok((StatusCode::FORBIDDEN, one(m))),
        ServiceError::Conflict(m) => Ok((StatusCode::CONFLICT, one(m))),
        ServiceError::Stale(_) => Ok((
            StatusCode::CONFLICT,
            one("Someone changed this return after you opened this page: check it again, then try again"
                .into()),
        )),
        e => Err(e.into()),
    }
}

/// The return and what the person may do with it.
async fn load(ctx: &Ctx, id: &str) -> Result<(SubmissionView, Actions), AppError> {
    let view = submissions::get(&ctx.state, ctx.actor(), id).await?;
    let actions = lifecycle::actions(&ctx.state, ctx.actor(), &view).await?;
    Ok((view, actions))
}

/// Why the person cannot review the return in `view` now.
fn why_not_review(view: &SubmissionView) -> String {
    match view.submission.state {
        SubmissionState::Submitted => {
            "Only the service's reviewers can send a return back or accept it".into()
        }
        state => format!(
            "This return is {}: only a submitted return can be sent back for changes or accepted",
            state.label().to_lowercase()
        ),
    }
}

#[derive(Template)]
#[template(path = "returns/sign_off.html")]
struct SignOffPage {
    page: Page,
    caption: String,
    id: String,
    revision: i64,
    whole: WholeReturn,
    status: SummaryList,
    /// The step the person may sign now, with its declaration to confirm.
    step: Option<usize>,
    declaration: Option<Checkboxes>,
    last: bool,
    /// Why they cannot sign it now.
    why_not: Option<String>,
    form: Form,
}

/// The sign-off page of the return in `view`, with the problems of a refused post.
fn sign_off_page(
    ctx: &Ctx,
    view: &SubmissionView,
    actions: &Actions,
    form: Form,
    status: StatusCode,
) -> Response {
    let steps = &view.definition.sign_off;
    let step = actions.sign_off;
    let declaration = step.and_then(|n| steps.get(n)).map(|s| Checkboxes {
        name: Some("confirm".to_owned()),
        id_prefix: Some("confirm".to_owned()),
        items: vec![Some(CheckboxItem {
            content: Content::text(&s.declaration),
            value: Some("yes".to_owned()),
            ..CheckboxItem::default()
        })],
        values: if form.has("confirm", "yes") { vec!["yes".to_owned()] } else { Vec::new() },
        fieldset: Some(Fieldset {
            legend: Legend {
                content: Content::text(format!(
                    "Step {} of {}: declaration",
                    step.unwrap_or(0) + 1,
                    steps.len()
                )),
                classes: Some("govuk-fieldset__legend--m".to_owned()),
                ..Legend::default()
            },
            ..Fieldset::default()
        }),
        hint: Some(Hint::text(format!(
            "You are signing off as a {}",
            formwork_service::emails::words(&s.by)
        ))),
        error_message: form.error("confirm").map(ErrorMessage::text),
        ..Checkboxes::default()
    });
    let why_not = match (step, &actions.sign_off_blocked) {
        (Some(_), _) => None,
        (None, Some(blocked)) => Some(blocked.clone()),
        (None, None) => Some(match view.submission.state {
            SubmissionState::Submitted | SubmissionState::Accepted => {
                format!("This return is {}: there is nothing to sign off", view.submission.state.label().to_lowercase())
            }
            _ if steps.is_empty() => "This return has no sign-off steps".to_owned(),
            _ => "This return is not ready to sign off: every section must be complete and every warning confirmed"
                .to_owned(),
        }),
    };
    let mut page = ctx.page("Sign off this return", "/returns");
    page.has_errors = form.has_errors();
    let template = SignOffPage {
        page: page.clone(),
        caption: caption(view),
        id: view.submission.id.clone(),
        revision: view.submission.revision,
        whole: whole(view),
        status: whereabouts(view, false, next_step(view)),
        last: step.is_some_and(|n| n + 1 == steps.len()),
        step,
        declaration,
        why_not,
        form,
    };
    render_with(status, &page, &template)
}

/// `GET /returns/{id}/sign-off`: the whole return to read, and the step's declaration to confirm.
pub(crate) async fn sign_off_form(ctx: Ctx, Path(id): Path<String>) -> Result<Response, AppError> {
    let (view, actions) = load(&ctx, &id).await?;
    Ok(sign_off_page(&ctx, &view, &actions, Form::default(), StatusCode::OK))
}

/// `POST /returns/{id}/sign-off`: sign the step; the last one submits the return.
pub(crate) async fn sign_off(ctx: Ctx, Path(id): Path<String>, form: FormData) -> Result<Response, AppError> {
    let actor = &form.principal.actor;
    let expected = revision(&form)?;
    let step: usize = form.get("step").trim().parse().map_err(|_| AppError::BadRequest {
        code: "bad_form",
        message: "The form has no sign-off step: open the page again".into(),
    })?;
    let confirmed = form.get("confirm") == "yes";
    match lifecycle::sign_off(&ctx.state, actor, &id, expected, step, confirmed).await {
        Ok(view) if view.submission.state == SubmissionState::Submitted => {
            Ok(Redirect::to(&format!("/returns/{id}/submitted")).into_response())
        }
        Ok(_) => Ok(Redirect::to(&format!("/returns/{id}?notice=signed-off")).into_response()),
        Err(e) => {
            let (status, problems) = refused(e, "confirm")?;
            let (view, actions) = load(&ctx, &id).await?;
            Ok(sign_off_page(&ctx, &view, &actions, Form::new(form.values(), problems), status))
        }
    }
}

/// `POST /returns/{id}/submit`: submit a return whose collection has no sign-off steps.
pub(crate) async fn submit(ctx: Ctx, Path(id): Path<String>, form: FormData) -> Result<Response, AppError> {
    let expected = revision(&form)?;
    match lifecycle::submit(&ctx.state, &form.principal.actor, &id, expected).await {
        Ok(_) => Ok(Redirect::to(&format!("/returns/{id}/submitted")).into_response()),
        Err(e) => {
            let (status, problems) = refused(e, "submit")?;
            super::task_list_page(&ctx, &id, problems, status).await
        }
    }
}

#[derive(Template)]
#[template(path = "returns/submitted.html")]
struct Submitted {
    page: Page,
    caption: String,
    id: String,
    /// The confirmation with the reference, once submitted.
    panel: Option<crate::components::Panel>,
    /// Accepted by a reviewer since.
    accepted: bool,
}

/// `GET /returns/{id}/submitted`: the confirmation, with the reference to quote.
pub(crate) async fn submitted(ctx: Ctx, Path(id): Path<String>) -> Result<Response, AppError> {
    let view = submissions::get(&ctx.state, ctx.actor(), &id).await?;
    let state = view.submission.state;
    let sent = matches!(state, SubmissionState::Submitted | SubmissionState::Accepted);
    let title = if sent { "Return submitted" } else { "This return has not been submitted" };
    let page = ctx.page(title, "/returns");
    let template = Submitted {
        page: page.clone(),
        caption: caption(&view),
        id,
        panel: view.submission.reference.as_deref().filter(|_| sent).map(|reference| {
            let body =
                format!("Your reference is<br><strong>{}</strong>", crate::components::escape(reference));
            crate::components::Panel::confirmation(title, body)
        }),
        accepted: state == SubmissionState::Accepted,
    };
    Ok(render_with(StatusCode::OK, &page, &template))
}

#[derive(Template)]
#[template(path = "returns/review.html")]
struct ReviewPage {
    page: Page,
    caption: String,
    id: String,
    status: SummaryList,
    actions: Actions,
    whole: WholeReturn,
    /// The person has the review queue to go back to.
    staff: bool,
}

/// `GET /review/{id}`: the whole return to read, where it is, and the reviewer's actions.
pub(crate) async fn review(ctx: Ctx, Path(id): Path<String>) -> Result<Response, AppError> {
    let (view, actions) = load(&ctx, &id).await?;
    let overdue = view.overdue;
    let page = ctx.page(view.definition.title.clone(), "/review");
    let template = ReviewPage {
        page: page.clone(),
        caption: caption(&view),
        id,
        status: whereabouts(&view, overdue, next_step(&view)),
        actions,
        whole: whole(&view),
        staff: ctx.actor().staff().is_some(),
    };
    Ok(render_with(StatusCode::OK, &page, &template))
}

#[derive(Template)]
#[template(path = "returns/return_for_changes.html")]
struct ReturnPage {
    page: Page,
    caption: String,
    id: String,
    revision: i64,
    /// A comment box per section, when the person may send it back.
    comments: Vec<Textarea>,
    why_not: Option<String>,
    form: Form,
}

fn return_page(
    ctx: &Ctx,
    view: &SubmissionView,
    actions: &Actions,
    form: Form,
    status: StatusCode,
) -> Response {
    let comments = if actions.review {
        view.sections
            .iter()
            .filter(|s| s.status != submissions::Progress::NotNeeded)
            .map(|s| {
                let name = format!("comments.{}", s.id);
                Textarea {
                    id: Some(name.clone()),
                    name: Some(name.clone()),
                    rows: Some("3".to_owned()),
                    value: Some(form.value(&name).to_owned()),
                    label: Label::text(format!("Comment on {}", s.title)).classes("govuk-label--s"),
                    error_message: form.error(&name).map(ErrorMessage::text),
                    ..Textarea::default()
                }
            })
            .collect()
    } else {
        Vec::new()
    };
    let mut page = ctx.page("Return for changes", "/review");
    page.has_errors = form.has_errors();
    let template = ReturnPage {
        page: page.clone(),
        caption: caption(view),
        id: view.submission.id.clone(),
        revision: view.submission.revision,
        comments,
        why_not: (!actions.review).then(|| why_not_review(view)),
        form,
    };
    render_with(status, &page, &template)
}

/// `GET /returns/{id}/return`: a comment box for each section.
pub(crate) async fn return_form(ctx: Ctx, Path(id): Path<String>) -> Result<Response, AppError> {
    let (view, actions) = load(&ctx, &id).await?;
    Ok(return_page(&ctx, &view, &actions, Form::default(), StatusCode::OK))
}

/// `POST /returns/{id}/return`: send the return back with the comments given.
pub(crate) async fn return_for_changes(
    ctx: Ctx,
    Path(id): Path<String>,
    form: FormData,
) -> Result<Response, AppError> {
    let expected = revision(&form)?;
    let comments: Vec<(String, String)> = form
        .values()
        .into_iter()
        .filter_map(|(k, v)| k.strip_prefix("comments.").map(|s| (s.to_owned(), v)))
        .collect();
    match lifecycle::return_for_changes(&ctx.state, &form.principal.actor, &id, expected, &comments).await {
        Ok(_) => Ok(Redirect::to(&format!("/review/{id}?notice=returned")).into_response()),
        Err(e) => {
            let (status, mut problems) = refused(e, "comments")?;
            // "At least one comment" links to the first box.
            if let Some(first) = comments.first() {
                for p in problems.iter_mut().filter(|p| p.field == "comments") {
                    p.field = format!("comments.{}", first.0);
                }
            }
            let (view, actions) = load(&ctx, &id).await?;
            Ok(return_page(&ctx, &view, &actions, Form::new(form.values(), problems), status))
        }
    }
}

#[derive(Template)]
#[template(path = "returns/accept.html")]
struct AcceptPage {
    page: Page,
    caption: String,
    id: String,
    revision: i64,
    status: SummaryList,
    allowed: bool,
    why_not: Option<String>,
    form: Form,
}

fn accept_page(
    ctx: &Ctx,
    view: &SubmissionView,
    actions: &Actions,
    form: Form,
    status: StatusCode,
) -> Response {
    let mut page = ctx.page("Accept this return", "/review");
    page.has_errors = form.has_errors();
    let template = AcceptPage {
        page: page.clone(),
        caption: caption(view),
        id: view.submission.id.clone(),
        revision: view.submission.revision,
        status: whereabouts(view, false, None),
        allowed: actions.review,
        why_not: (!actions.review).then(|| why_not_review(view)),
        form,
    };
    render_with(status, &page, &template)
}

/// `GET /returns/{id}/accept`: confirm accepting the return.
pub(crate) async fn accept_form(ctx: Ctx, Path(id): Path<String>) -> Result<Response, AppError> {
    let (view, actions) = load(&ctx, &id).await?;
    Ok(accept_page(&ctx, &view, &actions, Form::default(), StatusCode::OK))
}

/// `POST /returns/{id}/accept`: accept it, which locks it.
pub(crate) async fn accept(ctx: Ctx, Path(id): Path<String>, form: FormData) -> Result<Response, AppError> {
    let expected = revision(&form)?;
    match lifecycle::accept(&ctx.state, &form.principal.actor, &id, expected).await {
        Ok(_) => Ok(Redirect::to(&format!("/review/{id}?notice=accepted")).into_response()),
        Err(e) => {
            let (status, problems) = refused(e, "accept")?;
            let (view, actions) = load(&ctx, &id).await?;
            Ok(accept_page(&ctx, &view, &actions, Form::new(form.values(), problems), status))
        }
    }
}

#[derive(Template)]
#[template(path = "returns/reopen.html")]
struct ReopenPage {
    page: Page,
    caption: String,
    id: String,
    revision: i64,
    allowed: bool,
    why_not: Option<String>,
    form: Form,
}

fn reopen_page(
    ctx: &Ctx,
    view: &SubmissionView,
    actions: &Actions,
    form: Form,
    status: StatusCode,
) -> Response {
    let mut page = ctx.page("Reopen this return", "/review");
    page.has_errors = form.has_errors();
    let why_not = (!actions.reopen).then(|| match view.submission.state {
        SubmissionState::Accepted => "Only the service's reviewers can reopen a return".to_owned(),
        state => format!(
            "This return is {}: only an accepted return can be reopened",
            state.label().to_lowercase()
        ),
    });
    let template = ReopenPage {
        page: page.clone(),
        caption: caption(view),
        id: view.submission.id.clone(),
        revision: view.submission.revision,
        allowed: actions.reopen,
        why_not,
        form,
    };
    render_with(status, &page, &template)
}

/// `GET /returns/{id}/reopen`: why it is being reopened.
pub(crate) async fn reopen_form(ctx: Ctx, Path(id): Path<String>) -> Result<Response, AppError> {
    let (view, actions) = load(&ctx, &id).await?;
    Ok(reopen_page(&ctx, &view, &actions, Form::default(), StatusCode::OK))
}

/// `POST /returns/{id}/reopen`: reopen an accepted return, with the reason.
pub(crate) async fn reopen(ctx: Ctx, Path(id): Path<String>, form: FormData) -> Result<Response, AppError> {
    let expected = revision(&form)?;
    match lifecycle::reopen(&ctx.state, &form.principal.actor, &id, expected, form.get("reason")).await {
        Ok(_) => Ok(Redirect::to(&format!("/review/{id}?notice=reopened")).into_response()),
        Err(e) => {
            let (status, problems) = refused(e, "reason")?;
            let (view, actions) = load(&ctx, &id).await?;
            Ok(reopen_page(&ctx, &view, &actions, Form::new(form.values(), problems), status))
        }
    }
}
