//! Exports: exactly what a search selects, in the formats analysts use, streamed with constant
//! memory — to an HTTP response, a file, or object storage.
//!
//! [`prepare`] decides who may export what (the search's own selection, so an organisation's
//! people get only their organisation's rows) and builds the columns across every version of the
//! collection. The rows are then read in batches by id, the next batch fetched while the current
//! one is written, by one blocking thread that writes into a bounded channel: memory holds a batch
//! or two and the channel's few chunks, whatever the size, and the first bytes leave at once.
//! Large exports run as jobs ([`start_job`]) into object storage, downloadable only by the person
//! who asked until they expire; scheduled exports ([`run_feed`]) write a collection's nightly feed
//! with a manifest.

use std::io::{self, Write};
use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use chrono::{DateTime, Utc};
use formwork_definition::{Definition, Kind};
use formwork_export::{Choices, Dictionary, ExportWriter, Format, Headers, Meta, Options, Plan};
use formwork_files::Files;
use formwork_store::exports::{self as store, Export};
pub use formwork_store::exports::{ExportState, Feed, FeedMode};
use formwork_store::search::{self, Selection, Subject};
use futures_util::Stream;
use serde::{Deserialize, Serialize};
use sha2::{Digest as _, Sha256};
use tokio::sync::mpsc;

use crate::collections::definition;
use crate::jobs::RunExport;
use crate::policy::{Action, check};
use crate::search::{SearchQuery, selection_of};
use crate::{Actor, App, Result, ServiceError};

/// Rows read in the first batch: few, so that the first bytes leave at once.
const FIRST_BATCH: usize = 500;
/// The bytes of rows a later batch aims at: its rows are as many as fit, by the batches so far.
const BATCH_BYTES: usize = 4 << 20;
/// The fewest and the most rows read at a time.
const BATCH_ROWS: (usize, usize) = (100, 10_000);
/// Bytes gathered before they are sent on: large, because every chunk costs the sending thread
/// a wake-up and the kernel a write (a million records are 1.2 GB of JSON Lines).
const CHUNK: usize = 1024 * 1024;
/// Chunks that may wait in the channel for a slow reader (memory holds a few more: [`Pool::KEPT`]).
const CHUNKS_IN_FLIGHT: usize = 2;
/// A chunk is sent after this long even when small, so that a slow export shows progress.
const CHUNK_WAIT: Duration = Duration::from_millis(50);

/// What to export: a collection, a format, the search's filters and the format's options.
#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq)]
pub struct ExportRequest {
    /// The collection's slug.
    pub collection: String,
    /// The format's name: csv, xlsx, jsonl or parquet.
    pub format: String,
    /// The search's filters as query-string pairs ([`SearchQuery::filter_pairs`]); its collection
    /// is this export's.
    pub filters: Vec<(String, String)>,
    /// Question labels as column headers instead of ids (CSV, XLSX).
    pub labels: bool,
    /// Choices' labels instead of their values.
    pub choice_labels: bool,
    /// Only this table section (a return's): its rows as one file.
    pub table: Option<String>,
}

/// An export ready to run: what it reads, how it writes, and what its file is called.
#[derive(Clone, Debug)]
pub struct Prepared {
    /// The file's name.
    pub file_name: String,
    /// Its content type.
    pub content_type: &'static str,
    /// The data dictionary's address on this service, for a `Link` header.
    pub dictionary_link: String,
    format: Format,
    selection: Selection,
    plan: Arc<Plan>,
    options: Options,
    dictionary: Dictionary,
}

impl Prepared {
    /// The rows it selects.
    pub fn selection(&self) -> &Selection {
        &self.selection
    }
}

/// The format named `name`, or a 400-class problem naming those there are.
pub fn format_named(name: &str) -> Result<Format> {
    Format::parse(name).ok_or_else(|| {
        ServiceError::invalid(
            "format",
            "format",
            format!("There is no export format “{name}”: use csv, xlsx, jsonl or parquet"),
        )
    })
}

/// Every published version of a collection, newest first.
pub(crate) async fn all_versions(app: &App, slug: &str) -> Result<Vec<Arc<Definition>>> {
    let numbers: Vec<i64> = {
        let mut conn = app.store.conn().await?;
        formwork_store::collections::versions(&mut conn, slug).await?.into_iter().map(|v| v.version).collect()
    };
    let mut versions = Vec::with_capacity(numbers.len());
    for number in numbers {
        versions.push(definition(app, slug, number).await?);
    }
    Ok(versions)
}

/// Check that `actor` may export what `request` asks for and get it ready: the search's
/// selection for this collection as `actor` may see it, the columns across every version.
pub async fn prepare(app: &App, actor: &Actor, request: &ExportRequest) -> Result<Prepared> {
    check(actor, Action::Export)?;
    // A collection the person may not see is not there for them (404), as on its pages.
    crate::collections::latest_definition(app, actor, &request.collection).await?;
    let format = format_named(&request.format)?;
    let versions = all_versions(app, &request.collection).await?;
    let latest = versions
        .first()
        .cloned()
        .ok_or_else(|| ServiceError::NotFound(format!("There is no collection “{}”", request.collection)))?;
    let subject = match latest.kind {
        Kind::Return => Subject::Submissions,
        Kind::Log => Subject::Records,
    };
    let mut query =
        SearchQuery::from_pairs(subject, request.filters.iter().map(|(k, v)| (k.as_str(), v.as_str())));
    query.collection = Some(request.collection.clone());
    // Who may see which rows is the search's rule: one rule for pages, API and exports.
    let selection = selection_of(app, actor, &query).await?;
    // An empty table is the main part alone (a feed's first file).
    if let Some(table) = request.table.as_deref().filter(|t| !t.is_empty())
        && !versions.iter().any(|d| d.table(table).is_some())
    {
        return Err(ServiceError::invalid(
            "table",
            "table",
            format!("{} has no table section “{table}”", latest.title),
        ));
    }
    let plan = Arc::new(Plan::new(&versions).map_err(ServiceError::internal)?);
    let options = Options {
        headers: if request.labels { Headers::Labels } else { Headers::Ids },
        choices: if request.choice_labels { Choices::Labels } else { Choices::Values },
        table: request.table.clone(),
    };
    let output = formwork_export::output(&plan, format, &options).map_err(ServiceError::internal)?;
    let dictionary = Dictionary {
        files: vec![(
            "data-dictionary.html".to_string(),
            formwork_definition::dictionary::html(&latest).into_bytes(),
        )],
    };
    Ok(Prepared {
        file_name: output.file_name,
        content_type: output.content_type,
        dictionary_link: app
            .link(&format!("/collections/{}/versions/{}", request.collection, latest.version)),
        format,
        selection,
        plan,
        options,
        dictionary,
    })
}

/// How many rows a prepared export holds now.
pub async fn count(app: &App, prepared: &Prepared) -> Result<i64> {
    let mut conn = app.store.conn().await?;
    Ok(search::count(&mut conn, &prepared.selection).await?)
}

/// What an export wrote: each file (one, or the parts inside its zip) and its rows.
pub use formwork_export::Summary;

/// The bytes of a prepared export as they are written: an HTTP body as it is. A failure after the
/// first bytes ends the stream with an error (the client sees a cut-off transfer, never a file
/// that looks whole); it is logged once, here.
pub fn stream(app: &App, prepared: Prepared) -> impl Stream<Item = io::Result<Bytes>> + Send + 'static {
    let (tx, rx) = mpsc::channel::<io::Result<Bytes>>(CHUNKS_IN_FLIGHT);
    let app = app.clone();
    let errors = tx.clone();
    tokio::task::spawn_blocking(move || {
        let out = ChannelWriter::new(tx);
        if let Err(e) = run(&app, prepared, out, &|_| ()) {
            if !e.is_disconnect() {
                tracing::error!(error = %e, "an export stopped part way");
            }
            let _ = errors.blocking_send(Err(io::Error::other("the export stopped part way")));
        }
    });
    futures_util::stream::unfold(rx, |mut rx| async move { rx.recv().await.map(|chunk| (chunk, rx)) })
}

/// Write a prepared export to `out` (a file, standard output), calling `progress` with the rows
/// written after each batch. Blocks: call it from a blocking thread or [`write_async`].
pub fn write_blocking<W: Write + Send + 'static>(
    app: &App,
    prepared: Prepared,
    out: W,
    progress: &(dyn Fn(i64) + Sync),
) -> Result<Summary> {
    run(app, prepared, out, progress).map_err(RunError::into_service)
}

/// [`write_blocking`] on a blocking thread.
pub async fn write_async<W: Write + Send + 'static>(
    app: &App,
    prepared: Prepared,
    out: W,
) -> Result<Summary> {
    let app = app.clone();
    tokio::task::spawn_blocking(move || write_blocking(&app, prepared, out, &|_| ()))
        .await
        .map_err(ServiceError::internal)?
}

/// Why an export run stopped.
#[derive(Debug, thiserror::Error)]
enum RunError {
    /// Reading rows failed.
    #[error(transparent)]
    Service(#[from] ServiceError),
    /// Writing the file failed (or whoever read it went away).
    #[error("the export could not be written")]
    Write(#[source] formwork_export::ExportError),
}

impl RunError {
    /// True when the reader went away (a download cancelled): nothing to log.
    fn is_disconnect(&self) -> bool {
        match self {
            RunError::Write(e) => {
                let mut source: Option<&(dyn std::error::Error + 'static)> = Some(e);
                while let Some(error) = source {
                    if error
                        .downcast_ref::<io::Error>()
                        .is_some_and(|io| io.kind() == io::ErrorKind::BrokenPipe)
                    {
                        return true;
                    }
                    source = error.source();
                }
                false
            }
            RunError::Service(_) => false,
        }
    }

    fn into_service(self) -> ServiceError {
        if self.is_disconnect() {
            // Kept as a broken pipe, so that `formwork export … | head` stops quietly.
            return ServiceError::internal(io::Error::new(
                io::ErrorKind::BrokenPipe,
                "the export's reader went away",
            ));
        }
        match self {
            RunError::Service(e) => e,
            RunError::Write(e) => ServiceError::internal(e),
        }
    }
}

/// The export loop: batches by id, the next fetched on the runtime while this one is written.
fn run<W: Write + Send + 'static>(
    app: &App,
    prepared: Prepared,
    out: W,
    progress: &(dyn Fn(i64) + Sync),
) -> std::result::Result<Summary, RunError> {
    let handle = tokio::runtime::Handle::current();
    let Prepared { format, selection, plan, options, dictionary, .. } = prepared;
    let mut writer: Box<dyn ExportWriter> =
        formwork_export::writer(format, plan, options, dictionary, out).map_err(RunError::Write)?;
    let reader = app.store.reader(selection);
    let fetch = |after: Option<String>, limit: usize| {
        let reader = reader.clone();
        handle.spawn(async move { Ok::<_, ServiceError>(reader.batch(after.as_deref(), limit).await?) })
    };
    let mut next = Some((fetch(None, FIRST_BATCH), FIRST_BATCH));
    let (mut written, mut bytes_read) = (0i64, 0usize);
    while let Some((pending, limit)) = next.take() {
        let batch = handle.block_on(pending).map_err(ServiceError::internal)??;
        written += batch.len() as i64;
        bytes_read += batch.size();
        if batch.len() == limit {
            // As many rows as fit the batch's bytes, by the average row so far.
            let per_row = bytes_read / usize::try_from(written.max(1)).unwrap_or(1);
            let limit = (BATCH_BYTES / per_row.max(1)).clamp(BATCH_ROWS.0, BATCH_ROWS.1);
            next = batch.last_id().map(|last| (fetch(Some(last.to_string()), limit), limit));
        }
        for row in batch.rows() {
            let row = row.map_err(ServiceError::from)?;
            let meta = Meta {
                id: row.id,
                reference: row.reference,
                organisation: row.organisation_name,
                organisation_id: row.organisation_slug,
                period: row.period,
                state: row.state,
                version: u32::try_from(row.version).unwrap_or(0),
                upload: row.upload_id,
                submitted_at: row.submitted_at,
                updated_at: row.updated_at,
            };
            writer.write(&meta, row.answers).map_err(RunError::Write)?;
        }
        // What this batch made leaves now: a slow export still shows its progress.
        writer.flush().map_err(RunError::Write)?;
        progress(written);
    }
    writer.finish().map_err(RunError::Write)
}

/// A `Write` that sends what is written down a bounded channel in chunks: the blocking side of
/// [`stream`]. A full channel blocks the writer (backpressure); a closed one is a broken pipe.
///
/// A chunk is sent before a write would overflow it, so a chunk's buffer never grows, and each
/// buffer comes back to the writer's [`Pool`] once the body has sent it: the same few buffers
/// carry the whole export, whatever the allocator would do with one allocation per chunk.
struct ChannelWriter {
    tx: mpsc::Sender<io::Result<Bytes>>,
    buffer: Vec<u8>,
    pool: Pool,
    last_sent: Instant,
}

impl ChannelWriter {
    fn new(tx: mpsc::Sender<io::Result<Bytes>>) -> ChannelWriter {
        let pool = Pool::default();
        ChannelWriter { tx, buffer: pool.take(), pool, last_sent: Instant::now() }
    }

    fn send(&mut self) -> io::Result<()> {
        if self.buffer.is_empty() {
            return Ok(());
        }
        let full = std::mem::replace(&mut self.buffer, self.pool.take());
        let chunk = Bytes::from_owner(Pooled { buffer: full, pool: self.pool.clone() });
        self.last_sent = Instant::now();
        self.tx
            .blocking_send(Ok(chunk))
            .map_err(|_| io::Error::new(io::ErrorKind::BrokenPipe, "the export's reader went away"))
    }
}

impl Write for ChannelWriter {
    fn write(&mut self, bytes: &[u8]) -> io::Result<usize> {
        if self.buffer.len() + bytes.len() > CHUNK {
            self.send()?;
        }
        // A write larger than a chunk is sent on its own, in a buffer grown for it.
        self.buffer.extend_from_slice(bytes);
        if self.buffer.len() >= CHUNK || self.last_sent.elapsed() >= CHUNK_WAIT {
            self.send()?;
        }
        Ok(bytes.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        self.send()
    }
}

impl Drop for ChannelWriter {
    fn drop(&mut self) {
        let _ = self.send();
    }
}

/// The buffers of one export's chunks, returned when sent: as many as can be in flight at once
/// are kept, any more dropped.
#[derive(Clone, Default)]
struct Pool(Arc<std::sync::Mutex<Vec<Vec<u8>>>>);

impl Pool {
    /// The most buffers kept: those in the channel, the one being sent, and the one being filled.
    const KEPT: usize = CHUNKS_IN_FLIGHT + 2;

    /// An empty buffer of a chunk's capacity, reused when one has come back.
    fn take(&self) -> Vec<u8> {
        let reused = self.0.lock().ok().and_then(|mut kept| kept.pop());
        reused.unwrap_or_else(|| Vec::with_capacity(CHUNK))
    }

    fn give_back(&self, mut buffer: Vec<u8>) {
        // A buffer grown for one large write is not kept: the pool holds chunks only.
        if buffer.capacity() > 2 * CHUNK {
            return;
        }
        buffer.clear();
        if let Ok(mut kept) = self.0.lock()
            && kept.len() < Self::KEPT
        {
            kept.push(buffer);
        }
    }
}

/// A chunk's buffer on its way out, going back to its pool when the body has sent it.
struct Pooled {
    buffer: Vec<u8>,
    pool: Pool,
}

impl AsRef<[u8]> for Pooled {
    fn as_ref(&self) -> &[u8] {
        &self.buffer
    }
}

impl Drop for Pooled {
    fn drop(&mut self) {
        self.pool.give_back(std::mem::take(&mut self.buffer));
    }
}

// ---------------------------------------------------------------------------------------------
// Exports as jobs

/// An export job as its requester sees it.
#[derive(Clone, Debug, Serialize)]
pub struct ExportJob {
    /// Its id.
    pub id: String,
    /// The collection's slug.
    pub collection: String,
    /// The format.
    pub format: String,
    /// Where it is: queued, running, ready, failed, expired.
    pub state: ExportState,
    /// How pages show the state.
    pub state_label: &'static str,
    /// Rows to write, once counted.
    pub rows_total: Option<i64>,
    /// Rows written.
    pub rows_done: i64,
    /// The file's name.
    pub file_name: Option<String>,
    /// Its content type.
    pub content_type: Option<String>,
    /// Its size in bytes.
    pub size: Option<i64>,
    /// Its SHA-256.
    pub sha256: Option<String>,
    /// Why it failed.
    pub error: Option<String>,
    /// What was asked for.
    pub request: serde_json::Value,
    /// When it was asked for.
    pub created_at: i64,
    /// When its file is removed.
    pub expires_at: Option<i64>,
}

impl From<Export> for ExportJob {
    fn from(e: Export) -> ExportJob {
        ExportJob {
            id: e.id,
            collection: e.collection,
            format: e.format,
            state: e.state,
            state_label: e.state.label(),
            rows_total: e.rows_total,
            rows_done: e.rows_done,
            file_name: e.file_name,
            content_type: e.content_type,
            size: e.size,
            sha256: e.sha256,
            error: e.error,
            request: e.request,
            created_at: e.created_at,
            expires_at: e.expires_at,
        }
    }
}

fn no_export() -> ServiceError {
    ServiceError::NotFound("There is no such export".into())
}

/// Ask for an export to be written as a job: checked now as a download would be, run by a worker
/// as the person who asked (their access then, not only now), downloadable only by them.
pub async fn start_job(app: &App, actor: &Actor, request: &ExportRequest) -> Result<ExportJob> {
    let prepared = prepare(app, actor, request).await?;
    let person = actor.as_person().ok_or(ServiceError::Forbidden(
        "Exports prepared as files are for people signed in: run `formwork export` instead".into(),
    ))?;
    let payload = serde_json::to_value(request).map_err(ServiceError::internal)?;
    let now = app.now();
    let mut tx = app.begin().await?;
    let id =
        store::insert(&mut tx, &person.user.id, &request.collection, &request.format, &payload, now).await?;
    formwork_jobs::enqueue(&mut tx, &RunExport { export: id.clone() }, now, now).await?;
    let job = store::by_id(&mut tx, &id).await?.ok_or_else(no_export)?;
    crate::commit(tx).await?;
    app.wake_worker();
    tracing::info!(export = %id, file = %prepared.file_name, "export job queued");
    Ok(job.into())
}

/// An export job of `actor`'s (another person's is not found).
pub async fn job(app: &App, actor: &Actor, id: &str) -> Result<ExportJob> {
    let mut conn = app.store.conn().await?;
    let export = store::by_id(&mut conn, id).await?.ok_or_else(no_export)?;
    check(actor, Action::DownloadExport(&export.requested_by))?;
    Ok(export.into())
}

/// `actor`'s export jobs, newest first.
pub async fn jobs(app: &App, actor: &Actor) -> Result<Vec<ExportJob>> {
    let person = actor.as_person().ok_or(ServiceError::SignInRequired)?;
    let mut conn = app.store.conn().await?;
    Ok(store::of_person(&mut conn, &person.user.id, 50).await?.into_iter().map(ExportJob::from).collect())
}

/// A written export's file to download: only the person who asked, only until it expires.
pub async fn download(
    app: &App,
    files: &Files,
    actor: &Actor,
    id: &str,
) -> Result<(ExportJob, formwork_files::Download)> {
    let mut conn = app.store.conn().await?;
    let export = store::by_id(&mut conn, id).await?.ok_or_else(no_export)?;
    check(actor, Action::DownloadExport(&export.requested_by))?;
    drop(conn);
    let expired = export.expires_at.is_some_and(|at| at <= app.now());
    let key = match (&export.state, &export.file_key) {
        (ExportState::Ready, Some(key)) if !expired => key.clone(),
        (ExportState::Ready | ExportState::Expired, _) => {
            return Err(ServiceError::NotFound(
                "This export has expired and its file was removed: export the data again".into(),
            ));
        }
        _ => return Err(ServiceError::Conflict("This export is not ready yet".into())),
    };
    let file = files.get_stream(&key).await.map_err(files_error)?;
    Ok((export.into(), file))
}

/// How long a written export's file is kept (ms).
fn keep_for(app: &App) -> i64 {
    app.settings.export_keep_hours.saturating_mul(3_600_000)
}

/// The job body: write export `id` into object storage as the person who asked. Safe to run again
/// after a worker died: it starts over, and only one run marks it ready.
pub async fn run_job(app: &App, files: &Files, id: &str) -> Result<()> {
    let export = {
        let mut conn = app.store.conn().await?;
        store::by_id(&mut conn, id).await?.ok_or_else(no_export)?
    };
    if !matches!(export.state, ExportState::Queued | ExportState::Running) {
        return Ok(());
    }
    let actor = {
        let mut conn = app.store.conn().await?;
        match formwork_store::users::by_id(&mut conn, &export.requested_by).await? {
            Some(user) => Actor::person(&mut conn, user).await?,
            None => return Ok(()),
        }
    };
    let request: ExportRequest =
        serde_json::from_value(export.request.clone()).map_err(ServiceError::internal)?;
    let prepared = match prepare(app, &actor, &request).await {
        Ok(p) => p,
        // They may no longer export this (left the organisation, the collection went): say so.
        Err(e @ (ServiceError::NotFound(_) | ServiceError::Forbidden(_) | ServiceError::Invalid(_))) => {
            let mut conn = app.store.conn().await?;
            store::fail(&mut conn, id, &e.to_string(), app.now(), app.now() + keep_for(app)).await?;
            return Ok(());
        }
        Err(e) => return Err(e),
    };
    let total = count(app, &prepared).await?;
    {
        let mut conn = app.store.conn().await?;
        if !store::start(&mut conn, id, total).await? {
            return Ok(());
        }
    }
    let key = format!("exports/{id}/{}", prepared.file_name);
    let file_name = prepared.file_name.clone();
    let content_type = prepared.content_type;
    let (stored, summary) = write_to_files(app, files, prepared, &key, Some(id)).await?;
    let rows = summary.files.first().map_or(0, |f| i64::try_from(f.rows).unwrap_or(i64::MAX));
    let now = app.now();
    let written = store::Written {
        file_key: &key,
        file_name: &file_name,
        content_type,
        size: i64::try_from(stored.size).unwrap_or(i64::MAX),
        sha256: &stored.sha256,
        rows,
        expires_at: now + keep_for(app),
    };
    let mut conn = app.store.conn().await?;
    store::ready(&mut conn, id, &written, now).await?;
    tracing::info!(export = %id, rows, size = stored.size, "export written");
    Ok(())
}

/// Mark an export failed after a fault of ours (the job's last attempt), so that it never stays
/// "being prepared".
pub async fn fail_job(app: &App, id: &str) -> Result<()> {
    let mut conn = app.store.conn().await?;
    let now = app.now();
    store::fail(
        &mut conn,
        id,
        "The export could not be written. Try again, or ask the service's administrators",
        now,
        now + keep_for(app),
    )
    .await?;
    Ok(())
}

/// Write a prepared export into object storage under `key`, streaming (multipart for a large
/// file), with its SHA-256; with `progress_of`, the export's rows written are kept up to date.
async fn write_to_files(
    app: &App,
    files: &Files,
    prepared: Prepared,
    key: &str,
    progress_of: Option<&str>,
) -> Result<(formwork_files::Stored, Summary)> {
    let (tx, rx) = mpsc::channel::<io::Result<Bytes>>(CHUNKS_IN_FLIGHT);
    let runner = app.clone();
    let export_id = progress_of.map(str::to_string);
    let producer = tokio::task::spawn_blocking(move || {
        let handle = tokio::runtime::Handle::current();
        let store = runner.store.clone();
        let last = std::sync::Mutex::new(Instant::now());
        let progress = |rows: i64| {
            let Some(id) = export_id.as_deref() else { return };
            let Ok(mut last) = last.lock() else { return };
            if last.elapsed() < Duration::from_millis(500) {
                return;
            }
            *last = Instant::now();
            let store = store.clone();
            let id = id.to_string();
            // Progress is for the page only: a failed update is not worth stopping for.
            handle.spawn(async move {
                if let Ok(mut conn) = store.conn().await {
                    let _ = store::progress(&mut conn, &id, rows).await;
                }
            });
        };
        run(&runner, prepared, ChannelWriter::new(tx), &progress)
    });
    let body =
        futures_util::stream::unfold(rx, |mut rx| async move { rx.recv().await.map(|chunk| (chunk, rx)) });
    let stored = files.put_stream(key, body, None).await;
    let produced = producer.await.map_err(ServiceError::internal)?;
    // Storage that failed stops the writer too (a broken pipe): say what really went wrong, so
    // that a job waits for the storage to come back instead of failing for good.
    let stored = stored.map_err(files_error)?;
    let summary = produced.map_err(RunError::into_service)?;
    Ok((stored, summary))
}

/// Remove the files of exports whose time is up (the recurring job's body); how many.
pub async fn remove_expired(app: &App, files: &Files) -> Result<usize> {
    let mut removed = 0;
    loop {
        let due = {
            let mut conn = app.store.conn().await?;
            store::expired(&mut conn, app.now(), 100).await?
        };
        if due.is_empty() {
            return Ok(removed);
        }
        for export in due {
            if let Some(key) = &export.file_key {
                files.delete(key).await.map_err(files_error)?;
            }
            let mut conn = app.store.conn().await?;
            store::mark_expired(&mut conn, &export.id).await?;
            removed += 1;
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Scheduled exports

/// A new scheduled export.
#[derive(Clone, Debug, Default, Deserialize)]
pub struct NewFeed {
    /// The collection's slug.
    pub collection: String,
    /// The format's name.
    pub format: String,
    /// The object-storage prefix, e.g. `warehouse/lettings`.
    pub prefix: String,
    /// `full` (default) or `changes`.
    #[serde(default)]
    pub mode: Option<String>,
}

/// Every scheduled export (service admins).
pub async fn feeds(app: &App, actor: &Actor) -> Result<Vec<Feed>> {
    check(actor, Action::ManageFeeds)?;
    let mut conn = app.store.conn().await?;
    Ok(store::feeds(&mut conn).await?)
}

/// A prefix as stored: no leading or trailing `/`, no empty or `.`/`..` parts, safe characters.
fn clean_prefix(prefix: &str) -> Result<String> {
    let trimmed = prefix.trim().trim_matches('/');
    let ok = !trimmed.is_empty()
        && trimmed.len() <= 200
        && trimmed.split('/').all(|part| {
            !part.is_empty()
                && part != "."
                && part != ".."
                && part.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
        });
    if ok {
        Ok(trimmed.to_string())
    } else {
        Err(ServiceError::invalid(
            "prefix",
            "prefix",
            "Enter a prefix of letters, numbers, hyphens, underscores and dots, parts separated by /, like warehouse/lettings",
        ))
    }
}

/// Set up a scheduled export (service admins).
pub async fn add_feed(app: &App, actor: &Actor, new: &NewFeed) -> Result<Feed> {
    check(actor, Action::ManageFeeds)?;
    format_named(&new.format)?;
    let prefix = clean_prefix(&new.prefix)?;
    let mode = match new.mode.as_deref().map(str::trim).filter(|m| !m.is_empty()) {
        None => FeedMode::Full,
        Some(m) => FeedMode::parse(m).ok_or_else(|| {
            ServiceError::invalid(
                "mode",
                "mode",
                "Choose whether each night writes everything (full) or the changes",
            )
        })?,
    };
    if all_versions(app, &new.collection).await?.is_empty() {
        return Err(ServiceError::NotFound(format!("There is no collection “{}”", new.collection)));
    }
    let by = actor.as_person().map(|p| p.user.id.clone());
    let mut conn = app.store.conn().await?;
    let id =
        store::add_feed(&mut conn, &new.collection, &new.format, &prefix, mode, by.as_deref(), app.now())
            .await?;
    store::feed_by_id(&mut conn, &id)
        .await?
        .ok_or_else(|| ServiceError::internal("a feed just added is gone"))
}

/// Stop a scheduled export (service admins). What it wrote stays where it is.
pub async fn remove_feed(app: &App, actor: &Actor, id: &str) -> Result<()> {
    check(actor, Action::ManageFeeds)?;
    let mut conn = app.store.conn().await?;
    if store::remove_feed(&mut conn, id).await? {
        Ok(())
    } else {
        Err(ServiceError::NotFound("There is no such scheduled export".into()))
    }
}

/// One file of a feed's run, as its manifest lists it.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct ManifestFile {
    /// Its key in object storage.
    pub key: String,
    /// Its name.
    pub name: String,
    /// Its rows (for a zip: those of its first file).
    pub rows: u64,
    /// Its size in bytes.
    pub size: u64,
    /// Its SHA-256, hex.
    pub sha256: String,
}

/// What a feed's run wrote: `manifest.json` beside its files, written last.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct Manifest {
    /// The collection.
    pub collection: String,
    /// The format.
    pub format: String,
    /// full or changes.
    pub mode: FeedMode,
    /// For changes: rows changed at or after this time (ISO 8601).
    pub changes_since: Option<String>,
    /// The rows hold every change before this time (ISO 8601).
    pub cutoff: String,
    /// The files.
    pub files: Vec<ManifestFile>,
}

fn iso(ms: i64) -> String {
    DateTime::<Utc>::from_timestamp_millis(ms)
        .map(|t| t.format("%Y-%m-%dT%H:%M:%SZ").to_string())
        .unwrap_or_default()
}

/// Run a scheduled export now (service admins), as the nightly job would.
pub async fn run_feed_as(app: &App, files: &Files, actor: &Actor, id: &str) -> Result<Manifest> {
    check(actor, Action::ManageFeeds)?;
    run_feed(app, files, id).await
}

/// Run one scheduled export now: its files under `{prefix}/{collection}/{cutoff}/`, then the
/// manifest; only then is the feed moved on (a run that fails part way is run whole again).
pub async fn run_feed(app: &App, files: &Files, id: &str) -> Result<Manifest> {
    let feed = {
        let mut conn = app.store.conn().await?;
        store::feed_by_id(&mut conn, id)
            .await?
            .ok_or_else(|| ServiceError::NotFound("There is no such scheduled export".into()))?
    };
    match write_feed(app, files, &feed).await {
        Ok(manifest) => Ok(manifest),
        Err(e) => {
            let mut conn = app.store.conn().await?;
            store::feed_failed(&mut conn, id, &e.to_string(), app.now()).await?;
            Err(e)
        }
    }
}

async fn write_feed(app: &App, files: &Files, feed: &Feed) -> Result<Manifest> {
    let cutoff = app.now();
    let since = match feed.mode {
        FeedMode::Full => None,
        FeedMode::Changes => feed.changes_since,
    };
    let folder = format!("{}/{}/{}", feed.prefix, feed.collection, iso(cutoff).replace(':', ""));
    let versions = all_versions(app, &feed.collection).await?;
    let latest = versions.first().ok_or_else(|| ServiceError::NotFound("The collection is gone".into()))?;
    // A warehouse reads each table as its own files: one export per part, never a zip.
    let mut parts: Vec<Option<String>> = vec![None];
    if latest.kind == Kind::Return && matches!(format_named(&feed.format)?, Format::Csv | Format::Parquet) {
        parts = std::iter::once(Some(String::new()))
            .chain(latest.tables.iter().map(|t| Some(t.id.clone())))
            .collect();
    }
    let mut listed = Vec::new();
    for part in parts {
        let request = ExportRequest {
            collection: feed.collection.clone(),
            format: feed.format.clone(),
            filters: since.map(|at| ("updated_since".to_string(), iso(at))).into_iter().collect(),
            labels: false,
            choice_labels: false,
            table: part,
        };
        let prepared = prepare(app, &Actor::System, &request).await?;
        let key = format!("{folder}/{}", prepared.file_name);
        let name = prepared.file_name.clone();
        let (stored, summary) = write_to_files(app, files, prepared, &key, None).await?;
        let rows = summary.files.first().map_or(0, |f| f.rows);
        listed.push(ManifestFile { key, name, rows, size: stored.size, sha256: stored.sha256 });
    }
    let manifest = Manifest {
        collection: feed.collection.clone(),
        format: feed.format.clone(),
        mode: feed.mode,
        changes_since: since.map(iso),
        cutoff: iso(cutoff),
        files: listed,
    };
    let manifest_key = format!("{folder}/manifest.json");
    let body = serde_json::to_vec_pretty(&manifest).map_err(ServiceError::internal)?;
    let digest = Sha256::digest(&body);
    files.put(&manifest_key, body).await.map_err(files_error)?;
    let mut conn = app.store.conn().await?;
    store::feed_ran(&mut conn, &feed.id, feed.changes_since, cutoff, &manifest_key, app.now()).await?;
    tracing::info!(feed = %feed.id, manifest = %manifest_key, sha256 = %hex(&digest), "scheduled export written");
    Ok(manifest)
}

/// A storage failure: a file that is gone is not found; anything else is for later.
fn files_error(e: formwork_files::FilesError) -> ServiceError {
    match e {
        formwork_files::FilesError::NotFound(_) => {
            ServiceError::NotFound("This export's file is no longer kept: export the data again".into())
        }
        other => ServiceError::Unavailable(Box::new(other)),
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Run every scheduled export (the nightly job's body). One that fails is recorded on it and the
/// others still run; the first failure is returned so the job is retried.
pub async fn run_feeds(app: &App, files: &Files) -> Result<usize> {
    let all = {
        let mut conn = app.store.conn().await?;
        store::feeds(&mut conn).await?
    };
    let mut first_error = None;
    let mut ran = 0;
    for feed in all {
        match run_feed(app, files, &feed.id).await {
            Ok(_) => ran += 1,
            Err(e) => {
                tracing::warn!(feed = %feed.id, error = %e, "a scheduled export failed");
                first_error.get_or_insert(e);
            }
        }
    }
    match first_error {
        Some(e) => Err(e),
        None => Ok(ran),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chunks_never_outgrow_their_buffer_and_their_buffers_come_back() {
        let (tx, mut rx) = mpsc::channel(64);
        let mut out = ChannelWriter::new(tx);
        let pool = out.pool.clone();
        let line = vec![b'x'; CHUNK / 16 + 100];
        let (mut lengths, mut buffers) = (Vec::new(), std::collections::HashSet::new());
        let mut receive = |rx: &mut mpsc::Receiver<io::Result<Bytes>>| {
            while let Ok(chunk) = rx.try_recv() {
                let chunk = chunk.expect("a chunk");
                lengths.push(chunk.len());
                buffers.insert(chunk.as_ptr() as usize);
                // The body has sent it: its buffer goes back to the pool.
                drop(chunk);
            }
        };
        for _ in 0..40 {
            out.write_all(&line).expect("written");
            receive(&mut rx);
        }
        drop(out);
        receive(&mut rx);
        assert!(lengths.iter().all(|n| *n <= CHUNK), "{lengths:?}");
        assert_eq!(lengths.iter().sum::<usize>(), 40 * line.len());
        assert!(lengths.len() >= 3);
        // Two buffers take turns: the one being filled and the one just sent.
        assert!(buffers.len() <= 2, "{} buffers for {} chunks", buffers.len(), lengths.len());
        let kept = pool.0.lock().map(|kept| kept.len()).unwrap_or(0);
        assert!((1..=Pool::KEPT).contains(&kept), "{kept} buffers kept");
    }
}
