//! The columns of an export, across every version of one collection.
//!
//! An export holds submissions or records made with different versions of a definition. The plan
//! gives them one set of columns: the latest version's questions in order, then questions that
//! only older versions had (newest version first). Each column knows, for every version, the id
//! its answer is stored under there, following `renamed_from` back through the versions, so that
//! a renamed question stays one column and a question a version did not have is empty for that
//! version's rows, never shifted.
//!
//! Part 0 is the main part (one row per submission or record); then one part per table section,
//! matched by table id across versions.

use std::sync::Arc;

use formwork_definition::expr::Ty;
use formwork_definition::model::{ChoiceList, Currency, Question, QuestionType};
use formwork_definition::{Definition, Kind};
use rustc_hash::FxHashMap;

use crate::ExportError;
use crate::keys::KeyTable;

/// The parts and columns of an export of one collection.
#[derive(Debug)]
pub struct Plan {
    collection: String,
    title: String,
    kind: Kind,
    /// Version numbers, newest first; [`Column::sources`] follows this order.
    versions: Vec<u32>,
    parts: Vec<Part>,
    /// Where each version stores its answers, parallel to `versions`.
    keys: Vec<VersionKeys>,
}

/// One output table: the submissions or records themselves, or the rows of one table section.
#[derive(Debug)]
pub struct Part {
    /// The table section's id; `None` for the main part.
    pub table: Option<String>,
    /// The collection's title for the main part, the section's title for a table.
    pub title: String,
    /// The metadata columns that come first.
    pub meta: &'static [MetaColumn],
    /// The question columns, after the metadata.
    pub columns: Vec<Column>,
}

/// A column holding one question's answers.
#[derive(Debug)]
pub struct Column {
    /// Its id: the question's id in the newest version that has it (with `_v` and that version
    /// added in the rare case that the id is taken by a newer, different question).
    pub id: String,
    /// The question's label in that version.
    pub label: String,
    /// The question's type in that version.
    pub ty: QuestionType,
    /// What the answers are, for typed formats (a calculated question's result type).
    pub value: ValueType,
    /// The choices of a choice or multi-choice question: the newest version's list, then values
    /// only older versions had.
    pub choices: Vec<ChoiceLabel>,
    /// The currency of a money question.
    pub currency: Option<Currency>,
    /// The id of the question's section (the table's, for a table column).
    pub section: String,
    /// That section's title.
    pub section_title: String,
    /// The id the answer is stored under in each version of [`Plan::versions`]; `None` where
    /// the version did not have the question.
    pub sources: Vec<Option<String>>,
    /// Choice value → index in `choices`.
    labels: FxHashMap<Box<str>, usize>,
}

/// A choice's stored value and its label.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ChoiceLabel {
    /// What is stored.
    pub value: Arc<str>,
    /// What people see.
    pub label: String,
}

/// What a column's answers are, for the typed formats (XLSX and Parquet).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ValueType {
    /// Text of any kind (text, long text, email, phone, postcode, url).
    Text,
    /// A whole number.
    Integer,
    /// An exact decimal with at most this many places (10 when the question does not say).
    Decimal {
        /// Decimal places kept.
        places: u32,
    },
    /// Money: an exact decimal with 2 places.
    Money,
    /// A calendar date.
    Date,
    /// Yes or no.
    YesNo,
    /// One value of a choice list.
    Choice,
    /// Several values of a choice list.
    MultiChoice,
    /// An attached file (its name is exported).
    File,
}

impl ValueType {
    /// True for the number types, whose valid answers are never treated as text.
    pub fn is_number(self) -> bool {
        matches!(self, ValueType::Integer | ValueType::Decimal { .. } | ValueType::Money)
    }

    /// A short name, e.g. `decimal`.
    pub fn name(self) -> &'static str {
        match self {
            ValueType::Text => "text",
            ValueType::Integer => "integer",
            ValueType::Decimal { .. } => "decimal",
            ValueType::Money => "money",
            ValueType::Date => "date",
            ValueType::YesNo => "yes_no",
            ValueType::Choice => "choice",
            ValueType::MultiChoice => "multi_choice",
            ValueType::File => "file",
        }
    }
}

/// A metadata column: about the submission or record, not an answer. Named with a leading
/// underscore, so never the same as a question id (those start with a letter).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MetaColumn {
    /// `_id`: the submission's or record's id.
    Id,
    /// `_reference`: the submission's reference.
    Reference,
    /// `_organisation`: the organisation's name.
    Organisation,
    /// `_organisation_id`: the organisation's id.
    OrganisationId,
    /// `_period`: the period's key (its start date).
    Period,
    /// `_state`: the lifecycle state.
    State,
    /// `_version`: the definition version the answers were made with.
    Version,
    /// `_upload`: the upload a record came from, if any.
    Upload,
    /// `_submitted_at`: when it was submitted.
    SubmittedAt,
    /// `_updated_at`: when it was last changed.
    UpdatedAt,
    /// `_row`: a table row's number, from 1.
    Row,
}

/// The metadata columns of a return's main part.
pub const RETURN_META: &[MetaColumn] = &[
    MetaColumn::Id,
    MetaColumn::Reference,
    MetaColumn::Organisation,
    MetaColumn::OrganisationId,
    MetaColumn::Period,
    MetaColumn::State,
    MetaColumn::Version,
    MetaColumn::SubmittedAt,
    MetaColumn::UpdatedAt,
];

/// The metadata columns of a log's main part.
pub const LOG_META: &[MetaColumn] = &[
    MetaColumn::Id,
    MetaColumn::Organisation,
    MetaColumn::OrganisationId,
    MetaColumn::Period,
    MetaColumn::State,
    MetaColumn::Version,
    MetaColumn::Upload,
    MetaColumn::UpdatedAt,
];

/// The metadata columns of a table part.
pub const TABLE_META: &[MetaColumn] = &[MetaColumn::Id, MetaColumn::Reference, MetaColumn::Row];

impl MetaColumn {
    /// The column's name, e.g. `_submitted_at`.
    pub fn name(self) -> &'static str {
        match self {
            MetaColumn::Id => "_id",
            MetaColumn::Reference => "_reference",
            MetaColumn::Organisation => "_organisation",
            MetaColumn::OrganisationId => "_organisation_id",
            MetaColumn::Period => "_period",
            MetaColumn::State => "_state",
            MetaColumn::Version => "_version",
            MetaColumn::Upload => "_upload",
            MetaColumn::SubmittedAt => "_submitted_at",
            MetaColumn::UpdatedAt => "_updated_at",
            MetaColumn::Row => "_row",
        }
    }

    /// What it holds, for the dictionary of columns.
    pub fn label(self) -> &'static str {
        match self {
            MetaColumn::Id => "Id of the submission or record",
            MetaColumn::Reference => "Reference of the submission",
            MetaColumn::Organisation => "Organisation",
            MetaColumn::OrganisationId => "Id of the organisation",
            MetaColumn::Period => "Period (its first day)",
            MetaColumn::State => "State",
            MetaColumn::Version => "Version of the definition",
            MetaColumn::Upload => "Id of the upload the record came from",
            MetaColumn::SubmittedAt => "When it was submitted (UTC)",
            MetaColumn::UpdatedAt => "When it was last changed (UTC)",
            MetaColumn::Row => "Row number in the table",
        }
    }

    /// Its type, for the dictionary of columns.
    pub fn type_name(self) -> &'static str {
        match self {
            MetaColumn::Version | MetaColumn::Row => "integer",
            MetaColumn::SubmittedAt | MetaColumn::UpdatedAt => "timestamp",
            _ => "text",
        }
    }

    /// True for the columns of timestamps.
    pub fn is_timestamp(self) -> bool {
        matches!(self, MetaColumn::SubmittedAt | MetaColumn::UpdatedAt)
    }
}

/// Where one version stores the answers of each column.
#[derive(Debug)]
pub(crate) struct VersionKeys {
    /// Top-level answer key → what it holds.
    pub main: KeyTable<Target>,
    /// By part index: a row's key → column index (empty for the main part, and for tables this
    /// version did not have).
    pub tables: Vec<KeyTable<usize>>,
}

/// What a top-level answer key holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Target {
    /// The answer of a main-part column (by index).
    Column(usize),
    /// The rows of a table part (by part index).
    Table(usize),
}

impl Plan {
    /// Plan the export of a collection from every version of its definition, in any order.
    pub fn new(versions: &[Arc<Definition>]) -> Result<Plan, ExportError> {
        let mut defs: Vec<&Definition> = versions.iter().map(|d| d.as_ref()).collect();
        defs.sort_by_key(|d| std::cmp::Reverse(d.version));
        let Some(latest) = defs.first().copied() else { return Err(ExportError::NoVersions) };
        if let Some(other) = defs.iter().find(|d| d.collection != latest.collection) {
            return Err(ExportError::MixedCollections(latest.collection.clone(), other.collection.clone()));
        }
        for pair in defs.windows(2) {
            if pair[0].version == pair[1].version {
                return Err(ExportError::DuplicateVersion(pair[0].version));
            }
        }

        let main_questions: Vec<&[Question]> = defs.iter().map(|d| d.questions.as_slice()).collect();
        let mut parts = vec![Part {
            table: None,
            title: latest.title.clone(),
            meta: match latest.kind {
                Kind::Return => RETURN_META,
                Kind::Log => LOG_META,
            },
            columns: columns_of(&defs, &main_questions, None),
        }];
        let mut table_ids: Vec<&str> = Vec::new();
        for def in &defs {
            for table in &def.tables {
                if !table_ids.contains(&table.id.as_str()) {
                    table_ids.push(&table.id);
                }
            }
        }
        for id in &table_ids {
            let questions: Vec<&[Question]> =
                defs.iter().map(|d| d.table(id).map(|t| t.columns.as_slice()).unwrap_or(&[])).collect();
            let title = defs
                .iter()
                .find_map(|d| d.table(id).and_then(|t| d.sections.get(t.section)).map(|s| s.title.clone()))
                .unwrap_or_else(|| (*id).to_string());
            parts.push(Part {
                table: Some((*id).to_string()),
                title,
                meta: TABLE_META,
                columns: columns_of(&defs, &questions, Some(id)),
            });
        }

        let keys = (0..defs.len())
            .map(|v| {
                let mut main: Vec<(String, Target)> = Vec::new();
                for (c, column) in parts[0].columns.iter().enumerate() {
                    if let Some(key) = &column.sources[v] {
                        main.push((key.clone(), Target::Column(c)));
                    }
                }
                let mut tables = vec![KeyTable::new([])];
                for (p, part) in parts.iter().enumerate().skip(1) {
                    let id = part.table.as_deref().unwrap_or_default();
                    if defs[v].table(id).is_some() {
                        main.push((id.to_string(), Target::Table(p)));
                    }
                    let row = part
                        .columns
                        .iter()
                        .enumerate()
                        .filter_map(|(c, column)| column.sources[v].clone().map(|key| (key, c)));
                    tables.push(KeyTable::new(row));
                }
                VersionKeys { main: KeyTable::new(main), tables }
            })
            .collect();

        Ok(Plan {
            collection: latest.collection.clone(),
            title: latest.title.clone(),
            kind: latest.kind,
            versions: defs.iter().map(|d| d.version).collect(),
            parts,
            keys,
        })
    }

    /// The collection's slug.
    pub fn collection(&self) -> &str {
        &self.collection
    }

    /// The latest version's title.
    pub fn title(&self) -> &str {
        &self.title
    }

    /// Return or log (the latest version's kind).
    pub fn kind(&self) -> Kind {
        self.kind
    }

    /// The version numbers the plan covers, newest first.
    pub fn versions(&self) -> &[u32] {
        &self.versions
    }

    /// The main part, then one part per table.
    pub fn parts(&self) -> &[Part] {
        &self.parts
    }

    /// True when the collection has (or had) table sections.
    pub fn has_tables(&self) -> bool {
        self.parts.len() > 1
    }

    /// The index of the part holding the table `id`; `""` names the main part (the submissions'
    /// or records' own columns).
    pub fn table_part(&self, id: &str) -> Option<usize> {
        self.parts.iter().position(|p| p.table.as_deref().unwrap_or("") == id)
    }

    /// Where `version` stores its answers.
    pub(crate) fn keys(&self, version: u32) -> Option<&VersionKeys> {
        self.versions.iter().position(|v| *v == version).and_then(|i| self.keys.get(i))
    }
}

impl Column {
    /// The label of a choice value, if the column has that choice.
    pub fn label_of(&self, value: &str) -> Option<&str> {
        self.labels.get(value).map(|i| self.choices[*i].label.as_str())
    }

    /// The type as the dictionary of columns names it, e.g. `money` or `calculated (decimal)`.
    pub fn type_name(&self) -> String {
        match self.ty {
            QuestionType::Calculated => format!("calculated ({})", self.value.name()),
            ty => ty.name().to_string(),
        }
    }
}

/// The columns of one part: `questions[v]` are the part's questions in version `defs[v]` (newest
/// first).
fn columns_of(defs: &[&Definition], questions: &[&[Question]], table: Option<&str>) -> Vec<Column> {
    let n = defs.len();
    let mut claimed: Vec<Vec<bool>> = questions.iter().map(|qs| vec![false; qs.len()]).collect();
    let mut columns: Vec<Column> = Vec::new();
    for k in 0..n {
        for (i, question) in questions[k].iter().enumerate() {
            if claimed[k][i] {
                continue;
            }
            claimed[k][i] = true;
            let mut sources = vec![None; n];
            sources[k] = Some(question.id.clone());
            // `renamed_from` names the id in the version before; a version without the question
            // keeps looking for the same id further back.
            let mut key = question.renamed_from.as_deref().unwrap_or(&question.id);
            for j in k + 1..n {
                if let Some(p) = questions[j].iter().position(|o| o.id == key)
                    && !claimed[j][p]
                {
                    claimed[j][p] = true;
                    sources[j] = Some(key.to_string());
                    key = questions[j][p].renamed_from.as_deref().unwrap_or(key);
                }
            }
            let mut id = question.id.clone();
            if columns.iter().any(|c| c.id == id) {
                id = format!("{}_v{}", question.id, defs[k].version);
            }
            let mut column = column(defs[k], question, id, sources, table);
            for (j, def) in defs.iter().enumerate().skip(k + 1) {
                let older =
                    column.sources[j].as_deref().and_then(|key| questions[j].iter().find(|q| q.id == key));
                if let Some(list) = older.and_then(|q| choice_list(def, q)) {
                    add_choices(&mut column, list);
                }
            }
            columns.push(column);
        }
    }
    columns
}

fn column(
    def: &Definition,
    q: &Question,
    id: String,
    sources: Vec<Option<String>>,
    table: Option<&str>,
) -> Column {
    let section = match table.and_then(|t| def.table(t)) {
        Some(t) => def.sections.get(t.section),
        None => def.sections.get(q.section),
    };
    let mut column = Column {
        id,
        label: q.label.clone(),
        ty: q.ty,
        value: value_type(q),
        choices: Vec::new(),
        currency: (q.ty == QuestionType::Money).then(|| def.currency.clone()),
        section: section.map(|s| s.id.clone()).unwrap_or_default(),
        section_title: section.map(|s| s.title.clone()).unwrap_or_default(),
        sources,
        labels: FxHashMap::default(),
    };
    if let Some(list) = choice_list(def, q) {
        add_choices(&mut column, list);
    }
    column
}

fn add_choices(column: &mut Column, list: &ChoiceList) {
    for choice in &list.choices {
        if !column.labels.contains_key(choice.value.as_ref()) {
            column.labels.insert(choice.value.as_ref().into(), column.choices.len());
            column.choices.push(ChoiceLabel { value: choice.value.clone(), label: choice.label.clone() });
        }
    }
}

/// The choice list of a choice question, or of a calculated question whose result is a choice.
fn choice_list<'d>(def: &'d Definition, q: &Question) -> Option<&'d ChoiceList> {
    match (q.ty, q.options.value.as_ref().map(|v| &v.ty)) {
        (QuestionType::Calculated, Some(Ty::Choice(i))) => def.choice_lists.get(*i as usize),
        (QuestionType::Calculated, Some(Ty::List(inner))) => match inner.as_ref() {
            Ty::Choice(i) => def.choice_lists.get(*i as usize),
            _ => None,
        },
        _ => def.choices_of(q),
    }
}

fn value_type(q: &Question) -> ValueType {
    let places = |p: Option<u32>| ValueType::Decimal { places: p.unwrap_or(10).min(38) };
    match q.ty {
        QuestionType::Text
        | QuestionType::LongText
        | QuestionType::Email
        | QuestionType::Phone
        | QuestionType::Postcode
        | QuestionType::Url => ValueType::Text,
        QuestionType::Integer => ValueType::Integer,
        QuestionType::Decimal | QuestionType::Percentage => places(q.options.places),
        QuestionType::Money => ValueType::Money,
        QuestionType::Date => ValueType::Date,
        QuestionType::YesNo => ValueType::YesNo,
        QuestionType::Choice => ValueType::Choice,
        QuestionType::MultiChoice => ValueType::MultiChoice,
        QuestionType::File => ValueType::File,
        QuestionType::Calculated => match q.options.value.as_ref().map(|v| &v.ty) {
            Some(Ty::Number) => places(None),
            Some(Ty::Date) => ValueType::Date,
            Some(Ty::Bool) => ValueType::YesNo,
            Some(Ty::Choice(_)) => ValueType::Choice,
            Some(Ty::List(inner)) if matches!(inner.as_ref(), Ty::Choice(_) | Ty::Text) => {
                ValueType::MultiChoice
            }
            Some(Ty::File) => ValueType::File,
            _ => ValueType::Text,
        },
    }
}

#[cfg(test)]
mod tests;
