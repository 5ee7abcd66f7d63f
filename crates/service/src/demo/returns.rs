//! The demo's towns-fund returns, so a newcomer sees a real return at each step of its life:
//! Northshire's accepted and submitted ones (the reviewer's work), Southvale's complete one
//! waiting for its certifier, and Southvale's latest partly filled in. The organisations' own editor and finance officer fill them in, so the history shows
//! their names. A return that already has answers is left as it is: loading the demo again starts
//! nothing new and adds no rows.

use formwork_store::users;
use serde_json::{Value, json};

use super::{DemoReturn, email};
use crate::lifecycle;
use crate::submissions::{self, Edit, Progress};
use crate::{Actor, App, Result, ServiceError};

/// The collection the demo returns are for.
const COLLECTION: &str = "towns-fund-monitoring";

/// How far the demo fills a return in.
#[derive(Clone, Copy)]
enum Fill {
    /// Every section Completed, with a warning confirmed.
    Complete,
    /// The programme Completed, projects in progress, the rest not started.
    Partly,
}

/// What happens to a complete demo return after it is filled in.
#[derive(Clone, Copy, PartialEq, Eq)]
enum After {
    /// Nothing: it waits for its certifier.
    Nothing,
    /// The certifier signs it off, which submits it: it waits for a reviewer.
    Submitted,
    /// Submitted, then accepted by the reviewer.
    Accepted,
}

/// Which organisation's return, for the period this many before the latest, is filled in how and
/// taken how far. The browser journey starts Northshire's latest and Southvale's previous period,
/// so those are left alone.
const RETURNS: &[(&str, usize, Fill, After)] = &[
    ("northshire", 2, Fill::Complete, After::Accepted),
    ("northshire", 1, Fill::Complete, After::Submitted),
    ("southvale", 2, Fill::Complete, After::Nothing),
    ("southvale", 0, Fill::Partly, After::Nothing),
];

/// Start and fill in the demo returns, if the collection is published and a period has started.
pub(super) async fn start(app: &App) -> Result<Vec<DemoReturn>> {
    let mut conn = app.store.conn().await?;
    let Some(collection) = formwork_store::collections::by_slug(&mut conn, COLLECTION).await? else {
        return Ok(Vec::new());
    };
    drop(conn);
    let def = crate::collections::definition(app, COLLECTION, collection.latest_version).await?;
    let periods = def.schedule.periods_until(submissions::today(app));
    let Some(latest) = periods.len().checked_sub(1) else { return Ok(Vec::new()) };
    let mut started = Vec::new();
    for &(organisation, before, fill, after) in RETURNS {
        let Some(index) = latest.checked_sub(before) else { continue };
        let period = &periods[index];
        let editor = person(app, "editor", organisation).await?;
        let submission =
            submissions::start(app, &editor, COLLECTION, organisation, &period.key).await?.submission;
        if submission.answers.is_empty() {
            let mut filler = Filler { app, id: &submission.id, revision: submission.revision };
            let answers = Answers::new(organisation, index % 4 + 1);
            filler.section(&editor, "programme", answers.programme(), true).await?;
            match fill {
                Fill::Partly => {
                    filler.section(&editor, "projects", answers.projects(2), false).await?;
                }
                Fill::Complete => {
                    let finance = person(app, "finance", organisation).await?;
                    filler.section(&editor, "projects", answers.projects(3), true).await?;
                    filler.section(&finance, "spend", answers.spend(), false).await?;
                    filler.confirm_warnings(&finance, "spend", LARGE_SPEND_REASON).await?;
                    filler.mark(&finance, "spend").await?;
                    filler.section(&editor, "outputs", answers.outputs(), true).await?;
                    // Its one question, a file, is optional: with nothing attached it can be complete.
                    filler.mark(&editor, "evidence").await?;
                    if after != After::Nothing {
                        let certifier = person(app, "certifier", organisation).await?;
                        let view =
                            lifecycle::sign_off(app, &certifier, filler.id, filler.revision, 0, true).await?;
                        filler.revision = view.submission.revision;
                    }
                    if after == After::Accepted {
                        let reviewer = staff(app, "reviewer").await?;
                        lifecycle::accept(app, &reviewer, filler.id, filler.revision).await?;
                    }
                }
            }
        }
        let view = submissions::get(app, &Actor::System, &submission.id).await?;
        started.push(DemoReturn {
            organisation: view.organisation.name.clone(),
            collection: view.definition.title.clone(),
            period: view.period.label.clone(),
            completed: view.completed(),
            sections: view.applicable(),
            state: view.submission.state.label().to_string(),
        });
    }
    Ok(started)
}

/// Why the spend over £5,000,000 is right.
const LARGE_SPEND_REASON: &str = "The cycle routes contractor was paid for two phases finished this \
    quarter, as the town deal board agreed in its March meeting.";

/// A demo organisation's person with `role`, as an actor.
async fn person(app: &App, role: &str, organisation: &str) -> Result<Actor> {
    let mut conn = app.store.conn().await?;
    let address = email(role, organisation);
    let user = users::by_email(&mut conn, &address)
        .await?
        .ok_or_else(|| ServiceError::internal(format!("the demo has no {address}")))?;
    Actor::person(&mut conn, user).await
}

/// A demo staff person (`reviewer`, `analyst`, `admin`), as an actor.
async fn staff(app: &App, role: &str) -> Result<Actor> {
    let mut conn = app.store.conn().await?;
    let address = format!("{role}@demo.formwork.test");
    let user = users::by_email(&mut conn, &address)
        .await?
        .ok_or_else(|| ServiceError::internal(format!("the demo has no {address}")))?;
    Actor::person(&mut conn, user).await
}

/// Makes the edits of one return in turn, each from the revision the last one left.
struct Filler<'a> {
    app: &'a App,
    id: &'a str,
    revision: i64,
}

impl Filler<'_> {
    async fn apply(&mut self, actor: &Actor, edit: Edit) -> Result<submissions::SubmissionView> {
        let edited = submissions::edit(self.app, actor, self.id, self.revision, edit).await?;
        if let Some(why) = edited.not_completed {
            return Err(ServiceError::internal(format!("a demo return cannot be completed: {why}")));
        }
        self.revision = edited.view.submission.revision;
        Ok(edited.view)
    }

    /// Answer a section, marking it complete or leaving it in progress.
    async fn section(&mut self, actor: &Actor, section: &str, answers: Value, complete: bool) -> Result<()> {
        let Value::Object(answers) = answers else {
            return Err(ServiceError::internal("demo answers must be an object"));
        };
        let edit = Edit::Section { section: section.into(), answers, complete: complete.then_some(true) };
        let view = self.apply(actor, edit).await?;
        if view.errors_in(section).next().is_some() {
            return Err(ServiceError::internal(format!("the demo's {section} answers have errors")));
        }
        Ok(())
    }

    /// Confirm every warning in a section with `reason`.
    async fn confirm_warnings(&mut self, actor: &Actor, section: &str, reason: &str) -> Result<()> {
        let view = submissions::get(self.app, actor, self.id).await?;
        for warning in view.warnings_in(section).filter(|w| w.confirmation.is_none()) {
            let edit = Edit::Confirm { key: warning.key.clone(), reason: reason.into() };
            self.apply(actor, edit).await?;
        }
        Ok(())
    }

    /// Mark a section complete.
    async fn mark(&mut self, actor: &Actor, section: &str) -> Result<()> {
        let view = self.apply(actor, Edit::Mark { section: section.into(), complete: true }).await?;
        match view.section(section).map(|s| s.status) {
            Some(Progress::Completed) => Ok(()),
            _ => Err(ServiceError::internal(format!("the demo could not complete {section}"))),
        }
    }
}

/// The answers of one organisation's return: its project ids are `TF-` and the first three
/// letters of its slug, so they match the definition's pattern.
struct Answers {
    town: String,
    code: String,
    quarter: String,
}

impl Answers {
    fn new(organisation: &str, quarter: usize) -> Answers {
        let mut town = organisation.to_string();
        if let Some(first) = town.get_mut(..1) {
            first.make_ascii_uppercase();
        }
        let code = organisation.chars().take(3).collect::<String>().to_ascii_uppercase();
        Answers { town, code, quarter: format!("Q{quarter}") }
    }

    fn project(&self, n: usize) -> String {
        format!("TF-{}-{n:02}", self.code)
    }

    fn programme(&self) -> Value {
        json!({
            "programme_name": format!("{} Towns Fund", self.town),
            "lead_contact_email": format!("towns-fund@{}.demo.formwork.test", self.town.to_lowercase()),
            "grant_total": "25000000.00",
            "start_date": "2022-04-01",
            "end_date": "2027-03-31",
            "overall_rag": "amber",
            "has_changes": true,
            "change_details": "The market hall restoration will now finish a quarter later: the revised \
                planning application asked for a fuller survey of the roof timbers.",
        })
    }

    /// The first `count` of the programme's projects.
    fn projects(&self, count: usize) -> Value {
        let projects = [
            ("Market hall restoration", "culture", "amber", "40", Some("Waiting for planning consent")),
            ("Town centre cycle routes", "transport", "green", "65", None),
            ("Digital skills hub", "skills", "green", "80", None),
        ];
        let rows: Vec<Value> = projects
            .iter()
            .take(count)
            .enumerate()
            .map(|(i, (name, theme, rag, percent, delay))| {
                json!({
                    "project_id": self.project(i + 1),
                    "project_name": name,
                    "theme": theme,
                    "rag": rag,
                    "percent_complete": percent,
                    "delay_reason": delay,
                })
            })
            .collect();
        json!({ "projects": rows })
    }

    /// Spend on the three projects; the cycle routes' is over £5,000,000, which warns.
    fn spend(&self) -> Value {
        let spend = [
            (1, "tf", "1250000.00"),
            (1, "private", "400000.00"),
            (2, "tf", "5400000.00"),
            (3, "tf", "750000.00"),
            (3, "public", "120000.00"),
        ];
        let rows: Vec<Value> = spend
            .iter()
            .map(|(project, source, amount)| {
                json!({
                    "project_id": self.project(*project),
                    "quarter": self.quarter,
                    "source": source,
                    "amount": amount,
                })
            })
            .collect();
        json!({ "spend": rows })
    }

    fn outputs(&self) -> Value {
        json!({ "outputs": [
            {
                "project_id": self.project(2),
                "indicator": "Length of new cycle route",
                "unit": "km",
                "actual": "3.50",
                "forecast": "2.00",
            },
            {
                "project_id": self.project(3),
                "indicator": "People trained in digital skills",
                "unit": "people",
                "actual": "120",
                "forecast": "150",
            },
        ] })
    }
}

/// A small real PDF: it starts as a PDF and ends with `%%EOF`.
const REPORT_PDF: &[u8] = b"%PDF-1.4\n1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj\n\
2 0 obj << /Type /Pages /Kids [] /Count 0 >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n";

/// Northshire's single audit for its first fiscal year, complete with its report attached and
/// signed by the auditor: it waits for the auditee's sign-off, the second of its two steps. Left
/// as it is when it already has answers.
pub(super) async fn single_audit(app: &App, files: &formwork_files::Files) -> Result<Option<DemoReturn>> {
    const AUDIT: &str = "single-audit";
    let mut conn = app.store.conn().await?;
    let Some(collection) = formwork_store::collections::by_slug(&mut conn, AUDIT).await? else {
        return Ok(None);
    };
    drop(conn);
    let def = crate::collections::definition(app, AUDIT, collection.latest_version).await?;
    let Some(period) = def.schedule.periods_until(submissions::today(app)).into_iter().next() else {
        return Ok(None);
    };
    let editor = person(app, "editor", "northshire").await?;
    let submission = submissions::start(app, &editor, AUDIT, "northshire", &period.key).await?.submission;
    if submission.answers.is_empty() {
        let mut filler = Filler { app, id: &submission.id, revision: submission.revision };
        let general = json!({"auditee_name": "Northshire County Council", "auditee_uei": "NSHCC2025AB1",
            "ein": "123456789", "fy_start": period.start.to_string(), "fy_end": period.end.to_string(),
            "audit_type": "single", "auditor_firm": "Northshire Audit Partners",
            "auditor_email": "partners@northshire-audit.example"});
        filler.section(&editor, "general", general, true).await?;
        let info =
            json!({"opinion": ["U"], "going_concern": false, "low_risk": true, "dollar_threshold": "750000"});
        filler.section(&editor, "audit_info", info, true).await?;
        let awards: Vec<Value> = [
            ("AWARD-0001", "93", "778", "Medical Assistance Program", "4210000.00", true),
            ("AWARD-0002", "84", "010", "Title I Grants to Local Educational Agencies", "1875000.50", true),
            ("AWARD-0003", "20", "205", "Highway Planning and Construction", "962300.00", false),
        ]
        .into_iter()
        .map(|(reference, prefix, extension, name, amount, major)| {
            json!({"award_reference": reference, "agency_prefix": prefix, "aln_extension": extension,
                "program_name": name, "amount_expended": amount, "cluster_name": "N/A", "is_direct": true,
                "is_major": major, "audit_report_type": if major { Some("U") } else { None },
                "findings_count": 0, "is_passed": false})
        })
        .collect();
        filler.section(&editor, "federal_awards", json!({"federal_awards": awards}), true).await?;
        let body =
            futures_util::stream::iter([Ok::<_, std::io::Error>(bytes::Bytes::from_static(REPORT_PDF))]);
        let upload = submissions::Upload {
            question: "audit_report_pdf".into(),
            file_name: "northshire-single-audit-report.pdf".into(),
            body,
        };
        let attached =
            submissions::attach(app, files, &editor, filler.id, Some(filler.revision), upload, 1 << 20)
                .await?;
        filler.revision = attached.view.submission.revision;
        filler.mark(&editor, "report").await?;
        let auditor = person(app, "auditor_certifier", "northshire").await?;
        lifecycle::sign_off(app, &auditor, filler.id, filler.revision, 0, true).await?;
    }
    let view = submissions::get(app, &Actor::System, &submission.id).await?;
    Ok(Some(DemoReturn {
        organisation: view.organisation.name.clone(),
        collection: view.definition.title.clone(),
        period: view.period.label.clone(),
        completed: view.completed(),
        sections: view.applicable(),
        state: view.submission.state.label().to_string(),
    }))
}
