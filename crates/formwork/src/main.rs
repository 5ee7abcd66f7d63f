//! The `formwork` command: check definitions, validate files, write data dictionaries and test
//! data; serve the web service and its worker; administer organisations, people and collections.

mod commands;
mod config;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand, ValueEnum};

/// mimalloc: validating a large file makes millions of small, short-lived allocations, and the
/// system allocator spends a tenth of the time on them (see docs/benchmarks.md).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// formwork: collect structured returns from organisations. A collection is one definition file;
/// forms, templates, validation and exports follow from it.
#[derive(Parser, Debug)]
#[command(name = "formwork", version, about, long_about = None, arg_required_else_help = true)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Check definition files: every problem with its line, column and a hint.
    ///
    /// Exit status: 0 when no file has problems, 1 when one has, 2 when a file cannot be read.
    Check {
        /// Definition files (YAML or JSON).
        #[arg(required = true)]
        definitions: Vec<PathBuf>,
        /// Output format.
        #[arg(long, value_enum, default_value_t = Format::Human)]
        format: Format,
    },
    /// Validate files against a definition: a submission (.json), records of a log (.jsonl), a
    /// CSV file or an XLSX workbook.
    ///
    /// Exit status: 0 when there are no errors (warnings are allowed), 1 when there are errors,
    /// 2 when validation cannot run (unreadable definition or file).
    Validate(commands::validate::Args),
    /// Write the spreadsheet (XLSX) or CSV template of a collection.
    Template(commands::template::Args),
    /// Write the data dictionary of a collection, or the JSON Schema of its submissions.
    Docs {
        /// The collection's definition.
        #[arg(long, short)]
        definition: PathBuf,
        /// Output format.
        #[arg(long, value_enum, default_value_t = DocsFormat::Markdown)]
        format: DocsFormat,
        /// Write to this file instead of standard output.
        #[arg(long, short)]
        output: Option<PathBuf>,
    },
    /// Generate test data for a collection: valid answers, and answers with planted errors of
    /// every kind together with a manifest of the items they must produce.
    Generate(commands::generate::Args),
    /// Run the web service and, unless `--no-worker`, the job worker. Every setting is an
    /// environment variable (shown with each flag); with none, formwork runs on SQLite and local
    /// files under ./data.
    Serve(config::ServeArgs),
    /// Run background jobs (emails) without the web service.
    Worker(config::WorkerArgs),
    /// Upload a CSV or XLSX file of a log's records: kept, checked by the same job as an upload
    /// through the pages or the API, then all of it stored or none; waits for the outcome.
    ///
    /// Exit status: 0 stored, 1 refused, errors or warnings to confirm (nothing stored), 2 cannot
    /// run.
    Upload(commands::upload::Args),
    /// Export a collection's submissions or records as CSV, XLSX, JSON Lines or Parquet, with the
    /// search's filters, streamed to a file or standard output.
    ///
    /// Exit status: 0 written, 1 refused (unknown collection, filter or format), 2 cannot run.
    Export(commands::export::Args),
    /// Bring the database's schema up to date.
    Migrate(config::DatabaseArgs),
    /// Ask the web service on this machine whether it answers (`/healthz`, or `/readyz` with
    /// `--ready`): a container's health check, for an image with no shell or curl.
    ///
    /// Exit status: 0 healthy (it answered 200), 1 not (any other answer, none, or a bad `--url`).
    Healthcheck(commands::healthcheck::Args),
    /// Set up organisations, people, tokens and collections from the command line.
    Admin {
        #[command(flatten)]
        database: config::DatabaseArgs,
        #[command(subcommand)]
        command: commands::admin::AdminCommand,
    },
}

/// How results are printed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// For people.
    Human,
    /// One JSON object, for programs.
    Json,
}

/// The forms of the data dictionary.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum DocsFormat {
    /// Markdown.
    Markdown,
    /// A standalone HTML page.
    Html,
    /// The JSON Schema of a submission (a return) or of one record (a log).
    JsonSchema,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Check { definitions, format } => commands::check::run(&definitions, format),
        Command::Validate(args) => commands::validate::run(&args),
        Command::Template(args) => commands::template::run(&args),
        Command::Docs { definition, format, output } => {
            commands::docs::run(&definition, format, output.as_deref())
        }
        Command::Generate(args) => commands::generate::run(&args),
        Command::Serve(args) => commands::serve::run(&args),
        Command::Worker(args) => commands::worker::run(&args),
        Command::Migrate(args) => commands::migrate::run(&args),
        Command::Healthcheck(args) => Ok(commands::healthcheck::run(&args)),
        Command::Upload(args) => commands::upload::run(&args),
        Command::Export(args) => commands::export::run(&args),
        Command::Admin { database, command } => commands::admin::run(&database, &command),
    };
    match result {
        Ok(code) => code,
        Err(e) => {
            // `formwork validate … | head` closes the pipe early: stop quietly, as other tools do.
            let broken_pipe = e.chain().any(|c| {
                c.downcast_ref::<std::io::Error>()
                    .is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
            });
            if broken_pipe {
                return ExitCode::from(141);
            }
            eprintln!("formwork: {e:#}");
            ExitCode::from(2)
        }
    }
}
