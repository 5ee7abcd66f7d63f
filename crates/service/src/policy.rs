//! Who may do what: the one place authorisation is decided. Every operation calls [`check`] before
//! it reads or changes anything.
//!
//! The rules, in words:
//! - signed out: nothing here (sign in first);
//! - service admins (staff `admin`): everything;
//! - reviewers and analysts (staff): see every organisation, its members and every collection;
//!   change nothing here;
//! - organisation members: see their own organisations and the collections assigned to them;
//!   their organisation's admins (`org_admin`) also see and manage its members and invitations;
//! - returns: an organisation's members read all of its returns and change the sections whose
//!   `editors` include one of their roles; the staff read every return;
//! - lists, searches and exports of returns, records and uploads: the staff see every
//!   organisation's, anyone else only their own organisations' ([`visible_organisations`]);
//! - another organisation's things do not exist for them: the answer is "not found", never
//!   "forbidden", so nobody learns what other organisations are called or hold.

use crate::{Actor, ServiceError, StaffRole};

/// Something a person wants to do.
#[derive(Clone, Copy, Debug)]
pub enum Action<'a> {
    /// Use their own account: the account page, API tokens.
    UseAccount,
    /// List organisations (each person sees those they may see).
    ListOrganisations,
    /// See an organisation (by id).
    SeeOrganisation(&'a str),
    /// Add organisations, change their names and identifiers.
    ManageOrganisations,
    /// See an organisation's members and invitations (by id).
    SeeMembers(&'a str),
    /// Invite, change and remove an organisation's members (by id).
    ManageMembers(&'a str),
    /// Put a person with an account into an organisation without their accepting an invitation.
    /// Only an administrator at the command line: anyone else could pull any account into their
    /// organisation, and learn from the answer which addresses have accounts.
    AddMemberWithoutInvitation,
    /// List, add and change people; invite staff.
    ManagePeople,
    /// List collections (each person sees those they may see).
    ListCollections,
    /// See a collection assigned to these organisations (ids).
    SeeCollection(&'a [String]),
    /// Publish collection definitions.
    PublishCollections,
    /// Assign organisations to collections.
    AssignOrganisations,
    /// See and retry background jobs.
    ManageJobs,
    /// See an organisation's returns (by organisation id): its members and the staff.
    SeeSubmissions(&'a str),
    /// Start a return for an organisation (by id): its members.
    StartSubmission(&'a str),
    /// Change a section of an organisation's return: members with one of the section's `editors`
    /// roles (organisation id, the roles); every member when the collection declares no roles.
    EditSection(&'a str, &'a [String]),
    /// Sign off a step of an organisation's return (organisation id, the step's role): only a
    /// member holding that role. Not even a service admin signs for an organisation.
    SignOff(&'a str, &'a str),
    /// Send a submitted return back for changes, or accept it: the staff's reviewers.
    Review,
    /// Reopen an accepted return: the staff's reviewers.
    Reopen,
    /// Move an organisation's draft to a newer version of its definition (organisation id, the
    /// roles that edit any of its sections; empty: every member): its editors.
    MoveSubmission(&'a str, &'a [String]),
    /// Move every draft of a collection to its latest version at once.
    MoveAllDrafts,
    /// See an organisation's records of a log and its uploads (by organisation id): its members
    /// and the staff.
    SeeRecords(&'a str),
    /// Add, change and delete an organisation's records, and upload files of records (organisation
    /// id, the roles that edit the collection's sections; empty: every member).
    EditRecords(&'a str, &'a [String]),
    /// Download an upload's original file, and check a failed upload again: the service's
    /// administrators (the peers needed shell access for this).
    ManageUploads,
    /// Export data: the staff (every organisation's) and organisations' members (only their own
    /// organisations' rows: the search's selection narrows what they get).
    Export,
    /// Download an export prepared as a file (the id of the person who asked): only them.
    DownloadExport(&'a str),
    /// Set up and stop scheduled exports (feeds to a data warehouse): the service's administrators.
    ManageFeeds,
}

const STAFF_ONLY: &str = "Only the service's administrators can do this";

/// May `actor` do `action`? `Err` says why not: [`ServiceError::SignInRequired`],
/// [`ServiceError::Forbidden`], or [`ServiceError::NotFound`] for another organisation's things.
pub fn check(actor: &Actor, action: Action<'_>) -> Result<(), ServiceError> {
    let person = match actor {
        Actor::Anonymous => return Err(ServiceError::SignInRequired),
        Actor::System => return Ok(()),
        Actor::Person(person) => person,
    };
    if let Action::SignOff(org, role) = action {
        return match person.roles_in(org) {
            Some(roles) if roles.iter().any(|r| r == role) => Ok(()),
            Some(_) => Err(ServiceError::Forbidden(format!(
                "Only people with the {} role can sign off this step",
                role.replace('_', " ")
            ))),
            None if person.staff.is_some() => Err(ServiceError::Forbidden(
                "Only the organisation's own people can sign off its returns".into(),
            )),
            None => Err(ServiceError::NotFound("Page not found".into())),
        };
    }
    if let Action::DownloadExport(requested_by) = action {
        // A prepared export is its requester's alone: not even a service admin downloads it.
        return if person.user.id == requested_by {
            Ok(())
        } else {
            Err(ServiceError::NotFound("There is no such export".into()))
        };
    }
    if matches!(action, Action::AddMemberWithoutInvitation) {
        return Err(ServiceError::Forbidden(
            "People join an organisation by accepting an invitation: invite them instead".into(),
        ));
    }
    if person.staff == Some(StaffRole::Admin) {
        return Ok(());
    }
    let staff = person.staff.is_some();
    let hidden = || ServiceError::NotFound("Page not found".into());
    match action {
        Action::UseAccount | Action::ListOrganisations | Action::ListCollections => Ok(()),
        Action::SeeOrganisation(org) => {
            if staff || person.roles_in(org).is_some() {
                Ok(())
            } else {
                Err(hidden())
            }
        }
        Action::SeeMembers(org) => {
            if staff || person.is_org_admin(org) {
                Ok(())
            } else if person.roles_in(org).is_some() {
                Err(ServiceError::Forbidden(
                    "Only your organisation's administrators can see its members".into(),
                ))
            } else {
                Err(hidden())
            }
        }
        Action::ManageMembers(org) => {
            if person.is_org_admin(org) {
                Ok(())
            } else if staff || person.roles_in(org).is_some() {
                Err(ServiceError::Forbidden(
                    "Only your organisation's administrators and the service's administrators can change its members"
                        .into(),
                ))
            } else {
                Err(hidden())
            }
        }
        Action::SeeCollection(assigned) => {
            if staff || assigned.iter().any(|org| person.roles_in(org).is_some()) {
                Ok(())
            } else {
                Err(hidden())
            }
        }
        Action::SeeSubmissions(org) | Action::SeeRecords(org) => {
            if staff || person.roles_in(org).is_some() {
                Ok(())
            } else {
                Err(hidden())
            }
        }
        Action::StartSubmission(org) => match person.roles_in(org) {
            Some(_) => Ok(()),
            None if staff => {
                Err(ServiceError::Forbidden("Only the organisation's members can start its returns".into()))
            }
            None => Err(hidden()),
        },
        Action::EditSection(org, editors) => match person.roles_in(org) {
            // A collection that declares no roles is edited by every member.
            Some(roles) if editors.is_empty() || roles.iter().any(|r| editors.contains(r)) => Ok(()),
            Some(_) => Err(ServiceError::Forbidden(format!(
                "Only people with the {} role can change this section",
                editors.join(" or ")
            ))),
            None if staff => {
                Err(ServiceError::Forbidden("Staff can read returns but not change them".into()))
            }
            None => Err(hidden()),
        },
        Action::EditRecords(org, editors) => match person.roles_in(org) {
            Some(roles) if editors.is_empty() || roles.iter().any(|r| editors.contains(r)) => Ok(()),
            Some(_) => Err(ServiceError::Forbidden(format!(
                "Only people with the {} role can add or change records",
                editors.join(" or ").replace('_', " ")
            ))),
            None if staff => {
                Err(ServiceError::Forbidden("Staff can read records but not add or change them".into()))
            }
            None => Err(hidden()),
        },
        Action::SignOff(..) => Err(hidden()),
        Action::Review | Action::Reopen => {
            if person.staff == Some(StaffRole::Reviewer) {
                Ok(())
            } else {
                Err(ServiceError::Forbidden("Only the service's reviewers can do this".into()))
            }
        }
        Action::MoveSubmission(org, editors) => match person.roles_in(org) {
            Some(roles) if editors.is_empty() || roles.iter().any(|r| editors.contains(r)) => Ok(()),
            Some(_) => Err(ServiceError::Forbidden(
                "Only the people who fill in this return can move it to the new version".into(),
            )),
            None if staff => Err(ServiceError::Forbidden(STAFF_ONLY.into())),
            None => Err(hidden()),
        },
        Action::Export => {
            if staff || !person.memberships.is_empty() {
                Ok(())
            } else {
                Err(ServiceError::Forbidden("Only staff and organisations' members can export data".into()))
            }
        }
        Action::DownloadExport(_) => Err(hidden()),
        Action::AddMemberWithoutInvitation
        | Action::ManageFeeds
        | Action::MoveAllDrafts
        | Action::ManageOrganisations
        | Action::ManagePeople
        | Action::PublishCollections
        | Action::AssignOrganisations
        | Action::ManageJobs
        | Action::ManageUploads => Err(ServiceError::Forbidden(STAFF_ONLY.into())),
    }
}

/// The organisations whose returns, records and uploads `actor` may list, search and export
/// (ids; `None`: every organisation), narrowed to `one` (an id) when given. The staff see every
/// organisation; anyone else only their own, so narrowing to another organisation leaves none —
/// the answer for an organisation that does not exist.
pub fn visible_organisations(actor: &Actor, one: Option<&str>) -> Result<Option<Vec<String>>, ServiceError> {
    let person = match actor {
        Actor::Anonymous => return Err(ServiceError::SignInRequired),
        Actor::System => return Ok(one.map(|o| vec![o.to_string()])),
        Actor::Person(p) => p,
    };
    if person.staff.is_some() {
        return Ok(one.map(|o| vec![o.to_string()]));
    }
    let mine = person.memberships.iter().map(|m| m.organisation_id.clone());
    Ok(Some(match one {
        Some(o) => mine.filter(|m| m == o).collect(),
        None => mine.collect(),
    }))
}

#[cfg(test)]
mod tests {
    use formwork_store::organisations::Membership;
    use formwork_store::users::User;

    use super::*;
    use crate::Person;

    fn person(staff: Option<StaffRole>, memberships: &[(&str, &[&str])]) -> Actor {
        let user = User {
            id: "u".into(),
            email: "u@example.org".into(),
            name: None,
            password_hash: None,
            staff_role: staff.map(|s| s.as_str().to_string()),
            oidc_issuer: None,
            oidc_subject: None,
            failed_sign_ins: 0,
            locked_until: None,
            disabled: false,
            created_at: 0,
        };
        let memberships = memberships
            .iter()
            .map(|(org, roles)| Membership {
                organisation_id: (*org).into(),
                organisation_slug: (*org).into(),
                organisation_name: (*org).into(),
                user_id: "u".into(),
                email: "u@example.org".into(),
                name: None,
                roles: roles.iter().map(|r| (*r).to_string()).collect(),
            })
            .collect();
        Actor::Person(Box::new(Person { user, staff, memberships }))
    }

    #[test]
    fn another_organisations_things_are_not_found_not_forbidden() {
        let member = person(None, &[("own", &["editor", "org_admin"])]);
        assert!(check(&member, Action::ManageMembers("own")).is_ok());
        assert!(matches!(check(&member, Action::SeeOrganisation("other")), Err(ServiceError::NotFound(_))));
        assert!(matches!(check(&member, Action::ManageMembers("other")), Err(ServiceError::NotFound(_))));
        assert!(matches!(
            check(&member, Action::SeeCollection(&["other".into()])),
            Err(ServiceError::NotFound(_))
        ));
        assert!(check(&member, Action::SeeCollection(&["other".into(), "own".into()])).is_ok());
    }

    #[test]
    fn members_without_org_admin_cannot_manage_members() {
        let member = person(None, &[("own", &["editor"])]);
        assert!(check(&member, Action::SeeOrganisation("own")).is_ok());
        assert!(matches!(check(&member, Action::SeeMembers("own")), Err(ServiceError::Forbidden(_))));
        assert!(matches!(check(&member, Action::ManageMembers("own")), Err(ServiceError::Forbidden(_))));
    }

    #[test]
    fn reviewers_see_everything_and_change_nothing_here() {
        let reviewer = person(Some(StaffRole::Reviewer), &[]);
        assert!(check(&reviewer, Action::SeeMembers("any")).is_ok());
        assert!(check(&reviewer, Action::SeeCollection(&[])).is_ok());
        assert!(matches!(check(&reviewer, Action::ManageMembers("any")), Err(ServiceError::Forbidden(_))));
        assert!(matches!(check(&reviewer, Action::PublishCollections), Err(ServiceError::Forbidden(_))));
        assert!(check(&person(Some(StaffRole::Admin), &[]), Action::ManageJobs).is_ok());
    }

    #[test]
    fn only_the_command_line_adds_members_without_an_invitation() {
        for actor in [person(Some(StaffRole::Admin), &[]), person(None, &[("own", &["org_admin"])])] {
            assert!(matches!(
                check(&actor, Action::AddMemberWithoutInvitation),
                Err(ServiceError::Forbidden(_))
            ));
        }
        assert!(check(&Actor::System, Action::AddMemberWithoutInvitation).is_ok());
    }

    #[test]
    fn sections_are_changed_by_their_editors_read_by_members_and_staff_and_hidden_from_others() {
        let editors = ["finance".to_string()];
        let finance = person(None, &[("own", &["finance"])]);
        let editor = person(None, &[("own", &["editor"])]);
        let reviewer = person(Some(StaffRole::Reviewer), &[]);
        assert!(check(&finance, Action::EditSection("own", &editors)).is_ok());
        assert!(matches!(
            check(&editor, Action::EditSection("own", &editors)),
            Err(ServiceError::Forbidden(_))
        ));
        assert!(check(&editor, Action::SeeSubmissions("own")).is_ok());
        assert!(check(&reviewer, Action::SeeSubmissions("own")).is_ok());
        assert!(matches!(
            check(&reviewer, Action::EditSection("own", &editors)),
            Err(ServiceError::Forbidden(_))
        ));
        assert!(matches!(check(&reviewer, Action::StartSubmission("own")), Err(ServiceError::Forbidden(_))));
        for action in [
            Action::SeeSubmissions("other"),
            Action::StartSubmission("other"),
            Action::EditSection("other", &editors),
        ] {
            assert!(matches!(check(&finance, action), Err(ServiceError::NotFound(_))));
        }
    }

    #[test]
    fn a_step_is_signed_only_by_a_member_holding_its_role_even_against_admins() {
        let auditor = person(None, &[("own", &["auditor"])]);
        let auditee = person(None, &[("own", &["auditee"])]);
        assert!(check(&auditor, Action::SignOff("own", "auditor")).is_ok());
        assert!(matches!(
            check(&auditee, Action::SignOff("own", "auditor")),
            Err(ServiceError::Forbidden(_))
        ));
        assert!(matches!(
            check(&auditor, Action::SignOff("other", "auditor")),
            Err(ServiceError::NotFound(_))
        ));
        let admin = person(Some(StaffRole::Admin), &[]);
        assert!(matches!(check(&admin, Action::SignOff("own", "auditor")), Err(ServiceError::Forbidden(_))));
    }

    #[test]
    fn reviewers_review_and_reopen_and_members_and_analysts_do_not() {
        let reviewer = person(Some(StaffRole::Reviewer), &[]);
        let analyst = person(Some(StaffRole::Analyst), &[]);
        let member = person(None, &[("own", &["editor"])]);
        for action in [Action::Review, Action::Reopen] {
            assert!(check(&reviewer, action).is_ok());
            assert!(matches!(check(&analyst, action), Err(ServiceError::Forbidden(_))));
            assert!(matches!(check(&member, action), Err(ServiceError::Forbidden(_))));
            assert!(check(&person(Some(StaffRole::Admin), &[]), action).is_ok());
        }
        assert!(matches!(check(&reviewer, Action::MoveAllDrafts), Err(ServiceError::Forbidden(_))));
        assert!(check(&member, Action::MoveSubmission("own", &[])).is_ok());
        assert!(matches!(
            check(&member, Action::MoveSubmission("other", &[])),
            Err(ServiceError::NotFound(_))
        ));
    }

    #[test]
    fn members_list_only_their_own_organisations_and_the_staff_every_one() {
        let member = person(None, &[("own", &["editor"]), ("second", &["editor"])]);
        assert_eq!(
            visible_organisations(&member, None).ok(),
            Some(Some(vec!["own".into(), "second".into()]))
        );
        assert_eq!(visible_organisations(&member, Some("own")).ok(), Some(Some(vec!["own".into()])));
        assert_eq!(visible_organisations(&member, Some("other")).ok(), Some(Some(Vec::new())));
        let nobody = person(None, &[]);
        assert_eq!(visible_organisations(&nobody, None).ok(), Some(Some(Vec::new())));
        for staff in StaffRole::ALL {
            let staff = person(Some(staff), &[]);
            assert_eq!(visible_organisations(&staff, None).ok(), Some(None));
            assert_eq!(visible_organisations(&staff, Some("other")).ok(), Some(Some(vec!["other".into()])));
        }
        assert!(matches!(visible_organisations(&Actor::Anonymous, None), Err(ServiceError::SignInRequired)));
    }

    #[test]
    fn signed_out_people_must_sign_in() {
        assert!(matches!(check(&Actor::Anonymous, Action::UseAccount), Err(ServiceError::SignInRequired)));
        assert!(check(&Actor::System, Action::PublishCollections).is_ok());
    }
}
