//! Error message: what is wrong with one answer, beside the control.

use serde::Deserialize;

use super::{Attributes, Content, de};

/// Params of the error message.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ErrorMessage {
    /// What the message says.
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
    /// The hidden prefix read before the message: "Error" when not given, none when empty.
    #[serde(default, deserialize_with = "de::text_or_none")]
    pub visually_hidden_text: Option<String>,
}

impl ErrorMessage {
    /// An error message saying `text`.
    pub fn text(text: impl Into<String>) -> Self {
        Self { content: Content::text(text), ..Self::default() }
    }

    /// The hidden prefix, if any.
    pub fn prefix(&self) -> Option<&str> {
        match self.visually_hidden_text.as_deref() {
            None => Some("Error"),
            Some("") => None,
            Some(text) => Some(text),
        }
    }
}
