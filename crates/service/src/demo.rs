//! Demo data for `formwork serve --demo`: the example collections, three organisations, the
//! staff (one person per staff role) and, in each organisation, an organisation admin and one
//! person per role its collections declare, all with one password made up for this run (printed,
//! never stored in clear), and two towns-fund returns ([`returns`]). Loading again is harmless:
//! what exists is kept, and the password is reset.

use std::collections::BTreeMap;

use formwork_store::{collections as store_collections, organisations as orgs, users};

use crate::{Actor, App, Result, ServiceError, StaffRole, commit, passwords};

mod records;
mod returns;

pub use records::DemoRecords;

/// A demo sign-in.
#[derive(Clone, Debug)]
pub struct DemoPerson {
    /// The email address to sign in with.
    pub email: String,
    /// What they can do.
    pub role: String,
}

/// The demo sign-ins of the staff, or of one organisation.
#[derive(Clone, Debug)]
pub struct DemoGroup {
    /// `Staff`, or the organisation's name.
    pub name: String,
    /// Its people.
    pub people: Vec<DemoPerson>,
}

/// What the demo loaded.
#[derive(Clone, Debug)]
pub struct Demo {
    /// The people: the staff first, then each organisation's.
    pub groups: Vec<DemoGroup>,
    /// The password they all have for this run.
    pub password: String,
    /// The returns started for them.
    pub returns: Vec<DemoReturn>,
    /// Riverside Homes' lettings: records stored, and an upload that failed.
    pub records: DemoRecords,
}

/// A return the demo started.
#[derive(Clone, Debug)]
pub struct DemoReturn {
    /// The organisation's name.
    pub organisation: String,
    /// The collection's title.
    pub collection: String,
    /// The period, for people.
    pub period: String,
    /// Its sections Completed.
    pub completed: usize,
    /// Its sections with anything to do.
    pub sections: usize,
    /// Where it is, e.g. "Submitted".
    pub state: String,
}

/// The demo organisations: slug, name, and the collections assigned to them.
const ORGANISATIONS: &[(&str, &str, &[&str])] = &[
    ("northshire", "Northshire County Council", &["towns-fund-monitoring", "single-audit"]),
    ("riverside-homes", "Riverside Homes", &["lettings-log"]),
    ("southvale", "Southvale District Council", &["towns-fund-monitoring"]),
];

/// A demo person to make: email, name, what they can do, staff role, organisation and role there.
type Seed<'a> = (String, String, String, Option<StaffRole>, Option<(&'a str, String)>);

/// Load the demo: publish `examples` (definition texts), then organisations and people.
pub async fn load(app: &App, files: &formwork_files::Files, examples: &[&str]) -> Result<Demo> {
    for source in examples {
        match crate::collections::publish(app, &Actor::System, source.as_bytes()).await {
            Ok(_) | Err(ServiceError::Conflict(_)) => {}
            Err(e) => return Err(e),
        }
    }
    let random: String =
        formwork_store::new_token().0.chars().filter(char::is_ascii_alphanumeric).take(12).collect();
    let password = format!("demo-{random}");
    let hash = passwords::hash(&password).await?;
    let now = app.now();
    let mut tx = app.begin().await?;
    let collections = store_collections::list(&mut tx).await?;
    let mut ids = BTreeMap::new();
    for (slug, name, assigned) in ORGANISATIONS {
        let organisation = match orgs::by_slug(&mut tx, slug).await? {
            Some(o) => o,
            None => orgs::create(&mut tx, slug, name, &BTreeMap::new(), now).await?,
        };
        for collection in collections.iter().filter(|c| assigned.contains(&c.slug.as_str())) {
            store_collections::assign(&mut tx, &collection.slug, &organisation.id, now).await?;
        }
        ids.insert(*slug, organisation.id);
    }
    let mut groups: Vec<(String, Vec<Seed<'_>>)> = Vec::new();
    let staff = StaffRole::ALL.map(|staff| {
        let email = format!("{}@demo.formwork.test", staff.as_str());
        (email, format!("Demo {}", staff.as_str()), staff.describe().into(), Some(staff), None)
    });
    groups.push(("Staff".into(), staff.into()));
    // In each organisation, an admin and one person for each role its collections declare.
    for (slug, name, assigned) in ORGANISATIONS {
        let mut roles = vec![crate::organisations::ORG_ADMIN.to_string()];
        for collection in collections.iter().filter(|c| assigned.contains(&c.slug.as_str())) {
            let definition =
                crate::collections::definition(app, &collection.slug, collection.latest_version).await?;
            for role in &definition.roles {
                if !roles.contains(&role.id) {
                    roles.push(role.id.clone());
                }
            }
        }
        let people = roles
            .into_iter()
            .map(|role| {
                (
                    email(&role, slug),
                    format!("Demo {}", role.replace('_', " ")),
                    role.clone(),
                    None,
                    Some((*slug, role)),
                )
            })
            .collect();
        groups.push(((*name).to_string(), people));
    }
    let mut shown = Vec::new();
    for (group, people) in groups {
        let mut made = Vec::new();
        for (email, name, role, staff, membership) in people {
            let user = match users::by_email(&mut tx, &email).await? {
                Some(user) => {
                    users::set_password(&mut tx, &user.id, &hash, now).await?;
                    user
                }
                None => {
                    users::create(
                        &mut tx,
                        &email,
                        Some(&name),
                        Some(&hash),
                        staff.map(StaffRole::as_str),
                        now,
                    )
                    .await?
                }
            };
            if let Some((org, role)) = &membership
                && let Some(id) = ids.get(org)
            {
                orgs::set_membership(&mut tx, id, &user.id, std::slice::from_ref(role), now).await?;
            }
            made.push(DemoPerson { email, role });
        }
        shown.push(DemoGroup { name: group, people: made });
    }
    commit(tx).await?;
    let mut returns = returns::start(app).await?;
    returns.extend(returns::single_audit(app, files).await?);
    let records = records::load(app, files).await?;
    Ok(Demo { groups: shown, password, returns, records })
}

/// The email address of the demo person with `role` in an organisation.
fn email(role: &str, organisation: &str) -> String {
    format!("{}@{organisation}.demo.formwork.test", role.replace('_', "-"))
}
