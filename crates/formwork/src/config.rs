//! The service's configuration: every setting an environment variable (and a flag), read once at
//! start-up by clap, with embedded defaults that run everything on one machine. Secrets never
//! appear in `Debug` output or logs.

use std::net::SocketAddr;
use std::path::PathBuf;

use anyhow::bail;
use clap::{Args, ValueEnum};

/// A secret setting: its value is never printed.
#[derive(Clone)]
pub struct Secret(pub String);

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("\"***\"")
    }
}

impl std::str::FromStr for Secret {
    type Err = std::convert::Infallible;
    fn from_str(s: &str) -> Result<Secret, Self::Err> {
        Ok(Secret(s.to_string()))
    }
}

/// A database URL: its password is never printed.
#[derive(Clone)]
pub struct DatabaseUrl(pub String);

impl std::fmt::Debug for DatabaseUrl {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:?}", formwork_store::redact(&self.0))
    }
}

impl std::str::FromStr for DatabaseUrl {
    type Err = std::convert::Infallible;
    fn from_str(s: &str) -> Result<DatabaseUrl, Self::Err> {
        Ok(DatabaseUrl(s.to_string()))
    }
}

/// How logs are written.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum LogFormat {
    /// Lines for people.
    Text,
    /// One JSON object per line, for log collectors.
    Json,
}

/// What the pages' header shows.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum Brand {
    /// The public body's name (`ORGANISATION_NAME`) and the service's name, with no crown.
    Plain,
    /// The GOV.UK crown and logotype: only for services on GOV.UK.
    Govuk,
}

impl From<Brand> for formwork_web::Brand {
    fn from(brand: Brand) -> formwork_web::Brand {
        match brand {
            Brand::Plain => formwork_web::Brand::Plain,
            Brand::Govuk => formwork_web::Brand::Govuk,
        }
    }
}

/// Where the data is.
#[derive(Args, Clone, Debug)]
pub struct DatabaseArgs {
    /// The database: `sqlite://PATH` (created on first start) or `postgres://USER:PASSWORD@HOST/DB`.
    /// What a `postgres://` URL leaves out comes from the standard `PGHOST`, `PGPORT`, `PGUSER`,
    /// `PGPASSWORD`, `PGDATABASE` and `PGSSLMODE` variables.
    #[arg(long, env = "DATABASE_URL", default_value = "sqlite://data/formwork.db", hide_env_values = true)]
    pub database_url: DatabaseUrl,
    /// The PostgreSQL password, when `DATABASE_URL` has none: set into it, so that the password can
    /// come from a secrets store on its own.
    #[arg(long, env = "DATABASE_PASSWORD", hide_env_values = true)]
    pub database_password: Option<Secret>,
    /// The most connections to hold open to the database.
    #[arg(long, env = "DATABASE_MAX_CONNECTIONS", default_value_t = 10)]
    pub database_max_connections: u32,
    /// How logs are written: text or json. The level comes from `RUST_LOG` (default `info`).
    #[arg(long, env = "LOG_FORMAT", value_enum, default_value_t = LogFormat::Text)]
    pub log_format: LogFormat,
}

impl DatabaseArgs {
    /// The URL to connect to: `DATABASE_URL`, with `DATABASE_PASSWORD` set into it when given.
    pub fn url(&self) -> anyhow::Result<String> {
        match &self.database_password {
            Some(password) => with_password(&self.database_url.0, &password.0),
            None => Ok(self.database_url.0.clone()),
        }
    }
}

/// `url` (a `postgres://` URL without a password) with `password` set into it, percent-encoded:
/// as its user information, or as its `password` parameter when it names no host (the host then
/// comes from `PGHOST`, and a URL without a host cannot carry user information).
fn with_password(url: &str, password: &str) -> anyhow::Result<String> {
    let shown = formwork_store::redact(url);
    if !(url.starts_with("postgres://") || url.starts_with("postgresql://")) {
        bail!(
            "DATABASE_PASSWORD is set, but DATABASE_URL is not a postgres:// URL (“{shown}”): the \
             password is only for PostgreSQL"
        );
    }
    let mut parsed =
        url::Url::parse(url).map_err(|e| anyhow::anyhow!("DATABASE_URL is not a URL ({e}): “{shown}”"))?;
    if parsed.password().is_some() || parsed.query_pairs().any(|(key, _)| key == "password") {
        bail!(
            "DATABASE_URL has a password and DATABASE_PASSWORD is set too: give the password in one \
             of them"
        );
    }
    if parsed.has_host() {
        parsed
            .set_password(Some(&percent_encode(password)))
            .map_err(|()| anyhow::anyhow!("DATABASE_URL cannot take a password: “{shown}”"))?;
    } else {
        parsed.query_pairs_mut().append_pair("password", password);
    }
    Ok(parsed.into())
}

/// `text` with every byte but letters, digits and `-._~` percent-encoded, so that it reads back
/// as itself from any part of a URL (a `%` in a password too).
fn percent_encode(text: &str) -> String {
    let mut encoded = String::with_capacity(text.len());
    for byte in text.bytes() {
        if byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'.' | b'_' | b'~') {
            encoded.push(char::from(byte));
        } else {
            encoded.push_str(&format!("%{byte:02X}"));
        }
    }
    encoded
}

/// Where emails and files go.
#[derive(Args, Clone, Debug)]
pub struct ResourceArgs {
    /// Where uploads and attachments are kept: `file://DIR`, `s3://BUCKET/PREFIX` (with the
    /// standard AWS variables; `AWS_ENDPOINT_URL` for another S3-compatible store) or `memory://`.
    #[arg(long, env = "STORAGE_URL", default_value = "file://data/files")]
    pub storage_url: String,
    /// The SMTP server, e.g. `smtp://USER:PASSWORD@HOST:587?tls=required` or `smtps://…`. Unset:
    /// emails are written as files to `MAIL_DIR`.
    #[arg(long, env = "SMTP_URL", hide_env_values = true)]
    pub smtp_url: Option<Secret>,
    /// The sender of emails.
    #[arg(long, env = "MAIL_FROM", default_value = "formwork <no-reply@formwork.invalid>")]
    pub mail_from: String,
    /// Where emails are written when there is no `SMTP_URL`.
    #[arg(long, env = "MAIL_DIR", default_value = "data/mail")]
    pub mail_dir: PathBuf,
}

/// `formwork serve`.
#[derive(Args, Clone, Debug)]
pub struct ServeArgs {
    #[command(flatten)]
    pub database: DatabaseArgs,
    #[command(flatten)]
    pub resources: ResourceArgs,
    /// The address to listen on.
    #[arg(long, env = "BIND", default_value = "127.0.0.1:8080")]
    pub bind: SocketAddr,
    /// The address people reach the service at, for links in emails and the sign-in callback,
    /// e.g. `https://returns.example.gov.uk`. Under https, cookies are Secure and HSTS is sent.
    /// Default: http:// and the `BIND` address.
    #[arg(long, env = "BASE_URL")]
    pub base_url: Option<String>,
    /// The service's name, in page headers and emails.
    #[arg(long, env = "SERVICE_NAME", default_value = "formwork")]
    pub service_name: String,
    /// The pages' header: `plain` (the public body's and the service's names) or `govuk` (the
    /// GOV.UK crown and logotype, which only services on GOV.UK may show).
    #[arg(long, env = "BRAND", value_enum, default_value_t = Brand::Plain)]
    pub brand: Brand,
    /// The public body that runs the service, e.g. `Northshire County Council`: named in the
    /// plain header and the footer's copyright line.
    #[arg(long, env = "ORGANISATION_NAME")]
    pub organisation_name: Option<String>,
    /// The OpenID Connect provider's issuer URL, e.g. `https://login.microsoftonline.com/TENANT/v2.0`.
    /// Set with `OIDC_CLIENT_ID` and `OIDC_CLIENT_SECRET` to offer sign-in through it.
    #[arg(long, env = "OIDC_ISSUER")]
    pub oidc_issuer: Option<String>,
    /// formwork's client (application) id at the provider.
    #[arg(long, env = "OIDC_CLIENT_ID")]
    pub oidc_client_id: Option<String>,
    /// formwork's client secret at the provider.
    #[arg(long, env = "OIDC_CLIENT_SECRET", hide_env_values = true)]
    pub oidc_client_secret: Option<Secret>,
    /// Trust the provider's `email` claim without `email_verified` (Microsoft Entra ID does not
    /// send it). Only for a provider whose administrators control people's addresses.
    #[arg(long, env = "OIDC_ASSUME_EMAIL_VERIFIED", default_value_t = false)]
    pub oidc_assume_email_verified: bool,
    #[command(flatten)]
    pub uploads: UploadArgs,
    #[command(flatten)]
    pub exports: ExportArgs,
    /// The longest a client may take to send a request's headers, in seconds; its connection is
    /// then closed.
    #[arg(long, env = "HEADER_READ_TIMEOUT_SECONDS", default_value_t = 30)]
    pub header_read_timeout_seconds: u64,
    /// The longest to wait for the next part of a request's body, in seconds; the request is then
    /// answered 408 and its connection closed.
    #[arg(long, env = "BODY_READ_TIMEOUT_SECONDS", default_value_t = 60)]
    pub body_read_timeout_seconds: u64,
    /// Take clients' addresses from `X-Forwarded-For` (set behind a load balancer that adds it).
    #[arg(long, env = "TRUST_FORWARDED_FOR", default_value_t = false)]
    pub trust_forwarded_for: bool,
    /// A secret the Prometheus scraper sends as `Authorization: Bearer` to read `/metrics`; without
    /// it `/metrics` is open, so keep it off the public network.
    #[arg(long, env = "METRICS_TOKEN", hide_env_values = true)]
    pub metrics_token: Option<Secret>,
    /// Do not run the job worker in this process (run `formwork worker` separately).
    #[arg(long, env = "NO_WORKER", default_value_t = false)]
    pub no_worker: bool,
    /// Load the example collections, demo organisations and one demo person per role, and print
    /// how to sign in as each.
    #[arg(long)]
    pub demo: bool,
}

impl ServeArgs {
    /// The public address.
    pub fn base_url(&self) -> String {
        self.base_url
            .clone()
            .unwrap_or_else(|| format!("http://{}", self.bind))
            .trim_end_matches('/')
            .to_string()
    }

    /// Settings that make no sense together, named by their variables.
    pub fn check(&self) -> anyhow::Result<()> {
        let base = self.base_url();
        if !(base.starts_with("http://") || base.starts_with("https://")) {
            bail!("BASE_URL must start with http:// or https://, but it is “{base}”");
        }
        let oidc =
            [self.oidc_issuer.is_some(), self.oidc_client_id.is_some(), self.oidc_client_secret.is_some()];
        if oidc.iter().any(|set| *set) && !oidc.iter().all(|set| *set) {
            bail!(
                "OIDC_ISSUER, OIDC_CLIENT_ID and OIDC_CLIENT_SECRET must be set together (or none of them)"
            );
        }
        if let Some(issuer) = &self.oidc_issuer
            && !(issuer.starts_with("https://")
                || issuer.starts_with("http://127.0.0.1")
                || issuer.starts_with("http://localhost"))
        {
            bail!("OIDC_ISSUER must be an https:// URL, but it is “{issuer}”");
        }
        if self.uploads.max_upload_bytes < 1024 {
            bail!("MAX_UPLOAD_BYTES must be at least 1024");
        }
        if self.header_read_timeout_seconds == 0 || self.body_read_timeout_seconds == 0 {
            bail!("HEADER_READ_TIMEOUT_SECONDS and BODY_READ_TIMEOUT_SECONDS must be at least 1");
        }
        if let Some(token) = &self.metrics_token
            && token.0.len() < 16
        {
            bail!("METRICS_TOKEN must be at least 16 characters, so that it cannot be guessed");
        }
        Ok(())
    }
}

/// `formwork worker`.
#[derive(Args, Clone, Debug)]
pub struct WorkerArgs {
    #[command(flatten)]
    pub database: DatabaseArgs,
    #[command(flatten)]
    pub resources: ResourceArgs,
    /// Run the jobs that are due, then stop (instead of running until stopped).
    #[arg(long)]
    pub once: bool,
    /// The address people reach the web service at, for links in the emails jobs send (the same
    /// `BASE_URL` as `serve`'s), e.g. `https://returns.example.gov.uk`.
    #[arg(long, env = "BASE_URL", default_value = "http://127.0.0.1:8080")]
    pub base_url: String,
    /// The service's name, in emails (the same `SERVICE_NAME` as `serve`'s).
    #[arg(long, env = "SERVICE_NAME", default_value = "formwork")]
    pub service_name: String,
    #[command(flatten)]
    pub uploads: UploadArgs,
    #[command(flatten)]
    pub exports: ExportArgs,
    /// How long a worker holds a job it took without renewing its claim, in seconds: a job whose
    /// worker died is taken over after this long. The claim is renewed every third of it while the
    /// job runs.
    #[arg(long, env = "JOB_LEASE_SECONDS", default_value_t = 60)]
    pub job_lease_seconds: u64,
}

/// Limits on uploaded files, shared by `serve` (which receives them) and `worker` (which checks
/// them).
#[derive(Debug, Clone, Args)]
pub struct UploadArgs {
    /// The largest request body accepted, and so the largest file that can be uploaded, in bytes.
    #[arg(long, env = "MAX_UPLOAD_BYTES", default_value_t = 50 * 1024 * 1024)]
    pub max_upload_bytes: usize,
    /// The most rows (records, or a table's rows) an uploaded file may have.
    #[arg(long, env = "MAX_UPLOAD_ROWS", default_value_t = 1_000_000)]
    pub max_upload_rows: usize,
}

/// How exports run, shared by `serve` (which streams them and queues the large ones) and `worker`
/// (which writes those and removes them when they expire).
#[derive(Debug, Clone, Args)]
pub struct ExportArgs {
    /// An export from a page of more rows than this is prepared as a file by a job, with its
    /// progress on a page, instead of downloading at once (the API and `formwork export` always
    /// stream).
    #[arg(long, env = "EXPORT_DIRECT_MAX_ROWS", default_value_t = 100_000)]
    pub export_direct_max_rows: i64,
    /// How long an export prepared as a file may be downloaded (by the person who asked), in
    /// hours; then its file is removed.
    #[arg(long, env = "EXPORT_KEEP_HOURS", default_value_t = 24)]
    pub export_keep_hours: i64,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_are_not_printed() {
        assert_eq!(format!("{:?}", Secret("hunter2".into())), "\"***\"");
        assert_eq!(
            format!("{:?}", DatabaseUrl("postgres://u:hunter2@db/f".into())),
            "\"postgres://u:***@db/f\""
        );
    }

    /// The password in a composed URL, decoded as sqlx decodes it.
    fn password_in(url: &str) -> String {
        let parsed = url::Url::parse(url).unwrap();
        let encoded = parsed.password().unwrap();
        url::form_urlencoded::parse(format!("p={encoded}").as_bytes()).next().unwrap().1.into_owned()
    }

    #[test]
    fn database_password_is_set_into_the_url_percent_encoded() {
        let password = "p@ss:w/rd%41 + é?#&=";
        let url =
            with_password("postgres://formwork@db.example:5432/formwork?sslmode=require", password).unwrap();
        assert_eq!(
            url,
            "postgres://formwork:p%40ss%3Aw%2Frd%2541%20%2B%20%C3%A9%3F%23%26%3D@db.example:5432/formwork?sslmode=require"
        );
        assert_eq!(password_in(&url), password);
        assert_eq!(
            with_password("postgresql://formwork@db/formwork", "plain-Password_1.~").unwrap(),
            "postgresql://formwork:plain-Password_1.~@db/formwork"
        );
        // No user: the user comes from PGUSER.
        assert_eq!(with_password("postgres://db/formwork", "s").unwrap(), "postgres://:s@db/formwork");
    }

    #[test]
    fn a_url_without_a_host_takes_the_password_as_a_parameter() {
        // The host comes from PGHOST; a URL without a host cannot carry user information.
        let url = with_password("postgres://", "a b&c").unwrap();
        assert_eq!(url, "postgres://?password=a+b%26c");
        let url = with_password("postgres:///formwork?sslmode=verify-full", "x").unwrap();
        assert_eq!(url, "postgres:///formwork?sslmode=verify-full&password=x");
        assert!(!formwork_store::redact(&url).contains("password=x"), "{}", formwork_store::redact(&url));
    }

    #[test]
    fn database_password_is_refused_beside_another_password_or_sqlite() {
        for url in
            ["postgres://formwork:hunter2@db/formwork", "postgres://formwork@db/formwork?password=hunter2"]
        {
            let error = with_password(url, "other").unwrap_err().to_string();
            assert!(
                error.contains("DATABASE_URL has a password and DATABASE_PASSWORD is set too")
                    && !error.contains("hunter2"),
                "{error}"
            );
        }
        let error = with_password("sqlite://data/formwork.db", "other").unwrap_err().to_string();
        assert!(
            error.contains("DATABASE_PASSWORD is set, but DATABASE_URL is not a postgres:// URL"),
            "{error}"
        );
    }

    #[test]
    fn without_database_password_the_url_is_as_given() {
        let args = DatabaseArgs {
            database_url: DatabaseUrl("postgres://u:p%40ss@db/f".into()),
            database_password: None,
            database_max_connections: 1,
            log_format: LogFormat::Text,
        };
        assert_eq!(args.url().unwrap(), "postgres://u:p%40ss@db/f");
        assert_eq!(format!("{args:?}").matches("***").count(), 1, "{args:?}");
        let args = DatabaseArgs {
            database_url: DatabaseUrl("postgres://u@db/f".into()),
            database_password: Some(Secret("hunter2".into())),
            ..args
        };
        assert_eq!(args.url().unwrap(), "postgres://u:hunter2@db/f");
        assert!(!format!("{args:?}").contains("hunter2"));
    }
}
