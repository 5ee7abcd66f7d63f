//! Many rows at once, for exports and uploads: a query's rows read as a stream (never the whole
//! result in memory), and many rows inserted in few statements.
//!
//! Inserts are multi-row `INSERT … VALUES (…), (…)` statements, as many rows to a statement as the
//! database's limit on bind parameters allows: 100,000 rows in 0.4 s on SQLite and 1.0 s on
//! PostgreSQL, against 1.7 s and 13.5 s a row at a time (docs/benchmarks.md). PostgreSQL's
//! `COPY … FROM STDIN` took 0.5 s, but it needs a `PgConnection`, which sqlx's `Any` connection does
//! not give: a `COPY` could not join the caller's transaction, so an upload's records could not be
//! committed with its other changes.

use std::sync::Arc;

use futures_util::{Stream, StreamExt as _};
use sqlx::any::{AnyArguments, AnyRow};
use sqlx::query::Query;
use sqlx::{Any, AnyConnection, Arguments as _, AssertSqlSafe, Encode, Type};

use crate::Result;

/// The most bind parameters one SQLite statement may have (`SQLITE_MAX_VARIABLE_NUMBER`).
const SQLITE_PARAMETERS: usize = 32_766;
/// The most bind parameters one PostgreSQL statement may have (the protocol counts them in 16 bits).
const POSTGRES_PARAMETERS: usize = 65_535;

/// The rows of `query`, each turned into a `T` by `row`, as the database sends them. The stream
/// holds the connection until it is dropped; dropping it early is fine.
///
/// For repositories' exports: `bulk::stream(c, sqlx::query("SELECT …").bind(id), |r| Ok(…))`.
pub fn stream<'c, T, F>(
    c: &'c mut AnyConnection,
    query: Query<'c, Any, AnyArguments>,
    mut row: F,
) -> impl Stream<Item = Result<T>> + Send + 'c
where
    F: FnMut(&AnyRow) -> Result<T> + Send + 'c,
    T: Send + 'c,
{
    query.fetch(c).map(move |r| row(&r?))
}

/// One row's values for [`insert`], in the order of its columns.
#[derive(Default)]
pub struct Values {
    arguments: AnyArguments,
    count: usize,
    error: Option<sqlx::error::BoxDynError>,
}

impl Values {
    /// Add the next column's value (`Option::None` for NULL).
    pub fn push<'t, T>(&mut self, value: T) -> &mut Values
    where
        T: Encode<'t, Any> + Type<Any>,
    {
        if let Err(e) = self.arguments.add(value) {
            self.error.get_or_insert(e);
        }
        self.count += 1;
        self
    }
}

/// Insert `rows` into `table`: `bind` pushes each row's values in the order of `columns`. Returns
/// how many rows were inserted. All or none are: the rows go in within a savepoint of the caller's
/// transaction (or a transaction of their own on a bare connection).
///
/// `table` and `columns` are written into the SQL as they are, so they are names from the code,
/// never from a person; anything but letters, digits and `_` is refused.
pub async fn insert<R>(
    c: &mut AnyConnection,
    table: &'static str,
    columns: &[&'static str],
    rows: impl IntoIterator<Item = R>,
    mut bind: impl FnMut(R, &mut Values),
) -> Result<u64> {
    for name in std::iter::once(&table).chain(columns) {
        if name.is_empty() || !name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_') {
            return Err(sqlx::Error::Configuration(format!("“{name}” is not a plain SQL name").into()).into());
        }
    }
    if columns.is_empty() {
        return Err(sqlx::Error::Configuration(format!("no columns to insert into {table}").into()).into());
    }
    let postgres = c.backend_name() == "PostgreSQL";
    let limit = if postgres { POSTGRES_PARAMETERS } else { SQLITE_PARAMETERS };
    let per_statement = (limit / columns.len()).max(1);

    let mut tx = sqlx::Connection::begin(&mut *c).await?;
    let mut full: Option<Arc<str>> = None;
    let mut inserted = 0;
    let mut batch = Values::default();
    let mut in_batch = 0;
    let mut rows = rows.into_iter().peekable();
    while let Some(r) = rows.next() {
        let before = batch.count;
        bind(r, &mut batch);
        if batch.count - before != columns.len() {
            let message = format!(
                "a row for {table} has {} values for {} columns",
                batch.count - before,
                columns.len()
            );
            return Err(sqlx::Error::Encode(message.into()).into());
        }
        in_batch += 1;
        if in_batch == per_statement || rows.peek().is_none() {
            let values = std::mem::take(&mut batch);
            if let Some(e) = values.error {
                return Err(sqlx::Error::Encode(e).into());
            }
            // Every full statement has the same text, so the database prepares it once.
            let sql = if in_batch == per_statement {
                full.get_or_insert_with(|| statement(table, columns, per_statement, postgres).into()).clone()
            } else {
                statement(table, columns, in_batch, postgres).into()
            };
            inserted += sqlx::query_with(AssertSqlSafe(sql), values.arguments)
                .execute(&mut *tx)
                .await?
                .rows_affected();
            in_batch = 0;
        }
    }
    tx.commit().await?;
    Ok(inserted)
}

/// `INSERT INTO table (a, b) VALUES ($1, $2), ($3, $4), …` for `rows` rows on PostgreSQL, with `?`
/// for each value on SQLite: SQLite looks a `$n` up among the names before it, which made a
/// statement of 32,766 of them take seconds to prepare.
fn statement(table: &str, columns: &[&str], rows: usize, postgres: bool) -> String {
    use std::fmt::Write as _;
    let mut sql = format!("INSERT INTO {table} ({}) VALUES ", columns.join(", "));
    let mut n = 0;
    for row in 0..rows {
        sql.push_str(if row == 0 { "(" } else { ", (" });
        for column in 0..columns.len() {
            n += 1;
            sql.push_str(if column == 0 { "" } else { ", " });
            if postgres {
                let _ = write!(sql, "${n}");
            } else {
                sql.push('?');
            }
        }
        sql.push(')');
    }
    sql
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statements_number_every_value() {
        assert_eq!(
            statement("audit_events", &["id", "at"], 3, true),
            "INSERT INTO audit_events (id, at) VALUES ($1, $2), ($3, $4), ($5, $6)"
        );
        assert_eq!(
            statement("audit_events", &["id", "at"], 2, false),
            "INSERT INTO audit_events (id, at) VALUES (?, ?), (?, ?)"
        );
    }
}
