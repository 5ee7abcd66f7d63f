//! The pages: one module per area, and the table of every page route (method and path) that
//! builds the router and that the authorisation test matrix walks.

mod account;
mod collections;
pub(crate) mod exports;
mod home;
mod invitations;
mod jobs;
mod oidc;
mod organisations;
mod people;
mod records;
mod returns;
mod review;
pub(crate) mod search;
pub(crate) mod sign_in;

pub(crate) mod return_files;
mod return_rows;
pub(crate) mod return_tables;
mod return_uploads;
mod upload_report;
mod uploads;

use axum::Router;
use axum::http::Method;
use axum::response::{IntoResponse, Response};
use axum::routing::{MethodRouter, get, post};
use formwork_service::ServiceError;

use crate::AppState;
use crate::error::AppError;

/// Every page route (and the operational ones): the router is built from this table.
fn table() -> Vec<(Method, &'static str, MethodRouter<AppState>)> {
    vec![
        (Method::GET, "/", get(home::home)),
        (Method::GET, "/cookies", get(home::cookies)),
        (Method::GET, "/accessibility", get(home::accessibility)),
        (Method::GET, "/healthz", get(home::healthz)),
        (Method::GET, "/readyz", get(home::readyz)),
        (Method::GET, "/metrics", get(home::metrics)),
        (Method::GET, "/assets/{*path}", get(crate::assets::serve)),
        (Method::GET, "/favicon.ico", get(crate::assets::favicon)),
        (Method::GET, "/sign-in", get(sign_in::show)),
        (Method::POST, "/sign-in", post(sign_in::submit)),
        (Method::POST, "/sign-out", post(sign_in::sign_out)),
        (Method::GET, "/sign-in/oidc", get(oidc::start)),
        (Method::GET, "/sign-in/oidc/callback", get(oidc::callback)),
        (Method::GET, "/forgot-password", get(sign_in::forgot)),
        (Method::POST, "/forgot-password", post(sign_in::forgot_submit)),
        (Method::GET, "/reset-password/{token}", get(sign_in::reset)),
        (Method::POST, "/reset-password/{token}", post(sign_in::reset_submit)),
        (Method::GET, "/invitations/{token}", get(invitations::show)),
        (Method::POST, "/invitations/{token}", post(invitations::accept)),
        (Method::GET, "/account", get(account::show)),
        (Method::POST, "/account/name", post(account::rename)),
        (Method::POST, "/account/password", post(account::change_password)),
        (Method::POST, "/account/tokens", post(account::create_token)),
        (Method::POST, "/account/tokens/{id}/revoke", post(account::revoke_token)),
        (Method::GET, "/organisations", get(organisations::list)),
        (Method::POST, "/organisations", post(organisations::create)),
        (Method::GET, "/organisations/new", get(organisations::new)),
        (Method::GET, "/organisations/{slug}", get(organisations::show)),
        (Method::GET, "/organisations/{slug}/edit", get(organisations::edit)),
        (Method::POST, "/organisations/{slug}/edit", post(organisations::update)),
        (Method::GET, "/organisations/{slug}/invitations/new", get(organisations::invite)),
        (Method::POST, "/organisations/{slug}/invitations", post(organisations::send_invitation)),
        (
            Method::POST,
            "/organisations/{slug}/invitations/{id}/withdraw",
            post(organisations::withdraw_invitation),
        ),
        (Method::GET, "/organisations/{slug}/members/{user_id}", get(organisations::member)),
        (Method::POST, "/organisations/{slug}/members/{user_id}", post(organisations::set_roles)),
        (Method::POST, "/organisations/{slug}/members/{user_id}/remove", post(organisations::remove)),
        (Method::GET, "/people", get(people::list)),
        (Method::POST, "/people", post(people::create)),
        (Method::GET, "/people/new", get(people::new)),
        (Method::GET, "/people/invitations/new", get(people::invite)),
        (Method::POST, "/people/invitations", post(people::send_invitation)),
        (Method::POST, "/people/invitations/{id}/withdraw", post(people::withdraw_invitation)),
        (Method::GET, "/people/{id}", get(people::show)),
        (Method::POST, "/people/{id}", post(people::update)),
        (Method::GET, "/collections", get(collections::list)),
        (Method::GET, "/collections/publish", get(collections::publish)),
        (Method::POST, "/collections/publish", post(collections::publish_submit)),
        (Method::GET, "/collections/{slug}", get(collections::show)),
        (Method::GET, "/collections/{slug}/versions/{version}", get(collections::version)),
        (Method::POST, "/collections/{slug}/organisations", post(collections::assign)),
        (
            Method::POST,
            "/collections/{slug}/organisations/{organisation}/remove",
            post(collections::unassign),
        ),
        (Method::GET, "/returns", get(returns::dashboard)),
        (Method::POST, "/returns", post(returns::start)),
        (Method::GET, "/returns/{id}", get(returns::task_list)),
        (Method::GET, "/returns/{id}/check", get(returns::check::whole)),
        (Method::GET, "/returns/{id}/history", get(returns::history)),
        (Method::POST, "/returns/{id}/warnings", post(returns::section::confirm_warning)),
        (Method::GET, "/returns/{id}/sections/{section}", get(returns::section::show)),
        (Method::POST, "/returns/{id}/sections/{section}", post(returns::section::save)),
        (Method::GET, "/returns/{id}/sections/{section}/check", get(returns::check::section)),
        (Method::GET, "/search/returns", get(search::returns)),
        (Method::GET, "/search/records", get(search::records)),
        (Method::GET, "/jobs", get(jobs::list)),
        (Method::POST, "/jobs/{id}/retry", post(jobs::retry)),
        (Method::GET, "/api/v1/docs", get(crate::api::docs::page)),
    ]
}

/// The pages of a return's tables and attached files.
fn return_parts() -> Vec<(Method, &'static str, MethodRouter<AppState>)> {
    vec![
        (Method::POST, "/returns/{id}/sections/{section}/complete", post(return_tables::complete)),
        (Method::GET, "/returns/{id}/sections/{section}/rows/new", get(return_rows::new_row)),
        (Method::POST, "/returns/{id}/sections/{section}/rows/new", post(return_rows::add_row)),
        (Method::GET, "/returns/{id}/sections/{section}/rows/{index}", get(return_rows::show_row)),
        (Method::POST, "/returns/{id}/sections/{section}/rows/{index}", post(return_rows::change_row)),
        (
            Method::GET,
            "/returns/{id}/sections/{section}/rows/{index}/remove",
            get(return_rows::confirm_remove_row),
        ),
        (Method::POST, "/returns/{id}/sections/{section}/rows/{index}/remove", post(return_rows::remove_row)),
        (Method::POST, "/returns/{id}/sections/{section}/upload", post(return_uploads::upload)),
        (Method::GET, "/returns/{id}/files/{question}", get(return_files::show)),
        (Method::POST, "/returns/{id}/files/{question}", post(return_files::attach)),
        (Method::GET, "/returns/{id}/files/{question}/remove", get(return_files::confirm_remove)),
        (Method::POST, "/returns/{id}/files/{question}/remove", post(return_files::remove)),
        (Method::GET, "/returns/{id}/attachments/{attachment}", get(return_files::download)),
    ]
}

/// The pages of a return's life after it is filled in: sign-off, submission, review, moving
/// to a newer version of its form.
fn return_lifecycle() -> Vec<(Method, &'static str, MethodRouter<AppState>)> {
    use returns::{lifecycle, moving};
    vec![
        (Method::GET, "/returns/{id}/sign-off", get(lifecycle::sign_off_form)),
        (Method::POST, "/returns/{id}/sign-off", post(lifecycle::sign_off)),
        (Method::POST, "/returns/{id}/submit", post(lifecycle::submit)),
        (Method::GET, "/returns/{id}/submitted", get(lifecycle::submitted)),
        (Method::GET, "/returns/{id}/return", get(lifecycle::return_form)),
        (Method::POST, "/returns/{id}/return", post(lifecycle::return_for_changes)),
        (Method::GET, "/returns/{id}/accept", get(lifecycle::accept_form)),
        (Method::POST, "/returns/{id}/accept", post(lifecycle::accept)),
        (Method::GET, "/returns/{id}/reopen", get(lifecycle::reopen_form)),
        (Method::POST, "/returns/{id}/reopen", post(lifecycle::reopen)),
        (Method::GET, "/returns/{id}/move", get(moving::move_form)),
        (Method::POST, "/returns/{id}/move", post(moving::move_return)),
        (Method::GET, "/returns/{id}/moved", get(moving::moved)),
        (Method::POST, "/collections/{slug}/move-drafts", post(moving::move_drafts)),
        (Method::GET, "/review", get(review::queue)),
        (Method::GET, "/review/{id}", get(lifecycle::review)),
    ]
}

/// The pages of a log's records.
fn record_pages() -> Vec<(Method, &'static str, MethodRouter<AppState>)> {
    vec![
        (Method::GET, "/organisations/{slug}/records/{collection}", get(records::list)),
        (Method::POST, "/organisations/{slug}/records/{collection}", post(records::create)),
        (Method::GET, "/records/{id}", get(records::show)),
        (Method::GET, "/records/{id}/history", get(records::history)),
        (Method::POST, "/records/{id}/warnings", post(records::section::confirm_warning)),
        (Method::GET, "/records/{id}/sections/{section}", get(records::section::show)),
        (Method::POST, "/records/{id}/sections/{section}", post(records::section::save)),
        (Method::GET, "/records/{id}/delete", get(records::confirm_delete)),
        (Method::POST, "/records/{id}/delete", post(records::delete)),
    ]
}

/// The pages of uploads: an organisation's files of records, and each upload's progress and
/// report (a table's rows are uploaded from its section, in [`return_parts`]).
fn uploads() -> Vec<(Method, &'static str, MethodRouter<AppState>)> {
    vec![
        (Method::GET, "/organisations/{slug}/uploads", get(uploads::list)),
        (Method::POST, "/organisations/{slug}/uploads", post(uploads::create)),
        (Method::GET, "/organisations/{slug}/uploads/new", get(uploads::new)),
        (Method::GET, "/uploads/{id}", get(upload_report::show)),
        (Method::GET, "/uploads/{id}/annotated", get(upload_report::annotated)),
        (Method::GET, "/uploads/{id}/original", get(upload_report::original)),
        (Method::POST, "/uploads/{id}/confirm", post(upload_report::confirm)),
        (Method::POST, "/uploads/{id}/rerun", post(upload_report::rerun)),
    ]
}

/// The pages of exports: downloads from the search page, exports prepared as files, and the
/// scheduled exports (service admins).
fn export_pages() -> Vec<(Method, &'static str, MethodRouter<AppState>)> {
    vec![
        (Method::GET, "/exports", get(exports::list)),
        (Method::POST, "/exports", post(exports::create)),
        (Method::GET, "/exports/scheduled", get(exports::feeds)),
        (Method::POST, "/exports/scheduled", post(exports::add_feed)),
        (Method::POST, "/exports/scheduled/{id}/run", post(exports::run_feed)),
        (Method::POST, "/exports/scheduled/{id}/remove", post(exports::remove_feed)),
        (Method::GET, "/exports/jobs/{id}", get(exports::job)),
        (Method::GET, "/exports/jobs/{id}/download", get(exports::job_download)),
        (Method::GET, "/exports/{file}", get(exports::download)),
    ]
}

/// Every page route, as (method, path): what the authorisation matrix must cover.
pub fn pages() -> Vec<(Method, &'static str)> {
    table()
        .into_iter()
        .chain(return_parts())
        .chain(return_lifecycle())
        .chain(record_pages())
        .chain(uploads())
        .chain(export_pages())
        .map(|(method, path, _)| (method, path))
        .collect()
}

pub(crate) fn router() -> Router<AppState> {
    table()
        .into_iter()
        .chain(return_parts())
        .chain(return_lifecycle())
        .chain(record_pages())
        .chain(uploads())
        .chain(export_pages())
        .fold(Router::new(), |router, (_, path, handler)| router.route(path, handler))
}

/// Anything else: 404.
pub(crate) async fn not_found() -> Response {
    AppError::Service(ServiceError::NotFound("Page not found".into())).into_response()
}

/// A time (ms since 1970) as people read it: "22 November 2026 at 3:04pm" (UTC).
pub(crate) fn when(millis: i64) -> String {
    chrono::DateTime::from_timestamp_millis(millis)
        .map(|t| t.format("%-d %B %Y at %-I:%M%P").to_string())
        .unwrap_or_default()
}

/// Today's date by the service's clock.
pub(crate) fn today(state: &AppState) -> chrono::NaiveDate {
    let (y, m, d) = state.clock.today();
    chrono::NaiveDate::from_ymd_opt(y, m, d).unwrap_or_default()
}
