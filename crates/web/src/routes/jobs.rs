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
    /// The jobs that failed for good, each with a button to retry it.
    fn failed_table(&self) -> crate::components::Table {
        use crate::components::form::inline_form;
        use crate::components::{Button, Table, TableCell};
        let head = ["Job", "Failed", "Last error"].map(TableCell::text).into_iter();
        let head =
            head.chain([TableCell::html("<span class=\"govuk-visually-hidden\">Action</span>")]).collect();
        let rows = self
            .queue
            .failed
            .iter()
            .map(|job| {
                let failed = job.failed_at.map(when).unwrap_or_default();
                let retry = Button::action(
                    "Retry",
                    &format!(" {}", job.summary),
                    "govuk-button--secondary govuk-!-margin-bottom-0",
                );
                vec![
                    job_cell(&job.kind, &job.summary),
                    TableCell::text(format!("{failed} after {} tries", job.attempts)),
                    TableCell::text(job.last_error.clone().unwrap_or_default()),
                    TableCell::html(inline_form(&format!("/jobs/{}/retry", job.id), &self.page.csrf, &retry)),
                ]
            })
            .collect();
        Table { rows, ..Table::with_hidden_caption("Failed jobs", head) }
    }

    /// The jobs waiting to run.
    fn pending_table(&self) -> crate::components::Table {
        use crate::components::{Table, TableCell};
        let head = ["Job", "Due", "Tries", "Last error"].map(TableCell::text).to_vec();
        let rows = self
            .queue
            .pending
            .iter()
            .map(|job| {
                vec![
                    job_cell(&job.kind, &job.summary),
                    TableCell::text(when(job.run_at)),
                    TableCell::text(format!("{} of {}", job.attempts, job.max_attempts)),
                    TableCell::text(job.last_error.clone().unwrap_or_default()),
                ]
            })
            .collect();
        Table { rows, ..Table::with_hidden_caption("Waiting jobs", head) }
    }
}

/// A job's kind, with what it is about under it.
fn job_cell(kind: &str, summary: &str) -> crate::components::TableCell {
    use crate::components::escape;
    crate::components::TableCell::html(format!(
        "{}<br><span class=\"govuk-body-s\">{}</span>",
        escape(kind),
        escape(summary)
    ))
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
