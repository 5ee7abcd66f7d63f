//! The sheets of formwork's workbook for a collection. The template writer and the reader both
//! take their sheet names from here, and the workbook records them in a hidden sheet, so an upload
//! is recognised and read the way its template was written.

use formwork_definition::{Definition, Kind, SectionContent};

/// What a CSV file or a sheet holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Target {
    /// Records of a log, one per row.
    Records,
    /// Rows of one table of a return (by table index).
    Table(usize),
}

/// What a sheet of the template holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Content {
    /// How to fill the workbook in.
    Instructions,
    /// A return's single questions: one row each, with an answer cell.
    Questions,
    /// A log's records, or a return's table.
    Rows(Target),
}

/// A sheet of the template.
#[derive(Clone, Debug)]
pub(crate) struct Sheet {
    pub name: String,
    pub content: Content,
}

/// The hidden sheet that identifies the workbook.
pub(crate) const META_SHEET: &str = "formwork";
/// The hidden sheet holding long choice lists for dropdowns.
pub(crate) const LISTS_SHEET: &str = "lists";
/// Columns of the questions sheet.
pub(crate) const QUESTION_HEADERS: [&str; 5] = ["Id", "Section", "Question", "Answer", "Format and hint"];
/// The column of the answers on the questions sheet.
pub(crate) const ANSWER_COLUMN: u16 = 3;

/// A valid sheet name: at most 31 characters, none of `[]:*?/\`, not starting or ending with `'`.
fn sheet_name(title: &str) -> String {
    let cleaned: String = title.chars().map(|c| if "[]:*?/\\".contains(c) { '-' } else { c }).collect();
    let cleaned = cleaned.trim().trim_matches('\'').to_string();
    let cut: String = cleaned.chars().take(31).collect();
    if cut.trim().is_empty() { "Sheet".to_string() } else { cut.trim_end().to_string() }
}

/// The sheets of the template, in order.
pub(crate) fn sheets(def: &Definition) -> Vec<Sheet> {
    let mut sheets = vec![Sheet { name: "Instructions".into(), content: Content::Instructions }];
    let mut taken: Vec<String> =
        vec!["instructions".into(), META_SHEET.into(), LISTS_SHEET.into(), "history".into(), "errors".into()];
    let mut add = |sheets: &mut Vec<Sheet>, title: &str, content: Content| {
        let base = sheet_name(title);
        let mut name = base.clone();
        let mut n = 2;
        while taken.contains(&name.to_lowercase()) {
            let suffix = format!(" ({n})");
            name = format!("{}{suffix}", base.chars().take(31 - suffix.len()).collect::<String>().trim_end());
            n += 1;
        }
        taken.push(name.to_lowercase());
        sheets.push(Sheet { name, content });
    };
    match def.kind {
        Kind::Log => add(&mut sheets, "Records", Content::Rows(Target::Records)),
        Kind::Return => {
            if def.sections.iter().any(|s| matches!(s.content, SectionContent::Questions(_))) {
                add(&mut sheets, "Questions", Content::Questions);
            }
            for section in &def.sections {
                if let SectionContent::Table(t) = section.content {
                    add(&mut sheets, &section.title, Content::Rows(Target::Table(t)));
                }
            }
        }
    }
    sheets
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sheet_names_are_valid_and_unique() {
        assert_eq!(sheet_name("Spend: Q1/Q2 [draft]"), "Spend- Q1-Q2 -draft-");
        assert_eq!(
            sheet_name("A very long section title that goes on and on"),
            "A very long section title that"
        );
        assert_eq!(sheet_name("'quoted'"), "quoted");
    }
}
