//! Sign-ins through an OpenID Connect provider in progress: started on one request, finished on the
//! callback, each usable once.

use sqlx::AnyConnection;

use crate::{Result, get};

/// A sign-in that has started.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Pending {
    /// The nonce the ID token must carry.
    pub nonce: String,
    /// The PKCE verifier for the code exchange.
    pub pkce_verifier: String,
    /// Where to go once signed in.
    pub return_to: String,
}

/// Remember a sign-in that has started, under its `state`.
pub async fn create(
    c: &mut AnyConnection,
    state: &str,
    pending: &Pending,
    now: i64,
    expires_at: i64,
) -> Result<()> {
    sqlx::query("DELETE FROM oidc_sign_ins WHERE expires_at <= $1").bind(now).execute(&mut *c).await?;
    sqlx::query(
        "INSERT INTO oidc_sign_ins (state, nonce, pkce_verifier, return_to, created_at, expires_at) VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(state)
    .bind(&pending.nonce)
    .bind(&pending.pkce_verifier)
    .bind(&pending.return_to)
    .bind(now)
    .bind(expires_at)
    .execute(&mut *c)
    .await?;
    Ok(())
}

/// Take the sign-in `state` names, if it is live: it is removed, so a callback works once.
pub async fn take(c: &mut AnyConnection, state: &str, now: i64) -> Result<Option<Pending>> {
    let row = sqlx::query(
        "DELETE FROM oidc_sign_ins WHERE state = $1 RETURNING nonce, pkce_verifier, return_to, expires_at",
    )
    .bind(state)
    .fetch_optional(&mut *c)
    .await?;
    let Some(row) = row else { return Ok(None) };
    if get::<i64>(&row, "expires_at")? <= now {
        return Ok(None);
    }
    Ok(Some(Pending {
        nonce: get(&row, "nonce")?,
        pkce_verifier: get(&row, "pkce_verifier")?,
        return_to: get(&row, "return_to")?,
    }))
}
