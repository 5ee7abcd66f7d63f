//! Errors of the export writers.
//!
//! Error policy: one `thiserror` enum for the crate. A value that does not fit its column is
//! never an error (it is written as text, or null in Parquet); errors are kept for what stops an
//! export: versions that are not one collection's, a table or version the plan does not know,
//! answers that are not JSON at all, and failures of the machine (I/O, zip, Parquet). The caller
//! logs them once where it handles them.

/// Why an export could not be planned or written.
#[derive(Debug, thiserror::Error)]
pub enum ExportError {
    /// [`Plan::new`](crate::Plan::new) was given no definition.
    #[error("an export needs at least one version of the collection's definition")]
    NoVersions,
    /// The definitions given to the plan are not all of one collection.
    #[error("the definitions are of different collections: “{0}” and “{1}”")]
    MixedCollections(String, String),
    /// The same version was given twice.
    #[error("version {0} of the definition was given twice")]
    DuplicateVersion(u32),
    /// [`Options::table`](crate::Options::table) names no table of the collection.
    #[error("the collection has no table “{0}”")]
    UnknownTable(String),
    /// A submission or record is of a version the plan was not made with.
    #[error("{id} is of version {version} of the definition, which the export was not planned with")]
    UnknownVersion {
        /// The submission's or record's id.
        id: String,
        /// Its version.
        version: u32,
    },
    /// A submission's or record's stored answers are not a JSON object.
    #[error("the answers of {id} are not a JSON object: {message}")]
    Answers {
        /// The submission's or record's id.
        id: String,
        /// What the JSON parser said.
        message: String,
    },
    /// Writing failed.
    #[error("writing the export failed: {0}")]
    Io(#[from] std::io::Error),
    /// Writing a zip archive failed.
    #[error("writing the zip archive failed: {0}")]
    Zip(#[from] zip::result::ZipError),
    /// Writing Parquet failed.
    #[error("writing Parquet failed: {0}")]
    Parquet(#[from] parquet::errors::ParquetError),
}
