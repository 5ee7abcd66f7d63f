//! The store's conformance suite: every test runs against SQLite and against PostgreSQL.
//!
//! PostgreSQL is the server at `TEST_DATABASE_URL` (default `postgres://postgres@127.0.0.1:5432/test`);
//! each test gets a schema of its own, dropped afterwards. `.ci/run` makes sure the server is up.

#![expect(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "a test should stop loudly at anything unexpected"
)]

use std::collections::BTreeMap;
use std::future::Future;
use std::pin::Pin;

use formwork_store::{
    Backend, Store, StoreError, audit, collections, invitations, jobs, organisations, password_resets,
    sessions, sign_in_attempts, tokens, users,
};

#[path = "conformance/search.rs"]
mod search;

const NOW: i64 = 1_790_000_000_000;
const HOUR: i64 = 3_600_000;

type Test = fn(Store) -> Pin<Box<dyn Future<Output = ()> + Send>>;

fn postgres_url() -> String {
    std::env::var("TEST_DATABASE_URL").unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".into())
}

/// Run `test` on a fresh SQLite store and a fresh PostgreSQL schema.
async fn on_both(test: Test) {
    let dir = tempfile::tempdir().unwrap();
    let sqlite = Store::connect(&format!("sqlite://{}/formwork.db", dir.path().display()), 4).await.unwrap();
    assert_eq!(sqlite.backend(), Backend::Sqlite);
    sqlite.migrate(NOW).await.unwrap();
    test(sqlite.clone()).await;
    sqlite.close().await;

    let schema = format!("t_{}", formwork_store::new_id());
    let admin = Store::connect(&postgres_url(), 1).await.unwrap();
    sqlx::raw_sql(sqlx::AssertSqlSafe(format!("CREATE SCHEMA {schema}")))
        .execute(admin.pool())
        .await
        .expect("PostgreSQL must be running: `.ci/run` starts it (pg_ctlcluster … start)");
    let url = format!("{}?options=-c%20search_path%3D{schema}", postgres_url());
    let postgres = Store::connect(&url, 4).await.unwrap();
    assert_eq!(postgres.backend(), Backend::Postgres);
    postgres.migrate(NOW).await.unwrap();
    test(postgres.clone()).await;
    postgres.close().await;
    sqlx::raw_sql(sqlx::AssertSqlSafe(format!("DROP SCHEMA {schema} CASCADE")))
        .execute(admin.pool())
        .await
        .unwrap();
    admin.close().await;
}

#[tokio::test]
async fn migrations_run_once() {
    on_both(|s| {
        Box::pin(async move {
            assert!(s.migrate(NOW).await.unwrap().is_empty());
            s.ping().await.unwrap();
        })
    })
    .await;
}

#[tokio::test]
async fn organisations_have_unique_slugs_and_members() {
    on_both(|s| {
        Box::pin(async move {
            let mut c = s.conn().await.unwrap();
            let ids = BTreeMap::from([("ukprn".to_string(), "10001234".to_string())]);
            let org = organisations::create(&mut c, "leeds", "Leeds City Council", &ids, NOW).await.unwrap();
            assert_eq!(organisations::by_slug(&mut c, "leeds").await.unwrap().unwrap(), org);
            let again =
                organisations::create(&mut c, "leeds", "Another", &BTreeMap::new(), NOW).await.unwrap_err();
            assert!(matches!(again, StoreError::Conflict { what: m, .. } if m.contains("leeds")));
            organisations::update(&mut c, &org.id, "Leeds CC", &BTreeMap::new(), NOW + 1).await.unwrap();
            assert_eq!(organisations::by_id(&mut c, &org.id).await.unwrap().unwrap().name, "Leeds CC");
            assert!(matches!(
                organisations::update(&mut c, "nope", "x", &BTreeMap::new(), NOW).await,
                Err(StoreError::NotFound { .. })
            ));

            let ann = users::create(&mut c, " Ann@Example.ORG ", Some("Ann"), None, None, NOW).await.unwrap();
            assert_eq!(ann.email, "ann@example.org");
            let roles = vec!["editor".to_string(), "org_admin".to_string()];
            organisations::set_membership(&mut c, &org.id, &ann.id, &roles, NOW).await.unwrap();
            organisations::set_membership(&mut c, &org.id, &ann.id, &["certifier".to_string()], NOW)
                .await
                .unwrap();
            let members = organisations::members(&mut c, &org.id).await.unwrap();
            assert_eq!(members.len(), 1);
            assert_eq!(
                (members[0].email.as_str(), members[0].roles.clone()),
                ("ann@example.org", vec!["certifier".to_string()])
            );
            assert_eq!(
                organisations::memberships_of(&mut c, &ann.id).await.unwrap()[0].organisation_slug,
                "leeds"
            );
            organisations::remove_membership(&mut c, &org.id, &ann.id).await.unwrap();
            assert!(organisations::membership_of(&mut c, &org.id, &ann.id).await.unwrap().is_none());
            assert!(matches!(
                organisations::remove_membership(&mut c, &org.id, &ann.id).await,
                Err(StoreError::NotFound { .. })
            ));
        })
    })
    .await;
}

#[tokio::test]
async fn people_sign_in_and_are_locked_out_after_failures() {
    on_both(|s| {
        Box::pin(async move {
            let mut c = s.conn().await.unwrap();
            let bob = users::create(&mut c, "bob@example.org", None, Some("hash"), Some("admin"), NOW)
                .await
                .unwrap();
            assert!(matches!(
                users::create(&mut c, "BOB@example.org", None, None, None, NOW).await,
                Err(StoreError::Conflict { .. })
            ));
            assert_eq!(users::by_email(&mut c, "Bob@Example.org").await.unwrap().unwrap().id, bob.id);
            for n in 1..=5 {
                assert_eq!(
                    users::record_failed_sign_in(&mut c, &bob.id, 5, NOW + HOUR, NOW).await.unwrap(),
                    n
                );
            }
            let locked = users::by_id(&mut c, &bob.id).await.unwrap().unwrap();
            assert_eq!(locked.locked_until, Some(NOW + HOUR));
            users::record_sign_in(&mut c, &bob.id, NOW).await.unwrap();
            let fine = users::by_id(&mut c, &bob.id).await.unwrap().unwrap();
            assert_eq!((fine.failed_sign_ins, fine.locked_until), (0, None));

            users::link_oidc(&mut c, &bob.id, "https://id.example", "sub-1", NOW).await.unwrap();
            assert_eq!(
                users::by_oidc(&mut c, "https://id.example", "sub-1").await.unwrap().unwrap().id,
                bob.id
            );
            let carol = users::create(&mut c, "carol@example.org", None, None, None, NOW).await.unwrap();
            assert!(matches!(
                users::link_oidc(&mut c, &carol.id, "https://id.example", "sub-1", NOW).await,
                Err(StoreError::Conflict { .. })
            ));

            for n in 0..3 {
                sign_in_attempts::record(&mut c, "ip:127.0.0.1", NOW + n).await.unwrap();
            }
            assert_eq!(sign_in_attempts::count_since(&mut c, "ip:127.0.0.1", NOW).await.unwrap(), 2);
            assert_eq!(sign_in_attempts::prune(&mut c, NOW + 2).await.unwrap(), 2);
        })
    })
    .await;
}

#[tokio::test]
async fn sessions_end_on_expiry_sign_out_and_disabling() {
    on_both(|s| {
        Box::pin(async move {
            let mut c = s.conn().await.unwrap();
            let dan = users::create(&mut c, "dan@example.org", None, None, None, NOW).await.unwrap();
            let token = sessions::create(&mut c, &dan.id, "csrf-1", NOW, NOW + HOUR).await.unwrap();
            let (live, _) = sessions::principal(&mut c, &token, NOW + 1).await.unwrap().unwrap();
            assert_eq!((live.user.id.as_str(), live.csrf_token.as_str()), (dan.id.as_str(), "csrf-1"));
            assert!(sessions::principal(&mut c, &token, NOW + HOUR).await.unwrap().is_none());
            assert!(sessions::principal(&mut c, "forged", NOW).await.unwrap().is_none());
            sessions::touch(&mut c, &live.token_hash, NOW + 10, NOW + 2 * HOUR).await.unwrap();
            assert!(sessions::principal(&mut c, &token, NOW + HOUR).await.unwrap().is_some());
            users::set_disabled(&mut c, &dan.id, true, NOW).await.unwrap();
            assert!(sessions::principal(&mut c, &token, NOW + 11).await.unwrap().is_none());
            users::set_disabled(&mut c, &dan.id, false, NOW).await.unwrap();
            sessions::delete(&mut c, &live.token_hash).await.unwrap();
            assert!(sessions::principal(&mut c, &token, NOW + 12).await.unwrap().is_none());
            let second = sessions::create(&mut c, &dan.id, "csrf-2", NOW, NOW + HOUR).await.unwrap();
            assert_eq!(sessions::delete_for_user(&mut c, &dan.id).await.unwrap(), 1);
            assert!(sessions::principal(&mut c, &second, NOW).await.unwrap().is_none());
        })
    })
    .await;
}

#[tokio::test]
async fn api_tokens_are_hashed_revocable_and_record_their_use() {
    on_both(|s| {
        Box::pin(async move {
            let mut c = s.conn().await.unwrap();
            let eve = users::create(&mut c, "eve@example.org", None, None, None, NOW).await.unwrap();
            let (record, secret) = tokens::create(&mut c, &eve.id, "nightly export", NOW).await.unwrap();
            assert!(secret.starts_with("fwk_"));
            let (used, who, _) = tokens::principal(&mut c, &secret, NOW + 5).await.unwrap().unwrap();
            assert_eq!((used.id.as_str(), who.id.as_str()), (record.id.as_str(), eve.id.as_str()));
            assert_eq!(tokens::list_for(&mut c, &eve.id).await.unwrap()[0].last_used_at, Some(NOW + 5));
            // Used again within the minute: no write; a minute later, recorded.
            tokens::principal(&mut c, &secret, NOW + 59_000).await.unwrap().unwrap();
            assert_eq!(tokens::list_for(&mut c, &eve.id).await.unwrap()[0].last_used_at, Some(NOW + 5));
            tokens::principal(&mut c, &secret, NOW + 60_005).await.unwrap().unwrap();
            assert_eq!(tokens::list_for(&mut c, &eve.id).await.unwrap()[0].last_used_at, Some(NOW + 60_005));
            assert!(tokens::principal(&mut c, "fwk_wrong", NOW).await.unwrap().is_none());
            let other = users::create(&mut c, "mallory@example.org", None, None, None, NOW).await.unwrap();
            assert!(matches!(
                tokens::revoke(&mut c, &other.id, &record.id, NOW).await,
                Err(StoreError::NotFound { .. })
            ));
            tokens::revoke(&mut c, &eve.id, &record.id, NOW + 6).await.unwrap();
            assert!(tokens::principal(&mut c, &secret, NOW + 7).await.unwrap().is_none());
        })
    })
    .await;
}

#[tokio::test]
async fn a_credential_gives_its_person_and_every_membership_in_one_query() {
    on_both(|s| {
        Box::pin(async move {
            let mut c = s.conn().await.unwrap();
            let ids = BTreeMap::new();
            let zeta = organisations::create(&mut c, "zeta", "Zeta Water", &ids, NOW).await.unwrap();
            let alpha = organisations::create(&mut c, "alpha", "Alpha Rail", &ids, NOW).await.unwrap();
            let gil = users::create(&mut c, "gil@example.org", Some("Gil"), None, Some("analyst"), NOW)
                .await
                .unwrap();
            let roles = |r: &[&str]| r.iter().map(|r| (*r).to_string()).collect::<Vec<_>>();
            organisations::set_membership(&mut c, &zeta.id, &gil.id, &roles(&["submitter"]), NOW)
                .await
                .unwrap();
            organisations::set_membership(
                &mut c,
                &alpha.id,
                &gil.id,
                &roles(&["org_admin", "approver"]),
                NOW,
            )
            .await
            .unwrap();
            let expected = organisations::memberships_of(&mut c, &gil.id).await.unwrap();
            assert_eq!(expected.len(), 2);

            let token = sessions::create(&mut c, &gil.id, "csrf-g", NOW, NOW + HOUR).await.unwrap();
            let (session, memberships) = sessions::principal(&mut c, &token, NOW + 1).await.unwrap().unwrap();
            assert_eq!(session.user, gil);
            assert_eq!((session.expires_at, session.created_at), (NOW + HOUR, NOW));
            assert_eq!(memberships, expected);
            assert_eq!(memberships[0].organisation_slug, "alpha");
            assert_eq!(memberships[0].roles, roles(&["org_admin", "approver"]));

            let (record, secret) = tokens::create(&mut c, &gil.id, "reports", NOW).await.unwrap();
            let (found, user, memberships) =
                tokens::principal(&mut c, &secret, NOW + 1).await.unwrap().unwrap();
            assert_eq!((found.id.as_str(), found.name.as_str()), (record.id.as_str(), "reports"));
            assert_eq!((user, memberships), (gil.clone(), expected));

            // A person of no organisation is still found, with no memberships.
            let hal = users::create(&mut c, "hal@example.org", None, None, None, NOW).await.unwrap();
            let lone = sessions::create(&mut c, &hal.id, "csrf-h", NOW, NOW + HOUR).await.unwrap();
            let (session, memberships) = sessions::principal(&mut c, &lone, NOW).await.unwrap().unwrap();
            assert_eq!((session.user, memberships), (hal, Vec::new()));

            // Nothing for an expired session, a revoked token, or a disabled person.
            assert!(sessions::principal(&mut c, &token, NOW + HOUR).await.unwrap().is_none());
            users::set_disabled(&mut c, &gil.id, true, NOW).await.unwrap();
            assert!(sessions::principal(&mut c, &token, NOW + 2).await.unwrap().is_none());
            assert!(tokens::principal(&mut c, &secret, NOW + 2).await.unwrap().is_none());
            users::set_disabled(&mut c, &gil.id, false, NOW).await.unwrap();
            tokens::revoke(&mut c, &gil.id, &record.id, NOW + 3).await.unwrap();
            assert!(tokens::principal(&mut c, &secret, NOW + 4).await.unwrap().is_none());
            assert!(sessions::principal(&mut c, &token, NOW + 4).await.unwrap().is_some());
        })
    })
    .await;
}

#[tokio::test]
async fn invitations_are_accepted_once_and_expire() {
    use invitations::{InvitationState, Stored};
    on_both(|s| {
        Box::pin(async move {
            let mut c = s.conn().await.unwrap();
            let org = organisations::create(&mut c, "york", "York", &BTreeMap::new(), NOW).await.unwrap();
            let roles = vec!["editor".to_string()];
            let (inv, token) =
                invitations::create(&mut c, "Fay@Example.org", Some(&org.id), &roles, None, NOW, NOW + HOUR)
                    .await
                    .unwrap();
            assert_eq!(inv.email, "fay@example.org");
            let found = invitations::by_token(&mut c, &token).await.unwrap().unwrap();
            assert_eq!((found.id.as_str(), found.state_at(NOW)), (inv.id.as_str(), InvitationState::Open));
            assert_eq!(found.state_at(NOW + HOUR), InvitationState::Expired);
            assert!(invitations::by_token(&mut c, "nope").await.unwrap().is_none());
            let fay = users::create(&mut c, "fay@example.org", None, None, None, NOW).await.unwrap();
            assert!(
                matches!(
                    invitations::transition(&mut c, &found, Stored::Accepted, Some(&fay.id), NOW + HOUR)
                        .await,
                    Err(StoreError::Conflict { .. })
                ),
                "an expired invitation cannot be accepted"
            );
            let accepted = invitations::transition(&mut c, &found, Stored::Accepted, Some(&fay.id), NOW + 1)
                .await
                .unwrap();
            assert_eq!(
                (accepted.state_at(NOW + 1), accepted.revision, accepted.accepted_at),
                (InvitationState::Accepted, 1, Some(NOW + 1))
            );
            assert!(
                matches!(
                    invitations::transition(&mut c, &found, Stored::Withdrawn, None, NOW + 2).await,
                    Err(StoreError::Conflict { .. })
                ),
                "a transition from a state that has changed is refused"
            );
            assert!(!invitations::open_for_email(&mut c, "fay@example.org", NOW + 2).await.unwrap());

            let (second, token) = invitations::create(
                &mut c,
                "gus@example.org",
                None,
                &["reviewer".to_string()],
                None,
                NOW,
                NOW + HOUR,
            )
            .await
            .unwrap();
            assert!(invitations::open_for_email(&mut c, "gus@example.org", NOW).await.unwrap());
            invitations::transition(&mut c, &second, Stored::Withdrawn, None, NOW).await.unwrap();
            let withdrawn = invitations::by_token(&mut c, &token).await.unwrap().unwrap();
            assert_eq!(
                (withdrawn.state_at(NOW), withdrawn.revoked_at),
                (InvitationState::Withdrawn, Some(NOW))
            );
            assert_eq!(invitations::list(&mut c, None).await.unwrap().len(), 1);
            assert_eq!(invitations::list(&mut c, Some(&org.id)).await.unwrap().len(), 1);
        })
    })
    .await;
}

#[tokio::test]
async fn of_conflicting_transitions_of_one_invitation_at_once_exactly_one_wins() {
    use invitations::Stored;
    on_both(|s| {
        Box::pin(async move {
            let mut c = s.conn().await.unwrap();
            let (inv, _) = invitations::create(
                &mut c,
                "hal@example.org",
                None,
                &["analyst".to_string()],
                None,
                NOW,
                NOW + HOUR,
            )
            .await
            .unwrap();
            let hal = users::create(&mut c, "hal@example.org", None, None, None, NOW).await.unwrap();
            drop(c);
            // Four acceptances and four withdrawals, each read then changed in its own transaction.
            let attempts = (0..8).map(|i| {
                let (s, id, user) = (s.clone(), inv.id.clone(), hal.id.clone());
                tokio::spawn(async move {
                    let mut tx = s.begin().await.unwrap();
                    let found = invitations::by_id(&mut tx, &id).await.unwrap().unwrap();
                    let to = if i % 2 == 0 { Stored::Accepted } else { Stored::Withdrawn };
                    let result = invitations::transition(&mut tx, &found, to, Some(&user), NOW + 1).await;
                    tx.commit().await.unwrap();
                    match result {
                        Ok(_) => true,
                        Err(StoreError::Conflict { .. }) => false,
                        Err(other) => panic!("a losing transition must be a conflict, not {other:?}"),
                    }
                })
            });
            let mut successes = 0;
            for attempt in attempts {
                successes += usize::from(attempt.await.unwrap());
            }
            assert_eq!(successes, 1);
            let mut c = s.conn().await.unwrap();
            assert_eq!(invitations::by_id(&mut c, &inv.id).await.unwrap().unwrap().revision, 1);
        })
    })
    .await;
}

#[tokio::test]
async fn password_reset_links_work_once() {
    on_both(|s| {
        Box::pin(async move {
            let mut c = s.conn().await.unwrap();
            let ida = users::create(&mut c, "ida@example.org", None, None, None, NOW).await.unwrap();
            let token = password_resets::create(&mut c, &ida.id, NOW, NOW + HOUR).await.unwrap();
            assert_eq!(password_resets::check(&mut c, &token, NOW).await.unwrap(), Some(ida.id.clone()));
            assert_eq!(password_resets::use_token(&mut c, &token, NOW).await.unwrap(), Some(ida.id.clone()));
            assert_eq!(password_resets::use_token(&mut c, &token, NOW).await.unwrap(), None);
            let late = password_resets::create(&mut c, &ida.id, NOW, NOW + HOUR).await.unwrap();
            assert_eq!(password_resets::use_token(&mut c, &late, NOW + HOUR).await.unwrap(), None);
        })
    })
    .await;
}

#[tokio::test]
async fn published_versions_never_change() {
    on_both(|s| {
        Box::pin(async move {
            let mut tx = s.begin().await.unwrap();
            let v1 = collections::Publication {
                slug: "towns",
                version: 1,
                title: "Towns",
                kind: "return",
                source: "formwork: 1",
            };
            collections::publish(&mut tx, &v1, None, NOW).await.unwrap();
            tx.commit().await.unwrap();
            let mut c = s.conn().await.unwrap();
            let again = collections::publish(&mut c, &v1, None, NOW).await.unwrap_err();
            assert!(
                matches!(again, StoreError::Conflict { what: m, .. } if m.contains("versions never change"))
            );
            let log = collections::Publication {
                slug: "towns",
                version: 2,
                title: "Towns",
                kind: "log",
                source: "x",
            };
            assert!(matches!(
                collections::publish(&mut c, &log, None, NOW).await,
                Err(StoreError::Conflict { .. })
            ));
            let v2 = collections::Publication {
                slug: "towns",
                version: 2,
                title: "Towns Fund",
                kind: "return",
                source: "formwork: 1 # v2",
            };
            collections::publish(&mut c, &v2, None, NOW + 1).await.unwrap();
            let found = collections::by_slug(&mut c, "towns").await.unwrap().unwrap();
            assert_eq!((found.latest_version, found.title.as_str()), (2, "Towns Fund"));
            assert_eq!(
                collections::version_of(&mut c, "towns", 1).await.unwrap().unwrap().source,
                "formwork: 1"
            );
            assert_eq!(collections::versions(&mut c, "towns").await.unwrap().len(), 2);

            let org = organisations::create(&mut c, "hull", "Hull", &BTreeMap::new(), NOW).await.unwrap();
            collections::assign(&mut c, "towns", &org.id, NOW).await.unwrap();
            collections::assign(&mut c, "towns", &org.id, NOW).await.unwrap();
            assert_eq!(collections::assigned_to(&mut c, &org.id).await.unwrap().len(), 1);
            assert_eq!(
                collections::assigned_organisations(&mut c, "towns").await.unwrap(),
                vec![org.id.clone()]
            );
            collections::unassign(&mut c, "towns", &org.id).await.unwrap();
            assert!(collections::assigned_to(&mut c, &org.id).await.unwrap().is_empty());
            assert!(matches!(
                collections::assign(&mut c, "nope", &org.id, NOW).await,
                Err(StoreError::NotFound { .. })
            ));
        })
    })
    .await;
}

#[tokio::test]
async fn a_job_enqueued_in_a_rolled_back_transaction_does_not_exist() {
    on_both(|s| {
        Box::pin(async move {
            let mut tx = s.begin().await.unwrap();
            organisations::create(&mut tx, "kent", "Kent", &BTreeMap::new(), NOW).await.unwrap();
            jobs::enqueue(&mut tx, "send_email", &serde_json::json!({"to": "x"}), 5, NOW, NOW).await.unwrap();
            tx.rollback().await.unwrap();
            let mut c = s.conn().await.unwrap();
            assert_eq!(jobs::counts(&mut c).await.unwrap(), (0, 0));
            assert!(organisations::by_slug(&mut c, "kent").await.unwrap().is_none());
        })
    })
    .await;
}

#[tokio::test]
async fn jobs_are_claimed_once_retried_and_fail_for_good() {
    on_both(|s| {
        Box::pin(async move {
            let mut c = s.conn().await.unwrap();
            let id = jobs::enqueue(&mut c, "send_email", &serde_json::json!({}), 2, NOW, NOW).await.unwrap();
            assert!(jobs::claim(&mut c, "w1", NOW - 1, NOW + 10).await.unwrap().is_none(), "not due yet");
            let job = jobs::claim(&mut c, "w1", NOW, NOW + 10).await.unwrap().unwrap();
            assert_eq!((job.id.as_str(), job.attempts), (id.as_str(), 1));
            assert!(jobs::claim(&mut c, "w2", NOW + 5, NOW + 15).await.unwrap().is_none(), "leased to w1");
            // w1 dies: its lease ends and w2 takes the job (at least once).
            let again = jobs::claim(&mut c, "w2", NOW + 11, NOW + 20).await.unwrap().unwrap();
            assert_eq!(again.attempts, 2);
            jobs::fail(&mut c, &id, "w2", "smtp refused", NOW + 100, NOW + 12).await.unwrap();
            let failed = jobs::failed(&mut c, 10).await.unwrap();
            assert_eq!((failed.len(), failed[0].last_error.as_deref()), (1, Some("smtp refused")));
            assert_eq!(jobs::counts(&mut c).await.unwrap(), (0, 1));
            jobs::retry(&mut c, &id, NOW + 13).await.unwrap();
            let retried = jobs::claim(&mut c, "w3", NOW + 13, NOW + 30).await.unwrap().unwrap();
            jobs::fail(&mut c, &id, "w3", "again", NOW + 50, NOW + 14).await.unwrap();
            assert!(jobs::claim(&mut c, "w3", NOW + 49, NOW + 60).await.unwrap().is_none(), "backing off");
            assert_eq!(jobs::claim(&mut c, "w3", NOW + 50, NOW + 60).await.unwrap().unwrap().id, retried.id);
            jobs::complete(&mut c, &id, "w3").await.unwrap();
            assert_eq!(jobs::counts(&mut c).await.unwrap(), (0, 0));
        })
    })
    .await;
}

#[tokio::test]
async fn workers_claiming_at_once_never_share_a_job() {
    on_both(|s| {
        Box::pin(async move {
            let mut c = s.conn().await.unwrap();
            for _ in 0..20 {
                jobs::enqueue(&mut c, "send_email", &serde_json::json!({}), 3, NOW, NOW).await.unwrap();
            }
            drop(c);
            let workers = (0..4).map(|w| {
                let s = s.clone();
                tokio::spawn(async move {
                    let mut claimed = Vec::new();
                    loop {
                        let mut c = s.conn().await.unwrap();
                        match jobs::claim(&mut c, &format!("w{w}"), NOW, NOW + HOUR).await.unwrap() {
                            Some(job) => claimed.push(job.id),
                            None => return claimed,
                        }
                    }
                })
            });
            let mut all = Vec::new();
            for w in workers {
                all.extend(w.await.unwrap());
            }
            let unique: std::collections::BTreeSet<_> = all.iter().collect();
            assert_eq!((all.len(), unique.len()), (20, 20));
        })
    })
    .await;
}

#[tokio::test]
async fn changes_are_recorded_as_typed_events_and_read_by_subject() {
    use audit::{AuditEvent, Change};
    on_both(|s| {
        Box::pin(async move {
            let mut c = s.conn().await.unwrap();
            let created = AuditEvent::OrganisationCreated {
                organisation: "o1".into(),
                slug: "leeds".into(),
                name: "Leeds".into(),
            };
            let renamed = AuditEvent::OrganisationUpdated {
                organisation: "o1".into(),
                changes: vec![Change { field: "name".into(), old: "Leeds".into(), new: "Leeds City".into() }],
            };
            let published = AuditEvent::CollectionPublished {
                collection: "towns".into(),
                version: 2,
                title: "Towns".into(),
            };
            audit::record(&mut c, None, &created, NOW).await.unwrap();
            audit::record(&mut c, Some("u1"), &published, NOW + 1).await.unwrap();
            audit::record(&mut c, Some("u1"), &renamed, NOW + 2).await.unwrap();
            let events = audit::latest(&mut c, 10).await.unwrap();
            assert_eq!(
                events.iter().map(|e| e.action.as_str()).collect::<Vec<_>>(),
                vec!["organisation.update", "collection.publish", "organisation.create"]
            );
            assert_eq!(events[1].details["version"], 2);
            let history = audit::history(&mut c, "organisation:o1", 10).await.unwrap();
            assert_eq!(
                history.iter().map(audit::Event::event).collect::<Vec<_>>(),
                vec![Some(renamed), Some(created)],
                "one subject's history, newest first, with its field changes"
            );
            assert_eq!(history[0].actor_id.as_deref(), Some("u1"));
        })
    })
    .await;
}

#[tokio::test]
async fn oidc_sign_ins_are_taken_once_and_expire() {
    on_both(|s| {
        Box::pin(async move {
            use formwork_store::oidc_sign_ins::{self, Pending};
            let mut c = s.conn().await.unwrap();
            let pending =
                Pending { nonce: "n".into(), pkce_verifier: "v".into(), return_to: "/account".into() };
            oidc_sign_ins::create(&mut c, "state-1", &pending, NOW, NOW + HOUR).await.unwrap();
            oidc_sign_ins::create(&mut c, "state-2", &pending, NOW, NOW + 10).await.unwrap();
            assert_eq!(oidc_sign_ins::take(&mut c, "state-1", NOW + 1).await.unwrap(), Some(pending.clone()));
            assert_eq!(oidc_sign_ins::take(&mut c, "state-1", NOW + 1).await.unwrap(), None);
            assert_eq!(oidc_sign_ins::take(&mut c, "state-2", NOW + 11).await.unwrap(), None);
            assert_eq!(oidc_sign_ins::take(&mut c, "never", NOW).await.unwrap(), None);
        })
    })
    .await;
}

#[tokio::test]
async fn open_invitations_are_found_by_email() {
    on_both(|s| {
        Box::pin(async move {
            let mut c = s.conn().await.unwrap();
            let roles = vec!["reviewer".to_string()];
            assert!(!invitations::open_for_email(&mut c, "new@example.gov.uk", NOW).await.unwrap());
            let (invitation, _) =
                invitations::create(&mut c, "New@Example.gov.uk", None, &roles, None, NOW, NOW + HOUR)
                    .await
                    .unwrap();
            assert!(invitations::open_for_email(&mut c, "new@example.gov.uk ", NOW).await.unwrap());
            assert!(!invitations::open_for_email(&mut c, "new@example.gov.uk", NOW + HOUR).await.unwrap());
            invitations::transition(&mut c, &invitation, invitations::Stored::Withdrawn, None, NOW)
                .await
                .unwrap();
            assert!(!invitations::open_for_email(&mut c, "new@example.gov.uk", NOW).await.unwrap());
        })
    })
    .await;
}

// ---------------------------------------------------------------------------------------------
// Migrations' checksums, streamed reads and batch inserts (issue 8). Self-contained: its own
// imports, and its own table where it needs one, so other tests' changes do not reach it.

mod migrations_and_bulk {
    use std::collections::BTreeMap;
    use std::path::Path;

    use formwork_store::{Backend, MIGRATIONS, Store, StoreError, bulk};
    use futures_util::{StreamExt as _, TryStreamExt as _};
    use sqlx::Row as _;

    use super::{NOW, on_both};

    /// `bulk_rows (id TEXT PRIMARY KEY, n BIGINT NOT NULL, note TEXT)` in the test's own database.
    async fn create_table(s: &Store) {
        sqlx::raw_sql("CREATE TABLE bulk_rows (id TEXT PRIMARY KEY, n BIGINT NOT NULL, note TEXT)")
            .execute(s.pool())
            .await
            .unwrap();
    }

    /// An error and its sources, as a log shows them.
    fn chain(e: &dyn std::error::Error) -> String {
        let mut text = e.to_string();
        let mut source = e.source();
        while let Some(s) = source {
            text = format!("{text}: {s}");
            source = s.source();
        }
        text
    }

    async fn count(s: &Store) -> i64 {
        sqlx::query("SELECT COUNT(*) FROM bulk_rows").fetch_one(s.pool()).await.unwrap().get(0)
    }

    async fn insert_rows(
        c: &mut sqlx::AnyConnection,
        ns: impl IntoIterator<Item = i64>,
    ) -> Result<u64, StoreError> {
        bulk::insert(c, "bulk_rows", &["id", "n", "note"], ns, |n, row| {
            row.push(format!("row-{n}")).push(n).push((n % 3 == 0).then(|| format!("note {n}")));
        })
        .await
    }

    #[tokio::test]
    async fn every_migration_file_is_listed_and_applied_with_its_checksum() {
        on_both(|s| {
            Box::pin(async move {
                let backend = s.backend();
                let applied: BTreeMap<i64, Option<String>> =
                    sqlx::query("SELECT version, checksum FROM schema_migrations")
                        .fetch_all(s.pool())
                        .await
                        .unwrap()
                        .iter()
                        .map(|r| (r.get(0), r.get(1)))
                        .collect();
                let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("migrations");
                // A migration that differs per database has a file for each (`NNNN_name.sqlite.sql`).
                let mut versions = std::collections::BTreeSet::new();
                for entry in std::fs::read_dir(&dir).unwrap() {
                    let path = entry.unwrap().path();
                    let name = path.file_name().unwrap().to_string_lossy().into_owned();
                    assert!(name.ends_with(".sql"), "{name}: only migrations belong in {}", dir.display());
                    let version: Option<i64> = name.split('_').next().and_then(|v| v.parse().ok());
                    assert!(version.is_some(), "{name} must start with its number, e.g. 0007_");
                    let text = std::fs::read_to_string(&path).unwrap();
                    let listed = MIGRATIONS.iter().find(|m| {
                        Some(m.version) == version
                            && [Backend::Sqlite, Backend::Postgres].iter().any(|&b| m.sql(b) == text)
                    });
                    assert!(
                        listed.is_some(),
                        "{name} is not listed in MIGRATIONS (crates/store/src/migrate.rs)"
                    );
                    let m = listed.unwrap();
                    assert_eq!(
                        applied.get(&m.version),
                        Some(&Some(m.checksum(backend))),
                        "{name} is applied with its checksum"
                    );
                    versions.insert(m.version);
                }
                assert_eq!(versions.len(), MIGRATIONS.len(), "every listed migration has its file");
                assert_eq!(applied.len(), MIGRATIONS.len());
            })
        })
        .await;
    }

    #[tokio::test]
    async fn checksums_are_added_to_an_older_database_and_an_edited_migration_is_refused() {
        on_both(|s| {
            Box::pin(async move {
                // A database migrated before checksums were recorded.
                sqlx::raw_sql("ALTER TABLE schema_migrations DROP COLUMN checksum")
                    .execute(s.pool())
                    .await
                    .unwrap();
                assert!(s.migrate(NOW).await.unwrap().is_empty());
                let recorded: Vec<(i64, String)> =
                    sqlx::query("SELECT version, checksum FROM schema_migrations ORDER BY version")
                        .fetch_all(s.pool())
                        .await
                        .unwrap()
                        .iter()
                        .map(|r| (r.get(0), r.get(1)))
                        .collect();
                let expected: Vec<(i64, String)> =
                    MIGRATIONS.iter().map(|m| (m.version, m.checksum(s.backend()))).collect();
                assert_eq!(recorded, expected);

                // The file of migration 2 changed after it was applied.
                sqlx::query("UPDATE schema_migrations SET checksum = $1 WHERE version = 2")
                    .bind("0".repeat(64))
                    .execute(s.pool())
                    .await
                    .unwrap();
                let refused = s.migrate(NOW).await.unwrap_err().to_string();
                assert!(refused.contains("migration 2 (collections) has changed"), "{refused}");
            })
        })
        .await;
    }

    #[tokio::test]
    async fn batch_inserts_span_statements_and_streamed_reads_see_every_row() {
        on_both(|s| {
            Box::pin(async move {
                create_table(&s).await;
                // More rows than one statement takes on either database (10,922 on PostgreSQL).
                let mut tx = s.begin().await.unwrap();
                assert_eq!(insert_rows(&mut tx, 0..25_000).await.unwrap(), 25_000);
                tx.commit().await.unwrap();
                assert_eq!(insert_rows(&mut s.conn().await.unwrap(), []).await.unwrap(), 0);

                let mut c = s.conn().await.unwrap();
                let query =
                    sqlx::query("SELECT id, n, note FROM bulk_rows WHERE n >= $1 ORDER BY n").bind(0_i64);
                let rows: Vec<(String, i64, Option<String>)> =
                    bulk::stream(&mut c, query, |r| Ok((r.try_get(0)?, r.try_get(1)?, r.try_get(2)?)))
                        .try_collect()
                        .await
                        .unwrap();
                assert_eq!(rows.len(), 25_000);
                assert!(rows.iter().enumerate().all(|(i, (id, n, note))| {
                    let i = i as i64;
                    *n == i && *id == format!("row-{i}") && *note == (i % 3 == 0).then(|| format!("note {i}"))
                }));

                // A stream dropped part-way leaves the connection usable.
                let first: Vec<i64> =
                    bulk::stream(&mut c, sqlx::query("SELECT n FROM bulk_rows ORDER BY n"), |r| {
                        Ok(r.try_get::<i64, _>(0)?)
                    })
                    .take(3)
                    .try_collect()
                    .await
                    .unwrap();
                assert_eq!(first, [0, 1, 2]);
                let n: i64 =
                    sqlx::query("SELECT COUNT(*) FROM bulk_rows").fetch_one(&mut *c).await.unwrap().get(0);
                assert_eq!(n, 25_000);
            })
        })
        .await;
    }

    #[tokio::test]
    async fn a_failed_batch_insert_leaves_nothing_and_the_transaction_goes_on() {
        on_both(|s| {
            Box::pin(async move {
                create_table(&s).await;
                let mut tx = s.begin().await.unwrap();
                // The last row repeats the first's id: its statement fails and the rows before it,
                // in an earlier statement, go too.
                let duplicate = insert_rows(&mut tx, (0..20_000).chain([0])).await.unwrap_err();
                assert!(matches!(duplicate, StoreError::Conflict { .. }), "{duplicate:?}");
                let short = bulk::insert(&mut tx, "bulk_rows", &["id", "n"], [1], |n, row| {
                    row.push(n.to_string());
                })
                .await
                .unwrap_err();
                assert!(chain(&short).contains("1 values for 2 columns"), "{short:?}");
                assert!(
                    bulk::insert(&mut tx, "bulk_rows; --", &["id"], [1], |n, row| {
                        row.push(n.to_string());
                    })
                    .await
                    .is_err()
                );
                assert_eq!(insert_rows(&mut tx, [7]).await.unwrap(), 1);
                tx.commit().await.unwrap();
                assert_eq!(count(&s).await, 1);

                let mut tx = s.begin().await.unwrap();
                insert_rows(&mut tx, 100..200).await.unwrap();
                tx.rollback().await.unwrap();
                assert_eq!(count(&s).await, 1, "the caller's rollback takes the rows back");
            })
        })
        .await;
    }

    /// Times 100,000 rows inserted by [`bulk::insert`] on both databases, by PostgreSQL's `COPY`
    /// (which needs a `PgConnection`, so it is measured outside the store) and one row to a
    /// statement, for docs/benchmarks.md. Not a test: it asserts nothing about time.
    #[tokio::test]
    #[ignore = "a measurement: cargo test -p formwork-store --test conformance -- --ignored --nocapture"]
    async fn measure_batch_inserts() {
        use std::time::{Duration, Instant};

        use sqlx::Connection as _;

        const ROWS: i64 = 100_000;
        const RUNS: usize = 3;
        const TABLE: &str = "CREATE TABLE measured (id TEXT PRIMARY KEY, at BIGINT NOT NULL, actor_id TEXT, \
                             action TEXT NOT NULL, subject TEXT NOT NULL, details TEXT NOT NULL)";
        fn row(n: i64) -> (String, i64, Option<&'static str>, &'static str, String, String) {
            let actor = (n % 2 == 0).then_some("0190a1b2c3d4e5f60718293a4b5c6d7e");
            (
                format!("{n:032x}"),
                NOW + n,
                actor,
                "record.create",
                format!("returns/{n}"),
                format!("{{\"row\":{n}}}"),
            )
        }
        async fn multi_row(c: &mut sqlx::AnyConnection) -> Duration {
            sqlx::raw_sql("DROP TABLE IF EXISTS measured").execute(&mut *c).await.unwrap();
            sqlx::raw_sql(TABLE).execute(&mut *c).await.unwrap();
            let start = Instant::now();
            let mut tx = c.begin().await.unwrap();
            let columns = ["id", "at", "actor_id", "action", "subject", "details"];
            let n = bulk::insert(&mut tx, "measured", &columns, (0..ROWS).map(row), |r, v| {
                v.push(r.0).push(r.1).push(r.2).push(r.3).push(r.4).push(r.5);
            })
            .await
            .unwrap();
            tx.commit().await.unwrap();
            assert_eq!(n, ROWS as u64);
            start.elapsed()
        }
        async fn one_by_one(c: &mut sqlx::AnyConnection) -> Duration {
            sqlx::raw_sql("DROP TABLE IF EXISTS measured").execute(&mut *c).await.unwrap();
            sqlx::raw_sql(TABLE).execute(&mut *c).await.unwrap();
            let start = Instant::now();
            let mut tx = c.begin().await.unwrap();
            for r in (0..ROWS).map(row) {
                sqlx::query("INSERT INTO measured (id, at, actor_id, action, subject, details) VALUES ($1, $2, $3, $4, $5, $6)")
                    .bind(r.0).bind(r.1).bind(r.2).bind(r.3).bind(r.4).bind(r.5)
                    .execute(&mut *tx).await.unwrap();
            }
            tx.commit().await.unwrap();
            start.elapsed()
        }
        async fn copy(c: &mut sqlx::PgConnection) -> Duration {
            sqlx::raw_sql("DROP TABLE IF EXISTS measured").execute(&mut *c).await.unwrap();
            sqlx::raw_sql(TABLE).execute(&mut *c).await.unwrap();
            let start = Instant::now();
            let mut tx = c.begin().await.unwrap();
            let mut copy = tx
                .copy_in_raw("COPY measured (id, at, actor_id, action, subject, details) FROM STDIN")
                .await
                .unwrap();
            let mut buffer = String::new();
            for r in (0..ROWS).map(row) {
                use std::fmt::Write as _;
                let actor = r.2.unwrap_or("\\N");
                writeln!(buffer, "{}\t{}\t{actor}\t{}\t{}\t{}", r.0, r.1, r.3, r.4, r.5).unwrap();
                if buffer.len() > 1 << 20 {
                    copy.send(std::mem::take(&mut buffer).into_bytes()).await.unwrap();
                }
            }
            copy.send(buffer.into_bytes()).await.unwrap();
            assert_eq!(copy.finish().await.unwrap(), ROWS as u64);
            tx.commit().await.unwrap();
            start.elapsed()
        }
        fn report(what: &str, mut times: Vec<Duration>) {
            times.sort();
            println!(
                "{what}: median {:.3} s, fastest {:.3} s, slowest {:.3} s",
                times[times.len() / 2].as_secs_f64(),
                times[0].as_secs_f64(),
                times[times.len() - 1].as_secs_f64()
            );
        }

        let dir = tempfile::tempdir().unwrap();
        let sqlite =
            Store::connect(&format!("sqlite://{}/measure.db", dir.path().display()), 1).await.unwrap();
        let mut c = sqlite.conn().await.unwrap();
        let mut times = Vec::new();
        for _ in 0..RUNS {
            times.push(multi_row(&mut c).await);
        }
        report("SQLite, bulk::insert (multi-row INSERT)", times);
        report("SQLite, one row to a statement", vec![one_by_one(&mut c).await]);
        drop(c);

        let schema = format!("t_{}", formwork_store::new_id());
        let admin = Store::connect(&super::postgres_url(), 1).await.unwrap();
        sqlx::raw_sql(sqlx::AssertSqlSafe(format!("CREATE SCHEMA {schema}")))
            .execute(admin.pool())
            .await
            .unwrap();
        let url = format!("{}?options=-c%20search_path%3D{schema}", super::postgres_url());
        let postgres = Store::connect(&url, 1).await.unwrap();
        let mut c = postgres.conn().await.unwrap();
        let mut native = sqlx::PgConnection::connect(&url).await.unwrap();
        let (mut inserts, mut copies) = (Vec::new(), Vec::new());
        for _ in 0..RUNS {
            inserts.push(multi_row(&mut c).await);
            copies.push(copy(&mut native).await);
        }
        report("PostgreSQL, bulk::insert (multi-row INSERT)", inserts);
        report("PostgreSQL, COPY FROM STDIN on a PgConnection", copies);
        report("PostgreSQL, one row to a statement", vec![one_by_one(&mut c).await]);
        drop(c);
        postgres.close().await;
        sqlx::raw_sql(sqlx::AssertSqlSafe(format!("DROP SCHEMA {schema} CASCADE")))
            .execute(admin.pool())
            .await
            .unwrap();
    }
}

/// A collection and an organisation to make submissions for; the organisation's id.
async fn submission_fixture(s: &Store) -> String {
    let mut c = s.conn().await.unwrap();
    let v1 =
        collections::Publication { slug: "towns", version: 1, title: "Towns", kind: "return", source: "x" };
    collections::publish(&mut c, &v1, None, NOW).await.unwrap();
    organisations::create(&mut c, "leeds", "Leeds", &BTreeMap::new(), NOW).await.unwrap().id
}

#[tokio::test]
async fn a_period_has_one_submission_however_many_start_it_at_once() {
    on_both(|s| {
        Box::pin(async move {
            use formwork_store::submissions::{self, NewSubmission, SubmissionState};
            let org = submission_fixture(&s).await;
            let starts = (0..8).map(|_| {
                let (s, org) = (s.clone(), org.clone());
                tokio::spawn(async move {
                    let mut tx = s.begin().await.unwrap();
                    let new = NewSubmission {
                        collection: "towns",
                        version: 1,
                        organisation_id: &org,
                        period: "2026-Q2",
                        by: None,
                    };
                    let started = submissions::start(&mut tx, &new, NOW).await.unwrap();
                    tx.commit().await.unwrap();
                    started
                })
            });
            let mut made = 0;
            let mut ids = std::collections::BTreeSet::new();
            for start in starts {
                let (submission, new) = start.await.unwrap();
                made += usize::from(new);
                ids.insert(submission.id);
                assert_eq!((submission.state, submission.revision), (SubmissionState::InProgress, 1));
            }
            assert_eq!((made, ids.len()), (1, 1));
        })
    })
    .await;
}

#[tokio::test]
async fn of_two_saves_from_one_revision_the_second_is_a_conflict_and_changes_nothing() {
    on_both(|s| {
        Box::pin(async move {
            use formwork_store::submissions::{
                self, Confirmation, Filter, NewSubmission, Save, SignOff, SubmissionState, Transition,
            };
            let org = submission_fixture(&s).await;
            let mut c = s.conn().await.unwrap();
            let new = NewSubmission {
                collection: "towns",
                version: 1,
                organisation_id: &org,
                period: "2026-Q2",
                by: None,
            };
            let (started, _) = submissions::start(&mut c, &new, NOW).await.unwrap();
            let first = serde_json::json!({"programme_name": "Harbour", "grant_total": "1234.50"});
            let confirmations = BTreeMap::from([(
                "rule:spend/0/amount".to_string(),
                Confirmation { reason: "A big project".into(), by: None, at: NOW },
            )]);
            let save = Save {
                expected: started.revision,
                answers: first.as_object().unwrap(),
                completed_sections: &["programme".to_string()],
                confirmations: &confirmations,
                version: 1,
                sign_offs: &[],
                state: SubmissionState::InProgress,
                by: None,
            };
            assert_eq!(submissions::save(&mut c, &started.id, &save, NOW + 1).await.unwrap(), 2);
            let second = serde_json::json!({"programme_name": "Other"});
            let stale = Save { answers: second.as_object().unwrap(), ..save };
            let err = submissions::save(&mut c, &started.id, &stale, NOW + 2).await.unwrap_err();
            assert!(matches!(err, StoreError::Conflict { .. }));
            let stored = submissions::by_id(&mut c, &started.id).await.unwrap().unwrap();
            assert_eq!(stored.answers, *first.as_object().unwrap());
            assert_eq!((stored.revision, stored.updated_at), (2, NOW + 1));
            assert_eq!(stored.completed_sections, vec!["programme".to_string()]);
            assert_eq!(stored.confirmations, confirmations);
            let no_comments = BTreeMap::new();
            let accept = Transition {
                expected: 2,
                from: SubmissionState::InProgress,
                to: SubmissionState::Accepted,
                sign_offs: &[],
                review_comments: &no_comments,
                reference: None,
                submitted_at: None,
                by: None,
            };
            assert!(matches!(
                submissions::transition(&mut c, &started.id, &accept, NOW).await,
                Err(StoreError::Conflict { .. })
            ));
            // A move the lifecycle allows, made once: the second from the same revision is refused.
            let signed = vec![SignOff {
                step: 0,
                role: "certifier".into(),
                by: "someone".into(),
                name: "Someone".into(),
                declaration: "True".into(),
                at: NOW,
            }];
            let submit = Transition {
                from: SubmissionState::InProgress,
                to: SubmissionState::ReadyForSignOff,
                sign_offs: &signed,
                reference: Some("TFM-2026Q1-7K3P"),
                submitted_at: Some(NOW),
                ..accept.clone()
            };
            assert_eq!(submissions::transition(&mut c, &started.id, &submit, NOW).await.unwrap(), 3);
            assert!(matches!(
                submissions::transition(&mut c, &started.id, &submit, NOW).await,
                Err(StoreError::Conflict { .. })
            ));
            let moved = submissions::by_id(&mut c, &started.id).await.unwrap().unwrap();
            assert_eq!(moved.state, SubmissionState::ReadyForSignOff);
            assert_eq!(moved.sign_offs, signed);
            assert_eq!(moved.reference.as_deref(), Some("TFM-2026Q1-7K3P"));
            assert!(submissions::reference_taken(&mut c, "TFM-2026Q1-7K3P").await.unwrap());
            assert!(!submissions::reference_taken(&mut c, "TFM-2026Q1-7K3Q").await.unwrap());
            let counts = submissions::count_by_state(
                &mut c,
                &Filter { organisations: Some(vec![org.clone()]), ..Filter::default() },
            )
            .await
            .unwrap();
            assert_eq!(counts, vec![(SubmissionState::ReadyForSignOff, 1)]);
            // A reminder is claimed once.
            assert!(
                submissions::claim_reminder(&mut c, "towns", &org, "2026-04-01", "14d", NOW).await.unwrap()
            );
            assert!(
                !submissions::claim_reminder(&mut c, "towns", &org, "2026-04-01", "14d", NOW).await.unwrap()
            );
            assert!(
                submissions::claim_reminder(&mut c, "towns", &org, "2026-04-01", "3d", NOW).await.unwrap()
            );
            let filter = Filter {
                organisations: Some(vec![org.clone()]),
                collection: Some("towns".into()),
                state: Some(SubmissionState::ReadyForSignOff),
                updated_since: Some(NOW),
                limit: 10,
                ..Filter::default()
            };
            assert_eq!(submissions::list(&mut c, &filter).await.unwrap().len(), 1);
            let other =
                Filter { organisations: Some(vec!["someone-else".into()]), limit: 10, ..Filter::default() };
            assert!(submissions::list(&mut c, &other).await.unwrap().is_empty());
            let none = Filter { organisations: Some(Vec::new()), limit: 10, ..Filter::default() };
            assert!(submissions::list(&mut c, &none).await.unwrap().is_empty());
        })
    })
    .await;
}

#[tokio::test]
async fn an_attached_file_replaces_the_one_before_which_is_kept_for_history() {
    on_both(|s| {
        Box::pin(async move {
            use formwork_store::submissions::{self, Attachment, NewSubmission};
            let org = submission_fixture(&s).await;
            let mut c = s.conn().await.unwrap();
            let new = NewSubmission {
                collection: "towns",
                version: 1,
                organisation_id: &org,
                period: "2026-Q2",
                by: None,
            };
            let (sub, _) = submissions::start(&mut c, &new, NOW).await.unwrap();
            let file = |id: &str, at: i64| Attachment {
                id: id.into(),
                submission_id: sub.id.clone(),
                question: "board_minutes".into(),
                object_key: format!("attachments/{id}"),
                sha256: "ab".repeat(32),
                size: 10,
                media_type: "application/pdf".into(),
                file_name: format!("{id}.pdf"),
                uploaded_by: None,
                uploaded_at: at,
                removed_at: None,
            };
            submissions::attach(&mut c, &file("a1", NOW)).await.unwrap();
            submissions::attach(&mut c, &file("a2", NOW + 1)).await.unwrap();
            let now: Vec<_> = submissions::attachments(&mut c, &sub.id).await.unwrap();
            assert_eq!(now.iter().map(|a| a.id.as_str()).collect::<Vec<_>>(), ["a2"]);
            let old = submissions::attachment_by_id(&mut c, &sub.id, "a1").await.unwrap().unwrap();
            assert_eq!(old.removed_at, Some(NOW + 1));
            assert!(submissions::attachment_by_id(&mut c, "another", "a1").await.unwrap().is_none());
            assert_eq!(submissions::detach(&mut c, &sub.id, "board_minutes", NOW + 2).await.unwrap(), 1);
            assert!(submissions::attachments(&mut c, &sub.id).await.unwrap().is_empty());
        })
    })
    .await;
}

#[tokio::test]
async fn a_repeated_idempotency_key_gets_the_first_answer() {
    on_both(|s| {
        Box::pin(async move {
            use formwork_store::submissions::{self, Remembered};
            let mut c = s.conn().await.unwrap();
            let first = Remembered { fingerprint: "POST /x".into(), status: 201, body: "{}".into() };
            submissions::remember(&mut c, "u1", "k", &first, NOW).await.unwrap();
            let second = Remembered { fingerprint: "POST /y".into(), status: 200, body: "[]".into() };
            submissions::remember(&mut c, "u1", "k", &second, NOW).await.unwrap();
            assert_eq!(submissions::remembered(&mut c, "u1", "k").await.unwrap(), Some(first));
            assert_eq!(submissions::remembered(&mut c, "u2", "k").await.unwrap(), None);
        })
    })
    .await;
}
