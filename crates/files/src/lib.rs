//! formwork's file storage, chosen by `STORAGE_URL`: `file://data/files` (the embedded default), an
//! S3-compatible bucket (`s3://bucket/prefix`, with the standard AWS variables, including
//! `AWS_ENDPOINT_URL` for other S3-compatible stores), or `memory://` (tests, demos). Uploads and
//! attachments are kept here; the database keeps only their keys.
//!
//! Files of any size are stored and read as streams ([`Files::put_stream`], [`Files::get_stream`]):
//! a large file goes up in parts (an S3 multipart upload) and is never held whole in memory.

mod stream;

use std::sync::Arc;

use object_store::aws::AmazonS3Builder;
use object_store::local::LocalFileSystem;
use object_store::memory::InMemory;
use object_store::path::Path;
use object_store::{ObjectStore, ObjectStoreExt, PutPayload};

pub use stream::{Download, Stored};

/// An error from whatever a file being stored was read from.
pub type ReadError = Box<dyn std::error::Error + Send + Sync>;

/// What went wrong with storage.
#[derive(Debug, thiserror::Error)]
pub enum FilesError {
    /// `STORAGE_URL` cannot be used.
    #[error("{message}")]
    Config {
        /// What is wrong, naming the setting.
        message: String,
        /// The underlying error, if there is one.
        #[source]
        source: Option<ReadError>,
    },
    /// No file has this key.
    #[error("no stored file “{0}”")]
    NotFound(String),
    /// The store cannot be reached or refused; trying again may work.
    #[error("storage is unavailable")]
    Unavailable(#[source] object_store::Error),
    /// A file being stored was larger than its limit; nothing was stored.
    #[error("the file is larger than {limit} bytes")]
    TooLarge {
        /// The limit, in bytes.
        limit: u64,
    },
    /// A file being stored could not be read to its end; nothing was stored.
    #[error("the file being stored could not be read")]
    Read(#[source] ReadError),
}

impl FilesError {
    fn config(message: String, source: impl Into<ReadError>) -> FilesError {
        FilesError::Config { message, source: Some(source.into()) }
    }

    /// The error for `key` from the object store: its absence, or the store unavailable.
    fn from_store(key: &str, e: object_store::Error) -> FilesError {
        match e {
            object_store::Error::NotFound { .. } => FilesError::NotFound(key.to_string()),
            other => FilesError::Unavailable(other),
        }
    }
}

/// Where files are kept.
#[derive(Clone, Debug)]
pub struct Files {
    store: Arc<dyn ObjectStore>,
    prefix: Path,
    description: String,
}

impl Files {
    /// Storage from a URL: `file://DIR`, `s3://BUCKET[/PREFIX]` or `memory://`.
    pub fn from_url(url: &str) -> Result<Files, FilesError> {
        if let Some(dir) = url.strip_prefix("file://") {
            std::fs::create_dir_all(dir)
                .map_err(|e| FilesError::config(format!("STORAGE_URL: cannot create {dir}"), e))?;
            let store = LocalFileSystem::new_with_prefix(dir)
                .map_err(|e| FilesError::config(format!("STORAGE_URL: cannot use {dir}"), e))?;
            return Ok(Files {
                store: Arc::new(store),
                prefix: Path::from(""),
                description: format!("the directory {dir}"),
            });
        }
        if url == "memory://" || url == "memory:" {
            return Ok(Files {
                store: Arc::new(InMemory::new()),
                prefix: Path::from(""),
                description: "memory".into(),
            });
        }
        if let Some(rest) = url.strip_prefix("s3://") {
            let (bucket, prefix) = rest.split_once('/').unwrap_or((rest, ""));
            if bucket.is_empty() {
                return Err(FilesError::Config {
                    message: "STORAGE_URL: s3:// needs a bucket, e.g. s3://formwork-files/production".into(),
                    source: None,
                });
            }
            let mut builder = AmazonS3Builder::from_env().with_bucket_name(bucket);
            // An S3-compatible store on plain HTTP (MinIO, s3s, moto in tests).
            if std::env::var("AWS_ENDPOINT_URL")
                .or_else(|_| std::env::var("AWS_ENDPOINT"))
                .is_ok_and(|e| e.starts_with("http://"))
            {
                builder = builder.with_allow_http(true);
            }
            let store = builder
                .build()
                .map_err(|e| FilesError::config(format!("STORAGE_URL {url} cannot be used"), e))?;
            return Ok(Files {
                store: Arc::new(store),
                prefix: Path::from(prefix.trim_matches('/')),
                description: format!("the bucket {bucket}"),
            });
        }
        Err(FilesError::Config {
            message: format!("STORAGE_URL must start with file://, s3:// or memory://, but it is “{url}”"),
            source: None,
        })
    }

    /// An S3-compatible bucket at an explicit endpoint (tests against a local S3 server).
    pub fn s3_at(
        endpoint: &str,
        bucket: &str,
        prefix: &str,
        access_key: &str,
        secret_key: &str,
    ) -> Result<Files, FilesError> {
        let store = AmazonS3Builder::new()
            .with_endpoint(endpoint)
            .with_allow_http(endpoint.starts_with("http://"))
            .with_bucket_name(bucket)
            .with_region("us-east-1")
            .with_access_key_id(access_key)
            .with_secret_access_key(secret_key)
            .build()
            .map_err(|e| {
                FilesError::config(format!("the bucket {bucket} at {endpoint} cannot be used"), e)
            })?;
        Ok(Files {
            store: Arc::new(store),
            prefix: Path::from(prefix),
            description: format!("the bucket {bucket} at {endpoint}"),
        })
    }

    /// What this store is, for logs.
    pub fn describe(&self) -> &str {
        &self.description
    }

    fn path(&self, key: &str) -> Path {
        let key = Path::from(key);
        if self.prefix.is_root() {
            key
        } else {
            key.parts().fold(self.prefix.clone(), |path, part| path.join(part))
        }
    }

    /// Store bytes under `key` (replacing any).
    pub async fn put(&self, key: &str, bytes: Vec<u8>) -> Result<(), FilesError> {
        self.store
            .put(&self.path(key), PutPayload::from(bytes))
            .await
            .map_err(|e| FilesError::from_store(key, e))?;
        Ok(())
    }

    /// The bytes stored under `key`, whole; [`Files::get_stream`] for a file that may be large.
    pub async fn get(&self, key: &str) -> Result<Vec<u8>, FilesError> {
        let fail = |e| FilesError::from_store(key, e);
        let result = self.store.get(&self.path(key)).await.map_err(fail)?;
        Ok(result.bytes().await.map_err(fail)?.to_vec())
    }

    /// Remove `key` (it is not an error if it is not there).
    pub async fn delete(&self, key: &str) -> Result<(), FilesError> {
        match self.store.delete(&self.path(key)).await {
            Ok(()) | Err(object_store::Error::NotFound { .. }) => Ok(()),
            Err(e) => Err(FilesError::Unavailable(e)),
        }
    }

    /// True when the store answers (for `/readyz`): a small marker is written and read back.
    pub async fn ping(&self) -> Result<(), FilesError> {
        self.put(".formwork-ready", b"ok".to_vec()).await?;
        self.get(".formwork-ready").await.map(|_| ())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    async fn round_trip(files: &Files) {
        files.put("uploads/a/report.pdf", b"%PDF-1.7".to_vec()).await.unwrap();
        assert_eq!(files.get("uploads/a/report.pdf").await.unwrap(), b"%PDF-1.7");
        files.delete("uploads/a/report.pdf").await.unwrap();
        files.delete("uploads/a/report.pdf").await.unwrap();
        assert!(matches!(files.get("uploads/a/report.pdf").await, Err(FilesError::NotFound(_))));
        files.ping().await.unwrap();
    }

    #[tokio::test]
    async fn local_directory_and_memory_keep_files() {
        let dir = tempfile::tempdir().unwrap();
        round_trip(&Files::from_url(&format!("file://{}", dir.path().join("files").display())).unwrap())
            .await;
        assert!(dir.path().join("files/.formwork-ready").exists());
        round_trip(&Files::from_url("memory://").unwrap()).await;
        assert!(matches!(Files::from_url("ftp://x"), Err(FilesError::Config { .. })));
        assert!(matches!(Files::from_url("s3://"), Err(FilesError::Config { .. })));
    }
}
