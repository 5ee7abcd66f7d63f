//! The history of changes to people's data: who did what, to what, when — one typed
//! [`AuditEvent`] per change, read back newest first for everything ([`latest`]) or for one
//! subject ([`history`], indexed on subject and time). Changes to fields are kept as [`Change`]s
//! (old → new), so a history page can say exactly what changed.

use serde::{Deserialize, Serialize};
use serde_json::Value;
use sqlx::AnyConnection;
use sqlx::any::AnyRow;

use crate::{Result, StoreError, get, new_id};

/// One field's change: its path (`name`, `staff.3.age` for row 3 of a table) and its values.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Change {
    /// Where: object keys and row indexes joined by dots.
    pub field: String,
    /// Before (`null` when it was not there).
    pub old: Value,
    /// After (`null` when it was removed).
    pub new: Value,
}

/// Every change between two JSON documents, field by field: objects by key, lists (table rows)
/// by index, anything else by value. Unchanged fields are left out; rows come in index order.
pub fn diff(old: &Value, new: &Value) -> Vec<Change> {
    let mut changes = Vec::new();
    diff_into(String::new(), old, new, &mut changes);
    changes
}

fn diff_into(path: String, old: &Value, new: &Value, out: &mut Vec<Change>) {
    let join = |key: &str| if path.is_empty() { key.to_string() } else { format!("{path}.{key}") };
    match (old, new) {
        (Value::Object(a), Value::Object(b)) => {
            for (key, before) in a {
                diff_into(join(key), before, b.get(key).unwrap_or(&Value::Null), out);
            }
            for (key, after) in b.iter().filter(|(k, _)| !a.contains_key(*k)) {
                diff_into(join(key), &Value::Null, after, out);
            }
        }
        (Value::Array(a), Value::Array(b)) => {
            for i in 0..a.len().max(b.len()) {
                diff_into(
                    join(&i.to_string()),
                    a.get(i).unwrap_or(&Value::Null),
                    b.get(i).unwrap_or(&Value::Null),
                    out,
                );
            }
        }
        _ if old == new => {}
        _ => out.push(Change { field: path, old: old.clone(), new: new.clone() }),
    }
}

/// A change to people's data. Stored as its `action` (the serde tag) and its other fields as
/// JSON details; its subject — what the history is of — comes from the variant.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "action")]
pub enum AuditEvent {
    /// An organisation was added.
    #[serde(rename = "organisation.create")]
    OrganisationCreated {
        /// Its id.
        organisation: String,
        /// Its slug.
        slug: String,
        /// Its name.
        name: String,
    },
    /// An organisation's details changed.
    #[serde(rename = "organisation.update")]
    OrganisationUpdated {
        /// Its id.
        organisation: String,
        /// What changed.
        changes: Vec<Change>,
    },
    /// A person's roles in an organisation were set.
    #[serde(rename = "membership.set")]
    MembershipSet {
        /// The organisation's id.
        organisation: String,
        /// The person's id.
        user: String,
        /// Their roles now.
        roles: Vec<String>,
    },
    /// A person left an organisation.
    #[serde(rename = "membership.remove")]
    MembershipRemoved {
        /// The organisation's id.
        organisation: String,
        /// The person's id.
        user: String,
    },
    /// An account was made.
    #[serde(rename = "person.create")]
    PersonCreated {
        /// Their id.
        user: String,
        /// Their email address.
        email: String,
        /// Their staff role, if any.
        staff_role: Option<String>,
    },
    /// A person's details, staff role or access changed.
    #[serde(rename = "person.update")]
    PersonUpdated {
        /// Their id.
        user: String,
        /// What changed.
        changes: Vec<Change>,
    },
    /// A person set a new password through a reset link.
    #[serde(rename = "password.reset")]
    PasswordReset {
        /// Their id.
        user: String,
    },
    /// A person changed their password.
    #[serde(rename = "password.change")]
    PasswordChanged {
        /// Their id.
        user: String,
    },
    /// An invitation was sent.
    #[serde(rename = "invitation.create")]
    InvitationCreated {
        /// Its id.
        invitation: String,
        /// The organisation it is to join (`None`: the staff).
        organisation: Option<String>,
        /// Who it is for.
        email: String,
        /// The roles it gives.
        roles: Vec<String>,
    },
    /// An invitation was withdrawn.
    #[serde(rename = "invitation.withdraw")]
    InvitationWithdrawn {
        /// Its id.
        invitation: String,
        /// Who it was for.
        email: String,
    },
    /// An invitation was accepted.
    #[serde(rename = "invitation.accept")]
    InvitationAccepted {
        /// Its id.
        invitation: String,
        /// Who accepted it.
        user: String,
        /// The roles it gave.
        roles: Vec<String>,
    },
    /// A version of a collection was published.
    #[serde(rename = "collection.publish")]
    CollectionPublished {
        /// The collection's slug.
        collection: String,
        /// The version.
        version: i64,
        /// Its title.
        title: String,
    },
    /// A collection was assigned to an organisation.
    #[serde(rename = "collection.assign")]
    CollectionAssigned {
        /// The collection's slug.
        collection: String,
        /// The organisation's slug.
        organisation: String,
    },
    /// A collection was unassigned from an organisation.
    #[serde(rename = "collection.unassign")]
    CollectionUnassigned {
        /// The collection's slug.
        collection: String,
        /// The organisation's slug.
        organisation: String,
    },
    /// An administrator retried a job that had failed for good.
    #[serde(rename = "job.retry")]
    JobRetried {
        /// The job's id.
        job: String,
    },
    /// A return was started.
    #[serde(rename = "submission.start")]
    SubmissionStarted {
        /// The submission's id.
        submission: String,
        /// The collection's slug.
        collection: String,
        /// The definition version.
        version: i64,
        /// The organisation's id.
        organisation: String,
        /// The period's key.
        period: String,
    },
    /// Answers were saved: every field that changed, old → new (table rows by index).
    #[serde(rename = "submission.answers")]
    AnswersSaved {
        /// The submission's id.
        submission: String,
        /// The revision this made.
        revision: i64,
        /// The section saved, when one section was.
        section: Option<String>,
        /// What changed.
        changes: Vec<Change>,
    },
    /// A section was marked complete, or no longer complete.
    #[serde(rename = "submission.section")]
    SectionMarked {
        /// The submission's id.
        submission: String,
        /// The revision this made.
        revision: i64,
        /// The section's id.
        section: String,
        /// Complete now?
        complete: bool,
    },
    /// A warning was confirmed with a reason.
    #[serde(rename = "submission.warning")]
    WarningConfirmed {
        /// The submission's id.
        submission: String,
        /// The revision this made.
        revision: i64,
        /// Where the warning points, e.g. `spend/3/amount`.
        path: String,
        /// The warning.
        message: String,
        /// Why the answer is right.
        reason: String,
    },
    /// A file was attached to a question (replacing any before it).
    #[serde(rename = "submission.attach")]
    FileAttached {
        /// The submission's id.
        submission: String,
        /// The revision this made.
        revision: i64,
        /// The question.
        question: String,
        /// The attachment's id.
        attachment: String,
        /// Its name.
        file_name: String,
        /// Its size.
        size: i64,
        /// Its SHA-256.
        sha256: String,
        /// The file it replaced, by name.
        replaced: Option<String>,
    },
    /// A file was removed from a question.
    #[serde(rename = "submission.detach")]
    FileRemoved {
        /// The submission's id.
        submission: String,
        /// The revision this made.
        revision: i64,
        /// The question.
        question: String,
        /// The file's name.
        file_name: String,
    },
    /// A table's rows were replaced from an uploaded spreadsheet: one change.
    #[serde(rename = "submission.upload")]
    TableUploaded {
        /// The submission's id.
        submission: String,
        /// The revision this made.
        revision: i64,
        /// The table section's id.
        section: String,
        /// The file's name.
        file_name: String,
        /// Rows before.
        rows_before: usize,
        /// Rows now.
        rows_after: usize,
    },
    /// A sign-off step was given.
    #[serde(rename = "submission.sign_off")]
    SignedOff {
        /// The submission's id.
        submission: String,
        /// The revision this made.
        revision: i64,
        /// The step, from 0.
        step: usize,
        /// The role it was signed in.
        role: String,
        /// The declaration confirmed.
        declaration: String,
    },
    /// The sign-offs given were cleared because the return changed after them.
    #[serde(rename = "submission.sign_offs_cleared")]
    SignOffsCleared {
        /// The submission's id.
        submission: String,
        /// The revision the change made.
        revision: i64,
        /// The names of the people who had signed.
        signed_by: Vec<String>,
    },
    /// The return was submitted.
    #[serde(rename = "submission.submit")]
    Submitted {
        /// The submission's id.
        submission: String,
        /// The revision this made.
        revision: i64,
        /// The reference people quote.
        reference: String,
    },
    /// A reviewer sent the return back for changes, with comments by section.
    #[serde(rename = "submission.return")]
    ReturnedForChanges {
        /// The submission's id.
        submission: String,
        /// The revision this made.
        revision: i64,
        /// Comments by section id.
        comments: std::collections::BTreeMap<String, String>,
    },
    /// A reviewer accepted the return.
    #[serde(rename = "submission.accept")]
    Accepted {
        /// The submission's id.
        submission: String,
        /// The revision this made.
        revision: i64,
    },
    /// Staff reopened an accepted return.
    #[serde(rename = "submission.reopen")]
    Reopened {
        /// The submission's id.
        submission: String,
        /// The revision this made.
        revision: i64,
        /// Why.
        reason: String,
    },
    /// The return was moved to a newer version of its collection's definition.
    #[serde(rename = "submission.move")]
    MovedVersion {
        /// The submission's id.
        submission: String,
        /// The revision this made.
        revision: i64,
        /// The version it followed.
        from_version: i64,
        /// The version it follows now.
        to_version: i64,
        /// Questions whose answers moved to a new id: (old, new).
        renamed: Vec<(String, String)>,
        /// Answers that did not fit the new version, with their values: kept here, never lost.
        dropped: Vec<DroppedAnswer>,
    },
    /// A record of a log was made on the web or through the API.
    #[serde(rename = "record.create")]
    RecordCreated {
        /// The record's id.
        record: String,
        /// The collection's slug.
        collection: String,
        /// The organisation's id.
        organisation: String,
        /// The period's key.
        period: String,
    },
    /// A record's answers or confirmations were saved: every field that changed, old → new.
    #[serde(rename = "record.answers")]
    RecordSaved {
        /// The record's id.
        record: String,
        /// The revision this made.
        revision: i64,
        /// Its state now.
        state: String,
        /// What changed.
        changes: Vec<Change>,
    },
    /// A warning of a record was confirmed with a reason.
    #[serde(rename = "record.warning")]
    RecordWarningConfirmed {
        /// The record's id.
        record: String,
        /// The revision this made.
        revision: i64,
        /// Its state now.
        state: String,
        /// Where the warning points, e.g. `lead_age`.
        path: String,
        /// The warning.
        message: String,
        /// Why the answer is right.
        reason: String,
    },
    /// A record was deleted (kept, in state `deleted`).
    #[serde(rename = "record.delete")]
    RecordDeleted {
        /// The record's id.
        record: String,
        /// The revision this made.
        revision: i64,
    },
    /// A file was uploaded for a log or a table of a return, and kept to be checked.
    #[serde(rename = "upload.receive")]
    UploadReceived {
        /// The upload's id.
        upload: String,
        /// The collection's slug.
        collection: String,
        /// The organisation's id.
        organisation: String,
        /// The file's name.
        file_name: String,
        /// Its size.
        size: i64,
        /// Its SHA-256.
        sha256: String,
        /// The earlier upload of the same file, when it was one.
        same_as: Option<String>,
    },
    /// An upload's warnings were confirmed in bulk with one reason.
    #[serde(rename = "upload.confirm")]
    UploadConfirmed {
        /// The upload's id.
        upload: String,
        /// How many warnings.
        warnings: i64,
        /// Why the answers are right.
        reason: String,
    },
    /// An upload was checked and found to have errors: nothing was stored.
    #[serde(rename = "upload.fail")]
    UploadFailed {
        /// The upload's id.
        upload: String,
        /// Errors found.
        errors: i64,
        /// Why the whole file was refused, when it was.
        message: Option<String>,
    },
    /// An upload's records (or a table's rows) were stored, all of them at once.
    #[serde(rename = "upload.store")]
    UploadStored {
        /// The upload's id.
        upload: String,
        /// Records or rows stored.
        stored: i64,
    },
    /// An administrator put a failed upload back to be checked again.
    #[serde(rename = "upload.rerun")]
    UploadRerun {
        /// The upload's id.
        upload: String,
    },
}

/// An answer that did not fit a newer version of a definition.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct DroppedAnswer {
    /// Where it was, e.g. `theme` or `spend/3/amount`.
    pub path: String,
    /// The question's label in the old version.
    pub label: String,
    /// The answer.
    pub value: Value,
    /// Why it does not fit.
    pub reason: String,
}

impl AuditEvent {
    /// What the event is about, as stored and looked up by [`history`]: `organisation:ID`,
    /// `person:ID`, `invitation:ID`, `collection:SLUG`, `job:ID`, `submission:ID`.
    pub fn subject(&self) -> String {
        use AuditEvent as E;
        match self {
            E::OrganisationCreated { organisation, .. }
            | E::OrganisationUpdated { organisation, .. }
            | E::MembershipSet { organisation, .. }
            | E::MembershipRemoved { organisation, .. } => format!("organisation:{organisation}"),
            E::PersonCreated { user, .. }
            | E::PersonUpdated { user, .. }
            | E::PasswordReset { user }
            | E::PasswordChanged { user } => format!("person:{user}"),
            E::InvitationCreated { invitation, .. }
            | E::InvitationWithdrawn { invitation, .. }
            | E::InvitationAccepted { invitation, .. } => format!("invitation:{invitation}"),
            E::CollectionPublished { collection, .. }
            | E::CollectionAssigned { collection, .. }
            | E::CollectionUnassigned { collection, .. } => format!("collection:{collection}"),
            E::JobRetried { job } => format!("job:{job}"),
            E::SubmissionStarted { submission, .. }
            | E::AnswersSaved { submission, .. }
            | E::SectionMarked { submission, .. }
            | E::WarningConfirmed { submission, .. }
            | E::FileAttached { submission, .. }
            | E::FileRemoved { submission, .. }
            | E::TableUploaded { submission, .. }
            | E::SignedOff { submission, .. }
            | E::SignOffsCleared { submission, .. }
            | E::Submitted { submission, .. }
            | E::ReturnedForChanges { submission, .. }
            | E::Accepted { submission, .. }
            | E::Reopened { submission, .. }
            | E::MovedVersion { submission, .. } => format!("submission:{submission}"),
            E::RecordCreated { record, .. }
            | E::RecordSaved { record, .. }
            | E::RecordWarningConfirmed { record, .. }
            | E::RecordDeleted { record, .. } => format!("record:{record}"),
            E::UploadReceived { upload, .. }
            | E::UploadConfirmed { upload, .. }
            | E::UploadFailed { upload, .. }
            | E::UploadStored { upload, .. }
            | E::UploadRerun { upload } => format!("upload:{upload}"),
        }
    }

    /// Its action and details, as stored.
    fn split(&self) -> Result<(String, Value)> {
        let mut value = serde_json::to_value(self).map_err(StoreError::Encode)?;
        let action = match value.as_object_mut().and_then(|o| o.remove("action")) {
            Some(Value::String(action)) => action,
            _ => return Err(StoreError::Config("an audit event has no action".into())),
        };
        Ok((action, value))
    }
}

/// One recorded change.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Event {
    /// When.
    pub at: i64,
    /// Who (a person's id), if a person.
    pub actor_id: Option<String>,
    /// What, e.g. `organisation.create`.
    pub action: String,
    /// To what, e.g. `organisation:0193…`.
    pub subject: String,
    /// The event's fields, as JSON.
    pub details: Value,
}

impl Event {
    /// The typed event, if it was recorded in this version's shape.
    pub fn event(&self) -> Option<AuditEvent> {
        let mut value = self.details.clone();
        value.as_object_mut()?.insert("action".into(), Value::String(self.action.clone()));
        serde_json::from_value(value).ok()
    }
}

/// Record `event`, done by `actor_id` (`None`: formwork itself or an administrator's command).
pub async fn record(
    c: &mut AnyConnection,
    actor_id: Option<&str>,
    event: &AuditEvent,
    now: i64,
) -> Result<()> {
    let (action, details) = event.split()?;
    sqlx::query("INSERT INTO audit_events (id, at, actor_id, action, subject, details) VALUES ($1, $2, $3, $4, $5, $6)")
        .bind(new_id())
        .bind(now)
        .bind(actor_id)
        .bind(action)
        .bind(event.subject())
        .bind(details.to_string())
        .execute(&mut *c)
        .await?;
    Ok(())
}

fn event(row: &AnyRow) -> Result<Event> {
    let details: String = get(row, "details")?;
    Ok(Event {
        at: get(row, "at")?,
        actor_id: get(row, "actor_id")?,
        action: get(row, "action")?,
        subject: get(row, "subject")?,
        details: serde_json::from_str(&details).unwrap_or_default(),
    })
}

/// The latest changes, newest first.
pub async fn latest(c: &mut AnyConnection, limit: i64) -> Result<Vec<Event>> {
    let rows = sqlx::query("SELECT * FROM audit_events ORDER BY at DESC, id DESC LIMIT $1")
        .bind(limit)
        .fetch_all(&mut *c)
        .await?;
    rows.iter().map(event).collect()
}

/// The changes to one subject (see [`AuditEvent::subject`]), newest first.
pub async fn history(c: &mut AnyConnection, subject: &str, limit: i64) -> Result<Vec<Event>> {
    let rows =
        sqlx::query("SELECT * FROM audit_events WHERE subject = $1 ORDER BY at DESC, id DESC LIMIT $2")
            .bind(subject)
            .bind(limit)
            .fetch_all(&mut *c)
            .await?;
    rows.iter().map(event).collect()
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn a_diff_names_each_changed_field_and_table_row() {
        let old = json!({"name": "Leeds", "same": 1, "staff": [{"age": 30}, {"age": 41}], "gone": true});
        let new = json!({"name": "Leeds City", "same": 1, "staff": [{"age": 30}, {"age": 42}, {"age": 7}], "new": "x"});
        let mut fields: Vec<_> = diff(&old, &new).into_iter().map(|c| (c.field, c.old, c.new)).collect();
        fields.sort_by(|a, b| a.0.cmp(&b.0));
        assert_eq!(
            fields,
            vec![
                ("gone".into(), json!(true), json!(null)),
                ("name".into(), json!("Leeds"), json!("Leeds City")),
                ("new".into(), json!(null), json!("x")),
                ("staff.1.age".into(), json!(41), json!(42)),
                ("staff.2".into(), json!(null), json!({"age": 7})),
            ]
        );
        assert!(diff(&old, &old).is_empty());
    }

    #[test]
    fn an_event_is_stored_as_its_action_and_details_and_read_back() {
        let e = AuditEvent::MembershipSet {
            organisation: "o1".into(),
            user: "u1".into(),
            roles: vec!["editor".into()],
        };
        let (action, details) = e.split().unwrap();
        assert_eq!((action.as_str(), e.subject().as_str()), ("membership.set", "organisation:o1"));
        assert_eq!(details, json!({"organisation": "o1", "user": "u1", "roles": ["editor"]}));
        let stored = Event { at: 1, actor_id: None, action, subject: e.subject(), details };
        assert_eq!(stored.event(), Some(e));
    }
}
