//! People pages, for service admins: everyone's accounts, adding people, staff roles, disabling
//! accounts, and invitations to the staff.

use askama::Template;
use axum::extract::Path;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use formwork_service::people::{self, NewPerson, PersonChanges};
use formwork_service::{ServiceError, StaffRole, invitations};
use formwork_service::invitations::Invitation;
use formwork_service::organisations::Membership;
use formwork_service::people::User;

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
}

impl List {
    fn when(&self, millis: &i64) -> String {
        when(*millis)
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
    fn roles(&self, m: &Membership) -> String {
        m.roles.join(", ")
    }
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
