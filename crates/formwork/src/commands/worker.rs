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
            upload_max_bytes: u64::try_from(args.uploads.max_upload_bytes).unwrap_or(u64::MAX),
            upload_max_rows: args.uploads.max_upload_rows,
            export_direct_max_rows: args.exports.export_direct_max_rows.max(0),
            export_keep_hours: args.exports.export_keep_hours.max(1),
            ..Settings::default()
        };
        let app = App::new(store.clone(), Clock::system(), settings);
        let lease = i64::try_from(args.job_lease_seconds.max(1).saturating_mul(1000)).unwrap_or(i64::MAX);
        let heartbeat = std::time::Duration::from_millis(u64::try_from(lease / 3).unwrap_or(20_000));
        let worker =
            jobs::worker(JobContext { app, files, mailer }, worker_id()).with_lease(lease, heartbeat);
        if args.once {
            let ran = worker.run_due().await?;
            println!("ran {ran} job{}", if ran == 1 { "" } else { "s" });
        } else {
            let signal = boot::stop_signal();
            let (stop, stopped) = watch::channel(false);
            let mut running = tokio::spawn(worker.run(stopped));
            tokio::select! {
                () = signal => {
                    let _ = stop.send(true);
                    let _ = running.await;
                }
                // The worker runs until it is stopped: if it ends (a job panicked), so does the
                // process, with an error, so that whatever runs it starts a new one — a worker
                // container has no health check but its process.
                ended = &mut running => {
                    store.close().await;
                    return Err(match ended {
                        Err(e) if e.is_panic() => anyhow::anyhow!("the job worker stopped: a job panicked"),
                        _ => anyhow::anyhow!("the job worker stopped unexpectedly"),
                    });
                }
            }
        }
        store.close().await;
        Ok(ExitCode::SUCCESS)
    })
}
