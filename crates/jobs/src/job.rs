//! What a job is: a kind, a typed payload stored as JSON, a retry policy and a body.

use formwork_store::{AnyConnection, StoreError, jobs};
use serde::Serialize;
use serde::de::DeserializeOwned;

/// Any error a job body reports, kept as the source of its [`JobError`].
pub type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// Why a job did not finish.
#[derive(Debug, thiserror::Error)]
pub enum JobError {
    /// It can never succeed (a payload that cannot be read, a message that cannot be built):
    /// it fails for good at once.
    #[error("{0}")]
    Permanent(#[source] BoxError),
    /// It may succeed later (a server that did not answer): it is retried with backoff.
    #[error("{0}")]
    Retry(#[source] BoxError),
    /// The database failed: retried with backoff.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The worker's lease ended while the job ran and another worker took it over: this worker
    /// stops and leaves the job to that one.
    #[error("the job's lease was taken over by another worker")]
    LeaseLost,
}

impl JobError {
    /// A failure that can never succeed.
    pub fn permanent(e: impl Into<BoxError>) -> JobError {
        JobError::Permanent(e.into())
    }

    /// A failure that may succeed later.
    pub fn retry(e: impl Into<BoxError>) -> JobError {
        JobError::Retry(e.into())
    }
}

/// How often a job is tried, and how long to wait between tries.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Retry {
    /// Tries in all, the first included.
    pub max_attempts: i64,
    /// The wait before the first retry (ms); each later wait doubles it.
    pub first_wait: i64,
    /// The longest wait (ms).
    pub max_wait: i64,
}

impl Retry {
    /// The default: 10 tries, waiting 30 s, 1 min, 2 min, … up to an hour (about four hours in all).
    pub const DEFAULT: Retry = Retry { max_attempts: 10, first_wait: 30_000, max_wait: 3_600_000 };

    /// The wait before retry `attempt` (counted from 1).
    pub fn wait(&self, attempt: i64) -> i64 {
        let shift = u32::try_from(attempt.clamp(1, 32) - 1).unwrap_or(0);
        self.first_wait.saturating_mul(1i64 << shift.min(30)).min(self.max_wait)
    }
}

/// A kind of job. Its value is the payload, stored as JSON when enqueued and read back when run;
/// `Context` is what its body works with (the service, the object store, the mailer).
pub trait Job: Serialize + DeserializeOwned + Send + 'static {
    /// The kind stored with each job (`send_email`); never change it once jobs of it exist.
    const KIND: &'static str;
    /// How often it is tried.
    const RETRY: Retry = Retry::DEFAULT;
    /// What the body works with.
    type Context: Send + Sync + 'static;

    /// Do the job. Called at least once per enqueue, so it must be safe to run twice.
    fn run(self, ctx: &Self::Context) -> impl Future<Output = Result<(), JobError>> + Send;
}

/// Enqueue `job` due at `run_at` on `conn` — usually the transaction of the change that calls for
/// it, so the job exists exactly when the change is committed. Its id.
pub async fn enqueue<J: Job>(
    conn: &mut AnyConnection,
    job: &J,
    run_at: i64,
    now: i64,
) -> Result<String, StoreError> {
    let payload = serde_json::to_value(job).map_err(StoreError::Encode)?;
    jobs::enqueue(conn, J::KIND, &payload, J::RETRY.max_attempts, run_at, now).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_default_backoff_doubles_to_an_hour() {
        let r = Retry::DEFAULT;
        assert_eq!(r.wait(1), 30_000);
        assert_eq!(r.wait(2), 60_000);
        assert_eq!(r.wait(4), 240_000);
        assert_eq!(r.wait(20), 3_600_000);
        assert_eq!(r.wait(i64::MAX), 3_600_000, "no overflow however many attempts");
    }
}
