//! Button: a button, or a link that looks like one.

use serde::Deserialize;

use super::{Attributes, Content, classes, de, escape};

/// Params of the button.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Button {
    /// What the button says.
    #[serde(flatten)]
    pub content: Content,
    /// Makes it a link to this address.
    #[serde(default, deserialize_with = "de::text")]
    pub href: Option<String>,
    /// The button's type; `submit` when not given.
    #[serde(default, rename = "type", deserialize_with = "de::text")]
    pub button_type: Option<String>,
    /// The name sent with the form.
    #[serde(default, deserialize_with = "de::text")]
    pub name: Option<String>,
    /// The value sent with the form.
    #[serde(default, deserialize_with = "de::text")]
    pub value: Option<String>,
    /// Disables the button.
    #[serde(default, deserialize_with = "de::flag")]
    pub disabled: bool,
    /// Stops a second click submitting the form again.
    #[serde(default, deserialize_with = "de::opt_flag")]
    pub prevent_double_click: Option<bool>,
    /// A start button, with an arrow.
    #[serde(default, deserialize_with = "de::flag")]
    pub is_start_button: bool,
    /// The id.
    #[serde(default, deserialize_with = "de::text")]
    pub id: Option<String>,
    /// Extra classes, e.g. `govuk-button--secondary`.
    #[serde(default, deserialize_with = "de::text")]
    pub classes: Option<String>,
    /// Extra attributes.
    #[serde(default)]
    pub attributes: Attributes,
}

impl Button {
    /// A submit button saying `text`.
    pub fn submit(text: impl Into<String>) -> Self {
        Self { content: Content::text(text), ..Self::default() }
    }

    /// A link to `href` that looks like a button, with extra classes when not empty (e.g.
    /// `govuk-button--secondary`).
    pub fn link(text: &str, href: &str, extra: &str) -> Self {
        Self {
            content: Content::text(text),
            href: Some(href.to_owned()),
            classes: (!extra.is_empty()).then(|| extra.to_owned()),
            ..Self::default()
        }
    }

    /// A submit button for an action on one of several things: `text`, then `hidden` words for
    /// screen readers that say which thing (e.g. "Withdraw" and " the invitation to …").
    pub fn action(text: &str, hidden: &str, extra: &str) -> Self {
        let html = format!("{}<span class=\"govuk-visually-hidden\">{}</span>", escape(text), escape(hidden));
        Self { content: Content::html(html), classes: Some(extra.to_owned()), ..Self::default() }
    }

    /// The same button with extra classes.
    pub fn classes(self, classes: impl Into<String>) -> Self {
        Self { classes: Some(classes.into()), ..self }
    }

    /// The button's classes.
    pub fn class(&self) -> String {
        let mut class = classes("govuk-button", self.classes.as_deref());
        if self.is_start_button {
            class.push_str(" govuk-button--start");
        }
        class
    }

    /// What the button says: trusted markup, in a `span` for a start button.
    pub fn label(&self) -> String {
        match &self.content.html {
            Some(html) if self.is_start_button => format!("<span>{}</span>", html.trim()),
            _ => self.content.render(),
        }
    }
}
