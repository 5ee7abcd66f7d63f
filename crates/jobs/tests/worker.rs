//! The job queue on SQLite and PostgreSQL: jobs exist exactly when their change commits, are retried
//! with backoff, keep their lease while they run however long, are taken over from a worker that
//! dies, are never finished twice, and recurring jobs run once per slot however many workers run.

#![expect(
    clippy::expect_used,
    clippy::unwrap_used,
    reason = "a test should stop loudly at anything unexpected"
)]

use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use formwork_jobs::{Job, JobError, Registry, Retry, Schedule, Worker, enqueue};
use formwork_store::testing::TestDatabase;
use formwork_store::{Backend, Clock, Store, jobs};
use serde::{Deserialize, Serialize};
use tokio::sync::{Notify, watch};

/// 2026-11-22T10:00:00Z.
const NOW: i64 = 1_795_341_600_000;

/// What the test jobs record, and the gates that hold them mid-run.
#[derive(Default)]
struct Ctx {
    /// Each finished run: (job text, attempt number from 0).
    done: Mutex<Vec<(String, usize)>>,
    /// Runs started, counting from 0.
    attempts: AtomicUsize,
    /// Told each time a run starts.
    started: Notify,
    /// Run `n` waits on `gates[n]`, if there is one.
    gates: Vec<Notify>,
    /// Recurring runs.
    ticks: AtomicUsize,
}

impl Ctx {
    fn with_gates(n: usize) -> Ctx {
        Ctx { gates: (0..n).map(|_| Notify::new()).collect(), ..Ctx::default() }
    }

    fn done(&self) -> Vec<(String, usize)> {
        self.done.lock().unwrap().clone()
    }
}

/// A note to keep: the test job.
#[derive(Serialize, Deserialize)]
struct Note {
    text: String,
    /// Fail (to be retried) on attempts below this.
    fail_before: usize,
    /// Fail on this attempt, for good.
    refuse_on: Option<usize>,
}

impl Note {
    fn new(text: &str) -> Note {
        Note { text: text.into(), fail_before: 0, refuse_on: None }
    }
}

impl Job for Note {
    const KIND: &'static str = "note";
    const RETRY: Retry = Retry { max_attempts: 3, first_wait: 30_000, max_wait: 3_600_000 };
    type Context = Ctx;

    async fn run(self, ctx: &Ctx) -> Result<(), JobError> {
        let n = ctx.attempts.fetch_add(1, Ordering::SeqCst);
        ctx.started.notify_one();
        if let Some(gate) = ctx.gates.get(n) {
            gate.notified().await;
        }
        if self.refuse_on == Some(n) {
            return Err(JobError::permanent("this note can never be kept"));
        }
        if n < self.fail_before {
            return Err(JobError::retry("the notebook is busy"));
        }
        ctx.done.lock().unwrap().push((self.text, n));
        Ok(())
    }
}

/// The daily job.
#[derive(Serialize, Deserialize)]
struct Tick;

impl Job for Tick {
    const KIND: &'static str = "tick";
    type Context = Ctx;

    async fn run(self, ctx: &Ctx) -> Result<(), JobError> {
        ctx.ticks.fetch_add(1, Ordering::SeqCst);
        Ok(())
    }
}

fn worker(store: &Store, clock: &Clock, ctx: Ctx) -> Worker<Ctx> {
    let registry = Registry::new().register::<Note>().recurring(&Tick, Schedule::daily(7, 0));
    Worker::new(store.clone(), clock.clone(), ctx, registry, "w1")
}

async fn on_both<F, Fut>(test: F)
where
    F: Fn(TestDatabase) -> Fut,
    Fut: Future<Output = ()>,
{
    for backend in [Backend::Sqlite, Backend::Postgres] {
        test(
            TestDatabase::new(backend, NOW)
                .await
                .expect("PostgreSQL must be running: scripts/setup starts it"),
        )
        .await;
    }
}

/// Wait (a few seconds at most) for a run of the test job to start.
async fn started(ctx: &Ctx) {
    tokio::time::timeout(Duration::from_secs(10), ctx.started.notified()).await.expect("the job started");
}

#[tokio::test]
async fn a_job_exists_only_if_its_change_commits_and_runs_once() {
    on_both(|db| async move {
        let w = worker(&db.store, &Clock::fixed(NOW), Ctx::default());
        let mut tx = db.store.begin().await.unwrap();
        enqueue(&mut tx, &Note::new("rolled back"), NOW, NOW).await.unwrap();
        tx.rollback().await.unwrap();
        let mut tx = db.store.begin().await.unwrap();
        enqueue(&mut tx, &Note::new("committed"), NOW, NOW).await.unwrap();
        tx.commit().await.unwrap();
        assert_eq!(w.run_due().await.unwrap(), 1);
        assert_eq!(w.run_due().await.unwrap(), 0, "done jobs are gone");
        assert_eq!(w.context().done(), vec![("committed".to_string(), 0)]);
    })
    .await;
}

#[tokio::test]
async fn a_failing_job_is_retried_with_its_backoff_then_waits_for_an_administrator() {
    on_both(|db| async move {
        let clock = Clock::fixed(NOW);
        let w = worker(&db.store, &clock, Ctx::default());
        let mut conn = db.store.conn().await.unwrap();
        let id =
            enqueue(&mut conn, &Note { fail_before: 5, ..Note::new("stubborn") }, NOW, NOW).await.unwrap();
        assert!(w.run_one().await.unwrap());
        let pending = jobs::pending(&mut conn, 10).await.unwrap();
        assert_eq!((pending[0].attempts, pending[0].max_attempts), (1, 3), "the job's own retry policy");
        assert_eq!(pending[0].run_at, NOW + 30_000, "the first retry is 30 seconds later");
        assert_eq!(pending[0].last_error.as_deref(), Some("the notebook is busy"));
        assert!(!w.run_one().await.unwrap(), "not due yet");
        clock.advance(30_000);
        assert!(w.run_one().await.unwrap());
        assert_eq!(
            jobs::pending(&mut conn, 10).await.unwrap()[0].run_at,
            NOW + 30_000 + 60_000,
            "then a minute"
        );
        clock.advance(60_000);
        assert!(w.run_one().await.unwrap());
        let failed = jobs::failed(&mut conn, 10).await.unwrap();
        assert_eq!((failed.len(), failed[0].id.as_str(), failed[0].attempts), (1, id.as_str(), 3));
        clock.advance(24 * 3_600_000);
        assert!(!w.run_one().await.unwrap(), "a job that failed for good is not run again by itself");
        jobs::retry(&mut conn, &id, clock.now()).await.unwrap();
        assert!(w.run_one().await.unwrap(), "an administrator's retry runs it again");
    })
    .await;
}

#[tokio::test]
async fn a_job_that_can_never_succeed_fails_for_good_at_once() {
    on_both(|db| async move {
        let w = worker(&db.store, &Clock::fixed(NOW), Ctx::default());
        let mut conn = db.store.conn().await.unwrap();
        jobs::enqueue(&mut conn, "note", &serde_json::json!({"text": 5}), 10, NOW, NOW).await.unwrap();
        jobs::enqueue(&mut conn, "no_such_job", &serde_json::json!({}), 10, NOW, NOW).await.unwrap();
        enqueue(&mut conn, &Note { refuse_on: Some(0), ..Note::new("refused") }, NOW, NOW).await.unwrap();
        assert_eq!(w.run_due().await.unwrap(), 3);
        let failed = jobs::failed(&mut conn, 10).await.unwrap();
        assert_eq!(failed.len(), 3, "no retries for what can never work");
        let errors: Vec<_> = failed.iter().map(|j| j.last_error.clone().unwrap_or_default()).collect();
        assert!(errors.iter().any(|e| e.contains("no job is called “no_such_job”")), "{errors:?}");
        assert!(errors.iter().any(|e| e.contains("invalid type")), "the payload's own problem: {errors:?}");
        assert!(errors.iter().any(|e| e == "this note can never be kept"), "{errors:?}");
    })
    .await;
}

#[tokio::test]
async fn a_job_longer_than_its_lease_keeps_it_by_heartbeat() {
    on_both(|db| async move {
        let clock = Clock::fixed(NOW);
        // A 1-second lease, renewed every 20 ms of real time while the job runs.
        let w = worker(&db.store, &clock, Ctx::with_gates(1)).with_lease(1_000, Duration::from_millis(20));
        let mut conn = db.store.conn().await.unwrap();
        enqueue(&mut conn, &Note::new("long"), NOW, NOW).await.unwrap();
        let running = tokio::spawn({
            let w = w.clone();
            async move { w.run_one().await }
        });
        started(w.context()).await;
        // Five times 600 ms: three times the lease passes while the job runs.
        for round in 0..5 {
            clock.advance(600);
            tokio::time::sleep(Duration::from_millis(150)).await;
            let taken = jobs::claim(&mut conn, "w2", clock.now(), clock.now() + 1_000).await.unwrap();
            assert!(taken.is_none(), "round {round}: a second worker took a job whose worker is alive");
        }
        w.context().gates[0].notify_one();
        assert!(running.await.unwrap().unwrap());
        assert_eq!(w.context().done(), vec![("long".to_string(), 0)]);
        assert!(jobs::pending(&mut conn, 10).await.unwrap().is_empty());
    })
    .await;
}

#[tokio::test]
async fn a_job_of_a_worker_killed_mid_run_is_completed_once_by_another() {
    on_both(|db| async move {
        let clock = Clock::fixed(NOW);
        let w1 = worker(&db.store, &clock, Ctx::with_gates(1)).with_lease(1_000, Duration::from_millis(20));
        let w2 = w1.sibling("w2");
        let mut conn = db.store.conn().await.unwrap();
        enqueue(&mut conn, &Note::new("orphan"), NOW, NOW).await.unwrap();
        let running = tokio::spawn({
            let w1 = w1.clone();
            async move { w1.run_one().await }
        });
        started(w1.context()).await;
        running.abort(); // the worker dies: its job and its heartbeat stop together
        assert!(running.await.unwrap_err().is_cancelled());
        assert!(!w2.run_one().await.unwrap(), "held until the dead worker's lease ends");
        clock.advance(1_001);
        assert_eq!(w2.run_due().await.unwrap(), 1, "the lease ended: worker 2 runs it");
        assert_eq!(w2.run_due().await.unwrap(), 0);
        assert_eq!(w1.context().done(), vec![("orphan".to_string(), 1)], "completed once, on the second run");
        assert!(jobs::pending(&mut conn, 10).await.unwrap().is_empty());
    })
    .await;
}

#[tokio::test]
async fn a_worker_whose_lease_was_taken_over_leaves_the_job_to_the_new_holder() {
    on_both(|db| async move {
        for fail in [false, true] {
            let clock = Clock::fixed(NOW);
            // No heartbeat within the test: worker 1's lease simply runs out.
            let w1 =
                worker(&db.store, &clock, Ctx::with_gates(2)).with_lease(1_000, Duration::from_secs(3_600));
            let w2 = w1.sibling("w2");
            let mut conn = db.store.conn().await.unwrap();
            let note = Note { refuse_on: fail.then_some(0), ..Note::new("contested") };
            let id = enqueue(&mut conn, &note, NOW, NOW).await.unwrap();
            let first = tokio::spawn({
                let w1 = w1.clone();
                async move { w1.run_one().await }
            });
            started(w1.context()).await;
            clock.advance(1_001);
            let second = tokio::spawn({
                let w2 = w2.clone();
                async move { w2.run_one().await }
            });
            started(w1.context()).await;
            // Worker 1 finishes (or fails) after worker 2 took the job over: the job stays worker 2's.
            w1.context().gates[0].notify_one();
            assert!(first.await.unwrap().unwrap());
            let held = jobs::pending(&mut conn, 10).await.unwrap();
            assert_eq!(held.len(), 1, "fail {fail}: worker 1's outcome did not remove worker 2's job");
            assert_eq!((held[0].id.as_str(), held[0].last_error.as_deref()), (id.as_str(), None));
            assert!(jobs::failed(&mut conn, 10).await.unwrap().is_empty(), "fail {fail}: nor fail it");
            w1.context().gates[1].notify_one();
            assert!(second.await.unwrap().unwrap());
            assert!(jobs::pending(&mut conn, 10).await.unwrap().is_empty(), "worker 2 completed it");
            clock.advance(1);
        }
    })
    .await;
}

#[tokio::test]
async fn a_recurring_job_runs_once_per_slot_with_two_workers() {
    on_both(|db| async move {
        // 2026-11-28T06:59:00Z.
        let before_seven = 1_795_824_000_000 + 7 * 3_600_000 - 60_000;
        let clock = Clock::fixed(before_seven);
        let w1 = worker(&db.store, &clock, Ctx::default());
        let w2 = w1.sibling("w2");
        let both = || async {
            let (a, b) = tokio::join!(w1.enqueue_recurring(), w2.enqueue_recurring());
            a.unwrap() + b.unwrap()
        };
        let run_both = || async {
            let (a, b) = tokio::join!(w1.run_due(), w2.run_due());
            a.unwrap() + b.unwrap()
        };
        assert_eq!(both().await, 0, "a new recurring job waits for its next slot");
        clock.advance(60_000);
        assert_eq!(both().await, 1, "07:00: one of the two workers enqueues it");
        assert_eq!(run_both().await, 1);
        assert_eq!(w1.context().ticks.load(Ordering::SeqCst), 1);
        clock.advance(3_600_000);
        assert_eq!(both().await + run_both().await, 0, "08:00: the slot has run");
        clock.advance(23 * 3_600_000);
        assert_eq!(run_both().await, 1, "07:00 the next day: once more");
        clock.advance(3 * 24 * 3_600_000);
        assert_eq!(run_both().await, 1, "three days without a worker: caught up once, not three times");
        assert_eq!(w1.context().ticks.load(Ordering::SeqCst), 3);
    })
    .await;
}

#[tokio::test]
async fn the_worker_runs_until_asked_to_stop_then_stops() {
    let db = TestDatabase::sqlite(NOW).await.unwrap();
    let w = worker(&db.store, &Clock::system(), Ctx::default());
    let ctx_done = {
        let w = w.clone();
        move || w.context().done().len()
    };
    let wake = w.waker();
    let (stop, stopped) = watch::channel(false);
    let running = tokio::spawn(w.run(stopped));
    let mut conn = db.store.conn().await.unwrap();
    enqueue(&mut conn, &Note::new("soon"), Clock::system().now(), Clock::system().now()).await.unwrap();
    wake.notify_one();
    for _ in 0..100 {
        if ctx_done() == 1 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert_eq!(ctx_done(), 1, "woken, it ran the job at once");
    stop.send(true).unwrap();
    tokio::time::timeout(Duration::from_secs(5), running).await.expect("it stops when asked").unwrap();
}
