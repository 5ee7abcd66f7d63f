//! Which jobs a worker knows: kind → body and retry policy, and the recurring ones with their
//! schedules. Replaces matching kinds by string: a job is registered by its type.

use std::collections::HashMap;
use std::pin::Pin;
use std::sync::Arc;

use crate::{Job, JobError, Retry, Schedule};

/// A job body, type-erased: reads the payload into the job's type and runs it.
pub(crate) type Body<C> =
    Box<dyn Fn(Arc<C>, String) -> Pin<Box<dyn Future<Output = Result<(), JobError>> + Send>> + Send + Sync>;

/// A job that is enqueued by the worker itself, once per slot of its schedule.
pub(crate) struct Recurring {
    /// The job's kind (a recurring job's name).
    pub kind: &'static str,
    pub schedule: Schedule,
    pub payload: serde_json::Value,
    pub max_attempts: i64,
}

pub(crate) struct Registered<C> {
    pub body: Body<C>,
    pub retry: Retry,
}

/// The jobs a worker runs, all working with the context `C`.
pub struct Registry<C> {
    pub(crate) jobs: HashMap<&'static str, Registered<C>>,
    pub(crate) recurring: Vec<Recurring>,
}

impl<C> std::fmt::Debug for Registry<C> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let mut kinds: Vec<_> = self.jobs.keys().collect();
        kinds.sort();
        f.debug_struct("Registry")
            .field("jobs", &kinds)
            .field("recurring", &self.recurring.iter().map(|r| (r.kind, r.schedule)).collect::<Vec<_>>())
            .finish()
    }
}

impl<C: Send + Sync + 'static> Default for Registry<C> {
    fn default() -> Self {
        Registry { jobs: HashMap::new(), recurring: Vec::new() }
    }
}

impl<C: Send + Sync + 'static> Registry<C> {
    /// No jobs yet.
    pub fn new() -> Self {
        Registry::default()
    }

    /// Run jobs of kind `J::KIND` with `J`'s body.
    #[must_use]
    pub fn register<J: Job<Context = C>>(mut self) -> Self {
        let body: Body<C> = Box::new(|ctx: Arc<C>, payload: String| {
            Box::pin(async move {
                let job: J = serde_json::from_str(&payload).map_err(JobError::permanent)?;
                job.run(&ctx).await
            })
        });
        self.jobs.insert(J::KIND, Registered { body, retry: J::RETRY });
        self
    }

    /// Run `job` once per slot of `schedule` (and register its kind), however many workers run.
    #[must_use]
    pub fn recurring<J: Job<Context = C>>(mut self, job: &J, schedule: Schedule) -> Self {
        // A job's own type serialises without failing; a payload that did would be refused when
        // it runs, which the queue page shows.
        let payload = serde_json::to_value(job).unwrap_or(serde_json::Value::Null);
        self.recurring.push(Recurring {
            kind: J::KIND,
            schedule,
            payload,
            max_attempts: J::RETRY.max_attempts,
        });
        self.register::<J>()
    }

    /// The kinds registered, sorted.
    pub fn kinds(&self) -> Vec<&'static str> {
        let mut kinds: Vec<_> = self.jobs.keys().copied().collect();
        kinds.sort_unstable();
        kinds
    }
}
