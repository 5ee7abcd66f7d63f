//! `formwork generate`: seeded test data for a collection — valid answers, and records of a log
//! with planted problems plus a manifest of the items they must produce.

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context as _;
use formwork_definition::Kind;
use formwork_testdata::Generator;

/// Arguments of `formwork generate`.
#[derive(clap::Args, Debug)]
pub struct Args {
    /// The collection's definition.
    #[arg(long, short)]
    definition: PathBuf,
    /// How many records (a log) or submissions (a return, one JSON object per line) to make.
    #[arg(long, default_value_t = 1)]
    records: usize,
    /// The seed: the same seed makes the same data.
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// The share of records of a log given one planted problem (0 to 1).
    #[arg(long, default_value_t = 0.0)]
    errors: f64,
    /// Where to write the data (.jsonl for a log; .json for one submission of a return).
    #[arg(long, short)]
    output: PathBuf,
    /// Where to write the manifest of planted problems (JSON lines: record, row, severity, code,
    /// path).
    #[arg(long)]
    manifest: Option<PathBuf>,
}

/// Generate the data and, for a log, the manifest.
pub fn run(args: &Args) -> anyhow::Result<ExitCode> {
    let def = super::load_definition(&args.definition)?;
    anyhow::ensure!((0.0..=1.0).contains(&args.errors), "--errors must be between 0 and 1");
    let mut generator = Generator::new(&def, args.seed);
    let file =
        File::create(&args.output).with_context(|| format!("cannot create {}", args.output.display()))?;
    let mut out = BufWriter::with_capacity(1 << 20, file);
    match def.kind {
        Kind::Log => {
            let planted = generator.log_records(args.records, args.errors, |record| {
                serde_json::to_writer(&mut out, record)?;
                out.write_all(b"\n")
            })??;
            out.flush()?;
            if let Some(path) = &args.manifest {
                let mut m = BufWriter::new(
                    File::create(path).with_context(|| format!("cannot create {}", path.display()))?,
                );
                for p in &planted {
                    serde_json::to_writer(&mut m, p)?;
                    m.write_all(b"\n")?;
                }
                m.flush()?;
            }
            eprintln!(
                "wrote {} records ({} with a planted problem) to {}",
                args.records,
                planted.len(),
                args.output.display()
            );
        }
        Kind::Return => {
            anyhow::ensure!(
                args.errors == 0.0,
                "planted problems are made for logs only; for a return, generate valid submissions"
            );
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
            eprintln!("wrote {} valid submission(s) to {}", args.records, args.output.display());
        }
    }
    Ok(ExitCode::SUCCESS)
}
