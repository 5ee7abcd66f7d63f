//! The uploaded file written back as a workbook with its problems marked: every error cell filled
//! red and every warning cell yellow, each with a note holding its messages, and an "Errors" sheet
//! listing every item. The upload is read again, a row at a time, into sheets written in constant
//! memory, so a large file makes a large report without a large process.
//!
//! A template workbook keeps its hidden sheets, so a corrected report can be uploaded again.

use std::io::{Read, Seek, Write};
use std::ops::ControlFlow;

use formwork_definition::Severity;
use formwork_definition::validate::Input;
use rust_decimal::prelude::ToPrimitive;
use rust_xlsxwriter::{Color, Format, FormatBorder, Note, Workbook, Worksheet};
use rustc_hash::FxHashMap;

use crate::columns::normalise;
use crate::csv::CsvReader;
use crate::layout::{LISTS_SHEET, META_SHEET};
use crate::{FileReport, Limits, TabularError};

/// The name of the data sheet when the upload was a CSV file.
pub const CSV_SHEET: &str = "Data";
/// The name of the sheet listing every item.
pub const ERRORS_SHEET: &str = "Errors";

/// The file that was validated.
pub enum Source<R> {
    /// A CSV file.
    Csv(R),
    /// An XLSX workbook.
    Xlsx(R),
}

#[derive(Default)]
struct Mark {
    error: bool,
    messages: Vec<String>,
}

/// Messages by (sheet, row from 1, column from 0).
type Marks = FxHashMap<(String, u64, usize), Mark>;

/// Marked columns by (sheet, row from 1).
type MarkedColumns = FxHashMap<(String, u64), Vec<usize>>;

/// The marked columns of each (sheet, row), so marks on cells the upload left empty are written too.
fn marked_columns(marks: &Marks) -> MarkedColumns {
    let mut by_row = MarkedColumns::default();
    for (sheet, row, column) in marks.keys() {
        by_row.entry((sheet.clone(), *row)).or_default().push(*column);
    }
    for columns in by_row.values_mut() {
        columns.sort_unstable();
    }
    by_row
}

/// Write one row of the upload, with its marks, including marks past its last value.
fn write_row(
    sheet: &mut Worksheet,
    sheet_name: &str,
    row: u64,
    cells: &[Input<'_>],
    marks: &Marks,
    by_row: &MarkedColumns,
    f: &Formats,
) -> Result<(), TabularError> {
    let r = to_u32(row - 1)?;
    let key = (sheet_name.to_string(), row);
    for (c, value) in cells.iter().enumerate() {
        let mark = marks.get(&(key.0.clone(), row, c));
        write_cell(sheet, r, u16::try_from(c).unwrap_or(u16::MAX), value, mark, f)?;
    }
    for &c in by_row.get(&key).map(Vec::as_slice).unwrap_or(&[]) {
        if c >= cells.len() {
            write_cell(
                sheet,
                r,
                u16::try_from(c).unwrap_or(u16::MAX),
                &Input::Empty,
                marks.get(&(key.0.clone(), row, c)),
                f,
            )?;
        }
    }
    Ok(())
}

/// Turn `A12` into (row 12, column 0).
fn parse_cell(cell: &str) -> Option<(u64, usize)> {
    let letters: String = cell.chars().take_while(char::is_ascii_alphabetic).collect();
    let row: u64 = cell[letters.len()..].parse().ok()?;
    let mut column = 0usize;
    for b in letters.bytes() {
        column = column * 26 + usize::from(b.to_ascii_uppercase() - b'A' + 1);
    }
    Some((row, column.checked_sub(1)?))
}

fn marks(report: &FileReport, csv_headers: &FxHashMap<String, usize>) -> Marks {
    let mut marks = Marks::default();
    for item in report.errors.iter().chain(&report.warnings) {
        let place = match (&item.cell, item.row) {
            (Some(cell), _) => {
                parse_cell(cell).map(|(r, c)| (item.sheet.clone().unwrap_or_else(|| CSV_SHEET.into()), r, c))
            }
            (None, Some(row)) => {
                let column =
                    item.column.as_ref().and_then(|h| csv_headers.get(&normalise(h)).copied()).unwrap_or(0);
                Some((item.sheet.clone().unwrap_or_else(|| CSV_SHEET.into()), row, column))
            }
            _ => None,
        };
        if let Some(place) = place {
            let mark = marks.entry(place).or_default();
            mark.error |= item.is_error();
            mark.messages.push(item.message.clone());
        }
    }
    marks
}

struct Formats {
    error: Format,
    warning: Format,
    error_date: Format,
    warning_date: Format,
    date: Format,
    header: Format,
    title: Format,
}

fn formats() -> Formats {
    let error = Format::new()
        .set_background_color(Color::RGB(0xF6D7D2))
        .set_border(FormatBorder::Thin)
        .set_border_color(Color::RGB(0xD4351C));
    let warning = Format::new()
        .set_background_color(Color::RGB(0xFFF2CC))
        .set_border(FormatBorder::Thin)
        .set_border_color(Color::RGB(0xB58105));
    Formats {
        error_date: error.clone().set_num_format("dd/mm/yyyy"),
        warning_date: warning.clone().set_num_format("dd/mm/yyyy"),
        error,
        warning,
        date: Format::new().set_num_format("dd/mm/yyyy"),
        header: Format::new().set_bold().set_background_color(Color::RGB(0xF3F2F1)),
        title: Format::new().set_bold().set_font_size(14),
    }
}

fn write_cell(
    sheet: &mut Worksheet,
    row: u32,
    col: u16,
    value: &Input<'_>,
    mark: Option<&Mark>,
    f: &Formats,
) -> Result<(), TabularError> {
    let highlight =
        mark.map(|m| if m.error { (&f.error, &f.error_date) } else { (&f.warning, &f.warning_date) });
    match (value, highlight) {
        (Input::Empty, None) => {}
        (Input::Empty, Some((fill, _))) => {
            sheet.write_blank(row, col, fill)?;
        }
        (Input::Number(n), h) => {
            let x = n.to_f64().unwrap_or(0.0);
            match h {
                Some((fill, _)) => sheet.write_number_with_format(row, col, x, fill)?,
                None => sheet.write_number(row, col, x)?,
            };
        }
        (Input::Date(d), h) => {
            sheet.write_datetime_with_format(row, col, d, h.map(|(_, date)| date).unwrap_or(&f.date))?;
        }
        (Input::Bool(b), h) => {
            match h {
                Some((fill, _)) => sheet.write_boolean_with_format(row, col, *b, fill)?,
                None => sheet.write_boolean(row, col, *b)?,
            };
        }
        (other, h) => {
            let text = match other {
                Input::Text(t) => t.to_string(),
                Input::Unusable(what) => format!("({what})"),
                _ => String::new(),
            };
            match h {
                Some((fill, _)) => sheet.write_string_with_format(row, col, text, fill)?,
                None => sheet.write_string(row, col, text)?,
            };
        }
    }
    if let Some(m) = mark {
        let text = m.messages.join("\n");
        let note =
            Note::new(text).set_author("formwork").add_author_prefix(false).set_width(360).set_height(120);
        sheet.insert_note(row, col, &note)?;
    }
    Ok(())
}

fn errors_sheet(
    workbook: &mut Workbook,
    report: &FileReport,
    name: &str,
    f: &Formats,
) -> Result<(), TabularError> {
    let sheet = workbook.add_worksheet();
    sheet.set_name(ERRORS_SHEET)?;
    let summary = format!(
        "{name}: {} error{} and {} warning{}",
        report.error_count,
        if report.error_count == 1 { "" } else { "s" },
        report.warning_count,
        if report.warning_count == 1 { "" } else { "s" }
    );
    sheet.write_string_with_format(0, 0, summary, &f.title)?;
    let headers = ["Severity", "Code", "Sheet", "Cell", "Row", "Column", "Message", "Path"];
    for (c, h) in headers.iter().enumerate() {
        sheet.write_string_with_format(2, c as u16, *h, &f.header)?;
    }
    for (c, w) in [10.0, 16.0, 18.0, 8.0, 8.0, 24.0, 90.0, 30.0].iter().enumerate() {
        sheet.set_column_width(c as u16, *w)?;
    }
    sheet.set_freeze_panes(3, 0)?;
    let mut row = 3u32;
    for item in report.errors.iter().chain(&report.warnings) {
        let severity = if item.severity == Severity::Error { "Error" } else { "Warning" };
        let fill = if item.severity == Severity::Error { &f.error } else { &f.warning };
        sheet.write_string_with_format(row, 0, severity, fill)?;
        sheet.write_string(row, 1, item.code.as_str())?;
        let sheet_name =
            item.sheet.clone().or_else(|| item.row.map(|_| CSV_SHEET.to_string())).unwrap_or_default();
        sheet.write_string(row, 2, sheet_name)?;
        sheet.write_string(row, 3, item.cell.clone().unwrap_or_default())?;
        if let Some(r) = item.row {
            sheet.write_number(row, 4, r as f64)?;
        }
        sheet.write_string(row, 5, item.column.clone().unwrap_or_default())?;
        sheet.write_string(row, 6, &item.message)?;
        sheet.write_string(row, 7, &item.path)?;
        row += 1;
    }
    let left = (report.error_count + report.warning_count)
        .saturating_sub(report.errors.len() + report.warnings.len());
    if left > 0 {
        sheet.write_string(row, 6, format!("… and {left} more, not listed"))?;
    }
    Ok(())
}

fn to_u32(n: u64) -> Result<u32, TabularError> {
    u32::try_from(n)
        .map_err(|_| TabularError::Unsupported("the file has more rows than a workbook can hold".into()))
}

/// Write the report of validating `source` (described by `report`; `name` is the file's name)
/// to `out`.
pub fn write<R: Read + Seek, W: Write + Seek + Send>(
    source: Source<R>,
    report: &FileReport,
    name: &str,
    limits: &Limits,
    out: W,
) -> Result<(), TabularError> {
    let f = formats();
    let mut workbook = Workbook::new();
    errors_sheet(&mut workbook, report, name, &f)?;
    match source {
        Source::Csv(input) => {
            let mut reader = CsvReader::new(input, limits);
            let sheet = workbook.add_worksheet_with_constant_memory()?;
            sheet.set_name(CSV_SHEET)?;
            sheet.set_freeze_panes(1, 0)?;
            let mut marked: Option<(Marks, MarkedColumns)> = None;
            while let Ok(Some(record)) = reader.next_record() {
                let Some((marks, by_row)) = &marked else {
                    // The header row: it decides which column a header names.
                    let mut headers: FxHashMap<String, usize> = FxHashMap::default();
                    let row = to_u32(record.row - 1)?;
                    for (i, h) in record.fields.iter().enumerate() {
                        headers.entry(normalise(h)).or_insert(i);
                        sheet.write_string_with_format(
                            row,
                            u16::try_from(i).unwrap_or(u16::MAX),
                            *h,
                            &f.header,
                        )?;
                    }
                    let m = marks(report, &headers);
                    let b = marked_columns(&m);
                    marked = Some((m, b));
                    continue;
                };
                let cells: Vec<Input<'_>> =
                    record.fields.iter().map(|t| Input::Text(std::borrow::Cow::Borrowed(*t))).collect();
                write_row(sheet, CSV_SHEET, record.row, &cells, marks, by_row, &f)?;
            }
        }
        Source::Xlsx(input) => {
            let marks = marks(report, &FxHashMap::default());
            let by_row = marked_columns(&marks);
            let mut wb = match crate::xlsx::open(input, limits) {
                Ok(wb) => wb,
                // An unreadable workbook has only the errors sheet.
                Err(_) => {
                    workbook.save_to_writer(out)?;
                    return Ok(());
                }
            };
            let sheets = wb.sheets.clone();
            for (name, visible) in sheets {
                let sheet = workbook.add_worksheet_with_constant_memory()?;
                sheet.set_name(&name)?;
                if !visible || name == META_SHEET || name == LISTS_SHEET {
                    if name == META_SHEET {
                        sheet.set_very_hidden(true);
                    } else {
                        sheet.set_hidden(true);
                    }
                }
                let mut failure: Option<TabularError> = None;
                let _ = wb.rows(&name, limits, |r, cells| {
                    match write_row(sheet, &name, r, cells, &marks, &by_row, &f) {
                        Ok(()) => ControlFlow::Continue(()),
                        Err(e) => {
                            failure = Some(e);
                            ControlFlow::Break(())
                        }
                    }
                });
                if let Some(e) = failure {
                    return Err(e);
                }
            }
            if let Some(ws) = workbook.worksheets_mut().first_mut() {
                ws.set_active(true);
            }
        }
    }
    workbook.save_to_writer(out)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    use crate::columns::column_letters;

    #[test]
    fn cells_parse_to_rows_and_columns() {
        assert_eq!(parse_cell("A1"), Some((1, 0)));
        assert_eq!(parse_cell("C5"), Some((5, 2)));
        assert_eq!(parse_cell("AA10"), Some((10, 26)));
        assert_eq!(parse_cell(&format!("{}7", column_letters(700))), Some((7, 700)));
        assert_eq!(parse_cell("5"), None);
    }
}
