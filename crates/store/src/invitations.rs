//! Invitations by email: to join an organisation with roles, or the staff with a role.

use serde::Serialize;
use sqlx::AnyConnection;
use sqlx::any::AnyRow;

use crate::{Result, StoreError, get, hash_token, join_roles, new_id, new_token, split_roles};

/// Where an invitation is in its life, as stored. Changed only by [`transition`], a conditional
/// update; whether a pending invitation still works is a matter of time ([`Invitation::state_at`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Stored {
    /// Sent, neither accepted nor withdrawn.
    Pending,
    /// Accepted: the person joined.
    Accepted,
    /// Withdrawn by an administrator.
    Withdrawn,
}

impl Stored {
    /// As stored.
    pub fn as_str(self) -> &'static str {
        match self {
            Stored::Pending => "pending",
            Stored::Accepted => "accepted",
            Stored::Withdrawn => "withdrawn",
        }
    }

    /// True when an invitation may move from this state to `to`: only a pending invitation is
    /// accepted or withdrawn; nothing leaves accepted or withdrawn.
    pub fn may_become(self, to: Stored) -> bool {
        matches!((self, to), (Stored::Pending, Stored::Accepted | Stored::Withdrawn))
    }

    fn parse(text: &str) -> Result<Stored> {
        match text {
            "pending" => Ok(Stored::Pending),
            "accepted" => Ok(Stored::Accepted),
            "withdrawn" => Ok(Stored::Withdrawn),
            other => Err(StoreError::Config(format!("an invitation has the unknown state “{other}”"))),
        }
    }
}

/// Where an invitation is in its life, at a moment: the one place this is worked out.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum InvitationState {
    /// Its link works.
    Open,
    /// It has been used.
    Accepted,
    /// It was withdrawn.
    Withdrawn,
    /// It was not used in time.
    Expired,
}

impl InvitationState {
    /// As the API names it.
    pub fn as_str(self) -> &'static str {
        match self {
            InvitationState::Open => "open",
            InvitationState::Accepted => "accepted",
            InvitationState::Withdrawn => "withdrawn",
            InvitationState::Expired => "expired",
        }
    }
}

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
    /// Its state as stored.
    pub stored: Stored,
    /// How many times its state has changed: a transition names the revision it started from.
    pub revision: i64,
}

impl Invitation {
    /// Its state at `now`.
    pub fn state_at(&self, now: i64) -> InvitationState {
        match self.stored {
            Stored::Accepted => InvitationState::Accepted,
            Stored::Withdrawn => InvitationState::Withdrawn,
            Stored::Pending if self.expires_at <= now => InvitationState::Expired,
            Stored::Pending => InvitationState::Open,
        }
    }
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
        stored: Stored::parse(&get::<String>(row, "state")?)?,
        revision: get(row, "revision")?,
    })
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

/// The invitation a link's token names, if any.
pub async fn by_token(c: &mut AnyConnection, token: &str) -> Result<Option<Invitation>> {
    let row = sqlx::query("SELECT * FROM invitations WHERE token_hash = $1")
        .bind(hash_token(token))
        .fetch_optional(&mut *c)
        .await?;
    row.as_ref().map(invitation).transpose()
}

/// Move `found` to `to`, only if it is still as it was read — same state, same revision — and, to
/// accept it, not expired at `now`. Of two transitions of one invitation at once exactly one
/// succeeds; the other gets a conflict. The invitation as it now is.
pub async fn transition(
    c: &mut AnyConnection,
    found: &Invitation,
    to: Stored,
    by: Option<&str>,
    now: i64,
) -> Result<Invitation> {
    if !found.stored.may_become(to) {
        return Err(StoreError::conflict(format!(
            "an invitation that is {} cannot be {}",
            found.stored.as_str(),
            to.as_str()
        )));
    }
    let done = sqlx::query(
        "UPDATE invitations SET state = $1, revision = revision + 1, \
             accepted_at = CASE WHEN $1 = 'accepted' THEN $2 ELSE accepted_at END, \
             accepted_by = CASE WHEN $1 = 'accepted' THEN $3 ELSE accepted_by END, \
             revoked_at = CASE WHEN $1 = 'withdrawn' THEN $2 ELSE revoked_at END \
         WHERE id = $4 AND state = $5 AND revision = $6 AND ($1 <> 'accepted' OR expires_at > $2)",
    )
    .bind(to.as_str())
    .bind(now)
    .bind(by)
    .bind(&found.id)
    .bind(found.stored.as_str())
    .bind(found.revision)
    .execute(&mut *c)
    .await?;
    if done.rows_affected() == 0 {
        return Err(StoreError::conflict("this invitation has changed since it was read"));
    }
    by_id(c, &found.id).await?.ok_or_else(|| StoreError::not_found(format!("invitation {}", found.id)))
}

/// True when an invitation to `email` can still be accepted (a first sign-in through the identity
/// provider may then create the account).
pub async fn open_for_email(c: &mut AnyConnection, email: &str, now: i64) -> Result<bool> {
    let row = sqlx::query(
        "SELECT COUNT(*) AS n FROM invitations WHERE email = $1 AND state = 'pending' AND expires_at > $2",
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
