//! Select: choose one option from a drop-down list.

use serde::Deserialize;

use super::{Attributes, ErrorMessage, FormGroup, Hint, Label, classes, de, described_by};

/// Params of the select.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Select {
    /// The select's id; the name when not given.
    #[serde(default, deserialize_with = "de::text")]
    pub id: Option<String>,
    /// The field name.
    #[serde(default, deserialize_with = "de::text")]
    pub name: Option<String>,
    /// The options.
    #[serde(default, deserialize_with = "de::items")]
    pub items: Vec<SelectItem>,
    /// The chosen value; an option is selected when its value equals it.
    #[serde(default, deserialize_with = "de::text")]
    pub value: Option<String>,
    /// Disables the select.
    #[serde(default, deserialize_with = "de::flag")]
    pub disabled: bool,
    /// Ids of other elements that describe the select.
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
    /// The form group around the label and select.
    #[serde(default)]
    pub form_group: FormGroup,
    /// Extra classes.
    #[serde(default, deserialize_with = "de::text")]
    pub classes: Option<String>,
    /// Extra attributes.
    #[serde(default)]
    pub attributes: Attributes,
}

/// One option of a select.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SelectItem {
    /// The value sent; the text when not given.
    #[serde(default, deserialize_with = "option_value")]
    pub value: Option<String>,
    /// What the option says.
    #[serde(default, deserialize_with = "de::value")]
    pub text: Option<String>,
    /// Selected (overrides the select's `value`).
    #[serde(default, deserialize_with = "de::opt_flag")]
    pub selected: Option<bool>,
    /// Disables the option.
    #[serde(default, deserialize_with = "de::flag")]
    pub disabled: bool,
    /// Extra attributes.
    #[serde(default)]
    pub attributes: Attributes,
}

impl Select {
    /// The select's id: `id`, or the name.
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

    /// The select's `aria-describedby`.
    pub fn aria_described_by(&self) -> Option<String> {
        let hint = self.hint.as_ref().map(|_| self.hint_id());
        let error = self.error_message.as_ref().map(|_| self.error_id());
        described_by([self.described_by.as_deref(), hint.as_deref(), error.as_deref()])
    }

    /// The select's classes.
    pub fn class(&self) -> String {
        let mut class = classes("govuk-select", self.classes.as_deref());
        if self.error_message.is_some() {
            class.push_str(" govuk-select--error");
        }
        class
    }

    /// Whether `item` is selected.
    pub fn is_selected(&self, item: &SelectItem) -> bool {
        item.selected.unwrap_or_else(|| {
            let effective = item.value.as_ref().or(item.text.as_ref());
            self.value.is_some() && effective == self.value.as_ref()
        })
    }
}

/// An option's value: any value given, `false` and `0` included, as text.
fn option_value<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    use serde_json::Value;
    Ok(match Value::deserialize(d)? {
        Value::Null => None,
        Value::String(s) => Some(s),
        other => Some(other.to_string()),
    })
}
