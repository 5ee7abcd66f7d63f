//! Text or HTML, the pair most GOV.UK params offer for what a component shows.

use serde::Deserialize;

use super::{de, escape};

/// What a component shows: `html` (trusted markup, not escaped) wins over `text` (escaped).
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Content {
    /// Plain text, escaped.
    #[serde(default, deserialize_with = "de::text")]
    pub text: Option<String>,
    /// Trusted markup built by formwork's own code.
    #[serde(default, deserialize_with = "de::text")]
    pub html: Option<String>,
}

impl Content {
    /// Plain text.
    pub fn text(text: impl Into<String>) -> Self {
        Self { text: Some(text.into()), html: None }
    }

    /// Trusted markup.
    pub fn html(html: impl Into<String>) -> Self {
        Self { text: None, html: Some(html.into()) }
    }

    /// True when there is something to show.
    pub fn is_set(&self) -> bool {
        self.html.is_some() || self.text.is_some()
    }

    /// The markup to write: the html as given (trimmed), or the text escaped.
    pub fn render(&self) -> String {
        match (&self.html, &self.text) {
            (Some(html), _) => html.trim().to_owned(),
            (None, Some(text)) => escape(text),
            (None, None) => String::new(),
        }
    }
}
