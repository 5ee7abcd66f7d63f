//! The job queue as service admins see it: what is waiting, what failed and why, and retrying.

use formwork_store::audit::{self, AuditEvent};
use formwork_store::jobs::{self, Job};
use serde::Serialize;

use crate::policy::{Action, check};
use crate::{Actor, App, Result, ServiceError};

/// A job as admins see it: never its payload (an email's links are secrets), only a summary.
#[derive(Clone, Debug, Serialize)]
pub struct JobView {
    /// Its id.
    pub id: String,
    /// What it does.
    pub kind: String,
    /// What it is about, e.g. the address of an email.
    pub summary: String,
    /// Tries so far.
    pub attempts: i64,
    /// Tries allowed.
    pub max_attempts: i64,
    /// When it is next due (ms since 1970).
    pub run_at: i64,
    /// Its last error.
    pub last_error: Option<String>,
    /// When it failed for good.
    pub failed_at: Option<i64>,
    /// When it was enqueued.
    pub created_at: i64,
}

impl From<Job> for JobView {
    fn from(job: Job) -> JobView {
        let payload: serde_json::Value = serde_json::from_str(&job.payload).unwrap_or_default();
        let summary = crate::jobs::summary(&job.kind, &payload);
        JobView {
            id: job.id,
            kind: job.kind,
            summary,
            attempts: job.attempts,
            max_attempts: job.max_attempts,
            run_at: job.run_at,
            last_error: job.last_error,
            failed_at: job.failed_at,
            created_at: job.created_at,
        }
    }
}

/// The queue: waiting jobs (soonest first) and failed ones (newest first), up to 200 each.
#[derive(Clone, Debug, Serialize)]
pub struct Queue {
    /// Waiting or running.
    pub pending: Vec<JobView>,
    /// Failed for good.
    pub failed: Vec<JobView>,
}

/// The queue (service admins).
pub async fn list(app: &App, actor: &Actor) -> Result<Queue> {
    check(actor, Action::ManageJobs)?;
    let mut conn = app.store.conn().await?;
    let pending = jobs::pending(&mut conn, 200).await?.into_iter().map(JobView::from).collect();
    let failed = jobs::failed(&mut conn, 200).await?.into_iter().map(JobView::from).collect();
    Ok(Queue { pending, failed })
}

/// Run a failed job again, from its first attempt.
pub async fn retry(app: &App, actor: &Actor, id: &str) -> Result<()> {
    check(actor, Action::ManageJobs)?;
    let mut conn = app.store.conn().await?;
    jobs::retry(&mut conn, id, app.now())
        .await
        .map_err(|_| ServiceError::NotFound("There is no failed job with this id".into()))?;
    let event = AuditEvent::JobRetried { job: id.to_string() };
    audit::record(&mut conn, actor.user_id(), &event, app.now()).await?;
    app.wake_worker();
    Ok(())
}

/// How many jobs are waiting or running, and how many have failed for good: for `/metrics`, which
/// its own token guards, so no person's policy applies.
pub async fn counts(app: &App) -> Result<(i64, i64)> {
    let mut conn = app.store.conn().await?;
    Ok(jobs::counts(&mut conn).await?)
}
