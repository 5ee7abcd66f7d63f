//! Error summary: the list of problems at the top of a page, each linking to its answer.

use serde::Deserialize;

use super::{Attributes, Content, de};

/// Params of the error summary.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ErrorSummary {
    /// The title's text, e.g. "There is a problem".
    #[serde(default, deserialize_with = "de::text")]
    pub title_text: Option<String>,
    /// The title as trusted markup.
    #[serde(default, deserialize_with = "de::text")]
    pub title_html: Option<String>,
    /// A description under the title.
    #[serde(default, deserialize_with = "de::text")]
    pub description_text: Option<String>,
    /// The description as trusted markup.
    #[serde(default, deserialize_with = "de::text")]
    pub description_html: Option<String>,
    /// The problems.
    #[serde(default, deserialize_with = "de::items")]
    pub error_list: Vec<ErrorSummaryItem>,
    /// Stops GOV.UK Frontend moving focus to the summary.
    #[serde(default, deserialize_with = "de::opt_flag")]
    pub disable_auto_focus: Option<bool>,
    /// Extra classes.
    #[serde(default, deserialize_with = "de::text")]
    pub classes: Option<String>,
    /// Extra attributes.
    #[serde(default)]
    pub attributes: Attributes,
}

/// One problem in an error summary.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ErrorSummaryItem {
    /// What is wrong.
    #[serde(flatten)]
    pub content: Content,
    /// The link to the answer, e.g. `#email`.
    #[serde(default, deserialize_with = "de::text")]
    pub href: Option<String>,
    /// Extra attributes on the link.
    #[serde(default)]
    pub attributes: Attributes,
}

impl ErrorSummary {
    /// The title's markup.
    pub fn title(&self) -> String {
        Content { text: self.title_text.clone(), html: self.title_html.clone() }.render()
    }

    /// The description's markup, if any.
    pub fn description(&self) -> Option<String> {
        let description =
            Content { text: self.description_text.clone(), html: self.description_html.clone() };
        description.is_set().then(|| description.render())
    }
}
