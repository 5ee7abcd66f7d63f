//! Returns: starting one for a period, reading it with its validation and per-section progress,
//! and every change to it — answers of a section or of the whole return, table rows, a table
//! from a spreadsheet, marking sections complete, confirming warnings, attaching files.
//!
//! Every change goes through [`edit`]: it reads the submission, checks the person may change
//! what the edit touches, applies it, validates the whole return with the engine, stores the
//! normalised answers with a conditional update on the revision, and appends one typed event with
//! what changed. A change made from an older revision is refused with [`Stale`], which says what
//! the others changed; nothing is lost because nothing is stored.

use std::collections::BTreeMap;
use std::sync::Arc;

use bytes::Bytes;
use chrono::{DateTime, Days, NaiveDate};
use formwork_definition::schedule::Period;
use formwork_definition::validate::json::{answers_from_json, stored_answers};
use formwork_definition::validate::{self, Code, Context, Item, NoFile, Outcome, SectionState};
use formwork_definition::{Definition, Kind, SectionContent, Severity};
use formwork_files::{Download, Files, FilesError, ReadError};
use formwork_store::AnyConnection;
use formwork_store::audit::{self, AuditEvent, Change};
use formwork_store::collections as collections_store;
use formwork_store::organisations::{self as orgs, Organisation};
use formwork_store::submissions::{self as store, NewSubmission, Save};
pub use formwork_store::submissions::{Attachment, Confirmation, Filter, Submission, SubmissionState};
use futures_util::{Stream, StreamExt};
use serde::Serialize;
use serde_json::{Map, Value};

use crate::collections::definition;
use crate::policy::{Action, check};
use crate::{Actor, App, Problem, Result, ServiceError, commit};

/// A return is "due soon" this many days before its due date.
pub const DUE_SOON_DAYS: u64 = 14;
/// The most rows a table may be given at once within a request (bigger files are jobs).
pub const MAX_TABLE_ROWS_IN_REQUEST: usize = 20_000;

fn not_found() -> ServiceError {
    ServiceError::NotFound("There is no such return".into())
}

/// The day `now` (ms) falls on, in UTC.
pub fn today(app: &App) -> NaiveDate {
    DateTime::from_timestamp_millis(app.now()).map(|t| t.date_naive()).unwrap_or_default()
}

/// A period of a collection for an organisation, as the dashboard lists it.
#[derive(Clone, Debug, Serialize)]
pub struct DashboardEntry {
    /// The collection's slug.
    pub collection: String,
    /// Its title.
    pub collection_title: String,
    /// The organisation.
    pub organisation: Organisation,
    /// The period.
    pub period: Period,
    /// Its return, once started.
    pub submission: Option<Submission>,
    /// Where it is.
    pub state: SubmissionState,
    /// Due within [`DUE_SOON_DAYS`] and not yet submitted.
    pub due_soon: bool,
    /// Past its due date and not yet submitted.
    pub overdue: bool,
}

/// Every period up to today of every return collection assigned to the actor's organisations,
/// newest first, with its return if started.
pub async fn dashboard(app: &App, actor: &Actor) -> Result<Vec<DashboardEntry>> {
    let person = actor.as_person().ok_or(ServiceError::SignInRequired)?;
    let today = today(app);
    let mut conn = app.store.conn().await?;
    let mut entries = Vec::new();
    for membership in &person.memberships {
        check(actor, Action::SeeSubmissions(&membership.organisation_id))?;
        let Some(organisation) = orgs::by_id(&mut conn, &membership.organisation_id).await? else { continue };
        let filter =
            Filter { organisations: Some(vec![organisation.id.clone()]), limit: 10_000, ..Filter::default() };
        let started = store::list(&mut conn, &filter).await?;
        for collection in collections_store::assigned_to(&mut conn, &organisation.id).await? {
            if collection.kind != "return" {
                continue;
            }
            let def = definition(app, &collection.slug, collection.latest_version).await?;
            for period in def.schedule.periods_until(today).into_iter().rev() {
                let submission = started
                    .iter()
                    .find(|s| s.collection == collection.slug && s.period == period.key)
                    .cloned();
                let state = submission.as_ref().map_or(SubmissionState::NotStarted, |s| s.state);
                let open = !matches!(state, SubmissionState::Submitted | SubmissionState::Accepted);
                let soon = period.due.checked_sub_days(Days::new(DUE_SOON_DAYS)).unwrap_or(period.due);
                entries.push(DashboardEntry {
                    collection: collection.slug.clone(),
                    collection_title: collection.title.clone(),
                    organisation: organisation.clone(),
                    due_soon: open && today >= soon && today <= period.due,
                    overdue: open && today > period.due,
                    period,
                    submission,
                    state,
                });
            }
        }
    }
    entries.sort_by(|a, b| {
        b.period.due.cmp(&a.period.due).then_with(|| a.organisation.name.cmp(&b.organisation.name))
    });
    Ok(entries)
}

/// A started return: its id, and whether this call started it.
#[derive(Clone, Debug, Serialize)]
pub struct Started {
    /// The return.
    pub submission: Submission,
    /// False when it had been started already (by anyone): the same return is opened.
    pub created: bool,
}

/// Start the return of `organisation_slug` for a collection's period (its key), or open the one
/// already started: once per period, however many start it at once.
pub async fn start(
    app: &App,
    actor: &Actor,
    collection_slug: &str,
    organisation_slug: &str,
    period_key: &str,
) -> Result<Started> {
    let now = app.now();
    let mut conn = app.store.conn().await?;
    let organisation = orgs::by_slug(&mut conn, organisation_slug).await?.ok_or_else(|| {
        ServiceError::invalid(
            "organisation",
            "not_found",
            format!("There is no organisation “{organisation_slug}”"),
        )
    })?;
    match check(actor, Action::StartSubmission(&organisation.id)) {
        Err(ServiceError::NotFound(_)) => {
            return Err(ServiceError::invalid(
                "organisation",
                "not_found",
                format!("There is no organisation “{organisation_slug}”"),
            ));
        }
        other => other?,
    }
    let unknown = || {
        ServiceError::invalid(
            "collection",
            "not_found",
            format!("There is no collection “{collection_slug}”"),
        )
    };
    let collection = collections_store::by_slug(&mut conn, collection_slug).await?.ok_or_else(unknown)?;
    let assigned = collections_store::assigned_organisations(&mut conn, collection_slug).await?;
    if !assigned.contains(&organisation.id) {
        return Err(ServiceError::invalid(
            "collection",
            "not_found",
            format!("{} does not make returns for {}", organisation.name, collection.title),
        ));
    }
    drop(conn);
    let def = definition(app, collection_slug, collection.latest_version).await?;
    if def.kind != Kind::Return {
        return Err(ServiceError::invalid(
            "collection",
            "kind",
            format!("{} is a log: add records to it instead of starting a return", collection.title),
        ));
    }
    let period =
        def.schedule.period_by_key(period_key).filter(|p| p.start <= today(app)).ok_or_else(|| {
            ServiceError::invalid(
                "period",
                "choice",
                format!("{period_key} is not a period of {} that has started", collection.title),
            )
        })?;
    let mut tx = app.begin().await?;
    let new = NewSubmission {
        collection: collection_slug,
        version: collection.latest_version,
        organisation_id: &organisation.id,
        period: &period.key,
        by: actor.user_id(),
    };
    let (submission, created) = store::start(&mut tx, &new, now).await?;
    if created {
        let event = AuditEvent::SubmissionStarted {
            submission: submission.id.clone(),
            collection: collection_slug.to_string(),
            version: collection.latest_version,
            organisation: organisation.id.clone(),
            period: period.key.clone(),
        };
        audit::record(&mut tx, actor.user_id(), &event, now).await?;
    }
    commit(tx).await?;
    Ok(Started { submission, created })
}

/// How a section shows on the task list.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Progress {
    /// Its `when` does not hold: nothing to do.
    NotNeeded,
    /// Nothing answered yet.
    NotStarted,
    /// Answered in part, with errors or unconfirmed warnings, or not yet marked complete.
    InProgress,
    /// Marked complete, with no errors and every warning confirmed.
    Completed,
}

impl Progress {
    /// As the task list shows it.
    pub fn label(self) -> &'static str {
        match self {
            Progress::NotNeeded => "Not needed",
            Progress::NotStarted => "Not yet started",
            Progress::InProgress => "In progress",
            Progress::Completed => "Completed",
        }
    }
}

/// One section of a return, for the task list and the API.
#[derive(Clone, Debug, Serialize)]
pub struct SectionView {
    /// Its index in the definition.
    #[serde(skip)]
    pub index: usize,
    /// Its id.
    pub id: String,
    /// Its title.
    pub title: String,
    /// Where it is.
    pub status: Progress,
    /// May the person change it?
    pub editable: bool,
    /// Marked complete by someone.
    pub marked_complete: bool,
    /// Errors in it.
    pub errors: usize,
    /// Warnings in it not yet confirmed.
    pub unconfirmed_warnings: usize,
}

/// A warning, and its confirmation if given.
#[derive(Clone, Debug, Serialize)]
pub struct Warning {
    /// What confirmations are filed under: the warning's path and rule.
    pub key: String,
    /// The warning.
    pub item: Item,
    /// Its confirmation.
    pub confirmation: Option<Confirmation>,
}

/// A return with everything its pages and the API show.
#[derive(Clone, Debug)]
pub struct SubmissionView {
    /// The stored return.
    pub submission: Submission,
    /// The definition it follows.
    pub definition: Arc<Definition>,
    /// Its organisation.
    pub organisation: Organisation,
    /// Its period.
    pub period: Period,
    /// Errors, by the catalogue (DESIGN §4).
    pub errors: Vec<Item>,
    /// Warnings, with their confirmations.
    pub warnings: Vec<Warning>,
    /// Sections in order.
    pub sections: Vec<SectionView>,
    /// Whether each slot is asked now.
    pub asked: Vec<bool>,
    /// The files attached now.
    pub attachments: Vec<Attachment>,
    /// May the person change anything in it (its state allows, and they edit some section)?
    pub editable: bool,
    /// Past its due date and not yet submitted (nor accepted).
    pub overdue: bool,
}

impl SubmissionView {
    /// Sections marked Completed.
    pub fn completed(&self) -> usize {
        self.sections.iter().filter(|s| s.status == Progress::Completed).count()
    }

    /// Sections that have anything to do.
    pub fn applicable(&self) -> usize {
        self.sections.iter().filter(|s| s.status != Progress::NotNeeded).count()
    }

    /// The section with `id`.
    pub fn section(&self, id: &str) -> Option<&SectionView> {
        self.sections.iter().find(|s| s.id == id)
    }

    /// The errors in a section.
    pub fn errors_in<'a>(&'a self, section: &'a str) -> impl Iterator<Item = &'a Item> + 'a {
        self.errors.iter().filter(move |i| i.section.as_deref() == Some(section))
    }

    /// Ready for sign-off: every section asked complete, no errors, every warning confirmed.
    pub fn ready(&self) -> bool {
        is_ready(&self.sections, &self.errors, &self.warnings)
    }

    /// The warnings in a section.
    pub fn warnings_in<'a>(&'a self, section: &'a str) -> impl Iterator<Item = &'a Warning> + 'a {
        self.warnings.iter().filter(move |w| w.item.section.as_deref() == Some(section))
    }
}

/// What confirmations of a warning are filed under: where it points and which rule.
pub fn warning_key(item: &Item) -> String {
    format!("{}#{}", item.path, item.rule.as_deref().unwrap_or(item.code.as_str()))
}

pub(crate) fn validation_context(app: &App, period: &Period) -> Context {
    Context { today: today(app), period: Some(period.dates()) }
}

/// Validate stored answers: the outcome and its items.
pub(crate) fn check_answers(
    def: &Definition,
    answers: &Map<String, Value>,
    ctx: &Context,
) -> (Outcome, Vec<Item>) {
    let (inputs, mut items) = answers_from_json(def, answers);
    let outcome = validate::validate(def, &inputs, ctx, &NoFile);
    items.extend(outcome.items(def, "", &NoFile));
    (outcome, items)
}

fn may_edit(actor: &Actor, organisation_id: &str, editors: &[String]) -> bool {
    check(actor, Action::EditSection(organisation_id, editors)).is_ok()
}

pub(crate) fn build_view(
    app: &App,
    actor: &Actor,
    submission: Submission,
    def: Arc<Definition>,
    organisation: Organisation,
    attachments: Vec<Attachment>,
) -> Result<SubmissionView> {
    let period = def.schedule.period_by_key(&submission.period).ok_or_else(|| {
        ServiceError::internal(format!("submission {} has an unknown period", submission.id))
    })?;
    let ctx = validation_context(app, &period);
    let (outcome, items) = check_answers(&def, &submission.answers, &ctx);
    let (warnings, errors): (Vec<Item>, Vec<Item>) =
        items.into_iter().partition(|i| i.severity == Severity::Warning);
    let warnings: Vec<Warning> = warnings
        .into_iter()
        .map(|item| {
            let key = warning_key(&item);
            let confirmation = submission.confirmations.get(&key).cloned();
            Warning { key, item, confirmation }
        })
        .collect();
    let sections = section_views(actor, &def, &submission, &outcome, &errors, &warnings);
    let editable = sections.iter().any(|s| s.editable);
    let overdue = !matches!(submission.state, SubmissionState::Submitted | SubmissionState::Accepted)
        && today(app) > period.due;
    Ok(SubmissionView {
        overdue,
        asked: outcome.asked,
        submission,
        definition: def,
        organisation,
        period,
        errors,
        warnings,
        sections,
        attachments,
        editable,
    })
}

/// Each section's progress on the task list, from a validation of the submission's answers.
fn section_views(
    actor: &Actor,
    def: &Definition,
    submission: &Submission,
    outcome: &Outcome,
    errors: &[Item],
    warnings: &[Warning],
) -> Vec<SectionView> {
    let state_editable = submission.state.is_editable();
    def.sections
        .iter()
        .enumerate()
        .map(|(index, section)| {
            let engine = outcome.sections.get(index).map(|s| s.state).unwrap_or(SectionState::NotStarted);
            let errors = errors.iter().filter(|i| i.section.as_deref() == Some(&section.id)).count();
            let unconfirmed = warnings
                .iter()
                .filter(|w| w.item.section.as_deref() == Some(&section.id) && w.confirmation.is_none())
                .count();
            let marked = submission.completed_sections.contains(&section.id);
            let answered = section_keys(def, index).iter().any(|k| submission.answers.contains_key(*k));
            let status = match engine {
                SectionState::NotApplicable => Progress::NotNeeded,
                SectionState::Complete if marked && unconfirmed == 0 => Progress::Completed,
                _ if !answered && !marked => Progress::NotStarted,
                _ => Progress::InProgress,
            };
            SectionView {
                index,
                id: section.id.clone(),
                title: section.title.clone(),
                status,
                editable: state_editable
                    && status != Progress::NotNeeded
                    && may_edit(actor, &submission.organisation_id, &section.editors),
                marked_complete: marked,
                errors,
                unconfirmed_warnings: unconfirmed,
            }
        })
        .collect()
}

/// Ready for sign-off (DESIGN §5): every section that is asked complete, no errors, and every
/// warning confirmed, those about the return as a whole too.
pub(crate) fn is_ready(sections: &[SectionView], errors: &[Item], warnings: &[Warning]) -> bool {
    errors.is_empty()
        && warnings.iter().all(|w| w.confirmation.is_some())
        && sections.iter().all(|s| matches!(s.status, Progress::Completed | Progress::NotNeeded))
        && sections.iter().any(|s| s.status == Progress::Completed)
}

/// The answer keys of a section: its questions' ids, or its table's id.
pub(crate) fn section_keys(def: &Definition, section: usize) -> Vec<&str> {
    match &def.sections[section].content {
        SectionContent::Questions(qs) => qs.iter().map(|q| def.questions[*q].id.as_str()).collect(),
        SectionContent::Table(t) => vec![def.tables[*t].id.as_str()],
    }
}

/// Read a submission the actor may see, with its definition and organisation.
pub(crate) async fn load(
    app: &App,
    conn: &mut AnyConnection,
    actor: &Actor,
    id: &str,
) -> Result<(Submission, Arc<Definition>, Organisation)> {
    let submission = store::by_id(conn, id).await?.ok_or_else(not_found)?;
    match check(actor, Action::SeeSubmissions(&submission.organisation_id)) {
        Err(ServiceError::NotFound(_)) => return Err(not_found()),
        other => other?,
    }
    let organisation = orgs::by_id(conn, &submission.organisation_id).await?.ok_or_else(not_found)?;
    let def = definition(app, &submission.collection, submission.version).await?;
    Ok((submission, def, organisation))
}

/// A return with its validation and progress.
pub async fn get(app: &App, actor: &Actor, id: &str) -> Result<SubmissionView> {
    let mut conn = app.store.conn().await?;
    let (submission, def, organisation) = load(app, &mut conn, actor, id).await?;
    let attachments = store::attachments(&mut conn, id).await?;
    drop(conn);
    build_view(app, actor, submission, def, organisation, attachments)
}

/// Returns the actor may see, filtered; most recently changed first.
pub async fn list(app: &App, actor: &Actor, filter: Filter) -> Result<Vec<Submission>> {
    let mut filter = visible(actor, filter)?;
    if filter.limit <= 0 {
        filter.limit = 1000;
    }
    let mut conn = app.store.conn().await?;
    Ok(store::list(&mut conn, &filter).await?)
}

/// How many of the returns the actor may see are in each state, filtered (the state filters
/// aside); states with none are left out.
pub async fn counts(app: &App, actor: &Actor, filter: Filter) -> Result<Vec<(SubmissionState, i64)>> {
    let filter = visible(actor, filter)?;
    let mut conn = app.store.conn().await?;
    Ok(store::count_by_state(&mut conn, &filter).await?)
}

/// `filter` narrowed to the organisations the actor may see: the staff see every one's returns,
/// members their own organisations'.
fn visible(actor: &Actor, mut filter: Filter) -> Result<Filter> {
    let staff = actor.staff().is_some() || matches!(actor, Actor::System);
    if !staff {
        let person = actor.as_person().ok_or(ServiceError::SignInRequired)?;
        let mine: Vec<String> = person.memberships.iter().map(|m| m.organisation_id.clone()).collect();
        filter.organisations = Some(match filter.organisations.take() {
            Some(wanted) => wanted.into_iter().filter(|o| mine.contains(o)).collect(),
            None => mine,
        });
    }
    Ok(filter)
}

/// The organisation id of an organisation slug, for list filters (`None` when there is none).
pub async fn organisation_id(app: &App, slug: &str) -> Result<Option<String>> {
    let mut conn = app.store.conn().await?;
    Ok(orgs::by_slug(&mut conn, slug).await?.map(|o| o.id))
}

/// What the others changed since a person's revision.
#[derive(Clone, Debug, Serialize)]
pub struct Stale {
    /// What was changed, as people say it: "return" or "record".
    #[serde(skip)]
    pub noun: &'static str,
    /// The revision now.
    pub revision: i64,
    /// Each change since, oldest first.
    pub changes: Vec<TheirChange>,
}

/// One change somebody else made.
#[derive(Clone, Debug, Serialize)]
pub struct TheirChange {
    /// When.
    pub at: i64,
    /// Who (their name or email address).
    pub by: Option<String>,
    /// The question, e.g. `programme_name` or `spend.3.amount`.
    pub field: String,
    /// Its label.
    pub label: String,
    /// Before.
    pub old: Value,
    /// After.
    pub new: Value,
}

/// A change to a return.
#[derive(Clone, Debug)]
pub enum Edit {
    /// Answers to one section (a page's post or an API `PATCH` of a section): the keys sent replace
    /// those answers, `null` clears one; `complete` marks the section complete or not.
    Section {
        /// The section's id.
        section: String,
        /// Answers by question id (a table section: the table id and its rows).
        answers: Map<String, Value>,
        /// "Have you completed this section?", if asked.
        complete: Option<bool>,
    },
    /// Answers to any sections the person edits (an API `PATCH` of the whole return).
    Answers(Map<String, Value>),
    /// Add a row to a table (`index` `None`) or change one.
    Row {
        /// The table's id.
        table: String,
        /// The row to change.
        index: Option<usize>,
        /// The row's cells by column id.
        row: Map<String, Value>,
    },
    /// Remove a row of a table.
    RemoveRow {
        /// The table's id.
        table: String,
        /// The row.
        index: usize,
    },
    /// Replace a table's rows (a clean spreadsheet upload).
    ReplaceTable {
        /// The table's id.
        table: String,
        /// The rows by column id.
        rows: Vec<Value>,
        /// The uploaded file's name.
        file_name: String,
    },
    /// Mark a section complete or not.
    Mark {
        /// The section's id.
        section: String,
        /// Complete?
        complete: bool,
    },
    /// Confirm a warning with a reason.
    Confirm {
        /// The warning's key ([`warning_key`]).
        key: String,
        /// Why the answer is right.
        reason: String,
    },
    /// Remove the file from a question.
    Detach {
        /// The question.
        question: String,
    },
}

/// What an edit did.
#[derive(Clone, Debug)]
pub struct Edited {
    /// The return after it.
    pub view: SubmissionView,
    /// The fields it changed.
    pub changes: Vec<Change>,
    /// A request to mark a section complete that was refused, with why.
    pub not_completed: Option<String>,
}

fn section_index(def: &Definition, id: &str) -> Result<usize> {
    def.sections
        .iter()
        .position(|s| s.id == id)
        .ok_or_else(|| ServiceError::NotFound(format!("This return has no section “{id}”")))
}

/// The section a top-level answer key belongs to.
/// The id of the section an answer key (question or table id) belongs to.
pub(crate) fn section_of(def: &Definition, key: &str) -> Option<String> {
    section_of_key(def, key).map(|s| def.sections[s].id.clone())
}

fn section_of_key(def: &Definition, key: &str) -> Option<usize> {
    let slot = def.slot_named(key)?;
    if let Some(q) = def.question_at(slot) {
        return Some(q.section);
    }
    def.table_at(slot).map(|t| t.section)
}

fn unknown_keys(def: &Definition, answers: &Map<String, Value>) -> Vec<Problem> {
    let (_, items) = answers_from_json(def, answers);
    items.into_iter().map(|i| Problem::new(&i.path, i.code.as_str(), i.message)).collect()
}

/// Refuse answers whose shape can never be an answer: an object for a number, a table that is not
/// a list of rows. Values of the wrong type that a person could type (`"abc"` for a number) are
/// saved and reported like any other error.
pub(crate) fn refuse_unusable(def: &Definition, answers: &Map<String, Value>) -> Result<()> {
    let mut problems = unknown_keys(def, answers);
    for (key, value) in answers {
        let Some(slot) = def.slot_named(key) else { continue };
        if let Some(q) = def.question_at(slot) {
            let file_ok = q.ty == formwork_definition::QuestionType::File && value.is_object();
            if !file_ok && let Some(what) = unusable(value) {
                problems.push(Problem::new(
                    key,
                    Code::Type.as_str(),
                    format!("{} cannot be {what}", q.label),
                ));
            }
        } else if let Some(table) = def.table_at(slot) {
            for (r, row) in value.as_array().into_iter().flatten().enumerate() {
                for (name, cell) in row.as_object().into_iter().flatten() {
                    if let (Some(c), Some(what)) = (table.column_named(name), unusable(cell)) {
                        let label = &table.columns[c].label;
                        problems.push(Problem::new(
                            &format!("{}/{r}/{name}", table.id),
                            "type",
                            format!("{label} cannot be {what}"),
                        ));
                    }
                }
            }
        }
    }
    if problems.is_empty() { Ok(()) } else { Err(ServiceError::Invalid(problems)) }
}

/// Put what was sent into the answers, by question or table id (a label or alias sent becomes the
/// id); calculated and file questions are not taken from what was sent.
pub(crate) fn put_answers(def: &Definition, answers: &mut Map<String, Value>, sent: &Map<String, Value>) {
    for (key, value) in sent {
        let Some(slot) = def.slot_named(key) else { continue };
        if def
            .question_at(slot)
            .is_some_and(|q| !q.is_input() || q.ty == formwork_definition::QuestionType::File)
        {
            continue;
        }
        let id =
            def.question_at(slot).map(|q| q.id.clone()).or_else(|| def.table_at(slot).map(|t| t.id.clone()));
        if let Some(id) = id {
            answers.insert(id, value.clone());
        }
    }
}

/// Files are attached by uploading them, never by naming them in answers.
pub(crate) fn refuse_file_answers(
    def: &Definition,
    stored: &Map<String, Value>,
    sent: &Map<String, Value>,
) -> Result<()> {
    let problems: Vec<Problem> = sent
        .iter()
        .filter_map(|(key, value)| {
            let q = def.question_at(def.slot_named(key)?)?;
            (q.ty == formwork_definition::QuestionType::File
                && stored.get(&q.id).unwrap_or(&Value::Null) != value)
                .then(|| {
                    Problem::new(
                        key,
                        "file",
                        format!("Upload the file for {} instead of naming it in the answers", q.label),
                    )
                })
        })
        .collect();
    if problems.is_empty() { Ok(()) } else { Err(ServiceError::Invalid(problems)) }
}

/// Refuse answers sent for section `s` that belong to another section.
pub(crate) fn refuse_elsewhere(def: &Definition, s: usize, sent: &Map<String, Value>) -> Result<()> {
    let elsewhere: Vec<Problem> = sent
        .keys()
        .filter(|k| section_of_key(def, k).is_some_and(|other| other != s))
        .map(|k| {
            Problem::new(k, "unknown_column", format!("“{k}” is not a question in {}", def.sections[s].title))
        })
        .collect();
    if elsewhere.is_empty() { Ok(()) } else { Err(ServiceError::Invalid(elsewhere)) }
}

/// The sections whose answers `sent` changes, in order. A section is changed only where what was
/// sent differs from what is stored: answers read and sent back whole need no rights over the
/// sections left as they were.
pub(crate) fn changed_sections(
    def: &Definition,
    stored: &Map<String, Value>,
    sent: &Map<String, Value>,
) -> Vec<usize> {
    let mut sections: Vec<usize> = sent
        .iter()
        .filter(|(k, v)| {
            let id = def.slot_named(k).and_then(|slot| {
                def.question_at(slot)
                    .map(|q| q.id.as_str())
                    .or_else(|| def.table_at(slot).map(|t| t.id.as_str()))
            });
            id.is_none_or(|id| stored.get(id).unwrap_or(&Value::Null) != *v)
        })
        .filter_map(|(k, _)| section_of_key(def, k))
        .collect();
    sections.sort_unstable();
    sections.dedup();
    sections
}

/// The reason a warning is confirmed with, trimmed; refused when empty or too long.
pub(crate) fn confirmation_reason(reason: &str) -> Result<String> {
    let reason = reason.trim();
    if reason.is_empty() {
        return Err(ServiceError::invalid("reason", "required", "Enter why the answer is right"));
    }
    if reason.chars().count() > 2000 {
        return Err(ServiceError::invalid(
            "reason",
            "length",
            "The reason must be 2,000 characters or fewer",
        ));
    }
    Ok(reason.to_string())
}

fn unusable(value: &Value) -> Option<&'static str> {
    match value {
        Value::Object(_) => Some("an object"),
        Value::Array(items) if items.iter().any(|i| i.is_object() || i.is_array()) => Some("a list of lists"),
        _ => None,
    }
}

fn table_rows<'a>(answers: &'a mut Map<String, Value>, table: &str) -> &'a mut Vec<Value> {
    let entry = answers.entry(table.to_string()).or_insert_with(|| Value::Array(Vec::new()));
    if !entry.is_array() {
        *entry = Value::Array(Vec::new());
    }
    match entry {
        Value::Array(rows) => rows,
        _ => unreachable_rows(),
    }
}

#[expect(clippy::panic, reason = "the entry was made an array on the line before")]
fn unreachable_rows() -> &'static mut Vec<Value> {
    panic!("a table's answer is an array")
}

/// Apply an edit to a return, from revision `expected`.
pub async fn edit(app: &App, actor: &Actor, id: &str, expected: i64, edit: Edit) -> Result<Edited> {
    let now = app.now();
    let mut tx = app.begin().await?;
    let (submission, def, organisation) = load(app, &mut tx, actor, id).await?;
    if !submission.state.is_editable() {
        return Err(ServiceError::Conflict(format!(
            "This return is {}: it cannot be changed",
            submission.state.label().to_lowercase()
        )));
    }
    if submission.revision != expected {
        let stale = stale(&mut tx, &def, &submission, expected).await?;
        return Err(ServiceError::Stale(Box::new(stale)));
    }
    let org = submission.organisation_id.clone();
    let editable = |section: usize| -> Result<()> {
        let editors = &def.sections[section].editors;
        check(actor, Action::EditSection(&org, editors))
    };
    let mut answers = submission.answers.clone();
    let mut completed = submission.completed_sections.clone();
    let mut confirmations = submission.confirmations.clone();
    let mut touched: Vec<usize> = Vec::new();
    let mut mark: Option<(usize, bool)> = None;
    let mut event_section: Option<String> = None;
    let mut upload: Option<(String, String, usize)> = None;
    let mut confirm: Option<(String, String)> = None;
    let mut detached: Option<(String, String)> = None;
    match &edit {
        Edit::Section { section, answers: sent, complete } => {
            let s = section_index(&def, section)?;
            editable(s)?;
            refuse_unusable(&def, sent)?;
            refuse_file_answers(&def, &answers, sent)?;
            refuse_elsewhere(&def, s, sent)?;
            put_answers(&def, &mut answers, sent);
            touched.push(s);
            event_section = Some(section.clone());
            if let Some(complete) = complete {
                mark = Some((s, *complete));
            }
        }
        Edit::Answers(sent) => {
            refuse_unusable(&def, sent)?;
            refuse_file_answers(&def, &answers, sent)?;
            let sections = changed_sections(&def, &answers, sent);
            for &s in &sections {
                editable(s)?;
            }
            put_answers(&def, &mut answers, sent);
            touched = sections;
        }
        Edit::Row { table, index, row } => {
            let t = def
                .table(table)
                .ok_or_else(|| ServiceError::NotFound(format!("This return has no table “{table}”")))?;
            editable(t.section)?;
            let mut wrapped = Map::new();
            wrapped.insert(t.id.clone(), Value::Array(vec![Value::Object(row.clone())]));
            refuse_unusable(&def, &wrapped)?;
            let rows = table_rows(&mut answers, &t.id);
            match index {
                None => {
                    if rows.len() >= t.max_rows as usize {
                        return Err(ServiceError::invalid(
                            &t.id,
                            "rows",
                            format!("{} can have at most {} rows", def.sections[t.section].title, t.max_rows),
                        ));
                    }
                    rows.push(Value::Object(row.clone()));
                }
                Some(i) => match rows.get_mut(*i) {
                    Some(slot) => {
                        if *slot != Value::Object(row.clone()) {
                            // A changed row's warnings are confirmed again, for its new answers.
                            let row_key = format!("{}/{i}", t.id);
                            confirmations.retain(|key, _| {
                                !(key.starts_with(&format!("{row_key}/"))
                                    || key.starts_with(&format!("{row_key}#")))
                            });
                        }
                        *slot = Value::Object(row.clone());
                    }
                    None => {
                        return Err(ServiceError::NotFound(format!(
                            "{} has no row {}",
                            def.sections[t.section].title,
                            i + 1
                        )));
                    }
                },
            }
            touched.push(t.section);
            event_section = Some(def.sections[t.section].id.clone());
        }
        Edit::RemoveRow { table, index } => {
            let t = def
                .table(table)
                .ok_or_else(|| ServiceError::NotFound(format!("This return has no table “{table}”")))?;
            editable(t.section)?;
            let rows = table_rows(&mut answers, &t.id);
            if *index >= rows.len() {
                return Err(ServiceError::NotFound(format!(
                    "{} has no row {}",
                    def.sections[t.section].title,
                    index + 1
                )));
            }
            rows.remove(*index);
            // Rows after it move up: their confirmations would point at other rows.
            let prefix = format!("{}/", t.id);
            confirmations.retain(|key, _| {
                key.strip_prefix(&prefix)
                    .and_then(|rest| rest.split(['/', '#']).next()?.parse::<usize>().ok())
                    .is_none_or(|row| row < *index)
            });
            touched.push(t.section);
            event_section = Some(def.sections[t.section].id.clone());
        }
        Edit::ReplaceTable { table, rows, file_name } => {
            let t = def
                .table(table)
                .ok_or_else(|| ServiceError::NotFound(format!("This return has no table “{table}”")))?;
            editable(t.section)?;
            let before = answers.get(&t.id).and_then(Value::as_array).map_or(0, Vec::len);
            answers.insert(t.id.clone(), Value::Array(rows.clone()));
            // New rows: no reason given for an old row's warning carries over to them.
            let prefix = format!("{}/", t.id);
            confirmations.retain(|key, _| !key.starts_with(&prefix));
            touched.push(t.section);
            event_section = Some(def.sections[t.section].id.clone());
            upload = Some((def.sections[t.section].id.clone(), file_name.clone(), before));
        }
        Edit::Mark { section, complete } => {
            let s = section_index(&def, section)?;
            editable(s)?;
            mark = Some((s, *complete));
        }
        Edit::Confirm { key, reason } => {
            confirm = Some((key.clone(), confirmation_reason(reason)?));
        }
        Edit::Detach { question } => {
            let q = def
                .question(question)
                .filter(|q| q.ty == formwork_definition::QuestionType::File)
                .ok_or_else(|| {
                    ServiceError::NotFound(format!("This return has no file question “{question}”"))
                })?;
            editable(q.section)?;
            let name =
                answers.get(&q.id).and_then(|v| v.get("name")).and_then(Value::as_str).map(str::to_string);
            let Some(name) = name else {
                return Err(ServiceError::NotFound("No file is attached to this question".into()));
            };
            answers.remove(&q.id);
            store::detach(&mut tx, id, &q.id, now).await?;
            touched.push(q.section);
            event_section = Some(def.sections[q.section].id.clone());
            detached = Some((q.id.clone(), name));
        }
    }

    let period = def
        .schedule
        .period_by_key(&submission.period)
        .ok_or_else(|| ServiceError::internal(format!("submission {id} has an unknown period")))?;
    let ctx = validation_context(app, &period);
    let (outcome, _) = check_answers(&def, &answers, &ctx);
    let answers = stored_answers(&def, &answers, &outcome);
    let changes = match &edit {
        // Removing a row moves every row after it up: a diff by index would list each of them
        // (thousands, in a long table). The change is the row removed.
        Edit::RemoveRow { table, index } => {
            let removed = submission.answers.get(table).and_then(|rows| rows.get(*index)).cloned();
            vec![Change {
                field: format!("{table}.{index}"),
                old: removed.unwrap_or(Value::Null),
                new: Value::Null,
            }]
        }
        _ => audit::diff(&Value::Object(submission.answers.clone()), &Value::Object(answers.clone())),
    };

    // A section whose answers changed is no longer complete unless this edit marks it so.
    let changed_sections: Vec<usize> = touched
        .iter()
        .copied()
        .filter(|&s| {
            changes.iter().any(|c| section_of_key(&def, c.field.split('.').next().unwrap_or("")) == Some(s))
        })
        .collect();
    let mut marks: Vec<(String, bool)> = Vec::new();
    for &s in &changed_sections {
        let sid = &def.sections[s].id;
        if completed.contains(sid) && mark.is_none_or(|(m, _)| m != s) {
            completed.retain(|c| c != sid);
            marks.push((sid.clone(), false));
        }
    }
    let mut not_completed = None;
    let (warning_items, error_items): (Vec<Item>, Vec<Item>) =
        outcome.items(&def, "", &NoFile).into_iter().partition(|i| i.severity == Severity::Warning);
    if let Some((s, complete)) = mark {
        let sid = def.sections[s].id.clone();
        let was = completed.contains(&sid);
        if complete {
            let errors = error_items.iter().filter(|i| i.section.as_deref() == Some(&sid)).count();
            let unconfirmed = warning_items
                .iter()
                .filter(|i| {
                    i.section.as_deref() == Some(&sid) && !confirmations.contains_key(&warning_key(i))
                })
                .count();
            if errors > 0 {
                not_completed = Some(format!(
                    "You cannot mark this section as complete until you fix {}",
                    if errors == 1 { "its error".to_string() } else { format!("its {errors} errors") }
                ));
            } else if unconfirmed > 0 {
                not_completed =
                    Some("You cannot mark this section as complete until you confirm its warnings".into());
            } else if matches!(outcome.sections.get(s).map(|x| x.state), Some(SectionState::NotStarted)) {
                not_completed =
                    Some("You cannot mark this section as complete until you answer its questions".into());
            } else if !was {
                completed.push(sid.clone());
                marks.push((sid, true));
            }
        } else if was {
            completed.retain(|c| c != &sid);
            marks.push((sid, false));
        }
    }
    if let Some((key, reason)) = &confirm {
        let Some(item) = warning_items.iter().find(|i| &warning_key(i) == key) else {
            return Err(ServiceError::NotFound(
                "That warning no longer applies: there is nothing to confirm".into(),
            ));
        };
        let section = item.section.as_deref().and_then(|s| def.sections.iter().position(|x| x.id == s));
        match section {
            Some(section) => editable(section)?,
            // A warning about the return as a whole: anyone who edits any section of it.
            None => {
                if !(0..def.sections.len()).any(|s| editable(s).is_ok()) {
                    return Err(ServiceError::Forbidden(
                        "Only the people who fill in this return can confirm its warnings".into(),
                    ));
                }
            }
        }
        confirmations.insert(
            key.clone(),
            Confirmation { reason: reason.clone(), by: actor.user_id().map(str::to_string), at: now },
        );
    }
    // Confirmations of warnings that no longer apply are dropped: a new warning needs a new reason.
    confirmations.retain(|key, _| warning_items.iter().any(|i| &warning_key(i) == key));

    if changes.is_empty() && marks.is_empty() && confirm.is_none() && detached.is_none() && upload.is_none() {
        drop(tx);
        let attachments = {
            let mut conn = app.store.conn().await?;
            store::attachments(&mut conn, id).await?
        };
        let view = build_view(app, actor, submission, def, organisation, attachments)?;
        return Ok(Edited { view, changes, not_completed });
    }
    // Where the return is now: ready for sign-off when everything is complete and confirmed. Any
    // change clears the sign-offs given: the certifiers must see what they sign.
    let warnings: Vec<Warning> = warning_items
        .iter()
        .map(|item| {
            let key = warning_key(item);
            let confirmation = confirmations.get(&key).cloned();
            Warning { key, item: item.clone(), confirmation }
        })
        .collect();
    let candidate = Submission {
        answers: answers.clone(),
        completed_sections: completed.clone(),
        confirmations: confirmations.clone(),
        ..submission.clone()
    };
    let sections = section_views(actor, &def, &candidate, &outcome, &error_items, &warnings);
    let ready = is_ready(&sections, &error_items, &warnings);
    let state = if ready { SubmissionState::ReadyForSignOff } else { SubmissionState::InProgress };
    let save = Save {
        expected,
        version: submission.version,
        answers: &answers,
        completed_sections: &completed,
        confirmations: &confirmations,
        sign_offs: &[],
        state,
        by: actor.user_id(),
    };
    let revision = save_or_stale(app, tx_save(&mut tx, id, &save, now).await, &def, id, expected).await?;
    let who = actor.user_id();
    crate::lifecycle::after_change(
        app,
        &mut tx,
        actor,
        crate::lifecycle::Changed {
            submission: &submission,
            def: &def,
            organisation: &organisation,
            revision,
            now_ready: ready && submission.state != SubmissionState::ReadyForSignOff,
        },
    )
    .await?;
    if let Some((section, file_name, rows_before)) = upload {
        let rows_after = answers.get(&section).and_then(Value::as_array).map_or(0, Vec::len);
        let event = AuditEvent::TableUploaded {
            submission: id.into(),
            revision,
            section,
            file_name,
            rows_before,
            rows_after,
        };
        audit::record(&mut tx, who, &event, now).await?;
    } else if let Some((question, file_name)) = detached {
        let event = AuditEvent::FileRemoved { submission: id.into(), revision, question, file_name };
        audit::record(&mut tx, who, &event, now).await?;
    } else if !changes.is_empty() {
        let event = AuditEvent::AnswersSaved {
            submission: id.into(),
            revision,
            section: event_section,
            changes: changes.clone(),
        };
        audit::record(&mut tx, who, &event, now).await?;
    }
    for (section, complete) in marks {
        let event = AuditEvent::SectionMarked { submission: id.into(), revision, section, complete };
        audit::record(&mut tx, who, &event, now).await?;
    }
    if let Some((key, reason)) = confirm {
        let item = warning_items.iter().find(|i| warning_key(i) == key);
        let event = AuditEvent::WarningConfirmed {
            submission: id.into(),
            revision,
            path: item.map(|i| i.path.clone()).unwrap_or_default(),
            message: item.map(|i| i.message.clone()).unwrap_or_default(),
            reason,
        };
        audit::record(&mut tx, who, &event, now).await?;
    }
    let attachments = store::attachments(&mut tx, id).await?;
    let stored = store::by_id(&mut tx, id).await?.ok_or_else(not_found)?;
    commit(tx).await?;
    let view = build_view(app, actor, stored, def, organisation, attachments)?;
    Ok(Edited { view, changes, not_completed })
}

async fn tx_save(
    tx: &mut AnyConnection,
    id: &str,
    save: &Save<'_>,
    now: i64,
) -> std::result::Result<i64, formwork_store::StoreError> {
    store::save(tx, id, save, now).await
}

/// The new revision; or, when another save won the race between reading the return and the
/// conditional update (two transactions at once on PostgreSQL), the stale answer with what the
/// winner changed — never a bare conflict, so pages keep what the person typed.
pub(crate) async fn save_or_stale(
    app: &App,
    saved: std::result::Result<i64, formwork_store::StoreError>,
    def: &Definition,
    id: &str,
    expected: i64,
) -> Result<i64> {
    match saved {
        Ok(revision) => Ok(revision),
        Err(formwork_store::StoreError::Conflict { .. }) => {
            let mut conn = app.store.conn().await?;
            let current = store::by_id(&mut conn, id).await?.ok_or_else(not_found)?;
            let stale = stale(&mut conn, def, &current, expected).await?;
            Err(ServiceError::Stale(Box::new(stale)))
        }
        Err(e) => Err(e.into()),
    }
}

/// What changed between revision `expected` and now, for the conflict message.
pub(crate) async fn stale(
    conn: &mut AnyConnection,
    def: &Definition,
    submission: &Submission,
    expected: i64,
) -> Result<Stale> {
    let events = audit::history(conn, &format!("submission:{}", submission.id), 500).await?;
    let mut changes = Vec::new();
    let mut names: BTreeMap<String, Option<String>> = BTreeMap::new();
    for event in events.iter().rev() {
        // Every kind of change to answers: saved fields, a table replaced from a file, a file
        // attached or removed.
        let (revision, fields) = match event.event() {
            Some(AuditEvent::AnswersSaved { revision, changes, .. }) => (revision, changes),
            Some(AuditEvent::TableUploaded {
                revision, section, file_name, rows_before, rows_after, ..
            }) => {
                let table = def.sections.iter().find(|s| s.id == section).and_then(|s| match s.content {
                    SectionContent::Table(t) => def.tables.get(t).map(|t| t.id.clone()),
                    SectionContent::Questions(_) => None,
                });
                let change = Change {
                    field: table.unwrap_or(section),
                    old: Value::String(format!("{rows_before} rows")),
                    new: Value::String(format!("{rows_after} rows from {file_name}")),
                };
                (revision, vec![change])
            }
            Some(AuditEvent::FileAttached { revision, question, file_name, replaced, .. }) => {
                let old = replaced.map_or(Value::Null, Value::String);
                (revision, vec![Change { field: question, old, new: Value::String(file_name) }])
            }
            Some(AuditEvent::FileRemoved { revision, question, file_name, .. }) => {
                (revision, vec![Change { field: question, old: Value::String(file_name), new: Value::Null }])
            }
            _ => continue,
        };
        if revision <= expected {
            continue;
        }
        let by = person_name(conn, &mut names, event.actor_id.as_deref()).await?;
        {
            for c in fields {
                changes.push(TheirChange {
                    at: event.at,
                    by: by.clone(),
                    label: label_of(def, &c.field),
                    field: c.field,
                    old: c.old,
                    new: c.new,
                });
            }
        }
    }
    Ok(Stale { noun: "return", revision: submission.revision, changes })
}

/// The name (or email address) of the person `user`, for a history: each looked up once.
pub(crate) async fn person_name(
    conn: &mut AnyConnection,
    names: &mut BTreeMap<String, Option<String>>,
    user: Option<&str>,
) -> Result<Option<String>> {
    let Some(user) = user else { return Ok(None) };
    if !names.contains_key(user) {
        let name = formwork_store::users::by_id(conn, user).await?.map(|u| u.name.unwrap_or(u.email));
        names.insert(user.to_string(), name);
    }
    Ok(names.get(user).cloned().flatten())
}

/// The label of a changed field (`spend.3.amount` → "Amount spent (Spend to date, row 4)").
pub fn label_of(def: &Definition, field: &str) -> String {
    let mut parts = field.split('.');
    let first = parts.next().unwrap_or_default();
    if let Some(q) = def.question(first) {
        return q.label.clone();
    }
    if let Some(t) = def.table(first) {
        let title = &def.sections[t.section].title;
        let row = parts.next().and_then(|r| r.parse::<usize>().ok());
        let column = parts.next().and_then(|c| t.columns.iter().find(|col| col.id == c));
        return match (row, column) {
            (Some(r), Some(c)) => format!("{} ({title}, row {})", c.label, r + 1),
            (Some(r), None) => format!("{title}, row {}", r + 1),
            _ => title.clone(),
        };
    }
    field.to_string()
}

/// One entry of a return's history.
#[derive(Clone, Debug, Serialize)]
pub struct HistoryEntry {
    /// When.
    pub at: i64,
    /// Who (name or email address), if a person.
    pub by: Option<String>,
    /// What happened, in words.
    pub summary: String,
    /// The event as stored.
    pub event: Option<AuditEvent>,
    /// Field changes, with labels.
    pub changes: Vec<LabelledChange>,
}

/// A field change with the question's label.
#[derive(Clone, Debug, Serialize)]
pub struct LabelledChange {
    /// The field.
    pub field: String,
    /// Its label.
    pub label: String,
    /// Before.
    pub old: Value,
    /// After.
    pub new: Value,
}

/// A return's history, newest first.
pub async fn history(app: &App, actor: &Actor, id: &str) -> Result<Vec<HistoryEntry>> {
    let mut conn = app.store.conn().await?;
    let (_, def, _) = load(app, &mut conn, actor, id).await?;
    let events = audit::history(&mut conn, &format!("submission:{id}"), 10_000).await?;
    let mut names: BTreeMap<String, Option<String>> = BTreeMap::new();
    let mut out = Vec::with_capacity(events.len());
    for stored in events {
        let by = person_name(&mut conn, &mut names, stored.actor_id.as_deref()).await?;
        let event = stored.event();
        let title =
            |s: &str| def.sections.iter().find(|x| x.id == s).map_or(s.to_string(), |x| x.title.clone());
        let (summary, changes) = match &event {
            Some(AuditEvent::SubmissionStarted { .. }) => ("Started the return".to_string(), Vec::new()),
            Some(AuditEvent::AnswersSaved { section, changes, .. }) => (
                match section {
                    Some(s) => format!("Changed {}", title(s)),
                    None => "Changed answers".to_string(),
                },
                changes
                    .iter()
                    .map(|c| LabelledChange {
                        field: c.field.clone(),
                        label: label_of(&def, &c.field),
                        old: c.old.clone(),
                        new: c.new.clone(),
                    })
                    .collect(),
            ),
            Some(AuditEvent::SectionMarked { section, complete, .. }) => (
                if *complete {
                    format!("Marked {} as complete", title(section))
                } else {
                    format!("{} is no longer complete", title(section))
                },
                Vec::new(),
            ),
            Some(AuditEvent::WarningConfirmed { message, reason, .. }) => {
                (format!("Confirmed the warning “{message}”: {reason}"), Vec::new())
            }
            Some(AuditEvent::FileAttached { file_name, question, replaced, .. }) => (
                match replaced {
                    Some(old) => format!("Replaced {old} with {file_name} for {}", label_of(&def, question)),
                    None => format!("Attached {file_name} to {}", label_of(&def, question)),
                },
                Vec::new(),
            ),
            Some(AuditEvent::FileRemoved { file_name, question, .. }) => {
                (format!("Removed {file_name} from {}", label_of(&def, question)), Vec::new())
            }
            Some(AuditEvent::TableUploaded { section, file_name, rows_before, rows_after, .. }) => (
                format!(
                    "Replaced the {rows_before} rows of {} with the {rows_after} rows of {file_name}",
                    title(section)
                ),
                Vec::new(),
            ),
            Some(AuditEvent::SignedOff { step, role, declaration, .. }) => (
                format!("Signed off step {} as {}: “{declaration}”", step + 1, crate::emails::words(role)),
                Vec::new(),
            ),
            Some(AuditEvent::SignOffsCleared { signed_by, .. }) => (
                format!("The return changed, so the sign-offs by {} were cleared", signed_by.join(" and ")),
                Vec::new(),
            ),
            Some(AuditEvent::Submitted { reference, .. }) => {
                (format!("Submitted the return (reference {reference})"), Vec::new())
            }
            Some(AuditEvent::ReturnedForChanges { comments, .. }) => (
                format!(
                    "Sent the return back for changes: {}",
                    comments
                        .iter()
                        .map(|(section, comment)| format!("{}: {comment}", title(section)))
                        .collect::<Vec<_>>()
                        .join("; ")
                ),
                Vec::new(),
            ),
            Some(AuditEvent::Accepted { .. }) => ("Accepted the return".to_string(), Vec::new()),
            Some(AuditEvent::Reopened { reason, .. }) => {
                (format!("Reopened the return: {reason}"), Vec::new())
            }
            Some(AuditEvent::MovedVersion { from_version, to_version, dropped, .. }) => (
                match dropped.len() {
                    0 => format!(
                        "Moved the return from version {from_version} to version {to_version} of the form"
                    ),
                    n => format!(
                        "Moved the return from version {from_version} to version {to_version} of the form; {n} {} did not fit and {} kept here",
                        if n == 1 { "answer" } else { "answers" },
                        if n == 1 { "is" } else { "are" }
                    ),
                },
                dropped
                    .iter()
                    .map(|d| LabelledChange {
                        field: d.path.clone(),
                        label: format!("{} ({})", d.label, d.reason),
                        old: d.value.clone(),
                        new: Value::Null,
                    })
                    .collect(),
            ),
            _ => (stored.action.clone(), Vec::new()),
        };
        out.push(HistoryEntry { at: stored.at, by, summary, event, changes });
    }
    Ok(out)
}

/// What a file's bytes say it is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FileKind {
    /// A PDF: starts `%PDF-`, ends with `%%EOF`.
    Pdf,
    /// A PNG image.
    Png,
    /// A JPEG image.
    Jpeg,
    /// A ZIP container: XLSX, DOCX, ODS and friends.
    Zip,
    /// Text: CSV, TXT (no NUL bytes and valid UTF-8 at the start).
    Text,
    /// None of these.
    Unknown,
}

impl FileKind {
    /// The kinds a file extension must be.
    fn for_extension(extension: &str) -> Option<(FileKind, &'static str)> {
        Some(match extension {
            "pdf" => (FileKind::Pdf, "application/pdf"),
            "png" => (FileKind::Png, "image/png"),
            "jpg" | "jpeg" => (FileKind::Jpeg, "image/jpeg"),
            "xlsx" => (FileKind::Zip, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
            "docx" => {
                (FileKind::Zip, "application/vnd.openxmlformats-officedocument.wordprocessingml.document")
            }
            "pptx" => {
                (FileKind::Zip, "application/vnd.openxmlformats-officedocument.presentationml.presentation")
            }
            "odt" => (FileKind::Zip, "application/vnd.oasis.opendocument.text"),
            "ods" => (FileKind::Zip, "application/vnd.oasis.opendocument.spreadsheet"),
            "zip" => (FileKind::Zip, "application/zip"),
            "csv" => (FileKind::Text, "text/csv"),
            "txt" => (FileKind::Text, "text/plain"),
            _ => return None,
        })
    }
}

/// Watches a file go by: its first bytes and its last, to tell what it is without holding it.
#[derive(Default)]
struct Sniff {
    head: Vec<u8>,
    tail: Vec<u8>,
}

const SNIFF_HEAD: usize = 1024;
const SNIFF_TAIL: usize = 1024;

impl Sniff {
    fn feed(&mut self, chunk: &[u8]) {
        if self.head.len() < SNIFF_HEAD {
            let take = (SNIFF_HEAD - self.head.len()).min(chunk.len());
            self.head.extend_from_slice(&chunk[..take]);
        }
        if chunk.len() >= SNIFF_TAIL {
            self.tail.clear();
            self.tail.extend_from_slice(&chunk[chunk.len() - SNIFF_TAIL..]);
        } else {
            self.tail.extend_from_slice(chunk);
            if self.tail.len() > SNIFF_TAIL {
                self.tail.drain(..self.tail.len() - SNIFF_TAIL);
            }
        }
    }

    fn kind(&self) -> FileKind {
        let head = self.head.as_slice();
        if head.starts_with(b"%PDF-") {
            let tail = String::from_utf8_lossy(&self.tail);
            return if tail.trim_end().ends_with("%%EOF") || tail.contains("%%EOF") {
                FileKind::Pdf
            } else {
                FileKind::Unknown
            };
        }
        if head.starts_with(b"\x89PNG\r\n\x1a\n") {
            return FileKind::Png;
        }
        if head.starts_with(&[0xFF, 0xD8, 0xFF]) {
            return FileKind::Jpeg;
        }
        if head.starts_with(b"PK\x03\x04") {
            return FileKind::Zip;
        }
        let text = match std::str::from_utf8(head) {
            Ok(_) => true,
            // A multi-byte character cut at the end of the sniffed bytes is still text.
            Err(e) => e.error_len().is_none(),
        };
        if text && !head.contains(&0) { FileKind::Text } else { FileKind::Unknown }
    }
}

/// A file to attach, arriving as a stream.
pub struct Upload<S> {
    /// The `file` question.
    pub question: String,
    /// The file's name as sent.
    pub file_name: String,
    /// Its bytes.
    pub body: S,
}

fn file_problem(question: &str, message: impl Into<String>) -> ServiceError {
    ServiceError::Invalid(vec![Problem::new(question, "file", message)])
}

/// Attach a file to a `file` question of a return, from revision `expected` (`None`: whatever the
/// revision now — files are added whole, so there is nothing to lose). The bytes stream to
/// storage, never held whole; the type is checked by content, `max_size` while streaming, and the
/// SHA-256 recorded. A file replaced is kept, for the history.
pub async fn attach<S, E>(
    app: &App,
    files: &Files,
    actor: &Actor,
    id: &str,
    expected: Option<i64>,
    upload: Upload<S>,
    max_bytes: u64,
) -> Result<Edited>
where
    S: Stream<Item = std::result::Result<Bytes, E>>,
    E: Into<ReadError>,
{
    let now = app.now();
    let (submission, def, _) = {
        let mut conn = app.store.conn().await?;
        load(app, &mut conn, actor, id).await?
    };
    let question = def
        .question(&upload.question)
        .filter(|q| q.ty == formwork_definition::QuestionType::File)
        .ok_or_else(|| {
            ServiceError::invalid(
                "question",
                "unknown_column",
                format!("This return has no file question “{}”", upload.question),
            )
        })?;
    check(actor, Action::EditSection(&submission.organisation_id, &def.sections[question.section].editors))?;
    if !submission.state.is_editable() {
        return Err(ServiceError::Conflict(format!(
            "This return is {}: it cannot be changed",
            submission.state.label().to_lowercase()
        )));
    }
    let file_name = clean_file_name(&upload.file_name);
    if file_name.is_empty() {
        return Err(file_problem(&question.id, format!("Select a file for {}", question.label)));
    }
    let extension = file_name.rsplit_once('.').map(|(_, e)| e.to_lowercase()).unwrap_or_default();
    let accepted = &question.options.accept;
    if !accepted.is_empty() && !accepted.contains(&extension) {
        return Err(file_problem(
            &question.id,
            format!(
                "{} must be a {} file",
                question.label,
                accepted.iter().map(|a| a.to_uppercase()).collect::<Vec<_>>().join(" or ")
            ),
        ));
    }
    let Some((kind, media_type)) = FileKind::for_extension(&extension) else {
        return Err(file_problem(&question.id, format!("{} cannot be a .{extension} file", question.label)));
    };
    let limit = question.options.max_size.unwrap_or(max_bytes).min(max_bytes);
    let attachment_id = formwork_store::new_id();
    let key = format!("attachments/{}/{attachment_id}", submission.id);
    let mut sniff = Sniff::default();
    let body = upload.body.map(|chunk| {
        if let Ok(bytes) = &chunk {
            sniff.feed(bytes);
        }
        chunk
    });
    let stored = match files.put_stream(&key, body, Some(limit)).await {
        Ok(stored) => stored,
        Err(FilesError::TooLarge { .. }) => {
            return Err(file_problem(
                &question.id,
                format!("{} must be smaller than {}", question.label, size_words(limit)),
            ));
        }
        Err(FilesError::Read(e)) => {
            tracing::info!(error = %e, "an upload stopped before it ended");
            return Err(file_problem(&question.id, "The file did not arrive whole: try again"));
        }
        Err(e) => return Err(ServiceError::Unavailable(Box::new(e))),
    };
    let refuse = |message: String| async {
        if let Err(e) = files.delete(&key).await {
            tracing::warn!(error = %e, key, "a refused upload could not be deleted");
        }
        Err(file_problem(&question.id, message))
    };
    if stored.size == 0 {
        return refuse(format!("The selected file is empty: {} must have something in it", question.label))
            .await;
    }
    if sniff.kind() != kind {
        return refuse(format!(
            "The selected file is not a real {} file: its name says .{extension} but its content does not match",
            extension.to_uppercase()
        ))
        .await;
    }
    let answer = serde_json::json!({
        "id": attachment_id,
        "name": file_name,
        "size": stored.size,
        "sha256": stored.sha256,
        "media_type": media_type,
    });
    let attachment = Attachment {
        id: attachment_id.clone(),
        submission_id: submission.id.clone(),
        question: question.id.clone(),
        object_key: key.clone(),
        sha256: stored.sha256.clone(),
        size: i64::try_from(stored.size).unwrap_or(i64::MAX),
        media_type: media_type.to_string(),
        file_name: file_name.clone(),
        uploaded_by: actor.user_id().map(str::to_string),
        uploaded_at: now,
        removed_at: None,
    };
    let result = record_attachment(app, actor, &submission.id, expected, &def, &attachment, answer).await;
    if result.is_err()
        && let Err(e) = files.delete(&key).await
    {
        tracing::warn!(error = %e, key, "a file whose attaching failed could not be deleted");
    }
    result
}

async fn record_attachment(
    app: &App,
    actor: &Actor,
    id: &str,
    expected: Option<i64>,
    def: &Definition,
    attachment: &Attachment,
    answer: Value,
) -> Result<Edited> {
    let now = app.now();
    let mut tx = app.begin().await?;
    let (submission, _, organisation) = load(app, &mut tx, actor, id).await?;
    if let Some(expected) = expected
        && expected != submission.revision
    {
        let stale = stale(&mut tx, def, &submission, expected).await?;
        return Err(ServiceError::Stale(Box::new(stale)));
    }
    if !submission.state.is_editable() {
        return Err(ServiceError::Conflict(format!(
            "This return is {}: it cannot be changed",
            submission.state.label().to_lowercase()
        )));
    }
    let period = def
        .schedule
        .period_by_key(&submission.period)
        .ok_or_else(|| ServiceError::internal(format!("submission {id} has an unknown period")))?;
    let (outcome, _) = check_answers(def, &submission.answers, &validation_context(app, &period));
    let asked = def
        .question(&attachment.question)
        .is_some_and(|q| outcome.asked.get(q.slot).copied().unwrap_or(false));
    if !asked {
        return Err(file_problem(
            &attachment.question,
            "This question is not asked in this return as it is now answered, so a file cannot be attached to it",
        ));
    }
    let replaced = submission
        .answers
        .get(&attachment.question)
        .and_then(|v| v.get("name"))
        .and_then(Value::as_str)
        .map(str::to_string);
    store::attach(&mut tx, attachment).await?;
    let mut answers = submission.answers.clone();
    answers.insert(attachment.question.clone(), answer);
    let mut completed = submission.completed_sections.clone();
    let section =
        def.question(&attachment.question).map(|q| def.sections[q.section].id.clone()).unwrap_or_default();
    let unmarked = completed.contains(&section);
    completed.retain(|s| s != &section);
    let save = Save {
        expected: submission.revision,
        answers: &answers,
        completed_sections: &completed,
        confirmations: &submission.confirmations,
        version: submission.version,
        // A new file: its section is no longer complete, so neither is the return, and the
        // sign-offs given are cleared.
        sign_offs: &[],
        state: SubmissionState::InProgress,
        by: actor.user_id(),
    };
    let expected = submission.revision;
    let revision = save_or_stale(app, tx_save(&mut tx, id, &save, now).await, def, id, expected).await?;
    let changed = crate::lifecycle::Changed {
        submission: &submission,
        def,
        organisation: &organisation,
        revision,
        now_ready: false,
    };
    crate::lifecycle::after_change(app, &mut tx, actor, changed).await?;
    let event = AuditEvent::FileAttached {
        submission: id.into(),
        revision,
        question: attachment.question.clone(),
        attachment: attachment.id.clone(),
        file_name: attachment.file_name.clone(),
        size: attachment.size,
        sha256: attachment.sha256.clone(),
        replaced,
    };
    audit::record(&mut tx, actor.user_id(), &event, now).await?;
    if unmarked {
        let event = AuditEvent::SectionMarked { submission: id.into(), revision, section, complete: false };
        audit::record(&mut tx, actor.user_id(), &event, now).await?;
    }
    let attachments = store::attachments(&mut tx, id).await?;
    let stored = store::by_id(&mut tx, id).await?.ok_or_else(not_found)?;
    commit(tx).await?;
    let def = definition(app, &stored.collection, stored.version).await?;
    let view = build_view(app, actor, stored, def, organisation, attachments)?;
    Ok(Edited { view, changes: Vec::new(), not_completed: None })
}

/// A file name as shown and sent back: its last path part, without control characters or quotes.
pub(crate) fn clean_file_name(name: &str) -> String {
    let last = name.rsplit(['/', '\\']).next().unwrap_or_default();
    last.chars()
        .filter(|c| !c.is_control() && *c != '"')
        .collect::<String>()
        .trim()
        .chars()
        .take(200)
        .collect()
}

/// "30 MB", "512 KB".
pub fn size_words(bytes: u64) -> String {
    const MB: u64 = 1024 * 1024;
    if bytes >= MB && bytes.is_multiple_of(MB) {
        format!("{} MB", bytes / MB)
    } else if bytes >= MB {
        format!("{:.1} MB", bytes as f64 / MB as f64)
    } else {
        format!("{} KB", bytes.div_ceil(1024))
    }
}

/// An attached file to download: its record and its bytes as they arrive. Only for people who
/// may see the return.
pub async fn download(
    app: &App,
    files: &Files,
    actor: &Actor,
    id: &str,
    attachment_id: &str,
) -> Result<(Attachment, Download)> {
    let attachment = {
        let mut conn = app.store.conn().await?;
        load(app, &mut conn, actor, id).await?;
        store::attachment_by_id(&mut conn, id, attachment_id).await?
    }
    .ok_or_else(|| ServiceError::NotFound("There is no such file".into()))?;
    let body = files.get_stream(&attachment.object_key).await.map_err(|e| match e {
        FilesError::NotFound(_) => {
            ServiceError::internal(format!("attachment {attachment_id} has no stored bytes"))
        }
        other => ServiceError::Unavailable(Box::new(other)),
    })?;
    Ok((attachment, body))
}

/// The sections of a definition that hold a table, by table id: for pages that list rows.
pub fn table_section(def: &Definition, section: usize) -> Option<&formwork_definition::Table> {
    match def.sections.get(section)?.content {
        SectionContent::Table(t) => def.tables.get(t),
        SectionContent::Questions(_) => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_pdf_must_start_and_end_as_a_pdf() {
        let mut sniff = Sniff::default();
        sniff.feed(b"%PDF-1.7\n");
        sniff.feed(&vec![b'x'; 5000]);
        sniff.feed(b"\n%%EOF\n");
        assert_eq!(sniff.kind(), FileKind::Pdf);
        let mut truncated = Sniff::default();
        truncated.feed(b"%PDF-1.7\n");
        truncated.feed(&vec![b'x'; 5000]);
        assert_eq!(truncated.kind(), FileKind::Unknown);
        let mut text = Sniff::default();
        text.feed(b"this is not a pdf");
        assert_eq!(text.kind(), FileKind::Text);
        let mut binary = Sniff::default();
        binary.feed(&[0, 1, 2, 3]);
        assert_eq!(binary.kind(), FileKind::Unknown);
    }

    #[test]
    fn file_names_lose_their_folders_and_control_characters() {
        assert_eq!(clean_file_name("C:\\Users\\me\\board \"minutes\".pdf"), "board minutes.pdf");
        assert_eq!(clean_file_name("../../etc/passwd\n"), "passwd");
        assert_eq!(size_words(30 * 1024 * 1024), "30 MB");
        assert_eq!(size_words(1536), "2 KB");
    }
}
