//! Who is doing something: nobody (signed out), the system (admin commands, the demo), or a person
//! with their staff role and organisation memberships.

use formwork_store::AnyConnection;
use formwork_store::organisations::{self, Membership};
use formwork_store::users::User;

use crate::Result;

/// A role on the public body's staff.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum StaffRole {
    /// Sees submissions, returns them for changes, accepts them.
    Reviewer,
    /// Searches and exports data.
    Analyst,
    /// Publishes collections, manages organisations and people.
    Admin,
}

impl StaffRole {
    /// Every staff role.
    pub const ALL: [StaffRole; 3] = [StaffRole::Reviewer, StaffRole::Analyst, StaffRole::Admin];

    /// The role as stored and sent: `reviewer`, `analyst`, `admin`.
    pub fn as_str(self) -> &'static str {
        match self {
            StaffRole::Reviewer => "reviewer",
            StaffRole::Analyst => "analyst",
            StaffRole::Admin => "admin",
        }
    }

    /// The role named `text`, if any.
    pub fn parse(text: &str) -> Option<StaffRole> {
        StaffRole::ALL.into_iter().find(|r| r.as_str() == text)
    }

    /// What the role is for, for pages.
    pub fn describe(self) -> &'static str {
        match self {
            StaffRole::Reviewer => "Reviewer: sees submissions, returns them for changes and accepts them",
            StaffRole::Analyst => "Analyst: searches and exports data",
            StaffRole::Admin => "Service admin: publishes collections, manages organisations and people",
        }
    }
}

/// A signed-in person and what they belong to.
#[derive(Clone, Debug)]
pub struct Person {
    /// Their account.
    pub user: User,
    /// Their staff role, if they are staff.
    pub staff: Option<StaffRole>,
    /// Their organisations and roles in each.
    pub memberships: Vec<Membership>,
}

impl Person {
    /// The roles this person has in an organisation (by id), if they belong to it.
    pub fn roles_in(&self, organisation_id: &str) -> Option<&[String]> {
        self.memberships.iter().find(|m| m.organisation_id == organisation_id).map(|m| m.roles.as_slice())
    }

    /// True when this person administers the organisation.
    pub fn is_org_admin(&self, organisation_id: &str) -> bool {
        self.roles_in(organisation_id)
            .is_some_and(|roles| roles.iter().any(|r| r == crate::organisations::ORG_ADMIN))
    }
}

/// Who is doing something.
#[derive(Clone, Debug)]
pub enum Actor {
    /// Nobody is signed in.
    Anonymous,
    /// formwork itself: the admin commands and the demo, run by whoever runs the binary.
    System,
    /// A signed-in person.
    Person(Box<Person>),
}

impl Actor {
    /// A person, with their memberships read from the database.
    pub async fn person(conn: &mut AnyConnection, user: User) -> Result<Actor> {
        let memberships = organisations::memberships_of(conn, &user.id).await?;
        Ok(Actor::with_memberships(user, memberships))
    }

    /// A person whose memberships have already been read (with their credential, in one query).
    pub(crate) fn with_memberships(user: User, memberships: Vec<Membership>) -> Actor {
        let staff = user.staff_role.as_deref().and_then(StaffRole::parse);
        Actor::Person(Box::new(Person { user, staff, memberships }))
    }

    /// The person, if a person is acting.
    pub fn as_person(&self) -> Option<&Person> {
        match self {
            Actor::Person(p) => Some(p),
            _ => None,
        }
    }

    /// The person's account id, for records of who did what.
    pub fn user_id(&self) -> Option<&str> {
        self.as_person().map(|p| p.user.id.as_str())
    }

    /// The person's staff role.
    pub fn staff(&self) -> Option<StaffRole> {
        self.as_person().and_then(|p| p.staff)
    }
}
