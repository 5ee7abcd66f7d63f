//! `formwork upload`: upload a file of a log's records through the same path as the pages and the
//! API — the file is kept in storage, a `check_upload` job checks it, and all of it is stored or
//! none — and wait for the outcome, running the job here (or letting a running worker take it).
//! For operators, and for bringing in records kept elsewhere.
//!
//! Exit status: 0 stored (or the same file was stored before), 1 refused or has errors or
//! warnings to confirm (nothing stored), 2 cannot run.

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use anyhow::Context as _;
use bytes::Bytes;
use formwork_service::jobs::{self, JobContext};
use formwork_service::uploads::{self, NewFile};
use formwork_service::{Actor, App, ServiceError, Settings};
use formwork_store::Clock;
use formwork_store::uploads::UploadState;
use tokio::io::AsyncReadExt as _;

use crate::Format;
use crate::commands::{boot, serve::worker_id};
use crate::config::{DatabaseArgs, ResourceArgs, UploadArgs};

/// What `formwork upload` takes.
#[derive(clap::Args, Debug)]
pub struct Args {
    #[command(flatten)]
    pub database: DatabaseArgs,
    #[command(flatten)]
    pub resources: ResourceArgs,
    #[command(flatten)]
    pub uploads: UploadArgs,
    /// The log collection's slug.
    #[arg(long)]
    pub collection: String,
    /// The organisation's slug.
    #[arg(long)]
    pub organisation: String,
    /// The period's key, e.g. `2026-04-01` (default: the latest period that has started).
    #[arg(long)]
    pub period: Option<String>,
    /// Confirm any warnings with this reason (without it, a file with warnings waits for someone
    /// to confirm them on the upload's page).
    #[arg(long)]
    pub confirm_warnings: Option<String>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Human)]
    pub format: Format,
    /// The CSV or XLSX file.
    pub file: PathBuf,
}

/// Run `formwork upload`.
pub fn run(args: &Args) -> anyhow::Result<ExitCode> {
    boot::logging(args.database.log_format);
    boot::runtime()?.block_on(upload(args))
}

async fn upload(args: &Args) -> anyhow::Result<ExitCode> {
    let store = boot::database(&args.database).await?;
    let (files, mailer) = boot::resources(&args.resources)?;
    let settings = Settings {
        upload_max_bytes: u64::try_from(args.uploads.max_upload_bytes).unwrap_or(u64::MAX),
        upload_max_rows: args.uploads.max_upload_rows,
        ..Settings::default()
    };
    let app = App::new(store.clone(), Clock::system(), settings);
    let file = tokio::fs::File::open(&args.file)
        .await
        .with_context(|| format!("cannot read {}", args.file.display()))?;
    let file_name = args.file.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    let body = futures_util::stream::unfold(file, |mut file| async move {
        let mut buffer = vec![0u8; 256 * 1024];
        match file.read(&mut buffer).await {
            Ok(0) => None,
            Ok(n) => {
                buffer.truncate(n);
                Some((Ok::<Bytes, std::io::Error>(Bytes::from(buffer)), file))
            }
            Err(e) => Some((Err(e), file)),
        }
    });
    let new = NewFile {
        collection: Some(args.collection.clone()),
        organisation: Some(args.organisation.clone()),
        period: args.period.clone(),
        submission: None,
        table: None,
        file_name,
        body,
    };
    let system = Actor::System;
    let received = match uploads::receive(&app, &files, &system, new).await {
        Ok(view) => view,
        Err(ServiceError::Invalid(problems)) => {
            for p in problems {
                eprintln!("formwork: {}", p.message);
            }
            return Ok(ExitCode::from(1));
        }
        Err(e) => return Err(anyhow::anyhow!(e.log_text())),
    };
    let id = received.upload.id.clone();
    if args.format == Format::Human {
        eprintln!("upload {id}: kept ({} bytes); checking", received.upload.size);
    }
    let worker = jobs::worker(JobContext { app: app.clone(), files, mailer }, worker_id());
    let mut confirmed = false;
    let view = loop {
        worker.run_due().await?;
        let view = uploads::get(&app, &system, &id).await.map_err(|e| anyhow::anyhow!(e.log_text()))?;
        match view.upload.state {
            UploadState::Confirm if !confirmed && args.confirm_warnings.is_some() => {
                let reason = args.confirm_warnings.as_deref().unwrap_or_default();
                uploads::confirm(&app, &system, &id, reason)
                    .await
                    .map_err(|e| anyhow::anyhow!(e.log_text()))?;
                confirmed = true;
            }
            state if state.is_finished() => break view,
            _ => tokio::time::sleep(Duration::from_millis(100)).await,
        }
    };
    store.close().await;
    let u = &view.upload;
    match args.format {
        Format::Json => println!("{}", serde_json::to_string_pretty(&view)?),
        Format::Human => match u.state {
            UploadState::Stored => {
                println!("stored {} records from {} (upload {id})", u.stored_count, u.file_name)
            }
            UploadState::SameFile => println!(
                "{} was uploaded before (upload {}): nothing stored again",
                u.file_name,
                u.same_as.as_deref().unwrap_or("?")
            ),
            UploadState::Confirm => {
                println!("{} warnings to confirm; nothing stored yet (upload {id}):", u.warning_count);
                print_groups(&view);
            }
            _ => {
                println!("{} errors; nothing stored (upload {id}):", u.error_count);
                if let Some(message) = &u.message {
                    println!("  {message}");
                }
                print_groups(&view);
            }
        },
    }
    Ok(if matches!(u.state, UploadState::Stored | UploadState::SameFile) {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

fn print_groups(view: &uploads::UploadView) {
    for g in uploads::summary(&view.items()) {
        let column = if g.column.is_empty() { "file".to_string() } else { g.column.clone() };
        println!(
            "  {} × {} {} in {}: {} (first: {})",
            g.count,
            g.severity,
            g.code,
            column,
            g.message,
            g.first.join(", ")
        );
    }
}
