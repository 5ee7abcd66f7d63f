//! The errors of operations. The web edge maps each variant to one status (and page or JSON
//! body); the messages here are written for the person who will read them.

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
    /// The database or storage cannot be reached now.
    #[error("{0}")]
    Unavailable(String),
    /// Anything else: a fault of ours, logged where it is handled, never shown in detail.
    #[error("{0}")]
    Internal(String),
}

impl ServiceError {
    /// One problem with one field.
    pub fn invalid(field: &str, code: &'static str, message: impl Into<String>) -> ServiceError {
        ServiceError::Invalid(vec![Problem::new(field, code, message)])
    }
}

impl From<StoreError> for ServiceError {
    fn from(e: StoreError) -> ServiceError {
        match e {
            StoreError::NotFound(m) => ServiceError::NotFound(m),
            StoreError::Conflict(m) => ServiceError::Conflict(m),
            StoreError::Unavailable(m) => ServiceError::Unavailable(m),
            StoreError::Config(m) | StoreError::Database(m) => ServiceError::Internal(m),
        }
    }
}
