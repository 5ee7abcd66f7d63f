//! `/api/v1/people` and `/api/v1/invitations`: accounts and staff invitations (service admins),
//! and accepting an invitation.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use formwork_service::{invitations, people};

use crate::AppState;
use crate::api::types::{
    AcceptInvitation, ErrorBody, InvitationBody, NewPerson, NewStaffInvitation, PersonBody, PersonChanges,
};
use crate::api::{Api, ApiJson};
use crate::error::{AppError, no_content};

/// Everyone with an account (service admins).
#[utoipa::path(get, path = "/api/v1/people", tag = "people",
    responses((status = 200, body = Vec<PersonBody>), (status = 403, body = ErrorBody)))]
pub(crate) async fn list(State(state): State<AppState>, api: Api) -> Result<Json<Vec<PersonBody>>, AppError> {
    Ok(Json(people::list(&state, api.actor()).await?.into_iter().map(PersonBody::from).collect()))
}

/// Add a person (service admins).
#[utoipa::path(post, path = "/api/v1/people", tag = "people", request_body = NewPerson,
    responses((status = 201, body = PersonBody), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub(crate) async fn create(
    State(state): State<AppState>,
    api: Api,
    ApiJson(body): ApiJson<NewPerson>,
) -> Result<(StatusCode, Json<PersonBody>), AppError> {
    let new = people::NewPerson {
        email: body.email,
        name: body.name,
        password: body.password,
        staff_role: body.staff_role,
    };
    Ok((StatusCode::CREATED, Json(people::create(&state, api.actor(), &new).await?.into())))
}

/// A person (service admins).
#[utoipa::path(get, path = "/api/v1/people/{id}", tag = "people",
    params(("id" = String, Path, description = "The person's id")),
    responses((status = 200, body = PersonBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub(crate) async fn get(
    State(state): State<AppState>,
    api: Api,
    Path(id): Path<String>,
) -> Result<Json<PersonBody>, AppError> {
    Ok(Json(people::get(&state, api.actor(), &id).await?.0.into()))
}

/// Change a person's name, staff role, or whether they can sign in (service admins).
#[utoipa::path(patch, path = "/api/v1/people/{id}", tag = "people", request_body = PersonChanges,
    params(("id" = String, Path, description = "The person's id")),
    responses((status = 200, body = PersonBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub(crate) async fn update(
    State(state): State<AppState>,
    api: Api,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<PersonChanges>,
) -> Result<Json<PersonBody>, AppError> {
    let changes =
        people::PersonChanges { name: body.name, staff_role: body.staff_role, disabled: body.disabled };
    Ok(Json(people::update(&state, api.actor(), &id, &changes).await?.into()))
}

/// Invitations to the staff (service admins).
#[utoipa::path(get, path = "/api/v1/invitations", tag = "people",
    responses((status = 200, body = Vec<InvitationBody>), (status = 403, body = ErrorBody)))]
pub(crate) async fn invitations(
    State(state): State<AppState>,
    api: Api,
) -> Result<Json<Vec<InvitationBody>>, AppError> {
    let now = state.now();
    Ok(Json(
        invitations::for_staff(&state, api.actor())
            .await?
            .into_iter()
            .map(|i| InvitationBody::new(i, None, now))
            .collect(),
    ))
}

/// Invite someone to the staff (service admins).
#[utoipa::path(post, path = "/api/v1/invitations", tag = "people", request_body = NewStaffInvitation,
    responses((status = 201, body = InvitationBody), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub(crate) async fn invite(
    State(state): State<AppState>,
    api: Api,
    ApiJson(body): ApiJson<NewStaffInvitation>,
) -> Result<(StatusCode, Json<InvitationBody>), AppError> {
    let invitation = invitations::invite_staff(&state, api.actor(), &body.email, &body.staff_role).await?;
    Ok((StatusCode::CREATED, Json(InvitationBody::new(invitation, None, state.now()))))
}

/// Withdraw an invitation to the staff (service admins).
#[utoipa::path(delete, path = "/api/v1/invitations/{id}", tag = "people",
    params(("id" = String, Path, description = "The invitation's id")),
    responses((status = 204), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub(crate) async fn withdraw(
    State(state): State<AppState>,
    api: Api,
    Path(id): Path<String>,
) -> Result<Response, AppError> {
    invitations::withdraw(&state, api.actor(), invitations::InvitedTo::Staff, &id).await?;
    Ok(no_content())
}

/// Accept an invitation as the person calling (their email address must be the one invited).
#[utoipa::path(post, path = "/api/v1/invitations/accept", tag = "people", request_body = AcceptInvitation,
    responses((status = 200, body = InvitationBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub(crate) async fn accept(
    State(state): State<AppState>,
    api: Api,
    ApiJson(body): ApiJson<AcceptInvitation>,
) -> Result<Json<InvitationBody>, AppError> {
    let accepted = invitations::accept(&state, api.actor(), &body.token).await?;
    let organisation = accepted.organisation.map(|o| o.slug);
    Ok(Json(InvitationBody::new(accepted.invitation, organisation, state.now())))
}
