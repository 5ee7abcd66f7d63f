//! API tokens: a person makes them for their programs; each is shown once, stored hashed, and can
//! be revoked; its last use is recorded.

use formwork_store::tokens as store;

pub use formwork_store::tokens::ApiToken;

use crate::policy::{Action, check};
use crate::{Actor, App, Result, ServiceError, fields};

/// Make a token: its record and the secret, to show once.
pub async fn create(app: &App, actor: &Actor, name: &str) -> Result<(ApiToken, String)> {
    check(actor, Action::UseAccount)?;
    let user_id = actor.user_id().ok_or(ServiceError::SignInRequired)?;
    let mut problems = Vec::new();
    let name = fields::required_text("name", "a name for the token", name, 100, &mut problems);
    if !problems.is_empty() {
        return Err(ServiceError::Invalid(problems));
    }
    let mut conn = app.store.conn().await?;
    Ok(store::create(&mut conn, user_id, &name, app.now()).await?)
}

/// The actor's tokens, newest first.
pub async fn list(app: &App, actor: &Actor) -> Result<Vec<ApiToken>> {
    check(actor, Action::UseAccount)?;
    let user_id = actor.user_id().ok_or(ServiceError::SignInRequired)?;
    let mut conn = app.store.conn().await?;
    Ok(store::list_for(&mut conn, user_id).await?)
}

/// Revoke one of the actor's tokens: it stops working at once.
pub async fn revoke(app: &App, actor: &Actor, id: &str) -> Result<()> {
    check(actor, Action::UseAccount)?;
    let user_id = actor.user_id().ok_or(ServiceError::SignInRequired)?;
    let mut conn = app.store.conn().await?;
    store::revoke(&mut conn, user_id, id, app.now())
        .await
        .map_err(|_| ServiceError::NotFound("There is no such token, or it has already been revoked".into()))
}

/// Make a token for the person with `email` — only formwork itself may (the `admin create-token`
/// command, run by whoever runs the binary); people make their own.
pub async fn create_for(app: &App, actor: &Actor, email: &str, name: &str) -> Result<(ApiToken, String)> {
    if !matches!(actor, Actor::System) {
        return Err(ServiceError::Forbidden("People make their own tokens on their account page".into()));
    }
    let mut conn = app.store.conn().await?;
    let user = formwork_store::users::by_email(&mut conn, email)
        .await?
        .ok_or_else(|| ServiceError::NotFound(format!("There is no account for {}", email.trim())))?;
    if user.disabled {
        return Err(ServiceError::Conflict(format!("The account for {} is disabled", user.email)));
    }
    let mut problems = Vec::new();
    let name = fields::required_text("name", "a name for the token", name, 100, &mut problems);
    if !problems.is_empty() {
        return Err(ServiceError::Invalid(problems));
    }
    Ok(store::create(&mut conn, &user.id, &name, app.now()).await?)
}
