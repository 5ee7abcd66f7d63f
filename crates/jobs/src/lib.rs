//! Background jobs. A job is a row in the database's job queue, enqueued in the same transaction as
//! the change that needs it (see [`formwork_store::jobs`]). The [`Worker`] claims due jobs one at a
//! time under a lease, runs them, and removes them when done; a failure is retried with backoff
//! until the job's attempts are used up, then kept for administrators to see and retry. A worker
//! killed mid-job loses nothing: its lease ends and another worker runs the job again, so every job
//! is written to be safe to run twice.
//!
//! One module per job; [`run`] dispatches on the job's kind.

mod send_email;

use std::sync::Arc;
use std::time::Duration;

use formwork_mail::Mailer;
use formwork_store::{Clock, Store, StoreError, jobs};
use tokio::sync::{Notify, watch};

pub use send_email::{SEND_EMAIL, enqueue_email};

/// Why a job failed.
#[derive(Debug, thiserror::Error)]
pub enum JobError {
    /// The job's payload cannot be read: retrying will not help.
    #[error("the job's payload is not valid: {0}")]
    Payload(String),
    /// The job did not finish; it will be retried.
    #[error("{0}")]
    Failed(String),
    /// The database failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// What jobs need to run.
#[derive(Clone, Debug)]
pub struct Context {
    /// The database.
    pub store: Store,
    /// Where emails go.
    pub mailer: Mailer,
    /// The time.
    pub clock: Clock,
}

/// How long a worker holds a job before another may take it.
const LEASE: i64 = 5 * 60 * 1000;

/// The wait before retry `attempt` (from 1): 30 s, 1 min, 2 min, … up to an hour.
pub fn backoff(attempt: i64) -> i64 {
    let shift = u32::try_from(attempt.clamp(1, 8) - 1).unwrap_or(0);
    (30_000i64 << shift).min(3_600_000)
}

async fn dispatch(ctx: &Context, job: &jobs::Job) -> Result<(), JobError> {
    match job.kind.as_str() {
        SEND_EMAIL => send_email::run(ctx, &job.payload).await,
        other => Err(JobError::Payload(format!("no job is called “{other}”"))),
    }
}

/// Runs jobs from the queue.
#[derive(Clone, Debug)]
pub struct Worker {
    ctx: Context,
    id: String,
    /// Wakes the worker when a job is enqueued by this process.
    wake: Arc<Notify>,
    poll: Duration,
}

impl Worker {
    /// A worker named `id` (unique per process, for leases and logs).
    pub fn new(ctx: Context, id: impl Into<String>) -> Worker {
        Worker { ctx, id: id.into(), wake: Arc::new(Notify::new()), poll: Duration::from_secs(2) }
    }

    /// A handle that wakes this worker at once (call after enqueuing in the same process).
    pub fn waker(&self) -> Arc<Notify> {
        Arc::clone(&self.wake)
    }

    /// Run one due job, if there is one; true if a job was run (whatever its outcome).
    pub async fn run_one(&self) -> Result<bool, StoreError> {
        let now = self.ctx.clock.now();
        let job = {
            let mut conn = self.ctx.store.conn().await?;
            jobs::claim(&mut conn, &self.id, now, now + LEASE).await?
        };
        let Some(job) = job else { return Ok(false) };
        let started = std::time::Instant::now();
        let outcome = dispatch(&self.ctx, &job).await;
        let mut conn = self.ctx.store.conn().await?;
        match outcome {
            Ok(()) => {
                jobs::complete(&mut conn, &job.id, &self.id).await?;
                tracing::info!(job.id = %job.id, job.kind = %job.kind, job.attempt = job.attempts, job.ms = started.elapsed().as_millis() as u64, "ran a job");
            }
            Err(e) => {
                let now = self.ctx.clock.now();
                // A payload that cannot be read will never run: fail it for good at once.
                let final_attempt = matches!(e, JobError::Payload(_)) || job.attempts >= job.max_attempts;
                if matches!(e, JobError::Payload(_)) {
                    jobs::exhaust(&mut conn, &job.id).await?;
                }
                jobs::fail(&mut conn, &job.id, &self.id, &e.to_string(), now + backoff(job.attempts), now)
                    .await?;
                if final_attempt {
                    tracing::error!(job.id = %job.id, job.kind = %job.kind, job.attempt = job.attempts, error = %e, "a job failed for good");
                } else {
                    tracing::warn!(job.id = %job.id, job.kind = %job.kind, job.attempt = job.attempts, error = %e, "a job failed; it will be retried");
                }
            }
        }
        Ok(true)
    }

    /// Run every job that is due now (tests, and `formwork worker --once`); how many ran.
    pub async fn run_due(&self) -> Result<usize, StoreError> {
        let mut ran = 0;
        while self.run_one().await? {
            ran += 1;
        }
        Ok(ran)
    }

    /// Run jobs until `shutdown` turns true, then finish the job in hand and stop. A database that
    /// goes away is waited for.
    pub async fn run(self, mut shutdown: watch::Receiver<bool>) {
        tracing::info!(worker = %self.id, "the job worker started");
        loop {
            if *shutdown.borrow() {
                break;
            }
            match self.run_one().await {
                Ok(true) => continue,
                Ok(false) => {}
                Err(e) => {
                    tracing::warn!(worker = %self.id, error = %e, "the job worker cannot reach the database; it will try again")
                }
            }
            tokio::select! {
                _ = shutdown.changed() => {}
                () = self.wake.notified() => {}
                () = tokio::time::sleep(self.poll) => {}
            }
        }
        tracing::info!(worker = %self.id, "the job worker stopped");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_to_an_hour() {
        assert_eq!(backoff(1), 30_000);
        assert_eq!(backoff(2), 60_000);
        assert_eq!(backoff(4), 240_000);
        assert_eq!(backoff(20), 3_600_000);
    }
}
