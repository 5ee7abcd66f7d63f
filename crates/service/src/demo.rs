//! Demo data for `formwork serve --demo`: the example collections, three organisations, and one
//! person for each role, all with one password made up for this run (printed, never stored in
//! clear). Loading again is harmless: what exists is kept, and the password is reset.

use std::collections::BTreeMap;

use formwork_store::{collections as store_collections, organisations as orgs, users};

use crate::{Actor, App, Result, ServiceError, StaffRole, commit, passwords};

/// A demo sign-in.
#[derive(Clone, Debug)]
pub struct DemoPerson {
    /// The email address to sign in with.
    pub email: String,
    /// What they can do.
    pub role: String,
}

/// What the demo loaded.
#[derive(Clone, Debug)]
pub struct Demo {
    /// The people, one per role.
    pub people: Vec<DemoPerson>,
    /// The password they all have for this run.
    pub password: String,
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
pub async fn load(app: &App, examples: &[&str]) -> Result<Demo> {
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
    let mut demo_people: Vec<Seed<'_>> = Vec::new();
    for staff in StaffRole::ALL {
        let email = format!("{}@demo.formwork.test", staff.as_str());
        demo_people.push((
            email,
            format!("Demo {}", staff.as_str()),
            staff.describe().into(),
            Some(staff),
            None,
        ));
    }
    demo_people.push((
        "org-admin@northshire.demo.formwork.test".into(),
        "Demo organisation admin".into(),
        "org_admin at Northshire County Council".into(),
        None,
        Some(("northshire", crate::organisations::ORG_ADMIN.to_string())),
    ));
    // One person for each role the collections declare, in the first organisation given them.
    let mut roles: BTreeMap<String, &str> = BTreeMap::new();
    for collection in &collections {
        let definition =
            crate::collections::definition(app, &collection.slug, collection.latest_version).await?;
        let org = ORGANISATIONS
            .iter()
            .find(|(_, _, assigned)| assigned.contains(&collection.slug.as_str()))
            .map(|o| o.0);
        for role in &definition.roles {
            if let Some(org) = org {
                roles.entry(role.id.clone()).or_insert(org);
            }
        }
    }
    for (role, org) in &roles {
        let label = ORGANISATIONS.iter().find(|o| o.0 == *org).map_or(*org, |o| o.1);
        demo_people.push((
            format!("{}@{org}.demo.formwork.test", role.replace('_', "-")),
            format!("Demo {}", role.replace('_', " ")),
            format!("{role} at {label}"),
            None,
            Some((*org, role.clone())),
        ));
    }
    let mut shown = Vec::new();
    for (email, name, role, staff, membership) in demo_people {
        let user = match users::by_email(&mut tx, &email).await? {
            Some(user) => {
                users::set_password(&mut tx, &user.id, &hash, now).await?;
                user
            }
            None => {
                users::create(&mut tx, &email, Some(&name), Some(&hash), staff.map(StaffRole::as_str), now)
                    .await?
            }
        };
        if let Some((org, role)) = &membership
            && let Some(id) = ids.get(org)
        {
            orgs::set_membership(&mut tx, id, &user.id, std::slice::from_ref(role), now).await?;
        }
        shown.push(DemoPerson { email, role });
    }
    commit(tx).await?;
    Ok(Demo { people: shown, password })
}
