//! Details: a summary that opens to show more.

use serde::Deserialize;

use super::{Attributes, Content, de};

/// Params of the details.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Details {
    /// The summary's text.
    #[serde(default, deserialize_with = "de::text")]
    pub summary_text: Option<String>,
    /// The summary as trusted markup.
    #[serde(default, deserialize_with = "de::text")]
    pub summary_html: Option<String>,
    /// What opens.
    #[serde(flatten)]
    pub content: Content,
    /// The id.
    #[serde(default, deserialize_with = "de::text")]
    pub id: Option<String>,
    /// Open at first.
    #[serde(default, deserialize_with = "de::flag")]
    pub open: bool,
    /// Extra classes.
    #[serde(default, deserialize_with = "de::text")]
    pub classes: Option<String>,
    /// Extra attributes.
    #[serde(default)]
    pub attributes: Attributes,
}

impl Details {
    /// The summary's markup.
    pub fn summary(&self) -> String {
        Content { text: self.summary_text.clone(), html: self.summary_html.clone() }.render()
    }
}
