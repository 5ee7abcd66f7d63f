//! Spreadsheets and CSV files for formwork: templates made from a definition, streaming readers,
//! validation with cell-level items, and annotated report workbooks.
//!
//! Readers never hold a whole file: CSV is read a record at a time within a fixed buffer; an XLSX
//! workbook is checked for a zip bomb from its directory before anything is expanded, then read a
//! cell at a time. Every problem with a file is an [`Item`] (`file`, `template`, `missing_column`,
//! `unknown_column`, or the engine's own codes), never a panic; `Err` is kept for failures of the
//! machine (I/O), which the caller reports once.

mod columns;
pub mod csv;
mod layout;
pub mod report;
mod run;
pub mod template;
pub mod xlsx;

use formwork_definition::validate::Item;

pub use columns::column_letters;
pub use run::{
    CheckedAnswers, FileReport, NoSink, Options, ReadAs, RecordSink, validate_csv, validate_csv_into,
    validate_xlsx, validate_xlsx_into,
};

/// Limits on what a file may hold. Anything beyond them is refused with a `file` item, in bounded
/// time and memory.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Limits {
    /// Largest file accepted, in bytes.
    pub max_bytes: u64,
    /// Most data rows.
    pub max_rows: usize,
    /// Most columns in a row.
    pub max_columns: usize,
    /// Most bytes in one CSV row, or in one cell of a workbook.
    pub max_row_bytes: usize,
    /// Most bytes a workbook may hold once unzipped.
    pub max_unzipped_bytes: u64,
    /// Most a workbook's parts may expand when unzipped (uncompressed ÷ compressed). Spreadsheet
    /// XML compresses about 10 to 30 times; a zip bomb, thousands of times.
    pub max_zip_ratio: u64,
}

impl Default for Limits {
    fn default() -> Limits {
        Limits {
            max_bytes: 200 * 1024 * 1024,
            max_rows: 1_000_000,
            max_columns: 2_000,
            max_row_bytes: 4 * 1024 * 1024,
            max_unzipped_bytes: 2 * 1024 * 1024 * 1024,
            max_zip_ratio: 300,
        }
    }
}

/// A failure of the machine, not of the file.
#[derive(Debug, thiserror::Error)]
pub enum TabularError {
    /// Reading or writing failed.
    #[error("cannot read or write the file: {0}")]
    Io(#[from] std::io::Error),
    /// Writing a workbook failed.
    #[error("cannot write the workbook: {0}")]
    Write(#[from] rust_xlsxwriter::XlsxError),
    /// What was asked cannot be done for this definition (e.g. a CSV template of a return with
    /// several tables and no table named).
    #[error("{0}")]
    Unsupported(String),
}

/// A `file` item: the file as a whole cannot be used.
pub(crate) fn file_item(message: impl Into<String>) -> Item {
    Item::error(formwork_definition::validate::Code::File, "", message)
}

/// Why a file is refused as a whole: one item, boxed because it travels as an error.
pub type Refusal = Box<Item>;

/// Refuse a file with a `file` item.
pub(crate) fn refuse(message: impl Into<String>) -> Refusal {
    Box::new(file_item(message))
}

#[cfg(test)]
mod tests;
