//! What `serve`, `worker`, `migrate` and `admin` share: logging, TLS, and connecting to the
//! database, storage and mail as configured.

use anyhow::Context as _;
use formwork_files::Files;
use formwork_mail::Mailer;
use formwork_store::Store;

use crate::config::{DatabaseArgs, LogFormat, ResourceArgs};

/// Start logging (level from `RUST_LOG`, default `info`) as text or JSON.
pub fn logging(format: LogFormat) {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info,sqlx=warn,hyper=warn"));
    let builder = tracing_subscriber::fmt().with_env_filter(filter).with_writer(std::io::stderr);
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
    let url = &args.database_url.0;
    let store = Store::connect(url, args.database_max_connections).await?;
    let now = formwork_store::Clock::system().now();
    let applied = store.migrate(now).await.with_context(|| {
        format!("cannot reach or migrate the database at {}", formwork_store::redact(url))
    })?;
    for name in &applied {
        tracing::info!(migration = %name, "applied a database migration");
    }
    Ok(store)
}

/// Storage and mail, as configured.
pub fn resources(args: &ResourceArgs) -> anyhow::Result<(Files, Mailer)> {
    let files = Files::from_url(&args.storage_url)?;
    let mailer =
        Mailer::from_config(args.smtp_url.as_ref().map(|s| s.0.as_str()), &args.mail_from, &args.mail_dir)?;
    Ok((files, mailer))
}

/// Resolves when the process is asked to stop (Ctrl-C or SIGTERM).
pub async fn stop_signal() {
    let interrupt = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = interrupt => {}
        () = terminate => {}
    }
}
