//! The validation engine: answers in, typed values and items out. One engine for the web form, the
//! API, uploads, imports and `formwork validate`.
//!
//! Validation runs in two passes over a submission (or one record of a log):
//!
//! 1. *Resolve*, slot by slot in dependency order: is the question asked (its section's and its own
//!    `when`)? If so, turn its input into a typed value (or report why not); if it is calculated,
//!    work it out. A question that is not asked has no value, whatever was sent.
//! 2. *Check* every asked question: required, min/max, length, pattern, selections, then its
//!    rules; tables: row counts, unique keys, row rules; then the collection's rules. A rule that
//!    reads an answer that was invalid is not run (the answer's own error says what to fix), and a
//!    place that already has an error gets no second one.

pub mod convert;
mod item;
pub mod json;
mod records;
pub mod summary;

use std::collections::HashMap;

use rustc_hash::{FxHashMap, FxHashSet};

use chrono::NaiveDate;
use rust_decimal::Decimal;

pub use convert::{Input, Problem};
pub use item::{Code, Item, Location};
pub use records::{CheckedRecord, RecordBatch, RecordKeys, check_record};

use crate::expr::{Compiled, EvalScope, Outcome as Eval, PeriodDates};
use crate::messages;
use crate::model::{Bound, Definition, Question, QuestionType, Rule, SectionContent, Severity, SlotRef};
use crate::value::Value;

/// Answers as they arrived, by slot.
#[derive(Clone, Debug, PartialEq)]
pub struct Answers<'a> {
    /// One entry per slot of the definition.
    pub slots: Vec<SlotInput<'a>>,
}

/// The input for one slot.
#[derive(Clone, Debug, PartialEq)]
pub enum SlotInput<'a> {
    /// A question's answer.
    Question(Input<'a>),
    /// A table's rows, each with one input per column.
    Table(Vec<Vec<Input<'a>>>),
}

impl<'a> Answers<'a> {
    /// No answers at all, shaped for `def`.
    pub fn empty(def: &Definition) -> Answers<'a> {
        let slots = def
            .slots
            .iter()
            .map(|s| match s {
                SlotRef::Question(_) => SlotInput::Question(Input::Empty),
                SlotRef::Table(_) => SlotInput::Table(Vec::new()),
            })
            .collect();
        Answers { slots }
    }

    fn question(&self, slot: usize) -> &Input<'a> {
        match self.slots.get(slot) {
            Some(SlotInput::Question(input)) => input,
            _ => &Input::Empty,
        }
    }

    fn rows(&self, slot: usize) -> &[Vec<Input<'a>>] {
        match self.slots.get(slot) {
            Some(SlotInput::Table(rows)) => rows,
            _ => &[],
        }
    }
}

/// What validation needs to know besides the answers.
#[derive(Clone, Copy, Debug)]
pub struct Context {
    /// Today, for `today()`.
    pub today: NaiveDate,
    /// The period of the submission, for `period.start` etc., if known.
    pub period: Option<PeriodDates>,
}

/// Where a finding points, in terms of slots.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Place {
    /// The whole submission or record.
    Root,
    /// A top-level question or a whole table.
    Slot(usize),
    /// A row of a table: (table slot, row index).
    Row(usize, usize),
    /// A cell of a table: (table slot, row index, column index).
    Cell(usize, usize, usize),
}

/// Tells where a place came from in an uploaded file, and how to refer to another row in
/// messages. The default knows nothing of files.
pub trait Locate {
    /// Row, column, cell and sheet of `place`, as far as known.
    fn locate(&self, _place: &Place) -> Location {
        Location::default()
    }

    /// How a message refers to a table row: "row 3".
    fn row_name(&self, _table_slot: usize, row: usize) -> String {
        format!("row {}", row + 1)
    }
}

/// A [`Locate`] for answers that did not come from a file.
pub struct NoFile;

impl Locate for NoFile {}

/// One problem found, before it is given a path.
#[derive(Clone, Debug, PartialEq)]
pub struct Finding {
    /// Error or warning.
    pub severity: Severity,
    /// The catalogue code.
    pub code: Code,
    /// The message.
    pub message: String,
    /// Where it points.
    pub place: Place,
    /// The id of the rule that failed.
    pub rule: Option<String>,
}

/// A section's progress, for the task list.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum SectionState {
    /// Its `when` does not hold.
    NotApplicable,
    /// Nothing answered yet.
    NotStarted,
    /// Some answers, and something missing or wrong.
    InProgress,
    /// Every asked required question answered and no errors.
    Complete,
}

/// A section's progress and problem counts.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
pub struct SectionStatus {
    /// Progress.
    pub state: SectionState,
    /// Errors in the section.
    pub errors: usize,
    /// Warnings in the section.
    pub warnings: usize,
}

/// The result of validating one submission or record.
#[derive(Clone, Debug)]
pub struct Outcome {
    /// Typed values by slot: `Null` where not asked or not answered; tables are lists of rows.
    pub values: Vec<Value>,
    /// Whether each slot is asked.
    pub asked: Vec<bool>,
    /// Problems found, errors and warnings, in the order found.
    pub findings: Vec<Finding>,
    /// Progress of each section, by section index.
    pub sections: Vec<SectionStatus>,
}

impl Outcome {
    /// True when there is at least one error (warnings do not count).
    pub fn has_errors(&self) -> bool {
        self.findings.iter().any(|f| f.severity == Severity::Error)
    }

    /// The findings as items: `prefix` goes before every path (`records/3/` for a record of a log).
    pub fn items(&self, def: &Definition, prefix: &str, locate: &dyn Locate) -> Vec<Item> {
        self.findings.iter().map(|f| item(def, f, prefix, locate)).collect()
    }
}

/// The path of a place, e.g. `spend/3/amount`.
pub fn path(def: &Definition, place: &Place) -> String {
    let slot_id = |slot: usize| match def.slots.get(slot) {
        Some(SlotRef::Question(q)) => def.questions[*q].id.as_str(),
        Some(SlotRef::Table(t)) => def.tables[*t].id.as_str(),
        None => "",
    };
    match *place {
        Place::Root => String::new(),
        Place::Slot(slot) => slot_id(slot).to_string(),
        Place::Row(slot, row) => format!("{}/{row}", slot_id(slot)),
        Place::Cell(slot, row, column) => {
            let column_id =
                def.table_at(slot).and_then(|t| t.columns.get(column)).map(|c| c.id.as_str()).unwrap_or("");
            format!("{}/{row}/{column_id}", slot_id(slot))
        }
    }
}

/// The section a place belongs to.
pub fn section_of(def: &Definition, place: &Place) -> Option<usize> {
    match *place {
        Place::Root => None,
        Place::Slot(slot) | Place::Row(slot, _) | Place::Cell(slot, _, _) => match def.slots.get(slot)? {
            SlotRef::Question(q) => Some(def.questions[*q].section),
            SlotRef::Table(t) => Some(def.tables[*t].section),
        },
    }
}

/// Turn a finding into an item.
pub fn item(def: &Definition, f: &Finding, prefix: &str, locate: &dyn Locate) -> Item {
    let path = path(def, &f.place);
    let path = match (prefix.is_empty(), path.is_empty()) {
        (true, _) => path,
        (false, true) => prefix.trim_end_matches('/').to_string(),
        (false, false) => format!("{prefix}{path}"),
    };
    let location = locate.locate(&f.place);
    Item {
        severity: f.severity,
        code: f.code,
        message: f.message.clone(),
        path,
        section: section_of(def, &f.place).and_then(|s| def.sections.get(s)).map(|s| s.id.clone()),
        row: location.row,
        column: location.column,
        cell: location.cell,
        sheet: location.sheet,
        rule: f.rule.clone(),
    }
}

/// Per-row state of a table while validating.
struct Row {
    cells: Vec<Value>,
    asked: Vec<bool>,
    invalid: Vec<bool>,
}

struct Run<'d, 'l> {
    def: &'d Definition,
    ctx: Context,
    locate: &'l dyn Locate,
    values: Vec<Value>,
    asked: Vec<bool>,
    invalid: Vec<bool>,
    given: Vec<bool>,
    tables: HashMap<usize, Vec<Row>>,
    section_asked: Vec<Option<bool>>,
    findings: Vec<Finding>,
    errored: FxHashSet<Place>,
}

/// Validate one submission of a return, or one record of a log.
pub fn validate(def: &Definition, answers: &Answers<'_>, ctx: &Context, locate: &dyn Locate) -> Outcome {
    validate_part(def, answers, ctx, locate, Part::Whole)
}

/// Which part of a submission to check.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Part {
    /// Every question, table and rule.
    Whole,
    /// One table (by slot) on its own, as when its rows arrive in a file: its rows, cells and row
    /// rules are checked; the rest of the submission is not there, so nothing else is.
    Table(usize),
}

/// Validate a part of a submission; see [`Part`].
pub fn validate_part(
    def: &Definition,
    answers: &Answers<'_>,
    ctx: &Context,
    locate: &dyn Locate,
    part: Part,
) -> Outcome {
    let slots = def.slots.len();
    let mut run = Run {
        def,
        ctx: *ctx,
        locate,
        values: vec![Value::Null; slots],
        asked: vec![false; slots],
        invalid: vec![false; slots],
        given: vec![false; slots],
        tables: HashMap::new(),
        section_asked: vec![None; def.sections.len()],
        findings: Vec::new(),
        errored: FxHashSet::default(),
    };
    for &slot in &def.order {
        match def.slots[slot] {
            SlotRef::Question(q) => run.resolve_question(slot, &def.questions[q], answers.question(slot)),
            SlotRef::Table(t) => run.resolve_table(slot, t, answers.rows(slot)),
        }
    }
    for slot in 0..slots {
        if !run.asked[slot] || matches!(part, Part::Table(t) if t != slot) {
            continue;
        }
        match def.slots[slot] {
            SlotRef::Question(q) => run.check_question(&def.questions[q], Place::Slot(slot), None),
            SlotRef::Table(t) => run.check_table(slot, t),
        }
    }
    for rule in def.rules.iter().filter(|_| part == Part::Whole) {
        if !run.reads_invalid(&rule.check, None)
            && let Some(f) = run.rule_finding(rule, None, Place::Root, Place::Slot)
        {
            run.push(f);
        }
    }
    let sections = run.section_statuses();
    Outcome { values: run.values, asked: run.asked, findings: run.findings, sections }
}

impl Run<'_, '_> {
    fn scope<'a>(&'a self, row: Option<&'a [Value]>) -> EvalScope<'a> {
        EvalScope { answers: &self.values, row, period: self.ctx.period, today: self.ctx.today }
    }

    fn section_is_asked(&mut self, section: usize) -> bool {
        if let Some(asked) = self.section_asked[section] {
            return asked;
        }
        let asked = holds(self.def.sections[section].when.as_ref(), &self.scope(None));
        self.section_asked[section] = Some(asked);
        asked
    }

    /// Record a finding; a place that already has an error gets no second one.
    fn push(&mut self, f: Finding) {
        if f.severity == Severity::Error && !self.errored.insert(f.place) {
            return;
        }
        self.findings.push(f);
    }

    fn resolve_question(&mut self, slot: usize, q: &Question, input: &Input<'_>) {
        if !self.section_is_asked(q.section) || !holds(q.when.as_ref(), &self.scope(None)) {
            return;
        }
        self.asked[slot] = true;
        if let Some(value) = &q.options.value {
            self.values[slot] = calculate(value, &self.scope(None));
            return;
        }
        self.given[slot] = !input.is_empty();
        match convert::convert(self.def, q, input) {
            Ok(v) => self.values[slot] = v,
            Err(problem) => {
                self.invalid[slot] = true;
                let code = problem_code(&problem);
                let message = messages::problem(q, &problem, self.def.choices_of(q));
                self.push(finding(code, message, Place::Slot(slot)));
            }
        }
    }

    fn resolve_table(&mut self, slot: usize, t: usize, inputs: &[Vec<Input<'_>>]) {
        let table = &self.def.tables[t];
        if !self.section_is_asked(table.section) {
            return;
        }
        self.asked[slot] = true;
        self.given[slot] = !inputs.is_empty();
        let width = table.columns.len();
        let mut rows = Vec::with_capacity(inputs.len());
        for (r, input) in inputs.iter().enumerate() {
            let mut row = Row {
                cells: vec![Value::Null; width],
                asked: vec![false; width],
                invalid: vec![false; width],
            };
            for &c in &table.order {
                let column = &table.columns[c];
                if !holds(column.when.as_ref(), &self.scope(Some(&row.cells))) {
                    continue;
                }
                row.asked[c] = true;
                if let Some(value) = &column.options.value {
                    row.cells[c] = calculate(value, &self.scope(Some(&row.cells)));
                    continue;
                }
                let cell = input.get(c).unwrap_or(&Input::Empty);
                match convert::convert(self.def, column, cell) {
                    Ok(v) => row.cells[c] = v,
                    Err(problem) => {
                        row.invalid[c] = true;
                        let message = messages::problem(column, &problem, self.def.choices_of(column));
                        self.push(finding(problem_code(&problem), message, Place::Cell(slot, r, c)));
                    }
                }
            }
            rows.push(row);
        }
        self.values[slot] = Value::List(rows.iter().map(|r| Value::Row(r.cells.clone().into())).collect());
        self.tables.insert(slot, rows);
    }

    /// True if the expression reads an answer (or, in a row, a cell) that was invalid.
    fn reads_invalid(&self, c: &Compiled, row_invalid: Option<&[bool]>) -> bool {
        c.deps.answers.iter().any(|s| self.invalid.get(*s as usize).copied().unwrap_or(false))
            || row_invalid.is_some_and(|inv| {
                c.deps.columns.iter().any(|col| inv.get(*col as usize).copied().unwrap_or(false))
            })
    }

    /// Required, constraints and rules of one asked question (or cell: `row` is `(slot, index)`).
    /// Findings are worked out from shared borrows, then recorded.
    fn check_question(&mut self, q: &Question, place: Place, row: Option<(usize, usize)>) {
        let mut found: Vec<Finding> = Vec::new();
        {
            let (value, invalid, cells, row_invalid) = match (row, place) {
                (Some((slot, r)), Place::Cell(_, _, c)) => {
                    let Some(row) = self.tables.get(&slot).and_then(|rows| rows.get(r)) else {
                        return;
                    };
                    (&row.cells[c], row.invalid[c], Some(&row.cells[..]), Some(&row.invalid[..]))
                }
                (_, Place::Slot(slot)) => (&self.values[slot], self.invalid[slot], None, None),
                _ => return,
            };
            if invalid {
                return;
            }
            if value.is_null() {
                if q.required && q.is_input() {
                    found.push(finding(Code::Required, messages::required(q), place));
                }
            } else if let Some((code, message)) = self.constraint(q, value, cells) {
                found.push(finding(code, message, place));
            }
            for rule in &q.rules {
                if self.reads_invalid(&rule.check, row_invalid) {
                    continue;
                }
                let to_place = |f: usize| match place {
                    Place::Cell(s, r, _) => Place::Cell(s, r, f),
                    _ => Place::Slot(f),
                };
                found.extend(self.rule_finding(rule, cells, place, to_place));
            }
        }
        for f in found {
            self.push(f);
        }
    }

    /// The first min/max/length/pattern/selection problem of a typed value.
    fn constraint(&self, q: &Question, value: &Value, row: Option<&[Value]>) -> Option<(Code, String)> {
        let breach = breach(q, value, |bound| self.date_bound(bound, row))?;
        let symbol = self.def.money_symbol(q);
        Some(match breach {
            Breach::Min(min) => (Code::Min, messages::min_number(q, min, symbol)),
            Breach::Max(max) => (Code::Max, messages::max_number(q, max, symbol)),
            Breach::MinDate(min) => (Code::Min, messages::min_date(q, min)),
            Breach::MaxDate(max) => (Code::Max, messages::max_date(q, max)),
            Breach::MaxLength(max) => (Code::Length, messages::max_length(q, max)),
            Breach::MinLength(min) => (Code::Length, messages::min_length(q, min)),
            Breach::Pattern => (Code::Pattern, messages::pattern(q)),
            Breach::MinSelected(min) => (Code::Min, messages::min_selected(q, min)),
            Breach::MaxSelected(max) => (Code::Max, messages::max_selected(q, max)),
        })
    }

    fn date_bound(&self, bound: Option<&Bound>, row: Option<&[Value]>) -> Option<NaiveDate> {
        match bound? {
            Bound::Date(d) => Some(*d),
            Bound::Expr(e) => match e.eval(&self.scope(row)) {
                Eval::Value(Value::Date(d)) => Some(d),
                _ => None,
            },
            Bound::Number(_) => None,
        }
    }

    /// Run a rule; when it fails, the finding, at its first field (mapped by `to_place`) or at
    /// `default`.
    fn rule_finding(
        &self,
        rule: &Rule,
        row: Option<&[Value]>,
        default: Place,
        to_place: impl Fn(usize) -> Place,
    ) -> Option<Finding> {
        let place = rule.fields.first().map(|f| to_place(*f)).unwrap_or(default);
        let (severity, message) = match rule.check.eval(&self.scope(row)) {
            Eval::Value(Value::Bool(false)) => (rule.severity, rule.message.clone()),
            // A check that could not be completed must not pass silently.
            Eval::TooComplex => (Severity::Error, messages::rule_too_complex(&rule.message)),
            _ => return None,
        };
        Some(Finding { severity, code: Code::Rule, message, place, rule: rule.id.clone() })
    }

    fn check_table(&mut self, slot: usize, t: usize) {
        let def = self.def;
        let table = &def.tables[t];
        let title = &def.sections[table.section].title;
        let count = self.tables.get(&slot).map(Vec::len).unwrap_or(0);
        if count < table.min_rows as usize {
            self.push(finding(Code::Rows, messages::min_rows(title, table.min_rows), Place::Slot(slot)));
        } else if count > table.max_rows as usize {
            self.push(finding(
                Code::Rows,
                messages::max_rows(title, table.max_rows, count),
                Place::Slot(slot),
            ));
        }
        let mut keys: FxHashMap<Vec<u8>, usize> = FxHashMap::default();
        for r in 0..count {
            for (c, column) in table.columns.iter().enumerate() {
                if self.tables[&slot][r].asked[c] {
                    self.check_question(column, Place::Cell(slot, r, c), Some((slot, r)));
                }
            }
            let mut found: Vec<Finding> = Vec::new();
            {
                let row = &self.tables[&slot][r];
                if !table.unique.is_empty()
                    && let Some(key) =
                        unique_key(table.unique.iter().map(|c| (&row.cells[*c], row.invalid[*c])))
                {
                    match keys.get(&key) {
                        Some(first) => {
                            let columns: Vec<&Question> =
                                table.unique.iter().map(|c| &table.columns[*c]).collect();
                            let earlier = self.locate.row_name(slot, *first);
                            let place = Place::Cell(slot, r, table.unique[0]);
                            found.push(finding(
                                Code::Unique,
                                messages::unique_row(&columns, title, &earlier),
                                place,
                            ));
                        }
                        None => {
                            keys.insert(key, r);
                        }
                    }
                }
                for rule in &table.rules {
                    if !self.reads_invalid(&rule.check, Some(&row.invalid)) {
                        found.extend(self.rule_finding(rule, Some(&row.cells), Place::Row(slot, r), |c| {
                            Place::Cell(slot, r, c)
                        }));
                    }
                }
            }
            for f in found {
                self.push(f);
            }
        }
    }

    fn section_statuses(&mut self) -> Vec<SectionStatus> {
        let def = self.def;
        let mut errors = vec![0usize; def.sections.len()];
        let mut warnings = vec![0usize; def.sections.len()];
        for f in &self.findings {
            if let Some(s) = section_of(def, &f.place) {
                match f.severity {
                    Severity::Error => errors[s] += 1,
                    Severity::Warning => warnings[s] += 1,
                }
            }
        }
        (0..def.sections.len())
            .map(|s| {
                let section = &def.sections[s];
                let slots: Vec<usize> = match &section.content {
                    SectionContent::Questions(qs) => qs.iter().map(|q| def.questions[*q].slot).collect(),
                    SectionContent::Table(t) => vec![def.tables[*t].slot],
                };
                let asked =
                    self.section_asked[s].unwrap_or(false) || slots.iter().any(|slot| self.asked[*slot]);
                let given = slots.iter().any(|slot| self.given[*slot]);
                let state = if !asked {
                    SectionState::NotApplicable
                } else if errors[s] == 0 {
                    SectionState::Complete
                } else if given {
                    SectionState::InProgress
                } else {
                    SectionState::NotStarted
                };
                SectionStatus { state, errors: errors[s], warnings: warnings[s] }
            })
            .collect()
    }
}

/// A condition holds when it is absent or definitely true; one that needs more work than allowed
/// counts as holding, so that answers are never cleared by accident.
fn holds(condition: Option<&Compiled>, scope: &EvalScope<'_>) -> bool {
    match condition {
        None => true,
        Some(c) => matches!(c.eval(scope), Eval::Value(Value::Bool(true)) | Eval::TooComplex),
    }
}

fn calculate(value: &Compiled, scope: &EvalScope<'_>) -> Value {
    match value.eval(scope) {
        Eval::Value(v) => v,
        Eval::Undecided | Eval::TooComplex => Value::Null,
    }
}

/// A typed value outside one of its question's limits, with the limit.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Breach {
    /// Below `min`.
    Min(Decimal),
    /// Above `max`.
    Max(Decimal),
    /// Before the earliest date.
    MinDate(NaiveDate),
    /// After the latest date.
    MaxDate(NaiveDate),
    /// Fewer characters than `min_length`.
    MinLength(u32),
    /// More characters than `max_length`.
    MaxLength(u32),
    /// Does not match `pattern`.
    Pattern,
    /// Fewer choices than `min_selected`.
    MinSelected(u32),
    /// More choices than `max_selected`.
    MaxSelected(u32),
}

/// The first limit of `q` that a typed `value` breaks. `date_bound` works out a date limit, which
/// may depend on other answers or the period; it gives `None` when it cannot.
pub fn breach(
    q: &Question,
    value: &Value,
    date_bound: impl Fn(Option<&Bound>) -> Option<NaiveDate>,
) -> Option<Breach> {
    let o = &q.options;
    match value {
        Value::Number(n) => {
            if let Some(Bound::Number(min)) = &o.min
                && n < min
            {
                return Some(Breach::Min(*min));
            }
            if let Some(Bound::Number(max)) = &o.max
                && n > max
            {
                return Some(Breach::Max(*max));
            }
        }
        Value::Date(d) => {
            if let Some(min) = date_bound(o.min.as_ref())
                && *d < min
            {
                return Some(Breach::MinDate(min));
            }
            if let Some(max) = date_bound(o.max.as_ref())
                && *d > max
            {
                return Some(Breach::MaxDate(max));
            }
        }
        Value::Text(t) if q.ty.is_text() => {
            if o.min_length.is_some() || o.max_length.is_some() {
                let length = t.chars().count();
                if let Some(max) = o.max_length
                    && length > max as usize
                {
                    return Some(Breach::MaxLength(max));
                }
                if let Some(min) = o.min_length
                    && length < min as usize
                {
                    return Some(Breach::MinLength(min));
                }
            }
            if let Some(p) = &o.pattern
                && !p.regex.is_match(t)
            {
                return Some(Breach::Pattern);
            }
        }
        Value::List(items) if q.ty == QuestionType::MultiChoice => {
            if let Some(min) = o.min_selected
                && items.len() < min as usize
            {
                return Some(Breach::MinSelected(min));
            }
            if let Some(max) = o.max_selected
                && items.len() > max as usize
            {
                return Some(Breach::MaxSelected(max));
            }
        }
        _ => {}
    }
    None
}

/// An error finding not tied to a rule.
fn finding(code: Code, message: String, place: Place) -> Finding {
    Finding { severity: Severity::Error, code, message, place, rule: None }
}

fn problem_code(problem: &Problem) -> Code {
    match problem {
        Problem::NotChoice(_) => Code::Choice,
        Problem::FileType(_) | Problem::FileTooBig(_) => Code::File,
        _ => Code::Type,
    }
}

/// A key for the values of a unique key (text ignoring case, numbers by value, dates by day),
/// or `None` when any is missing or invalid (those are reported on their own).
pub(crate) fn unique_key<'v>(values: impl Iterator<Item = (&'v Value, bool)>) -> Option<Vec<u8>> {
    let mut key = Vec::with_capacity(32);
    for (value, invalid) in values {
        if invalid || value.is_null() {
            return None;
        }
        match value {
            Value::Text(t) => {
                if t.is_ascii() {
                    key.extend(t.bytes().map(|b| b.to_ascii_lowercase()));
                } else {
                    key.extend_from_slice(t.to_lowercase().as_bytes());
                }
            }
            Value::Number(n) => key.extend_from_slice(&n.normalize().serialize()),
            Value::Date(d) => key.extend_from_slice(&chrono::Datelike::num_days_from_ce(d).to_le_bytes()),
            other => key.extend_from_slice(other.to_string().as_bytes()),
        }
        key.push(0x1f);
    }
    Some(key)
}

#[cfg(test)]
mod tests;
