//! `formwork worker` killed with SIGKILL in the middle of a large upload — while it reads the file,
//! and while it stores the records — and started again: the upload ends stored exactly once, with
//! every record of the file and none twice. And `formwork upload` storing a file through the same
//! job path.

use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use bytes::Bytes;
use formwork_files::Files;
use formwork_service::organisations::{self, OrganisationInput};
use formwork_service::uploads::{self, NewFile};
use formwork_service::{Actor, App, Settings, collections};
use formwork_store::testing::TestDatabase;
use formwork_store::uploads::{Upload, UploadState};
use formwork_store::{Clock, Store};

const RECORDS: usize = 30_000;

fn lettings_csv(path: &Path, count: usize) {
    let o = Command::new(env!("CARGO_BIN_EXE_formwork"))
        .args(["generate", "--definition"])
        .arg(super::root().join("examples/lettings-log.yaml"))
        .args(["--records", &count.to_string(), "--seed", "9", "--output"])
        .arg(path)
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
}

fn worker(database: &str, storage: &str) -> Child {
    Command::new(env!("CARGO_BIN_EXE_formwork"))
        .arg("worker")
        .env("DATABASE_URL", database)
        .env("STORAGE_URL", storage)
        .env("JOB_LEASE_SECONDS", "1")
        .env_remove("SMTP_URL")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap()
}

async fn upload(store: &Store, id: &str) -> Upload {
    let mut conn = store.conn().await.unwrap();
    formwork_store::uploads::by_id(&mut conn, id).await.unwrap().unwrap()
}

/// Wait until `ready` holds of the upload (polling every few milliseconds), for at most a minute.
async fn wait_for(store: &Store, id: &str, what: &str, ready: impl Fn(&Upload) -> bool) -> Upload {
    let start = Instant::now();
    loop {
        let u = upload(store, id).await;
        if ready(&u) {
            return u;
        }
        assert!(start.elapsed() < Duration::from_secs(90), "waited too long for {what}: {:?}", u.state);
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
}

fn kill(child: &mut Child) {
    let status = Command::new("kill").arg("-KILL").arg(child.id().to_string()).status().unwrap();
    assert!(status.success());
    let _ = child.wait();
}

#[test]
fn a_worker_killed_while_reading_and_while_storing_stores_the_upload_once_when_restarted() {
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    runtime.block_on(async {
        let db =
            TestDatabase::postgres(0).await.expect("PostgreSQL must be running: scripts/setup starts it");
        let dir = tempfile::tempdir().unwrap();
        let storage = format!("file://{}", dir.path().join("files").display());
        let files = Files::from_url(&storage).unwrap();
        let app = App::new(db.store.clone(), Clock::system(), Settings::default());
        let source = std::fs::read(super::root().join("examples/lettings-log.yaml")).unwrap();
        collections::publish(&app, &Actor::System, &source).await.unwrap();
        let input =
            OrganisationInput { name: "York".into(), slug: Some("york".into()), ..Default::default() };
        organisations::create(&app, &Actor::System, &input).await.unwrap();
        collections::assign(&app, &Actor::System, "lettings-log", "york").await.unwrap();
        let csv = dir.path().join("lettings.csv");
        lettings_csv(&csv, RECORDS);
        let bytes = std::fs::read(&csv).unwrap();
        let chunks: Vec<Result<Bytes, std::io::Error>> =
            bytes.chunks(256 * 1024).map(|c| Ok(Bytes::copy_from_slice(c))).collect();
        let new = NewFile {
            collection: Some("lettings-log".into()),
            organisation: Some("york".into()),
            period: None,
            submission: None,
            table: None,
            file_name: "lettings.csv".into(),
            body: futures_util::stream::iter(chunks),
        };
        let id = uploads::receive(&app, &files, &Actor::System, new).await.unwrap().upload.id;

        // Killed while reading the file.
        let mut first = worker(&db.url, &storage);
        let reading =
            wait_for(&db.store, &id, "reading", |u| u.state == UploadState::Checking && u.rows_read > 0)
                .await;
        kill(&mut first);
        assert!(reading.rows_read < i64::try_from(RECORDS).unwrap(), "killed part-way through reading");

        // Started again, and killed while storing (inside the transaction that stores them all).
        let mut second = worker(&db.url, &storage);
        wait_for(&db.store, &id, "storing", |u| u.state == UploadState::Storing).await;
        tokio::time::sleep(Duration::from_millis(150)).await;
        kill(&mut second);
        assert_ne!(upload(&db.store, &id).await.state, UploadState::Stored, "killed before it finished");
        assert_eq!(count(&db, &id).await, (0, 0), "nothing of a killed store is visible");

        // Started again: it finishes.
        let mut third = worker(&db.url, &storage);
        let done = wait_for(&db.store, &id, "stored", |u| u.state.is_finished()).await;
        kill(&mut third);
        assert_eq!(done.state, UploadState::Stored, "{:?}", done.message);
        let expected = i64::try_from(RECORDS).unwrap();
        assert_eq!(done.stored_count, expected);
        assert_eq!(count(&db, &id).await, (expected, expected), "every record of the file, none twice");
    });
}

/// (records stored from the upload, distinct rows of the file among them).
async fn count(db: &TestDatabase, id: &str) -> (i64, i64) {
    use sqlx::Row as _;
    let row = sqlx::query(
        "SELECT COUNT(*) AS n, COUNT(DISTINCT upload_row) AS d FROM records WHERE upload_id = $1",
    )
    .bind(id)
    .fetch_one(db.store.pool())
    .await
    .unwrap();
    (row.try_get("n").unwrap(), row.try_get("d").unwrap())
}

#[test]
fn formwork_upload_stores_a_file_and_reports_the_errors_of_another() {
    let dir = tempfile::tempdir().unwrap();
    let database = format!("sqlite://{}", dir.path().join("formwork.db").display());
    let storage = format!("file://{}", dir.path().join("files").display());
    let run = |args: &[&str]| {
        Command::new(env!("CARGO_BIN_EXE_formwork"))
            .args(args)
            .env("DATABASE_URL", &database)
            .env("STORAGE_URL", &storage)
            .current_dir(dir.path())
            .output()
            .unwrap()
    };
    let lettings = super::root().join("examples/lettings-log.yaml").display().to_string();
    for args in [
        vec!["migrate"],
        vec!["admin", "publish", &lettings],
        vec!["admin", "create-organisation", "--name", "York", "--slug", "york"],
        vec!["admin", "assign", "--collection", "lettings-log", "--organisation", "york"],
    ] {
        let o = run(&args);
        assert!(o.status.success(), "{args:?}: {}", String::from_utf8_lossy(&o.stderr));
    }
    let csv = dir.path().join("lettings.csv");
    lettings_csv(&csv, 200);
    let path = csv.display().to_string();
    let o = run(&["upload", "--collection", "lettings-log", "--organisation", "york", &path]);
    assert_eq!(o.status.code(), Some(0), "{}", String::from_utf8_lossy(&o.stderr));
    assert!(
        String::from_utf8_lossy(&o.stdout).contains("stored 200 records"),
        "{}",
        String::from_utf8_lossy(&o.stdout)
    );
    let o = run(&["upload", "--collection", "lettings-log", "--organisation", "york", &path]);
    assert_eq!(o.status.code(), Some(0));
    assert!(
        String::from_utf8_lossy(&o.stdout).contains("was uploaded before"),
        "{}",
        String::from_utf8_lossy(&o.stdout)
    );
    let broken = dir.path().join("broken.csv");
    let text = std::fs::read_to_string(&csv).unwrap();
    let header = text.lines().next().unwrap();
    std::fs::write(&broken, format!("{header}\r\n{}\r\n", vec!["x"; header.split(',').count()].join(",")))
        .unwrap();
    let o = run(&[
        "upload",
        "--collection",
        "lettings-log",
        "--organisation",
        "york",
        &broken.display().to_string(),
    ]);
    assert_eq!(o.status.code(), Some(1), "{}", String::from_utf8_lossy(&o.stdout));
    let out = String::from_utf8_lossy(&o.stdout);
    assert!(out.contains("errors; nothing stored"), "{out}");

    // `formwork export` gives the stored records back, to a file or standard output.
    let exported = dir.path().join("export.csv");
    let o = run(&[
        "export",
        "--collection",
        "lettings-log",
        "--format",
        "csv",
        "-o",
        &exported.display().to_string(),
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", String::from_utf8_lossy(&o.stderr));
    assert!(
        String::from_utf8_lossy(&o.stderr).contains("wrote 200 rows"),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    let text = std::fs::read_to_string(&exported).unwrap();
    assert!(text.starts_with('\u{feff}'), "a BOM");
    assert_eq!(text.lines().count(), 201, "a header and 200 records");
    let o = run(&[
        "export",
        "--collection",
        "lettings-log",
        "--format",
        "jsonl",
        "--organisation",
        "york",
        "-o",
        "-",
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", String::from_utf8_lossy(&o.stderr));
    assert_eq!(String::from_utf8_lossy(&o.stdout).lines().count(), 200);
    for (args, words) in [
        (vec!["--collection", "no-such-log", "--format", "csv"], "no collection"),
        (vec!["--collection", "lettings-log", "--format", "pdf"], "no export format"),
        (vec!["--collection", "lettings-log", "--format", "csv", "--state", "lost"], "lost"),
    ] {
        let mut all = vec!["export", "-o", "-"];
        all.extend(args);
        let o = run(&all);
        assert_eq!(o.status.code(), Some(1), "{all:?}");
        assert!(
            String::from_utf8_lossy(&o.stderr).contains(words),
            "{all:?}: {}",
            String::from_utf8_lossy(&o.stderr)
        );
    }
}
