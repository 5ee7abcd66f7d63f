//! Radios: choose one option, with content revealed under a chosen option.

use serde::Deserialize;

use super::{Attributes, Content, ErrorMessage, Fieldset, FormGroup, Hint, classes, de, described_by};

/// Params of the radios.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Radios {
    /// Prefix of the items' ids; the name when not given.
    #[serde(default, deserialize_with = "de::text")]
    pub id_prefix: Option<String>,
    /// The field name.
    #[serde(default, deserialize_with = "de::text")]
    pub name: Option<String>,
    /// The options; a `None` is left out but counts for the ids that follow.
    #[serde(default, deserialize_with = "de::slots")]
    pub items: Vec<Option<RadioItem>>,
    /// The chosen value; an item is checked when its value equals it.
    #[serde(default, deserialize_with = "de::text")]
    pub value: Option<String>,
    /// The fieldset around the radios, with its legend.
    #[serde(default, deserialize_with = "de::object")]
    pub fieldset: Option<Fieldset>,
    /// The hint.
    #[serde(default, deserialize_with = "de::object")]
    pub hint: Option<Hint>,
    /// The error message.
    #[serde(default, deserialize_with = "de::object")]
    pub error_message: Option<ErrorMessage>,
    /// The form group around them.
    #[serde(default)]
    pub form_group: FormGroup,
    /// Extra classes, e.g. `govuk-radios--inline`.
    #[serde(default, deserialize_with = "de::text")]
    pub classes: Option<String>,
    /// Extra attributes.
    #[serde(default)]
    pub attributes: Attributes,
}

/// One radio option, or a divider (e.g. "or").
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RadioItem {
    /// The label's text.
    #[serde(flatten)]
    pub content: Content,
    /// The item's id; made from the prefix and its position when not given.
    #[serde(default, deserialize_with = "de::text")]
    pub id: Option<String>,
    /// The value sent.
    #[serde(default, deserialize_with = "de::value")]
    pub value: Option<String>,
    /// The label's classes and attributes.
    #[serde(default)]
    pub label: ItemLabel,
    /// The item's hint.
    #[serde(default, deserialize_with = "de::object")]
    pub hint: Option<Hint>,
    /// Makes this item a divider saying this text.
    #[serde(default, deserialize_with = "de::text")]
    pub divider: Option<String>,
    /// Checked (overrides `value`).
    #[serde(default, deserialize_with = "de::opt_flag")]
    pub checked: Option<bool>,
    /// Trusted markup revealed when the item is chosen.
    #[serde(default, deserialize_with = "de::object")]
    pub conditional: Option<Conditional>,
    /// Disables the item.
    #[serde(default, deserialize_with = "de::flag")]
    pub disabled: bool,
    /// Extra attributes on the input.
    #[serde(default)]
    pub attributes: Attributes,
}

/// The label of a radio or checkbox item: classes and attributes (its text is the item's).
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ItemLabel {
    /// Extra classes.
    #[serde(default, deserialize_with = "de::text")]
    pub classes: Option<String>,
    /// Extra attributes.
    #[serde(default)]
    pub attributes: Attributes,
}

/// Content revealed under a radio or checkbox when it is chosen.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Conditional {
    /// Trusted markup, e.g. a rendered input.
    #[serde(default, deserialize_with = "de::text")]
    pub html: Option<String>,
}

/// One item as the macro writes it: ids and checked state worked out.
pub struct Choice<'a> {
    /// The item.
    pub item: &'a RadioItem,
    /// Its id.
    pub id: String,
    /// Checked or not.
    pub checked: bool,
}

impl Choice<'_> {
    /// The id of the item's hint.
    pub fn hint_id(&self) -> String {
        format!("{}-item-hint", self.id)
    }

    /// The id of the revealed content.
    pub fn conditional_id(&self) -> String {
        format!("conditional-{}", self.id)
    }

    /// The revealed markup, if any.
    pub fn conditional(&self) -> Option<&str> {
        self.item.conditional.as_ref().and_then(|c| c.html.as_deref())
    }

    /// The label's classes.
    pub fn label_class(&self, base: &str) -> String {
        classes(base, self.item.label.classes.as_deref())
    }

    /// The hint's params (classes added by the macro).
    pub fn hint(&self) -> Option<&Hint> {
        self.item.hint.as_ref().filter(|h| h.content.is_set())
    }
}

impl Radios {
    /// The prefix of ids: `idPrefix`, or the name.
    pub fn id_prefix(&self) -> &str {
        self.id_prefix.as_deref().or(self.name.as_deref()).unwrap_or_default()
    }

    /// The hint's id.
    pub fn hint_id(&self) -> String {
        format!("{}-hint", self.id_prefix())
    }

    /// The error message's id.
    pub fn error_id(&self) -> String {
        format!("{}-error", self.id_prefix())
    }

    /// The fieldset to write, with the ids that describe the group.
    pub fn fieldset(&self) -> Option<Fieldset> {
        let fieldset = self.fieldset.as_ref()?;
        let hint = self.hint.as_ref().map(|_| self.hint_id());
        let error = self.error_message.as_ref().map(|_| self.error_id());
        Some(fieldset.wrapping(
            described_by([fieldset.described_by.as_deref(), hint.as_deref(), error.as_deref()]),
            None,
        ))
    }

    /// The items with their ids and checked state.
    pub fn choices(&self) -> Vec<Choice<'_>> {
        self.items
            .iter()
            .enumerate()
            .filter_map(|(index, item)| Some((index, item.as_ref()?)))
            .map(|(index, item)| {
                let id = item.id.clone().unwrap_or_else(|| match index {
                    0 => self.id_prefix().to_owned(),
                    i => format!("{}-{}", self.id_prefix(), i + 1),
                });
                let checked = item.checked.unwrap_or_else(|| {
                    self.value.is_some() && item.value.is_some() && item.value == self.value
                });
                Choice { item, id, checked }
            })
            .collect()
    }
}
