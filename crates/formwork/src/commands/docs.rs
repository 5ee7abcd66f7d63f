//! `formwork docs`: the data dictionary or the JSON Schema of a collection.

use std::path::Path;
use std::process::ExitCode;

use anyhow::Context as _;
use formwork_definition::dictionary;

use crate::DocsFormat;

/// Write the dictionary in `format` to `output` or standard output.
pub fn run(definition: &Path, format: DocsFormat, output: Option<&Path>) -> anyhow::Result<ExitCode> {
    let def = super::load_definition(definition)?;
    let text = match format {
        DocsFormat::Markdown => dictionary::markdown(&def),
        DocsFormat::Html => dictionary::html(&def),
        DocsFormat::JsonSchema => serde_json::to_string_pretty(&dictionary::json_schema(&def))? + "\n",
    };
    match output {
        Some(path) => {
            std::fs::write(path, text).with_context(|| format!("cannot write {}", path.display()))?
        }
        None => print!("{text}"),
    }
    Ok(ExitCode::SUCCESS)
}
