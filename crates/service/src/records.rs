//! Records of a log, one at a time: listing an organisation's records, adding one, reading it with
//! its validation and per-section progress, saving a section's answers, confirming a warning,
//! deleting it (softly), and its history. Uploads of many records are [`crate::uploads`].
//!
//! A record is validated by the engine like a return, plus one check of its own: another stored
//! record of the organisation with the same `record_key` answers is a `duplicate` error that
//! names the other record. Its state is decided on every save: `completed` when it has no errors
//! and every warning is confirmed, `in_progress` otherwise. Every change is a conditional update
//! on the revision with one typed event, in the same transaction; a change made from an older
//! revision is refused with [`Stale`](crate::submissions::Stale).

use std::collections::BTreeMap;
use std::sync::Arc;

use formwork_definition::schedule::Period;
use formwork_definition::validate::json::stored_answers;
use formwork_definition::validate::{Code, Item, Outcome, SectionState};
use formwork_definition::{Definition, Kind, Question, Severity};
use formwork_store::AnyConnection;
use formwork_store::audit::{self, AuditEvent, Change};
use formwork_store::collections as collections_store;
use formwork_store::organisations::{self as orgs, Organisation};
use formwork_store::records::{self as store, Filter, NewRecord, Save};
pub use formwork_store::records::{Record, RecordState};
use serde::Serialize;
use serde_json::{Map, Value};

use crate::collections::definition;
use crate::lifecycle::editing_roles;
use crate::policy::{Action, check, visible_organisations};
use crate::submissions::{
    Confirmation, HistoryEntry, LabelledChange, Progress, SectionView, Stale, TheirChange, Warning,
    changed_sections, check_answers, confirmation_reason, label_of, person_name, put_answers,
    refuse_elsewhere, refuse_file_answers, refuse_unusable, section_keys, validation_context, warning_key,
};
use crate::uploads::period_of;
use crate::{Actor, App, Result, ServiceError, commit};

/// Records on one page of a list, unless asked for another number.
pub const PAGE: i64 = 50;
/// The most records one page of a list may hold.
pub const MOST_PER_PAGE: i64 = 500;

fn not_found() -> ServiceError {
    ServiceError::NotFound("There is no such record".into())
}

/// The questions of a log's `record_key`, in order.
pub fn key_questions(def: &Definition) -> Vec<&Question> {
    def.record_key.iter().filter_map(|&slot| def.question_at(slot)).collect()
}

fn key_ids(def: &Definition) -> Vec<String> {
    key_questions(def).into_iter().map(|q| q.id.clone()).collect()
}

/// The `duplicate` item of a record whose key another stored record has: on the key's first
/// question, so that the section page shows it there.
pub(crate) fn duplicate_item(def: &Definition) -> Item {
    let questions = key_questions(def);
    let labels: Vec<String> = questions.iter().map(|q| q.label.to_lowercase()).collect();
    let labels = match labels.as_slice() {
        [] => String::new(),
        [one] => one.clone(),
        [rest @ .., last] => format!("{} and {last}", rest.join(", ")),
    };
    let first = questions.first();
    Item {
        section: first.and_then(|q| def.sections.get(q.section)).map(|s| s.id.clone()),
        ..Item::error(
            Code::Duplicate,
            first.map_or(String::new(), |q| q.id.clone()),
            format!("Another record has the same {labels}: change this record or delete one of the two"),
        )
    }
}

/// A record with everything its pages and the API show.
#[derive(Clone, Debug)]
pub struct RecordView {
    /// The stored record.
    pub record: Record,
    /// The definition it follows.
    pub definition: Arc<Definition>,
    /// Its organisation.
    pub organisation: Organisation,
    /// Its period.
    pub period: Period,
    /// Errors, by the catalogue (DESIGN §4), the `duplicate` one included.
    pub errors: Vec<Item>,
    /// Warnings, with their confirmations.
    pub warnings: Vec<Warning>,
    /// Sections in order, with their progress.
    pub sections: Vec<SectionView>,
    /// Whether each slot is asked now.
    pub asked: Vec<bool>,
    /// The other stored record with the same `record_key`, if any.
    pub duplicate: Option<String>,
    /// May the person change it (it is not deleted, and they add and change the log's records)?
    pub editable: bool,
}

impl RecordView {
    /// Sections Completed.
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

    /// The warnings in a section.
    pub fn warnings_in<'a>(&'a self, section: &'a str) -> impl Iterator<Item = &'a Warning> + 'a {
        self.warnings.iter().filter(move |w| w.item.section.as_deref() == Some(section))
    }

    /// The `record_key` questions' labels and answers, to tell records apart in lists.
    pub fn key(&self) -> Vec<(String, Value)> {
        key_of_record(&self.definition, &self.record)
    }
}

/// The `record_key` questions' labels and a record's answers to them.
pub fn key_of_record(def: &Definition, record: &Record) -> Vec<(String, Value)> {
    key_questions(def)
        .into_iter()
        .map(|q| (q.label.clone(), record.answers.get(&q.id).cloned().unwrap_or(Value::Null)))
        .collect()
}

/// What validating a record's answers found.
struct Checked {
    outcome: Outcome,
    errors: Vec<Item>,
    warnings: Vec<Item>,
}

/// Validate answers with the engine, adding the `duplicate` error when another record has the key.
fn check_record(
    app: &App,
    def: &Definition,
    period: &Period,
    answers: &Map<String, Value>,
    duplicate: bool,
) -> Checked {
    let (outcome, items) = check_answers(def, answers, &validation_context(app, period));
    let (warnings, mut errors): (Vec<Item>, Vec<Item>) =
        items.into_iter().partition(|i| i.severity == Severity::Warning);
    if duplicate {
        errors.push(duplicate_item(def));
    }
    Checked { outcome, errors, warnings }
}

fn with_confirmations(items: &[Item], confirmations: &BTreeMap<String, Confirmation>) -> Vec<Warning> {
    items
        .iter()
        .map(|item| {
            let key = warning_key(item);
            let confirmation = confirmations.get(&key).cloned();
            Warning { key, item: item.clone(), confirmation }
        })
        .collect()
}

/// The state a record is in with these problems (DESIGN §5): completed when it has no errors and
/// every warning is confirmed.
fn state_for(errors: &[Item], warnings: &[Warning]) -> RecordState {
    if errors.is_empty() && warnings.iter().all(|w| w.confirmation.is_some()) {
        RecordState::Completed
    } else {
        RecordState::InProgress
    }
}

fn may_edit(actor: &Actor, organisation_id: &str, editors: &[String]) -> bool {
    check(actor, Action::EditRecords(organisation_id, editors)).is_ok()
}

/// Each section's progress on the task list. A record has no "Have you completed this section?":
/// a section is completed when its asked questions are answered without errors and its warnings
/// are confirmed.
fn section_views(
    actor: &Actor,
    def: &Definition,
    record: &Record,
    outcome: &Outcome,
    errors: &[Item],
    warnings: &[Warning],
) -> Vec<SectionView> {
    let open = record.state != RecordState::Deleted;
    def.sections
        .iter()
        .enumerate()
        .map(|(index, section)| {
            let engine = outcome.sections.get(index).map_or(SectionState::NotStarted, |s| s.state);
            let errors = errors.iter().filter(|i| i.section.as_deref() == Some(&section.id)).count();
            let unconfirmed = warnings
                .iter()
                .filter(|w| w.item.section.as_deref() == Some(&section.id) && w.confirmation.is_none())
                .count();
            let answered = section_keys(def, index).iter().any(|k| record.answers.contains_key(*k));
            let status = match engine {
                SectionState::NotApplicable => Progress::NotNeeded,
                SectionState::Complete if errors == 0 && unconfirmed == 0 => Progress::Completed,
                _ if !answered => Progress::NotStarted,
                _ => Progress::InProgress,
            };
            SectionView {
                index,
                id: section.id.clone(),
                title: section.title.clone(),
                status,
                editable: open
                    && status != Progress::NotNeeded
                    && may_edit(actor, &record.organisation_id, &section.editors),
                marked_complete: false,
                errors,
                unconfirmed_warnings: unconfirmed,
            }
        })
        .collect()
}

fn period_of_record(def: &Definition, record: &Record) -> Result<Period> {
    def.schedule
        .period_by_key(&record.period)
        .ok_or_else(|| ServiceError::internal(format!("record {} has an unknown period", record.id)))
}

fn build_view(
    app: &App,
    actor: &Actor,
    record: Record,
    def: Arc<Definition>,
    organisation: Organisation,
    duplicate: Option<String>,
) -> Result<RecordView> {
    let period = period_of_record(&def, &record)?;
    let checked = check_record(app, &def, &period, &record.answers, duplicate.is_some());
    let warnings = with_confirmations(&checked.warnings, &record.confirmations);
    let sections = section_views(actor, &def, &record, &checked.outcome, &checked.errors, &warnings);
    let editable = record.state != RecordState::Deleted
        && may_edit(actor, &record.organisation_id, &editing_roles(&def));
    Ok(RecordView {
        asked: checked.outcome.asked,
        record,
        definition: def,
        organisation,
        period,
        errors: checked.errors,
        warnings,
        sections,
        duplicate,
        editable,
    })
}

/// The other stored record with `record`'s key, if any.
async fn duplicate_of(conn: &mut AnyConnection, record: &Record) -> Result<Option<String>> {
    match (&record.record_key, record.state) {
        (Some(key), RecordState::InProgress | RecordState::Completed) => {
            Ok(store::with_key(conn, &record.collection, &record.organisation_id, key, &record.id).await?)
        }
        _ => Ok(None),
    }
}

/// Read a record the actor may see, with its definition and organisation: another organisation's
/// record does not exist for them.
async fn load(
    app: &App,
    conn: &mut AnyConnection,
    actor: &Actor,
    id: &str,
) -> Result<(Record, Arc<Definition>, Organisation)> {
    let record = store::by_id(conn, id).await?.ok_or_else(not_found)?;
    match check(actor, Action::SeeRecords(&record.organisation_id)) {
        Err(ServiceError::NotFound(_)) => return Err(not_found()),
        other => other?,
    }
    let organisation = orgs::by_id(conn, &record.organisation_id).await?.ok_or_else(not_found)?;
    let def = definition(app, &record.collection, record.version).await?;
    Ok((record, def, organisation))
}

/// A record with its validation and progress (a deleted one too, to read).
pub async fn get(app: &App, actor: &Actor, id: &str) -> Result<RecordView> {
    let mut conn = app.store.conn().await?;
    let (record, def, organisation) = load(app, &mut conn, actor, id).await?;
    let duplicate = duplicate_of(&mut conn, &record).await?;
    drop(conn);
    build_view(app, actor, record, def, organisation, duplicate)
}

/// An organisation's log: what its records list page shows besides the records.
#[derive(Clone, Debug)]
pub struct Log {
    /// The organisation.
    pub organisation: Organisation,
    /// The latest version of the log's definition.
    pub definition: Arc<Definition>,
    /// The periods that have started, newest first.
    pub periods: Vec<Period>,
    /// May the person add records?
    pub can_add: bool,
}

fn no_such_log() -> ServiceError {
    ServiceError::NotFound("There is no such log".into())
}

/// The log `collection_slug` of organisation `organisation_slug`: 404 when the organisation is
/// not one the actor may see, or the collection is not a log assigned to it.
pub async fn log(app: &App, actor: &Actor, organisation_slug: &str, collection_slug: &str) -> Result<Log> {
    let mut conn = app.store.conn().await?;
    let organisation = orgs::by_slug(&mut conn, organisation_slug).await?.ok_or_else(no_such_log)?;
    match check(actor, Action::SeeRecords(&organisation.id)) {
        Err(ServiceError::NotFound(_)) => return Err(no_such_log()),
        other => other?,
    }
    let collection = collections_store::by_slug(&mut conn, collection_slug).await?.ok_or_else(no_such_log)?;
    let assigned = collections_store::assigned_organisations(&mut conn, collection_slug).await?;
    if collection.kind != "log" || !assigned.contains(&organisation.id) {
        return Err(no_such_log());
    }
    drop(conn);
    let def = definition(app, collection_slug, collection.latest_version).await?;
    let mut periods = def.schedule.periods_until(crate::submissions::today(app));
    periods.reverse();
    let can_add = may_edit(actor, &organisation.id, &editing_roles(&def));
    Ok(Log { organisation, definition: def, periods, can_add })
}

/// A log of an organisation, for the dashboard: its records counted by state.
#[derive(Clone, Debug, Serialize)]
pub struct LogEntry {
    /// The organisation.
    pub organisation: Organisation,
    /// The collection's slug.
    pub collection: String,
    /// Its title.
    pub collection_title: String,
    /// Its records by state (deleted ones aside), states with none left out.
    pub counts: Vec<(RecordState, i64)>,
}

/// Every log assigned to the actor's organisations, with its records counted.
pub async fn logs(app: &App, actor: &Actor) -> Result<Vec<LogEntry>> {
    let person = actor.as_person().ok_or(ServiceError::SignInRequired)?;
    let mut conn = app.store.conn().await?;
    let mut entries = Vec::new();
    for membership in &person.memberships {
        check(actor, Action::SeeRecords(&membership.organisation_id))?;
        let Some(organisation) = orgs::by_id(&mut conn, &membership.organisation_id).await? else { continue };
        for collection in collections_store::assigned_to(&mut conn, &organisation.id).await? {
            if collection.kind != "log" {
                continue;
            }
            let filter = Filter {
                organisations: Some(vec![organisation.id.clone()]),
                collection: Some(collection.slug.clone()),
                ..Filter::default()
            };
            let counts = store::count_by_state(&mut conn, &filter)
                .await?
                .into_iter()
                .filter(|(state, _)| *state != RecordState::Deleted)
                .collect();
            entries.push(LogEntry {
                organisation: organisation.clone(),
                collection: collection.slug,
                collection_title: collection.title,
                counts,
            });
        }
    }
    Ok(entries)
}

/// Which records to list.
#[derive(Clone, Debug, Default)]
pub struct ListFilter {
    /// One organisation (its id).
    pub organisation: Option<String>,
    /// One collection (its slug).
    pub collection: Option<String>,
    /// One period (its key).
    pub period: Option<String>,
    /// One state; `None`: every state but `deleted`.
    pub state: Option<RecordState>,
    /// Changed at or after this time (ms).
    pub updated_since: Option<i64>,
    /// The `next` cursor of the page before.
    pub after: Option<String>,
    /// Records on the page ([`PAGE`] when not given; at most [`MOST_PER_PAGE`]).
    pub limit: Option<i64>,
}

/// One page of records, most recently changed first.
#[derive(Clone, Debug)]
pub struct RecordList {
    /// The records.
    pub records: Vec<Record>,
    /// How many records the filter selects in each state, its state filter aside.
    pub counts: Vec<(RecordState, i64)>,
    /// The cursor of the next page, when there is one.
    pub next: Option<String>,
}

fn cursor(record: &Record) -> String {
    format!("{}.{}", record.updated_at, record.id)
}

fn parse_cursor(text: &str) -> Result<(i64, String)> {
    text.split_once('.')
        .and_then(|(at, id)| Some((at.parse::<i64>().ok()?, id.to_string())))
        .filter(|(_, id)| !id.is_empty())
        .ok_or_else(|| {
            ServiceError::invalid("after", "type", "after must be the next cursor of the page before")
        })
}

/// Records the actor may see, filtered, a page at a time: members see their own organisations'
/// records, the staff everyone's.
pub async fn list(app: &App, actor: &Actor, filter: ListFilter) -> Result<RecordList> {
    let organisations = visible_organisations(actor, filter.organisation.as_deref())?;
    let limit = filter.limit.unwrap_or(PAGE).clamp(1, MOST_PER_PAGE);
    let after = filter.after.as_deref().filter(|a| !a.is_empty()).map(parse_cursor).transpose()?;
    let mut store_filter = Filter {
        organisations,
        collection: filter.collection,
        period: filter.period,
        state: filter.state,
        upload: None,
        updated_since: filter.updated_since,
        after,
        limit: limit + 1,
    };
    let mut conn = app.store.conn().await?;
    let mut records = store::list(&mut conn, &store_filter).await?;
    store_filter.after = None;
    let counts = store::count_by_state(&mut conn, &store_filter).await?;
    let more = records.len() as i64 > limit;
    records.truncate(usize::try_from(limit).unwrap_or(usize::MAX));
    let next = if more { records.last().map(cursor) } else { None };
    Ok(RecordList { records, counts, next })
}

/// A new record: its log, organisation and period, and any answers to start it with.
#[derive(Clone, Debug, Default)]
pub struct NewRecordInput {
    /// The collection's slug.
    pub collection: String,
    /// The organisation's slug.
    pub organisation: String,
    /// The period's key (default: the latest period that has started).
    pub period: Option<String>,
    /// Answers by question id.
    pub answers: Map<String, Value>,
}

/// Add a record to an organisation's log, with any answers given (saved whatever their errors, as
/// a draft is).
pub async fn create(app: &App, actor: &Actor, new: NewRecordInput) -> Result<RecordView> {
    let now = app.now();
    let mut conn = app.store.conn().await?;
    let no_organisation = || {
        ServiceError::invalid(
            "organisation",
            "not_found",
            format!("There is no organisation “{}”", new.organisation),
        )
    };
    let organisation = orgs::by_slug(&mut conn, &new.organisation).await?.ok_or_else(no_organisation)?;
    match check(actor, Action::SeeRecords(&organisation.id)) {
        Err(ServiceError::NotFound(_)) => return Err(no_organisation()),
        other => other?,
    }
    let collection = collections_store::by_slug(&mut conn, &new.collection).await?.ok_or_else(|| {
        ServiceError::invalid(
            "collection",
            "not_found",
            format!("There is no collection “{}”", new.collection),
        )
    })?;
    let assigned = collections_store::assigned_organisations(&mut conn, &new.collection).await?;
    drop(conn);
    if !assigned.contains(&organisation.id) {
        return Err(ServiceError::invalid(
            "collection",
            "not_found",
            format!("{} does not keep {}", organisation.name, collection.title),
        ));
    }
    let def = definition(app, &new.collection, collection.latest_version).await?;
    if def.kind != Kind::Log {
        return Err(ServiceError::invalid(
            "collection",
            "kind",
            format!(
                "{} is a return, not a log: start the return instead of adding a record",
                collection.title
            ),
        ));
    }
    check(actor, Action::EditRecords(&organisation.id, &editing_roles(&def)))?;
    let period = period_of(app, &def, new.period.as_deref())?;
    refuse_unusable(&def, &new.answers)?;
    refuse_file_answers(&def, &Map::new(), &new.answers)?;
    let mut answers = Map::new();
    put_answers(&def, &mut answers, &new.answers);
    let (outcome, _) = check_answers(&def, &answers, &validation_context(app, &period));
    let answers = stored_answers(&def, &answers, &outcome);
    let key = store::key_of(&key_ids(&def), &answers);

    let mut tx = app.begin().await?;
    let duplicate = match &key {
        Some(key) => store::with_key(&mut tx, &new.collection, &organisation.id, key, "").await?,
        None => None,
    };
    let checked = check_record(app, &def, &period, &answers, duplicate.is_some());
    let state = state_for(&checked.errors, &with_confirmations(&checked.warnings, &BTreeMap::new()));
    let record = NewRecord {
        collection: new.collection.clone(),
        version: collection.latest_version,
        organisation_id: organisation.id.clone(),
        period: period.key.clone(),
        record_key: key,
        state,
        answers: answers.clone(),
        confirmations: BTreeMap::new(),
        upload: None,
        by: actor.user_id().map(str::to_string),
    };
    let id = store::insert(&mut tx, record, now).await?;
    let who = actor.user_id();
    let event = AuditEvent::RecordCreated {
        record: id.clone(),
        collection: new.collection.clone(),
        organisation: organisation.id.clone(),
        period: period.key.clone(),
    };
    audit::record(&mut tx, who, &event, now).await?;
    let changes = audit::diff(&Value::Object(Map::new()), &Value::Object(answers));
    if !changes.is_empty() {
        let event = AuditEvent::RecordSaved {
            record: id.clone(),
            revision: 1,
            state: state.as_str().to_string(),
            changes,
        };
        audit::record(&mut tx, who, &event, now).await?;
    }
    let stored = store::by_id(&mut tx, &id).await?.ok_or_else(not_found)?;
    commit(tx).await?;
    build_view(app, actor, stored, def, organisation, duplicate)
}

/// A change to a record.
#[derive(Clone, Debug)]
pub enum Edit {
    /// Answers to one section (a page's post, or an API `PATCH` naming a section): the keys sent
    /// replace those answers, `null` clears one.
    Section {
        /// The section's id.
        section: String,
        /// Answers by question id.
        answers: Map<String, Value>,
    },
    /// Answers to any sections the person edits (an API `PATCH` of the whole record).
    Answers(Map<String, Value>),
    /// Confirm a warning with a reason.
    Confirm {
        /// The warning's key ([`warning_key`]).
        key: String,
        /// Why the answer is right.
        reason: String,
    },
}

/// What an edit did.
#[derive(Clone, Debug)]
pub struct Edited {
    /// The record after it.
    pub view: RecordView,
    /// The answers it changed.
    pub changes: Vec<Change>,
}

fn section_index(def: &Definition, id: &str) -> Result<usize> {
    def.sections
        .iter()
        .position(|s| s.id == id)
        .ok_or_else(|| ServiceError::NotFound(format!("This record has no section “{id}”")))
}

fn deleted() -> ServiceError {
    ServiceError::Conflict("This record has been deleted: it cannot be changed".into())
}

/// Apply an edit to a record, from revision `expected`.
pub async fn edit(app: &App, actor: &Actor, id: &str, expected: i64, edit: Edit) -> Result<Edited> {
    let now = app.now();
    let mut tx = app.begin().await?;
    let (record, def, organisation) = load(app, &mut tx, actor, id).await?;
    let org = record.organisation_id.clone();
    check(actor, Action::EditRecords(&org, &editing_roles(&def)))?;
    if record.state == RecordState::Deleted {
        return Err(deleted());
    }
    if record.revision != expected {
        let stale = stale(&mut tx, &def, &record, expected).await?;
        return Err(ServiceError::Stale(Box::new(stale)));
    }
    let editable = |section: usize| check(actor, Action::EditRecords(&org, &def.sections[section].editors));
    let mut answers = record.answers.clone();
    let mut confirmations = record.confirmations.clone();
    let mut confirm: Option<(String, String)> = None;
    match &edit {
        Edit::Section { section, answers: sent } => {
            let s = section_index(&def, section)?;
            editable(s)?;
            refuse_unusable(&def, sent)?;
            refuse_file_answers(&def, &answers, sent)?;
            refuse_elsewhere(&def, s, sent)?;
            put_answers(&def, &mut answers, sent);
        }
        Edit::Answers(sent) => {
            refuse_unusable(&def, sent)?;
            refuse_file_answers(&def, &answers, sent)?;
            for s in changed_sections(&def, &answers, sent) {
                editable(s)?;
            }
            put_answers(&def, &mut answers, sent);
        }
        Edit::Confirm { key, reason } => confirm = Some((key.clone(), confirmation_reason(reason)?)),
    }
    let period = period_of_record(&def, &record)?;
    let (outcome, _) = check_answers(&def, &answers, &validation_context(app, &period));
    let answers = stored_answers(&def, &answers, &outcome);
    let changes = audit::diff(&Value::Object(record.answers.clone()), &Value::Object(answers.clone()));
    let key = store::key_of(&key_ids(&def), &answers);
    let duplicate = match &key {
        Some(key) => store::with_key(&mut tx, &record.collection, &org, key, id).await?,
        None => None,
    };
    let checked = check_record(app, &def, &period, &answers, duplicate.is_some());
    let mut confirmed: Option<(Item, String)> = None;
    if let Some((key, reason)) = confirm {
        let item = checked.warnings.iter().find(|i| warning_key(i) == key).cloned().ok_or_else(|| {
            ServiceError::NotFound("That warning no longer applies: there is nothing to confirm".into())
        })?;
        let section = item.section.as_deref().and_then(|s| def.sections.iter().position(|x| x.id == s));
        if let Some(section) = section {
            editable(section)?;
        }
        confirmations.insert(
            key,
            Confirmation { reason: reason.clone(), by: actor.user_id().map(str::to_string), at: now },
        );
        confirmed = Some((item, reason));
    }
    // Confirmations of warnings that no longer apply are dropped: a new warning needs a new reason.
    confirmations.retain(|key, _| checked.warnings.iter().any(|i| &warning_key(i) == key));
    let warnings = with_confirmations(&checked.warnings, &confirmations);
    let state = state_for(&checked.errors, &warnings);
    if changes.is_empty() && confirmed.is_none() && state == record.state {
        drop(tx);
        let view = build_view(app, actor, record, def, organisation, duplicate)?;
        return Ok(Edited { view, changes });
    }
    let save = Save {
        expected,
        answers: &answers,
        record_key: key.as_deref(),
        confirmations: &confirmations,
        state,
        by: actor.user_id(),
    };
    let revision = match store::save(&mut tx, id, &save, now).await {
        Ok(revision) => revision,
        // Another save won the race between reading the record and the conditional update.
        Err(formwork_store::StoreError::Conflict { .. }) => {
            drop(tx);
            let mut conn = app.store.conn().await?;
            let current = store::by_id(&mut conn, id).await?.ok_or_else(not_found)?;
            let stale = stale(&mut conn, &def, &current, expected).await?;
            return Err(ServiceError::Stale(Box::new(stale)));
        }
        Err(e) => return Err(e.into()),
    };
    let who = actor.user_id();
    if !changes.is_empty() || confirmed.is_none() {
        let event = AuditEvent::RecordSaved {
            record: id.into(),
            revision,
            state: state.as_str().to_string(),
            changes: changes.clone(),
        };
        audit::record(&mut tx, who, &event, now).await?;
    }
    if let Some((item, reason)) = confirmed {
        let event = AuditEvent::RecordWarningConfirmed {
            record: id.into(),
            revision,
            state: state.as_str().to_string(),
            path: item.path,
            message: item.message,
            reason,
        };
        audit::record(&mut tx, who, &event, now).await?;
    }
    let stored = store::by_id(&mut tx, id).await?.ok_or_else(not_found)?;
    commit(tx).await?;
    let view = build_view(app, actor, stored, def, organisation, duplicate)?;
    Ok(Edited { view, changes })
}

/// Delete a record, from revision `expected`: it is kept, with its history, in state `deleted`,
/// and no longer listed, counted or a duplicate of another.
pub async fn delete(app: &App, actor: &Actor, id: &str, expected: i64) -> Result<RecordView> {
    let now = app.now();
    let mut tx = app.begin().await?;
    let (record, def, organisation) = load(app, &mut tx, actor, id).await?;
    check(actor, Action::EditRecords(&record.organisation_id, &editing_roles(&def)))?;
    if record.state == RecordState::Deleted {
        return Err(ServiceError::Conflict("This record has already been deleted".into()));
    }
    if record.revision != expected {
        let stale = stale(&mut tx, &def, &record, expected).await?;
        return Err(ServiceError::Stale(Box::new(stale)));
    }
    let revision = match store::delete(&mut tx, id, expected, actor.user_id(), now).await {
        Ok(revision) => revision,
        Err(formwork_store::StoreError::Conflict { .. }) => {
            drop(tx);
            let mut conn = app.store.conn().await?;
            let current = store::by_id(&mut conn, id).await?.ok_or_else(not_found)?;
            let stale = stale(&mut conn, &def, &current, expected).await?;
            return Err(ServiceError::Stale(Box::new(stale)));
        }
        Err(e) => return Err(e.into()),
    };
    audit::record(&mut tx, actor.user_id(), &AuditEvent::RecordDeleted { record: id.into(), revision }, now)
        .await?;
    let stored = store::by_id(&mut tx, id).await?.ok_or_else(not_found)?;
    commit(tx).await?;
    build_view(app, actor, stored, def, organisation, None)
}

/// What changed between revision `expected` and now, for the conflict message.
async fn stale(conn: &mut AnyConnection, def: &Definition, record: &Record, expected: i64) -> Result<Stale> {
    let events = audit::history(conn, &format!("record:{}", record.id), 500).await?;
    let mut names = BTreeMap::new();
    let mut changes = Vec::new();
    for event in events.iter().rev() {
        let Some(AuditEvent::RecordSaved { revision, changes: fields, .. }) = event.event() else { continue };
        if revision <= expected {
            continue;
        }
        let by = person_name(conn, &mut names, event.actor_id.as_deref()).await?;
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
    Ok(Stale { noun: "record", revision: record.revision, changes })
}

/// A record's history, newest first.
pub async fn history(app: &App, actor: &Actor, id: &str) -> Result<Vec<HistoryEntry>> {
    let mut conn = app.store.conn().await?;
    let (_, def, _) = load(app, &mut conn, actor, id).await?;
    let events = audit::history(&mut conn, &format!("record:{id}"), 10_000).await?;
    let mut names = BTreeMap::new();
    let mut out = Vec::with_capacity(events.len());
    for stored in events {
        let by = person_name(&mut conn, &mut names, stored.actor_id.as_deref()).await?;
        let event = stored.event();
        let (summary, changes) = match &event {
            Some(AuditEvent::RecordCreated { .. }) => ("Added the record".to_string(), Vec::new()),
            Some(AuditEvent::RecordSaved { changes, state, .. }) => (
                match (changes.is_empty(), state.as_str()) {
                    (true, "completed") => "The record is now completed".to_string(),
                    (true, _) => "The record is in progress again".to_string(),
                    (false, "completed") => "Changed answers; the record is completed".to_string(),
                    (false, _) => "Changed answers".to_string(),
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
            Some(AuditEvent::RecordWarningConfirmed { message, reason, .. }) => {
                (format!("Confirmed the warning “{message}”: {reason}"), Vec::new())
            }
            Some(AuditEvent::RecordDeleted { .. }) => ("Deleted the record".to_string(), Vec::new()),
            _ => (stored.action.clone(), Vec::new()),
        };
        out.push(HistoryEntry { at: stored.at, by, summary, event, changes });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lettings() -> Definition {
        let source = include_str!("../../../examples/lettings-log.yaml");
        match formwork_definition::load(source.as_bytes()) {
            Ok(def) => def,
            Err(problems) => panic!("the example loads: {problems:?}"),
        }
    }

    #[test]
    fn a_duplicate_names_every_key_question_and_sits_on_the_first() {
        let def = lettings();
        let item = duplicate_item(&def);
        assert_eq!(item.code, Code::Duplicate);
        assert_eq!(item.path, "tenancy_code");
        assert_eq!(item.section.as_deref(), Some("setup"));
        assert_eq!(
            item.message,
            "Another record has the same tenancy code, tenancy start date and property postcode: change this record or delete one of the two"
        );
    }

    #[test]
    fn a_record_is_completed_only_without_errors_and_with_every_warning_confirmed() {
        let error = Item::error(Code::Required, "lead_age", "Enter the age of the lead tenant");
        let warning = Item { severity: Severity::Warning, ..error.clone() };
        let unconfirmed = Warning { key: "k".into(), item: warning.clone(), confirmation: None };
        let confirmed = Warning {
            confirmation: Some(Confirmation { reason: "Checked".into(), by: None, at: 0 }),
            ..unconfirmed.clone()
        };
        assert_eq!(state_for(&[], &[]), RecordState::Completed);
        assert_eq!(state_for(&[error], &[]), RecordState::InProgress);
        assert_eq!(state_for(&[], &[unconfirmed]), RecordState::InProgress);
        assert_eq!(state_for(&[], &[confirmed]), RecordState::Completed);
    }

    #[test]
    fn a_cursor_reads_back_and_a_bad_one_is_refused() {
        assert_eq!(parse_cursor("1795341600000.0190abc").ok(), Some((1_795_341_600_000, "0190abc".into())));
        assert!(parse_cursor("yesterday").is_err());
        assert!(parse_cursor("12.").is_err());
    }
}
