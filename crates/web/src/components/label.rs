//! Label: the text that names a form control.

use serde::Deserialize;

use super::{Attributes, Content, de};

/// Params of the label, a part of the input, textarea, select and other form controls.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Label {
    /// What the label says.
    #[serde(flatten)]
    pub content: Content,
    /// Extra classes, e.g. `govuk-label--l`.
    #[serde(default, deserialize_with = "de::text")]
    pub classes: Option<String>,
    /// Wraps the label in an `h1`, for a page that asks one question.
    #[serde(default, deserialize_with = "de::flag")]
    pub is_page_heading: bool,
    /// Extra attributes.
    #[serde(default)]
    pub attributes: Attributes,
    /// The id of the control it labels (the form controls set it themselves).
    #[serde(default, rename = "for", deserialize_with = "de::text")]
    pub for_id: Option<String>,
}

impl Label {
    /// A label saying `text`.
    pub fn text(text: impl Into<String>) -> Self {
        Self { content: Content::text(text), ..Self::default() }
    }

    /// The same label with extra classes.
    pub fn classes(self, classes: impl Into<String>) -> Self {
        Self { classes: Some(classes.into()), ..self }
    }
}
