//! Invitations by email: an organisation's admin (or a service admin) invites someone to join the
//! organisation with roles; a service admin invites someone to the staff. The link works once,
//! for a week; accepting it creates the account or adds to an existing one.

use formwork_mail::Email;
use formwork_store::audit::{self, AuditEvent};
use formwork_store::invitations::{self as store, Stored};
use formwork_store::organisations::{self as orgs, Organisation};
use formwork_store::users::{self, User};
use formwork_store::{AnyConnection, StoreError, Tx};

pub use formwork_store::invitations::{Invitation, InvitationState};

use crate::fields::{self, MAX_NAME};
use crate::organisations::checked_roles;
use crate::policy::{Action, check};
use crate::{Actor, App, Result, ServiceError, StaffRole, commit};

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
    Withdrawn,
}

/// Whom an invitation is to: an organisation (by slug) or the staff. Pages and the API name it
/// in their paths, and an invitation outside it is not found there.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum InvitedTo<'a> {
    /// The organisation with this slug.
    Organisation(&'a str),
    /// The staff.
    Staff,
}

/// An invitation as its link's page shows it.
#[derive(Clone, Debug)]
pub struct InvitationView {
    /// The invitation.
    pub invitation: Invitation,
    /// The organisation it is to join (`None`: the staff).
    pub organisation: Option<Organisation>,
    /// True when an account with the invitation's email address exists.
    pub account_exists: bool,
}

fn roles_in_words(roles: &[String]) -> String {
    match roles {
        [] => String::new(),
        [one] => one.replace('_', " "),
        [init @ .., last] => {
            format!(
                "{} and {}",
                init.iter().map(|r| r.replace('_', " ")).collect::<Vec<_>>().join(", "),
                last.replace('_', " ")
            )
        }
    }
}

async fn send(
    app: &App,
    conn: &mut AnyConnection,
    actor: &Actor,
    invitation: &Invitation,
    token: &str,
    joining: &str,
) -> Result<()> {
    let service = &app.settings.service_name;
    let inviter = actor
        .as_person()
        .map(|p| p.user.name.clone().unwrap_or_else(|| p.user.email.clone()))
        .unwrap_or_else(|| "An administrator".into());
    let email = Email {
        to: invitation.email.clone(),
        subject: format!("You have been invited to {joining} on {service}"),
        body: format!(
            "{inviter} has invited you to {joining} on {service} as {}.\n\n\
             To accept, open this link within 7 days:\n\n{}\n\n\
             If you were not expecting this email, you can ignore it.\n",
            roles_in_words(&invitation.roles),
            app.link(&format!("/invitations/{token}"))
        ),
    };
    crate::jobs::SendEmail::enqueue(conn, email, app.now()).await?;
    Ok(())
}

/// Invite someone to join an organisation with roles.
pub async fn invite_member(
    app: &App,
    actor: &Actor,
    slug: &str,
    email: &str,
    roles: &[String],
) -> Result<Invitation> {
    let organisation = crate::organisations::find(app, actor, slug).await?;
    check(actor, Action::ManageMembers(&organisation.id))?;
    let mut problems = Vec::new();
    let email = fields::email("email", email, &mut problems);
    let roles = match checked_roles(app, &organisation, "roles", roles).await {
        Ok(roles) => roles,
        Err(ServiceError::Invalid(mut p)) => {
            problems.append(&mut p);
            Vec::new()
        }
        Err(e) => return Err(e),
    };
    if !problems.is_empty() {
        return Err(ServiceError::Invalid(problems));
    }
    let mut tx = app.begin().await?;
    if let Some(user) = users::by_email(&mut tx, &email).await?
        && orgs::membership_of(&mut tx, &organisation.id, &user.id).await?.is_some()
    {
        return Err(ServiceError::invalid(
            "email",
            "unique",
            format!("{email} is already a member of {}: change their roles instead", organisation.name),
        ));
    }
    let to = format!("join {}", organisation.name);
    issue(app, tx, actor, &email, Some(&organisation.id), &roles, &to).await
}

/// Invite someone to the staff with a role (service admins).
pub async fn invite_staff(app: &App, actor: &Actor, email: &str, role: &str) -> Result<Invitation> {
    check(actor, Action::ManagePeople)?;
    let mut problems = Vec::new();
    let email = fields::email("email", email, &mut problems);
    let role = StaffRole::parse(role.trim());
    if role.is_none() {
        problems.push(crate::Problem::new(
            "staff_role",
            "choice",
            "Select a staff role: reviewer, analyst or admin",
        ));
    }
    let (Some(role), true) = (role, problems.is_empty()) else { return Err(ServiceError::Invalid(problems)) };
    let tx = app.begin().await?;
    issue(app, tx, actor, &email, None, &[role.as_str().to_string()], "join the staff").await
}

/// Make an invitation to an organisation (or, without one, to the staff), email its link and
/// record it, all in `tx`.
async fn issue(
    app: &App,
    mut tx: Tx,
    actor: &Actor,
    email: &str,
    organisation_id: Option<&str>,
    roles: &[String],
    to: &str,
) -> Result<Invitation> {
    let now = app.now();
    let (invitation, token) = store::create(
        &mut tx,
        email,
        organisation_id,
        roles,
        actor.user_id(),
        now,
        now + app.settings.invitation_lifetime,
    )
    .await?;
    send(app, &mut tx, actor, &invitation, &token, to).await?;
    let event = AuditEvent::InvitationCreated {
        invitation: invitation.id.clone(),
        organisation: organisation_id.map(str::to_string),
        email: email.to_string(),
        roles: roles.to_vec(),
    };
    audit::record(&mut tx, actor.user_id(), &event, now).await?;
    commit(tx).await?;
    app.wake_worker();
    Ok(invitation)
}

/// An organisation's invitations (its admins, and staff).
pub async fn for_organisation(
    app: &App,
    actor: &Actor,
    slug: &str,
) -> Result<(Organisation, Vec<Invitation>)> {
    let (organisation, _) = crate::organisations::members(app, actor, slug).await?;
    let mut conn = app.store.conn().await?;
    let invitations = store::list(&mut conn, Some(&organisation.id)).await?;
    Ok((organisation, invitations))
}

/// Invitations to the staff (service admins).
pub async fn for_staff(app: &App, actor: &Actor) -> Result<Vec<Invitation>> {
    check(actor, Action::ManagePeople)?;
    let mut conn = app.store.conn().await?;
    Ok(store::list(&mut conn, None).await?)
}

/// Withdraw an invitation that has not been accepted, found among the invitations `to` an
/// organisation or the staff (elsewhere it is not found). Of a withdrawal and an acceptance at
/// once, exactly one happens; the other is told the invitation has changed.
pub async fn withdraw(app: &App, actor: &Actor, to: InvitedTo<'_>, id: &str) -> Result<Invitation> {
    if matches!(actor, Actor::Anonymous) {
        return Err(ServiceError::SignInRequired);
    }
    let missing = || ServiceError::NotFound("There is no such invitation".into());
    let organisation = match to {
        InvitedTo::Organisation(slug) => {
            let organisation = crate::organisations::find(app, actor, slug).await?;
            check(actor, Action::ManageMembers(&organisation.id))?;
            Some(organisation)
        }
        InvitedTo::Staff => {
            check(actor, Action::ManagePeople)?;
            None
        }
    };
    let now = app.now();
    let mut tx = app.begin().await?;
    let invitation = store::by_id(&mut tx, id).await?.ok_or_else(missing)?;
    if invitation.organisation_id.as_deref() != organisation.as_ref().map(|o| o.id.as_str()) {
        return Err(missing());
    }
    let withdrawn =
        store::transition(&mut tx, &invitation, Stored::Withdrawn, None, now).await.map_err(|e| match e {
            StoreError::Conflict { .. } => {
                ServiceError::Conflict("This invitation has already been accepted or withdrawn".into())
            }
            other => other.into(),
        })?;
    let event =
        AuditEvent::InvitationWithdrawn { invitation: invitation.id.clone(), email: invitation.email };
    audit::record(&mut tx, actor.user_id(), &event, now).await?;
    commit(tx).await?;
    Ok(withdrawn)
}

/// The invitation a link's token names, if it can still be used.
async fn usable(
    conn: &mut AnyConnection,
    token: &str,
    now: i64,
) -> Result<std::result::Result<Invitation, Unusable>> {
    let Some(invitation) = store::by_token(conn, token).await? else { return Ok(Err(Unusable::Unknown)) };
    Ok(match invitation.state_at(now) {
        InvitationState::Open => Ok(invitation),
        InvitationState::Accepted => Err(Unusable::Accepted),
        InvitationState::Withdrawn => Err(Unusable::Withdrawn),
        InvitationState::Expired => Err(Unusable::Expired),
    })
}

/// What an invitation link's page shows, or why the link no longer works.
pub async fn look_up(app: &App, token: &str) -> Result<std::result::Result<InvitationView, Unusable>> {
    let mut conn = app.store.conn().await?;
    let invitation = match usable(&mut conn, token, app.now()).await? {
        Ok(invitation) => invitation,
        Err(why) => return Ok(Err(why)),
    };
    let organisation = match &invitation.organisation_id {
        Some(id) => orgs::by_id(&mut conn, id).await?,
        None => None,
    };
    let account_exists = users::by_email(&mut conn, &invitation.email).await?.is_some();
    Ok(Ok(InvitationView { invitation, organisation, account_exists }))
}

/// The message for a link that no longer works.
pub fn unusable_message(why: Unusable) -> &'static str {
    match why {
        Unusable::Unknown => {
            "This invitation link is not recognised. Check that you copied the whole link from the email"
        }
        Unusable::Accepted => "This invitation has already been accepted. Sign in to use the service",
        Unusable::Expired => "This invitation has expired. Ask the person who invited you to send a new one",
        Unusable::Withdrawn => {
            "This invitation has been withdrawn. Ask the person who invited you if you need access"
        }
    }
}

/// Accept `invitation` for `user`: the transition, the roles it gives and the history, in `conn`'s
/// transaction. The invitation as accepted.
async fn apply(
    app: &App,
    conn: &mut AnyConnection,
    invitation: &Invitation,
    user: &User,
) -> Result<Invitation> {
    let now = app.now();
    let accepted = store::transition(conn, invitation, Stored::Accepted, Some(&user.id), now).await.map_err(
        |e| match e {
            StoreError::Conflict { .. } => ServiceError::Conflict(
                "This invitation has just been withdrawn or accepted. Ask the person who invited you".into(),
            ),
            other => other.into(),
        },
    )?;
    match &invitation.organisation_id {
        Some(org) => {
            let mut roles =
                orgs::membership_of(conn, org, &user.id).await?.map(|m| m.roles).unwrap_or_default();
            for role in &invitation.roles {
                if !roles.contains(role) {
                    roles.push(role.clone());
                }
            }
            roles.sort();
            orgs::set_membership(conn, org, &user.id, &roles, now).await?;
        }
        None => {
            let role = invitation.roles.first().and_then(|r| StaffRole::parse(r));
            users::set_staff_role(conn, &user.id, role.map(StaffRole::as_str), now).await?;
        }
    }
    let event = AuditEvent::InvitationAccepted {
        invitation: invitation.id.clone(),
        user: user.id.clone(),
        roles: invitation.roles.clone(),
    };
    audit::record(conn, Some(&user.id), &event, now).await?;
    Ok(accepted)
}

/// The invitation a link's token names, or a conflict saying why it cannot be used.
async fn open(conn: &mut AnyConnection, token: &str, now: i64) -> Result<Invitation> {
    usable(conn, token, now).await?.map_err(|why| ServiceError::Conflict(unusable_message(why).into()))
}

/// An accepted invitation and the organisation it joined the person to (`None`: the staff).
#[derive(Clone, Debug)]
pub struct Accepted {
    /// The invitation, as accepted.
    pub invitation: Invitation,
    /// The organisation joined.
    pub organisation: Option<Organisation>,
}

async fn accepted(conn: &mut AnyConnection, invitation: Invitation) -> Result<Accepted> {
    let organisation = match &invitation.organisation_id {
        Some(id) => orgs::by_id(conn, id).await?,
        None => None,
    };
    Ok(Accepted { invitation, organisation })
}

/// Accept an invitation as the signed-in person, whose email address must be the one invited.
pub async fn accept(app: &App, actor: &Actor, token: &str) -> Result<Accepted> {
    let person = actor.as_person().ok_or(ServiceError::SignInRequired)?;
    let mut tx = app.begin().await?;
    let invitation = open(&mut tx, token, app.now()).await?;
    if invitation.email != person.user.email {
        return Err(ServiceError::Forbidden(format!(
            "This invitation is for {}, but you are signed in as {}. Sign out, then open the link again",
            invitation.email, person.user.email
        )));
    }
    let invitation = apply(app, &mut tx, &invitation, &person.user).await?;
    let accepted = accepted(&mut tx, invitation).await?;
    commit(tx).await?;
    Ok(accepted)
}

/// Accept an invitation by making a local account for its email address: the account, and the
/// invitation accepted.
pub async fn accept_with_new_account(
    app: &App,
    token: &str,
    name: &str,
    password: &str,
    confirm: &str,
) -> Result<(User, Accepted)> {
    let now = app.now();
    let mut conn = app.store.conn().await?;
    let invitation = open(&mut conn, token, now).await?;
    if users::by_email(&mut conn, &invitation.email).await?.is_some() {
        return Err(ServiceError::Conflict(format!(
            "There is already an account for {}: sign in to accept",
            invitation.email
        )));
    }
    drop(conn);
    let mut problems = Vec::new();
    let name = fields::required_text("name", "your full name", name, MAX_NAME, &mut problems);
    if let Err(ServiceError::Invalid(mut p)) =
        crate::accounts::new_password_problems("password", password, confirm, &invitation.email)
    {
        problems.append(&mut p);
    }
    if !problems.is_empty() {
        return Err(ServiceError::Invalid(problems));
    }
    let hash = crate::passwords::hash(password).await?;
    let mut tx = app.begin().await?;
    let invitation = open(&mut tx, token, now).await?;
    let user = users::create(&mut tx, &invitation.email, Some(&name), Some(&hash), None, now).await?;
    let invitation = apply(app, &mut tx, &invitation, &user).await?;
    let accepted = accepted(&mut tx, invitation).await?;
    commit(tx).await?;
    Ok((user, accepted))
}
