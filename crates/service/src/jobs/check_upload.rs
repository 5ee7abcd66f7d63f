//! `check_upload`: check an uploaded file and, when it passes, store its records (or its table's
//! rows). The body is [`crate::uploads::process`], which is safe to run again after a worker died
//! at any point: what it stores goes in with the upload's one move to `stored`.

use formwork_jobs::{Job, JobError, Retry};
use serde::{Deserialize, Serialize};

use super::JobContext;
use crate::ServiceError;

/// Check (and store) one upload.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct CheckUpload {
    /// The upload's id.
    pub upload: String,
}

impl CheckUpload {
    /// The job's kind.
    pub const KIND_NAME: &'static str = "check_upload";
}

impl Job for CheckUpload {
    const KIND: &'static str = CheckUpload::KIND_NAME;
    const RETRY: Retry = Retry::DEFAULT;
    type Context = JobContext;

    async fn run(self, ctx: &JobContext) -> Result<(), JobError> {
        match crate::uploads::process(&ctx.app, &ctx.files, &self.upload).await {
            Ok(()) => Ok(()),
            // The upload was deleted with its organisation or collection: nothing left to do.
            Err(ServiceError::NotFound(_)) => Ok(()),
            // The database or storage is away for now: try again later.
            Err(e @ ServiceError::Unavailable(_)) => Err(JobError::retry(e)),
            // A fault of ours would recur: the upload says so (never left "being checked"), and a
            // service admin checks it again once it is put right. The worker logs the failure.
            Err(e) => {
                if let Err(again) = crate::uploads::fail_with_fault(&ctx.app, &self.upload).await {
                    return Err(JobError::retry(again));
                }
                Err(JobError::permanent(e))
            }
        }
    }
}

/// What the queue page says the job is about.
pub(crate) fn summary(payload: &serde_json::Value) -> String {
    match payload.get("upload").and_then(serde_json::Value::as_str) {
        Some(id) => format!("Check upload {id}"),
        None => "Check an upload".into(),
    }
}
