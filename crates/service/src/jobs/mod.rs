//! The bodies of formwork's background jobs, one module per job, above the service so that they use
//! its rules, its definition cache, the object store and the mailer. The queue itself (leases,
//! retries, recurring slots) is `formwork_jobs`; [`registry`] lists every job a worker runs.

mod check_upload;
mod exports;
mod reminders;
mod send_email;

use formwork_files::Files;
use formwork_jobs::{Registry, Schedule, Worker};
use formwork_mail::Mailer;

use crate::App;

pub use check_upload::CheckUpload;
pub use exports::{RemoveExpiredExports, RunExport, ScheduledExports};
pub use reminders::SendReminders;
pub use send_email::SendEmail;

/// What job bodies work with.
#[derive(Clone, Debug)]
pub struct JobContext {
    /// The operations, with the database and the clock.
    pub app: App,
    /// Where files are kept.
    pub files: Files,
    /// Where emails go.
    pub mailer: Mailer,
}

/// Every job formwork runs.
pub fn registry() -> Registry<JobContext> {
    Registry::new()
        .register::<SendEmail>()
        .register::<CheckUpload>()
        .register::<RunExport>()
        .recurring(&SendReminders, Schedule::Every(3_600_000))
        .recurring(&RemoveExpiredExports {}, Schedule::Every(3_600_000))
        // The nightly feeds to data warehouses, after the day's work and before the next.
        .recurring(&ScheduledExports {}, Schedule::daily(2, 0))
}

/// A worker for every job formwork runs, named `id`; it wakes when `ctx.app` enqueues a job.
pub fn worker(ctx: JobContext, id: impl Into<String>) -> Worker<JobContext> {
    worker_of(ctx, registry(), id)
}

/// A worker that runs every queued job but enqueues no recurring one: for tests that count the
/// jobs their actions queue, which the hourly reminders would join whenever the clock moves.
pub fn worker_without_schedules(ctx: JobContext, id: impl Into<String>) -> Worker<JobContext> {
    worker_of(
        ctx,
        Registry::new()
            .register::<SendEmail>()
            .register::<SendReminders>()
            .register::<CheckUpload>()
            .register::<RunExport>()
            .register::<RemoveExpiredExports>()
            .register::<ScheduledExports>(),
        id,
    )
}

fn worker_of(ctx: JobContext, registry: Registry<JobContext>, id: impl Into<String>) -> Worker<JobContext> {
    let store = ctx.app.store.clone();
    let clock = ctx.app.clock.clone();
    let wake = ctx.app.waker();
    let worker = Worker::new(store, clock, ctx, registry, id);
    match wake {
        Some(wake) => worker.with_waker(wake),
        None => worker,
    }
}

/// A summary of a job for the queue page: what it is about, never its secrets.
pub(crate) fn summary(kind: &str, payload: &serde_json::Value) -> String {
    match kind {
        SendEmail::KIND_NAME => send_email::summary(payload),
        SendReminders::KIND_NAME => "Reminders and overdue notices for returns".into(),
        CheckUpload::KIND_NAME => check_upload::summary(payload),
        RunExport::KIND_NAME => exports::summary(payload),
        RemoveExpiredExports::KIND_NAME => "Remove the files of expired exports".into(),
        ScheduledExports::KIND_NAME => "Write the scheduled exports (nightly feeds)".into(),
        _ => String::new(),
    }
}
