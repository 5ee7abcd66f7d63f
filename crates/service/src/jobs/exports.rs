//! The export jobs: `run_export` writes one export asked for on a page or through the API into
//! object storage; `remove_expired_exports` removes the files whose time is up (hourly);
//! `scheduled_exports` writes every collection's nightly feed with its manifest.

use formwork_jobs::{Job, JobError, Retry};
use serde::{Deserialize, Serialize};

use super::JobContext;
use crate::ServiceError;

/// Write one export as a file.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct RunExport {
    /// The export's id.
    pub export: String,
}

impl RunExport {
    /// The job's kind.
    pub const KIND_NAME: &'static str = "run_export";
}

impl Job for RunExport {
    const KIND: &'static str = RunExport::KIND_NAME;
    const RETRY: Retry = Retry::DEFAULT;
    type Context = JobContext;

    async fn run(self, ctx: &JobContext) -> Result<(), JobError> {
        match crate::exports::run_job(&ctx.app, &ctx.files, &self.export).await {
            Ok(()) | Err(ServiceError::NotFound(_)) => Ok(()),
            Err(e @ ServiceError::Unavailable(_)) => Err(JobError::retry(e)),
            // A fault of ours would recur: the export says it failed (never "being prepared" for
            // ever); the worker logs why.
            Err(e) => {
                if let Err(again) = crate::exports::fail_job(&ctx.app, &self.export).await {
                    return Err(JobError::retry(again));
                }
                Err(JobError::permanent(e))
            }
        }
    }
}

/// Remove the files of exports whose time is up.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct RemoveExpiredExports {}

impl RemoveExpiredExports {
    /// The job's kind.
    pub const KIND_NAME: &'static str = "remove_expired_exports";
}

impl Job for RemoveExpiredExports {
    const KIND: &'static str = RemoveExpiredExports::KIND_NAME;
    const RETRY: Retry = Retry::DEFAULT;
    type Context = JobContext;

    async fn run(self, ctx: &JobContext) -> Result<(), JobError> {
        let removed = crate::exports::remove_expired(&ctx.app, &ctx.files).await.map_err(JobError::retry)?;
        if removed > 0 {
            tracing::info!(removed, "expired exports removed");
        }
        Ok(())
    }
}

/// Write every scheduled export (the nightly feeds).
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct ScheduledExports {}

impl ScheduledExports {
    /// The job's kind.
    pub const KIND_NAME: &'static str = "scheduled_exports";
}

impl Job for ScheduledExports {
    const KIND: &'static str = ScheduledExports::KIND_NAME;
    const RETRY: Retry = Retry::DEFAULT;
    type Context = JobContext;

    async fn run(self, ctx: &JobContext) -> Result<(), JobError> {
        let ran = crate::exports::run_feeds(&ctx.app, &ctx.files).await.map_err(JobError::retry)?;
        tracing::info!(ran, "scheduled exports written");
        Ok(())
    }
}

/// What the queue page says an export job is about.
pub(crate) fn summary(payload: &serde_json::Value) -> String {
    match payload.get("export").and_then(serde_json::Value::as_str) {
        Some(id) => format!("Write export {id}"),
        None => "Write an export".into(),
    }
}
