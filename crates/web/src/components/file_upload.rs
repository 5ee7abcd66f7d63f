//! File upload: choose a file to send.

use serde::Deserialize;
use serde_json::Value;

use super::attributes::i18n;
use super::{Attributes, ErrorMessage, FormGroup, Hint, Label, classes, de, described_by};

/// Params of the file upload.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct FileUpload {
    /// The input's id; the name when not given.
    #[serde(default, deserialize_with = "de::text")]
    pub id: Option<String>,
    /// The field name.
    #[serde(default, deserialize_with = "de::text")]
    pub name: Option<String>,
    /// Disables the input.
    #[serde(default, deserialize_with = "de::flag")]
    pub disabled: bool,
    /// Lets several files be chosen.
    #[serde(default, deserialize_with = "de::flag")]
    pub multiple: bool,
    /// Ids of other elements that describe the input.
    #[serde(default, deserialize_with = "de::text")]
    pub described_by: Option<String>,
    /// The label.
    #[serde(default)]
    pub label: Label,
    /// The hint.
    #[serde(default, deserialize_with = "de::object")]
    pub hint: Option<Hint>,
    /// The error message.
    #[serde(default, deserialize_with = "de::object")]
    pub error_message: Option<ErrorMessage>,
    /// The form group around the label and input.
    #[serde(default)]
    pub form_group: FormGroup,
    /// Extra classes.
    #[serde(default, deserialize_with = "de::text")]
    pub classes: Option<String>,
    /// Extra attributes.
    #[serde(default)]
    pub attributes: Attributes,
    /// Wraps the input for GOV.UK Frontend's enhanced drop zone.
    #[serde(default, deserialize_with = "de::flag")]
    pub javascript: bool,
    /// Extra classes on the enhanced wrapper.
    #[serde(default, deserialize_with = "de::text")]
    pub wrapper_classes: Option<String>,
    /// Extra attributes on the enhanced wrapper.
    #[serde(default)]
    pub wrapper_attributes: Attributes,
    /// Translations of the enhanced wrapper's messages.
    #[serde(default)]
    pub choose_files_button_text: Option<Value>,
    /// See `choose_files_button_text`.
    #[serde(default)]
    pub no_file_chosen_text: Option<Value>,
    /// See `choose_files_button_text` (plural forms).
    #[serde(default)]
    pub multiple_files_chosen_text: Option<Value>,
    /// See `choose_files_button_text`.
    #[serde(default)]
    pub drop_instruction_text: Option<Value>,
    /// See `choose_files_button_text`.
    #[serde(default)]
    pub entered_drop_zone_text: Option<Value>,
    /// See `choose_files_button_text`.
    #[serde(default)]
    pub left_drop_zone_text: Option<Value>,
}

impl FileUpload {
    /// The input's id: `id`, or the name.
    pub fn id(&self) -> &str {
        self.id.as_deref().or(self.name.as_deref()).unwrap_or_default()
    }

    /// The hint's id.
    pub fn hint_id(&self) -> String {
        format!("{}-hint", self.id())
    }

    /// The error message's id.
    pub fn error_id(&self) -> String {
        format!("{}-error", self.id())
    }

    /// The input's `aria-describedby`.
    pub fn aria_described_by(&self) -> Option<String> {
        let hint = self.hint.as_ref().map(|_| self.hint_id());
        let error = self.error_message.as_ref().map(|_| self.error_id());
        described_by([self.described_by.as_deref(), hint.as_deref(), error.as_deref()])
    }

    /// The input's classes.
    pub fn class(&self) -> String {
        let mut class = classes("govuk-file-upload", self.classes.as_deref());
        if self.error_message.is_some() {
            class.push_str(" govuk-file-upload--error");
        }
        class
    }

    /// The enhanced wrapper's attributes: translations, then the given ones.
    pub fn wrapper_attributes(&self) -> Attributes {
        let mut attributes = Attributes::default();
        i18n(&mut attributes, "choose-files-button", &self.choose_files_button_text);
        i18n(&mut attributes, "no-file-chosen", &self.no_file_chosen_text);
        i18n(&mut attributes, "multiple-files-chosen", &self.multiple_files_chosen_text);
        i18n(&mut attributes, "drop-instruction", &self.drop_instruction_text);
        i18n(&mut attributes, "entered-drop-zone", &self.entered_drop_zone_text);
        i18n(&mut attributes, "left-drop-zone", &self.left_drop_zone_text);
        attributes.0.extend(self.wrapper_attributes.0.iter().cloned());
        attributes
    }
}
