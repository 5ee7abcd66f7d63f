//! A loaded definition: every reference resolved, every expression compiled, ready to validate.
//!
//! Answers are held in *slots*: each top-level question and each table has one, and a table's
//! rows hold their columns in column order. Expressions are compiled to read slots directly.

use rustc_hash::FxHashMap;

use chrono::NaiveDate;
use regex::Regex;
use rust_decimal::Decimal;
use serde::Serialize;

use crate::diagnostic::Span;
use crate::expr::{Compiled, Ty};
use crate::schedule::Schedule;

/// One version of one collection.
#[derive(Clone, Debug)]
pub struct Definition {
    /// The collection's slug, stable across versions.
    pub collection: String,
    /// The version number.
    pub version: u32,
    /// The collection's title.
    pub title: String,
    /// A longer description, if given.
    pub description: Option<String>,
    /// A return (one submission per organisation per period) or a log (many records).
    pub kind: Kind,
    /// The currency of money questions.
    pub currency: Currency,
    /// When returns are made.
    pub schedule: Schedule,
    /// For a log: the questions that identify a record (slots).
    pub record_key: Vec<usize>,
    /// Organisation-side roles this collection uses.
    pub roles: Vec<Role>,
    /// Named choice lists, and lists written inline in questions.
    pub choice_lists: Vec<ChoiceList>,
    /// Sections in order.
    pub sections: Vec<Section>,
    /// Top-level questions (not table columns), in the order they appear.
    pub questions: Vec<Question>,
    /// Table sections.
    pub tables: Vec<Table>,
    /// Rules across sections.
    pub rules: Vec<Rule>,
    /// Sign-off steps, in order.
    pub sign_off: Vec<SignOffStep>,
    /// What each slot holds.
    pub slots: Vec<SlotRef>,
    /// Slots in the order they must be resolved so that every condition and calculation sees
    /// the values it depends on.
    pub(crate) order: Vec<usize>,
    /// Top-level ids, table ids and aliases to slots, for reading answers by name.
    pub(crate) names: FxHashMap<String, usize>,
    /// The definition as JSON, for the API and for storing a published version.
    pub source: serde_json::Value,
}

/// What a slot holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SlotRef {
    /// A top-level question, by index into [`Definition::questions`].
    Question(usize),
    /// A table, by index into [`Definition::tables`].
    Table(usize),
}

/// Return or log.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    /// One submission per organisation per period.
    Return,
    /// Any number of records per organisation per period.
    Log,
}

/// The currency of money answers.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Currency {
    /// ISO 4217 code, e.g. `GBP`.
    pub code: String,
    /// The symbol used in messages and forms, e.g. `£`; the code and a space where none is known.
    pub symbol: String,
}

/// An organisation-side role.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Role {
    /// The role's id.
    pub id: String,
    /// What people with this role do.
    pub description: String,
}

/// A list of choices.
#[derive(Clone, Debug)]
pub struct ChoiceList {
    /// The list's name; inline lists are named after their question.
    pub id: String,
    /// The choices in order.
    pub choices: Vec<Choice>,
    /// Values and labels exactly as written, to the index of their choice.
    pub(crate) exact: FxHashMap<String, usize>,
    /// Lower-cased values and labels to the index of their choice.
    pub(crate) lookup: FxHashMap<String, usize>,
}

impl ChoiceList {
    /// Find a choice by its value or its label, exactly or ignoring case.
    pub fn find(&self, text: &str) -> Option<&Choice> {
        if let Some(i) = self.exact.get(text) {
            return self.choices.get(*i);
        }
        self.lookup.get(&text.to_lowercase()).map(|i| &self.choices[*i])
    }
}

/// One choice.
#[derive(Clone, Debug)]
pub struct Choice {
    /// What is stored and exported.
    pub value: std::sync::Arc<str>,
    /// What people see.
    pub label: String,
}

/// A section: a page of questions, or a table.
#[derive(Clone, Debug)]
pub struct Section {
    /// The section's id.
    pub id: String,
    /// Its title.
    pub title: String,
    /// A description shown above its questions.
    pub description: Option<String>,
    /// Roles that may edit it (already defaulted).
    pub editors: Vec<String>,
    /// When the whole section is asked.
    pub when: Option<Compiled>,
    /// Its questions or its table.
    pub content: SectionContent,
}

/// What a section holds.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SectionContent {
    /// Indexes into [`Definition::questions`].
    Questions(Vec<usize>),
    /// An index into [`Definition::tables`].
    Table(usize),
}

/// A repeating table section.
#[derive(Clone, Debug)]
pub struct Table {
    /// The table's id: its section's id.
    pub id: String,
    /// Its section's index.
    pub section: usize,
    /// Its answer slot.
    pub slot: usize,
    /// Columns in order; a column's `slot` is its index here.
    pub columns: Vec<Question>,
    /// Fewest rows.
    pub min_rows: u32,
    /// Most rows.
    pub max_rows: u32,
    /// Columns whose values together must differ on every row (column indexes).
    pub unique: Vec<usize>,
    /// Rules checked on each row.
    pub rules: Vec<Rule>,
    /// Column indexes in the order they must be resolved.
    pub(crate) order: Vec<usize>,
    /// Column ids, labels and aliases (lower-cased) to column indexes, for reading headers.
    pub(crate) names: FxHashMap<String, usize>,
}

impl Table {
    /// Column indexes in the order they are resolved: each after the columns its `when` or
    /// `value` reads.
    pub fn column_order(&self) -> &[usize] {
        &self.order
    }

    /// Find a column by id, label or alias, ignoring case.
    pub fn column_named(&self, name: &str) -> Option<usize> {
        self.names.get(&name.trim().to_lowercase()).copied()
    }
}

/// A question (or a table column).
#[derive(Clone, Debug)]
pub struct Question {
    /// The question's id.
    pub id: String,
    /// The label people see.
    pub label: String,
    /// A hint shown under the label.
    pub hint: Option<String>,
    /// A short noun phrase used in error messages instead of the label, e.g. "the number of
    /// bedrooms".
    pub name: Option<String>,
    /// The answer's type.
    pub ty: QuestionType,
    /// Whether an answer is needed when the question is asked.
    pub required: bool,
    /// When the question is asked.
    pub when: Option<Compiled>,
    /// Rules on this question.
    pub rules: Vec<Rule>,
    /// Other headers accepted for it on upload.
    pub aliases: Vec<String>,
    /// Its id in the previous version.
    pub renamed_from: Option<String>,
    /// The index of its section.
    pub section: usize,
    /// Its slot: a top-level answer slot, or its column index in a table.
    pub slot: usize,
    /// The type's options.
    pub options: Options,
    /// Where it is defined.
    pub span: Span,
}

impl Question {
    /// How expressions see this question's answer.
    pub fn expr_type(&self) -> Ty {
        match self.ty {
            QuestionType::Text
            | QuestionType::LongText
            | QuestionType::Email
            | QuestionType::Phone
            | QuestionType::Postcode
            | QuestionType::Url => Ty::Text,
            QuestionType::Integer
            | QuestionType::Decimal
            | QuestionType::Money
            | QuestionType::Percentage => Ty::Number,
            QuestionType::Date => Ty::Date,
            QuestionType::YesNo => Ty::Bool,
            QuestionType::Choice => Ty::Choice(self.options.choices.unwrap_or(0) as u32),
            QuestionType::MultiChoice => {
                Ty::List(Box::new(Ty::Choice(self.options.choices.unwrap_or(0) as u32)))
            }
            QuestionType::File => Ty::File,
            QuestionType::Calculated => self.options.value.as_ref().map(|v| v.ty.clone()).unwrap_or(Ty::Any),
        }
    }

    /// True for a question whose answer people type or choose (not calculated).
    pub fn is_input(&self) -> bool {
        self.ty != QuestionType::Calculated
    }
}

/// The types of question of the format's type table.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum QuestionType {
    /// One line of text.
    Text,
    /// Several lines of text.
    LongText,
    /// A whole number.
    Integer,
    /// An exact decimal.
    Decimal,
    /// An amount of money: an exact decimal with at most 2 places.
    Money,
    /// A percentage.
    Percentage,
    /// A calendar date.
    Date,
    /// Yes or no.
    YesNo,
    /// One value of a choice list.
    Choice,
    /// Any number of values of a choice list.
    MultiChoice,
    /// An email address.
    Email,
    /// A phone number.
    Phone,
    /// A UK postcode.
    Postcode,
    /// A web address.
    Url,
    /// An attached file.
    File,
    /// A value calculated from other answers.
    Calculated,
}

impl QuestionType {
    /// Every type with its name in the format.
    pub const ALL: [(&'static str, QuestionType); 16] = [
        ("text", QuestionType::Text),
        ("long_text", QuestionType::LongText),
        ("integer", QuestionType::Integer),
        ("decimal", QuestionType::Decimal),
        ("money", QuestionType::Money),
        ("percentage", QuestionType::Percentage),
        ("date", QuestionType::Date),
        ("yes_no", QuestionType::YesNo),
        ("choice", QuestionType::Choice),
        ("multi_choice", QuestionType::MultiChoice),
        ("email", QuestionType::Email),
        ("phone", QuestionType::Phone),
        ("postcode", QuestionType::Postcode),
        ("url", QuestionType::Url),
        ("file", QuestionType::File),
        ("calculated", QuestionType::Calculated),
    ];

    /// The type's name in the format, e.g. `yes_no`.
    pub fn name(self) -> &'static str {
        Self::ALL.iter().find(|(_, t)| *t == self).map(|(n, _)| *n).unwrap_or("text")
    }

    /// True for the number types.
    pub fn is_number(self) -> bool {
        matches!(
            self,
            QuestionType::Integer | QuestionType::Decimal | QuestionType::Money | QuestionType::Percentage
        )
    }

    /// True for the text types that have lengths and patterns.
    pub fn is_text(self) -> bool {
        matches!(self, QuestionType::Text | QuestionType::LongText)
    }

    /// The options this type accepts, besides the keys every question has.
    pub fn options(self) -> &'static [&'static str] {
        match self {
            QuestionType::Text | QuestionType::LongText => {
                &["min_length", "max_length", "pattern", "pattern_message"]
            }
            QuestionType::Integer | QuestionType::Money => &["min", "max"],
            QuestionType::Decimal | QuestionType::Percentage => &["min", "max", "places"],
            QuestionType::Date => &["min", "max"],
            QuestionType::Choice => &["choices"],
            QuestionType::MultiChoice => &["choices", "min_selected", "max_selected"],
            QuestionType::File => &["accept", "max_size"],
            QuestionType::Calculated => &["value"],
            QuestionType::YesNo
            | QuestionType::Email
            | QuestionType::Phone
            | QuestionType::Postcode
            | QuestionType::Url => &[],
        }
    }
}

/// A type's options; only those that fit the type are set.
#[derive(Clone, Debug, Default)]
pub struct Options {
    /// Smallest number or earliest date.
    pub min: Option<Bound>,
    /// Largest number or latest date.
    pub max: Option<Bound>,
    /// Fewest characters.
    pub min_length: Option<u32>,
    /// Most characters.
    pub max_length: Option<u32>,
    /// A regular expression the whole answer must match.
    pub pattern: Option<Pattern>,
    /// Most decimal places (money is always 2).
    pub places: Option<u32>,
    /// The choice list, by index into [`Definition::choice_lists`].
    pub choices: Option<usize>,
    /// Fewest choices selected.
    pub min_selected: Option<u32>,
    /// Most choices selected.
    pub max_selected: Option<u32>,
    /// Accepted file extensions, lower case, without dots.
    pub accept: Vec<String>,
    /// Largest file, in bytes.
    pub max_size: Option<u64>,
    /// A calculated question's expression.
    pub value: Option<Compiled>,
}

/// A minimum or maximum.
#[derive(Clone, Debug)]
pub enum Bound {
    /// A fixed number.
    Number(Decimal),
    /// A fixed date.
    Date(NaiveDate),
    /// A date worked out from other answers or the period, e.g. `start_date` or `period.end`.
    Expr(Compiled),
}

/// A pattern a text answer must match.
#[derive(Clone, Debug)]
pub struct Pattern {
    /// The regular expression as written.
    pub source: String,
    /// Compiled, anchored at both ends.
    pub regex: Regex,
    /// A message to show when the answer does not match, instead of the generic one.
    pub message: Option<String>,
}

/// Error or warning.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, serde::Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    /// Must be fixed before submission.
    #[default]
    Error,
    /// Must be confirmed, with a reason, before submission.
    Warning,
}

/// A rule: a condition the answers must meet.
#[derive(Clone, Debug)]
pub struct Rule {
    /// An id, for collection rules.
    pub id: Option<String>,
    /// The condition.
    pub check: Compiled,
    /// What people are told when it fails.
    pub message: String,
    /// Error or warning.
    pub severity: Severity,
    /// Where the item points: slots (collection rules) or column indexes (table rules); empty for
    /// the default place.
    pub fields: Vec<usize>,
    /// Where it is defined.
    pub span: Span,
}

/// A sign-off step.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct SignOffStep {
    /// The role that signs.
    pub by: String,
    /// What they declare.
    pub declaration: String,
}

impl Definition {
    /// Slots in the order they are resolved: each after the slots its conditions and
    /// calculations read.
    pub fn resolution_order(&self) -> &[usize] {
        &self.order
    }

    /// The question in a top-level slot, if the slot holds a question.
    pub fn question_at(&self, slot: usize) -> Option<&Question> {
        match self.slots.get(slot) {
            Some(SlotRef::Question(q)) => self.questions.get(*q),
            _ => None,
        }
    }

    /// The table in a top-level slot, if the slot holds a table.
    pub fn table_at(&self, slot: usize) -> Option<&Table> {
        match self.slots.get(slot) {
            Some(SlotRef::Table(t)) => self.tables.get(*t),
            _ => None,
        }
    }

    /// Find a top-level question or table by id or alias (exactly), then by id, label or alias
    /// ignoring case.
    pub fn slot_named(&self, name: &str) -> Option<usize> {
        if let Some(slot) = self.names.get(name) {
            return Some(*slot);
        }
        self.names.get(&name.trim().to_lowercase()).copied()
    }

    /// A top-level question by id.
    pub fn question(&self, id: &str) -> Option<&Question> {
        self.questions.iter().find(|q| q.id == id)
    }

    /// A table by id.
    pub fn table(&self, id: &str) -> Option<&Table> {
        self.tables.iter().find(|t| t.id == id)
    }

    /// The choice list of a choice or multi-choice question.
    pub fn choices_of(&self, question: &Question) -> Option<&ChoiceList> {
        question.options.choices.and_then(|i| self.choice_lists.get(i))
    }

    /// The currency symbol to use for a money question; `None` for other types.
    pub fn money_symbol(&self, question: &Question) -> Option<&str> {
        (question.ty == QuestionType::Money).then_some(self.currency.symbol.as_str())
    }
}
