//! Resolving names: duplicate ids, choice lists, roles, table keys, record keys and upload headers.

use std::collections::HashMap;

use rustc_hash::FxHashMap;

use super::Loader;
use crate::diagnostic::{Diagnostic, Span, suggestion};
use crate::model::{Kind, Question, QuestionType, SectionContent};

impl Loader<'_> {
    pub(super) fn resolve(&mut self) {
        self.check_unique_ids();
        self.resolve_choice_lists();
        self.resolve_roles();
        self.resolve_tables();
        self.check_renames();
    }

    /// Top-level question ids and section ids share one namespace (both name answers in paths and
    /// expressions); column ids must differ within their table.
    fn check_unique_ids(&mut self) {
        let mut seen: HashMap<String, Span> = HashMap::new();
        let mut report = |ctx: &mut super::Ctx, id: &str, span: Span, noun: &str| {
            if id.is_empty() {
                return;
            }
            match seen.get(id) {
                Some(first) => ctx.error_help(
                    "duplicate-id",
                    span,
                    format!(
                        "the id `{id}` is used twice: this {noun} has the same id as something on line {}",
                        first.line
                    ),
                    "ids of questions and sections must be unique in the collection",
                ),
                None => {
                    seen.insert(id.to_string(), span);
                }
            }
        };
        for (i, section) in self.sections.iter().enumerate() {
            report(self.ctx, &section.id, self.section_pending[i].span, "section");
            if let SectionContent::Questions(questions) = &section.content {
                for q in questions {
                    let question = &self.questions[*q];
                    report(self.ctx, &question.id, question.span, "question");
                }
            }
        }
        for table in &self.tables {
            let mut columns: HashMap<&str, Span> = HashMap::new();
            for column in &table.columns {
                if let Some(first) = columns.get(column.id.as_str()) {
                    self.ctx.error(
                        "duplicate-id",
                        column.span,
                        format!(
                            "the column id `{}` is used twice in table `{}` (first on line {})",
                            column.id, table.id, first.line
                        ),
                    );
                } else {
                    columns.insert(&column.id, column.span);
                }
            }
        }
    }

    fn resolve_choice_lists(&mut self) {
        let names: Vec<String> = self.named_lists.keys().cloned().collect();
        let names: Vec<&str> = names.iter().map(String::as_str).collect();
        let resolve = |ctx: &mut super::Ctx, q: &mut Question, pending: &mut super::PendingQuestion| {
            let Some((name, span)) = pending.choices.take() else {
                return;
            };
            match self.named_lists.get(&name) {
                Some(index) => q.options.choices = Some(*index),
                None => {
                    pending.type_known = false;
                    let mut d = Diagnostic::new(
                        "unknown-choice-list",
                        span,
                        format!("`{name}` is not a choice list (in question `{}`)", q.id),
                    );
                    d = d.with_help(suggestion(&name, &names, "the choice lists").unwrap_or_else(|| {
                        "define it under `choice_lists`, or write the choices here as a list".into()
                    }));
                    ctx.diagnostics.push(d);
                }
            }
        };
        for (q, p) in self.questions.iter_mut().zip(self.question_pending.iter_mut()) {
            resolve(self.ctx, q, p);
        }
        for (table, pending) in self.tables.iter_mut().zip(self.column_pending.iter_mut()) {
            for (q, p) in table.columns.iter_mut().zip(pending.iter_mut()) {
                resolve(self.ctx, q, p);
            }
        }
        // max_selected cannot exceed the choices there are.
        let lists = &self.choice_lists;
        let all_questions = self.questions.iter().chain(self.tables.iter().flat_map(|t| t.columns.iter()));
        for q in all_questions {
            if q.ty == QuestionType::MultiChoice
                && let (Some(max), Some(list)) = (
                    q.options.max_selected.or(q.options.min_selected),
                    q.options.choices.and_then(|i| lists.get(i)),
                )
                && max as usize > list.choices.len()
            {
                self.ctx.error(
                    "min-above-max",
                    q.span,
                    format!(
                        "question `{}` asks for {max} selections, but its list has only {} choices",
                        q.id,
                        list.choices.len()
                    ),
                );
            }
        }
    }

    fn resolve_roles(&mut self) {
        let role_ids: Vec<String> = self.roles.iter().map(|r| r.id.clone()).collect();
        let role_names: Vec<&str> = role_ids.iter().map(String::as_str).collect();
        let unknown = |ctx: &mut super::Ctx, role: &str, span: Span, place: &str| {
            let help = suggestion(role, &role_names, "the roles")
                .unwrap_or_else(|| "define the role under `roles`, with a description".into());
            ctx.diagnostics.push(
                Diagnostic::new(
                    "unknown-role",
                    span,
                    format!("`{role}` is not a role of this collection (in {place})"),
                )
                .with_help(help),
            );
        };
        for (step, span) in &self.sign_off {
            if !role_ids.contains(&step.by) {
                unknown(self.ctx, &step.by, *span, "`sign_off`");
            }
        }
        let mut named_editors: Vec<String> = Vec::new();
        for (section, pending) in self.sections.iter_mut().zip(&self.section_pending) {
            let Some(editors) = &pending.editors else { continue };
            if editors.is_empty() {
                self.ctx.error(
                    "empty",
                    pending.span,
                    format!(
                        "section `{}` has an empty `editors` list, so nobody could fill it in",
                        section.id
                    ),
                );
            }
            for (role, span) in editors {
                if role_ids.contains(role) {
                    if !section.editors.contains(role) {
                        section.editors.push(role.clone());
                    }
                    named_editors.push(role.clone());
                } else {
                    unknown(self.ctx, role, *span, &format!("the `editors` of section `{}`", section.id));
                }
            }
        }
        // By default a section is edited by every role except pure certifiers: roles that sign off
        // and are never named as editors.
        let certifiers: Vec<&String> =
            self.sign_off.iter().map(|(s, _)| &s.by).filter(|r| !named_editors.contains(r)).collect();
        let default: Vec<String> = role_ids.iter().filter(|r| !certifiers.contains(r)).cloned().collect();
        for (section, pending) in self.sections.iter_mut().zip(&self.section_pending) {
            if pending.editors.is_none() {
                section.editors = default.clone();
            }
        }
    }

    fn resolve_tables(&mut self) {
        for (table, pending) in self.tables.iter_mut().zip(&self.table_pending) {
            for (name, span) in &pending.unique {
                match table.columns.iter().position(|c| &c.id == name) {
                    Some(i) => table.unique.push(i),
                    None => {
                        let ids: Vec<&str> = table.columns.iter().map(|c| c.id.as_str()).collect();
                        let mut d = Diagnostic::new(
                            "unknown-id",
                            *span,
                            format!("`{name}` in `unique` is not a column of table `{}`", table.id),
                        );
                        if let Some(help) = suggestion(name, &ids, "its columns") {
                            d = d.with_help(help);
                        }
                        self.ctx.diagnostics.push(d);
                    }
                }
            }
            table.names = header_names(self.ctx, &table.columns, &format!("table `{}`", table.id));
        }
    }

    fn check_renames(&mut self) {
        let ids: Vec<&str> = self.questions.iter().map(|q| q.id.as_str()).collect();
        for q in &self.questions {
            if let Some(old) = &q.renamed_from
                && ids.contains(&old.as_str())
            {
                self.ctx.error_help(
                    "duplicate-id",
                    q.span,
                    format!("question `{}` is `renamed_from: {old}`, but `{old}` is still a question of this version", q.id),
                    "remove `renamed_from`, or rename the other question",
                );
            }
        }
    }

    /// A log's record key, as slots: each must be a required, always-asked input question.
    pub(super) fn resolve_record_key(&mut self) -> Vec<usize> {
        let mut slots = Vec::new();
        if self.kind != Some(Kind::Log) {
            return slots;
        }
        let ids: Vec<String> = self.questions.iter().map(|q| q.id.clone()).collect();
        let names: Vec<&str> = ids.iter().map(String::as_str).collect();
        for (name, span) in &self.record_key {
            let Some(q) = self.questions.iter().find(|q| &q.id == name) else {
                let mut d = Diagnostic::new(
                    "unknown-id",
                    *span,
                    format!("`{name}` in `record_key` is not a question"),
                );
                if let Some(help) = suggestion(name, &names, "the questions") {
                    d = d.with_help(help);
                }
                self.ctx.diagnostics.push(d);
                continue;
            };
            let section_when = self.sections.get(q.section).is_some_and(|s| s.when.is_some());
            let problem = if matches!(
                q.ty,
                QuestionType::Calculated | QuestionType::File | QuestionType::MultiChoice
            ) {
                Some(format!("it is a {} question", q.ty.name()))
            } else if !q.required {
                Some("it is optional (`required: false`)".to_string())
            } else if q.when.is_some() || section_when {
                Some("it is not always asked (it has a `when`)".to_string())
            } else {
                None
            };
            match problem {
                Some(p) => self.ctx.error_help(
                    "bad-record-key",
                    *span,
                    format!("`{name}` cannot be part of `record_key`: {p}"),
                    "a record key must be answered on every record: use required questions that are always asked",
                ),
                None => slots.push(q.slot),
            }
        }
        slots
    }
}

/// Lower-cased ids, labels and aliases of questions to their index, for matching upload headers.
/// Aliases that clash are reported; labels that clash are left out (the id still matches).
pub(super) fn header_names(
    ctx: &mut super::Ctx,
    questions: &[Question],
    what: &str,
) -> FxHashMap<String, usize> {
    let mut names: FxHashMap<String, usize> = FxHashMap::default();
    for (i, q) in questions.iter().enumerate() {
        names.insert(q.id.to_lowercase(), i);
    }
    for (i, q) in questions.iter().enumerate() {
        for alias in &q.aliases {
            let key = alias.trim().to_lowercase();
            match names.get(&key) {
                Some(other) if *other != i => ctx.error_help(
                    "duplicate-alias",
                    q.span,
                    format!(
                        "the alias `{alias}` of `{}` is already the id or an alias of `{}` in {what}",
                        q.id, questions[*other].id
                    ),
                    "each upload header must lead to one question",
                ),
                _ => {
                    names.insert(key, i);
                }
            }
        }
    }
    let mut label_count: HashMap<String, usize> = HashMap::new();
    for q in questions {
        *label_count.entry(q.label.trim().to_lowercase()).or_default() += 1;
    }
    for (i, q) in questions.iter().enumerate() {
        let key = q.label.trim().to_lowercase();
        if label_count.get(&key) == Some(&1) {
            names.entry(key).or_insert(i);
        }
    }
    names
}
