//! `GET /api/v1/me`: the person calling.

use axum::Json;
use formwork_service::ServiceError;

use crate::api::Api;
use crate::api::types::{ErrorBody, Me, MembershipBody};
use crate::error::AppError;

/// The person the token (or session) belongs to, and their organisations.
#[utoipa::path(get, path = "/api/v1/me", tag = "account",
    responses((status = 200, body = Me), (status = 401, body = ErrorBody)))]
pub(crate) async fn get(api: Api) -> Result<Json<Me>, AppError> {
    let person = api.actor().as_person().ok_or(ServiceError::SignInRequired)?;
    Ok(Json(Me {
        id: person.user.id.clone(),
        email: person.user.email.clone(),
        name: person.user.name.clone(),
        staff_role: person.user.staff_role.clone(),
        organisations: person
            .memberships
            .iter()
            .map(|m| MembershipBody {
                organisation: m.organisation_slug.clone(),
                name: m.organisation_name.clone(),
                roles: m.roles.clone(),
            })
            .collect(),
    }))
}
