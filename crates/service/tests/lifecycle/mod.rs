//! The lifecycle of a return on SQLite and PostgreSQL: sign-off steps in order, what clears them,
//! submission, review, reminders sent once, and moving a draft to a newer version.

use formwork_files::Files;
use formwork_service::lifecycle;
use formwork_service::organisations::{self, OrganisationInput};
use formwork_service::people::{self, NewPerson};
use formwork_service::submissions::{self, Edit, SubmissionState, Upload};
use formwork_service::{Actor, App, ServiceError, Settings, StaffRole, collections};
use formwork_store::testing::TestDatabase;
use formwork_store::{Clock, jobs};
use serde_json::{Value, json};

use super::{NOW, on_both};

/// The emails queued so far, as (to, subject).
async fn emails(db: &TestDatabase) -> Vec<(String, String)> {
    let mut conn = db.store.conn().await.unwrap();
    jobs::pending(&mut conn, 100_000)
        .await
        .unwrap()
        .into_iter()
        .filter(|j| j.kind == "send_email")
        .map(|j| {
            let p: Value = serde_json::from_str(&j.payload).unwrap();
            (p["to"].as_str().unwrap().to_string(), p["subject"].as_str().unwrap().to_string())
        })
        .collect()
}

/// A person (by email) in `org` with `roles`, as an actor; or staff with `staff`.
async fn someone(
    app: &App,
    db: &TestDatabase,
    email: &str,
    org: Option<(&str, &[&str])>,
    staff: Option<StaffRole>,
) -> Actor {
    let new = NewPerson {
        email: email.into(),
        staff_role: staff.map(|s| s.as_str().to_string()),
        ..NewPerson::default()
    };
    let user = people::create(app, &Actor::System, &new).await.unwrap();
    if let Some((org, roles)) = org {
        let roles: Vec<String> = roles.iter().map(|r| (*r).to_string()).collect();
        organisations::add_member(app, &Actor::System, org, email, &roles).await.unwrap();
    }
    let mut conn = db.store.conn().await.unwrap();
    Actor::person(&mut conn, user).await.unwrap()
}

async fn organisation(app: &App, slug: &str, collection: &str) {
    let input =
        OrganisationInput { name: slug.to_uppercase(), slug: Some(slug.into()), ..Default::default() };
    organisations::create(app, &Actor::System, &input).await.unwrap();
    collections::assign(app, &Actor::System, collection, slug).await.unwrap();
}

fn object(v: Value) -> serde_json::Map<String, Value> {
    v.as_object().unwrap().clone()
}

/// Fill in a whole single audit submission as `editor`, every section marked complete.
async fn fill_single_audit(app: &App, files: &Files, editor: &Actor, id: &str) -> i64 {
    let mut revision = submissions::get(app, editor, id).await.unwrap().submission.revision;
    let sections = [
        (
            "general",
            json!({"auditee_name": "York Trust", "auditee_uei": "ABCDEFGH1234", "ein": "123456789",
                   "fy_start": "2025-07-01", "fy_end": "2026-06-30", "audit_type": "single",
                   "auditor_firm": "Audit & Co", "auditor_email": "audit@example.org"}),
        ),
        (
            "audit_info",
            json!({"opinion": ["U"], "going_concern": false, "low_risk": true, "dollar_threshold": "750000"}),
        ),
    ];
    for (section, answers) in sections {
        let edit = Edit::Section { section: section.into(), answers: object(answers), complete: Some(true) };
        let edited = submissions::edit(app, editor, id, revision, edit).await.unwrap();
        assert_eq!(edited.not_completed, None, "{section}: {:?}", edited.view.errors);
        revision = edited.view.submission.revision;
    }
    let row = json!({"award_reference": "AWARD-0001", "agency_prefix": "93", "aln_extension": "778",
        "program_name": "Medical Assistance Program", "amount_expended": "1000000", "cluster_name": "N/A",
        "is_direct": true, "is_major": true, "audit_report_type": "U", "findings_count": 0, "is_passed": false});
    let edit = Edit::Row { table: "federal_awards".into(), index: None, row: object(row) };
    revision = submissions::edit(app, editor, id, revision, edit).await.unwrap().view.submission.revision;
    let edit = Edit::Mark { section: "federal_awards".into(), complete: true };
    let edited = submissions::edit(app, editor, id, revision, edit).await.unwrap();
    assert_eq!(edited.not_completed, None, "{:?}", edited.view.errors);
    revision = edited.view.submission.revision;
    let pdf = bytes::Bytes::from_static(b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n");
    let body = futures_util::stream::iter([Ok::<_, std::io::Error>(pdf)]);
    let upload = Upload { question: "audit_report_pdf".into(), file_name: "report.pdf".into(), body };
    let attached =
        submissions::attach(app, files, editor, id, Some(revision), upload, 1 << 20).await.unwrap();
    revision = attached.view.submission.revision;
    let edit = Edit::Mark { section: "report".into(), complete: true };
    let edited = submissions::edit(app, editor, id, revision, edit).await.unwrap();
    assert_eq!(edited.not_completed, None, "{:?}", edited.view.errors);
    edited.view.submission.revision
}

#[tokio::test]
async fn the_single_audit_is_signed_by_the_auditor_then_the_auditee_and_an_edit_between_clears_the_first_and_emails_the_auditor()
 {
    on_both(|db| async move {
        let app = App::new(db.store.clone(), Clock::fixed(NOW), Settings::default());
        let files = Files::from_url("memory://").unwrap();
        collections::publish(&app, &Actor::System, include_bytes!("../../../../examples/single-audit.yaml")).await.unwrap();
        organisation(&app, "york", "single-audit").await;
        let editor = someone(&app, &db, "ed@york.test", Some(("york", &["editor"])), None).await;
        let auditor = someone(&app, &db, "aud@york.test", Some(("york", &["auditor_certifier"])), None).await;
        let auditee = someone(&app, &db, "cfo@york.test", Some(("york", &["auditee_certifier"])), None).await;
        let both = someone(&app, &db, "both@york.test", Some(("york", &["auditor_certifier", "auditee_certifier"])), None).await;
        let reviewer = someone(&app, &db, "rev@body.test", None, Some(StaffRole::Reviewer)).await;
        let analyst = someone(&app, &db, "ana@body.test", None, Some(StaffRole::Analyst)).await;
        let admin = someone(&app, &db, "admin@body.test", None, Some(StaffRole::Admin)).await;
        let id = submissions::start(&app, &editor, "single-audit", "york", "2025-07-01").await.unwrap().submission.id;

        // Not ready: nobody may sign, nothing may be submitted.
        let early = lifecycle::sign_off(&app, &auditor, &id, 1, 0, true).await;
        assert!(matches!(&early, Err(ServiceError::Conflict(m)) if m.contains("not ready")), "{early:?}");
        let r = fill_single_audit(&app, &files, &editor, &id).await;
        let view = submissions::get(&app, &editor, &id).await.unwrap();
        assert_eq!(view.submission.state, SubmissionState::ReadyForSignOff, "{:?}", view.sections);
        let sent = emails(&db).await;
        assert!(sent.iter().any(|(to, s)| to == "aud@york.test" && s.starts_with("Ready for you to sign off")), "{sent:?}");
        assert!(!sent.iter().any(|(to, _)| to == "cfo@york.test"), "the auditee's turn has not come");

        // Refused, each changing nothing.
        let refusals = [
            (lifecycle::sign_off(&app, &auditee, &id, r, 1, true).await, "Step 1 must be signed off by someone with the auditor certifier role before step 2"),
            (lifecycle::sign_off(&app, &editor, &id, r, 0, true).await, "Only people with the auditor certifier role can sign off this step"),
            (lifecycle::sign_off(&app, &admin, &id, r, 0, true).await, "Only the organisation's own people can sign off its returns"),
            (lifecycle::sign_off(&app, &auditor, &id, r, 0, false).await, "Confirm the declaration to sign off this return"),
            (lifecycle::submit(&app, &editor, &id, r).await, "This return must be signed off before it is submitted: step 1 is for someone with the auditor certifier role"),
            (lifecycle::accept(&app, &reviewer, &id, r).await, "Only a submitted return can be accepted: this one is ready for sign-off"),
        ];
        for (result, message) in refusals {
            let said = match result {
                Err(e) => e.to_string(),
                Ok(_) => panic!("“{message}” was not refused"),
            };
            assert!(said.contains(message), "expected “{message}”, got “{said}”");
        }
        assert!(matches!(lifecycle::sign_off(&app, &auditor, &id, r - 1, 0, true).await, Err(ServiceError::Stale(_))));
        let unchanged = submissions::get(&app, &editor, &id).await.unwrap().submission;
        assert_eq!((unchanged.revision, unchanged.state, unchanged.sign_offs.len()), (r, SubmissionState::ReadyForSignOff, 0));

        // The auditor signs; signing the same step again is refused.
        let signed = lifecycle::sign_off(&app, &auditor, &id, r, 0, true).await.unwrap().submission;
        assert_eq!((signed.state, signed.sign_offs.len()), (SubmissionState::AwaitingSignOff, 1));
        assert_eq!(signed.sign_offs[0].name, "aud@york.test");
        assert!(signed.sign_offs[0].declaration.starts_with("I certify, as the auditor"));
        let again = lifecycle::sign_off(&app, &auditor, &id, signed.revision, 0, true).await;
        assert!(matches!(&again, Err(ServiceError::Conflict(m)) if m.contains("already been signed off by aud@york.test")), "{again:?}");
        assert!(emails(&db).await.iter().any(|(to, s)| to == "cfo@york.test" && s.starts_with("Ready for you to sign off")));

        // The editor changes an answer: the auditor's sign-off is cleared, and the auditor told.
        let edit = Edit::Section { section: "general".into(), answers: object(json!({"auditor_firm": "Audit and Co"})), complete: Some(true) };
        let changed = submissions::edit(&app, &editor, &id, signed.revision, edit).await.unwrap().view.submission;
        assert!(changed.sign_offs.is_empty());
        assert_eq!(changed.state, SubmissionState::ReadyForSignOff);
        let sent = emails(&db).await;
        assert!(sent.iter().any(|(to, s)| to == "aud@york.test" && s.starts_with("Your sign-off has been cleared")), "{sent:?}");
        let ready = sent.iter().filter(|(to, s)| to == "aud@york.test" && s.starts_with("Ready for you")).count();
        assert_eq!(ready, 1, "the auditor told of the cleared sign-off is not also told it is ready again");
        let history = submissions::history(&app, &editor, &id).await.unwrap();
        assert!(history.iter().any(|h| h.summary.contains("sign-offs by aud@york.test were cleared")), "{history:?}");

        // One person cannot sign both steps.
        let first = lifecycle::sign_off(&app, &both, &id, changed.revision, 0, true).await.unwrap().submission;
        let twice = lifecycle::sign_off(&app, &both, &id, first.revision, 1, true).await;
        assert!(matches!(&twice, Err(ServiceError::Forbidden(m)) if m.contains("someone else must sign off step 2")), "{twice:?}");

        // The auditee signs the last step: submitted, with a reference, and everyone told.
        let done = lifecycle::sign_off(&app, &auditee, &id, first.revision, 1, true).await.unwrap().submission;
        assert_eq!(done.state, SubmissionState::Submitted);
        let reference = done.reference.clone().unwrap();
        let (prefix, rest) = reference.split_at(3);
        assert_eq!(prefix, "SA-");
        assert!(rest.starts_with("2025-") && rest.len() == 9, "{reference}");
        assert!(rest[5..].chars().all(|c| "ABCDEFGHJKMNPQRSTVWXYZ23456789".contains(c)), "{reference}");
        let sent = emails(&db).await;
        for to in ["ed@york.test", "aud@york.test", "cfo@york.test", "both@york.test"] {
            assert!(sent.contains(&(to.to_string(), format!("Return submitted: {reference}"))), "{to}: {sent:?}");
        }
        let locked = submissions::edit(&app, &editor, &id, done.revision, Edit::Mark { section: "general".into(), complete: false }).await;
        assert!(matches!(locked, Err(ServiceError::Conflict(_))), "a submitted return is read-only");

        // Review: only reviewers; two at once, exactly one wins.
        assert!(matches!(lifecycle::accept(&app, &analyst, &id, done.revision).await, Err(ServiceError::Forbidden(_))));
        assert!(matches!(lifecycle::accept(&app, &editor, &id, done.revision).await, Err(ServiceError::Forbidden(_))));
        let no_comment = lifecycle::return_for_changes(&app, &reviewer, &id, done.revision, &[("general".into(), "  ".into())]).await;
        assert!(matches!(no_comment, Err(ServiceError::Invalid(_))));
        let comments = [("general".to_string(), "Wrong firm".to_string())];
        let (a, b) = tokio::join!(
            lifecycle::accept(&app, &reviewer, &id, done.revision),
            lifecycle::return_for_changes(&app, &admin, &id, done.revision, &comments),
        );
        assert!(a.is_ok() != b.is_ok(), "exactly one reviewer's action happens: {:?} / {:?}", a.map(|v| v.submission.state), b.map(|v| v.submission.state));
        let now = submissions::get(&app, &editor, &id).await.unwrap().submission;
        assert_eq!(now.revision, done.revision + 1);
        if now.state == SubmissionState::ChangesRequested {
            assert_eq!(now.review_comments["general"].comment, "Wrong firm");
            assert!(now.sign_offs.is_empty());
        } else {
            assert_eq!(now.state, SubmissionState::Accepted);
            let reopened = lifecycle::reopen(&app, &reviewer, &id, now.revision, "The auditor sent a corrected report").await.unwrap();
            assert_eq!(reopened.submission.state, SubmissionState::InProgress);
            assert_eq!(reopened.submission.reference.as_deref(), Some(reference.as_str()), "the reference is kept");
        }
    })
    .await;
}

#[tokio::test]
async fn with_a_fixed_clock_and_two_workers_every_organisation_gets_each_reminder_and_the_overdue_notice_once()
 {
    on_both(|db| async move {
        let clock = Clock::fixed(NOW);
        let app = App::new(db.store.clone(), clock.clone(), Settings::default());
        let other = App::new(db.store.clone(), clock.clone(), Settings::default());
        collections::publish(
            &app,
            &Actor::System,
            include_bytes!("../../../../examples/towns-fund-monitoring.yaml"),
        )
        .await
        .unwrap();
        for org in ["york", "hull"] {
            organisation(&app, org, "towns-fund-monitoring").await;
            someone(&app, &db, &format!("ed@{org}.test"), Some((org, &["editor"])), None).await;
            someone(&app, &db, &format!("cert@{org}.test"), Some((org, &["certifier"])), None).await;
            someone(&app, &db, &format!("admin@{org}.test"), Some((org, &["org_admin"])), None).await;
        }
        // York has started its return; Hull has not.
        let york_editor = {
            let mut conn = db.store.conn().await.unwrap();
            let user = formwork_store::users::by_email(&mut conn, "ed@york.test").await.unwrap().unwrap();
            Actor::person(&mut conn, user).await.unwrap()
        };
        let def = collections::definition(&app, "towns-fund-monitoring", 1).await.unwrap();
        let period = def.schedule.period_by_key("2026-07-01").unwrap();
        submissions::start(&app, &york_editor, "towns-fund-monitoring", "york", &period.key).await.unwrap();
        // From 20 days before the due date to 10 days after it, at 07:00 each day, the job runs on
        // two workers at once, then again an hour later.
        let day = 86_400_000;
        let due_ms = period.due.and_hms_opt(7, 0, 0).unwrap().and_utc().timestamp_millis();
        clock.advance(due_ms - 20 * day - clock.now());
        for _ in 0..31 {
            let (a, b) = tokio::join!(lifecycle::send_reminders(&app), lifecycle::send_reminders(&other));
            a.unwrap();
            b.unwrap();
            clock.advance(3_600_000);
            lifecycle::send_reminders(&app).await.unwrap();
            clock.advance(day - 3_600_000);
        }
        let sent = emails(&db).await;
        for org in ["york", "hull"] {
            for person in ["ed", "cert"] {
                let to = format!("{person}@{org}.test");
                let mine: Vec<&str> =
                    sent.iter().filter(|(t, _)| *t == to).map(|(_, s)| s.as_str()).collect();
                assert_eq!(
                    mine,
                    [
                        "Reminder: Towns Fund monitoring return for July to September 2026 is due in 14 days",
                        "Reminder: Towns Fund monitoring return for July to September 2026 is due in 3 days",
                        "Overdue: Towns Fund monitoring return for July to September 2026",
                    ],
                    "{to}"
                );
            }
            let admin = format!("admin@{org}.test");
            assert!(
                !sent.iter().any(|(t, _)| *t == admin),
                "an admin without a role in the collection is not chased"
            );
        }
    })
    .await;
}

const MOVE_V1: &str = "formwork: 1
collection: move-test
version: 1
title: Move test
kind: return
schedule:
  frequency: quarterly
  start: 2026-04-01
  due: 30d
roles:
  editor: Fills it in
choice_lists:
  colour: [Red, Green, Blue]
sections:
  - id: about
    title: About
    questions:
      - id: org_name
        label: Organisation name
        type: text
      - id: colour
        label: Colour
        type: choice
        choices: colour
      - id: budget
        label: Budget
        type: money
      - id: notes
        label: Notes
        type: long_text
        required: false
      - id: staff
        label: Staff
        type: integer
";

/// Version 2 renames `org_name`, drops Blue from the colours, limits the budget, removes `notes`.
fn move_v2() -> String {
    MOVE_V1
        .replace("version: 1", "version: 2")
        .replace("[Red, Green, Blue]", "[Red, Green]")
        .replace("      - id: org_name\n", "      - id: organisation_name\n        renamed_from: org_name\n")
        .replace("        type: money\n", "        type: money\n        max: 1000\n")
        .replace(
            "      - id: notes\n        label: Notes\n        type: long_text\n        required: false\n",
            "",
        )
}

#[tokio::test]
async fn a_draft_moved_to_the_next_version_keeps_every_answer_that_fits_and_lists_every_one_that_does_not() {
    on_both(|db| async move {
        let app = App::new(db.store.clone(), Clock::fixed(NOW), Settings::default());
        collections::publish(&app, &Actor::System, MOVE_V1.as_bytes()).await.unwrap();
        organisation(&app, "york", "move-test").await;
        let editor = someone(&app, &db, "ed@york.test", Some(("york", &["editor"])), None).await;
        let admin = someone(&app, &db, "admin@body.test", None, Some(StaffRole::Admin)).await;
        let reviewer = someone(&app, &db, "rev@body.test", None, Some(StaffRole::Reviewer)).await;
        let mut ids = Vec::new();
        for period in ["2026-04-01", "2026-07-01"] {
            let id =
                submissions::start(&app, &editor, "move-test", "york", period).await.unwrap().submission.id;
            let answers =
                json!({"org_name": "York", "colour": "Blue", "budget": "5000", "notes": "Hello", "staff": 3});
            let edit =
                Edit::Section { section: "about".into(), answers: object(answers), complete: Some(true) };
            let view = submissions::edit(&app, &editor, &id, 1, edit).await.unwrap().view;
            assert_eq!(view.submission.state, SubmissionState::ReadyForSignOff);
            ids.push((id, view.submission.revision));
        }
        // The first is submitted (no sign-off steps), and keeps its version.
        let (submitted, revision) = ids[0].clone();
        let done = lifecycle::submit(&app, &editor, &submitted, revision).await.unwrap().submission;
        assert!(
            done.reference.as_deref().is_some_and(|r| r.starts_with("MT-2026Q2-")),
            "{:?}",
            done.reference
        );
        let same = lifecycle::move_to_latest(&app, &editor, &ids[1].0, ids[1].1).await;
        assert!(
            matches!(&same, Err(ServiceError::Conflict(m)) if m.contains("already follows the latest")),
            "{same:?}"
        );

        collections::publish(&app, &Actor::System, move_v2().as_bytes()).await.unwrap();
        let refused = lifecycle::move_to_latest(&app, &editor, &submitted, done.revision).await;
        assert!(
            matches!(&refused, Err(ServiceError::Conflict(m)) if m.contains("keeps version 1")),
            "{refused:?}"
        );
        assert!(matches!(
            lifecycle::move_to_latest(&app, &reviewer, &ids[1].0, ids[1].1).await,
            Err(ServiceError::Forbidden(_))
        ));

        let (draft, revision) = ids[1].clone();
        let moved = lifecycle::move_to_latest(&app, &editor, &draft, revision).await.unwrap();
        assert_eq!((moved.from_version, moved.to_version), (1, 2));
        let s = &moved.view.submission;
        assert_eq!(s.version, 2);
        assert_eq!(s.answers.get("organisation_name"), Some(&json!("York")), "renamed and kept");
        assert_eq!(s.answers.get("staff"), Some(&json!("3")), "numbers are stored as exact strings");
        for gone in ["org_name", "colour", "budget", "notes"] {
            assert!(!s.answers.contains_key(gone), "{gone} is not in the new answers");
        }
        assert_eq!(moved.renamed, vec![("org_name".to_string(), "organisation_name".to_string())]);
        let mut dropped: Vec<(&str, &Value)> =
            moved.dropped.iter().map(|d| (d.path.as_str(), &d.value)).collect();
        dropped.sort_by_key(|d| d.0);
        assert_eq!(
            dropped,
            [("budget", &json!("5000.00")), ("colour", &json!("Blue")), ("notes", &json!("Hello"))]
        );
        assert!(moved.dropped.iter().all(|d| !d.reason.is_empty() && !d.label.is_empty()));
        assert_eq!(s.state, SubmissionState::InProgress, "a section that lost answers is no longer complete");
        assert!(s.completed_sections.is_empty());
        // Kept in the history, with the values, and listed for the page after the move.
        let last = lifecycle::last_move(&app, &editor, &draft).await.unwrap().unwrap();
        assert_eq!(last.dropped.len(), 3);
        let history = submissions::history(&app, &editor, &draft).await.unwrap();
        let entry = history
            .iter()
            .find(|h| h.summary.starts_with("Moved the return from version 1 to version 2"))
            .unwrap();
        assert!(entry.changes.iter().any(|c| c.old == json!("Blue")), "{:?}", entry.changes);
        // The bulk move finds nothing left to move; only staff admins may run it.
        assert!(matches!(
            lifecycle::move_drafts(&app, &editor, "move-test").await,
            Err(ServiceError::Forbidden(_))
        ));
        let bulk = lifecycle::move_drafts(&app, &admin, "move-test").await.unwrap();
        assert_eq!((bulk.to_version, bulk.moved, bulk.failed.len()), (2, 0, 0));
    })
    .await;
}
