//! The operations on SQLite and PostgreSQL where several people act at once.

#![expect(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "a test should stop loudly at anything unexpected"
)]

use formwork_service::invitations::{self, InvitationState, InvitedTo};
use formwork_service::organisations::{self, OrganisationInput};
use formwork_service::people::{self, NewPerson};
use formwork_service::{Actor, App, ServiceError, Settings};
use formwork_store::testing::TestDatabase;
use formwork_store::{Backend, Clock, jobs};

mod lifecycle;
mod uploads;

const NOW: i64 = 1_795_341_600_000;

async fn on_both<F, Fut>(test: F)
where
    F: Fn(TestDatabase) -> Fut,
    Fut: Future<Output = ()>,
{
    for backend in [Backend::Sqlite, Backend::Postgres] {
        test(
            TestDatabase::new(backend, NOW)
                .await
                .expect("PostgreSQL must be running: scripts/setup starts it"),
        )
        .await;
    }
}

/// The token in the link of the last invitation email queued.
async fn last_invitation_token(db: &TestDatabase) -> String {
    let mut conn = db.store.conn().await.unwrap();
    let job = jobs::pending(&mut conn, 100).await.unwrap().pop().unwrap();
    let payload: serde_json::Value = serde_json::from_str(&job.payload).unwrap();
    let body = payload["body"].as_str().unwrap();
    let start = body.find("/invitations/").unwrap() + "/invitations/".len();
    body[start..].split_whitespace().next().unwrap().to_string()
}

#[tokio::test]
async fn of_a_withdrawal_and_an_acceptance_at_once_exactly_one_happens() {
    on_both(|db| async move {
        let app = App::new(db.store.clone(), Clock::fixed(NOW), Settings::default());
        let input =
            OrganisationInput { name: "York".into(), slug: Some("york".into()), ..Default::default() };
        organisations::create(&app, &Actor::System, &input).await.unwrap();
        let new = NewPerson { email: "fay@example.org".into(), ..NewPerson::default() };
        let fay = people::create(&app, &Actor::System, &new).await.unwrap();
        let fay = Actor::person(&mut db.store.conn().await.unwrap(), fay).await.unwrap();
        for round in 0..6 {
            let roles = ["org_admin".to_string()];
            let invitation =
                invitations::invite_member(&app, &Actor::System, "york", "fay@example.org", &roles)
                    .await
                    .unwrap();
            let token = last_invitation_token(&db).await;
            let withdraw =
                invitations::withdraw(&app, &Actor::System, InvitedTo::Organisation("york"), &invitation.id);
            let accept = invitations::accept(&app, &fay, &token);
            // Alternate which starts first, so both orders meet on both databases.
            let (withdrawn, accepted) = if round % 2 == 0 {
                tokio::join!(withdraw, accept)
            } else {
                let (a, w) = tokio::join!(accept, withdraw);
                (w, a)
            };
            match (&withdrawn, &accepted) {
                (Ok(w), Err(ServiceError::Conflict(_))) => {
                    assert_eq!(w.state_at(NOW), InvitationState::Withdrawn);
                }
                (Err(ServiceError::Conflict(_)), Ok(a)) => {
                    assert_eq!(a.invitation.state_at(NOW), InvitationState::Accepted);
                }
                other => {
                    panic!("round {round}: exactly one must happen and the other conflict, got {other:?}")
                }
            }
            // Take the membership away again, so the next round's invitation can be accepted.
            if accepted.is_ok() {
                let (_, members) = organisations::members(&app, &Actor::System, "york").await.unwrap();
                let id = members[0].user_id.clone();
                organisations::remove_member(&app, &Actor::System, "york", &id).await.unwrap();
            }
        }
    })
    .await;
}

#[tokio::test]
async fn the_demo_gives_every_organisation_people_and_groups_them_by_organisation() {
    let db = TestDatabase::new(Backend::Sqlite, NOW).await.unwrap();
    let app = App::new(db.store.clone(), Clock::fixed(NOW), Settings::default());
    let examples = [
        include_str!("../../../examples/towns-fund-monitoring.yaml"),
        include_str!("../../../examples/lettings-log.yaml"),
        include_str!("../../../examples/single-audit.yaml"),
    ];
    let demo =
        formwork_service::demo::load(&app, &formwork_files::Files::from_url("memory://").unwrap(), &examples)
            .await
            .unwrap();
    let names: Vec<&str> = demo.groups.iter().map(|g| g.name.as_str()).collect();
    assert_eq!(
        names,
        ["Staff", "Northshire County Council", "Riverside Homes", "Southvale District Council"]
    );
    let staff: Vec<&str> = demo.groups[0].people.iter().map(|p| p.email.as_str()).collect();
    assert_eq!(
        staff,
        ["reviewer@demo.formwork.test", "analyst@demo.formwork.test", "admin@demo.formwork.test"]
    );
    for (group, slug) in demo.groups[1..].iter().zip(["northshire", "riverside-homes", "southvale"]) {
        let (_, members) = organisations::members(&app, &Actor::System, slug).await.unwrap();
        let mut listed: Vec<(String, Vec<String>)> =
            group.people.iter().map(|p| (p.email.clone(), vec![p.role.clone()])).collect();
        let mut held: Vec<(String, Vec<String>)> = members.into_iter().map(|m| (m.email, m.roles)).collect();
        listed.sort();
        held.sort();
        assert_eq!(listed, held, "everyone listed under {} is its member, with that role", group.name);
        assert!(held.iter().any(|(_, roles)| roles == &["org_admin"]), "{slug} has an admin");
        assert!(held.len() >= 2, "{slug} has people besides its admin");
    }
    // Northshire's single audit waits for the auditee, its second sign-off step.
    let audit = demo.returns.iter().find(|r| r.collection == "Single audit submission").unwrap();
    assert_eq!((audit.completed, audit.sections, audit.state.as_str()), (4, 4, "Awaiting sign-off"));
    // Riverside Homes' lettings: 300 uploaded (60 after their warnings were confirmed), three
    // entered on the web, and an upload that failed with its report.
    assert_eq!(demo.records.records, 303);
    let failed = demo.records.failed_upload.clone().unwrap();
    let failed = formwork_service::uploads::get(&app, &Actor::System, &failed).await.unwrap();
    assert_eq!(failed.upload.state, formwork_store::uploads::UploadState::Failed);
    assert!(failed.upload.error_count > 0 && failed.upload.annotated_key.is_some());
    let again =
        formwork_service::demo::load(&app, &formwork_files::Files::from_url("memory://").unwrap(), &examples)
            .await
            .unwrap();
    assert_eq!(again.records.records, 0, "loading the demo again adds no records");
}

/// Towns Fund published and assigned to York, with an editor and a finance officer (as actors),
/// on a clock inside its first quarter's return window.
async fn towns_fund(db: &TestDatabase) -> (App, Actor, Actor) {
    use formwork_service::collections;
    let app = App::new(db.store.clone(), Clock::fixed(NOW), Settings::default());
    let source =
        std::fs::read(concat!(env!("CARGO_MANIFEST_DIR"), "/../../examples/towns-fund-monitoring.yaml"))
            .unwrap();
    collections::publish(&app, &Actor::System, &source).await.unwrap();
    let input = OrganisationInput { name: "York".into(), slug: Some("york".into()), ..Default::default() };
    organisations::create(&app, &Actor::System, &input).await.unwrap();
    collections::assign(&app, &Actor::System, "towns-fund-monitoring", "york").await.unwrap();
    let mut actors = Vec::new();
    for (email, role) in [("ed@york.test", "editor"), ("fin@york.test", "finance")] {
        let new = NewPerson { email: email.into(), ..NewPerson::default() };
        let user = people::create(&app, &Actor::System, &new).await.unwrap();
        let system = Actor::System;
        organisations::add_member(&app, &system, "york", email, &[role.to_string()]).await.unwrap();
        let mut conn = db.store.conn().await.unwrap();
        actors.push(Actor::person(&mut conn, user).await.unwrap());
    }
    let finance = actors.pop().unwrap();
    (app, actors.pop().unwrap(), finance)
}

#[tokio::test]
async fn of_two_saves_of_one_section_from_one_revision_the_second_is_told_what_changed_and_nothing_is_lost() {
    use formwork_service::submissions::{self, Edit, Progress};
    on_both(|db| async move {
        let (app, editor, finance) = towns_fund(&db).await;
        let started = submissions::start(&app, &editor, "towns-fund-monitoring", "york", "2026-07-01").await.unwrap();
        let again = submissions::start(&app, &finance, "towns-fund-monitoring", "york", "2026-07-01").await.unwrap();
        assert!(started.created && !again.created);
        assert_eq!(started.submission.id, again.submission.id);
        let id = started.submission.id.clone();
        let revision = started.submission.revision;
        let section = |answers: serde_json::Value, complete| Edit::Section {
            section: "programme".into(),
            answers: answers.as_object().unwrap().clone(),
            complete,
        };
        let first = submissions::edit(&app, &editor, &id, revision, section(serde_json::json!({"programme_name": "Harbour", "grant_total": "£2,000,000", "start_date": "2026-13-01"}), Some(true)))
            .await
            .unwrap();
        assert_eq!(first.view.submission.answers["grant_total"], "2000000.00");
        assert_eq!(first.view.submission.answers["start_date"], "2026-13-01", "kept as typed");
        assert!(first.not_completed.is_some(), "a section with errors is not marked complete");
        assert_eq!(first.view.section("programme").unwrap().status, Progress::InProgress);
        let second = submissions::edit(&app, &editor, &id, revision, section(serde_json::json!({"programme_name": "Quay"}), None)).await;
        match second {
            Err(ServiceError::Stale(stale)) => {
                assert_eq!(stale.revision, revision + 1);
                let name = stale.changes.iter().find(|c| c.field == "programme_name").unwrap();
                assert_eq!((name.label.as_str(), &name.new), ("Programme name", &serde_json::json!("Harbour")));
                assert_eq!(name.by.as_deref(), Some("ed@york.test"));
            }
            other => panic!("expected a stale save, got {other:?}"),
        }
        let stored = submissions::get(&app, &editor, &id).await.unwrap();
        assert_eq!(stored.submission.answers["programme_name"], "Harbour");
        assert_eq!(stored.submission.revision, revision + 1);
        let refused = submissions::edit(&app, &finance, &id, revision + 1, section(serde_json::json!({"programme_name": "X"}), None)).await;
        assert!(matches!(refused, Err(ServiceError::Forbidden(_))), "finance does not edit the programme");
        let elsewhere = submissions::edit(&app, &editor, &id, revision + 1, section(serde_json::json!({"amount": "1"}), None)).await;
        assert!(matches!(elsewhere, Err(ServiceError::Invalid(_))));
        let history = submissions::history(&app, &editor, &id).await.unwrap();
        assert_eq!(history.len(), 2, "started, then one save: {history:?}");
        assert!(history[0].changes.iter().any(|c| c.label == "Programme name" && c.new == "Harbour"));
    })
    .await;
}

#[tokio::test]
async fn the_demo_starts_towns_fund_returns_at_each_step_of_their_life_however_often_it_loads() {
    use formwork_service::submissions::{self, Filter, Progress, SubmissionState};
    let db = TestDatabase::new(Backend::Sqlite, NOW).await.unwrap();
    let app = App::new(db.store.clone(), Clock::fixed(NOW), Settings::default());
    let examples = [include_str!("../../../examples/towns-fund-monitoring.yaml")];
    formwork_service::demo::load(&app, &formwork_files::Files::from_url("memory://").unwrap(), &examples)
        .await
        .unwrap();
    let demo =
        formwork_service::demo::load(&app, &formwork_files::Files::from_url("memory://").unwrap(), &examples)
            .await
            .unwrap();
    let filter = Filter { collection: Some("towns-fund-monitoring".into()), ..Filter::default() };
    let listed = submissions::list(&app, &Actor::System, filter).await.unwrap();
    assert_eq!(listed.len(), 4, "loading again starts nothing new");
    let mut views = Vec::new();
    for submission in &listed {
        views.push(submissions::get(&app, &Actor::System, &submission.id).await.unwrap());
    }
    views.sort_by(|a, b| (&a.organisation.slug, &a.period.key).cmp(&(&b.organisation.slug, &b.period.key)));
    let found: Vec<(&str, &str, SubmissionState)> = views
        .iter()
        .map(|v| (v.organisation.slug.as_str(), v.period.key.as_str(), v.submission.state))
        .collect();
    // On 22 November 2026 the latest period is October's.
    assert_eq!(
        found,
        [
            ("northshire", "2026-04-01", SubmissionState::Accepted),
            ("northshire", "2026-07-01", SubmissionState::Submitted),
            ("southvale", "2026-04-01", SubmissionState::ReadyForSignOff),
            ("southvale", "2026-10-01", SubmissionState::InProgress),
        ]
    );
    for complete in &views[..3] {
        assert!(complete.sections.iter().all(|s| s.status == Progress::Completed), "{:?}", complete.sections);
        assert!(complete.errors.is_empty());
        assert_eq!(
            complete.submission.answers["spend"].as_array().unwrap().len(),
            5,
            "loading again adds no rows"
        );
        assert_eq!(complete.warnings.len(), 1, "the spend over £5,000,000 warns, and is confirmed");
        assert!(complete.warnings.iter().all(|w| w.confirmation.is_some()));
    }
    for signed in &views[..2] {
        assert_eq!(signed.submission.sign_offs.len(), 1, "the certifier signed it off");
        assert!(signed.submission.reference.as_deref().is_some_and(|r| r.starts_with("TFM-2026Q")));
    }
    let partly = &views[3];
    let statuses: Vec<(&str, Progress)> = partly.sections.iter().map(|s| (s.id.as_str(), s.status)).collect();
    assert_eq!(
        statuses,
        [
            ("programme", Progress::Completed),
            ("projects", Progress::InProgress),
            ("spend", Progress::NotStarted),
            ("outputs", Progress::NotStarted),
            ("evidence", Progress::NotStarted),
        ]
    );
    assert_eq!(partly.submission.answers["projects"].as_array().unwrap().len(), 2);
    // The organisations' own people filled them in, not formwork itself.
    assert!(listed.iter().all(|s| s.created_by.is_some() && s.updated_by.is_some()));
    let summary: Vec<(&str, usize, &str)> =
        demo.returns.iter().map(|r| (r.organisation.as_str(), r.completed, r.state.as_str())).collect();
    assert_eq!(
        summary,
        [
            ("Northshire County Council", 5, "Accepted"),
            ("Northshire County Council", 5, "Submitted"),
            ("Southvale District Council", 5, "Ready for sign-off"),
            ("Southvale District Council", 1, "In progress"),
        ]
    );
}

#[tokio::test]
async fn a_warning_confirmed_on_a_row_does_not_pass_to_the_row_that_takes_its_place() {
    use formwork_service::submissions::{self, Edit};
    on_both(|db| async move {
        let (app, editor, finance) = towns_fund(&db).await;
        let started = submissions::start(&app, &editor, "towns-fund-monitoring", "york", "2026-07-01").await.unwrap();
        let id = started.submission.id.clone();
        let row = |project: &str, amount: &str| {
            serde_json::json!({"project_id": project, "quarter": "Q2", "source": "tf", "amount": amount})
        };
        let rows = vec![row("TF-ABC-01", "6000000"), row("TF-ABC-02", "7000000")];
        let edit = Edit::ReplaceTable { table: "spend".into(), rows, file_name: "spend.csv".into() };
        let mut view = submissions::edit(&app, &finance, &id, 1, edit).await.unwrap().view;
        assert_eq!(view.warnings.len(), 2, "{:?}", view.warnings);
        let key = view.warnings.iter().find(|w| w.item.path.starts_with("spend/0")).unwrap().key.clone();
        let confirm = Edit::Confirm { key, reason: "One payment for the whole year".into() };
        view = submissions::edit(&app, &finance, &id, view.submission.revision, confirm).await.unwrap().view;
        assert_eq!(view.warnings.iter().filter(|w| w.confirmation.is_some()).count(), 1);
        let remove = Edit::RemoveRow { table: "spend".into(), index: 0 };
        view = submissions::edit(&app, &finance, &id, view.submission.revision, remove).await.unwrap().view;
        assert_eq!(view.warnings.len(), 1);
        assert!(view.warnings[0].confirmation.is_none(), "row 2, now row 1, was never confirmed");
        let history = submissions::history(&app, &finance, &id).await.unwrap();
        let removed: Vec<_> = history[0].changes.iter().map(|c| (c.field.as_str(), c.new.is_null())).collect();
        assert_eq!(removed, [("spend.0", true)], "a removed row is one change, not a shift of every row after it");

        // The whole return sent back as read: finance changes spend only, and may.
        let mut answers = view.submission.answers.clone();
        answers.insert("spend".into(), serde_json::json!([row("TF-ABC-02", "10")]));
        let whole = Edit::Answers(answers);
        let saved = submissions::edit(&app, &finance, &id, view.submission.revision, whole).await.unwrap();
        assert_eq!(saved.view.submission.answers["spend"][0]["amount"], "10.00");
        let mut changed = saved.view.submission.answers.clone();
        changed.insert("programme_name".into(), serde_json::json!("Not finance's to change"));
        let refused = submissions::edit(&app, &finance, &id, saved.view.submission.revision, Edit::Answers(changed)).await;
        assert!(matches!(refused, Err(ServiceError::Forbidden(_))));
    })
    .await;
}
