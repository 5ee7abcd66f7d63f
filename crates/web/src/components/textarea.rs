//! Textarea: a multi-line text field.

use serde::Deserialize;

use super::{Attributes, ErrorMessage, FormGroup, Hint, Label, classes, de, described_by};

/// Params of the textarea.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Textarea {
    /// The textarea's id; the name when not given.
    #[serde(default, deserialize_with = "de::text")]
    pub id: Option<String>,
    /// The field name.
    #[serde(default, deserialize_with = "de::text")]
    pub name: Option<String>,
    /// The number of rows; 5 when not given.
    #[serde(default, deserialize_with = "de::text")]
    pub rows: Option<String>,
    /// The current value.
    #[serde(default, deserialize_with = "de::value")]
    pub value: Option<String>,
    /// Disables the textarea.
    #[serde(default, deserialize_with = "de::flag")]
    pub disabled: bool,
    /// Ids of other elements that describe the textarea.
    #[serde(default, deserialize_with = "de::text")]
    pub described_by: Option<String>,
    /// The label.
    #[serde(default)]
    pub label: Label,
    /// The hint.
    #[serde(default, deserialize_with = "de::object")]
    pub hint: Option<Hint>,
    /// The error message.
    #[serde(default, deserialize_with = "de::object")]
    pub error_message: Option<ErrorMessage>,
    /// The form group around the label and textarea.
    #[serde(default)]
    pub form_group: FormGroup,
    /// Extra classes.
    #[serde(default, deserialize_with = "de::text")]
    pub classes: Option<String>,
    /// The `autocomplete` attribute.
    #[serde(default, deserialize_with = "de::text")]
    pub autocomplete: Option<String>,
    /// The `spellcheck` attribute, when given.
    #[serde(default, deserialize_with = "de::opt_flag")]
    pub spellcheck: Option<bool>,
    /// Extra attributes on the textarea.
    #[serde(default)]
    pub attributes: Attributes,
}

impl Textarea {
    /// The textarea's id: `id`, or the name.
    pub fn id(&self) -> &str {
        self.id.as_deref().or(self.name.as_deref()).unwrap_or_default()
    }

    /// The hint's id.
    pub fn hint_id(&self) -> String {
        format!("{}-hint", self.id())
    }

    /// The error message's id.
    pub fn error_id(&self) -> String {
        format!("{}-error", self.id())
    }

    /// The textarea's `aria-describedby`.
    pub fn aria_described_by(&self) -> Option<String> {
        let hint = self.hint.as_ref().map(|_| self.hint_id());
        let error = self.error_message.as_ref().map(|_| self.error_id());
        described_by([self.described_by.as_deref(), hint.as_deref(), error.as_deref()])
    }

    /// The textarea's classes.
    pub fn class(&self) -> String {
        let base = if self.error_message.is_some() {
            "govuk-textarea govuk-textarea--error"
        } else {
            "govuk-textarea"
        };
        classes(base, self.classes.as_deref())
    }

    /// The number of rows.
    pub fn rows(&self) -> &str {
        self.rows.as_deref().unwrap_or("5")
    }
}
