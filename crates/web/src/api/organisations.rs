//! `/api/v1/organisations`: organisations, their members and invitations.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use formwork_service::invitations;
use formwork_service::organisations::{self, OrganisationInput};

use crate::AppState;
use crate::api::types::{
    ErrorBody, InvitationBody, MemberBody, NewInvitation, NewOrganisation, OrganisationBody,
    OrganisationChanges, Roles,
};
use crate::api::{Api, ApiJson};
use crate::error::{AppError, no_content};

/// The organisations the caller may see: all for staff, their own for members.
#[utoipa::path(get, path = "/api/v1/organisations", tag = "organisations",
    responses((status = 200, body = Vec<OrganisationBody>), (status = 401, body = ErrorBody)))]
pub(crate) async fn list(
    State(state): State<AppState>,
    api: Api,
) -> Result<Json<Vec<OrganisationBody>>, AppError> {
    Ok(Json(
        organisations::list(&state, api.actor()).await?.into_iter().map(OrganisationBody::from).collect(),
    ))
}

/// Add an organisation (service admins).
#[utoipa::path(post, path = "/api/v1/organisations", tag = "organisations", request_body = NewOrganisation,
    responses((status = 201, body = OrganisationBody), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub(crate) async fn create(
    State(state): State<AppState>,
    api: Api,
    ApiJson(body): ApiJson<NewOrganisation>,
) -> Result<(StatusCode, Json<OrganisationBody>), AppError> {
    let input = OrganisationInput { name: body.name, slug: body.slug, external_ids: body.external_ids };
    let organisation = organisations::create(&state, api.actor(), &input).await?;
    Ok((StatusCode::CREATED, Json(organisation.into())))
}

/// One organisation. Another organisation's is "not found", exactly as one that does not exist.
#[utoipa::path(get, path = "/api/v1/organisations/{slug}", tag = "organisations",
    params(("slug" = String, Path, description = "The organisation's slug")),
    responses((status = 200, body = OrganisationBody), (status = 404, body = ErrorBody)))]
pub(crate) async fn get(
    State(state): State<AppState>,
    api: Api,
    Path(slug): Path<String>,
) -> Result<Json<OrganisationBody>, AppError> {
    Ok(Json(organisations::find(&state, api.actor(), &slug).await?.into()))
}

/// Change an organisation's name or identifiers (service admins).
#[utoipa::path(patch, path = "/api/v1/organisations/{slug}", tag = "organisations", request_body = OrganisationChanges,
    params(("slug" = String, Path, description = "The organisation's slug")),
    responses((status = 200, body = OrganisationBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub(crate) async fn update(
    State(state): State<AppState>,
    api: Api,
    Path(slug): Path<String>,
    ApiJson(body): ApiJson<OrganisationChanges>,
) -> Result<Json<OrganisationBody>, AppError> {
    let changes = organisations::OrganisationChanges { name: body.name, external_ids: body.external_ids };
    Ok(Json(organisations::update(&state, api.actor(), &slug, &changes).await?.into()))
}

/// An organisation's members (staff, and the organisation's admins).
#[utoipa::path(get, path = "/api/v1/organisations/{slug}/members", tag = "organisations",
    params(("slug" = String, Path, description = "The organisation's slug")),
    responses((status = 200, body = Vec<MemberBody>), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub(crate) async fn members(
    State(state): State<AppState>,
    api: Api,
    Path(slug): Path<String>,
) -> Result<Json<Vec<MemberBody>>, AppError> {
    let (_, members) = organisations::members(&state, api.actor(), &slug).await?;
    Ok(Json(members.into_iter().map(MemberBody::from).collect()))
}

/// Invite someone to be a member, by email (its admins, service admins).
///
/// They become a member with these roles when they accept, as with `POST …/invitations`. The
/// answer is 202 with the invitation, the same whether or not the address has an account: nobody
/// joins without agreeing, and nobody learns who has an account.
#[utoipa::path(post, path = "/api/v1/organisations/{slug}/members", tag = "organisations", request_body = NewInvitation,
    params(("slug" = String, Path, description = "The organisation's slug")),
    responses((status = 202, body = InvitationBody, description = "Invited: a member once they accept"), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub(crate) async fn add_member(
    State(state): State<AppState>,
    api: Api,
    Path(slug): Path<String>,
    ApiJson(body): ApiJson<NewInvitation>,
) -> Result<(StatusCode, Json<InvitationBody>), AppError> {
    let invitation = invitations::invite_member(&state, api.actor(), &slug, &body.email, &body.roles).await?;
    Ok((StatusCode::ACCEPTED, Json(InvitationBody::new(invitation, Some(slug), state.now()))))
}

/// Change a member's roles.
#[utoipa::path(put, path = "/api/v1/organisations/{slug}/members/{user_id}", tag = "organisations", request_body = Roles,
    params(("slug" = String, Path, description = "The organisation's slug"), ("user_id" = String, Path, description = "The member's id")),
    responses((status = 200, body = MemberBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub(crate) async fn set_roles(
    State(state): State<AppState>,
    api: Api,
    Path((slug, user_id)): Path<(String, String)>,
    ApiJson(body): ApiJson<Roles>,
) -> Result<Json<MemberBody>, AppError> {
    Ok(Json(organisations::set_roles(&state, api.actor(), &slug, &user_id, &body.roles).await?.into()))
}

/// Take a member out of the organisation.
#[utoipa::path(delete, path = "/api/v1/organisations/{slug}/members/{user_id}", tag = "organisations",
    params(("slug" = String, Path, description = "The organisation's slug"), ("user_id" = String, Path, description = "The member's id")),
    responses((status = 204), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub(crate) async fn remove_member(
    State(state): State<AppState>,
    api: Api,
    Path((slug, user_id)): Path<(String, String)>,
) -> Result<Response, AppError> {
    organisations::remove_member(&state, api.actor(), &slug, &user_id).await?;
    Ok(no_content())
}

/// The organisation's invitations, newest first.
#[utoipa::path(get, path = "/api/v1/organisations/{slug}/invitations", tag = "organisations",
    params(("slug" = String, Path, description = "The organisation's slug")),
    responses((status = 200, body = Vec<InvitationBody>), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub(crate) async fn invitations(
    State(state): State<AppState>,
    api: Api,
    Path(slug): Path<String>,
) -> Result<Json<Vec<InvitationBody>>, AppError> {
    let (organisation, list) = invitations::for_organisation(&state, api.actor(), &slug).await?;
    let now = state.now();
    Ok(Json(list.into_iter().map(|i| InvitationBody::new(i, Some(organisation.slug.clone()), now)).collect()))
}

/// Invite someone to the organisation: an email with a link that works for 7 days.
#[utoipa::path(post, path = "/api/v1/organisations/{slug}/invitations", tag = "organisations", request_body = NewInvitation,
    params(("slug" = String, Path, description = "The organisation's slug")),
    responses((status = 201, body = InvitationBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub(crate) async fn invite(
    State(state): State<AppState>,
    api: Api,
    Path(slug): Path<String>,
    ApiJson(body): ApiJson<NewInvitation>,
) -> Result<(StatusCode, Json<InvitationBody>), AppError> {
    let invitation = invitations::invite_member(&state, api.actor(), &slug, &body.email, &body.roles).await?;
    Ok((StatusCode::CREATED, Json(InvitationBody::new(invitation, Some(slug), state.now()))))
}

/// Withdraw an invitation that has not been accepted.
#[utoipa::path(delete, path = "/api/v1/organisations/{slug}/invitations/{id}", tag = "organisations",
    params(("slug" = String, Path, description = "The organisation's slug"), ("id" = String, Path, description = "The invitation's id")),
    responses((status = 204), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub(crate) async fn withdraw(
    State(state): State<AppState>,
    api: Api,
    Path((slug, id)): Path<(String, String)>,
) -> Result<Response, AppError> {
    invitations::withdraw(&state, api.actor(), invitations::InvitedTo::Organisation(&slug), &id).await?;
    Ok(no_content())
}
