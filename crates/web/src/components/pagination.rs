//! Pagination: links to the previous and next pages, and to numbered pages.

use serde::Deserialize;

use super::{Attributes, Content, classes, de};

/// Params of the pagination.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Pagination {
    /// Numbered pages and ellipses.
    #[serde(default, deserialize_with = "page_items")]
    pub items: Vec<PaginationItem>,
    /// The previous page.
    #[serde(default, deserialize_with = "de::object")]
    pub previous: Option<PaginationLink>,
    /// The next page.
    #[serde(default, deserialize_with = "de::object")]
    pub next: Option<PaginationLink>,
    /// The navigation landmark's label; "Pagination" when not given.
    #[serde(default, deserialize_with = "de::text")]
    pub landmark_label: Option<String>,
    /// Extra classes.
    #[serde(default, deserialize_with = "de::text")]
    pub classes: Option<String>,
    /// Extra attributes.
    #[serde(default)]
    pub attributes: Attributes,
}

/// A numbered page, or an ellipsis.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PaginationItem {
    /// The page number shown.
    #[serde(default, deserialize_with = "de::text")]
    pub number: Option<String>,
    /// The page's address.
    #[serde(default, deserialize_with = "de::text")]
    pub href: Option<String>,
    /// The link's label; "Page n" when not given.
    #[serde(default, deserialize_with = "de::text")]
    pub visually_hidden_text: Option<String>,
    /// The page shown now.
    #[serde(default, deserialize_with = "de::flag")]
    pub current: bool,
    /// An ellipsis instead of a page.
    #[serde(default, deserialize_with = "de::flag")]
    pub ellipsis: bool,
    /// Extra attributes.
    #[serde(default)]
    pub attributes: Attributes,
}

/// A previous or next link.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PaginationLink {
    /// What the link says; "Previous page" or "Next page" when not given.
    #[serde(flatten)]
    pub content: Content,
    /// A label under it, e.g. the page's title (block style only).
    #[serde(default, deserialize_with = "de::text")]
    pub label_text: Option<String>,
    /// Where it goes.
    #[serde(default, deserialize_with = "de::text")]
    pub href: Option<String>,
    /// Extra attributes.
    #[serde(default)]
    pub attributes: Attributes,
}

impl Pagination {
    /// Block style: only previous and next, one above the other.
    pub fn block_level(&self) -> bool {
        self.items.is_empty() && (self.previous.is_some() || self.next.is_some())
    }

    /// The navigation's classes.
    pub fn class(&self) -> String {
        let base =
            if self.block_level() { "govuk-pagination govuk-pagination--block" } else { "govuk-pagination" };
        classes(base, self.classes.as_deref())
    }

    /// The previous link, when it has an address.
    pub fn previous(&self) -> Option<&PaginationLink> {
        self.previous.as_ref().filter(|link| link.href.is_some())
    }

    /// The next link, when it has an address.
    pub fn next(&self) -> Option<&PaginationLink> {
        self.next.as_ref().filter(|link| link.href.is_some())
    }

    /// The link title's classes.
    pub fn title_class(&self, link: &PaginationLink) -> &'static str {
        if self.block_level() && link.label_text.is_none() {
            "govuk-pagination__link-title govuk-pagination__link-title--decorated"
        } else {
            "govuk-pagination__link-title"
        }
    }
}

impl PaginationItem {
    /// The item's classes.
    pub fn class(&self) -> String {
        let mut class = "govuk-pagination__item".to_owned();
        if self.current {
            class.push_str(" govuk-pagination__item--current");
        }
        if self.ellipsis {
            class.push_str(" govuk-pagination__item--ellipsis");
        }
        class
    }

    /// The link's label.
    pub fn label(&self) -> String {
        self.visually_hidden_text
            .clone()
            .unwrap_or_else(|| format!("Page {}", self.number.as_deref().unwrap_or("undefined")))
    }
}

/// Page items, skipping `null` and empty ones.
fn page_items<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Vec<PaginationItem>, D::Error> {
    use serde::de::Error;
    let values = Option::<Vec<serde_json::Value>>::deserialize(d)?.unwrap_or_default();
    values
        .into_iter()
        .filter(|value| value.as_object().is_some_and(|object| !object.is_empty()))
        .map(|value| serde_json::from_value(value).map_err(D::Error::custom))
        .collect()
}
