//! Validating a file: decide what it holds, match its columns, stream its rows through the engine,
//! and put the file's row, column, cell and sheet on every item.
//!
//! What is shared lives here: the options, what a file was read as, the report and the choice of
//! table. [`rows`] takes a file's rows through the engine whatever they came from; [`csv_rows`]
//! reads a CSV file (on several threads with [`parallel`]); [`workbook`] reads a plain workbook or
//! formwork's template.

mod csv_rows;
mod parallel;
mod rows;
mod sink;
mod workbook;

use formwork_definition::validate::Item;
use formwork_definition::{Definition, Kind};
use serde::Serialize;

use crate::columns::recognised;
use crate::layout::Target;
use crate::{Refusal, refuse};

pub use csv_rows::{validate_csv, validate_csv_into};
pub use sink::{CheckedAnswers, NoSink, RecordSink};
pub use workbook::{validate_xlsx, validate_xlsx_into};

/// Choices for reading a file.
#[derive(Clone, Debug)]
pub struct Options {
    /// For a return: which table a CSV file or a plain sheet holds (by id); found from the headers
    /// when not given.
    pub table: Option<String>,
    /// Keep at most this many errors and as many warnings (all are counted).
    pub max_items: usize,
    /// How many threads check the records of a log in a CSV file (1: the reading thread alone).
    /// The result is the same whatever the number.
    pub threads: usize,
}

impl Default for Options {
    fn default() -> Options {
        let threads = std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1).min(8);
        Options { table: None, max_items: 100_000, threads }
    }
}

/// What a file was read as.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case", tag = "kind")]
pub enum ReadAs {
    /// Records of a log, from a CSV file or a sheet.
    Records {
        /// The sheet, for a workbook.
        sheet: Option<String>,
    },
    /// The rows of one table of a return.
    Table {
        /// The table's id.
        table: String,
        /// The sheet, for a workbook.
        sheet: Option<String>,
    },
    /// A whole return, from formwork's template workbook.
    Submission,
}

/// The result of validating one file.
#[derive(Clone, Debug, Default, Serialize)]
pub struct FileReport {
    /// What the file was read as, when it could be read at all.
    pub read_as: Option<ReadAs>,
    /// Records or rows read.
    pub records: usize,
    /// Errors kept (at most `max_items`).
    pub errors: Vec<Item>,
    /// Warnings kept.
    pub warnings: Vec<Item>,
    /// All errors found.
    pub error_count: usize,
    /// All warnings found.
    pub warning_count: usize,
}

impl FileReport {
    fn push(&mut self, item: Item, max: usize) {
        let (list, count) = if item.is_error() {
            (&mut self.errors, &mut self.error_count)
        } else {
            (&mut self.warnings, &mut self.warning_count)
        };
        *count += 1;
        if list.len() < max {
            list.push(item);
        }
    }

    /// Items in the order of the file's rows (a stable sort: within a row, the order found).
    fn in_row_order(mut self) -> FileReport {
        self.errors.sort_by_key(|i| i.row.unwrap_or(0));
        self.warnings.sort_by_key(|i| i.row.unwrap_or(0));
        self
    }

    /// The report of a file found to hold `read_as`, which `sink` is told before any record.
    fn started(read_as: ReadAs, sink: &mut dyn RecordSink) -> FileReport {
        sink.start(&read_as);
        FileReport { read_as: Some(read_as), ..FileReport::default() }
    }

    fn refused(item: Item) -> FileReport {
        FileReport { errors: vec![item], error_count: 1, ..FileReport::default() }
    }

    /// True when no error was found (warnings are allowed).
    pub fn is_valid(&self) -> bool {
        self.error_count == 0
    }
}

/// For a return, which table a file with these headers holds.
fn choose_table(def: &Definition, options: &Options, headers: &[String]) -> Result<usize, Refusal> {
    if let Some(id) = &options.table {
        return def.tables.iter().position(|t| &t.id == id).ok_or_else(|| {
            let ids: Vec<&str> = def.tables.iter().map(|t| t.id.as_str()).collect();
            refuse(format!("{} has no table “{id}”; its tables are: {}", def.title, ids.join(", ")))
        });
    }
    let scores: Vec<usize> =
        (0..def.tables.len()).map(|t| recognised(def, Target::Table(t), headers)).collect();
    let best = scores.iter().copied().max().unwrap_or(0);
    let tops: Vec<usize> = scores.iter().enumerate().filter(|(_, s)| **s == best).map(|(t, _)| t).collect();
    let titles: Vec<String> =
        def.tables.iter().map(|t| format!("“{}” ({})", def.sections[t.section].title, t.id)).collect();
    match (best, tops.as_slice()) {
        (0, _) => Err(refuse(format!(
            "The headers of this file do not match any table of {}. Its tables are {}; use the headers of one of them (download the template)",
            def.title,
            titles.join(", ")
        ))),
        (_, [t]) => Ok(*t),
        _ => Err(refuse(format!(
            "The headers of this file match more than one table of {}: say which table it holds ({})",
            def.title,
            titles.join(", ")
        ))),
    }
}

fn target_for(def: &Definition, options: &Options, headers: &[String]) -> Result<Target, Refusal> {
    match def.kind {
        Kind::Log => Ok(Target::Records),
        Kind::Return => choose_table(def, options, headers).map(Target::Table),
    }
}

fn read_as(def: &Definition, target: Target, sheet: Option<String>) -> ReadAs {
    match target {
        Target::Records => ReadAs::Records { sheet },
        Target::Table(t) => ReadAs::Table { table: def.tables[t].id.clone(), sheet },
    }
}
