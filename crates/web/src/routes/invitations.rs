//! The page an invitation's link opens: accept it as the person signed in, or make an account.

use askama::Template;
use axum::extract::Path;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use formwork_service::ServiceError;
use formwork_service::invitations::Invitation;
use formwork_service::invitations::{self, InvitationView};

use crate::error::AppError;
use crate::forms::FormData;
use crate::pages::{Ctx, Form, Page, render_with};
use crate::routes::sign_in::signed_in;

#[derive(Template)]
#[template(path = "invitation.html")]
struct InvitationPage {
    page: Page,
    token: String,
    view: Option<InvitationView>,
    message: String,
    signed_in_as: Option<String>,
    form: Form,
    oidc: bool,
}

impl InvitationPage {
    fn joining(&self) -> String {
        match self.view.as_ref().and_then(|v| v.organisation.as_ref()) {
            Some(o) => o.name.clone(),
            None => "the staff".into(),
        }
    }
    fn roles(&self) -> String {
        self.view.as_ref().map(|v| v.invitation.roles.join(", ")).unwrap_or_default()
    }
    fn return_to(&self) -> String {
        url::form_urlencoded::byte_serialize(format!("/invitations/{}", self.token).as_bytes()).collect()
    }
}

async fn page(ctx: &Ctx, token: &str, form: Form, status: StatusCode) -> Result<Response, AppError> {
    let (view, message, status) = match invitations::look_up(&ctx.state, token).await? {
        Ok(view) => (Some(view), String::new(), status),
        Err(why) => (None, invitations::unusable_message(why).to_string(), StatusCode::GONE),
    };
    let mut page = ctx
        .page(if view.is_some() { "Accept your invitation" } else { "This invitation cannot be used" }, "");
    page.has_errors = form.has_errors();
    let signed_in_as = ctx.actor().as_person().map(|p| p.user.email.clone());
    let template = InvitationPage {
        page: page.clone(),
        token: token.to_string(),
        view,
        message,
        signed_in_as,
        form,
        oidc: ctx.state.oidc().is_some(),
    };
    let mut response = render_with(status, &page, &template);
    response.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    Ok(response)
}

/// `GET /invitations/{token}`.
pub(crate) async fn show(ctx: Ctx, Path(token): Path<String>) -> Result<Response, AppError> {
    page(&ctx, &token, Form::default(), StatusCode::OK).await
}

fn landing(invitation: &Invitation, slug: Option<String>) -> String {
    match (&invitation.organisation_id, slug) {
        (Some(_), Some(slug)) => format!("/organisations/{slug}?notice=invitation-accepted"),
        _ => "/?notice=invitation-accepted".into(),
    }
}

/// `POST /invitations/{token}`: accept as the signed-in person, or with a new account.
pub(crate) async fn accept(
    ctx: Ctx,
    Path(token): Path<String>,
    form: FormData,
) -> Result<Response, AppError> {
    if form.principal.signed_in() {
        let accepted = invitations::accept(&ctx.state, &form.principal.actor, &token).await?;
        let slug = accepted.organisation.map(|o| o.slug);
        return Ok(Redirect::to(&landing(&accepted.invitation, slug)).into_response());
    }
    match invitations::accept_with_new_account(
        &ctx.state,
        &token,
        form.get("name"),
        form.get("password"),
        form.get("confirm_password"),
    )
    .await
    {
        Ok((user, accepted)) => {
            let to = accepted.organisation.map(|o| o.slug).map_or_else(
                || "/?notice=invitation-accepted".to_string(),
                |s| format!("/organisations/{s}?notice=invitation-accepted"),
            );
            signed_in(&ctx.state, &form.principal.via, &user.id, &to).await
        }
        Err(ServiceError::Invalid(problems)) => {
            page(&ctx, &token, Form::new(form.values(), problems), StatusCode::UNPROCESSABLE_ENTITY).await
        }
        Err(e) => Err(e.into()),
    }
}
