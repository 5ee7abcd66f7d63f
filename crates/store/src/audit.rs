//! What staff and organisation administrators did: who, when, what, to what.

use serde::Serialize;
use sqlx::AnyConnection;

use crate::{Result, get, new_id};

/// One recorded action.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Event {
    /// When.
    pub at: i64,
    /// Who (a person's id), if a person.
    pub actor_id: Option<String>,
    /// What, e.g. `organisation.create`.
    pub action: String,
    /// To what, e.g. an organisation's slug.
    pub subject: String,
    /// More, as JSON.
    pub details: serde_json::Value,
}

/// Record an action.
pub async fn record(
    c: &mut AnyConnection,
    actor_id: Option<&str>,
    action: &str,
    subject: &str,
    details: &serde_json::Value,
    now: i64,
) -> Result<()> {
    sqlx::query("INSERT INTO audit_events (id, at, actor_id, action, subject, details) VALUES ($1, $2, $3, $4, $5, $6)")
        .bind(new_id())
        .bind(now)
        .bind(actor_id)
        .bind(action)
        .bind(subject)
        .bind(details.to_string())
        .execute(&mut *c)
        .await?;
    Ok(())
}

/// The latest actions, newest first.
pub async fn latest(c: &mut AnyConnection, limit: i64) -> Result<Vec<Event>> {
    let rows = sqlx::query("SELECT * FROM audit_events ORDER BY at DESC, id DESC LIMIT $1")
        .bind(limit)
        .fetch_all(&mut *c)
        .await?;
    rows.iter()
        .map(|r| {
            let details: String = get(r, "details")?;
            Ok(Event {
                at: get(r, "at")?,
                actor_id: get(r, "actor_id")?,
                action: get(r, "action")?,
                subject: get(r, "subject")?,
                details: serde_json::from_str(&details).unwrap_or_default(),
            })
        })
        .collect()
}
