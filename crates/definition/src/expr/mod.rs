//! The expression language of `when`, `check` and `value`: CEL syntax over exact decimals.
//!
//! An expression is parsed and type-checked once, when its definition is loaded, against the
//! questions it can see ([`TypeEnv`]); names are resolved to answer slots then, so evaluation never
//! looks anything up by name and never re-parses. Where formwork differs from CEL:
//!
//! - numbers are exact decimals: integers and decimals mix freely, `0.1 + 0.2 == 0.3`;
//! - an unanswered (null) value makes a comparison or calculation *undecided* rather than an
//!   error: a rule that is undecided does not fire, a `when` that is undecided is not asked, and
//!   `&&`, `||` and `coalesce` absorb undecided parts the way CEL absorbs errors;
//! - map literals and `has()` are not supported; `sum`, `count`, `min`, `max`, `coalesce`,
//!   `days_between`, `today`, `date`, `abs`, `round` and `period.start|end|due` are added.
//!
//! Evaluation is bounded: expressions have limits on length, depth and parts (checked at load),
//! and every evaluation has a step budget that covers loops over tables and the lists it builds.

mod check;
mod eval;
mod lexer;
mod parser;

use std::collections::HashMap;
use std::fmt;

pub(crate) use eval::Program;
pub use eval::{EvalScope, Outcome, PeriodDates};

/// The longest expression accepted, in characters.
pub const MAX_LENGTH: usize = 4_000;

/// A problem in an expression: where (character offsets within the expression) and what.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ExprError {
    /// Offset of the first character concerned.
    pub start: u32,
    /// Number of characters concerned.
    pub len: u32,
    /// What is wrong.
    pub message: String,
    /// How to fix it.
    pub help: Option<String>,
}

impl ExprError {
    pub(crate) fn new(start: u32, len: u32, message: impl Into<String>) -> ExprError {
        ExprError { start, len: len.max(1), message: message.into(), help: None }
    }

    pub(crate) fn with_help(mut self, help: impl Into<String>) -> ExprError {
        self.help = Some(help.into());
        self
    }
}

/// The type of an expression or of a question as expressions see it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Ty {
    /// Unknown or mixed; accepted anywhere (the element type of `[]`).
    Any,
    /// The type of the literal `null`.
    Null,
    /// Yes/no.
    Bool,
    /// Any number (integer, decimal, money, percentage).
    Number,
    /// Text.
    Text,
    /// Text that is the value of a choice from the choice list with this index.
    Choice(u32),
    /// A calendar date.
    Date,
    /// An attached file.
    File,
    /// A list, e.g. of multi-choice values or table rows.
    List(Box<Ty>),
    /// A row of the table with this index.
    Row(u32),
}

impl Ty {
    fn is_text(&self) -> bool {
        matches!(self, Ty::Text | Ty::Choice(_))
    }

    fn is_open(&self) -> bool {
        matches!(self, Ty::Any | Ty::Null)
    }
}

impl fmt::Display for Ty {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Ty::Any => f.write_str("a value"),
            Ty::Null => f.write_str("null"),
            Ty::Bool => f.write_str("true or false"),
            Ty::Number => f.write_str("a number"),
            Ty::Text | Ty::Choice(_) => f.write_str("text"),
            Ty::Date => f.write_str("a date"),
            Ty::File => f.write_str("a file"),
            Ty::List(inner) => write!(f, "a list of {}", strip_article(&inner.to_string())),
            Ty::Row(_) => f.write_str("a table row"),
        }
    }
}

fn strip_article(s: &str) -> String {
    let s = s.strip_prefix("a ").unwrap_or(s);
    match s {
        "number" => "numbers".into(),
        "date" => "dates".into(),
        "file" => "files".into(),
        "table row" => "table rows".into(),
        "true or false" => "yes/no values".into(),
        other => other.into(),
    }
}

/// A question or table visible to expressions by its id.
#[derive(Clone, Debug)]
pub struct Global {
    /// The answer slot it is read from.
    pub slot: u32,
    /// Its type.
    pub ty: Ty,
}

/// The columns of a table, for `row.column` and for table rules.
#[derive(Clone, Debug)]
pub struct TableType {
    /// The table's id (its section id).
    pub id: String,
    /// Column ids and types, in column order.
    pub columns: Vec<(String, Ty)>,
}

/// What an expression can see while it is checked.
#[derive(Clone, Copy, Debug)]
pub struct TypeEnv<'a> {
    /// Top-level questions and tables by id.
    pub globals: &'a HashMap<String, Global>,
    /// Every table, by index.
    pub tables: &'a [TableType],
    /// The values of every choice list, by index; literals compared with a choice are checked.
    pub choice_lists: &'a [(String, Vec<String>)],
    /// The table whose row is in scope (for table rules and column conditions).
    pub row: Option<u32>,
}

/// What an expression reads, found when it is compiled.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Deps {
    /// Top-level answer slots read (including tables read as lists).
    pub answers: Vec<u32>,
    /// Columns of the row in scope read directly.
    pub columns: Vec<u32>,
}

/// A checked expression, ready to evaluate many times.
#[derive(Clone, Debug)]
pub struct Compiled {
    /// The expression as written.
    pub source: String,
    /// Its type.
    pub ty: Ty,
    /// What it reads.
    pub deps: Deps,
    pub(crate) program: Program,
}

impl Compiled {
    /// Evaluate against answers.
    pub fn eval(&self, scope: &EvalScope<'_>) -> Outcome {
        self.program.run(scope)
    }

    /// If the expression is just one name, that name (used to phrase messages about bounds).
    pub fn single_name(&self) -> Option<&str> {
        let s = self.source.trim();
        (!s.is_empty() && s.chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '.')).then_some(s)
    }
}

/// Parse and type-check `source` against `env`.
pub fn compile(source: &str, env: &TypeEnv<'_>) -> Result<Compiled, ExprError> {
    let length = source.chars().count();
    if length > MAX_LENGTH {
        return Err(ExprError::new(
            0,
            1,
            format!("the expression is {length} characters long; the most allowed is {MAX_LENGTH}"),
        )
        .with_help("split it into several rules or calculated questions"));
    }
    if source.trim().is_empty() {
        return Err(ExprError::new(0, 1, "the expression is empty"));
    }
    let tokens = lexer::tokenize(source)?;
    let ast = parser::parse(tokens)?;
    let (program, ty, deps) = check::check(&ast, env)?;
    Ok(Compiled { source: source.to_string(), ty, deps, program })
}

/// The names an expression refers to, without checking them: used to order calculated questions
/// before their types are known.
pub fn free_names(source: &str) -> Vec<String> {
    let Ok(tokens) = lexer::tokenize(source) else {
        return Vec::new();
    };
    let mut names = Vec::new();
    let mut previous_dot = false;
    for t in tokens {
        if let lexer::Tok::Ident(name) = &t.kind
            && !previous_dot
            && !names.contains(name)
        {
            names.push(name.clone());
        }
        previous_dot = t.kind == lexer::Tok::Dot;
    }
    names
}

#[cfg(test)]
mod tests;
