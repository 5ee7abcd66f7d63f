//! Templates made from a definition: an XLSX workbook people fill in, and a CSV header row.
//!
//! The workbook has an instructions sheet; for a return, a sheet of its single questions (an id, the
//! question and an answer cell each) and one sheet per table; for a log, one sheet of records.
//! Answer cells carry data validation (dropdowns for choices and yes/no, number and date rules,
//! an input message with the hint and format), headers are frozen, columns sized, required columns
//! marked with `*`. A hidden sheet and two defined names say which collection and version the
//! workbook is for, so an upload is recognised.
//!
//! The same writer fills the workbook with answers ([`Fill`]), for tests and, later, exports.

use formwork_definition::dictionary::describe_text;
use formwork_definition::model::{Question, QuestionType};
use formwork_definition::value::format_date;
use formwork_definition::{Definition, Kind, SectionContent, Value};
use rust_decimal::prelude::ToPrimitive;
use rust_xlsxwriter::{
    Color, DataValidation, DataValidationErrorStyle, DataValidationRule, ExcelDateTime, Format, FormatAlign,
    FormatBorder, Formula, Workbook, Worksheet,
};

use crate::TabularError;
use crate::columns::column_letters;
use crate::layout::{ANSWER_COLUMN, Content, LISTS_SHEET, META_SHEET, QUESTION_HEADERS, Target, sheets};

/// Answers to write into the workbook.
pub enum Fill<'a> {
    /// Records of a log: each a list of values by slot.
    Records(&'a [Vec<Value>]),
    /// One submission of a return: values by slot (tables as lists of rows).
    Submission(&'a [Value]),
}

/// The largest row an XLSX sheet has (0-based).
const LAST_ROW: u32 = 1_048_575;

struct Formats {
    header: Format,
    required_header: Format,
    id: Format,
    text: Format,
    date: Format,
    money: Format,
    integer: Format,
    wrap: Format,
    title: Format,
    heading: Format,
}

fn formats() -> Formats {
    let header = Format::new()
        .set_bold()
        .set_text_wrap()
        .set_align(FormatAlign::Top)
        .set_background_color(Color::RGB(0xF3F2F1))
        .set_border_bottom(FormatBorder::Medium);
    Formats {
        required_header: header.clone().set_background_color(Color::RGB(0xDDE8F3)),
        header,
        id: Format::new().set_font_color(Color::RGB(0x505A5F)).set_num_format("@"),
        text: Format::new().set_num_format("@"),
        date: Format::new().set_num_format("dd/mm/yyyy"),
        money: Format::new().set_num_format("#,##0.00"),
        integer: Format::new().set_num_format("0"),
        wrap: Format::new().set_text_wrap().set_align(FormatAlign::Top),
        title: Format::new().set_bold().set_font_size(18),
        heading: Format::new().set_bold().set_font_size(13),
    }
}

fn cell_format<'f>(f: &'f Formats, q: &Question) -> Option<&'f Format> {
    match q.ty {
        QuestionType::Date => Some(&f.date),
        QuestionType::Money => Some(&f.money),
        QuestionType::Integer => Some(&f.integer),
        t if t.is_number() => None,
        QuestionType::YesNo => None,
        _ => Some(&f.text),
    }
}

/// What a template column or answer cell holds (not files, not calculated values).
fn uploadable(q: &Question) -> bool {
    q.is_input() && q.ty != QuestionType::File
}

fn header_text(q: &Question) -> String {
    if q.required { format!("{} *", q.label) } else { q.label.clone() }
}

fn truncate(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        return text.to_string();
    }
    let cut: String = text.chars().take(max.saturating_sub(1)).collect();
    format!("{}…", cut.trim_end())
}

/// Choice lists too long to write inline in a validation (Excel allows 255 characters) go on the
/// hidden lists sheet, one per column.
struct Lists {
    columns: Vec<(usize, Vec<String>)>,
}

impl Lists {
    fn formula(&mut self, list_index: usize, labels: &[String]) -> Formula {
        let column = match self.columns.iter().position(|(i, _)| *i == list_index) {
            Some(c) => c,
            None => {
                self.columns.push((list_index, labels.to_vec()));
                self.columns.len() - 1
            }
        };
        let letters = column_letters(column);
        Formula::new(format!("={LISTS_SHEET}!${letters}$1:${letters}${}", labels.len().max(1)))
    }
}

/// The data validation for a question's cells, if its type has one.
fn validation(
    def: &Definition,
    q: &Question,
    lists: &mut Lists,
) -> Result<Option<DataValidation>, TabularError> {
    use formwork_definition::model::Bound;
    let number = |b: &Option<Bound>| match b {
        Some(Bound::Number(n)) => n.to_f64(),
        _ => None,
    };
    let whole = |b: &Option<Bound>| match b {
        Some(Bound::Number(n)) => n.to_i32(),
        _ => None,
    };
    let o = &q.options;
    let dv = match q.ty {
        QuestionType::Choice => {
            let Some(list) = def.choices_of(q) else { return Ok(None) };
            let labels: Vec<String> = list.choices.iter().map(|c| c.label.clone()).collect();
            let inline: usize = labels.iter().map(|l| l.chars().count() + 1).sum();
            let fits_inline = inline <= 255 && labels.iter().all(|l| !l.contains(',') && !l.contains('"'));
            if fits_inline {
                DataValidation::new().allow_list_strings(&labels)?
            } else {
                let index = o.choices.unwrap_or(0);
                DataValidation::new().allow_list_formula(lists.formula(index, &labels))
            }
        }
        QuestionType::YesNo => DataValidation::new().allow_list_strings(&["Yes", "No"])?,
        QuestionType::Integer => match (whole(&o.min), whole(&o.max)) {
            (Some(a), Some(b)) => DataValidation::new().allow_whole_number(DataValidationRule::Between(a, b)),
            (Some(a), None) => {
                DataValidation::new().allow_whole_number(DataValidationRule::GreaterThanOrEqualTo(a))
            }
            (None, Some(b)) => {
                DataValidation::new().allow_whole_number(DataValidationRule::LessThanOrEqualTo(b))
            }
            (None, None) => {
                DataValidation::new().allow_whole_number(DataValidationRule::Between(i32::MIN, i32::MAX))
            }
        },
        t if t.is_number() => match (number(&o.min), number(&o.max)) {
            (Some(a), Some(b)) => {
                DataValidation::new().allow_decimal_number(DataValidationRule::Between(a, b))
            }
            (Some(a), None) => {
                DataValidation::new().allow_decimal_number(DataValidationRule::GreaterThanOrEqualTo(a))
            }
            (None, Some(b)) => {
                DataValidation::new().allow_decimal_number(DataValidationRule::LessThanOrEqualTo(b))
            }
            (None, None) => DataValidation::new().allow_any_value(),
        },
        QuestionType::Date => {
            let date = |b: &Option<Bound>| match b {
                Some(Bound::Date(d)) => ExcelDateTime::from_ymd(
                    u16::try_from(chrono::Datelike::year(d)).ok()?,
                    chrono::Datelike::month(d) as u8,
                    chrono::Datelike::day(d) as u8,
                )
                .ok(),
                _ => None,
            };
            let (first, last) =
                (ExcelDateTime::from_ymd(1900, 1, 1)?, ExcelDateTime::from_ymd(9999, 12, 31)?);
            DataValidation::new().allow_date(DataValidationRule::Between(
                date(&o.min).unwrap_or(first),
                date(&o.max).unwrap_or(last),
            ))
        }
        QuestionType::Text | QuestionType::LongText if o.max_length.is_some() => DataValidation::new()
            .allow_text_length(DataValidationRule::LessThanOrEqualTo(o.max_length.unwrap_or(u32::MAX))),
        _ => DataValidation::new().allow_any_value(),
    };
    let mut message = describe_text(def, q);
    if let Some(h) = &q.hint {
        message = format!("{h}. {message}");
    }
    if let Some(w) = &q.when {
        message.push_str(&format!(". Only when {}", w.source));
    }
    let dv = dv
        .set_input_title(truncate(&q.label, 32))?
        .set_input_message(truncate(&message, 255))?
        .set_error_title(truncate(&q.label, 32))?
        .set_error_message(truncate(&format!("Check this answer: {}", describe_text(def, q)), 255))?
        // A warning, not a stop: values such as a choice's code or a typed date are accepted on
        // upload, and the upload's check is the one that counts.
        .set_error_style(DataValidationErrorStyle::Warning);
    Ok(Some(dv))
}

/// Write a value into a cell the way the template expects it back.
fn write_value(
    sheet: &mut Worksheet,
    def: &Definition,
    q: &Question,
    row: u32,
    col: u16,
    value: &Value,
    f: &Formats,
) -> Result<(), TabularError> {
    let format = cell_format(f, q);
    match value {
        Value::Null => {
            if let Some(format) = format {
                sheet.write_blank(row, col, format)?;
            }
        }
        Value::Number(n) => {
            let x = n.to_f64().unwrap_or(0.0);
            match (q.ty.is_number(), format) {
                (true, Some(format)) => sheet.write_number_with_format(row, col, x, format)?,
                (true, None) => sheet.write_number(row, col, x)?,
                (false, _) => sheet.write_string_with_format(row, col, n.to_string(), &f.text)?,
            };
        }
        Value::Date(d) => {
            sheet.write_datetime_with_format(row, col, d, &f.date)?;
        }
        Value::Bool(b) => {
            sheet.write_string(row, col, if *b { "Yes" } else { "No" })?;
        }
        Value::Text(t) => {
            let shown = match (q.ty, def.choices_of(q).and_then(|l| l.find(t))) {
                (QuestionType::Choice, Some(choice)) => choice.label.clone(),
                _ => t.to_string(),
            };
            sheet.write_string_with_format(row, col, shown, &f.text)?;
        }
        Value::List(items) => {
            let labels: Vec<String> = items
                .iter()
                .map(|v| match (v, def.choices_of(q)) {
                    (Value::Text(t), Some(list)) => {
                        list.find(t).map(|c| c.label.clone()).unwrap_or_else(|| t.to_string())
                    }
                    (other, _) => other.to_string(),
                })
                .collect();
            sheet.write_string_with_format(row, col, labels.join("; "), &f.text)?;
        }
        Value::Row(_) | Value::File(_) => {}
    }
    Ok(())
}

fn column_width(q: &Question) -> f64 {
    let label = q.label.chars().count() as f64;
    let by_type = match q.ty {
        QuestionType::Date => 12.0,
        QuestionType::YesNo => 8.0,
        QuestionType::LongText => 50.0,
        t if t.is_number() => 14.0,
        _ => 20.0,
    };
    (label * 0.6).max(by_type).clamp(8.0, 60.0)
}

/// The sheet of a log's records or of one table: header, formats, validation, rows.
fn rows_sheet(
    sheet: &mut Worksheet,
    def: &Definition,
    questions: &[&Question],
    max_rows: u32,
    rows: &[Vec<(&Question, Value)>],
    f: &Formats,
    lists: &mut Lists,
) -> Result<(), TabularError> {
    sheet.set_freeze_panes(1, 0)?;
    sheet.set_row_height(0, 45)?;
    let last_row = max_rows.min(LAST_ROW);
    for (c, q) in questions.iter().enumerate() {
        let col =
            u16::try_from(c).map_err(|_| TabularError::Unsupported("more than 16,384 columns".into()))?;
        let header_format = if q.required { &f.required_header } else { &f.header };
        sheet.write_string_with_format(0, col, header_text(q), header_format)?;
        sheet.set_column_width(col, column_width(q))?;
        if let Some(format) = cell_format(f, q) {
            sheet.set_column_format(col, format)?;
        }
        if let Some(dv) = validation(def, q, lists)? {
            sheet.add_data_validation(1, col, last_row.max(1), col, &dv)?;
        }
    }
    for (r, row) in rows.iter().enumerate() {
        let row_number =
            u32::try_from(r + 1).map_err(|_| TabularError::Unsupported("too many rows".into()))?;
        for (c, q) in questions.iter().enumerate() {
            if let Some((_, value)) = row.iter().find(|(rq, _)| std::ptr::eq(*rq, *q)) {
                write_value(sheet, def, q, row_number, c as u16, value, f)?;
            }
        }
    }
    Ok(())
}

fn instructions(
    sheet: &mut Worksheet,
    def: &Definition,
    plan: &[crate::layout::Sheet],
    f: &Formats,
) -> Result<(), TabularError> {
    sheet.set_column_width(0, 110)?;
    let mut lines: Vec<(String, Option<&Format>)> = vec![
        (def.title.clone(), Some(&f.title)),
        (format!("Template for the collection “{}”, version {}.", def.collection, def.version), None),
    ];
    if let Some(d) = &def.description {
        lines.push((d.clone(), Some(&f.wrap)));
    }
    lines.push((String::new(), None));
    lines.push(("How to fill it in".into(), Some(&f.heading)));
    for s in plan {
        let text = match s.content {
            Content::Instructions => continue,
            Content::Questions => format!(
                "Sheet “{}”: one question on each row. Write each answer in the Answer column (D). Leave the Id column (A) as it is. Answer a question marked “Only when …” only when that holds.",
                s.name
            ),
            Content::Rows(Target::Records) => {
                format!(
                    "Sheet “{}”: one record on each row, under the headers in row 1. Add as many rows as you need.",
                    s.name
                )
            }
            Content::Rows(Target::Table(t)) => {
                let table = &def.tables[t];
                format!(
                    "Sheet “{}”: the table “{}”, one row each under the headers in row 1 (at least {}, at most {}).",
                    s.name, def.sections[table.section].title, table.min_rows, table.max_rows
                )
            }
        };
        lines.push((text, Some(&f.wrap)));
    }
    lines.push((String::new(), None));
    lines.push(("What the marks mean".into(), Some(&f.heading)));
    for text in [
        "* after a heading or question: an answer is required (when the question is asked).",
        "Blue headings: required columns. Grey headings: optional columns.",
        "A cell with a list: choose from it. You may also type the choice's label or its code.",
        "When you select a cell, a note says what it needs, e.g. “A whole number; from 0 to 12”.",
        "Dates: type them as 27/03/2026 (or 2026-03-27). Yes or no: Yes or No. Money: a number, such as 1234.50; £ and commas are accepted.",
        "Several choices in one cell: separate them with a semicolon (;).",
        "Do not rename the sheets or change the headings: the upload reads them to find your answers.",
    ] {
        lines.push((text.to_string(), Some(&f.wrap)));
    }
    lines.push((String::new(), None));
    lines.push(("Checking your file".into(), Some(&f.heading)));
    lines.push((
        "When you upload this workbook, every answer is checked and each problem is shown with its sheet and cell. You can also check it before uploading with: formwork validate --definition <definition> <this file>".into(),
        Some(&f.wrap),
    ));
    if let Some(p) = def.schedule.period(0) {
        lines.push((
            format!(
                "The first period is {}; returns are due {} after each period ends (the first by {}).",
                p.label,
                def.schedule.due.in_words(),
                format_date(p.due)
            ),
            Some(&f.wrap),
        ));
    }
    for (r, (text, format)) in lines.iter().enumerate() {
        match format {
            Some(format) => sheet.write_string_with_format(r as u32, 0, text, format)?,
            None => sheet.write_string(r as u32, 0, text)?,
        };
    }
    Ok(())
}

fn questions_sheet(
    sheet: &mut Worksheet,
    def: &Definition,
    values: Option<&[Value]>,
    f: &Formats,
    lists: &mut Lists,
) -> Result<(), TabularError> {
    sheet.set_freeze_panes(1, 0)?;
    for (c, h) in QUESTION_HEADERS.iter().enumerate() {
        sheet.write_string_with_format(0, c as u16, *h, &f.header)?;
    }
    for (c, width) in [12.0, 24.0, 60.0, 30.0, 60.0].iter().enumerate() {
        sheet.set_column_width(c as u16, *width)?;
    }
    sheet.set_column_format(0, &f.id)?;
    sheet.set_column_format(4, &f.wrap)?;
    let mut row = 1u32;
    for section in &def.sections {
        let SectionContent::Questions(qs) = &section.content else { continue };
        for q in qs.iter().map(|i| &def.questions[*i]).filter(|q| uploadable(q)) {
            sheet.write_string_with_format(row, 0, &q.id, &f.id)?;
            sheet.write_string_with_format(row, 1, &section.title, &f.wrap)?;
            sheet.write_string_with_format(row, 2, header_text(q), &f.wrap)?;
            let mut about = String::new();
            if let Some(w) = section.when.as_ref().or(q.when.as_ref()) {
                about.push_str(&format!("Only when {}. ", w.source));
            }
            if let Some(h) = &q.hint {
                about.push_str(&format!("{h}. "));
            }
            about.push_str(&describe_text(def, q));
            sheet.write_string_with_format(row, 4, about, &f.wrap)?;
            let value = values.and_then(|v| v.get(q.slot)).cloned().unwrap_or(Value::Null);
            write_value(sheet, def, q, row, ANSWER_COLUMN, &value, f)?;
            if let Some(dv) = validation(def, q, lists)? {
                sheet.add_data_validation(row, ANSWER_COLUMN, row, ANSWER_COLUMN, &dv)?;
            }
            row += 1;
        }
    }
    Ok(())
}

/// The template workbook for `def`, optionally filled with answers.
pub fn xlsx(def: &Definition, fill: Option<Fill<'_>>) -> Result<Vec<u8>, TabularError> {
    let plan = sheets(def);
    let f = formats();
    let mut lists = Lists { columns: Vec::new() };
    let mut workbook = Workbook::new();
    for s in &plan {
        let sheet = workbook.add_worksheet();
        sheet.set_name(&s.name)?;
        match s.content {
            Content::Instructions => {
                instructions(sheet, def, &plan, &f)?;
                sheet.set_active(true);
            }
            Content::Questions => {
                let values = match &fill {
                    Some(Fill::Submission(v)) => Some(*v),
                    _ => None,
                };
                questions_sheet(sheet, def, values, &f, &mut lists)?;
            }
            Content::Rows(Target::Records) => {
                let questions: Vec<&Question> = def.questions.iter().filter(|q| uploadable(q)).collect();
                let rows: Vec<Vec<(&Question, Value)>> = match &fill {
                    Some(Fill::Records(records)) => records
                        .iter()
                        .map(|r| {
                            questions
                                .iter()
                                .map(|q| (*q, r.get(q.slot).cloned().unwrap_or(Value::Null)))
                                .collect()
                        })
                        .collect(),
                    _ => Vec::new(),
                };
                rows_sheet(sheet, def, &questions, LAST_ROW, &rows, &f, &mut lists)?;
            }
            Content::Rows(Target::Table(t)) => {
                let table = &def.tables[t];
                let questions: Vec<&Question> = table.columns.iter().filter(|q| uploadable(q)).collect();
                let rows: Vec<Vec<(&Question, Value)>> = match &fill {
                    Some(Fill::Submission(values)) => match values.get(table.slot) {
                        Some(Value::List(rows)) => rows
                            .iter()
                            .filter_map(|r| match r {
                                Value::Row(cells) => Some(
                                    questions
                                        .iter()
                                        .map(|q| (*q, cells.get(q.slot).cloned().unwrap_or(Value::Null)))
                                        .collect(),
                                ),
                                _ => None,
                            })
                            .collect(),
                        _ => Vec::new(),
                    },
                    _ => Vec::new(),
                };
                rows_sheet(sheet, def, &questions, table.max_rows, &rows, &f, &mut lists)?;
            }
        }
    }
    if !lists.columns.is_empty() {
        let sheet = workbook.add_worksheet();
        sheet.set_name(LISTS_SHEET)?;
        for (c, (_, labels)) in lists.columns.iter().enumerate() {
            for (r, label) in labels.iter().enumerate() {
                sheet.write_string(r as u32, c as u16, label)?;
            }
        }
        sheet.set_hidden(true);
    }
    let meta = workbook.add_worksheet();
    meta.set_name(META_SHEET)?;
    meta.write_string(0, 0, "formwork template")?;
    meta.write_string(0, 1, "1")?;
    meta.write_string(1, 0, "collection")?;
    meta.write_string(1, 1, &def.collection)?;
    meta.write_string(2, 0, "version")?;
    meta.write_string(2, 1, def.version.to_string())?;
    for (i, s) in plan.iter().enumerate() {
        let what = match s.content {
            Content::Instructions => "instructions".to_string(),
            Content::Questions => "questions".to_string(),
            Content::Rows(Target::Records) => "records".to_string(),
            Content::Rows(Target::Table(t)) => format!("table:{}", def.tables[t].id),
        };
        let r = 3 + i as u32;
        meta.write_string(r, 0, "sheet")?;
        meta.write_string(r, 1, &s.name)?;
        meta.write_string(r, 2, what)?;
    }
    meta.set_very_hidden(true);
    workbook.define_name("formwork_collection", &format!("={META_SHEET}!$B$2"))?;
    workbook.define_name("formwork_version", &format!("={META_SHEET}!$B$3"))?;
    Ok(workbook.save_to_buffer()?)
}

/// The CSV template: a header row of question ids, for a log or one table of a return.
pub fn csv(def: &Definition, table: Option<&str>) -> Result<String, TabularError> {
    let questions: Vec<&Question> = match def.kind {
        Kind::Log => def.questions.iter().filter(|q| uploadable(q)).collect(),
        Kind::Return => {
            let chosen = match table {
                Some(id) => def
                    .table(id)
                    .ok_or_else(|| TabularError::Unsupported(format!("{} has no table “{id}”", def.title)))?,
                None if def.tables.len() == 1 => &def.tables[0],
                None => {
                    let ids: Vec<&str> = def.tables.iter().map(|t| t.id.as_str()).collect();
                    return Err(TabularError::Unsupported(if ids.is_empty() {
                        format!(
                            "{} has no table: fill it in with the spreadsheet template or on the web",
                            def.title
                        )
                    } else {
                        format!(
                            "{} has several tables; say which one the CSV is for: {}",
                            def.title,
                            ids.join(", ")
                        )
                    }));
                }
            };
            chosen.columns.iter().filter(|q| uploadable(q)).collect()
        }
    };
    let mut line = questions.iter().map(|q| q.id.as_str()).collect::<Vec<_>>().join(",");
    line.push_str("\r\n");
    Ok(line)
}
