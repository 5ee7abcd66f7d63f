//! Warning text: an important warning with an icon.

use serde::Deserialize;

use super::{Attributes, Content, de};

/// Params of the warning text.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct WarningText {
    /// What the warning says.
    #[serde(flatten)]
    pub content: Content,
    /// The hidden text read in place of the icon; "Warning" when not given.
    #[serde(default, deserialize_with = "de::text")]
    pub icon_fallback_text: Option<String>,
    /// Extra classes.
    #[serde(default, deserialize_with = "de::text")]
    pub classes: Option<String>,
    /// Extra attributes.
    #[serde(default)]
    pub attributes: Attributes,
}
