//! People's accounts, managed by service admins: add, name, staff roles, disable.

use formwork_store::users;

use formwork_store::audit::{self, AuditEvent};
pub use formwork_store::users::User;
use formwork_store::{organisations, sessions};

use crate::fields::{self, MAX_NAME};
use crate::policy::{Action, check};
use crate::{Actor, App, Result, ServiceError, StaffRole, commit, passwords};

/// A new person.
#[derive(Clone, Debug, Default)]
pub struct NewPerson {
    /// Their email address.
    pub email: String,
    /// Their name.
    pub name: Option<String>,
    /// A password for a local account; without one they sign in through the identity provider or
    /// reset their password by email.
    pub password: Option<String>,
    /// Their staff role, if they are staff.
    pub staff_role: Option<String>,
}

fn staff_role(field: &str, text: Option<&str>) -> Result<Option<StaffRole>> {
    match text.map(str::trim).filter(|t| !t.is_empty() && *t != "none") {
        None => Ok(None),
        Some(t) => StaffRole::parse(t).map(Some).ok_or_else(|| {
            ServiceError::invalid(field, "choice", "Staff role must be reviewer, analyst or admin, or none")
        }),
    }
}

/// Add a person (service admins and the `admin` command).
pub async fn create(app: &App, actor: &Actor, new: &NewPerson) -> Result<User> {
    check(actor, Action::ManagePeople)?;
    let mut problems = Vec::new();
    let email = fields::email("email", &new.email, &mut problems);
    let name = fields::optional_text("name", "name", new.name.as_deref(), MAX_NAME, &mut problems);
    if let Some(password) = &new.password
        && let Some(problem) = passwords::problem("password", password, &email)
    {
        problems.push(problem);
    }
    let role = match staff_role("staff_role", new.staff_role.as_deref()) {
        Ok(role) => role,
        Err(ServiceError::Invalid(mut p)) => {
            problems.append(&mut p);
            None
        }
        Err(e) => return Err(e),
    };
    if !problems.is_empty() {
        return Err(ServiceError::Invalid(problems));
    }
    let hash = match &new.password {
        Some(password) => Some(passwords::hash(password).await?),
        None => None,
    };
    let now = app.now();
    let mut tx = app.begin().await?;
    let user =
        users::create(&mut tx, &email, name.as_deref(), hash.as_deref(), role.map(StaffRole::as_str), now)
            .await
            .map_err(|e| match e {
                formwork_store::StoreError::Conflict { what, .. } => {
                    ServiceError::invalid("email", "unique", capitalise(&what))
                }
                other => other.into(),
            })?;
    let event = AuditEvent::PersonCreated {
        user: user.id.clone(),
        email: email.clone(),
        staff_role: role.map(|r| r.as_str().to_string()),
    };
    audit::record(&mut tx, actor.user_id(), &event, now).await?;
    commit(tx).await?;
    Ok(user)
}

fn capitalise(text: &str) -> String {
    let mut chars = text.chars();
    chars.next().map(|c| c.to_uppercase().chain(chars).collect()).unwrap_or_default()
}

/// Everyone (service admins).
pub async fn list(app: &App, actor: &Actor) -> Result<Vec<User>> {
    check(actor, Action::ManagePeople)?;
    let mut conn = app.store.conn().await?;
    Ok(users::list(&mut conn).await?)
}

/// A person and their memberships (service admins).
pub async fn get(app: &App, actor: &Actor, id: &str) -> Result<(User, Vec<organisations::Membership>)> {
    check(actor, Action::ManagePeople)?;
    let mut conn = app.store.conn().await?;
    let user = users::by_id(&mut conn, id)
        .await?
        .ok_or_else(|| ServiceError::NotFound("There is no such person".into()))?;
    let memberships = organisations::memberships_of(&mut conn, id).await?;
    Ok((user, memberships))
}

/// What may change about a person; `None` leaves it as it is.
#[derive(Clone, Debug, Default)]
pub struct PersonChanges {
    /// Their name (empty to remove it).
    pub name: Option<String>,
    /// Their staff role (`none` or empty to remove it).
    pub staff_role: Option<String>,
    /// Whether they can sign in.
    pub disabled: Option<bool>,
}

/// Change a person (service admins). Disabling ends their sessions at once. An admin cannot
/// disable themselves or remove their own admin role (someone must be left to manage the service).
pub async fn update(app: &App, actor: &Actor, id: &str, changes: &PersonChanges) -> Result<User> {
    check(actor, Action::ManagePeople)?;
    let role = match &changes.staff_role {
        Some(text) => Some(staff_role("staff_role", Some(text))?),
        None => None,
    };
    let mut problems = Vec::new();
    let name = changes
        .name
        .as_deref()
        .map(|name| fields::optional_text("name", "name", Some(name), MAX_NAME, &mut problems));
    if !problems.is_empty() {
        return Err(ServiceError::Invalid(problems));
    }
    if actor.user_id() == Some(id)
        && (changes.disabled == Some(true) || role.is_some_and(|r| r != Some(StaffRole::Admin)))
    {
        return Err(ServiceError::Conflict(
            "You cannot disable yourself or remove your own admin role: ask another admin".into(),
        ));
    }
    let now = app.now();
    let mut tx = app.begin().await?;
    let user = users::by_id(&mut tx, id)
        .await?
        .ok_or_else(|| ServiceError::NotFound("There is no such person".into()))?;
    if let Some(name) = name {
        users::set_name(&mut tx, id, name.as_deref(), now).await?;
    }
    if let Some(role) = role {
        users::set_staff_role(&mut tx, id, role.map(StaffRole::as_str), now).await?;
    }
    if let Some(disabled) = changes.disabled {
        users::set_disabled(&mut tx, id, disabled, now).await?;
        if disabled {
            sessions::delete_for_user(&mut tx, id).await?;
        }
    }
    let updated =
        users::by_id(&mut tx, &user.id).await?.ok_or_else(|| ServiceError::internal("person vanished"))?;
    let editable =
        |u: &User| serde_json::json!({"name": u.name, "staff_role": u.staff_role, "disabled": u.disabled});
    let event = AuditEvent::PersonUpdated {
        user: user.id.clone(),
        changes: audit::diff(&editable(&user), &editable(&updated)),
    };
    audit::record(&mut tx, actor.user_id(), &event, now).await?;
    commit(tx).await?;
    Ok(updated)
}

/// Change one's own name.
pub async fn rename_self(app: &App, actor: &Actor, name: &str) -> Result<()> {
    check(actor, Action::UseAccount)?;
    let id = actor.user_id().ok_or(ServiceError::SignInRequired)?;
    let mut problems = Vec::new();
    let name = fields::required_text("name", "your name", name, MAX_NAME, &mut problems);
    if !problems.is_empty() {
        return Err(ServiceError::Invalid(problems));
    }
    let mut conn = app.store.conn().await?;
    users::set_name(&mut conn, id, Some(&name), app.now()).await?;
    Ok(())
}
