//! Searching returns and records: the staff search every organisation's, members their own
//! organisations' (decided by [`policy::visible_organisations`]). A [`SearchQuery`] holds what a
//! query string says, as typed; [`selection_of`] checks it and turns it into the store's
//! [`Selection`] with the person's visibility applied, so that the search pages, the API and the
//! exports select exactly the same rows from the same query string; [`search`] reads one page
//! of it by key, with the counts per state.
//!
//! Pages go by key, never by offset: `next` and `previous` are opaque tokens of the row a page
//! starts after (or ends before), so the thousandth page costs what the first does.

use std::collections::HashMap;
use std::sync::Arc;

use chrono::NaiveDate;
use formwork_definition::{Definition, Kind};
use formwork_store::organisations as orgs;
use formwork_store::search::{self as store, Cursor, Hit, Page};
pub use formwork_store::search::{Selection, Sort, Subject};
use formwork_store::{records::RecordState, submissions::SubmissionState};

use crate::collections::{definition, latest_definition};
use crate::policy::visible_organisations;
use crate::{Actor, App, Problem, Result, ServiceError};

/// Rows on a page unless asked for another number.
pub const PAGE: i64 = 50;
/// The most rows a page may hold.
pub const MOST_PER_PAGE: i64 = 500;
/// The longest search text.
pub const MOST_TEXT: usize = 100;

/// What a search asks for, as a query string holds it: each filter as typed (empty: any), checked
/// by [`selection_of`]. The same query string drives the search page, the API and the exports.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SearchQuery {
    /// Returns' submissions or logs' records (from the path, not the query string).
    pub subject: Subject,
    /// A collection's slug.
    pub collection: Option<String>,
    /// A version of its definition (a whole number).
    pub version: Option<String>,
    /// A period's key: the day it starts, `YYYY-MM-DD`.
    pub period: Option<String>,
    /// An organisation's slug.
    pub organisation: Option<String>,
    /// Any of these states (none: every state but a record's `deleted`).
    pub states: Vec<String>,
    /// Changed on or after this day (`YYYY-MM-DD`) or time (RFC 3339).
    pub updated_since: Option<String>,
    /// Text in the organisation's name or the reference (a record's key), ignoring case.
    pub q: Option<String>,
    /// The order: `updated` (the default), `oldest`, `period` or `reference`.
    pub sort: Option<String>,
    /// The `next` token of the page before.
    pub after: Option<String>,
    /// The `previous` token of the page after (going back).
    pub before: Option<String>,
    /// Rows on a page ([`PAGE`] unless given; at most [`MOST_PER_PAGE`]).
    pub limit: Option<String>,
}

impl SearchQuery {
    /// A query for everything of `subject`.
    pub fn new(subject: Subject) -> SearchQuery {
        SearchQuery {
            subject,
            collection: None,
            version: None,
            period: None,
            organisation: None,
            states: Vec::new(),
            updated_since: None,
            q: None,
            sort: None,
            after: None,
            before: None,
            limit: None,
        }
    }

    /// The query that a query string's `pairs` (decoded) make. `state` may repeat (checkboxes),
    /// `states` holds several separated by commas; the changed-since day may come as a date input's
    /// `updated_since-day`, `-month` and `-year`. Other names are left for the caller (an export's
    /// `headers`, a page's `notice`).
    pub fn from_pairs<K, V>(subject: Subject, pairs: impl IntoIterator<Item = (K, V)>) -> SearchQuery
    where
        K: AsRef<str>,
        V: AsRef<str>,
    {
        let mut query = SearchQuery::new(subject);
        let (mut day, mut month, mut year) = (String::new(), String::new(), String::new());
        for (name, value) in pairs {
            let value = value.as_ref().trim();
            let given = (!value.is_empty()).then(|| value.to_string());
            match name.as_ref() {
                "collection" => query.collection = given,
                "version" => query.version = given,
                "period" => query.period = given,
                "organisation" => query.organisation = given,
                "state" => query.states.extend(given),
                "states" => query
                    .states
                    .extend(value.split(',').map(str::trim).filter(|s| !s.is_empty()).map(str::to_string)),
                "updated_since" => query.updated_since = given,
                "updated_since-day" => day = value.to_string(),
                "updated_since-month" => month = value.to_string(),
                "updated_since-year" => year = value.to_string(),
                "q" => query.q = given,
                "sort" => query.sort = given,
                "after" => query.after = given,
                "before" => query.before = given,
                "limit" => query.limit = given,
                _ => {}
            }
        }
        if query.updated_since.is_none() && !(day.is_empty() && month.is_empty() && year.is_empty()) {
            query.updated_since = Some(format!("{year}-{month:0>2}-{day:0>2}"));
        }
        let mut seen = std::collections::HashSet::new();
        query.states.retain(|s| seen.insert(s.clone()));
        query
    }

    /// The filters as a query string's pairs, in a fixed order: what selects the rows, without
    /// the order or the page (an export link carries these).
    pub fn filter_pairs(&self) -> Vec<(&'static str, String)> {
        let mut pairs = Vec::new();
        for (name, value) in [
            ("collection", &self.collection),
            ("version", &self.version),
            ("period", &self.period),
            ("organisation", &self.organisation),
        ] {
            pairs.extend(value.clone().map(|v| (name, v)));
        }
        pairs.extend(self.states.iter().map(|s| ("state", s.clone())));
        pairs.extend(self.updated_since.clone().map(|v| ("updated_since", v)));
        pairs.extend(self.q.clone().map(|v| ("q", v)));
        pairs
    }
}

/// The states a subject's rows can be in, as stored and as pages show them, in lifecycle order.
/// A return not started has no row, so it is not among them.
pub fn states_of(subject: Subject) -> Vec<(&'static str, &'static str)> {
    match subject {
        Subject::Submissions => SubmissionState::ALL
            .into_iter()
            .filter(|s| *s != SubmissionState::NotStarted)
            .map(|s| (s.as_str(), s.label()))
            .collect(),
        Subject::Records => RecordState::ALL.into_iter().map(|s| (s.as_str(), s.label())).collect(),
    }
}

/// What people call a subject's rows: "return" or "record".
fn noun(subject: Subject) -> &'static str {
    match subject {
        Subject::Submissions => "return",
        Subject::Records => "record",
    }
}

/// A query checked: the selection with the person's visibility applied, the order and the page.
struct Checked {
    selection: Selection,
    sort: Sort,
    page: Page,
}

/// The start of `day` (ms), or of the time given in RFC 3339.
fn since(text: &str) -> Option<i64> {
    if let Ok(day) = NaiveDate::parse_from_str(text, "%Y-%m-%d") {
        return day.and_hms_opt(0, 0, 0).map(|t| t.and_utc().timestamp_millis());
    }
    chrono::DateTime::parse_from_rfc3339(text).ok().map(|t| t.timestamp_millis())
}

/// Check `query` for `actor`: every problem at once, each worded for the person.
async fn check_query(app: &App, actor: &Actor, query: &SearchQuery) -> Result<Checked> {
    // Signed out: sign in first, before any problem with the query is told.
    let visible_to = |one: Option<&str>| visible_organisations(actor, one);
    visible_to(None)?;
    let subject = query.subject;
    let mut problems = Vec::new();
    let mut selection = Selection::all(subject);

    if let Some(slug) = &query.collection {
        match latest_definition(app, actor, slug).await {
            Ok(def) => {
                let kind_fits = matches!(
                    (def.kind, subject),
                    (Kind::Return, Subject::Submissions) | (Kind::Log, Subject::Records)
                );
                if kind_fits {
                    selection.collection = Some(slug.clone());
                } else {
                    let (is, search) = match def.kind {
                        Kind::Return => ("a return", "returns"),
                        Kind::Log => ("a log of records", "records"),
                    };
                    problems.push(Problem::new(
                        "collection",
                        "kind",
                        format!("{} is {is}: search {search} for it", def.title),
                    ));
                }
            }
            Err(ServiceError::NotFound(_)) => problems.push(Problem::new(
                "collection",
                "not_found",
                format!("There is no collection “{slug}”"),
            )),
            Err(e) => return Err(e),
        }
    }
    if let Some(text) = &query.version {
        match text.parse::<i64>() {
            Ok(version) if version > 0 => match &query.collection {
                Some(slug) if selection.collection.is_some() => match definition(app, slug, version).await {
                    Ok(_) => selection.version = Some(version),
                    Err(ServiceError::NotFound(_)) => problems.push(Problem::new(
                        "version",
                        "choice",
                        format!("There is no version {version} of this collection"),
                    )),
                    Err(e) => return Err(e),
                },
                Some(_) => {}
                None => problems.push(Problem::new(
                    "version",
                    "required",
                    "Choose a collection to search one version of its form",
                )),
            },
            _ => problems.push(Problem::new("version", "type", "Version must be a whole number, like 2")),
        }
    }
    if let Some(period) = &query.period {
        if NaiveDate::parse_from_str(period, "%Y-%m-%d").is_ok() {
            selection.period = Some(period.clone());
        } else {
            problems.push(Problem::new(
                "period",
                "type",
                "Period must be the day it starts, like 2026-04-01",
            ));
        }
    }
    let states = states_of(subject);
    for state in &query.states {
        if states.iter().any(|(s, _)| s == state) {
            selection.states.push(state.clone());
        } else {
            let names: Vec<&str> = states.iter().map(|(s, _)| *s).collect();
            problems.push(Problem::new(
                "state",
                "choice",
                format!("“{state}” is not a status of a {}: use {}", noun(subject), names.join(", ")),
            ));
        }
    }
    if let Some(text) = &query.updated_since {
        match since(text) {
            Some(at) => selection.updated_since = Some(at),
            None => problems.push(Problem::new("updated_since", "type", "Changed since must be a real date")),
        }
    }
    if let Some(text) = &query.q {
        if text.chars().count() > MOST_TEXT {
            problems.push(Problem::new(
                "q",
                "length",
                format!("Search text must be {MOST_TEXT} characters or fewer"),
            ));
        } else {
            selection.text = Some(text.clone());
        }
    }
    let sort = match query.sort.as_deref() {
        None => Sort::default(),
        Some(text) => Sort::parse(text).unwrap_or_else(|| {
            problems.push(Problem::new(
                "sort",
                "choice",
                "Sort must be updated, oldest, period or reference",
            ));
            Sort::default()
        }),
    };
    let limit = match query.limit.as_deref() {
        None => PAGE,
        Some(text) => match text.parse::<i64>() {
            Ok(n) if (1..=MOST_PER_PAGE).contains(&n) => n,
            _ => {
                problems.push(Problem::new(
                    "limit",
                    "type",
                    format!("Limit must be a whole number from 1 to {MOST_PER_PAGE}"),
                ));
                PAGE
            }
        },
    };
    let mut cursor = |field: &str, token: &Option<String>| -> Option<Cursor> {
        let token = token.as_deref()?;
        let cursor = Cursor::from_token(token, sort);
        if cursor.is_none() {
            problems.push(Problem::new(
                field,
                "type",
                "The link to this page of results is out of date or incomplete: go back to the first page",
            ));
        }
        cursor
    };
    let before = cursor("before", &query.before);
    let after = if before.is_some() { None } else { cursor("after", &query.after) };
    if !problems.is_empty() {
        return Err(ServiceError::Invalid(problems));
    }
    let one = match &query.organisation {
        Some(slug) => {
            let mut conn = app.store.conn().await?;
            // An organisation that does not exist has nothing to find: an id none has.
            Some(orgs::by_slug(&mut conn, slug).await?.map_or_else(String::new, |o| o.id))
        }
        None => None,
    };
    selection.organisations = visible_to(one.as_deref())?;
    Ok(Checked { selection, sort, page: Page { sort, after, before, limit } })
}

/// The store's selection for `query` as `actor` may see it: checked filters (an unknown
/// collection, a bad version, date or state is [`ServiceError::Invalid`], with every problem),
/// narrowed to the person's organisations. The exports select with this, so that an export holds
/// exactly what the same query string shows on the search page.
pub async fn selection_of(app: &App, actor: &Actor, query: &SearchQuery) -> Result<Selection> {
    Ok(check_query(app, actor, query).await?.selection)
}

/// One row found, with what pages show of it.
#[derive(Clone, Debug, PartialEq)]
pub struct SearchHit {
    /// The submission's or record's id.
    pub id: String,
    /// The collection's slug.
    pub collection: String,
    /// The collection's title (of the row's version).
    pub collection_title: String,
    /// Its definition version.
    pub version: i64,
    /// The organisation's slug.
    pub organisation_slug: String,
    /// The organisation's name.
    pub organisation_name: String,
    /// The period's key.
    pub period: String,
    /// The period for people, e.g. "April to June 2026".
    pub period_label: String,
    /// Its state, as stored.
    pub state: String,
    /// Its state for people.
    pub state_label: &'static str,
    /// A return's reference once submitted; a record's key answers (as stored: trimmed, in
    /// lower case), separated by commas, once all given.
    pub reference: Option<String>,
    /// When a return was last submitted (ms).
    pub submitted_at: Option<i64>,
    /// When it last changed (ms).
    pub updated_at: i64,
}

/// How many rows of the selection are in one state (its state filter aside).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StateCount {
    /// The state, as stored.
    pub state: &'static str,
    /// The state for people.
    pub label: &'static str,
    /// How many.
    pub count: i64,
}

/// A page of a search.
#[derive(Clone, Debug)]
pub struct SearchResults {
    /// What was searched, as checked and narrowed to what the person may see.
    pub selection: Selection,
    /// The order.
    pub sort: Sort,
    /// Rows on a page.
    pub limit: i64,
    /// The rows of this page, in order.
    pub hits: Vec<SearchHit>,
    /// Every state of the subject, in lifecycle order, with how many rows the filters select in
    /// it (the state filter aside).
    pub counts: Vec<StateCount>,
    /// How many rows the filters select, the state filter included: every page together.
    pub total: i64,
    /// Send as `after` for the next page; `None` on the last page.
    pub next: Option<String>,
    /// Send as `before` for the page before; `None` on the first page.
    pub previous: Option<String>,
}

/// A search's counts per state by its selection (the state filter aside), and when they were
/// counted. The first page of a search always counts afresh (one index scan of every row the
/// filters select: about 130 ms over a million records); its later pages reuse the counts for
/// [`COUNTS_KEPT`], so that paging through a large search costs only the page's own index range.
#[derive(Debug, Default)]
pub(crate) struct CountsCache {
    counted: HashMap<String, (std::time::Instant, Vec<(String, i64)>)>,
}

/// How long a search's counts are reused by its later pages.
const COUNTS_KEPT: std::time::Duration = std::time::Duration::from_secs(60);
/// The most searches whose counts are kept (then all are forgotten).
const COUNTS_HELD: usize = 1_000;

/// What identifies a selection's counts: everything but its state filter.
fn counts_key(selection: &Selection) -> String {
    let mut key = selection.clone();
    key.states.clear();
    serde_json::to_string(&key).unwrap_or_default()
}

fn cached_counts(app: &App, selection: &Selection) -> Option<Vec<(String, i64)>> {
    let cache = app.counts.lock().ok()?;
    let (at, counts) = cache.counted.get(&counts_key(selection))?;
    (at.elapsed() < COUNTS_KEPT).then(|| counts.clone())
}

fn keep_counts(app: &App, selection: &Selection, counts: &[(String, i64)]) {
    if let Ok(mut cache) = app.counts.lock() {
        if cache.counted.len() >= COUNTS_HELD {
            cache.counted.clear();
        }
        cache.counted.insert(counts_key(selection), (std::time::Instant::now(), counts.to_vec()));
    }
}

/// One page of what `query` selects among what `actor` may see, with counts per state: the
/// staff search every organisation (or the one asked for), members their own organisations
/// (another organisation's finds nothing), nobody signed out.
pub async fn search(app: &App, actor: &Actor, query: &SearchQuery) -> Result<SearchResults> {
    let Checked { selection, sort, page } = check_query(app, actor, query).await?;
    let mut conn = app.store.conn().await?;
    let found = store::search(&mut conn, &selection, &page).await?;
    let later_page = page.after.is_some() || page.before.is_some();
    let by_state = match later_page.then(|| cached_counts(app, &selection)).flatten() {
        Some(counts) => counts,
        None => {
            let counts = store::count_by_state(&mut conn, &selection).await?;
            keep_counts(app, &selection, &counts);
            counts
        }
    };
    drop(conn);
    let subject = selection.subject;
    let counts: Vec<StateCount> = states_of(subject)
        .into_iter()
        .map(|(state, label)| StateCount {
            state,
            label,
            count: by_state.iter().find(|(s, _)| s == state).map_or(0, |(_, n)| *n),
        })
        .collect();
    let total = counts
        .iter()
        .filter(|c| {
            if selection.states.is_empty() {
                c.state != RecordState::Deleted.as_str()
            } else {
                selection.states.iter().any(|s| s == c.state)
            }
        })
        .map(|c| c.count)
        .sum();
    let mut definitions: HashMap<(String, i64), Arc<Definition>> = HashMap::new();
    let mut hits = Vec::with_capacity(found.hits.len());
    for hit in found.hits {
        let key = (hit.collection.clone(), hit.version);
        let def = match definitions.get(&key) {
            Some(def) => Arc::clone(def),
            None => {
                let def = definition(app, &hit.collection, hit.version).await?;
                definitions.insert(key, Arc::clone(&def));
                def
            }
        };
        hits.push(hit_of(hit, &def, subject));
    }
    Ok(SearchResults {
        hits,
        counts,
        total,
        next: found.next.map(|c| c.token(sort)),
        previous: found.previous.map(|c| c.token(sort)),
        selection,
        sort,
        limit: page.limit,
    })
}

fn hit_of(hit: Hit, def: &Definition, subject: Subject) -> SearchHit {
    let state_label =
        states_of(subject).into_iter().find(|(s, _)| *s == hit.state).map_or("Unknown", |(_, l)| l);
    let period_label =
        def.schedule.period_by_key(&hit.period).map_or_else(|| hit.period.clone(), |p| p.label);
    let reference = match subject {
        Subject::Submissions => hit.reference,
        Subject::Records => hit.reference.map(|key| key.split('\u{1f}').collect::<Vec<_>>().join(", ")),
    };
    SearchHit {
        id: hit.id,
        collection: hit.collection,
        collection_title: def.title.clone(),
        version: hit.version,
        organisation_slug: hit.organisation_slug,
        organisation_name: hit.organisation_name,
        period: hit.period,
        period_label,
        state: hit.state,
        state_label,
        reference,
        submitted_at: hit.submitted_at,
        updated_at: hit.updated_at,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_query_string_gives_its_filters_and_leaves_the_rest() {
        let pairs = [
            ("collection", "lettings-log"),
            ("state", "completed"),
            ("state", "in_progress"),
            ("states", "deleted, completed"),
            ("updated_since-day", "3"),
            ("updated_since-month", "4"),
            ("updated_since-year", "2026"),
            ("q", "  "),
            ("headers", "labels"),
            ("sort", "oldest"),
        ];
        let query = SearchQuery::from_pairs(Subject::Records, pairs);
        assert_eq!(query.collection.as_deref(), Some("lettings-log"));
        assert_eq!(query.states, ["completed", "in_progress", "deleted"]);
        assert_eq!(query.updated_since.as_deref(), Some("2026-04-03"));
        assert_eq!((query.q.as_deref(), query.sort.as_deref()), (None, Some("oldest")));
        let again = SearchQuery::from_pairs(Subject::Records, query.filter_pairs());
        assert_eq!(again.filter_pairs(), query.filter_pairs(), "the filters go round a query string");
        assert_eq!(again.sort, None, "the order is not a filter");
    }

    #[test]
    fn a_changed_since_day_or_time_is_read_and_nothing_else() {
        assert_eq!(since("2026-11-22"), Some(1_795_305_600_000));
        assert_eq!(since("2026-11-22T10:00:00Z"), Some(1_795_341_600_000));
        for bad in ["2026-02-30", "22/11/2026", "2026--22", "yesterday"] {
            assert_eq!(since(bad), None, "{bad}");
        }
    }
}
