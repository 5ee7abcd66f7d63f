//! The jobs page, for service admins: what is waiting, what failed and why, and retrying.

use askama::Template;
use axum::extract::Path;
use axum::response::{IntoResponse, Redirect, Response};
use formwork_service::queue::{self, Queue};

use crate::error::AppError;
use crate::forms::FormData;
use crate::pages::{Ctx, Page, render};
use crate::routes::when;

#[derive(Template)]
#[template(path = "jobs.html")]
struct Jobs {
    page: Page,
    queue: Queue,
}

impl Jobs {
    fn when(&self, millis: &i64) -> String {
        when(*millis)
    }
}

/// `GET /jobs`.
pub(crate) async fn list(ctx: Ctx) -> Result<Response, AppError> {
    let queue = queue::list(&ctx.state, ctx.actor()).await?;
    let page = ctx.page("Jobs", "/jobs");
    Ok(render(&page, &Jobs { page: page.clone(), queue }))
}

/// `POST /jobs/{id}/retry`.
pub(crate) async fn retry(Path(id): Path<String>, ctx: Ctx, form: FormData) -> Result<Response, AppError> {
    queue::retry(&ctx.state, &form.principal.actor, &id).await?;
    Ok(Redirect::to("/jobs?notice=job-retried").into_response())
}
