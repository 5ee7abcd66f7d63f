//! The `attributes` param every component takes: extra HTML attributes on its main element.

use std::fmt;

use serde::{Deserialize, Deserializer};
use serde_json::Value;

use super::escape;

/// Extra HTML attributes, written after the component's own. A `None` value is a boolean attribute
/// written by name only.
#[derive(Clone, Debug, Default)]
pub struct Attributes(pub Vec<(String, Option<String>)>);

impl Attributes {
    /// Adds `name="value"`.
    pub fn with(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.0.push((name.into(), Some(value.into())));
        self
    }

    /// True when there are no attributes.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl fmt::Display for Attributes {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (name, value) in &self.0 {
            match value {
                Some(value) => write!(f, " {}=\"{}\"", escape(name), escape(value))?,
                None => write!(f, " {}", escape(name))?,
            }
        }
        Ok(())
    }
}

/// GOV.UK's attribute values: a scalar, or `{ value, optional }` where an optional attribute is
/// left out when its value is empty and written by name alone when it is `true`.
impl<'de> Deserialize<'de> for Attributes {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let Some(map) = Option::<serde_json::Map<String, Value>>::deserialize(d)? else {
            return Ok(Self::default());
        };
        let mut pairs = Vec::new();
        for (name, item) in map {
            let (value, optional) = match item {
                Value::Object(mut options) => {
                    let optional = options.get("optional").is_some_and(|o| o == &Value::Bool(true));
                    (options.remove("value").unwrap_or(Value::Null), optional)
                }
                value => (value, false),
            };
            let value = match value {
                Value::Null if optional => continue,
                Value::Bool(false) if optional => continue,
                Value::Bool(true) if optional => None,
                Value::Null => Some(String::new()),
                Value::String(s) => Some(s),
                Value::Number(n) => Some(n.to_string()),
                Value::Bool(b) => Some(b.to_string()),
                other => Some(other.to_string()),
            };
            pairs.push((name, value));
        }
        Ok(Self(pairs))
    }
}

/// `data-i18n.*` attributes for a component's translated messages: one per plural form, or one for
/// a single message.
pub(crate) fn i18n(attributes: &mut Attributes, key: &str, messages: &Option<Value>) {
    match messages {
        Some(Value::Object(forms)) => {
            for (form, message) in forms {
                if let Some(message) = message.as_str() {
                    attributes.0.push((format!("data-i18n.{key}.{form}"), Some(message.to_owned())));
                }
            }
        }
        Some(Value::String(message)) if !message.is_empty() => {
            attributes.0.push((format!("data-i18n.{key}"), Some(message.clone())));
        }
        _ => {}
    }
}
