//! Component params for a page's [`Form`]: what was typed and what is wrong with it, shown again
//! in the controls and the error summary.

use askama::Template;

use crate::pages::Form;

use super::{
    Attributes, Button, Content, ErrorMessage, ErrorSummary, ErrorSummaryItem, Fieldset, FileUpload, Hint,
    Input, Label, Legend, RadioItem, Radios, Textarea,
};

/// The label formwork's form pages give their controls.
fn label(text: &str) -> Label {
    Label::text(text).classes("govuk-label--s")
}

fn hint(text: &str) -> Option<Hint> {
    (!text.is_empty()).then(|| Hint::text(text))
}

/// A text input for field `name` of `form`, with its value and problem. `kind` is the input type;
/// `autocomplete` and `hint` are left out when empty.
pub(crate) fn text_input(
    form: &Form,
    name: &str,
    label_text: &str,
    kind: &str,
    autocomplete: &str,
    hint_text: &str,
) -> Input {
    Input {
        id: Some(name.to_owned()),
        name: Some(name.to_owned()),
        input_type: Some(kind.to_owned()),
        label: label(label_text),
        hint: hint(hint_text),
        error_message: form.error(name).map(ErrorMessage::text),
        value: Some(form.value(name).to_owned()),
        autocomplete: (!autocomplete.is_empty()).then(|| autocomplete.to_owned()),
        spellcheck: (kind == "email").then_some(false),
        ..Input::default()
    }
}

/// A textarea for field `name` of `form`, with its value and problem.
pub(crate) fn textarea(
    form: &Form,
    name: &str,
    label_text: &str,
    hint_text: &str,
    rows: impl std::fmt::Display,
) -> Textarea {
    Textarea {
        id: Some(name.to_owned()),
        name: Some(name.to_owned()),
        rows: Some(rows.to_string()),
        label: label(label_text),
        hint: hint(hint_text),
        error_message: form.error(name).map(ErrorMessage::text),
        value: Some(form.value(name).to_owned()),
        ..Textarea::default()
    }
}

/// The error summary of `form`: each problem links to its field.
pub(crate) fn error_summary(form: &Form) -> ErrorSummary {
    ErrorSummary {
        title_text: Some("There is a problem".to_owned()),
        error_list: form
            .problems
            .iter()
            .map(|problem| ErrorSummaryItem {
                content: Content::text(&problem.message),
                href: Some(format!("#{}", problem.field)),
                ..ErrorSummaryItem::default()
            })
            .collect(),
        ..ErrorSummary::default()
    }
}

/// A file upload for field `name`; `accept` lists the file types offered (e.g. `.csv,.xlsx`).
pub(crate) fn file_upload(name: &str, label_text: &str, accept: &str) -> FileUpload {
    FileUpload {
        id: Some(name.to_owned()),
        name: Some(name.to_owned()),
        label: label(label_text),
        attributes: Attributes::default().with("accept", accept),
        ..FileUpload::default()
    }
}

/// Yes and No radios side by side for field `name`, asking `question` (the page's heading when
/// `heading`), with the problem to show beside them.
pub(crate) fn yes_no(name: &str, question: &str, heading: bool, error: Option<&str>) -> Radios {
    let item = |text: &str, value: &str| {
        Some(RadioItem {
            content: Content::text(text),
            value: Some(value.to_owned()),
            ..RadioItem::default()
        })
    };
    Radios {
        name: Some(name.to_owned()),
        id_prefix: Some(name.to_owned()),
        items: vec![item("Yes", "yes"), item("No", "no")],
        error_message: error.map(ErrorMessage::text),
        classes: Some("govuk-radios--inline".to_owned()),
        fieldset: Some(Fieldset {
            legend: Legend {
                content: Content::text(question),
                classes: Some(
                    if heading { "govuk-fieldset__legend--l" } else { "govuk-fieldset__legend--m" }
                        .to_owned(),
                ),
                is_page_heading: heading,
            },
            ..Fieldset::default()
        }),
        ..Radios::default()
    }
}

/// A form's submit button saying `text`; `secondary` for a form that is not the page's main one.
pub(crate) fn submit(text: &str, secondary: bool) -> Button {
    let button = Button::submit(text);
    if secondary { button.classes("govuk-button--secondary") } else { button }
}

/// A small form holding one button that posts to `action`, for an action on a table row.
pub(crate) fn inline_form(action: &str, csrf: &str, button: &Button) -> String {
    inline_form_with(action, csrf, &[], button)
}

/// [`inline_form`] that also sends `fields`, as hidden fields.
pub(crate) fn inline_form_with(action: &str, csrf: &str, fields: &[(&str, &str)], button: &Button) -> String {
    InlineForm { action, csrf, fields, button }.render().unwrap_or_default()
}

#[derive(Template)]
#[template(path = "inline_form.html")]
struct InlineForm<'a> {
    action: &'a str,
    csrf: &'a str,
    fields: &'a [(&'a str, &'a str)],
    button: &'a Button,
}
