//! Checks across the records of a log: each record key may appear once.

use rustc_hash::FxHashMap;

use super::{Answers, Code, Context, Finding, Item, Locate, Outcome, Place, unique_key};
use crate::messages;
use crate::model::{Definition, Question, Severity};

/// The record keys seen so far in a file of records, with the record each was first seen in.
#[derive(Debug, Default)]
pub struct RecordKeys {
    seen: FxHashMap<Vec<u8>, usize>,
}

impl RecordKeys {
    /// Note `outcome`'s record key; if an earlier record had the same one, the finding to report.
    /// `earlier` says how a message refers to that record ("row 3").
    pub fn check(
        &mut self,
        def: &Definition,
        outcome: &Outcome,
        record: usize,
        earlier: impl Fn(usize) -> String,
    ) -> Option<Finding> {
        let first_slot = *def.record_key.first()?;
        let key = unique_key(def.record_key.iter().map(|slot| (&outcome.values[*slot], false)))?;
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
    pub fn add(
        &mut self,
        answers: &Answers<'_>,
        unknown: &[String],
        row: u64,
        locate: &dyn Locate,
    ) -> Outcome {
        let index = self.records;
        self.records += 1;
        let mut outcome = super::validate(self.def, answers, &self.ctx, locate);
        if let Some(finding) =
            self.keys.check(self.def, &outcome, row as usize, |earlier| format!("row {earlier}"))
        {
            outcome.findings.push(finding);
        }
        if unknown.is_empty() && outcome.findings.is_empty() {
            return outcome;
        }
        let prefix = format!("records/{index}/");
        for name in unknown {
            let ids = self.def.questions.iter().map(|q| q.id.as_str());
            let message = messages::unknown_question(name, crate::diagnostic::did_you_mean(name, ids));
            let mut item = Item::error(Code::UnknownColumn, format!("{prefix}{name}"), message);
            item.row = Some(row);
            self.push(item);
        }
        for f in &outcome.findings {
            if f.code == Code::Required && matches!(f.place, Place::Slot(s) if self.missing.contains(&s)) {
                continue;
            }
            let mut item = super::item(self.def, f, &prefix, locate);
            item.row.get_or_insert(row);
            self.push(item);
        }
        outcome
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
