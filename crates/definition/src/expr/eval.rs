//! Evaluate a compiled expression over answers.
//!
//! Evaluation never panics and always ends: the tree is bounded when it is compiled, and each run
//! has a step budget ([`MAX_STEPS`]) charged per node, per list item visited and per item built.

use std::cmp::Ordering;
use std::sync::Arc;

use chrono::NaiveDate;
use regex::Regex;
use rust_decimal::prelude::ToPrimitive;
use rust_decimal::{Decimal, RoundingStrategy};

use super::parser::BinOp;
use crate::value::Value;

/// The most steps one evaluation may take: enough for a rule that compares every row of a
/// 20,000-row table with every row of a 100-row one, and no more.
pub const MAX_STEPS: u64 = 50_000_000;

/// The dates of the period a submission is for, visible as `period.start`, `.end`, `.due`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PeriodDates {
    /// First day of the period.
    pub start: NaiveDate,
    /// Last day of the period.
    pub end: NaiveDate,
    /// The day returns for the period are due.
    pub due: NaiveDate,
}

/// What an expression sees when it runs.
#[derive(Clone, Copy, Debug)]
pub struct EvalScope<'a> {
    /// Top-level answers by slot (tables are lists of rows).
    pub answers: &'a [Value],
    /// The row in scope, for table rules and column conditions.
    pub row: Option<&'a [Value]>,
    /// The period, if known.
    pub period: Option<PeriodDates>,
    /// Today's date, for `today()`.
    pub today: NaiveDate,
}

/// The result of evaluating an expression.
#[derive(Clone, Debug, PartialEq)]
pub enum Outcome {
    /// A value.
    Value(Value),
    /// It depends on something unanswered (or divides by zero): a rule does not fire, a
    /// condition does not hold, a calculation is empty.
    Undecided,
    /// It needed more than [`MAX_STEPS`] steps.
    TooComplex,
}

impl Outcome {
    /// True only for a definite `true`.
    pub fn is_true(&self) -> bool {
        matches!(self, Outcome::Value(Value::Bool(true)))
    }

    /// True only for a definite `false`.
    pub fn is_false(&self) -> bool {
        matches!(self, Outcome::Value(Value::Bool(false)))
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum PeriodPart {
    Start,
    End,
    Due,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Func {
    Sum,
    Size,
    Min,
    Max,
    MinOf,
    MaxOf,
    Coalesce,
    DaysBetween,
    Date,
    Abs,
    Round,
    Contains,
    StartsWith,
    EndsWith,
}

impl Func {
    pub fn variadic(self) -> Func {
        match self {
            Func::Min => Func::MinOf,
            Func::Max => Func::MaxOf,
            other => other,
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum MacroKind {
    All,
    Exists,
    ExistsOne,
    Filter,
    Map,
}

/// A compiled expression tree: names are already slots.
#[derive(Clone, Debug)]
pub(crate) enum Node {
    Const(Value),
    Answer(u32),
    Column(u32),
    Local(u32),
    Field(Box<Node>, u32),
    Period(PeriodPart),
    Today,
    Not(Box<Node>),
    Neg(Box<Node>),
    Binary(BinOp, Box<Node>, Box<Node>),
    And(Box<Node>, Box<Node>),
    Or(Box<Node>, Box<Node>),
    Cond(Box<Node>, Box<Node>, Box<Node>),
    List(Vec<Node>),
    Index(Box<Node>, Box<Node>),
    Func(Func, Vec<Node>),
    Matches(Box<Node>, Arc<Regex>),
    Macro { kind: MacroKind, list: Box<Node>, local: u32, body: Box<Node>, transform: Option<Box<Node>> },
}

/// A compiled expression.
#[derive(Clone, Debug)]
pub(crate) struct Program {
    root: Node,
}

/// Why evaluation stopped without a value.
enum Stop {
    Undecided,
    Budget,
}

type Eval = Result<Value, Stop>;

struct Machine<'a> {
    scope: &'a EvalScope<'a>,
    locals: Vec<Value>,
    steps: u64,
}

impl Program {
    pub fn new(root: Node) -> Program {
        Program { root }
    }

    pub fn run(&self, scope: &EvalScope<'_>) -> Outcome {
        let mut m = Machine { scope, locals: Vec::new(), steps: 0 };
        match m.eval(&self.root) {
            Ok(Value::Null) => Outcome::Undecided,
            Ok(v) => Outcome::Value(v),
            Err(Stop::Undecided) => Outcome::Undecided,
            Err(Stop::Budget) => Outcome::TooComplex,
        }
    }
}

fn truth(v: &Value) -> Result<bool, Stop> {
    match v {
        Value::Bool(b) => Ok(*b),
        _ => Err(Stop::Undecided),
    }
}

fn number(v: &Value) -> Result<Decimal, Stop> {
    match v {
        Value::Number(n) => Ok(*n),
        _ => Err(Stop::Undecided),
    }
}

fn list(v: &Value) -> Result<&Arc<[Value]>, Stop> {
    match v {
        Value::List(items) => Ok(items),
        _ => Err(Stop::Undecided),
    }
}

fn text(v: &Value) -> Result<&str, Stop> {
    match v {
        Value::Text(t) => Ok(t),
        _ => Err(Stop::Undecided),
    }
}

/// Order two values of one kind; anything else (null included) is undecided.
fn order(a: &Value, b: &Value) -> Result<Ordering, Stop> {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => Ok(x.cmp(y)),
        (Value::Date(x), Value::Date(y)) => Ok(x.cmp(y)),
        (Value::Text(x), Value::Text(y)) => Ok(x.cmp(y)),
        _ => Err(Stop::Undecided),
    }
}

impl Machine<'_> {
    fn charge(&mut self, steps: u64) -> Result<(), Stop> {
        self.steps += steps;
        if self.steps > MAX_STEPS { Err(Stop::Budget) } else { Ok(()) }
    }

    fn eval(&mut self, node: &Node) -> Eval {
        self.charge(1)?;
        match node {
            Node::Const(v) => Ok(v.clone()),
            Node::Answer(slot) => Ok(self.scope.answers.get(*slot as usize).cloned().unwrap_or_default()),
            Node::Column(index) => {
                Ok(self.scope.row.and_then(|r| r.get(*index as usize)).cloned().unwrap_or_default())
            }
            Node::Local(index) => Ok(self.locals.get(*index as usize).cloned().unwrap_or_default()),
            Node::Field(target, index) => match self.eval(target)? {
                Value::Row(cells) => Ok(cells.get(*index as usize).cloned().unwrap_or_default()),
                _ => Err(Stop::Undecided),
            },
            Node::Period(part) => {
                let p = self.scope.period.ok_or(Stop::Undecided)?;
                Ok(Value::Date(match part {
                    PeriodPart::Start => p.start,
                    PeriodPart::End => p.end,
                    PeriodPart::Due => p.due,
                }))
            }
            Node::Today => Ok(Value::Date(self.scope.today)),
            Node::Not(operand) => Ok(Value::Bool(!truth(&self.eval(operand)?)?)),
            Node::Neg(operand) => Ok(Value::Number(-number(&self.eval(operand)?)?)),
            Node::And(a, b) => {
                // false wins over undecided, on either side (CEL's commutative `&&`).
                let left = self.eval(a).and_then(|v| truth(&v));
                if let Ok(false) = left {
                    return Ok(Value::Bool(false));
                }
                let right = self.eval(b).and_then(|v| truth(&v));
                match (left, right) {
                    (_, Ok(false)) => Ok(Value::Bool(false)),
                    (Err(Stop::Budget), _) | (_, Err(Stop::Budget)) => Err(Stop::Budget),
                    (Ok(true), Ok(true)) => Ok(Value::Bool(true)),
                    _ => Err(Stop::Undecided),
                }
            }
            Node::Or(a, b) => {
                let left = self.eval(a).and_then(|v| truth(&v));
                if let Ok(true) = left {
                    return Ok(Value::Bool(true));
                }
                let right = self.eval(b).and_then(|v| truth(&v));
                match (left, right) {
                    (_, Ok(true)) => Ok(Value::Bool(true)),
                    (Err(Stop::Budget), _) | (_, Err(Stop::Budget)) => Err(Stop::Budget),
                    (Ok(false), Ok(false)) => Ok(Value::Bool(false)),
                    _ => Err(Stop::Undecided),
                }
            }
            Node::Cond(c, then, otherwise) => {
                if truth(&self.eval(c)?)? {
                    self.eval(then)
                } else {
                    self.eval(otherwise)
                }
            }
            Node::List(items) => {
                self.charge(items.len() as u64)?;
                let values: Result<Vec<Value>, Stop> = items.iter().map(|i| self.eval(i)).collect();
                Ok(Value::List(values?.into()))
            }
            Node::Index(target, index) => {
                let target = self.eval(target)?;
                let index = number(&self.eval(index)?)?;
                let items = list(&target)?;
                if index.fract() != Decimal::ZERO {
                    return Err(Stop::Undecided);
                }
                let i = index.to_usize().ok_or(Stop::Undecided)?;
                items.get(i).cloned().ok_or(Stop::Undecided)
            }
            Node::Binary(op, a, b) => {
                let a = self.eval(a)?;
                let b = self.eval(b)?;
                self.binary(*op, a, b)
            }
            Node::Matches(target, regex) => {
                let v = self.eval(target)?;
                Ok(Value::Bool(regex.is_match(text(&v)?)))
            }
            Node::Func(func, args) => self.func(*func, args),
            Node::Macro { kind, list: target, local, body, transform } => {
                let target = self.eval(target)?;
                let items = list(&target)?.clone();
                self.macro_call(*kind, &items, *local, body, transform.as_deref())
            }
        }
    }

    fn binary(&mut self, op: BinOp, a: Value, b: Value) -> Eval {
        use BinOp::*;
        match op {
            Eq => Ok(Value::Bool(a == b)),
            Ne => Ok(Value::Bool(a != b)),
            Lt => Ok(Value::Bool(order(&a, &b)? == Ordering::Less)),
            Le => Ok(Value::Bool(order(&a, &b)? != Ordering::Greater)),
            Gt => Ok(Value::Bool(order(&a, &b)? == Ordering::Greater)),
            Ge => Ok(Value::Bool(order(&a, &b)? != Ordering::Less)),
            In => {
                if a.is_null() {
                    return Err(Stop::Undecided);
                }
                let items = list(&b)?;
                self.charge(items.len() as u64)?;
                Ok(Value::Bool(items.contains(&a)))
            }
            Add => match (a, b) {
                (Value::Number(x), Value::Number(y)) => {
                    x.checked_add(y).map(Value::Number).ok_or(Stop::Undecided)
                }
                (Value::Text(x), Value::Text(y)) => {
                    self.charge((x.len() + y.len()) as u64)?;
                    Ok(Value::Text(Arc::from(format!("{x}{y}"))))
                }
                (Value::List(x), Value::List(y)) => {
                    self.charge((x.len() + y.len()) as u64)?;
                    Ok(Value::List(x.iter().chain(y.iter()).cloned().collect()))
                }
                _ => Err(Stop::Undecided),
            },
            Sub | Mul | Div | Rem => {
                let (x, y) = (number(&a)?, number(&b)?);
                let result = match op {
                    Sub => x.checked_sub(y),
                    Mul => x.checked_mul(y),
                    Div => x.checked_div(y),
                    _ => x.checked_rem(y),
                };
                result.map(Value::Number).ok_or(Stop::Undecided)
            }
        }
    }

    fn func(&mut self, func: Func, args: &[Node]) -> Eval {
        if func == Func::Coalesce {
            for arg in args {
                match self.eval(arg) {
                    Ok(Value::Null) | Err(Stop::Undecided) => continue,
                    other => return other,
                }
            }
            return Ok(Value::Null);
        }
        let mut values = Vec::with_capacity(args.len());
        for arg in args {
            values.push(self.eval(arg)?);
        }
        match func {
            Func::Sum => {
                let items = list(&values[0])?;
                self.charge(items.len() as u64)?;
                let mut total = Decimal::ZERO;
                for item in items.iter() {
                    total = total.checked_add(number(item)?).ok_or(Stop::Undecided)?;
                }
                Ok(Value::Number(total))
            }
            Func::Size => match &values[0] {
                Value::List(items) => Ok(Value::Number(Decimal::from(items.len()))),
                Value::Text(t) => Ok(Value::Number(Decimal::from(t.chars().count()))),
                _ => Err(Stop::Undecided),
            },
            Func::Min | Func::Max => {
                let items = list(&values[0])?.clone();
                self.charge(items.len() as u64)?;
                extreme(&items, func == Func::Max)
            }
            Func::MinOf | Func::MaxOf => extreme(&values, func == Func::MaxOf),
            Func::DaysBetween => match (&values[0], &values[1]) {
                (Value::Date(a), Value::Date(b)) => Ok(Value::Number(Decimal::from((*b - *a).num_days()))),
                _ => Err(Stop::Undecided),
            },
            Func::Date => NaiveDate::parse_from_str(text(&values[0])?, "%Y-%m-%d")
                .map(Value::Date)
                .map_err(|_| Stop::Undecided),
            Func::Abs => Ok(Value::Number(number(&values[0])?.abs())),
            Func::Round => {
                let places = match values.get(1) {
                    Some(v) => number(v)?.trunc().to_u32().ok_or(Stop::Undecided)?.min(28),
                    None => 0,
                };
                Ok(Value::Number(
                    number(&values[0])?
                        .round_dp_with_strategy(places, RoundingStrategy::MidpointAwayFromZero),
                ))
            }
            Func::Contains | Func::StartsWith | Func::EndsWith => {
                let (haystack, needle) = (text(&values[0])?, text(&values[1])?);
                self.charge(haystack.len() as u64 / 64)?;
                Ok(Value::Bool(match func {
                    Func::Contains => haystack.contains(needle),
                    Func::StartsWith => haystack.starts_with(needle),
                    _ => haystack.ends_with(needle),
                }))
            }
            Func::Coalesce => Ok(Value::Null),
        }
    }

    fn macro_call(
        &mut self,
        kind: MacroKind,
        items: &[Value],
        local: u32,
        body: &Node,
        transform: Option<&Node>,
    ) -> Eval {
        let slot = local as usize;
        if self.locals.len() <= slot {
            self.locals.resize(slot + 1, Value::Null);
        }
        let mut undecided = false;
        let mut found = 0usize;
        let mut out: Vec<Value> = Vec::new();
        for item in items {
            self.charge(1)?;
            self.locals[slot] = item.clone();
            let result = self.eval(body);
            match kind {
                MacroKind::All | MacroKind::Exists | MacroKind::ExistsOne => {
                    match result.and_then(|v| truth(&v)) {
                        Ok(b) => {
                            if kind == MacroKind::All && !b {
                                return Ok(Value::Bool(false));
                            }
                            if kind == MacroKind::Exists && b {
                                return Ok(Value::Bool(true));
                            }
                            if b {
                                found += 1;
                            }
                        }
                        Err(Stop::Budget) => return Err(Stop::Budget),
                        Err(Stop::Undecided) => undecided = true,
                    }
                }
                MacroKind::Filter => {
                    if truth(&result?)? {
                        out.push(item.clone());
                    }
                }
                MacroKind::Map => match transform {
                    Some(t) => {
                        if truth(&result?)? {
                            self.locals[slot] = item.clone();
                            out.push(self.eval(t)?);
                        }
                    }
                    None => out.push(result?),
                },
            }
        }
        match kind {
            MacroKind::All if undecided => Err(Stop::Undecided),
            MacroKind::All => Ok(Value::Bool(true)),
            MacroKind::Exists if undecided => Err(Stop::Undecided),
            MacroKind::Exists => Ok(Value::Bool(false)),
            MacroKind::ExistsOne if undecided => Err(Stop::Undecided),
            MacroKind::ExistsOne => Ok(Value::Bool(found == 1)),
            MacroKind::Filter | MacroKind::Map => Ok(Value::List(out.into())),
        }
    }
}

fn extreme(items: &[Value], max: bool) -> Eval {
    let mut best: Option<&Value> = None;
    for item in items {
        best = Some(match best {
            None => {
                order(item, item)?;
                item
            }
            Some(current) => {
                let o = order(item, current)?;
                if (max && o == Ordering::Greater) || (!max && o == Ordering::Less) { item } else { current }
            }
        });
    }
    best.cloned().ok_or(Stop::Undecided)
}
