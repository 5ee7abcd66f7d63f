//! Checks across the records of a log: each record key may appear once.

use rustc_hash::FxHashMap;

use super::{Answers, Code, Context, Finding, Item, Locate, Place, unique_key};
use crate::messages;
use crate::model::{Definition, Question, Severity};

/// The record keys seen so far in a file of records, with the record each was first seen in.
#[derive(Debug, Default)]
pub struct RecordKeys {
    seen: FxHashMap<Vec<u8>, usize>,
}

impl RecordKeys {
    /// Note a record's key (see [`CheckedRecord::key`]); if an earlier record had the same one,
    /// the finding to report. `earlier` says how a message refers to that record ("row 3").
    pub fn check(
        &mut self,
        def: &Definition,
        key: Vec<u8>,
        record: usize,
        earlier: impl Fn(usize) -> String,
    ) -> Option<Finding> {
        let first_slot = *def.record_key.first()?;
        match self.seen.get(&key) {
            Some(first) => {
                let questions: Vec<&Question> =
                    def.record_key.iter().filter_map(|s| def.question_at(*s)).collect();
                Some(Finding {
                    severity: Severity::Error,
                    code: Code::Unique,
                    message: messages::unique_record(&questions, &earlier(*first)),
                    place: Place::Slot(first_slot),
                    rule: None,
                })
            }
            None => {
                self.seen.insert(key, record);
                None
            }
        }
    }
}

/// One record of a log validated on its own: everything but the check against other records,
/// which [`RecordBatch::merge`] does in file order. Checking records can run on several threads.
#[derive(Clone, Debug)]
pub struct CheckedRecord {
    /// The record's index in the file (from 0).
    pub index: usize,
    /// Its row or line in the file.
    pub row: u64,
    /// Its items, with paths `records/INDEX/…`.
    pub items: Vec<Item>,
    /// Its record key, when every part of it is answered.
    pub key: Option<Vec<u8>>,
    /// Its typed values by slot.
    pub values: Vec<crate::value::Value>,
}

/// Validate one record of a log. `missing` are slots whose column the file lacks: their
/// `required` items are left out (one `missing_column` item says it).
#[expect(clippy::too_many_arguments, reason = "each is a distinct part of where the record came from")]
pub fn check_record(
    def: &Definition,
    ctx: &Context,
    answers: &Answers<'_>,
    unknown: &[String],
    index: usize,
    row: u64,
    locate: &dyn Locate,
    missing: &[usize],
) -> CheckedRecord {
    let outcome = super::validate(def, answers, ctx, locate);
    let key = if def.record_key.is_empty() {
        None
    } else {
        unique_key(def.record_key.iter().map(|slot| (&outcome.values[*slot], false)))
    };
    let mut items = Vec::new();
    if !unknown.is_empty() || !outcome.findings.is_empty() {
        let prefix = format!("records/{index}/");
        for name in unknown {
            let ids = def.questions.iter().map(|q| q.id.as_str());
            let message = messages::unknown_question(name, crate::diagnostic::did_you_mean(name, ids));
            let mut item = Item::error(Code::UnknownColumn, format!("{prefix}{name}"), message);
            item.row = Some(row);
            items.push(item);
        }
        for f in &outcome.findings {
            if f.code == Code::Required && matches!(f.place, Place::Slot(s) if missing.contains(&s)) {
                continue;
            }
            let mut item = super::item(def, f, &prefix, locate);
            item.row.get_or_insert(row);
            items.push(item);
        }
    }
    CheckedRecord { index, row, items, key, values: outcome.values }
}

/// Validates the records of a log one at a time, as they stream from a file, checking record
/// keys across them and collecting items. Memory grows with the number of problems and keys, never
/// with the whole file.
pub struct RecordBatch<'d> {
    def: &'d Definition,
    ctx: Context,
    keys: RecordKeys,
    /// Records seen.
    pub records: usize,
    /// Errors so far.
    pub errors: Vec<Item>,
    /// Warnings so far.
    pub warnings: Vec<Item>,
    /// Errors not kept because there were more than `max_items` (they still count).
    pub dropped_errors: usize,
    /// Warnings not kept, likewise.
    pub dropped_warnings: usize,
    max_items: usize,
    /// Slots whose column is missing from the file: their `required` items are left out.
    missing: Vec<usize>,
}

impl<'d> RecordBatch<'d> {
    /// A batch that keeps at most `max_items` errors and as many warnings (the count goes on).
    pub fn new(def: &'d Definition, ctx: Context, max_items: usize) -> RecordBatch<'d> {
        RecordBatch {
            def,
            ctx,
            keys: RecordKeys::default(),
            records: 0,
            errors: Vec::new(),
            warnings: Vec::new(),
            dropped_errors: 0,
            dropped_warnings: 0,
            max_items,
            missing: Vec::new(),
        }
    }

    /// Leave out `required` items for these slots: the file has no column for them, which is
    /// reported once as `missing_column` rather than on every row.
    pub fn with_missing_columns(mut self, slots: Vec<usize>) -> RecordBatch<'d> {
        self.missing = slots;
        self
    }

    /// Validate the next record. `row` is how people find it in their file (a line or row number),
    /// `unknown` the names of keys that are not questions.
    pub fn add(&mut self, answers: &Answers<'_>, unknown: &[String], row: u64, locate: &dyn Locate) {
        let record =
            check_record(self.def, &self.ctx, answers, unknown, self.records, row, locate, &self.missing);
        self.merge(record, locate);
    }

    /// The index the next record will have.
    pub fn next_index(&self) -> usize {
        self.records
    }

    /// Take a checked record, in file order: check its key against earlier records' and keep its
    /// items. `locate` places a repeated key in the file. Returns whether the record has an error:
    /// one of its own, or a key an earlier record had.
    pub fn merge(&mut self, record: CheckedRecord, locate: &dyn Locate) -> bool {
        self.records = self.records.max(record.index + 1);
        let repeated = record.key.and_then(|key| {
            self.keys.check(self.def, key, record.row as usize, |earlier| format!("row {earlier}"))
        });
        let mut has_error = false;
        for item in record.items {
            has_error |= item.is_error();
            self.push(item);
        }
        if let Some(finding) = repeated {
            let mut item = super::item(self.def, &finding, &format!("records/{}/", record.index), locate);
            item.row.get_or_insert(record.row);
            has_error |= item.is_error();
            self.push(item);
        }
        has_error
    }

    /// Slots whose column is missing from the file.
    pub fn missing_columns(&self) -> &[usize] {
        &self.missing
    }

    /// The context records are checked in.
    pub fn context(&self) -> &Context {
        &self.ctx
    }

    /// Record a problem with the file itself at `row` (e.g. a line that is not JSON).
    pub fn push(&mut self, item: Item) {
        let (list, dropped) = if item.is_error() {
            (&mut self.errors, &mut self.dropped_errors)
        } else {
            (&mut self.warnings, &mut self.dropped_warnings)
        };
        if list.len() < self.max_items {
            list.push(item);
        } else {
            *dropped += 1;
        }
    }

    /// True when no error has been found.
    pub fn is_valid(&self) -> bool {
        self.errors.is_empty() && self.dropped_errors == 0
    }
}
