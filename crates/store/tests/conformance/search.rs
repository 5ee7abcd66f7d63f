//! Searching submissions and records (`formwork_store::search`), on both databases: every filter
//! selects exactly its rows, every order pages forwards and back by key through ties on its sort
//! key, LIKE's wildcards typed as text are only text, and a member's visibility is a hard limit.

use std::collections::BTreeMap;

use formwork_store::search::{self, Cursor, CursorKey, Found, Page, Selection, Sort, Subject};
use formwork_store::{Store, collections, organisations};

use super::{NOW, on_both};

/// One row of the fixture, as the test expects to find it.
#[derive(Clone, Debug)]
struct Row {
    id: String,
    collection: &'static str,
    version: i64,
    organisation: String,
    organisation_name: &'static str,
    period: String,
    state: &'static str,
    reference: Option<String>,
    updated_at: i64,
}

const ORGANISATIONS: [(&str, &str); 3] =
    [("leeds", "Leeds City Council"), ("york", "York 100%_Homes"), ("bath", "Bath and North East")];

/// Organisations, a return and a log, and rows of each with ties on every sort key: updated
/// times in fours, record keys in pairs (and some missing), periods in thirds. Returns the rows
/// of `subject` and each organisation's id by slug.
async fn fixture(s: &Store, subject: Subject) -> (Vec<Row>, BTreeMap<&'static str, String>) {
    let mut c = s.conn().await.unwrap();
    for (slug, kind) in [("towns", "return"), ("lets", "log")] {
        for version in [1, 2] {
            let p = collections::Publication { slug, version, title: slug, kind, source: "x" };
            collections::publish(&mut c, &p, None, NOW).await.unwrap();
        }
    }
    let mut ids = BTreeMap::new();
    for (slug, name) in ORGANISATIONS {
        ids.insert(slug, organisations::create(&mut c, slug, name, &BTreeMap::new(), NOW).await.unwrap().id);
    }
    let mut rows = Vec::new();
    for i in 0..36_usize {
        let (slug, name) = ORGANISATIONS[i % 3];
        let n = i64::try_from(i).unwrap();
        let row = match subject {
            Subject::Submissions => Row {
                id: format!("sub-{i:03}"),
                // One return per collection, organisation and period: 2 × 3 × 6.
                collection: if i < 18 { "towns" } else { "lets" },
                version: 1 + n % 2,
                organisation: ids[slug].clone(),
                organisation_name: name,
                period: format!("2026-{:02}-01", 1 + (i / 3) % 6),
                state: ["in_progress", "submitted", "accepted"][(i / 2) % 3],
                // References are unique; drafts have none (ties on the sort key's stand-in).
                reference: (i % 4 != 0).then(|| format!("TWN-{:02}-{}", 40 - i, ["AB", "CD"][i % 2])),
                updated_at: NOW + (n / 4) * 1000,
            },
            Subject::Records => Row {
                id: format!("rec-{i:03}"),
                collection: "lets",
                version: 1 + n % 2,
                organisation: ids[slug].clone(),
                organisation_name: name,
                period: format!("2026-{:02}-01", 4 + (i / 12)),
                state: ["in_progress", "completed", "deleted", "completed"][i % 4],
                reference: (i % 5 != 0).then(|| format!("tc-{:02}\u{1f}2026-05-01", 20 - i / 2)),
                updated_at: NOW + (n / 4) * 1000,
            },
        };
        rows.push(row);
    }
    for row in &rows {
        let sql = match subject {
            Subject::Submissions => {
                "INSERT INTO submissions (id, collection_slug, version, organisation_id, period, state, revision, answers, \
                 completed_sections, confirmations, created_at, updated_at, reference, submitted_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, 1, '{}', '[]', '{}', $7, $7, $8, $9)"
            }
            Subject::Records => {
                "INSERT INTO records (id, collection_slug, version, organisation_id, period, state, revision, answers, \
                 confirmations, created_at, updated_at, record_key, upload_row) \
                 VALUES ($1, $2, $3, $4, $5, $6, 1, '{}', '{}', $7, $7, $8, $9)" // upload_row: NULL
            }
        };
        let submitted =
            (subject == Subject::Submissions && row.reference.is_some()).then_some(row.updated_at);
        sqlx::query(sql)
            .bind(&row.id)
            .bind(row.collection)
            .bind(row.version)
            .bind(&row.organisation)
            .bind(&row.period)
            .bind(row.state)
            .bind(row.updated_at)
            .bind(&row.reference)
            .bind(submitted)
            .execute(&mut *c)
            .await
            .unwrap();
    }
    (rows, ids)
}

/// The rows `selection` should select, in `sort` order, worked out here without SQL.
fn expected(rows: &[Row], selection: &Selection, sort: Sort) -> Vec<String> {
    let text = selection.text.as_deref().map(|t| t.trim().to_lowercase()).filter(|t| !t.is_empty());
    let mut chosen: Vec<&Row> = rows
        .iter()
        .filter(|r| selection.organisations.as_ref().is_none_or(|o| o.contains(&r.organisation)))
        .filter(|r| selection.collection.as_deref().is_none_or(|c| c == r.collection))
        .filter(|r| selection.version.is_none_or(|v| v == r.version))
        .filter(|r| selection.period.as_deref().is_none_or(|p| p == r.period))
        .filter(|r| {
            if selection.states.is_empty() {
                r.state != "deleted"
            } else {
                selection.states.iter().any(|s| s == r.state)
            }
        })
        .filter(|r| selection.updated_since.is_none_or(|t| r.updated_at >= t))
        .filter(|r| {
            text.as_deref().is_none_or(|t| {
                r.organisation_name.to_lowercase().contains(t)
                    || r.reference.as_deref().is_some_and(|x| x.to_lowercase().contains(t))
            })
        })
        .collect();
    let reference = |r: &Row| r.reference.clone().unwrap_or_else(|| "\u{10FFFF}".into());
    match sort {
        Sort::Updated => chosen.sort_by(|a, b| (b.updated_at, &b.id).cmp(&(a.updated_at, &a.id))),
        Sort::Oldest => chosen.sort_by(|a, b| (a.updated_at, &a.id).cmp(&(b.updated_at, &b.id))),
        Sort::Period => chosen.sort_by(|a, b| (&b.period, &b.id).cmp(&(&a.period, &a.id))),
        Sort::Reference => chosen.sort_by(|a, b| (reference(a), &a.id).cmp(&(reference(b), &b.id))),
    }
    chosen.into_iter().map(|r| r.id.clone()).collect()
}

fn ids(found: &Found) -> Vec<String> {
    found.hits.iter().map(|h| h.id.clone()).collect()
}

/// Every row of `selection` on one page.
async fn everything(s: &Store, selection: &Selection, sort: Sort) -> Vec<String> {
    let mut c = s.conn().await.unwrap();
    let page = Page { sort, limit: 1000, ..Page::default() };
    let found = search::search(&mut c, selection, &page).await.unwrap();
    assert_eq!((found.next.as_ref(), found.previous.as_ref()), (None, None), "one page holds everything");
    ids(&found)
}

/// Each filter alone and several together select exactly the expected rows, counted as found.
async fn filters_select_exactly_their_rows(s: Store, subject: Subject) {
    let (rows, orgs) = fixture(&s, subject).await;
    let all = Selection::all(subject);
    let some = |f: &dyn Fn(&mut Selection)| {
        let mut selection = all.clone();
        f(&mut selection);
        selection
    };
    let selections = [
        all.clone(),
        some(&|x| x.organisations = Some(vec![orgs["york"].clone()])),
        some(&|x| x.organisations = Some(vec![orgs["york"].clone(), orgs["bath"].clone()])),
        some(&|x| x.collection = Some("lets".into())),
        some(&|x| x.collection = Some("nothing".into())),
        some(&|x| x.version = Some(2)),
        some(&|x| x.period = Some("2026-05-01".into())),
        some(&|x| x.states = vec!["completed".into(), "submitted".into()]),
        some(&|x| x.states = vec!["deleted".into()]),
        some(&|x| x.updated_since = Some(NOW + 5000)),
        some(&|x| x.text = Some("LEEDS".into())),
        some(&|x| x.text = Some("tc-1".into())),
        some(&|x| x.text = Some("TWN-3".into())),
        some(&|x| x.text = Some("  ".into())),
        some(&|x| {
            x.collection = Some("lets".into());
            x.version = Some(1);
            x.period = Some("2026-05-01".into());
            x.organisations = Some(vec![orgs["leeds"].clone(), orgs["york"].clone()]);
            x.updated_since = Some(NOW + 2000);
        }),
    ];
    let mut c = s.conn().await.unwrap();
    for selection in &selections {
        let want = expected(&rows, selection, Sort::Updated);
        assert_eq!(everything(&s, selection, Sort::Updated).await, want, "{selection:?}");
        assert_eq!(search::count(&mut c, selection).await.unwrap(), i64::try_from(want.len()).unwrap());
        // Counts by state leave the state filter aside, and count deleted records too.
        let counts: BTreeMap<String, i64> =
            search::count_by_state(&mut c, selection).await.unwrap().into_iter().collect();
        let stateless = Selection { states: Vec::new(), ..selection.clone() };
        let mut want_counts = BTreeMap::new();
        for row in rows.iter().filter(|r| {
            expected(
                &rows,
                &Selection { states: vec![r.state.to_string()], ..stateless.clone() },
                Sort::Updated,
            )
            .contains(&r.id)
        }) {
            *want_counts.entry(row.state.to_string()).or_insert(0) += 1;
        }
        assert_eq!(counts, want_counts, "{selection:?}");
    }
    assert!(
        !expected(&rows, &selections[14], Sort::Updated).is_empty(),
        "the combined filter selects some rows"
    );
}

#[tokio::test]
async fn search_filters_select_exactly_their_rows() {
    on_both(|s| Box::pin(filters_select_exactly_their_rows(s, Subject::Submissions))).await;
    on_both(|s| Box::pin(filters_select_exactly_their_rows(s, Subject::Records))).await;
}

/// Pages of `limit` forwards through `selection` in `sort` order, then back from the last page.
async fn pages_by_key(s: &Store, selection: &Selection, sort: Sort, limit: i64) -> Vec<Vec<String>> {
    let mut c = s.conn().await.unwrap();
    let mut forwards = Vec::new();
    let mut page = Page { sort, limit, ..Page::default() };
    loop {
        let found = search::search(&mut c, selection, &page).await.unwrap();
        assert_eq!(
            found.previous.is_some(),
            !forwards.is_empty(),
            "only the first page has no previous page"
        );
        forwards.push(ids(&found));
        // Every cursor survives its token.
        for cursor in [&found.next, &found.previous].into_iter().flatten() {
            assert_eq!(Cursor::from_token(&cursor.token(sort), sort).as_ref(), Some(cursor));
        }
        match found.next {
            Some(next) => page.after = Some(next),
            None => break,
        }
        assert!(forwards.len() < 100, "paging never ends");
    }
    // Back from the last page: the same pages, in reverse.
    let mut backwards = Vec::new();
    let mut page = Page { sort, limit, ..Page::default() };
    let mut before = {
        let mut last = Page { sort, limit, ..Page::default() };
        let mut found = search::search(&mut c, selection, &last).await.unwrap();
        while let Some(next) = found.next.clone() {
            last.after = Some(next);
            found = search::search(&mut c, selection, &last).await.unwrap();
        }
        found.previous
    };
    while let Some(cursor) = before {
        page.before = Some(cursor);
        let found = search::search(&mut c, selection, &page).await.unwrap();
        assert!(found.next.is_some(), "a page before another has a next page");
        backwards.push(ids(&found));
        before = found.previous;
    }
    backwards.reverse();
    let shown = forwards.len().saturating_sub(1);
    assert_eq!(
        backwards,
        forwards[..shown].to_vec(),
        "{sort:?}: going back gives the pages going forwards gave"
    );
    forwards
}

async fn every_sort_pages_by_key(s: Store, subject: Subject) {
    let (rows, _) = fixture(&s, subject).await;
    let all = Selection::all(subject);
    let narrow = Selection { text: Some("e".into()), version: Some(1), ..Selection::all(subject) };
    for selection in [&all, &narrow] {
        for sort in Sort::ALL {
            let want = expected(&rows, selection, sort);
            assert_eq!(everything(&s, selection, sort).await, want, "{sort:?}");
            for limit in [1, 3, 4, 7] {
                let pages = pages_by_key(&s, selection, sort, limit).await;
                assert!(pages.iter().all(|p| p.len() <= usize::try_from(limit).unwrap()));
                assert_eq!(pages.concat(), want, "{sort:?} by {limit}: every row once, in order");
            }
        }
    }
}

#[tokio::test]
async fn every_sort_pages_forwards_and_backwards_by_key_through_ties() {
    on_both(|s| Box::pin(every_sort_pages_by_key(s, Subject::Submissions))).await;
    on_both(|s| Box::pin(every_sort_pages_by_key(s, Subject::Records))).await;
}

#[tokio::test]
async fn like_wildcards_in_the_text_are_only_text() {
    on_both(|s| {
        Box::pin(async move {
            let (rows, orgs) = fixture(&s, Subject::Records).await;
            let york: Vec<String> = expected(
                &rows,
                &Selection {
                    organisations: Some(vec![orgs["york"].clone()]),
                    ..Selection::all(Subject::Records)
                },
                Sort::Updated,
            );
            assert!(!york.is_empty());
            for (text, want) in [("%", &york), ("_", &york), ("100%_h", &york), ("0%_", &york)] {
                let selection = Selection { text: Some(text.into()), ..Selection::all(Subject::Records) };
                assert_eq!(&everything(&s, &selection, Sort::Updated).await, want, "{text}");
            }
            for text in ["\\", "%%%", "1_0", "york\\", "'; DROP TABLE records; --"] {
                let selection = Selection { text: Some(text.into()), ..Selection::all(Subject::Records) };
                assert!(everything(&s, &selection, Sort::Updated).await.is_empty(), "{text}");
            }
        })
    })
    .await;
}

#[tokio::test]
async fn a_member_sees_only_the_organisations_given() {
    on_both(|s| {
        Box::pin(async move {
            let (rows, orgs) = fixture(&s, Subject::Submissions).await;
            let mut c = s.conn().await.unwrap();
            let leeds = Selection {
                organisations: Some(vec![orgs["leeds"].clone()]),
                ..Selection::all(Subject::Submissions)
            };
            let found = everything(&s, &leeds, Sort::Reference).await;
            assert!(!found.is_empty());
            assert!(
                found.iter().all(|id| rows.iter().any(|r| &r.id == id && r.organisation == orgs["leeds"]))
            );
            // Text matching another organisation's name finds nothing of it.
            let other = Selection { text: Some("York".into()), ..leeds.clone() };
            assert!(everything(&s, &other, Sort::Updated).await.is_empty());
            // No organisation: nothing at all, counted as nothing.
            let none = Selection { organisations: Some(Vec::new()), ..Selection::all(Subject::Submissions) };
            assert!(everything(&s, &none, Sort::Updated).await.is_empty());
            assert_eq!(search::count(&mut c, &none).await.unwrap(), 0);
            assert!(search::count_by_state(&mut c, &none).await.unwrap().is_empty());
            assert!(search::batch(&mut c, &none, None, 100).await.unwrap().is_empty());
        })
    })
    .await;
}

/// The counts kept by group (migration 12's triggers) against the rows counted afresh, for the
/// selections a search page counts by group.
async fn counts_agree_with_the_rows(s: &Store, subject: Subject, orgs: &BTreeMap<&'static str, String>) {
    let mut c = s.conn().await.unwrap();
    let all = Selection::all(subject);
    for selection in [
        all.clone(),
        Selection { collection: Some("lets".into()), ..all.clone() },
        Selection { version: Some(2), period: Some("2026-05-01".into()), ..all.clone() },
        Selection { organisations: Some(vec![orgs["york"].clone()]), ..all.clone() },
        Selection { states: vec!["completed".into(), "accepted".into()], ..all.clone() },
    ] {
        let counted: BTreeMap<String, i64> =
            search::count_by_state(&mut c, &selection).await.unwrap().into_iter().collect();
        // The same, counted row by row (a filter the counts do not hold goes the slow way).
        let live = Selection { updated_since: Some(0), ..selection.clone() };
        let fresh: BTreeMap<String, i64> =
            search::count_by_state(&mut c, &live).await.unwrap().into_iter().collect();
        assert!(!fresh.is_empty() || selection.states.len() > 1, "{subject:?}: {selection:?}");
        assert_eq!(counted, fresh, "{subject:?}: {selection:?}");
        assert_eq!(
            search::count(&mut c, &selection).await.unwrap(),
            search::count(&mut c, &live).await.unwrap(),
            "{subject:?}: {selection:?}"
        );
    }
}

/// Rows inserted, changed in what is counted (or not), deleted, and copied many in one statement:
/// after each, the counts kept by group are the rows' own.
async fn counts_stay_true(s: Store, subject: Subject) {
    let (rows, orgs) = fixture(&s, subject).await;
    counts_agree_with_the_rows(&s, subject, &orgs).await;
    let table = match subject {
        Subject::Submissions => "submissions",
        Subject::Records => "records",
    };
    let mut c = s.conn().await.unwrap();
    // A change of state, of version, of both, of nothing counted, and a delete: each
    // moves its row between groups (or not at all).
    let changes = [
        format!("UPDATE {table} SET state = 'completed' WHERE id = '{}'", rows[0].id),
        format!("UPDATE {table} SET version = 2 WHERE id = '{}'", rows[1].id),
        format!("UPDATE {table} SET version = 1, state = 'accepted' WHERE id = '{}'", rows[3].id),
        format!("UPDATE {table} SET answers = '{{\"a\":1}}' WHERE id = '{}'", rows[4].id),
        format!("UPDATE {table} SET state = 'in_progress' WHERE organisation_id = '{}'", orgs["bath"]),
        format!("DELETE FROM {table} WHERE id IN ('{}', '{}')", rows[5].id, rows[6].id),
    ];
    for sql in changes {
        sqlx::query(sqlx::AssertSqlSafe(sql)).execute(&mut *c).await.unwrap();
        counts_agree_with_the_rows(&s, subject, &orgs).await;
    }
    // Many rows in one statement (as an upload stores them), committed; then again in
    // a transaction that rolls back: counted, then not.
    let columns = match subject {
        Subject::Submissions => {
            "collection_slug, version, organisation_id, state, revision, answers, completed_sections, confirmations, created_at, updated_at"
        }
        Subject::Records => {
            "collection_slug, version, organisation_id, state, revision, answers, confirmations, created_at, updated_at"
        }
    };
    let copy = |suffix: &str| {
        format!(
            "INSERT INTO {table} (id, period, {columns}) \
                 SELECT id || '{suffix}', period || '{suffix}', {columns} FROM {table} WHERE id NOT LIKE '%-%-%'"
        )
    };
    sqlx::query(sqlx::AssertSqlSafe(copy("-a"))).execute(&mut *c).await.unwrap();
    counts_agree_with_the_rows(&s, subject, &orgs).await;
    let mut tx = s.begin().await.unwrap();
    sqlx::query(sqlx::AssertSqlSafe(copy("-b"))).execute(&mut *tx).await.unwrap();
    drop(tx);
    counts_agree_with_the_rows(&s, subject, &orgs).await;
}

#[tokio::test]
async fn counts_by_state_stay_true_through_inserts_changes_and_deletes() {
    on_both(|s| Box::pin(counts_stay_true(s, Subject::Submissions))).await;
    on_both(|s| Box::pin(counts_stay_true(s, Subject::Records))).await;
}

/// An export's reader gives exactly the rows, in id order, that the generic batches give: each
/// organisation's slug and name looked up by the reader (in whichever batch first has it) as the
/// generic batch joins them. Batches of two, so that the third organisation is first met in a
/// later batch.
#[tokio::test]
async fn an_exports_reader_reads_what_a_batch_reads() {
    on_both(|s| Box::pin(reader_reads_what_a_batch_reads(s, Subject::Records))).await;
    on_both(|s| Box::pin(reader_reads_what_a_batch_reads(s, Subject::Submissions))).await;
}

async fn reader_reads_what_a_batch_reads(s: Store, subject: Subject) {
    let (_, orgs) = fixture(&s, subject).await;
    let mut c = s.conn().await.unwrap();
    for selection in [
        Selection::all(subject),
        Selection { organisations: Some(vec![orgs["leeds"].clone()]), ..Selection::all(subject) },
        Selection { organisations: Some(Vec::new()), ..Selection::all(subject) },
        Selection { text: Some("tc-1".into()), states: vec!["completed".into()], ..Selection::all(subject) },
    ] {
        let want = search::batch(&mut c, &selection, None, 1000).await.unwrap();
        let reader = s.reader(selection.clone());
        let (mut got, mut after) = (Vec::new(), None::<String>);
        loop {
            let batch = reader.batch(after.as_deref(), 2).await.unwrap();
            for row in batch.rows() {
                let row = row.unwrap();
                got.push((
                    row.id.to_string(),
                    row.version,
                    row.organisation_slug.to_string(),
                    row.organisation_name.to_string(),
                    row.period.to_string(),
                    row.state.to_string(),
                    row.reference.map(str::to_string),
                    row.upload_id.map(str::to_string),
                    row.submitted_at,
                    row.updated_at,
                    row.answers.to_string(),
                ));
            }
            if batch.len() < 2 {
                break;
            }
            after = batch.last_id().map(str::to_string);
        }
        let want: Vec<_> = want
            .into_iter()
            .map(|r| {
                (
                    r.id,
                    r.version,
                    r.organisation_slug,
                    r.organisation_name,
                    r.period,
                    r.state,
                    r.reference,
                    r.upload_id,
                    r.submitted_at,
                    r.updated_at,
                    r.answers,
                )
            })
            .collect();
        assert_eq!(got, want, "{selection:?}");
    }
}

/// An organisation renamed while an export reads keeps, in that export, the name the export first
/// met; an export started afterwards has the new name.
#[tokio::test]
async fn an_exports_reader_keeps_the_organisation_name_it_first_met() {
    on_both(|s| {
        Box::pin(async move {
            let (_, orgs) = fixture(&s, Subject::Records).await;
            let selection = Selection {
                organisations: Some(vec![orgs["leeds"].clone()]),
                ..Selection::all(Subject::Records)
            };
            let names = |batch: &formwork_store::rows::Batch| -> Vec<String> {
                batch.rows().map(|row| row.unwrap().organisation_name.to_string()).collect()
            };
            let reader = s.reader(selection.clone());
            let first = reader.batch(None, 2).await.unwrap();
            assert_eq!(names(&first), ["Leeds City Council"; 2]);
            let mut c = s.conn().await.unwrap();
            organisations::update(&mut c, &orgs["leeds"], "Leeds (renamed)", &BTreeMap::new(), NOW)
                .await
                .unwrap();
            let second = reader.batch(first.last_id(), 2).await.unwrap();
            assert_eq!(names(&second), ["Leeds City Council"; 2], "the same export, the name it met");
            let fresh = s.reader(selection).batch(None, 2).await.unwrap();
            assert_eq!(names(&fresh), ["Leeds (renamed)"; 2], "a new export, the name now");
        })
    })
    .await;
}

#[test]
fn a_token_holds_its_cursor_for_its_own_order_only() {
    let at = Cursor { key: CursorKey::Time(NOW), id: "abc".into() };
    let text = Cursor { key: CursorKey::Text("2026-04-01".into()), id: "abc".into() };
    assert_eq!(Cursor::from_token(&at.token(Sort::Updated), Sort::Updated), Some(at.clone()));
    assert_eq!(Cursor::from_token(&at.token(Sort::Oldest), Sort::Updated), None, "another order's");
    assert_eq!(Cursor::from_token(&text.token(Sort::Period), Sort::Period), Some(text.clone()));
    assert_eq!(
        Cursor::from_token(&text.token(Sort::Updated), Sort::Updated),
        None,
        "a text key for a time order"
    );
    for garbled in ["", "not a token", "e30", "eyJzb3J0IjoidXBkYXRlZCJ9", "%%%"] {
        assert_eq!(Cursor::from_token(garbled, Sort::Updated), None, "{garbled}");
    }
}
