//! Validation items: the one shape every check in formwork reports problems in (DESIGN §4).

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::model::Severity;

/// The kind of problem. The names are part of the API and the CLI output.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, PartialOrd, Ord)]
#[serde(rename_all = "snake_case")]
pub enum Code {
    /// An asked question has no answer.
    Required,
    /// The answer is not of the question's type (not a number, not a real date, …).
    Type,
    /// Below the minimum.
    Min,
    /// Above the maximum.
    Max,
    /// Too short or too long.
    Length,
    /// Does not match the question's pattern.
    Pattern,
    /// Not one of the question's choices.
    Choice,
    /// A definition rule failed.
    Rule,
    /// A repeated key in a table or file.
    Unique,
    /// A record key already stored.
    Duplicate,
    /// Too few or too many rows.
    Rows,
    /// A column the file needs is missing.
    MissingColumn,
    /// A column the definition does not know.
    UnknownColumn,
    /// The file is another collection's template, or an older version's.
    Template,
    /// The file cannot be read, is of the wrong type, or is too big.
    File,
}

impl Code {
    /// Every code, in catalogue order.
    pub const ALL: [Code; 15] = [
        Code::Required,
        Code::Type,
        Code::Min,
        Code::Max,
        Code::Length,
        Code::Pattern,
        Code::Choice,
        Code::Rule,
        Code::Unique,
        Code::Duplicate,
        Code::Rows,
        Code::MissingColumn,
        Code::UnknownColumn,
        Code::Template,
        Code::File,
    ];

    /// The code as written in JSON, e.g. `missing_column`.
    pub fn as_str(self) -> &'static str {
        match self {
            Code::Required => "required",
            Code::Type => "type",
            Code::Min => "min",
            Code::Max => "max",
            Code::Length => "length",
            Code::Pattern => "pattern",
            Code::Choice => "choice",
            Code::Rule => "rule",
            Code::Unique => "unique",
            Code::Duplicate => "duplicate",
            Code::Rows => "rows",
            Code::MissingColumn => "missing_column",
            Code::UnknownColumn => "unknown_column",
            Code::Template => "template",
            Code::File => "file",
        }
    }
}

impl fmt::Display for Code {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One problem found in answers, a record or a file.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Item {
    /// Error or warning.
    pub severity: Severity,
    /// What kind of problem.
    pub code: Code,
    /// What is wrong, for people, in GOV.UK style.
    pub message: String,
    /// Where in the answers: `question`, `table/INDEX/column` or `records/INDEX/question`
    /// (indexes from 0); empty for the whole submission.
    pub path: String,
    /// The section it belongs to.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub section: Option<String>,
    /// The row in the uploaded file, as the person sees it (from 1).
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub row: Option<u64>,
    /// The column header as written in the file.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub column: Option<String>,
    /// The cell, e.g. `C5` (spreadsheets only).
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub cell: Option<String>,
    /// The sheet's name (spreadsheets only).
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub sheet: Option<String>,
    /// The id of the rule that failed, for rules that have one.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub rule: Option<String>,
}

impl Item {
    /// An error with a path and nothing else.
    pub fn error(code: Code, path: impl Into<String>, message: impl Into<String>) -> Item {
        Item {
            severity: Severity::Error,
            code,
            message: message.into(),
            path: path.into(),
            section: None,
            row: None,
            column: None,
            cell: None,
            sheet: None,
            rule: None,
        }
    }

    /// True for errors (not warnings).
    pub fn is_error(&self) -> bool {
        self.severity == Severity::Error
    }
}

/// Where in an uploaded file a place in the answers came from; filled in by the reader of the
/// file (the engine knows only answers).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Location {
    /// The row as the person sees it.
    pub row: Option<u64>,
    /// The column header as written.
    pub column: Option<String>,
    /// The A1 cell reference.
    pub cell: Option<String>,
    /// The sheet name.
    pub sheet: Option<String>,
}
