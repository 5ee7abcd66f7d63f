//! `formwork export`: export a collection's submissions or records — exactly what the search
//! page's filters would select — as CSV, XLSX, JSON Lines or Parquet, to a file or standard
//! output, streamed by the same code as the pages and the API (constant memory, any size). For
//! operators and analysts with database access; every organisation's data.
//!
//! Exit status: 0 written, 1 refused (an unknown collection, filter or format), 2 cannot run.

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context as _;
use formwork_service::exports::{self, ExportRequest};
use formwork_service::{Actor, App, ServiceError, Settings};
use formwork_store::Clock;

use crate::commands::boot;
use crate::config::DatabaseArgs;

/// What `formwork export` takes.
#[derive(clap::Args, Debug)]
pub struct Args {
    #[command(flatten)]
    pub database: DatabaseArgs,
    /// The collection's slug.
    #[arg(long)]
    pub collection: String,
    /// csv, xlsx, jsonl or parquet.
    #[arg(long)]
    pub format: String,
    /// Where to write it; `-` for standard output.
    #[arg(long, short)]
    pub output: PathBuf,
    /// Only this organisation (its slug).
    #[arg(long)]
    pub organisation: Option<String>,
    /// Only this period (its key, e.g. `2026-04-01`).
    #[arg(long)]
    pub period: Option<String>,
    /// Only rows of this definition version.
    #[arg(long)]
    pub version: Option<String>,
    /// Only rows in these states (repeat it, or separate by commas).
    #[arg(long, value_delimiter = ',')]
    pub state: Vec<String>,
    /// Only rows changed on or after this day (`YYYY-MM-DD`) or time (RFC 3339).
    #[arg(long)]
    pub updated_since: Option<String>,
    /// Only rows whose organisation's name or reference (a record's key) holds this text.
    #[arg(long)]
    pub q: Option<String>,
    /// Question labels as column headers instead of ids (CSV, XLSX).
    #[arg(long)]
    pub labels: bool,
    /// Choices' labels instead of their values.
    #[arg(long)]
    pub choice_labels: bool,
    /// Only this table section's rows (a return's), as one file.
    #[arg(long)]
    pub table: Option<String>,
}

/// Run `formwork export`.
pub fn run(args: &Args) -> anyhow::Result<ExitCode> {
    boot::logging(args.database.log_format);
    boot::runtime()?.block_on(export(args))
}

async fn export(args: &Args) -> anyhow::Result<ExitCode> {
    let store = boot::database(&args.database).await?;
    let app = App::new(store.clone(), Clock::system(), Settings::default());
    let mut filters: Vec<(String, String)> = Vec::new();
    let mut add = |name: &str, value: &Option<String>| {
        if let Some(v) = value {
            filters.push((name.to_string(), v.clone()));
        }
    };
    add("organisation", &args.organisation);
    add("period", &args.period);
    add("version", &args.version);
    add("updated_since", &args.updated_since);
    add("q", &args.q);
    filters.extend(args.state.iter().map(|s| ("state".to_string(), s.clone())));
    let request = ExportRequest {
        collection: args.collection.clone(),
        format: args.format.clone(),
        filters,
        labels: args.labels,
        choice_labels: args.choice_labels,
        table: args.table.clone(),
    };
    let prepared = match exports::prepare(&app, &Actor::System, &request).await {
        Ok(prepared) => prepared,
        Err(ServiceError::Invalid(problems)) => {
            for p in problems {
                eprintln!("formwork: {}", p.message);
            }
            return Ok(ExitCode::from(1));
        }
        Err(e @ ServiceError::NotFound(_)) => {
            eprintln!("formwork: {e}");
            return Ok(ExitCode::from(1));
        }
        Err(e) => return Err(anyhow::anyhow!(e.log_text())),
    };
    let out: Box<dyn Write + Send> = if args.output.as_os_str() == "-" {
        Box::new(BufWriter::with_capacity(256 * 1024, std::io::stdout()))
    } else {
        let file =
            File::create(&args.output).with_context(|| format!("cannot write {}", args.output.display()))?;
        Box::new(BufWriter::with_capacity(256 * 1024, file))
    };
    let file_name = prepared.file_name.clone();
    // The error itself, not its text: a closed standard output (`| head`) is then a broken pipe
    // that `main` ends quietly on.
    let summary = exports::write_async(&app, prepared, out).await.map_err(anyhow::Error::new)?;
    store.close().await;
    if args.output.as_os_str() != "-" {
        let rows = summary.files.first().map_or(0, |f| f.rows);
        eprintln!("wrote {rows} rows to {} (as {file_name})", args.output.display());
    }
    Ok(ExitCode::SUCCESS)
}
