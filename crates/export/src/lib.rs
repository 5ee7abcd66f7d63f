//! Streaming exports of a collection's stored submissions or records: CSV (zipped with one file
//! per table when the collection has tables), XLSX, JSON Lines and Parquet.
//!
//! A [`Plan`] gives every version of the collection one set of columns; [`writer`] makes an
//! [`ExportWriter`] that is handed each submission or record (its [`Meta`] and its stored answers
//! as JSON text) in turn and writes it at once. Memory stays the same whatever the number of rows:
//! nothing holds all the rows; output flows as rows arrive ([`ExportWriter::flush`] pushes out
//! what is buffered, e.g. after each batch read from the database), and the parts that cannot
//! stream (the other tables' files in a zip, the other sheets of a workbook) are spooled to
//! temporary files and copied in at [`ExportWriter::finish`]. Parquet is written a bounded row
//! group at a time.
//!
//! Stored answers are read with a streaming visitor straight into reused buffers, and numbers and
//! dates are written from their stored text, so that `1234.50` stays exactly `1234.50`.
//!
//! Answers kept as typed because they failed validation (a draft's `abc` in a money question)
//! are never dropped: CSV and XLSX write them as text and JSON Lines as the JSON they were stored
//! as. Parquet columns are typed, so there a value that is not of its column's type is written
//! as null (a number is rounded half away from zero to its column's places; one too large for
//! its column is null too).
//!
//! XLSX is written here as a streaming writer rather than with `rust_xlsxwriter`: that crate
//! needs a seekable output and assembles the file only at the end, so neither the first bytes
//! nor a bounded memory could be had from it.
//!
//! # What each format writes
//!
//! Every part (the submissions or records, then each table's rows) starts with metadata columns
//! named with a leading underscore ([`MetaColumn`]), then the plan's columns; timestamps are UTC.
//!
//! - **CSV**: UTF-8 with a byte order mark, CRLF, RFC 4180 quoting, a header of ids (or labels);
//!   numbers as stored, dates `YYYY-MM-DD`, yes/no `Yes`/`No`, multi-choice joined with `; `, a
//!   file its name; free text that a spreadsheet would run as a formula is prefixed with `'`. A
//!   collection with tables gives `{collection}.csv.zip`: `{collection}.csv`, then
//!   `{collection}-{table}.csv` for each table, the [`Dictionary`]'s files and `columns.csv`
//!   (each column's label, type and id in every version).
//! - **JSON Lines**: one object per submission or record: its metadata, every column by id
//!   (numbers unquoted from their exact text, empty answers `null`), each table as a list of row
//!   objects (`_row`, then the table's columns).
//! - **XLSX**: see the `xlsx` module: a sheet of records for a log, a sheet for each section and
//!   each table for a return, and a "Dictionary" sheet.
//! - **Parquet**: typed columns (see the `parquet_file` module); zipped like CSV when the collection
//!   has tables.
//!
//! With [`Options::table`], only that table's rows are written, as one plain file of the format.
//!
//! Error policy: [`ExportError`] for what stops an export (see its module); a value that does not
//! fit is never an error.

mod answers;
mod cells;
mod csv;
mod error;
mod jsonl;
mod keys;
mod parquet_file;
pub mod plan;
mod scan;
mod source;
mod values;
mod xlsx;
mod zipped;

use std::io::Write;
use std::sync::Arc;

pub use error::ExportError;
pub use plan::{ChoiceLabel, Column, MetaColumn, Part, Plan, ValueType};

/// What is known of a submission or record besides its answers.
#[derive(Clone, Copy, Debug)]
pub struct Meta<'a> {
    /// Its id.
    pub id: &'a str,
    /// A submission's reference.
    pub reference: Option<&'a str>,
    /// The organisation's name.
    pub organisation: &'a str,
    /// The organisation's id.
    pub organisation_id: &'a str,
    /// The period's key (its first day, `2026-04-01`).
    pub period: &'a str,
    /// Its lifecycle state.
    pub state: &'a str,
    /// The definition version its answers were made with.
    pub version: u32,
    /// The upload a record came from.
    pub upload: Option<&'a str>,
    /// When it was submitted, in milliseconds since the epoch.
    pub submitted_at: Option<i64>,
    /// When it was last changed, in milliseconds since the epoch.
    pub updated_at: i64,
}

/// The file formats of an export.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    /// Comma-separated values (zipped, one file per part, when the collection has tables).
    Csv,
    /// An Excel workbook.
    Xlsx,
    /// JSON Lines: one object per submission or record, tables nested.
    Jsonl,
    /// Apache Parquet (zipped, one file per part, when the collection has tables).
    Parquet,
}

impl Format {
    /// Every format with its name.
    pub const ALL: [(&'static str, Format); 4] = [
        ("csv", Format::Csv),
        ("xlsx", Format::Xlsx),
        ("jsonl", Format::Jsonl),
        ("parquet", Format::Parquet),
    ];

    /// The format named `name` (`csv`, `xlsx`, `jsonl`, `parquet`; any case).
    pub fn parse(name: &str) -> Option<Format> {
        Format::ALL.iter().find(|(n, _)| n.eq_ignore_ascii_case(name.trim())).map(|(_, f)| *f)
    }

    /// Its name, also the extension of one data file: `csv`.
    pub fn extension(self) -> &'static str {
        Format::ALL.iter().find(|(_, f)| *f == self).map(|(n, _)| *n).unwrap_or("csv")
    }

    /// The content type of one data file of this format.
    pub fn content_type(self) -> &'static str {
        match self {
            Format::Csv => "text/csv; charset=utf-8",
            Format::Xlsx => "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            Format::Jsonl => "application/x-ndjson",
            Format::Parquet => "application/vnd.apache.parquet",
        }
    }
}

impl std::str::FromStr for Format {
    type Err = String;

    fn from_str(s: &str) -> Result<Format, String> {
        Format::parse(s)
            .ok_or_else(|| format!("“{s}” is not an export format: use csv, xlsx, jsonl or parquet"))
    }
}

/// What the header row says (CSV and XLSX; JSON Lines and Parquet always use ids).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Headers {
    /// Question ids: stable, and what the upload reads back.
    #[default]
    Ids,
    /// Question labels. Metadata columns keep their names.
    Labels,
}

/// How choices are written.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Choices {
    /// Their stored values.
    #[default]
    Values,
    /// Their labels (a value no longer in the list is written as it is).
    Labels,
}

/// How to write an export.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Options {
    /// The header row.
    pub headers: Headers,
    /// Choice values or labels.
    pub choices: Choices,
    /// Only this table's rows (of every submission), as one plain file of the format; `""`: only
    /// the main part (what a warehouse feed writes beside each table's file).
    pub table: Option<String>,
}

/// Files the caller adds to a zipped export beside the data, e.g. `data-dictionary.html` made
/// with `formwork_definition::dictionary::html`.
#[derive(Clone, Debug, Default)]
pub struct Dictionary {
    /// File names and contents.
    pub files: Vec<(String, Vec<u8>)>,
}

/// The file an export makes: its name and content type.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Output {
    /// The file name, e.g. `lettings-log.csv` or `towns-fund-monitoring.csv.zip`.
    pub file_name: String,
    /// Its content type.
    pub content_type: &'static str,
    /// True when it is a zip of several files.
    pub zipped: bool,
}

/// The file an export of `plan` in `format` with `options` makes.
///
/// CSV and Parquet of a collection with tables are zips named `{collection}.csv.zip` and
/// `{collection}.parquet.zip`, holding `{collection}.{ext}`, `{collection}-{table}.{ext}` for
/// each table, the dictionary files and `columns.csv`. Everything else is one file:
/// `{collection}.{ext}`, or `{collection}-{table}.{ext}` with [`Options::table`].
pub fn output(plan: &Plan, format: Format, options: &Options) -> Result<Output, ExportError> {
    let ext = format.extension();
    if let Some(table) = &options.table {
        let part = plan.table_part(table).ok_or_else(|| ExportError::UnknownTable(table.clone()))?;
        return Ok(Output {
            file_name: zipped::part_file(plan, part, ext),
            content_type: format.content_type(),
            zipped: false,
        });
    }
    let zipped = matches!(format, Format::Csv | Format::Parquet) && plan.has_tables();
    Ok(Output {
        file_name: if zipped {
            format!("{}.{ext}.zip", plan.collection())
        } else {
            format!("{}.{ext}", plan.collection())
        },
        content_type: if zipped { "application/zip" } else { format.content_type() },
        zipped,
    })
}

/// Writes one export as submissions or records are handed to it.
pub trait ExportWriter: Send {
    /// Write one submission or record: `answers` is its stored answers, a JSON object by
    /// question id (or empty or `null` for none).
    fn write(&mut self, meta: &Meta<'_>, answers: &str) -> Result<(), ExportError>;

    /// Push what is buffered so far to the output (call it after each batch, not each row: a
    /// zip's compressor is flushed too).
    fn flush(&mut self) -> Result<(), ExportError>;

    /// Write what is left (spooled parts, the end of the file) and say what was written.
    fn finish(self: Box<Self>) -> Result<Summary, ExportError>;
}

/// What an export wrote, for a manifest.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Summary {
    /// The output's file name (see [`output`]).
    pub file_name: String,
    /// Each part's rows: the file (or sheet) it went to and how many rows it has.
    pub files: Vec<FileSummary>,
}

/// How many rows one part of an export has.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FileSummary {
    /// The file in the zip holding the part; the (first) sheet holding it in a workbook; the
    /// output's file name otherwise.
    pub name: String,
    /// The table, for a table's part.
    pub table: Option<String>,
    /// Rows written.
    pub rows: u64,
}

/// A writer of `plan`'s export in `format`, writing to `out` as rows arrive. The dictionary's
/// files go into zipped exports (CSV and Parquet with tables); the other formats leave them out.
pub fn writer<W: Write + Send + 'static>(
    format: Format,
    plan: Arc<Plan>,
    options: Options,
    dictionary: Dictionary,
    out: W,
) -> Result<Box<dyn ExportWriter>, ExportError> {
    let output = output(&plan, format, &options)?;
    let source = source::Source::new(plan, &options);
    Ok(match format {
        Format::Csv => Box::new(csv::CsvWriter::new(source, options, dictionary, output, out)?),
        Format::Jsonl => Box::new(jsonl::JsonlWriter::new(source, options, output, out)),
        Format::Xlsx => Box::new(xlsx::XlsxWriter::new(source, options, output, out)?),
        Format::Parquet => {
            Box::new(parquet_file::ParquetWriter::new(source, options, dictionary, output, out)?)
        }
    })
}
