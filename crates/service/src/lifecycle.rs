//! The life of a return after it is filled in (DESIGN §5): sign-off steps in the definition's
//! order, submission with a reference people can quote, review (sent back with comments by section,
//! or accepted), reopening, and what every change does to the sign-offs given.
//!
//! Each move is one conditional update on the revision and state
//! ([`formwork_store::submissions::transition`]), so of two people acting at once exactly one
//! succeeds and the other is told; each is a typed event in the history; each email it calls for is
//! enqueued in the same transaction, so it is sent exactly when the move is committed.

use std::collections::BTreeMap;

use formwork_definition::Definition;
use formwork_store::AnyConnection;
use formwork_store::audit::{self, AuditEvent};
use formwork_store::organisations::{self as orgs, Membership, Organisation};
use formwork_store::submissions::{self as store, ReviewComment, SignOff, Transition};
use serde::Serialize;

use crate::emails::{self, About};
use crate::jobs::SendEmail;
use crate::policy::{Action, check};
use crate::submissions::{
    Submission, SubmissionState, SubmissionView, build_view, load, save_or_stale, stale,
};
use crate::{Actor, App, Result, ServiceError, commit};

/// The longest comment or reason accepted, in characters.
pub const MAX_COMMENT: usize = 5000;

/// What the person looking at a return may do next, decided by the policy: pages and the API show
/// exactly these.
#[derive(Clone, Debug, Default, Serialize)]
pub struct Actions {
    /// The sign-off step they may sign now (from 0).
    pub sign_off: Option<usize>,
    /// Why the next step is not theirs to sign, when a step is waiting.
    pub sign_off_blocked: Option<String>,
    /// They may submit it (a collection without sign-off steps).
    pub submit: bool,
    /// They may send it back for changes or accept it.
    pub review: bool,
    /// They may reopen it.
    pub reopen: bool,
    /// The newer version they may move it to.
    pub move_to: Option<i64>,
}

/// The roles that edit any section of `def` (empty: every member).
pub fn editing_roles(def: &Definition) -> Vec<String> {
    if def.sections.iter().any(|s| s.editors.is_empty()) {
        return Vec::new();
    }
    let mut roles: Vec<String> = def.sections.iter().flat_map(|s| s.editors.iter().cloned()).collect();
    roles.sort();
    roles.dedup();
    roles
}

/// What `actor` may do next with the return in `view`.
pub async fn actions(app: &App, actor: &Actor, view: &SubmissionView) -> Result<Actions> {
    let s = &view.submission;
    let def = &view.definition;
    let org = s.organisation_id.as_str();
    let mut actions = Actions::default();
    if matches!(s.state, SubmissionState::ReadyForSignOff | SubmissionState::AwaitingSignOff) {
        let next = s.sign_offs.len();
        if let Some(step) = def.sign_off.get(next) {
            let signed = actor.user_id().is_some_and(|me| s.sign_offs.iter().any(|x| x.by == me));
            match check(actor, Action::SignOff(org, &step.by)) {
                Ok(()) if signed => {
                    actions.sign_off_blocked = Some(format!(
                        "You signed off an earlier step, so someone else with the {} role must sign off the next one",
                        emails::words(&step.by)
                    ));
                }
                Ok(()) => actions.sign_off = Some(next),
                Err(_) => {
                    actions.sign_off_blocked = Some(format!(
                        "Waiting for someone with the {} role to sign it off",
                        emails::words(&step.by)
                    ));
                }
            }
        } else if s.state == SubmissionState::ReadyForSignOff {
            actions.submit = check(actor, Action::EditSection(org, &editing_roles(def))).is_ok();
        }
    }
    let review = check(actor, Action::Review).is_ok();
    actions.review = review && s.state == SubmissionState::Submitted;
    actions.reopen = check(actor, Action::Reopen).is_ok() && s.state == SubmissionState::Accepted;
    if s.state.is_editable() && check(actor, Action::MoveSubmission(org, &editing_roles(def))).is_ok() {
        let mut conn = app.store.conn().await?;
        let latest = formwork_store::collections::by_slug(&mut conn, &s.collection).await?;
        actions.move_to = latest.map(|c| c.latest_version).filter(|v| *v > s.version);
    }
    Ok(actions)
}

/// The members of `organisation_id` holding any of `roles` (every member when `roles` is empty).
pub(crate) async fn members_with(
    conn: &mut AnyConnection,
    organisation_id: &str,
    roles: &[String],
) -> Result<Vec<Membership>> {
    let members = orgs::members(conn, organisation_id).await?;
    Ok(members
        .into_iter()
        .filter(|m| roles.is_empty() || m.roles.iter().any(|r| roles.contains(r)))
        .collect())
}

/// The people an email about a return goes to: the organisation's members with one of the
/// collection's roles (its editors and certifiers), or every member when it declares none.
async fn collection_people(
    conn: &mut AnyConnection,
    organisation_id: &str,
    def: &Definition,
) -> Result<Vec<Membership>> {
    let roles: Vec<String> = def.roles.iter().map(|r| r.id.clone()).collect();
    members_with(conn, organisation_id, &roles).await
}

/// Enqueue one email to each of `to` (by address, once each), made by `make`.
async fn email_each(
    conn: &mut AnyConnection,
    app: &App,
    to: impl IntoIterator<Item = String>,
    make: impl Fn(&str) -> formwork_mail::Email,
) -> Result<()> {
    let mut sent: Vec<String> = Vec::new();
    for address in to {
        if sent.contains(&address) {
            continue;
        }
        SendEmail::enqueue(conn, make(&address), app.now()).await?;
        sent.push(address);
    }
    Ok(())
}

/// The words every email about `submission` names.
struct Naming {
    service: String,
    organisation: String,
    collection: String,
    period: String,
    link: String,
}

impl Naming {
    fn of(app: &App, submission: &Submission, def: &Definition, organisation: &Organisation) -> Naming {
        Naming::period(app, Some(&submission.id), &submission.period, def, organisation)
    }

    /// For a period's return, `id` once started (the link goes to the return, or to the list of
    /// returns where it can be started).
    fn period(
        app: &App,
        id: Option<&str>,
        period: &str,
        def: &Definition,
        organisation: &Organisation,
    ) -> Naming {
        let label = def.schedule.period_by_key(period).map_or_else(|| period.to_string(), |p| p.label);
        Naming {
            service: app.settings.service_name.clone(),
            organisation: organisation.name.clone(),
            collection: def.title.clone(),
            period: label,
            link: app.link(&id.map_or_else(|| "/returns".to_string(), |id| format!("/returns/{id}"))),
        }
    }

    fn about(&self) -> About<'_> {
        About {
            service: &self.service,
            organisation: &self.organisation,
            collection: &self.collection,
            period: &self.period,
            link: &self.link,
        }
    }
}

fn person_name(actor: &Actor) -> String {
    actor
        .as_person()
        .map(|p| p.user.name.clone().unwrap_or_else(|| p.user.email.clone()))
        .unwrap_or_else(|| "An administrator".into())
}

/// A change saved to a return's answers, for [`after_change`].
pub(crate) struct Changed<'a> {
    /// The return as it was before the change.
    pub submission: &'a Submission,
    /// Its definition.
    pub def: &'a Definition,
    /// Its organisation.
    pub organisation: &'a Organisation,
    /// The revision the change made.
    pub revision: i64,
    /// The change made it ready for sign-off.
    pub now_ready: bool,
}

/// After a change to a return (in its transaction): clear the sign-offs given, with an event and an
/// email to each person who had signed; and tell the first step's signers when it became ready.
pub(crate) async fn after_change(
    app: &App,
    tx: &mut AnyConnection,
    actor: &Actor,
    c: Changed<'_>,
) -> Result<()> {
    let naming = Naming::of(app, c.submission, c.def, c.organisation);
    // The signers told their sign-off was cleared are not told again that it is ready.
    let mut told: Vec<String> = Vec::new();
    if !c.submission.sign_offs.is_empty() {
        let event = AuditEvent::SignOffsCleared {
            submission: c.submission.id.clone(),
            revision: c.revision,
            signed_by: c.submission.sign_offs.iter().map(|s| s.name.clone()).collect(),
        };
        audit::record(tx, actor.user_id(), &event, app.now()).await?;
        let mut addresses = Vec::new();
        for signed in &c.submission.sign_offs {
            if let Some(user) = formwork_store::users::by_id(tx, &signed.by).await? {
                addresses.push(user.email);
            }
        }
        let changed_by = person_name(actor);
        told.clone_from(&addresses);
        email_each(tx, app, addresses, |to| emails::sign_offs_cleared(&naming.about(), to, &changed_by))
            .await?;
    }
    if c.now_ready
        && let Some(step) = c.def.sign_off.first()
    {
        let signers = members_with(tx, &c.submission.organisation_id, std::slice::from_ref(&step.by)).await?;
        let steps = c.def.sign_off.len();
        let untold = signers.into_iter().map(|m| m.email).filter(|e| !told.contains(e));
        email_each(tx, app, untold, |to| emails::ready_for_sign_off(&naming.about(), to, 0, steps, &step.by))
            .await?;
    }
    Ok(())
}

/// The return at `expected`, or the stale answer saying what changed since.
async fn fresh(
    conn: &mut AnyConnection,
    def: &Definition,
    submission: &Submission,
    expected: i64,
) -> Result<()> {
    if submission.revision == expected {
        Ok(())
    } else {
        Err(ServiceError::Stale(Box::new(stale(conn, def, submission, expected).await?)))
    }
}

/// A short reference people can quote: the collection's initials, the period, four characters
/// that cannot be misread (no 0/O, 1/I/L, U), e.g. `TFM-2026Q2-7K3P`.
pub fn new_reference(def: &Definition, submission: &Submission) -> String {
    const ALPHABET: &[u8] = b"ABCDEFGHJKMNPQRSTVWXYZ23456789";
    let initials: String = def
        .collection
        .split('-')
        .filter_map(|w| w.chars().next())
        .filter(char::is_ascii_alphanumeric)
        .take(4)
        .collect::<String>()
        .to_ascii_uppercase();
    let period = def.schedule.period_by_key(&submission.period).map_or_else(
        || submission.period.replace('-', ""),
        |p| {
            use chrono::Datelike;
            use formwork_definition::schedule::Frequency;
            match def.schedule.frequency {
                Frequency::Quarterly => format!("{}Q{}", p.start.year(), (p.start.month0() / 3) + 1),
                Frequency::Monthly => format!("{}{:02}", p.start.year(), p.start.month()),
                Frequency::Annual | Frequency::Once => p.start.year().to_string(),
            }
        },
    );
    let (_, random) = formwork_store::new_token();
    let tail: String =
        random.bytes().take(4).map(|b| ALPHABET[usize::from(b) % ALPHABET.len()] as char).collect();
    format!("{initials}-{period}-{tail}")
}

/// A reference no other submission has.
async fn unique_reference(
    conn: &mut AnyConnection,
    def: &Definition,
    submission: &Submission,
) -> Result<String> {
    for _ in 0..20 {
        let reference = new_reference(def, submission);
        if !store::reference_taken(conn, &reference).await? {
            return Ok(reference);
        }
    }
    Err(ServiceError::internal("could not find a free reference after 20 tries"))
}

/// Read a return for a lifecycle move: it, its definition and organisation, at `expected`.
async fn read(
    app: &App,
    tx: &mut AnyConnection,
    actor: &Actor,
    id: &str,
    expected: i64,
) -> Result<(Submission, std::sync::Arc<Definition>, Organisation)> {
    let (submission, def, organisation) = load(app, tx, actor, id).await?;
    fresh(tx, &def, &submission, expected).await?;
    Ok((submission, def, organisation))
}

/// [`read`] for a move only some may make: another organisation's return is not found, then
/// `action` is checked, then the revision.
async fn read_as(
    app: &App,
    tx: &mut AnyConnection,
    actor: &Actor,
    id: &str,
    expected: i64,
    action: Action<'_>,
) -> Result<(Submission, std::sync::Arc<Definition>, Organisation)> {
    let (submission, def, organisation) = load(app, tx, actor, id).await?;
    check(actor, action)?;
    fresh(tx, &def, &submission, expected).await?;
    Ok((submission, def, organisation))
}

/// The view of the return as stored now, after a committed move.
async fn view_now(app: &App, actor: &Actor, id: &str) -> Result<SubmissionView> {
    crate::submissions::get(app, actor, id).await
}

/// Store `t` for `submission`: the new revision, or the stale answer when someone moved it first.
async fn move_it(
    app: &App,
    tx: &mut AnyConnection,
    def: &Definition,
    submission: &Submission,
    t: &Transition<'_>,
) -> Result<i64> {
    let done = store::transition(tx, &submission.id, t, app.now()).await;
    save_or_stale(app, done, def, &submission.id, t.expected).await
}

fn state_words(state: SubmissionState) -> String {
    state.label().to_lowercase()
}

/// Sign off step `step` (from 0) of a return, as the signed-in person, having confirmed the step's
/// declaration. The last step submits the return.
pub async fn sign_off(
    app: &App,
    actor: &Actor,
    id: &str,
    expected: i64,
    step: usize,
    confirmed: bool,
) -> Result<SubmissionView> {
    let now = app.now();
    let mut tx = app.begin().await?;
    let (submission, def, organisation) = read(app, &mut tx, actor, id, expected).await?;
    let steps = &def.sign_off;
    if steps.is_empty() {
        return Err(ServiceError::Conflict("This return has no sign-off steps: submit it instead".into()));
    }
    let Some(wanted) = steps.get(step) else {
        return Err(ServiceError::NotFound(format!("This return has no sign-off step {}", step + 1)));
    };
    match submission.state {
        SubmissionState::ReadyForSignOff | SubmissionState::AwaitingSignOff => {}
        SubmissionState::Submitted | SubmissionState::Accepted => {
            return Err(ServiceError::Conflict(format!(
                "This return is {}: it cannot be signed off again",
                state_words(submission.state)
            )));
        }
        _ => {
            return Err(ServiceError::Conflict(
                "This return is not ready to sign off: every section must be complete and every warning confirmed"
                    .into(),
            ));
        }
    }
    let next = submission.sign_offs.len();
    if step < next {
        let by = submission.sign_offs.get(step).map_or("someone", |s| s.name.as_str());
        return Err(ServiceError::Conflict(format!("Step {} has already been signed off by {by}", step + 1)));
    }
    if step > next {
        let first = steps.get(next).map_or(String::new(), |s| emails::words(&s.by));
        return Err(ServiceError::Conflict(format!(
            "Step {} must be signed off by someone with the {first} role before step {}",
            next + 1,
            step + 1
        )));
    }
    check(actor, Action::SignOff(&submission.organisation_id, &wanted.by))?;
    let person = actor.as_person().ok_or(ServiceError::SignInRequired)?;
    if let Some(earlier) = submission.sign_offs.iter().find(|s| s.by == person.user.id) {
        return Err(ServiceError::Forbidden(format!(
            "You signed off step {} of this return, so someone else must sign off step {}",
            earlier.step + 1,
            step + 1
        )));
    }
    if !confirmed {
        return Err(ServiceError::invalid(
            "confirm",
            "required",
            "Confirm the declaration to sign off this return",
        ));
    }
    let attachments = store::attachments(&mut tx, id).await?;
    let view = build_view(app, actor, submission.clone(), def.clone(), organisation.clone(), attachments)?;
    if !view.ready() {
        return Err(ServiceError::Conflict(
            "This return is not ready to sign off: every section must be complete and every warning confirmed".into(),
        ));
    }
    let mut sign_offs = submission.sign_offs.clone();
    sign_offs.push(SignOff {
        step,
        role: wanted.by.clone(),
        by: person.user.id.clone(),
        name: person_name(actor),
        declaration: wanted.declaration.clone(),
        at: now,
    });
    let last = step + 1 == steps.len();
    let reference = match (&submission.reference, last) {
        (Some(r), _) => Some(r.clone()),
        (None, true) => Some(unique_reference(&mut tx, &def, &submission).await?),
        (None, false) => None,
    };
    let no_comments = BTreeMap::new();
    let t = Transition {
        expected,
        from: submission.state,
        to: if last { SubmissionState::Submitted } else { SubmissionState::AwaitingSignOff },
        sign_offs: &sign_offs,
        review_comments: if last { &no_comments } else { &submission.review_comments },
        reference: if last { reference.as_deref() } else { None },
        submitted_at: last.then_some(now),
        by: actor.user_id(),
    };
    let revision = move_it(app, &mut tx, &def, &submission, &t).await?;
    let event = AuditEvent::SignedOff {
        submission: id.into(),
        revision,
        step,
        role: wanted.by.clone(),
        declaration: wanted.declaration.clone(),
    };
    audit::record(&mut tx, actor.user_id(), &event, now).await?;
    let naming = Naming::of(app, &submission, &def, &organisation);
    if last {
        let reference = reference.unwrap_or_default();
        submitted(app, &mut tx, actor, &submission, &def, &naming, revision, &reference).await?;
    } else if let Some(following) = steps.get(step + 1) {
        let signers =
            members_with(&mut tx, &submission.organisation_id, std::slice::from_ref(&following.by)).await?;
        let count = steps.len();
        email_each(&mut tx, app, signers.into_iter().map(|m| m.email), |to| {
            emails::ready_for_sign_off(&naming.about(), to, step + 1, count, &following.by)
        })
        .await?;
    }
    commit(tx).await?;
    view_now(app, actor, id).await
}

/// The event and emails of a submission.
#[expect(clippy::too_many_arguments, reason = "one call site per way of submitting, each with all of these")]
async fn submitted(
    app: &App,
    tx: &mut AnyConnection,
    actor: &Actor,
    submission: &Submission,
    def: &Definition,
    naming: &Naming,
    revision: i64,
    reference: &str,
) -> Result<()> {
    let event =
        AuditEvent::Submitted { submission: submission.id.clone(), revision, reference: reference.into() };
    audit::record(tx, actor.user_id(), &event, app.now()).await?;
    let people = collection_people(tx, &submission.organisation_id, def).await?;
    email_each(tx, app, people.into_iter().map(|m| m.email), |to| {
        emails::submitted(&naming.about(), to, reference)
    })
    .await
}

/// Submit a return whose collection has no sign-off steps (with steps, the last sign-off submits).
pub async fn submit(app: &App, actor: &Actor, id: &str, expected: i64) -> Result<SubmissionView> {
    let now = app.now();
    let mut tx = app.begin().await?;
    let (submission, def, organisation) = read(app, &mut tx, actor, id, expected).await?;
    check(actor, Action::EditSection(&submission.organisation_id, &editing_roles(&def)))?;
    if let Some(step) = def.sign_off.get(submission.sign_offs.len()) {
        return Err(ServiceError::Conflict(format!(
            "This return must be signed off before it is submitted: step {} is for someone with the {} role",
            submission.sign_offs.len() + 1,
            emails::words(&step.by)
        )));
    }
    if !matches!(submission.state, SubmissionState::ReadyForSignOff | SubmissionState::AwaitingSignOff) {
        return Err(ServiceError::Conflict(match submission.state {
            SubmissionState::Submitted | SubmissionState::Accepted => {
                format!("This return is {} already", state_words(submission.state))
            }
            _ => "This return cannot be submitted yet: every section must be complete and every warning confirmed"
                .into(),
        }));
    }
    let reference = match &submission.reference {
        Some(r) => r.clone(),
        None => unique_reference(&mut tx, &def, &submission).await?,
    };
    let no_comments = BTreeMap::new();
    let t = Transition {
        expected,
        from: submission.state,
        to: SubmissionState::Submitted,
        sign_offs: &submission.sign_offs,
        review_comments: &no_comments,
        reference: Some(&reference),
        submitted_at: Some(now),
        by: actor.user_id(),
    };
    let revision = move_it(app, &mut tx, &def, &submission, &t).await?;
    let naming = Naming::of(app, &submission, &def, &organisation);
    submitted(app, &mut tx, actor, &submission, &def, &naming, revision, &reference).await?;
    commit(tx).await?;
    view_now(app, actor, id).await
}

fn checked_text(field: &str, text: &str, missing: &str) -> Result<String> {
    let text = text.trim();
    if text.is_empty() {
        return Err(ServiceError::invalid(field, "required", missing));
    }
    if text.chars().count() > MAX_COMMENT {
        return Err(ServiceError::invalid(
            field,
            "length",
            format!("This must be {MAX_COMMENT} characters or fewer"),
        ));
    }
    Ok(text.to_string())
}

/// Send a submitted return back for changes with a comment on each section concerned (section id →
/// comment; empty comments are left out, at least one is needed).
pub async fn return_for_changes(
    app: &App,
    actor: &Actor,
    id: &str,
    expected: i64,
    comments: &[(String, String)],
) -> Result<SubmissionView> {
    let now = app.now();
    let mut tx = app.begin().await?;
    let (submission, def, organisation) = read_as(app, &mut tx, actor, id, expected, Action::Review).await?;
    if submission.state != SubmissionState::Submitted {
        return Err(ServiceError::Conflict(format!(
            "Only a submitted return can be sent back for changes: this one is {}",
            state_words(submission.state)
        )));
    }
    let mut kept: BTreeMap<String, ReviewComment> = BTreeMap::new();
    let mut problems = Vec::new();
    for (section, comment) in comments {
        if comment.trim().is_empty() {
            continue;
        }
        if !def.sections.iter().any(|s| &s.id == section) {
            problems.push(crate::Problem::new(
                &format!("comments.{section}"),
                "choice",
                format!("This return has no section “{section}”"),
            ));
            continue;
        }
        match checked_text(&format!("comments.{section}"), comment, "Enter a comment") {
            Ok(comment) => {
                kept.insert(
                    section.clone(),
                    ReviewComment {
                        comment,
                        by: actor.user_id().map(str::to_string),
                        name: person_name(actor),
                        at: now,
                    },
                );
            }
            Err(ServiceError::Invalid(mut p)) => problems.append(&mut p),
            Err(e) => return Err(e),
        }
    }
    if !problems.is_empty() {
        return Err(ServiceError::Invalid(problems));
    }
    if kept.is_empty() {
        return Err(ServiceError::invalid(
            "comments",
            "required",
            "Enter a comment on at least one section to say what needs changing",
        ));
    }
    let t = Transition {
        expected,
        from: SubmissionState::Submitted,
        to: SubmissionState::ChangesRequested,
        sign_offs: &[],
        review_comments: &kept,
        reference: None,
        submitted_at: None,
        by: actor.user_id(),
    };
    let revision = move_it(app, &mut tx, &def, &submission, &t).await?;
    let event = AuditEvent::ReturnedForChanges {
        submission: id.into(),
        revision,
        comments: kept.iter().map(|(k, v)| (k.clone(), v.comment.clone())).collect(),
    };
    audit::record(&mut tx, actor.user_id(), &event, now).await?;
    let titled: Vec<(String, String)> = def
        .sections
        .iter()
        .filter_map(|s| kept.get(&s.id).map(|c| (s.title.clone(), c.comment.clone())))
        .collect();
    let naming = Naming::of(app, &submission, &def, &organisation);
    let reference = submission.reference.clone().unwrap_or_default();
    let people = collection_people(&mut tx, &submission.organisation_id, &def).await?;
    email_each(&mut tx, app, people.into_iter().map(|m| m.email), |to| {
        emails::returned(&naming.about(), to, &reference, &titled)
    })
    .await?;
    commit(tx).await?;
    view_now(app, actor, id).await
}

/// Accept a submitted return, which locks it.
pub async fn accept(app: &App, actor: &Actor, id: &str, expected: i64) -> Result<SubmissionView> {
    let now = app.now();
    let mut tx = app.begin().await?;
    let (submission, def, organisation) = read_as(app, &mut tx, actor, id, expected, Action::Review).await?;
    if submission.state != SubmissionState::Submitted {
        return Err(ServiceError::Conflict(format!(
            "Only a submitted return can be accepted: this one is {}",
            state_words(submission.state)
        )));
    }
    let t = Transition {
        expected,
        from: SubmissionState::Submitted,
        to: SubmissionState::Accepted,
        sign_offs: &submission.sign_offs,
        review_comments: &submission.review_comments,
        reference: None,
        submitted_at: None,
        by: actor.user_id(),
    };
    let revision = move_it(app, &mut tx, &def, &submission, &t).await?;
    audit::record(&mut tx, actor.user_id(), &AuditEvent::Accepted { submission: id.into(), revision }, now)
        .await?;
    let naming = Naming::of(app, &submission, &def, &organisation);
    let reference = submission.reference.clone().unwrap_or_default();
    let people = collection_people(&mut tx, &submission.organisation_id, &def).await?;
    email_each(&mut tx, app, people.into_iter().map(|m| m.email), |to| {
        emails::accepted(&naming.about(), to, &reference)
    })
    .await?;
    commit(tx).await?;
    view_now(app, actor, id).await
}

/// Reopen an accepted return, with a reason: it is in progress again and must be signed off and
/// submitted again (under the same reference).
pub async fn reopen(
    app: &App,
    actor: &Actor,
    id: &str,
    expected: i64,
    reason: &str,
) -> Result<SubmissionView> {
    let now = app.now();
    let mut tx = app.begin().await?;
    let (submission, def, organisation) = read_as(app, &mut tx, actor, id, expected, Action::Reopen).await?;
    let reason = checked_text("reason", reason, "Enter why the return is being reopened")?;
    if submission.state != SubmissionState::Accepted {
        return Err(ServiceError::Conflict(format!(
            "Only an accepted return can be reopened: this one is {}",
            state_words(submission.state)
        )));
    }
    let no_comments = BTreeMap::new();
    let t = Transition {
        expected,
        from: SubmissionState::Accepted,
        to: SubmissionState::InProgress,
        sign_offs: &[],
        review_comments: &no_comments,
        reference: None,
        submitted_at: None,
        by: actor.user_id(),
    };
    let revision = move_it(app, &mut tx, &def, &submission, &t).await?;
    let event = AuditEvent::Reopened { submission: id.into(), revision, reason: reason.clone() };
    audit::record(&mut tx, actor.user_id(), &event, now).await?;
    let naming = Naming::of(app, &submission, &def, &organisation);
    let reference = submission.reference.clone().unwrap_or_default();
    let people = collection_people(&mut tx, &submission.organisation_id, &def).await?;
    email_each(&mut tx, app, people.into_iter().map(|m| m.email), |to| {
        emails::reopened(&naming.about(), to, &reference, &reason)
    })
    .await?;
    commit(tx).await?;
    view_now(app, actor, id).await
}

/// A return moved to a newer version of its definition.
#[derive(Clone, Debug, Serialize)]
pub struct Moved {
    /// The return now.
    #[serde(skip)]
    pub view: SubmissionView,
    /// The version it followed.
    pub from_version: i64,
    /// The version it follows now.
    pub to_version: i64,
    /// Answers that moved to a question with a new id: (old, new).
    pub renamed: Vec<(String, String)>,
    /// Answers that did not fit, with their values (kept in the history).
    pub dropped: Vec<DroppedAnswer>,
}

pub use formwork_store::audit::DroppedAnswer;

/// Move a draft to the latest version of its collection: answers carry over by question id and
/// `renamed_from`; every answer that no longer fits is listed, kept in the history, never lost
/// silently. Submitted and accepted returns keep their version.
pub async fn move_to_latest(app: &App, actor: &Actor, id: &str, expected: i64) -> Result<Moved> {
    let now = app.now();
    let mut tx = app.begin().await?;
    let (submission, from, organisation) = read(app, &mut tx, actor, id, expected).await?;
    check(actor, Action::MoveSubmission(&submission.organisation_id, &editing_roles(&from)))?;
    if !submission.state.is_editable() {
        return Err(ServiceError::Conflict(format!(
            "This return is {}: it keeps version {} of its form",
            state_words(submission.state),
            submission.version
        )));
    }
    let latest = formwork_store::collections::by_slug(&mut tx, &submission.collection)
        .await?
        .map_or(submission.version, |c| c.latest_version);
    if latest <= submission.version {
        return Err(ServiceError::Conflict(format!(
            "This return already follows the latest version ({}) of its form",
            submission.version
        )));
    }
    let to = crate::collections::definition(app, &submission.collection, latest).await?;
    let period = to.schedule.period_by_key(&submission.period).ok_or_else(|| {
        ServiceError::Conflict(format!(
            "Version {latest} of the form has no period starting {}: this return cannot be moved to it",
            submission.period
        ))
    })?;
    let carried = formwork_definition::carry_over(&from, &to, &submission.answers);
    let ctx = crate::submissions::validation_context(app, &period);
    let (outcome, _) = crate::submissions::check_answers(&to, &carried.answers, &ctx);
    let answers = formwork_definition::validate::json::stored_answers(&to, &carried.answers, &outcome);
    // A section that lost an answer is no longer complete; one that no longer exists is gone.
    let touched: Vec<String> = carried
        .dropped
        .iter()
        .filter_map(|d| {
            let first = d.path.split('/').next().unwrap_or_default();
            crate::submissions::section_of(&from, first)
        })
        .collect();
    let completed: Vec<String> = submission
        .completed_sections
        .iter()
        .filter(|s| to.sections.iter().any(|x| &x.id == *s) && !touched.contains(s))
        .cloned()
        .collect();
    let mut confirmations = submission.confirmations.clone();
    let items = outcome.items(&to, "", &formwork_definition::validate::NoFile);
    confirmations.retain(|key, _| items.iter().any(|i| &crate::submissions::warning_key(i) == key));
    let candidate = Submission {
        version: latest,
        answers: answers.clone(),
        completed_sections: completed.clone(),
        confirmations: confirmations.clone(),
        ..submission.clone()
    };
    let attachments = store::attachments(&mut tx, id).await?;
    let view = build_view(app, actor, candidate, to.clone(), organisation.clone(), attachments)?;
    let state = if view.ready() { SubmissionState::ReadyForSignOff } else { SubmissionState::InProgress };
    let save = store::Save {
        expected,
        version: latest,
        answers: &answers,
        completed_sections: &completed,
        confirmations: &confirmations,
        sign_offs: &[],
        state,
        by: actor.user_id(),
    };
    let saved = store::save(&mut tx, id, &save, now).await;
    let revision = save_or_stale(app, saved, &from, id, expected).await?;
    let dropped: Vec<DroppedAnswer> = carried
        .dropped
        .iter()
        .map(|d| DroppedAnswer {
            path: d.path.clone(),
            label: d.label.clone(),
            value: d.value.clone(),
            reason: d.reason.clone(),
        })
        .collect();
    let event = AuditEvent::MovedVersion {
        submission: id.into(),
        revision,
        from_version: submission.version,
        to_version: latest,
        renamed: carried.renamed.clone(),
        dropped: dropped.clone(),
    };
    audit::record(&mut tx, actor.user_id(), &event, now).await?;
    let changed = Changed {
        submission: &submission,
        def: &to,
        organisation: &organisation,
        revision,
        now_ready: false,
    };
    after_change(app, &mut tx, actor, changed).await?;
    commit(tx).await?;
    let view = view_now(app, actor, id).await?;
    Ok(Moved {
        view,
        from_version: submission.version,
        to_version: latest,
        renamed: carried.renamed,
        dropped,
    })
}

/// The last move of a return to a newer version, from its history: what the page after a move
/// lists.
#[derive(Clone, Debug, Serialize)]
pub struct LastMove {
    /// When.
    pub at: i64,
    /// The version it followed.
    pub from_version: i64,
    /// The version it follows now.
    pub to_version: i64,
    /// Answers that moved to a question with a new id: (old, new).
    pub renamed: Vec<(String, String)>,
    /// Answers that did not fit, with their values.
    pub dropped: Vec<DroppedAnswer>,
}

/// The last move of a return the actor may see, if it was ever moved.
pub async fn last_move(app: &App, actor: &Actor, id: &str) -> Result<Option<LastMove>> {
    let mut conn = app.store.conn().await?;
    load(app, &mut conn, actor, id).await?;
    let events = audit::history(&mut conn, &format!("submission:{id}"), 1000).await?;
    Ok(events.iter().find_map(|e| match e.event() {
        Some(AuditEvent::MovedVersion { from_version, to_version, renamed, dropped, .. }) => {
            Some(LastMove { at: e.at, from_version, to_version, renamed, dropped })
        }
        _ => None,
    }))
}

/// What moving every draft of a collection did.
#[derive(Clone, Debug, Default, Serialize)]
pub struct DraftsMoved {
    /// The version they follow now.
    pub to_version: i64,
    /// Drafts moved.
    pub moved: usize,
    /// Of those, drafts with answers that did not fit (listed on each return's page).
    pub with_dropped: usize,
    /// Drafts not moved, with why (someone changed them at the same moment, say).
    pub failed: Vec<(String, String)>,
}

/// Move every draft (not yet submitted) of a collection to its latest version: a staff admin's
/// bulk action, one return at a time, each with its own check and history.
pub async fn move_drafts(app: &App, actor: &Actor, collection: &str) -> Result<DraftsMoved> {
    check(actor, Action::MoveAllDrafts)?;
    let mut conn = app.store.conn().await?;
    let found = formwork_store::collections::by_slug(&mut conn, collection)
        .await?
        .ok_or_else(|| ServiceError::NotFound(format!("There is no collection “{collection}”")))?;
    let filter = store::Filter {
        collection: Some(collection.to_string()),
        states: SubmissionState::ALL.into_iter().filter(|s| s.is_editable()).collect(),
        limit: i64::MAX,
        ..store::Filter::default()
    };
    let drafts = store::list(&mut conn, &filter).await?;
    drop(conn);
    let mut done = DraftsMoved { to_version: found.latest_version, ..DraftsMoved::default() };
    for draft in drafts.into_iter().filter(|d| d.version < found.latest_version) {
        match move_to_latest(app, actor, &draft.id, draft.revision).await {
            Ok(moved) => {
                done.moved += 1;
                if !moved.dropped.is_empty() {
                    done.with_dropped += 1;
                }
            }
            Err(e) => done.failed.push((draft.id.clone(), e.to_string())),
        }
    }
    Ok(done)
}

/// A collection's period for an organisation that has not been submitted yet.
pub(crate) struct OpenPeriod {
    /// The collection's definition (latest version).
    pub def: std::sync::Arc<Definition>,
    /// The organisation.
    pub organisation: Organisation,
    /// The period.
    pub period: formwork_definition::schedule::Period,
    /// Its return, once started.
    pub submission: Option<Submission>,
}

/// Every period up to `today` of every return collection, for every organisation assigned to it,
/// whose return is not submitted or accepted (started or not).
pub(crate) async fn open_periods(app: &App, today: chrono::NaiveDate) -> Result<Vec<OpenPeriod>> {
    let mut conn = app.store.conn().await?;
    let organisations: std::collections::HashMap<String, Organisation> =
        orgs::list(&mut conn).await?.into_iter().map(|o| (o.id.clone(), o)).collect();
    let mut open = Vec::new();
    for collection in formwork_store::collections::list(&mut conn).await? {
        if collection.kind != "return" {
            continue;
        }
        let def = crate::collections::definition(app, &collection.slug, collection.latest_version).await?;
        let assigned =
            formwork_store::collections::assigned_organisations(&mut conn, &collection.slug).await?;
        let filter = store::Filter {
            collection: Some(collection.slug.clone()),
            limit: i64::MAX,
            ..store::Filter::default()
        };
        let started: std::collections::HashMap<(String, String), Submission> =
            store::list(&mut conn, &filter)
                .await?
                .into_iter()
                .map(|s| ((s.organisation_id.clone(), s.period.clone()), s))
                .collect();
        for period in def.schedule.periods_until(today) {
            for org in &assigned {
                let Some(organisation) = organisations.get(org) else { continue };
                let submission = started.get(&(org.clone(), period.key.clone())).cloned();
                if submission.as_ref().is_some_and(|s| {
                    matches!(s.state, SubmissionState::Submitted | SubmissionState::Accepted)
                }) {
                    continue;
                }
                open.push(OpenPeriod {
                    def: def.clone(),
                    organisation: organisation.clone(),
                    period: period.clone(),
                    submission,
                });
            }
        }
    }
    Ok(open)
}

/// Which returns the review queue lists; every filter is optional.
#[derive(Clone, Debug, Default)]
pub struct QueueFilter {
    /// One collection (slug).
    pub collection: Option<String>,
    /// One period key.
    pub period: Option<String>,
    /// One state (default: submitted).
    pub state: Option<SubmissionState>,
    /// One organisation (slug).
    pub organisation: Option<String>,
    /// Only returns past their due date and not submitted, started or not (the state is ignored).
    pub overdue: bool,
}

/// A line of the review queue.
#[derive(Clone, Debug, Serialize)]
pub struct QueueEntry {
    /// The return, once started (an overdue return may not be).
    pub submission: Option<Submission>,
    /// The organisation.
    pub organisation: Organisation,
    /// The collection's slug.
    pub collection: String,
    /// Its title.
    pub collection_title: String,
    /// The period.
    pub period: formwork_definition::schedule::Period,
    /// Where it is.
    pub state: SubmissionState,
    /// Past its due date and not submitted.
    pub overdue: bool,
}

/// The review queue: its lines, and counts by state (and overdue) for the same filters.
#[derive(Clone, Debug, Serialize)]
pub struct Queue {
    /// The returns selected, oldest submission first (submitted first come first reviewed).
    pub entries: Vec<QueueEntry>,
    /// How many returns are in each state, the state filter aside.
    pub counts: Vec<(SubmissionState, i64)>,
    /// How many are overdue.
    pub overdue: usize,
}

/// The staff's review queue.
pub async fn queue(app: &App, actor: &Actor, f: &QueueFilter) -> Result<Queue> {
    if actor.staff().is_none() && !matches!(actor, Actor::System) {
        check(actor, Action::Review)?;
    }
    let today = crate::submissions::today(app);
    let mut conn = app.store.conn().await?;
    let organisation = match &f.organisation {
        Some(slug) => Some(orgs::by_slug(&mut conn, slug).await?.ok_or_else(|| {
            ServiceError::invalid("organisation", "not_found", format!("There is no organisation “{slug}”"))
        })?),
        None => None,
    };
    let filter = store::Filter {
        organisations: organisation.as_ref().map(|o| vec![o.id.clone()]),
        collection: f.collection.clone(),
        period: f.period.clone(),
        state: Some(f.state.unwrap_or(SubmissionState::Submitted)),
        limit: 1000,
        ..store::Filter::default()
    };
    let counts = store::count_by_state(&mut conn, &filter).await?;
    let listed = if f.overdue { Vec::new() } else { store::list(&mut conn, &filter).await? };
    drop(conn);
    let wanted = |collection: &str, period: &str, org: &str| {
        f.collection.as_deref().is_none_or(|c| c == collection)
            && f.period.as_deref().is_none_or(|p| p == period)
            && organisation.as_ref().is_none_or(|o| o.id == org)
    };
    let overdue: Vec<OpenPeriod> = open_periods(app, today)
        .await?
        .into_iter()
        .filter(|o| today > o.period.due && wanted(&o.def.collection, &o.period.key, &o.organisation.id))
        .collect();
    let overdue_count = overdue.len();
    let mut entries = Vec::new();
    if f.overdue {
        for o in overdue {
            entries.push(QueueEntry {
                state: o.submission.as_ref().map_or(SubmissionState::NotStarted, |s| s.state),
                submission: o.submission,
                collection: o.def.collection.clone(),
                collection_title: o.def.title.clone(),
                organisation: o.organisation,
                period: o.period,
                overdue: true,
            });
        }
    } else {
        let mut conn = app.store.conn().await?;
        let mut names: std::collections::HashMap<String, Organisation> = std::collections::HashMap::new();
        for s in listed {
            let def = crate::collections::definition(app, &s.collection, s.version).await?;
            let Some(period) = def.schedule.period_by_key(&s.period) else { continue };
            if !names.contains_key(&s.organisation_id)
                && let Some(o) = orgs::by_id(&mut conn, &s.organisation_id).await?
            {
                names.insert(o.id.clone(), o);
            }
            let Some(organisation) = names.get(&s.organisation_id).cloned() else { continue };
            let open = !matches!(s.state, SubmissionState::Submitted | SubmissionState::Accepted);
            entries.push(QueueEntry {
                state: s.state,
                collection: s.collection.clone(),
                collection_title: def.title.clone(),
                organisation,
                overdue: open && today > period.due,
                period,
                submission: Some(s),
            });
        }
        entries.sort_by_key(|e| e.submission.as_ref().and_then(|s| s.submitted_at).unwrap_or(i64::MAX));
    }
    Ok(Queue { entries, counts, overdue: overdue_count })
}

/// What one run of the reminders job sent.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Reminded {
    /// Reminders before a due date (one per organisation, collection and period each time).
    pub reminders: usize,
    /// Overdue notices.
    pub overdue: usize,
}

/// How many days after its due date an overdue notice is still sent (a worker down on the day
/// sends it late; a return long overdue when formwork is set up is not suddenly chased).
pub const OVERDUE_NOTICE_DAYS: u64 = 7;

/// Send the reminders and overdue notices that have come: each once per organisation, collection,
/// period and kind, however many workers run this at once or however often it runs (each is
/// claimed in the database, and its emails enqueued, in one transaction).
pub async fn send_reminders(app: &App) -> Result<Reminded> {
    let today = crate::submissions::today(app);
    let mut sent = Reminded::default();
    for open in open_periods(app, today).await? {
        let come = open.def.schedule.reminders_come(&open.period, today);
        let late = today > open.period.due
            && open
                .period
                .due
                .checked_add_days(chrono::Days::new(OVERDUE_NOTICE_DAYS))
                .is_some_and(|last| today <= last);
        if come.is_empty() && !late {
            continue;
        }
        let now = app.now();
        let slug = open.def.collection.clone();
        let mut tx = app.begin().await?;
        let period = &open.period;
        let id = open.submission.as_ref().map(|s| s.id.as_str());
        let naming = Naming::period(app, id, &period.key, &open.def, &open.organisation);
        let due = period.due.format("%-d %B %Y").to_string();
        let mut email_kind: Option<Option<u32>> = None;
        // Every reminder that has come is claimed; only the latest is sent (a late worker sends
        // one reminder, not each it missed).
        let mut latest_new = false;
        for (i, (days, _)) in come.iter().enumerate() {
            let claimed = store::claim_reminder(
                &mut tx,
                &slug,
                &open.organisation.id,
                &period.key,
                &format!("{days}d"),
                now,
            )
            .await?;
            if i + 1 == come.len() {
                latest_new = claimed;
            }
        }
        if latest_new {
            let left = u32::try_from((period.due - today).num_days().max(0)).unwrap_or(0);
            email_kind = Some(Some(left));
        }
        if late
            && store::claim_reminder(&mut tx, &slug, &open.organisation.id, &period.key, "overdue", now)
                .await?
        {
            email_kind = Some(None);
        }
        if let Some(kind) = email_kind {
            let people = collection_people(&mut tx, &open.organisation.id, &open.def).await?;
            email_each(&mut tx, app, people.into_iter().map(|m| m.email), |to| match kind {
                Some(left) => emails::reminder(&naming.about(), to, &due, left),
                None => emails::overdue(&naming.about(), to, &due),
            })
            .await?;
            match kind {
                Some(_) => sent.reminders += 1,
                None => sent.overdue += 1,
            }
        }
        commit(tx).await?;
    }
    Ok(sent)
}
