//! A whole return to read: every section's answers and tables, its attached files, the warnings
//! confirmed with their reasons and the sign-offs given. The sign-off page shows it to the
//! certifier, the review page to the reviewer; the task list shows where the return is.

use formwork_definition::SectionContent;
use formwork_service::emails::words;
use formwork_service::submissions::{Progress, SubmissionState, SubmissionView};
use serde_json::Value;

use super::check::{answer_text, section_rows};
use super::{day, plain, state_tag};
use crate::components::{
    Cell, Content, NotificationBanner, SummaryCard, SummaryCardTitle, SummaryList, SummaryRow, Table,
    TableCell, Tag, WarningText, link,
};
use crate::routes::when;

/// The most rows of a table shown in full; the section's own page pages through the rest.
const SHOWN_ROWS: usize = 50;

/// One section to read: its answers (a summary card), its rows when it is a table, and the
/// reviewer's comment on it.
pub(crate) struct SectionToRead {
    pub answers: SummaryList,
    pub rows: Option<Table>,
    /// "Showing the first 50 of 120 rows", with a link to the rest.
    pub more: Option<String>,
    pub comment: Option<NotificationBanner>,
}

/// A whole return to read.
pub(crate) struct WholeReturn {
    pub sections: Vec<SectionToRead>,
    /// Files attached, each linking to its download.
    pub files: Option<Table>,
    /// Warnings confirmed, with who said why the answer is right.
    pub confirmed: Option<SummaryList>,
    /// Sign-offs given.
    pub sign_offs: Option<SummaryList>,
}

/// "Signed off by NAME (role) on DATE".
pub(crate) fn signed_by(name: &str, role: &str, at: i64) -> String {
    format!("Signed off by {name} ({}) on {}", words(role), when(at))
}

/// The banner of the reviewer's comment on a section, when it has one.
pub(crate) fn comment_banner(view: &SubmissionView, section: &str) -> Option<NotificationBanner> {
    let comment = view.submission.review_comments.get(section)?;
    let title = view.definition.sections.iter().find(|s| s.id == section).map_or(section, |s| &s.title);
    let html = format!(
        "<p class=\"govuk-notification-banner__heading\">The reviewer asked for changes to {}</p>\
         <p class=\"govuk-body app-pre-wrap\">{}</p><p class=\"govuk-body-s\">{}, {}</p>",
        crate::components::escape(title),
        crate::components::escape(&comment.comment),
        crate::components::escape(&comment.name),
        crate::components::escape(&when(comment.at)),
    );
    Some(NotificationBanner {
        content: Content::html(html),
        title_text: Some("Changes requested".to_owned()),
        title_id: Some(format!("comment-{section}-title")),
        ..NotificationBanner::default()
    })
}

fn row(key: &str, value: Cell) -> SummaryRow {
    SummaryRow { key: Cell::text(key), value, ..SummaryRow::default() }
}

/// Every section that applies, to read.
fn sections(view: &SubmissionView) -> Vec<SectionToRead> {
    let def = &view.definition;
    let id = &view.submission.id;
    view.sections
        .iter()
        .filter(|s| s.status != Progress::NotNeeded)
        .map(|s| {
            let answers = SummaryList {
                rows: section_rows(view, s.index, None),
                card: Some(SummaryCard {
                    title: Some(SummaryCardTitle {
                        content: Content::text(&s.title),
                        ..SummaryCardTitle::default()
                    }),
                    ..SummaryCard::default()
                }),
                ..SummaryList::default()
            };
            let (rows, more) = match def.sections.get(s.index).map(|x| &x.content) {
                Some(SectionContent::Table(t)) => match def.tables.get(*t) {
                    Some(table) => {
                        let all = view.submission.answers.get(&table.id).and_then(Value::as_array);
                        let all = all.map_or(&[][..], Vec::as_slice);
                        let head = table.columns.iter().map(|c| TableCell::text(&c.label)).collect();
                        let rows = all
                            .iter()
                            .take(SHOWN_ROWS)
                            .map(|r| {
                                table
                                    .columns
                                    .iter()
                                    .map(|c| {
                                        let value = r.get(&c.id).filter(|v| !v.is_null());
                                        match value {
                                            Some(v) => TableCell::text(answer_text(def, c, Some(v))),
                                            None => TableCell::text(""),
                                        }
                                    })
                                    .collect()
                            })
                            .collect();
                        let more = (all.len() > SHOWN_ROWS).then(|| {
                            format!(
                                "Showing the first {SHOWN_ROWS} of {} rows. {}",
                                all.len(),
                                link(
                                    &format!("/returns/{id}/sections/{}", s.id),
                                    &format!("See every row of {}", s.title)
                                )
                            )
                        });
                        let table = (!all.is_empty()).then(|| Table {
                            rows,
                            classes: Some("govuk-table--small-text-until-tablet".to_owned()),
                            ..Table::with_hidden_caption(&format!("{} rows", s.title), head)
                        });
                        (table, more)
                    }
                    None => (None, None),
                },
                _ => (None, None),
            };
            SectionToRead { answers, rows, more, comment: comment_banner(view, &s.id) }
        })
        .collect()
}

/// The whole return in `view`, to read.
pub(crate) fn whole(view: &SubmissionView) -> WholeReturn {
    let id = &view.submission.id;
    let def = &view.definition;
    let files = (!view.attachments.is_empty()).then(|| {
        let head = ["Question", "File", "Attached"].map(TableCell::text).to_vec();
        let rows = view
            .attachments
            .iter()
            .map(|a| {
                let question = def.question(&a.question).map_or(a.question.as_str(), |q| q.label.as_str());
                vec![
                    TableCell::text(question),
                    TableCell::html(link(&format!("/returns/{id}/attachments/{}", a.id), &a.file_name)),
                    TableCell::text(when(a.uploaded_at)),
                ]
            })
            .collect();
        Table { rows, ..Table::with_hidden_caption("Files attached", head) }
    });
    let confirmed: Vec<SummaryRow> = view
        .warnings
        .iter()
        .filter_map(|w| {
            let c = w.confirmation.as_ref()?;
            let text = format!("Confirmed on {}: {}", when(c.at), c.reason);
            Some(row(&w.item.message, Cell::text(text)))
        })
        .collect();
    let sign_offs: Vec<SummaryRow> = view
        .submission
        .sign_offs
        .iter()
        .map(|s| {
            let html = format!(
                "{}<br><span class=\"govuk-body-s\">“{}”</span>",
                crate::components::escape(&signed_by(&s.name, &s.role, s.at)),
                crate::components::escape(&s.declaration)
            );
            row(&format!("Step {}", s.step + 1), Cell::html(html))
        })
        .collect();
    WholeReturn {
        sections: sections(view),
        files,
        confirmed: (!confirmed.is_empty()).then(|| SummaryList { rows: confirmed, ..SummaryList::default() }),
        sign_offs: (!sign_offs.is_empty()).then(|| SummaryList { rows: sign_offs, ..SummaryList::default() }),
    }
}

/// Where the return is: its state, reference, due date, each sign-off step and what comes next.
pub(crate) fn whereabouts(view: &SubmissionView, overdue: bool, next: Option<String>) -> SummaryList {
    let s = &view.submission;
    let mut status = state_tag(s.state).to_html();
    if overdue {
        status.push(' ');
        status.push_str(&Tag::new("Overdue", Some("govuk-tag--red")).to_html());
    }
    let mut rows = vec![row("Status", Cell::html(status))];
    if let Some(reference) = &s.reference {
        rows.push(row("Reference", Cell::text(reference)));
    }
    rows.push(row("Due", Cell::text(day(view.period.due))));
    if let Some(at) = s.submitted_at {
        rows.push(row("Submitted", Cell::text(when(at))));
    }
    for (n, step) in view.definition.sign_off.iter().enumerate() {
        let done = s.sign_offs.iter().find(|x| x.step == n);
        let text = match done {
            Some(x) => signed_by(&x.name, &x.role, x.at),
            None => format!("Not signed off yet: someone with the {} role signs this step", words(&step.by)),
        };
        rows.push(row(&format!("Sign-off step {}", n + 1), Cell::text(text)));
    }
    if let Some(next) = next {
        rows.push(row("Next step", Cell::text(next)));
    }
    SummaryList { rows, ..SummaryList::default() }
}

/// What happens next to a return in `state`, in words for the organisation.
pub(crate) fn next_step(view: &SubmissionView) -> Option<String> {
    let s = &view.submission;
    let steps = &view.definition.sign_off;
    Some(match s.state {
        SubmissionState::NotStarted | SubmissionState::InProgress => {
            "Complete every section and confirm every warning".to_owned()
        }
        SubmissionState::ChangesRequested => {
            "Make the changes the reviewer asked for, then sign it off and submit it again".to_owned()
        }
        SubmissionState::ReadyForSignOff | SubmissionState::AwaitingSignOff => {
            match steps.get(s.sign_offs.len()) {
                Some(step) => format!(
                    "Step {} of {}: someone with the {} role signs it off",
                    s.sign_offs.len() + 1,
                    steps.len(),
                    words(&step.by)
                ),
                None => "Submit it".to_owned(),
            }
        }
        SubmissionState::Submitted => "A reviewer checks it, then accepts it or asks for changes".to_owned(),
        SubmissionState::Accepted => return None,
    })
}

/// A value of a dropped answer, in words.
pub(crate) fn dropped_value(value: &Value) -> String {
    if value.is_null() { "No answer".to_owned() } else { plain(value) }
}

/// What a section's page says before its form: the reviewer's comment on it, and who would have
/// to sign again after a change.
pub(crate) struct SectionNotes {
    pub comment: Option<NotificationBanner>,
    pub signed: Option<WarningText>,
}

/// The notes of `section`; the sign-off warning only for a person who may change it.
pub(crate) fn section_notes(view: &SubmissionView, section: &str, editable: bool) -> SectionNotes {
    let names: Vec<&str> = view.submission.sign_offs.iter().map(|s| s.name.as_str()).collect();
    let signed = (editable && !names.is_empty()).then(|| {
        let who = match names.as_slice() {
            [one] => (*one).to_owned(),
            [rest @ .., last] => format!("{} and {last}", rest.join(", ")),
            [] => String::new(),
        };
        WarningText {
            content: Content::text(format!(
                "{who} signed off this return. If you change any answer, every sign-off is cleared and they will need to sign again."
            )),
            icon_fallback_text: Some("Warning".to_owned()),
            ..WarningText::default()
        }
    });
    SectionNotes { comment: comment_banner(view, section), signed }
}
