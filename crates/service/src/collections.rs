//! Collections: service admins publish definitions (each version immutable, refused with the same
//! diagnostics as `formwork check` when it has problems) and assign organisations to them;
//! organisations' members see the collections assigned to them.

use std::sync::Arc;

use chrono::NaiveDate;
use formwork_definition::schedule::Period;
use formwork_definition::{Definition, Kind, diagnostic};
use formwork_store::collections::{self as store, Publication};

use formwork_store::AnyConnection;
use formwork_store::audit::{self, AuditEvent};
pub use formwork_store::collections::{Collection, Version};
use formwork_store::organisations::{self as orgs, Organisation};
use serde::Serialize;

use crate::policy::{Action, check};
use crate::{Actor, App, Result, ServiceError, commit};

/// The largest definition accepted (the examples are 10–20 KB).
pub const MAX_DEFINITION_BYTES: usize = 2 * 1024 * 1024;

/// A version as listed (without its text).
#[derive(Clone, Debug, Serialize)]
pub struct VersionInfo {
    /// The version.
    pub version: i64,
    /// Its title.
    pub title: String,
    /// Who published it.
    pub published_by: Option<String>,
    /// When (ms since 1970).
    pub published_at: i64,
}

/// A collection as its page and the API show it.
#[derive(Clone, Debug)]
pub struct CollectionView {
    /// The collection.
    pub collection: Collection,
    /// Its latest definition.
    pub definition: Arc<Definition>,
    /// Every version, newest first.
    pub versions: Vec<VersionInfo>,
    /// The organisations assigned, that the actor may see (staff: all).
    pub organisations: Vec<Organisation>,
    /// The periods that have started, newest first.
    pub periods: Vec<Period>,
}

fn not_found(slug: &str) -> ServiceError {
    ServiceError::NotFound(format!("There is no collection “{slug}”"))
}

/// A published definition, read once and kept (versions never change).
pub async fn definition(app: &App, slug: &str, version: i64) -> Result<Arc<Definition>> {
    let key = (slug.to_string(), version);
    if let Some(found) = app.definitions.lock().ok().and_then(|cache| cache.get(&key).cloned()) {
        return Ok(found);
    }
    let mut conn = app.store.conn().await?;
    let stored = store::version_of(&mut conn, slug, version).await?.ok_or_else(|| not_found(slug))?;
    let definition = formwork_definition::load(stored.source.as_bytes()).map_err(|problems| {
        ServiceError::internal(format!(
            "published definition {slug} v{version} no longer loads: {} problems",
            problems.len()
        ))
    })?;
    let definition = Arc::new(definition);
    if let Ok(mut cache) = app.definitions.lock() {
        cache.insert(key, Arc::clone(&definition));
    }
    Ok(definition)
}

/// What was published.
#[derive(Clone, Debug, Serialize)]
pub struct Published {
    /// The collection.
    pub slug: String,
    /// The version.
    pub version: i64,
    /// Its title.
    pub title: String,
}

/// Publish a definition (service admins). One with problems is refused with every problem, as
/// `formwork check` reports them, and nothing is stored.
pub async fn publish(app: &App, actor: &Actor, source: &[u8]) -> Result<Published> {
    check(actor, Action::PublishCollections)?;
    if source.len() > MAX_DEFINITION_BYTES {
        return Err(ServiceError::invalid(
            "definition",
            "file",
            format!("The definition must be smaller than {} MB", MAX_DEFINITION_BYTES / 1024 / 1024),
        ));
    }
    if source.iter().all(u8::is_ascii_whitespace) {
        return Err(ServiceError::invalid(
            "definition",
            "required",
            "Enter or choose a definition (YAML or JSON)",
        ));
    }
    let text = String::from_utf8_lossy(source).into_owned();
    let definition =
        formwork_definition::load(source).map_err(|diagnostics| ServiceError::DefinitionRefused {
            rendered: diagnostic::render("definition", &text, &diagnostics),
            diagnostics,
        })?;
    let kind = match definition.kind {
        Kind::Return => "return",
        Kind::Log => "log",
    };
    let version = i64::from(definition.version);
    let now = app.now();
    let mut tx = app.begin().await?;
    let publication =
        Publication { slug: &definition.collection, version, title: &definition.title, kind, source: &text };
    store::publish(&mut tx, &publication, actor.user_id(), now).await?;
    let event = AuditEvent::CollectionPublished {
        collection: definition.collection.clone(),
        version,
        title: definition.title.clone(),
    };
    audit::record(&mut tx, actor.user_id(), &event, now).await?;
    commit(tx).await?;
    tracing::info!(collection.slug = %definition.collection, collection.version = version, "published a collection");
    let published =
        Published { slug: definition.collection.clone(), version, title: definition.title.clone() };
    if let Ok(mut cache) = app.definitions.lock() {
        cache.insert((published.slug.clone(), version), Arc::new(definition));
    }
    Ok(published)
}

/// The collections `actor` may see: all for staff, those assigned to their organisations for
/// members.
pub async fn list(app: &App, actor: &Actor) -> Result<Vec<Collection>> {
    check(actor, Action::ListCollections)?;
    let mut conn = app.store.conn().await?;
    match actor.as_person() {
        Some(person) if person.staff.is_none() => {
            let mut seen = Vec::<Collection>::new();
            for membership in &person.memberships {
                for collection in store::assigned_to(&mut conn, &membership.organisation_id).await? {
                    if !seen.iter().any(|c| c.slug == collection.slug) {
                        seen.push(collection);
                    }
                }
            }
            seen.sort_by(|a, b| a.title.cmp(&b.title));
            Ok(seen)
        }
        _ => Ok(store::list(&mut conn).await?),
    }
}

async fn visible(conn: &mut AnyConnection, actor: &Actor, slug: &str) -> Result<(Collection, Vec<String>)> {
    if matches!(actor, Actor::Anonymous) {
        return Err(ServiceError::SignInRequired);
    }
    let collection = store::by_slug(conn, slug).await?.ok_or_else(|| not_found(slug))?;
    let assigned = store::assigned_organisations(conn, slug).await?;
    match check(actor, Action::SeeCollection(&assigned)) {
        Err(ServiceError::NotFound(_)) => Err(not_found(slug)),
        other => other.map(|()| (collection, assigned)),
    }
}

/// A collection, its versions, periods and organisations.
pub async fn get(app: &App, actor: &Actor, slug: &str, today: NaiveDate) -> Result<CollectionView> {
    let mut conn = app.store.conn().await?;
    let (collection, assigned) = visible(&mut conn, actor, slug).await?;
    let versions = store::versions(&mut conn, slug)
        .await?
        .into_iter()
        .map(|v| VersionInfo {
            version: v.version,
            title: v.title,
            published_by: v.published_by,
            published_at: v.published_at,
        })
        .collect();
    let mut organisations = Vec::new();
    for id in &assigned {
        let shown = match actor.as_person() {
            Some(person) if person.staff.is_none() => person.roles_in(id).is_some(),
            _ => true,
        };
        if shown && let Some(organisation) = orgs::by_id(&mut conn, id).await? {
            organisations.push(organisation);
        }
    }
    organisations.sort_by(|a, b| a.name.cmp(&b.name));
    drop(conn);
    let definition = definition(app, slug, collection.latest_version).await?;
    let mut periods = definition.schedule.periods_until(today);
    periods.reverse();
    Ok(CollectionView { collection, definition, versions, organisations, periods })
}

/// One version with its definition's text.
pub async fn version(app: &App, actor: &Actor, slug: &str, number: i64) -> Result<Version> {
    let mut conn = app.store.conn().await?;
    visible(&mut conn, actor, slug).await?;
    store::version_of(&mut conn, slug, number)
        .await?
        .ok_or_else(|| ServiceError::NotFound(format!("{slug} has no version {number}")))
}

/// The latest definition of a collection the actor may see.
pub async fn latest_definition(app: &App, actor: &Actor, slug: &str) -> Result<Arc<Definition>> {
    let mut conn = app.store.conn().await?;
    let (collection, _) = visible(&mut conn, actor, slug).await?;
    drop(conn);
    definition(app, slug, collection.latest_version).await
}

/// Assign an organisation to a collection (service admins); again is fine.
pub async fn assign(app: &App, actor: &Actor, slug: &str, organisation_slug: &str) -> Result<Organisation> {
    check(actor, Action::AssignOrganisations)?;
    let now = app.now();
    let mut tx = app.begin().await?;
    store::by_slug(&mut tx, slug).await?.ok_or_else(|| not_found(slug))?;
    let organisation = orgs::by_slug(&mut tx, organisation_slug).await?.ok_or_else(|| {
        ServiceError::invalid(
            "organisation",
            "not_found",
            format!("There is no organisation “{organisation_slug}”"),
        )
    })?;
    store::assign(&mut tx, slug, &organisation.id, now).await?;
    let event = AuditEvent::CollectionAssigned {
        collection: slug.to_string(),
        organisation: organisation.slug.clone(),
    };
    audit::record(&mut tx, actor.user_id(), &event, now).await?;
    commit(tx).await?;
    Ok(organisation)
}

/// Take an organisation off a collection (service admins).
pub async fn unassign(app: &App, actor: &Actor, slug: &str, organisation_slug: &str) -> Result<()> {
    check(actor, Action::AssignOrganisations)?;
    let now = app.now();
    let mut tx = app.begin().await?;
    store::by_slug(&mut tx, slug).await?.ok_or_else(|| not_found(slug))?;
    let organisation = orgs::by_slug(&mut tx, organisation_slug)
        .await?
        .ok_or_else(|| ServiceError::NotFound(format!("There is no organisation “{organisation_slug}”")))?;
    store::unassign(&mut tx, slug, &organisation.id).await?;
    let event =
        AuditEvent::CollectionUnassigned { collection: slug.to_string(), organisation: organisation.slug };
    audit::record(&mut tx, actor.user_id(), &event, now).await?;
    commit(tx).await
}
