//! The data dictionary of a collection, in plain words: every question, its type and format, its
//! constraints, when it is asked, its choices and its rules. Built once as a small document and
//! rendered as Markdown or HTML, so the two never drift; plus the JSON Schema of a submission.

mod document;
mod schema;

pub use document::{Block, Inline};
pub use schema::json_schema;

use crate::messages;
use crate::model::{Bound, Definition, Kind, Question, QuestionType, Rule, SectionContent, Severity};
use crate::schedule::Frequency;
use crate::value::{format_date, format_number};
use document::{code, text};

/// The dictionary as Markdown.
pub fn markdown(def: &Definition) -> String {
    document::to_markdown(&blocks(def))
}

/// The dictionary as a standalone HTML page.
pub fn html(def: &Definition) -> String {
    document::to_html(&def.title, &blocks(def))
}

fn blocks(def: &Definition) -> Vec<Block> {
    let mut b = Vec::new();
    b.push(Block::Heading(1, format!("{}: data dictionary", def.title)));
    let kind = match def.kind {
        Kind::Return => "A return: each organisation makes one submission for each period.",
        Kind::Log => {
            "A log: each organisation adds a record for each event in each period, on the web or by uploading a file of records."
        }
    };
    b.push(Block::Para(vec![
        text("Collection "),
        code(&def.collection),
        text(&format!(", version {}. {kind}", def.version)),
    ]));
    if let Some(d) = &def.description {
        b.push(Block::Para(vec![text(d)]));
    }

    b.push(Block::Heading(2, "How it is collected".into()));
    let mut facts: Vec<Vec<Inline>> = Vec::new();
    let s = &def.schedule;
    let first = s.period(0).map(|p| format!(" The first period is {}.", p.label)).unwrap_or_default();
    let frequency = match s.frequency {
        Frequency::Monthly => "Monthly",
        Frequency::Quarterly => "Quarterly",
        Frequency::Annual => "Annual",
        Frequency::Once => "Once",
    };
    facts.push(vec![text(&format!(
        "Periods: {frequency}, from {}.{first} Each return is due {} after its period ends.",
        format_date(s.start),
        s.due.in_words()
    ))]);
    if !s.reminders.is_empty() {
        let days: Vec<String> = s
            .reminders
            .iter()
            .map(|d| if *d == 1 { "1 day".to_string() } else { format!("{d} days") })
            .collect();
        facts.push(vec![text(&format!(
            "Reminders are emailed {} before the due date, and an overdue notice the day after it.",
            match days.split_last() {
                Some((last, [])) => last.clone(),
                Some((last, rest)) => format!("{} and {last}", rest.join(", ")),
                None => String::new(),
            }
        ))]);
    }
    facts.push(vec![text(&format!("Money is in {} ({}).", def.currency.code, def.currency.symbol.trim()))]);
    if !def.record_key.is_empty() {
        let mut line = vec![text("Each record is identified by ")];
        for (i, slot) in def.record_key.iter().enumerate() {
            if i > 0 {
                line.push(text(if i + 1 == def.record_key.len() { " and " } else { ", " }));
            }
            if let Some(q) = def.question_at(*slot) {
                line.push(code(&q.id));
            }
        }
        line.push(text(": the same combination cannot be recorded twice."));
        facts.push(line);
    }
    b.push(Block::List(facts));
    if !def.roles.is_empty() {
        b.push(Block::Heading(3, "Roles".into()));
        b.push(Block::List(
            def.roles.iter().map(|r| vec![code(&r.id), text(&format!(": {}", r.description))]).collect(),
        ));
    }
    if !def.sign_off.is_empty() {
        b.push(Block::Heading(3, "Sign-off".into()));
        b.push(Block::Para(vec![text("After the answers are complete, they are signed off in this order:")]));
        b.push(Block::List(
            def.sign_off
                .iter()
                .enumerate()
                .map(|(i, step)| {
                    vec![
                        text(&format!("Step {}: ", i + 1)),
                        code(&step.by),
                        text(&format!(" declares: “{}”", step.declaration)),
                    ]
                })
                .collect(),
        ));
    }

    for (n, section) in def.sections.iter().enumerate() {
        b.push(Block::Heading(2, format!("Section {}: {}", n + 1, section.title)));
        let mut about = vec![text("Id "), code(&section.id), text(".")];
        if !section.editors.is_empty() {
            about.push(text(" Filled in by: "));
            for (i, e) in section.editors.iter().enumerate() {
                if i > 0 {
                    about.push(text(", "));
                }
                about.push(code(e));
            }
            about.push(text("."));
        }
        if let Some(w) = &section.when {
            about.push(text(" Asked only when "));
            about.push(code(&w.source));
            about.push(text("."));
        }
        b.push(Block::Para(about));
        if let Some(d) = &section.description {
            b.push(Block::Para(vec![text(d)]));
        }
        match &section.content {
            SectionContent::Questions(qs) => {
                let questions: Vec<&Question> = qs.iter().map(|q| &def.questions[*q]).collect();
                b.push(question_table(def, &questions, "Question"));
                let rules: Vec<(&Question, &Rule)> =
                    questions.iter().flat_map(|q| q.rules.iter().map(move |r| (*q, r))).collect();
                if !rules.is_empty() {
                    b.push(Block::Heading(3, "Checks".into()));
                    b.push(Block::List(rules.iter().map(|(q, r)| rule_line(Some(&q.id), r)).collect()));
                }
            }
            SectionContent::Table(t) => {
                let table = &def.tables[*t];
                let mut rows = format!(
                    "A table: at least {} and at most {} rows, entered on the page or uploaded as a spreadsheet.",
                    table.min_rows,
                    format_number(table.max_rows.into(), None)
                );
                if !table.unique.is_empty() {
                    let labels: Vec<String> = table
                        .unique
                        .iter()
                        .map(|c| messages::lower_first(&table.columns[*c].label))
                        .collect();
                    rows.push_str(&format!(
                        " No two rows may have the same {}.",
                        messages::join_and(&labels)
                    ));
                }
                b.push(Block::Para(vec![text(&rows)]));
                let columns: Vec<&Question> = table.columns.iter().collect();
                b.push(question_table(def, &columns, "Column"));
                let mut lines: Vec<Vec<Inline>> =
                    columns.iter().flat_map(|q| q.rules.iter().map(|r| rule_line(Some(&q.id), r))).collect();
                lines.extend(table.rules.iter().map(|r| rule_line(None, r)));
                if !lines.is_empty() {
                    b.push(Block::Heading(3, "Checks on each row".into()));
                    b.push(Block::List(lines));
                }
            }
        }
    }
    if !def.rules.is_empty() {
        b.push(Block::Heading(2, "Checks across sections".into()));
        b.push(Block::List(def.rules.iter().map(|r| rule_line(None, r)).collect()));
    }
    let used: Vec<&crate::model::ChoiceList> =
        def.choice_lists.iter().filter(|l| !l.choices.is_empty()).collect();
    if !used.is_empty() {
        b.push(Block::Heading(2, "Choices".into()));
        b.push(Block::Para(vec![text(
            "Answers may be given as the value or the label; the value is what is stored and exported.",
        )]));
        for list in used {
            b.push(Block::Heading(3, list.id.clone()));
            b.push(Block::Table {
                head: vec!["Value".into(), "Label".into()],
                rows: list.choices.iter().map(|c| vec![vec![code(&c.value)], vec![text(&c.label)]]).collect(),
            });
        }
    }
    b
}

fn question_table(def: &Definition, questions: &[&Question], noun: &str) -> Block {
    let rows = questions
        .iter()
        .map(|q| {
            let mut label = vec![text(&q.label)];
            if let Some(h) = &q.hint {
                label.push(text(&format!(" ({h})")));
            }
            let mut id = vec![code(&q.id)];
            if !q.aliases.is_empty() {
                id.push(text(" — also "));
                for (i, a) in q.aliases.iter().enumerate() {
                    if i > 0 {
                        id.push(text(", "));
                    }
                    id.push(code(a));
                }
            }
            if let Some(old) = &q.renamed_from {
                id.push(text(" — was "));
                id.push(code(old));
            }
            let required = if q.ty == QuestionType::Calculated {
                "Calculated"
            } else if q.required {
                "Required"
            } else {
                "Optional"
            };
            let asked = match &q.when {
                Some(w) => vec![text("When "), code(&w.source)],
                None => vec![text("Always")],
            };
            vec![label, id, describe(def, q), vec![text(required)], asked]
        })
        .collect();
    Block::Table {
        head: vec![noun.into(), "Id".into(), "Type and format".into(), "Required".into(), "Asked".into()],
        rows,
    }
}

fn bound_text(bound: &Bound, q: &Question, def: &Definition) -> Vec<Inline> {
    match bound {
        Bound::Number(n) => {
            let mut t = format_number(*n, def.money_symbol(q));
            if q.ty == QuestionType::Percentage {
                t.push('%');
            }
            vec![text(&t)]
        }
        Bound::Date(d) => vec![text(&format_date(*d))],
        Bound::Expr(e) => vec![text("the date "), code(&e.source)],
    }
}

/// The type and its constraints in plain words, as text: "A whole number; from 0 to 12".
pub fn describe_text(def: &Definition, q: &Question) -> String {
    describe(def, q)
        .into_iter()
        .map(|i| match i {
            Inline::Text(t) | Inline::Code(t) => t,
        })
        .collect()
}

/// The type and its constraints in plain words.
fn describe(def: &Definition, q: &Question) -> Vec<Inline> {
    let o = &q.options;
    let mut out: Vec<Inline> = Vec::new();
    let base = match q.ty {
        QuestionType::Text => "Text".to_string(),
        QuestionType::LongText => "Text, several lines allowed".to_string(),
        QuestionType::Integer => "A whole number".to_string(),
        QuestionType::Decimal => match o.places {
            Some(p) => format!("A number with at most {p} decimal places"),
            None => "A number".to_string(),
        },
        QuestionType::Money => format!(
            "An amount in {} ({}), at most 2 decimal places",
            def.currency.code,
            def.currency.symbol.trim()
        ),
        QuestionType::Percentage => match o.places {
            Some(0) => "A percentage, a whole number, e.g. 12 or 12%".to_string(),
            Some(p) => format!("A percentage with at most {p} decimal places, e.g. 12.5 or 12.5%"),
            None => "A percentage, e.g. 12.5 or 12.5%".to_string(),
        },
        QuestionType::Date => "A date: YYYY-MM-DD, DD/MM/YYYY or a spreadsheet date".to_string(),
        QuestionType::YesNo => "Yes or No".to_string(),
        QuestionType::Choice => "One of the choices".to_string(),
        QuestionType::MultiChoice => {
            "One or more of the choices (in a spreadsheet, separated by ;)".to_string()
        }
        QuestionType::Email => "An email address".to_string(),
        QuestionType::Phone => "A phone number".to_string(),
        QuestionType::Postcode => "A UK postcode".to_string(),
        QuestionType::Url => "A web address".to_string(),
        QuestionType::File => "A file (not in spreadsheets)".to_string(),
        QuestionType::Calculated => "Calculated, not entered: ".to_string(),
    };
    out.push(text(&base));
    if let Some(v) = &o.value {
        out.push(code(&v.source));
    }
    if let Some(list) = def.choices_of(q) {
        out.push(text(" from "));
        out.push(code(&list.id));
    }
    match (&o.min, &o.max) {
        (Some(min), Some(max)) => {
            out.push(text("; from "));
            out.extend(bound_text(min, q, def));
            out.push(text(" to "));
            out.extend(bound_text(max, q, def));
        }
        (Some(min), None) => {
            out.push(text(if q.ty == QuestionType::Date { "; on or after " } else { "; at least " }));
            out.extend(bound_text(min, q, def));
        }
        (None, Some(max)) => {
            out.push(text(if q.ty == QuestionType::Date { "; on or before " } else { "; at most " }));
            out.extend(bound_text(max, q, def));
        }
        (None, None) => {}
    }
    match (o.min_length, o.max_length) {
        (Some(min), Some(max)) => out.push(text(&format!("; {min} to {max} characters"))),
        (Some(min), None) => out.push(text(&format!("; at least {min} characters"))),
        (None, Some(max)) => out.push(text(&format!("; up to {max} characters"))),
        (None, None) => {}
    }
    if let Some(p) = &o.pattern {
        out.push(text("; must match "));
        out.push(code(&p.source));
    }
    match (o.min_selected, o.max_selected) {
        (Some(min), Some(max)) => out.push(text(&format!("; {min} to {max} selected"))),
        (Some(min), None) => out.push(text(&format!("; at least {min} selected"))),
        (None, Some(max)) => out.push(text(&format!("; at most {max} selected"))),
        (None, None) => {}
    }
    if !o.accept.is_empty() {
        out.push(text(&format!(
            "; {}",
            o.accept.iter().map(|a| a.to_uppercase()).collect::<Vec<_>>().join(", ")
        )));
    }
    if let Some(size) = o.max_size {
        out.push(text(&format!("; up to {}", messages::format_size(size))));
    }
    out
}

fn rule_line(question: Option<&str>, rule: &Rule) -> Vec<Inline> {
    let mut line = Vec::new();
    if let Some(id) = &rule.id {
        line.push(code(id));
        line.push(text(": "));
    } else if let Some(q) = question {
        line.push(code(q));
        line.push(text(": "));
    }
    line.push(text(&format!("“{}” ", rule.message)));
    line.push(text(match rule.severity {
        Severity::Error => "(an error, to be fixed) when this is not true: ",
        Severity::Warning => "(a warning, to be confirmed) when this is not true: ",
    }));
    line.push(code(&rule.check.source));
    line
}

#[cfg(test)]
mod tests {
    use super::*;

    fn example(name: &str) -> Definition {
        let bytes =
            std::fs::read(format!("{}/../../examples/{name}.yaml", env!("CARGO_MANIFEST_DIR"))).unwrap();
        crate::load(&bytes).unwrap()
    }

    #[test]
    fn markdown_names_every_question_and_rule() {
        for name in ["lettings-log", "single-audit", "towns-fund-monitoring"] {
            let def = example(name);
            let md = markdown(&def);
            for q in &def.questions {
                assert!(md.contains(&format!("`{}`", q.id)), "{name}: {}", q.id);
            }
            for r in &def.rules {
                assert!(md.contains(&r.message), "{name}: {}", r.message);
            }
        }
    }

    #[test]
    fn html_escapes_and_is_a_page() {
        let def = example("towns-fund-monitoring");
        let page = html(&def);
        assert!(page.starts_with("<!DOCTYPE html>"));
        assert!(page.contains("<code>spend.all(s, projects.exists(p, p.project_id == s.project_id))</code>"));
        assert!(page.contains("&lt;= grant_total"));
        assert!(!page.contains("<= grant_total"));
    }
}
