//! What every page shares: the [`Page`] chrome (title, navigation, CSP nonce, CSRF token), the
//! [`Ctx`] extractor that builds it, forms shown again with their problems, and the error page.

use askama::Template;
use axum::extract::{FromRequestParts, Query};
use axum::http::request::Parts;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use formwork_service::policy::{Action, check};
use formwork_service::{Actor, Problem};

use crate::assets;
use crate::auth::Principal;
use crate::error::AppError;
use crate::middleware::RequestContext;
use crate::{AppState, cookies};

/// A link in the service navigation.
#[derive(Clone, Debug)]
pub(crate) struct NavItem {
    pub href: &'static str,
    pub text: &'static str,
    pub current: bool,
}

/// The parts of the page template every page fills.
#[derive(Clone, Debug)]
pub(crate) struct Page {
    pub service_name: String,
    pub title: String,
    pub nonce: String,
    pub nav: Vec<NavItem>,
    pub signed_in: bool,
    pub user_label: Option<String>,
    pub csrf: String,
    pub notice: Option<&'static str>,
    pub has_errors: bool,
    pub css: &'static str,
    pub app_css: &'static str,
    pub js: &'static str,
    pub govuk_js: &'static str,
    pub logo: &'static str,
    pub crown: &'static str,
    pub licence: &'static str,
    /// What the header and footer show.
    pub brand: crate::Brand,
    /// The public body that runs the service.
    pub organisation_name: Option<String>,
    /// A new signed-out CSRF cookie to set with this page.
    new_csrf_cookie: Option<HeaderValue>,
}

/// Messages shown after an action, chosen by the `notice` query parameter (a fixed list, so a
/// link cannot put words on the page).
const NOTICES: &[(&str, &str)] = &[
    ("signed-out", "You have signed out"),
    ("password-changed", "Your password has been changed"),
    ("name-changed", "Your name has been changed"),
    ("token-revoked", "The token has been revoked: it no longer works"),
    ("organisation-added", "The organisation has been added"),
    ("organisation-changed", "The organisation has been changed"),
    ("invitation-sent", "The invitation has been sent"),
    ("invitation-withdrawn", "The invitation has been withdrawn"),
    ("invitation-accepted", "You have accepted the invitation"),
    ("member-changed", "The member's roles have been changed"),
    ("member-removed", "The member has been removed from the organisation"),
    ("person-added", "The person has been added"),
    ("person-changed", "The person has been changed"),
    ("published", "The collection has been published"),
    ("assigned", "The organisation has been assigned to the collection"),
    ("unassigned", "The organisation has been taken off the collection"),
    ("job-retried", "The job will run again shortly"),
    ("feed-added", "The export has been scheduled: it runs each night at 02:00 UTC"),
    ("feed-ran", "The scheduled export has run: its files and manifest are written"),
    ("feed-removed", "The scheduled export has been stopped; what it wrote stays"),
    ("row-added", "The row has been added"),
    ("row-changed", "The row has been changed"),
    ("row-removed", "The row has been removed"),
    ("table-uploaded", "The file's rows have replaced the section's rows"),
    ("file-attached", "The file has been attached"),
    ("file-removed", "The file has been removed"),
    ("return-saved", "Your answers have been saved"),
    ("warning-confirmed", "The answer has been confirmed"),
    ("signed-off", "You have signed off this return"),
    ("returned", "The return has been sent back for changes"),
    ("accepted", "The return has been accepted"),
    ("reopened", "The return has been reopened"),
    ("warnings-confirmed", "The warnings have been confirmed: the file is being stored"),
    ("upload-rerun", "The file will be checked again shortly"),
    ("record-added", "The record has been added"),
    ("record-saved", "Your answers have been saved"),
    ("record-deleted", "The record has been deleted"),
];

#[derive(serde::Deserialize)]
struct NoticeQuery {
    notice: Option<String>,
}

/// What a page handler needs: the state, who is asking, and the request's context.
pub(crate) struct Ctx {
    pub state: AppState,
    pub principal: Principal,
    pub request: RequestContext,
    pub notice: Option<&'static str>,
    /// The client's network address (for rate limits).
    pub address: String,
    csrf_cookie: Option<String>,
}

impl FromRequestParts<AppState> for Ctx {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Ctx, AppError> {
        let principal = Principal::from_request_parts(parts, state).await?;
        let request = parts
            .extensions
            .get::<RequestContext>()
            .cloned()
            .unwrap_or_else(|| RequestContext { request_id: String::new(), nonce: String::new() });
        let notice = Query::<NoticeQuery>::try_from_uri(&parts.uri)
            .ok()
            .and_then(|q| q.0.notice)
            .and_then(|key| NOTICES.iter().find(|(k, _)| *k == key).map(|(_, text)| *text));
        let csrf_cookie = cookies::get(&parts.headers, cookies::csrf_name(state.config().secure()))
            .filter(|c| c.len() >= 32)
            .map(str::to_string);
        let peer = parts.extensions.get::<axum::extract::ConnectInfo<std::net::SocketAddr>>();
        let address = crate::auth::client_address(&parts.headers, peer, state);
        Ok(Ctx { state: state.clone(), principal, request, notice, address, csrf_cookie })
    }
}

impl Ctx {
    /// Who is acting.
    pub fn actor(&self) -> &Actor {
        &self.principal.actor
    }

    /// The chrome for a page titled `title`, with `current` the navigation item it belongs to.
    pub fn page(&self, title: impl Into<String>, current: &str) -> Page {
        let mut page = Page::plain(&self.state, Some(&self.request));
        page.title = title.into();
        page.notice = self.notice;
        let actor = &self.principal.actor;
        page.signed_in = self.principal.signed_in();
        if let Some(person) = actor.as_person() {
            page.user_label = Some(person.user.name.clone().unwrap_or_else(|| person.user.email.clone()));
            let mut nav = vec![
                ("/", "Home"),
                ("/returns", "Returns"),
                ("/collections", "Collections"),
                ("/organisations", "Organisations"),
            ];
            if actor.staff().is_some() {
                nav.push(("/review", "Review"));
            }
            if actor.staff().is_some() || !person.memberships.is_empty() {
                nav.push((crate::routes::search::NAV, "Search"));
                nav.push((crate::routes::exports::NAV, "Exports"));
            }
            if check(actor, Action::ManagePeople).is_ok() {
                nav.push(("/people", "People"));
            }
            if check(actor, Action::ManageJobs).is_ok() {
                nav.push(("/jobs", "Jobs"));
            }
            nav.push(("/account", "Your account"));
            page.nav = nav
                .into_iter()
                .map(|(href, text)| NavItem { href, text, current: href == current })
                .collect();
        }
        match (self.principal.session_csrf(), &self.csrf_cookie) {
            (Some(token), _) => page.csrf = token.to_string(),
            (None, Some(cookie)) => page.csrf = cookie.clone(),
            (None, None) => {
                let token = crate::middleware::random_token();
                let secure = self.state.config().secure();
                page.new_csrf_cookie =
                    Some(cookies::set(cookies::csrf_name(secure), &token, secure, "Strict", None));
                page.csrf = token;
            }
        }
        page
    }
}

impl Page {
    /// The chrome without a person: error pages, and the base of every page.
    pub fn plain(state: &AppState, context: Option<&RequestContext>) -> Page {
        Page {
            service_name: state.settings.service_name.clone(),
            title: String::new(),
            nonce: context.map(|c| c.nonce.clone()).unwrap_or_default(),
            nav: Vec::new(),
            signed_in: false,
            user_label: None,
            csrf: String::new(),
            notice: None,
            has_errors: false,
            css: assets::GOVUK_FRONTEND_MIN_CSS,
            app_css: assets::APP_CSS,
            js: assets::INIT_JS,
            govuk_js: assets::GOVUK_FRONTEND_MIN_JS,
            logo: assets::HEADER_LOGO,
            crown: assets::FOOTER_CROWN,
            licence: assets::FOOTER_LICENCE,
            brand: state.config().brand,
            organisation_name: state.config().organisation_name.clone(),
            new_csrf_cookie: None,
        }
    }

    /// True when the header shows the GOV.UK crown and logotype.
    pub fn govuk_brand(&self) -> bool {
        self.brand == crate::Brand::Govuk
    }
}

/// Render a page's template with `status`, setting the signed-out CSRF cookie if the page made one.
pub(crate) fn render_with(status: StatusCode, page: &Page, template: &impl Template) -> Response {
    let html = match template.render() {
        Ok(html) => html,
        Err(e) => {
            return AppError::Service(formwork_service::ServiceError::internal(format!(
                "a page did not render: {e}"
            )))
            .into_response();
        }
    };
    let mut response = (status, Html(html)).into_response();
    if let Some(cookie) = &page.new_csrf_cookie {
        response.headers_mut().append(header::SET_COOKIE, cookie.clone());
    }
    response
}

/// Render a page's template.
pub(crate) fn render(page: &Page, template: &impl Template) -> Response {
    render_with(StatusCode::OK, page, template)
}

/// A form shown again: what was typed and what is wrong with it.
#[derive(Clone, Debug, Default)]
pub(crate) struct Form {
    pub values: Vec<(String, String)>,
    pub problems: Vec<Problem>,
}

impl Form {
    /// A form with what was typed and its problems.
    pub fn new(values: Vec<(String, String)>, problems: Vec<Problem>) -> Form {
        Form { values, problems }
    }

    /// What was typed in `field`.
    pub fn value(&self, field: &str) -> &str {
        self.values.iter().find(|(k, _)| k == field).map_or("", |(_, v)| v.as_str())
    }

    /// True when `value` was among the values of `field` (checkboxes, radios).
    pub fn has(&self, field: &str, value: &str) -> bool {
        self.values.iter().any(|(k, v)| k == field && v == value)
    }

    /// The problem with `field`, if any.
    pub fn error(&self, field: &str) -> Option<&str> {
        self.problems.iter().find(|p| p.field == field).map(|p| p.message.as_str())
    }

    /// True when the form has problems.
    pub fn has_errors(&self) -> bool {
        !self.problems.is_empty()
    }
}

#[derive(Template)]
#[template(path = "error.html")]
struct ErrorPage<'a> {
    page: &'a Page,
    status: u16,
    heading: &'a str,
    message: &'a str,
    request_id: &'a str,
}

/// The heading of the page for an error with `status` and `code` (an `ErrorInfo`'s code: a form
/// refused by the CSRF check is a 403 like any other refusal, but the person did nothing wrong).
fn error_heading(status: StatusCode, code: &str) -> &'static str {
    match status {
        StatusCode::NOT_FOUND => "Page not found",
        StatusCode::METHOD_NOT_ALLOWED => "This page cannot be used that way",
        StatusCode::FORBIDDEN if code == "csrf" => "This form has expired",
        StatusCode::FORBIDDEN => "You do not have permission to see this page",
        StatusCode::UNAUTHORIZED => "Sign in to continue",
        StatusCode::CONFLICT => "This cannot be done",
        StatusCode::TOO_MANY_REQUESTS => "Too many attempts",
        StatusCode::SERVICE_UNAVAILABLE => "Sorry, the service is unavailable",
        StatusCode::PAYLOAD_TOO_LARGE => "The file is too large",
        s if s.is_server_error() => "Sorry, there is a problem with the service",
        _ => "There is a problem",
    }
}

/// The page for an error with `status` and `code`.
pub(crate) fn error_page(
    page: &Page,
    status: StatusCode,
    code: &str,
    message: &str,
    request_id: &str,
) -> Html<String> {
    let heading = error_heading(status, code);
    let mut page = page.clone();
    page.title = heading.to_string();
    let template = ErrorPage { page: &page, status: status.as_u16(), heading, message, request_id };
    Html(template.render().unwrap_or_else(|_| format!("<h1>{heading}</h1>")))
}
