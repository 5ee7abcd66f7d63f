//! Files stored and read as streams: never held whole in memory, their size and SHA-256 worked out
//! on the way in.

use std::pin::{Pin, pin};
use std::task::{Context, Poll};

use bytes::{Bytes, BytesMut};
use futures_util::stream::BoxStream;
use futures_util::{Stream, StreamExt as _};
use object_store::{ObjectStoreExt as _, PutPayload, WriteMultipart};
use sha2::{Digest as _, Sha256};
use tokio::io::{AsyncRead, AsyncReadExt as _};

use crate::{Files, FilesError, ReadError};

/// A file up to this size is stored in one request; a larger one in parts of this size (S3's
/// smallest part is 5 MiB, and a file may have 10,000 parts: 48 GiB).
pub(crate) const PART_SIZE: usize = 5 * 1024 * 1024;
/// How many parts may be on their way to the store while the next is read: memory stays under
/// (this + 1) × [`PART_SIZE`] per upload.
const PARTS_IN_FLIGHT: usize = 2;
/// How much is read from an [`AsyncRead`] at a time.
const READ_SIZE: usize = 64 * 1024;

/// What a streamed put stored.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Stored {
    /// The key it is stored under.
    pub key: String,
    /// Its size in bytes.
    pub size: u64,
    /// Its SHA-256, in lowercase hex.
    pub sha256: String,
}

/// A stored file being read: its size, and its bytes as they arrive. It is a [`Stream`], so it can
/// be an HTTP body as it is (`axum::body::Body::from_stream`).
pub struct Download {
    size: u64,
    bytes: BoxStream<'static, Result<Bytes, FilesError>>,
}

impl Download {
    /// The file's size in bytes (a `Content-Length`).
    pub fn size(&self) -> u64 {
        self.size
    }
}

impl std::fmt::Debug for Download {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Download").field("size", &self.size).finish_non_exhaustive()
    }
}

impl Stream for Download {
    type Item = Result<Bytes, FilesError>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        self.bytes.poll_next_unpin(cx)
    }
}

impl Files {
    /// Store what `body` yields under `key` (replacing any), without holding it whole: a file
    /// larger than one part goes up in parts. With `max_size`, a file that turns out larger is
    /// refused with [`FilesError::TooLarge`] as soon as it passes the limit, and nothing is stored
    /// (what was under `key` before stays); so is one whose `body` fails.
    pub async fn put_stream<S, E>(
        &self,
        key: &str,
        body: S,
        max_size: Option<u64>,
    ) -> Result<Stored, FilesError>
    where
        S: Stream<Item = Result<Bytes, E>>,
        E: Into<ReadError>,
    {
        let mut body = pin!(body);
        let mut upload = Upload::new(self, key, max_size);
        while let Some(chunk) = body.next().await {
            match chunk {
                Ok(chunk) => upload.write(chunk).await?,
                Err(e) => return Err(upload.abort(FilesError::Read(e.into())).await),
            }
        }
        upload.finish().await
    }

    /// [`Files::put_stream`] for a reader: a file, a socket, a decompressor.
    pub async fn put_reader<R>(
        &self,
        key: &str,
        reader: R,
        max_size: Option<u64>,
    ) -> Result<Stored, FilesError>
    where
        R: AsyncRead,
    {
        let mut reader = pin!(reader);
        let mut upload = Upload::new(self, key, max_size);
        loop {
            let mut buffer = BytesMut::with_capacity(READ_SIZE);
            match reader.read_buf(&mut buffer).await {
                Ok(0) => return upload.finish().await,
                Ok(_) => upload.write(buffer.freeze()).await?,
                Err(e) => return Err(upload.abort(FilesError::Read(e.into())).await),
            }
        }
    }

    /// The file stored under `key`, read as a stream of bytes.
    pub async fn get_stream(&self, key: &str) -> Result<Download, FilesError> {
        let result = self.store.get(&self.path(key)).await.map_err(|e| FilesError::from_store(key, e))?;
        let size = result.meta.size;
        let key = key.to_string();
        let bytes = result.into_stream().map(move |chunk| chunk.map_err(|e| FilesError::from_store(&key, e)));
        Ok(Download { size, bytes: bytes.boxed() })
    }
}

/// A put under way: chunks are kept until there is more than a part, then sent in parts.
struct Upload<'a> {
    files: &'a Files,
    key: &'a str,
    max_size: Option<u64>,
    size: u64,
    sha256: Sha256,
    held: Vec<Bytes>,
    held_size: usize,
    parts: Option<WriteMultipart>,
}

impl<'a> Upload<'a> {
    fn new(files: &'a Files, key: &'a str, max_size: Option<u64>) -> Upload<'a> {
        Upload {
            files,
            key,
            max_size,
            size: 0,
            sha256: Sha256::new(),
            held: Vec::new(),
            held_size: 0,
            parts: None,
        }
    }

    async fn write(&mut self, chunk: Bytes) -> Result<(), FilesError> {
        self.size += chunk.len() as u64;
        if let Some(limit) = self.max_size
            && self.size > limit
        {
            return Err(self.abort(FilesError::TooLarge { limit }).await);
        }
        self.sha256.update(&chunk);
        self.held_size += chunk.len();
        self.held.push(chunk);
        if self.parts.is_none() {
            if self.held_size <= PART_SIZE {
                return Ok(());
            }
            let path = self.files.path(self.key);
            let upload = self
                .files
                .store
                .put_multipart(&path)
                .await
                .map_err(|e| FilesError::from_store(self.key, e))?;
            self.parts = Some(WriteMultipart::new_with_chunk_size(upload, PART_SIZE));
        }
        if let Some(parts) = &mut self.parts {
            // Wait while enough parts are on their way: a slow store slows the reading.
            if let Err(e) = parts.wait_for_capacity(PARTS_IN_FLIGHT).await {
                return Err(self.abort(FilesError::from_store(self.key, e)).await);
            }
            for chunk in self.held.drain(..) {
                parts.put(chunk);
            }
            self.held_size = 0;
        }
        Ok(())
    }

    async fn finish(mut self) -> Result<Stored, FilesError> {
        let key = self.key;
        let fail = |e| FilesError::from_store(key, e);
        match self.parts.take() {
            // `finish` aborts the upload itself if it fails.
            Some(parts) => parts.finish().await.map_err(fail)?,
            None => {
                let payload: PutPayload = std::mem::take(&mut self.held).into_iter().collect();
                self.files.store.put(&self.files.path(self.key), payload).await.map_err(fail)?
            }
        };
        let sha256 = self.sha256.finalize_reset().iter().map(|b| format!("{b:02x}")).collect();
        Ok(Stored { key: key.to_string(), size: self.size, sha256 })
    }

    /// Give up: the parts sent so far are removed. Returns `error`, the reason.
    async fn abort(&mut self, error: FilesError) -> FilesError {
        self.held.clear();
        self.held_size = 0;
        if let Some(parts) = self.parts.take() {
            // The reason matters more than a failure to tidy up after it; a bucket's lifecycle
            // rule for incomplete multipart uploads removes what an abort could not.
            let _ = parts.abort().await;
        }
        error
    }
}

impl Drop for Upload<'_> {
    /// A put dropped part-way (a client that went away mid-upload) aborts its parts in the background.
    fn drop(&mut self) {
        if let Some(parts) = self.parts.take()
            && let Ok(runtime) = tokio::runtime::Handle::try_current()
        {
            runtime.spawn(async move {
                let _ = parts.abort().await;
            });
        }
    }
}
