//! Every GOV.UK Frontend fixture of the components formwork writes as askama macros, rendered
//! through the macro and compared with GOV.UK's own HTML after normalising both.
//!
//! The fixtures are read from `node_modules/govuk-frontend` (installed by `scripts/assets`), so a
//! new GOV.UK Frontend version is checked too.

use std::path::PathBuf;

use askama::Template;
use serde::de::DeserializeOwned;
use serde_json::Value;

use super::normalise::normalise;
use super::*;

/// Fixtures that the macros do not reproduce, with the reason.
const SKIPPED: &[(&str, &str, &str)] = &[
    ("panel", "interruption", INTERRUPTION_ACTIONS),
    ("panel", "interruption-with-content-with-long-line-length", INTERRUPTION_ACTIONS),
    ("panel", "interruption-with-headings-content-and-lists", INTERRUPTION_ACTIONS),
    ("panel", "interruption, with actions classes and attributes", INTERRUPTION_ACTIONS),
    ("panel", "interruption, submit action", INTERRUPTION_ACTIONS),
    ("panel", "interruption, button link", INTERRUPTION_ACTIONS),
    ("panel", "interruption, no actions items", INTERRUPTION_ACTIONS),
];

/// Why the interruption panel's actions are not written: formwork shows no interruption panel.
const INTERRUPTION_ACTIONS: &str = "formwork shows no interruption panel with actions";

macro_rules! fixture_template {
    ($name:ident, $params:ty, $source:literal) => {
        #[derive(Template)]
        #[template(source = $source, ext = "html")]
        struct $name {
            params: $params,
        }
    };
}

fixture_template!(
    LabelFixture,
    Label,
    r#"{% import "govuk/label.html" as c %}{% call c::label(params, params.for_id.as_deref().unwrap_or_default()) %}{% endcall %}"#
);
fixture_template!(
    HintFixture,
    Hint,
    r#"{% import "govuk/hint.html" as c %}{% call c::hint(params, params.id.as_deref().unwrap_or_default(), "govuk-hint") %}{% endcall %}"#
);
fixture_template!(
    ErrorMessageFixture,
    ErrorMessage,
    r#"{% import "govuk/error_message.html" as c %}{% call c::error_message(params, params.id.as_deref().unwrap_or_default()) %}{% endcall %}"#
);
fixture_template!(
    FieldsetFixture,
    Fieldset,
    r#"{% import "govuk/fieldset.html" as c %}{% call c::fieldset(params) %}{% endcall %}"#
);
fixture_template!(
    InputFixture,
    Input,
    r#"{% import "govuk/input.html" as c %}{% call c::input(params) %}{% endcall %}"#
);
fixture_template!(
    TextareaFixture,
    Textarea,
    r#"{% import "govuk/textarea.html" as c %}{% call c::textarea(params) %}{% endcall %}"#
);
fixture_template!(
    SelectFixture,
    Select,
    r#"{% import "govuk/select.html" as c %}{% call c::select(params) %}{% endcall %}"#
);
fixture_template!(
    FileUploadFixture,
    FileUpload,
    r#"{% import "govuk/file_upload.html" as c %}{% call c::file_upload(params) %}{% endcall %}"#
);
fixture_template!(
    RadiosFixture,
    Radios,
    r#"{% import "govuk/radios.html" as c %}{% call c::radios(params) %}{% endcall %}"#
);
fixture_template!(
    CheckboxesFixture,
    Checkboxes,
    r#"{% import "govuk/checkboxes.html" as c %}{% call c::checkboxes(params) %}{% endcall %}"#
);
fixture_template!(
    DateInputFixture,
    DateInput,
    r#"{% import "govuk/date_input.html" as c %}{% call c::date_input(params) %}{% endcall %}"#
);
fixture_template!(
    CharacterCountFixture,
    CharacterCount,
    r#"{% import "govuk/character_count.html" as c %}{% call c::character_count(params) %}{% endcall %}"#
);
fixture_template!(
    SummaryListFixture,
    SummaryList,
    r#"{% import "govuk/summary_list.html" as c %}{% call c::summary_list(params) %}{% endcall %}"#
);
fixture_template!(
    TableFixture,
    Table,
    r#"{% import "govuk/table.html" as c %}{% call c::table(params) %}{% endcall %}"#
);
fixture_template!(
    TaskListFixture,
    TaskList,
    r#"{% import "govuk/task_list.html" as c %}{% call c::task_list(params) %}{% endcall %}"#
);
fixture_template!(
    TagFixture,
    Tag,
    r#"{% import "govuk/tag.html" as c %}{% call c::tag(params) %}{% endcall %}"#
);
fixture_template!(
    NotificationBannerFixture,
    NotificationBanner,
    r#"{% import "govuk/notification_banner.html" as c %}{% call c::notification_banner(params) %}{% endcall %}"#
);
fixture_template!(
    ErrorSummaryFixture,
    ErrorSummary,
    r#"{% import "govuk/error_summary.html" as c %}{% call c::error_summary(params) %}{% endcall %}"#
);
fixture_template!(
    ButtonFixture,
    Button,
    r#"{% import "govuk/button.html" as c %}{% call c::button(params) %}{% endcall %}"#
);
fixture_template!(
    PanelFixture,
    Panel,
    r#"{% import "govuk/panel.html" as c %}{% call c::panel(params) %}{% endcall %}"#
);
fixture_template!(
    WarningTextFixture,
    WarningText,
    r#"{% import "govuk/warning_text.html" as c %}{% call c::warning_text(params) %}{% endcall %}"#
);
fixture_template!(
    DetailsFixture,
    Details,
    r#"{% import "govuk/details.html" as c %}{% call c::details(params) %}{% endcall %}"#
);
fixture_template!(
    PaginationFixture,
    Pagination,
    r#"{% import "govuk/pagination.html" as c %}{% call c::pagination(params) %}{% endcall %}"#
);

/// Deserialises a fixture's options into `P` and renders them through the component's template.
fn render<P: DeserializeOwned, T: Template>(options: &Value, template: fn(P) -> T) -> Result<String, String> {
    let params: P =
        serde_json::from_value(options.clone()).map_err(|e| format!("options do not deserialise: {e}"))?;
    template(params).render().map_err(|e| format!("does not render: {e}"))
}

/// Renders one fixture of `component`.
fn render_fixture(component: &str, options: &Value) -> Result<String, String> {
    match component {
        "label" => render(options, |params| LabelFixture { params }),
        "hint" => render(options, |params| HintFixture { params }),
        "error-message" => render(options, |params| ErrorMessageFixture { params }),
        "fieldset" => render(options, |params| FieldsetFixture { params }),
        "input" => render(options, |params| InputFixture { params }),
        "textarea" => render(options, |params| TextareaFixture { params }),
        "select" => render(options, |params| SelectFixture { params }),
        "file-upload" => render(options, |params| FileUploadFixture { params }),
        "radios" => render(options, |params| RadiosFixture { params }),
        "checkboxes" => render(options, |params| CheckboxesFixture { params }),
        "date-input" => render(options, |params| DateInputFixture { params }),
        "character-count" => render(options, |params| CharacterCountFixture { params }),
        "summary-list" => render(options, |params| SummaryListFixture { params }),
        "table" => render(options, |params| TableFixture { params }),
        "task-list" => render(options, |params| TaskListFixture { params }),
        "tag" => render(options, |params| TagFixture { params }),
        "notification-banner" => render(options, |params| NotificationBannerFixture { params }),
        "error-summary" => render(options, |params| ErrorSummaryFixture { params }),
        "button" => render(options, |params| ButtonFixture { params }),
        "warning-text" => render(options, |params| WarningTextFixture { params }),
        "panel" => render(options, |params| PanelFixture { params }),
        "details" => render(options, |params| DetailsFixture { params }),
        "pagination" => render(options, |params| PaginationFixture { params }),
        other => Err(format!("no template for {other}")),
    }
}

const COMPONENTS: &[&str] = &[
    "label",
    "hint",
    "error-message",
    "fieldset",
    "input",
    "textarea",
    "character-count",
    "date-input",
    "radios",
    "checkboxes",
    "select",
    "file-upload",
    "summary-list",
    "table",
    "task-list",
    "tag",
    "notification-banner",
    "error-summary",
    "button",
    "warning-text",
    "panel",
    "details",
    "pagination",
];

fn components_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../node_modules/govuk-frontend/dist/govuk/components")
}

#[test]
fn macros_match_every_govuk_frontend_fixture() {
    let mut mismatches = Vec::new();
    let (mut checked, mut passed, mut skipped) = (0, 0, 0);
    for component in COMPONENTS {
        let path = components_dir().join(component).join("fixtures.json");
        let text = std::fs::read_to_string(&path)
            .unwrap_or_else(|e| panic!("cannot read {} (run scripts/assets): {e}", path.display()));
        let fixtures: Value =
            serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        for fixture in fixtures["fixtures"].as_array().into_iter().flatten() {
            let name = fixture["name"].as_str().unwrap_or_default();
            if SKIPPED.iter().any(|(c, n, _)| c == component && *n == name) {
                skipped += 1;
                continue;
            }
            checked += 1;
            let expected = normalise(fixture["html"].as_str().unwrap_or_default());
            match render_fixture(component, &fixture["options"]) {
                Ok(html) => {
                    let actual = normalise(&html);
                    if actual == expected {
                        passed += 1;
                    } else {
                        mismatches
                            .push(format!("{component} / {name}:\n{}", first_difference(&expected, &actual)));
                    }
                }
                Err(e) => mismatches.push(format!("{component} / {name}: {e}")),
            }
        }
    }
    eprintln!("GOV.UK fixtures: {checked} checked, {passed} passed, {skipped} skipped");
    assert!(
        mismatches.is_empty(),
        "{} of {checked} fixtures differ:\n\n{}",
        mismatches.len(),
        mismatches.join("\n\n")
    );
}

/// The first line where two normalised documents differ, with a little context.
fn first_difference(expected: &str, actual: &str) -> String {
    let expected: Vec<&str> = expected.lines().collect();
    let actual: Vec<&str> = actual.lines().collect();
    let at =
        expected.iter().zip(&actual).position(|(e, a)| e != a).unwrap_or(expected.len().min(actual.len()));
    format!(
        "  line {at}\n  expected: {}\n  actual:   {}",
        expected.get(at).unwrap_or(&"(end)"),
        actual.get(at).unwrap_or(&"(end)")
    )
}
