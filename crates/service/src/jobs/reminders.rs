//! `send_reminders`: the recurring job that sends each reminder before a return's due date, and one
//! overdue notice after it, to the organisation's people for that collection. It runs every hour
//! (a worker that was down catches up when it starts); what it sends is claimed in the database, so
//! each reminder goes once however many workers run it or however often.

use formwork_jobs::{Job, JobError};
use serde::{Deserialize, Serialize};

use super::JobContext;

/// Send the reminders and overdue notices that have come.
#[derive(Clone, Copy, Debug, Default, Serialize, Deserialize)]
pub struct SendReminders;

impl SendReminders {
    /// The job's kind.
    pub const KIND_NAME: &'static str = "send_reminders";
}

impl Job for SendReminders {
    const KIND: &'static str = SendReminders::KIND_NAME;
    type Context = JobContext;

    async fn run(self, ctx: &JobContext) -> Result<(), JobError> {
        let sent = crate::lifecycle::send_reminders(&ctx.app).await.map_err(JobError::retry)?;
        if sent.reminders + sent.overdue > 0 {
            tracing::info!(reminders = sent.reminders, overdue = sent.overdue, "sent reminders");
        }
        Ok(())
    }
}
