//! Organisations and their members: added by service admins; members managed by their own
//! organisation's admins (`org_admin`) or by service admins.

use std::collections::{BTreeMap, BTreeSet};

use formwork_store::organisations::{self as store};

use formwork_store::audit::{self, AuditEvent};
pub use formwork_store::organisations::{Membership, Organisation};
use formwork_store::{AnyConnection, users};
use serde::Serialize;

use crate::fields::{self, MAX_NAME};
use crate::policy::{Action, check};
use crate::{Actor, App, Problem, Result, ServiceError, commit};

/// The organisation role that manages the organisation's members.
pub const ORG_ADMIN: &str = "org_admin";

/// A role a member can have, and where it comes from.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct RoleInfo {
    /// The role's id.
    pub id: String,
    /// What it does, from the definitions that declare it.
    pub description: String,
    /// The collections that declare it (none for `org_admin`).
    pub collections: Vec<String>,
}

/// What an organisation is to be.
#[derive(Clone, Debug, Default)]
pub struct OrganisationInput {
    /// Its name.
    pub name: String,
    /// Its slug; made from the name when not given.
    pub slug: Option<String>,
    /// Identifiers other systems know it by (`ukprn` → `10001234`).
    pub external_ids: BTreeMap<String, String>,
}

/// Changes to an organisation; `None` keeps what it has (the API's `PATCH`).
#[derive(Clone, Debug, Default)]
pub struct OrganisationChanges {
    /// Its name.
    pub name: Option<String>,
    /// Identifiers other systems know it by, all of them.
    pub external_ids: Option<BTreeMap<String, String>>,
}

fn not_found(slug: &str) -> ServiceError {
    ServiceError::NotFound(format!("There is no organisation “{slug}”"))
}

/// The organisations `actor` may see: all for staff, their own for members.
pub async fn list(app: &App, actor: &Actor) -> Result<Vec<Organisation>> {
    check(actor, Action::ListOrganisations)?;
    let mut conn = app.store.conn().await?;
    let all = store::list(&mut conn).await?;
    Ok(match actor.as_person() {
        Some(person) if person.staff.is_none() => {
            all.into_iter().filter(|o| person.roles_in(&o.id).is_some()).collect()
        }
        _ => all,
    })
}

/// An organisation `actor` may see, by slug. Another organisation's slug is "not found", exactly
/// as one that does not exist.
pub async fn find(app: &App, actor: &Actor, slug: &str) -> Result<Organisation> {
    let mut conn = app.store.conn().await?;
    find_on(&mut conn, actor, slug, |id| Action::SeeOrganisation(id)).await
}

async fn find_on(
    conn: &mut AnyConnection,
    actor: &Actor,
    slug: &str,
    action: impl for<'a> Fn(&'a str) -> Action<'a>,
) -> Result<Organisation> {
    if matches!(actor, Actor::Anonymous) {
        return Err(ServiceError::SignInRequired);
    }
    let organisation = store::by_slug(conn, slug).await?.ok_or_else(|| not_found(slug))?;
    match check(actor, action(&organisation.id)) {
        Err(ServiceError::NotFound(_)) => Err(not_found(slug)),
        other => other.map(|()| organisation),
    }
}

fn check_input(
    input: &OrganisationInput,
    slug_needed: bool,
) -> Result<(String, String, BTreeMap<String, String>)> {
    let mut problems = Vec::new();
    let name = fields::required_text("name", "the organisation's name", &input.name, MAX_NAME, &mut problems);
    let slug = match input.slug.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
        Some(slug) => slug.to_string(),
        None => fields::slug_from(&name),
    };
    if slug_needed && !name.is_empty() && !fields::is_slug(&slug) {
        problems.push(Problem::new(
            "slug",
            "pattern",
            "Slug must be 60 characters or fewer, using only lower-case letters, numbers and single hyphens, like leeds-city-council",
        ));
    }
    let mut external_ids = BTreeMap::new();
    for (key, value) in &input.external_ids {
        let key = key.trim().to_lowercase();
        let value = value.trim();
        if key.is_empty()
            || key.len() > 40
            || !key.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
        {
            problems.push(Problem::new(
                "external_ids",
                "pattern",
                format!("Identifier name “{key}” must be 40 characters or fewer, using only letters, numbers and underscores, like ukprn"),
            ));
        } else if value.is_empty() || value.chars().count() > 100 {
            problems.push(Problem::new(
                "external_ids",
                "length",
                format!("Enter a value of 100 characters or fewer for {key}"),
            ));
        } else if value.chars().any(char::is_control) {
            problems.push(Problem::new(
                "external_ids",
                "pattern",
                format!(
                    "The value for {key} must be one line of text, without tabs or other control characters"
                ),
            ));
        } else {
            external_ids.insert(key, value.to_string());
        }
    }
    if problems.is_empty() { Ok((name, slug, external_ids)) } else { Err(ServiceError::Invalid(problems)) }
}

/// Add an organisation (service admins).
pub async fn create(app: &App, actor: &Actor, input: &OrganisationInput) -> Result<Organisation> {
    check(actor, Action::ManageOrganisations)?;
    let (name, slug, external_ids) = check_input(input, true)?;
    let now = app.now();
    let mut tx = app.begin().await?;
    let organisation =
        store::create(&mut tx, &slug, &name, &external_ids, now).await.map_err(|e| match e {
            formwork_store::StoreError::Conflict { .. } => ServiceError::invalid(
                "slug",
                "unique",
                format!("An organisation with the slug {slug} already exists: choose another slug"),
            ),
            other => other.into(),
        })?;
    let event = AuditEvent::OrganisationCreated { organisation: organisation.id.clone(), slug, name };
    audit::record(&mut tx, actor.user_id(), &event, now).await?;
    commit(tx).await?;
    Ok(organisation)
}

/// Change an organisation's name and identifiers (service admins), merging `changes` with what is
/// stored in the same transaction (two changes at once never undo each other's fields). Its slug
/// never changes: links and files refer to it.
pub async fn update(
    app: &App,
    actor: &Actor,
    slug: &str,
    changes: &OrganisationChanges,
) -> Result<Organisation> {
    let mut tx = app.begin().await?;
    let organisation = find_on(&mut tx, actor, slug, |id| Action::SeeOrganisation(id)).await?;
    check(actor, Action::ManageOrganisations)?;
    let input = OrganisationInput {
        name: changes.name.clone().unwrap_or_else(|| organisation.name.clone()),
        slug: None,
        external_ids: changes.external_ids.clone().unwrap_or_else(|| organisation.external_ids.clone()),
    };
    let (name, _, external_ids) = check_input(&input, false)?;
    let now = app.now();
    store::update(&mut tx, &organisation.id, &name, &external_ids, now).await?;
    let changes = audit::diff(
        &serde_json::json!({"name": organisation.name, "external_ids": organisation.external_ids}),
        &serde_json::json!({"name": name, "external_ids": external_ids}),
    );
    let event = AuditEvent::OrganisationUpdated { organisation: organisation.id.clone(), changes };
    audit::record(&mut tx, actor.user_id(), &event, now).await?;
    commit(tx).await?;
    Ok(Organisation { name, external_ids, ..organisation })
}

/// An organisation and its members (staff, and the organisation's admins).
pub async fn members(app: &App, actor: &Actor, slug: &str) -> Result<(Organisation, Vec<Membership>)> {
    let mut conn = app.store.conn().await?;
    let organisation = find_on(&mut conn, actor, slug, |id| Action::SeeMembers(id)).await?;
    let members = store::members(&mut conn, &organisation.id).await?;
    Ok((organisation, members))
}

/// One member of an organisation.
pub async fn member(
    app: &App,
    actor: &Actor,
    slug: &str,
    user_id: &str,
) -> Result<(Organisation, Membership)> {
    let mut conn = app.store.conn().await?;
    let organisation = find_on(&mut conn, actor, slug, |id| Action::SeeMembers(id)).await?;
    let membership = store::membership_of(&mut conn, &organisation.id, user_id)
        .await?
        .ok_or_else(|| ServiceError::NotFound(format!("{user_id} is not a member of {slug}")))?;
    Ok((organisation, membership))
}

/// The roles a member of `organisation` can be given: `org_admin`, and the roles declared by the
/// latest versions of the collections it is assigned. A role of another collection would let a
/// member do nothing there, so it is neither offered nor accepted.
pub async fn roles_for(app: &App, organisation: &Organisation) -> Result<Vec<RoleInfo>> {
    let mut conn = app.store.conn().await?;
    let collections = formwork_store::collections::assigned_to(&mut conn, &organisation.id).await?;
    drop(conn);
    let mut roles: BTreeMap<String, RoleInfo> = BTreeMap::new();
    for collection in collections {
        let definition =
            crate::collections::definition(app, &collection.slug, collection.latest_version).await?;
        for role in &definition.roles {
            let entry = roles.entry(role.id.clone()).or_insert_with(|| RoleInfo {
                id: role.id.clone(),
                description: role.description.clone(),
                collections: Vec::new(),
            });
            entry.collections.push(collection.slug.clone());
        }
    }
    let mut list = vec![RoleInfo {
        id: ORG_ADMIN.into(),
        description: "Organisation admin: invites colleagues and gives them roles".into(),
        collections: Vec::new(),
    }];
    list.extend(roles.into_values());
    Ok(list)
}

/// The roles in `requested`, checked against [`roles_for`] `organisation`: at least one, each
/// one it offers. A role of a collection it is not assigned is refused as an unknown one is.
pub async fn checked_roles(
    app: &App,
    organisation: &Organisation,
    field: &str,
    requested: &[String],
) -> Result<Vec<String>> {
    let offered = roles_for(app, organisation).await?;
    let mut roles = BTreeSet::new();
    let mut problems = Vec::new();
    for role in requested.iter().flat_map(|r| r.split(',')).map(str::trim).filter(|r| !r.is_empty()) {
        if offered.iter().any(|k| k.id == role) {
            roles.insert(role.to_string());
        } else {
            let ids: Vec<&str> = offered.iter().map(|k| k.id.as_str()).collect();
            problems.push(Problem::new(
                field,
                "choice",
                format!("“{role}” is not a role in {}; its roles are {}", organisation.name, ids.join(", ")),
            ));
        }
    }
    if roles.is_empty() && problems.is_empty() {
        problems.push(Problem::new(field, "required", "Select at least one role"));
    }
    if problems.is_empty() { Ok(roles.into_iter().collect()) } else { Err(ServiceError::Invalid(problems)) }
}

/// An organisation must keep an admin of its own, unless a service admin decides otherwise.
async fn keeps_an_admin(
    conn: &mut AnyConnection,
    actor: &Actor,
    organisation_id: &str,
    user_id: &str,
    new_roles: &[String],
) -> Result<()> {
    if matches!(actor, Actor::System) || actor.staff() == Some(crate::StaffRole::Admin) {
        return Ok(());
    }
    let others = store::members(conn, organisation_id)
        .await?
        .into_iter()
        .any(|m| m.user_id != user_id && m.roles.iter().any(|r| r == ORG_ADMIN));
    if others || new_roles.iter().any(|r| r == ORG_ADMIN) {
        Ok(())
    } else {
        Err(ServiceError::Conflict(
            "An organisation needs at least one organisation admin: make someone else an admin first".into(),
        ))
    }
}

/// Give a person with an account roles in an organisation (replacing roles they had), without
/// an invitation: only for an administrator at the command line. Everyone else invites
/// ([`crate::invitations::invite_member`]), and the person accepts.
pub async fn add_member(
    app: &App,
    actor: &Actor,
    slug: &str,
    email: &str,
    roles: &[String],
) -> Result<Membership> {
    check(actor, Action::AddMemberWithoutInvitation)?;
    let mut problems = Vec::new();
    let email = fields::email("email", email, &mut problems);
    if !problems.is_empty() {
        return Err(ServiceError::Invalid(problems));
    }
    let organisation = find(app, actor, slug).await?;
    let roles = checked_roles(app, &organisation, "roles", roles).await?;
    let now = app.now();
    let mut tx = app.begin().await?;
    let organisation = find_on(&mut tx, actor, slug, |id| Action::ManageMembers(id)).await?;
    let Some(user) = users::by_email(&mut tx, &email).await? else {
        return Err(ServiceError::invalid(
            "email",
            "not_found",
            format!("There is no account for {email}: send them an invitation instead"),
        ));
    };
    keeps_an_admin(&mut tx, actor, &organisation.id, &user.id, &roles).await?;
    store::set_membership(&mut tx, &organisation.id, &user.id, &roles, now).await?;
    let event = AuditEvent::MembershipSet {
        organisation: organisation.id.clone(),
        user: user.id.clone(),
        roles: roles.clone(),
    };
    audit::record(&mut tx, actor.user_id(), &event, now).await?;
    let membership = store::membership_of(&mut tx, &organisation.id, &user.id)
        .await?
        .ok_or_else(|| ServiceError::internal("membership vanished"))?;
    commit(tx).await?;
    Ok(membership)
}

/// Change a member's roles.
pub async fn set_roles(
    app: &App,
    actor: &Actor,
    slug: &str,
    user_id: &str,
    roles: &[String],
) -> Result<Membership> {
    let organisation = find(app, actor, slug).await?;
    check(actor, Action::ManageMembers(&organisation.id))?;
    let roles = checked_roles(app, &organisation, "roles", roles).await?;
    let now = app.now();
    let mut tx = app.begin().await?;
    let organisation = find_on(&mut tx, actor, slug, |id| Action::ManageMembers(id)).await?;
    if store::membership_of(&mut tx, &organisation.id, user_id).await?.is_none() {
        return Err(ServiceError::NotFound(format!("{user_id} is not a member of {slug}")));
    }
    keeps_an_admin(&mut tx, actor, &organisation.id, user_id, &roles).await?;
    store::set_membership(&mut tx, &organisation.id, user_id, &roles, now).await?;
    let event = AuditEvent::MembershipSet {
        organisation: organisation.id.clone(),
        user: user_id.to_string(),
        roles: roles.clone(),
    };
    audit::record(&mut tx, actor.user_id(), &event, now).await?;
    let membership = store::membership_of(&mut tx, &organisation.id, user_id)
        .await?
        .ok_or_else(|| ServiceError::internal("membership vanished"))?;
    commit(tx).await?;
    Ok(membership)
}

/// Take a person out of an organisation.
pub async fn remove_member(app: &App, actor: &Actor, slug: &str, user_id: &str) -> Result<()> {
    let now = app.now();
    let mut tx = app.begin().await?;
    let organisation = find_on(&mut tx, actor, slug, |id| Action::ManageMembers(id)).await?;
    keeps_an_admin(&mut tx, actor, &organisation.id, user_id, &[]).await?;
    store::remove_membership(&mut tx, &organisation.id, user_id)
        .await
        .map_err(|_| ServiceError::NotFound(format!("{user_id} is not a member of {slug}")))?;
    let event =
        AuditEvent::MembershipRemoved { organisation: organisation.id.clone(), user: user_id.to_string() };
    audit::record(&mut tx, actor.user_id(), &event, now).await?;
    commit(tx).await
}

/// An organisation's page: the organisation, its collections, and — for those who may see
/// them — its members and open invitations.
#[derive(Clone, Debug)]
pub struct Overview {
    /// The organisation.
    pub organisation: Organisation,
    /// The collections it is assigned to.
    pub collections: Vec<formwork_store::collections::Collection>,
    /// Its members, when the actor may see them.
    pub members: Option<Vec<Membership>>,
    /// Its invitations not yet accepted or withdrawn, when the actor may see them.
    pub invitations: Option<Vec<formwork_store::invitations::Invitation>>,
    /// True when the actor may invite, change and remove members.
    pub can_manage_members: bool,
    /// True when the actor may change the organisation's name and identifiers.
    pub can_edit: bool,
}

/// An organisation as its page shows it to `actor`.
pub async fn overview(app: &App, actor: &Actor, slug: &str) -> Result<Overview> {
    let mut conn = app.store.conn().await?;
    let organisation = find_on(&mut conn, actor, slug, |id| Action::SeeOrganisation(id)).await?;
    let collections = formwork_store::collections::assigned_to(&mut conn, &organisation.id).await?;
    let (members, invitations) = if check(actor, Action::SeeMembers(&organisation.id)).is_ok() {
        let now = app.now();
        let invitations = formwork_store::invitations::list(&mut conn, Some(&organisation.id))
            .await?
            .into_iter()
            .filter(|i| i.state_at(now) == formwork_store::invitations::InvitationState::Open)
            .collect();
        (Some(store::members(&mut conn, &organisation.id).await?), Some(invitations))
    } else {
        (None, None)
    };
    Ok(Overview {
        can_manage_members: check(actor, Action::ManageMembers(&organisation.id)).is_ok(),
        can_edit: check(actor, Action::ManageOrganisations).is_ok(),
        organisation,
        collections,
        members,
        invitations,
    })
}
