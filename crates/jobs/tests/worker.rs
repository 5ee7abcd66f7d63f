//! The job worker on SQLite and PostgreSQL: jobs exist exactly when their change commits, are
//! retried with backoff, survive a worker that dies, and wait for an administrator when they fail
//! for good.

#![expect(clippy::expect_used, reason = "a test should stop loudly at anything unexpected")]

use std::time::Duration;

use formwork_jobs::{Context, Worker, enqueue_email};
use formwork_mail::{Email, Mailer};
use formwork_store::testing::TestDatabase;
use formwork_store::{Backend, Clock, jobs};
use tokio::sync::watch;

const NOW: i64 = 1_795_341_600_000;

fn email(to: &str) -> Email {
    Email { to: to.into(), subject: "Hello".into(), body: "A link: https://example.gov.uk/x".into() }
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

#[tokio::test]
async fn an_email_exists_only_if_its_change_commits_and_is_sent_once() {
    on_both(|db| async move {
        let (mailer, sent) = Mailer::memory();
        let clock = Clock::fixed(NOW);
        let worker = Worker::new(Context { store: db.store.clone(), mailer, clock: clock.clone() }, "w1");
        let mut tx = db.store.begin().await.unwrap();
        enqueue_email(&mut tx, &email("rolled-back@example.org"), NOW).await.unwrap();
        tx.rollback().await.unwrap();
        let mut tx = db.store.begin().await.unwrap();
        enqueue_email(&mut tx, &email("committed@example.org"), NOW).await.unwrap();
        tx.commit().await.unwrap();
        assert_eq!(worker.run_due().await.unwrap(), 1);
        assert_eq!(worker.run_due().await.unwrap(), 0, "done jobs are gone");
        let sent = sent.lock().unwrap().clone();
        assert_eq!(sent, vec![email("committed@example.org")]);
    })
    .await;
}

#[tokio::test]
async fn a_failing_job_is_retried_with_backoff_then_waits_for_an_administrator() {
    on_both(|db| async move {
        // An SMTP server that is not there: sending fails, and trying again may work later.
        let mailer = Mailer::from_config(
            Some("smtp://127.0.0.1:1"),
            "formwork <no-reply@example.gov.uk>",
            std::path::Path::new("."),
        )
        .unwrap();
        let clock = Clock::fixed(NOW);
        let worker = Worker::new(Context { store: db.store.clone(), mailer, clock: clock.clone() }, "w1");
        let mut conn = db.store.conn().await.unwrap();
        let id = jobs::enqueue(
            &mut conn,
            formwork_jobs::SEND_EMAIL,
            &serde_json::to_value(email("a@example.org")).unwrap(),
            3,
            NOW,
            NOW,
        )
        .await
        .unwrap();
        assert!(worker.run_one().await.unwrap());
        let pending = jobs::pending(&mut conn, 10).await.unwrap();
        assert_eq!(pending[0].attempts, 1);
        assert_eq!(pending[0].run_at, NOW + 30_000, "the first retry is 30 seconds later");
        assert!(
            pending[0].last_error.as_deref().unwrap().contains("could not be sent"),
            "{:?}",
            pending[0].last_error
        );
        assert!(!worker.run_one().await.unwrap(), "not due yet");
        clock.advance(30_000);
        assert!(worker.run_one().await.unwrap());
        assert_eq!(
            jobs::pending(&mut conn, 10).await.unwrap()[0].run_at,
            NOW + 30_000 + 60_000,
            "then a minute"
        );
        clock.advance(60_000);
        assert!(worker.run_one().await.unwrap());
        let failed = jobs::failed(&mut conn, 10).await.unwrap();
        assert_eq!((failed.len(), failed[0].id.as_str(), failed[0].attempts), (1, id.as_str(), 3));
        clock.advance(24 * 3_600_000);
        assert!(!worker.run_one().await.unwrap(), "a job that failed for good is not run again by itself");
        jobs::retry(&mut conn, &id, clock.now()).await.unwrap();
        assert!(worker.run_one().await.unwrap(), "an administrator's retry runs it again");
    })
    .await;
}

#[tokio::test]
async fn a_job_whose_payload_cannot_be_read_fails_at_once() {
    on_both(|db| async move {
        let (mailer, _) = Mailer::memory();
        let worker = Worker::new(Context { store: db.store.clone(), mailer, clock: Clock::fixed(NOW) }, "w1");
        let mut conn = db.store.conn().await.unwrap();
        jobs::enqueue(&mut conn, formwork_jobs::SEND_EMAIL, &serde_json::json!({"to": 5}), 10, NOW, NOW)
            .await
            .unwrap();
        jobs::enqueue(&mut conn, "no_such_job", &serde_json::json!({}), 10, NOW, NOW).await.unwrap();
        assert_eq!(worker.run_due().await.unwrap(), 2);
        let failed = jobs::failed(&mut conn, 10).await.unwrap();
        assert_eq!(failed.len(), 2, "no retries for what can never work");
        assert!(
            failed.iter().any(|j| j
                .last_error
                .as_deref()
                .unwrap_or("")
                .contains("no job is called “no_such_job”"))
        );
    })
    .await;
}

#[tokio::test]
async fn a_job_held_by_a_worker_that_died_runs_again_when_its_lease_ends() {
    on_both(|db| async move {
        let (mailer, sent) = Mailer::memory();
        let clock = Clock::fixed(NOW);
        let mut conn = db.store.conn().await.unwrap();
        enqueue_email(&mut conn, &email("a@example.org"), NOW).await.unwrap();
        // Worker 1 claims it, then dies without finishing.
        let claimed = jobs::claim(&mut conn, "w1", NOW, NOW + 5 * 60_000).await.unwrap();
        assert!(claimed.is_some());
        let worker = Worker::new(Context { store: db.store.clone(), mailer, clock: clock.clone() }, "w2");
        assert!(!worker.run_one().await.unwrap(), "held by worker 1");
        clock.advance(5 * 60_000 + 1);
        assert!(worker.run_one().await.unwrap(), "worker 1's lease ended: worker 2 runs it");
        assert_eq!(sent.lock().unwrap().len(), 1);
        // Worker 1 comes back and reports: nothing happens twice.
        jobs::complete(&mut conn, &claimed.unwrap().id, "w1").await.unwrap();
        assert_eq!(worker.run_due().await.unwrap(), 0);
    })
    .await;
}

#[tokio::test]
async fn the_worker_runs_until_asked_to_stop_then_stops() {
    let db = TestDatabase::sqlite(NOW).await.unwrap();
    let (mailer, sent) = Mailer::memory();
    let worker = Worker::new(Context { store: db.store.clone(), mailer, clock: Clock::system() }, "w1");
    let wake = worker.waker();
    let (stop, stopped) = watch::channel(false);
    let running = tokio::spawn(worker.run(stopped));
    let mut conn = db.store.conn().await.unwrap();
    enqueue_email(&mut conn, &email("a@example.org"), Clock::system().now()).await.unwrap();
    wake.notify_one();
    for _ in 0..100 {
        if !sent.lock().unwrap().is_empty() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert_eq!(sent.lock().unwrap().len(), 1, "woken, it ran the job at once");
    stop.send(true).unwrap();
    tokio::time::timeout(Duration::from_secs(5), running).await.expect("it stops when asked").unwrap();
}
