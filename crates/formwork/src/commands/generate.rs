//! `formwork generate`: seeded test data for a collection — valid answers, and records of a log
//! with planted problems plus a manifest of the items they must produce.
//!
//! The output's extension says its form: `.jsonl` or `.csv` records of a log, `.json` submissions of
//! a return, `.xlsx` the collection's template filled in (valid data only), `.csv` for a return
//! the rows of one table.

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context as _, bail, ensure};
use formwork_definition::Kind;
use formwork_definition::validate::Code;
use formwork_tabular::template::{self, Fill};
use formwork_testdata::plant::KINDS;
use formwork_testdata::{Generator, Planted, csv_line};

/// Arguments of `formwork generate`.
#[derive(clap::Args, Debug)]
pub struct Args {
    /// The collection's definition.
    #[arg(long, short)]
    definition: PathBuf,
    /// How many records (a log) or submissions (a return) to make.
    #[arg(long, default_value_t = 1)]
    records: usize,
    /// How many rows each table of a return gets (default: a few).
    #[arg(long)]
    rows: Option<usize>,
    /// For a CSV of a return: the table whose rows to write.
    #[arg(long)]
    table: Option<String>,
    /// The seed: the same seed makes the same data.
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// The share of records of a log given one planted problem (0 to 1; .jsonl and .csv).
    #[arg(long, default_value_t = 0.0)]
    errors: f64,
    /// Where to write the data: .jsonl, .csv, .json or .xlsx.
    #[arg(long, short)]
    output: PathBuf,
    /// Where to write the manifest of planted problems (JSON lines: record, row, severity, code,
    /// path).
    #[arg(long)]
    manifest: Option<PathBuf>,
}

fn create(path: &PathBuf) -> anyhow::Result<BufWriter<File>> {
    Ok(BufWriter::with_capacity(
        1 << 20,
        File::create(path).with_context(|| format!("cannot create {}", path.display()))?,
    ))
}

fn write_manifest(path: Option<&PathBuf>, planted: &[Planted]) -> anyhow::Result<()> {
    let Some(path) = path else { return Ok(()) };
    let mut m = create(path)?;
    for p in planted {
        serde_json::to_writer(&mut m, p)?;
        m.write_all(b"\n")?;
    }
    m.flush()?;
    Ok(())
}

fn header(def: &formwork_definition::Definition, table: Option<&str>) -> anyhow::Result<Vec<String>> {
    Ok(template::csv(def, table)?.trim().split(',').map(str::to_string).collect())
}

/// Generate the data and, for planted problems, the manifest.
pub fn run(args: &Args) -> anyhow::Result<ExitCode> {
    let def = super::load_definition(&args.definition)?;
    ensure!((0.0..=1.0).contains(&args.errors), "--errors must be between 0 and 1");
    let mut generator = Generator::new(&def, args.seed);
    if let Some(rows) = args.rows {
        generator = generator.with_table_rows(rows);
    }
    let extension = args.output.extension().and_then(|e| e.to_str()).unwrap_or("").to_ascii_lowercase();
    ensure!(
        args.errors == 0.0 || (def.kind == Kind::Log && matches!(extension.as_str(), "jsonl" | "csv")),
        "planted problems are made in records of a log, written as .jsonl or .csv"
    );
    let mut planted = Vec::new();
    match (def.kind, extension.as_str()) {
        (Kind::Log, "jsonl") => {
            let mut out = create(&args.output)?;
            planted = generator.log_records(args.records, args.errors, |record| {
                serde_json::to_writer(&mut out, record)?;
                out.write_all(b"\n")
            })??;
            out.flush()?;
        }
        (Kind::Log, "csv") => {
            let mut out = create(&args.output)?;
            let header = header(&def, None)?;
            out.write_all((header.join(",") + "\r\n").as_bytes())?;
            // A CSV's columns are its header: a key that no record has cannot be planted in one.
            let kinds: Vec<_> =
                KINDS.iter().copied().filter(|(code, _)| *code != Code::UnknownColumn).collect();
            planted = generator.log_records_of(args.records, args.errors, &kinds, 2, |record| {
                out.write_all(csv_line(&header, record).as_bytes())
            })??;
            out.flush()?;
        }
        (Kind::Log, "xlsx") => {
            let mut records = Vec::with_capacity(args.records);
            for _ in 0..args.records {
                records.push(generator.valid()?.values);
            }
            std::fs::write(&args.output, template::xlsx(&def, Some(Fill::Records(&records)))?)
                .with_context(|| format!("cannot write {}", args.output.display()))?;
        }
        (Kind::Return, "json") => {
            let mut out = create(&args.output)?;
            if args.records == 1 {
                serde_json::to_writer_pretty(&mut out, &generator.submission()?)?;
                out.write_all(b"\n")?;
            } else {
                for _ in 0..args.records {
                    serde_json::to_writer(&mut out, &generator.submission()?)?;
                    out.write_all(b"\n")?;
                }
            }
            out.flush()?;
        }
        (Kind::Return, "xlsx") => {
            ensure!(args.records == 1, "a workbook holds one submission: use --records 1");
            let record = generator.valid()?;
            std::fs::write(&args.output, template::xlsx(&def, Some(Fill::Submission(&record.values)))?)
                .with_context(|| format!("cannot write {}", args.output.display()))?;
        }
        (Kind::Return, "csv") => {
            let table = match &args.table {
                Some(t) => t.clone(),
                None if def.tables.len() == 1 => def.tables[0].id.clone(),
                None => bail!("say which table's rows to write with --table"),
            };
            let header = header(&def, Some(&table))?;
            let record = generator.valid()?;
            let answers = generator.render_answers(&record);
            let mut out = create(&args.output)?;
            out.write_all((header.join(",") + "\r\n").as_bytes())?;
            for row in answers.get(&table).and_then(|t| t.as_array()).into_iter().flatten() {
                if let Some(row) = row.as_object() {
                    out.write_all(csv_line(&header, row).as_bytes())?;
                }
            }
            out.flush()?;
        }
        (kind, other) => bail!(
            "formwork generate writes a {:?} as {}, not .{other}",
            kind,
            if kind == Kind::Log { ".jsonl, .csv or .xlsx" } else { ".json, .xlsx or .csv" }
        ),
    }
    write_manifest(args.manifest.as_ref(), &planted)?;
    eprintln!(
        "wrote {} to {} ({} with a planted problem)",
        args.records,
        args.output.display(),
        planted.len()
    );
    Ok(ExitCode::SUCCESS)
}
