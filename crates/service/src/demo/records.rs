//! The demo's lettings log, so a newcomer sees records arriving both ways: Riverside Homes'
//! data provider uploaded two files that were stored (one after its warnings were confirmed with a
//! reason), and one that failed with its report; and entered a few lettings on the web, one of them
//! with a warning still to confirm. Every upload goes through the same job body as a real one.
//! Loading the demo again adds nothing once Riverside Homes has uploads.

use bytes::Bytes;
use formwork_definition::Severity;
use formwork_definition::validate::Code;
use formwork_files::Files;
use formwork_store::uploads::UploadState;
use formwork_store::users;
use formwork_testdata::{Generator, csv_line};

use super::email;
use crate::records::{self, NewRecordInput};
use crate::uploads::{self, NewFile, UploadFilter};
use crate::{Actor, App, Result};

/// The log, and the organisation that keeps it.
const COLLECTION: &str = "lettings-log";
const ORGANISATION: &str = "riverside-homes";

/// What the demo made: records stored, and the upload that failed.
#[derive(Clone, Debug, Default)]
pub struct DemoRecords {
    /// Records stored from uploads and entered on the web.
    pub records: usize,
    /// The failed upload's id.
    pub failed_upload: Option<String>,
}

/// A lettings CSV of `count` records from `seed`, with about `rate` of them given one problem of
/// `kinds`.
fn lettings(
    def: &formwork_definition::Definition,
    count: usize,
    seed: u64,
    rate: f64,
    kinds: &[(Code, Severity)],
) -> Vec<u8> {
    let Ok(template) = formwork_tabular::template::csv(def, None) else { return Vec::new() };
    let header: Vec<String> = template.trim().split(',').map(str::to_string).collect();
    let mut out = (header.join(",") + "\r\n").into_bytes();
    let mut generator = Generator::new(def, seed);
    let written = generator.log_records_of(count, rate, kinds, 2, |record| {
        out.extend_from_slice(csv_line(&header, record).as_bytes());
        Ok(())
    });
    match written {
        Ok(Ok(_)) => out,
        _ => Vec::new(),
    }
}

/// Upload `bytes` as `actor` and run its check (and storing) here.
async fn upload(app: &App, files: &Files, actor: &Actor, name: &str, bytes: Vec<u8>) -> Result<String> {
    let new = NewFile {
        collection: Some(COLLECTION.into()),
        organisation: Some(ORGANISATION.into()),
        period: None,
        submission: None,
        table: None,
        file_name: name.into(),
        body: futures_util::stream::iter([Ok::<Bytes, std::io::Error>(Bytes::from(bytes))]),
    };
    let id = uploads::receive(app, files, actor, new).await?.upload.id;
    uploads::process(app, files, &id).await?;
    Ok(id)
}

/// Load the demo's lettings, if the log is published and assigned to Riverside Homes.
pub(super) async fn load(app: &App, files: &Files) -> Result<DemoRecords> {
    let mut conn = app.store.conn().await?;
    let Some(collection) = formwork_store::collections::by_slug(&mut conn, COLLECTION).await? else {
        return Ok(DemoRecords::default());
    };
    let Some(user) = users::by_email(&mut conn, &email("data_provider", ORGANISATION)).await? else {
        return Ok(DemoRecords::default());
    };
    let actor = Actor::person(&mut conn, user).await?;
    drop(conn);
    if !uploads::list(
        app,
        &actor,
        UploadFilter { collection: Some(COLLECTION.into()), ..UploadFilter::default() },
    )
    .await?
    .is_empty()
    {
        return Ok(DemoRecords::default());
    }
    let def = crate::collections::definition(app, COLLECTION, collection.latest_version).await?;
    let warning = [(Code::Rule, Severity::Warning)];
    let errors =
        [(Code::Min, Severity::Error), (Code::Choice, Severity::Error), (Code::Required, Severity::Error)];
    let mut made = DemoRecords::default();

    let first =
        upload(app, files, &actor, "lettings-april-to-september.csv", lettings(&def, 240, 101, 0.0, &[]))
            .await?;
    let second =
        upload(app, files, &actor, "lettings-october.csv", lettings(&def, 60, 102, 0.08, &warning)).await?;
    if uploads::get(app, &actor, &second).await?.upload.state == UploadState::Confirm {
        uploads::confirm(app, &actor, &second, "Checked with the lettings team: these lettings are right")
            .await?;
        uploads::process(app, files, &second).await?;
    }
    for id in [&first, &second] {
        made.records +=
            usize::try_from(uploads::get(app, &actor, id).await?.upload.stored_count).unwrap_or(0);
    }
    let failed =
        upload(app, files, &actor, "lettings-november.csv", lettings(&def, 40, 103, 0.15, &errors)).await?;
    made.failed_upload = Some(failed);

    // Entered on the web: two complete lettings and one with a warning still to confirm.
    let mut generator = Generator::new(&def, 104);
    let mut earlier = Vec::new();
    for kind in [None, None, Some(warning[0])] {
        let Ok(record) = generator.record_with(kind, &mut earlier) else { continue };
        let new = NewRecordInput {
            collection: COLLECTION.into(),
            organisation: ORGANISATION.into(),
            period: None,
            answers: record.answers,
        };
        records::create(app, &actor, new).await?;
        made.records += 1;
    }
    Ok(made)
}
