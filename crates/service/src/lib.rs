//! formwork's operations: what people do — sign in, invite colleagues, manage organisations and
//! people, publish collections — as plain async functions over the store. The pages, the JSON API
//! and the `formwork admin` commands are thin adapters over these, so each action behaves the same
//! whichever way it arrives.
//!
//! Every operation takes the [`Actor`] doing it and asks [`policy::check`] first: authorisation is
//! decided in that one place. Errors are [`ServiceError`]s, which the web edge maps to statuses.

pub mod accounts;
mod actor;
pub mod collections;
pub mod demo;
pub mod emails;
mod error;
pub mod exports;
pub mod fields;
pub mod idempotency;
pub mod invitations;
pub mod jobs;
pub mod lifecycle;
pub mod organisations;
pub mod passwords;
pub mod people;
pub mod policy;
pub mod queue;
pub mod records;
pub mod search;
pub mod submissions;
pub mod table_uploads;
pub mod tokens;
pub mod uploads;

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use formwork_definition::Definition;
use formwork_store::{Clock, Store, Tx};
use tokio::sync::Notify;

pub use actor::{Actor, Person, StaffRole};
pub use error::{Problem, ServiceError};

/// Results of operations.
pub type Result<T, E = ServiceError> = std::result::Result<T, E>;

/// Settings the operations need.
#[derive(Clone, Debug)]
pub struct Settings {
    /// The service's public address, for links in emails (no trailing slash).
    pub base_url: String,
    /// The service's name, in emails and page headers.
    pub service_name: String,
    /// A session ends after this long without a request (ms).
    pub session_idle: i64,
    /// A session ends this long after sign-in, however active (ms).
    pub session_max: i64,
    /// An invitation link works for this long (ms).
    pub invitation_lifetime: i64,
    /// A password reset link works for this long (ms).
    pub reset_lifetime: i64,
    /// The largest file an upload may be, in bytes (`MAX_UPLOAD_BYTES`).
    pub upload_max_bytes: u64,
    /// The most rows (records) an uploaded file may have (`MAX_UPLOAD_ROWS`).
    pub upload_max_rows: usize,
    /// An export from a page of more rows than this is prepared as a file by a job
    /// (`EXPORT_DIRECT_MAX_ROWS`); the API and the command line always stream.
    pub export_direct_max_rows: i64,
    /// How long an export prepared as a file may be downloaded, in hours (`EXPORT_KEEP_HOURS`).
    pub export_keep_hours: i64,
}

impl Default for Settings {
    fn default() -> Settings {
        const HOUR: i64 = 3_600_000;
        Settings {
            base_url: "http://127.0.0.1:8080".into(),
            service_name: "formwork".into(),
            session_idle: 2 * HOUR,
            session_max: 12 * HOUR,
            invitation_lifetime: 7 * 24 * HOUR,
            reset_lifetime: HOUR,
            upload_max_bytes: 200 * 1024 * 1024,
            upload_max_rows: 1_000_000,
            export_direct_max_rows: 100_000,
            export_keep_hours: 24,
        }
    }
}

/// Definitions by (collection, version).
type DefinitionCache = HashMap<(String, i64), Arc<Definition>>;

/// What every operation works with: the database, the time and the settings.
#[derive(Clone, Debug)]
pub struct App {
    /// The database: reached only through the operations of this crate.
    pub(crate) store: Store,
    /// The time.
    pub clock: Clock,
    /// The settings.
    pub settings: Arc<Settings>,
    /// Wakes this process's job worker after a job is enqueued (it also polls).
    wake: Option<Arc<Notify>>,
    /// Definitions already read, by collection and version (versions never change).
    definitions: Arc<Mutex<DefinitionCache>>,
    /// A search's counts per state, by selection, for its later pages (see [`search`]).
    counts: Arc<Mutex<search::CountsCache>>,
}

impl App {
    /// The operations over `store`.
    pub fn new(store: Store, clock: Clock, settings: Settings) -> App {
        App {
            store,
            clock,
            settings: Arc::new(settings),
            wake: None,
            definitions: Arc::default(),
            counts: Arc::default(),
        }
    }

    /// Wake `worker` whenever an operation enqueues a job.
    pub fn with_waker(mut self, worker: Arc<Notify>) -> App {
        self.wake = Some(worker);
        self
    }

    /// True when the database answers (`/readyz`).
    pub async fn database_answers(&self) -> bool {
        self.store.ping().await.is_ok()
    }

    /// Now, in milliseconds since 1970.
    pub fn now(&self) -> i64 {
        self.clock.now()
    }

    /// A link to `path` on this service.
    pub fn link(&self, path: &str) -> String {
        format!("{}{path}", self.settings.base_url.trim_end_matches('/'))
    }

    /// What wakes this process's job worker, if it has one.
    pub(crate) fn waker(&self) -> Option<Arc<Notify>> {
        self.wake.clone()
    }

    pub(crate) fn wake_worker(&self) {
        if let Some(wake) = &self.wake {
            wake.notify_one();
        }
    }

    pub(crate) async fn begin(&self) -> Result<Tx> {
        Ok(self.store.begin().await?)
    }
}

/// Commit a transaction.
pub(crate) async fn commit(tx: Tx) -> Result<()> {
    tx.commit().await.map_err(|e| ServiceError::from(formwork_store::StoreError::from(e)))
}
