//! What the engine made of each record as a file is validated, handed to the caller as it goes: an
//! upload stores exactly what it checked without reading the file twice, an export the same values.

use serde::Serialize;

use super::ReadAs;

/// One record of a log, one row of a return's table, or a whole return read from formwork's
/// template, as the engine checked it.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct CheckedAnswers {
    /// Its index from 0: the record's among the file's records, the row's in its table (0 for a
    /// whole return). Items about it have the paths `records/INDEX/…` or `TABLE/INDEX/…`.
    pub index: usize,
    /// The row a spreadsheet shows it on; `None` for a whole return, whose answers span sheets.
    pub row: Option<u64>,
    /// Its answers as the engine converted them, by question id (a table row: by column id; a
    /// whole return: tables as lists of rows), in the shape the API's answers take: numbers as
    /// exact decimal strings, dates `YYYY-MM-DD`, choices by value. An answer that is not valid,
    /// not given or not asked is left out. Empty when the sink does not
    /// [want answers](RecordSink::wants_answers).
    pub answers: serde_json::Map<String, serde_json::Value>,
    /// Whether an error was found in it (a record's own items or a key an earlier record had; a
    /// row's cells or row rules; for a whole return, any error in the file). Warnings do not count.
    pub has_errors: bool,
}

/// Takes what the engine made of each record as a file is validated, once each and in file
/// order, whatever the number of threads checking them (see
/// [`validate_csv_into`](super::validate_csv_into), [`validate_xlsx_into`](super::validate_xlsx_into)).
///
/// Records of a log arrive as they are checked; a table's rows once the whole table is checked; a
/// whole return once. A file refused as a whole part-way through (too many rows, too large, a row
/// that cannot be read: the report's `read_as` is `None`) may already have handed over records
/// before the problem was found: keep them provisional, e.g. in a transaction committed only when
/// the file was read. A closure `FnMut(CheckedAnswers)` is a sink.
pub trait RecordSink {
    /// What the file holds, once known and before the first record.
    fn start(&mut self, _read_as: &ReadAs) {}

    /// Take one checked record, row or return.
    fn checked(&mut self, answers: CheckedAnswers);

    /// Whether answers are wanted: `false` saves converting them, and
    /// [`CheckedAnswers::answers`] is empty.
    fn wants_answers(&self) -> bool {
        true
    }
}

impl<F: FnMut(CheckedAnswers)> RecordSink for F {
    fn checked(&mut self, answers: CheckedAnswers) {
        self(answers);
    }
}

/// A sink that keeps nothing, for reading a file only for its report.
#[derive(Clone, Copy, Debug, Default)]
pub struct NoSink;

impl RecordSink for NoSink {
    fn checked(&mut self, _answers: CheckedAnswers) {}

    fn wants_answers(&self) -> bool {
        false
    }
}
