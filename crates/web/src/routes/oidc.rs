//! `GET /sign-in/oidc` and its callback: signing in through the identity provider.

use std::collections::HashMap;

use axum::extract::Query;
use axum::response::{IntoResponse, Redirect, Response};
use formwork_service::ServiceError;
use formwork_service::accounts::{self, ProviderSignIn};

use crate::error::AppError;
use crate::pages::Ctx;
use crate::routes::sign_in::{safe_return, signed_in};

fn not_configured() -> AppError {
    AppError::Service(ServiceError::NotFound(
        "Signing in with an identity provider is not set up here".into(),
    ))
}

/// `GET /sign-in/oidc`: send the person to the provider.
pub(crate) async fn start(
    ctx: Ctx,
    Query(query): Query<HashMap<String, String>>,
) -> Result<Response, AppError> {
    let client = ctx.state.oidc().ok_or_else(not_configured)?;
    let started = client.start().await?;
    let pending = ProviderSignIn {
        nonce: started.nonce,
        pkce_verifier: started.pkce_verifier,
        return_to: safe_return(query.get("return_to").map_or("/", String::as_str)),
    };
    accounts::begin_provider_sign_in(&ctx.state, &started.state, &pending).await?;
    Ok(Redirect::to(&started.url).into_response())
}

/// `GET /sign-in/oidc/callback`: the provider sends the person back with a code (or an error).
pub(crate) async fn callback(
    ctx: Ctx,
    Query(query): Query<HashMap<String, String>>,
) -> Result<Response, AppError> {
    let client = ctx.state.oidc().ok_or_else(not_configured)?;
    if let Some(error) = query.get("error") {
        let description = query.get("error_description").map_or("", String::as_str);
        tracing::info!(oidc.error = %error, oidc.description = %description, "the identity provider refused a sign-in");
        return Err(ServiceError::Forbidden(format!(
            "Your identity provider did not sign you in ({error}). Try again, or sign in with your email address and password"
        ))
        .into());
    }
    let (Some(code), Some(state)) = (query.get("code"), query.get("state")) else {
        return Err(AppError::BadRequest {
            code: "bad_callback",
            message: "The sign-in link is incomplete. Try signing in again".into(),
        });
    };
    let Some(pending) = accounts::take_provider_sign_in(&ctx.state, state).await? else {
        return Err(AppError::BadRequest {
            code: "bad_callback",
            message: "This sign-in has expired or has already been used. Try signing in again".into(),
        });
    };
    let claims = client.finish(code, &pending.nonce, &pending.pkce_verifier).await?;
    let user = accounts::sign_in_with_provider(&ctx.state, &claims).await?;
    signed_in(&ctx.state, &ctx.principal.via, &user.id, &pending.return_to).await
}
