//! Uploads of a log's records on SQLite and PostgreSQL: all of a file or none of it, every planted
//! error at its row and column, duplicates against stored records, warnings confirmed in bulk,
//! the same file recognised, two workers storing once, and each organisation's uploads its own.

use std::collections::BTreeSet;

use bytes::Bytes;
use formwork_definition::Severity;
use formwork_files::Files;
use formwork_service::organisations::{self, OrganisationInput};
use formwork_service::people::{self, NewPerson};
use formwork_service::uploads::{self, NewFile, UploadView};
use formwork_service::{Actor, App, ServiceError, Settings, collections};
use formwork_store::records::{self, RecordState};
use formwork_store::testing::TestDatabase;
use formwork_store::uploads::UploadState;
use formwork_store::{Clock, jobs};
use formwork_testdata::{Generator, Planted, csv_line};

use super::{NOW, on_both};

const LETTINGS: &str = include_str!("../../../../examples/lettings-log.yaml");

/// The lettings log published, assigned to York and Leeds, with a data provider in each.
async fn lettings(db: &TestDatabase) -> (App, Actor, Actor) {
    let app = App::new(db.store.clone(), Clock::fixed(NOW), Settings::default());
    collections::publish(&app, &Actor::System, LETTINGS.as_bytes()).await.unwrap();
    let mut actors = Vec::new();
    for slug in ["york", "leeds"] {
        let input =
            OrganisationInput { name: slug.to_uppercase(), slug: Some(slug.into()), ..Default::default() };
        organisations::create(&app, &Actor::System, &input).await.unwrap();
        collections::assign(&app, &Actor::System, "lettings-log", slug).await.unwrap();
        let email = format!("provider@{slug}.test");
        let user =
            people::create(&app, &Actor::System, &NewPerson { email: email.clone(), ..NewPerson::default() })
                .await
                .unwrap();
        organisations::add_member(&app, &Actor::System, slug, &email, &["data_provider".to_string()])
            .await
            .unwrap();
        let mut conn = db.store.conn().await.unwrap();
        actors.push(Actor::person(&mut conn, user).await.unwrap());
    }
    let leeds = actors.pop().unwrap();
    (app, actors.pop().unwrap(), leeds)
}

/// A lettings CSV of `count` records from `seed`, about `error_rate` of them with a planted
/// error (never a warning), and what was planted.
fn lettings_csv(count: usize, error_rate: f64, seed: u64) -> (Vec<u8>, Vec<Planted>) {
    let def = formwork_definition::load(LETTINGS.as_bytes()).unwrap();
    let header: Vec<String> =
        formwork_tabular::template::csv(&def, None).unwrap().trim().split(',').map(str::to_string).collect();
    let mut out = header.join(",").into_bytes();
    out.extend_from_slice(b"\r\n");
    let kinds: Vec<_> = formwork_testdata::plant::KINDS
        .into_iter()
        .filter(|(code, severity)| {
            *severity == Severity::Error && *code != formwork_definition::validate::Code::UnknownColumn
        })
        .collect();
    let mut generator = Generator::new(&def, seed);
    let planted = generator
        .log_records_of(count, error_rate, &kinds, 2, |record| {
            out.extend_from_slice(csv_line(&header, record).as_bytes());
            Ok(())
        })
        .unwrap()
        .unwrap();
    (out, planted)
}

fn file(
    org: &str,
    name: &str,
    bytes: Vec<u8>,
) -> NewFile<impl futures_util::Stream<Item = Result<Bytes, std::io::Error>>> {
    // In several chunks, as a request body arrives.
    let chunks: Vec<Result<Bytes, std::io::Error>> =
        bytes.chunks(64 * 1024).map(|c| Ok(Bytes::copy_from_slice(c))).collect();
    NewFile {
        collection: Some("lettings-log".into()),
        organisation: Some(org.into()),
        period: Some("2026-04-01".into()),
        submission: None,
        table: None,
        file_name: name.into(),
        body: futures_util::stream::iter(chunks),
    }
}

/// Run the upload's queued job(s) as the worker would, then read the upload.
async fn run_jobs(app: &App, files: &Files, actor: &Actor, id: &str) -> UploadView {
    let worker = formwork_service::jobs::worker_without_schedules(
        formwork_service::jobs::JobContext {
            app: app.clone(),
            files: files.clone(),
            mailer: formwork_mail::Mailer::memory().0,
        },
        "test-worker",
    );
    worker.run_due().await.unwrap();
    uploads::get(app, actor, id).await.unwrap()
}

async fn stored_records(db: &TestDatabase, org: &str) -> Vec<records::Record> {
    let mut conn = db.store.conn().await.unwrap();
    let filter = records::Filter {
        organisations: Some(vec![org.to_string()]),
        collection: Some("lettings-log".into()),
        limit: 100_000,
        ..records::Filter::default()
    };
    records::list(&mut conn, &filter).await.unwrap()
}

#[tokio::test]
async fn a_clean_file_is_stored_whole_and_the_same_file_again_is_recognised_not_stored_twice() {
    on_both(|db| async move {
        let (app, york, _) = lettings(&db).await;
        let files = Files::from_url("memory://").unwrap();
        let (csv, planted) = lettings_csv(300, 0.0, 7);
        assert!(planted.is_empty());
        let received =
            uploads::receive(&app, &files, &york, file("york", "lettings.csv", csv.clone())).await.unwrap();
        assert_eq!(received.upload.state, UploadState::Queued);
        let done = run_jobs(&app, &files, &york, &received.upload.id).await;
        assert_eq!(done.upload.state, UploadState::Stored, "{:?}", done.upload.message);
        assert_eq!((done.upload.rows_read, done.upload.stored_count), (300, 300));
        let org = done.upload.organisation_id.clone();
        let stored = stored_records(&db, &org).await;
        assert_eq!(stored.len(), 300);
        assert!(
            stored.iter().all(|r| r.state == RecordState::Completed
                && r.upload_id.as_deref() == Some(done.upload.id.as_str()))
        );
        let rows: BTreeSet<i64> = stored.iter().filter_map(|r| r.upload_row).collect();
        assert_eq!(rows, (2..=301).collect::<BTreeSet<i64>>(), "each row of the file once");
        assert!(stored.iter().all(|r| r.record_key.is_some()));

        let again =
            uploads::receive(&app, &files, &york, file("york", "lettings (1).csv", csv)).await.unwrap();
        assert_eq!(again.upload.state, UploadState::SameFile);
        assert_eq!(again.upload.same_as.as_deref(), Some(done.upload.id.as_str()));
        let again = run_jobs(&app, &files, &york, &again.upload.id).await;
        assert_eq!(again.upload.state, UploadState::SameFile);
        assert_eq!(stored_records(&db, &org).await.len(), 300, "nothing stored twice");
    })
    .await;
}

#[tokio::test]
async fn a_file_with_planted_errors_stores_nothing_and_reports_exactly_them_at_their_rows() {
    on_both(|db| async move {
        let (app, york, _) = lettings(&db).await;
        let files = Files::from_url("memory://").unwrap();
        let (csv, planted) = lettings_csv(500, 0.05, 11);
        assert!(planted.len() >= 10, "{} planted", planted.len());
        let received =
            uploads::receive(&app, &files, &york, file("york", "lettings.csv", csv)).await.unwrap();
        let done = run_jobs(&app, &files, &york, &received.upload.id).await;
        assert_eq!(done.upload.state, UploadState::Failed);
        assert_eq!(done.upload.stored_count, 0);
        assert!(stored_records(&db, &done.upload.organisation_id).await.is_empty(), "nothing stored");
        let found: BTreeSet<(u64, String, String)> = done
            .items()
            .iter()
            .filter(|i| i.is_error())
            .map(|i| (i.row.unwrap_or(0), i.code.as_str().to_string(), i.path.clone()))
            .collect();
        let expected: BTreeSet<(u64, String, String)> =
            planted.iter().map(|p| (p.row, p.code.as_str().to_string(), p.path.clone())).collect();
        assert_eq!(found, expected, "exactly the planted errors, at their rows");
        assert!(done.items().iter().all(|i| i.column.is_some()), "each names its column");
        assert_eq!(done.upload.error_count, i64::try_from(planted.len()).unwrap());
        assert!(done.upload.annotated_key.is_some(), "the file comes back marked up");
        let (_, annotated) = uploads::annotated(&app, &files, &york, &done.upload.id).await.unwrap();
        assert!(annotated.size() > 0);
    })
    .await;
}

#[tokio::test]
async fn records_already_stored_are_duplicates_found_by_their_key() {
    on_both(|db| async move {
        let (app, york, leeds) = lettings(&db).await;
        let files = Files::from_url("memory://").unwrap();
        let (first, _) = lettings_csv(50, 0.0, 21);
        let one =
            uploads::receive(&app, &files, &york, file("york", "first.csv", first.clone())).await.unwrap();
        assert_eq!(run_jobs(&app, &files, &york, &one.upload.id).await.upload.state, UploadState::Stored);
        // A second file: fresh records, then the first file's rows 3 and 10 again.
        let (fresh, _) = lettings_csv(20, 0.0, 22);
        let text = String::from_utf8(first.clone()).unwrap();
        let old: Vec<&str> = text.split("\r\n").collect();
        let mut second = String::from_utf8(fresh).unwrap();
        second.push_str(old[2]);
        second.push_str("\r\n");
        second.push_str(old[9]);
        second.push_str("\r\n");
        let two =
            uploads::receive(&app, &files, &york, file("york", "second.csv", second.clone().into_bytes()))
                .await
                .unwrap();
        let two = run_jobs(&app, &files, &york, &two.upload.id).await;
        assert_eq!(two.upload.state, UploadState::Failed);
        let duplicates: Vec<(Option<u64>, &str)> =
            two.items().iter().map(|i| (i.row, i.code.as_str())).collect::<Vec<_>>().into_iter().collect();
        assert_eq!(duplicates, vec![(Some(22), "duplicate"), (Some(23), "duplicate")]);
        assert_eq!(
            stored_records(&db, &one.upload.organisation_id).await.len(),
            50,
            "the second file stored nothing"
        );
        // Leeds has none of York's records: the same rows are new there.
        let three = uploads::receive(&app, &files, &leeds, file("leeds", "second.csv", second.into_bytes()))
            .await
            .unwrap();
        assert_eq!(run_jobs(&app, &files, &leeds, &three.upload.id).await.upload.state, UploadState::Stored);
    })
    .await;
}

#[tokio::test]
async fn warnings_wait_for_one_reason_then_every_record_is_stored_with_it() {
    on_both(|db| async move {
        let (app, york, _) = lettings(&db).await;
        let files = Files::from_url("memory://").unwrap();
        let def = formwork_definition::load(LETTINGS.as_bytes()).unwrap();
        let header: Vec<String> = formwork_tabular::template::csv(&def, None)
            .unwrap()
            .trim()
            .split(',')
            .map(str::to_string)
            .collect();
        let mut csv = header.join(",") + "\r\n";
        let mut generator = Generator::new(&def, 5);
        let warning = [(formwork_definition::validate::Code::Rule, Severity::Warning)];
        let planted = generator
            .log_records_of(40, 0.2, &warning, 2, |record| {
                csv.push_str(&csv_line(&header, record));
                Ok(())
            })
            .unwrap()
            .unwrap();
        assert!(!planted.is_empty());
        let received =
            uploads::receive(&app, &files, &york, file("york", "w.csv", csv.into_bytes())).await.unwrap();
        let checked = run_jobs(&app, &files, &york, &received.upload.id).await;
        assert_eq!(checked.upload.state, UploadState::Confirm);
        assert_eq!(checked.upload.warning_count, i64::try_from(planted.len()).unwrap());
        assert!(stored_records(&db, &checked.upload.organisation_id).await.is_empty(), "nothing yet");
        let blank = uploads::confirm(&app, &york, &checked.upload.id, "  ").await;
        assert!(matches!(blank, Err(ServiceError::Invalid(_))), "a reason is needed");
        uploads::confirm(&app, &york, &checked.upload.id, "Rents checked with the housing officer")
            .await
            .unwrap();
        let done = run_jobs(&app, &files, &york, &checked.upload.id).await;
        assert_eq!(done.upload.state, UploadState::Stored);
        let stored = stored_records(&db, &done.upload.organisation_id).await;
        assert_eq!(stored.len(), 40);
        let confirmed: usize = stored.iter().map(|r| r.confirmations.len()).sum();
        assert_eq!(confirmed, planted.len(), "each warning confirmed on its record");
        assert!(
            stored
                .iter()
                .flat_map(|r| r.confirmations.values())
                .all(|c| c.reason == "Rents checked with the housing officer")
        );
    })
    .await;
}

#[tokio::test]
async fn two_workers_at_once_store_an_upload_once() {
    on_both(|db| async move {
        let (app, york, _) = lettings(&db).await;
        let files = Files::from_url("memory://").unwrap();
        let (csv, _) = lettings_csv(2_000, 0.0, 31);
        let received = uploads::receive(&app, &files, &york, file("york", "big.csv", csv)).await.unwrap();
        let id = received.upload.id.clone();
        let (a, b) = tokio::join!(uploads::process(&app, &files, &id), uploads::process(&app, &files, &id));
        a.unwrap();
        b.unwrap();
        uploads::process(&app, &files, &id).await.unwrap();
        let done = uploads::get(&app, &york, &id).await.unwrap();
        assert_eq!(done.upload.state, UploadState::Stored);
        assert_eq!(stored_records(&db, &done.upload.organisation_id).await.len(), 2_000, "each record once");
    })
    .await;
}

#[tokio::test]
async fn an_organisations_uploads_are_its_own() {
    on_both(|db| async move {
        let (app, york, leeds) = lettings(&db).await;
        let files = Files::from_url("memory://").unwrap();
        let (csv, _) = lettings_csv(5, 0.0, 41);
        let received =
            uploads::receive(&app, &files, &york, file("york", "mine.csv", csv.clone())).await.unwrap();
        let id = received.upload.id;
        assert!(matches!(uploads::get(&app, &leeds, &id).await, Err(ServiceError::NotFound(_))));
        assert!(matches!(
            uploads::annotated(&app, &files, &leeds, &id).await,
            Err(ServiceError::NotFound(_))
        ));
        assert!(matches!(uploads::confirm(&app, &leeds, &id, "x").await, Err(ServiceError::NotFound(_))));
        let listed = uploads::list(&app, &leeds, uploads::UploadFilter::default()).await.unwrap();
        assert!(listed.is_empty(), "Leeds lists none of York's uploads");
        // Uploading for another organisation is refused as if it did not exist.
        let theirs = uploads::receive(&app, &files, &leeds, file("york", "x.csv", csv)).await;
        assert!(
            matches!(theirs, Err(ServiceError::Invalid(ref p)) if p[0].field == "organisation"),
            "{theirs:?}"
        );
        // Only the service's administrators download an original.
        assert!(matches!(uploads::original(&app, &files, &york, &id).await, Err(ServiceError::Forbidden(_))));
        assert!(uploads::original(&app, &files, &Actor::System, &id).await.is_ok());
    })
    .await;
}

#[tokio::test]
async fn hostile_and_wrong_files_are_refused_with_a_clear_message_and_nothing_stored() {
    on_both(|db| async move {
        let (app, york, _) = lettings(&db).await;
        let files = Files::from_url("memory://").unwrap();
        let refused = |result: Result<UploadView, ServiceError>| match result {
            Err(ServiceError::Invalid(problems)) => problems[0].message.clone(),
            other => panic!("expected a refusal, got {other:?}"),
        };
        let empty = refused(uploads::receive(&app, &files, &york, file("york", "e.csv", Vec::new())).await);
        assert!(empty.contains("empty"), "{empty}");
        let pdf = refused(
            uploads::receive(
                &app,
                &files,
                &york,
                file("york", "l.csv", b"%PDF-1.7\n\x00\x01binary".to_vec()),
            )
            .await,
        );
        assert!(pdf.contains("CSV or XLSX"), "{pdf}");
        let word = refused(
            uploads::receive(&app, &files, &york, file("york", "l.docx", b"PK\x03\x04".to_vec())).await,
        );
        assert!(word.contains(".docx"), "{word}");
        let small = App::new(
            db.store.clone(),
            Clock::fixed(NOW),
            Settings { upload_max_bytes: 2_048, ..Settings::default() },
        );
        let (csv, _) = lettings_csv(50, 0.0, 3);
        let big = refused(uploads::receive(&small, &files, &york, file("york", "big.csv", csv)).await);
        assert!(big.contains("smaller than"), "{big}");
        // A file of another collection (Towns Fund's spend table) is read and refused whole.
        let towns = b"Project ID,Quarter,Amount\r\nP1,Q1,100\r\n".to_vec();
        let received = uploads::receive(&app, &files, &york, file("york", "spend.csv", towns)).await.unwrap();
        let done = run_jobs(&app, &files, &york, &received.upload.id).await;
        assert_eq!(done.upload.state, UploadState::Failed);
        assert!(done.upload.error_count > 0);
        assert!(done.items().iter().any(|i| i.code.as_str() == "missing_column"), "{:?}", done.items());
        // A million empty rows, a row over the limit: refused whole by the reader.
        let limits = App::new(
            db.store.clone(),
            Clock::fixed(NOW),
            Settings { upload_max_rows: 10, ..Settings::default() },
        );
        let (csv, _) = lettings_csv(20, 0.0, 4);
        let received = uploads::receive(&limits, &files, &york, file("york", "many.csv", csv)).await.unwrap();
        let done = run_jobs(&limits, &files, &york, &received.upload.id).await;
        assert_eq!(done.upload.state, UploadState::Failed);
        assert!(done.upload.message.as_deref().unwrap_or("").contains("10"), "{:?}", done.upload.message);
        // Cancelled half-way: the body stops with an error.
        let (csv, _) = lettings_csv(20, 0.0, 5);
        let half: Vec<Result<Bytes, std::io::Error>> = vec![
            Ok(Bytes::copy_from_slice(&csv[..csv.len() / 2])),
            Err(std::io::Error::new(std::io::ErrorKind::ConnectionReset, "the client went away")),
        ];
        let cut = NewFile {
            collection: Some("lettings-log".into()),
            organisation: Some("york".into()),
            period: None,
            submission: None,
            table: None,
            file_name: "cut.csv".into(),
            body: futures_util::stream::iter(half),
        };
        let cancelled = refused(uploads::receive(&app, &files, &york, cut).await);
        assert!(cancelled.contains("did not arrive whole"), "{cancelled}");
        // Read and refused whole by the readers, each with its own message on the upload.
        let header = String::from_utf8(csv.clone()).unwrap().lines().next().unwrap().to_string();
        let mut truncated = b"PK\x03\x04".to_vec();
        truncated.extend_from_slice(&[7u8; 300]);
        let mut empty_rows = format!("{header}\r\n").into_bytes();
        empty_rows.extend(std::iter::repeat_n(b"\r\n".iter().copied(), 1_000_001).flatten());
        let mut big_field = format!("{header}\r\n").into_bytes();
        big_field.extend(std::iter::repeat_n(b'x', 5 * 1024 * 1024));
        big_field.extend_from_slice(b"\r\n");
        for (name, bytes, words) in [
            ("truncated.xlsx", truncated, "workbook"),
            ("empty-rows.csv", empty_rows, "no records"),
            ("big-field.csv", big_field, "MB"),
        ] {
            let received = uploads::receive(&app, &files, &york, file("york", name, bytes)).await.unwrap();
            let done = run_jobs(&app, &files, &york, &received.upload.id).await;
            assert_eq!(done.upload.state, UploadState::Failed, "{name}");
            let first = done.items().first().map(|i| i.message.clone());
            let message = done.upload.message.clone().or(first).unwrap_or_default();
            assert!(message.contains(words), "{name}: “{words}” in {message}");
        }
        let mut conn = db.store.conn().await.unwrap();
        let filter =
            records::Filter { collection: Some("lettings-log".into()), limit: 10, ..Default::default() };
        assert!(records::list(&mut conn, &filter).await.unwrap().is_empty(), "nothing stored by any of them");
        assert!(jobs::pending(&mut conn, 100).await.unwrap().iter().all(|j| j.kind != "check_upload"));
    })
    .await;
}

#[tokio::test]
async fn a_table_of_twenty_thousand_rows_is_uploaded_as_a_job_and_fills_the_return() {
    on_both(|db| async move {
        let app = App::new(db.store.clone(), Clock::fixed(NOW), Settings::default());
        let source = include_str!("../../../../examples/towns-fund-monitoring.yaml");
        collections::publish(&app, &Actor::System, source.as_bytes()).await.unwrap();
        let input =
            OrganisationInput { name: "York".into(), slug: Some("york".into()), ..Default::default() };
        organisations::create(&app, &Actor::System, &input).await.unwrap();
        collections::assign(&app, &Actor::System, "towns-fund-monitoring", "york").await.unwrap();
        let email = "finance@york.test";
        let user =
            people::create(&app, &Actor::System, &NewPerson { email: email.into(), ..NewPerson::default() })
                .await
                .unwrap();
        organisations::add_member(&app, &Actor::System, "york", email, &["finance".to_string()])
            .await
            .unwrap();
        let finance = Actor::person(&mut db.store.conn().await.unwrap(), user).await.unwrap();
        let started = formwork_service::submissions::start(
            &app,
            &finance,
            "towns-fund-monitoring",
            "york",
            "2026-07-01",
        )
        .await
        .unwrap();
        let mut csv = String::from("Project ID,Quarter,Funding source,Amount spent\r\n");
        for i in 0..20_000u32 {
            let p = i / 4;
            let letters: String = [p / 100 / 676, p / 100 / 26 % 26, p / 100 % 26]
                .iter()
                .map(|n| char::from(b'A' + (*n % 26) as u8))
                .collect();
            csv.push_str(&format!("TF-{letters}-{:02},Q{},tf,{}.50\r\n", p % 100, i % 4 + 1, 1000 + i));
        }
        let new = NewFile {
            collection: None,
            organisation: None,
            period: None,
            submission: Some(started.submission.id.clone()),
            table: Some("spend".into()),
            file_name: "spend.csv".into(),
            body: futures_util::stream::iter(vec![Ok::<Bytes, std::io::Error>(Bytes::from(csv))]),
        };
        let files = Files::from_url("memory://").unwrap();
        let received = uploads::receive(&app, &files, &finance, new).await.unwrap();
        assert_eq!(received.upload.state, UploadState::Queued, "a job, not the request, checks it");
        let done = run_jobs(&app, &files, &finance, &received.upload.id).await;
        assert_eq!(
            done.upload.state,
            UploadState::Stored,
            "{:?} {:?}",
            done.upload.message,
            done.items().first()
        );
        assert_eq!(done.upload.stored_count, 20_000);
        let view = formwork_service::submissions::get(&app, &finance, &started.submission.id).await.unwrap();
        assert_eq!(view.submission.answers["spend"].as_array().unwrap().len(), 20_000);
        assert_eq!(view.submission.answers["spend"][19_999]["amount"], "20999.50");
    })
    .await;
}
