//! A return's section, or one row of a table, as GOV.UK form markup, and a posted form back as
//! answers.
//!
//! Pure: the pages call these with the definition, the answers (the JSON shape of
//! [`values_to_json`](formwork_definition::validate::json::values_to_json), or what
//! [`answers_from_form`] read from a failed post) and the validation items, and get back trusted
//! markup to write with `|safe`. Each field's name and id is its question id (a date's fields are
//! `ID-day`, `ID-month` and `ID-year`), so an item's `path` finds its field and the error summary
//! links to it.

use askama::Template;
use formwork_definition::validate::Item;
use formwork_definition::{Definition, Question, QuestionType, SectionContent};
use serde_json::{Map, Value as JsonValue};

use crate::components::{
    Affix, Attributes, Cell, CharacterCount, CheckboxItem, Checkboxes, Conditional, Content, DateInput,
    ErrorMessage, ErrorSummary, ErrorSummaryItem, Fieldset, Hint, Input, Label, Legend, RadioItem, Radios,
    Select, SelectItem, SummaryAction, SummaryActions, SummaryList, SummaryRow, Textarea, escape, link,
};

mod read;
#[cfg(test)]
mod tests;

pub(crate) use read::{answers_from_form, row_from_form};

/// Choice lists longer than this are a select rather than radios.
const MOST_RADIOS: usize = 10;

/// What a form shows besides the definition.
pub(crate) struct Shown<'a> {
    /// Answers by question id (for a row: cells by column id), as stored or as posted.
    pub answers: &'a Map<String, JsonValue>,
    /// Validation items; each error whose path names a field is shown beside it.
    pub items: &'a [Item],
    /// Whether the question in a slot (for a row: the column at an index) is asked now. A
    /// question whose condition the form cannot reveal by itself is left out when it is not.
    pub asked: &'a dyn Fn(usize) -> bool,
    /// The link to download an attached file, from the question id and the stored file's id.
    pub file_href: &'a dyn Fn(&str, &str) -> String,
    /// The page that attaches a file to a question, from the question id (empty for none): a
    /// file is streamed there, never posted with the form's answers.
    pub file_page: &'a dyn Fn(&str) -> String,
}

impl<'a> Shown<'a> {
    /// Answers and items, every question asked, and no links to attached files.
    pub fn new(answers: &'a Map<String, JsonValue>, items: &'a [Item]) -> Self {
        Shown { answers, items, asked: &always, file_href: &no_link, file_page: &no_page }
    }
}

fn always(_: usize) -> bool {
    true
}

fn no_link(_: &str, _: &str) -> String {
    String::new()
}

fn no_page(_: &str) -> String {
    String::new()
}

/// The fields of a question section, in order, as trusted markup; empty for a table section.
pub(crate) fn section_fields(def: &Definition, section: usize, shown: &Shown<'_>) -> String {
    let Some(SectionContent::Questions(indexes)) = def.sections.get(section).map(|s| &s.content) else {
        return String::new();
    };
    let questions: Vec<&Question> = indexes.iter().filter_map(|i| def.questions.get(*i)).collect();
    let form = Fields { def, questions, prefix: String::new(), shown };
    form.render()
}

/// The fields of one row of a table: its columns, named by column id, with the errors whose
/// path is `TABLE/ROW/COLUMN`. `row` is the row's index (for a new row, the index it will have).
pub(crate) fn row_fields(def: &Definition, table: usize, row: usize, shown: &Shown<'_>) -> String {
    let Some(table) = def.tables.get(table) else {
        return String::new();
    };
    let form = Fields {
        def,
        questions: table.columns.iter().collect(),
        prefix: format!("{}/{row}/", table.id),
        shown,
    };
    form.render()
}

/// The error summary of a question section: each error on one of its questions, linking to the
/// question's first field. `None` when there are none.
pub(crate) fn section_error_summary(
    def: &Definition,
    section: usize,
    items: &[Item],
) -> Option<ErrorSummary> {
    let Some(SectionContent::Questions(indexes)) = def.sections.get(section).map(|s| &s.content) else {
        return None;
    };
    let questions: Vec<&Question> = indexes.iter().filter_map(|i| def.questions.get(*i)).collect();
    error_summary(&questions, "", items)
}

/// The error summary of one row of a table (see [`row_fields`]). `None` when there are none.
pub(crate) fn row_error_summary(
    def: &Definition,
    table: usize,
    row: usize,
    items: &[Item],
) -> Option<ErrorSummary> {
    let table = def.tables.get(table)?;
    let questions: Vec<&Question> = table.columns.iter().collect();
    error_summary(&questions, &format!("{}/{row}/", table.id), items)
}

fn error_summary(questions: &[&Question], prefix: &str, items: &[Item]) -> Option<ErrorSummary> {
    let error_list: Vec<ErrorSummaryItem> = items
        .iter()
        .filter(|item| item.is_error())
        .filter_map(|item| {
            let id = item.path.strip_prefix(prefix)?;
            let question = questions.iter().find(|q| q.id == id)?;
            Some(ErrorSummaryItem {
                content: Content::text(&item.message),
                href: Some(format!("#{}", anchor(question))),
                ..ErrorSummaryItem::default()
            })
        })
        .collect();
    (!error_list.is_empty()).then(|| ErrorSummary {
        title_text: Some("There is a problem".to_owned()),
        error_list,
        ..ErrorSummary::default()
    })
}

/// The id of a question's first field: what the error summary links to.
pub(crate) fn anchor(question: &Question) -> String {
    match question.ty {
        QuestionType::Date => format!("{}-day", question.id),
        _ => question.id.clone(),
    }
}

/// The questions of one form and what it shows.
struct Fields<'a> {
    def: &'a Definition,
    questions: Vec<&'a Question>,
    /// What an item's path starts with before the question id.
    prefix: String,
    shown: &'a Shown<'a>,
}

impl Fields<'_> {
    fn render(&self) -> String {
        let mut html = String::new();
        for question in &self.questions {
            if self.revealed_by(question).is_some() {
                continue;
            }
            if question.when.is_some() && !(self.shown.asked)(question.slot) {
                continue;
            }
            html.push_str(&self.question(question));
            html.push('\n');
        }
        html
    }

    /// The question (on this form) and the radio value that reveal `question`, when its
    /// condition is one the form can show by itself: `QID` or `!QID` of a yes/no question, or
    /// `QID == "value"` of a choice question shown as radios.
    fn revealed_by(&self, question: &Question) -> Option<(&Question, String)> {
        let source = question.when.as_ref()?.source.trim();
        let (name, value) = match source.split_once("==") {
            Some((name, value)) => (name.trim(), value.trim()),
            None => match source.strip_prefix('!') {
                Some(name) => (name.trim(), "false"),
                None => (source, "true"),
            },
        };
        let parent = self.questions.iter().find(|q| q.id == name && q.id != question.id)?;
        match parent.ty {
            QuestionType::YesNo => match value {
                "true" => Some((parent, "yes".to_owned())),
                "false" => Some((parent, "no".to_owned())),
                _ => None,
            },
            QuestionType::Choice => {
                let quoted = value
                    .strip_prefix('"')
                    .and_then(|v| v.strip_suffix('"'))
                    .or_else(|| value.strip_prefix('\'').and_then(|v| v.strip_suffix('\'')))?;
                let list = self.def.choices_of(parent)?;
                let known = list.choices.iter().any(|c| &*c.value == quoted);
                (known && list.choices.len() <= MOST_RADIOS).then(|| (*parent, quoted.to_owned()))
            }
            _ => None,
        }
    }

    /// The markup of the questions revealed by `value` of `parent`.
    fn revealed(&self, parent: &Question, value: &str) -> Option<Conditional> {
        let html: String = self
            .questions
            .iter()
            .filter(|q| self.revealed_by(q).is_some_and(|(p, v)| p.id == parent.id && v == value))
            .map(|q| self.question(q))
            .collect();
        (!html.is_empty()).then_some(Conditional { html: Some(html) })
    }

    fn error(&self, question: &Question) -> Option<ErrorMessage> {
        self.shown
            .items
            .iter()
            .filter(|item| item.is_error())
            .find(|item| item.path.strip_prefix(self.prefix.as_str()) == Some(question.id.as_str()))
            .map(|item| ErrorMessage::text(&item.message))
    }

    fn question(&self, question: &Question) -> String {
        let control = self.control(question);
        ControlHtml { control: &control }.render().unwrap_or_default()
    }

    fn control(&self, q: &Question) -> Control {
        let value = self.shown.answers.get(&q.id);
        let error_message = self.error(q);
        let hint = q.hint.as_deref().map(Hint::text);
        let id = Some(q.id.clone());
        let text_input = |input_type: &str, classes: Option<&str>| Input {
            id: id.clone(),
            name: id.clone(),
            input_type: Some(input_type.to_owned()),
            value: Some(text_of(value)),
            label: label(&q.label),
            hint: hint.clone(),
            error_message: error_message.clone(),
            classes: classes.map(str::to_owned),
            ..Input::default()
        };
        match q.ty {
            QuestionType::Text => {
                let width = q.options.max_length.and_then(width_class);
                Control::Input(Input {
                    spellcheck: looks_like_code(q).then_some(false),
                    ..text_input("text", width)
                })
            }
            QuestionType::LongText => match q.options.max_length {
                Some(most) => Control::CharacterCount(CharacterCount {
                    id: id.clone(),
                    name: id.clone(),
                    rows: Some("5".to_owned()),
                    value: Some(text_of(value)),
                    maxlength: Some(most.to_string()),
                    label: label(&q.label),
                    hint,
                    error_message,
                    ..CharacterCount::default()
                }),
                None => Control::Textarea(Textarea {
                    id: id.clone(),
                    name: id.clone(),
                    rows: Some("5".to_owned()),
                    value: Some(text_of(value)),
                    label: label(&q.label),
                    hint,
                    error_message,
                    ..Textarea::default()
                }),
            },
            QuestionType::Integer => Control::Input(Input {
                inputmode: Some("numeric".to_owned()),
                spellcheck: Some(false),
                ..text_input("text", Some("govuk-input--width-10"))
            }),
            QuestionType::Decimal => Control::Input(Input {
                inputmode: Some("decimal".to_owned()),
                spellcheck: Some(false),
                ..text_input("text", Some("govuk-input--width-10"))
            }),
            QuestionType::Money => Control::Input(Input {
                inputmode: Some("decimal".to_owned()),
                spellcheck: Some(false),
                prefix: self.def.money_symbol(q).map(|symbol| affix(symbol.trim())),
                ..text_input("text", Some("govuk-input--width-10"))
            }),
            QuestionType::Percentage => Control::Input(Input {
                inputmode: Some("decimal".to_owned()),
                spellcheck: Some(false),
                suffix: Some(affix("%")),
                ..text_input("text", Some("govuk-input--width-5"))
            }),
            QuestionType::Email => Control::Input(Input {
                autocomplete: Some("email".to_owned()),
                spellcheck: Some(false),
                ..text_input("email", None)
            }),
            QuestionType::Phone => Control::Input(Input {
                autocomplete: Some("tel".to_owned()),
                ..text_input("tel", Some("govuk-input--width-20"))
            }),
            QuestionType::Url => Control::Input(Input { spellcheck: Some(false), ..text_input("url", None) }),
            QuestionType::Postcode => Control::Input(Input {
                autocomplete: Some("postal-code".to_owned()),
                spellcheck: Some(false),
                ..text_input("text", Some("govuk-input--width-10"))
            }),
            QuestionType::Date => {
                let [day, month, year] = date_parts(value);
                let values = [("day", day), ("month", month), ("year", year)]
                    .into_iter()
                    .map(|(part, text)| (format!("{}-{part}", q.id), text))
                    .collect();
                Control::DateInput(DateInput {
                    id: id.clone(),
                    name_prefix: id.clone(),
                    values,
                    fieldset: Some(fieldset(&q.label)),
                    hint,
                    error_message,
                    ..DateInput::default()
                })
            }
            QuestionType::YesNo => {
                let item = |text: &str, value: &str| {
                    Some(RadioItem {
                        content: Content::text(text),
                        value: Some(value.to_owned()),
                        conditional: self.revealed(q, value),
                        ..RadioItem::default()
                    })
                };
                let items = vec![item("Yes", "yes"), item("No", "no")];
                // Inline radios cannot reveal content under an option.
                let inline = items.iter().flatten().all(|i| i.conditional.is_none());
                Control::Radios(Radios {
                    name: id.clone(),
                    items,
                    value: yes_no_of(value),
                    fieldset: Some(fieldset(&q.label)),
                    hint,
                    error_message,
                    classes: inline.then(|| "govuk-radios--inline".to_owned()),
                    ..Radios::default()
                })
            }
            QuestionType::Choice => {
                let choices = self.def.choices_of(q).map(|l| l.choices.as_slice()).unwrap_or_default();
                let chosen = value.map(|v| text_of(Some(v)));
                if choices.len() > MOST_RADIOS {
                    let mut items = vec![SelectItem {
                        value: Some(String::new()),
                        text: Some(String::new()),
                        ..SelectItem::default()
                    }];
                    items.extend(choices.iter().map(|c| SelectItem {
                        value: Some(c.value.to_string()),
                        text: Some(c.label.clone()),
                        ..SelectItem::default()
                    }));
                    Control::Select(Select {
                        id: id.clone(),
                        name: id.clone(),
                        items,
                        value: chosen,
                        label: label(&q.label),
                        hint,
                        error_message,
                        ..Select::default()
                    })
                } else {
                    let items = choices
                        .iter()
                        .map(|c| {
                            Some(RadioItem {
                                content: Content::text(&c.label),
                                value: Some(c.value.to_string()),
                                conditional: self.revealed(q, &c.value),
                                ..RadioItem::default()
                            })
                        })
                        .collect();
                    Control::Radios(Radios {
                        name: id.clone(),
                        items,
                        value: chosen,
                        fieldset: Some(fieldset(&q.label)),
                        hint,
                        error_message,
                        ..Radios::default()
                    })
                }
            }
            QuestionType::MultiChoice => {
                let choices = self.def.choices_of(q).map(|l| l.choices.as_slice()).unwrap_or_default();
                let items = choices
                    .iter()
                    .map(|c| {
                        Some(CheckboxItem {
                            content: Content::text(&c.label),
                            value: Some(c.value.to_string()),
                            ..CheckboxItem::default()
                        })
                    })
                    .collect();
                Control::Checkboxes(Checkboxes {
                    name: id.clone(),
                    items,
                    values: values_of(value),
                    fieldset: Some(fieldset(&q.label)),
                    hint,
                    error_message,
                    ..Checkboxes::default()
                })
            }
            QuestionType::File => {
                let attached = self.attached_file(q, value);
                let page = (self.shown.file_page)(&q.id);
                let actions = (!page.is_empty()).then(|| SummaryActions {
                    items: vec![SummaryAction {
                        content: Content::text(if attached.is_some() {
                            "Change the file"
                        } else {
                            "Upload a file"
                        }),
                        href: Some(page),
                        visually_hidden_text: Some(format!("for {}", q.label.to_lowercase())),
                        ..SummaryAction::default()
                    }],
                    classes: None,
                });
                Control::AttachedFile(
                    SummaryList {
                        rows: vec![SummaryRow {
                            key: Cell::text(&q.label),
                            value: attached.map_or_else(|| Cell::text("No file attached"), Cell::html),
                            actions,
                            ..SummaryRow::default()
                        }],
                        attributes: Attributes::default().with("id", q.id.clone()),
                        classes: Some("govuk-!-margin-bottom-2".to_owned()),
                        ..SummaryList::default()
                    },
                    hint,
                    error_message.map(|e| ErrorMessage { id: Some(format!("{}-error", q.id)), ..e }),
                )
            }
            QuestionType::Calculated => {
                let shown = match value.map(|v| text_of(Some(v))) {
                    Some(text) if !text.is_empty() => match self.def.money_symbol(q) {
                        Some(symbol) => format!("{symbol}{text}"),
                        None => text,
                    },
                    _ => "Not worked out yet".to_owned(),
                };
                Control::SummaryList(SummaryList {
                    rows: vec![SummaryRow {
                        key: Cell::text(&q.label),
                        value: Cell::text(shown),
                        ..SummaryRow::default()
                    }],
                    attributes: Attributes::default().with("id", q.id.clone()),
                    ..SummaryList::default()
                })
            }
        }
    }

    /// The file attached to a question, as trusted markup: its name (a link to download it,
    /// when there is one) and size.
    fn attached_file(&self, q: &Question, value: Option<&JsonValue>) -> Option<String> {
        let file = value.and_then(JsonValue::as_object)?;
        let name = file.get("name").and_then(JsonValue::as_str)?;
        let size = file.get("size").and_then(JsonValue::as_u64).map(file_size).unwrap_or_default();
        let href = file.get("id").and_then(JsonValue::as_str).map(|id| (self.shown.file_href)(&q.id, id));
        let name = match href {
            Some(href) if !href.is_empty() => link(&href, name),
            _ => escape(name),
        };
        Some(format!("{name} ({size})"))
    }
}

/// One question's control, for `returns/control.html`.
#[expect(clippy::large_enum_variant, reason = "one is built at a time, rendered and dropped")]
enum Control {
    Input(Input),
    Textarea(Textarea),
    CharacterCount(CharacterCount),
    Select(Select),
    Radios(Radios),
    Checkboxes(Checkboxes),
    DateInput(DateInput),
    /// A `file` question: the file attached and a link to the page that attaches one.
    AttachedFile(SummaryList, Option<Hint>, Option<ErrorMessage>),
    SummaryList(SummaryList),
}

#[derive(Template)]
#[template(path = "returns/control.html")]
struct ControlHtml<'a> {
    control: &'a Control,
}

fn label(text: &str) -> Label {
    Label::text(text).classes("govuk-label--s")
}

fn fieldset(text: &str) -> Fieldset {
    Fieldset {
        legend: Legend {
            content: Content::text(text),
            classes: Some("govuk-fieldset__legend--s".to_owned()),
            ..Legend::default()
        },
        ..Fieldset::default()
    }
}

fn affix(text: &str) -> Affix {
    Affix { content: Content::text(text), ..Affix::default() }
}

/// The GOV.UK fixed-width class that fits answers of at most `most` characters; none (full
/// width) for long ones.
fn width_class(most: u32) -> Option<&'static str> {
    [
        (2, "govuk-input--width-2"),
        (3, "govuk-input--width-3"),
        (4, "govuk-input--width-4"),
        (5, "govuk-input--width-5"),
        (10, "govuk-input--width-10"),
        (20, "govuk-input--width-20"),
        (30, "govuk-input--width-30"),
    ]
    .into_iter()
    .find(|(width, _)| most <= *width)
    .map(|(_, class)| class)
}

/// True for a text question that holds a code or reference rather than words, where spell
/// checking only gets in the way.
fn looks_like_code(q: &Question) -> bool {
    q.options.pattern.is_some()
        || ["_id", "_code", "_ref", "_reference", "_number"].iter().any(|s| q.id.ends_with(s))
}

fn file_size(bytes: u64) -> String {
    match bytes {
        b if b < 1024 => format!("{b} bytes"),
        b if b < 1024 * 1024 => format!("{} KB", b.div_ceil(1024)),
        b => format!("{:.1} MB", b as f64 / (1024.0 * 1024.0)),
    }
}

/// The text to show back in a field: a stored answer as text, or what the person typed.
pub(crate) fn text_of(value: Option<&JsonValue>) -> String {
    match value {
        None | Some(JsonValue::Null) => String::new(),
        Some(JsonValue::String(s)) => s.clone(),
        Some(JsonValue::Bool(true)) => "yes".to_owned(),
        Some(JsonValue::Bool(false)) => "no".to_owned(),
        Some(JsonValue::Number(n)) => n.to_string(),
        Some(JsonValue::Array(items)) => {
            items.iter().map(|i| text_of(Some(i))).collect::<Vec<_>>().join("; ")
        }
        Some(JsonValue::Object(map)) => {
            map.get("name").and_then(JsonValue::as_str).unwrap_or_default().to_owned()
        }
    }
}

/// The radio value of a yes/no answer: `yes`, `no`, or what was sent.
fn yes_no_of(value: Option<&JsonValue>) -> Option<String> {
    match value {
        None | Some(JsonValue::Null) => None,
        Some(v) => Some(text_of(Some(v)).to_lowercase()),
    }
}

/// The chosen values of a multi-choice answer.
fn values_of(value: Option<&JsonValue>) -> Vec<String> {
    match value {
        Some(JsonValue::Array(items)) => items.iter().map(|i| text_of(Some(i))).collect(),
        None | Some(JsonValue::Null) => Vec::new(),
        Some(other) => vec![text_of(Some(other))],
    }
}

/// The day, month and year to show in a date's fields: from a stored `YYYY-MM-DD` (without
/// leading zeros), or the parts as typed (see [`answers_from_form`]).
pub(crate) fn date_parts(value: Option<&JsonValue>) -> [String; 3] {
    let text = text_of(value);
    let iso: Vec<&str> = text.split('-').collect();
    if let [year, month, day] = iso[..]
        && year.len() == 4
        && [year, month, day].iter().all(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()))
    {
        let unpadded = |p: &str| p.trim_start_matches('0').to_owned();
        return [unpadded(day), unpadded(month), year.to_owned()];
    }
    let mut parts = text.splitn(3, '/').map(str::to_owned);
    [parts.next().unwrap_or_default(), parts.next().unwrap_or_default(), parts.next().unwrap_or_default()]
}
