//! Workbooks: a plain workbook is read like a CSV file from one of its sheets; formwork's template
//! (recognised by its hidden sheet) is read sheet by sheet as its template was written, a return's
//! as one whole submission.

use std::collections::BTreeMap;
use std::io::{Read, Seek};
use std::ops::ControlFlow;

use formwork_definition::model::QuestionType;
use formwork_definition::validate::json::values_to_json;
use formwork_definition::validate::{
    self, Answers, Code, Context, Input, Item, Locate, Location, Place, SlotInput,
};
use formwork_definition::{Definition, Kind};
use serde_json::Map;

use super::rows::{Gather, RowLocate, RowReader};
use super::sink::{CheckedAnswers, NoSink, RecordSink};
use super::{FileReport, Options, ReadAs, choose_table, read_as};
use crate::columns::{Columns, column_letters, match_columns};
use crate::layout::{ANSWER_COLUMN, META_SHEET, Target};
use crate::xlsx::{self, Identity, Workbook};
use crate::{Limits, Refusal, TabularError, file_item};

/// What every part of reading one workbook needs.
struct Reading<'a> {
    ctx: &'a Context,
    limits: &'a Limits,
    options: &'a Options,
}

/// Read the header row of a sheet (its first row with a value) and what follows through `rows`.
fn read_sheet<'d, R: Read + Seek>(
    def: &'d Definition,
    wb: &mut Workbook<R>,
    sheet: &str,
    target: Target,
    reading: &Reading<'_>,
    report: &mut FileReport,
    sink: &mut dyn RecordSink,
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
        Some(r) => r.row(row, cells, limits, sink),
    })?;
    for item in header_items {
        report.push(item, options.max_items);
    }
    Ok(reader)
}

/// Read a sheet of records, or of one table's rows, into `report`.
fn rows_sheet<R: Read + Seek>(
    def: &Definition,
    wb: &mut Workbook<R>,
    sheet: &str,
    target: Target,
    r: &Reading<'_>,
    report: &mut FileReport,
    sink: &mut dyn RecordSink,
) -> Result<(), Refusal> {
    match read_sheet(def, wb, sheet, target, r, report, sink)? {
        Some(rows) => rows.finish(r.ctx, report, r.limits, r.options.max_items, sink),
        None => report.push(
            file_item(format!(
                "Sheet “{sheet}” is empty: it needs a header row, then one row for each record"
            )),
            r.options.max_items,
        ),
    }
    Ok(())
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
    validate_xlsx_into(def, input, ctx, limits, options, &mut NoSink)
}

/// Validate a workbook like [`validate_xlsx`], handing `sink` what the engine made of each record
/// or table row, in the sheet's order, or of the whole return read from formwork's template.
pub fn validate_xlsx_into<R: Read + Seek>(
    def: &Definition,
    input: R,
    ctx: &Context,
    limits: &Limits,
    options: &Options,
    sink: &mut dyn RecordSink,
) -> Result<FileReport, TabularError> {
    workbook_file(def, input, ctx, limits, options, sink).map(FileReport::in_row_order)
}

fn workbook_file<R: Read + Seek>(
    def: &Definition,
    input: R,
    ctx: &Context,
    limits: &Limits,
    options: &Options,
    sink: &mut dyn RecordSink,
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
        return template_workbook(def, &mut wb, &identity, &reading, sink);
    }
    plain_workbook(def, &mut wb, &reading, sink)
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
    sink: &mut dyn RecordSink,
) -> Result<FileReport, TabularError> {
    let (limits, options) = (r.limits, r.options);
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
    let mut report = FileReport::started(read_as(def, target, Some(sheet.clone())), sink);
    match rows_sheet(def, wb, &sheet, target, r, &mut report, sink) {
        Ok(()) => Ok(report),
        Err(item) => Ok(FileReport::refused(*item)),
    }
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
    sink: &mut dyn RecordSink,
) -> Result<FileReport, TabularError> {
    let (ctx, limits, options) = (r.ctx, r.limits, r.options);
    let sheet_of = |what: &str| identity.sheets.iter().find(|(_, c)| c == what).map(|(n, _)| n.clone());
    if def.kind == Kind::Log {
        let Some(sheet) = sheet_of("records") else {
            return Ok(FileReport::refused(file_item("The workbook has no sheet of records")));
        };
        let mut report = FileReport::started(ReadAs::Records { sheet: Some(sheet.clone()) }, sink);
        return match rows_sheet(def, wb, &sheet, Target::Records, r, &mut report, sink) {
            Ok(()) => Ok(report),
            Err(item) => Ok(FileReport::refused(*item)),
        };
    }

    // A return: the questions sheet and one sheet per table make one submission.
    let mut report = FileReport::started(ReadAs::Submission, sink);
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
        match read_sheet(def, wb, &sheet, Target::Table(t), r, &mut report, sink) {
            Ok(Some(reader)) => {
                if let Some(refused) = reader.refusal(limits) {
                    return Ok(refused);
                }
                reader.finish_columns(&mut report, options.max_items);
                missing_cells.extend(reader.columns.missing.iter().map(|c| (table.slot, *c)));
                if let Gather::Table(rows) = reader.gather {
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
    let answers = if sink.wants_answers() { values_to_json(def, &outcome.values) } else { Map::new() };
    sink.checked(CheckedAnswers { index: 0, row: None, answers, has_errors: !report.is_valid() });
    Ok(report)
}
