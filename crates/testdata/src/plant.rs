//! Records with one planted problem each, and the item the validator must report for it.
//!
//! A problem is planted only where it cannot spread: in a question that no condition, calculation,
//! bound, rule or record key reads (so exactly one item follows), except for rule problems, which
//! change one answer a rule reads and are kept only when that rule alone then fails.

use chrono::Days;
use formwork_definition::Severity;
use formwork_definition::model::{Bound, QuestionType};
use formwork_definition::validate::Code;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value as J};

use crate::{GenerateError, Generator, Record};

/// An item the validator must report for a generated record.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Planted {
    /// The record's index in the file (from 0).
    pub record: usize,
    /// The line of the file it is on (from 1).
    pub row: u64,
    /// Error or warning.
    pub severity: Severity,
    /// The code.
    pub code: Code,
    /// The item's path, e.g. `records/12/bedrooms`.
    pub path: String,
}

/// The problems a record of a log can be given, in the order they are planted.
pub const KINDS: [(Code, Severity); 11] = [
    (Code::Required, Severity::Error),
    (Code::Type, Severity::Error),
    (Code::Min, Severity::Error),
    (Code::Max, Severity::Error),
    (Code::Length, Severity::Error),
    (Code::Pattern, Severity::Error),
    (Code::Choice, Severity::Error),
    (Code::Rule, Severity::Error),
    (Code::Unique, Severity::Error),
    (Code::UnknownColumn, Severity::Error),
    (Code::Rule, Severity::Warning),
];

/// How many fresh records are tried to plant one problem.
const PLANT_ATTEMPTS: usize = 50;

/// A generated record as JSON, and what was planted in it.
pub struct GeneratedRecord {
    /// The record, by question id.
    pub answers: Map<String, J>,
    /// The planted problem, if any (its `path` is relative to the record).
    pub planted: Option<(Code, Severity, String)>,
}

impl Generator<'_> {
    /// Slots that can take a planted problem without it spreading.
    fn isolated(&self, record: &Record) -> Vec<usize> {
        (0..record.values.len())
            .filter(|s| {
                record.asked[*s]
                    && self.def.question_at(*s).is_some_and(|q| q.is_input())
                    && !self.structural.contains(s)
                    && !self.def.record_key.contains(s)
                    && self.rule_reads.get(s).copied().unwrap_or(0) == 0
            })
            .collect()
    }

    /// A record of a log with a problem of `kind` planted if one can be (else a valid record).
    /// Some problems fit only some records (a length problem needs a question with a maximum
    /// length to be asked), so several fresh records are tried.
    pub fn record_with(
        &mut self,
        kind: Option<(Code, Severity)>,
        earlier: &mut Vec<Record>,
    ) -> Result<GeneratedRecord, GenerateError> {
        if let Some((code, severity)) = kind {
            for _ in 0..PLANT_ATTEMPTS {
                let record = self.valid()?;
                let planted = match code {
                    Code::Rule => self.plant_rule(record.clone(), severity),
                    Code::Unique => self.plant_unique(&record, earlier),
                    _ => self.plant_value(&record, code),
                };
                if let Some((answers, path)) = planted {
                    return Ok(GeneratedRecord { answers, planted: Some((code, severity, path)) });
                }
                // This record is not used: free its key for the records still to come.
                if !self.def.record_key.is_empty() {
                    let key = self.key_of(&record.values);
                    self.keys.remove(&key);
                }
            }
        }
        let record = self.valid()?;
        let answers = self.render_answers(&record);
        remember(earlier, record);
        Ok(GeneratedRecord { answers, planted: None })
    }

    fn plant_value(&mut self, record: &Record, code: Code) -> Option<(Map<String, J>, String)> {
        let def = self.def;
        let mut slots = self.isolated(record);
        self.rng.shuffle(&mut slots);
        let mut answers = self.render_answers(record);
        for slot in slots {
            let q = def.question_at(slot)?;
            let o = &q.options;
            let step = |ty: QuestionType, places: Option<u32>| match ty {
                QuestionType::Integer => Decimal::ONE,
                QuestionType::Money => Decimal::new(1, 2),
                _ => Decimal::new(1, places.unwrap_or(2)),
            };
            let bad: Option<J> = match code {
                Code::Required if q.required && !record.values[slot].is_null() => {
                    answers.remove(&q.id);
                    return Some((answers, q.id.clone()));
                }
                Code::Type => match q.ty {
                    t if t.is_number() => Some(J::String("twelve".into())),
                    QuestionType::Date => Some(J::String("31/02/2026".into())),
                    QuestionType::YesNo => Some(J::String("maybe".into())),
                    QuestionType::Email => Some(J::String("not an email address".into())),
                    QuestionType::Phone => Some(J::String("12".into())),
                    QuestionType::Postcode => Some(J::String("NOT A POSTCODE".into())),
                    QuestionType::Url => Some(J::String("not a web address".into())),
                    _ => None,
                },
                Code::Min => match (&o.min, q.ty) {
                    (Some(Bound::Number(min)), t) if t.is_number() => {
                        Some(J::String((*min - step(t, o.places)).to_string()))
                    }
                    (Some(Bound::Date(min)), _) => min
                        .checked_sub_days(Days::new(1))
                        .map(|d| J::String(d.format("%Y-%m-%d").to_string())),
                    _ => None,
                },
                Code::Max => match (&o.max, q.ty) {
                    (Some(Bound::Number(max)), t) if t.is_number() => {
                        Some(J::String((*max + step(t, o.places)).to_string()))
                    }
                    (Some(Bound::Date(max)), _) => max
                        .checked_add_days(Days::new(1))
                        .map(|d| J::String(d.format("%Y-%m-%d").to_string())),
                    _ => None,
                },
                Code::Length if q.ty.is_text() && o.pattern.is_none() => {
                    o.max_length.map(|max| J::String("x".repeat(max as usize + 1)))
                }
                Code::Pattern if q.ty.is_text() => o.pattern.as_ref().and_then(|p| {
                    ["!!", "?? ??", "-0-", "zz zz"]
                        .into_iter()
                        .find(|c| {
                            !p.regex.is_match(c)
                                && o.max_length.is_none_or(|m| c.len() <= m as usize)
                                && o.min_length.is_none_or(|m| c.len() >= m as usize)
                        })
                        .map(|c| J::String(c.into()))
                }),
                Code::Choice if q.ty == QuestionType::Choice => Some(J::String("not-a-choice".into())),
                Code::UnknownColumn => {
                    answers.insert("not_a_question".into(), J::String("x".into()));
                    return Some((answers, "not_a_question".into()));
                }
                _ => None,
            };
            if let Some(bad) = bad {
                answers.insert(q.id.clone(), bad);
                return Some((answers, q.id.clone()));
            }
        }
        None
    }

    /// Change one answer a rule reads until that rule, and only it, fails.
    fn plant_rule(&mut self, record: Record, severity: Severity) -> Option<(Map<String, J>, String)> {
        let def = self.def;
        let mut rules: Vec<&formwork_definition::model::Rule> = def
            .questions
            .iter()
            .filter(|q| record.asked[q.slot])
            .flat_map(|q| q.rules.iter())
            .chain(def.rules.iter())
            .filter(|r| r.severity == severity)
            .collect();
        self.rng.shuffle(&mut rules);
        for rule in rules {
            let mut vars: Vec<usize> = rule
                .check
                .deps
                .answers
                .iter()
                .map(|s| *s as usize)
                .filter(|s| {
                    record.asked[*s]
                        && def.question_at(*s).is_some_and(|q| q.is_input())
                        && !self.structural.contains(s)
                        && !def.record_key.contains(s)
                })
                .collect();
            self.rng.shuffle(&mut vars);
            for slot in vars {
                let q = def.question_at(slot)?;
                for _ in 0..60 {
                    let candidate = self.value(q, &record.values, None);
                    if candidate.is_null() {
                        continue;
                    }
                    let mut trial = record.clone();
                    trial.values[slot] = candidate;
                    let failures = self.failures(&trial);
                    if let [only] = failures.as_slice()
                        && only.message == rule.message
                        && only.severity == severity
                    {
                        let answers = self.render_answers(&trial);
                        return Some((answers, only.path.clone()));
                    }
                }
            }
        }
        None
    }

    /// Give this record the key of an earlier one, if nothing else then fails.
    fn plant_unique(&mut self, record: &Record, earlier: &[Record]) -> Option<(Map<String, J>, String)> {
        let def = self.def;
        let first = def.question_at(*def.record_key.first()?)?;
        for other in earlier.iter().rev() {
            let mut trial = record.clone();
            for slot in &def.record_key {
                trial.values[*slot] = other.values[*slot].clone();
            }
            if self.failures(&trial).is_empty() {
                return Some((self.render_answers(&trial), first.id.clone()));
            }
        }
        None
    }

    /// Records of a log, each written as a line of JSON by `write`; about `error_rate` of them get
    /// one planted problem, taking the kinds in turn. Returns what was planted.
    pub fn log_records(
        &mut self,
        count: usize,
        error_rate: f64,
        write: impl FnMut(&Map<String, J>) -> std::io::Result<()>,
    ) -> Result<std::io::Result<Vec<Planted>>, GenerateError> {
        self.log_records_of(count, error_rate, &KINDS, 1, write)
    }

    /// As [`Generator::log_records`], planting only `kinds`, for a file whose first record is on
    /// row `first_row` (2 under a CSV header).
    pub fn log_records_of(
        &mut self,
        count: usize,
        error_rate: f64,
        kinds: &[(Code, Severity)],
        first_row: u64,
        mut write: impl FnMut(&Map<String, J>) -> std::io::Result<()>,
    ) -> Result<std::io::Result<Vec<Planted>>, GenerateError> {
        let mut planted = Vec::new();
        let mut earlier: Vec<Record> = Vec::new();
        let mut next_kind = 0usize;
        for index in 0..count {
            let kind = if self.rng.f64() < error_rate && !kinds.is_empty() {
                let k = kinds[next_kind % kinds.len()];
                next_kind += 1;
                Some(k)
            } else {
                None
            };
            let record = self.record_with(kind, &mut earlier)?;
            if let Err(e) = write(&record.answers) {
                return Ok(Err(e));
            }
            if let Some((code, severity, path)) = record.planted {
                planted.push(Planted {
                    record: index,
                    row: index as u64 + first_row,
                    severity,
                    code,
                    path: format!("records/{index}/{path}"),
                });
            }
        }
        Ok(Ok(planted))
    }
}

/// Keep a few recent valid records, whose keys a later record can repeat.
fn remember(earlier: &mut Vec<Record>, record: Record) {
    if earlier.len() >= 8 {
        earlier.remove(0);
    }
    earlier.push(record);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_kind_can_be_planted_in_the_lettings_log() {
        let bytes = std::fs::read(format!("{}/../../examples/lettings-log.yaml", env!("CARGO_MANIFEST_DIR")))
            .unwrap();
        let def = formwork_definition::load(&bytes).unwrap();
        let mut g = Generator::new(&def, 42);
        let mut earlier = Vec::new();
        for _ in 0..3 {
            g.record_with(None, &mut earlier).unwrap();
        }
        for kind in KINDS {
            let r = g.record_with(Some(kind), &mut earlier).unwrap();
            assert!(r.planted.is_some(), "{kind:?} could not be planted");
        }
    }
}
