//! Load a definition file: read it, check every part, resolve every reference and compile every
//! expression — reporting all problems at once, each with its line and column.
//!
//! Loading runs in three passes: [`Loader::read`] reads the structure (this file and
//! `questions.rs`), `resolve.rs` resolves names (choice lists, roles, keys, aliases) and
//! `expressions.rs` compiles expressions and orders the slots so that every condition and
//! calculation is evaluated after what it reads.

mod expressions;
mod questions;
mod reader;
mod resolve;

use std::collections::HashMap;
use std::sync::Arc;

use rustc_hash::FxHashMap;

use reader::{Ctx, Fields, Src};

use crate::diagnostic::{Diagnostic, Span};
use crate::model::{
    Choice, ChoiceList, Currency, Definition, Kind, Question, Role, Rule, Section, SectionContent, Severity,
    SignOffStep, SlotRef, Table,
};
use crate::schedule::{Due, Frequency, ReminderError, Schedule, parse_reminder};
use crate::source::{self, Node, NodeValue};

/// The format version this build reads.
pub const FORMAT_VERSION: i64 = 1;

const TOP_KEYS: &[&str] = &[
    "formwork",
    "collection",
    "version",
    "title",
    "description",
    "kind",
    "currency",
    "schedule",
    "record_key",
    "roles",
    "choice_lists",
    "sections",
    "rules",
    "sign_off",
];
const SECTION_KEYS: &[&str] = &["id", "title", "description", "editors", "when", "questions", "table"];
const TABLE_KEYS: &[&str] = &["min_rows", "max_rows", "unique", "columns", "rules"];
const RULE_KEYS: &[&str] = &["id", "check", "message", "severity", "fields"];
const SCHEDULE_KEYS: &[&str] = &["frequency", "start", "end", "due", "reminders"];
const SIGN_OFF_KEYS: &[&str] = &["by", "declaration"];
const CHOICE_KEYS: &[&str] = &["value", "label"];

/// The most rows a table may allow when `max_rows` is not given.
pub const DEFAULT_MAX_ROWS: u32 = 50_000;
/// The most rows any table may allow.
pub const LIMIT_MAX_ROWS: i64 = 1_000_000;

/// Load a definition from the bytes of a YAML or JSON file.
pub fn load(bytes: &[u8]) -> Result<Definition, Vec<Diagnostic>> {
    let mut ctx = Ctx::default();
    let Some(root) = source::parse(bytes, &mut ctx.diagnostics) else {
        return Err(ctx.diagnostics.into_sorted());
    };
    let mut loader = Loader::new(&mut ctx);
    let definition = loader.run(&root);
    match definition {
        Some(d) if ctx.diagnostics.is_empty() => Ok(d),
        _ => {
            if ctx.diagnostics.is_empty() {
                ctx.error("invalid", Span::FILE, "the definition could not be read");
            }
            Err(ctx.diagnostics.into_sorted())
        }
    }
}

/// A rule as written, before its expression is compiled.
#[derive(Clone, Debug)]
pub(crate) struct RawRule {
    id: Option<String>,
    check: Option<Src>,
    message: String,
    severity: Severity,
    fields: Vec<(String, Span)>,
    span: Span,
}

/// What a question has that needs the whole definition before it can be finished.
#[derive(Clone, Debug, Default)]
pub(crate) struct PendingQuestion {
    when: Option<Src>,
    value: Option<Src>,
    min: Option<Src>,
    max: Option<Src>,
    rules: Vec<RawRule>,
    choices: Option<(String, Span)>,
    type_known: bool,
}

#[derive(Clone, Debug, Default)]
pub(crate) struct PendingSection {
    when: Option<Src>,
    editors: Option<Vec<(String, Span)>>,
    span: Span,
}

#[derive(Clone, Debug, Default)]
pub(crate) struct PendingTable {
    unique: Vec<(String, Span)>,
    rules: Vec<RawRule>,
    span: Span,
}

/// Everything read so far.
pub(crate) struct Loader<'c> {
    ctx: &'c mut Ctx,
    kind: Option<Kind>,
    roles: Vec<Role>,
    role_spans: Vec<Span>,
    choice_lists: Vec<ChoiceList>,
    /// Named lists by name (inline lists are not here).
    named_lists: HashMap<String, usize>,
    sections: Vec<Section>,
    section_pending: Vec<PendingSection>,
    questions: Vec<Question>,
    question_pending: Vec<PendingQuestion>,
    tables: Vec<Table>,
    table_pending: Vec<PendingTable>,
    column_pending: Vec<Vec<PendingQuestion>>,
    slots: Vec<SlotRef>,
    rules: Vec<RawRule>,
    sign_off: Vec<(SignOffStep, Span)>,
    record_key: Vec<(String, Span)>,
    record_key_span: Span,
    /// Collection rules once compiled.
    finished_rules: Vec<Rule>,
}

impl<'c> Loader<'c> {
    fn new(ctx: &'c mut Ctx) -> Loader<'c> {
        Loader {
            ctx,
            kind: None,
            roles: Vec::new(),
            role_spans: Vec::new(),
            choice_lists: Vec::new(),
            named_lists: HashMap::new(),
            sections: Vec::new(),
            section_pending: Vec::new(),
            questions: Vec::new(),
            question_pending: Vec::new(),
            tables: Vec::new(),
            table_pending: Vec::new(),
            column_pending: Vec::new(),
            slots: Vec::new(),
            rules: Vec::new(),
            sign_off: Vec::new(),
            record_key: Vec::new(),
            record_key_span: Span::FILE,
            finished_rules: Vec::new(),
        }
    }

    fn run(&mut self, root: &Node) -> Option<Definition> {
        let top = self.ctx.map(root, "the definition", TOP_KEYS)?;
        self.read_format(&top);
        let collection = self
            .ctx
            .required(&top, "collection", "the definition")
            .and_then(|n| self.ctx.slug(n, "collection slug"));
        let version = self
            .ctx
            .required(&top, "version", "the definition")
            .and_then(|n| self.ctx.integer(n, "`version`", 1, 1_000_000));
        let title =
            self.ctx.required(&top, "title", "the definition").and_then(|n| self.ctx.text(n, "`title`", 200));
        let description = top.get("description").and_then(|n| self.ctx.text(n, "`description`", 10_000));
        self.kind = self.ctx.required(&top, "kind", "the definition").and_then(|n| {
            self.ctx.one_of(n, "kind of collection", &[("return", Kind::Return), ("log", Kind::Log)])
        });
        let currency = self.read_currency(&top);
        let schedule =
            self.ctx.required(&top, "schedule", "the definition").and_then(|n| self.read_schedule(n));
        if let Some(node) = top.get("roles") {
            self.read_roles(node);
        }
        if let Some(node) = top.get("choice_lists") {
            self.read_choice_lists(node);
        }
        if let Some(node) = top.get("record_key") {
            self.record_key = self.ctx.id_list(node, "`record_key` question id");
            self.record_key_span = top.key_span("record_key");
            if self.kind == Some(Kind::Return) {
                self.ctx.error_help(
                    "not-for-kind",
                    self.record_key_span,
                    "`record_key` is only for logs, but this collection is a return",
                    "a return has one submission per organisation and period; remove `record_key` or make it `kind: log`",
                );
            }
        }
        if let Some(node) = self.ctx.required(&top, "sections", "the definition") {
            self.read_sections(node)
        }
        if let Some(node) = top.get("rules") {
            self.rules = self.read_rules(node, "a collection rule");
        }
        if let Some(node) = top.get("sign_off") {
            self.read_sign_off(node);
        }

        self.resolve();
        self.compile_expressions();

        let schedule = schedule?;
        let (order, names) = self.finish_order_and_names()?;
        let record_key = self.resolve_record_key();
        let sign_off = std::mem::take(&mut self.sign_off).into_iter().map(|(s, _)| s).collect();
        let rules = self.take_collection_rules();
        Some(Definition {
            collection: collection?,
            version: u32::try_from(version?).ok()?,
            title: title?,
            description,
            kind: self.kind?,
            currency,
            schedule,
            record_key,
            roles: std::mem::take(&mut self.roles),
            choice_lists: std::mem::take(&mut self.choice_lists),
            sections: std::mem::take(&mut self.sections),
            questions: std::mem::take(&mut self.questions),
            tables: std::mem::take(&mut self.tables),
            rules,
            sign_off,
            slots: std::mem::take(&mut self.slots),
            order,
            names,
            source: root.to_json(),
        })
    }

    fn read_format(&mut self, top: &Fields<'_>) {
        let Some(node) = self.ctx.required(top, "formwork", "the definition") else {
            return;
        };
        if let Some(v) = self.ctx.integer(node, "`formwork` (the format version)", 0, i64::MAX)
            && v != FORMAT_VERSION
        {
            self.ctx.error_help(
                "format-version",
                node.span,
                format!(
                    "this is format version {v}, but this formwork reads format version {FORMAT_VERSION}"
                ),
                format!("write `formwork: {FORMAT_VERSION}`, or use a formwork that reads version {v}"),
            );
        }
    }

    fn read_currency(&mut self, top: &Fields<'_>) -> Currency {
        let default = Currency { code: "GBP".into(), symbol: "£".into() };
        let Some(node) = top.get("currency") else {
            return default;
        };
        let Some(code) = self.ctx.text(node, "`currency`", 10) else {
            return default;
        };
        match crate::currency::symbol(&code) {
            Some(symbol) => Currency { code, symbol },
            None => {
                let help = crate::diagnostic::did_you_mean(
                    &code.to_uppercase(),
                    crate::currency::CODES.iter().copied(),
                )
                .map(|c| format!("did you mean `{c}`?"))
                .unwrap_or_else(|| "use an ISO 4217 code such as GBP, EUR or USD".into());
                self.ctx.error_help(
                    "unknown-value",
                    node.span,
                    format!("`{code}` is not an ISO 4217 currency code"),
                    help,
                );
                default
            }
        }
    }

    fn read_schedule(&mut self, node: &Node) -> Option<Schedule> {
        let f = self.ctx.map(node, "`schedule`", SCHEDULE_KEYS)?;
        let frequency = self
            .ctx
            .required(&f, "frequency", "`schedule`")
            .and_then(|n| self.ctx.one_of(n, "schedule frequency", &Frequency::ALL));
        let start = self
            .ctx
            .required(&f, "start", "`schedule`")
            .and_then(|n| self.ctx.date(n, "`start` of the schedule"));
        let end = f.get("end").and_then(|n| self.ctx.date(n, "`end` of the schedule"));
        let due = self.ctx.required(&f, "due", "`schedule`").and_then(|n| {
            let text = self.ctx.text(n, "`due`", 20)?;
            let due = Due::parse(&text);
            if due.is_none() {
                self.ctx.error_help(
                    "bad-duration",
                    n.span,
                    format!("`due` must be a number of days, weeks or months such as `30d`, `6w` or `2m`, but it is `{text}`"),
                    "returns are due this long after each period ends",
                );
            }
            due
        });
        if let (Some(start), Some(end)) = (start, end)
            && end < start
        {
            self.ctx.error("min-above-max", f.key_span("end"), "the schedule's `end` is before its `start`");
        }
        if frequency == Some(Frequency::Once) && end.is_none() && f.get("end").is_none() {
            self.ctx.error_help(
                "missing-key",
                f.span,
                "a schedule with `frequency: once` needs an `end`: the last day of its one period",
                "add `end: YYYY-MM-DD`",
            );
        }
        let mut schedule =
            Schedule { frequency: frequency?, start: start?, end, due: due?, reminders: Vec::new() };
        if let Some(node) = f.get("reminders") {
            schedule.reminders = self.read_reminders(node, &schedule);
        }
        Some(schedule)
    }

    /// `reminders: [14d, 3d]`: each must be days or weeks, more than none, written once, and
    /// come after the first period starts. Kept largest first.
    fn read_reminders(&mut self, node: &Node, schedule: &Schedule) -> Vec<u32> {
        let Some(items) = self.ctx.list(node, "`reminders`") else {
            return Vec::new();
        };
        // From the start of the first period to its due date: a reminder further back would come
        // before there is anything to fill in.
        let first = schedule.period(0).map(|p| (p.due - p.start).num_days());
        let mut reminders: Vec<(u32, String)> = Vec::new();
        for item in items {
            let Some(text) = self.ctx.text(item, "a reminder", 20) else {
                continue;
            };
            let days = match parse_reminder(&text) {
                Ok(days) => days,
                Err(e) => {
                    let (message, help) = match e {
                        ReminderError::Months => (
                            format!(
                                "reminder `{text}` is in months; reminders are days or weeks before the due date"
                            ),
                            "write it in days or weeks, such as `28d` or `4w`",
                        ),
                        ReminderError::Zero => (
                            format!("reminder `{text}` is no time before the due date"),
                            "give a number of days or weeks before the due date, such as `3d`",
                        ),
                        ReminderError::NotDuration => (
                            format!(
                                "a reminder must be a number of days or weeks such as `14d` or `2w`, but it is `{text}`"
                            ),
                            "reminder emails are sent this long before each due date",
                        ),
                    };
                    self.ctx.error_help("bad-duration", item.span, message, help);
                    continue;
                }
            };
            if let Some((_, earlier)) = reminders.iter().find(|(d, _)| *d == days) {
                self.ctx.error_help(
                    "duplicate-reminder",
                    item.span,
                    format!("reminder `{text}` is {days} days before the due date, the same as `{earlier}`"),
                    "remove one of them",
                );
                continue;
            }
            if let Some(span) = first
                && i64::from(days) >= span
            {
                self.ctx.error_help(
                    "out-of-range",
                    item.span,
                    format!("reminder `{text}` would be sent before the first period starts: it starts {span} days before its due date"),
                    format!("give fewer than {span} days before the due date"),
                );
                continue;
            }
            reminders.push((days, text));
        }
        let mut days: Vec<u32> = reminders.into_iter().map(|(d, _)| d).collect();
        days.sort_unstable_by(|a, b| b.cmp(a));
        days
    }

    fn read_roles(&mut self, node: &Node) {
        let NodeValue::Map(entries) = &node.value else {
            self.ctx.error_help(
                "wrong-shape",
                node.span,
                format!("`roles` must be a mapping of role ids to descriptions, but it is {}", node.shape()),
                "for example `editor: Fills in the return`",
            );
            return;
        };
        for (key, value) in entries {
            let key_node =
                Node { value: NodeValue::Scalar(key.text.clone(), source::Style::Plain), span: key.span };
            let Some(id) = self.ctx.id(&key_node, "role id") else {
                continue;
            };
            if id == "org_admin" {
                self.ctx.error_help(
                    "reserved",
                    key.span,
                    "`org_admin` is a built-in role (organisation administrators) and cannot be defined",
                    "choose another id",
                );
                continue;
            }
            let description =
                self.ctx.text(value, &format!("the description of role `{id}`"), 500).unwrap_or_default();
            self.roles.push(Role { id, description });
            self.role_spans.push(key.span);
        }
    }

    fn read_choice_lists(&mut self, node: &Node) {
        let NodeValue::Map(entries) = &node.value else {
            self.ctx.error(
                "wrong-shape",
                node.span,
                format!(
                    "`choice_lists` must be a mapping of list names to choices, but it is {}",
                    node.shape()
                ),
            );
            return;
        };
        for (key, value) in entries {
            let key_node =
                Node { value: NodeValue::Scalar(key.text.clone(), source::Style::Plain), span: key.span };
            let Some(id) = self.ctx.id(&key_node, "choice list name") else {
                continue;
            };
            if let Some(list) = self.choice_list(value, &id, &format!("choice list `{id}`")) {
                self.named_lists.insert(id, self.choice_lists.len());
                self.choice_lists.push(list);
            }
        }
    }

    /// A list of choices in the short form (`[Q1, Q2]`) or the long form (`{value, label}`).
    fn choice_list(&mut self, node: &Node, id: &str, what: &str) -> Option<ChoiceList> {
        let items = self.ctx.list(node, what)?;
        if items.is_empty() {
            self.ctx.error("empty", node.span, format!("{what} has no choices"));
            return None;
        }
        if items.len() > 10_000 {
            self.ctx.error(
                "too-large",
                node.span,
                format!("{what} has {} choices; the most allowed is 10000", items.len()),
            );
            return None;
        }
        let mut choices: Vec<Choice> = Vec::with_capacity(items.len());
        let mut seen: HashMap<String, (usize, u32)> = HashMap::new();
        for item in items {
            let (value, label) = match &item.value {
                NodeValue::Map(_) => {
                    let Some(f) = self.ctx.map(item, &format!("a choice of {what}"), CHOICE_KEYS) else {
                        continue;
                    };
                    let value = self
                        .ctx
                        .required(&f, "value", &format!("a choice of {what}"))
                        .and_then(|n| self.ctx.text(n, "a choice value", 200));
                    let label = match f.get("label") {
                        Some(n) => self.ctx.text(n, "a choice label", 500),
                        None => value.clone(),
                    };
                    match (value, label) {
                        (Some(v), Some(l)) => (v, l),
                        _ => continue,
                    }
                }
                _ => match self.ctx.text(item, &format!("a choice of {what}"), 200) {
                    Some(v) => (v.clone(), v),
                    None => continue,
                },
            };
            let index = choices.len();
            // A value or label must lead to one choice only, whatever its case.
            let mut clash = false;
            for (text, is_label) in [(&value, false), (&label, true)] {
                let lower = text.to_lowercase();
                match seen.get(&lower) {
                    Some((other, line)) if *other != index => {
                        let what_text = if is_label { "label" } else { "value" };
                        self.ctx.error_help(
                            "duplicate-choice",
                            item.span,
                            format!("the {what_text} `{text}` is used twice in {what}"),
                            format!("it is already used on line {line}; values and labels must each lead to one choice, whatever their case"),
                        );
                        clash = true;
                    }
                    _ => {
                        seen.insert(lower, (index, item.span.line));
                    }
                }
            }
            if !clash {
                choices.push(Choice { value: Arc::from(value.as_str()), label });
            }
        }
        let lookup: FxHashMap<String, usize> = choices
            .iter()
            .enumerate()
            .flat_map(|(i, c)| [(c.value.to_lowercase(), i), (c.label.to_lowercase(), i)])
            .collect();
        // Values win over labels where one choice's label is another's value.
        let mut exact: FxHashMap<String, usize> = FxHashMap::default();
        for (i, c) in choices.iter().enumerate() {
            exact.entry(c.label.clone()).or_insert(i);
        }
        for (i, c) in choices.iter().enumerate() {
            exact.insert(c.value.to_string(), i);
        }
        Some(ChoiceList { id: id.to_string(), choices, exact, lookup })
    }

    fn read_sections(&mut self, node: &Node) {
        let Some(items) = self.ctx.list(node, "`sections`") else {
            return;
        };
        if items.is_empty() {
            self.ctx.error("empty", node.span, "the definition has no sections");
        }
        for item in items {
            self.read_section(item);
        }
    }

    fn read_section(&mut self, node: &Node) {
        let Some(f) = self.ctx.map(node, "a section", SECTION_KEYS) else {
            return;
        };
        let id = self.ctx.required(&f, "id", "a section").and_then(|n| self.ctx.id(n, "section id"));
        let what = match &id {
            Some(id) => format!("section `{id}`"),
            None => "a section".to_string(),
        };
        let title = self
            .ctx
            .required(&f, "title", &what)
            .and_then(|n| self.ctx.text(n, &format!("the title of {what}"), 200));
        let description = f
            .get("description")
            .and_then(|n| self.ctx.text(n, &format!("the description of {what}"), 10_000));
        let editors = f.get("editors").map(|n| self.ctx.id_list(n, "role id in `editors`"));
        let when = f.get("when").and_then(|n| self.ctx.expression(n, &format!("the `when` of {what}")));
        let index = self.sections.len();
        let content = match (f.get("questions"), f.get("table")) {
            (Some(_), Some(_)) => {
                self.ctx.error_help(
                    "wrong-shape",
                    f.key_span("table"),
                    format!("{what} has both `questions` and `table`"),
                    "a section holds either questions or one table; split it into two sections",
                );
                SectionContent::Questions(Vec::new())
            }
            (Some(questions), None) => {
                SectionContent::Questions(self.read_questions(questions, index, &what))
            }
            (None, Some(table)) => {
                if self.kind == Some(Kind::Log) {
                    self.ctx.error_help(
                        "not-for-kind",
                        f.key_span("table"),
                        format!("{what} is a table, but a log cannot have tables"),
                        "each record of a log is one row already; put its questions in sections of questions, or make the collection a return",
                    );
                    SectionContent::Questions(Vec::new())
                } else {
                    match self.read_table(table, index, id.as_deref().unwrap_or("table"), &what) {
                        Some(t) => SectionContent::Table(t),
                        None => SectionContent::Questions(Vec::new()),
                    }
                }
            }
            (None, None) => {
                self.ctx.error_help(
                    "missing-key",
                    f.span,
                    format!("{what} has neither `questions` nor `table`"),
                    "add `questions:` with a list of questions, or `table:`",
                );
                SectionContent::Questions(Vec::new())
            }
        };
        self.sections.push(Section {
            id: id.unwrap_or_default(),
            title: title.unwrap_or_default(),
            description,
            editors: Vec::new(),
            when: None,
            content,
        });
        self.section_pending.push(PendingSection { when, editors, span: f.span });
    }

    fn read_questions(&mut self, node: &Node, section: usize, what: &str) -> Vec<usize> {
        let Some(items) = self.ctx.list(node, &format!("the questions of {what}")) else {
            return Vec::new();
        };
        if items.is_empty() {
            self.ctx.error("empty", node.span, format!("{what} has no questions"));
        }
        let mut indexes = Vec::new();
        for item in items {
            let slot = self.slots.len();
            if let Some((question, pending)) = self.read_question(item, section, slot, None) {
                indexes.push(self.questions.len());
                self.slots.push(SlotRef::Question(self.questions.len()));
                self.questions.push(question);
                self.question_pending.push(pending);
            }
        }
        indexes
    }

    fn read_table(&mut self, node: &Node, section: usize, id: &str, what: &str) -> Option<usize> {
        let f = self.ctx.map(node, &format!("the table of {what}"), TABLE_KEYS)?;
        let table_index = self.tables.len();
        let min_rows =
            f.get("min_rows").and_then(|n| self.ctx.integer(n, "`min_rows`", 0, LIMIT_MAX_ROWS)).unwrap_or(0)
                as u32;
        let max_rows = f
            .get("max_rows")
            .and_then(|n| self.ctx.integer(n, "`max_rows`", 1, LIMIT_MAX_ROWS))
            .map(|n| n as u32)
            .unwrap_or(DEFAULT_MAX_ROWS);
        if min_rows > max_rows {
            self.ctx.error(
                "min-above-max",
                f.key_span("min_rows"),
                format!("`min_rows` ({min_rows}) is more than `max_rows` ({max_rows}) in {what}"),
            );
        }
        let unique =
            f.get("unique").map(|n| self.ctx.id_list(n, "column id in `unique`")).unwrap_or_default();
        let mut columns = Vec::new();
        let mut pending = Vec::new();
        if let Some(node) = self.ctx.required(&f, "columns", &format!("the table of {what}"))
            && let Some(items) = self.ctx.list(node, &format!("the columns of {what}"))
        {
            if items.is_empty() {
                self.ctx.error("empty", node.span, format!("the table of {what} has no columns"));
            }
            for item in items {
                if let Some((q, p)) =
                    self.read_question(item, section, columns.len(), Some((table_index, id)))
                {
                    columns.push(q);
                    pending.push(p);
                }
            }
        }
        let rules =
            f.get("rules").map(|n| self.read_rules(n, &format!("a row rule of {what}"))).unwrap_or_default();
        let slot = self.slots.len();
        self.slots.push(SlotRef::Table(table_index));
        self.tables.push(Table {
            id: id.to_string(),
            section,
            slot,
            columns,
            min_rows,
            max_rows,
            unique: Vec::new(),
            rules: Vec::new(),
            order: Vec::new(),
            names: FxHashMap::default(),
        });
        self.table_pending.push(PendingTable { unique, rules, span: f.span });
        self.column_pending.push(pending);
        Some(table_index)
    }

    fn read_rules(&mut self, node: &Node, what: &str) -> Vec<RawRule> {
        let Some(items) = self.ctx.list(node, "`rules`") else {
            return Vec::new();
        };
        let mut rules = Vec::new();
        for item in items {
            let Some(f) = self.ctx.map(item, what, RULE_KEYS) else {
                continue;
            };
            let id = f.get("id").and_then(|n| self.ctx.slug(n, "rule id"));
            let check = self.ctx.required(&f, "check", what).and_then(|n| self.ctx.expression(n, "`check`"));
            let message = self
                .ctx
                .required(&f, "message", what)
                .and_then(|n| self.ctx.text(n, "a rule's `message`", 1000));
            let severity = f
                .get("severity")
                .and_then(|n| {
                    self.ctx.one_of(
                        n,
                        "severity",
                        &[("error", Severity::Error), ("warning", Severity::Warning)],
                    )
                })
                .unwrap_or_default();
            let fields = f.get("fields").map(|n| self.ctx.id_list(n, "id in `fields`")).unwrap_or_default();
            rules.push(RawRule {
                id,
                check,
                message: message.unwrap_or_default(),
                severity,
                fields,
                span: f.span,
            });
        }
        rules
    }

    fn read_sign_off(&mut self, node: &Node) {
        let Some(items) = self.ctx.list(node, "`sign_off`") else {
            return;
        };
        for item in items {
            let Some(f) = self.ctx.map(item, "a sign-off step", SIGN_OFF_KEYS) else {
                continue;
            };
            let by = self
                .ctx
                .required(&f, "by", "a sign-off step")
                .and_then(|n| self.ctx.id(n, "role id in `by`"));
            let declaration = self
                .ctx
                .required(&f, "declaration", "a sign-off step")
                .and_then(|n| self.ctx.text(n, "a sign-off `declaration`", 5000));
            if let (Some(by), Some(declaration)) = (by, declaration) {
                self.sign_off.push((SignOffStep { by, declaration }, f.key_span("by")));
            }
        }
    }

    /// Collection rules, compiled by `compile_expressions`.
    fn take_collection_rules(&mut self) -> Vec<Rule> {
        std::mem::take(&mut self.finished_rules)
    }
}

#[cfg(test)]
mod tests;
