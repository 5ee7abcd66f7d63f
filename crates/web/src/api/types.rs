//! The API's request and response bodies: the contract programs build on, documented in the
//! OpenAPI document. Times are RFC 3339 strings in UTC.

use std::collections::BTreeMap;

use formwork_service::invitations::Invitation;
use formwork_service::organisations::{Membership, Organisation};
use formwork_service::people::User;
use formwork_service::queue::JobView;
use formwork_service::tokens::ApiToken;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// A time as RFC 3339, UTC.
pub(crate) fn iso(millis: i64) -> String {
    chrono::DateTime::from_timestamp_millis(millis)
        .map(|t| t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true))
        .unwrap_or_default()
}

/// An error: `{"error": {"code", "message", "details"}}`.
#[derive(Serialize, ToSchema)]
pub(crate) struct ErrorBody {
    pub error: ErrorDetail,
}

/// What went wrong.
#[derive(Serialize, ToSchema)]
pub(crate) struct ErrorDetail {
    /// A stable code: `invalid`, `not_found`, `forbidden`, `sign_in_required`, `invalid_token`,
    /// `conflict`, `csrf`, `invalid_json`, `definition_invalid`, `too_many_attempts`, `too_large`,
    /// `timeout`, `unavailable`, `internal`.
    pub code: String,
    /// What is wrong, for people.
    pub message: String,
    /// Problems with single fields (`{path, code, message}`), or a definition's diagnostics
    /// (`{code, message, help, line, column}`).
    pub details: Vec<serde_json::Value>,
}

/// One of a person's organisations.
#[derive(Serialize, ToSchema)]
pub(crate) struct MembershipBody {
    /// The organisation's slug.
    pub organisation: String,
    /// Its name.
    pub name: String,
    /// The person's roles there.
    pub roles: Vec<String>,
}

/// The person calling.
#[derive(Serialize, ToSchema)]
pub(crate) struct Me {
    pub id: String,
    pub email: String,
    pub name: Option<String>,
    /// `reviewer`, `analyst`, `admin`, or null.
    pub staff_role: Option<String>,
    pub organisations: Vec<MembershipBody>,
}

/// An organisation.
#[derive(Serialize, ToSchema)]
pub(crate) struct OrganisationBody {
    pub slug: String,
    pub name: String,
    /// Identifiers in other systems, e.g. `{"ukprn": "10001234"}`.
    pub external_ids: BTreeMap<String, String>,
    pub created_at: String,
}

impl From<Organisation> for OrganisationBody {
    fn from(o: Organisation) -> OrganisationBody {
        OrganisationBody {
            slug: o.slug,
            name: o.name,
            external_ids: o.external_ids,
            created_at: iso(o.created_at),
        }
    }
}

/// A new organisation.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct NewOrganisation {
    pub name: String,
    /// Made from the name when absent.
    pub slug: Option<String>,
    #[serde(default)]
    pub external_ids: BTreeMap<String, String>,
}

/// Changes to an organisation (its slug never changes).
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct OrganisationChanges {
    pub name: Option<String>,
    pub external_ids: Option<BTreeMap<String, String>>,
}

/// A member of an organisation.
#[derive(Serialize, ToSchema)]
pub(crate) struct MemberBody {
    pub user_id: String,
    pub email: String,
    pub name: Option<String>,
    pub roles: Vec<String>,
}

impl From<Membership> for MemberBody {
    fn from(m: Membership) -> MemberBody {
        MemberBody { user_id: m.user_id, email: m.email, name: m.name, roles: m.roles }
    }
}

/// A member's roles.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct Roles {
    pub roles: Vec<String>,
}

/// An invitation.
#[derive(Serialize, ToSchema)]
pub(crate) struct InvitationBody {
    pub id: String,
    pub email: String,
    /// The organisation's slug; null for an invitation to the staff.
    pub organisation: Option<String>,
    pub roles: Vec<String>,
    pub created_at: String,
    pub expires_at: String,
    /// `open`, `accepted`, `withdrawn` or `expired`.
    pub status: String,
}

impl InvitationBody {
    pub fn new(i: Invitation, organisation: Option<String>, now: i64) -> InvitationBody {
        let status = i.state_at(now).as_str();
        InvitationBody {
            id: i.id,
            email: i.email,
            organisation,
            roles: i.roles,
            created_at: iso(i.created_at),
            expires_at: iso(i.expires_at),
            status: status.into(),
        }
    }
}

/// Invite someone to an organisation.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct NewInvitation {
    pub email: String,
    pub roles: Vec<String>,
}

/// Invite someone to the staff.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct NewStaffInvitation {
    pub email: String,
    /// `reviewer`, `analyst` or `admin`.
    pub staff_role: String,
}

/// Accept an invitation, as the person calling.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct AcceptInvitation {
    /// The token from the invitation's link.
    pub token: String,
}

/// A person's account.
#[derive(Serialize, ToSchema)]
pub(crate) struct PersonBody {
    pub id: String,
    pub email: String,
    pub name: Option<String>,
    pub staff_role: Option<String>,
    pub disabled: bool,
    /// True when they have a password.
    pub has_password: bool,
    /// True when their account is linked to the identity provider.
    pub linked_to_identity_provider: bool,
    pub created_at: String,
}

impl From<User> for PersonBody {
    fn from(u: User) -> PersonBody {
        PersonBody {
            id: u.id,
            email: u.email,
            name: u.name,
            staff_role: u.staff_role,
            disabled: u.disabled,
            has_password: u.password_hash.is_some(),
            linked_to_identity_provider: u.oidc_subject.is_some(),
            created_at: iso(u.created_at),
        }
    }
}

/// A new person.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct NewPerson {
    pub email: String,
    pub name: Option<String>,
    /// A password for a local account (at least 10 characters).
    pub password: Option<String>,
    /// `reviewer`, `analyst`, `admin`, or absent.
    pub staff_role: Option<String>,
}

/// Changes to a person.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct PersonChanges {
    pub name: Option<String>,
    /// `reviewer`, `analyst`, `admin`, or `none`.
    pub staff_role: Option<String>,
    pub disabled: Option<bool>,
}

/// An API token (never its secret).
#[derive(Serialize, ToSchema)]
pub(crate) struct TokenBody {
    pub id: String,
    pub name: String,
    pub created_at: String,
    pub last_used_at: Option<String>,
    pub revoked_at: Option<String>,
}

impl From<ApiToken> for TokenBody {
    fn from(t: ApiToken) -> TokenBody {
        TokenBody {
            id: t.id,
            name: t.name,
            created_at: iso(t.created_at),
            last_used_at: t.last_used_at.map(iso),
            revoked_at: t.revoked_at.map(iso),
        }
    }
}

/// A new token's name.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct NewToken {
    pub name: String,
}

/// A token just made, with its secret: shown this once.
#[derive(Serialize, ToSchema)]
pub(crate) struct CreatedToken {
    pub token: TokenBody,
    /// Send as `Authorization: Bearer <secret>`.
    pub secret: String,
}

/// A collection in a list.
#[derive(Serialize, ToSchema)]
pub(crate) struct CollectionSummary {
    pub slug: String,
    pub title: String,
    /// `return` or `log`.
    pub kind: String,
    pub latest_version: i64,
    pub updated_at: String,
}

/// A published version, without its text.
#[derive(Serialize, ToSchema)]
pub(crate) struct VersionSummary {
    pub version: i64,
    pub title: String,
    pub published_at: String,
}

/// A period of a collection's schedule.
#[derive(Serialize, ToSchema)]
pub(crate) struct PeriodBody {
    /// Identifies the period: its start date.
    pub key: String,
    pub label: String,
    pub start: String,
    pub end: String,
    pub due: String,
}

/// A role a collection declares.
#[derive(Serialize, ToSchema)]
pub(crate) struct RoleBody {
    pub id: String,
    pub description: String,
}

/// A section of a collection.
#[derive(Serialize, ToSchema)]
pub(crate) struct SectionBody {
    pub id: String,
    pub title: String,
}

/// A collection: its latest version, versions, periods and organisations.
#[derive(Serialize, ToSchema)]
pub(crate) struct CollectionBody {
    pub slug: String,
    pub title: String,
    pub description: Option<String>,
    pub kind: String,
    pub latest_version: i64,
    pub versions: Vec<VersionSummary>,
    /// Periods that have started, newest first.
    pub periods: Vec<PeriodBody>,
    /// Slugs of the organisations assigned (that the caller may see).
    pub organisations: Vec<String>,
    pub roles: Vec<RoleBody>,
    pub sections: Vec<SectionBody>,
}

/// A published version with its definition as published.
#[derive(Serialize, ToSchema)]
pub(crate) struct VersionBody {
    pub collection: String,
    pub version: i64,
    pub title: String,
    pub published_at: String,
    /// The definition's text (YAML or JSON), exactly as published.
    pub definition: String,
}

/// What was published.
#[derive(Serialize, ToSchema)]
pub(crate) struct PublishedBody {
    pub slug: String,
    pub version: i64,
    pub title: String,
}

/// A job, without its payload.
#[derive(Serialize, ToSchema)]
pub(crate) struct JobBody {
    pub id: String,
    pub kind: String,
    pub summary: String,
    pub attempts: i64,
    pub max_attempts: i64,
    pub run_at: String,
    pub last_error: Option<String>,
    pub failed_at: Option<String>,
    pub created_at: String,
}

impl From<JobView> for JobBody {
    fn from(j: JobView) -> JobBody {
        JobBody {
            id: j.id,
            kind: j.kind,
            summary: j.summary,
            attempts: j.attempts,
            max_attempts: j.max_attempts,
            run_at: iso(j.run_at),
            last_error: j.last_error,
            failed_at: j.failed_at.map(iso),
            created_at: iso(j.created_at),
        }
    }
}

/// The job queue.
#[derive(Serialize, ToSchema)]
pub(crate) struct QueueBody {
    pub pending: Vec<JobBody>,
    pub failed: Vec<JobBody>,
}
