//! Checkboxes: choose any options, with content revealed under a chosen option.

use serde::Deserialize;

use super::radios::ItemLabel;
use super::{
    Attributes, Conditional, Content, ErrorMessage, Fieldset, FormGroup, Hint, classes, de, described_by,
};

/// Params of the checkboxes.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Checkboxes {
    /// Prefix of the items' ids; the name when not given.
    #[serde(default, deserialize_with = "de::text")]
    pub id_prefix: Option<String>,
    /// The field name.
    #[serde(default, deserialize_with = "de::text")]
    pub name: Option<String>,
    /// The options; a `None` is left out but counts for the ids that follow.
    #[serde(default, deserialize_with = "de::slots")]
    pub items: Vec<Option<CheckboxItem>>,
    /// The chosen values; an item is checked when its value is among them.
    #[serde(default, deserialize_with = "values")]
    pub values: Vec<String>,
    /// Ids of other elements that describe the group.
    #[serde(default, deserialize_with = "de::text")]
    pub described_by: Option<String>,
    /// The fieldset around the checkboxes, with its legend.
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
    /// Extra classes, e.g. `govuk-checkboxes--small`.
    #[serde(default, deserialize_with = "de::text")]
    pub classes: Option<String>,
    /// Extra attributes.
    #[serde(default)]
    pub attributes: Attributes,
}

/// One checkbox, or a divider (e.g. "or").
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CheckboxItem {
    /// The label's text.
    #[serde(flatten)]
    pub content: Content,
    /// The item's id; made from the prefix and its position when not given.
    #[serde(default, deserialize_with = "de::text")]
    pub id: Option<String>,
    /// The item's field name; the group's when not given.
    #[serde(default, deserialize_with = "de::text")]
    pub name: Option<String>,
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
    /// Checked (overrides `values`).
    #[serde(default, deserialize_with = "de::opt_flag")]
    pub checked: Option<bool>,
    /// Trusted markup revealed when the item is chosen.
    #[serde(default, deserialize_with = "de::object")]
    pub conditional: Option<Conditional>,
    /// `exclusive` for a "none of these" option that clears the others.
    #[serde(default, deserialize_with = "de::text")]
    pub behaviour: Option<String>,
    /// Disables the item.
    #[serde(default, deserialize_with = "de::flag")]
    pub disabled: bool,
    /// Extra attributes on the input.
    #[serde(default)]
    pub attributes: Attributes,
}

/// One checkbox as the macro writes it: ids and checked state worked out.
pub struct Tick<'a> {
    /// The item.
    pub item: &'a CheckboxItem,
    /// Its id.
    pub id: String,
    /// Its field name.
    pub name: &'a str,
    /// Checked or not.
    pub checked: bool,
    /// Its `aria-describedby`.
    pub described_by: Option<String>,
}

impl Tick<'_> {
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

    /// The hint's params.
    pub fn hint(&self) -> Option<&Hint> {
        self.item.hint.as_ref().filter(|h| h.content.is_set())
    }
}

impl Checkboxes {
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

    /// Ids that describe the group: given ones, the hint and the error message.
    fn group_described_by(&self) -> Option<String> {
        let given =
            self.fieldset.as_ref().and_then(|f| f.described_by.as_deref()).or(self.described_by.as_deref());
        let hint = self.hint.as_ref().map(|_| self.hint_id());
        let error = self.error_message.as_ref().map(|_| self.error_id());
        described_by([given, hint.as_deref(), error.as_deref()])
    }

    /// The fieldset to write, with the ids that describe the group.
    pub fn fieldset(&self) -> Option<Fieldset> {
        Some(self.fieldset.as_ref()?.wrapping(self.group_described_by(), None))
    }

    /// The items with their ids, names and checked state.
    pub fn ticks(&self) -> Vec<Tick<'_>> {
        let group = if self.fieldset.is_none() { self.group_described_by() } else { None };
        self.items
            .iter()
            .enumerate()
            .filter_map(|(index, item)| Some((index, item.as_ref()?)))
            .map(|(index, item)| {
                let id = item.id.clone().unwrap_or_else(|| match index {
                    0 => self.id_prefix().to_owned(),
                    i => format!("{}-{}", self.id_prefix(), i + 1),
                });
                let checked = item
                    .checked
                    .unwrap_or_else(|| item.value.as_ref().is_some_and(|value| self.values.contains(value)));
                let hint =
                    item.hint.as_ref().filter(|h| h.content.is_set()).map(|_| format!("{id}-item-hint"));
                let described_by = described_by([group.as_deref(), hint.as_deref()]);
                let name = item.name.as_deref().or(self.name.as_deref()).unwrap_or_default();
                Tick { item, id, name, checked, described_by }
            })
            .collect()
    }
}

/// The chosen values: a list, or one value.
fn values<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Vec<String>, D::Error> {
    use serde_json::Value;
    let scalar = |v: Value| match v {
        Value::String(s) => Some(s),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    };
    Ok(match Value::deserialize(d)? {
        Value::Array(values) => values.into_iter().filter_map(scalar).collect(),
        other => scalar(other).into_iter().collect(),
    })
}
