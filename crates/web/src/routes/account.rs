//! The account page: one's name, password, organisations and API tokens.

use askama::Template;
use axum::extract::Path;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use formwork_service::organisations::Membership;
use formwork_service::people::User;
use formwork_service::tokens::ApiToken;
use formwork_service::{ServiceError, StaffRole, accounts, people, tokens};

use crate::error::AppError;
use crate::forms::FormData;
use crate::pages::{Ctx, Form, Page, render_with};
use crate::routes::sign_in::signed_in;
use crate::routes::when;

#[derive(Template)]
#[template(path = "account.html")]
struct Account {
    page: Page,
    user: User,
    staff: Option<StaffRole>,
    memberships: Vec<Membership>,
    tokens: Vec<ApiToken>,
    new_token: Option<(String, String)>,
    name_form: Form,
    password_form: Form,
    token_form: Form,
}

impl Account {
    /// The person's API tokens, each with a button to revoke it unless it is revoked already.
    fn tokens_table(&self) -> crate::components::Table {
        use crate::components::form::inline_form;
        use crate::components::{Button, Table, TableCell};
        let mut head = ["Name", "Made", "Last used"].map(TableCell::text).to_vec();
        head.push(TableCell::html("<span class=\"govuk-visually-hidden\">Action</span>"));
        let rows = self
            .tokens
            .iter()
            .map(|token| {
                let action = match token.revoked_at {
                    Some(at) => TableCell::text(format!("Revoked {}", when(at))),
                    None => {
                        let revoke = Button::action(
                            "Revoke",
                            &format!(" {}", token.name),
                            "govuk-button--warning govuk-!-margin-bottom-0",
                        );
                        let action = format!("/account/tokens/{}/revoke", token.id);
                        TableCell::html(inline_form(&action, &self.page.csrf, &revoke))
                    }
                };
                vec![
                    TableCell::text(&token.name),
                    TableCell::text(when(token.created_at)),
                    TableCell::text(token.last_used_at.map(when).unwrap_or_else(|| "Never".to_owned())),
                    action,
                ]
            })
            .collect();
        Table {
            rows,
            caption: Some("Your tokens".to_owned()),
            caption_classes: Some("govuk-table__caption--s".to_owned()),
            head,
            ..Table::default()
        }
    }

    fn roles(&self, m: &Membership) -> String {
        m.roles.join(", ")
    }

    /// For staff, who see every organisation whether or not they are a member of any.
    fn every_organisation(&self) -> Option<&'static str> {
        self.staff.map(|staff| match staff {
            StaffRole::Admin => "All organisations, as a service admin",
            StaffRole::Reviewer => "All organisations, as a reviewer",
            StaffRole::Analyst => "All organisations, as an analyst",
        })
    }
}

#[derive(Default)]
struct Forms {
    name: Form,
    password: Form,
    token: Form,
    new_token: Option<(String, String)>,
}

async fn account_page(ctx: &Ctx, forms: Forms, status: StatusCode) -> Result<Response, AppError> {
    let person = ctx.actor().as_person().ok_or(ServiceError::SignInRequired)?;
    let tokens = tokens::list(&ctx.state, ctx.actor()).await?;
    let mut page = ctx.page("Your account", "/account");
    page.has_errors = forms.name.has_errors() || forms.password.has_errors() || forms.token.has_errors();
    let template = Account {
        page: page.clone(),
        user: person.user.clone(),
        staff: person.staff,
        memberships: person.memberships.clone(),
        tokens,
        new_token: forms.new_token,
        name_form: forms.name,
        password_form: forms.password,
        token_form: forms.token,
    };
    Ok(render_with(status, &page, &template))
}

/// `GET /account`.
pub(crate) async fn show(ctx: Ctx) -> Result<Response, AppError> {
    account_page(&ctx, Forms::default(), StatusCode::OK).await
}

/// `POST /account/name`.
pub(crate) async fn rename(ctx: Ctx, form: FormData) -> Result<Response, AppError> {
    match people::rename_self(&ctx.state, &form.principal.actor, form.get("name")).await {
        Ok(()) => Ok(Redirect::to("/account?notice=name-changed").into_response()),
        Err(ServiceError::Invalid(problems)) => {
            let forms = Forms { name: Form::new(form.values(), problems), ..Forms::default() };
            account_page(&ctx, forms, StatusCode::UNPROCESSABLE_ENTITY).await
        }
        Err(e) => Err(e.into()),
    }
}

/// `POST /account/password`: every session ends; this browser gets a new one.
pub(crate) async fn change_password(ctx: Ctx, form: FormData) -> Result<Response, AppError> {
    let actor = &form.principal.actor;
    match accounts::change_password(
        &ctx.state,
        actor,
        form.get("current_password"),
        form.get("password"),
        form.get("confirm_password"),
    )
    .await
    {
        Ok(()) => {
            let user_id = actor.user_id().ok_or(ServiceError::SignInRequired)?;
            signed_in(&ctx.state, &crate::auth::Via::Nothing, user_id, "/account?notice=password-changed")
                .await
        }
        Err(ServiceError::Invalid(problems)) => {
            let forms = Forms { password: Form::new(form.values(), problems), ..Forms::default() };
            account_page(&ctx, forms, StatusCode::UNPROCESSABLE_ENTITY).await
        }
        Err(e) => Err(e.into()),
    }
}

/// `POST /account/tokens`: make a token and show its secret, once.
pub(crate) async fn create_token(ctx: Ctx, form: FormData) -> Result<Response, AppError> {
    match tokens::create(&ctx.state, &form.principal.actor, form.get("token_name")).await {
        Ok((token, secret)) => {
            let forms = Forms { new_token: Some((token.name, secret)), ..Forms::default() };
            account_page(&ctx, forms, StatusCode::CREATED).await
        }
        Err(ServiceError::Invalid(mut problems)) => {
            for problem in &mut problems {
                problem.field = "token_name".into();
            }
            let forms = Forms { token: Form::new(form.values(), problems), ..Forms::default() };
            account_page(&ctx, forms, StatusCode::UNPROCESSABLE_ENTITY).await
        }
        Err(e) => Err(e.into()),
    }
}

/// `POST /account/tokens/{id}/revoke`.
pub(crate) async fn revoke_token(
    ctx: Ctx,
    Path(id): Path<String>,
    form: FormData,
) -> Result<Response, AppError> {
    tokens::revoke(&ctx.state, &form.principal.actor, &id).await?;
    Ok(Redirect::to("/account?notice=token-revoked").into_response())
}
