//! Panel: the confirmation that something is finished, with its reference (GOV.UK's confirmation
//! panel), or an interruption.

use serde::Deserialize;

use super::{Attributes, Content, de, escape};

/// Params of the panel.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Panel {
    /// The title's text.
    #[serde(default, deserialize_with = "de::text")]
    pub title_text: Option<String>,
    /// The title as trusted markup.
    #[serde(default, deserialize_with = "de::text")]
    pub title_html: Option<String>,
    /// The body, e.g. "Your reference is" and the reference.
    #[serde(flatten)]
    pub content: Content,
    /// The title's heading level; 1 when not given.
    #[serde(default, deserialize_with = "de::text")]
    pub heading_level: Option<String>,
    /// Extra classes (`govuk-panel--interruption` for an interruption panel).
    #[serde(default, deserialize_with = "de::text")]
    pub classes: Option<String>,
    /// Extra attributes.
    #[serde(default)]
    pub attributes: Attributes,
}

impl Panel {
    /// A confirmation panel titled `title`, its body trusted markup.
    pub fn confirmation(title: impl Into<String>, body_html: impl Into<String>) -> Self {
        Self { title_text: Some(title.into()), content: Content::html(body_html), ..Self::default() }
    }

    /// The panel's classes: the confirmation variant unless it is an interruption.
    pub fn class(&self) -> String {
        let extra = self.classes.as_deref().unwrap_or_default();
        let mut class = "govuk-panel".to_owned();
        if !extra.contains("govuk-panel--interruption") {
            class.push_str(" govuk-panel--confirmation");
        }
        if !extra.is_empty() {
            class.push(' ');
            class.push_str(extra);
        }
        class
    }

    /// The title's heading level.
    pub fn heading_level(&self) -> &str {
        self.heading_level.as_deref().unwrap_or("1")
    }

    /// The title's markup.
    pub fn title(&self) -> String {
        match (&self.title_html, &self.title_text) {
            (Some(html), _) => html.clone(),
            (None, Some(text)) => escape(text),
            (None, None) => String::new(),
        }
    }
}
