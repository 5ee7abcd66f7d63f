//! The test app: the real router on a loopback port, with swappable parts — SQLite or
//! PostgreSQL, memory or S3-compatible storage, captured or SMTP email, a fixed clock, and jobs
//! run on demand — plus an HTTP client that keeps cookies like a browser.

pub mod client;
pub mod proxy;
pub mod s3;
pub mod smtp;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use formwork_files::Files;
use formwork_jobs::Worker;
use formwork_mail::{Email, Mailer};
use formwork_service::jobs::{self, JobContext};
use formwork_service::{Actor, App, Settings};
use formwork_store::testing::TestDatabase;
use formwork_store::{Backend, Clock, Store};
use formwork_web::{AppState, Config, OidcConfig};
use tokio::net::TcpListener;
use tokio::sync::oneshot;

pub use client::{Client, Reply};

/// 22 November 2026, 10:00 UTC.
pub const NOW: i64 = 1_795_341_600_000;

/// The password every seeded person has.
pub const PASSWORD: &str = "correct horse battery staple";

/// The example definitions.
pub const EXAMPLES: [&str; 3] = [
    include_str!("../../../../../examples/towns-fund-monitoring.yaml"),
    include_str!("../../../../../examples/lettings-log.yaml"),
    include_str!("../../../../../examples/single-audit.yaml"),
];

/// Where files go.
pub enum Storage {
    Memory,
    Files(Files),
}

/// Where emails go.
pub enum Mail {
    Memory,
    Smtp(String),
}

/// Builds a [`TestApp`].
pub struct Builder {
    backend: Backend,
    storage: Storage,
    mail: Mail,
    oidc: Option<OidcConfig>,
    listener: Option<TcpListener>,
    database_url: Option<String>,
    metrics_token: Option<String>,
    read_timeout: Duration,
    export_direct_max_rows: Option<i64>,
}

/// A running formwork.
pub struct TestApp {
    /// `http://127.0.0.1:PORT`.
    pub base: String,
    pub state: AppState,
    pub clock: Clock,
    /// Kept until the app is dropped (a PostgreSQL schema is removed then).
    _db: Option<TestDatabase>,
    /// The database, for tests to look at what was stored.
    store: Store,
    pub sent: Arc<Mutex<Vec<Email>>>,
    worker: Worker<JobContext>,
    stop: Option<oneshot::Sender<()>>,
}

/// Install the TLS provider reqwest and sqlx need (once per process).
pub fn tls() {
    let _ = rustls::crypto::ring::default_provider().install_default();
}

impl Builder {
    pub fn backend(mut self, backend: Backend) -> Builder {
        self.backend = backend;
        self
    }
    pub fn storage(mut self, storage: Storage) -> Builder {
        self.storage = storage;
        self
    }
    pub fn mail(mut self, mail: Mail) -> Builder {
        self.mail = mail;
        self
    }
    pub fn oidc(mut self, oidc: OidcConfig) -> Builder {
        self.oidc = Some(oidc);
        self
    }
    /// Serve on this listener (its port is known before the app starts).
    pub fn listener(mut self, listener: TcpListener) -> Builder {
        self.listener = Some(listener);
        self
    }
    /// Answer `/metrics` only to a scraper that sends this token.
    pub fn metrics_token(mut self, token: &str) -> Builder {
        self.metrics_token = Some(token.into());
        self
    }
    /// How long the server waits for a request's headers, and for each part of its body.
    pub fn read_timeout(mut self, timeout: Duration) -> Builder {
        self.read_timeout = timeout;
        self
    }
    /// Prepare an export from a page as a file by a job past this many rows (else it streams).
    pub fn export_direct_max_rows(mut self, rows: i64) -> Builder {
        self.export_direct_max_rows = Some(rows);
        self
    }
    /// Use this database URL instead of a fresh one (already migrated, or migrated here).
    pub fn database_url(mut self, url: String) -> Builder {
        self.database_url = Some(url);
        self
    }

    pub async fn start(self) -> TestApp {
        tls();
        let (db, store) = match self.database_url {
            Some(url) => {
                let store = Store::connect(&url, 8).await.unwrap();
                store.migrate(NOW).await.unwrap();
                (None, store)
            }
            None => {
                let db = TestDatabase::new(self.backend, NOW)
                    .await
                    .expect("the test database (PostgreSQL must be running: scripts/setup starts it)");
                let store = db.store.clone();
                (Some(db), store)
            }
        };
        let listener = match self.listener {
            Some(l) => l,
            None => TcpListener::bind("127.0.0.1:0").await.unwrap(),
        };
        let base = format!("http://{}", listener.local_addr().unwrap());
        let clock = Clock::fixed(NOW);
        let (mailer, sent) = match self.mail {
            Mail::Memory => Mailer::memory(),
            Mail::Smtp(url) => (
                Mailer::from_config(
                    Some(&url),
                    "formwork <no-reply@example.gov.uk>",
                    std::path::Path::new("."),
                )
                .unwrap(),
                Arc::default(),
            ),
        };
        let files = match self.storage {
            Storage::Memory => Files::from_url("memory://").unwrap(),
            Storage::Files(files) => files,
        };
        let defaults = Settings::default();
        let settings = Settings {
            base_url: base.clone(),
            service_name: "Submit a return".into(),
            upload_max_bytes: 5 * 1024 * 1024,
            export_direct_max_rows: self.export_direct_max_rows.unwrap_or(defaults.export_direct_max_rows),
            ..defaults
        };
        let app = App::new(store.clone(), clock.clone(), settings);
        // Without the hourly reminders: tests count the jobs their requests queue.
        let worker = jobs::worker_without_schedules(
            JobContext { app: app.clone(), files: files.clone(), mailer },
            "test-worker",
        );
        let config = Config {
            base_url: base.clone(),
            oidc: self.oidc,
            max_upload_bytes: 5 * 1024 * 1024,
            header_read_timeout: self.read_timeout,
            body_read_timeout: self.read_timeout,
            trust_forwarded_for: false,
            metrics_token: self.metrics_token,
            brand: formwork_web::Brand::Plain,
            organisation_name: Some("Department for Examples".into()),
        };
        let state = AppState::new(app, files, config);
        let (stop, stopped) = oneshot::channel::<()>();
        let serving = state.clone();
        tokio::spawn(async move {
            let _ = formwork_web::serve(listener, serving, async {
                let _ = stopped.await;
            })
            .await;
        });
        TestApp { base, state, clock, _db: db, store, sent, worker, stop: Some(stop) }
    }
}

impl TestApp {
    pub fn builder() -> Builder {
        Builder {
            backend: Backend::Sqlite,
            storage: Storage::Memory,
            mail: Mail::Memory,
            oidc: None,
            listener: None,
            database_url: None,
            metrics_token: None,
            read_timeout: Duration::from_secs(10),
            export_direct_max_rows: None,
        }
    }

    /// A fresh app on `backend`, with defaults otherwise.
    pub async fn on(backend: Backend) -> TestApp {
        TestApp::builder().backend(backend).start().await
    }

    pub fn app(&self) -> &App {
        self.state.app()
    }

    /// The database itself, for a test to look at what was stored (the app reaches it only
    /// through the service).
    pub fn store(&self) -> &Store {
        &self.store
    }

    /// A client with no cookies.
    pub fn client(&self) -> Client {
        Client::new(&self.base)
    }

    /// Run every job that is due; how many ran.
    pub async fn run_jobs(&self) -> usize {
        self.worker.run_due().await.unwrap()
    }

    /// The emails sent so far (after running jobs).
    pub fn emails(&self) -> Vec<Email> {
        self.sent.lock().unwrap().clone()
    }

    /// The first link to this service in the last email to `to`.
    pub fn link_in_last_email_to(&self, to: &str) -> String {
        let emails = self.emails();
        let email = emails
            .iter()
            .rev()
            .find(|e| e.to == to)
            .unwrap_or_else(|| panic!("no email to {to}: {emails:?}"));
        let start = email.body.find(&self.base).expect("a link to the service");
        let link: String = email.body[start..].chars().take_while(|c| !c.is_whitespace()).collect();
        link.trim_start_matches(&self.base).to_string()
    }

    /// The examples published, two organisations (northshire: towns fund and single audit;
    /// southvale: towns fund) and one person per role, all with [`PASSWORD`]:
    /// `admin@`, `reviewer@`, `analyst@staff.test`; `org-admin@`, `editor@`, `certifier@`
    /// `{own}.test`; `org-admin@`, `editor@{other}.test`; `nobody@none.test` with no roles.
    pub async fn seed(&self) {
        let app = self.app();
        let system = Actor::System;
        for source in EXAMPLES {
            formwork_service::collections::publish(app, &system, source.as_bytes()).await.unwrap();
        }
        use formwork_service::organisations::{OrganisationInput, add_member, create};
        use formwork_service::people::{NewPerson, create as create_person};
        for (slug, name) in
            [("northshire", "Northshire County Council"), ("southvale", "Southvale District Council")]
        {
            create(
                app,
                &system,
                &OrganisationInput { name: name.into(), slug: Some(slug.into()), ..Default::default() },
            )
            .await
            .unwrap();
        }
        for (collection, org) in [
            ("towns-fund-monitoring", "northshire"),
            ("single-audit", "northshire"),
            ("towns-fund-monitoring", "southvale"),
        ] {
            formwork_service::collections::assign(app, &system, collection, org).await.unwrap();
        }
        let person = |email: &str, staff: Option<&str>| NewPerson {
            email: email.into(),
            name: Some(format!("Test {}", email.split('@').next().unwrap_or(""))),
            password: Some(PASSWORD.into()),
            staff_role: staff.map(str::to_string),
        };
        for staff in ["admin", "reviewer", "analyst"] {
            create_person(app, &system, &person(&format!("{staff}@staff.test"), Some(staff))).await.unwrap();
        }
        for (email, org, roles) in [
            ("org-admin@northshire.test", "northshire", vec!["org_admin".to_string()]),
            ("editor@northshire.test", "northshire", vec!["editor".to_string()]),
            ("certifier@northshire.test", "northshire", vec!["certifier".to_string()]),
            ("org-admin@southvale.test", "southvale", vec!["org_admin".to_string()]),
            ("editor@southvale.test", "southvale", vec!["editor".to_string()]),
        ] {
            create_person(app, &system, &person(email, None)).await.unwrap();
            add_member(app, &system, org, email, &roles).await.unwrap();
        }
        create_person(app, &system, &person("nobody@none.test", None)).await.unwrap();
    }

    /// A client signed in as `email` (with [`PASSWORD`]).
    pub async fn signed_in(&self, email: &str) -> Client {
        let client = self.client();
        let reply = client.sign_in(email, PASSWORD).await;
        assert_eq!(reply.status, 303, "signing in as {email}: {}", reply.text);
        client
    }

    /// An API token for `email`.
    pub async fn token(&self, email: &str) -> String {
        formwork_service::tokens::create_for(self.app(), &Actor::System, email, "test").await.unwrap().1
    }
}

impl Drop for TestApp {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }
}

/// Run `test` on an app on SQLite, then on one on PostgreSQL.
pub async fn on_both<F, Fut>(test: F)
where
    F: Fn(TestApp) -> Fut,
    Fut: Future<Output = ()>,
{
    for backend in [Backend::Sqlite, Backend::Postgres] {
        test(TestApp::on(backend).await).await;
    }
}

/// One caller of the API, by its token.
pub struct Caller<'a> {
    pub client: &'a Client,
    pub auth: String,
}

impl Caller<'_> {
    pub async fn call(
        &self,
        method: reqwest::Method,
        path: &str,
        headers: &[(&str, &str)],
        body: Option<(Vec<u8>, &str)>,
    ) -> Reply {
        let mut all = vec![("authorization", self.auth.as_str())];
        all.extend_from_slice(headers);
        self.client.send(method, path, &all, body).await
    }

    pub async fn get(&self, path: &str) -> Reply {
        self.call(reqwest::Method::GET, path, &[], None).await
    }

    pub async fn json(
        &self,
        method: reqwest::Method,
        path: &str,
        headers: &[(&str, &str)],
        body: &serde_json::Value,
    ) -> Reply {
        self.call(method, path, headers, Some((body.to_string().into_bytes(), "application/json"))).await
    }

    /// PATCH a return from the revision read now.
    pub async fn patch(&self, id: &str, body: &serde_json::Value) -> Reply {
        let etag = self.get(&format!("/api/v1/submissions/{id}")).await.header("etag");
        self.json(reqwest::Method::PATCH, &format!("/api/v1/submissions/{id}"), &[("if-match", &etag)], body)
            .await
    }
}

/// A caller with an API token of `email`'s.
pub async fn caller<'a>(app: &TestApp, client: &'a Client, email: &str) -> Caller<'a> {
    Caller { client, auth: format!("Bearer {}", app.token(email).await) }
}
