//! Searching submissions and records, and reading them for export: one [`Selection`] of filters
//! for both, so that an export holds exactly what the search page showed.
//!
//! Pages go by key, never `OFFSET`: a page is an index range from the last row of the one before
//! ([`Cursor`]), so the thousandth page costs what the first does. Exports read the selection in
//! batches by id ([`batch`]), so no query holds a connection while a slow client reads.

use serde::{Deserialize, Serialize};
use serde_json::Value;
use sqlx::AnyConnection;
use sqlx::any::AnyRow;

use crate::{Result, get};

/// What is searched: returns' submissions or logs' records.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Subject {
    /// Submissions of returns.
    Submissions,
    /// Records of logs.
    Records,
}

impl Subject {
    fn table(self) -> &'static str {
        match self {
            Subject::Submissions => "submissions",
            Subject::Records => "records",
        }
    }

    /// The column people search and sort by as "reference": a return's reference, a record's key.
    fn reference(self) -> &'static str {
        match self {
            Subject::Submissions => "x.reference",
            Subject::Records => "x.record_key",
        }
    }
}

/// Which submissions or records: every filter is optional and they all apply together.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct Selection {
    /// Submissions or records.
    pub subject: Subject,
    /// Only these organisations (ids); `None` for every organisation. Empty selects nothing.
    pub organisations: Option<Vec<String>>,
    /// One collection (slug).
    pub collection: Option<String>,
    /// One definition version.
    pub version: Option<i64>,
    /// One period key.
    pub period: Option<String>,
    /// Any of these states; none: every state but a record's `deleted`.
    pub states: Vec<String>,
    /// Changed at or after this time (ms).
    pub updated_since: Option<i64>,
    /// Text found, ignoring case, in the organisation's name or the reference (a record's key).
    pub text: Option<String>,
}

impl Selection {
    /// Everything of `subject` (narrow it with the fields).
    pub fn all(subject: Subject) -> Selection {
        Selection {
            subject,
            organisations: None,
            collection: None,
            version: None,
            period: None,
            states: Vec::new(),
            updated_since: None,
            text: None,
        }
    }
}

/// How a page is ordered. Each order has an index behind it for a collection's rows.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Sort {
    /// Most recently changed first.
    #[default]
    Updated,
    /// Least recently changed first.
    Oldest,
    /// Latest period first.
    Period,
    /// By reference (a record's key), A to Z; those without one last.
    Reference,
}

impl Sort {
    /// Every order.
    pub const ALL: [Sort; 4] = [Sort::Updated, Sort::Oldest, Sort::Period, Sort::Reference];

    /// As sent in a query string.
    pub fn as_str(self) -> &'static str {
        match self {
            Sort::Updated => "updated",
            Sort::Oldest => "oldest",
            Sort::Period => "period",
            Sort::Reference => "reference",
        }
    }

    /// The order named `text`.
    pub fn parse(text: &str) -> Option<Sort> {
        Sort::ALL.into_iter().find(|s| s.as_str() == text)
    }

    /// The sort key's SQL and whether it descends.
    fn key(self, subject: Subject) -> (String, bool) {
        match self {
            Sort::Updated => ("x.updated_at".into(), true),
            Sort::Oldest => ("x.updated_at".into(), false),
            Sort::Period => ("x.period".into(), true),
            // Rows without a reference sort after every reference.
            Sort::Reference => (format!("COALESCE({}, '\u{10FFFF}')", subject.reference()), false),
        }
    }
}

/// Where a page starts: the sort key and id of the row it follows (or precedes, going back).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Cursor {
    /// The row's sort key: a time for [`Sort::Updated`] and [`Sort::Oldest`], else text.
    pub key: CursorKey,
    /// The row's id.
    pub id: String,
}

impl Cursor {
    /// The cursor as an opaque token for a link or a program: URL-safe base64 of its JSON, with
    /// the order it belongs to.
    pub fn token(&self, sort: Sort) -> String {
        use base64::Engine as _;
        let token = Token { sort, key: self.key.clone(), id: self.id.clone() };
        // Encoding a struct of strings and numbers cannot fail.
        let json = serde_json::to_vec(&token).unwrap_or_default();
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(json)
    }

    /// The cursor `token` holds, if it is a cursor of `sort` (a garbled token, or one made for
    /// another order, is `None`).
    pub fn from_token(token: &str, sort: Sort) -> Option<Cursor> {
        use base64::Engine as _;
        let json = base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(token.trim().trim_end_matches('='))
            .ok()?;
        let token: Token = serde_json::from_slice(&json).ok()?;
        let fits = match token.key {
            CursorKey::Time(_) => matches!(sort, Sort::Updated | Sort::Oldest),
            CursorKey::Text(_) => matches!(sort, Sort::Period | Sort::Reference),
        };
        (token.sort == sort && fits && !token.id.is_empty())
            .then_some(Cursor { key: token.key, id: token.id })
    }
}

/// What a cursor's token holds.
#[derive(Serialize, Deserialize)]
struct Token {
    sort: Sort,
    key: CursorKey,
    id: String,
}

/// A sort key held by a cursor.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum CursorKey {
    /// A time (ms).
    Time(i64),
    /// Text.
    Text(String),
}

/// Which page: an order, and the row before (or after) it.
#[derive(Clone, Debug, Default)]
pub struct Page {
    /// The order.
    pub sort: Sort,
    /// The page after this row.
    pub after: Option<Cursor>,
    /// The page before this row (when going back; `after` is then ignored).
    pub before: Option<Cursor>,
    /// Rows on the page.
    pub limit: i64,
}

/// One row of a search page.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Hit {
    /// The submission's or record's id.
    pub id: String,
    /// The collection's slug.
    pub collection: String,
    /// Its definition version.
    pub version: i64,
    /// The organisation's id.
    pub organisation_id: String,
    /// The organisation's slug.
    pub organisation_slug: String,
    /// The organisation's name.
    pub organisation_name: String,
    /// The period's key.
    pub period: String,
    /// Its state, as stored.
    pub state: String,
    /// A return's reference once submitted; a record's key once given.
    pub reference: Option<String>,
    /// When a return was last submitted.
    pub submitted_at: Option<i64>,
    /// When it last changed (ms).
    pub updated_at: i64,
}

/// A page of a search, and where the pages on either side of it start.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Found {
    /// The rows, in order.
    pub hits: Vec<Hit>,
    /// The next page starts after this row; `None` on the last page.
    pub next: Option<Cursor>,
    /// The page before ends before this row; `None` on the first page.
    pub previous: Option<Cursor>,
}

/// The `AND …` conditions of `selection` on its table as `x`, numbered from `$1`, and their
/// values; `None` when it selects nothing. With `states` false the state filter is left out (for
/// counts by state).
fn conditions(selection: &Selection, states: bool) -> Option<(String, Vec<Value>)> {
    conditions_on(selection, states, "x.")
}

/// [`conditions`] on columns named with `prefix` (`x.` for the table, nothing for `row_counts`).
fn conditions_on(selection: &Selection, states: bool, prefix: &str) -> Option<(String, Vec<Value>)> {
    let mut sql = String::new();
    let mut values: Vec<Value> = Vec::new();
    let mark = |values: &mut Vec<Value>, value: Value| {
        values.push(value);
        format!("${}", values.len())
    };
    if let Some(orgs) = &selection.organisations {
        if orgs.is_empty() {
            return None;
        }
        let marks: Vec<String> = orgs.iter().map(|o| mark(&mut values, o.as_str().into())).collect();
        sql.push_str(&format!(" AND {prefix}organisation_id IN ({})", marks.join(", ")));
    }
    if let Some(collection) = &selection.collection {
        sql.push_str(&format!(
            " AND {prefix}collection_slug = {}",
            mark(&mut values, collection.as_str().into())
        ));
    }
    if let Some(version) = selection.version {
        sql.push_str(&format!(" AND {prefix}version = {}", mark(&mut values, version.into())));
    }
    if let Some(period) = &selection.period {
        sql.push_str(&format!(" AND {prefix}period = {}", mark(&mut values, period.as_str().into())));
    }
    if let Some(since) = selection.updated_since {
        sql.push_str(&format!(" AND {prefix}updated_at >= {}", mark(&mut values, since.into())));
    }
    if let Some(text) = selection.text.as_deref().map(str::trim).filter(|t| !t.is_empty()) {
        let pattern = format!("%{}%", like_escaped(&text.to_lowercase()));
        let m = mark(&mut values, pattern.into());
        sql.push_str(&format!(
            " AND (x.organisation_id IN (SELECT o2.id FROM organisations o2 WHERE LOWER(o2.name) LIKE {m} ESCAPE '\\') \
             OR LOWER({}) LIKE {m} ESCAPE '\\')",
            selection.subject.reference()
        ));
    }
    if states {
        if selection.states.is_empty() {
            if selection.subject == Subject::Records {
                sql.push_str(&format!(" AND {prefix}state <> 'deleted'"));
            }
        } else {
            let marks: Vec<String> =
                selection.states.iter().map(|s| mark(&mut values, s.as_str().into())).collect();
            sql.push_str(&format!(" AND {prefix}state IN ({})", marks.join(", ")));
        }
    }
    Some((sql, values))
}

/// `text` with LIKE's wildcards and the escape character escaped by `\`.
fn like_escaped(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if matches!(c, '%' | '_' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

fn bind_all<'q>(
    mut query: sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments>,
    values: Vec<Value>,
) -> sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments> {
    for value in values {
        query = match value {
            Value::Number(n) => query.bind(n.as_i64().unwrap_or(0)),
            Value::String(s) => query.bind(s),
            other => query.bind(other.to_string()),
        };
    }
    query
}

fn hit(row: &AnyRow, subject: Subject) -> Result<Hit> {
    Ok(Hit {
        id: get(row, "id")?,
        collection: get(row, "collection_slug")?,
        version: get(row, "version")?,
        organisation_id: get(row, "organisation_id")?,
        organisation_slug: get(row, "organisation_slug")?,
        organisation_name: get(row, "organisation_name")?,
        period: get(row, "period")?,
        state: get(row, "state")?,
        reference: get(row, "reference")?,
        submitted_at: match subject {
            Subject::Submissions => get(row, "submitted_at")?,
            Subject::Records => None,
        },
        updated_at: get(row, "updated_at")?,
    })
}

fn cursor_of(hit: &Hit, sort: Sort) -> Cursor {
    let key = match sort {
        Sort::Updated | Sort::Oldest => CursorKey::Time(hit.updated_at),
        Sort::Period => CursorKey::Text(hit.period.clone()),
        Sort::Reference => CursorKey::Text(hit.reference.clone().unwrap_or_else(|| "\u{10FFFF}".into())),
    };
    Cursor { key, id: hit.id.clone() }
}

/// One page of what `selection` selects, in `page.sort` order, starting after (or ending before)
/// the page's cursor.
pub async fn search(c: &mut AnyConnection, selection: &Selection, page: &Page) -> Result<Found> {
    let none = Found { hits: Vec::new(), next: None, previous: None };
    let Some((conditions, mut values)) = conditions(selection, true) else { return Ok(none) };
    let subject = selection.subject;
    let (key, descending) = page.sort.key(subject);
    let backwards = page.before.is_some();
    let cursor = if backwards { page.before.as_ref() } else { page.after.as_ref() };
    // Rows come in the page's order, or in reverse when going back (then turned round).
    let forwards_desc = descending != backwards;
    let mut sql = format!(
        "SELECT x.id, x.collection_slug, x.version, x.organisation_id, x.period, x.state, {reference} AS reference, {submitted} \
         x.updated_at, o.slug AS organisation_slug, o.name AS organisation_name \
         FROM {table} x JOIN organisations o ON o.id = x.organisation_id WHERE 1 = 1{conditions}",
        reference = subject.reference(),
        submitted = if subject == Subject::Submissions { "x.submitted_at," } else { "" },
        table = subject.table(),
    );
    if let Some(cursor) = cursor {
        values.push(match &cursor.key {
            CursorKey::Time(t) => (*t).into(),
            CursorKey::Text(t) => t.as_str().into(),
        });
        let a = values.len();
        values.push(cursor.id.as_str().into());
        let b = values.len();
        let op = if forwards_desc { "<" } else { ">" };
        // A row value, not `key < a OR (key = a AND id < b)`: both databases then start the index
        // range at the cursor instead of reading (and skipping) every row of the pages before.
        sql.push_str(&format!(" AND ({key}, x.id) {op} (${a}, ${b})"));
    }
    let direction = if forwards_desc { "DESC" } else { "ASC" };
    let limit = page.limit.max(1);
    values.push((limit + 1).into());
    sql.push_str(&format!(" ORDER BY {key} {direction}, x.id {direction} LIMIT ${}", values.len()));
    // Only numbered placeholders and fixed column names are added to the text; every value is bound.
    let rows = bind_all(sqlx::query(sqlx::AssertSqlSafe(sql)), values).fetch_all(&mut *c).await?;
    let mut hits = rows.iter().map(|r| hit(r, subject)).collect::<Result<Vec<Hit>>>()?;
    let more = hits.len() as i64 > limit;
    hits.truncate(usize::try_from(limit).unwrap_or(usize::MAX));
    if backwards {
        hits.reverse();
    }
    let (first, last) =
        (hits.first().map(|h| cursor_of(h, page.sort)), hits.last().map(|h| cursor_of(h, page.sort)));
    let (next, previous) = if backwards {
        (last, if more { first } else { None })
    } else {
        (if more { last } else { None }, if cursor.is_some() { first } else { None })
    };
    Ok(Found { hits, next, previous })
}

/// How many rows `selection` selects in each state, its state filter aside.
pub async fn count_by_state(c: &mut AnyConnection, selection: &Selection) -> Result<Vec<(String, i64)>> {
    if let Some((conditions, values)) = counted(selection, false) {
        let sql = format!(
            "SELECT state, CAST(SUM(n) AS BIGINT) AS n FROM row_counts WHERE 1 = 1{conditions} \
             GROUP BY state HAVING SUM(n) > 0"
        );
        let rows = bind_all(sqlx::query(sqlx::AssertSqlSafe(sql)), values).fetch_all(&mut *c).await?;
        return rows.iter().map(|row| Ok((get(row, "state")?, get(row, "n")?))).collect();
    }
    let Some((conditions, values)) = conditions(selection, false) else { return Ok(Vec::new()) };
    let sql = format!(
        "SELECT x.state AS state, COUNT(*) AS n FROM {} x WHERE 1 = 1{conditions} GROUP BY x.state",
        selection.subject.table()
    );
    let rows = bind_all(sqlx::query(sqlx::AssertSqlSafe(sql)), values).fetch_all(&mut *c).await?;
    rows.iter().map(|row| Ok((get(row, "state")?, get(row, "n")?))).collect()
}

/// How many rows `selection` selects.
pub async fn count(c: &mut AnyConnection, selection: &Selection) -> Result<i64> {
    if let Some((conditions, values)) = counted(selection, true) {
        let sql = format!(
            "SELECT CAST(COALESCE(SUM(n), 0) AS BIGINT) AS n FROM row_counts WHERE 1 = 1{conditions}"
        );
        let row = bind_all(sqlx::query(sqlx::AssertSqlSafe(sql)), values).fetch_one(&mut *c).await?;
        return get(&row, "n");
    }
    let Some((conditions, values)) = conditions(selection, true) else { return Ok(0) };
    let sql = format!("SELECT COUNT(*) AS n FROM {} x WHERE 1 = 1{conditions}", selection.subject.table());
    let row = bind_all(sqlx::query(sqlx::AssertSqlSafe(sql)), values).fetch_one(&mut *c).await?;
    get(&row, "n")
}

/// The conditions of `selection` on the counts kept by group (`row_counts`, migration 12), when it
/// filters only on what they are grouped by; `None` when it filters on more (free text, changed
/// since), and then its rows are counted (and when it selects nothing).
fn counted(selection: &Selection, states: bool) -> Option<(String, Vec<Value>)> {
    if selection.updated_since.is_some() || selection.text.as_deref().is_some_and(|t| !t.trim().is_empty()) {
        return None;
    }
    let (mut sql, mut values) = conditions_on(selection, states, "")?;
    values.push(selection.subject.table().into());
    sql.push_str(&format!(" AND subject = ${}", values.len()));
    Some((sql, values))
}

/// One submission or record as an export reads it: what describes it, and its answers as stored.
#[derive(Clone, Debug, PartialEq)]
pub struct Row {
    /// Its id.
    pub id: String,
    /// Its definition version.
    pub version: i64,
    /// The organisation's id.
    pub organisation_id: String,
    /// The organisation's slug.
    pub organisation_slug: String,
    /// The organisation's name.
    pub organisation_name: String,
    /// The period's key.
    pub period: String,
    /// Its state.
    pub state: String,
    /// A return's reference.
    pub reference: Option<String>,
    /// The upload a record came from.
    pub upload_id: Option<String>,
    /// When a return was last submitted.
    pub submitted_at: Option<i64>,
    /// When it last changed.
    pub updated_at: i64,
    /// The answers, as the JSON text stored.
    pub answers: String,
}

/// Up to `limit` rows of `selection` with ids after `after`, in id order: an export reads them
/// batch by batch, each batch one indexed range, holding no connection in between.
pub async fn batch(
    c: &mut AnyConnection,
    selection: &Selection,
    after: Option<&str>,
    limit: i64,
) -> Result<Vec<Row>> {
    let Some((sql, mut values)) = batch_sql(selection, after.is_some(), true) else { return Ok(Vec::new()) };
    if let Some(after) = after {
        values.push(after.into());
    }
    values.push(limit.max(1).into());
    let rows = bind_all(sqlx::query(sqlx::AssertSqlSafe(sql)), values).fetch_all(&mut *c).await?;
    rows.iter()
        .map(|row| {
            Ok(Row {
                id: get(row, "id")?,
                version: get(row, "version")?,
                organisation_id: get(row, "organisation_id")?,
                organisation_slug: get(row, "organisation_slug")?,
                organisation_name: get(row, "organisation_name")?,
                period: get(row, "period")?,
                state: get(row, "state")?,
                reference: get(row, "reference")?,
                upload_id: get(row, "upload_id")?,
                submitted_at: get(row, "submitted_at")?,
                updated_at: get(row, "updated_at")?,
                answers: get(row, "answers")?,
            })
        })
        .collect()
}

/// The query of a batch of `selection`'s rows by id and the values of its filters: after them
/// come, as the last parameters, the id to start after (when `after`) and the limit. Its columns
/// are those of [`Row`]: with the organisation's slug and name joined when `joined`, and
/// otherwise only its id (an export looks organisations up once each, not on every row). `None`
/// when the selection selects nothing.
pub(crate) fn batch_sql(selection: &Selection, after: bool, joined: bool) -> Option<(String, Vec<Value>)> {
    let (conditions, values) = conditions(selection, true)?;
    let subject = selection.subject;
    let (organisation, join) = if joined {
        (
            "o.slug AS organisation_slug, o.name AS organisation_name, ",
            " JOIN organisations o ON o.id = x.organisation_id",
        )
    } else {
        ("", "")
    };
    let mut sql = format!(
        "SELECT x.id, x.version, {organisation}x.organisation_id, x.period, x.state, {extra}, x.updated_at, \
         x.answers FROM {table} x{join} WHERE 1 = 1{conditions}",
        extra = match subject {
            Subject::Submissions => "x.reference, CAST(NULL AS TEXT) AS upload_id, x.submitted_at",
            Subject::Records =>
                "CAST(NULL AS TEXT) AS reference, x.upload_id, CAST(NULL AS BIGINT) AS submitted_at",
        },
        table = subject.table(),
    );
    let mut next = values.len() + 1;
    if after {
        sql.push_str(&format!(" AND x.id > ${next}"));
        next += 1;
    }
    sql.push_str(&format!(" ORDER BY x.id LIMIT ${next}"));
    Some((sql, values))
}
