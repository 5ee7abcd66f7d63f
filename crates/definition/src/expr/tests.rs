use std::collections::HashMap;
use std::str::FromStr;

use chrono::NaiveDate;
use rust_decimal::Decimal;

use super::*;
use crate::value::Value;

struct Fixture {
    globals: HashMap<String, Global>,
    tables: Vec<TableType>,
    lists: Vec<(String, Vec<String>)>,
}

/// Questions: `n` number (slot 0), `d1`, `d2` dates (1, 2), `flag` yes/no (3), `rag` choice (4),
/// `rows` table with `amount` number and `source` choice (5), `name` text (6).
fn fixture() -> Fixture {
    let mut globals = HashMap::new();
    for (name, slot, ty) in [
        ("n", 0, Ty::Number),
        ("d1", 1, Ty::Date),
        ("d2", 2, Ty::Date),
        ("flag", 3, Ty::Bool),
        ("rag", 4, Ty::Choice(0)),
        ("rows", 5, Ty::List(Box::new(Ty::Row(0)))),
        ("name", 6, Ty::Text),
    ] {
        globals.insert(name.to_string(), Global { slot, ty });
    }
    Fixture {
        globals,
        tables: vec![TableType {
            id: "rows".into(),
            columns: vec![("amount".into(), Ty::Number), ("source".into(), Ty::Choice(1))],
        }],
        lists: vec![
            ("rag".into(), vec!["green".into(), "amber".into(), "red".into()]),
            ("source".into(), vec!["tf".into(), "public".into()]),
        ],
    }
}

fn env(f: &Fixture) -> TypeEnv<'_> {
    TypeEnv { globals: &f.globals, tables: &f.tables, choice_lists: &f.lists, row: None }
}

fn dec(s: &str) -> Value {
    Value::Number(Decimal::from_str(s).unwrap())
}

fn date(s: &str) -> Value {
    Value::Date(NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap())
}

fn row(amount: Value, source: &str) -> Value {
    Value::Row(vec![amount, Value::text(source)].into())
}

fn answers() -> Vec<Value> {
    vec![
        dec("10"),
        date("2026-04-01"),
        date("2026-06-30"),
        Value::Bool(true),
        Value::text("amber"),
        Value::List(vec![row(dec("0.10"), "tf"), row(dec("2.5"), "public")].into()),
        Value::text("Towns"),
    ]
}

fn eval_with(src: &str, answers: &[Value]) -> Outcome {
    let f = fixture();
    let compiled = compile(src, &env(&f)).unwrap_or_else(|e| panic!("{src}: {e:?}"));
    let today = NaiveDate::from_ymd_opt(2026, 11, 22).unwrap();
    let period = PeriodDates { start: today, end: today, due: today };
    compiled.eval(&EvalScope { answers, row: None, period: Some(period), today })
}

fn eval(src: &str) -> Outcome {
    eval_with(src, &answers())
}

fn error(src: &str) -> ExprError {
    let f = fixture();
    compile(src, &env(&f)).expect_err(src)
}

#[test]
fn ten_rows_of_ten_pence_sum_to_exactly_one_pound() {
    let rows: Vec<Value> = (0..10).map(|_| row(dec("0.10"), "tf")).collect();
    let mut a = answers();
    a[5] = Value::List(rows.into());
    assert!(eval_with("sum(rows.map(r, r.amount)) == 1.00", &a).is_true());
    assert!(eval_with("sum(rows.map(r, r.amount)) == 1", &a).is_true());
    assert!(eval("0.1 + 0.2 == 0.3").is_true());
}

#[test]
fn arithmetic_and_comparisons() {
    assert_eq!(eval("n * 3 / 4"), Outcome::Value(dec("7.5")));
    assert!(eval("d2 >= d1 && days_between(d1, d2) == 90").is_true());
    assert!(eval("rag == 'amber' && rag in ['amber', 'red']").is_true());
    assert!(eval("name + '!' == 'Towns!' && name.startsWith('To') && name.size() == 5").is_true());
    assert!(eval("min(3, n, 7) == 3 && max([1, 2]) == 2 && max(d1, d2) == d2").is_true());
    assert!(eval("rows.filter(r, r.source == 'tf').size() == 1").is_true());
    assert!(eval("rows.exists(r, r.amount > 1) && !rows.all(r, r.amount > 1)").is_true());
    assert!(eval("rows.exists_one(r, r.amount > 1)").is_true());
    assert!(eval("rows.map(r, r.amount > 1, r.amount) == [2.5]").is_true());
    assert!(eval("round(2.345, 2) == 2.35 && abs(-2) == 2").is_true());
    assert!(eval("flag ? n : 0") == Outcome::Value(dec("10")));
    assert!(eval("today() == period.start").is_true());
    assert!(eval("name.matches('^T[a-z]+$')").is_true());
}

#[test]
fn subtraction_and_division_group_from_the_left() {
    // Grouped from the right these would give 9, 3, 50 and 1.
    assert_eq!(eval("n - 4 - 3"), Outcome::Value(dec("3")));
    assert_eq!(eval("n - 4 + 3"), Outcome::Value(dec("9")));
    assert_eq!(eval("100 / n / 5"), Outcome::Value(dec("2")));
    assert_eq!(eval("n / 5 * 2"), Outcome::Value(dec("4")));
    assert_eq!(eval("sum(rows.map(r, r.amount)) - 2 - 0.5"), Outcome::Value(dec("0.10")));
}

#[test]
fn unanswered_values_make_comparisons_undecided() {
    let mut a = answers();
    a[0] = Value::Null;
    assert_eq!(eval_with("n <= 800", &a), Outcome::Undecided);
    assert_eq!(eval_with("n + 1 > 0", &a), Outcome::Undecided);
    assert!(eval_with("n == null", &a).is_true());
    assert!(eval_with("n != null", &a).is_false());
    assert!(eval_with("coalesce(n, 0) == 0", &a).is_true());
    // `||` and `&&` absorb the undecided side when the other decides.
    assert!(eval_with("flag || n > 5", &a).is_true());
    assert!(eval_with("!flag && n > 5", &a).is_false());
    assert_eq!(eval_with("!flag || n > 5", &a), Outcome::Undecided);
    assert_eq!(eval_with("n / 0 > 1", &answers()), Outcome::Undecided);
}

#[test]
fn unknown_names_suggest_the_nearest() {
    let e = error("amout > 0");
    assert!(e.message.contains("`amout` is not a question"), "{e:?}");
    let e = error("rag == 'gren'");
    assert_eq!(e.help.as_deref(), Some("did you mean `green`? Compare with a choice's value, not its label"));
    let e = error("rows.map(r, r.amont)");
    assert_eq!(e.help.as_deref(), Some("did you mean `amount`?"));
    let e = error("period.strat");
    assert_eq!(e.help.as_deref(), Some("did you mean `period.start`?"));
    let e = error("summ(rows.map(r, r.amount))");
    assert_eq!(e.help.as_deref(), Some("did you mean `sum`?"));
}

#[test]
fn type_mismatches_are_caught_when_loaded() {
    let e = error("d1 > 5");
    assert_eq!(e.message, "cannot compare a date with a number");
    assert_eq!((e.start, e.len), (0, 6));
    assert!(error("rag == 1").help.unwrap().contains("in quotes"));
    assert!(error("flag && n").message.contains("must be true or false, but this is a number"));
    assert!(error("d2 - d1 > 0").help.unwrap().contains("days_between"));
    assert!(error("sum(rows)").message.contains("needs a list of numbers"));
    assert!(error("rows.amount").help.unwrap().contains("map"));
}

#[test]
fn syntax_errors_point_at_the_place() {
    let e = error("n >= 1 &&");
    assert!(e.message.contains("ends too early"));
    let e = error("n = 1");
    assert_eq!(e.start, 2);
    assert!(error("{'a': 1}").message.contains("map literals"));
}

#[test]
fn limits_length_and_work() {
    let long = "1 + ".repeat(1_100) + "1";
    assert!(error(&long).message.contains("characters long"));
    // 20,000 × 20,000 comparisons would run for minutes: the budget stops it.
    let rows: Vec<Value> = (0..20_000).map(|i| row(Value::Number(Decimal::from(i)), "tf")).collect();
    let mut a = answers();
    a[5] = Value::List(rows.into());
    let outcome = eval_with("rows.all(r, rows.all(s, s.amount >= 0 || r.amount >= 0))", &a);
    assert_eq!(outcome, Outcome::TooComplex);
}

#[test]
fn table_scope_sees_columns_and_outer_answers() {
    let f = fixture();
    let mut env = env(&f);
    env.row = Some(0);
    let compiled = compile("amount <= n && source == 'tf'", &env).unwrap();
    assert_eq!(compiled.deps.columns, vec![0, 1]);
    assert_eq!(compiled.deps.answers, vec![0]);
    let cells: Vec<Value> = vec![dec("3"), Value::text("tf")];
    let today = NaiveDate::from_ymd_opt(2026, 1, 1).unwrap();
    let scope = EvalScope { answers: &answers(), row: Some(&cells), period: None, today };
    assert!(compiled.eval(&scope).is_true());
    assert_eq!(compile("period.start < today()", &env).unwrap().eval(&scope), Outcome::Undecided);
}

mod properties {
    use proptest::prelude::*;

    use super::*;

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(512))]

        #[test]
        fn compiling_any_text_never_panics(src in "\\PC{0,120}") {
            let f = fixture();
            let _ = compile(&src, &env(&f));
        }

        #[test]
        fn compiling_token_soup_never_panics(tokens in proptest::collection::vec(
            prop_oneof![
                Just("n"), Just("d1"), Just("rows"), Just("r"), Just("."), Just("("), Just(")"), Just("["), Just("]"),
                Just("&&"), Just("||"), Just("!"), Just("-"), Just("+"), Just("*"), Just("/"), Just("=="), Just("<="),
                Just("?"), Just(":"), Just(","), Just("1.5"), Just("'x'"), Just("null"), Just("map"), Just("all"),
                Just("sum"), Just("period"), Just("amount"), Just("in"),
            ],
            0..40,
        )) {
            let f = fixture();
            let src = tokens.join(" ");
            if let Ok(compiled) = compile(&src, &env(&f)) {
                let today = NaiveDate::from_ymd_opt(2026, 1, 1).unwrap();
                let _ = compiled.eval(&EvalScope { answers: &answers(), row: None, period: None, today });
            }
        }

        #[test]
        fn arithmetic_is_exact_decimal_arithmetic(a in -1_000_000_000i64..1_000_000_000, b in -1_000_000_000i64..1_000_000_000) {
            let (x, y) = (Decimal::new(a, 2), Decimal::new(b, 2));
            let src = format!("{x} + {y} * 3 - {x}");
            prop_assert_eq!(eval(&src), Outcome::Value(Value::Number(x + y * Decimal::from(3) - x)));
        }
    }
}
