//! People: staff and the people of organisations, however they sign in.

use serde::Serialize;
use sqlx::AnyConnection;
use sqlx::any::AnyRow;

use crate::{Result, StoreError, get, new_id};

/// A person who can sign in.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct User {
    /// Their id.
    pub id: String,
    /// Their email address, in lower case.
    pub email: String,
    /// Their name.
    pub name: Option<String>,
    /// Their password's hash (argon2), when they have a local password.
    #[serde(skip)]
    pub password_hash: Option<String>,
    /// `reviewer`, `analyst` or `admin` for staff.
    pub staff_role: Option<String>,
    /// The identity provider and subject they sign in with, once linked.
    pub oidc_issuer: Option<String>,
    /// See `oidc_issuer`.
    pub oidc_subject: Option<String>,
    /// Failed sign-ins since the last success.
    pub failed_sign_ins: i64,
    /// Until when sign-in is refused after repeated failures.
    pub locked_until: Option<i64>,
    /// A disabled person cannot sign in.
    pub disabled: bool,
    /// When they were added.
    pub created_at: i64,
}

/// A person from a row with the `users` columns under their own names.
pub(crate) fn user(row: &AnyRow) -> Result<User> {
    Ok(User {
        id: get(row, "id")?,
        email: get(row, "email")?,
        name: get(row, "name")?,
        password_hash: get(row, "password_hash")?,
        staff_role: get(row, "staff_role")?,
        oidc_issuer: get(row, "oidc_issuer")?,
        oidc_subject: get(row, "oidc_subject")?,
        failed_sign_ins: get(row, "failed_sign_ins")?,
        locked_until: get(row, "locked_until")?,
        disabled: get::<i64>(row, "disabled")? != 0,
        created_at: get(row, "created_at")?,
    })
}

/// An email address as stored: trimmed and in lower case.
pub fn normalise_email(email: &str) -> String {
    email.trim().to_lowercase()
}

/// Add a person. An email address already taken is a conflict.
pub async fn create(
    c: &mut AnyConnection,
    email: &str,
    name: Option<&str>,
    password_hash: Option<&str>,
    staff_role: Option<&str>,
    now: i64,
) -> Result<User> {
    let id = new_id();
    let email = normalise_email(email);
    sqlx::query(
        "INSERT INTO users (id, email, name, password_hash, staff_role, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $6)",
    )
    .bind(&id)
    .bind(&email)
    .bind(name)
    .bind(password_hash)
    .bind(staff_role)
    .bind(now)
    .execute(&mut *c)
    .await
    .map_err(|e| StoreError::from(e).conflict_as(format!("a person with the email address {email} already exists")))?;
    by_id(c, &id).await?.ok_or(StoreError::not_found(id))
}

/// A person by id.
pub async fn by_id(c: &mut AnyConnection, id: &str) -> Result<Option<User>> {
    let row = sqlx::query("SELECT * FROM users WHERE id = $1").bind(id).fetch_optional(&mut *c).await?;
    row.as_ref().map(user).transpose()
}

/// A person by email address (in any case).
pub async fn by_email(c: &mut AnyConnection, email: &str) -> Result<Option<User>> {
    let row = sqlx::query("SELECT * FROM users WHERE email = $1")
        .bind(normalise_email(email))
        .fetch_optional(&mut *c)
        .await?;
    row.as_ref().map(user).transpose()
}

/// A person by the identity provider's subject.
pub async fn by_oidc(c: &mut AnyConnection, issuer: &str, subject: &str) -> Result<Option<User>> {
    let row = sqlx::query("SELECT * FROM users WHERE oidc_issuer = $1 AND oidc_subject = $2")
        .bind(issuer)
        .bind(subject)
        .fetch_optional(&mut *c)
        .await?;
    row.as_ref().map(user).transpose()
}

/// Everyone, by email address.
pub async fn list(c: &mut AnyConnection) -> Result<Vec<User>> {
    let rows = sqlx::query("SELECT * FROM users ORDER BY email").fetch_all(&mut *c).await?;
    rows.iter().map(user).collect()
}

async fn changed(done: sqlx::any::AnyQueryResult, id: &str) -> Result<()> {
    if done.rows_affected() == 0 {
        return Err(StoreError::not_found(format!("person {id}")));
    }
    Ok(())
}

/// Set a person's password hash (and unlock them).
pub async fn set_password(c: &mut AnyConnection, id: &str, password_hash: &str, now: i64) -> Result<()> {
    let done = sqlx::query("UPDATE users SET password_hash = $1, failed_sign_ins = 0, locked_until = NULL, updated_at = $2 WHERE id = $3")
        .bind(password_hash)
        .bind(now)
        .bind(id)
        .execute(&mut *c)
        .await?;
    changed(done, id).await
}

/// Set a person's name.
pub async fn set_name(c: &mut AnyConnection, id: &str, name: Option<&str>, now: i64) -> Result<()> {
    let done = sqlx::query("UPDATE users SET name = $1, updated_at = $2 WHERE id = $3")
        .bind(name)
        .bind(now)
        .bind(id)
        .execute(&mut *c)
        .await?;
    changed(done, id).await
}

/// Set or clear a person's staff role.
pub async fn set_staff_role(c: &mut AnyConnection, id: &str, role: Option<&str>, now: i64) -> Result<()> {
    let done = sqlx::query("UPDATE users SET staff_role = $1, updated_at = $2 WHERE id = $3")
        .bind(role)
        .bind(now)
        .bind(id)
        .execute(&mut *c)
        .await?;
    changed(done, id).await
}

/// Disable or enable a person.
pub async fn set_disabled(c: &mut AnyConnection, id: &str, disabled: bool, now: i64) -> Result<()> {
    let done = sqlx::query("UPDATE users SET disabled = $1, updated_at = $2 WHERE id = $3")
        .bind(i64::from(disabled))
        .bind(now)
        .bind(id)
        .execute(&mut *c)
        .await?;
    changed(done, id).await
}

/// Link a person to an identity provider's subject.
pub async fn link_oidc(c: &mut AnyConnection, id: &str, issuer: &str, subject: &str, now: i64) -> Result<()> {
    let done =
        sqlx::query("UPDATE users SET oidc_issuer = $1, oidc_subject = $2, updated_at = $3 WHERE id = $4")
            .bind(issuer)
            .bind(subject)
            .bind(now)
            .bind(id)
            .execute(&mut *c)
            .await?;
    changed(done, id).await
}

/// Count a failed sign-in; after `limit` in a row, refuse sign-in until `lock_until`. Returns the
/// number of failures so far.
pub async fn record_failed_sign_in(
    c: &mut AnyConnection,
    id: &str,
    limit: i64,
    lock_until: i64,
    now: i64,
) -> Result<i64> {
    let row = sqlx::query(
        "UPDATE users SET failed_sign_ins = failed_sign_ins + 1, \
         locked_until = CASE WHEN failed_sign_ins + 1 >= $1 THEN $2 ELSE locked_until END, updated_at = $3 \
         WHERE id = $4 RETURNING failed_sign_ins",
    )
    .bind(limit)
    .bind(lock_until)
    .bind(now)
    .bind(id)
    .fetch_one(&mut *c)
    .await?;
    get(&row, "failed_sign_ins")
}

/// Clear failed sign-ins after a success.
pub async fn record_sign_in(c: &mut AnyConnection, id: &str, now: i64) -> Result<()> {
    let done = sqlx::query(
        "UPDATE users SET failed_sign_ins = 0, locked_until = NULL, updated_at = $1 WHERE id = $2",
    )
    .bind(now)
    .bind(id)
    .execute(&mut *c)
    .await?;
    changed(done, id).await
}
