//! Recent sign-in attempts, for rate limiting across every instance of the service.

use sqlx::AnyConnection;

use crate::{Result, get};

/// Record an attempt from `key` (an email address or a network address).
pub async fn record(c: &mut AnyConnection, key: &str, now: i64) -> Result<()> {
    sqlx::query("INSERT INTO sign_in_attempts (key, at) VALUES ($1, $2)")
        .bind(key)
        .bind(now)
        .execute(&mut *c)
        .await?;
    Ok(())
}

/// How many attempts `key` made since `since`.
pub async fn count_since(c: &mut AnyConnection, key: &str, since: i64) -> Result<i64> {
    let row = sqlx::query("SELECT COUNT(*) AS n FROM sign_in_attempts WHERE key = $1 AND at > $2")
        .bind(key)
        .bind(since)
        .fetch_one(&mut *c)
        .await?;
    get(&row, "n")
}

/// Forget attempts older than `before`.
pub async fn prune(c: &mut AnyConnection, before: i64) -> Result<u64> {
    Ok(sqlx::query("DELETE FROM sign_in_attempts WHERE at < $1")
        .bind(before)
        .execute(&mut *c)
        .await?
        .rows_affected())
}

/// Forget the attempts under `key` (after a successful sign-in or a password reset).
pub async fn clear(c: &mut AnyConnection, key: &str) -> Result<()> {
    sqlx::query("DELETE FROM sign_in_attempts WHERE key = $1").bind(key).execute(&mut *c).await?;
    Ok(())
}
