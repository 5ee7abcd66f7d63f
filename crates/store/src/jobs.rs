//! The job queue in the database. A job is enqueued in the transaction of the change that needs it
//! (so it exists exactly when the change does), claimed by one worker for a lease (a crashed worker's
//! job is claimed again when its lease ends: at-least-once), retried with backoff, and kept with its
//! last error once it has failed `max_attempts` times.

use serde::Serialize;
use sqlx::AnyConnection;
use sqlx::any::AnyRow;

use crate::{Result, StoreError, get, new_id};

/// A job.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Job {
    /// Its id.
    pub id: String,
    /// What to do, e.g. `send_email`.
    pub kind: String,
    /// Its arguments, as JSON.
    pub payload: String,
    /// How many times it has been tried.
    pub attempts: i64,
    /// How many times it may be tried.
    pub max_attempts: i64,
    /// When it is next due.
    pub run_at: i64,
    /// Its last error.
    pub last_error: Option<String>,
    /// When it failed for good.
    pub failed_at: Option<i64>,
    /// When it was enqueued.
    pub created_at: i64,
}

fn job(row: &AnyRow) -> Result<Job> {
    Ok(Job {
        id: get(row, "id")?,
        kind: get(row, "kind")?,
        payload: get(row, "payload")?,
        attempts: get(row, "attempts")?,
        max_attempts: get(row, "max_attempts")?,
        run_at: get(row, "run_at")?,
        last_error: get(row, "last_error")?,
        failed_at: get(row, "failed_at")?,
        created_at: get(row, "created_at")?,
    })
}

/// Enqueue a job due at `run_at`.
pub async fn enqueue(
    c: &mut AnyConnection,
    kind: &str,
    payload: &serde_json::Value,
    max_attempts: i64,
    run_at: i64,
    now: i64,
) -> Result<String> {
    let id = new_id();
    sqlx::query("INSERT INTO jobs (id, kind, payload, max_attempts, run_at, created_at) VALUES ($1, $2, $3, $4, $5, $6)")
        .bind(&id)
        .bind(kind)
        .bind(payload.to_string())
        .bind(max_attempts)
        .bind(run_at)
        .bind(now)
        .execute(&mut *c)
        .await?;
    Ok(id)
}

/// Claim the next due job for `worker` until `lease_until`, counting the attempt. Two workers
/// never hold one job: the claim re-checks, under the row's lock, that the job is still free.
pub async fn claim(c: &mut AnyConnection, worker: &str, now: i64, lease_until: i64) -> Result<Option<Job>> {
    let row = sqlx::query(
        "UPDATE jobs SET locked_by = $1, locked_until = $2, attempts = attempts + 1 \
         WHERE id = (SELECT id FROM jobs WHERE failed_at IS NULL AND run_at <= $3 AND (locked_until IS NULL OR locked_until < $3) \
                     ORDER BY run_at, id LIMIT 1) \
           AND failed_at IS NULL AND (locked_until IS NULL OR locked_until < $3) \
         RETURNING *",
    )
    .bind(worker)
    .bind(lease_until)
    .bind(now)
    .fetch_optional(&mut *c)
    .await?;
    row.as_ref().map(job).transpose()
}

/// Extend `worker`'s lease on a job it is running to `lease_until` (its heartbeat). False when the
/// worker no longer holds the job: its lease ended and another worker took it over.
pub async fn renew(c: &mut AnyConnection, id: &str, worker: &str, lease_until: i64) -> Result<bool> {
    let done = sqlx::query("UPDATE jobs SET locked_until = $1 WHERE id = $2 AND locked_by = $3")
        .bind(lease_until)
        .bind(id)
        .bind(worker)
        .execute(&mut *c)
        .await?;
    Ok(done.rows_affected() == 1)
}

/// A job finished: it is removed — only if `worker` still holds it (a worker whose lease was taken
/// over leaves the job to the worker that holds it now). True if it was removed.
pub async fn complete(c: &mut AnyConnection, id: &str, worker: &str) -> Result<bool> {
    let done = sqlx::query("DELETE FROM jobs WHERE id = $1 AND locked_by = $2")
        .bind(id)
        .bind(worker)
        .execute(&mut *c)
        .await?;
    Ok(done.rows_affected() == 1)
}

/// Claim slot `slot` of the recurring job `name` (a time in ms, e.g. today at 07:00): true for
/// exactly one caller per slot, however many ask at once; that caller then enqueues the slot's job
/// in the same transaction. A slot at or before the last one claimed is never claimed. The first
/// time a job is seen, its current slot is only noted (false): a new recurring job starts with
/// its next slot, while a slot missed because no worker was running is caught up, once.
pub async fn claim_slot(c: &mut AnyConnection, name: &str, slot: i64, now: i64) -> Result<bool> {
    sqlx::query(
        "INSERT INTO recurring_jobs (name, last_slot, enqueued_at) VALUES ($1, $2, $3) ON CONFLICT (name) DO NOTHING",
    )
    .bind(name)
    .bind(slot)
    .bind(now)
    .execute(&mut *c)
    .await?;
    let moved = sqlx::query(
        "UPDATE recurring_jobs SET last_slot = $1, enqueued_at = $2 WHERE name = $3 AND last_slot < $1",
    )
    .bind(slot)
    .bind(now)
    .bind(name)
    .execute(&mut *c)
    .await?;
    Ok(moved.rows_affected() == 1)
}

/// A job's attempt failed: it is due again at `retry_at`, or failed for good once its attempts are
/// used up — only if `worker` still holds it. True if the job was changed.
pub async fn fail(
    c: &mut AnyConnection,
    id: &str,
    worker: &str,
    error: &str,
    retry_at: i64,
    now: i64,
) -> Result<bool> {
    let done = sqlx::query(
        "UPDATE jobs SET locked_by = NULL, locked_until = NULL, last_error = $1, run_at = $2, \
         failed_at = CASE WHEN attempts >= max_attempts THEN $3 ELSE NULL END \
         WHERE id = $4 AND locked_by = $5",
    )
    .bind(error)
    .bind(retry_at)
    .bind(now)
    .bind(id)
    .bind(worker)
    .execute(&mut *c)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Use up the attempts of a job `worker` holds, so that its next failure is final (a job that can
/// never succeed).
pub async fn exhaust(c: &mut AnyConnection, id: &str, worker: &str) -> Result<()> {
    sqlx::query("UPDATE jobs SET attempts = max_attempts WHERE id = $1 AND locked_by = $2")
        .bind(id)
        .bind(worker)
        .execute(&mut *c)
        .await?;
    Ok(())
}

/// Give a failed job another go (an administrator's action).
pub async fn retry(c: &mut AnyConnection, id: &str, now: i64) -> Result<()> {
    let done = sqlx::query(
        "UPDATE jobs SET failed_at = NULL, attempts = 0, run_at = $1 WHERE id = $2 AND failed_at IS NOT NULL",
    )
    .bind(now)
    .bind(id)
    .execute(&mut *c)
    .await?;
    if done.rows_affected() == 0 {
        return Err(StoreError::not_found(format!("failed job {id}")));
    }
    Ok(())
}

/// Jobs that failed for good, newest first.
pub async fn failed(c: &mut AnyConnection, limit: i64) -> Result<Vec<Job>> {
    let rows = sqlx::query("SELECT * FROM jobs WHERE failed_at IS NOT NULL ORDER BY failed_at DESC LIMIT $1")
        .bind(limit)
        .fetch_all(&mut *c)
        .await?;
    rows.iter().map(job).collect()
}

/// Jobs waiting or running, soonest first.
pub async fn pending(c: &mut AnyConnection, limit: i64) -> Result<Vec<Job>> {
    let rows = sqlx::query("SELECT * FROM jobs WHERE failed_at IS NULL ORDER BY run_at LIMIT $1")
        .bind(limit)
        .fetch_all(&mut *c)
        .await?;
    rows.iter().map(job).collect()
}

/// How many jobs are waiting or running, and how many have failed.
pub async fn counts(c: &mut AnyConnection) -> Result<(i64, i64)> {
    let row = sqlx::query(
        "SELECT COALESCE(SUM(CASE WHEN failed_at IS NULL THEN 1 ELSE 0 END), 0) AS waiting, \
                COALESCE(SUM(CASE WHEN failed_at IS NULL THEN 0 ELSE 1 END), 0) AS failed FROM jobs",
    )
    .fetch_one(&mut *c)
    .await?;
    Ok((get(&row, "waiting")?, get(&row, "failed")?))
}
