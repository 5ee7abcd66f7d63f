//! `send_email`: send one email. Enqueued with the change that calls for it (an invitation, a
//! password reset), so an email is sent exactly when its change is committed. Sending twice after a
//! crash is possible and harmless (the link in it is the same).

use formwork_mail::Email;
use formwork_store::{AnyConnection, StoreError, jobs};

use crate::{Context, JobError};

/// The job's kind.
pub const SEND_EMAIL: &str = "send_email";

/// How many times an email is tried (over about four hours with backoff).
const ATTEMPTS: i64 = 10;

/// Enqueue an email on `conn` (usually the transaction of the change that calls for it).
pub async fn enqueue_email(conn: &mut AnyConnection, email: &Email, now: i64) -> Result<String, StoreError> {
    let payload = serde_json::to_value(email).map_err(|e| StoreError::Database(e.to_string()))?;
    jobs::enqueue(conn, SEND_EMAIL, &payload, ATTEMPTS, now, now).await
}

pub(crate) async fn run(ctx: &Context, payload: &str) -> Result<(), JobError> {
    let email: Email = serde_json::from_str(payload).map_err(|e| JobError::Payload(e.to_string()))?;
    ctx.mailer.send(&email).await.map_err(|e| match e {
        formwork_mail::MailError::Message(_) | formwork_mail::MailError::Config(_) => {
            JobError::Payload(e.to_string())
        }
        formwork_mail::MailError::Send(_) => JobError::Failed(e.to_string()),
    })
}
