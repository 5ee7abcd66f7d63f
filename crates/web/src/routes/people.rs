//! People pages, for service admins: everyone's accounts, adding people, staff roles, disabling
//! accounts, and invitations to the staff.

use askama::Template;
use axum::extract::Path;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use formwork_service::invitations::Invitation;
use formwork_service::organisations::Membership;
use formwork_service::people::User;
use formwork_service::people::{self, NewPerson, PersonChanges};
use formwork_service::{ServiceError, StaffRole, invitations};

use crate::error::AppError;
use crate::forms::FormData;
use crate::pages::{Ctx, Form, Page, render, render_with};
use crate::routes::when;

/// The staff roles, for radios: value and words.
fn staff_roles() -> Vec<(&'static str, &'static str)> {
    StaffRole::ALL.iter().map(|r| (r.as_str(), r.describe())).collect()
}

#[derive(Template)]
#[template(path = "people/list.html")]
struct List {
    page: Page,
    people: Vec<User>,
    invitations: Vec<Invitation>,
}

impl List {
    /// Everyone with an account: the email address (a link to the person), name, staff role and
    /// whether the account is disabled.
    fn people_table(&self) -> crate::components::Table {
        use crate::components::{Table, TableCell, Tag, link};
        let head = ["Email address", "Name", "Staff role", "Status"].map(TableCell::text).to_vec();
        let rows = self
            .people
            .iter()
            .map(|person| {
                let status = if person.disabled {
                    TableCell::html(Tag::new("Disabled", Some("govuk-tag--grey")).to_html())
                } else {
                    TableCell::text("Active")
                };
                vec![
                    TableCell::html(link(&format!("/people/{}", person.id), &person.email)),
                    TableCell::text(person.name.as_deref().unwrap_or_default()),
                    TableCell::text(person.staff_role.as_ref().map(ToString::to_string).unwrap_or_default()),
                    status,
                ]
            })
            .collect();
        Table { rows, ..Table::with_hidden_caption("Everyone with an account", head) }
    }

    /// Invitations to the staff, each with a button to withdraw it.
    fn invitations_table(&self) -> crate::components::Table {
        use crate::components::form::inline_form;
        use crate::components::{Button, Table, TableCell};
        let mut head = ["Email address", "Role", "Expires"].map(TableCell::text).to_vec();
        head.push(TableCell::html("<span class=\"govuk-visually-hidden\">Action</span>"));
        let rows = self
            .invitations
            .iter()
            .map(|invitation| {
                let withdraw = Button::action(
                    "Withdraw",
                    &format!(" the invitation to {}", invitation.email),
                    "govuk-button--secondary govuk-!-margin-bottom-0",
                );
                let action = format!("/people/invitations/{}/withdraw", invitation.id);
                vec![
                    TableCell::text(&invitation.email),
                    TableCell::text(invitation.roles.join(", ")),
                    TableCell::text(when(invitation.expires_at)),
                    TableCell::html(inline_form(&action, &self.page.csrf, &withdraw)),
                ]
            })
            .collect();
        Table { rows, ..Table::with_hidden_caption("Invitations to the staff", head) }
    }
}

/// `GET /people`.
pub(crate) async fn list(ctx: Ctx) -> Result<Response, AppError> {
    let people = people::list(&ctx.state, ctx.actor()).await?;
    let now = ctx.state.now();
    let invitations = invitations::for_staff(&ctx.state, ctx.actor())
        .await?
        .into_iter()
        .filter(|i| i.state_at(now) == invitations::InvitationState::Open)
        .collect();
    let page = ctx.page("People", "/people");
    Ok(render(&page, &List { page: page.clone(), people, invitations }))
}

#[derive(Template)]
#[template(path = "people/new.html")]
struct New {
    page: Page,
    form: Form,
    staff_roles: Vec<(&'static str, &'static str)>,
    invitation: bool,
}

fn new_page(ctx: &Ctx, form: Form, invitation: bool, status: StatusCode) -> Response {
    let mut page =
        ctx.page(if invitation { "Invite someone to the staff" } else { "Add a person" }, "/people");
    page.has_errors = form.has_errors();
    render_with(status, &page, &New { page: page.clone(), form, staff_roles: staff_roles(), invitation })
}

/// `GET /people/new`.
pub(crate) async fn new(ctx: Ctx) -> Result<Response, AppError> {
    people::list(&ctx.state, ctx.actor()).await?;
    Ok(new_page(
        &ctx,
        Form::new(vec![("staff_role".into(), "none".into())], Vec::new()),
        false,
        StatusCode::OK,
    ))
}

/// `POST /people`.
pub(crate) async fn create(ctx: Ctx, form: FormData) -> Result<Response, AppError> {
    let new = NewPerson {
        email: form.get("email").into(),
        name: Some(form.get("name").to_string()),
        password: None,
        staff_role: Some(form.get("staff_role").to_string()),
    };
    match people::create(&ctx.state, &form.principal.actor, &new).await {
        Ok(user) => Ok(Redirect::to(&format!("/people/{}?notice=person-added", user.id)).into_response()),
        Err(ServiceError::Invalid(problems)) => {
            Ok(new_page(&ctx, Form::new(form.values(), problems), false, StatusCode::UNPROCESSABLE_ENTITY))
        }
        Err(e) => Err(e.into()),
    }
}

#[derive(Template)]
#[template(path = "people/show.html")]
struct Show {
    page: Page,
    person: User,
    memberships: Vec<Membership>,
    form: Form,
    staff_roles: Vec<(&'static str, &'static str)>,
}

impl Show {
    /// The person's email address, how they sign in and their organisations.
    fn details(&self) -> crate::components::SummaryList {
        use crate::components::{Cell, SummaryList, SummaryRow};
        let person = &self.person;
        let signs_in_with = match (person.password_hash.is_some(), person.oidc_subject.is_some()) {
            (true, true) => "A password and The identity provider",
            (true, false) => "A password",
            (false, true) => "The identity provider",
            (false, false) => "Not yet signed in",
        };
        let row =
            |key: &str, value: Cell| SummaryRow { key: Cell::text(key), value, ..SummaryRow::default() };
        SummaryList {
            rows: vec![
                row("Email address", Cell::text(&person.email)),
                row("Signs in with", Cell::text(signs_in_with)),
                row("Organisations", memberships(&self.memberships)),
            ],
            ..SummaryList::default()
        }
    }
}

/// A person's organisations, each linking to its page, with their roles there; "None" without any.
fn memberships(memberships: &[Membership]) -> crate::components::Cell {
    use crate::components::{Cell, escape, link};
    if memberships.is_empty() {
        return Cell::text("None");
    }
    let items: String = memberships
        .iter()
        .map(|m| {
            let organisation = link(&format!("/organisations/{}", m.organisation_slug), &m.organisation_name);
            format!("<li>{organisation}: {}</li>", escape(&m.roles.join(", ")))
        })
        .collect();
    Cell::html(format!("<ul class=\"govuk-list\">{items}</ul>"))
}

async fn person_page(
    ctx: &Ctx,
    id: &str,
    form: Option<Form>,
    status: StatusCode,
) -> Result<Response, AppError> {
    let (person, memberships) = people::get(&ctx.state, ctx.actor(), id).await?;
    let form = form.unwrap_or_else(|| {
        let mut values = vec![
            ("name".to_string(), person.name.clone().unwrap_or_default()),
            ("staff_role".to_string(), person.staff_role.clone().unwrap_or_else(|| "none".into())),
        ];
        if person.disabled {
            values.push(("disabled".into(), "yes".into()));
        }
        Form::new(values, Vec::new())
    });
    let mut page = ctx.page(person.name.clone().unwrap_or_else(|| person.email.clone()), "/people");
    page.has_errors = form.has_errors();
    Ok(render_with(
        status,
        &page,
        &Show { page: page.clone(), person, memberships, form, staff_roles: staff_roles() },
    ))
}

/// `GET /people/{id}`.
pub(crate) async fn show(ctx: Ctx, Path(id): Path<String>) -> Result<Response, AppError> {
    person_page(&ctx, &id, None, StatusCode::OK).await
}

/// `POST /people/{id}`.
pub(crate) async fn update(ctx: Ctx, Path(id): Path<String>, form: FormData) -> Result<Response, AppError> {
    let changes = PersonChanges {
        name: Some(form.get("name").to_string()),
        staff_role: Some(form.get("staff_role").to_string()),
        disabled: Some(form.get("disabled") == "yes"),
    };
    match people::update(&ctx.state, &form.principal.actor, &id, &changes).await {
        Ok(_) => Ok(Redirect::to(&format!("/people/{id}?notice=person-changed")).into_response()),
        Err(ServiceError::Invalid(problems)) => {
            person_page(&ctx, &id, Some(Form::new(form.values(), problems)), StatusCode::UNPROCESSABLE_ENTITY)
                .await
        }
        Err(ServiceError::Conflict(message)) => {
            let problems = vec![formwork_service::Problem::new("staff_role", "conflict", message)];
            person_page(&ctx, &id, Some(Form::new(form.values(), problems)), StatusCode::CONFLICT).await
        }
        Err(e) => Err(e.into()),
    }
}

/// `GET /people/invitations/new`.
pub(crate) async fn invite(ctx: Ctx) -> Result<Response, AppError> {
    invitations::for_staff(&ctx.state, ctx.actor()).await?;
    Ok(new_page(&ctx, Form::default(), true, StatusCode::OK))
}

/// `POST /people/invitations`.
pub(crate) async fn send_invitation(ctx: Ctx, form: FormData) -> Result<Response, AppError> {
    match invitations::invite_staff(
        &ctx.state,
        &form.principal.actor,
        form.get("email"),
        form.get("staff_role"),
    )
    .await
    {
        Ok(_) => Ok(Redirect::to("/people?notice=invitation-sent").into_response()),
        Err(ServiceError::Invalid(problems)) => {
            Ok(new_page(&ctx, Form::new(form.values(), problems), true, StatusCode::UNPROCESSABLE_ENTITY))
        }
        Err(e) => Err(e.into()),
    }
}

/// `POST /people/invitations/{id}/withdraw`.
pub(crate) async fn withdraw_invitation(
    ctx: Ctx,
    Path(id): Path<String>,
    form: FormData,
) -> Result<Response, AppError> {
    invitations::withdraw(&ctx.state, &form.principal.actor, invitations::InvitedTo::Staff, &id).await?;
    Ok(Redirect::to("/people?notice=invitation-withdrawn").into_response())
}
