//! `formwork worker`: run background jobs without the web service (scale them separately).

use std::process::ExitCode;

use formwork_jobs::Worker;
use formwork_store::Clock;
use tokio::sync::watch;

use crate::commands::{boot, serve::worker_id};
use crate::config::WorkerArgs;

/// Run `formwork worker`.
pub fn run(args: &WorkerArgs) -> anyhow::Result<ExitCode> {
    boot::logging(args.database.log_format);
    boot::runtime()?.block_on(async {
        let store = boot::database(&args.database).await?;
        let (_, mailer) = boot::resources(&args.resources)?;
        let worker = Worker::new(
            formwork_jobs::Context { store: store.clone(), mailer, clock: Clock::system() },
            worker_id(),
        );
        if args.once {
            let ran = worker.run_due().await?;
            println!("ran {ran} job{}", if ran == 1 { "" } else { "s" });
        } else {
            let signal = boot::stop_signal();
            let (stop, stopped) = watch::channel(false);
            let running = tokio::spawn(worker.run(stopped));
            signal.await;
            let _ = stop.send(true);
            let _ = running.await;
        }
        store.close().await;
        Ok(ExitCode::SUCCESS)
    })
}
