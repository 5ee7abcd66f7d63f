//! One module per subcommand.

pub mod admin;
mod boot;
pub mod check;
pub mod docs;
pub mod export;
pub mod generate;
pub mod healthcheck;
pub mod migrate;
pub mod serve;
pub mod template;
pub mod upload;
pub mod validate;
pub mod worker;

use std::path::Path;

use anyhow::Context as _;
use formwork_definition::{Definition, diagnostic};

/// Read and load a definition; on problems, print them and fail (validation cannot run).
pub fn load_definition(path: &Path) -> anyhow::Result<Definition> {
    let bytes =
        std::fs::read(path).with_context(|| format!("cannot read the definition {}", path.display()))?;
    formwork_definition::load(&bytes).map_err(|problems| {
        let text = String::from_utf8_lossy(&bytes);
        eprint!("{}", diagnostic::render(&path.display().to_string(), &text, &problems));
        anyhow::anyhow!(
            "the definition {} has {} problem(s); run `formwork check` on it",
            path.display(),
            problems.len()
        )
    })
}
