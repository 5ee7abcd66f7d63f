//! `formwork migrate`: bring the database's schema up to date (`serve` does this too at start).

use std::process::ExitCode;

use anyhow::Context as _;

use crate::commands::boot;
use crate::config::DatabaseArgs;

/// Run `formwork migrate`.
pub fn run(args: &DatabaseArgs) -> anyhow::Result<ExitCode> {
    boot::logging(args.log_format);
    boot::runtime()?.block_on(async {
        let url = args.url()?;
        let store = formwork_store::Store::connect(&url, 1).await?;
        let applied = store.migrate(formwork_store::Clock::system().now()).await.with_context(|| {
            format!("cannot reach or migrate the database at {}", formwork_store::redact(&url))
        })?;
        if applied.is_empty() {
            println!("the database is up to date ({} migrations)", formwork_store::MIGRATIONS.len());
        }
        for name in applied {
            println!("applied: {name}");
        }
        store.close().await;
        Ok(ExitCode::SUCCESS)
    })
}
