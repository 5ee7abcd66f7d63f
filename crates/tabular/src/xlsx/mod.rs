//! Reading XLSX workbooks: check the file before opening it, then stream its sheets a cell at a
//! time.
//!
//! Before calamine expands anything, every part of the zip is inflated once into nothing, with a
//! cap: a part that inflates past its declared size, a part that expands more than
//! [`Limits::max_zip_ratio`] times, or parts that total more than [`Limits::max_unzipped_bytes`]
//! refuse the file. calamine then holds only the shared strings and styles; sheets stream.

use std::borrow::Cow;
use std::io::{Read, Seek, SeekFrom};
use std::ops::ControlFlow;

use calamine::{DataRef, Reader, SheetVisible, Xlsx};
use formwork_definition::validate::Input;
use formwork_definition::validate::convert::decimal_from_f64;

use crate::layout::META_SHEET;
use crate::{Limits, Refusal, refuse};

/// An opened workbook.
pub struct Workbook<R: Read + Seek> {
    xlsx: Xlsx<R>,
    /// Sheet names in order, with whether each is visible.
    pub sheets: Vec<(String, bool)>,
}

/// What a workbook's hidden `formwork` sheet says it is.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Identity {
    /// The collection it is a template of.
    pub collection: String,
    /// The version.
    pub version: u32,
    /// Its sheets and what they hold (`questions`, `records`, `table:ID`).
    pub sheets: Vec<(String, String)>,
}

/// Say what a file is when it is plainly not an XLSX workbook.
fn not_xlsx(head: &[u8]) -> Option<&'static str> {
    if head.starts_with(b"PK\x03\x04") || head.starts_with(b"PK\x05\x06") {
        return None;
    }
    Some(if head.starts_with(b"%PDF") {
        "This is a PDF, not a spreadsheet: upload the XLSX workbook (download the template if you need one)"
    } else if head.starts_with(b"\xd0\xcf\x11\xe0") {
        "This is an old Excel (.xls) workbook or a password-protected one: remove any password and save it as an Excel Workbook (.xlsx)"
    } else if head.is_empty() {
        "The file is empty"
    } else if head.iter().all(|b| b.is_ascii_graphic() || b.is_ascii_whitespace() || *b >= 0x80) {
        "This looks like a text or CSV file, not an XLSX workbook: upload it as CSV, or open it in a spreadsheet and save it as .xlsx"
    } else {
        "This is not an XLSX workbook: open it in a spreadsheet and save it as an Excel Workbook (.xlsx)"
    })
}

const DAMAGED: &str = "The workbook cannot be read: it may be damaged or only partly uploaded. Open it in a spreadsheet, save it as .xlsx and upload it again";

/// Inflate every part once, into nothing, within the limits.
fn check_zip<R: Read + Seek>(reader: &mut R, limits: &Limits) -> Result<(), Refusal> {
    let mut zip = zip::ZipArchive::new(&mut *reader).map_err(|_| refuse(DAMAGED))?;
    if zip.len() > 10_000 {
        return Err(refuse("The workbook has too many parts to be a spreadsheet of data"));
    }
    let mut declared_total: u64 = 0;
    for i in 0..zip.len() {
        let part = zip.by_index_raw(i).map_err(|_| refuse(DAMAGED))?;
        let (size, compressed) = (part.size(), part.compressed_size().max(1));
        declared_total = declared_total.saturating_add(size);
        if size / compressed > limits.max_zip_ratio && size > 1 << 20 {
            return Err(refuse(format!(
                "The workbook's part “{}” would expand {} times when opened, far more than spreadsheet data does; it is refused to protect the service",
                part.name().map(|n| n.to_string()).unwrap_or_default(),
                size / compressed
            )));
        }
    }
    if declared_total > limits.max_unzipped_bytes {
        return Err(refuse(format!(
            "The workbook holds {} MB of data once opened; the most accepted is {} MB. Split it into smaller files",
            declared_total >> 20,
            limits.max_unzipped_bytes >> 20
        )));
    }
    let mut total: u64 = 0;
    for i in 0..zip.len() {
        let mut part = zip.by_index(i).map_err(|_| refuse(DAMAGED))?;
        let declared = part.size();
        let n = std::io::copy(&mut (&mut part).take(declared.saturating_add(1)), &mut std::io::sink())
            .map_err(|_| refuse(DAMAGED))?;
        if n > declared {
            return Err(refuse(
                "The workbook's parts are larger than it says they are; it is refused to protect the service",
            ));
        }
        total += n;
        if total > limits.max_unzipped_bytes {
            return Err(refuse("The workbook holds too much data once opened. Split it into smaller files"));
        }
    }
    Ok(())
}

/// Open a workbook, refusing with a `file` item anything that is not a readable XLSX within the
/// limits.
pub fn open<R: Read + Seek>(mut reader: R, limits: &Limits) -> Result<Workbook<R>, Refusal> {
    let mut head = [0u8; 8];
    let n = read_up_to(&mut reader, &mut head).map_err(|_| refuse(DAMAGED))?;
    if let Some(what) = not_xlsx(&head[..n]) {
        return Err(refuse(what));
    }
    let size = reader.seek(SeekFrom::End(0)).map_err(|_| refuse(DAMAGED))?;
    if size > limits.max_bytes {
        return Err(refuse(format!(
            "The file is {} MB; the most accepted is {} MB. Split it into smaller files",
            size >> 20,
            limits.max_bytes >> 20
        )));
    }
    reader.seek(SeekFrom::Start(0)).map_err(|_| refuse(DAMAGED))?;
    check_zip(&mut reader, limits)?;
    reader.seek(SeekFrom::Start(0)).map_err(|_| refuse(DAMAGED))?;
    let xlsx = Xlsx::new(reader).map_err(|e| match e {
        calamine::XlsxError::Password => {
            refuse("The workbook is protected by a password: remove the password and upload it again")
        }
        _ => refuse(DAMAGED),
    })?;
    let sheets =
        xlsx.sheets_metadata().iter().map(|s| (s.name.clone(), s.visible == SheetVisible::Visible)).collect();
    Ok(Workbook { xlsx, sheets })
}

fn read_up_to<R: Read>(reader: &mut R, buf: &mut [u8]) -> std::io::Result<usize> {
    let mut filled = 0;
    while filled < buf.len() {
        match reader.read(&mut buf[filled..])? {
            0 => break,
            n => filled += n,
        }
    }
    Ok(filled)
}

/// A cell as an answer input: numbers exactly as shown, date cells as dates.
fn input<'a>(cell: DataRef<'a>) -> Input<'a> {
    match cell {
        DataRef::Empty => Input::Empty,
        DataRef::SharedString(s) => Input::Text(Cow::Borrowed(s)),
        DataRef::String(s) => Input::Text(Cow::Owned(s)),
        DataRef::Int(i) => Input::Number(i.into()),
        DataRef::Float(f) => decimal_from_f64(f)
            .map(Input::Number)
            .unwrap_or(Input::Unusable("a number too large to hold exactly")),
        DataRef::Bool(b) => Input::Bool(b),
        DataRef::DateTime(dt) => match dt.as_datetime() {
            Some(d) if !dt.is_duration() => Input::Date(d.date()),
            _ => Input::Unusable("a time or duration"),
        },
        DataRef::DateTimeIso(s) => {
            match chrono::NaiveDate::parse_from_str(s.get(..10).unwrap_or(&s), "%Y-%m-%d") {
                Ok(d) => Input::Date(d),
                Err(_) => Input::Text(Cow::Owned(s)),
            }
        }
        DataRef::DurationIso(_) => Input::Unusable("a duration"),
        DataRef::Error(_) => Input::Unusable("a spreadsheet error such as #N/A or #VALUE!"),
    }
}

/// Whether a number format shows its value as a percentage (`0%`, `0.0%`, `#,##0.00%;[Red]-0%`): a
/// `%` in its first section outside quotes, brackets and escapes. Excel keeps `12.5%` typed into a
/// cell as 0.125 with such a format, so reading the bare number would be a hundred times too small.
fn is_percent_format(code: &str) -> bool {
    let (mut quoted, mut bracketed, mut escaped) = (false, false, false);
    for c in code.chars() {
        if escaped {
            escaped = false;
            continue;
        }
        match c {
            '"' => quoted = !quoted,
            _ if quoted => {}
            '[' => bracketed = true,
            ']' => bracketed = false,
            _ if bracketed => {}
            '\\' | '_' | '*' => escaped = true,
            ';' => return false,
            '%' => return true,
            _ => {}
        }
    }
    false
}

/// A number in a percentage-formatted cell, as the person sees it: 0.125 is `12.5%`. A percentage
/// question reads that as 12.5; any other number question refuses it rather than take 0.125.
fn as_percent(value: Input<'_>) -> Input<'_> {
    match value {
        Input::Number(n) => match n.checked_mul(rust_decimal::Decimal::ONE_HUNDRED) {
            Some(shown) => Input::Text(Cow::Owned(format!("{}%", shown.normalize()))),
            None => Input::Unusable("a percentage too large to hold exactly"),
        },
        other => other,
    }
}

impl<R: Read + Seek> Workbook<R> {
    /// Call `row` with each row of `sheet` that has a value (its row number from 1, and its cells
    /// from column A), until it breaks. Rows beyond [`Limits::max_columns`] wide or cells beyond
    /// [`Limits::max_row_bytes`] are refused.
    pub fn rows(
        &mut self,
        sheet: &str,
        limits: &Limits,
        mut row: impl FnMut(u64, &mut [Input<'_>]) -> ControlFlow<()>,
    ) -> Result<(), Refusal> {
        let mut cells = self.xlsx.worksheet_cells_reader(sheet).map_err(|_| refuse(DAMAGED))?;
        // Which of the workbook's styles (by the cells' `s` index) show numbers as percentages.
        let percent: Vec<bool> = cells
            .styles()
            .iter()
            .map(|s| s.number_format.as_ref().is_some_and(|f| is_percent_format(&f.format_code)))
            .collect();
        let mut current: Vec<Input<'_>> = Vec::new();
        let mut current_row: Option<u32> = None;
        loop {
            let (cell, style) = match cells.next_cell_with_style_id() {
                Ok(Some(cell)) => cell,
                Ok(None) => break,
                Err(_) => return Err(refuse(DAMAGED)),
            };
            let (r, c) = cell.get_position();
            if current_row != Some(r) {
                if let Some(done) = current_row
                    && current.iter().any(|i| !i.is_empty())
                    && row(u64::from(done) + 1, &mut current).is_break()
                {
                    return Ok(());
                }
                current.clear();
                current_row = Some(r);
            }
            let c = c as usize;
            if c >= limits.max_columns {
                if matches!(cell.get_value(), DataRef::Empty) {
                    continue;
                }
                return Err(refuse(format!(
                    "Sheet “{sheet}” has a value in column {} of row {}; formwork reads at most {} columns",
                    crate::column_letters(c),
                    r + 1,
                    limits.max_columns
                )));
            }
            let mut value = input(cell.get_value().clone());
            if percent.get(style) == Some(&true) {
                value = as_percent(value);
            }
            if let Input::Text(t) = &value
                && t.len() > limits.max_row_bytes
            {
                return Err(refuse(format!(
                    "Cell {}{} of sheet “{sheet}” holds more than {} MB of text",
                    crate::column_letters(c),
                    r + 1,
                    limits.max_row_bytes >> 20
                )));
            }
            if current.len() <= c {
                current.resize(c + 1, Input::Empty);
            }
            current[c] = value;
        }
        if let Some(done) = current_row
            && current.iter().any(|i| !i.is_empty())
        {
            let _ = row(u64::from(done) + 1, &mut current);
        }
        Ok(())
    }

    /// What the hidden `formwork` sheet says, if the workbook has one.
    pub fn identity(&mut self, limits: &Limits) -> Option<Identity> {
        if !self.sheets.iter().any(|(name, _)| name == META_SHEET) {
            return None;
        }
        let mut identity = Identity::default();
        let mut found = false;
        let result = self.rows(META_SHEET, limits, |_, cells| {
            let text = |i: usize| match cells.get(i) {
                Some(Input::Text(t)) => t.trim().to_string(),
                Some(Input::Number(n)) => n.normalize().to_string(),
                _ => String::new(),
            };
            match text(0).as_str() {
                "collection" => {
                    identity.collection = text(1);
                    found = true;
                }
                "version" => identity.version = text(1).parse().unwrap_or(0),
                "sheet" => identity.sheets.push((text(1), text(2))),
                _ => {}
            }
            ControlFlow::Continue(())
        });
        (result.is_ok() && found).then_some(identity)
    }
}

#[cfg(test)]
mod format_tests {
    use super::is_percent_format;

    #[test]
    fn percent_formats_are_told_from_formats_that_only_print_a_sign() {
        for code in ["0%", "0.00%", "#,##0.0%;[Red]-#,##0.0%", "[Blue]0%", "%0"] {
            assert!(is_percent_format(code), "{code}");
        }
        for code in ["General", "0.0", r#"0.0"%""#, r"0.0\%", "0_%", "[$%-409]0.0", "0;-0%", "dd/mm/yyyy", ""]
        {
            assert!(!is_percent_format(code), "{code}");
        }
    }
}
