//! `formwork template`: the spreadsheet (XLSX) or CSV template of a collection.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context as _;
use clap::ValueEnum;

/// The forms of template.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum TemplateFormat {
    /// An Excel workbook with instructions, dropdowns and checks on each cell.
    Xlsx,
    /// A CSV header row of question ids (a log, or one table of a return).
    Csv,
}

/// Arguments of `formwork template`.
#[derive(clap::Args, Debug)]
pub struct Args {
    /// The collection's definition.
    #[arg(long, short)]
    definition: PathBuf,
    /// The form of the template.
    #[arg(long, value_enum)]
    format: TemplateFormat,
    /// For a CSV template of a return with several tables: the table.
    #[arg(long)]
    table: Option<String>,
    /// Where to write it.
    #[arg(long, short)]
    output: PathBuf,
}

/// Write the template.
pub fn run(args: &Args) -> anyhow::Result<ExitCode> {
    let def = super::load_definition(&args.definition)?;
    let bytes = match args.format {
        TemplateFormat::Xlsx => formwork_tabular::template::xlsx(&def, None)?,
        TemplateFormat::Csv => formwork_tabular::template::csv(&def, args.table.as_deref())?.into_bytes(),
    };
    std::fs::write(&args.output, bytes).with_context(|| format!("cannot write {}", args.output.display()))?;
    eprintln!(
        "wrote the {} template of {} version {} to {}",
        format!("{:?}", args.format).to_uppercase(),
        def.collection,
        def.version,
        args.output.display()
    );
    Ok(ExitCode::SUCCESS)
}
