//! CSV files: the header row, then each record (on one thread, or several with
//! [`parallel`](super::parallel)), within the size limit.

use std::borrow::Cow;
use std::io::Read;

use formwork_definition::Definition;
use formwork_definition::validate::{Context, Input, Item};

use super::rows::RowReader;
use super::sink::{NoSink, RecordSink};
use super::{FileReport, Options, parallel, read_as, target_for};
use crate::columns::match_columns;
use crate::csv::{CsvProblem, CsvReader};
use crate::layout::Target;
use crate::{Limits, TabularError, file_item};

pub(super) fn csv_item(problem: CsvProblem) -> Result<Item, TabularError> {
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
    validate_csv_into(def, input, ctx, limits, options, &mut NoSink)
}

/// Validate a CSV file like [`validate_csv`], handing `sink` what the engine made of each record
/// or table row, in file order, as the file is read.
pub fn validate_csv_into<R: Read>(
    def: &Definition,
    input: R,
    ctx: &Context,
    limits: &Limits,
    options: &Options,
    sink: &mut dyn RecordSink,
) -> Result<FileReport, TabularError> {
    csv_file(def, input, ctx, limits, options, sink).map(FileReport::in_row_order)
}

fn csv_file<R: Read>(
    def: &Definition,
    input: R,
    ctx: &Context,
    limits: &Limits,
    options: &Options,
    sink: &mut dyn RecordSink,
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
    let mut report = FileReport::started(read_as(def, target, None), sink);
    for item in items {
        report.push(item, options.max_items);
    }
    let mut rows = RowReader::new(def, target, columns, None, *ctx, options.max_items);
    if target == Target::Records && options.threads > 1 {
        if let Some(refused) = parallel::records(&mut reader, &mut rows, limits, options.threads, sink)? {
            return Ok(refused);
        }
    } else {
        loop {
            match reader.next_record() {
                Ok(Some(record)) => {
                    let mut cells: Vec<Input<'_>> =
                        record.fields.iter().map(|f| Input::Text(Cow::Borrowed(*f))).collect();
                    if rows.row(record.row, &mut cells, limits, sink).is_break() {
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
    rows.finish(ctx, &mut report, limits, options.max_items, sink);
    Ok(report)
}
