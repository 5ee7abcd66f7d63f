//! The authorisation matrix: every route (every page and every API operation) × every kind of
//! person × their own organisation and another one, on SQLite and PostgreSQL. Each case gets
//! fresh resources of its own (a new member to remove, a new invitation to withdraw…), so an
//! allowed action really succeeds and a denied one is refused for the right reason. Every
//! denied request is sent first, and the data is compared before and after: nothing changed.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::atomic::{AtomicUsize, Ordering};

use formwork_service::organisations::add_member;
use formwork_service::people::{NewPerson, create as create_person};
use formwork_service::{Actor, accounts, invitations};
use formwork_store::Backend;
use reqwest::Method;
use serde_json::{Value, json};

use crate::support::{Client, Reply, TestApp};

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Who {
    Anonymous,
    /// Signed in, in no organisation, not staff.
    Nobody,
    /// An editor at northshire.
    Member,
    /// northshire's organisation admin.
    OrgAdmin,
    /// southvale's organisation admin.
    OtherOrgAdmin,
    Reviewer,
    Analyst,
    Admin,
    /// northshire's other organisation admin, disabled after a session and a token were made:
    /// both must count for nothing.
    Disabled,
}

const EVERYONE: [Who; 9] = [
    Who::Anonymous,
    Who::Disabled,
    Who::Nobody,
    Who::Member,
    Who::OrgAdmin,
    Who::OtherOrgAdmin,
    Who::Reviewer,
    Who::Analyst,
    Who::Admin,
];

impl Who {
    fn email(self) -> Option<&'static str> {
        match self {
            Who::Anonymous => None,
            Who::Nobody => Some("nobody@none.test"),
            Who::Member => Some("editor@northshire.test"),
            Who::OrgAdmin => Some("org-admin@northshire.test"),
            Who::OtherOrgAdmin => Some("org-admin@southvale.test"),
            Who::Reviewer => Some("reviewer@staff.test"),
            Who::Analyst => Some("analyst@staff.test"),
            Who::Admin => Some("admin@staff.test"),
            Who::Disabled => Some("disabled@northshire.test"),
        }
    }
    fn member_of(self, org: &str) -> bool {
        matches!((self, org), (Who::Member | Who::OrgAdmin, "northshire") | (Who::OtherOrgAdmin, "southvale"))
    }
    fn admin_of(self, org: &str) -> bool {
        matches!((self, org), (Who::OrgAdmin, "northshire") | (Who::OtherOrgAdmin, "southvale"))
    }
    fn staff(self) -> bool {
        matches!(self, Who::Reviewer | Who::Analyst | Who::Admin)
    }
    fn in_an_organisation(self) -> bool {
        self.member_of("northshire") || self.member_of("southvale")
    }
}

/// Who asked for each export the matrix prepares as a file: a northshire editor, so that even
/// their own organisation's admin and the service admins find it is not there.
const REQUESTER: Who = Who::Member;

/// Who may use a route.
#[derive(Clone, Copy, Debug)]
enum Rule {
    /// Anyone, signed in or not.
    Public,
    /// Anyone signed in.
    SignedIn,
    /// Staff, and members of the organisation.
    SeeOrganisation,
    /// Staff, and the organisation's admins (its other members: forbidden).
    SeeMembers,
    /// Service admins, and the organisation's admins.
    ManageMembers,
    /// Service admins; staff and the organisation's members are forbidden.
    EditOrganisation,
    /// Service admins only; everyone else signed in is forbidden.
    ServiceAdmin,
    /// Staff, and members of organisations assigned to the collection (`single-audit`: northshire).
    SeeCollection,
    /// A link that is its own key (invitations, password resets): the same status for everyone.
    Same(u16),
    /// Accepting an invitation meant for someone else: signed out, the page asks for an account
    /// (422 with an empty form); signed in, it is refused (403).
    OthersInvitation,
    /// The same through the API: signed out, sign in first; signed in, refused.
    OthersInvitationApi,
    /// Starting a return: the organisation's members and service admins; other staff are
    /// forbidden, and to anyone else the organisation does not exist (422: it is named in the
    /// body, not the path).
    StartReturn,
    /// Changing a return's editor sections: the organisation's editors and service admins; its
    /// other members and other staff are forbidden; anyone else is told it does not exist. The
    /// records of the matrix's log are changed by the same people (its one role is `editor`).
    EditReturn,
    /// Adding a record through the API: the organisation's editors and service admins; its other
    /// members and other staff are forbidden; to anyone else the organisation does not exist (422:
    /// it is named in the body, not the path).
    AddRecord,
    /// Confirming the spend warning: finance (nobody in the matrix) and service admins; the
    /// organisation's other members and other staff are forbidden.
    EditFinance,
    /// A step in a return's life through the API. The matrix's return is in progress, so whoever
    /// the gate lets through is refused for the return's state (409): the steps themselves are
    /// tested in `lifecycle_api`; here, who gets that far.
    Step(Gate),
    /// The staff (the review queue); everyone else signed in is forbidden.
    Staff,
    /// An upload's original file, and checking a failed one again: service admins; the
    /// organisation's members and other staff are forbidden; anyone else is told it does not exist.
    ManageUploads,
    /// Exporting the matrix's collection (`single-audit`, northshire's): the staff, and members of
    /// organisations assigned to it (only their rows: `exports` tests that); someone in no
    /// organisation is forbidden; anyone else is told the collection does not exist.
    Export,
    /// An export prepared as a file: only the person who asked ([`REQUESTER`]); to everyone else,
    /// service admins included, it does not exist.
    Requester,
}

/// Who gets as far as a return's state in a step of its life.
#[derive(Clone, Copy, Debug)]
enum Gate {
    /// Signing off: whoever may see the return (the step's role is checked once it is ready);
    /// anyone else is told it does not exist.
    SeeReturn,
    /// Submitting or moving it: as [`Rule::EditReturn`].
    EditReturn,
    /// Reviewing or reopening it: staff reviewers and service admins; the organisation's members
    /// and other staff are forbidden; anyone else is told it does not exist.
    Review,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Expect {
    Allowed,
    SignIn,
    Forbidden,
    Hidden,
    Status(u16),
}

fn expect(rule: Rule, who: Who, org: &str) -> Expect {
    use Expect::*;
    if who == Who::Disabled {
        return expect(rule, Who::Anonymous, org);
    }
    if let Rule::Same(status) = rule {
        return Status(status);
    }
    match rule {
        Rule::OthersInvitation => return if who == Who::Anonymous { Status(422) } else { Forbidden },
        Rule::OthersInvitationApi => return if who == Who::Anonymous { SignIn } else { Forbidden },
        _ => {}
    }
    if matches!(rule, Rule::Public) {
        return Allowed;
    }
    if who == Who::Anonymous {
        return SignIn;
    }
    if let Rule::Requester = rule {
        return if who == REQUESTER { Allowed } else { Hidden };
    }
    if let Rule::Step(gate) = rule {
        let through = match gate {
            Gate::SeeReturn => who.staff() || who.member_of(org),
            Gate::EditReturn => who == Who::Admin || who.member_of(org) && !who.admin_of(org),
            Gate::Review => matches!(who, Who::Reviewer | Who::Admin),
        };
        return match gate {
            _ if through => Status(409),
            Gate::EditReturn | Gate::Review if !(who.staff() || who.member_of(org)) => Hidden,
            Gate::SeeReturn => Hidden,
            Gate::EditReturn | Gate::Review => Forbidden,
        };
    }
    if who == Who::Admin {
        return Allowed;
    }
    // Returns are the organisation's: other staff read them but never change them.
    match rule {
        Rule::StartReturn if who.member_of(org) => return Allowed,
        Rule::StartReturn if who.staff() => return Forbidden,
        Rule::StartReturn => return Status(422),
        Rule::EditReturn if who.member_of(org) && !who.admin_of(org) => return Allowed,
        Rule::EditReturn | Rule::EditFinance if who.staff() || who.member_of(org) => return Forbidden,
        Rule::EditReturn | Rule::EditFinance => return Hidden,
        Rule::AddRecord if who.member_of(org) && !who.admin_of(org) => return Allowed,
        Rule::AddRecord if who.staff() || who.member_of(org) => return Forbidden,
        Rule::AddRecord => return Status(422),
        Rule::ManageUploads if who.staff() || who.member_of(org) => return Forbidden,
        Rule::ManageUploads => return Hidden,
        _ => {}
    }
    match rule {
        Rule::SignedIn => Allowed,
        Rule::SeeOrganisation => {
            if who.staff() || who.member_of(org) {
                Allowed
            } else {
                Hidden
            }
        }
        Rule::SeeMembers => {
            if who.staff() || who.admin_of(org) {
                Allowed
            } else if who.member_of(org) {
                Forbidden
            } else {
                Hidden
            }
        }
        Rule::ManageMembers => {
            if who.admin_of(org) {
                Allowed
            } else if who.staff() || who.member_of(org) {
                Forbidden
            } else {
                Hidden
            }
        }
        Rule::EditOrganisation => {
            if who.staff() || who.member_of(org) {
                Forbidden
            } else {
                Hidden
            }
        }
        Rule::ServiceAdmin => Forbidden,
        Rule::Staff => {
            if who.staff() {
                Allowed
            } else {
                Forbidden
            }
        }
        Rule::SeeCollection => {
            if who.staff() || who.member_of("northshire") {
                Allowed
            } else {
                Hidden
            }
        }
        Rule::Export => {
            if who.staff() || who.member_of("northshire") {
                Allowed
            } else if who.in_an_organisation() {
                Hidden
            } else {
                Forbidden
            }
        }
        Rule::Public
        | Rule::Same(_)
        | Rule::OthersInvitation
        | Rule::OthersInvitationApi
        | Rule::StartReturn
        | Rule::EditReturn
        | Rule::EditFinance
        | Rule::AddRecord
        | Rule::ManageUploads
        | Rule::Requester
        | Rule::Step(_) => Allowed,
    }
}

/// Every route: method, path as routed, whether it is about one organisation, and its rule.
fn routes() -> Vec<(Method, &'static str, bool, Rule)> {
    use Rule::*;
    let m = |s: &str| Method::from_bytes(s.as_bytes()).unwrap();
    [
        ("GET", "/", false, Public),
        ("GET", "/cookies", false, Public),
        ("GET", "/accessibility", false, Public),
        ("GET", "/healthz", false, Public),
        ("GET", "/readyz", false, Public),
        ("GET", "/metrics", false, Same(401)),
        ("GET", "/assets/{*path}", false, Public),
        ("GET", "/favicon.ico", false, Public),
        ("GET", "/sign-in", false, Public),
        ("POST", "/sign-in", false, Same(422)),
        ("POST", "/sign-out", false, Public),
        ("GET", "/sign-in/oidc", false, Same(303)),
        ("GET", "/sign-in/oidc/callback", false, Same(400)),
        ("GET", "/forgot-password", false, Public),
        ("POST", "/forgot-password", false, Public),
        ("GET", "/reset-password/{token}", false, Same(200)),
        ("POST", "/reset-password/{token}", false, Same(422)),
        ("GET", "/invitations/{token}", false, Same(200)),
        ("POST", "/invitations/{token}", false, OthersInvitation),
        ("GET", "/account", false, SignedIn),
        ("POST", "/account/name", false, SignedIn),
        ("POST", "/account/password", false, SignedIn),
        ("POST", "/account/tokens", false, SignedIn),
        ("POST", "/account/tokens/{id}/revoke", false, SignedIn),
        ("GET", "/organisations", false, SignedIn),
        ("POST", "/organisations", false, ServiceAdmin),
        ("GET", "/organisations/new", false, ServiceAdmin),
        ("GET", "/organisations/{slug}", true, SeeOrganisation),
        ("GET", "/organisations/{slug}/edit", true, EditOrganisation),
        ("POST", "/organisations/{slug}/edit", true, EditOrganisation),
        ("GET", "/organisations/{slug}/invitations/new", true, ManageMembers),
        ("POST", "/organisations/{slug}/invitations", true, ManageMembers),
        ("POST", "/organisations/{slug}/invitations/{id}/withdraw", true, ManageMembers),
        ("GET", "/organisations/{slug}/members/{user_id}", true, ManageMembers),
        ("POST", "/organisations/{slug}/members/{user_id}", true, ManageMembers),
        ("POST", "/organisations/{slug}/members/{user_id}/remove", true, ManageMembers),
        ("GET", "/people", false, ServiceAdmin),
        ("POST", "/people", false, ServiceAdmin),
        ("GET", "/people/new", false, ServiceAdmin),
        ("GET", "/people/invitations/new", false, ServiceAdmin),
        ("POST", "/people/invitations", false, ServiceAdmin),
        ("POST", "/people/invitations/{id}/withdraw", false, ServiceAdmin),
        ("GET", "/people/{id}", false, ServiceAdmin),
        ("POST", "/people/{id}", false, ServiceAdmin),
        ("GET", "/collections", false, SignedIn),
        ("GET", "/collections/publish", false, ServiceAdmin),
        ("POST", "/collections/publish", false, ServiceAdmin),
        ("GET", "/collections/{slug}", false, SeeCollection),
        ("GET", "/collections/{slug}/versions/{version}", false, SeeCollection),
        ("POST", "/collections/{slug}/organisations", false, ServiceAdmin),
        ("POST", "/collections/{slug}/organisations/{organisation}/remove", false, ServiceAdmin),
        ("GET", "/returns", false, SignedIn),
        ("POST", "/returns", true, StartReturn),
        ("GET", "/returns/{id}", true, SeeOrganisation),
        ("GET", "/returns/{id}/check", true, SeeOrganisation),
        ("GET", "/returns/{id}/history", true, SeeOrganisation),
        ("POST", "/returns/{id}/warnings", true, EditFinance),
        ("GET", "/returns/{id}/sections/{section}", true, SeeOrganisation),
        ("POST", "/returns/{id}/sections/{section}", true, EditReturn),
        ("GET", "/returns/{id}/sections/{section}/check", true, SeeOrganisation),
        // A table section's rows (projects: the editors'), its upload, and a file question.
        ("POST", "/returns/{id}/sections/{section}/complete", true, EditReturn),
        ("GET", "/returns/{id}/sections/{section}/rows/new", true, EditReturn),
        ("POST", "/returns/{id}/sections/{section}/rows/new", true, EditReturn),
        ("GET", "/returns/{id}/sections/{section}/rows/{index}", true, SeeOrganisation),
        ("POST", "/returns/{id}/sections/{section}/rows/{index}", true, EditReturn),
        ("GET", "/returns/{id}/sections/{section}/rows/{index}/remove", true, EditReturn),
        ("POST", "/returns/{id}/sections/{section}/rows/{index}/remove", true, EditReturn),
        ("POST", "/returns/{id}/sections/{section}/upload", true, EditReturn),
        ("GET", "/returns/{id}/files/{question}", true, SeeOrganisation),
        ("POST", "/returns/{id}/files/{question}", true, EditReturn),
        ("GET", "/returns/{id}/files/{question}/remove", true, EditReturn),
        ("POST", "/returns/{id}/files/{question}/remove", true, EditReturn),
        ("GET", "/returns/{id}/attachments/{attachment}", true, SeeOrganisation),
        // A return's life after it is filled in: each page says what the person may do now, and
        // each step is refused as through the API (the matrix's return is in progress).
        ("GET", "/returns/{id}/sign-off", true, SeeOrganisation),
        ("POST", "/returns/{id}/sign-off", true, Step(Gate::SeeReturn)),
        ("POST", "/returns/{id}/submit", true, Step(Gate::EditReturn)),
        ("GET", "/returns/{id}/submitted", true, SeeOrganisation),
        ("GET", "/returns/{id}/return", true, SeeOrganisation),
        ("POST", "/returns/{id}/return", true, Step(Gate::Review)),
        ("GET", "/returns/{id}/accept", true, SeeOrganisation),
        ("POST", "/returns/{id}/accept", true, Step(Gate::Review)),
        ("GET", "/returns/{id}/reopen", true, SeeOrganisation),
        ("POST", "/returns/{id}/reopen", true, Step(Gate::Review)),
        ("GET", "/returns/{id}/move", true, SeeOrganisation),
        ("POST", "/returns/{id}/move", true, Step(Gate::EditReturn)),
        ("GET", "/returns/{id}/moved", true, SeeOrganisation),
        ("POST", "/collections/{slug}/move-drafts", false, ServiceAdmin),
        ("GET", "/review", false, Staff),
        ("GET", "/review/{id}", true, SeeOrganisation),
        // Anyone signed in searches what they may see (the staff everything, members their own).
        ("GET", "/search/returns", false, SignedIn),
        ("GET", "/search/records", false, SignedIn),
        ("GET", "/jobs", false, ServiceAdmin),
        ("POST", "/jobs/{id}/retry", false, ServiceAdmin),
        // A log's records (the matrix's log, whose one role is `editor`).
        ("GET", "/organisations/{slug}/records/{collection}", true, SeeOrganisation),
        ("POST", "/organisations/{slug}/records/{collection}", true, EditReturn),
        ("GET", "/records/{id}", true, SeeOrganisation),
        ("GET", "/records/{id}/history", true, SeeOrganisation),
        ("POST", "/records/{id}/warnings", true, EditReturn),
        ("GET", "/records/{id}/sections/{section}", true, SeeOrganisation),
        ("POST", "/records/{id}/sections/{section}", true, EditReturn),
        ("GET", "/records/{id}/delete", true, EditReturn),
        ("POST", "/records/{id}/delete", true, EditReturn),
        // Uploads of the matrix's log (its editors upload and confirm), each of the organisation's.
        ("GET", "/organisations/{slug}/uploads", true, SeeOrganisation),
        ("POST", "/organisations/{slug}/uploads", true, EditReturn),
        ("GET", "/organisations/{slug}/uploads/new", true, EditReturn),
        ("GET", "/uploads/{id}", true, SeeOrganisation),
        ("GET", "/uploads/{id}/annotated", true, SeeOrganisation),
        ("GET", "/uploads/{id}/original", true, ManageUploads),
        ("POST", "/uploads/{id}/confirm", true, EditReturn),
        ("POST", "/uploads/{id}/rerun", true, ManageUploads),
        // Exports of the matrix's collection, streamed or prepared as files (each its requester's
        // alone), and the scheduled exports (the service admins').
        ("GET", "/exports", false, SignedIn),
        ("POST", "/exports", false, Export),
        ("GET", "/exports/{file}", false, Export),
        ("GET", "/exports/jobs/{id}", false, Requester),
        ("GET", "/exports/jobs/{id}/download", false, Requester),
        ("GET", "/exports/scheduled", false, ServiceAdmin),
        ("POST", "/exports/scheduled", false, ServiceAdmin),
        ("POST", "/exports/scheduled/{id}/run", false, ServiceAdmin),
        ("POST", "/exports/scheduled/{id}/remove", false, ServiceAdmin),
        ("GET", "/api/v1/docs", false, Public),
        ("GET", "/api/v1/openapi.json", false, Public),
        ("GET", "/api/v1/me", false, SignedIn),
        ("GET", "/api/v1/tokens", false, SignedIn),
        ("POST", "/api/v1/tokens", false, SignedIn),
        ("DELETE", "/api/v1/tokens/{id}", false, SignedIn),
        ("GET", "/api/v1/organisations", false, SignedIn),
        ("POST", "/api/v1/organisations", false, ServiceAdmin),
        ("GET", "/api/v1/organisations/{slug}", true, SeeOrganisation),
        ("PATCH", "/api/v1/organisations/{slug}", true, EditOrganisation),
        ("GET", "/api/v1/organisations/{slug}/members", true, SeeMembers),
        ("POST", "/api/v1/organisations/{slug}/members", true, ManageMembers),
        ("PUT", "/api/v1/organisations/{slug}/members/{user_id}", true, ManageMembers),
        ("DELETE", "/api/v1/organisations/{slug}/members/{user_id}", true, ManageMembers),
        ("GET", "/api/v1/organisations/{slug}/invitations", true, SeeMembers),
        ("POST", "/api/v1/organisations/{slug}/invitations", true, ManageMembers),
        ("DELETE", "/api/v1/organisations/{slug}/invitations/{id}", true, ManageMembers),
        ("GET", "/api/v1/people", false, ServiceAdmin),
        ("POST", "/api/v1/people", false, ServiceAdmin),
        ("GET", "/api/v1/people/{id}", false, ServiceAdmin),
        ("PATCH", "/api/v1/people/{id}", false, ServiceAdmin),
        ("GET", "/api/v1/invitations", false, ServiceAdmin),
        ("POST", "/api/v1/invitations", false, ServiceAdmin),
        ("DELETE", "/api/v1/invitations/{id}", false, ServiceAdmin),
        ("POST", "/api/v1/invitations/accept", false, OthersInvitationApi),
        ("GET", "/api/v1/collections", false, SignedIn),
        ("POST", "/api/v1/collections", false, ServiceAdmin),
        ("GET", "/api/v1/collections/{slug}", false, SeeCollection),
        ("GET", "/api/v1/collections/{slug}/versions/{version}", false, SeeCollection),
        ("GET", "/api/v1/collections/{slug}/template.xlsx", false, SeeCollection),
        ("GET", "/api/v1/collections/{slug}/template.csv", false, SeeCollection),
        ("GET", "/api/v1/collections/{slug}/organisations", false, SeeCollection),
        ("PUT", "/api/v1/collections/{slug}/organisations/{organisation}", false, ServiceAdmin),
        ("DELETE", "/api/v1/collections/{slug}/organisations/{organisation}", false, ServiceAdmin),
        ("GET", "/api/v1/submissions", false, SignedIn),
        ("POST", "/api/v1/submissions", true, StartReturn),
        ("GET", "/api/v1/submissions/{id}", true, SeeOrganisation),
        ("PATCH", "/api/v1/submissions/{id}", true, EditReturn),
        ("POST", "/api/v1/submissions/{id}/attachments", true, EditReturn),
        ("GET", "/api/v1/submissions/{id}/attachments/{attachment}", true, SeeOrganisation),
        ("DELETE", "/api/v1/submissions/{id}/attachments/{attachment}", true, EditReturn),
        ("POST", "/api/v1/submissions/{id}/tables/{table}", true, EditReturn),
        ("GET", "/api/v1/submissions/{id}/tables/{table}/reports/{report}", true, SeeOrganisation),
        ("POST", "/api/v1/submissions/{id}/warnings", true, EditFinance),
        ("GET", "/api/v1/submissions/{id}/history", true, SeeOrganisation),
        ("GET", "/api/v1/submissions/counts", false, SignedIn),
        ("POST", "/api/v1/submissions/{id}/sign-off", true, Step(Gate::SeeReturn)),
        ("POST", "/api/v1/submissions/{id}/submit", true, Step(Gate::EditReturn)),
        ("POST", "/api/v1/submissions/{id}/return", true, Step(Gate::Review)),
        ("POST", "/api/v1/submissions/{id}/accept", true, Step(Gate::Review)),
        ("POST", "/api/v1/submissions/{id}/reopen", true, Step(Gate::Review)),
        ("POST", "/api/v1/submissions/{id}/move", true, Step(Gate::EditReturn)),
        ("GET", "/api/v1/records", false, SignedIn),
        ("POST", "/api/v1/records", true, AddRecord),
        ("GET", "/api/v1/records/{id}", true, SeeOrganisation),
        ("PATCH", "/api/v1/records/{id}", true, EditReturn),
        ("DELETE", "/api/v1/records/{id}", true, EditReturn),
        ("POST", "/api/v1/records/{id}/warnings", true, EditReturn),
        ("GET", "/api/v1/records/{id}/history", true, SeeOrganisation),
        ("GET", "/api/v1/search/submissions", false, SignedIn),
        ("GET", "/api/v1/search/records", false, SignedIn),
        ("GET", "/api/v1/uploads", false, SignedIn),
        ("POST", "/api/v1/uploads", true, AddRecord),
        ("GET", "/api/v1/uploads/{id}", true, SeeOrganisation),
        ("POST", "/api/v1/uploads/{id}/confirm", true, EditReturn),
        ("POST", "/api/v1/uploads/{id}/rerun", true, ManageUploads),
        ("GET", "/api/v1/uploads/{id}/annotated.xlsx", true, SeeOrganisation),
        ("GET", "/api/v1/uploads/{id}/original", true, ManageUploads),
        ("GET", "/api/v1/jobs", false, ServiceAdmin),
        ("POST", "/api/v1/jobs/{id}/retry", false, ServiceAdmin),
        ("GET", "/api/v1/exports/{file}", false, Export),
        ("POST", "/api/v1/exports", false, Export),
        ("GET", "/api/v1/exports/jobs", false, SignedIn),
        ("GET", "/api/v1/exports/jobs/{id}", false, Requester),
        ("GET", "/api/v1/exports/jobs/{id}/file", false, Requester),
        ("GET", "/api/v1/scheduled-exports", false, ServiceAdmin),
        ("POST", "/api/v1/scheduled-exports", false, ServiceAdmin),
        ("DELETE", "/api/v1/scheduled-exports/{id}", false, ServiceAdmin),
        ("POST", "/api/v1/scheduled-exports/{id}/run", false, ServiceAdmin),
    ]
    .into_iter()
    .map(|(method, path, per_org, rule)| (m(method), path, per_org, rule))
    .collect()
}

#[test]
fn the_matrix_covers_every_route_the_service_has() {
    let ours: BTreeSet<(String, String)> =
        routes().into_iter().map(|(m, p, _, _)| (m.to_string(), p.to_string())).collect();
    let mut served: BTreeSet<(String, String)> =
        formwork_web::pages().into_iter().map(|(m, p)| (m.to_string(), p.to_string())).collect();
    let openapi = serde_json::to_value(formwork_web::openapi()).unwrap();
    for (path, item) in openapi["paths"].as_object().unwrap() {
        for method in ["get", "post", "put", "patch", "delete"] {
            if !item[method].is_null() {
                served.insert((method.to_uppercase(), path.clone()));
            }
        }
    }
    let missing: Vec<_> = served.difference(&ours).collect();
    let stale: Vec<_> = ours.difference(&served).collect();
    assert!(missing.is_empty(), "routes with no row in the authorisation matrix: {missing:?}");
    assert!(stale.is_empty(), "matrix rows for routes that do not exist: {stale:?}");
}

/// A minimal definition, published under a fresh slug.
fn definition(slug: &str) -> String {
    format!(
        "formwork: 1\ncollection: {slug}\nversion: 1\ntitle: Matrix {slug}\nkind: return\nschedule:\n  frequency: annual\n  start: 2026-04-01\n  due: 30d\nsections:\n  - id: about\n    title: About\n    questions:\n      - id: name\n        label: Name\n        type: text\n"
    )
}

struct Matrix<'a> {
    app: &'a TestApp,
    users: BTreeMap<Who, String>,
    tokens: BTreeMap<Who, String>,
    n: AtomicUsize,
    /// Each organisation's towns-fund return, made by [`returns`].
    returns: BTreeMap<&'static str, Return>,
    /// Each organisation's record of the matrix's log, made by [`records`].
    records: BTreeMap<&'static str, MatrixRecord>,
    /// Each organisation's failed upload of the matrix's log, made by [`uploads`].
    uploads: BTreeMap<&'static str, String>,
}

/// An upload of the matrix's log for `org` as the system, checked: a file of one record, `Code`
/// and `Amount`, as given (`lots` is an error, 500 a warning).
async fn matrix_upload(app: &TestApp, org: &str, code: &str, amount: &str) -> String {
    use formwork_service::uploads::{NewFile, receive};
    let csv = format!("code,amount\r\n{code},{amount}\r\n");
    let chunk: Result<axum::body::Bytes, std::io::Error> = Ok(csv.into_bytes().into());
    let new = NewFile {
        collection: Some("matrix-log".into()),
        organisation: Some(org.into()),
        period: Some("2026-04-01".into()),
        submission: None,
        table: None,
        file_name: format!("{code}.csv"),
        body: futures_util::stream::iter([chunk]),
    };
    let id = receive(app.app(), app.state.files(), &Actor::System, new).await.unwrap().upload.id;
    app.run_jobs().await;
    id
}

/// Each organisation's upload of the matrix's log with an error (after [`records`]).
async fn uploads(app: &TestApp) -> BTreeMap<&'static str, String> {
    let mut out = BTreeMap::new();
    for org in ["northshire", "southvale"] {
        out.insert(org, matrix_upload(app, org, &format!("U-{org}"), "lots").await);
    }
    out
}

/// A record the matrix's requests work on, with a warning to confirm.
#[derive(Clone, Debug, Default)]
struct MatrixRecord {
    id: String,
    warning: String,
}

/// The matrix's log: one role, `editor`, which edits its one section; a warning to confirm.
const MATRIX_LOG: &str = "formwork: 1\ncollection: matrix-log\nversion: 1\ntitle: Matrix log\nkind: log\nschedule:\n  frequency: annual\n  start: 2026-04-01\n  due: 30d\nrecord_key: [code]\nroles:\n  editor: Records things\nsections:\n  - id: about\n    title: About\n    questions:\n      - id: code\n        label: Code\n        type: text\n      - id: amount\n        label: Amount\n        type: integer\n        rules:\n          - check: amount < 100\n            message: Amount is 100 or more\n            severity: warning\n";

/// A record of the matrix's log for `org`, as the system, with its warning to confirm.
async fn matrix_record(app: &TestApp, org: &str, code: &str) -> MatrixRecord {
    use formwork_service::records::{NewRecordInput, create};
    let answers = json!({"code": code, "amount": 500}).as_object().unwrap().clone();
    let new = NewRecordInput {
        collection: "matrix-log".into(),
        organisation: org.into(),
        period: Some("2026-04-01".into()),
        answers,
    };
    let view = create(app.app(), &Actor::System, new).await.unwrap();
    let warning = view.warnings.first().expect("the amount warning").key.clone();
    MatrixRecord { id: view.record.id, warning }
}

/// The matrix's log, kept by both organisations, with one record each.
async fn records(app: &TestApp) -> BTreeMap<&'static str, MatrixRecord> {
    let system = Actor::System;
    formwork_service::collections::publish(app.app(), &system, MATRIX_LOG.as_bytes()).await.unwrap();
    let mut out = BTreeMap::new();
    for org in ["northshire", "southvale"] {
        formwork_service::collections::assign(app.app(), &system, "matrix-log", org).await.unwrap();
        out.insert(org, matrix_record(app, org, &format!("M-{org}")).await);
    }
    out
}

/// A return the matrix's requests work on: started, with a spend warning to confirm, a file
/// attached and the report of an upload with errors.
#[derive(Clone, Debug, Default)]
struct Return {
    id: String,
    /// An editor's API token, to attach a file when the last one was removed.
    editor_token: String,
    warning: String,
    report: String,
}

/// A PDF as small as a PDF can be.
const PDF: &str = "%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n";
const BOUNDARY: &str = "matrix-boundary";
const MULTIPART: &str = "multipart/form-data; boundary=matrix-boundary";

/// A multipart body: the `question` field, then the `file`.
fn attachment_body(question: &str, name: &str, content: &str) -> String {
    format!(
        "--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"question\"\r\n\r\n{question}\r\n--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{name}\"\r\nContent-Type: application/pdf\r\n\r\n{content}\r\n--{BOUNDARY}--\r\n"
    )
}

/// One towns-fund return per organisation, through the service (as the system) and the API (as
/// the organisation's editor).
async fn returns(app: &TestApp) -> BTreeMap<&'static str, Return> {
    use formwork_service::submissions::{self, Edit};
    let mut out = BTreeMap::new();
    for org in ["northshire", "southvale"] {
        let system = Actor::System;
        let started =
            submissions::start(app.app(), &system, "towns-fund-monitoring", org, "2026-04-01").await.unwrap();
        let id = started.submission.id;
        let spend = json!({"spend": [{"project_id": "TF-ABC-01", "quarter": "Q1", "source": "tf", "amount": "6000000"}]});
        let edit = Edit::Section {
            section: "spend".into(),
            answers: spend.as_object().unwrap().clone(),
            complete: None,
        };
        let edited =
            submissions::edit(app.app(), &system, &id, started.submission.revision, edit).await.unwrap();
        let warning = edited.view.warnings.first().expect("the spend warning").key.clone();
        // Rows for the table pages to change and remove (each allowed removal takes one).
        let rows = (1..=3).map(|i| json!({"project_id": format!("TF-ABC-{i:02}"), "project_name": "Matrix", "theme": "regen", "rag": "green", "percent_complete": "50"})).collect();
        let edit = Edit::ReplaceTable { table: "projects".into(), rows, file_name: "matrix.csv".into() };
        submissions::edit(app.app(), &system, &id, edited.view.submission.revision, edit).await.unwrap();
        let editor_token = app.token(&format!("editor@{org}.test")).await;
        let auth = format!("Bearer {editor_token}");
        let client = app.client();
        let headers = [("authorization", auth.as_str())];
        let body = attachment_body("board_minutes", "minutes.pdf", PDF).into_bytes();
        let reply = client
            .send(
                Method::POST,
                &format!("/api/v1/submissions/{id}/attachments"),
                &headers,
                Some((body, MULTIPART)),
            )
            .await;
        assert_eq!(reply.status, 201, "{}", reply.text);
        let bad = b"project_id,project_name,theme,rag,percent_complete\nnot an id,,,,\n".to_vec();
        let reply = client
            .send(
                Method::POST,
                &format!("/api/v1/submissions/{id}/tables/projects"),
                &headers,
                Some((bad, "text/csv")),
            )
            .await;
        assert_eq!(reply.status, 422, "{}", reply.text);
        let link =
            reply.json()["report"]["annotated_workbook"].as_str().expect("an annotated workbook").to_string();
        let report = link.rsplit('/').next().unwrap().to_string();
        out.insert(org, Return { id, editor_token, warning, report });
    }
    out
}

/// The pages of a return's life after it is filled in, about the matrix's return.
const LIFECYCLE_PAGES: [&str; 9] = [
    "/returns/{id}/sign-off",
    "/returns/{id}/submit",
    "/returns/{id}/submitted",
    "/returns/{id}/return",
    "/returns/{id}/accept",
    "/returns/{id}/reopen",
    "/returns/{id}/move",
    "/returns/{id}/moved",
    "/review/{id}",
];

/// A project id for the `n`th request, like no other: `TF-MAB-07`.
fn matrix_project(n: usize) -> String {
    let letter = |i: usize| char::from(b'A' + u8::try_from(i % 26).unwrap());
    format!("TF-M{}{}-{:02}", letter(n / 100), letter(n / 2600), n % 100)
}

/// One request, ready to send.
struct Request {
    who: Who,
    org: &'static str,
    method: Method,
    route: &'static str,
    path: String,
    form: Vec<(String, String)>,
    json: Option<Value>,
    raw: Option<(String, &'static str)>,
    /// The record of the matrix's log the request is about, if any.
    record: Option<String>,
    expect: Expect,
}

impl Request {
    /// The return the request is about, if any.
    fn submission<'a>(&self, m: &'a Matrix<'_>) -> Option<&'a Return> {
        self.route.starts_with("/api/v1/submissions/{id}").then(|| m.returns.get(self.org)).flatten()
    }
}

impl Matrix<'_> {
    fn next(&self) -> usize {
        self.n.fetch_add(1, Ordering::SeqCst)
    }

    async fn fresh_person(&self) -> (String, String) {
        let n = self.next();
        let email = format!("fresh{n}@matrix.test");
        let user = create_person(
            self.app.app(),
            &Actor::System,
            &NewPerson { email: email.clone(), ..Default::default() },
        )
        .await
        .unwrap();
        (user.id, email)
    }

    async fn fresh_member(&self, org: &str) -> String {
        let (id, email) = self.fresh_person().await;
        add_member(self.app.app(), &Actor::System, org, &email, &["editor".to_string()]).await.unwrap();
        id
    }

    async fn fresh_invitation(&self, org: Option<&str>) -> (String, String) {
        let n = self.next();
        let email = format!("invitee{n}@matrix.test");
        let app = self.app.app();
        let invitation = match org {
            Some(org) => {
                invitations::invite_member(app, &Actor::System, org, &email, &["editor".to_string()])
                    .await
                    .unwrap()
            }
            None => invitations::invite_staff(app, &Actor::System, &email, "reviewer").await.unwrap(),
        };
        self.app.run_jobs().await;
        let token = self.app.link_in_last_email_to(&email).trim_start_matches("/invitations/").to_string();
        (invitation.id, token)
    }

    async fn fresh_reset(&self) -> String {
        let (_, email) = self.fresh_person().await;
        accounts::request_password_reset(self.app.app(), &email).await.unwrap();
        self.app.run_jobs().await;
        self.app.link_in_last_email_to(&email).trim_start_matches("/reset-password/").to_string()
    }

    async fn fresh_failed_job(&self) -> String {
        let mut conn = self.app.store().conn().await.unwrap();
        let id = formwork_store::jobs::enqueue(&mut conn, "no_such_job", &json!({}), 1, 0, 0).await.unwrap();
        drop(conn);
        self.app.run_jobs().await;
        id
    }

    /// An export of the matrix's collection prepared as a file for [`REQUESTER`], written.
    async fn fresh_export(&self) -> String {
        use formwork_service::exports::{ExportRequest, start_job};
        let email = REQUESTER.email().unwrap_or_default();
        let mut conn = self.app.store().conn().await.unwrap();
        let user = formwork_store::users::by_email(&mut conn, email).await.unwrap().unwrap();
        let actor = Actor::person(&mut conn, user).await.unwrap();
        drop(conn);
        let request =
            ExportRequest { collection: "single-audit".into(), format: "csv".into(), ..Default::default() };
        let job = start_job(self.app.app(), &actor, &request).await.unwrap();
        self.app.run_jobs().await;
        job.id
    }

    /// A scheduled export of the matrix's collection, never run.
    async fn fresh_feed(&self) -> String {
        let new = formwork_service::exports::NewFeed {
            collection: "single-audit".into(),
            format: "csv".into(),
            prefix: format!("matrix/feed-{}", self.next()),
            mode: None,
        };
        formwork_service::exports::add_feed(self.app.app(), &Actor::System, &new).await.unwrap().id
    }

    async fn fresh_token(&self, who: Who) -> String {
        match who.email() {
            Some(email) => {
                formwork_service::tokens::create_for(self.app.app(), &Actor::System, email, "fresh")
                    .await
                    .unwrap()
                    .0
                    .id
            }
            None => "no-token".into(),
        }
    }

    /// The path and body for one case, with fresh resources where the route needs them.
    async fn request(
        &self,
        method: &Method,
        route: &'static str,
        who: Who,
        org: &'static str,
        expect: Expect,
    ) -> Request {
        let n = self.next();
        let org_name =
            if org == "northshire" { "Northshire County Council" } else { "Southvale District Council" };
        let mut path = route.replace("{*path}", "manifest.json");
        let mut form: Vec<(String, String)> = Vec::new();
        let mut json = None;
        let mut raw = None;
        let mut record = None;
        let f = |pairs: &[(&str, &str)]| {
            pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect::<Vec<_>>()
        };
        let api = route.starts_with("/api/");
        if route.contains("/collections/{slug}/organisations") && *method != Method::GET {
            path = path.replace("{slug}", "lettings-log").replace("{organisation}", "southvale");
            form = f(&[("organisation", "southvale")]);
        } else if route.contains("/collections/{slug}") {
            path = path.replace("{slug}", "single-audit").replace("{version}", "1");
        }
        path = path.replace("{slug}", org);
        match (method.as_str(), route) {
            ("POST", "/sign-in") => {
                form = f(&[("email", &format!("someone{n}@matrix.test")), ("password", "wrong password")])
            }
            ("POST", "/forgot-password") => form = f(&[("email", &format!("someone{n}@matrix.test"))]),
            (_, r) if r.starts_with("/reset-password/") => {
                path = path.replace("{token}", &self.fresh_reset().await);
                form = f(&[("password", "short"), ("confirm_password", "short")]);
            }
            ("GET" | "POST", "/invitations/{token}") => {
                path = path.replace("{token}", &self.fresh_invitation(Some("northshire")).await.1)
            }
            ("POST", "/api/v1/invitations/accept") => {
                json = Some(json!({"token": self.fresh_invitation(Some("northshire")).await.1}))
            }
            ("POST", "/account/name") => form = f(&[("name", &format!("Matrix Name {n}"))]),
            ("POST", "/account/password") => {
                form = f(&[
                    ("current_password", "wrong"),
                    ("password", "a long passphrase"),
                    ("confirm_password", "a long passphrase"),
                ])
            }
            ("POST", "/account/tokens") => form = f(&[("token_name", "matrix")]),
            ("POST", "/api/v1/tokens") => json = Some(json!({"name": "matrix"})),
            (_, r) if r.contains("/tokens/{id}") => path = path.replace("{id}", &self.fresh_token(who).await),
            ("POST", "/organisations") => form = f(&[("name", &format!("Matrix Org {n}"))]),
            ("POST", "/api/v1/organisations") => json = Some(json!({"name": format!("Matrix Org {n}")})),
            ("POST", "/organisations/{slug}/edit") => form = f(&[("name", &format!("{org_name} {n}"))]),
            ("PATCH", "/api/v1/organisations/{slug}") => {
                json = Some(json!({"name": format!("{org_name} {n}")}))
            }
            ("POST", "/organisations/{slug}/invitations") => {
                form = f(&[("email", &format!("new{n}@matrix.test")), ("roles", "editor")])
            }
            ("POST", "/api/v1/organisations/{slug}/invitations") => {
                json = Some(json!({"email": format!("new{n}@matrix.test"), "roles": ["editor"]}))
            }
            (_, r)
                if r.starts_with("/organisations/{slug}/invitations/{id}")
                    || r.starts_with("/api/v1/organisations/{slug}/invitations/{id}") =>
            {
                path = path.replace("{id}", &self.fresh_invitation(Some(org)).await.0);
            }
            (_, r) if r.contains("/members/{user_id}") => {
                path = path.replace("{user_id}", &self.fresh_member(org).await);
                form = f(&[("roles", "certifier")]);
                if method == Method::PUT {
                    json = Some(json!({"roles": ["certifier"]}));
                }
            }
            ("POST", "/api/v1/organisations/{slug}/members") => {
                json = Some(json!({"email": self.fresh_person().await.1, "roles": ["editor"]}))
            }
            ("POST", "/people") => {
                form = f(&[("email", &format!("person{n}@matrix.test")), ("staff_role", "none")])
            }
            ("POST", "/api/v1/people") => json = Some(json!({"email": format!("person{n}@matrix.test")})),
            ("POST", "/people/invitations") => {
                form = f(&[("email", &format!("staff{n}@matrix.test")), ("staff_role", "reviewer")])
            }
            ("POST", "/api/v1/invitations") => {
                json = Some(json!({"email": format!("staff{n}@matrix.test"), "staff_role": "reviewer"}))
            }
            (_, "/people/invitations/{id}/withdraw" | "/api/v1/invitations/{id}") => {
                path = path.replace("{id}", &self.fresh_invitation(None).await.0)
            }
            (_, "/people/{id}" | "/api/v1/people/{id}") => {
                path = path.replace("{id}", &self.fresh_person().await.0);
                form = f(&[("name", "Renamed"), ("staff_role", "none")]);
                json = (method == Method::PATCH).then(|| json!({"name": "Renamed"}));
            }
            ("POST", "/collections/publish") => {
                form = f(&[("definition", &definition(&format!("matrix-{n}")))])
            }
            ("POST", "/api/v1/collections") => {
                raw = Some((definition(&format!("matrix-{n}")), "application/yaml"))
            }
            (_, r) if r.contains("/jobs/{id}/retry") => {
                path = path.replace("{id}", &self.fresh_failed_job().await)
            }
            ("POST", "/returns") => {
                form = f(&[
                    ("collection", "towns-fund-monitoring"),
                    ("organisation", org),
                    ("period", "2026-07-01"),
                ])
            }
            (
                _,
                r @ ("/returns/{id}"
                | "/returns/{id}/check"
                | "/returns/{id}/history"
                | "/returns/{id}/warnings"
                | "/returns/{id}/sections/{section}"
                | "/returns/{id}/sections/{section}/check"),
            ) => {
                let ret = self.returns.get(org).cloned().unwrap_or_default();
                path = path.replace("{id}", &ret.id).replace("{section}", "programme");
                match r {
                    "/returns/{id}/sections/{section}" => {
                        form = f(&[("programme_name", &format!("Matrix {n}")), ("action", "later")])
                    }
                    "/returns/{id}/warnings" => {
                        form = f(&[("key", &ret.warning), ("reason", "The matrix says so")])
                    }
                    _ => {}
                }
            }
            (_, r)
                if r.starts_with("/returns/{id}/sections/{section}/")
                    || r.starts_with("/returns/{id}/files/") =>
            {
                let ret = self.returns.get(org).cloned().unwrap_or_default();
                path = path
                    .replace("{id}", &ret.id)
                    .replace("{section}", "projects")
                    .replace("{index}", "0")
                    .replace("{report}", &ret.report)
                    .replace("{question}", "board_minutes");
                if *method == Method::POST && r.contains("/rows/") && !r.ends_with("/remove") {
                    form = f(&[
                        ("project_id", &matrix_project(n)),
                        ("project_name", &format!("Matrix {n}")),
                        ("theme", "transport"),
                        ("rag", "green"),
                        ("percent_complete", "50"),
                    ])
                } else if r.ends_with("/remove") {
                    form = f(&[("remove", "yes")])
                }
            }
            (_, r) if LIFECYCLE_PAGES.contains(&r) => {
                let ret = self.returns.get(org).cloned().unwrap_or_default();
                path = path.replace("{id}", &ret.id);
                form = match r {
                    "/returns/{id}/sign-off" => f(&[("step", "0"), ("confirm", "yes")]),
                    "/returns/{id}/return" => f(&[("comments.programme", "The matrix says so")]),
                    "/returns/{id}/reopen" => f(&[("reason", "The matrix says so")]),
                    _ => Vec::new(),
                };
            }
            ("GET", "/returns/{id}/attachments/{attachment}") => {
                path = path.replace("{id}", &self.returns.get(org).cloned().unwrap_or_default().id)
            }
            (_, r) if r.starts_with("/uploads/{id}") || r.starts_with("/api/v1/uploads/{id}") => {
                // Each allowed confirmation and re-run takes an upload: a fresh one for each.
                let id = if r.ends_with("/confirm") {
                    matrix_upload(self.app, org, &format!("W-{n}"), "500").await
                } else if r.ends_with("/rerun") {
                    matrix_upload(self.app, org, &format!("E-{n}"), "lots").await
                } else {
                    self.uploads.get(org).cloned().unwrap_or_default()
                };
                path = path.replace("{id}", &id);
                if r.ends_with("/confirm") {
                    if api {
                        json = Some(json!({"reason": "The matrix says so"}));
                    } else {
                        form = f(&[("reason", "The matrix says so")]);
                    }
                }
            }
            ("POST", "/api/v1/uploads") => {
                // A different file each time: the same one again would be recognised, not checked.
                path = format!(
                    "/api/v1/uploads?collection=matrix-log&organisation={org}&file_name=matrix-{n}.csv"
                );
                raw = Some((format!("code,amount\r\nP-{n},1\r\n"), "text/csv"));
            }
            (_, "/exports/{file}" | "/api/v1/exports/{file}") => {
                path = path.replace("{file}", "single-audit.csv")
            }
            ("POST", "/exports") => {
                form = f(&[("collection", "single-audit"), ("format", "csv"), ("query", "")])
            }
            ("POST", "/api/v1/exports") => {
                json = Some(json!({"collection": "single-audit", "format": "csv"}))
            }
            (_, r) if r.starts_with("/exports/jobs/{id}") || r.starts_with("/api/v1/exports/jobs/{id}") => {
                path = path.replace("{id}", &self.fresh_export().await)
            }
            ("POST", "/exports/scheduled") => {
                form = f(&[
                    ("collection", "single-audit"),
                    ("format", "csv"),
                    ("prefix", &format!("matrix/new-{n}")),
                    ("mode", "full"),
                ])
            }
            ("POST", "/api/v1/scheduled-exports") => {
                json = Some(
                    json!({"collection": "single-audit", "format": "csv", "prefix": format!("matrix/new-{n}")}),
                )
            }
            (_, r)
                if r.starts_with("/exports/scheduled/{id}")
                    || r.starts_with("/api/v1/scheduled-exports/{id}") =>
            {
                path = path.replace("{id}", &self.fresh_feed().await)
            }
            ("POST", "/organisations/{slug}/records/{collection}") => {
                path = path.replace("{collection}", "matrix-log");
                form = f(&[("period", "2026-04-01")]);
            }
            ("GET", "/organisations/{slug}/records/{collection}") => {
                path = path.replace("{collection}", "matrix-log")
            }
            ("POST", "/api/v1/records") => {
                json =
                    Some(json!({"collection": "matrix-log", "organisation": org, "answers": {"amount": 1}}))
            }
            (_, r) if r.starts_with("/records/{id}") || r.starts_with("/api/v1/records/{id}") => {
                // Each allowed deletion takes a record: a fresh one for each.
                let mine = if r.ends_with("/delete") || *method == Method::DELETE {
                    matrix_record(self.app, org, &format!("M-{n}")).await
                } else {
                    self.records.get(org).cloned().unwrap_or_default()
                };
                path = path.replace("{id}", &mine.id).replace("{section}", "about");
                record = Some(mine.id.clone());
                let amount = (200 + n).to_string();
                match (method.as_str(), r) {
                    ("POST", "/records/{id}/sections/{section}") => {
                        form = f(&[("code", &format!("M-{org}")), ("amount", &amount), ("action", "later")])
                    }
                    ("POST", "/records/{id}/warnings") => {
                        form = f(&[("key", &mine.warning), ("reason", "The matrix says so")])
                    }
                    ("POST", "/records/{id}/delete") => form = f(&[("delete", "yes")]),
                    ("PATCH", _) => json = Some(json!({"section": "about", "answers": {"amount": 200 + n}})),
                    ("POST", "/api/v1/records/{id}/warnings") => {
                        json = Some(json!({"key": mine.warning, "reason": "The matrix says so"}))
                    }
                    _ => {}
                }
            }
            ("POST", "/api/v1/submissions") => {
                json = Some(
                    json!({"collection": "towns-fund-monitoring", "organisation": org, "period": "2026-07-01"}),
                )
            }
            (_, r) if r.starts_with("/api/v1/submissions/{id}") => {
                let ret = self.returns.get(org).cloned().unwrap_or_default();
                path = path
                    .replace("{id}", &ret.id)
                    .replace("{table}", "projects")
                    .replace("{report}", &ret.report);
                match (method.as_str(), r) {
                    ("PATCH", _) => {
                        json = Some(
                            json!({"section": "programme", "answers": {"programme_name": format!("Matrix {n}")}}),
                        )
                    }
                    ("POST", "/api/v1/submissions/{id}/attachments") => {
                        raw = Some((
                            attachment_body("board_minutes", &format!("minutes-{n}.pdf"), PDF),
                            MULTIPART,
                        ))
                    }
                    ("POST", "/api/v1/submissions/{id}/tables/{table}") => {
                        let csv = format!(
                            "project_id,project_name,theme,rag,percent_complete,delay_reason\nTF-ABC-01,Matrix {n},transport,green,50,\n"
                        );
                        raw = Some((csv, "text/csv"))
                    }
                    ("POST", "/api/v1/submissions/{id}/warnings") => {
                        json = Some(json!({"key": ret.warning, "reason": "The matrix says so"}))
                    }
                    ("POST", "/api/v1/submissions/{id}/sign-off") => json = Some(json!({"confirm": true})),
                    ("POST", "/api/v1/submissions/{id}/return") => {
                        json = Some(json!({"comments": {"programme": "The matrix says so"}}))
                    }
                    ("POST", "/api/v1/submissions/{id}/reopen") => {
                        json = Some(json!({"reason": "The matrix says so"}))
                    }
                    _ => {}
                }
            }
            _ => {}
        }
        if api
            && json.is_none()
            && raw.is_none()
            && matches!(*method, Method::POST | Method::PUT | Method::PATCH)
        {
            json = Some(json!({}));
        }
        Request { who, org, method: method.clone(), route, path, form, json, raw, record, expect }
    }

    async fn client(&self, who: Who) -> Client {
        let client = self.app.client();
        if let Some(user) = self.users.get(&who) {
            let session = accounts::start_session(self.app.app(), user).await.unwrap();
            client.set_cookie("formwork_session", &session.token);
        }
        client
    }

    /// A return's revision now, and the file attached to it now (attaching one when there is none):
    /// what a request made earlier would be stale about.
    async fn now_of(&self, ret: &Return) -> (String, String) {
        use sqlx::Row;
        let pool = self.app.store().pool();
        let current = "SELECT id FROM attachments WHERE submission_id = $1 AND removed_at IS NULL";
        let mut attachment = sqlx::query(current).bind(&ret.id).fetch_optional(pool).await.unwrap();
        if attachment.is_none() {
            let auth = format!("Bearer {}", ret.editor_token);
            let body = attachment_body("board_minutes", "again.pdf", PDF).into_bytes();
            let path = format!("/api/v1/submissions/{}/attachments", ret.id);
            let reply = self
                .app
                .client()
                .send(Method::POST, &path, &[("authorization", &auth)], Some((body, MULTIPART)))
                .await;
            assert_eq!(reply.status, 201, "{}", reply.text);
            attachment = sqlx::query(current).bind(&ret.id).fetch_optional(pool).await.unwrap();
        }
        let revision = sqlx::query("SELECT revision FROM submissions WHERE id = $1")
            .bind(&ret.id)
            .fetch_one(pool)
            .await
            .unwrap()
            .try_get::<i64, _>("revision")
            .unwrap();
        (format!("\"{revision}\""), attachment.unwrap().try_get::<String, _>("id").unwrap())
    }

    /// The pages of a return's tables and files: forms carry the revision read now, a file is
    /// sent as a browser sends it (multipart, the CSRF token first), and a file to remove or
    /// download is the one attached now (attached again after an allowed removal).
    async fn send_table_or_file(&self, request: &Request, client: &Client) -> Option<Reply> {
        let route = request.route;
        let table_or_file = route.starts_with("/returns/{id}/sections/{section}/")
            || route.starts_with("/returns/{id}/files/")
            || route.starts_with("/returns/{id}/attachments/");
        if !table_or_file {
            return None;
        }
        let ret = self.returns.get(request.org).cloned().unwrap_or_default();
        let mut path = request.path.clone();
        if route.contains("/remove") && route.contains("/files/") || route.contains("{attachment}") {
            let (_, attachment) = self.now_of(&ret).await;
            path = path.replace("{attachment}", &attachment);
        }
        if request.method == Method::GET {
            return Some(client.get(&path).await);
        }
        let view = formwork_service::submissions::get(self.app.app(), &Actor::System, &ret.id).await.unwrap();
        let revision = view.submission.revision.to_string();
        let n = self.next();
        let file: Option<(String, Vec<u8>)> = match route {
            "/returns/{id}/sections/{section}/upload" => Some((
                "projects.csv".into(),
                format!("project_id,project_name,theme,rag,percent_complete,delay_reason\nTF-ABC-01,Matrix {n},transport,green,50,\n").into_bytes(),
            )),
            "/returns/{id}/files/{question}" => Some((format!("minutes-{n}.pdf"), PDF.as_bytes().to_vec())),
            _ => None,
        };
        if let Some((name, bytes)) = file {
            let token = client.csrf_from("/cookies").await;
            let mut body = format!(
                "--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"csrf_token\"\r\n\r\n{token}\r\n--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"revision\"\r\n\r\n{revision}\r\n--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{name}\"\r\nContent-Type: application/octet-stream\r\n\r\n"
            )
            .into_bytes();
            body.extend_from_slice(&bytes);
            body.extend_from_slice(format!("\r\n--{BOUNDARY}--\r\n").as_bytes());
            return Some(client.send(Method::POST, &path, &[], Some((body, MULTIPART))).await);
        }
        let mut fields: Vec<(&str, &str)> =
            request.form.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        fields.push(("revision", &revision));
        // "Have you completed this section?": the answer that changes it.
        let marked = view.section("projects").is_some_and(|s| s.marked_complete);
        if route.ends_with("/complete") {
            fields.push(("completed", if marked { "no" } else { "yes" }));
        }
        Some(client.form(&path, &fields).await)
    }

    async fn send(&self, request: &Request) -> Reply {
        if request.route.starts_with("/api/") && request.route != "/api/v1/docs" {
            // Programs: the bearer token alone, no cookies.
            let auth = self.tokens.get(&request.who).map(|token| format!("Bearer {token}"));
            let mut headers: Vec<(&str, &str)> = auth.iter().map(|a| ("authorization", a.as_str())).collect();
            let mut path = request.path.clone();
            let etag;
            if let Some(ret) = request.submission(self) {
                let (revision, attachment) = self.now_of(ret).await;
                etag = revision;
                path = path.replace("{attachment}", &attachment);
                // A change and every step of a return's life are made from the revision read.
                if request.method == Method::PATCH || is_step(request.route) {
                    headers.push(("if-match", etag.as_str()));
                }
            }
            let record_etag;
            if let Some(id) = &request.record
                && matches!(request.method, Method::PATCH | Method::DELETE)
            {
                // A record is changed or deleted from the revision read.
                record_etag = format!("\"{}\"", self.record_revision(id).await);
                headers.push(("if-match", record_etag.as_str()));
            }
            let body = match (&request.json, &request.raw) {
                (Some(value), _) => Some((value.to_string().into_bytes(), "application/json")),
                (None, Some((text, content_type))) => Some((text.clone().into_bytes(), *content_type)),
                (None, None) => None,
            };
            return self.app.client().send(request.method.clone(), &path, &headers, body).await;
        }
        let client = self.client(request.who).await;
        if let Some(reply) = self.send_table_or_file(request, &client).await {
            return reply;
        }
        if request.route == "/organisations/{slug}/uploads" && request.method == Method::POST {
            // A file of records, sent as a browser sends it: the CSRF token and the fields first.
            let token = client.csrf_from("/cookies").await;
            let n = self.next();
            let mut body = String::new();
            for (name, value) in
                [("csrf_token", token.as_str()), ("collection", "matrix-log"), ("period", "2026-04-01")]
            {
                body.push_str(&format!(
                    "--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n"
                ));
            }
            body.push_str(&format!(
                "--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"matrix-{n}.csv\"\r\nContent-Type: text/csv\r\n\r\ncode,amount\r\nP-{n},5\r\n\r\n--{BOUNDARY}--\r\n"
            ));
            return client.send(Method::POST, &request.path, &[], Some((body.into_bytes(), MULTIPART))).await;
        }
        if (matches!(request.route, "/returns/{id}/sections/{section}" | "/returns/{id}/warnings")
            || LIFECYCLE_PAGES.contains(&request.route))
            && request.method == Method::POST
        {
            // A return's form carries the revision it was read at: now's.
            let ret = self.returns.get(request.org).cloned().unwrap_or_default();
            let revision = formwork_service::submissions::get(self.app.app(), &Actor::System, &ret.id)
                .await
                .unwrap()
                .submission
                .revision
                .to_string();
            let mut fields: Vec<(&str, &str)> =
                request.form.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
            fields.push(("revision", &revision));
            return client.form(&request.path, &fields).await;
        }
        if let Some(id) = &request.record
            && request.method == Method::POST
        {
            // A record's forms carry the revision it was read at: now's.
            let revision = self.record_revision(id).await.to_string();
            let mut fields: Vec<(&str, &str)> =
                request.form.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
            fields.push(("revision", &revision));
            return client.form(&request.path, &fields).await;
        }
        if request.method == Method::GET {
            client.get(&request.path).await
        } else {
            let fields: Vec<(&str, &str)> =
                request.form.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
            client.form(&request.path, &fields).await
        }
    }

    /// A record's revision now.
    async fn record_revision(&self, id: &str) -> i64 {
        use sqlx::Row;
        sqlx::query("SELECT revision FROM records WHERE id = $1")
            .bind(id)
            .fetch_one(self.app.store().pool())
            .await
            .unwrap()
            .try_get::<i64, _>("revision")
            .unwrap()
    }
}

/// A step of a return's life through the API (`…/sign-off`, `…/accept`…).
fn is_step(route: &str) -> bool {
    ["sign-off", "submit", "return", "accept", "reopen", "move"]
        .iter()
        .any(|step| route.strip_prefix("/api/v1/submissions/{id}/") == Some(step))
}

/// The status an allowed request succeeds with: for the API, 200 to read or change, 201 to make,
/// 204 to remove; for pages, 200 to show and 303 (to the next page) after a form — but for the
/// routes named here.
fn success(method: &Method, route: &str, who: Who) -> u16 {
    match (method.as_str(), route) {
        // Someone signed in is sent on from the sign-in page.
        ("GET", "/sign-in") if !matches!(who, Who::Anonymous | Who::Disabled) => 303,
        // "Check your email", whether or not the address has an account.
        ("POST", "/forgot-password") => 200,
        // A new token's secret is shown once, on the page that made it.
        ("POST", "/account/tokens") => 201,
        // The matrix's wrong current password: refused, with the form again.
        ("POST", "/account/password") => 422,
        ("POST", "/api/v1/jobs/{id}/retry") => 204,
        // Adding someone by email sends them an invitation to accept.
        ("POST", "/api/v1/organisations/{slug}/members") => 202,
        // An upload is kept and checked by a job (so is a confirmed or re-run one).
        ("POST", "/api/v1/uploads" | "/api/v1/uploads/{id}/confirm" | "/api/v1/uploads/{id}/rerun") => 202,
        // A clean table upload replaces the rows of the return that exists.
        ("POST", "/api/v1/submissions/{id}/tables/{table}") => 200,
        // What moving every draft did, shown at once.
        ("POST", "/collections/{slug}/move-drafts") => 200,
        // An export prepared as a file is written by a job.
        ("POST", "/api/v1/exports") => 202,
        // A scheduled export run now answers with what it wrote.
        ("POST", "/api/v1/scheduled-exports/{id}/run") => 200,
        ("GET", _) => 200,
        ("POST", r) if r.starts_with("/api/") => 201,
        ("DELETE", _) => 204,
        ("PUT" | "PATCH", _) => 200,
        _ => 303,
    }
}

/// Allowed requests that change nothing the fingerprint sees, with why.
fn changes_nothing_seen(method: &Method, route: &str) -> bool {
    match (method.as_str(), route) {
        // Ends a session (sessions are not in the fingerprint: the matrix makes one per request).
        ("POST", "/sign-out") => true,
        // Refused on purpose (a wrong current password).
        ("POST", "/account/password") => true,
        // The matrix asks for unknown addresses: the same page, and no email (nothing tells
        // whether an account exists).
        ("POST", "/forgot-password") => true,
        // Only the first start of a period makes the return; the others open it.
        ("POST", "/api/v1/submissions") => true,
        ("POST", "/returns") => true,
        // The matrix's collections have one version each: there is no draft to move.
        ("POST", "/collections/{slug}/move-drafts") => true,
        (m, _) => m == "GET",
    }
}

fn judge(request: &Request, reply: &Reply) -> Result<(), String> {
    let status = reply.status;
    let api = request.route.starts_with("/api/") && request.route != "/api/v1/docs";
    let ok = match request.expect {
        // A second start of the same period opens the return the first made (200).
        Expect::Allowed if request.route == "/api/v1/submissions" && request.method == Method::POST => {
            matches!(status, 200 | 201)
        }
        Expect::Allowed => status == success(&request.method, request.route, request.who),
        Expect::SignIn => {
            if !api && request.method == Method::GET {
                status == 303 && reply.location().starts_with("/sign-in?return_to=")
            } else {
                status == 401
            }
        }
        Expect::Forbidden => status == 403,
        Expect::Hidden => status == 404,
        Expect::Status(s) => status == s,
    };
    // A refusal never shows the organisation's members or name to someone who may not see them.
    let leaked = matches!(request.expect, Expect::Hidden | Expect::SignIn)
        && request.org == "southvale"
        && (reply.text.contains("Southvale District Council")
            || reply.text.contains("editor@southvale.test"));
    if ok && !leaked {
        Ok(())
    } else {
        Err(format!(
            "{:?} {} {} (as {:?}, organisation {}): expected {:?}, got {} {}{}",
            request.method,
            request.path,
            request.route,
            request.who,
            request.org,
            request.expect,
            status,
            reply.location(),
            if leaked { " and it showed the other organisation's data" } else { "" }
        ))
    }
}

/// What the organisations, people, memberships, invitations, collections, jobs, returns,
/// records, uploads and exports are: it must not change while every refused request is sent.
async fn fingerprint(app: &TestApp) -> String {
    use sqlx::Row;
    let mut out = String::new();
    for query in [
        "SELECT id || slug || name || external_ids AS x FROM organisations ORDER BY id",
        "SELECT organisation_id || user_id || roles AS x FROM memberships ORDER BY organisation_id, user_id",
        "SELECT id || email || COALESCE(name, '') || COALESCE(staff_role, '') || disabled || COALESCE(password_hash, '') AS x FROM users ORDER BY id",
        "SELECT id || state || revision || COALESCE(accepted_at, 0) || COALESCE(revoked_at, 0) AS x FROM invitations ORDER BY id",
        "SELECT collection_slug || organisation_id AS x FROM assignments ORDER BY collection_slug, organisation_id",
        "SELECT collection_slug || version AS x FROM collection_versions ORDER BY collection_slug, version",
        "SELECT id || COALESCE(failed_at, 0) || attempts AS x FROM jobs ORDER BY id",
        "SELECT id || COALESCE(revoked_at, 0) AS x FROM api_tokens ORDER BY id",
        "SELECT id || revision || state AS x FROM submissions ORDER BY id",
        "SELECT id || COALESCE(removed_at, 0) AS x FROM attachments ORDER BY id",
        "SELECT id || revision || state AS x FROM records ORDER BY id",
        "SELECT id || revision || state AS x FROM uploads ORDER BY id",
        "SELECT id || requested_by || state AS x FROM exports ORDER BY id",
        "SELECT id || prefix || COALESCE(last_run_at, 0) AS x FROM scheduled_exports ORDER BY id",
    ] {
        for row in sqlx::query(query).fetch_all(app.store().pool()).await.unwrap() {
            out.push_str(&row.try_get::<String, _>("x").unwrap());
            out.push('\n');
        }
    }
    out
}

/// The token `/metrics` answers to in the matrix.
const METRICS_TOKEN: &str = "matrix-metrics-token-0123456789";

async fn matrix(backend: Backend) {
    // With OpenID Connect and METRICS_TOKEN on, so that their rows are real.
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let redirect_url = format!("{base}/sign-in/oidc/callback");
    let provider = crate::oidc::start_provider(&redirect_url).await;
    let oidc = formwork_web::OidcConfig {
        issuer: provider.issuer.clone(),
        client_id: "formwork".into(),
        client_secret: "formwork-test-secret".into(),
        redirect_url,
        assume_email_verified: false,
    };
    let app = TestApp::builder()
        .backend(backend)
        .listener(listener)
        .oidc(oidc)
        .metrics_token(METRICS_TOKEN)
        .start()
        .await;
    app.seed().await;
    // northshire's second organisation admin, with a session and a token, then disabled.
    create_person(
        app.app(),
        &Actor::System,
        &NewPerson { email: "disabled@northshire.test".into(), ..Default::default() },
    )
    .await
    .unwrap();
    add_member(
        app.app(),
        &Actor::System,
        "northshire",
        "disabled@northshire.test",
        &["org_admin".to_string()],
    )
    .await
    .unwrap();
    let mut users = BTreeMap::new();
    let mut tokens = BTreeMap::new();
    for who in EVERYONE {
        if let Some(email) = who.email() {
            let mut conn = app.store().conn().await.unwrap();
            let user = formwork_store::users::by_email(&mut conn, email).await.unwrap().unwrap();
            users.insert(who, user.id);
            tokens.insert(who, app.token(email).await);
        }
    }

    let returns = returns(&app).await;
    let records = records(&app).await;
    let uploads = uploads(&app).await;
    let m = Matrix { app: &app, users, tokens, n: AtomicUsize::new(0), returns, records, uploads };
    let mut denied = Vec::new();
    let mut allowed = Vec::new();
    for (method, route, per_org, rule) in routes() {
        let orgs: &[&'static str] = if per_org { &["northshire", "southvale"] } else { &["northshire"] };
        for org in orgs {
            for who in EVERYONE {
                let expect = expect(rule, who, org);
                let request = m.request(&method, route, who, org, expect).await;
                if matches!(expect, Expect::Allowed | Expect::Status(_)) {
                    allowed.push(request);
                } else {
                    denied.push(request);
                }
            }
        }
    }
    // Disabled behind the service's back once its tokens are made, so that they and its
    // sessions survive: only the checks on every request stand between them and the data.
    sqlx::query("UPDATE users SET disabled = 1 WHERE email = 'disabled@northshire.test'")
        .execute(app.store().pool())
        .await
        .unwrap();
    let mut failures = Vec::new();
    let before = fingerprint(&app).await;
    for request in &denied {
        let reply = m.send(request).await;
        if let Err(e) = judge(request, &reply) {
            failures.push(e);
        }
    }
    let after = fingerprint(&app).await;
    assert_eq!(before, after, "a refused request changed something");
    for request in &allowed {
        let watch = !changes_nothing_seen(&request.method, request.route)
            && matches!(request.expect, Expect::Allowed);
        let before = if watch { Some(fingerprint(&app).await) } else { None };
        let reply = m.send(request).await;
        if let Err(e) = judge(request, &reply) {
            failures.push(e);
        } else if let Some(before) = before
            && before == fingerprint(&app).await
        {
            failures.push(format!(
                "{:?} {} (as {:?}, organisation {}): answered {} but changed nothing",
                request.method, request.path, request.who, request.org, reply.status
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} cases went wrong on {backend:?}:\n{}",
        failures.len(),
        denied.len() + allowed.len(),
        failures.join("\n")
    );
    assert!(denied.len() > 300 && allowed.len() > 300, "{} denied, {} allowed", denied.len(), allowed.len());
}

/// Every method a path is not routed for gets 405, whoever asks: the methods the matrix declares
/// are exactly the ones the router serves (a row that declared GET for a path routed only for
/// POST would fail here, not pass unnoticed).
#[tokio::test]
async fn every_other_method_on_every_path_is_not_allowed() {
    let app = TestApp::on(Backend::Sqlite).await;
    app.seed().await;
    let m = Matrix {
        app: &app,
        users: BTreeMap::new(),
        tokens: BTreeMap::new(),
        n: AtomicUsize::new(0),
        returns: returns(&app).await,
        records: records(&app).await,
        // After the records: the uploads are of the matrix's log.
        uploads: uploads(&app).await,
    };
    let mut declared: BTreeMap<&'static str, Vec<Method>> = BTreeMap::new();
    for (method, route, _, _) in routes() {
        declared.entry(route).or_default().push(method);
    }
    let token = app.token("admin@staff.test").await;
    let auth = format!("Bearer {token}");
    let mut wrong = Vec::new();
    let mut checked = 0;
    for (route, methods) in &declared {
        let request = m.request(&methods[0], route, Who::Admin, "northshire", Expect::Allowed).await;
        for method in [Method::GET, Method::POST, Method::PUT, Method::PATCH, Method::DELETE] {
            if methods.contains(&method) {
                continue;
            }
            let body = (method != Method::GET).then(|| (b"{}".to_vec(), "application/json"));
            let reply =
                app.client().send(method.clone(), &request.path, &[("authorization", &auth)], body).await;
            checked += 1;
            if reply.status != 405 {
                wrong.push(format!("{method} {} ({route}): {}", request.path, reply.status));
            }
        }
    }
    assert!(wrong.is_empty(), "answered other than 405:\n{}", wrong.join("\n"));
    assert!(checked > 200, "{checked} requests");
}

#[tokio::test]
async fn every_route_answers_every_person_as_the_policy_says_on_sqlite() {
    matrix(Backend::Sqlite).await;
}

#[tokio::test]
async fn every_route_answers_every_person_as_the_policy_says_on_postgres() {
    matrix(Backend::Postgres).await;
}

#[tokio::test]
async fn lists_show_only_the_organisations_own_things() {
    let app = TestApp::on(Backend::Sqlite).await;
    app.seed().await;
    let member = app.signed_in("editor@southvale.test").await;
    let organisations = member.get("/organisations").await.text;
    assert!(organisations.contains("Southvale District Council") && !organisations.contains("Northshire"));
    let collections = member.get("/collections").await.text;
    assert!(
        collections.contains("Towns Fund") && !collections.contains("Single audit"),
        "single-audit is northshire's only"
    );
    let token = app.token("editor@southvale.test").await;
    let api = member.api(Method::GET, "/api/v1/organisations", &token, None).await.json();
    assert_eq!(api.as_array().unwrap().len(), 1);
    let towns =
        member.api(Method::GET, "/api/v1/collections/towns-fund-monitoring", &token, None).await.json();
    assert_eq!(
        towns["organisations"],
        json!(["southvale"]),
        "a shared collection lists only the member's own organisation"
    );
    let home = member.get("/").await.text;
    assert!(!home.contains("Northshire"));
}
