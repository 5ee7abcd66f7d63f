//! Table.

use serde::Deserialize;

use super::{Attributes, Content, de};

/// Params of the table.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Table {
    /// The header cells.
    #[serde(default, deserialize_with = "de::items")]
    pub head: Vec<TableCell>,
    /// The rows of cells.
    #[serde(default, deserialize_with = "rows")]
    pub rows: Vec<Vec<TableCell>>,
    /// The caption.
    #[serde(default, deserialize_with = "de::text")]
    pub caption: Option<String>,
    /// The caption's classes, e.g. `govuk-table__caption--m`.
    #[serde(default, deserialize_with = "de::text")]
    pub caption_classes: Option<String>,
    /// Makes each row's first cell a row header.
    #[serde(default, deserialize_with = "de::flag")]
    pub first_cell_is_header: bool,
    /// Extra classes.
    #[serde(default, deserialize_with = "de::text")]
    pub classes: Option<String>,
    /// Extra attributes.
    #[serde(default)]
    pub attributes: Attributes,
}

/// One cell of a table.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TableCell {
    /// What it says.
    #[serde(flatten)]
    pub content: Content,
    /// `numeric` to align numbers.
    #[serde(default, deserialize_with = "de::text")]
    pub format: Option<String>,
    /// Columns it spans.
    #[serde(default, deserialize_with = "de::text")]
    pub colspan: Option<String>,
    /// Rows it spans.
    #[serde(default, deserialize_with = "de::text")]
    pub rowspan: Option<String>,
    /// Extra classes.
    #[serde(default, deserialize_with = "de::text")]
    pub classes: Option<String>,
    /// Extra attributes.
    #[serde(default)]
    pub attributes: Attributes,
}

impl Table {
    /// A table with a caption that only screen readers read (for a table whose heading is already
    /// on the page) and these header cells; rows are added after.
    pub fn with_hidden_caption(caption: &str, head: Vec<TableCell>) -> Self {
        Self {
            caption: Some(caption.to_owned()),
            caption_classes: Some("govuk-table__caption--s govuk-visually-hidden".to_owned()),
            head,
            ..Self::default()
        }
    }
}

impl TableCell {
    /// A cell of a number, aligned right.
    pub fn numeric(text: impl Into<String>) -> Self {
        Self { format: Some("numeric".to_owned()), ..Self::text(text) }
    }

    /// A cell saying `text`.
    pub fn text(text: impl Into<String>) -> Self {
        Self { content: Content::text(text), ..Self::default() }
    }

    /// A cell of trusted markup.
    pub fn html(html: impl Into<String>) -> Self {
        Self { content: Content::html(html), ..Self::default() }
    }

    /// The cell's classes after `base`: its format, then its own.
    pub fn class(&self, base: &str, with_format: bool) -> String {
        let mut class = base.to_owned();
        if with_format && let Some(format) = &self.format {
            class.push_str(&format!(" {base}--{format}"));
        }
        if let Some(extra) = &self.classes {
            class.push(' ');
            class.push_str(extra);
        }
        class
    }

    /// The cell's content: the html, or the text escaped (not trimmed, as GOV.UK writes it).
    pub fn markup(&self) -> String {
        self.content.render()
    }
}

/// Rows, skipping falsy ones.
fn rows<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Vec<Vec<TableCell>>, D::Error> {
    use serde::de::Error;
    let values = Option::<Vec<serde_json::Value>>::deserialize(d)?.unwrap_or_default();
    values
        .into_iter()
        .filter(de::truthy)
        .map(|row| {
            let cells = row.as_array().cloned().unwrap_or_default();
            cells.into_iter().map(|cell| serde_json::from_value(cell).map_err(D::Error::custom)).collect()
        })
        .collect()
}
