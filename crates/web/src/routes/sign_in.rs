//! Signing in and out with a local account, and resetting a forgotten password.

use askama::Template;
use axum::extract::Path;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use formwork_service::{ServiceError, accounts};
use serde::Deserialize;

use crate::auth::Via;
use crate::error::AppError;
use crate::forms::FormData;
use crate::pages::{Ctx, Form, Page, render, render_with};
use crate::{AppState, cookies};

/// Where to go after signing in: a path on this service, never another site.
pub(crate) fn safe_return(target: &str) -> String {
    let ok = target.starts_with('/')
        && !target.starts_with("//")
        && !target.contains('\\')
        && target.len() <= 2000
        && !target.chars().any(char::is_control)
        && !target.starts_with("/sign-in")
        && !target.starts_with("/sign-out");
    if ok { target.to_string() } else { "/".into() }
}

/// Start a session for `user_id`, ending the browser's old one (the session token changes at
/// every sign-in), and go to `to`.
pub(crate) async fn signed_in(
    state: &AppState,
    old: &Via,
    user_id: &str,
    to: &str,
) -> Result<Response, AppError> {
    if let Via::Session { token_hash, .. } = old {
        accounts::end_session(state, token_hash).await?;
    }
    let session = accounts::start_session(state, user_id).await?;
    let secure = state.config().secure();
    let mut response = Redirect::to(&safe_return(to)).into_response();
    let headers = response.headers_mut();
    headers.append(
        header::SET_COOKIE,
        cookies::set(cookies::session_name(secure), &session.token, secure, "Lax", None),
    );
    headers.append(header::SET_COOKIE, cookies::clear(cookies::csrf_name(secure), secure));
    Ok(response)
}

#[derive(Template)]
#[template(path = "sign_in.html")]
struct SignIn {
    page: Page,
    form: Form,
    return_to: String,
    oidc: bool,
    oidc_link: String,
}

#[derive(Deserialize)]
pub(crate) struct ReturnTo {
    return_to: Option<String>,
}

fn sign_in_page(ctx: &Ctx, form: Form, return_to: &str, status: StatusCode) -> Response {
    let mut page = ctx.page("Sign in", "");
    page.has_errors = form.has_errors();
    let oidc_link = format!(
        "/sign-in/oidc?return_to={}",
        url::form_urlencoded::byte_serialize(return_to.as_bytes()).collect::<String>()
    );
    let template = SignIn {
        page: page.clone(),
        form,
        return_to: return_to.to_string(),
        oidc: ctx.state.oidc().is_some(),
        oidc_link,
    };
    render_with(status, &page, &template)
}

/// `GET /sign-in`.
pub(crate) async fn show(ctx: Ctx, query: axum::extract::Query<ReturnTo>) -> Response {
    let return_to = safe_return(query.return_to.as_deref().unwrap_or("/"));
    if ctx.principal.signed_in() {
        return Redirect::to(&return_to).into_response();
    }
    sign_in_page(&ctx, Form::default(), &return_to, StatusCode::OK)
}

/// `POST /sign-in`.
pub(crate) async fn submit(ctx: Ctx, form: FormData) -> Result<Response, AppError> {
    let return_to = safe_return(form.get("return_to"));
    match accounts::sign_in_with_password(&ctx.state, form.get("email"), form.get("password"), &ctx.address)
        .await
    {
        Ok(user) => signed_in(&ctx.state, &form.principal.via, &user.id, &return_to).await,
        Err(ServiceError::Invalid(problems)) => Ok(sign_in_page(
            &ctx,
            Form::new(form.values(), problems),
            &return_to,
            StatusCode::UNPROCESSABLE_ENTITY,
        )),
        Err(ServiceError::TooManyAttempts(message)) => {
            let problems = vec![formwork_service::Problem::new("email", "too_many_attempts", message)];
            Ok(sign_in_page(
                &ctx,
                Form::new(form.values(), problems),
                &return_to,
                StatusCode::TOO_MANY_REQUESTS,
            ))
        }
        Err(e) => Err(e.into()),
    }
}

/// `POST /sign-out`: end the session, everywhere it is used.
pub(crate) async fn sign_out(ctx: Ctx, form: FormData) -> Result<Response, AppError> {
    if let Via::Session { token_hash, .. } = &form.principal.via {
        accounts::end_session(&ctx.state, token_hash).await?;
    }
    let secure = ctx.state.config().secure();
    let mut response = Redirect::to("/?notice=signed-out").into_response();
    response.headers_mut().append(header::SET_COOKIE, cookies::clear(cookies::session_name(secure), secure));
    Ok(response)
}

#[derive(Template)]
#[template(path = "forgot_password.html")]
struct ForgotPassword {
    page: Page,
    form: Form,
    sent_to: Option<String>,
}

/// `GET /forgot-password`.
pub(crate) async fn forgot(ctx: Ctx) -> Response {
    let page = ctx.page("Reset your password", "");
    render(&page, &ForgotPassword { page: page.clone(), form: Form::default(), sent_to: None })
}

/// `POST /forgot-password`: the same answer whether or not the address has an account.
pub(crate) async fn forgot_submit(ctx: Ctx, form: FormData) -> Result<Response, AppError> {
    match accounts::request_password_reset(&ctx.state, form.get("email")).await {
        Ok(()) => {
            let page = ctx.page("Check your email", "");
            let sent_to = Some(form.get("email").trim().to_string());
            Ok(render(&page, &ForgotPassword { page: page.clone(), form: Form::default(), sent_to }))
        }
        Err(ServiceError::Invalid(problems)) => {
            let mut page = ctx.page("Reset your password", "");
            page.has_errors = true;
            let template = ForgotPassword {
                page: page.clone(),
                form: Form::new(form.values(), problems),
                sent_to: None,
            };
            Ok(render_with(StatusCode::UNPROCESSABLE_ENTITY, &page, &template))
        }
        Err(e) => Err(e.into()),
    }
}

#[derive(Template)]
#[template(path = "reset_password.html")]
struct ResetPassword {
    page: Page,
    form: Form,
    works: bool,
    message: String,
}

fn reset_page(ctx: &Ctx, form: Form, works: bool, message: &str, status: StatusCode) -> Response {
    let mut page = ctx.page(if works { "Choose a new password" } else { "This link does not work" }, "");
    page.has_errors = form.has_errors();
    let template = ResetPassword { page: page.clone(), form, works, message: message.to_string() };
    let mut response = render_with(status, &page, &template);
    // The token is in the address: keep it out of caches and other sites' logs.
    response.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

const LINK_EXPIRED: &str = "This link to reset your password has expired or has already been used";

/// `GET /reset-password/{token}`.
pub(crate) async fn reset(ctx: Ctx, Path(token): Path<String>) -> Result<Response, AppError> {
    let works = accounts::reset_link_works(&ctx.state, &token).await?;
    let status = if works { StatusCode::OK } else { StatusCode::GONE };
    Ok(reset_page(&ctx, Form::default(), works, LINK_EXPIRED, status))
}

/// `POST /reset-password/{token}`: choose the password, end every other session, sign in.
pub(crate) async fn reset_submit(
    ctx: Ctx,
    Path(token): Path<String>,
    form: FormData,
) -> Result<Response, AppError> {
    match accounts::reset_password(&ctx.state, &token, form.get("password"), form.get("confirm_password"))
        .await
    {
        Ok(user) => {
            signed_in(&ctx.state, &form.principal.via, &user.id, "/account?notice=password-changed").await
        }
        Err(ServiceError::Invalid(problems)) => Ok(reset_page(
            &ctx,
            Form::new(form.values(), problems),
            true,
            "",
            StatusCode::UNPROCESSABLE_ENTITY,
        )),
        Err(ServiceError::Conflict(message)) => {
            Ok(reset_page(&ctx, Form::default(), false, &message, StatusCode::GONE))
        }
        Err(e) => Err(e.into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_paths_on_this_service_are_returned_to() {
        assert_eq!(safe_return("/organisations/leeds?x=1"), "/organisations/leeds?x=1");
        for bad in [
            "https://evil.example",
            "//evil.example",
            "/\\evil.example",
            "",
            "javascript:alert(1)",
            "/sign-in?return_to=/x",
        ] {
            assert_eq!(safe_return(bad), "/", "{bad}");
        }
    }
}
