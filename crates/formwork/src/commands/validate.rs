//! `formwork validate`: check files of answers against a definition, offline.
//!
//! `.json` files hold one submission of a return; `.jsonl` files hold records of a log, one per
//! line, read as a stream (a file of any size is checked in bounded memory).

use std::fs::File;
use std::io::{BufRead, BufReader, Read, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context as _, bail};
use chrono::NaiveDate;
use formwork_definition::validate::json::{answers_from_json, record_from_json};
use formwork_definition::validate::summary::summarise;
use formwork_definition::validate::{self, Code, Context, Item, NoFile, RecordBatch};
use formwork_definition::{Definition, Kind};
use formwork_tabular::report::Source;
use formwork_tabular::{FileReport, Limits, Options as TabularOptions};
use serde_json::json;

use crate::Format;

/// The largest `.json` submission read (a submission is read whole; records stream).
const MAX_SUBMISSION_BYTES: u64 = 256 * 1024 * 1024;

/// Arguments of `formwork validate`.
#[derive(clap::Args, Debug)]
pub struct Args {
    /// The collection's definition.
    #[arg(long, short)]
    pub definition: PathBuf,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Human)]
    pub format: Format,
    /// The period the answers are for (its start date, YYYY-MM-DD), for rules that use
    /// `period.start`, `period.end` or `period.due`.
    #[arg(long)]
    pub period: Option<String>,
    /// The date to use as today (YYYY-MM-DD), for rules that use `today()`; default: today.
    #[arg(long)]
    pub today: Option<String>,
    /// Keep at most this many errors and as many warnings in the output (all are counted).
    #[arg(long, default_value_t = 100_000)]
    pub max_items: usize,
    /// For a return: which table a CSV file or a plain workbook holds (found from its headers
    /// when not given).
    #[arg(long)]
    pub table: Option<String>,
    /// Write the file back as a workbook with its problem cells marked, each with a note, and an
    /// "Errors" sheet (CSV and XLSX files; with one file only).
    #[arg(long)]
    pub report: Option<PathBuf>,
    /// The largest CSV or XLSX file accepted, in bytes.
    #[arg(long, env = "MAX_UPLOAD_BYTES", default_value_t = Limits::default().max_bytes)]
    pub max_bytes: u64,
    /// How many threads check the records of a CSV file (default: one per core). The result is
    /// the same whatever the number.
    #[arg(long)]
    pub threads: Option<usize>,
    /// The most data rows a CSV or XLSX file may have.
    #[arg(long, default_value_t = Limits::default().max_rows)]
    pub max_rows: usize,
    /// Files to validate.
    #[arg(required = true)]
    pub files: Vec<PathBuf>,
}

/// The result for one file.
struct FileResult {
    name: String,
    records: usize,
    errors: Vec<Item>,
    warnings: Vec<Item>,
    error_count: usize,
    warning_count: usize,
}

/// Validate every file and print the results.
pub fn run(o: &Args) -> anyhow::Result<ExitCode> {
    let def = super::load_definition(&o.definition)?;
    let today = match &o.today {
        Some(t) => NaiveDate::parse_from_str(t, "%Y-%m-%d")
            .with_context(|| format!("--today {t} is not a date written YYYY-MM-DD"))?,
        None => today(),
    };
    let period = match &o.period {
        Some(key) => Some(period(&def, key)?),
        None => None,
    };
    let ctx = Context { today, period: period.map(|p| p.dates()) };
    let limits = Limits { max_bytes: o.max_bytes, max_rows: o.max_rows, ..Limits::default() };
    anyhow::ensure!(
        o.report.is_none() || o.files.len() == 1,
        "--report writes the report of one file: give one file"
    );
    let mut results = Vec::new();
    for path in &o.files {
        let extension = path.extension().and_then(|e| e.to_str()).unwrap_or("").to_ascii_lowercase();
        let result = match extension.as_str() {
            "json" => submission(&def, path, ctx, o.max_items)?,
            "jsonl" | "ndjson" => records(&def, path, ctx, o.max_items)?,
            "csv" | "xlsx" => tabular(&def, path, &extension, ctx, &limits, o)?,
            other => bail!(
                "{}: formwork validates .json (a submission) and .jsonl (records) files, not .{other} files",
                path.display()
            ),
        };
        results.push(result);
    }
    let valid = results.iter().all(|r| r.error_count == 0);
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    match o.format {
        Format::Json => print_json(&mut out, &results, valid)?,
        Format::Human => print_human(&mut out, &results)?,
    }
    out.flush()?;
    Ok(if valid { ExitCode::SUCCESS } else { ExitCode::from(1) })
}

/// Today in UTC, from the system clock.
fn today() -> NaiveDate {
    let days = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() / 86_400)
        .unwrap_or(0);
    NaiveDate::from_ymd_opt(1970, 1, 1)
        .and_then(|epoch| epoch.checked_add_days(chrono::Days::new(days)))
        .unwrap_or_default()
}

fn period(def: &Definition, key: &str) -> anyhow::Result<formwork_definition::schedule::Period> {
    def.schedule.period_by_key(key).with_context(|| {
        let examples: Vec<String> = (0..3).filter_map(|n| def.schedule.period(n)).map(|p| p.key).collect();
        format!(
            "no period of {} starts on {key}; periods start on {}, …",
            def.collection,
            examples.join(", ")
        )
    })
}

fn file_item(message: impl Into<String>) -> Item {
    Item::error(Code::File, "", message)
}

fn submission(
    def: &Definition,
    path: &Path,
    mut ctx: Context,
    max_items: usize,
) -> anyhow::Result<FileResult> {
    let name = path.display().to_string();
    let file = File::open(path).with_context(|| format!("cannot open {name}"))?;
    let mut bytes = Vec::new();
    file.take(MAX_SUBMISSION_BYTES + 1)
        .read_to_end(&mut bytes)
        .with_context(|| format!("cannot read {name}"))?;
    let mut result = FileResult {
        name,
        records: 0,
        errors: Vec::new(),
        warnings: Vec::new(),
        error_count: 0,
        warning_count: 0,
    };
    let fail = |result: &mut FileResult, item: Item| {
        result.errors.push(item);
        result.error_count += 1;
    };
    if bytes.len() as u64 > MAX_SUBMISSION_BYTES {
        fail(
            &mut result,
            file_item(format!(
                "The file is larger than {} MB; a submission must be smaller",
                MAX_SUBMISSION_BYTES >> 20
            )),
        );
        return Ok(result);
    }
    let value: serde_json::Value = match serde_json::from_slice(&bytes) {
        Ok(v) => v,
        Err(e) => {
            let mut item = file_item(format!("The file is not valid JSON: {e}"));
            item.row = Some(e.line() as u64);
            fail(&mut result, item);
            return Ok(result);
        }
    };
    let Some(object) = value.as_object() else {
        fail(
            &mut result,
            file_item("The file must hold one JSON object: {\"collection\", \"version\", \"answers\"}"),
        );
        return Ok(result);
    };
    if def.kind == Kind::Log {
        fail(
            &mut result,
            Item::error(
                Code::Template,
                "",
                format!(
                    "{} is a log: its records go one per line in a .jsonl file, not in one .json submission",
                    def.title
                ),
            ),
        );
        return Ok(result);
    }
    let collection = object.get("collection").and_then(|c| c.as_str());
    let version = object.get("version").and_then(serde_json::Value::as_u64);
    if collection.is_some_and(|c| c != def.collection) || version.is_some_and(|v| v != u64::from(def.version))
    {
        let found = format!(
            "{} version {}",
            collection.unwrap_or("(no collection)"),
            version.map(|v| v.to_string()).unwrap_or_else(|| "(none)".into())
        );
        fail(
            &mut result,
            Item::error(
                Code::Template,
                "",
                format!(
                    "This file is a submission for {found}, but the definition is {} version {}",
                    def.collection, def.version
                ),
            ),
        );
        return Ok(result);
    }
    if ctx.period.is_none()
        && let Some(key) = object.get("period").and_then(|p| p.as_str())
    {
        match def.schedule.period_by_key(key) {
            Some(p) => ctx.period = Some(p.dates()),
            None => fail(
                &mut result,
                Item::error(Code::File, "period", format!("No period of this collection starts on {key}")),
            ),
        }
    }
    let Some(answers) = object.get("answers").and_then(|a| a.as_object()) else {
        fail(&mut result, file_item("The file has no \"answers\" object"));
        return Ok(result);
    };
    let (answers, items) = answers_from_json(def, answers);
    let outcome = validate::validate(def, &answers, &ctx, &NoFile);
    result.records = 1;
    for item in items.into_iter().chain(outcome.items(def, "", &NoFile)) {
        let (list, count) = if item.is_error() {
            (&mut result.errors, &mut result.error_count)
        } else {
            (&mut result.warnings, &mut result.warning_count)
        };
        *count += 1;
        if list.len() < max_items {
            list.push(item);
        }
    }
    Ok(result)
}

/// A CSV file or a workbook, and its report workbook if asked for.
fn tabular(
    def: &Definition,
    path: &Path,
    extension: &str,
    ctx: Context,
    limits: &Limits,
    o: &Args,
) -> anyhow::Result<FileResult> {
    let name = path.display().to_string();
    let defaults = TabularOptions::default();
    let options = TabularOptions {
        table: o.table.clone(),
        max_items: o.max_items,
        threads: o.threads.unwrap_or(defaults.threads),
    };
    let open = || File::open(path).with_context(|| format!("cannot open {name}"));
    let report: FileReport = if extension == "csv" {
        formwork_tabular::validate_csv(
            def,
            BufReader::with_capacity(1 << 20, open()?),
            &ctx,
            limits,
            &options,
        )?
    } else {
        formwork_tabular::validate_xlsx(def, BufReader::new(open()?), &ctx, limits, &options)?
    };
    if let Some(out) = &o.report {
        let source = if extension == "csv" {
            Source::Csv(BufReader::new(open()?))
        } else {
            Source::Xlsx(BufReader::new(open()?))
        };
        let file = File::create(out).with_context(|| format!("cannot create {}", out.display()))?;
        let file_name =
            path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_else(|| name.clone());
        formwork_tabular::report::write(source, &report, &file_name, limits, std::io::BufWriter::new(file))
            .with_context(|| format!("cannot write the report {}", out.display()))?;
        eprintln!("wrote the report to {}", out.display());
    }
    Ok(FileResult {
        name,
        records: report.records,
        errors: report.errors,
        warnings: report.warnings,
        error_count: report.error_count,
        warning_count: report.warning_count,
    })
}

fn records(def: &Definition, path: &Path, ctx: Context, max_items: usize) -> anyhow::Result<FileResult> {
    let name = path.display().to_string();
    if def.kind != Kind::Log {
        bail!(
            "{name}: {} is a return; a .jsonl file holds records of a log. Give the return's answers as a .json submission",
            def.collection
        );
    }
    let file = File::open(path).with_context(|| format!("cannot open {name}"))?;
    let mut reader = BufReader::with_capacity(1 << 20, file);
    let mut batch = RecordBatch::new(def, ctx, max_items);
    let mut line = String::new();
    let mut number = 0u64;
    loop {
        line.clear();
        match reader.read_line(&mut line) {
            Ok(0) => break,
            Ok(_) => {}
            Err(e) if e.kind() == std::io::ErrorKind::InvalidData => {
                number += 1;
                let mut item = file_item("This line is not UTF-8 text; save the file as UTF-8");
                item.row = Some(number);
                batch.push(item);
                // Skip the rest of the line.
                let mut skip = Vec::new();
                reader.read_until(b'\n', &mut skip).with_context(|| format!("cannot read {name}"))?;
                continue;
            }
            Err(e) => return Err(e).with_context(|| format!("cannot read {name}")),
        }
        number += 1;
        let text = line.trim_end_matches(['\n', '\r']);
        let text = if number == 1 { text.trim_start_matches('\u{feff}') } else { text };
        if text.trim().is_empty() {
            continue;
        }
        match record_from_json(def, text) {
            Ok((answers, unknown)) => {
                batch.add(&answers, &unknown, number, &NoFile);
            }
            Err(message) => {
                let mut item = file_item(message);
                item.path = format!("records/{}", batch.records);
                item.row = Some(number);
                batch.records += 1;
                batch.push(item);
            }
        }
    }
    let error_count = batch.errors.len() + batch.dropped_errors;
    let warning_count = batch.warnings.len() + batch.dropped_warnings;
    Ok(FileResult {
        name,
        records: batch.records,
        errors: batch.errors,
        warnings: batch.warnings,
        error_count,
        warning_count,
    })
}

fn print_json(out: &mut impl Write, results: &[FileResult], valid: bool) -> anyhow::Result<()> {
    let several = results.len() > 1;
    let items = |pick: fn(&FileResult) -> &Vec<Item>| -> anyhow::Result<Vec<serde_json::Value>> {
        let mut out = Vec::new();
        for r in results {
            for item in pick(r) {
                let mut v = serde_json::to_value(item)?;
                if several && let Some(map) = v.as_object_mut() {
                    map.insert("file".into(), json!(r.name));
                }
                out.push(v);
            }
        }
        Ok(out)
    };
    let body = json!({
        "valid": valid,
        "records": results.iter().map(|r| r.records).sum::<usize>(),
        "errors": items(|r| &r.errors)?,
        "warnings": items(|r| &r.warnings)?,
        "error_count": results.iter().map(|r| r.error_count).sum::<usize>(),
        "warning_count": results.iter().map(|r| r.warning_count).sum::<usize>(),
    });
    serde_json::to_writer(&mut *out, &body)?;
    out.write_all(b"\n")?;
    Ok(())
}

fn plural(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

fn print_human(out: &mut impl Write, results: &[FileResult]) -> std::io::Result<()> {
    for r in results {
        writeln!(
            out,
            "{}: {} — {}, {}",
            r.name,
            plural(r.records, "record", "records"),
            if r.error_count == 0 {
                "no errors".to_string()
            } else {
                plural(r.error_count, "error", "errors")
            },
            plural(r.warning_count, "warning", "warnings")
        )?;
        if r.error_count + r.warning_count == 0 {
            continue;
        }
        writeln!(out, "\n  Summary (the same problem in the same place is counted once):")?;
        for g in summarise(r.errors.iter().chain(&r.warnings)) {
            let kind = if g.severity == formwork_definition::Severity::Error { "error" } else { "warning" };
            writeln!(
                out,
                "  {:>7} × {kind} [{}] {} — first at {}",
                g.count,
                g.code,
                g.place,
                g.first.join(", ")
            )?;
            writeln!(out, "            {}", g.message)?;
        }
        writeln!(out)?;
        for item in r.errors.iter().chain(&r.warnings) {
            let at = match item.row {
                Some(row) => format!("row {row}: "),
                None => String::new(),
            };
            let kind = if item.is_error() { "error" } else { "warning" };
            let path = if item.path.is_empty() { "(whole submission)" } else { &item.path };
            writeln!(out, "  {at}{kind} [{}] {path}: {}", item.code, item.message)?;
        }
        let kept = r.errors.len() + r.warnings.len();
        if kept < r.error_count + r.warning_count {
            writeln!(
                out,
                "  … and {} more (raise --max-items to list them)",
                r.error_count + r.warning_count - kept
            )?;
        }
        writeln!(out)?;
    }
    Ok(())
}
