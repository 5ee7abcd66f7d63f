//! Summary list: keys and values, with actions such as "Change"; optionally in a summary card.

use serde::Deserialize;

use super::{Attributes, Content, classes, de};

/// Params of the summary list.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SummaryList {
    /// The rows.
    #[serde(default, deserialize_with = "de::items")]
    pub rows: Vec<SummaryRow>,
    /// Puts the list in a summary card with a title and actions.
    #[serde(default, deserialize_with = "de::object")]
    pub card: Option<SummaryCard>,
    /// Extra classes, e.g. `govuk-summary-list--no-border`.
    #[serde(default, deserialize_with = "de::text")]
    pub classes: Option<String>,
    /// Extra attributes.
    #[serde(default)]
    pub attributes: Attributes,
}

/// One row of a summary list.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SummaryRow {
    /// The key.
    #[serde(default)]
    pub key: Cell,
    /// The value.
    #[serde(default)]
    pub value: Cell,
    /// Actions on the row.
    #[serde(default, deserialize_with = "de::object")]
    pub actions: Option<SummaryActions>,
    /// Extra classes.
    #[serde(default, deserialize_with = "de::text")]
    pub classes: Option<String>,
}

/// A key or value of a summary list row.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Cell {
    /// What it says.
    #[serde(flatten)]
    pub content: Content,
    /// Extra classes.
    #[serde(default, deserialize_with = "de::text")]
    pub classes: Option<String>,
}

impl Cell {
    /// A key or value saying `text`.
    pub fn text(text: impl Into<String>) -> Self {
        Self { content: Content::text(text), classes: None }
    }

    /// A key or value of trusted markup.
    pub fn html(html: impl Into<String>) -> Self {
        Self { content: Content::html(html), classes: None }
    }
}

/// The actions of a row or a card.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SummaryActions {
    /// The actions.
    #[serde(default, deserialize_with = "de::items")]
    pub items: Vec<SummaryAction>,
    /// Extra classes.
    #[serde(default, deserialize_with = "de::text")]
    pub classes: Option<String>,
}

/// One action link, e.g. "Change".
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SummaryAction {
    /// What the link says.
    #[serde(flatten)]
    pub content: Content,
    /// Where it goes.
    #[serde(default, deserialize_with = "de::text")]
    pub href: Option<String>,
    /// Hidden words that say what is changed, e.g. "name".
    #[serde(default, deserialize_with = "de::text")]
    pub visually_hidden_text: Option<String>,
    /// Extra classes.
    #[serde(default, deserialize_with = "de::text")]
    pub classes: Option<String>,
    /// Extra attributes.
    #[serde(default)]
    pub attributes: Attributes,
}

/// A summary card around a summary list.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SummaryCard {
    /// The title.
    #[serde(default, deserialize_with = "de::object")]
    pub title: Option<SummaryCardTitle>,
    /// Actions on the whole card.
    #[serde(default, deserialize_with = "de::object")]
    pub actions: Option<SummaryActions>,
    /// Extra classes.
    #[serde(default, deserialize_with = "de::text")]
    pub classes: Option<String>,
    /// Extra attributes.
    #[serde(default)]
    pub attributes: Attributes,
}

/// A summary card's title.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SummaryCardTitle {
    /// What it says.
    #[serde(flatten)]
    pub content: Content,
    /// The heading level; 2 when not given.
    #[serde(default, deserialize_with = "de::text")]
    pub heading_level: Option<String>,
    /// Extra classes.
    #[serde(default, deserialize_with = "de::text")]
    pub classes: Option<String>,
}

impl SummaryActions {
    /// The actions' extra classes after `base`.
    pub fn class(&self, base: &str) -> String {
        classes(base, self.classes.as_deref())
    }
}

impl SummaryAction {
    /// The link's classes.
    pub fn class(&self) -> String {
        classes("govuk-link", self.classes.as_deref())
    }
}

impl SummaryList {
    fn any_row_has_actions(&self) -> bool {
        self.rows.iter().any(|row| row.actions.as_ref().is_some_and(|a| !a.items.is_empty()))
    }

    /// The card's title, which action links name.
    pub fn card_title(&self) -> Option<&SummaryCardTitle> {
        self.card.as_ref().and_then(|card| card.title.as_ref())
    }

    /// A row's classes.
    pub fn row_class(&self, row: &SummaryRow) -> String {
        let mut class = "govuk-summary-list__row".to_owned();
        if self.any_row_has_actions() && row.actions.as_ref().is_none_or(|a| a.items.is_empty()) {
            class.push_str(" govuk-summary-list__row--no-actions");
        }
        classes(&class, row.classes.as_deref())
    }

    /// A row's actions, when it has any.
    pub fn actions<'a>(&self, row: &'a SummaryRow) -> Option<&'a SummaryActions> {
        row.actions.as_ref().filter(|a| !a.items.is_empty())
    }
}

impl SummaryCard {
    /// The card's actions, when it has any.
    pub fn actions(&self) -> Option<&SummaryActions> {
        self.actions.as_ref().filter(|a| !a.items.is_empty())
    }

    /// The title's heading level.
    pub fn heading_level(&self) -> &str {
        self.title.as_ref().and_then(|t| t.heading_level.as_deref()).unwrap_or("2")
    }
}
