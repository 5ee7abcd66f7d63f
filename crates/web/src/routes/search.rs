//! The search pages: returns (`/search/returns`) and records (`/search/records`) found by
//! collection, version, period, organisation, status, when they last changed and text, in the
//! order chosen, a page at a time by key, with counts per status; each row opens its read-only
//! view, and a collection's results can be exported.
//!
//! The filters are a GET form, so that a search is a link people can share; the query string is
//! read by `formwork_service::search`, which decides what it selects and who sees what.

use askama::Template;
use axum::extract::RawQuery;
use axum::http::StatusCode;
use axum::response::Response;
use formwork_service::collections::{self, CollectionView};
use formwork_service::search::{self, SearchHit, SearchQuery, SearchResults, Sort, Subject};
use formwork_service::{Problem, ServiceError, organisations};

use crate::components::{
    CheckboxItem, Checkboxes, Content, DateInput, ErrorMessage, Fieldset, Hint, Input, Label, Legend,
    Pagination, PaginationLink, Select, SelectItem, Table, TableCell, Tag, escape, link,
};
use crate::error::AppError;
use crate::pages::{Ctx, Form, Page, render_with};

/// Where the navigation's "Search" goes, and what it highlights on both search pages.
pub(crate) const NAV: &str = "/search/returns";

/// The formats the exports offer, and whether each can take question labels as headers.
const EXPORTS: [(&str, &str, bool); 4] = [
    ("csv", "CSV", true),
    ("xlsx", "Excel workbook (XLSX)", true),
    ("jsonl", "JSON Lines", false),
    ("parquet", "Parquet", false),
];

/// What one search page is about.
#[derive(Clone, Copy)]
struct About {
    subject: Subject,
    /// The page's address.
    href: &'static str,
    /// The page's title.
    title: &'static str,
    /// One row, in words.
    noun: &'static str,
    /// The collections it searches: `return` or `log`.
    kind: &'static str,
}

const RETURNS: About = About {
    subject: Subject::Submissions,
    href: "/search/returns",
    title: "Search returns",
    noun: "return",
    kind: "return",
};

const RECORDS: About = About {
    subject: Subject::Records,
    href: "/search/records",
    title: "Search records",
    noun: "record",
    kind: "log",
};

/// A time as a table shows it: "2 Dec 2026, 6:04am" (UTC).
fn day_and_time(millis: i64) -> String {
    chrono::DateTime::from_timestamp_millis(millis)
        .map(|t| t.format("%-d %b %Y, %-I:%M%P").to_string())
        .unwrap_or_default()
}

/// A query string's pairs, as a URL's query.
fn query_string<'a>(pairs: impl IntoIterator<Item = (&'a str, &'a str)>) -> String {
    url::form_urlencoded::Serializer::new(String::new()).extend_pairs(pairs).finish()
}

#[derive(Template)]
#[template(path = "search/results.html")]
struct SearchPage {
    page: Page,
    about: About,
    /// The query's name-value pairs as sent (the date input's parts shown as typed).
    pairs: Vec<(String, String)>,
    query: SearchQuery,
    /// The results; `None` when the filters have problems.
    results: Option<SearchResults>,
    /// Problems with the filters, for the error summary (linking to each field's first control).
    form: Form,
    problems: Vec<Problem>,
    /// The collections of this kind the person may see (slug, title).
    collections: Vec<(String, String)>,
    /// The chosen collection, when there is one the person may see.
    collection: Option<CollectionView>,
    /// The organisations the person may see (slug, name); the filter is offered for more than one.
    organisations: Vec<(String, String)>,
    /// True for the staff, whose rows of returns open the review page.
    staff: bool,
}

impl SearchPage {
    fn error(&self, field: &str) -> Option<ErrorMessage> {
        self.problems.iter().find(|p| p.field == field).map(|p| ErrorMessage::text(&p.message))
    }

    /// What was sent as `name`, as typed.
    fn sent(&self, name: &str) -> String {
        self.pairs.iter().find(|(k, _)| k == name).map(|(_, v)| v.trim().to_owned()).unwrap_or_default()
    }

    /// The search with these filters and this order (no page), with `states` instead of the
    /// chosen ones when given.
    fn href_with(&self, states: Option<&[&str]>) -> String {
        let mut pairs = self.query.filter_pairs();
        if let Some(states) = states {
            pairs.retain(|(name, _)| *name != "state");
            pairs.extend(states.iter().map(|s| ("state", (*s).to_owned())));
        }
        if let Some(sort) = &self.query.sort {
            pairs.push(("sort", sort.clone()));
        }
        if let Some(limit) = &self.query.limit {
            pairs.push(("limit", limit.clone()));
        }
        let query = query_string(pairs.iter().map(|(k, v)| (*k, v.as_str())));
        if query.is_empty() { self.about.href.to_owned() } else { format!("{}?{query}", self.about.href) }
    }

    /// The other search page, with no filters.
    fn other(&self) -> (&'static str, &'static str) {
        match self.about.subject {
            Subject::Submissions => (RECORDS.href, "Records"),
            Subject::Records => (RETURNS.href, "Returns"),
        }
    }

    /// Each status with how many rows the other filters select in it, linking to the search for
    /// it alone; the first is every status.
    fn counts(&self) -> Vec<(String, String, bool)> {
        let Some(results) = &self.results else { return Vec::new() };
        let chosen = &results.selection.states;
        let every: i64 = results.counts.iter().filter(|c| c.state != "deleted").map(|c| c.count).sum();
        let mut counts = vec![(self.href_with(Some(&[])), format!("All ({every})"), chosen.is_empty())];
        counts.extend(results.counts.iter().map(|c| {
            let current = chosen.len() == 1 && chosen.iter().any(|s| s == c.state);
            (self.href_with(Some(&[c.state])), format!("{} ({})", c.label, c.count), current)
        }));
        counts
    }

    /// "3 returns found", "1 record found".
    fn found(&self) -> String {
        let total = self.results.as_ref().map_or(0, |r| r.total);
        let plural = if total == 1 { "" } else { "s" };
        format!("{total} {}{plural} found", self.about.noun)
    }

    fn select(name: &str, label: &str, options: Vec<(String, String)>, value: &str) -> Select {
        let mut items = vec![SelectItem {
            value: Some(String::new()),
            text: Some("Any".to_owned()),
            ..SelectItem::default()
        }];
        items.extend(options.into_iter().map(|(v, t)| SelectItem {
            value: Some(v),
            text: Some(t),
            ..SelectItem::default()
        }));
        Select {
            id: Some(name.to_owned()),
            name: Some(name.to_owned()),
            items,
            value: Some(value.to_owned()),
            label: Label::text(label).classes("govuk-label--s"),
            ..Select::default()
        }
    }

    fn text_input(&self, name: &str, label: &str, hint: &str, width: &str) -> Input {
        Input {
            id: Some(name.to_owned()),
            name: Some(name.to_owned()),
            value: Some(self.sent(name)),
            label: Label::text(label).classes("govuk-label--s"),
            hint: (!hint.is_empty()).then(|| Hint::text(hint)),
            error_message: self.error(name),
            classes: Some(width.to_owned()),
            spellcheck: Some(false),
            ..Input::default()
        }
    }

    fn text_search(&self) -> Input {
        let hint = match self.about.subject {
            Subject::Submissions => "Part of an organisation's name or a return's reference",
            Subject::Records => {
                "Part of an organisation's name or a record's key, for example a tenancy code"
            }
        };
        self.text_input("q", "Search", hint, "")
    }

    fn collection_select(&self) -> Select {
        let title = if self.about.kind == "log" { "Log" } else { "Collection" };
        Select {
            error_message: self.error("collection"),
            ..Self::select("collection", title, self.collections.clone(), &self.sent("collection"))
        }
    }

    /// The chosen collection's versions, or a box for a number when none is chosen.
    fn version_select(&self) -> Option<Select> {
        let view = self.collection.as_ref()?;
        let versions =
            view.versions.iter().map(|v| (v.version.to_string(), format!("Version {}", v.version))).collect();
        Some(Select {
            error_message: self.error("version"),
            ..Self::select("version", "Version of the form", versions, &self.sent("version"))
        })
    }

    fn version_input(&self) -> Input {
        self.text_input("version", "Version of the form", "A number, for example 2", "govuk-input--width-3")
    }

    /// The chosen collection's periods that have started, or a box for a day when none is chosen.
    fn period_select(&self) -> Option<Select> {
        let view = self.collection.as_ref()?;
        let periods = view.periods.iter().map(|p| (p.key.clone(), p.label.clone())).collect();
        Some(Select {
            error_message: self.error("period"),
            ..Self::select("period", "Period", periods, &self.sent("period"))
        })
    }

    fn period_input(&self) -> Input {
        self.text_input(
            "period",
            "Period starting",
            "The period's first day, for example 2026-04-01",
            "govuk-input--width-10",
        )
    }

    /// For the staff, and members of more than one organisation.
    fn organisation_select(&self) -> Option<Select> {
        (self.organisations.len() > 1).then(|| {
            Self::select(
                "organisation",
                "Organisation",
                self.organisations.clone(),
                &self.sent("organisation"),
            )
        })
    }

    fn state_checkboxes(&self) -> Checkboxes {
        let items = search::states_of(self.about.subject)
            .into_iter()
            .map(|(value, label)| {
                Some(CheckboxItem {
                    content: Content::text(label),
                    value: Some(value.to_owned()),
                    ..CheckboxItem::default()
                })
            })
            .collect();
        Checkboxes {
            name: Some("state".to_owned()),
            id_prefix: Some("state".to_owned()),
            items,
            values: self.query.states.clone(),
            fieldset: Some(Fieldset {
                legend: Legend {
                    content: Content::text("Status"),
                    classes: Some("govuk-fieldset__legend--s".to_owned()),
                    ..Legend::default()
                },
                ..Fieldset::default()
            }),
            hint: (self.about.subject == Subject::Records)
                .then(|| Hint::text("Deleted records are left out unless you choose them")),
            error_message: self.error("state"),
            classes: Some("govuk-checkboxes--small".to_owned()),
            ..Checkboxes::default()
        }
    }

    fn changed_since(&self) -> DateInput {
        // As typed in the three boxes; or the day of an `updated_since` from a shared link.
        let typed = ["day", "month", "year"].map(|part| self.sent(&format!("updated_since-{part}")));
        let [day, month, year] = if typed.iter().all(String::is_empty) {
            let whole = self.sent("updated_since");
            let mut parts = whole.get(..10).unwrap_or_default().split('-').map(str::to_owned);
            let (y, m, d) = (parts.next(), parts.next(), parts.next());
            [d.unwrap_or_default(), m.unwrap_or_default(), y.unwrap_or_default()]
        } else {
            typed
        };
        let values = [("day", day), ("month", month), ("year", year)]
            .into_iter()
            .map(|(part, text)| (format!("updated_since-{part}"), text))
            .collect();
        DateInput {
            id: Some("updated_since".to_owned()),
            name_prefix: Some("updated_since".to_owned()),
            values,
            fieldset: Some(Fieldset {
                legend: Legend {
                    content: Content::text("Changed since"),
                    classes: Some("govuk-fieldset__legend--s".to_owned()),
                    ..Legend::default()
                },
                role: Some("group".to_owned()),
                ..Fieldset::default()
            }),
            hint: Some(Hint::text("For example, 27 3 2026")),
            error_message: self.error("updated_since"),
            ..DateInput::default()
        }
    }

    fn sort_select(&self) -> Select {
        let reference = match self.about.subject {
            Subject::Submissions => "Reference, A to Z",
            Subject::Records => "Record key, A to Z",
        };
        let options = Sort::ALL
            .into_iter()
            .map(|s| {
                let text = match s {
                    Sort::Updated => "Most recently changed",
                    Sort::Oldest => "Least recently changed",
                    Sort::Period => "Latest period first",
                    Sort::Reference => reference,
                };
                SelectItem {
                    value: Some(s.as_str().to_owned()),
                    text: Some(text.to_owned()),
                    ..SelectItem::default()
                }
            })
            .collect();
        let chosen = self.results.as_ref().map_or_else(|| self.sent("sort"), |r| r.sort.as_str().to_owned());
        Select {
            id: Some("sort".to_owned()),
            name: Some("sort".to_owned()),
            items: options,
            value: Some(chosen),
            label: Label::text("Sort by").classes("govuk-label--s"),
            error_message: self.error("sort"),
            ..Select::default()
        }
    }

    /// The rows found, each linking to its read-only view.
    fn table(&self) -> Option<Table> {
        let results = self.results.as_ref().filter(|r| !r.hits.is_empty())?;
        let reference = match self.about.subject {
            Subject::Submissions => "Reference",
            Subject::Records => "Record key",
        };
        let head =
            [reference, "Organisation", "Period", "Status", "Last changed"].map(TableCell::text).to_vec();
        let rows = results
            .hits
            .iter()
            .map(|hit| {
                let href = match self.about.subject {
                    Subject::Submissions if self.staff => format!("/review/{}", hit.id),
                    Subject::Submissions => format!("/returns/{}", hit.id),
                    Subject::Records => format!("/records/{}", hit.id),
                };
                // With a collection chosen, its title on every row says nothing new.
                let form_of = |hit: &SearchHit| match &self.collection {
                    Some(_) => format!("Version {}", hit.version),
                    None => format!("{}, version {}", hit.collection_title, hit.version),
                };
                let text = hit.reference.clone().unwrap_or_else(|| match self.about.subject {
                    Subject::Submissions => "Not submitted yet".to_owned(),
                    Subject::Records => "No key yet".to_owned(),
                });
                let hidden = format!(
                    "<span class=\"govuk-visually-hidden\">: {} – {}</span>",
                    escape(&hit.organisation_name),
                    escape(&hit.period_label)
                );
                let opens = link(&href, &text).replacen("</a>", &format!("{hidden}</a>"), 1);
                let colour = match hit.state.as_str() {
                    "in_progress" => "govuk-tag--light-blue",
                    "completed" | "accepted" => "govuk-tag--green",
                    "submitted" => "govuk-tag--blue",
                    "changes_requested" => "govuk-tag--orange",
                    "ready_for_sign_off" | "awaiting_sign_off" => "govuk-tag--purple",
                    _ => "govuk-tag--grey",
                };
                // A return's reference is short and quoted whole; a record's key may be long.
                let nowrap = (self.about.subject == Subject::Submissions).then(|| "app-nowrap".to_owned());
                vec![
                    TableCell { classes: nowrap, ..TableCell::html(opens) },
                    TableCell::text(&hit.organisation_name),
                    TableCell::html(format!(
                        "{}<br><span class=\"govuk-body-s\">{}</span>",
                        escape(&hit.period_label),
                        escape(&form_of(hit))
                    )),
                    TableCell::html(Tag::new(hit.state_label, Some(colour)).to_html()),
                    TableCell::text(day_and_time(hit.updated_at)),
                ]
            })
            .collect();
        let caption = match self.about.subject {
            Subject::Submissions => "Returns found",
            Subject::Records => "Records found",
        };
        Some(Table { rows, ..Table::with_hidden_caption(caption, head) })
    }

    /// Previous and Next, by key.
    fn pagination(&self) -> Option<Pagination> {
        let results = self.results.as_ref()?;
        let base = self.href_with(None);
        let joined = |name: &str, token: &str| {
            let separator = if base.contains('?') { '&' } else { '?' };
            format!("{base}{separator}{}", query_string([(name, token)]))
        };
        let previous = results
            .previous
            .as_ref()
            .map(|token| PaginationLink { href: Some(joined("before", token)), ..PaginationLink::default() });
        let next = results
            .next
            .as_ref()
            .map(|token| PaginationLink { href: Some(joined("after", token)), ..PaginationLink::default() });
        (previous.is_some() || next.is_some()).then(|| Pagination {
            previous,
            next,
            landmark_label: Some("Pages of results".to_owned()),
            ..Pagination::default()
        })
    }

    /// The export links of the chosen collection: every row the filters select, in each format.
    fn exports(&self) -> Vec<(String, String)> {
        let (Some(view), Some(_)) = (&self.collection, &self.results) else { return Vec::new() };
        let slug = &view.collection.slug;
        // The collection is in the path; the other filters select what it holds.
        let mut pairs: Vec<(&str, String)> =
            self.query.filter_pairs().into_iter().filter(|(name, _)| *name != "collection").collect();
        let mut links = Vec::new();
        for (format, name, labels) in EXPORTS {
            let query = query_string(pairs.iter().map(|(k, v)| (*k, v.as_str())));
            let href = |query: &str| {
                if query.is_empty() {
                    format!("/exports/{slug}.{format}")
                } else {
                    format!("/exports/{slug}.{format}?{query}")
                }
            };
            if labels {
                links.push((href(&query), format!("{name}, with question ids as headers")));
                pairs.push(("headers", "labels".to_owned()));
                let with_labels = query_string(pairs.iter().map(|(k, v)| (*k, v.as_str())));
                pairs.pop();
                links.push((href(&with_labels), format!("{name}, with question labels as headers")));
            } else {
                links.push((href(&query), name.to_owned()));
            }
        }
        links
    }

    /// The chosen collection and the other filters as a query string, for the form that prepares
    /// an export as a file (`None` when nothing can be exported).
    fn prepare_export(&self) -> Option<(String, String)> {
        let (Some(view), Some(_)) = (&self.collection, &self.results) else { return None };
        let pairs: Vec<(&str, String)> =
            self.query.filter_pairs().into_iter().filter(|(name, _)| *name != "collection").collect();
        Some((view.collection.slug.clone(), query_string(pairs.iter().map(|(k, v)| (*k, v.as_str())))))
    }

    /// The formats an export can be prepared in.
    fn prepare_format(&self) -> Select {
        Select {
            id: Some("prepare-format".to_owned()),
            name: Some("format".to_owned()),
            items: EXPORTS
                .iter()
                .map(|(format, name, _)| SelectItem {
                    value: Some((*format).to_owned()),
                    text: Some((*name).to_owned()),
                    ..SelectItem::default()
                })
                .collect(),
            value: Some("csv".to_owned()),
            label: Label::text("Format").classes("govuk-label--s"),
            ..Select::default()
        }
    }
}

/// The problems with a query, each linking to the first control of its field on the page.
fn summary(problems: &[Problem]) -> Form {
    let linked = problems
        .iter()
        .map(|p| {
            let target = match p.field.as_str() {
                "updated_since" => "updated_since-day",
                "q" | "collection" | "version" | "period" | "state" | "sort" => p.field.as_str(),
                // The page's cursor or size: nothing to correct on the form but the link itself.
                _ => "search-results",
            };
            Problem::new(target, p.code, p.message.clone())
        })
        .collect();
    Form::new(Vec::new(), linked)
}

async fn page(ctx: &Ctx, about: About, raw: Option<String>) -> Result<Response, AppError> {
    let pairs: Vec<(String, String)> = url::form_urlencoded::parse(raw.unwrap_or_default().as_bytes())
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect();
    let query = SearchQuery::from_pairs(about.subject, pairs.iter().map(|(k, v)| (k.as_str(), v.as_str())));
    let (results, problems) = match search::search(&ctx.state, ctx.actor(), &query).await {
        Ok(results) => (Some(results), Vec::new()),
        Err(ServiceError::Invalid(problems)) => (None, problems),
        Err(e) => return Err(e.into()),
    };
    let collections = collections::list(&ctx.state, ctx.actor())
        .await?
        .into_iter()
        .filter(|c| c.kind == about.kind)
        .map(|c| (c.slug, c.title))
        .collect::<Vec<_>>();
    let chosen = query.collection.as_deref().filter(|slug| collections.iter().any(|(s, _)| s == slug));
    let collection = match chosen {
        Some(slug) => Some(collections::get(&ctx.state, ctx.actor(), slug, super::today(&ctx.state)).await?),
        None => None,
    };
    let organisations =
        organisations::list(&ctx.state, ctx.actor()).await?.into_iter().map(|o| (o.slug, o.name)).collect();
    let mut page = ctx.page(about.title, NAV);
    page.has_errors = !problems.is_empty();
    let status = if problems.is_empty() { StatusCode::OK } else { StatusCode::UNPROCESSABLE_ENTITY };
    let template = SearchPage {
        page: page.clone(),
        about,
        pairs,
        query,
        results,
        form: summary(&problems),
        problems,
        collections,
        collection,
        organisations,
        staff: ctx.actor().staff().is_some(),
    };
    Ok(render_with(status, &page, &template))
}

/// `GET /search/returns`: returns found by the filters in the query string.
pub(crate) async fn returns(ctx: Ctx, RawQuery(raw): RawQuery) -> Result<Response, AppError> {
    page(&ctx, RETURNS, raw).await
}

/// `GET /search/records`: records of logs found by the filters in the query string.
pub(crate) async fn records(ctx: Ctx, RawQuery(raw): RawQuery) -> Result<Response, AppError> {
    page(&ctx, RECORDS, raw).await
}
