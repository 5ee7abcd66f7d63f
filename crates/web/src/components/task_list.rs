//! Task list: the tasks of a return, each with its status.

use serde::Deserialize;

use super::{Attributes, Content, Tag, classes, de};

/// Params of the task list.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TaskList {
    /// The tasks; a `None` is left out but counts for the ids that follow.
    #[serde(default, deserialize_with = "de::slots")]
    pub items: Vec<Option<TaskListItem>>,
    /// Prefix of the hint and status ids; `task-list` when not given.
    #[serde(default, deserialize_with = "de::text")]
    pub id_prefix: Option<String>,
    /// Extra classes.
    #[serde(default, deserialize_with = "de::text")]
    pub classes: Option<String>,
    /// Extra attributes.
    #[serde(default)]
    pub attributes: Attributes,
}

/// One task.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TaskListItem {
    /// The task's name.
    #[serde(default)]
    pub title: TaskTitle,
    /// A hint under the name.
    #[serde(default, deserialize_with = "de::object")]
    pub hint: Option<Content>,
    /// The task's status.
    #[serde(default)]
    pub status: TaskStatus,
    /// The task's page; without one the task cannot be started yet.
    #[serde(default, deserialize_with = "de::text")]
    pub href: Option<String>,
    /// Extra classes.
    #[serde(default, deserialize_with = "de::text")]
    pub classes: Option<String>,
}

/// A task's name.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TaskTitle {
    /// What it says.
    #[serde(flatten)]
    pub content: Content,
    /// Extra classes.
    #[serde(default, deserialize_with = "de::text")]
    pub classes: Option<String>,
}

/// A task's status: a tag, or text.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TaskStatus {
    /// The status as a tag, e.g. "Incomplete".
    #[serde(default, deserialize_with = "de::object")]
    pub tag: Option<Tag>,
    /// The status as text, e.g. "Completed".
    #[serde(flatten)]
    pub content: Content,
    /// Extra classes.
    #[serde(default, deserialize_with = "de::text")]
    pub classes: Option<String>,
}

impl TaskList {
    fn id_prefix(&self) -> &str {
        self.id_prefix.as_deref().unwrap_or("task-list")
    }

    /// The id of the hint of the task at `index` (from 1).
    pub fn hint_id(&self, index: impl std::fmt::Display) -> String {
        format!("{}-{index}-hint", self.id_prefix())
    }

    /// The id of the status of the task at `index` (from 1).
    pub fn status_id(&self, index: impl std::fmt::Display) -> String {
        format!("{}-{index}-status", self.id_prefix())
    }
}

impl TaskListItem {
    /// The task's classes.
    pub fn class(&self) -> String {
        let base = if self.href.is_some() {
            "govuk-task-list__item govuk-task-list__item--with-link"
        } else {
            "govuk-task-list__item"
        };
        classes(base, self.classes.as_deref())
    }
}
