//! Moving a draft to a newer version of its form: what will happen, the move, and the page that
//! lists every answer that did not fit. A staff admin moves every draft of a collection at once
//! from the collection's page.

use askama::Template;
use axum::extract::Path;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use formwork_service::lifecycle::{self, DraftsMoved, LastMove};
use formwork_service::submissions::{self, SubmissionView};
use formwork_service::{Problem, ServiceError};

use super::caption;
use super::lifecycle::revision;
use super::whole::dropped_value;
use crate::components::{Table, TableCell};
use crate::error::AppError;
use crate::forms::FormData;
use crate::pages::{Ctx, Form, Page, render_with};
use crate::routes::when;

#[derive(Template)]
#[template(path = "returns/move.html")]
struct MovePage {
    page: Page,
    caption: String,
    id: String,
    revision: i64,
    version: i64,
    /// The version it may move to.
    to: Option<i64>,
    signed: bool,
    form: Form,
}

fn move_page(ctx: &Ctx, view: &SubmissionView, to: Option<i64>, form: Form, status: StatusCode) -> Response {
    let title = match to {
        Some(v) => format!("Move this return to version {v} of the form"),
        None => "Move this return to a newer version of the form".to_owned(),
    };
    let mut page = ctx.page(title, "/returns");
    page.has_errors = form.has_errors();
    let template = MovePage {
        page: page.clone(),
        caption: caption(view),
        id: view.submission.id.clone(),
        revision: view.submission.revision,
        version: view.submission.version,
        to,
        signed: !view.submission.sign_offs.is_empty(),
        form,
    };
    render_with(status, &page, &template)
}

/// `GET /returns/{id}/move`: what moving the return to the newer version does.
pub(crate) async fn move_form(ctx: Ctx, Path(id): Path<String>) -> Result<Response, AppError> {
    let view = submissions::get(&ctx.state, ctx.actor(), &id).await?;
    let actions = lifecycle::actions(&ctx.state, ctx.actor(), &view).await?;
    Ok(move_page(&ctx, &view, actions.move_to, Form::default(), StatusCode::OK))
}

/// `POST /returns/{id}/move`: move it, then list what did not fit.
pub(crate) async fn move_return(
    ctx: Ctx,
    Path(id): Path<String>,
    form: FormData,
) -> Result<Response, AppError> {
    let expected = revision(&form)?;
    match lifecycle::move_to_latest(&ctx.state, &form.principal.actor, &id, expected).await {
        Ok(_) => Ok(Redirect::to(&format!("/returns/{id}/moved")).into_response()),
        Err(e) => {
            let (status, message) = match e {
                ServiceError::Forbidden(m) => (StatusCode::FORBIDDEN, m),
                ServiceError::Conflict(m) => (StatusCode::CONFLICT, m),
                ServiceError::Stale(_) => (
                    StatusCode::CONFLICT,
                    "Someone changed this return after you opened this page: check it again, then try again"
                        .to_owned(),
                ),
                e => return Err(e.into()),
            };
            let view = submissions::get(&ctx.state, ctx.actor(), &id).await?;
            let actions = lifecycle::actions(&ctx.state, ctx.actor(), &view).await?;
            let problems = vec![Problem::new("move", "refused", message)];
            Ok(move_page(&ctx, &view, actions.move_to, Form::new(Vec::new(), problems), status))
        }
    }
}

#[derive(Template)]
#[template(path = "returns/moved.html")]
struct MovedPage {
    page: Page,
    caption: String,
    id: String,
    moved: Option<LastMove>,
    /// Every answer that did not fit: question, the answer, why.
    dropped: Option<Table>,
}

/// `GET /returns/{id}/moved`: the last move, and every answer that did not fit.
pub(crate) async fn moved(ctx: Ctx, Path(id): Path<String>) -> Result<Response, AppError> {
    let view = submissions::get(&ctx.state, ctx.actor(), &id).await?;
    let moved = lifecycle::last_move(&ctx.state, ctx.actor(), &id).await?;
    let dropped = moved.as_ref().filter(|m| !m.dropped.is_empty()).map(|m| {
        let head = ["Question", "Your answer", "Why it was not carried over"].map(TableCell::text).to_vec();
        let rows = m
            .dropped
            .iter()
            .map(|d| {
                vec![
                    TableCell::text(&d.label),
                    TableCell::text(dropped_value(&d.value)),
                    TableCell::text(&d.reason),
                ]
            })
            .collect();
        Table { rows, ..Table::with_hidden_caption("Answers not carried over", head) }
    });
    let title = match &moved {
        Some(m) => format!("This return now follows version {} of the form", m.to_version),
        None => "This return has not been moved to another version".to_owned(),
    };
    let page = ctx.page(title, "/returns");
    let template = MovedPage { page: page.clone(), caption: caption(&view), id, moved, dropped };
    Ok(render_with(StatusCode::OK, &page, &template))
}

impl MovedPage {
    fn when(&self, at: &i64) -> String {
        when(*at)
    }
}

#[derive(Template)]
#[template(path = "collections/drafts_moved.html")]
struct DraftsMovedPage {
    page: Page,
    slug: String,
    done: DraftsMoved,
}

/// `POST /collections/{slug}/move-drafts`: move every draft of the collection to its latest
/// version, and say how it went.
pub(crate) async fn move_drafts(
    ctx: Ctx,
    Path(slug): Path<String>,
    form: FormData,
) -> Result<Response, AppError> {
    let done = lifecycle::move_drafts(&ctx.state, &form.principal.actor, &slug).await?;
    let page = ctx.page(format!("Drafts moved to version {}", done.to_version), "/collections");
    Ok(render_with(StatusCode::OK, &page, &DraftsMovedPage { page: page.clone(), slug, done }))
}
