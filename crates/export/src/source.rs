//! What every writer does with a submission: read its answers by its version's keys, then hand
//! over its table rows one at a time.

use std::sync::Arc;

use crate::answers::{Decoded, Rows, Span};
use crate::plan::{MetaColumn, Plan, VersionKeys};
use crate::{ExportError, Meta, Options};

/// The plan and the buffers reused for every submission.
pub(crate) struct Source {
    pub plan: Arc<Plan>,
    /// The current submission's answers.
    pub decoded: Decoded,
    rows: Rows,
    /// The part written alone ([`Options::table`]), if any.
    pub only: Option<usize>,
}

impl Source {
    pub fn new(plan: Arc<Plan>, options: &Options) -> Source {
        let only = options.table.as_deref().and_then(|t| plan.table_part(t));
        Source { decoded: Decoded::new(&plan), rows: Rows::default(), only, plan }
    }

    /// Read a submission's answers into [`Source::decoded`].
    pub fn read(&mut self, meta: &Meta<'_>, answers: &str) -> Result<(), ExportError> {
        let keys = keys(&self.plan, meta)?;
        self.decoded
            .read(keys, answers)
            .map_err(|e| ExportError::Answers { id: meta.id.to_string(), message: e.to_string() })
    }

    /// Hand `row` each row of table part `part` of the submission just read: its number (from 1)
    /// and its cells by column. A table that is not a list has no rows; a row that is not an
    /// object has every cell empty.
    pub fn rows(
        &mut self,
        part: usize,
        meta: &Meta<'_>,
        answers: &str,
        mut row: impl FnMut(usize, &[Option<Span>]) -> Result<(), ExportError>,
    ) -> Result<(), ExportError> {
        let Some(span) = self.decoded.tables.get(part).copied().flatten() else { return Ok(()) };
        let keys = keys(&self.plan, meta)?;
        if !self.rows.split(answers, span) {
            return Ok(());
        }
        let (Some(row_keys), Some(columns)) =
            (keys.tables.get(part), self.plan.parts().get(part).map(|p| p.columns.len()))
        else {
            return Ok(());
        };
        for r in 0..self.rows.rows.len() {
            let span = self.rows.rows[r];
            self.rows.read_row(answers, span, row_keys, columns);
            row(r + 1, &self.rows.cells)?;
        }
        Ok(())
    }
}

fn keys<'p>(plan: &'p Plan, meta: &Meta<'_>) -> Result<&'p VersionKeys, ExportError> {
    plan.keys(meta.version)
        .ok_or_else(|| ExportError::UnknownVersion { id: meta.id.to_string(), version: meta.version })
}

/// The value of a metadata column.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum MetaValue<'a> {
    Empty,
    /// Text, e.g. the organisation's name.
    Text(&'a str),
    /// A whole number (the version, the row).
    Int(i64),
    /// Milliseconds since the epoch.
    Timestamp(i64),
}

/// The value of `column` for `meta` (and table row `row`, from 1).
pub(crate) fn meta_value<'a>(column: MetaColumn, meta: &Meta<'a>, row: usize) -> MetaValue<'a> {
    let text = |t: Option<&'a str>| t.map_or(MetaValue::Empty, MetaValue::Text);
    match column {
        MetaColumn::Id => MetaValue::Text(meta.id),
        MetaColumn::Reference => text(meta.reference),
        MetaColumn::Organisation => MetaValue::Text(meta.organisation),
        MetaColumn::OrganisationId => MetaValue::Text(meta.organisation_id),
        MetaColumn::Period => MetaValue::Text(meta.period),
        MetaColumn::State => MetaValue::Text(meta.state),
        MetaColumn::Version => MetaValue::Int(i64::from(meta.version)),
        MetaColumn::Upload => text(meta.upload),
        MetaColumn::SubmittedAt => meta.submitted_at.map_or(MetaValue::Empty, MetaValue::Timestamp),
        MetaColumn::UpdatedAt => MetaValue::Timestamp(meta.updated_at),
        MetaColumn::Row => MetaValue::Int(row as i64),
    }
}
