//! The catalogue of validation messages: the only place user-facing validation wording is built.
//!
//! Messages follow the GOV.UK Design System's error message style, built from the question's
//! label: "Enter the programme name", "Amount must be a number", "Start date must be a real date",
//! "Select the quarter", "Amount must be £0 or more". A label written as a question ("How many
//! bedrooms does the property have?") is quoted instead ("Enter an answer to “How many…?”"), and a
//! question may give a `name` ("the number of bedrooms") to be used instead.

use chrono::NaiveDate;
use rust_decimal::Decimal;

use crate::model::{ChoiceList, Question, QuestionType};
use crate::validate::Breach;
use crate::validate::convert::Problem;
use crate::value::{Value, format_date, format_number};

/// How a question is referred to in messages.
struct Subject {
    /// For the middle of a sentence: "the programme name".
    noun: String,
    /// For the start of a sentence: "Programme name".
    title: String,
}

/// The label with its first letter in lower case, unless it starts with an acronym ("UEI").
pub(crate) fn lower_first(label: &str) -> String {
    let mut chars = label.chars();
    match (chars.next(), chars.next()) {
        // Keep acronyms and names such as "UEI" or "EIN" as written.
        (Some(first), Some(second)) if first.is_uppercase() && second.is_uppercase() => label.to_string(),
        (Some(first), _) => first.to_lowercase().chain(label.chars().skip(1)).collect(),
        _ => String::new(),
    }
}

/// Whether a label starts with a numbered possessive, "person 2's age": that is its determiner
/// already, so it takes no "the" ("Enter person 2's age", not "Enter the person 2's age"), unlike
/// "lead tenant's age".
fn numbered_possessive(label: &str) -> bool {
    let Some(end) = label.find(['\'', '’']) else {
        return false;
    };
    let (before, after) = label.split_at(end);
    let possessive = after.chars().nth(1) == Some('s');
    let numbered =
        before.rsplit(' ').next().is_some_and(|w| !w.is_empty() && w.bytes().all(|b| b.is_ascii_digit()));
    possessive && numbered && before.split(' ').count() <= 3
}

fn upper_first(text: &str) -> String {
    let mut chars = text.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

fn subject(q: &Question) -> Subject {
    if let Some(name) = &q.name {
        return Subject { noun: name.clone(), title: upper_first(name) };
    }
    let label = q.label.trim();
    if label.ends_with('?') {
        return Subject {
            noun: format!("an answer to “{label}”"),
            title: format!("The answer to “{label}”"),
        };
    }
    let lowered = lower_first(label);
    let noun = if lowered.starts_with("the ") || lowered.starts_with("your ") || numbered_possessive(&lowered)
    {
        lowered
    } else {
        format!("the {lowered}")
    };
    Subject { noun, title: label.to_string() }
}

/// "Enter the programme name" / "Select the quarter" / "Upload the audit report".
pub fn required(q: &Question) -> String {
    let s = subject(q);
    match q.ty {
        QuestionType::Choice | QuestionType::MultiChoice | QuestionType::YesNo => {
            format!("Select {}", s.noun)
        }
        QuestionType::File => format!("Upload {}", s.noun),
        _ => format!("Enter {}", s.noun),
    }
}

/// The message for an answer that does not fit the question's type or choices.
pub fn problem(q: &Question, problem: &Problem, choices: Option<&ChoiceList>) -> String {
    let s = subject(q);
    let title = &s.title;
    match problem {
        Problem::NotNumber => match q.ty {
            QuestionType::Money => format!("{title} must be an amount of money, like 1234.50"),
            QuestionType::Percentage => format!("{title} must be a percentage, like 12.5"),
            QuestionType::Integer => format!("{title} must be a whole number"),
            _ => format!("{title} must be a number"),
        },
        Problem::NotWhole => format!("{title} must be a whole number"),
        Problem::TooManyPlaces(0) => format!("{title} must be a whole number"),
        Problem::TooManyPlaces(1) => format!("{title} must have no more than 1 decimal place"),
        Problem::TooManyPlaces(places) => match q.ty {
            QuestionType::Money => {
                format!("{title} must be an amount of money with no more than 2 decimal places, like 1234.50")
            }
            _ => format!("{title} must have no more than {places} decimal places"),
        },
        Problem::NotDateFormat => format!("{title} must be a real date, like 27/3/2026 or 2026-03-27"),
        Problem::NotRealDate => format!("{title} must be a real date"),
        Problem::NotYesNo => format!("{title} must be yes or no"),
        Problem::NotEmail => {
            format!("{title} must be an email address in the correct format, like name@example.com")
        }
        Problem::NotPhone => {
            format!("{title} must be a phone number, like 01632 960 001 or +44 808 157 0192")
        }
        Problem::NotPostcode => format!("{title} must be a real postcode, like SW1A 2AA"),
        Problem::NotUrl => format!("{title} must be a web address, like https://www.example.com"),
        Problem::NotText(what) => format!("{title} must be text, not {what}"),
        Problem::NotFile => format!("{title} must be a file"),
        Problem::NotChoice(given) => choice(&s, given, choices),
        Problem::FileType(ext) => {
            let accepted: Vec<String> = q.options.accept.iter().map(|a| a.to_uppercase()).collect();
            let given = if ext.is_empty() {
                "this file".to_string()
            } else {
                format!("a {} file", ext.to_uppercase())
            };
            format!("{title} must be a {} file, not {given}", join_or(&accepted))
        }
        Problem::FileTooBig(_) => {
            let max = q.options.max_size.map(format_size).unwrap_or_default();
            format!("{title} must be smaller than {max}")
        }
    }
}

fn choice(s: &Subject, given: &str, choices: Option<&ChoiceList>) -> String {
    let Some(list) = choices else {
        return format!("Select {} from the list", s.noun);
    };
    let options: Vec<String> =
        list.choices
            .iter()
            .map(|c| {
                if c.value.as_ref() == c.label {
                    c.label.clone()
                } else {
                    format!("{} ({})", c.value, c.label)
                }
            })
            .collect();
    let given = if given.is_empty() { String::new() } else { format!(", not “{given}”") };
    if options.len() <= 10 {
        format!("{} must be one of: {}{given}", s.title, options.join(", "))
    } else {
        format!("{} must be one of the options in the list{given}", s.title)
    }
}

fn join_or(items: &[String]) -> String {
    match items {
        [] => String::new(),
        [one] => one.clone(),
        [rest @ .., last] => format!("{} or {last}", rest.join(", ")),
    }
}

/// "a, b and c".
pub(crate) fn join_and(items: &[String]) -> String {
    match items {
        [] => String::new(),
        [one] => one.clone(),
        [rest @ .., last] => format!("{} and {last}", rest.join(", ")),
    }
}

/// A file size for people: `30MB`, `500KB`.
pub fn format_size(bytes: u64) -> String {
    if bytes >= 1 << 30 && bytes.is_multiple_of(1 << 30) {
        format!("{}GB", bytes >> 30)
    } else if bytes >= 1 << 20 {
        format!("{}MB", (bytes as f64 / f64::from(1 << 20)).round())
    } else if bytes >= 1 << 10 {
        format!("{}KB", (bytes as f64 / 1024.0).round())
    } else {
        format!("{bytes} bytes")
    }
}

fn number_text(q: &Question, n: Decimal, symbol: Option<&str>) -> String {
    let text = format_number(n, symbol);
    if q.ty == QuestionType::Percentage { format!("{text}%") } else { text }
}

/// "Amount must be £0 or more".
pub fn min_number(q: &Question, min: Decimal, symbol: Option<&str>) -> String {
    format!("{} must be {} or more", subject(q).title, number_text(q, min, symbol))
}

/// "Amount must be £5,000 or less".
pub fn max_number(q: &Question, max: Decimal, symbol: Option<&str>) -> String {
    format!("{} must be {} or less", subject(q).title, number_text(q, max, symbol))
}

/// "Start date must be the same as or after 1 April 2026".
pub fn min_date(q: &Question, min: NaiveDate) -> String {
    format!("{} must be the same as or after {}", subject(q).title, format_date(min))
}

/// "End date must be the same as or before 31 March 2027".
pub fn max_date(q: &Question, max: NaiveDate) -> String {
    format!("{} must be the same as or before {}", subject(q).title, format_date(max))
}

/// "Programme name must be 200 characters or less".
pub fn max_length(q: &Question, max: u32) -> String {
    let unit = if max == 1 { "character" } else { "characters" };
    format!("{} must be {max} {unit} or less", subject(q).title)
}

/// "Reference must be 3 characters or more".
pub fn min_length(q: &Question, min: u32) -> String {
    let unit = if min == 1 { "character" } else { "characters" };
    format!("{} must be {min} {unit} or more", subject(q).title)
}

/// "Enter the project ID in the correct format", or the question's own `pattern_message`.
pub fn pattern(q: &Question) -> String {
    if let Some(message) = q.options.pattern.as_ref().and_then(|p| p.message.clone()) {
        return message;
    }
    format!("Enter {} in the correct format", subject(q).noun)
}

/// "Select at least 1 option for the auditor's opinion".
pub fn min_selected(q: &Question, min: u32) -> String {
    let unit = if min == 1 { "option" } else { "options" };
    format!("Select at least {min} {unit} for {}", subject(q).noun)
}

/// "Select no more than 2 options for …".
pub fn max_selected(q: &Question, max: u32) -> String {
    let unit = if max == 1 { "option" } else { "options" };
    format!("Select no more than {max} {unit} for {}", subject(q).noun)
}

/// "Add at least 1 row to Spend to date".
pub fn min_rows(section_title: &str, min: u32) -> String {
    let unit = if min == 1 { "row" } else { "rows" };
    format!("Add at least {min} {unit} to {section_title}")
}

/// "Spend to date can have no more than 100 rows, but it has 120".
pub fn max_rows(section_title: &str, max: u32, have: usize) -> String {
    format!(
        "{section_title} can have no more than {} rows, but it has {}",
        format_number(max.into(), None),
        format_number(have.into(), None)
    )
}

/// "Project ID and quarter must be unique in Spend to date: row 2 has the same".
pub fn unique_row(columns: &[&Question], section_title: &str, earlier: &str) -> String {
    let titles: Vec<String> = columns
        .iter()
        .enumerate()
        .map(|(i, q)| if i == 0 { subject(q).title } else { lower_first(&subject(q).title) })
        .collect();
    let verb = if columns.len() == 1 {
        "must be different on every row"
    } else {
        "must not all be the same as on another row"
    };
    format!("{} {verb} of {section_title}: {earlier} has the same", join_and(&titles))
}

/// "Tenancy code, tenancy start date and property postcode are the same as in row 3: each record
/// must be entered once".
pub fn unique_record(key: &[&Question], earlier: &str) -> String {
    let titles: Vec<String> = key
        .iter()
        .enumerate()
        .map(|(i, q)| if i == 0 { subject(q).title } else { lower_first(&subject(q).title) })
        .collect();
    let verb = if key.len() == 1 { "is" } else { "are" };
    format!("{} {verb} the same as in {earlier}: each record must be entered only once", join_and(&titles))
}

/// "“tenancy_cod” is not a question of this collection".
pub fn unknown_question(name: &str, suggestion: Option<&str>) -> String {
    match suggestion {
        Some(s) => format!("“{name}” is not a question of this collection; did you mean “{s}”?"),
        None => format!("“{name}” is not a question of this collection"),
    }
}

/// "“amout” is not a column of the spend table".
pub fn unknown_column(name: &str, table: &str, suggestion: Option<&str>) -> String {
    match suggestion {
        Some(s) => format!("“{name}” is not a column of the {table} table; did you mean “{s}”?"),
        None => format!("“{name}” is not a column of the {table} table"),
    }
}

/// A rule that needed more work than an evaluation may do.
pub fn rule_too_complex(message: &str) -> String {
    format!("This check could not be completed because there is too much data for it: {message}")
}

/// Why an answer is not carried over to a newer version: the question is gone.
pub fn no_longer_asked() -> String {
    "This question is no longer asked".into()
}

/// Why a table's rows are not carried over to a newer version: the table is gone.
pub fn table_no_longer_asked() -> String {
    "This table is no longer asked".into()
}

/// Why an answer is not carried over: it is not of the new question's type or choices.
/// `choice_label` is the label the old version gave a choice that is no longer offered.
pub fn not_carried(q: &Question, problem: &Problem, choice_label: Option<&str>) -> String {
    match problem {
        Problem::NotChoice(given) => {
            format!("“{}” is no longer one of the choices", choice_label.unwrap_or(given))
        }
        Problem::TooManyPlaces(0) | Problem::NotWhole => "The answer is no longer a whole number".into(),
        Problem::TooManyPlaces(places) => {
            let unit = if *places == 1 { "place" } else { "places" };
            format!("The answer has more decimal places than the new limit of {places} {unit}")
        }
        Problem::FileType(ext) if !ext.is_empty() => {
            format!("{} files are no longer accepted", ext.to_uppercase())
        }
        Problem::FileTooBig(_) => {
            let max = q.options.max_size.map(format_size).unwrap_or_default();
            format!("The file is larger than the new limit of {max}")
        }
        _ => not_carried_shape(),
    }
}

/// Why an answer is not carried over: its shape or type does not fit the new question.
pub fn not_carried_shape() -> String {
    "The answer is no longer the right type".into()
}

/// Why an answer is not carried over: it breaks one of the new question's limits, e.g.
/// "£6,000 is more than the new limit of £5,000".
pub fn not_carried_limit(q: &Question, value: &Value, breach: Breach, symbol: Option<&str>) -> String {
    let characters = |n: u32| if n == 1 { "character" } else { "characters" };
    let options = |n: u32| if n == 1 { "option" } else { "options" };
    let number = |n: Decimal| number_text(q, n, symbol);
    let given = match value {
        Value::Number(n) => number(*n),
        Value::Date(d) => format_date(*d),
        _ => "The answer".into(),
    };
    match breach {
        Breach::Min(min) => format!("{given} is less than the new lower limit of {}", number(min)),
        Breach::Max(max) => format!("{given} is more than the new limit of {}", number(max)),
        Breach::MinDate(min) => format!("{given} is before the new earliest date of {}", format_date(min)),
        Breach::MaxDate(max) => format!("{given} is after the new latest date of {}", format_date(max)),
        Breach::MinLength(min) => {
            format!("The answer is shorter than the new minimum of {min} {}", characters(min))
        }
        Breach::MaxLength(max) => {
            format!("The answer is longer than the new limit of {max} {}", characters(max))
        }
        Breach::Pattern => "The answer is no longer in the right format".into(),
        Breach::MinSelected(min) => {
            format!("Fewer options are selected than the new minimum of {min} {}", options(min))
        }
        Breach::MaxSelected(max) => {
            format!("More options are selected than the new limit of {max} {}", options(max))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Options;

    fn q(label: &str, ty: QuestionType) -> Question {
        Question {
            id: "x".into(),
            label: label.into(),
            hint: None,
            name: None,
            ty,
            required: true,
            when: None,
            rules: vec![],
            aliases: vec![],
            renamed_from: None,
            section: 0,
            slot: 0,
            options: Options::default(),
            span: crate::Span::FILE,
        }
    }

    #[test]
    fn govuk_style_from_labels() {
        assert_eq!(required(&q("Programme name", QuestionType::Text)), "Enter the programme name");
        assert_eq!(required(&q("Quarter", QuestionType::Choice)), "Select the quarter");
        assert_eq!(
            required(&q("Auditee Unique Entity ID (UEI)", QuestionType::Text)),
            "Enter the auditee Unique Entity ID (UEI)"
        );
        assert_eq!(required(&q("UEI", QuestionType::Text)), "Enter the UEI");
        assert_eq!(required(&q("Person 2's age", QuestionType::Integer)), "Enter person 2's age");
        assert_eq!(
            required(&q("Person 10’s gender identity", QuestionType::Choice)),
            "Select person 10’s gender identity"
        );
        assert_eq!(required(&q("Lead tenant's age", QuestionType::Integer)), "Enter the lead tenant's age");
        assert_eq!(required(&q("Site's 2 managers", QuestionType::Text)), "Enter the site's 2 managers");
        assert_eq!(
            required(&q("Is this a starter tenancy?", QuestionType::YesNo)),
            "Select an answer to “Is this a starter tenancy?”"
        );
        assert_eq!(
            problem(&q("Amount", QuestionType::Decimal), &Problem::NotNumber, None),
            "Amount must be a number"
        );
        assert_eq!(
            problem(&q("Start date", QuestionType::Date), &Problem::NotRealDate, None),
            "Start date must be a real date"
        );
        let zero = Decimal::ZERO;
        assert_eq!(
            min_number(&q("Amount", QuestionType::Money), zero, Some("£")),
            "Amount must be £0 or more"
        );
        assert_eq!(
            max_number(&q("Percentage complete", QuestionType::Percentage), Decimal::ONE_HUNDRED, None),
            "Percentage complete must be 100% or less"
        );
    }

    #[test]
    fn a_name_overrides_the_label() {
        let mut question = q("How many bedrooms does the property have?", QuestionType::Integer);
        question.name = Some("the number of bedrooms".into());
        assert_eq!(required(&question), "Enter the number of bedrooms");
        assert_eq!(
            problem(&question, &Problem::NotWhole, None),
            "The number of bedrooms must be a whole number"
        );
    }

    #[test]
    fn sizes_for_people() {
        assert_eq!(format_size(30 << 20), "30MB");
        assert_eq!(format_size(1 << 30), "1GB");
        assert_eq!(format_size(2048), "2KB");
    }
}
