//! CSV: UTF-8 with a byte order mark, CRLF line ends and RFC 4180 quoting; a zip of one file per
//! part when the collection has tables (the main file streams into the zip; each table's file is
//! spooled and copied in at the end).

use std::fs::File;
use std::io::Write;
use std::sync::Arc;

use crate::answers::Span;
use crate::cells::{Cell, Scratch, cell};
use crate::plan::{Part, Plan, ValueType};
use crate::source::{MetaValue, Source, meta_value};
use crate::values::{push_int, write_timestamp};
use crate::zipped::{Sink, part_file, spool};
use crate::{
    Choices, Dictionary, ExportError, ExportWriter, FileSummary, Format, Headers, Meta, Options, Output,
    Summary,
};

/// A part's rows are handed on once this many bytes are buffered.
const FLUSH_AT: usize = 16 * 1024;

/// Bytes that make a field need quotes.
const NEEDS_QUOTES: [bool; 256] = {
    let mut t = [false; 256];
    t[b',' as usize] = true;
    t[b'"' as usize] = true;
    t[b'\r' as usize] = true;
    t[b'\n' as usize] = true;
    t
};

/// Bytes that stop a stored string being written as it is: quoting, or a JSON escape.
const PLAIN_NOT: [bool; 256] = {
    let mut t = NEEDS_QUOTES;
    t[b'\\' as usize] = true;
    t
};

/// What a spreadsheet runs as a formula when a cell starts with it.
const FORMULA_STARTS: [char; 6] = ['=', '+', '-', '@', '\t', '\r'];

/// Write one field, quoted if it needs to be. With `guard`, text a spreadsheet would run as a
/// formula (starting with `=`, `+`, `-`, `@`, a tab or a carriage return) is prefixed with `'`.
pub(crate) fn field(out: &mut Vec<u8>, text: &str, guard: bool) {
    let bytes = text.as_bytes();
    let prefix = guard && text.starts_with(FORMULA_STARTS);
    if !bytes.iter().any(|b| NEEDS_QUOTES[usize::from(*b)]) {
        if prefix {
            out.push(b'\'');
        }
        out.extend_from_slice(bytes);
        return;
    }
    out.push(b'"');
    if prefix {
        out.push(b'\'');
    }
    for (i, piece) in bytes.split(|b| *b == b'"').enumerate() {
        if i > 0 {
            out.extend_from_slice(b"\"\"");
        }
        out.extend_from_slice(piece);
    }
    out.push(b'"');
}

/// End a row.
pub(crate) fn end_row(out: &mut Vec<u8>) {
    out.extend_from_slice(b"\r\n");
}

/// The byte order mark and header row of a part.
fn header(part: &Part, headers: Headers, out: &mut Vec<u8>) {
    out.extend_from_slice(b"\xEF\xBB\xBF");
    let mut first = true;
    for meta in part.meta {
        if !std::mem::take(&mut first) {
            out.push(b',');
        }
        field(out, meta.name(), false);
    }
    for column in &part.columns {
        if !std::mem::take(&mut first) {
            out.push(b',');
        }
        match headers {
            Headers::Ids => field(out, &column.id, false),
            Headers::Labels => field(out, &column.label, true),
        }
    }
    end_row(out);
}

/// One row of a part: its metadata, then its cells (`cells` by column).
#[expect(clippy::too_many_arguments, reason = "the row's parts are all needed and differ in kind")]
fn row(
    out: &mut Vec<u8>,
    part: &Part,
    meta: &Meta<'_>,
    number: usize,
    answers: &str,
    cells: &[Option<Span>],
    choices: Choices,
    scratch: &mut Scratch,
) {
    let mut first = true;
    for column in part.meta {
        if !std::mem::take(&mut first) {
            out.push(b',');
        }
        match meta_value(*column, meta, number) {
            MetaValue::Empty => {}
            MetaValue::Text(t) => field(out, t, true),
            MetaValue::Int(n) => push_int(out, n),
            MetaValue::Timestamp(ms) => write_timestamp(ms, out),
        }
    }
    for (column, span) in part.columns.iter().zip(cells) {
        if !std::mem::take(&mut first) {
            out.push(b',');
        }
        // Most answers are plain strings that need no lookup, no decoding and no quotes: written
        // as they are stored.
        if let Some(span) = span
            && let Some(body) = span.of(answers).strip_prefix('"').and_then(|s| s.strip_suffix('"'))
            && !body.bytes().any(|b| PLAIN_NOT[usize::from(b)])
            && !body.starts_with(FORMULA_STARTS)
            && !(choices == Choices::Labels && column.value == ValueType::Choice)
        {
            out.extend_from_slice(body.as_bytes());
            continue;
        }
        match cell(column, choices, answers, *span, scratch) {
            Cell::Empty => {}
            Cell::Number(n) => out.extend_from_slice(n.as_bytes()),
            Cell::Date(d, _) => out.extend_from_slice(d.as_bytes()),
            Cell::Bool(true) => out.extend_from_slice(b"Yes"),
            Cell::Bool(false) => out.extend_from_slice(b"No"),
            Cell::Known(t) => field(out, t, false),
            Cell::Typed(t) => field(out, t, true),
        }
    }
    end_row(out);
}

/// One part's CSV being written.
struct CsvPart {
    part: usize,
    name: String,
    buf: Vec<u8>,
    rows: u64,
}

impl CsvPart {
    fn new(plan: &Plan, part: usize, name: String, headers: Headers) -> CsvPart {
        let mut buf = Vec::with_capacity(FLUSH_AT + 4096);
        if let Some(p) = plan.parts().get(part) {
            header(p, headers, &mut buf);
        }
        CsvPart { part, name, buf, rows: 0 }
    }

    /// Hand the buffered rows to `to` once there are enough of them (or always, with `all`).
    fn drain(&mut self, to: &mut impl Write, all: bool) -> Result<(), ExportError> {
        if all || self.buf.len() >= FLUSH_AT {
            to.write_all(&self.buf)?;
            self.buf.clear();
        }
        Ok(())
    }

    fn summary(&self) -> FileSummary {
        FileSummary { name: self.name.clone(), table: None, rows: self.rows }
    }
}

/// The CSV writer: one part straight to the output (or into the zip's first entry), the other
/// parts spooled.
pub(crate) struct CsvWriter<W: Write + Send> {
    plan: Arc<Plan>,
    source: Source,
    choices: Choices,
    dictionary: Dictionary,
    output: Output,
    scratch: Scratch,
    first: CsvPart,
    sink: Sink<W>,
    spools: Vec<(CsvPart, File)>,
}

impl<W: Write + Send> CsvWriter<W> {
    pub fn new(
        source: Source,
        options: Options,
        dictionary: Dictionary,
        output: Output,
        out: W,
    ) -> Result<CsvWriter<W>, ExportError> {
        let plan = Arc::clone(&source.plan);
        let ext = Format::Csv.extension();
        let (first, sink, spools) = match source.only {
            Some(part) => (
                CsvPart::new(&plan, part, output.file_name.clone(), options.headers),
                Sink::Plain(out),
                Vec::new(),
            ),
            None if output.zipped => {
                let name = part_file(&plan, 0, ext);
                let sink = Sink::zip(out, &name)?;
                let spools = (1..plan.parts().len())
                    .map(|p| {
                        Ok((CsvPart::new(&plan, p, part_file(&plan, p, ext), options.headers), spool()?))
                    })
                    .collect::<Result<Vec<_>, ExportError>>()?;
                (CsvPart::new(&plan, 0, name, options.headers), sink, spools)
            }
            None => (
                CsvPart::new(&plan, 0, output.file_name.clone(), options.headers),
                Sink::Plain(out),
                Vec::new(),
            ),
        };
        let mut writer = CsvWriter {
            plan,
            source,
            choices: options.choices,
            dictionary,
            output,
            scratch: Scratch::default(),
            first,
            sink,
            spools,
        };
        // The header goes out at once: the first bytes reach the caller before any row is read.
        writer.first.drain(&mut writer.sink, true)?;
        writer.sink.flush()?;
        Ok(writer)
    }
}

impl<W: Write + Send> ExportWriter for CsvWriter<W> {
    fn write(&mut self, meta: &Meta<'_>, answers: &str) -> Result<(), ExportError> {
        self.source.read(meta, answers)?;
        let parts = self.plan.parts();
        let (choices, scratch) = (self.choices, &mut self.scratch);
        let first = &mut self.first;
        if first.part == 0 {
            let cells = &self.source.decoded.main;
            row(&mut first.buf, &parts[0], meta, 0, answers, cells, choices, scratch);
            first.rows += 1;
        } else {
            let part = &parts[first.part];
            self.source.rows(first.part, meta, answers, |r, cells| {
                row(&mut first.buf, part, meta, r, answers, cells, choices, scratch);
                first.rows += 1;
                Ok(())
            })?;
        }
        first.drain(&mut self.sink, false)?;
        for (spooled, file) in &mut self.spools {
            let part = &parts[spooled.part];
            let buf = &mut spooled.buf;
            let mut rows = 0;
            self.source.rows(spooled.part, meta, answers, |r, cells| {
                row(buf, part, meta, r, answers, cells, choices, scratch);
                rows += 1;
                Ok(())
            })?;
            spooled.rows += rows;
            spooled.drain(file, false)?;
        }
        Ok(())
    }

    fn flush(&mut self) -> Result<(), ExportError> {
        self.first.drain(&mut self.sink, true)?;
        self.sink.flush()?;
        Ok(())
    }

    fn finish(self: Box<Self>) -> Result<Summary, ExportError> {
        let CsvWriter { plan, dictionary, output, mut first, mut sink, mut spools, .. } = *self;
        first.drain(&mut sink, true)?;
        let mut files = vec![first.summary()];
        files[0].table = plan.parts().get(first.part).and_then(|p| p.table.clone());
        for (spooled, file) in &mut spools {
            spooled.drain(file, true)?;
            sink.add_spool(&spooled.name, file)?;
            let mut summary = spooled.summary();
            summary.table = plan.parts().get(spooled.part).and_then(|p| p.table.clone());
            files.push(summary);
        }
        if output.zipped {
            sink.add_dictionary(&dictionary, &plan, Format::Csv.extension())?;
        }
        sink.finish()?;
        Ok(Summary { file_name: output.file_name, files })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(s: &str, guard: bool) -> String {
        let mut out = Vec::new();
        field(&mut out, s, guard);
        String::from_utf8(out).unwrap_or_default()
    }

    #[test]
    fn fields_are_quoted_as_rfc_4180_says() {
        assert_eq!(text("plain", true), "plain");
        assert_eq!(text("a,b", true), "\"a,b\"");
        assert_eq!(text("say \"hi\"", true), "\"say \"\"hi\"\"\"");
        assert_eq!(text("two\nlines", true), "\"two\nlines\"");
        assert_eq!(text("", true), "");
    }

    #[test]
    fn text_that_looks_like_a_formula_is_defused() {
        assert_eq!(text("=HYPERLINK(\"x\")", true), "\"'=HYPERLINK(\"\"x\"\")\"");
        assert_eq!(text("+44 20", true), "'+44 20");
        assert_eq!(text("-5", true), "'-5");
        assert_eq!(text("@SUM(A1)", true), "'@SUM(A1)");
        assert_eq!(text("\tx", true), "'\tx");
        assert_eq!(text("-5", false), "-5", "numbers are never prefixed");
    }
}
