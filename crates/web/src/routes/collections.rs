//! Collection pages: the list, publishing a definition (refused with its diagnostics when it has
//! problems), a collection's versions and periods, and assigning organisations.

use askama::Template;
use axum::extract::Path;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use formwork_definition::{Kind, SectionContent};
use formwork_service::collections::{self, CollectionView};
use formwork_service::collections::{Collection, Version};
use formwork_service::organisations::Organisation;
use formwork_service::policy::{Action, check};
use formwork_service::{Problem, ServiceError, organisations};

use crate::error::AppError;
use crate::forms::FormData;
use crate::pages::{Ctx, Form, Page, render, render_with};
use crate::routes::{today, when};

#[derive(Template)]
#[template(path = "collections/list.html")]
struct List {
    page: Page,
    collections: Vec<Collection>,
    can_publish: bool,
}

impl List {
    /// The collections: the title (a link to the collection), the kind and the latest version.
    fn table(&self) -> crate::components::Table {
        use crate::components::{Table, TableCell, link};
        let head = vec![TableCell::text("Title"), TableCell::text("Kind"), TableCell::numeric("Version")];
        let rows = self
            .collections
            .iter()
            .map(|collection| {
                let href = format!("/collections/{}", collection.slug);
                vec![
                    TableCell::html(link(&href, &collection.title)),
                    TableCell::text(&collection.kind),
                    TableCell::numeric(collection.latest_version.to_string()),
                ]
            })
            .collect();
        Table { rows, ..Table::with_hidden_caption("Collections", head) }
    }
}

/// `GET /collections`.
pub(crate) async fn list(ctx: Ctx) -> Result<Response, AppError> {
    let collections = collections::list(&ctx.state, ctx.actor()).await?;
    let page = ctx.page("Collections", "/collections");
    let can_publish = check(ctx.actor(), Action::PublishCollections).is_ok();
    Ok(render(&page, &List { page: page.clone(), collections, can_publish }))
}

#[derive(Template)]
#[template(path = "collections/publish.html")]
struct Publish {
    page: Page,
    form: Form,
    diagnostics: Option<String>,
}

fn publish_page(ctx: &Ctx, form: Form, diagnostics: Option<String>, status: StatusCode) -> Response {
    let mut page = ctx.page("Publish a definition", "/collections");
    page.has_errors = form.has_errors();
    render_with(status, &page, &Publish { page: page.clone(), form, diagnostics })
}

/// `GET /collections/publish`.
pub(crate) async fn publish(ctx: Ctx) -> Result<Response, AppError> {
    check(ctx.actor(), Action::PublishCollections).map_err(AppError::from)?;
    Ok(publish_page(&ctx, Form::default(), None, StatusCode::OK))
}

/// `POST /collections/publish`: a file, or text pasted in.
pub(crate) async fn publish_submit(ctx: Ctx, form: FormData) -> Result<Response, AppError> {
    let source = match form.file("file") {
        Some(file) => file.bytes.to_vec(),
        None => form.get("definition").as_bytes().to_vec(),
    };
    let mut values = form.values();
    if form.file("file").is_some() {
        values.retain(|(k, _)| k != "definition");
        values.push(("definition".into(), String::from_utf8_lossy(&source).into_owned()));
    }
    match collections::publish(&ctx.state, &form.principal.actor, &source).await {
        Ok(published) => {
            Ok(Redirect::to(&format!("/collections/{}?notice=published", published.slug)).into_response())
        }
        Err(refused @ ServiceError::DefinitionRefused { .. }) => {
            let summary = refused.to_string();
            let rendered = match refused {
                ServiceError::DefinitionRefused { rendered, .. } => rendered,
                _ => String::new(),
            };
            let problems = vec![Problem::new("definition", "definition", summary)];
            Ok(publish_page(
                &ctx,
                Form::new(values, problems),
                Some(rendered),
                StatusCode::UNPROCESSABLE_ENTITY,
            ))
        }
        Err(ServiceError::Invalid(problems)) => {
            Ok(publish_page(&ctx, Form::new(values, problems), None, StatusCode::UNPROCESSABLE_ENTITY))
        }
        Err(ServiceError::Conflict(message)) => {
            let problems = vec![Problem::new("definition", "conflict", message)];
            Ok(publish_page(&ctx, Form::new(values, problems), None, StatusCode::CONFLICT))
        }
        Err(e) => Err(e.into()),
    }
}

#[derive(Template)]
#[template(path = "collections/show.html")]
struct Show {
    page: Page,
    view: CollectionView,
    can_assign: bool,
    /// May move every draft to the latest version (a return with more than one version).
    can_move_drafts: bool,
    unassigned: Vec<Organisation>,
    form: Form,
}

impl Show {
    /// The collection's slug, kind, latest version and template downloads.
    fn details(&self) -> crate::components::SummaryList {
        use crate::components::{Cell, SummaryList, SummaryRow, link};
        let collection = &self.view.collection;
        let api = format!("/api/v1/collections/{}", collection.slug);
        // A log's CSV holds its records; a return's, one table each: one link per table section.
        let mut links = vec![link(&format!("{api}/template.xlsx"), "Spreadsheet template (XLSX)")];
        match self.view.definition.kind {
            Kind::Log => links.push(link(&format!("{api}/template.csv"), "CSV template")),
            Kind::Return => {
                for section in &self.view.definition.sections {
                    if let SectionContent::Table(_) = section.content {
                        let href = format!("{api}/template.csv?table={}", section.id);
                        links.push(link(&href, &format!("CSV template: {}", section.title)));
                    }
                }
            }
        }
        let templates = links.join("<br>");
        let row =
            |key: &str, value: Cell| SummaryRow { key: Cell::text(key), value, ..SummaryRow::default() };
        SummaryList {
            rows: vec![
                row("Slug", Cell::text(&collection.slug)),
                row("Kind", Cell::text(self.kind())),
                row("Latest version", Cell::text(collection.latest_version.to_string())),
                row("Templates", Cell::html(templates)),
            ],
            ..SummaryList::default()
        }
    }

    /// The organisations given the collection, each with a button to take it off for those who
    /// may.
    fn organisations_table(&self) -> crate::components::Table {
        use crate::components::form::inline_form;
        use crate::components::{Button, Table, TableCell, link};
        let mut head = vec![TableCell::text("Organisation")];
        if self.can_assign {
            head.push(TableCell::html("<span class=\"govuk-visually-hidden\">Action</span>"));
        }
        let slug = &self.view.collection.slug;
        let rows = self
            .view
            .organisations
            .iter()
            .map(|organisation| {
                let mut row = vec![TableCell::html(link(
                    &format!("/organisations/{}", organisation.slug),
                    &organisation.name,
                ))];
                if self.can_assign {
                    let take_off = Button::action(
                        "Take off",
                        &format!(" {}", organisation.name),
                        "govuk-button--secondary govuk-!-margin-bottom-0",
                    );
                    let action = format!("/collections/{slug}/organisations/{}/remove", organisation.slug);
                    row.push(TableCell::html(inline_form(&action, &self.page.csrf, &take_off)));
                }
                row
            })
            .collect();
        Table {
            rows,
            caption: Some("Organisations given this collection".to_owned()),
            caption_classes: Some("govuk-visually-hidden".to_owned()),
            head,
            ..Table::default()
        }
    }

    /// The roles the definition gives members, with what each may do.
    fn roles(&self) -> crate::components::SummaryList {
        use crate::components::{Cell, SummaryList, SummaryRow};
        let rows = self
            .view
            .definition
            .roles
            .iter()
            .map(|role| SummaryRow {
                key: Cell::text(role.id.to_string()),
                value: Cell::text(role.description.to_string()),
                ..SummaryRow::default()
            })
            .collect();
        SummaryList { rows, ..SummaryList::default() }
    }

    /// The periods that have started, with their dates.
    fn periods_table(&self) -> crate::components::Table {
        use crate::components::{Table, TableCell};
        let head = ["Period", "From", "To", "Due"].map(TableCell::text).to_vec();
        let rows = self
            .view
            .periods
            .iter()
            .map(|period| {
                vec![
                    TableCell::text(period.label.to_string()),
                    TableCell::text(self.date(&period.start)),
                    TableCell::text(self.date(&period.end)),
                    TableCell::text(self.date(&period.due)),
                ]
            })
            .collect();
        Table { rows, ..Table::with_hidden_caption("Periods", head) }
    }

    /// The published versions, each linking to its definition.
    fn versions_table(&self) -> crate::components::Table {
        use crate::components::{Table, TableCell, link};
        let slug = &self.view.collection.slug;
        let head = ["Version", "Title", "Published"].map(TableCell::text).to_vec();
        let rows = self
            .view
            .versions
            .iter()
            .map(|version| {
                let href = format!("/collections/{slug}/versions/{}", version.version);
                vec![
                    TableCell::html(link(&href, &format!("Version {}", version.version))),
                    TableCell::text(&version.title),
                    TableCell::text(when(version.published_at)),
                ]
            })
            .collect();
        Table { rows, ..Table::with_hidden_caption("Versions", head) }
    }

    /// The choice of an organisation to assign, from those not assigned yet.
    fn organisation_select(&self) -> crate::components::Select {
        use crate::components::{ErrorMessage, Label, Select, SelectItem};
        let items = self
            .unassigned
            .iter()
            .map(|organisation| SelectItem {
                value: Some(organisation.slug.clone()),
                text: Some(organisation.name.clone()),
                ..SelectItem::default()
            })
            .collect();
        Select {
            id: Some("organisation".to_owned()),
            name: Some("organisation".to_owned()),
            items,
            label: Label::text("Assign an organisation").classes("govuk-label--s"),
            error_message: self.form.error("organisation").map(ErrorMessage::text),
            ..Select::default()
        }
    }

    fn kind(&self) -> &'static str {
        match self.view.definition.kind {
            Kind::Return => "Return: one submission per organisation per period",
            Kind::Log => "Log: records sent one by one or in files",
        }
    }
    fn sections(&self) -> Vec<(String, String)> {
        self.view
            .definition
            .sections
            .iter()
            .map(|s| {
                let what = match &s.content {
                    SectionContent::Questions(questions) if questions.len() == 1 => "1 question".to_string(),
                    SectionContent::Questions(questions) => format!("{} questions", questions.len()),
                    SectionContent::Table(_) => "a table".to_string(),
                };
                (s.title.clone(), what)
            })
            .collect()
    }
    fn date(&self, date: &chrono::NaiveDate) -> String {
        date.format("%-d %B %Y").to_string()
    }
}

async fn show_page(ctx: &Ctx, slug: &str, form: Form, status: StatusCode) -> Result<Response, AppError> {
    let view = collections::get(&ctx.state, ctx.actor(), slug, today(&ctx.state)).await?;
    let can_assign = check(ctx.actor(), Action::AssignOrganisations).is_ok();
    let unassigned = if can_assign {
        organisations::list(&ctx.state, ctx.actor())
            .await?
            .into_iter()
            .filter(|o| !view.organisations.iter().any(|a| a.id == o.id))
            .collect()
    } else {
        Vec::new()
    };
    let can_move_drafts = check(ctx.actor(), Action::MoveAllDrafts).is_ok()
        && view.definition.kind == Kind::Return
        && view.versions.len() > 1;
    let mut page = ctx.page(view.collection.title.clone(), "/collections");
    page.has_errors = form.has_errors();
    let show = Show { page: page.clone(), view, can_assign, can_move_drafts, unassigned, form };
    Ok(render_with(status, &page, &show))
}

/// `GET /collections/{slug}`.
pub(crate) async fn show(ctx: Ctx, Path(slug): Path<String>) -> Result<Response, AppError> {
    show_page(&ctx, &slug, Form::default(), StatusCode::OK).await
}

#[derive(Template)]
#[template(path = "collections/version.html")]
struct VersionPage {
    page: Page,
    version: Version,
}

impl VersionPage {
    fn when(&self, millis: &i64) -> String {
        when(*millis)
    }
}

/// `GET /collections/{slug}/versions/{version}`: the definition as published.
pub(crate) async fn version(
    ctx: Ctx,
    Path((slug, number)): Path<(String, String)>,
) -> Result<Response, AppError> {
    let number: i64 =
        number.parse().map_err(|_| ServiceError::NotFound(format!("{slug} has no version {number}")))?;
    let version = collections::version(&ctx.state, ctx.actor(), &slug, number).await?;
    let page = ctx.page(format!("{} – version {}", version.title, version.version), "/collections");
    Ok(render(&page, &VersionPage { page: page.clone(), version }))
}

/// `POST /collections/{slug}/organisations`: assign an organisation.
pub(crate) async fn assign(ctx: Ctx, Path(slug): Path<String>, form: FormData) -> Result<Response, AppError> {
    match collections::assign(&ctx.state, &form.principal.actor, &slug, form.get("organisation")).await {
        Ok(_) => Ok(Redirect::to(&format!("/collections/{slug}?notice=assigned")).into_response()),
        Err(ServiceError::Invalid(problems)) => {
            show_page(&ctx, &slug, Form::new(form.values(), problems), StatusCode::UNPROCESSABLE_ENTITY).await
        }
        Err(e) => Err(e.into()),
    }
}

/// `POST /collections/{slug}/organisations/{organisation}/remove`.
pub(crate) async fn unassign(
    ctx: Ctx,
    Path((slug, organisation)): Path<(String, String)>,
    form: FormData,
) -> Result<Response, AppError> {
    collections::unassign(&ctx.state, &form.principal.actor, &slug, &organisation).await?;
    Ok(Redirect::to(&format!("/collections/{slug}?notice=unassigned")).into_response())
}
