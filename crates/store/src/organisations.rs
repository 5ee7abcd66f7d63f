//! Organisations and their members.

use std::collections::BTreeMap;

use serde::Serialize;
use sqlx::AnyConnection;
use sqlx::any::AnyRow;

use crate::{Result, StoreError, get, join_roles, new_id, split_roles};

/// An organisation that makes returns.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Organisation {
    /// Its id.
    pub id: String,
    /// Its slug, used in URLs and commands.
    pub slug: String,
    /// Its name.
    pub name: String,
    /// Identifiers other systems know it by.
    pub external_ids: BTreeMap<String, String>,
    /// When it was added.
    pub created_at: i64,
}

fn organisation(row: &AnyRow) -> Result<Organisation> {
    let ids: String = get(row, "external_ids")?;
    Ok(Organisation {
        id: get(row, "id")?,
        slug: get(row, "slug")?,
        name: get(row, "name")?,
        external_ids: serde_json::from_str(&ids).unwrap_or_default(),
        created_at: get(row, "created_at")?,
    })
}

/// Add an organisation. A slug already taken is a conflict.
pub async fn create(
    c: &mut AnyConnection,
    slug: &str,
    name: &str,
    external_ids: &BTreeMap<String, String>,
    now: i64,
) -> Result<Organisation> {
    let id = new_id();
    let ids = serde_json::to_string(external_ids).unwrap_or_else(|_| "{}".into());
    sqlx::query("INSERT INTO organisations (id, slug, name, external_ids, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $5)")
        .bind(&id)
        .bind(slug)
        .bind(name)
        .bind(&ids)
        .bind(now)
        .execute(&mut *c)
        .await
        .map_err(|e| StoreError::from(e).conflict_as(format!("an organisation with the slug “{slug}” already exists")))?;
    Ok(Organisation {
        id,
        slug: slug.into(),
        name: name.into(),
        external_ids: external_ids.clone(),
        created_at: now,
    })
}

/// Change an organisation's name and identifiers.
pub async fn update(
    c: &mut AnyConnection,
    id: &str,
    name: &str,
    external_ids: &BTreeMap<String, String>,
    now: i64,
) -> Result<()> {
    let ids = serde_json::to_string(external_ids).unwrap_or_else(|_| "{}".into());
    let done =
        sqlx::query("UPDATE organisations SET name = $1, external_ids = $2, updated_at = $3 WHERE id = $4")
            .bind(name)
            .bind(&ids)
            .bind(now)
            .bind(id)
            .execute(&mut *c)
            .await?;
    if done.rows_affected() == 0 {
        return Err(StoreError::not_found(format!("organisation {id}")));
    }
    Ok(())
}

/// An organisation by its slug.
pub async fn by_slug(c: &mut AnyConnection, slug: &str) -> Result<Option<Organisation>> {
    let row =
        sqlx::query("SELECT * FROM organisations WHERE slug = $1").bind(slug).fetch_optional(&mut *c).await?;
    row.as_ref().map(organisation).transpose()
}

/// An organisation by its id.
pub async fn by_id(c: &mut AnyConnection, id: &str) -> Result<Option<Organisation>> {
    let row =
        sqlx::query("SELECT * FROM organisations WHERE id = $1").bind(id).fetch_optional(&mut *c).await?;
    row.as_ref().map(organisation).transpose()
}

/// Every organisation, by name.
pub async fn list(c: &mut AnyConnection) -> Result<Vec<Organisation>> {
    let rows = sqlx::query("SELECT * FROM organisations ORDER BY name, slug").fetch_all(&mut *c).await?;
    rows.iter().map(organisation).collect()
}

/// A person's membership of an organisation.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Membership {
    /// The organisation.
    pub organisation_id: String,
    /// The organisation's slug.
    pub organisation_slug: String,
    /// The organisation's name.
    pub organisation_name: String,
    /// The person.
    pub user_id: String,
    /// The person's email address.
    pub email: String,
    /// The person's name.
    pub name: Option<String>,
    /// Their roles in the organisation.
    pub roles: Vec<String>,
}

fn membership(row: &AnyRow) -> Result<Membership> {
    let roles: String = get(row, "roles")?;
    Ok(Membership {
        organisation_id: get(row, "organisation_id")?,
        organisation_slug: get(row, "slug")?,
        organisation_name: get(row, "org_name")?,
        user_id: get(row, "user_id")?,
        email: get(row, "email")?,
        name: get(row, "user_name")?,
        roles: split_roles(&roles),
    })
}

/// The memberships in the rows of one person LEFT JOINed to `memberships m` and `organisations o`
/// (columns `organisation_id`, `roles`, `slug`, `org_name`): a row without a membership adds none.
/// It lets a credential's person and their memberships be read in one query.
pub(crate) fn joined_memberships(rows: &[AnyRow], user: &crate::users::User) -> Result<Vec<Membership>> {
    let mut found = Vec::new();
    for row in rows {
        let organisation_id: Option<String> = get(row, "organisation_id")?;
        let slug: Option<String> = get(row, "slug")?;
        let org_name: Option<String> = get(row, "org_name")?;
        let roles: Option<String> = get(row, "roles")?;
        let (Some(organisation_id), Some(slug), Some(org_name)) = (organisation_id, slug, org_name) else {
            continue;
        };
        found.push(Membership {
            organisation_id,
            organisation_slug: slug,
            organisation_name: org_name,
            user_id: user.id.clone(),
            email: user.email.clone(),
            name: user.name.clone(),
            roles: split_roles(roles.as_deref().unwrap_or_default()),
        });
    }
    Ok(found)
}

/// Give a person roles in an organisation (replacing any they had).
pub async fn set_membership(
    c: &mut AnyConnection,
    organisation_id: &str,
    user_id: &str,
    roles: &[String],
    now: i64,
) -> Result<()> {
    sqlx::query(
        "INSERT INTO memberships (organisation_id, user_id, roles, created_at, updated_at) VALUES ($1, $2, $3, $4, $4) \
         ON CONFLICT (organisation_id, user_id) DO UPDATE SET roles = $3, updated_at = $4",
    )
    .bind(organisation_id)
    .bind(user_id)
    .bind(join_roles(roles))
    .bind(now)
    .execute(&mut *c)
    .await?;
    Ok(())
}

/// Take a person out of an organisation.
pub async fn remove_membership(c: &mut AnyConnection, organisation_id: &str, user_id: &str) -> Result<()> {
    let done = sqlx::query("DELETE FROM memberships WHERE organisation_id = $1 AND user_id = $2")
        .bind(organisation_id)
        .bind(user_id)
        .execute(&mut *c)
        .await?;
    if done.rows_affected() == 0 {
        return Err(StoreError::not_found("membership"));
    }
    Ok(())
}

/// The members of an organisation, by email address.
pub async fn members(c: &mut AnyConnection, organisation_id: &str) -> Result<Vec<Membership>> {
    let rows = sqlx::query("SELECT m.organisation_id, m.user_id, m.roles, o.slug, o.name AS org_name, u.email, u.name AS user_name FROM memberships m JOIN organisations o ON o.id = m.organisation_id JOIN users u ON u.id = m.user_id WHERE m.organisation_id = $1 ORDER BY u.email")
        .bind(organisation_id)
        .fetch_all(&mut *c)
        .await?;
    rows.iter().map(membership).collect()
}

/// The organisations a person belongs to, by name.
pub async fn memberships_of(c: &mut AnyConnection, user_id: &str) -> Result<Vec<Membership>> {
    let rows = sqlx::query("SELECT m.organisation_id, m.user_id, m.roles, o.slug, o.name AS org_name, u.email, u.name AS user_name FROM memberships m JOIN organisations o ON o.id = m.organisation_id JOIN users u ON u.id = m.user_id WHERE m.user_id = $1 ORDER BY o.name")
        .bind(user_id)
        .fetch_all(&mut *c)
        .await?;
    rows.iter().map(membership).collect()
}

/// One membership.
pub async fn membership_of(
    c: &mut AnyConnection,
    organisation_id: &str,
    user_id: &str,
) -> Result<Option<Membership>> {
    let row = sqlx::query("SELECT m.organisation_id, m.user_id, m.roles, o.slug, o.name AS org_name, u.email, u.name AS user_name FROM memberships m JOIN organisations o ON o.id = m.organisation_id JOIN users u ON u.id = m.user_id WHERE m.organisation_id = $1 AND m.user_id = $2")
        .bind(organisation_id)
        .bind(user_id)
        .fetch_optional(&mut *c)
        .await?;
    row.as_ref().map(membership).transpose()
}
