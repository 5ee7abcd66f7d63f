//! The worker: claims due jobs one at a time under a lease, keeps the lease alive while the job runs,
//! records the outcome, and enqueues recurring jobs when their slot comes.

use std::sync::Arc;
use std::time::{Duration, Instant};

use formwork_store::jobs::{self, Job as Row};
use formwork_store::{Clock, Store, StoreError};
use tokio::sync::{Notify, watch};

use crate::JobError;
use crate::registry::Registry;

/// How long a claim or a heartbeat holds a job before another worker may take it over (ms).
const LEASE: i64 = 60_000;

/// Runs jobs from the queue with the context `C`.
pub struct Worker<C> {
    store: Store,
    clock: Clock,
    ctx: Arc<C>,
    registry: Arc<Registry<C>>,
    id: String,
    /// Wakes the worker when a job is enqueued by this process.
    wake: Arc<Notify>,
    poll: Duration,
    lease: i64,
    heartbeat: Duration,
}

impl<C> Clone for Worker<C> {
    fn clone(&self) -> Self {
        Worker {
            store: self.store.clone(),
            clock: self.clock.clone(),
            ctx: Arc::clone(&self.ctx),
            registry: Arc::clone(&self.registry),
            id: self.id.clone(),
            wake: Arc::clone(&self.wake),
            poll: self.poll,
            lease: self.lease,
            heartbeat: self.heartbeat,
        }
    }
}

impl<C> std::fmt::Debug for Worker<C> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Worker")
            .field("id", &self.id)
            .field("registry", &self.registry)
            .finish_non_exhaustive()
    }
}

impl<C: Send + Sync + 'static> Worker<C> {
    /// A worker named `id` (unique per process, for leases and logs) running the jobs of `registry`
    /// with `ctx`.
    pub fn new(
        store: Store,
        clock: Clock,
        ctx: C,
        registry: Registry<C>,
        id: impl Into<String>,
    ) -> Worker<C> {
        Worker {
            store,
            clock,
            ctx: Arc::new(ctx),
            registry: Arc::new(registry),
            id: id.into(),
            wake: Arc::new(Notify::new()),
            poll: Duration::from_secs(2),
            lease: LEASE,
            heartbeat: Duration::from_millis(u64::try_from(LEASE / 3).unwrap_or(20_000)),
        }
    }

    /// Another worker of this process, sharing the context and the jobs, named `id`.
    pub fn sibling(&self, id: impl Into<String>) -> Worker<C> {
        Worker { id: id.into(), wake: Arc::new(Notify::new()), ..self.clone() }
    }

    /// Hold jobs for `lease` ms per claim or heartbeat, renewing every `heartbeat` while a job
    /// runs (the heartbeat must come well within the lease).
    #[must_use]
    pub fn with_lease(mut self, lease: i64, heartbeat: Duration) -> Self {
        self.lease = lease;
        self.heartbeat = heartbeat;
        self
    }

    /// Wake this worker with `wake` (shared with the operations that enqueue jobs in this process).
    #[must_use]
    pub fn with_waker(mut self, wake: Arc<Notify>) -> Self {
        self.wake = wake;
        self
    }

    /// A handle that wakes this worker at once (call after enqueuing in the same process).
    pub fn waker(&self) -> Arc<Notify> {
        Arc::clone(&self.wake)
    }

    /// The jobs' context.
    pub fn context(&self) -> &C {
        &self.ctx
    }

    /// Enqueue the recurring jobs whose slot has come and has not been enqueued by any worker;
    /// how many were enqueued.
    pub async fn enqueue_recurring(&self) -> Result<usize, StoreError> {
        let mut enqueued = 0;
        for recurring in &self.registry.recurring {
            let now = self.clock.now();
            let slot = recurring.schedule.slot(now);
            let mut tx = self.store.begin().await?;
            let claimed = jobs::claim_slot(&mut tx, recurring.kind, slot, now).await?;
            if claimed {
                jobs::enqueue(&mut tx, recurring.kind, &recurring.payload, recurring.max_attempts, now, now)
                    .await?;
            }
            tx.commit().await?;
            if claimed {
                tracing::info!(job.kind = recurring.kind, job.slot = slot, "enqueued a recurring job");
                enqueued += 1;
            }
        }
        Ok(enqueued)
    }

    /// Run one due job, if there is one; true if a job was run (whatever its outcome).
    pub async fn run_one(&self) -> Result<bool, StoreError> {
        let now = self.clock.now();
        let job = {
            let mut conn = self.store.conn().await?;
            jobs::claim(&mut conn, &self.id, now, now + self.lease).await?
        };
        let Some(job) = job else { return Ok(false) };
        let started = Instant::now();
        let outcome = self.run_holding_lease(&job).await;
        self.record(&job, outcome, started).await?;
        Ok(true)
    }

    /// Run `job`'s body while renewing its lease every heartbeat. A worker that dies mid-job stops
    /// both together, so its lease runs out and another worker takes the job over.
    async fn run_holding_lease(&self, job: &Row) -> Result<(), JobError> {
        let Some(registered) = self.registry.jobs.get(job.kind.as_str()) else {
            return Err(JobError::permanent(format!("no job is called “{}”", job.kind)));
        };
        let body = (registered.body)(Arc::clone(&self.ctx), job.payload.clone());
        tokio::pin!(body);
        let mut beat = tokio::time::interval(self.heartbeat);
        beat.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        beat.tick().await; // the first tick is at once: the claim has just set the lease
        loop {
            tokio::select! {
                outcome = &mut body => return outcome,
                _ = beat.tick() => {
                    let until = self.clock.now() + self.lease;
                    let renewed = match self.store.conn().await {
                        Ok(mut conn) => jobs::renew(&mut conn, &job.id, &self.id, until).await,
                        Err(e) => Err(e),
                    };
                    match renewed {
                        Ok(true) => {}
                        Ok(false) => return Err(JobError::LeaseLost),
                        // The database may come back before the lease ends: keep working.
                        Err(e) => tracing::warn!(job.id = %job.id, error = %e, "a job's lease could not be renewed; trying again"),
                    }
                }
            }
        }
    }

    async fn record(
        &self,
        job: &Row,
        outcome: Result<(), JobError>,
        started: Instant,
    ) -> Result<(), StoreError> {
        let ms = u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX);
        let mut conn = self.store.conn().await?;
        let e = match outcome {
            Ok(()) => {
                if jobs::complete(&mut conn, &job.id, &self.id).await? {
                    tracing::info!(job.id = %job.id, job.kind = %job.kind, job.attempt = job.attempts, job.ms = ms, "ran a job");
                } else {
                    tracing::warn!(job.id = %job.id, job.kind = %job.kind, job.ms = ms, "a job finished after its lease was taken over; the other worker's run counts");
                }
                return Ok(());
            }
            Err(JobError::LeaseLost) => {
                tracing::warn!(job.id = %job.id, job.kind = %job.kind, job.ms = ms, "stopped a job whose lease another worker took over");
                return Ok(());
            }
            Err(e) => e,
        };
        let retry = self.registry.jobs.get(job.kind.as_str()).map_or(crate::Retry::DEFAULT, |r| r.retry);
        let permanent = matches!(e, JobError::Permanent(_));
        if permanent {
            jobs::exhaust(&mut conn, &job.id, &self.id).await?;
        }
        let now = self.clock.now();
        let message = error_chain(&e);
        if !jobs::fail(&mut conn, &job.id, &self.id, &message, now + retry.wait(job.attempts), now).await? {
            tracing::warn!(job.id = %job.id, job.kind = %job.kind, error = %message, "a job failed after its lease was taken over; the other worker's run counts");
        } else if permanent || job.attempts >= job.max_attempts {
            tracing::error!(job.id = %job.id, job.kind = %job.kind, job.attempt = job.attempts, error = %message, "a job failed for good");
        } else {
            tracing::warn!(job.id = %job.id, job.kind = %job.kind, job.attempt = job.attempts, error = %message, "a job failed; it will be retried");
        }
        Ok(())
    }

    /// Enqueue due recurring jobs, then run every job that is due now (tests, and
    /// `formwork worker --once`); how many jobs ran.
    pub async fn run_due(&self) -> Result<usize, StoreError> {
        self.enqueue_recurring().await?;
        let mut ran = 0;
        while self.run_one().await? {
            ran += 1;
        }
        Ok(ran)
    }

    /// Run jobs until `shutdown` turns true, then finish the job in hand and stop. A database that
    /// goes away is waited for.
    pub async fn run(self, mut shutdown: watch::Receiver<bool>) {
        tracing::info!(worker = %self.id, jobs = ?self.registry.kinds(), "the job worker started");
        loop {
            if *shutdown.borrow() {
                break;
            }
            let step = match self.enqueue_recurring().await {
                Ok(_) => self.run_one().await,
                Err(e) => Err(e),
            };
            match step {
                Ok(true) => continue,
                Ok(false) => {}
                Err(e) => {
                    tracing::warn!(worker = %self.id, error = %error_chain(&e), "the job worker cannot reach the database; it will try again")
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

/// An error and its sources, for a job's `last_error` and the log.
fn error_chain(e: &dyn std::error::Error) -> String {
    let mut text = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        let next = s.to_string();
        if !text.ends_with(&next) {
            text.push_str(": ");
            text.push_str(&next);
        }
        source = s.source();
    }
    text
}
