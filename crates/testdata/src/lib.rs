//! Seeded test data for any collection definition.
//!
//! [`Generator::valid`] makes answers that fit a definition *by construction*: every value has the
//! question's type and constraints, only asked questions are answered, table keys are unique, and
//! rules hold. Rules are satisfied by evaluating their expressions and trying again — never by
//! running the validator — so tests that validate generated data really test the validator.
//!
//! [`Generator::log_records`] makes records of a log, some with one planted error (or warning) of
//! a known code at a known path: the manifest the validator's output must match exactly.

mod pattern;
pub mod plant;
mod render;

use std::collections::{HashMap, HashSet};
use std::str::FromStr;

use chrono::{Days, NaiveDate};
use formwork_definition::expr::{EvalScope, Outcome};
use formwork_definition::model::{Bound, Definition, Question, QuestionType, SlotRef};
use formwork_definition::validate::{Context, Place, path};
use formwork_definition::{Severity, Value};
use rust_decimal::Decimal;
use serde::Serialize;

pub use plant::Planted;
pub use render::{cell_text, csv_line};

/// The generator could not make valid answers.
#[derive(Debug, thiserror::Error)]
pub enum GenerateError {
    /// Rules kept failing.
    #[error(
        "could not generate valid answers for `{collection}` in {attempts} attempts; the last failing check was: {reason}"
    )]
    Unsatisfiable {
        /// The collection.
        collection: String,
        /// How many attempts were made.
        attempts: usize,
        /// The last rule that failed.
        reason: String,
    },
}

/// Valid typed answers, by slot.
#[derive(Clone, Debug)]
pub struct Record {
    /// Values by slot (`Null` where not asked or left out).
    pub values: Vec<Value>,
    /// Which slots are asked.
    pub asked: Vec<bool>,
}

/// A rule that does not hold, with where its item points.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Failure {
    /// The item's path.
    pub path: String,
    /// Error or warning.
    pub severity: Severity,
    /// The rule's message.
    pub message: String,
}

/// How many times a whole set of answers is tried before giving up.
const ATTEMPTS: usize = 2_000;
/// How many times one value or row is tried against its own rules.
const TRIES: usize = 40;
/// Values of columns shared by several tables (e.g. `project_id`) come from a pool this big, so
/// that rules relating the tables can hold.
const POOL: usize = 3;

/// Makes answers for one definition from a seed.
pub struct Generator<'d> {
    def: &'d Definition,
    rng: fastrand::Rng,
    ctx: Context,
    /// Slots read by a condition, a calculation or a bound: changing them changes what is asked.
    structural: HashSet<usize>,
    /// Slots read by rules (how many rules).
    rule_reads: HashMap<usize, usize>,
    /// Column ids used by more than one table.
    shared: HashSet<String>,
    /// The pool for each shared column id in the record being made.
    pools: HashMap<String, Vec<Value>>,
    /// Record keys already made (logs).
    keys: HashSet<String>,
    /// How many rows each table gets, when set (for benchmarks of large tables).
    table_rows: Option<usize>,
}

impl<'d> Generator<'d> {
    /// A generator for `def`, reproducible from `seed`.
    pub fn new(def: &'d Definition, seed: u64) -> Generator<'d> {
        let period = def.schedule.period(0).map(|p| p.dates());
        let today = def.schedule.period(0).map(|p| p.due).unwrap_or(def.schedule.start);
        let mut structural = HashSet::new();
        let mut rule_reads: HashMap<usize, usize> = HashMap::new();
        for s in &def.sections {
            if let Some(w) = &s.when {
                structural.extend(w.deps.answers.iter().map(|d| *d as usize));
            }
        }
        let all_questions = def.questions.iter().chain(def.tables.iter().flat_map(|t| t.columns.iter()));
        for q in all_questions {
            for e in [&q.when, &q.options.value].into_iter().flatten() {
                structural.extend(e.deps.answers.iter().map(|d| *d as usize));
            }
            for b in [&q.options.min, &q.options.max].into_iter().flatten() {
                if let Bound::Expr(e) = b {
                    structural.extend(e.deps.answers.iter().map(|d| *d as usize));
                }
            }
            for r in &q.rules {
                for d in &r.check.deps.answers {
                    *rule_reads.entry(*d as usize).or_default() += 1;
                }
            }
        }
        for r in def.rules.iter().chain(def.tables.iter().flat_map(|t| t.rules.iter())) {
            for d in &r.check.deps.answers {
                *rule_reads.entry(*d as usize).or_default() += 1;
            }
        }
        let mut seen: HashMap<&str, usize> = HashMap::new();
        for t in &def.tables {
            for c in &t.columns {
                *seen.entry(c.id.as_str()).or_default() += 1;
            }
        }
        let shared = seen.into_iter().filter(|(_, n)| *n > 1).map(|(id, _)| id.to_string()).collect();
        Generator {
            def,
            rng: fastrand::Rng::with_seed(seed),
            ctx: Context { today, period },
            structural,
            rule_reads,
            shared,
            pools: HashMap::new(),
            keys: HashSet::new(),
            table_rows: None,
        }
    }

    /// Give every table `rows` rows (within its `min_rows` and `max_rows`), e.g. 4,000 federal
    /// awards for a benchmark.
    pub fn with_table_rows(mut self, rows: usize) -> Generator<'d> {
        self.table_rows = Some(rows);
        self
    }

    /// The context generated answers are valid in (today and the first period).
    pub fn context(&self) -> Context {
        self.ctx
    }

    fn scope<'a>(&self, values: &'a [Value], row: Option<&'a [Value]>) -> EvalScope<'a> {
        EvalScope { answers: values, row, period: self.ctx.period, today: self.ctx.today }
    }

    /// Valid answers for a return, or a valid record of a log (with a record key not made before).
    pub fn valid(&mut self) -> Result<Record, GenerateError> {
        let mut reason = String::new();
        for _ in 0..ATTEMPTS {
            self.pools.clear();
            let record = self.attempt();
            let failures = self.failures(&record);
            if let Some(f) = failures.first() {
                reason = format!("{} (at {})", f.message, f.path);
                continue;
            }
            if !self.def.record_key.is_empty() {
                let key = self.key_of(&record.values);
                if !self.keys.insert(key) {
                    reason = "the record key repeated an earlier record".into();
                    continue;
                }
            }
            return Ok(record);
        }
        Err(GenerateError::Unsatisfiable {
            collection: self.def.collection.clone(),
            attempts: ATTEMPTS,
            reason,
        })
    }

    pub(crate) fn key_of(&self, values: &[Value]) -> String {
        self.def
            .record_key
            .iter()
            .map(|s| values[*s].to_string().to_lowercase())
            .collect::<Vec<_>>()
            .join("\u{1f}")
    }

    fn attempt(&mut self) -> Record {
        let def = self.def;
        let slots = def.slots.len();
        let mut values = vec![Value::Null; slots];
        let mut asked = vec![false; slots];
        for &slot in def.resolution_order() {
            match def.slots[slot] {
                SlotRef::Question(qi) => {
                    let q = &def.questions[qi];
                    let section_when = def.sections[q.section].when.as_ref();
                    if !holds(section_when, &self.scope(&values, None))
                        || !holds(q.when.as_ref(), &self.scope(&values, None))
                    {
                        continue;
                    }
                    asked[slot] = true;
                    if let Some(v) = &q.options.value {
                        values[slot] = value_of(v.eval(&self.scope(&values, None)));
                        continue;
                    }
                    values[slot] = self.answer_until_rules_hold(q, &values, None, slot);
                }
                SlotRef::Table(ti) => {
                    let table = &def.tables[ti];
                    if !holds(def.sections[table.section].when.as_ref(), &self.scope(&values, None)) {
                        continue;
                    }
                    asked[slot] = true;
                    values[slot] = self.table(ti, &values);
                }
            }
        }
        Record { values, asked }
    }

    /// A value for `q`, retried until its own rules do not fail (rules that read answers not made
    /// yet are undecided and checked later).
    fn answer_until_rules_hold(
        &mut self,
        q: &Question,
        values: &[Value],
        row: Option<&[Value]>,
        slot: usize,
    ) -> Value {
        let mut candidate = Value::Null;
        for _ in 0..TRIES {
            candidate = self.answer(q, values, row);
            let ok = match row {
                None => {
                    let mut trial = values.to_vec();
                    trial[slot] = candidate.clone();
                    q.rules.iter().all(|r| !r.check.eval(&self.scope(&trial, None)).is_false())
                }
                Some(cells) => {
                    let mut trial = cells.to_vec();
                    trial[slot] = candidate.clone();
                    q.rules.iter().all(|r| !r.check.eval(&self.scope(values, Some(&trial))).is_false())
                }
            };
            if ok {
                break;
            }
        }
        candidate
    }

    fn table(&mut self, ti: usize, values: &[Value]) -> Value {
        let def = self.def;
        let table = &def.tables[ti];
        let keyed_by_pool =
            table.unique.len() == 1 && self.shared.contains(&table.columns[table.unique[0]].id);
        let count = if let Some(rows) = self.table_rows.filter(|_| !keyed_by_pool) {
            rows.clamp(table.min_rows as usize, table.max_rows as usize)
        } else if keyed_by_pool {
            POOL.clamp(table.min_rows as usize, table.max_rows as usize)
        } else {
            let low = table.min_rows.max(1) as usize;
            let high = (table.max_rows as usize).min(low + 4);
            self.rng.usize(low..=high.max(low))
        };
        let mut rows: Vec<Value> = Vec::with_capacity(count);
        let mut keys: HashSet<String> = HashSet::new();
        for r in 0..count {
            for _ in 0..TRIES {
                let mut cells = vec![Value::Null; table.columns.len()];
                for &c in table.column_order() {
                    let column = &table.columns[c];
                    if !holds(column.when.as_ref(), &self.scope(values, Some(&cells))) {
                        continue;
                    }
                    if let Some(v) = &column.options.value {
                        cells[c] = value_of(v.eval(&self.scope(values, Some(&cells))));
                        continue;
                    }
                    cells[c] = if keyed_by_pool && c == table.unique[0] {
                        self.pool(column)[r % POOL].clone()
                    } else {
                        self.answer_until_rules_hold(column, values, Some(&cells), c)
                    };
                }
                let row_ok = table
                    .rules
                    .iter()
                    .all(|rule| !rule.check.eval(&self.scope(values, Some(&cells))).is_false());
                let key: Vec<String> =
                    table.unique.iter().map(|c| cells[*c].to_string().to_lowercase()).collect();
                if row_ok && (table.unique.is_empty() || !keys.contains(&key.join("\u{1f}"))) {
                    keys.insert(key.join("\u{1f}"));
                    rows.push(Value::Row(cells.into()));
                    break;
                }
            }
        }
        Value::List(rows.into())
    }

    fn pool(&mut self, q: &Question) -> Vec<Value> {
        if let Some(p) = self.pools.get(&q.id) {
            return p.clone();
        }
        let mut pool: Vec<Value> = Vec::new();
        for _ in 0..TRIES * POOL {
            if pool.len() == POOL {
                break;
            }
            let v = self.answer(q, &[], None);
            if !v.is_null() && !pool.contains(&v) {
                pool.push(v);
            }
        }
        self.pools.insert(q.id.clone(), pool.clone());
        pool
    }

    /// A random valid answer for `q` (sometimes none, when it is optional).
    fn answer(&mut self, q: &Question, values: &[Value], row: Option<&[Value]>) -> Value {
        if !q.required && self.rng.u8(..10) < 3 {
            return Value::Null;
        }
        if row.is_some() && self.shared.contains(&q.id) {
            let pool = self.pool(q);
            if !pool.is_empty() {
                return pool[self.rng.usize(..pool.len())].clone();
            }
        }
        self.value(q, values, row)
    }

    fn value(&mut self, q: &Question, values: &[Value], row: Option<&[Value]>) -> Value {
        let o = &q.options;
        let number = |b: &Option<Bound>| match b {
            Some(Bound::Number(n)) => Some(*n),
            _ => None,
        };
        match q.ty {
            QuestionType::Text | QuestionType::LongText => {
                for _ in 0..TRIES {
                    let text = match &o.pattern {
                        Some(p) => pattern::sample(&p.source, &mut self.rng).unwrap_or_default(),
                        None => self.words(q),
                    };
                    let len = text.chars().count();
                    let fits = o.max_length.is_none_or(|m| len <= m as usize)
                        && o.min_length.is_none_or(|m| len >= m as usize)
                        && o.pattern.as_ref().is_none_or(|p| p.regex.is_match(&text))
                        && !text.trim().is_empty()
                        && text.trim() == text;
                    if fits {
                        return Value::text(&text);
                    }
                }
                Value::Null
            }
            QuestionType::Integer => {
                let low = number(&o.min).unwrap_or(Decimal::ZERO);
                let high = number(&o.max).unwrap_or(low + Decimal::from(100));
                Value::Number(self.decimal_between(low, high, 0))
            }
            QuestionType::Decimal | QuestionType::Percentage => {
                let low = number(&o.min).unwrap_or(Decimal::ZERO);
                let high = number(&o.max).unwrap_or(low + Decimal::from(1000));
                Value::Number(self.decimal_between(low, high, o.places.unwrap_or(2).min(4)))
            }
            QuestionType::Money => {
                // Top-level amounts (grants, totals) are larger than the rows of tables.
                let low = number(&o.min).unwrap_or(Decimal::ZERO);
                let span = if row.is_some() { 1_000 } else { 1_000_000 };
                let high = number(&o.max).unwrap_or(low + Decimal::from(span));
                let mut n = self.decimal_between(low, high, 2);
                n.rescale(2);
                Value::Number(n)
            }
            QuestionType::Date => {
                let start = self.def.schedule.start;
                let low = self.date_bound(o.min.as_ref(), values, row).unwrap_or(start - Days::new(5 * 365));
                let high = self.date_bound(o.max.as_ref(), values, row).unwrap_or(start + Days::new(365));
                let span = (high - low).num_days().max(0) as u64;
                Value::Date(low + Days::new(self.rng.u64(0..=span)))
            }
            QuestionType::YesNo => Value::Bool(self.rng.bool()),
            QuestionType::Choice => match self.def.choices_of(q) {
                Some(list) if !list.choices.is_empty() => {
                    Value::Text(list.choices[self.rng.usize(..list.choices.len())].value.clone())
                }
                _ => Value::Null,
            },
            QuestionType::MultiChoice => {
                let Some(list) = self.def.choices_of(q) else {
                    return Value::Null;
                };
                let n = list.choices.len();
                let low = o.min_selected.unwrap_or(1).max(1) as usize;
                let high = (o.max_selected.map(|m| m as usize).unwrap_or(n)).min(n).max(low);
                let count = self.rng.usize(low..=high);
                let mut indexes: Vec<usize> = (0..n).collect();
                self.rng.shuffle(&mut indexes);
                let mut chosen: Vec<usize> = indexes.into_iter().take(count).collect();
                chosen.sort_unstable();
                Value::List(chosen.into_iter().map(|i| Value::Text(list.choices[i].value.clone())).collect())
            }
            QuestionType::Email => {
                Value::text(&format!("{}{}@example.org", self.word(), self.rng.u16(1..1000)))
            }
            QuestionType::Phone => Value::text(&format!("01632960{:03}", self.rng.u16(0..1000))),
            QuestionType::Postcode => {
                let l = |rng: &mut fastrand::Rng| char::from(rng.u8(b'A'..=b'Z'));
                let outward = match self.rng.u8(..3) {
                    0 => format!("{}{}", l(&mut self.rng), self.rng.u8(1..10)),
                    1 => format!("{}{}{}", l(&mut self.rng), l(&mut self.rng), self.rng.u8(1..100)),
                    _ => format!(
                        "{}{}{}{}",
                        l(&mut self.rng),
                        l(&mut self.rng),
                        self.rng.u8(1..10),
                        l(&mut self.rng)
                    ),
                };
                Value::text(&format!(
                    "{outward} {}{}{}",
                    self.rng.u8(0..10),
                    l(&mut self.rng),
                    l(&mut self.rng)
                ))
            }
            QuestionType::Url => Value::text(&format!("https://www.example.org/{}", self.word())),
            QuestionType::File => {
                let ext = o.accept.first().cloned().unwrap_or_else(|| "pdf".into());
                let max = o.max_size.unwrap_or(10 << 20);
                Value::File(std::sync::Arc::new(formwork_definition::value::FileRef {
                    name: format!("{}.{ext}", self.word()),
                    size: self.rng.u64(1..=max.max(1)),
                    id: None,
                }))
            }
            QuestionType::Calculated => Value::Null,
        }
    }

    fn date_bound(
        &self,
        bound: Option<&Bound>,
        values: &[Value],
        row: Option<&[Value]>,
    ) -> Option<NaiveDate> {
        match bound? {
            Bound::Date(d) => Some(*d),
            Bound::Expr(e) => match e.eval(&self.scope(values, row)) {
                Outcome::Value(Value::Date(d)) => Some(d),
                _ => None,
            },
            Bound::Number(_) => None,
        }
    }

    fn decimal_between(&mut self, low: Decimal, high: Decimal, places: u32) -> Decimal {
        if high <= low {
            return low;
        }
        let scale = Decimal::from(10u64.pow(places));
        let (Some(lo), Some(hi)) = (
            (low * scale).ceil().to_string().parse::<i64>().ok(),
            (high * scale).floor().to_string().parse::<i64>().ok(),
        ) else {
            return low;
        };
        let n = self.rng.i64(lo..=hi.max(lo));
        Decimal::from(n) / scale
    }

    fn word(&mut self) -> &'static str {
        const WORDS: &[&str] = &[
            "north", "river", "market", "station", "harbour", "mill", "bridge", "green", "park", "hall",
            "college", "works",
        ];
        WORDS[self.rng.usize(..WORDS.len())]
    }

    fn words(&mut self, q: &Question) -> String {
        let count = if q.ty == QuestionType::LongText { self.rng.usize(4..12) } else { self.rng.usize(1..4) };
        let words: Vec<&str> = (0..count).map(|_| self.word()).collect();
        let text = words.join(" ");
        let mut chars = text.chars();
        let capitalised: String =
            chars.next().map(|c| c.to_uppercase().chain(chars).collect()).unwrap_or_default();
        match q.options.max_length {
            Some(max) => capitalised.chars().take(max as usize).collect::<String>().trim_end().to_string(),
            None => capitalised,
        }
    }

    /// Every rule (and date bound given by an expression) that definitely fails, with its path.
    pub fn failures(&self, record: &Record) -> Vec<Failure> {
        let def = self.def;
        let values = &record.values;
        let mut out = Vec::new();
        let mut fail = |path: String, severity: Severity, message: &str| {
            out.push(Failure { path, severity, message: message.to_string() })
        };
        for q in &def.questions {
            if !record.asked[q.slot] {
                continue;
            }
            for r in &q.rules {
                if r.check.eval(&self.scope(values, None)).is_false() {
                    let place = Place::Slot(r.fields.first().copied().unwrap_or(q.slot));
                    fail(path(def, &place), r.severity, &r.message);
                }
            }
            if let Value::Date(d) = values[q.slot] {
                let low = self.date_bound(q.options.min.as_ref(), values, None);
                let high = self.date_bound(q.options.max.as_ref(), values, None);
                if low.is_some_and(|l| d < l) || high.is_some_and(|h| d > h) {
                    fail(q.id.clone(), Severity::Error, "date outside its bounds");
                }
            }
        }
        for t in &def.tables {
            let Value::List(rows) = &values[t.slot] else {
                continue;
            };
            for (r, row) in rows.iter().enumerate() {
                let Value::Row(cells) = row else { continue };
                for (c, column) in t.columns.iter().enumerate() {
                    for rule in &column.rules {
                        if rule.check.eval(&self.scope(values, Some(cells))).is_false() {
                            let target = rule.fields.first().copied().unwrap_or(c);
                            fail(path(def, &Place::Cell(t.slot, r, target)), rule.severity, &rule.message);
                        }
                    }
                }
                for rule in &t.rules {
                    if rule.check.eval(&self.scope(values, Some(cells))).is_false() {
                        let place = match rule.fields.first() {
                            Some(c) => Place::Cell(t.slot, r, *c),
                            None => Place::Row(t.slot, r),
                        };
                        fail(path(def, &place), rule.severity, &rule.message);
                    }
                }
            }
        }
        for r in &def.rules {
            if r.check.eval(&self.scope(values, None)).is_false() {
                let place = r.fields.first().map(|f| Place::Slot(*f)).unwrap_or(Place::Root);
                fail(path(def, &place), r.severity, &r.message);
            }
        }
        out
    }

    /// A valid submission of a return as JSON: `{"collection", "version", "period", "answers"}`.
    pub fn submission(&mut self) -> Result<serde_json::Value, GenerateError> {
        let record = self.valid()?;
        let answers = self.render_answers(&record);
        Ok(serde_json::json!({
            "collection": self.def.collection,
            "version": self.def.version,
            "period": self.def.schedule.period(0).map(|p| p.key),
            "answers": answers,
        }))
    }
}

fn holds(condition: Option<&formwork_definition::expr::Compiled>, scope: &EvalScope<'_>) -> bool {
    condition.is_none_or(|c| c.eval(scope).is_true())
}

fn value_of(outcome: Outcome) -> Value {
    match outcome {
        Outcome::Value(v) => v,
        _ => Value::Null,
    }
}

/// Parse a decimal written in a test.
pub fn dec(s: &str) -> Decimal {
    Decimal::from_str(s).unwrap_or_default()
}
