//! The errors of operations.
//!
//! The error policy of formwork, layer by layer:
//! - `formwork-definition`, `formwork-tabular`: validation problems are *items* from the catalogue
//!   (DESIGN §4), never errors; a file or definition that cannot be read is a `thiserror` enum.
//! - `formwork-store`, `formwork-files`, `formwork-mail`, `formwork-jobs`: `thiserror` enums that
//!   keep the underlying error (sqlx's, object_store's, lettre's) as their `source`, and whose own
//!   messages are formwork's. A database's wording is never part of a message, only of a source.
//! - `formwork-service` ([`ServiceError`], here): what an operation tells the person. Every message
//!   of a variant carrying a `String` is a sentence formwork wrote for them. Faults (`Unavailable`,
//!   `Internal`) keep their cause as a source, for the log, and show people only a fixed sentence.
//!   A constraint the database enforces arrives as a conflict or absence and leaves here as a 409 /
//!   404 / 422 sentence; an operation that knows which constraint it can break says so precisely.
//! - `formwork-web`: one `AppError` maps each variant to one status, renders the GOV.UK page or
//!   the JSON body, and logs faults once, with their sources and the request id.
//! - The binary: `anyhow`, exit status 2 for faults.

use formwork_definition::Diagnostic;
use formwork_store::StoreError;
use serde::Serialize;

/// A problem with one field of what someone sent, worded for them (GOV.UK style).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Problem {
    /// The field, as named in the form and the API (`email`, `roles`).
    #[serde(rename = "path")]
    pub field: String,
    /// What kind of problem, from the catalogue's codes (`required`, `type`, `length`, `choice`).
    pub code: &'static str,
    /// What is wrong and how to put it right.
    pub message: String,
}

impl Problem {
    /// A problem with `field`.
    pub fn new(field: &str, code: &'static str, message: impl Into<String>) -> Problem {
        Problem { field: field.into(), code, message: message.into() }
    }
}

/// Why an operation did not happen.
#[derive(Debug, thiserror::Error)]
pub enum ServiceError {
    /// Nobody is signed in.
    #[error("Sign in to continue")]
    SignInRequired,
    /// The person may see this but not do it.
    #[error("{0}")]
    Forbidden(String),
    /// It does not exist — or the person may not know it exists.
    #[error("{0}")]
    NotFound(String),
    /// What was sent has problems; nothing was changed.
    #[error("{}", .0.first().map_or("What you sent has problems", |p| p.message.as_str()))]
    Invalid(Vec<Problem>),
    /// It conflicts with what is stored (a duplicate, a used link, a stale version).
    #[error("{0}")]
    Conflict(String),
    /// A change made from an older revision of a return or a record: nothing was stored. Says what
    /// the others changed since, so the person can redo their change on top.
    #[error("Somebody else changed this {} after you opened it: nothing you sent was saved yet", .0.noun)]
    Stale(Box<crate::submissions::Stale>),
    /// Too many attempts: wait and try again.
    #[error("{0}")]
    TooManyAttempts(String),
    /// A definition with problems: nothing was published.
    #[error("The definition has {} problem{}; nothing was published", .diagnostics.len(), if .diagnostics.len() == 1 { "" } else { "s" })]
    DefinitionRefused {
        /// The problems.
        diagnostics: Vec<Diagnostic>,
        /// The problems as `formwork check` prints them, with lines of the file.
        rendered: String,
    },
    /// The database or storage cannot be reached now; the cause is for the log.
    #[error("the service is unavailable")]
    Unavailable(#[source] BoxError),
    /// Anything else: a fault of ours, logged where it is handled, never shown in detail.
    #[error("an internal error")]
    Internal(#[source] BoxError),
}

/// The cause of a fault, kept for the log.
pub type BoxError = Box<dyn std::error::Error + Send + Sync>;

impl ServiceError {
    /// One problem with one field.
    pub fn invalid(field: &str, code: &'static str, message: impl Into<String>) -> ServiceError {
        ServiceError::Invalid(vec![Problem::new(field, code, message)])
    }

    /// A fault of ours, caused by `e` (an error, or a sentence for the log).
    pub fn internal(e: impl Into<BoxError>) -> ServiceError {
        ServiceError::Internal(e.into())
    }

    /// What went wrong and why, with every source: for the log only, never for a person.
    pub fn log_text(&self) -> String {
        let mut text = self.to_string();
        let mut source = std::error::Error::source(self);
        while let Some(s) = source {
            text.push_str(": ");
            text.push_str(&s.to_string());
            source = s.source();
        }
        text
    }
}

impl From<StoreError> for ServiceError {
    fn from(e: StoreError) -> ServiceError {
        match e {
            // Formwork's sentence: the repository's, or the store's for a constraint it enforced.
            StoreError::NotFound { what, .. } => ServiceError::NotFound(what),
            StoreError::Conflict { what, .. } => ServiceError::Conflict(what),
            StoreError::Unavailable(_) => ServiceError::Unavailable(Box::new(e)),
            StoreError::Config(_)
            | StoreError::Encode(_)
            | StoreError::Database(_)
            | StoreError::Sqlite(_) => ServiceError::Internal(Box::new(e)),
        }
    }
}
