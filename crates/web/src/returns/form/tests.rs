use chrono::NaiveDate;
use formwork_definition::validate::json::answers_from_json;
use formwork_definition::validate::{Code, Context, NoFile, validate};
use serde_json::json;

use super::read::date_answer;
use super::*;

fn example(name: &str) -> Definition {
    let path = format!("{}/../../examples/{name}.yaml", env!("CARGO_MANIFEST_DIR"));
    let bytes = std::fs::read(&path).unwrap();
    formwork_definition::load(&bytes).unwrap()
}

fn section(def: &Definition, id: &str) -> usize {
    def.sections.iter().position(|s| s.id == id).unwrap()
}

fn table(def: &Definition, id: &str) -> usize {
    def.tables.iter().position(|t| t.id == id).unwrap()
}

fn map(value: serde_json::Value) -> Map<String, JsonValue> {
    value.as_object().cloned().unwrap()
}

fn pairs(fields: &[(&str, &str)]) -> Vec<(String, String)> {
    fields.iter().map(|(n, v)| ((*n).to_owned(), (*v).to_owned())).collect()
}

/// Rendered markup with blank lines and trailing spaces taken out, so that snapshots show only
/// what matters.
fn tidy(html: &str) -> String {
    html.lines().map(str::trim_end).filter(|l| !l.trim().is_empty()).collect::<Vec<_>>().join("\n")
}

#[test]
fn programme_section_shows_stored_answers() {
    let def = example("towns-fund-monitoring");
    let answers = map(json!({
        "programme_name": "Northshire Towns Fund",
        "lead_contact_email": "lead@northshire.test",
        "grant_total": "1234567.50",
        "start_date": "2026-04-01",
        "overall_rag": "amber",
        "has_changes": true,
        "change_details": "A new project was added.",
    }));
    let html = section_fields(&def, section(&def, "programme"), &Shown::new(&answers, &[]));
    insta::assert_snapshot!("programme_section", tidy(&html));
}

#[test]
fn programme_section_shows_what_was_typed_and_what_is_wrong() {
    let def = example("towns-fund-monitoring");
    let posted = pairs(&[
        ("programme_name", ""),
        ("lead_contact_email", "lead at northshire"),
        ("grant_total", "£1,234.5x"),
        ("start_date-day", "31"),
        ("start_date-month", "2"),
        ("start_date-year", "2026"),
        ("end_date-day", "1"),
        ("end_date-month", "April"),
        ("end_date-year", "2027"),
        ("has_changes", "yes"),
        ("change_details", ""),
    ]);
    let answers = answers_from_form(&def, section(&def, "programme"), &posted);
    let items = vec![
        Item::error(Code::Required, "programme_name", "Enter the programme name"),
        Item::error(Code::Type, "lead_contact_email", "Lead contact email address must be an email address"),
        Item::error(Code::Type, "grant_total", "Total Towns Fund grant awarded must be a number"),
        Item::error(Code::Type, "start_date", "Programme start date must be a real date"),
        Item::error(Code::Type, "end_date", "Programme end date must be a real date"),
        Item::error(Code::Required, "overall_rag", "Select the overall delivery status"),
        Item::error(Code::Required, "change_details", "Enter the changes"),
        Item::error(Code::Required, "spend", "Add at least one row"),
    ];
    let programme = section(&def, "programme");
    let html = section_fields(&def, programme, &Shown::new(&answers, &items));
    insta::assert_snapshot!("programme_section_with_errors", tidy(&html));

    let summary = section_error_summary(&def, programme, &items).unwrap();
    let links: Vec<(&str, &str)> = summary
        .error_list
        .iter()
        .map(|i| (i.href.as_deref().unwrap_or_default(), i.content.text.as_deref().unwrap_or_default()))
        .collect();
    assert_eq!(
        links,
        [
            ("#programme_name", "Enter the programme name"),
            ("#lead_contact_email", "Lead contact email address must be an email address"),
            ("#grant_total", "Total Towns Fund grant awarded must be a number"),
            ("#start_date-day", "Programme start date must be a real date"),
            ("#end_date-day", "Programme end date must be a real date"),
            ("#overall_rag", "Select the overall delivery status"),
            ("#change_details", "Enter the changes"),
        ]
    );
    // Each link finds its field.
    for (href, _) in &links {
        assert!(html.contains(&format!("id=\"{}\"", &href[1..])), "{href}");
    }
    assert!(section_error_summary(&def, programme, &[]).is_none());
}

#[test]
fn a_yes_no_condition_is_revealed_under_yes() {
    let def = example("towns-fund-monitoring");
    let answers = Map::new();
    let html = section_fields(&def, section(&def, "programme"), &Shown::new(&answers, &[]));
    let conditional = html.find("id=\"conditional-has_changes\"").unwrap();
    let details = html.find("name=\"change_details\"").unwrap();
    let no = html.find("value=\"no\"").unwrap();
    assert!(conditional < details && details < no, "the details sit under Yes");
    assert!(!html.contains("govuk-radios--inline"), "radios that reveal are not inline");
    assert_eq!(html.matches("name=\"change_details\"").count(), 1);
}

#[test]
fn other_conditions_show_a_question_only_when_it_is_asked() {
    let def = example("lettings-log");
    let answers = Map::new();
    let household = section(&def, "household");
    let slot = def.question("person2_age").unwrap().slot;
    let not_asked = move |s: usize| s != slot;
    let shown = Shown { asked: &not_asked, ..Shown::new(&answers, &[]) };
    assert!(!section_fields(&def, household, &shown).contains("person2_age"));
    assert!(section_fields(&def, household, &Shown::new(&answers, &[])).contains("name=\"person2_age\""));
}

#[test]
fn every_question_of_the_examples_renders_with_a_label() {
    for name in ["towns-fund-monitoring", "single-audit", "lettings-log"] {
        let def = example(name);
        for (index, s) in def.sections.iter().enumerate() {
            match &s.content {
                SectionContent::Questions(questions) => {
                    let items: Vec<Item> = questions
                        .iter()
                        .map(|q| Item::error(Code::Required, def.questions[*q].id.clone(), "Wrong"))
                        .collect();
                    let answers = Map::new();
                    let html = section_fields(&def, index, &Shown::new(&answers, &items));
                    for q in questions.iter().map(|q| &def.questions[*q]) {
                        let found = match q.ty {
                            // Shown as a summary row, not a field: a file is attached on its own page.
                            QuestionType::Calculated | QuestionType::File => format!("id=\"{}\"", q.id),
                            _ => format!("for=\"{}\"", anchor(q)),
                        };
                        assert!(html.contains(&found), "{name}: {} has no {found}", q.id);
                    }
                    let inputs = questions.iter().filter(|q| def.questions[**q].is_input()).count();
                    assert_eq!(html.matches("govuk-error-message").count(), inputs, "{name}");
                }
                SectionContent::Table(t) => {
                    let table = &def.tables[*t];
                    let items: Vec<Item> = table
                        .columns
                        .iter()
                        .map(|c| Item::error(Code::Required, format!("{}/2/{}", table.id, c.id), "Wrong"))
                        .collect();
                    let answers = Map::new();
                    let html = row_fields(&def, *t, 2, &Shown::new(&answers, &items));
                    for c in &table.columns {
                        assert!(html.contains(&format!("for=\"{}\"", anchor(c))), "{name}: {}", c.id);
                    }
                    assert_eq!(html.matches("govuk-error-message").count(), table.columns.len(), "{name}");
                    assert_eq!(row_error_summary(&def, *t, 2, &items).unwrap().error_list.len(), items.len());
                    assert!(row_error_summary(&def, *t, 3, &items).is_none(), "another row's errors");
                }
            }
        }
    }
}

#[test]
fn money_takes_the_definition_currency_symbol() {
    let def = example("single-audit");
    let money = def.questions.iter().find(|q| q.ty == QuestionType::Money).unwrap();
    let answers = Map::new();
    let html = section_fields(&def, money.section, &Shown::new(&answers, &[]));
    assert!(html.contains("<div class=\"govuk-input__prefix\" aria-hidden=\"true\">$</div>"), "{html}");
}

#[test]
fn an_attached_file_is_named_with_its_link_and_changed_on_its_own_page() {
    let def = example("towns-fund-monitoring");
    let file = def.questions.iter().find(|q| q.ty == QuestionType::File).unwrap();
    let answers = map(json!({file.id.clone(): {"id": "f1", "name": "report <final>.pdf", "size": 20480}}));
    let href = |question: &str, id: &str| format!("/files/{question}/{id}");
    let page = |question: &str| format!("/returns/r1/files/{question}");
    let shown = Shown { file_href: &href, file_page: &page, ..Shown::new(&answers, &[]) };
    let html = section_fields(&def, file.section, &shown);
    let expected = format!(
        "<a class=\"govuk-link\" href=\"/files/{}/f1\">report &lt;final&gt;.pdf</a> (20 KB)",
        file.id
    );
    assert!(html.contains(&expected), "{html}");
    assert!(html.contains(&format!("href=\"/returns/r1/files/{}\"", file.id)), "{html}");
    assert!(html.contains("Change the file"), "{html}");
    assert!(!html.contains("type=\"file\""), "a section's form is not multipart: {html}");

    let none = Map::new();
    let html = section_fields(&def, file.section, &Shown { file_page: &page, ..Shown::new(&none, &[]) });
    assert!(html.contains("No file attached") && html.contains("Upload a file"), "{html}");
}

#[test]
fn a_row_form_is_named_by_column() {
    let def = example("towns-fund-monitoring");
    let spend = table(&def, "spend");
    let row = map(json!({"project_id": "TF-ABC-01", "quarter": "Q2", "amount": "£1,234.50"}));
    let items = vec![Item::error(Code::Type, "spend/4/amount", "Amount must be a number")];
    let html = row_fields(&def, spend, 4, &Shown::new(&row, &items));
    insta::assert_snapshot!("spend_row_with_errors", tidy(&html));
    let posted =
        pairs(&[("project_id", "TF-ABC-01"), ("quarter", "Q2"), ("amount", "£1,234.50"), ("source", "")]);
    assert_eq!(
        JsonValue::Object(row_from_form(&def, spend, &posted)),
        json!({"project_id": "TF-ABC-01", "quarter": "Q2", "amount": "£1,234.50", "source": null})
    );
}

#[test]
fn dates_are_read_from_their_three_fields() {
    let read = |d: &str, m: &str, y: &str| date_answer([d, m, y]);
    assert_eq!(read("1", "4", "2026"), json!("2026-04-01"));
    assert_eq!(read("01", "04", "2026"), json!("2026-04-01"));
    assert_eq!(read("31", "2", "2026"), json!("2026-02-31"));
    assert_eq!(read("", "", ""), JsonValue::Null);
    assert_eq!(read("1", "April", "2026"), json!("1/April/2026"));
    assert_eq!(read("1", "4", "26"), json!("1/4/26"));
    assert_eq!(read("", "4", "2026"), json!("/4/2026"));
    for value in ["2026-04-01", "2026-02-31", "1/April/2026", "/4/2026"] {
        let parts = date_parts(Some(&json!(value)));
        let parts = [parts[0].as_str(), parts[1].as_str(), parts[2].as_str()];
        assert_eq!(date_answer(parts), json!(value), "{value} shows back as it was read");
    }
    assert_eq!(date_parts(Some(&json!("2026-04-01"))), ["1", "4", "2026"]);
    assert_eq!(date_parts(None), ["", "", ""]);
}

#[test]
fn a_posted_section_reads_back_as_answers() {
    let def = example("towns-fund-monitoring");
    let posted = pairs(&[
        ("programme_name", "Northshire"),
        ("lead_contact_email", "   "),
        ("grant_total", "£1,234.50"),
        ("start_date-day", "1"),
        ("start_date-month", "4"),
        ("start_date-year", "2026"),
        ("end_date-day", ""),
        ("end_date-month", ""),
        ("end_date-year", ""),
        ("overall_rag", "green"),
        ("has_changes", "no"),
        ("change_details", "Left over from Yes"),
        ("csrf", "token"),
        ("project_id", "TF-ABC-01"),
    ]);
    let answers = answers_from_form(&def, section(&def, "programme"), &posted);
    assert_eq!(
        JsonValue::Object(answers.clone()),
        json!({
            "programme_name": "Northshire",
            "lead_contact_email": null,
            "grant_total": "£1,234.50",
            "start_date": "2026-04-01",
            "end_date": null,
            "overall_rag": "green",
            "has_changes": false,
            "change_details": "Left over from Yes",
        })
    );
    // What was read shows back as it was typed.
    let html = section_fields(&def, section(&def, "programme"), &Shown::new(&answers, &[]));
    assert!(html.contains("value=\"£1,234.50\""));
    assert!(html.contains("name=\"start_date-month\" type=\"text\" value=\"4\""), "{html}");
}

#[test]
fn multi_choice_and_yes_no_read_back_as_values() {
    let def = example("single-audit");
    let multi = def.questions.iter().find(|q| q.ty == QuestionType::MultiChoice).unwrap();
    let yes_no = def.questions.iter().find(|q| q.ty == QuestionType::YesNo && q.section == multi.section);
    let values: Vec<String> =
        def.choices_of(multi).unwrap().choices.iter().take(2).map(|c| c.value.to_string()).collect();
    let mut posted = pairs(&[(&multi.id, &values[0]), (&multi.id, &values[1])]);
    if let Some(q) = yes_no {
        posted.push((q.id.clone(), "yes".to_owned()));
    }
    let answers = answers_from_form(&def, multi.section, &posted);
    assert_eq!(answers[&multi.id], json!([values[0], values[1]]));
    if let Some(q) = yes_no {
        assert_eq!(answers[&q.id], json!(true));
    }
    let html = section_fields(&def, multi.section, &Shown::new(&answers, &[]));
    assert_eq!(html.matches(" checked").count(), 2 + usize::from(yes_no.is_some()), "{html}");

    let none = answers_from_form(&def, multi.section, &[]);
    assert_eq!(none[&multi.id], JsonValue::Null);
}

#[test]
fn what_is_read_validates_with_precise_messages() {
    let def = example("towns-fund-monitoring");
    let posted = pairs(&[
        ("grant_total", "£1,234.50"),
        ("start_date-day", "31"),
        ("start_date-month", "2"),
        ("start_date-year", "2026"),
        ("end_date-day", "1"),
        ("end_date-month", "April"),
        ("end_date-year", "2027"),
        ("has_changes", "no"),
    ]);
    let answers = answers_from_form(&def, section(&def, "programme"), &posted);
    let (answers, unknown) = answers_from_json(&def, &answers);
    assert!(unknown.is_empty(), "{unknown:?}");
    let today = NaiveDate::from_ymd_opt(2026, 5, 1).unwrap();
    let outcome = validate(&def, &answers, &Context { today, period: None }, &NoFile);
    let items = outcome.items(&def, "", &NoFile);
    let message = |path: &str| items.iter().find(|i| i.path == path).map(|i| i.message.clone());
    assert_eq!(message("grant_total"), None, "money is read as typed");
    assert_eq!(message("start_date").as_deref(), Some("Programme start date must be a real date"));
    assert!(message("end_date").is_some_and(|m| m.starts_with("Programme end date must be a real date")));
}
