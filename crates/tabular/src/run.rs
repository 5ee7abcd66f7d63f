//! Validating a file: decide what it holds, match its columns, stream its rows through the engine,
//! and put the file's row, column, cell and sheet on every item.

mod parallel;

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::io::{Read, Seek};
use std::ops::ControlFlow;

use formwork_definition::model::QuestionType;
use formwork_definition::validate::{
    self, Answers, Code, Context, Input, Item, Locate, Location, Part, Place, RecordBatch, SlotInput,
};
use formwork_definition::{Definition, Kind};
use serde::Serialize;

use crate::columns::{Columns, column_letters, match_columns, normalise, recognised};
use crate::csv::{CsvProblem, CsvReader};
use crate::layout::{ANSWER_COLUMN, META_SHEET, Target};
use crate::xlsx::{self, Identity, Workbook};
use crate::{Limits, Refusal, TabularError, file_item, refuse};

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

    fn refused(item: Item) -> FileReport {
        FileReport { errors: vec![item], error_count: 1, ..FileReport::default() }
    }

    /// True when no error was found (warnings are allowed).
    pub fn is_valid(&self) -> bool {
        self.error_count == 0
    }
}

/// What every part of reading one file needs.
struct Reading<'a> {
    ctx: &'a Context,
    limits: &'a Limits,
    options: &'a Options,
}

/// Where a record's or a table row's values are in the file.
struct RowLocate<'a> {
    columns: &'a Columns,
    sheet: Option<&'a str>,
    /// File rows by table row (tables), or the record's row (records: one entry).
    rows: &'a [u64],
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
struct TableRows {
    rows: Vec<Vec<Input<'static>>>,
    numbers: Vec<u64>,
}

/// Where rows go as they are read.
enum Sink<'d> {
    Records(RecordBatch<'d>),
    Table(TableRows),
}

/// Reads the rows of one CSV file or sheet into a sink.
struct RowReader<'d> {
    def: &'d Definition,
    target: Target,
    columns: Columns,
    sink: Sink<'d>,
    sheet: Option<String>,
    /// Whether each column of the file has a header.
    headed: Vec<bool>,
    data_rows: usize,
    /// Columns with values under an empty header: reported once each, with the first row.
    headless: BTreeMap<usize, u64>,
    too_many: bool,
}

impl<'d> RowReader<'d> {
    fn new(
        def: &'d Definition,
        target: Target,
        columns: Columns,
        sheet: Option<String>,
        ctx: Context,
        max_items: usize,
    ) -> RowReader<'d> {
        let sink = match target {
            Target::Records => Sink::Records(
                RecordBatch::new(def, ctx, max_items).with_missing_columns(columns.missing.clone()),
            ),
            Target::Table(_) => Sink::Table(TableRows::default()),
        };
        let headed = columns.headers.iter().map(|h| !h.trim().is_empty()).collect();
        RowReader {
            def,
            target,
            columns,
            sink,
            sheet,
            headed,
            data_rows: 0,
            headless: BTreeMap::new(),
            too_many: false,
        }
    }

    /// The bookkeeping of every row, whoever checks it: blank rows are skipped, the row limit is
    /// kept, values under no header are noted. `Some` when the row is not to be checked.
    fn note(
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

    /// Take one row's cells (they are moved out, not copied).
    fn row(&mut self, row: u64, cells: &mut [Input<'_>], limits: &Limits) -> ControlFlow<()> {
        if let Some(flow) = self.note(row, cells.iter().map(Input::is_empty), limits) {
            return flow;
        }
        match &mut self.sink {
            Sink::Records(batch) => {
                let mut answers = Answers::empty(self.def);
                for (i, cell) in cells.iter_mut().enumerate() {
                    if let Some(Some(slot)) = self.columns.fills.get(i) {
                        answers.slots[*slot] = SlotInput::Question(std::mem::take(cell));
                    }
                }
                let rows = [row];
                let locate = RowLocate { columns: &self.columns, sheet: self.sheet.as_deref(), rows: &rows };
                batch.add(&answers, &[], row, &locate);
            }
            Sink::Table(table) => {
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
    fn finish_columns(&self, report: &mut FileReport, max: usize) {
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
    fn refusal(&self, limits: &Limits) -> Option<FileReport> {
        self.too_many.then(|| {
            FileReport::refused(file_item(format!(
                "The file has more than {} rows; split it into smaller files",
                limits.max_rows
            )))
        })
    }

    /// Validate what was gathered and add every item to `report`.
    fn finish(self, ctx: &Context, report: &mut FileReport, limits: &Limits, max: usize) {
        if let Some(refused) = self.refusal(limits) {
            *report = refused;
            return;
        }
        self.finish_columns(report, max);
        match self.sink {
            Sink::Records(batch) => {
                report.records += batch.records;
                report.error_count += batch.dropped_errors;
                report.warning_count += batch.dropped_warnings;
                for item in batch.errors.into_iter().chain(batch.warnings) {
                    report.push(item, max);
                }
            }
            Sink::Table(table) => {
                let Target::Table(t) = self.target else { return };
                report.records += table.rows.len();
                let slot = self.def.tables[t].slot;
                let mut answers = Answers::empty(self.def);
                answers.slots[slot] = SlotInput::Table(table.rows);
                let locate =
                    RowLocate { columns: &self.columns, sheet: self.sheet.as_deref(), rows: &table.numbers };
                let outcome = validate::validate_part(self.def, &answers, ctx, &locate, Part::Table(slot));
                for f in &outcome.findings {
                    if f.code == Code::Required
                        && matches!(f.place, Place::Cell(_, _, c) if self.columns.missing.contains(&c))
                    {
                        continue;
                    }
                    report.push(validate::item(self.def, f, "", &locate), max);
                }
            }
        }
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

fn csv_item(problem: CsvProblem) -> Result<Item, TabularError> {
    Ok(match problem {
        CsvProblem::NotText(message) => file_item(message),
        CsvProblem::RowTooLong { row, limit } => {
            let mut item = file_item(format!(
                "Row {row} holds more than {} MB: check the file is CSV with a header row",
                limit >> 20
            ));
            item.row = Some(row);
            item
        }
        CsvProblem::TooManyColumns { row, limit } => {
            let mut item = file_item(format!("Row {row} has more than {limit} columns"));
            item.row = Some(row);
            item
        }
        CsvProblem::Io(e) => return Err(TabularError::Io(std::io::Error::other(e))),
    })
}

/// Counts bytes read and stops at a limit.
struct Limited<R> {
    inner: R,
    left: u64,
    over: bool,
}

impl<R: Read> Read for Limited<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        if self.left == 0 {
            let mut probe = [0u8; 1];
            if self.inner.read(&mut probe)? > 0 {
                self.over = true;
            }
            return Ok(0);
        }
        let take = buf.len().min(usize::try_from(self.left).unwrap_or(usize::MAX));
        let n = self.inner.read(&mut buf[..take])?;
        self.left -= n as u64;
        Ok(n)
    }
}

/// Validate a CSV file: records of a log, or the rows of one table of a return.
pub fn validate_csv<R: Read>(
    def: &Definition,
    input: R,
    ctx: &Context,
    limits: &Limits,
    options: &Options,
) -> Result<FileReport, TabularError> {
    csv_file(def, input, ctx, limits, options).map(FileReport::in_row_order)
}

fn csv_file<R: Read>(
    def: &Definition,
    input: R,
    ctx: &Context,
    limits: &Limits,
    options: &Options,
) -> Result<FileReport, TabularError> {
    let mut limited = Limited { inner: input, left: limits.max_bytes, over: false };
    let mut reader = CsvReader::new(&mut limited, limits);
    let header = match reader.next_record() {
        Ok(Some(record)) => {
            (record.row, record.fields.iter().map(|f| f.to_string()).collect::<Vec<String>>())
        }
        Ok(None) => {
            return Ok(FileReport::refused(file_item(
                "The file is empty: it needs a header row, then one row for each record",
            )));
        }
        Err(problem) => return Ok(FileReport::refused(csv_item(problem)?)),
    };
    let (header_row, headers) = header;
    let target = match target_for(def, options, &headers) {
        Ok(t) => t,
        Err(item) => return Ok(FileReport::refused(*item)),
    };
    let path = match target {
        Target::Records => String::new(),
        Target::Table(t) => def.tables[t].id.clone(),
    };
    let (columns, items) = match_columns(def, target, headers, header_row, None, &path);
    let mut report = FileReport { read_as: Some(read_as(def, target, None)), ..FileReport::default() };
    for item in items {
        report.push(item, options.max_items);
    }
    let mut rows = RowReader::new(def, target, columns, None, *ctx, options.max_items);
    if target == Target::Records && options.threads > 1 {
        if let Some(refused) = parallel::records(&mut reader, &mut rows, limits, options.threads)? {
            return Ok(refused);
        }
    } else {
        loop {
            match reader.next_record() {
                Ok(Some(record)) => {
                    let mut cells: Vec<Input<'_>> =
                        record.fields.iter().map(|f| Input::Text(Cow::Borrowed(*f))).collect();
                    if rows.row(record.row, &mut cells, limits).is_break() {
                        break;
                    }
                }
                Ok(None) => break,
                // A file that cannot be read to its end is refused with that one problem.
                Err(problem) => return Ok(FileReport::refused(csv_item(problem)?)),
            }
        }
    }
    drop(reader);
    if limited.over {
        let limit = limits.max_bytes >> 20;
        return Ok(FileReport::refused(file_item(format!(
            "The file is larger than {limit} MB: split it into smaller files"
        ))));
    }
    rows.finish(ctx, &mut report, limits, options.max_items);
    Ok(report)
}

/// Read the header row of a sheet (its first row with a value) and what follows through `rows`.
fn read_sheet<'d, R: Read + Seek>(
    def: &'d Definition,
    wb: &mut Workbook<R>,
    sheet: &str,
    target: Target,
    reading: &Reading<'_>,
    report: &mut FileReport,
) -> Result<Option<RowReader<'d>>, Refusal> {
    let (ctx, limits, options) = (reading.ctx, reading.limits, reading.options);
    let mut reader: Option<RowReader<'d>> = None;
    let mut header_items = Vec::new();
    wb.rows(sheet, limits, |row, cells| match &mut reader {
        None => {
            let headers: Vec<String> = cells.iter().map(header_text).collect();
            let path = match target {
                Target::Records => String::new(),
                Target::Table(t) => def.tables[t].id.clone(),
            };
            let (columns, items) = match_columns(def, target, headers, row, Some(sheet), &path);
            header_items = items;
            reader =
                Some(RowReader::new(def, target, columns, Some(sheet.to_string()), *ctx, options.max_items));
            ControlFlow::Continue(())
        }
        Some(r) => r.row(row, cells, limits),
    })?;
    for item in header_items {
        report.push(item, options.max_items);
    }
    Ok(reader)
}

fn header_text(cell: &Input<'_>) -> String {
    match cell {
        Input::Text(t) => t.to_string(),
        Input::Number(n) => n.normalize().to_string(),
        Input::Date(d) => d.format("%Y-%m-%d").to_string(),
        Input::Bool(b) => b.to_string(),
        _ => String::new(),
    }
}

/// Validate a workbook: formwork's template (recognised by its hidden sheet) or a plain workbook
/// with a header row.
pub fn validate_xlsx<R: Read + Seek>(
    def: &Definition,
    input: R,
    ctx: &Context,
    limits: &Limits,
    options: &Options,
) -> Result<FileReport, TabularError> {
    workbook_file(def, input, ctx, limits, options).map(FileReport::in_row_order)
}

fn workbook_file<R: Read + Seek>(
    def: &Definition,
    input: R,
    ctx: &Context,
    limits: &Limits,
    options: &Options,
) -> Result<FileReport, TabularError> {
    let mut wb = match xlsx::open(input, limits) {
        Ok(wb) => wb,
        Err(item) => return Ok(FileReport::refused(*item)),
    };
    let reading = Reading { ctx, limits, options };
    if let Some(identity) = wb.identity(limits) {
        if let Some(item) = wrong_template(def, &identity) {
            return Ok(FileReport::refused(item));
        }
        return template_workbook(def, &mut wb, &identity, &reading);
    }
    plain_workbook(def, &mut wb, &reading)
}

/// A `template` item when a workbook is another collection's template or another version's.
fn wrong_template(def: &Definition, identity: &Identity) -> Option<Item> {
    let message = if identity.collection != def.collection {
        format!(
            "This workbook is the template for the collection “{}” (version {}), not for {} (“{}”). Download the template for {} and copy your data into it",
            identity.collection, identity.version, def.title, def.collection, def.title
        )
    } else if identity.version < def.version {
        format!(
            "This workbook is the template for version {} of {}, but the collection is now at version {}. Download the new template and copy your data into it",
            identity.version, def.title, def.version
        )
    } else if identity.version != def.version {
        format!(
            "This workbook is the template for version {} of {}, but this is version {}",
            identity.version, def.title, def.version
        )
    } else {
        return None;
    };
    Some(Item::error(Code::Template, "", message))
}

fn plain_workbook<R: Read + Seek>(
    def: &Definition,
    wb: &mut Workbook<R>,
    r: &Reading<'_>,
) -> Result<FileReport, TabularError> {
    let (ctx, limits, options) = (r.ctx, r.limits, r.options);
    let visible: Vec<String> =
        wb.sheets.iter().filter(|(n, v)| *v && n != META_SHEET).map(|(n, _)| n.clone()).collect();
    let sheet_and_target = match def.kind {
        Kind::Log => visible.first().map(|s| (s.clone(), Target::Records)),
        Kind::Return => {
            // Each sheet's header row, to find the one sheet that holds a table.
            let mut found = None;
            let mut first_problem = None;
            for sheet in &visible {
                let mut headers = Vec::new();
                let read = wb.rows(sheet, limits, |_, cells| {
                    headers = cells.iter().map(header_text).collect();
                    ControlFlow::Break(())
                });
                if let Err(item) = read {
                    return Ok(FileReport::refused(*item));
                }
                match choose_table(def, options, &headers) {
                    Ok(t) if found.is_none() => found = Some((sheet.clone(), Target::Table(t))),
                    Ok(_) => {}
                    Err(item) => {
                        first_problem.get_or_insert(item);
                    }
                }
            }
            match (found, first_problem) {
                (Some(f), _) => Some(f),
                (None, Some(item)) => return Ok(FileReport::refused(*item)),
                (None, None) => None,
            }
        }
    };
    let Some((sheet, target)) = sheet_and_target else {
        return Ok(FileReport::refused(file_item("The workbook has no sheet with data")));
    };
    let mut report =
        FileReport { read_as: Some(read_as(def, target, Some(sheet.clone()))), ..FileReport::default() };
    match read_sheet(def, wb, &sheet, target, r, &mut report) {
        Ok(Some(rows)) => rows.finish(ctx, &mut report, limits, options.max_items),
        Ok(None) => report.push(
            file_item(format!(
                "Sheet “{sheet}” is empty: it needs a header row, then one row for each record"
            )),
            options.max_items,
        ),
        Err(item) => return Ok(FileReport::refused(*item)),
    }
    Ok(report)
}

/// Where the answers of a template workbook came from.
struct SubmissionLocate<'a> {
    questions_sheet: Option<&'a str>,
    /// Question slot → its row on the questions sheet.
    question_rows: &'a BTreeMap<usize, u64>,
    /// Table slot → how its rows were read.
    tables: &'a BTreeMap<usize, (Columns, String, Vec<u64>)>,
}

impl Locate for SubmissionLocate<'_> {
    fn locate(&self, place: &Place) -> Location {
        match *place {
            Place::Slot(slot) => match (self.question_rows.get(&slot), self.tables.get(&slot)) {
                (Some(row), _) => Location {
                    row: Some(*row),
                    column: Some("Answer".into()),
                    cell: Some(format!("{}{row}", column_letters(usize::from(ANSWER_COLUMN)))),
                    sheet: self.questions_sheet.map(str::to_string),
                },
                (None, Some((_, sheet, _))) => Location { sheet: Some(sheet.clone()), ..Location::default() },
                _ => Location::default(),
            },
            Place::Cell(slot, _, _) | Place::Row(slot, _) => match self.tables.get(&slot) {
                Some((columns, sheet, rows)) => RowLocate { columns, sheet: Some(sheet), rows }.locate(place),
                None => Location::default(),
            },
            Place::Root => Location::default(),
        }
    }

    fn row_name(&self, table_slot: usize, row: usize) -> String {
        match self.tables.get(&table_slot).and_then(|(_, _, rows)| rows.get(row)) {
            Some(r) => format!("row {r}"),
            None => format!("row {}", row + 1),
        }
    }
}

fn template_workbook<R: Read + Seek>(
    def: &Definition,
    wb: &mut Workbook<R>,
    identity: &Identity,
    r: &Reading<'_>,
) -> Result<FileReport, TabularError> {
    let (ctx, limits, options) = (r.ctx, r.limits, r.options);
    let mut report = FileReport::default();
    let sheet_of = |what: &str| identity.sheets.iter().find(|(_, c)| c == what).map(|(n, _)| n.clone());
    if def.kind == Kind::Log {
        let Some(sheet) = sheet_of("records") else {
            return Ok(FileReport::refused(file_item("The workbook has no sheet of records")));
        };
        report.read_as = Some(ReadAs::Records { sheet: Some(sheet.clone()) });
        match read_sheet(def, wb, &sheet, Target::Records, r, &mut report) {
            Ok(Some(rows)) => rows.finish(ctx, &mut report, limits, options.max_items),
            Ok(None) => report.push(
                file_item(format!(
                    "Sheet “{sheet}” is empty: it needs a header row, then one row for each record"
                )),
                options.max_items,
            ),
            Err(item) => return Ok(FileReport::refused(*item)),
        }
        return Ok(report);
    }

    // A return: the questions sheet and one sheet per table make one submission.
    report.read_as = Some(ReadAs::Submission);
    report.records = 1;
    let mut answers = Answers::empty(def);
    let mut question_rows: BTreeMap<usize, u64> = BTreeMap::new();
    let questions_sheet = sheet_of("questions");
    if let Some(sheet) = &questions_sheet {
        let mut problems = Vec::new();
        let read = wb.rows(sheet, limits, |row, cells| {
            let id = match cells.first() {
                Some(Input::Text(t)) => t.trim().to_string(),
                _ => return ControlFlow::Continue(()),
            };
            if row == 1 && id == "Id" {
                return ControlFlow::Continue(());
            }
            match def.slot_named(&id).filter(|s| def.question_at(*s).is_some()) {
                Some(slot) => {
                    let answer =
                        cells.get(usize::from(ANSWER_COLUMN)).cloned().unwrap_or(Input::Empty).into_owned();
                    answers.slots[slot] = SlotInput::Question(answer);
                    question_rows.insert(slot, row);
                }
                None => {
                    let mut item = Item::error(
                        Code::UnknownColumn,
                        "",
                        format!("Row {row} has the id “{id}”, which is not a question of {}", def.title),
                    );
                    item.row = Some(row);
                    item.cell = Some(format!("A{row}"));
                    item.sheet = Some(sheet.clone());
                    problems.push(item);
                }
            }
            ControlFlow::Continue(())
        });
        if let Err(item) = read {
            return Ok(FileReport::refused(*item));
        }
        for item in problems {
            report.push(item, options.max_items);
        }
    }
    let mut tables: BTreeMap<usize, (Columns, String, Vec<u64>)> = BTreeMap::new();
    let mut missing_cells: Vec<(usize, usize)> = Vec::new();
    for (t, table) in def.tables.iter().enumerate() {
        let Some(sheet) = sheet_of(&format!("table:{}", table.id)) else { continue };
        match read_sheet(def, wb, &sheet, Target::Table(t), r, &mut report) {
            Ok(Some(reader)) => {
                if let Some(refused) = reader.refusal(limits) {
                    return Ok(refused);
                }
                reader.finish_columns(&mut report, options.max_items);
                missing_cells.extend(reader.columns.missing.iter().map(|c| (table.slot, *c)));
                if let Sink::Table(rows) = reader.sink {
                    answers.slots[table.slot] = SlotInput::Table(rows.rows);
                    tables.insert(table.slot, (reader.columns, sheet.clone(), rows.numbers));
                }
            }
            Ok(None) => {}
            Err(item) => return Ok(FileReport::refused(*item)),
        }
    }
    let locate = SubmissionLocate {
        questions_sheet: questions_sheet.as_deref(),
        question_rows: &question_rows,
        tables: &tables,
    };
    let outcome = validate::validate(def, &answers, ctx, &locate);
    for f in &outcome.findings {
        if f.code == Code::Required
            && matches!(f.place, Place::Cell(s, _, c) if missing_cells.contains(&(s, c)))
        {
            continue;
        }
        // Files are not in spreadsheets: they are attached to the submission on the web.
        if f.code == Code::Required
            && matches!(f.place, Place::Slot(s) if def.question_at(s).is_some_and(|q| q.ty == QuestionType::File))
        {
            continue;
        }
        report.push(validate::item(def, f, "", &locate), options.max_items);
    }
    Ok(report)
}

/// Normalise a header for comparison (used by the report writer to find columns).
pub(crate) fn header_key(header: &str) -> String {
    normalise(header)
}
