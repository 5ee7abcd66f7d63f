//! Records of a log checked on several threads. The reading thread parses the CSV, keeps every
//! row's bookkeeping and hands batches of records to workers; their results are merged strictly in
//! file order (record keys are checked there), so the report is the same as with one thread.
//! Batches in flight are bounded, so memory stays bounded too.

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::io::Read;
use std::ops::ControlFlow;
use std::sync::mpsc::{Receiver, SyncSender, channel, sync_channel};
use std::sync::{Arc, Mutex};

use formwork_definition::Definition;
use formwork_definition::validate::{
    Answers, CheckedRecord, Context, Input, RecordBatch, SlotInput, check_record,
};

use super::FileReport;
use super::csv_rows::csv_item;
use super::rows::{Gather, RowLocate, RowReader};
use crate::columns::Columns;
use crate::csv::CsvReader;
use crate::{Limits, TabularError};

/// Records per batch: large enough to keep a worker busy, small enough to start at once.
const BATCH: usize = 1_024;

/// Records copied out of the reader's buffer: their fields end to end in `text`.
struct Chunk {
    seq: usize,
    text: String,
    /// Field ranges in `text`, all records' fields one after another.
    fields: Vec<(u32, u32)>,
    /// (record index, row, first field, number of fields).
    records: Vec<(usize, u64, usize, usize)>,
}

impl Chunk {
    fn new(seq: usize) -> Chunk {
        Chunk {
            seq,
            text: String::with_capacity(256 * BATCH),
            fields: Vec::with_capacity(48 * BATCH),
            records: Vec::with_capacity(BATCH),
        }
    }
}

/// What workers need to check records: nothing that changes while the file is read.
struct Checker<'a> {
    def: &'a Definition,
    columns: Columns,
    ctx: Context,
    missing: Vec<usize>,
}

/// Check every record of a chunk.
fn check(c: &Checker<'_>, chunk: &Chunk) -> Vec<CheckedRecord> {
    chunk
        .records
        .iter()
        .map(|&(index, row, first, count)| {
            let mut answers = Answers::empty(c.def);
            for (i, &(start, end)) in chunk.fields[first..first + count].iter().enumerate() {
                if let Some(Some(slot)) = c.columns.fills.get(i) {
                    let text = chunk.text.get(start as usize..end as usize).unwrap_or("");
                    answers.slots[*slot] = SlotInput::Question(Input::Text(Cow::Borrowed(text)));
                }
            }
            let rows_of = [row];
            let locate = RowLocate { columns: &c.columns, sheet: None, rows: &rows_of };
            let mut checked = check_record(c.def, &c.ctx, &answers, &[], index, row, &locate, &c.missing);
            checked.values = Vec::new();
            checked
        })
        .collect()
}

/// Merge the results that are next in file order.
fn merge(rows: &mut RowReader<'_>, pending: &mut BTreeMap<usize, Vec<CheckedRecord>>, next: &mut usize) {
    let RowReader { gather, columns, .. } = rows;
    let Gather::Records(batch) = gather else { return };
    while let Some(records) = pending.remove(next) {
        for record in records {
            let rows_of = [record.row];
            let locate = RowLocate { columns, sheet: None, rows: &rows_of };
            RecordBatch::merge(batch, record, &locate);
        }
        *next += 1;
    }
}

fn take_results(
    done: &Receiver<(usize, Vec<CheckedRecord>)>,
    pending: &mut BTreeMap<usize, Vec<CheckedRecord>>,
    wait: bool,
) {
    if wait && let Ok((seq, records)) = done.recv() {
        pending.insert(seq, records);
    }
    while let Ok((seq, records)) = done.try_recv() {
        pending.insert(seq, records);
    }
}

/// Read every record of `reader` and check them on `threads` workers. `Some` when the file is
/// refused as a whole.
pub(super) fn records<R: Read>(
    reader: &mut CsvReader<R>,
    rows: &mut RowReader<'_>,
    limits: &Limits,
    threads: usize,
) -> Result<Option<FileReport>, TabularError> {
    let Gather::Records(batch) = &rows.gather else { return Ok(None) };
    let checker = Checker {
        def: rows.def,
        columns: rows.columns.clone(),
        ctx: *batch.context(),
        missing: batch.missing_columns().to_vec(),
    };
    let checker = &checker;
    std::thread::scope(|scope| {
        let (work_tx, work_rx): (SyncSender<Chunk>, Receiver<Chunk>) = sync_channel(threads * 2);
        let work_rx = Arc::new(Mutex::new(work_rx));
        let (done_tx, done_rx) = channel::<(usize, Vec<CheckedRecord>)>();
        for _ in 0..threads {
            let work_rx = Arc::clone(&work_rx);
            let done_tx = done_tx.clone();
            scope.spawn(move || {
                loop {
                    let next = match work_rx.lock() {
                        Ok(rx) => rx.recv(),
                        Err(_) => return,
                    };
                    let Ok(chunk) = next else { return };
                    if done_tx.send((chunk.seq, check(checker, &chunk))).is_err() {
                        return;
                    }
                }
            });
        }
        drop(done_tx);

        let mut pending: BTreeMap<usize, Vec<CheckedRecord>> = BTreeMap::new();
        let (mut next_merge, mut sent) = (0usize, 0usize);
        let mut chunk = Chunk::new(0);
        let mut index = 0usize;
        let mut refused = None;
        loop {
            match reader.next_record() {
                Ok(Some(record)) => {
                    let empty = record
                        .fields
                        .iter()
                        .map(|f| formwork_definition::validate::convert::trim(f).is_empty());
                    match rows.note(record.row, empty, limits) {
                        Some(ControlFlow::Continue(())) => continue,
                        Some(ControlFlow::Break(())) => break,
                        None => {}
                    }
                    let first = chunk.fields.len();
                    for f in &record.fields {
                        let start = chunk.text.len() as u32;
                        chunk.text.push_str(f);
                        chunk.fields.push((start, chunk.text.len() as u32));
                    }
                    chunk.records.push((index, record.row, first, record.fields.len()));
                    index += 1;
                    if chunk.records.len() == BATCH {
                        let full = std::mem::replace(&mut chunk, Chunk::new(sent + 1));
                        if work_tx.send(full).is_err() {
                            break;
                        }
                        sent += 1;
                        take_results(&done_rx, &mut pending, false);
                        merge(rows, &mut pending, &mut next_merge);
                    }
                }
                Ok(None) => break,
                Err(problem) => {
                    refused = Some(problem);
                    break;
                }
            }
        }
        if !chunk.records.is_empty() && refused.is_none() && work_tx.send(chunk).is_ok() {
            sent += 1;
        }
        drop(work_tx);
        if let Some(problem) = refused {
            return csv_item(problem).map(|item| Some(FileReport::refused(item)));
        }
        while next_merge < sent {
            take_results(&done_rx, &mut pending, true);
            merge(rows, &mut pending, &mut next_merge);
        }
        Ok(None)
    })
}
