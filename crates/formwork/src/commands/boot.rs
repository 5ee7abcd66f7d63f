//! What `serve`, `worker`, `migrate` and `admin` share: logging, TLS, and connecting to the
//! database, storage and mail as configured.

use std::io::IsTerminal as _;

use anyhow::Context as _;
use formwork_files::Files;
use formwork_mail::Mailer;
use formwork_store::Store;

use crate::config::{DatabaseArgs, LogFormat, ResourceArgs};

/// Start logging (level from `RUST_LOG`, default `info`) as text or JSON.
pub fn logging(format: LogFormat) {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info,sqlx=warn,hyper=warn"));
    // Colours only for a person at a terminal: not in files, journald or a log collector.
    let colour = std::io::stderr().is_terminal() && std::env::var_os("NO_COLOR").is_none();
    let builder =
        tracing_subscriber::fmt().with_env_filter(filter).with_writer(std::io::stderr).with_ansi(colour);
    let _ = match format {
        LogFormat::Text => builder.try_init(),
        LogFormat::Json => builder.json().flatten_event(true).try_init(),
    };
    // TLS (PostgreSQL, S3, SMTP, the identity provider) uses rustls with the ring provider.
    let _ = rustls::crypto::ring::default_provider().install_default();
}

/// A tokio runtime for the service's commands.
pub fn runtime() -> anyhow::Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread().enable_all().build().context("cannot start the async runtime")
}

/// Connect to the database and bring its schema up to date.
pub async fn database(args: &DatabaseArgs) -> anyhow::Result<Store> {
    let url = args.url()?;
    let store = Store::connect(&url, args.database_max_connections).await?;
    let now = formwork_store::Clock::system().now();
    store.migrate(now).await.with_context(|| {
        format!("cannot reach or migrate the database at {}", formwork_store::redact(&url))
    })?;
    Ok(store)
}

/// Storage and mail, as configured.
pub fn resources(args: &ResourceArgs) -> anyhow::Result<(Files, Mailer)> {
    let files = Files::from_url(&args.storage_url)?;
    let mailer =
        Mailer::from_config(args.smtp_url.as_ref().map(|s| s.0.as_str()), &args.mail_from, &args.mail_dir)?;
    Ok((files, mailer))
}

/// A future that resolves when the process is asked to stop (Ctrl-C or SIGTERM). The handlers
/// are installed at once, when this is called (inside the runtime), not when it is first awaited:
/// a signal that comes early is not lost.
#[cfg(unix)]
pub fn stop_signal() -> impl Future<Output = ()> + Send + 'static {
    use tokio::signal::unix::{SignalKind, signal};
    let mut terminate = signal(SignalKind::terminate()).ok();
    let mut interrupt = signal(SignalKind::interrupt()).ok();
    async move {
        let wait = |s: Option<tokio::signal::unix::Signal>| async move {
            match s {
                Some(mut s) => {
                    s.recv().await;
                }
                None => std::future::pending::<()>().await,
            }
        };
        tokio::select! {
            () = wait(terminate.take()) => {}
            () = wait(interrupt.take()) => {}
        }
    }
}

/// A future that resolves when the process is asked to stop (Ctrl-C).
#[cfg(not(unix))]
pub fn stop_signal() -> impl Future<Output = ()> + Send + 'static {
    async {
        let _ = tokio::signal::ctrl_c().await;
    }
}
