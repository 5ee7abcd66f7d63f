//! Checks across the records of a log: each record key may appear once.

use std::collections::HashMap;

use super::{Code, Finding, Outcome, Place, unique_key};
use crate::messages;
use crate::model::{Definition, Question, Severity};

/// The record keys seen so far in a file of records, with the record each was first seen in.
#[derive(Debug, Default)]
pub struct RecordKeys {
    seen: HashMap<String, usize>,
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
                let questions: Vec<&Question> = def
                    .record_key
                    .iter()
                    .filter_map(|s| def.question_at(*s))
                    .collect();
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
