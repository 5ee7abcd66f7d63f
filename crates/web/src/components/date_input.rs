//! Date input: day, month and year fields in a fieldset.

use std::collections::BTreeMap;

use serde::{Deserialize, Deserializer};
use serde_json::Value;

use super::{Attributes, Content, ErrorMessage, Fieldset, FormGroup, Hint, Input, Label, de, described_by};

/// Params of the date input.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DateInput {
    /// The group's id, and the prefix of the fields' ids.
    #[serde(default, deserialize_with = "de::text")]
    pub id: Option<String>,
    /// Prefix of the fields' names, e.g. `dob` for `dob-day`.
    #[serde(default, deserialize_with = "de::text")]
    pub name_prefix: Option<String>,
    /// The fields; day, month and year when not given.
    #[serde(default, deserialize_with = "de::items")]
    pub items: Vec<DateInputItem>,
    /// The day field, when the default one is not right (`Some(None)` leaves it out).
    #[serde(default, deserialize_with = "de::omittable")]
    pub day: Option<Option<DateInputItem>>,
    /// The month field, when the default one is not right.
    #[serde(default, deserialize_with = "de::omittable")]
    pub month: Option<Option<DateInputItem>>,
    /// The year field, when the default one is not right.
    #[serde(default, deserialize_with = "de::omittable")]
    pub year: Option<Option<DateInputItem>>,
    /// The fields' values by name (`day`, or `dob-day` with a prefix).
    #[serde(default, deserialize_with = "values")]
    pub values: BTreeMap<String, String>,
    /// The hint.
    #[serde(default, deserialize_with = "de::object")]
    pub hint: Option<Hint>,
    /// The error message.
    #[serde(default, deserialize_with = "de::object")]
    pub error_message: Option<ErrorMessage>,
    /// The form group around it.
    #[serde(default)]
    pub form_group: FormGroup,
    /// The fieldset around the fields, with its legend.
    #[serde(default, deserialize_with = "de::object")]
    pub fieldset: Option<Fieldset>,
    /// Extra classes.
    #[serde(default, deserialize_with = "de::text")]
    pub classes: Option<String>,
    /// Extra attributes.
    #[serde(default)]
    pub attributes: Attributes,
}

/// One field of a date input.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DateInputItem {
    /// The field's id; the group's id and the name when not given.
    #[serde(default, deserialize_with = "de::text")]
    pub id: Option<String>,
    /// The field's name, e.g. `day`.
    #[serde(default, deserialize_with = "de::text")]
    pub name: Option<String>,
    /// The label's text; the capitalised name when not given.
    #[serde(default, deserialize_with = "de::text")]
    pub label: Option<String>,
    /// The current value.
    #[serde(default, deserialize_with = "de::value")]
    pub value: Option<String>,
    /// Marks this field as wrong (or, when false, not wrong although the group is).
    #[serde(default, deserialize_with = "de::opt_flag")]
    pub error: Option<bool>,
    /// The `autocomplete` attribute.
    #[serde(default, deserialize_with = "de::text")]
    pub autocomplete: Option<String>,
    /// The `pattern` attribute.
    #[serde(default, deserialize_with = "de::text")]
    pub pattern: Option<String>,
    /// The `inputmode` attribute; `numeric` when not given.
    #[serde(default, deserialize_with = "de::text")]
    pub inputmode: Option<String>,
    /// Extra classes, e.g. a width class.
    #[serde(default, deserialize_with = "de::text")]
    pub classes: Option<String>,
    /// Extra attributes.
    #[serde(default)]
    pub attributes: Attributes,
}

impl DateInputItem {
    fn has_error(&self) -> bool {
        self.error == Some(true) || self.classes.as_deref().is_some_and(|c| c.contains("govuk-input--error"))
    }
}

impl DateInput {
    /// The group's id.
    pub fn id(&self) -> &str {
        self.id.as_deref().unwrap_or_default()
    }

    /// The hint's id.
    pub fn hint_id(&self) -> String {
        format!("{}-hint", self.id())
    }

    /// The error message's id.
    pub fn error_id(&self) -> String {
        format!("{}-error", self.id())
    }

    /// The fieldset to write (with the role `group`), with the ids that describe the group.
    pub fn fieldset(&self) -> Option<Fieldset> {
        let fieldset = self.fieldset.as_ref()?;
        let hint = self.hint.as_ref().map(|_| self.hint_id());
        let error = self.error_message.as_ref().map(|_| self.error_id());
        let ids = described_by([fieldset.described_by.as_deref(), hint.as_deref(), error.as_deref()]);
        Some(fieldset.wrapping(ids, Some("group")))
    }

    /// The day, month and year fields, as given or by default.
    fn defaults(&self) -> [Option<DateInputItem>; 3] {
        let field = |given: &Option<Option<DateInputItem>>, name: &str, width: &str| match given {
            Some(given) => given.clone(),
            None => Some(DateInputItem {
                name: Some(name.to_owned()),
                value: self.values.get(name).cloned(),
                classes: Some(width.to_owned()),
                ..DateInputItem::default()
            }),
        };
        [
            field(&self.day, "day", "govuk-input--width-2"),
            field(&self.month, "month", "govuk-input--width-2"),
            field(&self.year, "year", "govuk-input--width-4"),
        ]
    }

    /// The fields as text inputs.
    pub fn inputs(&self) -> Vec<Input> {
        let defaults = self.defaults();
        let items: Vec<(DateInputItem, Option<usize>)> = if self.items.is_empty() {
            defaults.iter().cloned().enumerate().filter_map(|(i, item)| Some((item?, Some(i)))).collect()
        } else {
            self.items.iter().cloned().map(|item| (item, None)).collect()
        };
        let any_error = items.iter().any(|(item, _)| item.has_error());
        let prefix = self.name_prefix.as_deref().map(|p| format!("{p}-")).unwrap_or_default();
        items
            .into_iter()
            .map(|(item, position)| {
                let position = position.or_else(|| {
                    let name = item.name.as_deref()?;
                    ["day", "month", "year"].iter().zip(&defaults).position(|(n, d)| {
                        name == *n || Some(name) == d.as_ref().and_then(|d| d.name.as_deref())
                    })
                });
                let (name, value, width) = match position {
                    Some(i) => {
                        let base = ["day", "month", "year"][i];
                        let name = item.name.clone().unwrap_or_else(|| base.to_owned());
                        let value =
                            item.value.clone().or_else(|| defaults[i].as_ref().and_then(|d| d.value.clone()));
                        (name, value, if i == 2 { 4 } else { 2 })
                    }
                    None => (item.name.clone().unwrap_or_default(), item.value.clone(), 2),
                };
                let given = item.classes.as_deref().unwrap_or_default();
                let mut classes = Vec::new();
                if !given.contains("govuk-input--error")
                    && (item.has_error()
                        || (item.error != Some(false) && self.error_message.is_some() && !any_error))
                {
                    classes.push("govuk-input--error".to_owned());
                }
                if !given.contains("govuk-input--width-") {
                    classes.push(format!("govuk-input--width-{width}"));
                }
                if !given.is_empty() {
                    classes.push(given.to_owned());
                }
                let full_name = format!("{prefix}{name}");
                Input {
                    label: Label {
                        content: Content::text(item.label.clone().unwrap_or_else(|| capitalise(&name))),
                        classes: Some("govuk-date-input__label".to_owned()),
                        ..Label::default()
                    },
                    id: Some(item.id.clone().unwrap_or_else(|| format!("{}-{name}", self.id()))),
                    classes: Some(format!("govuk-date-input__input {}", classes.join(" ")).trim().to_owned()),
                    value: value.or_else(|| self.values.get(&full_name).cloned()),
                    name: Some(full_name),
                    input_type: Some("text".to_owned()),
                    inputmode: Some(item.inputmode.clone().unwrap_or_else(|| "numeric".to_owned())),
                    autocomplete: item.autocomplete.clone(),
                    pattern: item.pattern.clone(),
                    attributes: item.attributes.clone(),
                    ..Input::default()
                }
            })
            .collect()
    }
}

/// Nunjucks' `capitalize`: the first letter upper case, the rest lower case.
fn capitalise(name: &str) -> String {
    let mut chars = name.chars();
    chars.next().map_or_else(String::new, |first| {
        first.to_uppercase().chain(chars.flat_map(char::to_lowercase)).collect()
    })
}

/// The values by name, numbers taken as text.
fn values<'de, D: Deserializer<'de>>(d: D) -> Result<BTreeMap<String, String>, D::Error> {
    let map = Option::<BTreeMap<String, Value>>::deserialize(d)?.unwrap_or_default();
    Ok(map
        .into_iter()
        .filter_map(|(name, value)| match value {
            Value::String(s) => Some((name, s)),
            Value::Number(n) => Some((name, n.to_string())),
            _ => None,
        })
        .collect())
}
