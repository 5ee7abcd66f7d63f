//! `formwork serve [--demo]`: the web service, and (unless `--no-worker`) the job worker, in one
//! process. Stops gracefully on Ctrl-C or SIGTERM: requests in hand and the job in hand finish.

use std::process::ExitCode;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Context as _;
use formwork_service::jobs::{self, JobContext};
use formwork_service::{App, Settings};
use formwork_store::Clock;
use formwork_web::{AppState, Config, OidcConfig};
use tokio::sync::{Notify, watch};

use crate::commands::boot;
use crate::config::ServeArgs;

/// The example collections, for `--demo`.
const EXAMPLES: [&str; 3] = [
    include_str!("../../../../examples/towns-fund-monitoring.yaml"),
    include_str!("../../../../examples/lettings-log.yaml"),
    include_str!("../../../../examples/single-audit.yaml"),
];

/// Run `formwork serve`.
pub fn run(args: &ServeArgs) -> anyhow::Result<ExitCode> {
    boot::logging(args.database.log_format);
    args.check()?;
    boot::runtime()?.block_on(serve(args))
}

async fn serve(args: &ServeArgs) -> anyhow::Result<ExitCode> {
    let started = Instant::now();
    let stop = boot::stop_signal();
    let base_url = args.base_url();
    let store = boot::database(&args.database).await?;
    let (files, mailer) = boot::resources(&args.resources)?;
    let clock = Clock::system();
    let settings = Settings {
        base_url: base_url.clone(),
        service_name: args.service_name.clone(),
        upload_max_bytes: u64::try_from(args.uploads.max_upload_bytes).unwrap_or(u64::MAX),
        upload_max_rows: args.uploads.max_upload_rows,
        export_direct_max_rows: args.exports.export_direct_max_rows.max(0),
        export_keep_hours: args.exports.export_keep_hours.max(1),
        ..Settings::default()
    };
    let mut app = App::new(store.clone(), clock.clone(), settings);
    let (stop_worker, worker_stop) = watch::channel(false);
    let worker = if args.no_worker {
        None
    } else {
        app = app.with_waker(Arc::new(Notify::new()));
        let worker = jobs::worker(JobContext { app: app.clone(), files: files.clone(), mailer }, worker_id());
        Some(tokio::spawn(worker.run(worker_stop)))
    };
    let demo = if args.demo {
        Some(formwork_service::demo::load(&app, &files, &EXAMPLES).await.context("cannot load the demo")?)
    } else {
        None
    };
    let oidc = match (&args.oidc_issuer, &args.oidc_client_id, &args.oidc_client_secret) {
        (Some(issuer), Some(client_id), Some(secret)) => Some(OidcConfig {
            issuer: issuer.clone(),
            client_id: client_id.clone(),
            client_secret: secret.0.clone(),
            redirect_url: format!("{base_url}/sign-in/oidc/callback"),
            assume_email_verified: args.oidc_assume_email_verified,
        }),
        _ => None,
    };
    let config = Config {
        base_url: base_url.clone(),
        oidc,
        max_upload_bytes: args.uploads.max_upload_bytes,
        header_read_timeout: Duration::from_secs(args.header_read_timeout_seconds),
        body_read_timeout: Duration::from_secs(args.body_read_timeout_seconds),
        trust_forwarded_for: args.trust_forwarded_for,
        metrics_token: args.metrics_token.as_ref().map(|t| t.0.clone()),
        brand: args.brand.into(),
        organisation_name: args.organisation_name.clone().filter(|name| !name.trim().is_empty()),
    };
    let state = AppState::new(app, files.clone(), config);
    let listener = tokio::net::TcpListener::bind(args.bind)
        .await
        .with_context(|| format!("cannot listen on {} (BIND)", args.bind))?;
    tracing::info!(
        address = %args.bind,
        base_url = %base_url,
        database = %formwork_store::redact(&args.database.database_url.0),
        storage = %files.describe(),
        worker = !args.no_worker,
        startup_ms = started.elapsed().as_millis() as u64,
        "formwork is ready"
    );
    if let Some(demo) = demo {
        println!("formwork is running with demo data at {base_url}");
        println!("Sign in at {base_url}/sign-in with the password {} as any of:", demo.password);
        let people = || demo.groups.iter().flat_map(|g| &g.people);
        let width = people().map(|p| p.email.len()).max().unwrap_or(0);
        for group in &demo.groups {
            println!("\n  {}", group.name);
            for person in &group.people {
                println!("    {:width$}  {}", person.email, person.role);
            }
        }
        if !demo.returns.is_empty() {
            println!("\n  Returns started");
            for r in &demo.returns {
                println!(
                    "    {}, {} for {}: {} of {} sections completed, {}",
                    r.organisation,
                    r.collection,
                    r.period,
                    r.completed,
                    r.sections,
                    r.state.to_lowercase()
                );
            }
        }
        if demo.records.records > 0 {
            println!("\n  Lettings log");
            println!(
                "    Riverside Homes: {} records (uploaded and entered on the web){}",
                demo.records.records,
                demo.records
                    .failed_upload
                    .as_ref()
                    .map(|id| format!("; an upload with errors at {base_url}/uploads/{id}"))
                    .unwrap_or_default()
            );
        }
        println!();
        println!(
            "Emails (invitations, password resets) are written to {}",
            args.resources.mail_dir.display()
        );
    }
    formwork_web::serve(listener, state, stop).await.context("the web server failed")?;
    tracing::info!("formwork is stopping: finishing the job in hand");
    let _ = stop_worker.send(true);
    if let Some(worker) = worker {
        let _ = tokio::time::timeout(Duration::from_secs(30), worker).await;
    }
    store.close().await;
    tracing::info!("formwork has stopped");
    Ok(ExitCode::SUCCESS)
}

/// A name for this process's worker: host and process id.
pub fn worker_id() -> String {
    let host = std::env::var("HOSTNAME").unwrap_or_else(|_| "local".into());
    format!("{host}:{}", std::process::id())
}
