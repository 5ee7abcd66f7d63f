//! Input: a single-line text field, with optional prefix, suffix and width classes.

use serde::Deserialize;

use super::{Attributes, Content, ErrorMessage, Hint, Label, classes, de, described_by};

/// Params of the text input.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Input {
    /// The input's id; the name when not given.
    #[serde(default, deserialize_with = "de::text")]
    pub id: Option<String>,
    /// The field name.
    #[serde(default, deserialize_with = "de::text")]
    pub name: Option<String>,
    /// The input type; `text` when not given.
    #[serde(default, rename = "type", deserialize_with = "de::text")]
    pub input_type: Option<String>,
    /// The `inputmode` attribute, e.g. `numeric`.
    #[serde(default, deserialize_with = "de::text")]
    pub inputmode: Option<String>,
    /// The current value.
    #[serde(default, deserialize_with = "de::value")]
    pub value: Option<String>,
    /// Disables the input.
    #[serde(default, deserialize_with = "de::flag")]
    pub disabled: bool,
    /// Ids of other elements that describe the input.
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
    /// Shown before the input, e.g. `£`.
    #[serde(default, deserialize_with = "de::object")]
    pub prefix: Option<Affix>,
    /// Shown after the input, e.g. `kg`.
    #[serde(default, deserialize_with = "de::object")]
    pub suffix: Option<Affix>,
    /// The form group around the label and input.
    #[serde(default)]
    pub form_group: FormGroup,
    /// The wrapper around a prefix, input and suffix.
    #[serde(default)]
    pub input_wrapper: Wrapper,
    /// Extra classes, e.g. `govuk-input--width-10`.
    #[serde(default, deserialize_with = "de::text")]
    pub classes: Option<String>,
    /// The `autocomplete` attribute.
    #[serde(default, deserialize_with = "de::text")]
    pub autocomplete: Option<String>,
    /// The `pattern` attribute.
    #[serde(default, deserialize_with = "de::text")]
    pub pattern: Option<String>,
    /// The `spellcheck` attribute, when given.
    #[serde(default, deserialize_with = "de::opt_flag")]
    pub spellcheck: Option<bool>,
    /// The `autocapitalize` attribute.
    #[serde(default, deserialize_with = "de::text")]
    pub autocapitalize: Option<String>,
    /// Extra attributes on the input.
    #[serde(default)]
    pub attributes: Attributes,
}

/// A prefix or suffix of an input.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Affix {
    /// What it says.
    #[serde(flatten)]
    pub content: Content,
    /// Extra classes.
    #[serde(default, deserialize_with = "de::text")]
    pub classes: Option<String>,
    /// Extra attributes.
    #[serde(default)]
    pub attributes: Attributes,
}

/// The form group that holds a control with its label, hint and error message.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct FormGroup {
    /// Extra classes.
    #[serde(default, deserialize_with = "de::text")]
    pub classes: Option<String>,
    /// Extra attributes.
    #[serde(default)]
    pub attributes: Attributes,
    /// Content before the control.
    #[serde(default)]
    pub before_input: Content,
    /// Content after the control.
    #[serde(default)]
    pub after_input: Content,
    /// Content before a group's controls (radios, checkboxes, date input).
    #[serde(default)]
    pub before_inputs: Content,
    /// Content after a group's controls.
    #[serde(default)]
    pub after_inputs: Content,
}

impl FormGroup {
    /// The form group's classes.
    pub fn class(&self, has_error: bool) -> String {
        let base = if has_error { "govuk-form-group govuk-form-group--error" } else { "govuk-form-group" };
        classes(base, self.classes.as_deref())
    }
}

/// A wrapper element's classes and attributes.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Wrapper {
    /// Extra classes.
    #[serde(default, deserialize_with = "de::text")]
    pub classes: Option<String>,
    /// Extra attributes.
    #[serde(default)]
    pub attributes: Attributes,
}

impl Input {
    /// The input's id: `id`, or the name.
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

    /// The input's `aria-describedby`.
    pub fn aria_described_by(&self) -> Option<String> {
        let hint = self.hint.as_ref().map(|_| self.hint_id());
        let error = self.error_message.as_ref().map(|_| self.error_id());
        described_by([self.described_by.as_deref(), hint.as_deref(), error.as_deref()])
    }

    /// The input's classes.
    pub fn class(&self) -> String {
        let mut class = classes("govuk-input", self.classes.as_deref());
        if self.error_message.is_some() {
            class.push_str(" govuk-input--error");
        }
        class
    }

    /// True when the input sits in a wrapper with a prefix, suffix or content around it.
    pub fn has_wrapper(&self) -> bool {
        self.prefix.as_ref().is_some_and(|a| a.content.is_set())
            || self.suffix.as_ref().is_some_and(|a| a.content.is_set())
            || self.form_group.before_input.is_set()
            || self.form_group.after_input.is_set()
    }
}
