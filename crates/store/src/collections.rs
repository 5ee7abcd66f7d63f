//! Collections: published definition versions (immutable) and which organisations are assigned.

use serde::Serialize;
use sqlx::AnyConnection;
use sqlx::any::AnyRow;

use crate::{Result, StoreError, get};

/// A collection and its latest version.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Collection {
    /// Its slug.
    pub slug: String,
    /// The latest version's title.
    pub title: String,
    /// `return` or `log`.
    pub kind: String,
    /// The latest published version.
    pub latest_version: i64,
    /// When it was first published.
    pub created_at: i64,
    /// When a version was last published.
    pub updated_at: i64,
}

fn collection(row: &AnyRow) -> Result<Collection> {
    Ok(Collection {
        slug: get(row, "slug")?,
        title: get(row, "title")?,
        kind: get(row, "kind")?,
        latest_version: get(row, "latest_version")?,
        created_at: get(row, "created_at")?,
        updated_at: get(row, "updated_at")?,
    })
}

/// A published version of a definition.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Version {
    /// The collection.
    pub collection_slug: String,
    /// The version.
    pub version: i64,
    /// Its title.
    pub title: String,
    /// The definition as published.
    pub source: String,
    /// Who published it.
    pub published_by: Option<String>,
    /// When.
    pub published_at: i64,
}

fn version(row: &AnyRow) -> Result<Version> {
    Ok(Version {
        collection_slug: get(row, "collection_slug")?,
        version: get(row, "version")?,
        title: get(row, "title")?,
        source: get(row, "source")?,
        published_by: get(row, "published_by")?,
        published_at: get(row, "published_at")?,
    })
}

/// What is being published.
pub struct Publication<'a> {
    /// The collection's slug.
    pub slug: &'a str,
    /// Its version.
    pub version: i64,
    /// Its title.
    pub title: &'a str,
    /// `return` or `log`.
    pub kind: &'a str,
    /// The definition's text.
    pub source: &'a str,
}

/// Publish a version (call within a transaction). Versions are immutable: publishing one that
/// exists, or one not newer than the latest, is a conflict; a collection cannot change kind.
pub async fn publish(c: &mut AnyConnection, p: &Publication<'_>, by: Option<&str>, now: i64) -> Result<()> {
    match by_slug(c, p.slug).await? {
        None => {
            sqlx::query("INSERT INTO collections (slug, title, kind, latest_version, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $5)")
                .bind(p.slug)
                .bind(p.title)
                .bind(p.kind)
                .bind(p.version)
                .bind(now)
                .execute(&mut *c)
                .await?;
        }
        Some(existing) => {
            if p.version <= existing.latest_version {
                return Err(StoreError::conflict(format!(
                    "version {} of {} cannot be published: version {} is already published and versions never change; publish version {} or later",
                    p.version,
                    p.slug,
                    existing.latest_version,
                    existing.latest_version + 1
                )));
            }
            if existing.kind != p.kind {
                return Err(StoreError::conflict(format!(
                    "{} is a {}; a new version cannot make it a {}",
                    p.slug, existing.kind, p.kind
                )));
            }
            // Only move forward: a concurrent publisher of the same version fails on the key below.
            sqlx::query("UPDATE collections SET title = $1, latest_version = $2, updated_at = $3 WHERE slug = $4 AND latest_version < $2")
                .bind(p.title)
                .bind(p.version)
                .bind(now)
                .bind(p.slug)
                .execute(&mut *c)
                .await?;
        }
    }
    sqlx::query("INSERT INTO collection_versions (collection_slug, version, title, source, published_by, published_at) VALUES ($1, $2, $3, $4, $5, $6)")
        .bind(p.slug)
        .bind(p.version)
        .bind(p.title)
        .bind(p.source)
        .bind(by)
        .bind(now)
        .execute(&mut *c)
        .await
        .map_err(|e| StoreError::from(e).conflict_as(format!("version {} of {} is already published", p.version, p.slug)))?;
    Ok(())
}

/// A collection by slug.
pub async fn by_slug(c: &mut AnyConnection, slug: &str) -> Result<Option<Collection>> {
    let row =
        sqlx::query("SELECT * FROM collections WHERE slug = $1").bind(slug).fetch_optional(&mut *c).await?;
    row.as_ref().map(collection).transpose()
}

/// Every collection, by title.
pub async fn list(c: &mut AnyConnection) -> Result<Vec<Collection>> {
    let rows = sqlx::query("SELECT * FROM collections ORDER BY title, slug").fetch_all(&mut *c).await?;
    rows.iter().map(collection).collect()
}

/// The collections an organisation is assigned to.
pub async fn assigned_to(c: &mut AnyConnection, organisation_id: &str) -> Result<Vec<Collection>> {
    let rows = sqlx::query(
        "SELECT c.* FROM collections c JOIN assignments a ON a.collection_slug = c.slug WHERE a.organisation_id = $1 ORDER BY c.title",
    )
    .bind(organisation_id)
    .fetch_all(&mut *c)
    .await?;
    rows.iter().map(collection).collect()
}

/// One published version.
pub async fn version_of(c: &mut AnyConnection, slug: &str, number: i64) -> Result<Option<Version>> {
    let row = sqlx::query("SELECT * FROM collection_versions WHERE collection_slug = $1 AND version = $2")
        .bind(slug)
        .bind(number)
        .fetch_optional(&mut *c)
        .await?;
    row.as_ref().map(version).transpose()
}

/// Every version of a collection, newest first.
pub async fn versions(c: &mut AnyConnection, slug: &str) -> Result<Vec<Version>> {
    let rows =
        sqlx::query("SELECT * FROM collection_versions WHERE collection_slug = $1 ORDER BY version DESC")
            .bind(slug)
            .fetch_all(&mut *c)
            .await?;
    rows.iter().map(version).collect()
}

/// Assign an organisation to a collection (again is fine).
pub async fn assign(c: &mut AnyConnection, slug: &str, organisation_id: &str, now: i64) -> Result<()> {
    sqlx::query(
        "INSERT INTO assignments (collection_slug, organisation_id, created_at) VALUES ($1, $2, $3) ON CONFLICT (collection_slug, organisation_id) DO NOTHING",
    )
    .bind(slug)
    .bind(organisation_id)
    .bind(now)
    .execute(&mut *c)
    .await?;
    Ok(())
}

/// Take an organisation off a collection.
pub async fn unassign(c: &mut AnyConnection, slug: &str, organisation_id: &str) -> Result<()> {
    sqlx::query("DELETE FROM assignments WHERE collection_slug = $1 AND organisation_id = $2")
        .bind(slug)
        .bind(organisation_id)
        .execute(&mut *c)
        .await?;
    Ok(())
}

/// The ids of the organisations assigned to a collection.
pub async fn assigned_organisations(c: &mut AnyConnection, slug: &str) -> Result<Vec<String>> {
    let rows = sqlx::query("SELECT organisation_id FROM assignments WHERE collection_slug = $1")
        .bind(slug)
        .fetch_all(&mut *c)
        .await?;
    rows.iter().map(|r| get(r, "organisation_id")).collect()
}
