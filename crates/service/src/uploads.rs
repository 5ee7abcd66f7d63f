//! Uploads: a CSV or XLSX file of records for a log, or of rows for one table of a return, taken
//! as a job.
//!
//! [`receive`] streams the file to object storage (never whole in memory), working out its size
//! and SHA-256 on the way, and queues a `check_upload` job; the same file uploaded again for the
//! same collection and organisation is recognised by its SHA-256 and not stored twice. The job
//! ([`process`]) reads the file with `formwork-tabular`'s streaming readers and the engine, checks
//! each record's `record_key` against the stored records by hash lookup, and then:
//!
//! - any error: nothing is stored; the report (items, the file marked up) is kept on the upload;
//! - warnings only: nothing is stored until someone confirms them with one reason ([`confirm`]);
//! - otherwise every record is stored, in batches, inside the one transaction that marks the
//!   upload `stored`: all of the file or none of it, once however often the job runs.

use std::collections::{BTreeMap, HashMap};
use std::io::{BufRead as _, BufReader, BufWriter, Seek as _, SeekFrom, Write as _};
use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};
use std::time::Duration;

use bytes::Bytes;
use formwork_definition::validate::{Code, Context, Item};
use formwork_definition::{Definition, Kind as CollectionKind};
use formwork_files::{Download, Files, FilesError, ReadError};
use formwork_store::audit::{self, AuditEvent};
use formwork_store::records::{self as records_store, NewRecord, RecordState};
use formwork_store::submissions::Confirmation;
use formwork_store::uploads::{self as store, NewUpload, Outcome};
use formwork_store::{collections as collections_store, organisations as orgs};
use formwork_tabular::report::{self, Source};
use formwork_tabular::{CheckedAnswers, FileReport, Limits, Options, ReadAs, RecordSink};
use futures_util::{Stream, StreamExt as _};
use serde::Serialize;
use serde_json::{Map, Value};

use crate::collections::definition;
use crate::jobs::SendEmail;
use crate::lifecycle::editing_roles;
use crate::policy::{Action, check, visible_organisations};
use crate::submissions::{self, Edit, clean_file_name, size_words, today};
use crate::table_uploads::{Kind, about_table, kind_of, table_of};
use crate::{Actor, App, Result, ServiceError, commit};

pub use formwork_store::uploads::{Upload, UploadState};

/// Items kept on an upload (all are counted): the report page pages through them.
pub const MAX_ITEMS: usize = 10_000;
/// Records stored per batch: a multi-row insert each, within the upload's one transaction.
const BATCH: usize = 4_000;
/// How often a check under way writes how far it has got.
const PROGRESS_EVERY: Duration = Duration::from_millis(500);
/// An upload that took longer than this to check and store is followed by an email.
const EMAIL_AFTER_MS: i64 = 60_000;

/// A file being uploaded: what it is for, and its bytes as they arrive.
pub struct NewFile<S> {
    /// For a log: the collection's slug.
    pub collection: Option<String>,
    /// For a log: the organisation's slug.
    pub organisation: Option<String>,
    /// For a log: the period's key (default: the latest period that has started).
    pub period: Option<String>,
    /// For a table of a return: the return's id.
    pub submission: Option<String>,
    /// And the table's id (or its section's).
    pub table: Option<String>,
    /// The file's name as sent.
    pub file_name: String,
    /// Its bytes.
    pub body: S,
}

/// What a file is for: [`NewFile`] without its bytes.
struct Destination {
    collection: Option<String>,
    organisation: Option<String>,
    period: Option<String>,
    submission: Option<String>,
    table: Option<String>,
}

/// An upload with what pages and the API show beside it.
#[derive(Clone, Debug, Serialize)]
pub struct UploadView {
    /// The upload.
    #[serde(flatten)]
    pub upload: Upload,
    /// The collection's title.
    pub collection_title: String,
    /// The organisation's name.
    pub organisation_name: String,
    /// The organisation's slug.
    pub organisation_slug: String,
    /// The period, as people say it.
    pub period_label: String,
    /// For a table: its section's title.
    pub table_title: Option<String>,
}

impl UploadView {
    /// The items kept, as the catalogue's items.
    pub fn items(&self) -> Vec<Item> {
        self.upload.items.iter().filter_map(|v| serde_json::from_value(v.clone()).ok()).collect()
    }

    /// True when the file is for a table of a return.
    pub fn is_table(&self) -> bool {
        self.upload.submission_id.is_some()
    }
}

/// Items of one column and code, as the report's summary shows them.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Group {
    /// Error or warning.
    pub severity: String,
    /// The column as written in the file (empty: the file as a whole).
    pub column: String,
    /// The code.
    pub code: String,
    /// How many items (of those kept).
    pub count: usize,
    /// The first cells (or rows) where it was found.
    pub first: Vec<String>,
    /// The first item's message.
    pub message: String,
}

/// The items grouped by column and code, errors first, in the order first found.
pub fn summary(items: &[Item]) -> Vec<Group> {
    let mut groups: Vec<Group> = Vec::new();
    let mut index: HashMap<(bool, String, &'static str), usize> = HashMap::new();
    for item in items {
        let column = item.column.clone().unwrap_or_default();
        let key = (!item.is_error(), column.clone(), item.code.as_str());
        let at = *index.entry(key).or_insert_with(|| {
            groups.push(Group {
                severity: if item.is_error() { "error" } else { "warning" }.into(),
                column,
                code: item.code.as_str().into(),
                count: 0,
                first: Vec::new(),
                message: item.message.clone(),
            });
            groups.len() - 1
        });
        let group = &mut groups[at];
        group.count += 1;
        if group.first.len() < 5 {
            let place = item.cell.clone().or_else(|| item.row.map(|r| format!("row {r}")));
            group.first.extend(place);
        }
    }
    groups.sort_by_key(|g| g.severity != "error");
    groups
}

fn file_problem(message: impl Into<String>) -> ServiceError {
    ServiceError::invalid("file", Code::File.as_str(), message)
}

/// Where a file goes and what it is checked against.
struct Target {
    collection: String,
    version: i64,
    organisation_id: String,
    period: String,
    table: Option<(String, String)>,
}

async fn target(app: &App, actor: &Actor, new: &Destination, expected: Option<i64>) -> Result<Target> {
    if matches!(actor, Actor::Anonymous) {
        return Err(ServiceError::SignInRequired);
    }
    if let Some(submission) = &new.submission {
        let view = submissions::get(app, actor, submission).await?;
        let def = view.definition.clone();
        let Some(table) = new.table.as_deref() else {
            return Err(ServiceError::invalid("table", "required", "Say which table the file is for"));
        };
        let table = table_of(&def, table)?;
        let section = &def.sections[table.section];
        check(actor, Action::EditSection(&view.submission.organisation_id, &section.editors))?;
        if !view.submission.state.is_editable() {
            return Err(ServiceError::Conflict(format!(
                "This return is {}: it cannot be changed",
                view.submission.state.label().to_lowercase()
            )));
        }
        // The person's page showed an older return: say what changed since, keep nothing.
        if let Some(expected) = expected
            && expected != view.submission.revision
        {
            let mut conn = app.store.conn().await?;
            let stale = submissions::stale(&mut conn, &def, &view.submission, expected).await?;
            return Err(ServiceError::Stale(Box::new(stale)));
        }
        return Ok(Target {
            collection: view.submission.collection.clone(),
            version: view.submission.version,
            organisation_id: view.submission.organisation_id.clone(),
            period: view.submission.period.clone(),
            table: Some((view.submission.id.clone(), table.id.clone())),
        });
    }
    let Some(collection_slug) = new.collection.as_deref().filter(|c| !c.is_empty()) else {
        return Err(ServiceError::invalid("collection", "required", "Select the collection the file is for"));
    };
    let Some(organisation_slug) = new.organisation.as_deref().filter(|o| !o.is_empty()) else {
        return Err(ServiceError::invalid(
            "organisation",
            "required",
            "Select the organisation the file is for",
        ));
    };
    let no_organisation = || {
        ServiceError::invalid(
            "organisation",
            "not_found",
            format!("There is no organisation “{organisation_slug}”"),
        )
    };
    let no_collection = || {
        ServiceError::invalid(
            "collection",
            "not_found",
            format!("There is no collection “{collection_slug}”"),
        )
    };
    let mut conn = app.store.conn().await?;
    let organisation = match orgs::by_slug(&mut conn, organisation_slug).await? {
        Some(o) => o,
        None => orgs::by_id(&mut conn, organisation_slug).await?.ok_or_else(no_organisation)?,
    };
    match check(actor, Action::SeeRecords(&organisation.id)) {
        Err(ServiceError::NotFound(_)) => return Err(no_organisation()),
        other => other?,
    }
    let collection =
        collections_store::by_slug(&mut conn, collection_slug).await?.ok_or_else(no_collection)?;
    let assigned = collections_store::assigned_organisations(&mut conn, collection_slug).await?;
    drop(conn);
    if !assigned.contains(&organisation.id) {
        return Err(ServiceError::invalid(
            "collection",
            "not_found",
            format!("{} does not keep records for {}", organisation.name, collection.title),
        ));
    }
    let def = definition(app, collection_slug, collection.latest_version).await?;
    if def.kind != CollectionKind::Log {
        return Err(ServiceError::invalid(
            "collection",
            "kind",
            format!(
                "{} is a return, not a log: upload a table's rows from its section of the return",
                collection.title
            ),
        ));
    }
    check(actor, Action::EditRecords(&organisation.id, &editing_roles(&def)))?;
    let period = period_of(app, &def, new.period.as_deref())?;
    Ok(Target {
        collection: collection_slug.to_string(),
        version: collection.latest_version,
        organisation_id: organisation.id,
        period: period.key,
        table: None,
    })
}

/// The period `key` of a log (it must have started), or the latest that has.
pub(crate) fn period_of(
    app: &App,
    def: &Definition,
    key: Option<&str>,
) -> Result<formwork_definition::schedule::Period> {
    let today = today(app);
    match key.filter(|k| !k.is_empty()) {
        Some(key) => def.schedule.period_by_key(key).filter(|p| p.start <= today).ok_or_else(|| {
            ServiceError::invalid(
                "period",
                "choice",
                format!("{key} is not a period of {} that has started", def.title),
            )
        }),
        None => def.schedule.periods_until(today).pop().ok_or_else(|| {
            ServiceError::invalid("period", "choice", format!("No period of {} has started yet", def.title))
        }),
    }
}

/// Keep an uploaded file and queue it to be checked. The file is refused at once (and nothing
/// kept) when it is empty, too large, not a CSV or XLSX file, or stops before its end.
pub async fn receive<S, E>(app: &App, files: &Files, actor: &Actor, new: NewFile<S>) -> Result<UploadView>
where
    S: Stream<Item = std::result::Result<Bytes, E>>,
    E: Into<ReadError>,
{
    receive_from(app, files, actor, new, None).await
}

/// [`receive`] for a table of a return from revision `expected` of it, the one the person's page
/// showed: a return changed since is refused as stale, with what changed, and nothing is kept.
pub async fn receive_from<S, E>(
    app: &App,
    files: &Files,
    actor: &Actor,
    new: NewFile<S>,
    expected: Option<i64>,
) -> Result<UploadView>
where
    S: Stream<Item = std::result::Result<Bytes, E>>,
    E: Into<ReadError>,
{
    let NewFile { collection, organisation, period, submission, table, file_name, body } = new;
    // The body is not shared between threads (`Sync`): only the rest is held across awaits.
    let destination = Destination { collection, organisation, period, submission, table };
    let target = target(app, actor, &destination, expected).await?;
    let file_name = clean_file_name(&file_name);
    if file_name.is_empty() {
        return Err(file_problem("Select a CSV or XLSX file"));
    }
    let extension = file_name.rsplit_once('.').map(|(_, e)| e.to_lowercase()).unwrap_or_default();
    if !matches!(extension.as_str(), "csv" | "xlsx" | "txt") {
        return Err(file_problem(format!("The selected file must be a CSV or XLSX file, not .{extension}")));
    }
    let limit = app.settings.upload_max_bytes;
    let id = formwork_store::new_id();
    let key = format!("uploads/{id}/original");
    let mut head: Vec<u8> = Vec::new();
    let body = body.map(|chunk| {
        if let Ok(bytes) = &chunk
            && head.len() < 4096
        {
            let take = (4096 - head.len()).min(bytes.len());
            head.extend_from_slice(&bytes[..take]);
        }
        chunk
    });
    let stored = match files.put_stream(&key, body, Some(limit)).await {
        Ok(stored) => stored,
        Err(FilesError::TooLarge { .. }) => {
            return Err(file_problem(format!(
                "The selected file must be smaller than {} (the service's upload limit): split it into smaller files",
                size_words(limit)
            )));
        }
        Err(FilesError::Read(e)) => {
            tracing::info!(error = %e, "an upload stopped before it ended");
            return Err(file_problem("The file did not arrive whole: nothing was kept. Try again"));
        }
        Err(e) => return Err(ServiceError::Unavailable(Box::new(e))),
    };
    if let Err(e) = kind_of(&file_name, &head) {
        if let Err(d) = files.delete(&key).await {
            tracing::warn!(error = %d, key, "a refused upload could not be deleted");
        }
        return Err(e);
    }
    let now = app.now();
    let size = i64::try_from(stored.size).unwrap_or(i64::MAX);
    let table = target.table.as_ref().map(|(s, t)| (s.as_str(), t.as_str()));
    let mut tx = app.begin().await?;
    let same =
        store::same_file(&mut tx, &target.collection, &target.organisation_id, &stored.sha256, table).await?;
    let new_upload = NewUpload {
        id: &id,
        collection: &target.collection,
        version: target.version,
        organisation_id: &target.organisation_id,
        period: &target.period,
        table,
        file_name: &file_name,
        object_key: &key,
        size,
        sha256: &stored.sha256,
        state: if same.is_some() { UploadState::SameFile } else { UploadState::Queued },
        same_as: same.as_ref().map(|u| u.id.as_str()),
        by: actor.user_id(),
    };
    store::insert(&mut tx, &new_upload, now).await?;
    let event = AuditEvent::UploadReceived {
        upload: id.clone(),
        collection: target.collection.clone(),
        organisation: target.organisation_id.clone(),
        file_name: file_name.clone(),
        size,
        sha256: stored.sha256.clone(),
        same_as: same.as_ref().map(|u| u.id.clone()),
    };
    audit::record(&mut tx, actor.user_id(), &event, now).await?;
    if same.is_none() {
        formwork_jobs::enqueue(&mut tx, &crate::jobs::CheckUpload { upload: id.clone() }, now, now).await?;
    }
    commit(tx).await?;
    app.wake_worker();
    tracing::info!(upload.id = %id, upload.size = size, same_file = same.is_some(), "an upload was received");
    view_of(app, load(app, &id).await?).await
}

async fn load(app: &App, id: &str) -> Result<Upload> {
    let mut conn = app.store.conn().await?;
    store::by_id(&mut conn, id).await?.ok_or_else(|| ServiceError::NotFound("There is no such upload".into()))
}

/// An upload already read (by [`list`], which decided who may see it) with what pages and the API
/// show beside it.
pub async fn view_of(app: &App, upload: Upload) -> Result<UploadView> {
    let mut conn = app.store.conn().await?;
    let organisation = orgs::by_id(&mut conn, &upload.organisation_id).await?;
    drop(conn);
    let def = definition(app, &upload.collection, upload.version).await?;
    let period_label =
        def.schedule.period_by_key(&upload.period).map_or_else(|| upload.period.clone(), |p| p.label);
    let table_title =
        upload.table_id.as_deref().and_then(|t| def.table(t)).map(|t| def.sections[t.section].title.clone());
    Ok(UploadView {
        collection_title: def.title.clone(),
        organisation_name: organisation.as_ref().map(|o| o.name.clone()).unwrap_or_default(),
        organisation_slug: organisation.map(|o| o.slug).unwrap_or_default(),
        period_label,
        table_title,
        upload,
    })
}

/// An upload, for the people who may see its organisation's records.
pub async fn get(app: &App, actor: &Actor, id: &str) -> Result<UploadView> {
    let upload = load(app, id).await?;
    check(actor, Action::SeeRecords(&upload.organisation_id))
        .map_err(|e| if matches!(e, ServiceError::NotFound(_)) { not_found() } else { e })?;
    view_of(app, upload).await
}

/// Where an upload is, to finish "this upload …".
fn in_words(state: UploadState) -> &'static str {
    match state {
        UploadState::Queued => "is waiting to be checked",
        UploadState::Checking => "is being checked",
        UploadState::Failed => "has errors",
        UploadState::Confirm => "has warnings to confirm",
        UploadState::Storing => "is being stored",
        UploadState::Stored => "is stored",
        UploadState::SameFile => "was uploaded before",
    }
}

fn not_found() -> ServiceError {
    ServiceError::NotFound("There is no such upload".into())
}

/// Which uploads to list.
#[derive(Clone, Debug, Default)]
pub struct UploadFilter {
    /// One collection.
    pub collection: Option<String>,
    /// One organisation (id).
    pub organisation: Option<String>,
    /// One return's table uploads.
    pub submission: Option<String>,
    /// At most this many (default 50, at most 500).
    pub limit: Option<i64>,
}

/// The uploads `actor` may see, newest first: the staff see every organisation's, others their own
/// organisations'.
pub async fn list(app: &App, actor: &Actor, filter: UploadFilter) -> Result<Vec<Upload>> {
    let organisations = visible_organisations(actor, filter.organisation.as_deref())?;
    let mut conn = app.store.conn().await?;
    let filter = store::Filter {
        organisations,
        collection: filter.collection,
        submission: filter.submission,
        limit: filter.limit.unwrap_or(50).clamp(1, 500),
    };
    Ok(store::list(&mut conn, &filter).await?)
}

/// Whether `actor` may act on an upload's records or rows: confirm its warnings, upload a
/// corrected file (the pages ask before offering those forms).
pub async fn may_change(app: &App, actor: &Actor, upload: &Upload) -> Result<()> {
    let def = definition(app, &upload.collection, upload.version).await?;
    match upload.table_id.as_deref().and_then(|t| def.table(t)) {
        Some(table) => {
            check(actor, Action::EditSection(&upload.organisation_id, &def.sections[table.section].editors))
        }
        None => check(actor, Action::EditRecords(&upload.organisation_id, &editing_roles(&def))),
    }
}

/// Confirm the warnings of a checked upload with one reason: its records are then stored, each
/// with its warnings confirmed for that reason.
pub async fn confirm(app: &App, actor: &Actor, id: &str, reason: &str) -> Result<UploadView> {
    let upload = get(app, actor, id).await?.upload;
    may_change(app, actor, &upload).await?;
    let reason = reason.trim();
    if reason.is_empty() {
        return Err(ServiceError::invalid(
            "reason",
            "required",
            "Enter why the answers are right despite the warnings",
        ));
    }
    if reason.chars().count() > 1000 {
        return Err(ServiceError::invalid("reason", "length", "The reason must be 1000 characters or fewer"));
    }
    let now = app.now();
    let mut tx = app.begin().await?;
    if !store::confirm(&mut tx, id, reason, actor.user_id()).await? {
        return Err(ServiceError::Conflict(format!(
            "There are no warnings to confirm: this upload {}",
            in_words(upload.state)
        )));
    }
    let event = AuditEvent::UploadConfirmed {
        upload: id.to_string(),
        warnings: upload.warning_count,
        reason: reason.to_string(),
    };
    audit::record(&mut tx, actor.user_id(), &event, now).await?;
    formwork_jobs::enqueue(&mut tx, &crate::jobs::CheckUpload { upload: id.to_string() }, now, now).await?;
    commit(tx).await?;
    app.wake_worker();
    get(app, actor, id).await
}

/// Check a failed upload again (after a fix to the service, or a definition it now meets): the
/// service's administrators.
pub async fn rerun(app: &App, actor: &Actor, id: &str) -> Result<UploadView> {
    let upload = get(app, actor, id).await?.upload;
    check(actor, Action::ManageUploads)?;
    let now = app.now();
    let mut tx = app.begin().await?;
    if !store::rerun(&mut tx, id).await? {
        return Err(ServiceError::Conflict(format!(
            "Only an upload that failed can be checked again: this upload {}",
            in_words(upload.state)
        )));
    }
    audit::record(&mut tx, actor.user_id(), &AuditEvent::UploadRerun { upload: id.to_string() }, now).await?;
    formwork_jobs::enqueue(&mut tx, &crate::jobs::CheckUpload { upload: id.to_string() }, now, now).await?;
    commit(tx).await?;
    app.wake_worker();
    get(app, actor, id).await
}

/// The file as it was uploaded: the service's administrators.
pub async fn original(app: &App, files: &Files, actor: &Actor, id: &str) -> Result<(UploadView, Download)> {
    let view = get(app, actor, id).await?;
    check(actor, Action::ManageUploads)?;
    let download = files.get_stream(&view.upload.object_key).await.map_err(|e| match e {
        FilesError::NotFound(_) => ServiceError::NotFound("The uploaded file is no longer kept".into()),
        other => ServiceError::Unavailable(Box::new(other)),
    })?;
    Ok((view, download))
}

/// The file marked up with its problems, for the people who may see the upload.
pub async fn annotated(app: &App, files: &Files, actor: &Actor, id: &str) -> Result<(UploadView, Download)> {
    let view = get(app, actor, id).await?;
    let Some(key) = view.upload.annotated_key.clone() else {
        return Err(ServiceError::NotFound("This upload has no marked-up file: it had no problems".into()));
    };
    let download = files.get_stream(&key).await.map_err(|e| match e {
        FilesError::NotFound(_) => ServiceError::NotFound("The marked-up file is no longer kept".into()),
        other => ServiceError::Unavailable(Box::new(other)),
    })?;
    Ok((view, download))
}

/// Check upload `id` and store it when it passes: the body of the `check_upload` job. Safe to run
/// any number of times, at once or after a worker died part-way: what is stored is stored in one
/// transaction with the upload's move to `stored`, which only one run can make.
pub async fn process(app: &App, files: &Files, id: &str) -> Result<()> {
    let upload = load(app, id).await?;
    if upload.state.is_finished() {
        return Ok(());
    }
    let now = app.now();
    let checking_from = upload.state;
    {
        let mut conn = app.store.conn().await?;
        if !store::advance(&mut conn, id, UploadState::Checking, None, now).await? {
            return Ok(());
        }
    }
    tracing::info!(upload.id = id, from = checking_from.as_str(), "checking an upload");
    let def = definition(app, &upload.collection, upload.version).await?;
    let local = match fetch(files, &upload).await {
        Ok(local) => local,
        Err(FilesError::NotFound(_)) => {
            return fail(app, &upload, "The uploaded file is no longer kept: upload it again", None).await;
        }
        Err(e) => return Err(ServiceError::Unavailable(Box::new(e))),
    };
    let kind = {
        let mut head = vec![0u8; 4096];
        // The file's handles share one position, which the copy left at the end.
        let mut file = &local;
        file.seek(SeekFrom::Start(0)).map_err(ServiceError::internal)?;
        let n = std::io::Read::read(&mut file, &mut head).map_err(ServiceError::internal)?;
        head.truncate(n);
        match kind_of(&upload.file_name, &head) {
            Ok(kind) => kind,
            Err(ServiceError::Invalid(problems)) => {
                let message = problems.first().map(|p| p.message.clone()).unwrap_or_default();
                return fail(app, &upload, &message, None).await;
            }
            Err(e) => return Err(e),
        }
    };
    let period = def.schedule.period_by_key(&upload.period).ok_or_else(|| {
        ServiceError::internal(format!("upload {id} has the unknown period {}", upload.period))
    })?;
    let ctx = Context { today: today(app), period: Some(period.dates()) };
    let stored_keys = match &upload.table_id {
        None if !def.record_key.is_empty() => {
            let mut conn = app.store.conn().await?;
            records_store::keys(&mut conn, &upload.collection, &upload.organisation_id).await?
        }
        _ => HashMap::new(),
    };
    let rows_read = Arc::new(AtomicI64::new(0));
    let errors_so_far = Arc::new(AtomicI64::new(0));
    let ticker = progress_ticker(app.clone(), id.to_string(), rows_read.clone(), errors_so_far.clone());
    let checked = {
        let (def, local, limits) =
            (def.clone(), local.try_clone().map_err(ServiceError::internal)?, limits(app));
        let table = upload.table_id.clone();
        let (rows_read, errors_so_far) = (rows_read.clone(), errors_so_far.clone());
        tokio::task::spawn_blocking(move || {
            check_file(&def, local, kind, table, &ctx, &limits, &stored_keys, &rows_read, &errors_so_far)
        })
        .await
        .map_err(ServiceError::internal)?
    };
    ticker.abort();
    let checked = checked?;
    let report = &checked.report;
    let mut items: Vec<Item> = match upload.table_id.as_deref().and_then(|t| def.table(t)) {
        Some(table) => about_table(&def, table, report),
        None => report.errors.iter().chain(&report.warnings).cloned().collect(),
    };
    items.extend(checked.duplicates.iter().cloned());
    items.sort_by_key(|i| (!i.is_error(), i.row.unwrap_or(0)));
    items.truncate(MAX_ITEMS);
    let error_count = i64::try_from(
        if upload.table_id.is_some() {
            items.iter().filter(|i| i.is_error()).count()
        } else {
            report.error_count
        } + checked.duplicates.len(),
    )
    .unwrap_or(i64::MAX);
    let warning_count =
        i64::try_from(items.iter().filter(|i| !i.is_error()).count().max(if upload.table_id.is_some() {
            0
        } else {
            report.warning_count
        }))
        .unwrap_or(i64::MAX);
    let rows = i64::try_from(report.records).unwrap_or(i64::MAX);
    let refused = report.read_as.is_none();
    if refused || error_count > 0 {
        let message = refused.then(|| {
            items.first().map_or_else(|| "The file could not be read".to_string(), |i| i.message.clone())
        });
        let outcome = Outcome {
            rows_read: rows,
            error_count: error_count.max(1),
            warning_count,
            stored_count: 0,
            message: message.clone(),
            items: items.iter().filter_map(|i| serde_json::to_value(i).ok()).collect(),
            annotated_key: None,
        };
        // The report is ready now; the file marked up with it (seconds, for a large file) follows.
        finish_failed(app, &upload, outcome).await?;
        if !refused
            && let Some(key) = annotate(files, &upload, kind, &local, report, &checked.duplicates).await
        {
            let mut conn = app.store.conn().await?;
            store::set_annotated(&mut conn, id, &key).await?;
        }
        return Ok(());
    }
    let outcome = Outcome {
        rows_read: rows,
        error_count: 0,
        warning_count,
        stored_count: 0,
        message: None,
        items: items.iter().filter_map(|i| serde_json::to_value(i).ok()).collect(),
        annotated_key: None,
    };
    // A table's rows replace the table with their warnings, which are confirmed one by one on
    // the section as any other answers' are: asking for them here too would ask twice.
    if warning_count > 0 && upload.confirmed_reason.is_none() && upload.table_id.is_none() {
        let mut conn = app.store.conn().await?;
        store::advance(&mut conn, id, UploadState::Confirm, Some(&outcome), app.now()).await?;
        drop(conn);
        tracing::info!(upload.id = id, warnings = warning_count, "an upload has warnings to confirm");
        return email_if_slow(app, &upload).await;
    }
    {
        let mut conn = app.store.conn().await?;
        if !store::advance(&mut conn, id, UploadState::Storing, None, app.now()).await? {
            return Ok(());
        }
    }
    match &upload.table_id {
        Some(table) => store_table(app, &upload, table, checked.rows, outcome).await?,
        None => store_records(app, &upload, &def, checked.records, &items, outcome).await?,
    }
    email_if_slow(app, &upload).await
}

fn limits(app: &App) -> Limits {
    Limits {
        max_bytes: app.settings.upload_max_bytes,
        max_rows: app.settings.upload_max_rows,
        ..Limits::default()
    }
}

/// Write how far a check has got every [`PROGRESS_EVERY`], until aborted.
fn progress_ticker(
    app: App,
    id: String,
    rows: Arc<AtomicI64>,
    errors: Arc<AtomicI64>,
) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let mut last = -1;
        loop {
            tokio::time::sleep(PROGRESS_EVERY).await;
            let now_rows = rows.load(Ordering::Relaxed);
            if now_rows == last {
                continue;
            }
            last = now_rows;
            if let Ok(mut conn) = app.store.conn().await
                && let Err(e) =
                    store::progress(&mut conn, &id, now_rows, errors.load(Ordering::Relaxed)).await
            {
                tracing::debug!(error = %e, upload.id = %id, "progress not written");
            }
        }
    })
}

/// Copy the stored file to a temporary local file (removed when dropped), streaming.
async fn fetch(files: &Files, upload: &Upload) -> std::result::Result<std::fs::File, FilesError> {
    let mut download = files.get_stream(&upload.object_key).await?;
    let file = tempfile::tempfile().map_err(|e| FilesError::Read(ReadError::from(e)))?;
    let mut out = tokio::fs::File::from_std(file.try_clone().map_err(|e| FilesError::Read(e.into()))?);
    while let Some(chunk) = download.next().await {
        tokio::io::AsyncWriteExt::write_all(&mut out, &chunk?)
            .await
            .map_err(|e| FilesError::Read(e.into()))?;
    }
    tokio::io::AsyncWriteExt::flush(&mut out).await.map_err(|e| FilesError::Read(e.into()))?;
    Ok(file)
}

/// What checking the file found.
struct Checked {
    report: FileReport,
    /// `duplicate` items: records whose key an organisation's stored record has.
    duplicates: Vec<Item>,
    /// For a log with no errors: the checked records, one JSON line each, in a temporary file.
    records: Option<std::fs::File>,
    /// For a table: its rows.
    rows: Vec<Value>,
}

/// Takes the checked records of a log: counts them, finds stored keys, and writes the records to a
/// temporary file while none has an error (past the first error nothing will be stored).
struct LogSink<'a> {
    key: Vec<String>,
    key_label: String,
    stored: &'a HashMap<String, String>,
    duplicates: Vec<Item>,
    out: Option<BufWriter<std::fs::File>>,
    write_error: Option<std::io::Error>,
    rows: &'a AtomicI64,
    errors: &'a AtomicI64,
    any_error: bool,
}

impl RecordSink for LogSink<'_> {
    fn checked(&mut self, record: CheckedAnswers) {
        self.rows.fetch_add(1, Ordering::Relaxed);
        let mut has_error = record.has_errors;
        if let Some(key) = records_store::key_of(&self.key, &record.answers)
            && let Some(other) = self.stored.get(&key)
        {
            has_error = true;
            self.duplicates.push(Item {
                row: record.row,
                column: Some(self.key_label.clone()),
                ..Item::error(
                    Code::Duplicate,
                    format!("records/{}/{}", record.index, self.key.first().map_or("", String::as_str)),
                    format!(
                        "A record with the same {} is already stored (record {other}): remove this row or change it",
                        self.key_label
                    ),
                )
            });
        }
        if has_error {
            self.errors.fetch_add(1, Ordering::Relaxed);
            self.any_error = true;
            self.out = None;
            return;
        }
        if let Some(out) = &mut self.out {
            let line = serde_json::json!([record.index, record.row, record.answers]);
            if let Err(e) = serde_json::to_writer(&mut *out, &line)
                .map_err(std::io::Error::from)
                .and_then(|()| out.write_all(b"\n"))
            {
                self.write_error.get_or_insert(e);
                self.out = None;
            }
        }
    }
}

#[expect(clippy::too_many_arguments, reason = "one blocking call with everything the check needs")]
fn check_file(
    def: &Definition,
    mut file: std::fs::File,
    kind: Kind,
    table: Option<String>,
    ctx: &Context,
    limits: &Limits,
    stored: &HashMap<String, String>,
    rows: &AtomicI64,
    errors: &AtomicI64,
) -> Result<Checked> {
    file.seek(SeekFrom::Start(0)).map_err(ServiceError::internal)?;
    let options = Options { table: table.clone(), max_items: MAX_ITEMS, ..Options::default() };
    let read = |sink: &mut dyn RecordSink, file: std::fs::File| match kind {
        Kind::Csv => {
            formwork_tabular::validate_csv_into(def, BufReader::new(file), ctx, limits, &options, sink)
        }
        Kind::Xlsx => {
            formwork_tabular::validate_xlsx_into(def, BufReader::new(file), ctx, limits, &options, sink)
        }
    };
    if let Some(table) = table {
        let mut checked: Vec<CheckedAnswers> = Vec::new();
        let mut sink = |answers: CheckedAnswers| {
            rows.fetch_add(1, Ordering::Relaxed);
            if answers.has_errors {
                errors.fetch_add(1, Ordering::Relaxed);
            }
            checked.push(answers);
        };
        let report = read(&mut sink, file).map_err(ServiceError::internal)?;
        let rows = match &report.read_as {
            Some(ReadAs::Table { table: read, .. }) if *read == table => {
                checked.into_iter().map(|c| Value::Object(c.answers)).collect()
            }
            Some(ReadAs::Submission) => checked
                .into_iter()
                .next()
                .and_then(|c| c.answers.get(&table).and_then(Value::as_array).cloned())
                .unwrap_or_default(),
            Some(_) => {
                let mut report = report;
                report.read_as = None;
                report.errors = vec![Item::error(
                    Code::Template,
                    "",
                    "The file is not a template for this table: download the template for its section",
                )];
                report.error_count = 1;
                return Ok(Checked { report, duplicates: Vec::new(), records: None, rows: Vec::new() });
            }
            None => Vec::new(),
        };
        return Ok(Checked { report, duplicates: Vec::new(), records: None, rows });
    }
    let key: Vec<String> = crate::records::key_questions(def).iter().map(|q| q.id.clone()).collect();
    let key_label = crate::records::key_questions(def)
        .iter()
        .map(|q| q.label.to_lowercase())
        .collect::<Vec<_>>()
        .join(", ");
    let out = tempfile::tempfile().map_err(ServiceError::internal)?;
    let mut sink = LogSink {
        key,
        key_label,
        stored,
        duplicates: Vec::new(),
        out: Some(BufWriter::with_capacity(1 << 20, out.try_clone().map_err(ServiceError::internal)?)),
        write_error: None,
        rows,
        errors,
        any_error: false,
    };
    let report = read(&mut sink, file).map_err(ServiceError::internal)?;
    if let Some(e) = sink.write_error {
        return Err(ServiceError::internal(e));
    }
    let records = match sink.out.take() {
        Some(mut writer) if !sink.any_error => {
            writer.flush().map_err(ServiceError::internal)?;
            drop(writer);
            Some(out)
        }
        _ => None,
    };
    Ok(Checked { report, duplicates: sink.duplicates, records, rows: Vec::new() })
}

/// Write the file back with its problems marked, keep it, and give its key; `None` when that
/// fails (the report on the page is what matters, so the failure is logged).
async fn annotate(
    files: &Files,
    upload: &Upload,
    kind: Kind,
    local: &std::fs::File,
    report: &FileReport,
    duplicates: &[Item],
) -> Option<String> {
    let mut report = report.clone();
    for item in duplicates {
        report.errors.push(item.clone());
        report.error_count += 1;
    }
    report.errors.sort_by_key(|i| i.row.unwrap_or(0));
    let name = upload.file_name.clone();
    let input = local.try_clone().ok()?;
    let written = tokio::task::spawn_blocking(move || -> std::result::Result<std::fs::File, String> {
        let mut input = input;
        input.seek(SeekFrom::Start(0)).map_err(|e| e.to_string())?;
        let source = match kind {
            Kind::Csv => Source::Csv(BufReader::new(input)),
            Kind::Xlsx => Source::Xlsx(BufReader::new(input)),
        };
        let out = tempfile::tempfile().map_err(|e| e.to_string())?;
        let limits = Limits::default();
        report::write(source, &report, &name, &limits, out.try_clone().map_err(|e| e.to_string())?)
            .map_err(|e| e.to_string())?;
        Ok(out)
    })
    .await;
    let mut out = match written {
        Ok(Ok(out)) => out,
        Ok(Err(e)) => {
            tracing::warn!(error = %e, upload.id = %upload.id, "an upload's annotated workbook could not be written");
            return None;
        }
        Err(e) => {
            tracing::warn!(error = %e, upload.id = %upload.id, "writing an annotated workbook stopped");
            return None;
        }
    };
    if out.seek(SeekFrom::Start(0)).is_err() {
        return None;
    }
    let key = format!("uploads/{}/annotated.xlsx", upload.id);
    match files.put_reader(&key, tokio::fs::File::from_std(out), None).await {
        Ok(_) => Some(key),
        Err(e) => {
            tracing::warn!(error = %e, upload.id = %upload.id, "an annotated workbook could not be stored");
            None
        }
    }
}

/// End upload `id` as failed because checking it met a fault of the service's (logged where it
/// happened), not a problem of the file: a service admin can check it again once that is put right.
pub async fn fail_with_fault(app: &App, id: &str) -> Result<()> {
    let upload = load(app, id).await?;
    if upload.state.is_finished() {
        return Ok(());
    }
    let message = "The file could not be checked because of a fault in the service. Nothing was stored: \
                   try again later, or ask the service's administrators to check it again";
    fail(app, &upload, message, None).await
}

async fn fail(app: &App, upload: &Upload, message: &str, items: Option<Vec<Value>>) -> Result<()> {
    let item = Item::error(Code::File, "", message);
    let outcome = Outcome {
        error_count: 1,
        message: Some(message.to_string()),
        items: items.unwrap_or_else(|| serde_json::to_value(&item).into_iter().collect()),
        ..Outcome::default()
    };
    finish_failed(app, upload, outcome).await
}

async fn finish_failed(app: &App, upload: &Upload, outcome: Outcome) -> Result<()> {
    let now = app.now();
    let mut tx = app.begin().await?;
    if store::advance(&mut tx, &upload.id, UploadState::Failed, Some(&outcome), now).await? {
        let event = AuditEvent::UploadFailed {
            upload: upload.id.clone(),
            errors: outcome.error_count,
            message: outcome.message.clone(),
        };
        audit::record(&mut tx, None, &event, now).await?;
    }
    commit(tx).await?;
    tracing::info!(upload.id = %upload.id, errors = outcome.error_count, "an upload has errors: nothing stored");
    email_if_slow(app, upload).await
}

/// The confirmations a stored record gets for its warnings: each under its key within the record.
fn confirmations_by_record(
    items: &[Item],
    reason: &str,
    by: Option<&str>,
    now: i64,
) -> HashMap<usize, BTreeMap<String, Confirmation>> {
    let mut by_record: HashMap<usize, BTreeMap<String, Confirmation>> = HashMap::new();
    for item in items.iter().filter(|i| !i.is_error()) {
        let Some(rest) = item.path.strip_prefix("records/") else { continue };
        let Some((index, path)) = rest.split_once('/') else { continue };
        let Ok(index) = index.parse::<usize>() else { continue };
        let mut local = item.clone();
        local.path = path.to_string();
        by_record.entry(index).or_default().insert(
            submissions::warning_key(&local),
            Confirmation { reason: reason.to_string(), by: by.map(str::to_string), at: now },
        );
    }
    by_record
}

async fn store_records(
    app: &App,
    upload: &Upload,
    def: &Definition,
    records: Option<std::fs::File>,
    items: &[Item],
    mut outcome: Outcome,
) -> Result<()> {
    let Some(mut records) = records else {
        return Err(ServiceError::internal("a clean upload kept no records"));
    };
    records.seek(SeekFrom::Start(0)).map_err(ServiceError::internal)?;
    let key: Vec<String> = crate::records::key_questions(def).iter().map(|q| q.id.clone()).collect();
    let now = app.now();
    let reason = upload.confirmed_reason.clone().unwrap_or_default();
    let mut confirmations = confirmations_by_record(items, &reason, upload.confirmed_by.as_deref(), now);
    let mut tx = app.begin().await?;
    let mut lines = BufReader::with_capacity(1 << 20, records).lines();
    let mut stored: i64 = 0;
    loop {
        let mut batch: Vec<NewRecord> = Vec::with_capacity(BATCH);
        for line in lines.by_ref().take(BATCH) {
            let line = line.map_err(ServiceError::internal)?;
            let (index, row, answers): (usize, Option<i64>, Map<String, Value>) =
                serde_json::from_str(&line).map_err(ServiceError::internal)?;
            batch.push(NewRecord {
                collection: upload.collection.clone(),
                version: upload.version,
                organisation_id: upload.organisation_id.clone(),
                period: upload.period.clone(),
                record_key: records_store::key_of(&key, &answers),
                state: RecordState::Completed,
                confirmations: confirmations.remove(&index).unwrap_or_default(),
                answers,
                upload: Some((upload.id.clone(), row.unwrap_or(i64::try_from(index).unwrap_or(0)))),
                by: upload.created_by.clone(),
            });
        }
        if batch.is_empty() {
            break;
        }
        match records_store::insert_many(&mut tx, batch, now).await {
            Ok(n) => stored += i64::try_from(n).unwrap_or(0),
            // Another run is storing the same rows (`upload_id, upload_row` is unique): this one
            // stops, and tries again later unless that one has finished.
            Err(formwork_store::StoreError::Conflict { .. }) => {
                drop(tx);
                return match load(app, &upload.id).await?.state {
                    UploadState::Stored => Ok(()),
                    _ => Err(ServiceError::Unavailable("another run is storing this upload".into())),
                };
            }
            Err(e) => return Err(e.into()),
        }
    }
    outcome.stored_count = stored;
    if !store::advance(&mut tx, &upload.id, UploadState::Stored, Some(&outcome), now).await? {
        // Another run stored it first: this one's records go with its transaction.
        tx.rollback().await.map_err(|e| ServiceError::from(formwork_store::StoreError::from(e)))?;
        return Ok(());
    }
    audit::record(&mut tx, None, &AuditEvent::UploadStored { upload: upload.id.clone(), stored }, now)
        .await?;
    commit(tx).await?;
    tracing::info!(upload.id = %upload.id, records = stored, "an upload's records were stored");
    Ok(())
}

async fn store_table(
    app: &App,
    upload: &Upload,
    table: &str,
    rows: Vec<Value>,
    mut outcome: Outcome,
) -> Result<()> {
    let Some(submission) = upload.submission_id.as_deref() else {
        return Err(ServiceError::internal("a table upload without its return"));
    };
    // The person who uploaded it changes the return, under their own roles as they are now.
    let actor = match &upload.created_by {
        Some(user) => {
            let mut conn = app.store.conn().await?;
            match formwork_store::users::by_id(&mut conn, user).await? {
                Some(user) => Actor::person(&mut conn, user).await?,
                None => Actor::System,
            }
        }
        None => Actor::System,
    };
    let count = i64::try_from(rows.len()).unwrap_or(i64::MAX);
    let view = submissions::get(app, &actor, submission).await?;
    let edit = Edit::ReplaceTable { table: table.to_string(), rows, file_name: upload.file_name.clone() };
    match submissions::edit(app, &actor, submission, view.submission.revision, edit).await {
        Ok(_) => {}
        Err(
            e @ (ServiceError::Forbidden(_)
            | ServiceError::Conflict(_)
            | ServiceError::Invalid(_)
            | ServiceError::NotFound(_)),
        ) => {
            return fail(app, upload, &e.to_string(), None).await;
        }
        Err(e) => return Err(e),
    }
    outcome.stored_count = count;
    let now = app.now();
    let mut tx = app.begin().await?;
    if store::advance(&mut tx, &upload.id, UploadState::Stored, Some(&outcome), now).await? {
        audit::record(
            &mut tx,
            None,
            &AuditEvent::UploadStored { upload: upload.id.clone(), stored: count },
            now,
        )
        .await?;
    }
    commit(tx).await?;
    Ok(())
}

/// An email to the person who uploaded a file, when checking it took more than a minute.
async fn email_if_slow(app: &App, upload: &Upload) -> Result<()> {
    let now = app.now();
    if now - upload.created_at < EMAIL_AFTER_MS {
        return Ok(());
    }
    let Some(user) = &upload.created_by else { return Ok(()) };
    let mut conn = app.store.conn().await?;
    let Some(user) = formwork_store::users::by_id(&mut conn, user).await? else { return Ok(()) };
    let Some(finished) = store::by_id(&mut conn, &upload.id).await? else { return Ok(()) };
    drop(conn);
    let link = app.link(&format!("/uploads/{}", upload.id));
    let email = crate::emails::upload_finished(
        &app.settings.service_name,
        &user.email,
        &upload.file_name,
        finished.state,
        finished.stored_count,
        finished.error_count,
        &link,
    );
    let mut conn = app.store.conn().await?;
    SendEmail::enqueue(&mut conn, email, now).await?;
    drop(conn);
    app.wake_worker();
    Ok(())
}

#[cfg(test)]
mod tests {
    use formwork_definition::Severity;

    use super::*;

    fn item(severity: Severity, column: &str, code: Code, cell: &str) -> Item {
        Item {
            severity,
            column: Some(column.into()),
            cell: Some(cell.into()),
            ..Item::error(code, "records/0/x", format!("{column} {code}"))
        }
    }

    #[test]
    fn the_summary_groups_items_by_column_and_code_errors_first() {
        let items = vec![
            item(Severity::Warning, "Rent", Code::Rule, "D2"),
            item(Severity::Error, "Postcode", Code::Type, "C2"),
            item(Severity::Error, "Postcode", Code::Type, "C3"),
            item(Severity::Error, "Rent", Code::Min, "D4"),
        ];
        let groups = summary(&items);
        let shape: Vec<(&str, &str, &str, usize, Vec<String>)> = groups
            .iter()
            .map(|g| (g.severity.as_str(), g.column.as_str(), g.code.as_str(), g.count, g.first.clone()))
            .collect();
        assert_eq!(
            shape,
            vec![
                ("error", "Postcode", "type", 2, vec!["C2".to_string(), "C3".to_string()]),
                ("error", "Rent", "min", 1, vec!["D4".to_string()]),
                ("warning", "Rent", "rule", 1, vec!["D2".to_string()]),
            ]
        );
    }

    #[test]
    fn confirmations_go_to_the_record_each_warning_is_about() {
        let mut warning = item(Severity::Warning, "Rent", Code::Rule, "D2");
        warning.path = "records/3/weekly_rent".into();
        warning.rule = Some("high_rent".into());
        let by = confirmations_by_record(&[warning], "checked with the tenant", Some("u1"), 5);
        let confirmed = &by[&3];
        assert_eq!(confirmed.keys().collect::<Vec<_>>(), vec!["weekly_rent#high_rent"]);
        assert_eq!(confirmed["weekly_rent#high_rent"].reason, "checked with the tenant");
    }
}
