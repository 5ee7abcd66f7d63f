//! Lenient deserialisers that read params the way Nunjucks reads them: numbers where text is
//! expected, empty strings as "not given", and falsy entries in lists skipped.

use serde::de::DeserializeOwned;
use serde::{Deserialize, Deserializer};
use serde_json::Value;

/// Text that may be given as a string, number or boolean; empty, `null` and `false` are "not given".
pub(crate) fn text<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    Ok(match Value::deserialize(d)? {
        Value::String(s) if s.is_empty() => None,
        Value::String(s) => Some(s),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(true) => Some("true".to_owned()),
        _ => None,
    })
}

/// Text where an empty string, `false` or `null` is a deliberate "none" (`Some("")`), distinct from
/// a missing field (`None`, the component's default).
pub(crate) fn text_or_none<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    Ok(Some(match Value::deserialize(d)? {
        Value::String(s) => s,
        Value::Number(n) => n.to_string(),
        Value::Bool(true) => "true".to_owned(),
        _ => String::new(),
    }))
}

/// A boolean that may be given as any value: true when the value is truthy in JavaScript.
pub(crate) fn flag<'de, D: Deserializer<'de>>(d: D) -> Result<bool, D::Error> {
    Ok(truthy(&Value::deserialize(d)?))
}

/// A boolean that may be missing (`None`), as opposed to given as false.
pub(crate) fn opt_flag<'de, D: Deserializer<'de>>(d: D) -> Result<Option<bool>, D::Error> {
    Ok(match Value::deserialize(d)? {
        Value::Null => None,
        value => Some(truthy(&value)),
    })
}

/// A list whose falsy entries (`null`, `false`, `""`) are skipped, as the Nunjucks macros skip them.
pub(crate) fn items<'de, D: Deserializer<'de>, T: DeserializeOwned>(d: D) -> Result<Vec<T>, D::Error> {
    let values = Option::<Vec<Value>>::deserialize(d)?.unwrap_or_default();
    values
        .into_iter()
        .filter(truthy)
        .map(|value| serde_json::from_value(value).map_err(serde::de::Error::custom))
        .collect()
}

/// JavaScript's truthiness of a JSON value.
pub(crate) fn truthy(value: &Value) -> bool {
    match value {
        Value::Null => false,
        Value::Bool(b) => *b,
        Value::Number(n) => n.as_f64().is_some_and(|n| n != 0.0),
        Value::String(s) => !s.is_empty(),
        Value::Array(_) | Value::Object(_) => true,
    }
}

/// Text where an empty string is kept (a `value=""` is written); `null` and `false` are "not given".
pub(crate) fn value<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    Ok(match Value::deserialize(d)? {
        Value::String(s) => Some(s),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(true) => Some("true".to_owned()),
        _ => None,
    })
}

/// An object param that a fixture may give as `false` or `null` for "none".
pub(crate) fn object<'de, D: Deserializer<'de>, T: DeserializeOwned>(d: D) -> Result<Option<T>, D::Error> {
    let value = Value::deserialize(d)?;
    if truthy(&value) {
        serde_json::from_value(value).map(Some).map_err(serde::de::Error::custom)
    } else {
        Ok(None)
    }
}

/// A list whose falsy entries are kept as `None`: they are not written, but they count for the
/// positions that the items' ids are made from.
pub(crate) fn slots<'de, D: Deserializer<'de>, T: DeserializeOwned>(
    d: D,
) -> Result<Vec<Option<T>>, D::Error> {
    let values = Option::<Vec<Value>>::deserialize(d)?.unwrap_or_default();
    values
        .into_iter()
        .map(|value| {
            if truthy(&value) {
                serde_json::from_value(value).map(Some).map_err(serde::de::Error::custom)
            } else {
                Ok(None)
            }
        })
        .collect()
}

/// An object param where a falsy value means "leave it out" (`Some(None)`), as opposed to missing
/// (`None`, the default).
pub(crate) fn omittable<'de, D: Deserializer<'de>, T: DeserializeOwned>(
    d: D,
) -> Result<Option<Option<T>>, D::Error> {
    let value = Value::deserialize(d)?;
    if truthy(&value) {
        serde_json::from_value(value).map(|v| Some(Some(v))).map_err(serde::de::Error::custom)
    } else {
        Ok(Some(None))
    }
}
