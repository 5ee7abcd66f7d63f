//! Tag: a short status label, e.g. "Completed".

use askama::Template;
use serde::Deserialize;

use super::{Attributes, Content, classes, de};

/// Params of the tag.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Tag {
    /// What the tag says.
    #[serde(flatten)]
    pub content: Content,
    /// Extra classes, e.g. `govuk-tag--grey`.
    #[serde(default, deserialize_with = "de::text")]
    pub classes: Option<String>,
    /// Extra attributes.
    #[serde(default)]
    pub attributes: Attributes,
}

impl Tag {
    /// A tag saying `text`, with extra classes (e.g. a colour) when given.
    pub fn new(text: impl Into<String>, extra: Option<&str>) -> Self {
        Self { content: Content::text(text), classes: extra.map(str::to_owned), ..Self::default() }
    }

    /// The tag's classes.
    pub fn class(&self) -> String {
        classes("govuk-tag", self.classes.as_deref())
    }

    /// The tag's markup, for a table cell or summary list value built in Rust.
    pub fn to_html(&self) -> String {
        TagHtml { tag: self }.render().unwrap_or_default()
    }
}

#[derive(Template)]
#[template(source = r#"{% import "govuk/tag.html" as c %}{% call c::tag(tag) %}{% endcall %}"#, ext = "html")]
struct TagHtml<'a> {
    tag: &'a Tag,
}
