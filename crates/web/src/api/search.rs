//! `/api/v1/search/submissions` and `/api/v1/search/records`: the search pages' filters for
//! programs, with counts per state and pages by key (`next` and `previous` tokens). The lists
//! `GET /api/v1/submissions` (a bare array) and `GET /api/v1/records` (its own cursor, most
//! recently changed first) stay as they are for their clients; see docs/api.md.

use std::collections::BTreeMap;

use axum::Json;
use axum::extract::{RawQuery, State};
use formwork_service::search::{self, SearchQuery, SearchResults, Subject};
use serde::Serialize;
use utoipa::ToSchema;

use crate::AppState;
use crate::api::Api;
use crate::api::types::{ErrorBody, iso};
use crate::error::AppError;

/// The filters, the order and the page, as query parameters (the same as the search pages').
#[derive(utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[expect(dead_code, reason = "documents the query string, which is read by the service's own parser")]
pub(crate) struct SearchParams {
    /// A collection's slug (a return for submissions, a log for records).
    collection: Option<String>,
    /// A version of the collection's definition (with `collection`).
    version: Option<i64>,
    /// A period's key: the day it starts, e.g. `2026-04-01`.
    period: Option<String>,
    /// An organisation's slug. Another organisation's (for a member) finds nothing.
    organisation: Option<String>,
    /// States, separated by commas, e.g. `submitted,accepted` (or `state`, repeated). Default:
    /// every state but a record's `deleted`.
    states: Option<String>,
    /// Changed on or after this day (`2026-05-01`) or time (RFC 3339).
    updated_since: Option<String>,
    /// Text in the organisation's name or the reference (a record's key), ignoring case.
    q: Option<String>,
    /// `updated` (most recently changed first, the default), `oldest`, `period` (latest first) or
    /// `reference` (A to Z, those without one last).
    sort: Option<String>,
    /// The `next` token of the page before.
    after: Option<String>,
    /// The `previous` token of the page after, to go back.
    before: Option<String>,
    /// Rows on a page: 50 unless given, at most 500.
    limit: Option<i64>,
}

/// A return or record found.
#[derive(Serialize, ToSchema)]
pub(crate) struct SearchItem {
    pub id: String,
    /// The collection's slug.
    pub collection: String,
    /// The definition version it follows.
    pub version: i64,
    /// The organisation's slug.
    pub organisation: String,
    pub organisation_name: String,
    /// The period's key.
    pub period: String,
    pub period_label: String,
    pub state: String,
    /// A return's reference once submitted; a record's key answers (trimmed, in lower case)
    /// separated by commas, once all given.
    pub reference: Option<String>,
    /// When a return was last submitted.
    pub submitted_at: Option<String>,
    pub updated_at: String,
    /// Where the API reads it.
    pub href: String,
}

/// A page of results.
#[derive(Serialize, ToSchema)]
pub(crate) struct SearchBody {
    pub items: Vec<SearchItem>,
    /// How many the filters select in each state, the state filter aside (every state, zeros
    /// included).
    #[schema(value_type = Object)]
    pub counts: BTreeMap<String, i64>,
    /// How many the filters select, the state filter included: every page together.
    pub total: i64,
    /// Send as `after` for the next page; `null` on the last page.
    pub next: Option<String>,
    /// Send as `before` for the page before; `null` on the first page.
    pub previous: Option<String>,
}

fn body(results: SearchResults) -> SearchBody {
    let subject = results.selection.subject;
    let items = results
        .hits
        .into_iter()
        .map(|hit| SearchItem {
            href: match subject {
                Subject::Submissions => format!("/api/v1/submissions/{}", hit.id),
                Subject::Records => format!("/api/v1/records/{}", hit.id),
            },
            id: hit.id,
            collection: hit.collection,
            version: hit.version,
            organisation: hit.organisation_slug,
            organisation_name: hit.organisation_name,
            period: hit.period,
            period_label: hit.period_label,
            state: hit.state,
            reference: hit.reference,
            submitted_at: hit.submitted_at.map(iso),
            updated_at: iso(hit.updated_at),
        })
        .collect();
    SearchBody {
        items,
        counts: results.counts.into_iter().map(|c| (c.state.to_owned(), c.count)).collect(),
        total: results.total,
        next: results.next,
        previous: results.previous,
    }
}

async fn run(
    state: &AppState,
    api: &Api,
    subject: Subject,
    raw: Option<String>,
) -> Result<Json<SearchBody>, AppError> {
    let raw = raw.unwrap_or_default();
    let query = SearchQuery::from_pairs(subject, url::form_urlencoded::parse(raw.as_bytes()));
    Ok(Json(body(search::search(state, api.actor(), &query).await?)))
}

/// Returns found by the filters, a page at a time by key, with counts per state: staff search
/// every organisation's, members their own organisations'. Follow `next` (as `after`) for the
/// next page and `previous` (as `before`) to go back.
#[utoipa::path(get, path = "/api/v1/search/submissions", tag = "search", params(SearchParams),
    responses((status = 200, body = SearchBody), (status = 401, body = ErrorBody), (status = 422, body = ErrorBody, description = "A filter has a problem (each in `details`), or `after`/`before` is not a token of this search")))]
pub(crate) async fn submissions(
    State(state): State<AppState>,
    api: Api,
    RawQuery(raw): RawQuery,
) -> Result<Json<SearchBody>, AppError> {
    run(&state, &api, Subject::Submissions, raw).await
}

/// Records of logs found by the filters, a page at a time by key, with counts per state: staff
/// search every organisation's, members their own organisations'. Deleted records are found only
/// when asked for (`states=deleted`).
#[utoipa::path(get, path = "/api/v1/search/records", tag = "search", params(SearchParams),
    responses((status = 200, body = SearchBody), (status = 401, body = ErrorBody), (status = 422, body = ErrorBody, description = "A filter has a problem (each in `details`), or `after`/`before` is not a token of this search")))]
pub(crate) async fn records(
    State(state): State<AppState>,
    api: Api,
    RawQuery(raw): RawQuery,
) -> Result<Json<SearchBody>, AppError> {
    run(&state, &api, Subject::Records, raw).await
}
