//! Compiling every expression against the definition, and ordering slots by what they read.

use std::collections::HashMap;

use rustc_hash::FxHashMap;

use super::{Loader, RawRule, Src};
use crate::diagnostic::{Diagnostic, Span, suggestion};
use crate::expr::{self, Compiled, Global, TableType, Ty, TypeEnv};
use crate::model::{Bound, Question, QuestionType, Rule, SlotRef};

/// What an expression is for, which decides the type it must have.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Purpose {
    Condition,
    Check,
    DateBound,
    Value,
}

struct Env {
    globals: HashMap<String, Global>,
    tables: Vec<TableType>,
    lists: Vec<(String, Vec<String>)>,
}

impl Env {
    fn at(&self, row: Option<usize>) -> TypeEnv<'_> {
        TypeEnv {
            globals: &self.globals,
            tables: &self.tables,
            choice_lists: &self.lists,
            row: row.map(|r| r as u32),
        }
    }
}

fn question_ty(q: &Question, known: bool) -> Ty {
    if known { q.expr_type() } else { Ty::Any }
}

impl Loader<'_> {
    fn env(&self) -> Env {
        let mut globals = HashMap::new();
        for (q, p) in self.questions.iter().zip(&self.question_pending) {
            globals.insert(q.id.clone(), Global { slot: q.slot as u32, ty: question_ty(q, p.type_known) });
        }
        for (i, t) in self.tables.iter().enumerate() {
            globals.insert(
                t.id.clone(),
                Global { slot: t.slot as u32, ty: Ty::List(Box::new(Ty::Row(i as u32))) },
            );
        }
        let tables = self
            .tables
            .iter()
            .zip(&self.column_pending)
            .map(|(t, pending)| TableType {
                id: t.id.clone(),
                columns: t
                    .columns
                    .iter()
                    .zip(pending)
                    .map(|(c, p)| (c.id.clone(), question_ty(c, p.type_known)))
                    .collect(),
            })
            .collect();
        let lists = self
            .choice_lists
            .iter()
            .map(|l| (l.id.clone(), l.choices.iter().map(|c| c.value.to_string()).collect()))
            .collect();
        Env { globals, tables, lists }
    }

    /// Compile one expression; report problems only when `report` is set.
    fn compile(
        &mut self,
        src: &Src,
        env: &TypeEnv<'_>,
        purpose: Purpose,
        what: &str,
        report: bool,
    ) -> Option<Compiled> {
        match expr::compile(&src.text, env) {
            Ok(compiled) => {
                let wanted = match purpose {
                    Purpose::Condition | Purpose::Check => Some(Ty::Bool),
                    Purpose::DateBound => Some(Ty::Date),
                    Purpose::Value => None,
                };
                let fits = match (&wanted, &compiled.ty) {
                    (Some(_), Ty::Any | Ty::Null) => true,
                    (Some(w), t) => w == t,
                    (None, t) => !matches!(t, Ty::List(_) | Ty::Row(_) | Ty::File | Ty::Null),
                };
                if !fits {
                    if report {
                        let (message, help) = match purpose {
                            Purpose::Condition => (
                                format!("{what} must be true or false, but this is {}", compiled.ty),
                                "compare it with something, e.g. `household_size >= 2`, or use a yes/no question".to_string(),
                            ),
                            Purpose::Check => (
                                format!("{what} must be true or false, but this is {}", compiled.ty),
                                "a check is a condition the answers must meet, e.g. `end_date >= start_date`".to_string(),
                            ),
                            Purpose::DateBound => (format!("{what} must be a date, but this is {}", compiled.ty), "use a date question, `period.start`, or `date('2026-04-01')`".to_string()),
                            Purpose::Value => (
                                format!("{what} must give a number, text, date or yes/no, but this is {}", compiled.ty),
                                "add the items up with `sum(…)` or count them with `count(…)`".to_string(),
                            ),
                        };
                        let span = Span::new(
                            src.span.line,
                            src.span.column,
                            src.text.chars().count().min(200) as u32,
                        );
                        self.ctx
                            .diagnostics
                            .push(Diagnostic::new("expression-type", span, message).with_help(help));
                    }
                    return None;
                }
                Some(compiled)
            }
            Err(e) => {
                if report {
                    let mut d =
                        Diagnostic::new("expression", src.span_of(&e), format!("{}: {}", what, e.message));
                    if let Some(help) = e.help {
                        d = d.with_help(help);
                    }
                    self.ctx.diagnostics.push(d);
                }
                None
            }
        }
    }

    pub(super) fn compile_expressions(&mut self) {
        self.settle_calculated_types();
        let env = self.env();

        // Top-level questions.
        for i in 0..self.questions.len() {
            let pending = self.question_pending[i].clone();
            let id = self.questions[i].id.clone();
            let q = self.compile_question(&env, None, &id, &pending);
            let question = &mut self.questions[i];
            question.when = q.when;
            question.rules = q.rules;
            if let Some(b) = q.min {
                question.options.min = Some(b);
            }
            if let Some(b) = q.max {
                question.options.max = Some(b);
            }
        }
        // Columns and row rules.
        for t in 0..self.tables.len() {
            let table_id = self.tables[t].id.clone();
            for c in 0..self.tables[t].columns.len() {
                let pending = self.column_pending[t][c].clone();
                let id = format!("{table_id}.{}", self.tables[t].columns[c].id);
                let q = self.compile_question(&env, Some(t), &id, &pending);
                let column = &mut self.tables[t].columns[c];
                column.when = q.when;
                column.rules = q.rules;
                if let Some(b) = q.min {
                    column.options.min = Some(b);
                }
                if let Some(b) = q.max {
                    column.options.max = Some(b);
                }
            }
            let raw = self.table_pending[t].rules.clone();
            let rules = self.compile_rules(&env, Some(t), &raw, &format!("a row rule of table `{table_id}`"));
            self.tables[t].rules = rules;
        }
        // Section conditions: a section's `when` sees top-level answers only.
        for s in 0..self.sections.len() {
            if let Some(src) = self.section_pending[s].when.clone() {
                let what = format!("the `when` of section `{}`", self.sections[s].id);
                self.sections[s].when = self.compile(&src, &env.at(None), Purpose::Condition, &what, true);
            }
        }
        let raw = self.rules.clone();
        self.finished_rules = self.compile_rules(&env, None, &raw, "a collection rule");
    }

    /// Calculated questions can read each other: find their types by compiling them until no
    /// type changes (unknown ones count as "any" meanwhile), then compile once more to report.
    fn settle_calculated_types(&mut self) {
        let calculated = |qs: &[Question]| qs.iter().filter(|q| q.ty == QuestionType::Calculated).count();
        let total =
            calculated(&self.questions) + self.tables.iter().map(|t| calculated(&t.columns)).sum::<usize>();
        if total == 0 {
            return;
        }
        for _ in 0..=total {
            let env = self.env();
            if !self.compile_calculated(&env, false) {
                break;
            }
        }
        let env = self.env();
        self.compile_calculated(&env, true);
    }

    /// Compile every calculated value; true if any type changed.
    fn compile_calculated(&mut self, env: &Env, report: bool) -> bool {
        let mut changed = false;
        for i in 0..self.questions.len() {
            if let Some(src) = self.question_pending[i].value.clone() {
                let what = format!("the `value` of question `{}`", self.questions[i].id);
                let compiled = self.compile(&src, &env.at(None), Purpose::Value, &what, report);
                changed |= set_value(&mut self.questions[i], compiled);
            }
        }
        for t in 0..self.tables.len() {
            for c in 0..self.tables[t].columns.len() {
                if let Some(src) = self.column_pending[t][c].value.clone() {
                    let what = format!("the `value` of column `{}`", self.tables[t].columns[c].id);
                    let compiled = self.compile(&src, &env.at(Some(t)), Purpose::Value, &what, report);
                    changed |= set_value(&mut self.tables[t].columns[c], compiled);
                }
            }
        }
        changed
    }

    fn compile_question(
        &mut self,
        env: &Env,
        table: Option<usize>,
        id: &str,
        pending: &super::PendingQuestion,
    ) -> CompiledQuestion {
        let scope = env.at(table);
        let noun = if table.is_some() { "column" } else { "question" };
        let when = pending.when.as_ref().and_then(|src| {
            self.compile(src, &scope, Purpose::Condition, &format!("the `when` of {noun} `{id}`"), true)
        });
        let min = pending
            .min
            .as_ref()
            .and_then(|src| {
                self.compile(src, &scope, Purpose::DateBound, &format!("`min` of {noun} `{id}`"), true)
            })
            .map(Bound::Expr);
        let max = pending
            .max
            .as_ref()
            .and_then(|src| {
                self.compile(src, &scope, Purpose::DateBound, &format!("`max` of {noun} `{id}`"), true)
            })
            .map(Bound::Expr);
        let rules = self.compile_rules(env, table, &pending.rules, &format!("a rule of {noun} `{id}`"));
        CompiledQuestion { when, rules, min, max }
    }

    fn compile_rules(&mut self, env: &Env, table: Option<usize>, raw: &[RawRule], what: &str) -> Vec<Rule> {
        let scope = env.at(table);
        let mut rules = Vec::new();
        for rule in raw {
            let Some(src) = &rule.check else { continue };
            let check = self.compile(src, &scope, Purpose::Check, &format!("the `check` of {what}"), true);
            let fields = self.rule_fields(table, &rule.fields);
            if let Some(check) = check {
                rules.push(Rule {
                    id: rule.id.clone(),
                    check,
                    message: rule.message.clone(),
                    severity: rule.severity,
                    fields,
                    span: rule.span,
                });
            }
        }
        rules
    }

    /// `fields` of a rule: column indexes in a table, top-level slots elsewhere.
    fn rule_fields(&mut self, table: Option<usize>, fields: &[(String, Span)]) -> Vec<usize> {
        let mut out = Vec::new();
        for (name, span) in fields {
            let (found, candidates): (Option<usize>, Vec<String>) = match table {
                Some(t) => {
                    let columns = &self.tables[t].columns;
                    (
                        columns.iter().position(|c| &c.id == name),
                        columns.iter().map(|c| c.id.clone()).collect(),
                    )
                }
                None => {
                    let slot = self
                        .questions
                        .iter()
                        .find(|q| &q.id == name)
                        .map(|q| q.slot)
                        .or_else(|| self.tables.iter().find(|t| &t.id == name).map(|t| t.slot));
                    let names = self
                        .questions
                        .iter()
                        .map(|q| q.id.clone())
                        .chain(self.tables.iter().map(|t| t.id.clone()))
                        .collect();
                    (slot, names)
                }
            };
            match found {
                Some(i) => out.push(i),
                None => {
                    let names: Vec<&str> = candidates.iter().map(String::as_str).collect();
                    let place =
                        if table.is_some() { "a column of this table" } else { "a question or table" };
                    let mut d =
                        Diagnostic::new("unknown-id", *span, format!("`{name}` in `fields` is not {place}"));
                    if let Some(help) = suggestion(name, &names, "they") {
                        d = d.with_help(help);
                    }
                    self.ctx.diagnostics.push(d);
                }
            }
        }
        out
    }

    /// The order slots must be resolved in, and the names answers can be given under.
    pub(super) fn finish_order_and_names(&mut self) -> Option<(Vec<usize>, FxHashMap<String, usize>)> {
        let slot_count = self.slots.len();
        let mut deps: Vec<Vec<usize>> = vec![Vec::new(); slot_count];
        let mut labels: Vec<(String, Span)> = vec![(String::new(), Span::FILE); slot_count];
        let section_deps = |s: usize, sections: &[crate::model::Section]| -> Vec<u32> {
            sections.get(s).and_then(|s| s.when.as_ref()).map(|w| w.deps.answers.clone()).unwrap_or_default()
        };
        for q in &self.questions {
            let mut d: Vec<u32> = section_deps(q.section, &self.sections);
            for c in [&q.when, &q.options.value].into_iter().flatten() {
                d.extend(&c.deps.answers);
            }
            deps[q.slot] = d.into_iter().map(|s| s as usize).collect();
            labels[q.slot] = (format!("question `{}`", q.id), q.span);
        }
        for (t, table) in self.tables.iter_mut().enumerate() {
            let mut d: Vec<u32> = section_deps(table.section, &self.sections);
            let mut column_deps: Vec<Vec<usize>> = Vec::new();
            for c in &table.columns {
                let mut cd = Vec::new();
                for e in [&c.when, &c.options.value].into_iter().flatten() {
                    d.extend(&e.deps.answers);
                    cd.extend(e.deps.columns.iter().map(|c| *c as usize));
                }
                column_deps.push(cd);
            }
            deps[table.slot] = d.into_iter().map(|s| s as usize).collect();
            labels[table.slot] = (format!("table `{}`", table.id), self.table_pending[t].span);
            let column_labels: Vec<(String, Span)> =
                table.columns.iter().map(|c| (format!("column `{}`", c.id), c.span)).collect();
            table.order = order(&column_deps, &column_labels, self.ctx);
        }
        let order = order(&deps, &labels, self.ctx);

        let mut names: FxHashMap<String, usize> = FxHashMap::default();
        let header = super::resolve::header_names(self.ctx, &self.questions, "the collection");
        for (key, index) in header {
            names.insert(key, self.questions[index].slot);
        }
        for q in &self.questions {
            names.insert(q.id.clone(), q.slot);
            for alias in &q.aliases {
                names.entry(alias.clone()).or_insert(q.slot);
            }
        }
        for (i, t) in self.tables.iter().enumerate() {
            names.insert(t.id.clone(), t.slot);
            debug_assert!(matches!(self.slots[t.slot], SlotRef::Table(x) if x == i));
        }
        Some((order, names))
    }
}

struct CompiledQuestion {
    when: Option<Compiled>,
    rules: Vec<Rule>,
    min: Option<Bound>,
    max: Option<Bound>,
}

/// Set a calculated question's compiled value; true if its type changed.
fn set_value(q: &mut Question, compiled: Option<Compiled>) -> bool {
    let before = q.expr_type();
    q.options.value = compiled;
    q.expr_type() != before
}

/// Order nodes so each comes after those it depends on (keeping the written order where free);
/// report each cycle once.
fn order(deps: &[Vec<usize>], labels: &[(String, Span)], ctx: &mut super::Ctx) -> Vec<usize> {
    let n = deps.len();
    let mut state = vec![0u8; n]; // 0 new, 1 on the path, 2 done
    let mut out = Vec::with_capacity(n);
    for start in 0..n {
        if state[start] != 0 {
            continue;
        }
        // Depth-first with an explicit stack of (node, next dependency index).
        let mut stack: Vec<(usize, usize)> = vec![(start, 0)];
        state[start] = 1;
        while let Some((node, next)) = stack.last().copied() {
            if let Some(&dep) = deps[node].get(next) {
                if let Some(top) = stack.last_mut() {
                    top.1 += 1;
                }
                if dep >= n {
                    continue;
                }
                match state[dep] {
                    0 => {
                        state[dep] = 1;
                        stack.push((dep, 0));
                    }
                    1 => {
                        let path: Vec<usize> =
                            stack.iter().map(|(s, _)| *s).skip_while(|s| *s != dep).collect();
                        let names: Vec<&str> = path.iter().map(|s| labels[*s].0.as_str()).collect();
                        let (first, span) = &labels[dep];
                        let message = if path.len() == 1 {
                            format!("{first} depends on itself: its `when` or `value` reads its own answer")
                        } else {
                            format!(
                                "{} form a loop: each one's `when` or `value` reads the next, and the last reads the first",
                                names.join(", ")
                            )
                        };
                        ctx.error_help("cycle", *span, message, "break the loop: a condition or calculation cannot depend, even indirectly, on itself");
                    }
                    _ => {}
                }
            } else {
                state[node] = 2;
                out.push(node);
                stack.pop();
            }
        }
    }
    out
}
