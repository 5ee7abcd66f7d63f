//! Invitations by email: to join an organisation with roles, or the staff with a role.

use serde::Serialize;
use sqlx::AnyConnection;
use sqlx::any::AnyRow;

use crate::{Result, StoreError, get, hash_token, join_roles, new_id, new_token, split_roles};

/// An invitation.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Invitation {
    /// Its id.
    pub id: String,
    /// Who it is for.
    pub email: String,
    /// The organisation it is to join; `None` for the staff.
    pub organisation_id: Option<String>,
    /// The roles it gives (organisation roles, or one staff role).
    pub roles: Vec<String>,
    /// Who sent it.
    pub invited_by: Option<String>,
    /// When it was sent.
    pub created_at: i64,
    /// When it stops working.
    pub expires_at: i64,
    /// When it was accepted.
    pub accepted_at: Option<i64>,
    /// When it was withdrawn.
    pub revoked_at: Option<i64>,
}

fn invitation(row: &AnyRow) -> Result<Invitation> {
    let roles: String = get(row, "roles")?;
    Ok(Invitation {
        id: get(row, "id")?,
        email: get(row, "email")?,
        organisation_id: get(row, "organisation_id")?,
        roles: split_roles(&roles),
        invited_by: get(row, "invited_by")?,
        created_at: get(row, "created_at")?,
        expires_at: get(row, "expires_at")?,
        accepted_at: get(row, "accepted_at")?,
        revoked_at: get(row, "revoked_at")?,
    })
}

/// Why an invitation link cannot be used.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Unusable {
    /// No invitation has this token.
    Unknown,
    /// It has been used.
    Accepted,
    /// It has expired.
    Expired,
    /// It was withdrawn.
    Revoked,
}

/// Send an invitation: the record and the token for its link.
pub async fn create(
    c: &mut AnyConnection,
    email: &str,
    organisation_id: Option<&str>,
    roles: &[String],
    invited_by: Option<&str>,
    now: i64,
    expires_at: i64,
) -> Result<(Invitation, String)> {
    let id = new_id();
    let (token, hash) = new_token();
    let email = crate::users::normalise_email(email);
    sqlx::query(
        "INSERT INTO invitations (id, token_hash, email, organisation_id, roles, invited_by, created_at, expires_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
    )
    .bind(&id)
    .bind(&hash)
    .bind(&email)
    .bind(organisation_id)
    .bind(join_roles(roles))
    .bind(invited_by)
    .bind(now)
    .bind(expires_at)
    .execute(&mut *c)
    .await?;
    let row = sqlx::query("SELECT * FROM invitations WHERE id = $1").bind(&id).fetch_one(&mut *c).await?;
    Ok((invitation(&row)?, token))
}

/// The invitation a link's token names, if it can still be used.
pub async fn usable(
    c: &mut AnyConnection,
    token: &str,
    now: i64,
) -> Result<std::result::Result<Invitation, Unusable>> {
    let row = sqlx::query("SELECT * FROM invitations WHERE token_hash = $1")
        .bind(hash_token(token))
        .fetch_optional(&mut *c)
        .await?;
    let Some(row) = row else { return Ok(Err(Unusable::Unknown)) };
    let found = invitation(&row)?;
    Ok(if found.accepted_at.is_some() {
        Err(Unusable::Accepted)
    } else if found.revoked_at.is_some() {
        Err(Unusable::Revoked)
    } else if found.expires_at <= now {
        Err(Unusable::Expired)
    } else {
        Ok(found)
    })
}

/// Mark an invitation accepted by a person. Only one acceptance succeeds, however many arrive at
/// once: the others get a conflict.
pub async fn accept(c: &mut AnyConnection, id: &str, user_id: &str, now: i64) -> Result<()> {
    let done = sqlx::query(
        "UPDATE invitations SET accepted_at = $1, accepted_by = $2 \
         WHERE id = $3 AND accepted_at IS NULL AND revoked_at IS NULL AND expires_at > $1",
    )
    .bind(now)
    .bind(user_id)
    .bind(id)
    .execute(&mut *c)
    .await?;
    if done.rows_affected() == 0 {
        return Err(StoreError::Conflict(
            "this invitation has already been used, withdrawn or has expired".into(),
        ));
    }
    Ok(())
}

/// Withdraw an invitation.
pub async fn revoke(c: &mut AnyConnection, id: &str, now: i64) -> Result<()> {
    let done = sqlx::query(
        "UPDATE invitations SET revoked_at = $1 WHERE id = $2 AND accepted_at IS NULL AND revoked_at IS NULL",
    )
    .bind(now)
    .bind(id)
    .execute(&mut *c)
    .await?;
    if done.rows_affected() == 0 {
        return Err(StoreError::NotFound(format!("open invitation {id}")));
    }
    Ok(())
}

/// True when an invitation to `email` can still be accepted (a first sign-in through the identity
/// provider may then create the account).
pub async fn open_for_email(c: &mut AnyConnection, email: &str, now: i64) -> Result<bool> {
    let row = sqlx::query(
        "SELECT COUNT(*) AS n FROM invitations WHERE email = $1 AND accepted_at IS NULL AND revoked_at IS NULL AND expires_at > $2",
    )
    .bind(crate::users::normalise_email(email))
    .bind(now)
    .fetch_one(&mut *c)
    .await?;
    Ok(get::<i64>(&row, "n")? > 0)
}

/// An invitation by id.
pub async fn by_id(c: &mut AnyConnection, id: &str) -> Result<Option<Invitation>> {
    let row = sqlx::query("SELECT * FROM invitations WHERE id = $1").bind(id).fetch_optional(&mut *c).await?;
    row.as_ref().map(invitation).transpose()
}

/// Invitations to an organisation (`None`: to the staff), newest first.
pub async fn list(c: &mut AnyConnection, organisation_id: Option<&str>) -> Result<Vec<Invitation>> {
    let rows = match organisation_id {
        Some(id) => {
            sqlx::query("SELECT * FROM invitations WHERE organisation_id = $1 ORDER BY created_at DESC")
                .bind(id)
                .fetch_all(&mut *c)
                .await?
        }
        None => {
            sqlx::query("SELECT * FROM invitations WHERE organisation_id IS NULL ORDER BY created_at DESC")
                .fetch_all(&mut *c)
                .await?
        }
    };
    rows.iter().map(invitation).collect()
}
