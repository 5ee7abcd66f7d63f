//! XLSX, written as a stream: a workbook is a zip of XML parts, and each sheet's XML is written a
//! row at a time (inline strings, no shared strings table). The first sheet goes straight into
//! the zip; the others are spooled to temporary files and copied in at the end, followed by the
//! parts that list the sheets (only known then: a sheet that reaches Excel's 1,048,576 rows goes
//! on in a new sheet, "Name (2)").
//!
//! A log has one sheet, "Records", laid out like its upload template (metadata columns first); a
//! return has a sheet for each section of questions (the first with all the metadata, the others
//! with `_id`, `_reference`, `_organisation` and `_period`) and one for each table. A "Dictionary"
//! sheet comes last. Numbers are number cells (money with its currency's format), dates date
//! cells, yes/no booleans, timestamps date-times; the header row is bold and frozen.

use std::fs::File;
use std::io::{Seek, SeekFrom, Write};
use std::sync::Arc;

use zip::ZipWriter;
use zip::write::StreamWriter;

use crate::answers::Span;
use crate::cells::{Cell, Scratch, cell};
use formwork_definition::Kind;

use crate::plan::{MetaColumn, Plan, ValueType};
use crate::source::{MetaValue, Source, meta_value};
use crate::values::push_digits;
use crate::zipped::{sheet_entry, small_entry, spool};

mod xml;

use crate::{Choices, ExportError, ExportWriter, FileSummary, Headers, Meta, Options, Output, Summary};
use xml::{ROOT_RELS, content_types, letters, sheet_name, workbook, workbook_rels, xml_text};

/// Most data rows on one sheet: Excel's 1,048,576 rows less the header.
const SHEET_ROWS: u32 = 1_048_575;
/// A sheet goes on in a new sheet before its XML reaches this size, so that its zip entry stays
/// under 4 GiB (see [`sheet_entry`]).
const SHEET_BYTES: u64 = 0xF000_0000;
/// Most characters Excel keeps in a cell.
const CELL_CHARS: usize = 32_767;
/// A sheet's XML is handed on once this many bytes are buffered.
const FLUSH_AT: usize = 64 * 1024;
/// Days from Excel's day 0 (1899-12-30) to 1970-01-01.
const EXCEL_EPOCH: i64 = 25_569;
/// The first day Excel counts correctly (1900-03-01; before it, its 1900 leap-year bug).
const FIRST_EXCEL_DAY: i64 = 61;

/// Cell styles (indexes into `cellXfs` of the styles part).
const STYLE_HEADER: u32 = 1;
const STYLE_DATE: u32 = 2;
const STYLE_DATETIME: u32 = 3;
/// The first money style; one per currency symbol.
const STYLE_MONEY: u32 = 4;

/// The metadata on every section sheet of a return after the first.
const SECTION_META: &[MetaColumn] =
    &[MetaColumn::Id, MetaColumn::Reference, MetaColumn::Organisation, MetaColumn::Period];

const NS_MAIN: &str = "http://schemas.openxmlformats.org/spreadsheetml/2006/main";
const NS_REL: &str = "http://schemas.openxmlformats.org/officeDocument/2006/relationships";

/// One sheet as written to the file (a long sheet is several).
struct Physical {
    name: String,
    /// Its part's number: `xl/worksheets/sheet{number}.xml`.
    number: usize,
    /// Data rows written.
    rows: u32,
    /// Bytes of XML handed on.
    bytes: u64,
    buf: Vec<u8>,
    /// Its temporary file; `None` for a sheet going straight into the zip.
    spool: Option<File>,
}

/// A sheet of the workbook's layout: which part's rows and which of its columns.
struct Sheet {
    title: String,
    part: usize,
    meta: &'static [MetaColumn],
    /// Column indexes of the part.
    columns: Vec<usize>,
    /// Each column's cell reference letters, metadata first.
    letters: Vec<Vec<u8>>,
    /// Each column's header text, metadata first.
    headers: Vec<String>,
    /// Each question column's number style (0 for none).
    styles: Vec<u32>,
    /// Each column's width, metadata first.
    widths: Vec<f64>,
    current: Physical,
    done: Vec<Physical>,
    rows: u64,
}

/// The zip being written and what names its sheets.
struct Book<W: Write> {
    zip: ZipWriter<StreamWriter<W>>,
    /// Sheet names taken, lower-cased.
    taken: Vec<String>,
    /// The last sheet part number used.
    numbers: usize,
    /// Most data rows on one sheet.
    max_rows: u32,
    /// A sheet goes on in a new one once its XML reaches this size.
    max_bytes: u64,
}

impl<W: Write> Book<W> {
    /// A new sheet in the file: straight into the zip, or spooled.
    fn physical(&mut self, title: &str, into_zip: bool) -> Result<Physical, ExportError> {
        self.numbers += 1;
        let number = self.numbers;
        let spool = if into_zip {
            self.zip.start_file(sheet_path(number), sheet_entry())?;
            None
        } else {
            Some(spool()?)
        };
        Ok(Physical {
            name: sheet_name(title, &mut self.taken),
            number,
            rows: 0,
            bytes: 0,
            buf: Vec::with_capacity(FLUSH_AT + 8192),
            spool,
        })
    }

    /// Go on in a new sheet when `sheet`'s current one is full.
    fn make_room(&mut self, sheet: &mut Sheet) -> Result<(), ExportError> {
        let current = &sheet.current;
        let full = current.rows >= self.max_rows
            || (current.rows > 0 && current.bytes + (current.buf.len() as u64) >= self.max_bytes);
        if !full {
            return Ok(());
        }
        end_sheet(&mut sheet.current.buf);
        drain(&mut sheet.current, &mut self.zip, true)?;
        let next = self.physical(&sheet.title, sheet.current.spool.is_none())?;
        let full = std::mem::replace(&mut sheet.current, next);
        sheet.done.push(full);
        start_sheet(sheet, false);
        Ok(())
    }
}

fn sheet_path(number: usize) -> String {
    format!("xl/worksheets/sheet{number}.xml")
}

/// The XLSX writer.
pub(crate) struct XlsxWriter<W: Write + Send> {
    plan: Arc<Plan>,
    source: Source,
    choices: Choices,
    output: Output,
    scratch: Scratch,
    sheets: Vec<Sheet>,
    book: Book<W>,
    /// Currency symbols of money formats, in style order.
    currencies: Vec<String>,
}

impl<W: Write + Send> XlsxWriter<W> {
    pub fn new(
        source: Source,
        options: Options,
        output: Output,
        out: W,
    ) -> Result<XlsxWriter<W>, ExportError> {
        XlsxWriter::with_limits(source, options, output, out, (SHEET_ROWS, SHEET_BYTES))
    }

    /// A writer whose sheets go on in a new sheet after `limits` (rows, bytes).
    fn with_limits(
        source: Source,
        options: Options,
        output: Output,
        out: W,
        (max_rows, max_bytes): (u32, u64),
    ) -> Result<XlsxWriter<W>, ExportError> {
        let plan = Arc::clone(&source.plan);
        let mut currencies: Vec<String> = Vec::new();
        for column in plan.parts().iter().flat_map(|p| &p.columns) {
            if let Some(c) = &column.currency
                && !currencies.contains(&c.symbol)
            {
                currencies.push(c.symbol.clone());
            }
        }
        let book = Book {
            zip: ZipWriter::new_stream(out),
            taken: Vec::new(),
            numbers: 0,
            max_rows: max_rows.max(1),
            max_bytes,
        };
        let mut writer = XlsxWriter {
            source,
            choices: options.choices,
            output,
            scratch: Scratch::default(),
            sheets: Vec::new(),
            book,
            currencies,
            plan,
        };
        for (title, part, meta, columns) in layout(&writer.plan, writer.source.only) {
            let sheet = writer.sheet(title, part, meta, columns, options.headers)?;
            writer.sheets.push(sheet);
        }
        // The first sheet's header goes out at once; the others wait in their spools.
        for sheet in &mut writer.sheets {
            drain(&mut sheet.current, &mut writer.book.zip, true)?;
        }
        writer.book.zip.flush()?;
        Ok(writer)
    }

    fn sheet(
        &mut self,
        title: String,
        part: usize,
        meta: &'static [MetaColumn],
        columns: Vec<usize>,
        headers: Headers,
    ) -> Result<Sheet, ExportError> {
        let p = &self.plan.parts()[part];
        let count = meta.len() + columns.len();
        let mut header_texts: Vec<String> = meta.iter().map(|m| m.name().to_string()).collect();
        let mut widths: Vec<f64> = meta
            .iter()
            .map(|m| match m {
                MetaColumn::SubmittedAt | MetaColumn::UpdatedAt => 20.0,
                MetaColumn::Version | MetaColumn::Row => 9.0,
                _ => 16.0,
            })
            .collect();
        let mut styles = Vec::with_capacity(columns.len());
        for c in &columns {
            let column = &p.columns[*c];
            header_texts.push(match headers {
                Headers::Ids => column.id.clone(),
                Headers::Labels => column.label.clone(),
            });
            widths.push(match column.value {
                ValueType::Date => 12.0,
                ValueType::YesNo => 8.0,
                v if v.is_number() => 14.0,
                _ => 20.0,
            });
            styles.push(match (column.value, &column.currency) {
                (ValueType::Money, Some(currency)) => {
                    STYLE_MONEY
                        + self.currencies.iter().position(|s| *s == currency.symbol).unwrap_or(0) as u32
                }
                (ValueType::Date, _) => STYLE_DATE,
                _ => 0,
            });
        }
        let first = self.sheets.is_empty();
        let current = self.book.physical(&title, first)?;
        let mut sheet = Sheet {
            title,
            part,
            meta,
            columns,
            letters: (0..count).map(letters).collect(),
            headers: header_texts,
            styles,
            widths,
            current,
            done: Vec::new(),
            rows: 0,
        };
        start_sheet(&mut sheet, first);
        Ok(sheet)
    }

    /// The dictionary sheet: each sheet's columns, labels and types.
    fn dictionary(&self, name: &str) -> Vec<u8> {
        let mut sheet = Sheet {
            title: name.to_string(),
            part: 0,
            meta: &[],
            columns: Vec::new(),
            letters: (0..4).map(letters).collect(),
            headers: ["Sheet", "Column", "Label", "Type"].iter().map(|h| h.to_string()).collect(),
            styles: Vec::new(),
            widths: vec![24.0, 24.0, 50.0, 24.0],
            current: Physical {
                name: name.to_string(),
                number: 0,
                rows: 0,
                bytes: 0,
                buf: Vec::new(),
                spool: None,
            },
            done: Vec::new(),
            rows: 0,
        };
        start_sheet(&mut sheet, false);
        let mut out = std::mem::take(&mut sheet.current.buf);
        let mut r = 1;
        for s in &self.sheets {
            let part = &self.plan.parts()[s.part];
            let names: Vec<&str> =
                s.done.iter().chain(std::iter::once(&s.current)).map(|p| p.name.as_str()).collect();
            let sheet_names = names.join(", ");
            let meta = s
                .meta
                .iter()
                .map(|m| (m.name().to_string(), m.label().to_string(), m.type_name().to_string()));
            let columns = s.columns.iter().map(|c| {
                let column = &part.columns[*c];
                (column.id.clone(), column.label.clone(), column.type_name())
            });
            for (id, label, ty) in meta.chain(columns) {
                r += 1;
                row_start(&mut out, r);
                for (i, text) in [sheet_names.as_str(), &id, &label, &ty].iter().enumerate() {
                    inline(&mut out, &sheet.letters[i], r, text, 0);
                }
                out.extend_from_slice(b"</row>");
            }
        }
        end_sheet(&mut out);
        out
    }
}

/// The workbook's sheets: (title, part, metadata, column indexes).
fn layout(plan: &Plan, only: Option<usize>) -> Vec<(String, usize, &'static [MetaColumn], Vec<usize>)> {
    let parts = plan.parts();
    let all = |p: usize| (0..parts[p].columns.len()).collect::<Vec<_>>();
    if let Some(p) = only {
        return vec![(parts[p].title.clone(), p, parts[p].meta, all(p))];
    }
    let mut sheets = Vec::new();
    match plan.kind() {
        Kind::Log => sheets.push(("Records".to_string(), 0, parts[0].meta, all(0))),
        Kind::Return => {
            let mut sections: Vec<(&str, &str, Vec<usize>)> = Vec::new();
            for (c, column) in parts[0].columns.iter().enumerate() {
                match sections.iter_mut().find(|(id, _, _)| *id == column.section) {
                    Some((_, _, columns)) => columns.push(c),
                    None => sections.push((&column.section, &column.section_title, vec![c])),
                }
            }
            if sections.is_empty() {
                sheets.push((parts[0].title.clone(), 0, parts[0].meta, Vec::new()));
            }
            for (i, (_, title, columns)) in sections.into_iter().enumerate() {
                let meta = if i == 0 { parts[0].meta } else { SECTION_META };
                sheets.push((title.to_string(), 0, meta, columns));
            }
        }
    }
    for (p, part) in parts.iter().enumerate().skip(1) {
        sheets.push((part.title.clone(), p, part.meta, all(p)));
    }
    sheets
}

/// Write the start of a sheet's XML and its header row into its current buffer.
fn start_sheet(sheet: &mut Sheet, selected: bool) {
    let out = &mut sheet.current.buf;
    let _ = write!(
        out,
        r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<worksheet xmlns="{NS_MAIN}" xmlns:r="{NS_REL}"><sheetViews><sheetView workbookViewId="0"{}><pane ySplit="1" topLeftCell="A2" activePane="bottomLeft" state="frozen"/><selection pane="bottomLeft"/></sheetView></sheetViews><sheetFormatPr defaultRowHeight="15"/><cols>"#,
        if selected { r#" tabSelected="1""# } else { "" }
    );
    for (i, width) in sheet.widths.iter().enumerate() {
        let _ = write!(out, r#"<col min="{0}" max="{0}" width="{width}" customWidth="1"/>"#, i + 1);
    }
    out.extend_from_slice(b"</cols><sheetData>");
    row_start(out, 1);
    for (letters, text) in sheet.letters.iter().zip(&sheet.headers) {
        inline(out, letters, 1, text, STYLE_HEADER);
    }
    out.extend_from_slice(b"</row>");
}

fn end_sheet(out: &mut Vec<u8>) {
    out.extend_from_slice(b"</sheetData></worksheet>");
}

/// Hand a sheet's buffered XML to its spool or the zip, once there is enough (or always).
fn drain(physical: &mut Physical, zip: &mut impl Write, all: bool) -> Result<(), ExportError> {
    if all || physical.buf.len() >= FLUSH_AT {
        match &mut physical.spool {
            Some(file) => file.write_all(&physical.buf)?,
            None => zip.write_all(&physical.buf)?,
        }
        physical.bytes += physical.buf.len() as u64;
        physical.buf.clear();
    }
    Ok(())
}

fn row_start(out: &mut Vec<u8>, r: u32) {
    out.extend_from_slice(b"<row r=\"");
    push_digits(out, u64::from(r), 1);
    out.extend_from_slice(b"\">");
}

/// `<c r="B2"` with ` s="n"` for a style.
fn cell_start(out: &mut Vec<u8>, letters: &[u8], r: u32, style: u32) {
    out.extend_from_slice(b"<c r=\"");
    out.extend_from_slice(letters);
    push_digits(out, u64::from(r), 1);
    out.push(b'"');
    if style != 0 {
        out.extend_from_slice(b" s=\"");
        push_digits(out, u64::from(style), 1);
        out.push(b'"');
    }
}

fn inline(out: &mut Vec<u8>, letters: &[u8], r: u32, text: &str, style: u32) {
    cell_start(out, letters, r, style);
    let spaced = text.starts_with(char::is_whitespace) || text.ends_with(char::is_whitespace);
    out.extend_from_slice(if spaced {
        br#" t="inlineStr"><is><t xml:space="preserve">"#.as_slice()
    } else {
        br#" t="inlineStr"><is><t>"#.as_slice()
    });
    xml_text(out, text);
    out.extend_from_slice(b"</t></is></c>");
}

fn number(out: &mut Vec<u8>, letters: &[u8], r: u32, text: &[u8], style: u32) {
    cell_start(out, letters, r, style);
    out.extend_from_slice(b"><v>");
    out.extend_from_slice(text);
    out.extend_from_slice(b"</v></c>");
}

/// One data row of `sheet`.
#[expect(clippy::too_many_arguments, reason = "the row's parts are all needed and differ in kind")]
fn write_row(
    sheet: &mut Sheet,
    plan: &Plan,
    meta: &Meta<'_>,
    number_in_table: usize,
    answers: &str,
    cells: &[Option<Span>],
    choices: Choices,
    scratch: &mut Scratch,
) {
    let r = sheet.current.rows + 2;
    let out = &mut sheet.current.buf;
    row_start(out, r);
    let mut digits = Vec::new();
    for (i, m) in sheet.meta.iter().enumerate() {
        let letters = &sheet.letters[i];
        match meta_value(*m, meta, number_in_table) {
            MetaValue::Empty => {}
            MetaValue::Text(t) => inline(out, letters, r, t, 0),
            MetaValue::Int(n) => {
                digits.clear();
                crate::values::push_int(&mut digits, n);
                number(out, letters, r, &digits, 0);
            }
            MetaValue::Timestamp(ms) => {
                let days = ms as f64 / 86_400_000.0 + EXCEL_EPOCH as f64;
                if days >= FIRST_EXCEL_DAY as f64 {
                    digits.clear();
                    let _ = write!(digits, "{days}");
                    number(out, letters, r, &digits, STYLE_DATETIME);
                } else {
                    digits.clear();
                    crate::values::write_timestamp(ms, &mut digits);
                    inline(out, letters, r, std::str::from_utf8(&digits).unwrap_or_default(), 0);
                }
            }
        }
    }
    let part = &plan.parts()[sheet.part];
    let offset = sheet.meta.len();
    for (j, c) in sheet.columns.iter().enumerate() {
        let letters = &sheet.letters[offset + j];
        let column = &part.columns[*c];
        match cell(column, choices, answers, cells.get(*c).copied().flatten(), scratch) {
            Cell::Empty => {}
            Cell::Number(n) => number(out, letters, r, n.as_bytes(), sheet.styles[j]),
            Cell::Date(text, days) => {
                let serial = i64::from(days) + EXCEL_EPOCH;
                if serial >= FIRST_EXCEL_DAY {
                    digits.clear();
                    crate::values::push_int(&mut digits, serial);
                    number(out, letters, r, &digits, STYLE_DATE);
                } else {
                    inline(out, letters, r, text, 0);
                }
            }
            Cell::Bool(b) => {
                cell_start(out, letters, r, 0);
                out.extend_from_slice(if b { br#" t="b"><v>1</v></c>"# } else { br#" t="b"><v>0</v></c>"# });
            }
            Cell::Known(t) | Cell::Typed(t) => inline(out, letters, r, t, 0),
        }
    }
    out.extend_from_slice(b"</row>");
    sheet.current.rows += 1;
    sheet.rows += 1;
}

impl<W: Write + Send> ExportWriter for XlsxWriter<W> {
    fn write(&mut self, meta: &Meta<'_>, answers: &str) -> Result<(), ExportError> {
        self.source.read(meta, answers)?;
        let XlsxWriter { plan, source, choices, scratch, sheets, book, .. } = self;
        for sheet in sheets.iter_mut() {
            if sheet.part == 0 {
                book.make_room(sheet)?;
                write_row(sheet, plan, meta, 0, answers, &source.decoded.main, *choices, scratch);
                drain(&mut sheet.current, &mut book.zip, false)?;
            } else {
                source.rows(sheet.part, meta, answers, |r, cells| {
                    book.make_room(sheet)?;
                    write_row(sheet, plan, meta, r, answers, cells, *choices, scratch);
                    drain(&mut sheet.current, &mut book.zip, false)
                })?;
            }
        }
        Ok(())
    }

    fn flush(&mut self) -> Result<(), ExportError> {
        if let Some(first) = self.sheets.first_mut() {
            drain(&mut first.current, &mut self.book.zip, true)?;
        }
        self.book.zip.flush()?;
        Ok(())
    }

    fn finish(mut self: Box<Self>) -> Result<Summary, ExportError> {
        let zip = &mut self.book.zip;
        for sheet in &mut self.sheets {
            end_sheet(&mut sheet.current.buf);
            drain(&mut sheet.current, zip, true)?;
        }
        for sheet in &mut self.sheets {
            for physical in sheet.done.iter_mut().chain(std::iter::once(&mut sheet.current)) {
                if let Some(file) = &mut physical.spool {
                    file.flush()?;
                    file.seek(SeekFrom::Start(0))?;
                    zip.start_file(sheet_path(physical.number), sheet_entry())?;
                    std::io::copy(&mut std::io::BufReader::with_capacity(1 << 16, file), zip)?;
                }
                physical.spool = None;
            }
        }
        let dictionary_name = sheet_name("Dictionary", &mut self.book.taken);
        let dictionary_number = self.book.numbers + 1;
        let dictionary = self.dictionary(&dictionary_name);
        let styles = xml::styles(&self.currencies);
        let mut names: Vec<(String, usize)> = self
            .sheets
            .iter()
            .flat_map(|s| s.done.iter().chain(std::iter::once(&s.current)))
            .map(|p| (p.name.clone(), p.number))
            .collect();
        names.push((dictionary_name, dictionary_number));

        let zip = &mut self.book.zip;
        zip.start_file(sheet_path(dictionary_number), small_entry())?;
        zip.write_all(&dictionary)?;
        zip.start_file("xl/styles.xml", small_entry())?;
        zip.write_all(&styles)?;
        zip.start_file("xl/workbook.xml", small_entry())?;
        zip.write_all(&workbook(&names))?;
        zip.start_file("xl/_rels/workbook.xml.rels", small_entry())?;
        zip.write_all(&workbook_rels(&names))?;
        zip.start_file("_rels/.rels", small_entry())?;
        zip.write_all(ROOT_RELS.as_bytes())?;
        zip.start_file("[Content_Types].xml", small_entry())?;
        zip.write_all(&content_types(&names))?;

        let XlsxWriter { plan, sheets, book, output, .. } = *self;
        let mut out = book.zip.finish()?.into_inner();
        out.flush()?;
        let files = sheets
            .iter()
            .map(|s| FileSummary {
                name: s.done.first().unwrap_or(&s.current).name.clone(),
                table: plan.parts()[s.part].table.clone(),
                rows: s.rows,
            })
            .collect();
        Ok(Summary { file_name: output.file_name, files })
    }
}

#[cfg(test)]
mod tests;
