//! The staff's review queue: returns by collection, period, state and organisation, with counts
//! per state and the overdue ones, each linking to the whole return to read
//! ([`super::returns::lifecycle::review`]).

use askama::Template;
use axum::extract::Query;
use axum::response::Response;
use formwork_service::lifecycle::{self, Queue, QueueFilter};
use formwork_service::submissions::SubmissionState;
use formwork_service::{collections, organisations};

use super::returns::{day, state_tag};
use super::when;
use crate::components::{
    CheckboxItem, Checkboxes, Content, Hint, Input, Label, Select, SelectItem, Table, TableCell, Tag, escape,
    link,
};
use crate::error::AppError;
use crate::pages::{Ctx, Page, render};

/// The queue's filters, as the GET form sends them (empty: any).
#[derive(Clone, Debug, Default, serde::Deserialize)]
pub(crate) struct Filters {
    #[serde(default)]
    collection: String,
    #[serde(default)]
    period: String,
    #[serde(default)]
    state: String,
    #[serde(default)]
    organisation: String,
    #[serde(default)]
    overdue: String,
}

impl Filters {
    fn filter(&self) -> QueueFilter {
        let some = |s: &str| Some(s.trim().to_owned()).filter(|s| !s.is_empty());
        QueueFilter {
            collection: some(&self.collection),
            period: some(&self.period),
            state: SubmissionState::parse(self.state.trim()),
            organisation: some(&self.organisation),
            overdue: self.overdue == "yes",
        }
    }

    /// The queue's address with these filters but `state` and `overdue` as given.
    fn href(&self, state: Option<SubmissionState>, overdue: bool) -> String {
        let mut pairs = vec![];
        for (k, v) in
            [("collection", &self.collection), ("period", &self.period), ("organisation", &self.organisation)]
        {
            if !v.trim().is_empty() {
                pairs.push(format!("{k}={}", urlencoding(v.trim())));
            }
        }
        if let Some(state) = state {
            pairs.push(format!("state={}", state.as_str()));
        }
        if overdue {
            pairs.push("overdue=yes".to_owned());
        }
        if pairs.is_empty() { "/review".to_owned() } else { format!("/review?{}", pairs.join("&")) }
    }
}

/// Percent-encodes a query value.
fn urlencoding(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => (b as char).to_string(),
            b => format!("%{b:02X}"),
        })
        .collect()
}

/// A count by state, linking to the queue filtered on it.
pub(crate) struct Count {
    href: String,
    text: String,
    count: String,
    current: bool,
}

#[derive(Template)]
#[template(path = "review/queue.html")]
struct QueuePage {
    page: Page,
    queue: Queue,
    filters: Filters,
    collections: Vec<(String, String)>,
    organisations: Vec<(String, String)>,
}

impl QueuePage {
    fn counts(&self) -> Vec<Count> {
        let f = self.filters.filter();
        let shown = if f.overdue { None } else { Some(f.state.unwrap_or(SubmissionState::Submitted)) };
        let mut counts: Vec<Count> = SubmissionState::ALL
            .into_iter()
            .filter(|s| *s != SubmissionState::NotStarted)
            .map(|state| {
                let n = self.queue.counts.iter().find(|(s, _)| *s == state).map_or(0, |(_, n)| *n);
                Count {
                    href: self.filters.href(Some(state), false),
                    text: state.label().to_owned(),
                    count: n.to_string(),
                    current: shown == Some(state),
                }
            })
            .collect();
        counts.push(Count {
            href: self.filters.href(None, true),
            text: "Overdue".to_owned(),
            count: self.queue.overdue.to_string(),
            current: f.overdue,
        });
        counts
    }

    fn select(&self, name: &str, label: &str, options: &[(String, String)], value: &str) -> Select {
        let mut items = vec![SelectItem {
            value: Some(String::new()),
            text: Some("Any".to_owned()),
            ..SelectItem::default()
        }];
        items.extend(options.iter().map(|(v, t)| SelectItem {
            value: Some(v.clone()),
            text: Some(t.clone()),
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

    fn collection_select(&self) -> Select {
        self.select("collection", "Collection", &self.collections, &self.filters.collection)
    }

    fn organisation_select(&self) -> Select {
        self.select("organisation", "Organisation", &self.organisations, &self.filters.organisation)
    }

    fn state_select(&self) -> Select {
        let states: Vec<(String, String)> = SubmissionState::ALL
            .into_iter()
            .filter(|s| *s != SubmissionState::NotStarted)
            .map(|s| (s.as_str().to_owned(), s.label().to_owned()))
            .collect();
        // One state at a time, submitted unless another is chosen: no "Any".
        let shown = self.filters.filter().state.unwrap_or(SubmissionState::Submitted);
        let mut select = self.select("state", "Status", &states, shown.as_str());
        select.items.remove(0);
        select
    }

    fn period_input(&self) -> Input {
        Input {
            id: Some("period".to_owned()),
            name: Some("period".to_owned()),
            value: Some(self.filters.period.clone()),
            label: Label::text("Period starting").classes("govuk-label--s"),
            hint: Some(Hint::text("The period's first day, for example 2026-04-01")),
            classes: Some("govuk-input--width-10".to_owned()),
            ..Input::default()
        }
    }

    fn overdue_checkbox(&self) -> Checkboxes {
        Checkboxes {
            name: Some("overdue".to_owned()),
            id_prefix: Some("overdue".to_owned()),
            items: vec![Some(CheckboxItem {
                content: Content::text("Only overdue returns"),
                value: Some("yes".to_owned()),
                ..CheckboxItem::default()
            })],
            values: if self.filters.overdue == "yes" { vec!["yes".to_owned()] } else { Vec::new() },
            classes: Some("govuk-checkboxes--small".to_owned()),
            ..Checkboxes::default()
        }
    }

    fn table(&self) -> Table {
        let head =
            ["Organisation", "Return", "Status", "Submitted", "Reference"].map(TableCell::text).to_vec();
        let rows = self
            .queue
            .entries
            .iter()
            .map(|e| {
                let name = match &e.submission {
                    Some(s) => link(
                        &format!("/review/{}", s.id),
                        &format!("{} – {}", e.collection_title, e.period.label),
                    ),
                    None => escape(&format!("{} – {} (not started)", e.collection_title, e.period.label)),
                };
                let mut status = state_tag(e.state).to_html();
                if e.overdue {
                    status.push(' ');
                    status.push_str(&Tag::new("Overdue", Some("govuk-tag--red")).to_html());
                }
                let submitted = e.submission.as_ref().and_then(|s| s.submitted_at).map(when);
                let reference = e.submission.as_ref().and_then(|s| s.reference.clone());
                vec![
                    TableCell::text(&e.organisation.name),
                    TableCell::html(format!(
                        "{name}<br><span class=\"govuk-body-s\">Due {}</span>",
                        escape(&day(e.period.due))
                    )),
                    TableCell::html(status),
                    TableCell::text(submitted.unwrap_or_default()),
                    TableCell {
                        classes: Some("app-nowrap".to_owned()),
                        ..TableCell::text(reference.unwrap_or_default())
                    },
                ]
            })
            .collect();
        Table { rows, ..Table::with_hidden_caption("Returns", head) }
    }
}

/// `GET /review`: the review queue.
pub(crate) async fn queue(ctx: Ctx, Query(filters): Query<Filters>) -> Result<Response, AppError> {
    let queue = lifecycle::queue(&ctx.state, ctx.actor(), &filters.filter()).await?;
    let collections = collections::list(&ctx.state, ctx.actor())
        .await?
        .into_iter()
        .filter(|c| c.kind == "return")
        .map(|c| (c.slug, c.title))
        .collect();
    let organisations =
        organisations::list(&ctx.state, ctx.actor()).await?.into_iter().map(|o| (o.slug, o.name)).collect();
    let page = ctx.page("Review returns", "/review");
    Ok(render(&page, &QueuePage { page: page.clone(), queue, filters, collections, organisations }))
}
