//! `send_email`: send one email. Enqueued with the change that calls for it (an invitation, a
//! password reset), so an email is sent exactly when its change is committed. Sending twice after a
//! crash is possible and harmless (the link in it is the same).

use formwork_jobs::{Job, JobError};
use formwork_mail::{Email, MailError};
use formwork_store::{AnyConnection, StoreError};
use serde::{Deserialize, Serialize};

use super::JobContext;

/// Send `0`.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(transparent)]
pub struct SendEmail(pub Email);

impl SendEmail {
    /// The job's kind, for matching stored jobs.
    pub const KIND_NAME: &'static str = "send_email";

    /// Enqueue `email` on `conn` (usually the transaction of the change that calls for it).
    pub async fn enqueue(conn: &mut AnyConnection, email: Email, now: i64) -> Result<String, StoreError> {
        formwork_jobs::enqueue(conn, &SendEmail(email), now, now).await
    }
}

impl Job for SendEmail {
    const KIND: &'static str = SendEmail::KIND_NAME;
    type Context = JobContext;

    async fn run(self, ctx: &JobContext) -> Result<(), JobError> {
        ctx.mailer.send(&self.0).await.map_err(|e| match e {
            MailError::Message(_) | MailError::Config(_) => JobError::permanent(e),
            MailError::Send(_) => JobError::retry(e),
        })
    }
}

/// "Email to …: subject", for the queue page (the body holds links that are secrets).
pub(super) fn summary(payload: &serde_json::Value) -> String {
    format!(
        "Email to {}: {}",
        payload["to"].as_str().unwrap_or("?"),
        payload["subject"].as_str().unwrap_or("?")
    )
}
