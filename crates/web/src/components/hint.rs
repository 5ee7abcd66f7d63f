//! Hint: help text under a label or legend.

use serde::Deserialize;

use super::{Attributes, Content, de};

/// Params of the hint, a part of the form controls.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Hint {
    /// What the hint says.
    #[serde(flatten)]
    pub content: Content,
    /// Its id (the form controls set it themselves, for `aria-describedby`).
    #[serde(default, deserialize_with = "de::text")]
    pub id: Option<String>,
    /// Extra classes.
    #[serde(default, deserialize_with = "de::text")]
    pub classes: Option<String>,
    /// Extra attributes.
    #[serde(default)]
    pub attributes: Attributes,
}

impl Hint {
    /// A hint saying `text`.
    pub fn text(text: impl Into<String>) -> Self {
        Self { content: Content::text(text), ..Self::default() }
    }
}
