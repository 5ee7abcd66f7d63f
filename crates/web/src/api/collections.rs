//! `/api/v1/collections`: publishing definitions, collections with their periods, templates, and
//! assigned organisations.

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use formwork_definition::Kind;
use formwork_service::ServiceError;
use formwork_service::collections;
use serde::Deserialize;

use crate::AppState;
use crate::api::Api;
use crate::api::types::{
    CollectionBody, CollectionSummary, ErrorBody, OrganisationBody, PeriodBody, PublishedBody, RoleBody,
    SectionBody, VersionBody, VersionSummary, iso,
};
use crate::error::{AppError, no_content};
use crate::routes::today;

/// The collections the caller may see: all for staff, those assigned to their organisations for
/// members.
#[utoipa::path(get, path = "/api/v1/collections", tag = "collections",
    responses((status = 200, body = Vec<CollectionSummary>), (status = 401, body = ErrorBody)))]
pub(crate) async fn list(
    State(state): State<AppState>,
    api: Api,
) -> Result<Json<Vec<CollectionSummary>>, AppError> {
    let list = collections::list(&state, api.actor()).await?;
    Ok(Json(
        list.into_iter()
            .map(|c| CollectionSummary {
                slug: c.slug,
                title: c.title,
                kind: c.kind,
                latest_version: c.latest_version,
                updated_at: iso(c.updated_at),
            })
            .collect(),
    ))
}

/// Publish a definition (service admins): the body is the definition, YAML or JSON. One with
/// problems is refused with 422 and every problem, as `formwork check` reports them; nothing is
/// published. Versions never change: publishing one that exists is a conflict.
#[utoipa::path(post, path = "/api/v1/collections", tag = "collections",
    request_body(content = String, content_type = "application/yaml", description = "The definition, YAML or JSON"),
    responses((status = 201, body = PublishedBody), (status = 403, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub(crate) async fn publish(
    State(state): State<AppState>,
    api: Api,
    body: Bytes,
) -> Result<(StatusCode, Json<PublishedBody>), AppError> {
    let published = collections::publish(&state, api.actor(), &body).await?;
    Ok((
        StatusCode::CREATED,
        Json(PublishedBody { slug: published.slug, version: published.version, title: published.title }),
    ))
}

/// A collection: its latest version's title, periods, roles and sections, every version, and the
/// organisations assigned.
#[utoipa::path(get, path = "/api/v1/collections/{slug}", tag = "collections",
    params(("slug" = String, Path, description = "The collection's slug")),
    responses((status = 200, body = CollectionBody), (status = 404, body = ErrorBody)))]
pub(crate) async fn get(
    State(state): State<AppState>,
    api: Api,
    Path(slug): Path<String>,
) -> Result<Json<CollectionBody>, AppError> {
    let view = collections::get(&state, api.actor(), &slug, today(&state)).await?;
    let definition = &view.definition;
    Ok(Json(CollectionBody {
        slug: view.collection.slug.clone(),
        title: view.collection.title.clone(),
        description: definition.description.clone(),
        kind: match definition.kind {
            Kind::Return => "return".into(),
            Kind::Log => "log".into(),
        },
        latest_version: view.collection.latest_version,
        versions: view
            .versions
            .iter()
            .map(|v| VersionSummary {
                version: v.version,
                title: v.title.clone(),
                published_at: iso(v.published_at),
            })
            .collect(),
        periods: view
            .periods
            .iter()
            .map(|p| PeriodBody {
                key: p.key.clone(),
                label: p.label.clone(),
                start: p.start.to_string(),
                end: p.end.to_string(),
                due: p.due.to_string(),
            })
            .collect(),
        organisations: view.organisations.iter().map(|o| o.slug.clone()).collect(),
        roles: definition
            .roles
            .iter()
            .map(|r| RoleBody { id: r.id.clone(), description: r.description.clone() })
            .collect(),
        sections: definition
            .sections
            .iter()
            .map(|s| SectionBody { id: s.id.clone(), title: s.title.clone() })
            .collect(),
    }))
}

/// One version, with its definition exactly as published.
#[utoipa::path(get, path = "/api/v1/collections/{slug}/versions/{version}", tag = "collections",
    params(("slug" = String, Path, description = "The collection's slug"), ("version" = i64, Path, description = "The version")),
    responses((status = 200, body = VersionBody), (status = 404, body = ErrorBody)))]
pub(crate) async fn version(
    State(state): State<AppState>,
    api: Api,
    Path((slug, version)): Path<(String, String)>,
) -> Result<Json<VersionBody>, AppError> {
    let number: i64 =
        version.parse().map_err(|_| ServiceError::NotFound(format!("{slug} has no version {version}")))?;
    let v = collections::version(&state, api.actor(), &slug, number).await?;
    Ok(Json(VersionBody {
        collection: v.collection_slug,
        version: v.version,
        title: v.title,
        published_at: iso(v.published_at),
        definition: v.source,
    }))
}

fn download(bytes: Vec<u8>, content_type: &'static str, file_name: &str) -> Response {
    let mut response = bytes.into_response();
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    if let Ok(value) = HeaderValue::from_str(&format!("attachment; filename=\"{file_name}\"")) {
        headers.insert(header::CONTENT_DISPOSITION, value);
    }
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("private, max-age=300"));
    response
}

/// The spreadsheet template of the latest version: one sheet per section, with its columns,
/// choices and checks.
#[utoipa::path(get, path = "/api/v1/collections/{slug}/template.xlsx", tag = "collections",
    params(("slug" = String, Path, description = "The collection's slug")),
    responses((status = 200, content_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", body = Vec<u8>), (status = 404, body = ErrorBody)))]
pub(crate) async fn template_xlsx(
    State(state): State<AppState>,
    api: Api,
    Path(slug): Path<String>,
) -> Result<Response, AppError> {
    let definition = collections::latest_definition(&state, api.actor(), &slug).await?;
    let bytes = tokio::task::spawn_blocking(move || formwork_tabular::template::xlsx(&definition, None))
        .await
        .map_err(ServiceError::internal)?
        .map_err(|e| ServiceError::internal(format!("writing a template failed: {e}")))?;
    Ok(download(
        bytes,
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        &format!("{slug}-template.xlsx"),
    ))
}

/// Which table a CSV template is for.
#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub(crate) struct TableQuery {
    /// The table (a section's id); needed for a return with more than one table.
    table: Option<String>,
}

/// The CSV template of the latest version: the header row of a log, or of one table of a return.
#[utoipa::path(get, path = "/api/v1/collections/{slug}/template.csv", tag = "collections",
    params(("slug" = String, Path, description = "The collection's slug"), TableQuery),
    responses((status = 200, content_type = "text/csv", body = String), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub(crate) async fn template_csv(
    State(state): State<AppState>,
    api: Api,
    Path(slug): Path<String>,
    Query(query): Query<TableQuery>,
) -> Result<Response, AppError> {
    let definition = collections::latest_definition(&state, api.actor(), &slug).await?;
    let text = formwork_tabular::template::csv(&definition, query.table.as_deref()).map_err(|e| match e {
        formwork_tabular::TabularError::Unsupported(message) => {
            ServiceError::invalid("table", "choice", message)
        }
        other => ServiceError::internal(other),
    })?;
    Ok(download(text.into_bytes(), "text/csv; charset=utf-8", &format!("{slug}-template.csv")))
}

/// The organisations assigned to a collection (that the caller may see).
#[utoipa::path(get, path = "/api/v1/collections/{slug}/organisations", tag = "collections",
    params(("slug" = String, Path, description = "The collection's slug")),
    responses((status = 200, body = Vec<OrganisationBody>), (status = 404, body = ErrorBody)))]
pub(crate) async fn organisations(
    State(state): State<AppState>,
    api: Api,
    Path(slug): Path<String>,
) -> Result<Json<Vec<OrganisationBody>>, AppError> {
    let view = collections::get(&state, api.actor(), &slug, today(&state)).await?;
    Ok(Json(view.organisations.into_iter().map(OrganisationBody::from).collect()))
}

/// Assign an organisation to the collection (service admins); again is fine.
#[utoipa::path(put, path = "/api/v1/collections/{slug}/organisations/{organisation}", tag = "collections",
    params(("slug" = String, Path, description = "The collection's slug"), ("organisation" = String, Path, description = "The organisation's slug")),
    responses((status = 200, body = OrganisationBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub(crate) async fn assign(
    State(state): State<AppState>,
    api: Api,
    Path((slug, organisation)): Path<(String, String)>,
) -> Result<Json<OrganisationBody>, AppError> {
    Ok(Json(collections::assign(&state, api.actor(), &slug, &organisation).await?.into()))
}

/// Take an organisation off the collection (service admins).
#[utoipa::path(delete, path = "/api/v1/collections/{slug}/organisations/{organisation}", tag = "collections",
    params(("slug" = String, Path, description = "The collection's slug"), ("organisation" = String, Path, description = "The organisation's slug")),
    responses((status = 204), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub(crate) async fn unassign(
    State(state): State<AppState>,
    api: Api,
    Path((slug, organisation)): Path<(String, String)>,
) -> Result<Response, AppError> {
    collections::unassign(&state, api.actor(), &slug, &organisation).await?;
    Ok(no_content())
}
