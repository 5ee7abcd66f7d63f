//! Records of a log checked on several threads. The reading thread parses the CSV, keeps every
//! row's bookkeeping and hands batches of records to workers; their results are merged strictly in
//! file order (record keys are checked there, and the sink is handed each record), so the report
//! and what the sink receives are the same as with one thread. Batches read but not yet merged are
//! bounded, so memory stays bounded too, however far one batch falls behind the others.

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::io::Read;
use std::ops::ControlFlow;
use std::sync::mpsc::{Receiver, SyncSender, channel, sync_channel};
use std::sync::{Arc, Mutex};

use formwork_definition::Definition;
use formwork_definition::validate::{Answers, CheckedRecord, Context, Input, SlotInput, check_record};

use super::FileReport;
use super::csv_rows::csv_item;
use super::rows::{Gather, RowLocate, RowReader, record_answers, take_record};
use super::sink::RecordSink;
use crate::columns::Columns;
use crate::csv::CsvReader;
use crate::{Limits, TabularError};

/// Records per batch: large enough to keep a worker busy, small enough to start at once.
#[cfg(not(test))]
const BATCH: usize = 1_024;
/// In tests, small batches: a file of a few hundred records goes through many batches, finished
/// out of order and held back to keep memory bounded.
#[cfg(test)]
const BATCH: usize = 7;

/// Batches read but not yet merged, per thread: enough to keep every worker busy while one batch
/// is slower than the rest.
const AHEAD: usize = 4;

/// A record checked by a worker, with its answers for the sink (converted there, in parallel).
type Checked = (CheckedRecord, serde_json::Map<String, serde_json::Value>);

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
    /// Whether the sink wants answers.
    answers: bool,
}

/// Check every record of a chunk.
fn check(c: &Checker<'_>, chunk: &Chunk) -> Vec<Checked> {
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
            let answers = record_answers(c.def, &checked, c.answers);
            checked.values = Vec::new();
            (checked, answers)
        })
        .collect()
}

/// Merge the results that are next in file order.
fn merge(
    rows: &mut RowReader<'_>,
    pending: &mut BTreeMap<usize, Vec<Checked>>,
    next: &mut usize,
    sink: &mut dyn RecordSink,
) {
    let RowReader { gather, columns, .. } = rows;
    let Gather::Records(batch) = gather else { return };
    while let Some(records) = pending.remove(next) {
        for (record, answers) in records {
            let rows_of = [record.row];
            let locate = RowLocate { columns, sheet: None, rows: &rows_of };
            take_record(batch, record, answers, &locate, sink);
        }
        *next += 1;
    }
}

/// Take the results workers have finished, first waiting for one when `wait`. `false` when the
/// workers are gone (one panicked, which the end of the scope raises again): nothing more comes.
fn take_results(
    done: &Receiver<(usize, Vec<Checked>)>,
    pending: &mut BTreeMap<usize, Vec<Checked>>,
    wait: bool,
) -> bool {
    if wait {
        match done.recv() {
            Ok((seq, records)) => {
                pending.insert(seq, records);
            }
            Err(_) => return false,
        }
    }
    while let Ok((seq, records)) = done.try_recv() {
        pending.insert(seq, records);
    }
    true
}

/// Read every record of `reader` and check them on `threads` workers, handing each to `sink` in
/// file order. `Some` when the file is refused as a whole.
pub(super) fn records<R: Read>(
    reader: &mut CsvReader<R>,
    rows: &mut RowReader<'_>,
    limits: &Limits,
    threads: usize,
    sink: &mut dyn RecordSink,
) -> Result<Option<FileReport>, TabularError> {
    let Gather::Records(batch) = &rows.gather else { return Ok(None) };
    let checker = Checker {
        def: rows.def,
        columns: rows.columns.clone(),
        ctx: *batch.context(),
        missing: batch.missing_columns().to_vec(),
        answers: sink.wants_answers(),
    };
    let checker = &checker;
    std::thread::scope(|scope| {
        let (work_tx, work_rx): (SyncSender<Chunk>, Receiver<Chunk>) = sync_channel(threads * 2);
        let work_rx = Arc::new(Mutex::new(work_rx));
        let (done_tx, done_rx) = channel::<(usize, Vec<Checked>)>();
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
        // Only workers hold the queue's receiving end and the results' sending end, so each side
        // sees when the other is gone.
        drop((work_rx, done_tx));

        let mut pending: BTreeMap<usize, Vec<Checked>> = BTreeMap::new();
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
                        merge(rows, &mut pending, &mut next_merge, sink);
                        // Wait for the oldest batch rather than read far ahead of it.
                        while sent - next_merge >= threads * AHEAD
                            && take_results(&done_rx, &mut pending, true)
                        {
                            merge(rows, &mut pending, &mut next_merge, sink);
                        }
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
        while next_merge < sent && take_results(&done_rx, &mut pending, true) {
            merge(rows, &mut pending, &mut next_merge, sink);
        }
        Ok(None)
    })
}
