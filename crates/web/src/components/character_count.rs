//! Character count: a textarea that tells people how many characters or words they have left.

use serde::Deserialize;
use serde_json::Value;

use super::attributes::i18n;
use super::{Attributes, Content, ErrorMessage, FormGroup, Hint, Label, Textarea, classes, de};

/// Params of the character count.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CharacterCount {
    /// The textarea's id; the name when not given.
    #[serde(default, deserialize_with = "de::text")]
    pub id: Option<String>,
    /// The field name.
    #[serde(default, deserialize_with = "de::text")]
    pub name: Option<String>,
    /// The number of rows.
    #[serde(default, deserialize_with = "de::text")]
    pub rows: Option<String>,
    /// The current value.
    #[serde(default, deserialize_with = "de::value")]
    pub value: Option<String>,
    /// The most characters allowed.
    #[serde(default, deserialize_with = "de::text")]
    pub maxlength: Option<String>,
    /// The most words allowed.
    #[serde(default, deserialize_with = "de::text")]
    pub maxwords: Option<String>,
    /// The share of the limit (percent) at which the count is shown.
    #[serde(default, deserialize_with = "de::text")]
    pub threshold: Option<String>,
    /// What is counted when no limit is given here: `characters` or `words`.
    #[serde(default, deserialize_with = "de::text")]
    pub count_type: Option<String>,
    /// The label.
    #[serde(default)]
    pub label: Label,
    /// The hint.
    #[serde(default, deserialize_with = "de::object")]
    pub hint: Option<Hint>,
    /// The error message.
    #[serde(default, deserialize_with = "de::object")]
    pub error_message: Option<ErrorMessage>,
    /// The form group around it.
    #[serde(default)]
    pub form_group: FormGroup,
    /// Extra classes on the textarea.
    #[serde(default, deserialize_with = "de::text")]
    pub classes: Option<String>,
    /// Extra attributes on the textarea.
    #[serde(default)]
    pub attributes: Attributes,
    /// The `spellcheck` attribute, when given.
    #[serde(default, deserialize_with = "de::opt_flag")]
    pub spellcheck: Option<bool>,
    /// Extra classes of the count message.
    #[serde(default)]
    pub count_message: CountMessage,
    /// The description of the limit, with `%{count}` for the number.
    #[serde(default, deserialize_with = "de::text")]
    pub textarea_description_text: Option<String>,
    /// Translations of the count's messages (plural forms, or one message for "at the limit").
    #[serde(default)]
    pub characters_under_limit_text: Option<Value>,
    /// See `characters_under_limit_text`.
    #[serde(default)]
    pub characters_at_limit_text: Option<Value>,
    /// See `characters_under_limit_text`.
    #[serde(default)]
    pub characters_over_limit_text: Option<Value>,
    /// See `characters_under_limit_text`.
    #[serde(default)]
    pub words_under_limit_text: Option<Value>,
    /// See `characters_under_limit_text`.
    #[serde(default)]
    pub words_at_limit_text: Option<Value>,
    /// See `characters_under_limit_text`.
    #[serde(default)]
    pub words_over_limit_text: Option<Value>,
}

/// The count message's extra classes.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CountMessage {
    /// Extra classes.
    #[serde(default, deserialize_with = "de::text")]
    pub classes: Option<String>,
}

impl CharacterCount {
    /// The textarea's id: `id`, or the name.
    pub fn id(&self) -> &str {
        self.id.as_deref().or(self.name.as_deref()).unwrap_or_default()
    }

    fn count_type(&self) -> Option<&str> {
        self.count_type.as_deref().or(self.maxwords.as_ref().map(|_| "words"))
    }

    /// The textarea, in a form group that carries the count's settings.
    pub fn textarea(&self) -> Textarea {
        let mut attributes = Attributes::default().with("data-module", "govuk-character-count");
        for (name, value) in [
            ("data-maxlength", &self.maxlength),
            ("data-maxwords", &self.maxwords),
            ("data-threshold", &self.threshold),
        ] {
            if let Some(value) = value {
                attributes = attributes.with(name, value);
            }
        }
        if let Some(count_type) = self.count_type() {
            attributes = attributes.with("data-count-type", count_type);
        }
        if self.maxwords.is_none()
            && self.maxlength.is_none()
            && let Some(text) = &self.textarea_description_text
        {
            attributes = attributes.with("data-i18n.textarea-description.other", text);
        }
        i18n(&mut attributes, "characters-under-limit", &self.characters_under_limit_text);
        i18n(&mut attributes, "characters-at-limit", &self.characters_at_limit_text);
        i18n(&mut attributes, "characters-over-limit", &self.characters_over_limit_text);
        i18n(&mut attributes, "words-under-limit", &self.words_under_limit_text);
        i18n(&mut attributes, "words-at-limit", &self.words_at_limit_text);
        i18n(&mut attributes, "words-over-limit", &self.words_over_limit_text);
        attributes.0.extend(self.form_group.attributes.0.iter().cloned());
        Textarea {
            id: Some(self.id().to_owned()),
            name: self.name.clone(),
            described_by: Some(format!("{}-info", self.id())),
            rows: self.rows.clone(),
            spellcheck: self.spellcheck,
            value: self.value.clone(),
            form_group: FormGroup {
                classes: Some(classes("govuk-character-count", self.form_group.classes.as_deref())),
                attributes,
                before_input: self.form_group.before_input.clone(),
                after_input: self.form_group.after_input.clone(),
                ..FormGroup::default()
            },
            classes: Some(classes("govuk-js-character-count", self.classes.as_deref())),
            label: self.label.clone(),
            hint: self.hint.clone(),
            error_message: self.error_message.clone(),
            attributes: self.attributes.clone(),
            ..Textarea::default()
        }
    }

    /// The message under the textarea that says the limit (empty when the limit is set in JavaScript).
    pub fn count_message(&self) -> Hint {
        let limit = self.maxwords.as_deref().or(self.maxlength.as_deref());
        let text = limit.map(|limit| {
            let template = self.textarea_description_text.clone().unwrap_or_else(|| {
                let unit = if self.count_type() == Some("words") { "words" } else { "characters" };
                format!("You can enter up to %{{count}} {unit}")
            });
            template.replace("%{count}", limit)
        });
        Hint {
            content: Content { text, html: None },
            id: None,
            classes: self.count_message.classes.clone(),
            attributes: Attributes::default(),
        }
    }

    /// The count message's id.
    pub fn count_message_id(&self) -> String {
        format!("{}-info", self.id())
    }
}
