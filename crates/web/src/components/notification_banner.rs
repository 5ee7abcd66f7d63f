//! Notification banner: tells people about something important or about what they just did.

use serde::Deserialize;

use super::{Attributes, Content, de, escape};

/// Params of the notification banner.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct NotificationBanner {
    /// The banner's message: `text` is written as a heading, `html` as given.
    #[serde(flatten)]
    pub content: Content,
    /// The title's text; "Success" or "Important" when not given.
    #[serde(default, deserialize_with = "de::text")]
    pub title_text: Option<String>,
    /// The title as trusted markup.
    #[serde(default, deserialize_with = "de::text")]
    pub title_html: Option<String>,
    /// The title's heading level; 2 when not given.
    #[serde(default, deserialize_with = "de::text")]
    pub title_heading_level: Option<String>,
    /// `success` for the green banner that confirms an action.
    #[serde(default, rename = "type", deserialize_with = "de::text")]
    pub banner_type: Option<String>,
    /// The ARIA role; `alert` for success, `region` otherwise.
    #[serde(default, deserialize_with = "de::text")]
    pub role: Option<String>,
    /// The title's id.
    #[serde(default, deserialize_with = "de::text")]
    pub title_id: Option<String>,
    /// Stops GOV.UK Frontend moving focus to a success banner.
    #[serde(default, deserialize_with = "de::opt_flag")]
    pub disable_auto_focus: Option<bool>,
    /// Extra classes.
    #[serde(default, deserialize_with = "de::text")]
    pub classes: Option<String>,
    /// Extra attributes.
    #[serde(default)]
    pub attributes: Attributes,
}

impl NotificationBanner {
    /// A green banner confirming that something was done.
    pub fn success(text: impl Into<String>) -> Self {
        Self { content: Content::text(text), banner_type: Some("success".to_owned()), ..Self::default() }
    }

    /// The green banner a page shows after an action, saying what was done (the `notice`).
    pub fn notice(text: &str) -> Self {
        Self { title_id: Some("notice-title".to_owned()), ..Self::success(text) }
    }

    fn is_success(&self) -> bool {
        self.banner_type.as_deref() == Some("success")
    }

    /// The banner's classes.
    pub fn class(&self) -> String {
        let mut class = "govuk-notification-banner".to_owned();
        if self.is_success() {
            class.push_str(" govuk-notification-banner--success");
        }
        if let Some(extra) = &self.classes {
            class.push(' ');
            class.push_str(extra);
        }
        class
    }

    /// The banner's role.
    pub fn role(&self) -> &str {
        self.role.as_deref().unwrap_or(if self.is_success() { "alert" } else { "region" })
    }

    /// The title's id.
    pub fn title_id(&self) -> &str {
        self.title_id.as_deref().unwrap_or("govuk-notification-banner-title")
    }

    /// The title's heading level.
    pub fn heading_level(&self) -> &str {
        self.title_heading_level.as_deref().unwrap_or("2")
    }

    /// The title's markup.
    pub fn title(&self) -> String {
        match (&self.title_html, &self.title_text) {
            (Some(html), _) => html.clone(),
            (None, Some(text)) => escape(text),
            (None, None) if self.is_success() => "Success".to_owned(),
            (None, None) => "Important".to_owned(),
        }
    }
}
