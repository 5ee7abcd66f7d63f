//! The JSON API, `/api/v1`: every action the pages offer, for programs. Programs authenticate
//! with `Authorization: Bearer` API tokens; a browser's session cookie works too, with the
//! session's CSRF token in `X-CSRF-Token` for anything that changes data. The OpenAPI document
//! is generated from the handlers' annotations, so it cannot drift from the routes.

mod collections;
pub(crate) mod docs;
pub(crate) mod exports;
mod jobs;
mod lifecycle;
mod me;
mod organisations;
mod people;
mod records;
mod search;
mod submissions;
mod tokens;
pub(crate) mod types;
mod uploads;

use axum::extract::rejection::JsonRejection;
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use formwork_service::Actor;
use serde::de::DeserializeOwned;
use utoipa::openapi::security::{Http, HttpAuthScheme, SecurityScheme};
use utoipa::{Modify, OpenApi};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::AppState;
use crate::auth::{Principal, check_csrf};
use crate::error::AppError;

#[derive(OpenApi)]
#[openapi(
    info(
        title = "formwork API",
        version = "1",
        description = "Collect structured returns from organisations. Authenticate with `Authorization: Bearer <token>`; make a token on your account page. Errors are `{\"error\": {\"code\", \"message\", \"details\"}}`."
    ),
    modifiers(&Security),
    tags(
        (name = "account", description = "The person the token belongs to, and their tokens"),
        (name = "organisations", description = "Organisations, their members and invitations"),
        (name = "people", description = "Accounts and staff invitations (service admins)"),
        (name = "collections", description = "Published definitions, periods, templates and assigned organisations"),
        (name = "submissions", description = "Returns: start, read, change answers, attach files, upload tables, confirm warnings, history"),
        (name = "lifecycle", description = "After a return is filled in: sign-off steps, submission, review (sent back or accepted), reopening, moving to a newer version of its form; the review queue's counts. Each step needs If-Match"),
        (name = "uploads", description = "Files of a log's records or a table's rows, checked by a job: all of a file is stored or none of it"),
        (name = "records", description = "Records of a log: list (filtered, counted, paged by cursor), add, read, change answers, confirm warnings, delete, history"),
        (name = "search", description = "Returns and records found by collection, version, period, organisation, state, when they changed and text; sorted, counted by state, a page at a time by key"),
        (name = "exports", description = "Exports of exactly what the search's filters select, streamed as CSV, XLSX, JSON Lines or Parquet; large ones prepared as files by a job; scheduled nightly feeds to object storage (service admins)"),
        (name = "jobs", description = "The background job queue (service admins)"),
        (name = "meta", description = "This document"),
    )
)]
struct ApiDoc;

struct Security;

impl Modify for Security {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme("bearer", SecurityScheme::Http(Http::new(HttpAuthScheme::Bearer)));
        openapi.security =
            Some(vec![utoipa::openapi::security::SecurityRequirement::new("bearer", Vec::<String>::new())]);
    }
}

/// Operation ids made unique by their tag (`organisations_list`, `people_list`), and every
/// response described by its status's reason phrase where the handler gave no words.
fn tidy(openapi: &mut utoipa::openapi::OpenApi) {
    use utoipa::openapi::RefOr;
    for item in openapi.paths.paths.values_mut() {
        for operation in [&mut item.get, &mut item.post, &mut item.put, &mut item.patch, &mut item.delete]
            .into_iter()
            .flatten()
        {
            if let (Some(id), Some(tag)) =
                (&operation.operation_id, operation.tags.as_ref().and_then(|t| t.first()))
            {
                operation.operation_id = Some(format!("{tag}_{id}"));
            }
            for (status, response) in operation.responses.responses.iter_mut() {
                if let RefOr::T(response) = response
                    && response.description.is_empty()
                {
                    let reason = status
                        .parse::<u16>()
                        .ok()
                        .and_then(|s| axum::http::StatusCode::from_u16(s).ok())
                        .and_then(|s| s.canonical_reason());
                    response.description = reason.unwrap_or("Answer").to_string();
                }
            }
        }
    }
}

/// The API's routes and their OpenAPI document.
pub(crate) fn router() -> OpenApiRouter<AppState> {
    routes()
}

/// The OpenAPI document, tidied.
pub(crate) fn document() -> utoipa::openapi::OpenApi {
    let mut openapi = routes().split_for_parts().1;
    tidy(&mut openapi);
    openapi
}

fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::with_openapi(ApiDoc::openapi())
        .routes(routes!(me::get))
        .routes(routes!(tokens::list, tokens::create))
        .routes(routes!(tokens::revoke))
        .routes(routes!(organisations::list, organisations::create))
        .routes(routes!(organisations::get, organisations::update))
        .routes(routes!(organisations::members, organisations::add_member))
        .routes(routes!(organisations::set_roles, organisations::remove_member))
        .routes(routes!(organisations::invitations, organisations::invite))
        .routes(routes!(organisations::withdraw))
        .routes(routes!(people::list, people::create))
        .routes(routes!(people::get, people::update))
        .routes(routes!(people::invitations, people::invite))
        .routes(routes!(people::withdraw))
        .routes(routes!(people::accept))
        .routes(routes!(collections::list, collections::publish))
        .routes(routes!(collections::get))
        .routes(routes!(collections::version))
        .routes(routes!(collections::template_xlsx))
        .routes(routes!(collections::template_csv))
        .routes(routes!(collections::organisations))
        .routes(routes!(collections::assign, collections::unassign))
        .routes(routes!(submissions::list, submissions::start))
        .routes(routes!(submissions::get, submissions::patch))
        .routes(routes!(submissions::attach))
        .routes(routes!(submissions::download, submissions::detach))
        .routes(routes!(submissions::upload_table))
        .routes(routes!(submissions::table_report_file))
        .routes(routes!(submissions::confirm_warning))
        .routes(routes!(submissions::history))
        .routes(routes!(lifecycle::counts))
        .routes(routes!(lifecycle::sign_off))
        .routes(routes!(lifecycle::submit))
        .routes(routes!(lifecycle::return_for_changes))
        .routes(routes!(lifecycle::accept))
        .routes(routes!(lifecycle::reopen))
        .routes(routes!(lifecycle::move_to_latest))
        .routes(routes!(uploads::list, uploads::create))
        .routes(routes!(uploads::get))
        .routes(routes!(uploads::confirm))
        .routes(routes!(uploads::rerun))
        .routes(routes!(uploads::annotated))
        .routes(routes!(uploads::original))
        .routes(routes!(records::list, records::create))
        .routes(routes!(records::get, records::patch, records::delete))
        .routes(routes!(records::confirm_warning))
        .routes(routes!(records::history))
        .routes(routes!(search::submissions))
        .routes(routes!(search::records))
        .routes(routes!(exports::download))
        .routes(routes!(exports::create))
        .routes(routes!(exports::jobs))
        .routes(routes!(exports::job))
        .routes(routes!(exports::file))
        .routes(routes!(exports::feeds, exports::add_feed))
        .routes(routes!(exports::remove_feed))
        .routes(routes!(exports::run_feed))
        .routes(routes!(jobs::list))
        .routes(routes!(jobs::retry))
        .routes(routes!(docs::openapi_json))
}

/// Who is calling the API. For a browser's session, a request that changes data must carry the
/// session's CSRF token in `X-CSRF-Token`.
pub(crate) struct Api(pub Principal);

impl Api {
    pub fn actor(&self) -> &Actor {
        &self.0.actor
    }
}

impl FromRequestParts<AppState> for Api {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Api, AppError> {
        let principal = Principal::from_request_parts(parts, state).await?;
        if principal.signed_in() {
            let submitted = parts.headers.get("x-csrf-token").and_then(|v| v.to_str().ok());
            check_csrf(&principal, &parts.headers, &parts.method, state, submitted)?;
        }
        Ok(Api(principal))
    }
}

/// A JSON body, whose problems (not JSON, wrong shape) are reported in the API's error shape.
pub(crate) struct ApiJson<T>(pub T);

impl<T: DeserializeOwned> FromRequest<AppState> for ApiJson<T> {
    type Rejection = AppError;

    async fn from_request(request: Request, state: &AppState) -> Result<ApiJson<T>, AppError> {
        match axum::Json::<T>::from_request(request, state).await {
            Ok(axum::Json(value)) => Ok(ApiJson(value)),
            Err(rejection) => Err(json_problem(&rejection, state.config().max_upload_bytes)),
        }
    }
}

/// The API's error for a JSON body that cannot be read; `limit` is the most a body may hold.
fn json_problem(rejection: &JsonRejection, limit: usize) -> AppError {
    if rejection.status() == axum::http::StatusCode::PAYLOAD_TOO_LARGE {
        return AppError::too_large(limit);
    }
    match rejection {
        JsonRejection::MissingJsonContentType(_) => AppError::BadRequest {
            code: "unsupported_media_type",
            message: "Send the body as JSON, with the header Content-Type: application/json".into(),
        },
        JsonRejection::JsonSyntaxError(e) => AppError::BadRequest {
            code: "invalid_json",
            message: format!("The body is not valid JSON: {}", e.body_text()),
        },
        JsonRejection::JsonDataError(e) => {
            AppError::BadRequest { code: "invalid_json", message: e.body_text() }
        }
        other => AppError::BadRequest { code: "invalid_json", message: other.body_text() },
    }
}

#[cfg(test)]
mod tests {
    use axum::body::Body;
    use axum::http::StatusCode;
    use axum::response::IntoResponse as _;

    use super::*;

    #[tokio::test]
    async fn a_json_body_over_the_limit_is_too_large_not_invalid() {
        // Without a Content-Length (the server refuses one over the limit before this), the
        // limit is met while the body is read.
        let request = Request::builder()
            .method("POST")
            .header("content-type", "application/json")
            .body(Body::from(vec![b' '; 3 * 1024 * 1024]))
            .unwrap_or_default();
        let Err(rejection) = axum::Json::<serde_json::Value>::from_request(request, &()).await else {
            unreachable!("axum's default limit is 2 MB")
        };
        let response = json_problem(&rejection, 2 * 1024 * 1024).into_response();
        assert_eq!(response.status(), StatusCode::PAYLOAD_TOO_LARGE);
        let text = crate::error::text(response).await;
        assert!(text.contains("\"too_large\"") && text.contains("2 MB"), "{text}");
    }

    /// The authorisation matrix covers the API through the OpenAPI document, which lists only
    /// what `routes!` registers: a route added any other way would escape the matrix (and the
    /// documentation). axum cannot list a router's routes, so the files that build the routers
    /// are read: the API only through `routes!`, the service only by merging the two routers.
    #[test]
    fn api_routes_are_added_only_through_routes_so_the_matrix_sees_them() {
        let api = include_str!("mod.rs");
        let builder =
            &api[api.find("fn routes()").unwrap_or(0)..api.find("#[cfg(test)]").unwrap_or(api.len())];
        let calls = |text: &str, needle: &str| text.matches(needle).count();
        assert_eq!(calls(builder, ".route("), 0, "an API route outside routes!");
        assert_eq!(calls(builder, ".nest("), 0, "an API router nested outside routes!");
        assert!(calls(builder, ".routes(routes!(") > 20, "the API's routes are registered with routes!");
        let lib = include_str!("../lib.rs");
        let router = &lib[lib.find("pub fn router(").unwrap_or(0)..];
        let router = &router[..router.find("\n}\n").unwrap_or(router.len())];
        assert_eq!(calls(router, ".route("), 0, "a route outside the page table and the API");
        assert_eq!(calls(router, ".nest("), 0, "a router nested outside the page table and the API");
        assert_eq!(calls(router, ".merge("), 1, "the pages' router merges the API's, and nothing else");
    }
}
