//! "Upload a spreadsheet for this section": the rows of one table of a return from a file — the
//! table's CSV template, the whole return's XLSX template (its sheet for the table), or a plain
//! workbook or CSV file with the table's headers — checked at once, within the request, by
//! `formwork-tabular`'s readers.
//!
//! A clean file replaces the table's rows through [`submissions::edit`] (one change in the
//! history). A file with errors changes nothing: the cell-level report comes back, and the file
//! marked up with its problems is kept to download.

use std::io::Cursor;

use bytes::Bytes;
use formwork_definition::validate::{Code, Context, Item};
use formwork_definition::{Definition, SectionContent};
use formwork_files::{Files, FilesError};
use formwork_tabular::report::{self, Source};
use formwork_tabular::{CheckedAnswers, FileReport, Limits, Options, ReadAs};
use serde::Serialize;
use serde_json::Value;

use crate::policy::{Action, check};
use crate::submissions::{self, Edit, MAX_TABLE_ROWS_IN_REQUEST, SubmissionView, today};
use crate::{Actor, App, Problem, Result, ServiceError};

/// Items kept in a report (all are counted).
const MAX_ITEMS: usize = 1000;

/// A file of rows for one table of a return.
#[derive(Clone, Debug)]
pub struct TableUpload {
    /// The table (its section's id).
    pub table: String,
    /// The file's name as sent.
    pub file_name: String,
    /// Its bytes.
    pub bytes: Bytes,
}

/// What checking an uploaded table found, and what it did.
#[derive(Clone, Debug, Serialize)]
pub struct TableUploadOutcome {
    /// The table.
    pub table: String,
    /// True when the file had no errors and its rows replaced the table's.
    pub clean: bool,
    /// Rows read from the file.
    pub rows: usize,
    /// Rows the table had before a clean upload replaced them (0 when nothing was replaced).
    pub rows_replaced: usize,
    /// Errors found (all, though at most [`MAX_ITEMS`] are listed).
    pub error_count: usize,
    /// Warnings found.
    pub warning_count: usize,
    /// The cell-level items (DESIGN §4, with row, column, cell and sheet), errors first.
    pub items: Vec<Item>,
    /// The file marked up with its problems, to download with [`annotated`]: its id.
    pub annotated: Option<String>,
    /// The return after a clean upload.
    #[serde(skip)]
    pub view: Option<SubmissionView>,
}

fn template_problem(message: impl Into<String>) -> ServiceError {
    ServiceError::Invalid(vec![Problem::new("file", Code::Template.as_str(), message)])
}

fn file_problem(message: impl Into<String>) -> ServiceError {
    ServiceError::Invalid(vec![Problem::new("file", Code::File.as_str(), message)])
}

/// What the file is, by its content.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Kind {
    Csv,
    Xlsx,
}

pub(crate) fn kind_of(file_name: &str, bytes: &[u8]) -> Result<Kind> {
    let extension = file_name.rsplit_once('.').map(|(_, e)| e.to_lowercase()).unwrap_or_default();
    if !matches!(extension.as_str(), "" | "csv" | "xlsx" | "txt") {
        return Err(file_problem(format!(
            "The selected file must be a CSV or XLSX file, not .{extension}: download the template for this section"
        )));
    }
    if bytes.is_empty() {
        return Err(file_problem("The selected file is empty"));
    }
    if bytes.starts_with(b"PK\x03\x04") {
        return if extension == "csv" || extension == "txt" {
            Err(file_problem("The selected file is named .csv but it is a workbook: save it as XLSX"))
        } else {
            Ok(Kind::Xlsx)
        };
    }
    if extension == "xlsx" {
        return Err(file_problem(
            "The selected file is not a real XLSX file: its name says .xlsx but its content does not match",
        ));
    }
    let head = &bytes[..bytes.len().min(4096)];
    let text = match std::str::from_utf8(head) {
        Ok(_) => true,
        Err(e) => e.error_len().is_none(),
    };
    if text && !head.contains(&0) {
        Ok(Kind::Csv)
    } else {
        Err(file_problem("The selected file must be a CSV or XLSX file"))
    }
}

/// The table a table id (or its section's id) names; a section of questions is refused.
pub(crate) fn table_of<'a>(def: &'a Definition, id: &str) -> Result<&'a formwork_definition::Table> {
    if let Some(table) = def.table(id) {
        return Ok(table);
    }
    match def.sections.iter().find(|s| s.id == id) {
        Some(section) => match section.content {
            SectionContent::Table(t) => def
                .tables
                .get(t)
                .ok_or_else(|| ServiceError::internal(format!("section {id} has no table {t}"))),
            SectionContent::Questions(_) => Err(template_problem(format!(
                "{} is not a table: only table sections can be uploaded from a spreadsheet",
                section.title
            ))),
        },
        None => Err(ServiceError::NotFound(format!("This return has no table “{id}”"))),
    }
}

/// What the readers made of the file: the report, and the rows in order when it could be read.
struct Read {
    report: FileReport,
    rows: Vec<Value>,
}

fn read_file(def: &Definition, table: &str, kind: Kind, bytes: &[u8], ctx: &Context) -> Result<Read> {
    let limits = Limits { max_rows: MAX_TABLE_ROWS_IN_REQUEST, ..Limits::default() };
    let options = Options { table: Some(table.to_string()), max_items: MAX_ITEMS, threads: 1 };
    let mut checked: Vec<CheckedAnswers> = Vec::new();
    let mut sink = |answers: CheckedAnswers| checked.push(answers);
    let report = match kind {
        Kind::Csv => formwork_tabular::validate_csv_into(def, bytes, ctx, &limits, &options, &mut sink),
        Kind::Xlsx => {
            formwork_tabular::validate_xlsx_into(def, Cursor::new(bytes), ctx, &limits, &options, &mut sink)
        }
    }
    .map_err(|e| ServiceError::internal(format!("reading an uploaded table failed: {e}")))?;
    let rows = match &report.read_as {
        Some(ReadAs::Table { table: read, .. }) if read == table => {
            checked.into_iter().map(|c| Value::Object(c.answers)).collect()
        }
        // The whole return's template: only this table's sheet counts.
        Some(ReadAs::Submission) => checked
            .into_iter()
            .next()
            .and_then(|c| c.answers.get(table).and_then(Value::as_array).cloned())
            .unwrap_or_default(),
        Some(_) => {
            return Err(template_problem(format!(
                "The file is not a template for this table: download the template for {}",
                def.sections[def.table(table).map_or(0, |t| t.section)].title
            )));
        }
        None => Vec::new(),
    };
    Ok(Read { report, rows })
}

/// Only the items about `table` (and the file as a whole): a whole-return template also reports
/// the other sheets and the return's own rules, which the table upload does not touch.
pub(crate) fn about_table(
    def: &Definition,
    table: &formwork_definition::Table,
    report: &FileReport,
) -> Vec<Item> {
    let section = &def.sections[table.section].id;
    let return_rules: Vec<&str> = def.rules.iter().filter_map(|r| r.id.as_deref()).collect();
    report
        .errors
        .iter()
        .chain(&report.warnings)
        .filter(|i| {
            let ours = i.path.is_empty() && i.section.is_none()
                || i.section.as_deref() == Some(section)
                || i.path == table.id
                || i.path.starts_with(&format!("{}/", table.id));
            ours && !i.rule.as_deref().is_some_and(|r| return_rules.contains(&r))
        })
        .cloned()
        .collect()
}

/// Check a file of rows for one table of a return and, when it has no errors, replace the table's
/// rows with them (from revision `expected`, or whatever the revision is now). A file with errors
/// changes nothing: its report is returned, with the file marked up to download.
pub async fn check_table_upload(
    app: &App,
    files: &Files,
    actor: &Actor,
    id: &str,
    expected: Option<i64>,
    upload: TableUpload,
) -> Result<TableUploadOutcome> {
    let view = submissions::get(app, actor, id).await?;
    let def = view.definition.clone();
    let table = table_of(&def, &upload.table)?;
    let section = &def.sections[table.section];
    check(actor, Action::EditSection(&view.submission.organisation_id, &section.editors))?;
    if !view.submission.state.is_editable() {
        return Err(ServiceError::Conflict(format!(
            "This return is {}: it cannot be changed",
            view.submission.state.label().to_lowercase()
        )));
    }
    let kind = kind_of(&upload.file_name, &upload.bytes)?;
    let ctx = Context { today: today(app), period: Some(view.period.dates()) };
    let table_id = table.id.clone();
    let read = {
        let (def, table_id, bytes) = (def.clone(), table_id.clone(), upload.bytes.clone());
        tokio::task::spawn_blocking(move || read_file(&def, &table_id, kind, &bytes, &ctx))
            .await
            .map_err(ServiceError::internal)??
    };
    let items = about_table(&def, table, &read.report);
    let errors = items.iter().filter(|i| i.is_error()).count();
    let warnings = items.len() - errors;
    let rows = read.rows.len();
    // A report that kept only some of its errors may have dropped this table's: clean only when
    // every error found was kept, none is this table's, and the rows were there to read.
    let truncated = read.report.errors.len() < read.report.error_count;
    let sheet_missing =
        matches!(read.report.read_as, Some(ReadAs::Submission)) && read.rows.is_empty() && errors == 0;
    if sheet_missing {
        return Err(template_problem(format!(
            "The workbook has no rows for {}: fill in its sheet, or upload the section's own template",
            section.title
        )));
    }
    if errors == 0 && !truncated && read.report.read_as.is_some() {
        let before = view.submission.answers.get(&table_id).and_then(Value::as_array).map_or(0, Vec::len);
        let edit =
            Edit::ReplaceTable { table: table_id.clone(), rows: read.rows, file_name: upload.file_name };
        let edited =
            submissions::edit(app, actor, id, expected.unwrap_or(view.submission.revision), edit).await?;
        tracing::info!(submission.id = id, upload.rows = rows, table = %table_id, "a table was replaced from an uploaded file");
        return Ok(TableUploadOutcome {
            table: table_id,
            clean: true,
            rows,
            rows_replaced: before,
            error_count: 0,
            warning_count: warnings,
            items,
            annotated: None,
            view: Some(edited.view),
        });
    }
    let annotated = annotate(files, id, kind, &upload.file_name, upload.bytes, read.report).await;
    Ok(TableUploadOutcome {
        table: table_id,
        clean: false,
        rows,
        rows_replaced: 0,
        error_count: errors.max(1),
        warning_count: warnings,
        items,
        annotated,
        view: None,
    })
}

fn annotated_key(submission: &str, report: &str) -> String {
    format!("table-uploads/{submission}/{report}.xlsx")
}

/// Write the file back with its problems marked and keep it; `None` when that fails (the report
/// on the page is what matters, so the failure is logged, not shown).
async fn annotate(
    files: &Files,
    submission: &str,
    kind: Kind,
    file_name: &str,
    bytes: Bytes,
    report: FileReport,
) -> Option<String> {
    let name = file_name.to_string();
    let written = tokio::task::spawn_blocking(move || {
        let limits = Limits { max_rows: MAX_TABLE_ROWS_IN_REQUEST, ..Limits::default() };
        let input = Cursor::new(bytes.as_ref());
        let source = match kind {
            Kind::Csv => Source::Csv(input),
            Kind::Xlsx => Source::Xlsx(input),
        };
        let mut out = Cursor::new(Vec::new());
        report::write(source, &report, &name, &limits, &mut out).map(|()| out.into_inner())
    })
    .await;
    let bytes = match written {
        Ok(Ok(bytes)) => bytes,
        Ok(Err(e)) => {
            tracing::warn!(error = %e, submission.id = submission, "an upload's annotated workbook could not be written");
            return None;
        }
        Err(e) => {
            tracing::warn!(error = %e, submission.id = submission, "writing an annotated workbook stopped");
            return None;
        }
    };
    let report_id = formwork_store::new_id();
    match files.put(&annotated_key(submission, &report_id), bytes).await {
        Ok(()) => Some(report_id),
        Err(e) => {
            tracing::warn!(error = %e, submission.id = submission, "an annotated workbook could not be stored");
            None
        }
    }
}

/// The annotated workbook of an upload with errors, for people who may see the return.
pub async fn annotated(
    app: &App,
    files: &Files,
    actor: &Actor,
    id: &str,
    report_id: &str,
) -> Result<Vec<u8>> {
    submissions::get(app, actor, id).await?;
    let missing = || ServiceError::NotFound("There is no such report: upload the file again".into());
    if report_id.is_empty() || !report_id.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_') {
        return Err(missing());
    }
    files.get(&annotated_key(id, report_id)).await.map_err(|e| match e {
        FilesError::NotFound(_) => missing(),
        other => ServiceError::Unavailable(Box::new(other)),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_file_is_a_table_by_its_content_not_its_name() {
        assert_eq!(kind_of("spend.csv", b"Project ID,Quarter\n").ok(), Some(Kind::Csv));
        assert_eq!(kind_of("spend.xlsx", b"PK\x03\x04rest").ok(), Some(Kind::Xlsx));
        assert!(kind_of("spend.xlsx", b"Project ID,Quarter\n").is_err());
        assert!(kind_of("spend.csv", b"PK\x03\x04rest").is_err());
        assert!(kind_of("spend.pdf", b"%PDF-1.4").is_err());
        assert!(kind_of("spend.csv", b"").is_err());
        assert!(kind_of("spend.csv", &[0, 159, 146, 150]).is_err());
    }
}
