//! Fieldset: groups related controls under a legend.

use serde::Deserialize;

use super::{Attributes, Content, de};

/// Params of the fieldset.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Fieldset {
    /// Ids of elements that describe the group.
    #[serde(default, deserialize_with = "de::text")]
    pub described_by: Option<String>,
    /// The legend.
    #[serde(default)]
    pub legend: Legend,
    /// Extra classes.
    #[serde(default, deserialize_with = "de::text")]
    pub classes: Option<String>,
    /// An ARIA role, e.g. `group` for a date input.
    #[serde(default, deserialize_with = "de::text")]
    pub role: Option<String>,
    /// Extra attributes.
    #[serde(default)]
    pub attributes: Attributes,
    /// Trusted markup for the content, when not given by the caller block.
    #[serde(default, deserialize_with = "de::text")]
    pub html: Option<String>,
}

/// A fieldset's legend.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Legend {
    /// What the legend says.
    #[serde(flatten)]
    pub content: Content,
    /// Extra classes, e.g. `govuk-fieldset__legend--l`.
    #[serde(default, deserialize_with = "de::text")]
    pub classes: Option<String>,
    /// Wraps the legend's text in an `h1`.
    #[serde(default, deserialize_with = "de::flag")]
    pub is_page_heading: bool,
}

impl Fieldset {
    /// A copy to wrap a component's controls: the component's own ids for `aria-describedby`
    /// and, when given, a role.
    pub(crate) fn wrapping(&self, described_by: Option<String>, role: Option<&str>) -> Self {
        Self {
            described_by,
            role: role.map(str::to_owned).or_else(|| self.role.clone()),
            html: None,
            ..self.clone()
        }
    }
}
