//! Checks of what people type into the service's own forms (names, email addresses, slugs),
//! worded in GOV.UK style. Answers to collections are checked by the definition engine instead.

use crate::Problem;

/// The longest name or title accepted.
pub const MAX_NAME: usize = 200;

/// A required, trimmed piece of text of at most `max` characters.
pub fn required_text(
    field: &str,
    label: &str,
    value: &str,
    max: usize,
    problems: &mut Vec<Problem>,
) -> String {
    let value = value.trim();
    if value.is_empty() {
        problems.push(Problem::new(field, "required", format!("Enter {label}")));
    } else {
        check_text(field, label, value, max, problems);
    }
    value.to_string()
}

/// An optional, trimmed piece of text of at most `max` characters: `None` when empty.
pub fn optional_text(
    field: &str,
    label: &str,
    value: Option<&str>,
    max: usize,
    problems: &mut Vec<Problem>,
) -> Option<String> {
    let value = value.map(str::trim).filter(|v| !v.is_empty())?;
    check_text(field, label, value, max, problems);
    Some(value.to_string())
}

/// The problems of a name or label that is not empty: too long, or holding a control character
/// (a NUL, a line break, a tab): a name is one line of text, and PostgreSQL cannot store a NUL.
fn check_text(field: &str, label: &str, value: &str, max: usize, problems: &mut Vec<Problem>) {
    if value.chars().count() > max {
        problems.push(Problem::new(
            field,
            "length",
            format!("{} must be {max} characters or fewer", capitalise(label)),
        ));
    } else if value.chars().any(char::is_control) {
        problems.push(Problem::new(
            field,
            "pattern",
            format!(
                "{} must be one line of text, without tabs or other control characters",
                capitalise(label)
            ),
        ));
    }
}

/// An email address, trimmed and lower-cased, or a problem.
pub fn email(field: &str, value: &str, problems: &mut Vec<Problem>) -> String {
    let value = value.trim().to_lowercase();
    if value.is_empty() {
        problems.push(Problem::new(field, "required", "Enter an email address"));
    } else if !is_email(&value) {
        problems.push(Problem::new(
            field,
            "type",
            "Enter an email address in the correct format, like name@example.com",
        ));
    }
    value
}

/// Roughly what an email address looks like: one `@`, something before it, a domain with a dot
/// after it, no spaces, at most 254 characters. (Whether it works is proved by sending to it.)
pub fn is_email(value: &str) -> bool {
    let Some((local, domain)) = value.split_once('@') else { return false };
    value.len() <= 254
        && !local.is_empty()
        && !domain.contains('@')
        && domain.contains('.')
        && !domain.starts_with('.')
        && !domain.ends_with('.')
        && !value.chars().any(|c| c.is_whitespace() || c.is_control())
}

/// A slug made from a name: lower-case letters and digits joined by hyphens.
pub fn slug_from(name: &str) -> String {
    let mut slug = String::new();
    for c in name.chars() {
        if c.is_ascii_alphanumeric() {
            slug.push(c.to_ascii_lowercase());
        } else if !slug.is_empty() && !slug.ends_with('-') {
            slug.push('-');
        }
    }
    let slug = slug.trim_end_matches('-');
    slug.chars().take(60).collect::<String>().trim_end_matches('-').to_string()
}

/// True for a slug formwork accepts: 1–60 lower-case letters, digits and single hyphens, not
/// starting or ending with a hyphen.
pub fn is_slug(value: &str) -> bool {
    !value.is_empty()
        && value.len() <= 60
        && !value.starts_with('-')
        && !value.ends_with('-')
        && !value.contains("--")
        && value.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
}

fn capitalise(text: &str) -> String {
    let text = text
        .strip_prefix("the ")
        .or_else(|| text.strip_prefix("a "))
        .or_else(|| text.strip_prefix("an "))
        .unwrap_or(text);
    let mut chars = text.chars();
    chars.next().map(|c| c.to_uppercase().chain(chars).collect()).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn email_addresses_are_trimmed_lower_cased_and_checked() {
        let mut problems = Vec::new();
        assert_eq!(email("email", "  Ann@Example.ORG ", &mut problems), "ann@example.org");
        assert!(problems.is_empty());
        for bad in ["ann", "ann@", "@example.org", "ann@example", "an n@example.org", "a@b@c.org", "a@.org"] {
            assert!(!is_email(bad), "{bad}");
        }
        email("email", "", &mut problems);
        assert_eq!(problems[0].message, "Enter an email address");
    }

    #[test]
    fn slugs_come_from_names() {
        assert_eq!(slug_from("Leeds City Council"), "leeds-city-council");
        assert_eq!(slug_from("  St. Helens (Metropolitan) "), "st-helens-metropolitan");
        assert_eq!(slug_from("££"), "");
        assert!(is_slug("leeds-city-council") && !is_slug("Leeds") && !is_slug("a--b") && !is_slug("-a"));
    }

    #[test]
    fn required_text_says_what_to_enter() {
        let mut problems = Vec::new();
        required_text("name", "the organisation's name", " ", 10, &mut problems);
        required_text("name", "the organisation's name", "12345678901", 10, &mut problems);
        assert_eq!(problems[0].message, "Enter the organisation's name");
        assert_eq!(problems[1].message, "Organisation's name must be 10 characters or fewer");
    }

    #[test]
    fn names_with_control_characters_are_refused() {
        for bad in ["a\u{0}b", "two\nlines", "a\tb", "bell\u{7}!", "del\u{7f}!", "next\u{85}line"] {
            let mut problems = Vec::new();
            required_text("name", "the organisation's name", bad, 200, &mut problems);
            optional_text("name", "the organisation's name", Some(bad), 200, &mut problems);
            assert_eq!(problems.len(), 2, "{bad:?}");
            assert_eq!(problems[0].code, "pattern");
            assert_eq!(
                problems[0].message,
                "Organisation's name must be one line of text, without tabs or other control characters"
            );
        }
        let mut problems = Vec::new();
        assert_eq!(
            required_text("name", "a name", " Zoë O’Brien-Łukasz ", 200, &mut problems),
            "Zoë O’Brien-Łukasz"
        );
        assert_eq!(optional_text("name", "a name", Some("  "), 200, &mut problems), None);
        assert!(problems.is_empty(), "{problems:?}");
    }
}
