//! Files stored and read as streams on every kind of storage: memory, a local directory and a real
//! S3-compatible server on loopback (s3s-fs serving a temporary directory).

#![expect(clippy::unwrap_used, reason = "a test should stop loudly at anything unexpected")]

use std::path::{Path, PathBuf};

use bytes::Bytes;
use formwork_files::{Files, FilesError};
use futures_util::{StreamExt as _, stream};
use s3s::auth::SimpleAuth;
use s3s::service::S3ServiceBuilder;
use sha2::{Digest as _, Sha256};
use tokio::net::TcpListener;

const ACCESS_KEY: &str = "formwork-test";
const SECRET_KEY: &str = "formwork-test-secret";
const BUCKET: &str = "formwork-test";

/// 12 MB: more than two parts of 5 MiB.
const LARGE: usize = 12_000_000;

/// One kind of storage and where it keeps its bytes on disk, if it does.
struct Storage {
    files: Files,
    disk: Option<tempfile::TempDir>,
}

/// Start s3s-fs on loopback with one bucket.
async fn s3() -> Storage {
    let root = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(root.path().join(BUCKET)).unwrap();
    let fs = s3s_fs::FileSystem::new(root.path()).unwrap();
    let mut builder = S3ServiceBuilder::new(fs);
    builder.set_auth(SimpleAuth::from_single(ACCESS_KEY, SECRET_KEY));
    let service = builder.build();
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let endpoint = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move {
        while let Ok((socket, _)) = listener.accept().await {
            let service = service.clone();
            tokio::spawn(async move {
                let _ = hyper_util::server::conn::auto::Builder::new(hyper_util::rt::TokioExecutor::new())
                    .serve_connection(hyper_util::rt::TokioIo::new(socket), service)
                    .await;
            });
        }
    });
    // The binary installs this provider at start; reqwest needs one.
    let _ = rustls::crypto::ring::default_provider().install_default();
    let files = Files::s3_at(&endpoint, BUCKET, "instance", ACCESS_KEY, SECRET_KEY).unwrap();
    Storage { files, disk: Some(root) }
}

/// Memory, a local directory and an S3-compatible bucket.
async fn every_storage() -> Vec<Storage> {
    let dir = tempfile::tempdir().unwrap();
    let local = Files::from_url(&format!("file://{}", dir.path().display())).unwrap();
    vec![
        Storage { files: Files::from_url("memory://").unwrap(), disk: None },
        Storage { files: local, disk: Some(dir) },
        s3().await,
    ]
}

/// `size` bytes of noise in chunks of 64 KiB, the same every time.
fn noise(size: usize) -> impl Iterator<Item = Bytes> {
    let mut state = 0x2545_f491_4f6c_dd1d_u64;
    let mut left = size;
    std::iter::from_fn(move || {
        if left == 0 {
            return None;
        }
        let n = left.min(64 * 1024);
        left -= n;
        let chunk: Vec<u8> = (0..n)
            .map(|_| {
                state ^= state << 13;
                state ^= state >> 7;
                state ^= state << 17;
                state.to_le_bytes()[0]
            })
            .collect();
        Some(Bytes::from(chunk))
    })
}

fn hex(digest: &[u8]) -> String {
    digest.iter().map(|b| format!("{b:02x}")).collect()
}

fn sha256_of(chunks: impl Iterator<Item = Bytes>) -> String {
    let mut sha = Sha256::new();
    chunks.for_each(|c| sha.update(&c));
    hex(&sha.finalize())
}

/// Every file under `dir`, however deep.
fn files_under(dir: &Path) -> Vec<PathBuf> {
    let mut found = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            found.extend(files_under(&path));
        } else {
            found.push(path);
        }
    }
    found
}

/// Files under `dir` that hold stored bytes: objects and upload parts, not s3s-fs's bookkeeping.
fn stored_under(dir: &Path) -> Vec<PathBuf> {
    files_under(dir)
        .into_iter()
        .filter(|p| {
            let name = p.file_name().unwrap().to_string_lossy();
            !((name.starts_with(".upload-") || name.starts_with(".bucket-")) && name.ends_with(".json"))
        })
        .collect()
}

#[tokio::test]
async fn a_file_larger_than_a_part_round_trips_with_its_size_and_sha256() {
    let expected = sha256_of(noise(LARGE));
    for storage in every_storage().await {
        let files = &storage.files;
        let body = stream::iter(noise(LARGE).map(Ok::<_, std::io::Error>));
        let stored = files.put_stream("uploads/1/large.csv", body, Some(LARGE as u64)).await.unwrap();
        assert_eq!(
            (stored.key.as_str(), stored.size),
            ("uploads/1/large.csv", LARGE as u64),
            "{}",
            files.describe()
        );
        assert_eq!(stored.sha256, expected, "{}", files.describe());

        let mut download = files.get_stream("uploads/1/large.csv").await.unwrap();
        assert_eq!(download.size(), LARGE as u64);
        let (mut sha, mut size, mut chunks) = (Sha256::new(), 0, 0);
        while let Some(chunk) = download.next().await {
            let chunk = chunk.unwrap();
            sha.update(&chunk);
            size += chunk.len();
            chunks += 1;
        }
        assert_eq!((size, hex(&sha.finalize())), (LARGE, expected.clone()), "{}", files.describe());
        assert!(chunks >= 1);
        assert_eq!(files.get("uploads/1/large.csv").await.unwrap().len(), LARGE);

        files.delete("uploads/1/large.csv").await.unwrap();
        assert!(
            matches!(files.get_stream("uploads/1/large.csv").await, Err(FilesError::NotFound(k)) if k == "uploads/1/large.csv")
        );
        if let Some(disk) = &storage.disk {
            assert_eq!(stored_under(disk.path()), Vec::<PathBuf>::new(), "{}", files.describe());
        }
    }
}

#[tokio::test]
async fn a_small_file_from_a_reader_is_stored_in_one_piece() {
    for storage in every_storage().await {
        let files = &storage.files;
        let stored = files.put_reader("notes/hello.txt", &b"hello"[..], Some(5)).await.unwrap();
        assert_eq!(stored.size, 5);
        assert_eq!(stored.sha256, "2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824");
        assert_eq!(files.get("notes/hello.txt").await.unwrap(), b"hello");
        let empty = files.put_reader("notes/empty.txt", &b""[..], None).await.unwrap();
        assert_eq!((empty.size, empty.sha256.as_str()), (0, hex(&Sha256::digest(b"")).as_str()));
        assert_eq!(files.get_stream("notes/empty.txt").await.unwrap().size(), 0);
    }
}

#[tokio::test]
async fn an_upload_over_its_limit_or_cut_short_stores_nothing() {
    for storage in every_storage().await {
        let files = &storage.files;
        // Refused in the middle of a multipart upload, after parts were sent.
        let body = stream::iter(noise(LARGE).map(Ok::<_, std::io::Error>));
        let refused = files.put_stream("uploads/2/large.csv", body, Some(11_000_000)).await.unwrap_err();
        assert!(matches!(refused, FilesError::TooLarge { limit: 11_000_000 }), "{refused:?}");
        // Refused before it needed parts.
        let refused = files.put_reader("uploads/2/small.csv", &b"hello"[..], Some(4)).await.unwrap_err();
        assert!(matches!(refused, FilesError::TooLarge { limit: 4 }), "{refused:?}");
        // The sender went away part-way.
        let cut = noise(LARGE).take(150).map(Ok).chain([Err(std::io::Error::other("connection reset"))]);
        let failed = files.put_stream("uploads/2/cut.csv", stream::iter(cut), None).await.unwrap_err();
        assert!(matches!(&failed, FilesError::Read(e) if e.to_string() == "connection reset"), "{failed:?}");

        for key in ["uploads/2/large.csv", "uploads/2/small.csv", "uploads/2/cut.csv"] {
            assert!(
                matches!(files.get(key).await, Err(FilesError::NotFound(_))),
                "{key} on {}",
                files.describe()
            );
        }
        if let Some(disk) = &storage.disk {
            assert_eq!(stored_under(disk.path()), Vec::<PathBuf>::new(), "{}", files.describe());
        }
    }
}
