//! A streaming CSV reader with bounded memory: one record at a time, in a buffer that may not grow
//! past [`Limits::max_row_bytes`](crate::Limits), so a 50 MB field is refused without being held.
//!
//! UTF-8 with or without a byte-order mark, CRLF or LF line endings, quoted fields (with embedded
//! commas, quotes and newlines). Row numbers are the rows a spreadsheet shows when it opens the
//! file: blank lines count as rows (csv-core would skip them silently, so they are counted here).

use std::io::Read;

use csv_core::{ReadRecordResult, Reader};

use crate::Limits;

/// Why a CSV file cannot be read (each becomes one `file` item).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CsvProblem {
    /// Not text at all, or text in another encoding; the message says which.
    NotText(String),
    /// A row holds more bytes than allowed.
    RowTooLong {
        /// The row.
        row: u64,
        /// The most bytes allowed.
        limit: usize,
    },
    /// A row has more fields than allowed.
    TooManyColumns {
        /// The row.
        row: u64,
        /// The most fields allowed.
        limit: usize,
    },
    /// Reading failed.
    Io(String),
}

/// Reads records from CSV bytes.
pub struct CsvReader<R> {
    input: R,
    parser: Reader,
    buf: Vec<u8>,
    pos: usize,
    len: usize,
    eof: bool,
    out: Vec<u8>,
    ends: Vec<usize>,
    /// The spreadsheet row of the record last returned (from 1).
    row: u64,
    started: bool,
    /// The last byte consumed: a `\n` right after a record that ended at `\r` completes its
    /// line ending, it is not a blank line.
    last: u8,
    max_row_bytes: usize,
    max_columns: usize,
}

/// One record: its row and its fields.
pub struct Record<'a> {
    /// The row a spreadsheet shows it on (from 1).
    pub row: u64,
    /// The fields, as text.
    pub fields: Vec<&'a str>,
}

const CHUNK: usize = 64 * 1024;

impl<R: Read> CsvReader<R> {
    /// A reader over `input` within `limits`.
    pub fn new(input: R, limits: &Limits) -> CsvReader<R> {
        CsvReader {
            input,
            parser: Reader::new(),
            buf: vec![0; CHUNK],
            pos: 0,
            len: 0,
            eof: false,
            out: vec![0; 4096],
            ends: vec![0; 64],
            row: 0,
            started: false,
            last: b'\n',
            max_row_bytes: limits.max_row_bytes,
            max_columns: limits.max_columns,
        }
    }

    fn fill(&mut self) -> Result<(), CsvProblem> {
        if self.pos < self.len || self.eof {
            return Ok(());
        }
        self.pos = 0;
        self.len = 0;
        loop {
            match self.input.read(&mut self.buf) {
                Ok(0) => {
                    self.eof = true;
                    return Ok(());
                }
                Ok(n) => {
                    self.len = n;
                    return Ok(());
                }
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(CsvProblem::Io(e.to_string())),
            }
        }
    }

    /// Look at the start of the file: refuse what is plainly not CSV text, skip a UTF-8 BOM.
    fn start(&mut self) -> Result<(), CsvProblem> {
        self.started = true;
        self.fill()?;
        let head = &self.buf[..self.len];
        if let Some(what) = not_csv(head) {
            return Err(CsvProblem::NotText(what));
        }
        if head.starts_with(b"\xef\xbb\xbf") {
            self.pos = 3;
        }
        Ok(())
    }

    /// Skip blank lines before a record, counting them as rows.
    fn skip_blank_lines(&mut self) -> Result<(), CsvProblem> {
        loop {
            self.fill()?;
            if self.pos >= self.len {
                return Ok(());
            }
            match self.buf[self.pos] {
                b'\n' if self.last == b'\r' => {
                    self.last = b'\n';
                    self.pos += 1;
                }
                b'\n' => {
                    self.row += 1;
                    self.pos += 1;
                }
                b'\r' => {
                    self.row += 1;
                    self.last = b'\r';
                    self.pos += 1;
                }
                _ => return Ok(()),
            }
        }
    }

    /// The next record, or `None` at the end of the file.
    pub fn next_record(&mut self) -> Result<Option<Record<'_>>, CsvProblem> {
        if !self.started {
            self.start()?;
        }
        self.skip_blank_lines()?;
        let (mut nout, mut nend) = (0usize, 0usize);
        loop {
            self.fill()?;
            let input = &self.buf[self.pos..self.len];
            let (result, nin, o, e) =
                self.parser.read_record(input, &mut self.out[nout..], &mut self.ends[nend..]);
            if nin > 0 {
                self.last = input[nin - 1];
            }
            self.pos += nin;
            nout += o;
            nend += e;
            match result {
                ReadRecordResult::InputEmpty => {
                    if self.eof {
                        // Ask the parser to finish the last record.
                        continue;
                    }
                }
                ReadRecordResult::OutputFull => {
                    if self.out.len() >= self.max_row_bytes {
                        return Err(CsvProblem::RowTooLong { row: self.row + 1, limit: self.max_row_bytes });
                    }
                    let grown = (self.out.len() * 2).min(self.max_row_bytes);
                    self.out.resize(grown, 0);
                }
                ReadRecordResult::OutputEndsFull => {
                    if self.ends.len() >= self.max_columns {
                        return Err(CsvProblem::TooManyColumns {
                            row: self.row + 1,
                            limit: self.max_columns,
                        });
                    }
                    let grown = (self.ends.len() * 2).min(self.max_columns);
                    self.ends.resize(grown, 0);
                }
                ReadRecordResult::Record => {
                    self.row += 1;
                    let not_utf8 = |row: u64| {
                        CsvProblem::NotText(format!(
                            "Row {row} is not UTF-8 text. Save the file as “CSV UTF-8” and upload it again"
                        ))
                    };
                    let text = std::str::from_utf8(&self.out[..nout]).map_err(|_| not_utf8(self.row))?;
                    // The fields lie end to end without their commas: a character split by a comma
                    // is valid across the whole but not in either field.
                    let mut fields = Vec::with_capacity(nend);
                    let mut start = 0;
                    for &end in &self.ends[..nend] {
                        fields.push(text.get(start..end).ok_or_else(|| not_utf8(self.row))?);
                        start = end;
                    }
                    return Ok(Some(Record { row: self.row, fields }));
                }
                ReadRecordResult::End => return Ok(None),
            }
        }
    }
}

/// Say what a file is if it is plainly not CSV text.
fn not_csv(head: &[u8]) -> Option<String> {
    if head.starts_with(b"PK\x03\x04") {
        return Some("This is a spreadsheet (an XLSX workbook or another zip file), not a CSV file: upload it as a spreadsheet (.xlsx), or save it as “CSV UTF-8”".into());
    }
    if head.starts_with(b"%PDF") {
        return Some("This is a PDF, not a CSV file: export the data as “CSV UTF-8” and upload that".into());
    }
    if head.starts_with(b"\xd0\xcf\x11\xe0") {
        return Some(
            "This is an old Excel (.xls) workbook, not a CSV file: save it as “CSV UTF-8” or as .xlsx".into(),
        );
    }
    if head.starts_with(b"\xff\xfe") || head.starts_with(b"\xfe\xff") {
        return Some(
            "This file is UTF-16 text (“Unicode text”): save it as “CSV UTF-8” and upload it again".into(),
        );
    }
    if head.iter().take(8192).any(|b| *b == 0) {
        return Some("This file holds binary data, not CSV text: export the data as “CSV UTF-8”".into());
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rows(data: &[u8]) -> Result<Vec<(u64, Vec<String>)>, CsvProblem> {
        let mut r = CsvReader::new(data, &Limits::default());
        let mut out = Vec::new();
        while let Some(rec) = r.next_record()? {
            out.push((rec.row, rec.fields.iter().map(|f| f.to_string()).collect()));
        }
        Ok(out)
    }

    #[test]
    fn reads_quotes_crlf_bom_and_counts_blank_lines_as_rows() {
        let data = b"\xef\xbb\xbfa,b\r\n1,\"x, \"\"y\"\"\"\r\n\r\n\"multi\nline\",2\n3,4\r\n5,6\r\n";
        let r = rows(data).unwrap();
        assert_eq!(r[0], (1, vec!["a".to_string(), "b".into()]));
        assert_eq!(r[1], (2, vec!["1".to_string(), "x, \"y\"".into()]));
        // Row 3 is blank; the multi-line record is row 4 in a spreadsheet.
        assert_eq!(r[2], (4, vec!["multi\nline".to_string(), "2".into()]));
        assert_eq!(r[3], (5, vec!["3".to_string(), "4".into()]));
        assert_eq!(r[4], (6, vec!["5".to_string(), "6".into()]));
        assert_eq!(r.len(), 5);
    }

    #[test]
    fn refuses_what_is_not_csv_text() {
        for (data, words) in [
            (&b"PK\x03\x04rest"[..], "spreadsheet"),
            (b"%PDF-1.7", "PDF"),
            (b"\xff\xfea\x00,\x00", "UTF-16"),
            (b"a,b\n\x00\x01\x02", "binary"),
        ] {
            match rows(data) {
                Err(CsvProblem::NotText(m)) => assert!(m.contains(words), "{m}"),
                other => panic!("{other:?}"),
            }
        }
        assert!(
            matches!(rows(b"a,b\ncaf\xe9,1\n"), Err(CsvProblem::NotText(m)) if m.starts_with("Row 2 is not UTF-8"))
        );
        // A pound sign split by a comma is valid UTF-8 only when the fields are run together.
        assert!(
            matches!(rows(b"a,b\n\xc2,\xa3\n"), Err(CsvProblem::NotText(m)) if m.starts_with("Row 2 is not UTF-8"))
        );
    }

    #[test]
    fn a_huge_field_is_refused_without_being_held() {
        let limits = Limits { max_row_bytes: 1 << 20, ..Limits::default() };
        let huge = std::iter::once(b'"').chain(std::iter::repeat_n(b'x', 50 << 20)).chain(*b"\"\n");
        let data: Vec<u8> = b"a\n".iter().copied().chain(huge).collect();
        let mut r = CsvReader::new(&data[..], &limits);
        assert!(r.next_record().unwrap().is_some());
        assert_eq!(r.next_record().err(), Some(CsvProblem::RowTooLong { row: 2, limit: 1 << 20 }));
        assert!(r.out.len() <= 1 << 20);
    }
}
