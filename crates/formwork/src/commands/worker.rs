//! `formwork worker`: run background jobs without the web service (scale them separately).

use std::process::ExitCode;

use formwork_service::jobs::{self, JobContext};
use formwork_service::{App, Settings};
use formwork_store::Clock;
use tokio::sync::watch;

use crate::commands::{boot, serve::worker_id};
use crate::config::WorkerArgs;

/// Run `formwork worker`.
pub fn run(args: &WorkerArgs) -> anyhow::Result<ExitCode> {
    boot::logging(args.database.log_format);
    boot::runtime()?.block_on(async {
        let store = boot::database(&args.database).await?;
        let (files, mailer) = boot::resources(&args.resources)?;
        // Emails sent by jobs (reminders, say) link to the web service and name it.
        let settings = Settings {
            base_url: args.base_url.trim_end_matches('/').to_string(),
            service_name: args.service_name.clone(),
            ..Settings::default()
        };
        let app = App::new(store.clone(), Clock::system(), settings);
        let worker = jobs::worker(JobContext { app, files, mailer }, worker_id());
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
