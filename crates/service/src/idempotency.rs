//! Repeated `POST`s: a client that sends an `Idempotency-Key` and retries (after a timeout, a lost
//! connection) gets the first answer again instead of doing the thing twice. The key belongs to
//! the person who sent it; the same key with a different request is refused.

use formwork_store::submissions::{self as store, Remembered};

use crate::{Actor, App, Problem, Result, ServiceError};

/// The longest key accepted.
const MAX_KEY: usize = 200;

/// A remembered answer: its status and body.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Answer {
    /// The status sent.
    pub status: u16,
    /// The body sent.
    pub body: String,
}

fn owner(actor: &Actor) -> Result<&str> {
    actor.user_id().ok_or(ServiceError::SignInRequired)
}

fn checked(key: &str) -> Result<&str> {
    let key = key.trim();
    if key.is_empty() || key.len() > MAX_KEY || key.chars().any(|c| c.is_control()) {
        return Err(ServiceError::Invalid(vec![Problem::new(
            "Idempotency-Key",
            "length",
            format!("The Idempotency-Key header must be 1 to {MAX_KEY} printable characters"),
        )]));
    }
    Ok(key)
}

/// The answer already given to the actor's `key`, if any. `fingerprint` says what the request
/// was (method, path, body): a key used before for another request is refused.
pub async fn remembered(app: &App, actor: &Actor, key: &str, fingerprint: &str) -> Result<Option<Answer>> {
    let (who, key) = (owner(actor)?, checked(key)?);
    let mut conn = app.store.conn().await?;
    let Some(found) = store::remembered(&mut conn, who, key).await? else { return Ok(None) };
    if found.fingerprint != fingerprint {
        return Err(ServiceError::Invalid(vec![Problem::new(
            "Idempotency-Key",
            "duplicate",
            "This Idempotency-Key was used for a different request: use a new key for each new request",
        )]));
    }
    Ok(Some(Answer { status: u16::try_from(found.status).unwrap_or(500), body: found.body }))
}

/// Remember the answer to the actor's `key` (the first one stored stays).
pub async fn remember(app: &App, actor: &Actor, key: &str, fingerprint: &str, answer: &Answer) -> Result<()> {
    let (who, key) = (owner(actor)?, checked(key)?);
    let mut conn = app.store.conn().await?;
    let remembered = Remembered {
        fingerprint: fingerprint.to_string(),
        status: i64::from(answer.status),
        body: answer.body.clone(),
    };
    store::remember(&mut conn, who, key, &remembered, app.now()).await?;
    Ok(())
}
