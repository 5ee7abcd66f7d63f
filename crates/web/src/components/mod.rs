//! GOV.UK Frontend components, written once as askama macros in `templates/govuk/`.
//!
//! Each component takes one params value that mirrors the Nunjucks macro's params of GOV.UK
//! Frontend: page code builds it directly, and it deserialises (camelCase) from the `options` of
//! GOV.UK Frontend's own fixtures, against which `fixtures_test` checks every macro. Text is
//! escaped; `html` fields are trusted markup built by formwork's own code and are not escaped.

mod attributes;
mod button;
mod character_count;
mod checkboxes;
mod content;
mod date_input;
mod de;
mod details;
mod error_message;
mod error_summary;
mod fieldset;
mod file_upload;
pub(crate) mod form;
mod hint;
mod input;
mod label;
mod notification_banner;
mod pagination;
mod panel;
mod radios;
mod select;
mod summary_list;
mod table;
mod tag;
mod task_list;
mod textarea;
mod warning_text;

#[cfg(test)]
mod fixtures_test;
#[cfg(test)]
mod normalise;

pub use attributes::Attributes;
pub use button::Button;
pub use character_count::CharacterCount;
pub use checkboxes::{CheckboxItem, Checkboxes};
pub use content::Content;
pub use date_input::{DateInput, DateInputItem};
pub use details::Details;
pub use error_message::ErrorMessage;
pub use error_summary::{ErrorSummary, ErrorSummaryItem};
pub use fieldset::{Fieldset, Legend};
pub use file_upload::FileUpload;
pub use hint::Hint;
pub use input::{Affix, FormGroup, Input};
pub use label::Label;
pub use notification_banner::NotificationBanner;
pub use pagination::{Pagination, PaginationItem, PaginationLink};
pub use panel::Panel;
pub use radios::{Conditional, RadioItem, Radios};
pub use select::{Select, SelectItem};
pub use summary_list::{
    Cell, SummaryAction, SummaryActions, SummaryCard, SummaryCardTitle, SummaryList, SummaryRow,
};
pub use table::{Table, TableCell};
pub use tag::Tag;
pub use task_list::{TaskList, TaskListItem, TaskStatus};
pub use textarea::Textarea;
pub use warning_text::WarningText;

/// Escapes text for HTML content and double-quoted attribute values. Apostrophes stay as typed
/// (every attribute the components write is double-quoted), so "organisation's" reads the same in
/// the page source as in the browser.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            c => out.push(c),
        }
    }
    out
}

/// `base` followed by `extra` when there is one, space-separated: how the components add classes.
pub(crate) fn classes(base: &str, extra: Option<&str>) -> String {
    match extra {
        Some(extra) if !extra.is_empty() => format!("{base} {extra}"),
        _ => base.to_owned(),
    }
}

/// Joins ids for `aria-describedby`, skipping empty ones; `None` when nothing is left.
pub(crate) fn described_by<'a>(ids: impl IntoIterator<Item = Option<&'a str>>) -> Option<String> {
    let joined = ids.into_iter().flatten().filter(|id| !id.is_empty()).collect::<Vec<_>>().join(" ");
    (!joined.is_empty()).then_some(joined)
}

/// A GOV.UK link to `href` saying `text`, as trusted markup for a table cell or summary list value.
pub fn link(href: &str, text: &str) -> String {
    format!("<a class=\"govuk-link\" href=\"{}\">{}</a>", escape(href), escape(text))
}
