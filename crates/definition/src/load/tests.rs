use super::load;
use crate::diagnostic::Diagnostic;

fn example(name: &str) -> Vec<u8> {
    std::fs::read(format!("{}/../../examples/{name}.yaml", env!("CARGO_MANIFEST_DIR"))).unwrap()
}

fn problems(text: &str) -> Vec<Diagnostic> {
    load(text.as_bytes()).expect_err("expected problems")
}

fn codes(text: &str) -> Vec<(&'static str, u32, u32)> {
    problems(text).iter().map(|d| (d.code, d.span.line, d.span.column)).collect()
}

const HEAD: &str = "formwork: 1\ncollection: t\nversion: 1\ntitle: T\nkind: return\nschedule: {frequency: annual, start: 2026-04-01, due: 30d}\n";

fn with_sections(sections: &str) -> String {
    format!("{HEAD}sections:\n{sections}")
}

#[test]
fn misspelt_key_is_reported_once_with_a_suggestion() {
    let d = problems(&with_sections(
        "  - id: a\n    title: A\n    questions:\n      - {id: q, lable: Q, type: text}\n",
    ));
    assert_eq!(d.len(), 1, "{d:?}");
    assert_eq!((d[0].code, d[0].span.line, d[0].span.column), ("unknown-key", 11, 17));
    assert_eq!(d[0].help.as_deref(), Some("did you mean `label`?"));
}

#[test]
fn expression_errors_point_inside_the_expression() {
    let text = with_sections(
        "  - id: a\n    title: A\n    questions:\n      - {id: n, label: N, type: integer}\n      - {id: d, label: D, type: date, when: 'n >= 1 && d > 5'}\n",
    );
    // `d > 5` compares a date with a number: the place is the `d` inside the quoted expression.
    assert_eq!(codes(&text), vec![("expression", 12, 56)]);
}

#[test]
fn conditions_that_depend_on_themselves_are_loops() {
    let text = with_sections(
        "  - id: a\n    title: A\n    questions:\n      - {id: x, label: X, type: integer, when: 'y > 1'}\n      - {id: y, label: Y, type: integer, when: 'x > 1'}\n      - {id: z, label: Z, type: integer, when: 'z > 1'}\n",
    );
    let d = problems(&text);
    assert_eq!(
        d.iter().map(|d| (d.code, d.span.line)).collect::<Vec<_>>(),
        vec![("cycle", 11), ("cycle", 13)],
        "{d:?}"
    );
    assert!(d[0].message.contains("question `x`, question `y` form a loop"), "{}", d[0].message);
    assert!(d[1].message.contains("question `z` depends on itself"));
}

#[test]
fn kind_specific_keys_are_checked() {
    let log = HEAD.replace("kind: return", "kind: log");
    let text = format!(
        "{log}sections:\n  - id: a\n    title: A\n    table:\n      columns: [{{id: c, label: C, type: text}}]\n"
    );
    assert_eq!(codes(&text), vec![("not-for-kind", 10, 5)]);
    let text = format!(
        "{HEAD}record_key: [a]\nsections:\n  - id: s\n    title: S\n    questions: [{{id: a, label: A, type: text}}]\n"
    );
    assert_eq!(codes(&text), vec![("not-for-kind", 7, 1)]);
}

#[test]
fn hostile_values_get_diagnostics_not_panics() {
    let huge = format!(
        "{HEAD}sections:\n  - id: a\n    title: {}\n    questions: [{{id: q, label: Q, type: text}}]\n",
        "x".repeat(3_000_000)
    );
    assert_eq!(codes(&huge), vec![("too-long", 9, 12)]);
    let big_number = with_sections(
        "  - id: a\n    title: A\n    questions: [{id: q, label: Q, type: integer, max: 1e999999}]\n",
    );
    assert_eq!(codes(&big_number)[0].0, "not-a-number");
    let deep = format!("{HEAD}sections: {}{}\n", "[".repeat(200), "]".repeat(200));
    assert!(!problems(&deep).is_empty());
}

#[test]
fn the_three_examples_load_without_problems() {
    for name in ["lettings-log", "single-audit", "towns-fund-monitoring"] {
        if let Err(d) = load(&example(name)) {
            panic!(
                "{name}: {}",
                crate::diagnostic::render(name, &String::from_utf8_lossy(&example(name)), &d)
            );
        }
    }
}

mod properties {
    use proptest::prelude::*;

    use super::*;

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(256))]

        #[test]
        fn loading_any_bytes_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..400)) {
            let _ = load(&bytes);
        }

        #[test]
        fn a_damaged_example_gets_diagnostics_inside_the_file(cut in 0usize..10_000, at in 0usize..10_000, byte in any::<u8>()) {
            let mut bytes = example("towns-fund-monitoring");
            let at = at % bytes.len();
            bytes[at] = byte;
            bytes.truncate(cut.max(1).min(bytes.len()));
            let lines = bytes.iter().filter(|b| **b == b'\n').count() as u32 + 1;
            if let Err(problems) = load(&bytes) {
                prop_assert!(!problems.is_empty());
                for p in problems {
                    prop_assert!(p.span.line <= lines, "{:?} past line {}", p, lines);
                }
            }
        }
    }
}

#[test]
fn a_definition_written_as_json_loads_like_its_yaml() {
    for name in ["lettings-log", "single-audit", "towns-fund-monitoring"] {
        let yaml = load(&example(name)).unwrap();
        let json = serde_json::to_vec_pretty(&yaml.source).unwrap();
        let from_json = load(&json).unwrap_or_else(|d| panic!("{name}: {d:?}"));
        assert_eq!(from_json.questions.len(), yaml.questions.len());
        assert_eq!(from_json.tables.len(), yaml.tables.len());
        assert_eq!(from_json.rules.len(), yaml.rules.len());
        assert_eq!(from_json.schedule, yaml.schedule);
    }
}

#[test]
fn problems_in_a_json_definition_have_lines_and_columns() {
    let text = "{\n  \"formwork\": 1,\n  \"collection\": \"j\",\n  \"version\": 1,\n  \"title\": \"J\",\n  \"kind\": \"return\",\n  \"schedule\": {\"frequency\": \"annual\", \"start\": \"2026-04-01\", \"due\": \"30d\"},\n  \"sections\": [{\"id\": \"s\", \"title\": \"S\", \"questions\": [{\"id\": \"q\", \"label\": \"Q\", \"type\": \"integr\"}]}]\n}\n";
    let d = problems(text);
    assert_eq!((d[0].code, d[0].span.line, d[0].span.column), ("unknown-value", 8, 90));
    assert_eq!(d[0].help.as_deref(), Some("did you mean `integer`?"));
}

fn with_reminders(reminders: &str) -> String {
    let head = HEAD.replace("due: 30d}", &format!("due: 30d, reminders: {reminders}}}"));
    format!("{head}sections:\n  - id: a\n    title: A\n    questions: [{{id: q, label: Q, type: text}}]\n")
}

#[test]
fn reminders_are_read_as_days_largest_first() {
    let def = load(with_reminders("[3d, 2w, 30d]").as_bytes()).unwrap();
    assert_eq!(def.schedule.reminders, vec![30, 14, 3]);
    let none = load(
        with_sections("  - id: a\n    title: A\n    questions: [{id: q, label: Q, type: text}]\n").as_bytes(),
    )
    .unwrap();
    assert!(none.schedule.reminders.is_empty(), "no reminders unless asked for");
}

#[test]
fn bad_reminders_are_reported_where_they_are_written() {
    let d = problems(&with_reminders("[14d, soon, 1m, 0d, 2w, 400d]"));
    let found: Vec<_> = d.iter().map(|d| (d.code, d.span.line, d.span.column)).collect();
    assert_eq!(
        found,
        vec![
            ("bad-duration", 6, 77),
            ("bad-duration", 6, 83),
            ("bad-duration", 6, 87),
            ("duplicate-reminder", 6, 91),
            ("out-of-range", 6, 95),
        ],
        "{d:?}"
    );
    assert_eq!(d[1].help.as_deref(), Some("write it in days or weeks, such as `28d` or `4w`"));
    assert!(d[3].message.contains("the same as `14d`"), "{}", d[3].message);
    assert_eq!(d[4].help.as_deref(), Some("give fewer than 394 days before the due date"));
    assert_eq!(codes(&with_reminders("14d")), vec![("wrong-shape", 6, 71)]);
}

#[test]
fn a_once_collection_may_have_reminders() {
    let head = HEAD.replace(
        "{frequency: annual, start: 2026-04-01, due: 30d}",
        "{frequency: once, start: 2026-04-01, end: 2026-04-30, due: 2w, reminders: [1w]}",
    );
    let text = format!(
        "{head}sections:\n  - id: a\n    title: A\n    questions: [{{id: q, label: Q, type: text}}]\n"
    );
    let def = load(text.as_bytes()).unwrap_or_else(|d| panic!("{d:?}"));
    assert_eq!(def.schedule.reminders, vec![7]);
}
