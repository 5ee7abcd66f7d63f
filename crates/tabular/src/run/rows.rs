//! The rows of one CSV file or sheet through the engine, wherever they came from: blank rows and
//! the row limit, records checked one at a time, a table's rows gathered and checked as a whole,
//! where each value was in the file, and what was checked handed to the caller's sink.

use std::collections::BTreeMap;
use std::ops::ControlFlow;

use formwork_definition::validate::json::{row_to_json, values_to_json};
use formwork_definition::validate::{
    self, Answers, CheckedRecord, Code, Context, Input, Item, Locate, Location, Part, Place, RecordBatch,
    SlotInput, check_record,
};
use formwork_definition::{Definition, Severity, Value};

use super::FileReport;
use super::sink::{CheckedAnswers, RecordSink};
use crate::columns::{Columns, column_letters};
use crate::layout::Target;
use crate::{Limits, file_item};

/// Where a record's or a table row's values are in the file.
pub(super) struct RowLocate<'a> {
    pub(super) columns: &'a Columns,
    pub(super) sheet: Option<&'a str>,
    /// File rows by table row (tables), or the record's row (records: one entry).
    pub(super) rows: &'a [u64],
}

impl RowLocate<'_> {
    fn at(&self, row: Option<u64>, index: Option<usize>) -> Location {
        let position = index.and_then(|i| self.columns.position.get(&i).copied());
        Location {
            row,
            column: position.and_then(|p| self.columns.headers.get(p)).map(|h| h.trim().to_string()),
            cell: match (self.sheet, position, row) {
                (Some(_), Some(p), Some(r)) => Some(format!("{}{r}", column_letters(p))),
                _ => None,
            },
            sheet: self.sheet.map(str::to_string),
        }
    }
}

impl Locate for RowLocate<'_> {
    fn locate(&self, place: &Place) -> Location {
        match *place {
            // A record of a log: its slots are its columns.
            Place::Slot(slot) if self.rows.len() == 1 => self.at(self.rows.first().copied(), Some(slot)),
            Place::Root => self.at(self.rows.first().copied(), None),
            Place::Cell(_, r, c) => self.at(self.rows.get(r).copied(), Some(c)),
            Place::Row(_, r) => self.at(self.rows.get(r).copied(), None),
            Place::Slot(_) => Location { sheet: self.sheet.map(str::to_string), ..Location::default() },
        }
    }

    fn row_name(&self, _table_slot: usize, row: usize) -> String {
        match self.rows.get(row) {
            Some(r) => format!("row {r}"),
            None => format!("row {}", row + 1),
        }
    }
}

/// Rows of a table, gathered from a file before the table is validated as a whole.
#[derive(Default)]
pub(super) struct TableRows {
    pub(super) rows: Vec<Vec<Input<'static>>>,
    /// The file's row of each.
    pub(super) numbers: Vec<u64>,
}

/// Where rows go as they are read: records are checked one at a time, a table's rows are gathered.
pub(super) enum Gather<'d> {
    Records(RecordBatch<'d>),
    Table(TableRows),
}

/// Reads the rows of one CSV file or sheet.
pub(super) struct RowReader<'d> {
    pub(super) def: &'d Definition,
    target: Target,
    pub(super) columns: Columns,
    pub(super) gather: Gather<'d>,
    sheet: Option<String>,
    /// Whether each column of the file has a header.
    headed: Vec<bool>,
    data_rows: usize,
    /// Columns with values under an empty header: reported once each, with the first row.
    headless: BTreeMap<usize, u64>,
    too_many: bool,
}

impl<'d> RowReader<'d> {
    pub(super) fn new(
        def: &'d Definition,
        target: Target,
        columns: Columns,
        sheet: Option<String>,
        ctx: Context,
        max_items: usize,
    ) -> RowReader<'d> {
        let gather = match target {
            Target::Records => Gather::Records(
                RecordBatch::new(def, ctx, max_items).with_missing_columns(columns.missing.clone()),
            ),
            Target::Table(_) => Gather::Table(TableRows::default()),
        };
        let headed = columns.headers.iter().map(|h| !h.trim().is_empty()).collect();
        RowReader {
            def,
            target,
            columns,
            gather,
            sheet,
            headed,
            data_rows: 0,
            headless: BTreeMap::new(),
            too_many: false,
        }
    }

    /// The bookkeeping of every row, whoever checks it: blank rows are skipped, the row limit is
    /// kept, values under no header are noted. `Some` when the row is not to be checked.
    pub(super) fn note(
        &mut self,
        row: u64,
        empty: impl Iterator<Item = bool> + Clone,
        limits: &Limits,
    ) -> Option<ControlFlow<()>> {
        if empty.clone().all(|e| e) {
            return Some(ControlFlow::Continue(()));
        }
        self.data_rows += 1;
        if self.data_rows > limits.max_rows {
            self.too_many = true;
            return Some(ControlFlow::Break(()));
        }
        for (i, is_empty) in empty.enumerate() {
            if !is_empty && !self.headed.get(i).copied().unwrap_or(false) {
                self.headless.entry(i).or_insert(row);
            }
        }
        None
    }

    /// Take one row's cells (they are moved out, not copied). A record is checked at once and handed
    /// to `sink`; a table's row is kept for [`finish`](RowReader::finish).
    pub(super) fn row(
        &mut self,
        row: u64,
        cells: &mut [Input<'_>],
        limits: &Limits,
        sink: &mut dyn RecordSink,
    ) -> ControlFlow<()> {
        if let Some(flow) = self.note(row, cells.iter().map(Input::is_empty), limits) {
            return flow;
        }
        match &mut self.gather {
            Gather::Records(batch) => {
                let mut answers = Answers::empty(self.def);
                for (i, cell) in cells.iter_mut().enumerate() {
                    if let Some(Some(slot)) = self.columns.fills.get(i) {
                        answers.slots[*slot] = SlotInput::Question(std::mem::take(cell));
                    }
                }
                let rows = [row];
                let locate = RowLocate { columns: &self.columns, sheet: self.sheet.as_deref(), rows: &rows };
                let (ctx, index, missing) = (batch.context(), batch.next_index(), batch.missing_columns());
                let record = check_record(self.def, ctx, &answers, &[], index, row, &locate, missing);
                let answers = record_answers(self.def, &record, sink.wants_answers());
                take_record(batch, record, answers, &locate, sink);
            }
            Gather::Table(table) => {
                let Target::Table(t) = self.target else { return ControlFlow::Continue(()) };
                let mut values = vec![Input::Empty; self.def.tables[t].columns.len()];
                for (i, cell) in cells.iter_mut().enumerate() {
                    if let Some(Some(c)) = self.columns.fills.get(i) {
                        values[*c] = std::mem::take(cell).into_owned();
                    }
                }
                table.rows.push(values);
                table.numbers.push(row);
            }
        }
        ControlFlow::Continue(())
    }

    /// Items about the file's columns found while reading rows.
    pub(super) fn finish_columns(&self, report: &mut FileReport, max: usize) {
        for (&column, &row) in &self.headless {
            let mut item = Item::error(
                Code::UnknownColumn,
                "",
                format!(
                    "Column {} has values but no header: give it the header of a question, or remove it",
                    column_letters(column)
                ),
            );
            item.row = Some(row);
            item.cell = self.sheet.as_ref().map(|_| format!("{}{row}", column_letters(column)));
            item.sheet = self.sheet.clone();
            report.push(item, max);
        }
        if self.data_rows == 0 && self.target == Target::Records {
            report.push(file_item("The file has a header row but no records under it"), max);
        }
    }

    /// A file with more rows than allowed is refused with that one problem.
    pub(super) fn refusal(&self, limits: &Limits) -> Option<FileReport> {
        self.too_many.then(|| {
            FileReport::refused(file_item(format!(
                "The file has more than {} rows; split it into smaller files",
                limits.max_rows
            )))
        })
    }

    /// Validate what was gathered and add every item to `report`; hand a table's rows to `sink`.
    pub(super) fn finish(
        self,
        ctx: &Context,
        report: &mut FileReport,
        limits: &Limits,
        max: usize,
        sink: &mut dyn RecordSink,
    ) {
        if let Some(refused) = self.refusal(limits) {
            *report = refused;
            return;
        }
        self.finish_columns(report, max);
        match self.gather {
            Gather::Records(batch) => {
                report.records += batch.records;
                report.error_count += batch.dropped_errors;
                report.warning_count += batch.dropped_warnings;
                for item in batch.errors.into_iter().chain(batch.warnings) {
                    report.push(item, max);
                }
            }
            Gather::Table(table) => {
                let Target::Table(t) = self.target else { return };
                report.records += table.rows.len();
                let slot = self.def.tables[t].slot;
                let mut answers = Answers::empty(self.def);
                answers.slots[slot] = SlotInput::Table(table.rows);
                let locate =
                    RowLocate { columns: &self.columns, sheet: self.sheet.as_deref(), rows: &table.numbers };
                let outcome = validate::validate_part(self.def, &answers, ctx, &locate, Part::Table(slot));
                let mut row_errors = vec![false; table.numbers.len()];
                for f in &outcome.findings {
                    if f.code == Code::Required
                        && matches!(f.place, Place::Cell(_, _, c) if self.columns.missing.contains(&c))
                    {
                        continue;
                    }
                    if f.severity == Severity::Error
                        && let Place::Cell(_, r, _) | Place::Row(_, r) = f.place
                        && let Some(has_errors) = row_errors.get_mut(r)
                    {
                        *has_errors = true;
                    }
                    report.push(validate::item(self.def, f, "", &locate), max);
                }
                let values = match outcome.values.get(slot) {
                    Some(Value::List(rows)) if sink.wants_answers() => &rows[..],
                    _ => &[],
                };
                for (index, (&row, has_errors)) in table.numbers.iter().zip(row_errors).enumerate() {
                    let answers = match values.get(index) {
                        Some(Value::Row(cells)) => row_to_json(&self.def.tables[t], cells),
                        _ => serde_json::Map::new(),
                    };
                    sink.checked(CheckedAnswers { index, row: Some(row), answers, has_errors });
                }
            }
        }
    }
}

/// A record's answers for a sink, when it wants them.
pub(super) fn record_answers(
    def: &Definition,
    record: &CheckedRecord,
    wanted: bool,
) -> serde_json::Map<String, serde_json::Value> {
    if wanted { values_to_json(def, &record.values) } else { serde_json::Map::new() }
}

/// Take a record checked on its own into the batch, in file order (its key is checked against
/// earlier records' there), and hand it to `sink` with its answers.
pub(super) fn take_record(
    batch: &mut RecordBatch<'_>,
    record: CheckedRecord,
    answers: serde_json::Map<String, serde_json::Value>,
    locate: &dyn Locate,
    sink: &mut dyn RecordSink,
) {
    let (index, row) = (record.index, record.row);
    let has_errors = batch.merge(record, locate);
    sink.checked(CheckedAnswers { index, row: Some(row), answers, has_errors });
}
