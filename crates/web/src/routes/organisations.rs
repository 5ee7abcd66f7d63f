//! Organisation pages: the list, adding and changing organisations (service admins), and an
//! organisation's members and invitations (its admins and service admins).

use std::collections::BTreeMap;

use askama::Template;
use axum::extract::Path;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use formwork_service::invitations::InvitedTo;
use formwork_service::organisations::{
    self, Membership, Organisation, OrganisationChanges, OrganisationInput, Overview, RoleInfo,
};
use formwork_service::policy::{Action, check};
use formwork_service::{Problem, ServiceError, invitations};

use crate::error::AppError;
use crate::forms::FormData;
use crate::pages::{Ctx, Form, Page, render, render_with};
use crate::routes::when;

/// Identifiers typed one per line, as `name: value` or `name = value`.
pub(crate) fn parse_external_ids(text: &str) -> Result<BTreeMap<String, String>, Problem> {
    let mut ids = BTreeMap::new();
    for line in text.lines().map(str::trim).filter(|l| !l.is_empty()) {
        let Some((key, value)) = line.split_once(':').or_else(|| line.split_once('=')) else {
            return Err(Problem::new(
                "external_ids",
                "pattern",
                format!(
                    "Write each identifier on its own line as name: value, like ukprn: 10001234 (“{line}” has no colon)"
                ),
            ));
        };
        ids.insert(key.trim().to_string(), value.trim().to_string());
    }
    Ok(ids)
}

fn ids_text(ids: &BTreeMap<String, String>) -> String {
    ids.iter().map(|(k, v)| format!("{k}: {v}")).collect::<Vec<_>>().join("\n")
}

#[derive(Template)]
#[template(path = "organisations/list.html")]
struct List {
    page: Page,
    organisations: Vec<Organisation>,
    can_add: bool,
}

impl List {
    /// The organisations: the name (a link to the organisation) and the slug.
    fn table(&self) -> crate::components::Table {
        use crate::components::{Table, TableCell, link};
        let head = vec![TableCell::text("Name"), TableCell::text("Slug")];
        let rows = self
            .organisations
            .iter()
            .map(|organisation| {
                let href = format!("/organisations/{}", organisation.slug);
                vec![TableCell::html(link(&href, &organisation.name)), TableCell::text(&organisation.slug)]
            })
            .collect();
        Table { rows, ..Table::with_hidden_caption("Organisations", head) }
    }
}

/// `GET /organisations`.
pub(crate) async fn list(ctx: Ctx) -> Result<Response, AppError> {
    let organisations = organisations::list(&ctx.state, ctx.actor()).await?;
    let page = ctx.page("Organisations", "/organisations");
    let can_add = check(ctx.actor(), Action::ManageOrganisations).is_ok();
    Ok(render(&page, &List { page: page.clone(), organisations, can_add }))
}

#[derive(Template)]
#[template(path = "organisations/form.html")]
struct OrganisationForm {
    page: Page,
    form: Form,
    existing: Option<Organisation>,
}

fn organisation_form(ctx: &Ctx, form: Form, existing: Option<Organisation>, status: StatusCode) -> Response {
    let title = match &existing {
        Some(o) => format!("Change {}", o.name),
        None => "Add an organisation".into(),
    };
    let mut page = ctx.page(title, "/organisations");
    page.has_errors = form.has_errors();
    render_with(status, &page, &OrganisationForm { page: page.clone(), form, existing })
}

/// `GET /organisations/new`.
pub(crate) async fn new(ctx: Ctx) -> Result<Response, AppError> {
    check(ctx.actor(), Action::ManageOrganisations).map_err(AppError::from)?;
    Ok(organisation_form(&ctx, Form::default(), None, StatusCode::OK))
}

fn input(form: &FormData) -> Result<OrganisationInput, Problem> {
    Ok(OrganisationInput {
        name: form.get("name").to_string(),
        slug: Some(form.get("slug").to_string()).filter(|s| !s.trim().is_empty()),
        external_ids: parse_external_ids(form.get("external_ids"))?,
    })
}

/// `POST /organisations`.
pub(crate) async fn create(ctx: Ctx, form: FormData) -> Result<Response, AppError> {
    let outcome = match input(&form) {
        Ok(input) => organisations::create(&ctx.state, &form.principal.actor, &input).await,
        Err(problem) => Err(ServiceError::Invalid(vec![problem])),
    };
    match outcome {
        Ok(o) => {
            Ok(Redirect::to(&format!("/organisations/{}?notice=organisation-added", o.slug)).into_response())
        }
        Err(ServiceError::Invalid(problems)) => Ok(organisation_form(
            &ctx,
            Form::new(form.values(), problems),
            None,
            StatusCode::UNPROCESSABLE_ENTITY,
        )),
        Err(e) => Err(e.into()),
    }
}

/// `GET /organisations/{slug}/edit`.
pub(crate) async fn edit(ctx: Ctx, Path(slug): Path<String>) -> Result<Response, AppError> {
    let organisation = organisations::find(&ctx.state, ctx.actor(), &slug).await?;
    check(ctx.actor(), Action::ManageOrganisations).map_err(AppError::from)?;
    let values = vec![
        ("name".into(), organisation.name.clone()),
        ("external_ids".into(), ids_text(&organisation.external_ids)),
    ];
    Ok(organisation_form(&ctx, Form::new(values, Vec::new()), Some(organisation), StatusCode::OK))
}

/// `POST /organisations/{slug}/edit`.
pub(crate) async fn update(ctx: Ctx, Path(slug): Path<String>, form: FormData) -> Result<Response, AppError> {
    let outcome = match input(&form) {
        Ok(input) => {
            let changes =
                OrganisationChanges { name: Some(input.name), external_ids: Some(input.external_ids) };
            organisations::update(&ctx.state, &form.principal.actor, &slug, &changes).await
        }
        Err(problem) => Err(ServiceError::Invalid(vec![problem])),
    };
    match outcome {
        Ok(o) => {
            Ok(Redirect::to(&format!("/organisations/{}?notice=organisation-changed", o.slug))
                .into_response())
        }
        Err(ServiceError::Invalid(problems)) => {
            let existing = organisations::find(&ctx.state, ctx.actor(), &slug).await?;
            Ok(organisation_form(
                &ctx,
                Form::new(form.values(), problems),
                Some(existing),
                StatusCode::UNPROCESSABLE_ENTITY,
            ))
        }
        Err(e) => Err(e.into()),
    }
}

#[derive(Template)]
#[template(path = "organisations/show.html")]
struct Show {
    page: Page,
    overview: Overview,
}

impl Show {
    /// The logs the organisation keeps: each one's records list, and its title.
    fn logs(&self) -> Vec<(String, String)> {
        let slug = &self.overview.organisation.slug;
        self.overview
            .collections
            .iter()
            .filter(|c| c.kind == "log")
            .map(|c| (super::records::list_href(slug, &c.slug), format!("Records of {}", c.title)))
            .collect()
    }

    /// The organisation's slug, identifiers in other systems and collections.
    fn details(&self) -> crate::components::SummaryList {
        use crate::components::{Cell, SummaryList, SummaryRow, escape, link};
        let organisation = &self.overview.organisation;
        let list = |items: Vec<String>, none: &str| {
            if items.is_empty() {
                Cell::text(none)
            } else {
                let items: String = items.iter().map(|item| format!("<li>{item}</li>")).collect();
                Cell::html(format!("<ul class=\"govuk-list\">{items}</ul>"))
            }
        };
        let identifiers = organisation
            .external_ids
            .iter()
            .map(|(name, value)| escape(&format!("{name}: {value}")))
            .collect();
        let collections = self
            .overview
            .collections
            .iter()
            .map(|collection| link(&format!("/collections/{}", collection.slug), &collection.title))
            .collect();
        let row =
            |key: &str, value: Cell| SummaryRow { key: Cell::text(key), value, ..SummaryRow::default() };
        SummaryList {
            rows: vec![
                row("Slug", Cell::text(&organisation.slug)),
                row("Identifiers", list(identifiers, "None")),
                row("Collections", list(collections, "None yet")),
            ],
            ..SummaryList::default()
        }
    }

    /// The members, with a link to change each one's roles when the person viewing may.
    fn members_table(&self) -> crate::components::Table {
        use crate::components::{Table, TableCell, escape};
        let manage = self.overview.can_manage_members;
        let mut head = ["Name", "Email address", "Roles"].map(TableCell::text).to_vec();
        if manage {
            head.push(TableCell::html("<span class=\"govuk-visually-hidden\">Action</span>"));
        }
        let slug = &self.overview.organisation.slug;
        let rows = self
            .overview
            .members
            .iter()
            .flatten()
            .map(|member| {
                let mut row = vec![
                    TableCell::text(member.name.clone().unwrap_or_default()),
                    TableCell::text(&member.email),
                    TableCell::text(self.roles(member)),
                ];
                if manage {
                    row.push(TableCell::html(format!(
                        "<a class=\"govuk-link\" href=\"/organisations/{}/members/{}\">Change<span class=\"govuk-visually-hidden\"> {}</span></a>",
                        escape(slug),
                        escape(&member.user_id),
                        escape(&member.email)
                    )));
                }
                row
            })
            .collect();
        Table { rows, ..Table::with_hidden_caption("Members", head) }
    }

    /// The invitations waiting to be accepted, each with a button to withdraw it when the person
    /// viewing may.
    fn invitations_table(&self) -> crate::components::Table {
        use crate::components::form::inline_form;
        use crate::components::{Button, Table, TableCell};
        let manage = self.overview.can_manage_members;
        let mut head = ["Email address", "Roles", "Expires"].map(TableCell::text).to_vec();
        if manage {
            head.push(TableCell::html("<span class=\"govuk-visually-hidden\">Action</span>"));
        }
        let slug = &self.overview.organisation.slug;
        let rows = self
            .overview
            .invitations
            .iter()
            .flatten()
            .map(|invitation| {
                let mut row = vec![
                    TableCell::text(&invitation.email),
                    TableCell::text(self.list(&invitation.roles)),
                    TableCell::text(when(invitation.expires_at)),
                ];
                if manage {
                    let withdraw = Button::action(
                        "Withdraw",
                        &format!(" the invitation to {}", invitation.email),
                        "govuk-button--secondary govuk-!-margin-bottom-0",
                    );
                    let action = format!("/organisations/{slug}/invitations/{}/withdraw", invitation.id);
                    row.push(TableCell::html(inline_form(&action, &self.page.csrf, &withdraw)));
                }
                row
            })
            .collect();
        Table { rows, ..Table::with_hidden_caption("Invitations", head) }
    }

    fn roles(&self, m: &Membership) -> String {
        m.roles.join(", ")
    }
    fn list(&self, roles: &[String]) -> String {
        roles.join(", ")
    }
}

/// `GET /organisations/{slug}`.
pub(crate) async fn show(ctx: Ctx, Path(slug): Path<String>) -> Result<Response, AppError> {
    let overview = organisations::overview(&ctx.state, ctx.actor(), &slug).await?;
    let page = ctx.page(overview.organisation.name.clone(), "/organisations");
    Ok(render(&page, &Show { page: page.clone(), overview }))
}

#[derive(Template)]
#[template(path = "organisations/invite.html")]
struct Invite {
    page: Page,
    form: Form,
    organisation: Organisation,
    roles: Vec<RoleInfo>,
}

async fn invite_page(ctx: &Ctx, slug: &str, form: Form, status: StatusCode) -> Result<Response, AppError> {
    let (organisation, _) = organisations::members(&ctx.state, ctx.actor(), slug).await?;
    check(ctx.actor(), Action::ManageMembers(&organisation.id)).map_err(AppError::from)?;
    let roles = organisations::roles_for(&ctx.state, &organisation).await?;
    let mut page = ctx.page(format!("Invite someone to {}", organisation.name), "/organisations");
    page.has_errors = form.has_errors();
    Ok(render_with(status, &page, &Invite { page: page.clone(), form, organisation, roles }))
}

/// `GET /organisations/{slug}/invitations/new`.
pub(crate) async fn invite(ctx: Ctx, Path(slug): Path<String>) -> Result<Response, AppError> {
    invite_page(&ctx, &slug, Form::default(), StatusCode::OK).await
}

/// `POST /organisations/{slug}/invitations`.
pub(crate) async fn send_invitation(
    ctx: Ctx,
    Path(slug): Path<String>,
    form: FormData,
) -> Result<Response, AppError> {
    match invitations::invite_member(
        &ctx.state,
        &form.principal.actor,
        &slug,
        form.get("email"),
        &form.all("roles"),
    )
    .await
    {
        Ok(_) => Ok(Redirect::to(&format!("/organisations/{slug}?notice=invitation-sent")).into_response()),
        Err(ServiceError::Invalid(problems)) => {
            invite_page(&ctx, &slug, Form::new(form.values(), problems), StatusCode::UNPROCESSABLE_ENTITY)
                .await
        }
        Err(e) => Err(e.into()),
    }
}

/// `POST /organisations/{slug}/invitations/{id}/withdraw`.
pub(crate) async fn withdraw_invitation(
    ctx: Ctx,
    Path((slug, id)): Path<(String, String)>,
    form: FormData,
) -> Result<Response, AppError> {
    invitations::withdraw(&ctx.state, &form.principal.actor, InvitedTo::Organisation(&slug), &id).await?;
    Ok(Redirect::to(&format!("/organisations/{slug}?notice=invitation-withdrawn")).into_response())
}

#[derive(Template)]
#[template(path = "organisations/member.html")]
struct Member {
    page: Page,
    form: Form,
    organisation: Organisation,
    membership: Membership,
    roles: Vec<RoleInfo>,
}

async fn member_page(
    ctx: &Ctx,
    slug: &str,
    user_id: &str,
    form: Option<Form>,
    status: StatusCode,
) -> Result<Response, AppError> {
    let (organisation, membership) = organisations::member(&ctx.state, ctx.actor(), slug, user_id).await?;
    check(ctx.actor(), Action::ManageMembers(&organisation.id)).map_err(AppError::from)?;
    let roles = organisations::roles_for(&ctx.state, &organisation).await?;
    let form = form.unwrap_or_else(|| {
        Form::new(membership.roles.iter().map(|r| ("roles".to_string(), r.clone())).collect(), Vec::new())
    });
    let who = membership.name.clone().unwrap_or_else(|| membership.email.clone());
    let mut page = ctx.page(format!("Change {who}’s roles"), "/organisations");
    page.has_errors = form.has_errors();
    Ok(render_with(status, &page, &Member { page: page.clone(), form, organisation, membership, roles }))
}

/// `GET /organisations/{slug}/members/{user_id}`.
pub(crate) async fn member(
    ctx: Ctx,
    Path((slug, user_id)): Path<(String, String)>,
) -> Result<Response, AppError> {
    member_page(&ctx, &slug, &user_id, None, StatusCode::OK).await
}

/// `POST /organisations/{slug}/members/{user_id}`.
pub(crate) async fn set_roles(
    ctx: Ctx,
    Path((slug, user_id)): Path<(String, String)>,
    form: FormData,
) -> Result<Response, AppError> {
    match organisations::set_roles(&ctx.state, &form.principal.actor, &slug, &user_id, &form.all("roles"))
        .await
    {
        Ok(_) => Ok(Redirect::to(&format!("/organisations/{slug}?notice=member-changed")).into_response()),
        Err(ServiceError::Invalid(problems)) => {
            member_page(
                &ctx,
                &slug,
                &user_id,
                Some(Form::new(form.values(), problems)),
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await
        }
        Err(ServiceError::Conflict(message)) => {
            let problems = vec![Problem::new("roles", "conflict", message)];
            member_page(&ctx, &slug, &user_id, Some(Form::new(form.values(), problems)), StatusCode::CONFLICT)
                .await
        }
        Err(e) => Err(e.into()),
    }
}

/// `POST /organisations/{slug}/members/{user_id}/remove`.
pub(crate) async fn remove(
    ctx: Ctx,
    Path((slug, user_id)): Path<(String, String)>,
    form: FormData,
) -> Result<Response, AppError> {
    match organisations::remove_member(&ctx.state, &form.principal.actor, &slug, &user_id).await {
        Ok(()) => Ok(Redirect::to(&format!("/organisations/{slug}?notice=member-removed")).into_response()),
        Err(ServiceError::Conflict(message)) => {
            let problems = vec![Problem::new("roles", "conflict", message)];
            member_page(&ctx, &slug, &user_id, Some(Form::new(Vec::new(), problems)), StatusCode::CONFLICT)
                .await
        }
        Err(e) => Err(e.into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identifiers_are_read_one_per_line() {
        let ids = parse_external_ids("ukprn: 10001234\n\n ons_code = E06000001 \n").unwrap_or_default();
        assert_eq!(ids.get("ukprn").map(String::as_str), Some("10001234"));
        assert_eq!(ids.get("ons_code").map(String::as_str), Some("E06000001"));
        assert!(parse_external_ids("just a value").is_err());
    }
}
