//! Parquet with typed columns, written a row group at a time: the rows of a group are buffered
//! column by column (at most [`GROUP_ROWS`] rows or [`GROUP_BYTES`] bytes), then encoded and
//! handed on. A collection with tables gives a zip of one file per part (the main file streams
//! into the zip; the tables' files are spooled and copied in at the end).
//!
//! Column types: text, choices and file names are UTF-8 strings; integers INT64; money
//! DECIMAL(18,2) on INT64; decimals and percentages DECIMAL(38, places) on a 16-byte fixed-length
//! array (10 places when the question sets none, as for calculated numbers); dates DATE; yes/no
//! BOOLEAN; multi-choice a standard three-level LIST of strings; `_version` and `_row` INT32;
//! timestamps TIMESTAMP(MILLIS, UTC). Every column is optional. A value that is not of its
//! column's type (a draft's `abc` in a money question) is null.

use std::fs::File;
use std::io::Write;
use std::sync::Arc;

use bytes::Bytes;
use parquet::basic::{Compression, LogicalType, Repetition, TimeUnit, Type as Physical};
use parquet::data_type::{
    BoolType, ByteArray, ByteArrayType, FixedLenByteArray, FixedLenByteArrayType, Int32Type, Int64Type,
};
use parquet::file::properties::{EnabledStatistics, WriterProperties};
use parquet::file::writer::SerializedFileWriter;
use parquet::schema::types::Type;

use crate::answers::Span;
use crate::cells::{Cell, Scratch, cell, each_choice};
use crate::plan::{Column, MetaColumn, Part, Plan, ValueType};
use crate::source::{MetaValue, Source, meta_value};
use crate::values::{Raw, scaled};
use crate::zipped::{Sink, part_file, spool};
use crate::{
    Choices, Dictionary, ExportError, ExportWriter, FileSummary, Format, Meta, Options, Output, Summary,
};

/// Most rows in a row group.
const GROUP_ROWS: usize = 64 * 1024;
/// A row group is written once its buffered values pass this many bytes.
const GROUP_BYTES: usize = 32 * 1024 * 1024;

/// What one Parquet column holds.
#[derive(Clone, Copy, Debug)]
enum What {
    Meta(MetaColumn),
    /// A question column (by index in its part), written as its value type.
    Answer(usize, ValueType),
}

/// One column's values of the row group being made. `defs` are definition levels (0 for null).
enum Buffer {
    Text {
        data: Vec<u8>,
        ends: Vec<usize>,
        defs: Vec<i16>,
    },
    Int64 {
        values: Vec<i64>,
        defs: Vec<i16>,
    },
    Int32 {
        values: Vec<i32>,
        defs: Vec<i16>,
    },
    Bool {
        values: Vec<bool>,
        defs: Vec<i16>,
    },
    /// 16-byte big-endian two's complement decimals.
    Fixed16 {
        data: Vec<u8>,
        defs: Vec<i16>,
    },
    /// A list of strings: levels 0 null list, 1 empty list, 2 null item, 3 item; `reps` 1 for an
    /// item after the first of its list.
    List {
        data: Vec<u8>,
        ends: Vec<usize>,
        defs: Vec<i16>,
        reps: Vec<i16>,
    },
}

impl Buffer {
    fn for_what(what: What) -> Buffer {
        let defs = Vec::new();
        match what {
            What::Meta(MetaColumn::Version | MetaColumn::Row) => Buffer::Int32 { values: Vec::new(), defs },
            What::Meta(m) if m.is_timestamp() => Buffer::Int64 { values: Vec::new(), defs },
            What::Meta(_) => Buffer::Text { data: Vec::new(), ends: Vec::new(), defs },
            What::Answer(_, value) => match value {
                ValueType::Integer | ValueType::Money => Buffer::Int64 { values: Vec::new(), defs },
                ValueType::Decimal { .. } => Buffer::Fixed16 { data: Vec::new(), defs },
                ValueType::Date => Buffer::Int32 { values: Vec::new(), defs },
                ValueType::YesNo => Buffer::Bool { values: Vec::new(), defs },
                ValueType::MultiChoice => {
                    Buffer::List { data: Vec::new(), ends: Vec::new(), defs, reps: Vec::new() }
                }
                ValueType::Text | ValueType::Choice | ValueType::File => {
                    Buffer::Text { data: Vec::new(), ends: Vec::new(), defs }
                }
            },
        }
    }

    fn null(&mut self) {
        match self {
            Buffer::Text { defs, .. }
            | Buffer::Int64 { defs, .. }
            | Buffer::Int32 { defs, .. }
            | Buffer::Bool { defs, .. }
            | Buffer::Fixed16 { defs, .. } => defs.push(0),
            Buffer::List { defs, reps, .. } => {
                defs.push(0);
                reps.push(0);
            }
        }
    }

    /// Buffered bytes, roughly.
    fn size(&self) -> usize {
        match self {
            Buffer::Text { data, defs, .. } | Buffer::List { data, defs, .. } => data.len() + defs.len() * 10,
            Buffer::Fixed16 { data, defs } => data.len() + defs.len() * 2,
            Buffer::Int64 { defs, .. } => defs.len() * 10,
            Buffer::Int32 { defs, .. } => defs.len() * 6,
            Buffer::Bool { defs, .. } => defs.len() * 3,
        }
    }
}

fn push_text(data: &mut Vec<u8>, ends: &mut Vec<usize>, defs: &mut Vec<i16>, text: &str) {
    data.extend_from_slice(text.as_bytes());
    ends.push(data.len());
    defs.push(1);
}

/// Slices of `data` ending at `ends` as byte arrays, sharing one buffer.
fn byte_arrays(data: &mut Vec<u8>, ends: &[usize]) -> Vec<ByteArray> {
    let shared = Bytes::from(std::mem::take(data));
    let mut start = 0;
    ends.iter()
        .map(|end| {
            let slice = shared.slice(start..*end);
            start = *end;
            ByteArray::from(slice)
        })
        .collect()
}

/// The schema field of a column.
fn field(name: &str, what: What) -> Result<Type, ExportError> {
    let optional =
        |physical| Type::primitive_type_builder(name, physical).with_repetition(Repetition::OPTIONAL);
    let string = |name: &str| {
        Type::primitive_type_builder(name, Physical::BYTE_ARRAY)
            .with_repetition(Repetition::OPTIONAL)
            .with_logical_type(Some(LogicalType::String))
            .build()
    };
    Ok(match what {
        What::Meta(MetaColumn::Version | MetaColumn::Row) => {
            optional(Physical::INT32).with_logical_type(Some(LogicalType::integer(32, true))).build()?
        }
        What::Meta(m) if m.is_timestamp() => optional(Physical::INT64)
            .with_logical_type(Some(LogicalType::timestamp(true, TimeUnit::MILLIS)))
            .build()?,
        What::Meta(_) => string(name)?,
        What::Answer(_, value) => match value {
            ValueType::Integer => optional(Physical::INT64).build()?,
            ValueType::Money => optional(Physical::INT64)
                .with_logical_type(Some(LogicalType::decimal(2, 18)))
                .with_precision(18)
                .with_scale(2)
                .build()?,
            ValueType::Decimal { places } => {
                let places = places.min(38) as i32;
                optional(Physical::FIXED_LEN_BYTE_ARRAY)
                    .with_length(16)
                    .with_logical_type(Some(LogicalType::decimal(places, 38)))
                    .with_precision(38)
                    .with_scale(places)
                    .build()?
            }
            ValueType::Date => {
                optional(Physical::INT32).with_logical_type(Some(LogicalType::Date)).build()?
            }
            ValueType::YesNo => optional(Physical::BOOLEAN).build()?,
            ValueType::MultiChoice => {
                let list = Type::group_type_builder("list")
                    .with_repetition(Repetition::REPEATED)
                    .with_fields(vec![Arc::new(string("element")?)])
                    .build()?;
                Type::group_type_builder(name)
                    .with_repetition(Repetition::OPTIONAL)
                    .with_logical_type(Some(LogicalType::List))
                    .with_fields(vec![Arc::new(list)])
                    .build()?
            }
            ValueType::Text | ValueType::Choice | ValueType::File => string(name)?,
        },
    })
}

/// One Parquet file being written: a part's rows.
struct PartFile<S: Write + Send> {
    part: usize,
    name: String,
    whats: Vec<What>,
    buffers: Vec<Buffer>,
    /// Rows in the row group being made.
    group_rows: usize,
    rows: u64,
    writer: SerializedFileWriter<S>,
}

impl<S: Write + Send> PartFile<S> {
    fn new(plan: &Plan, part: usize, name: String, out: S) -> Result<PartFile<S>, ExportError> {
        let p = &plan.parts()[part];
        let mut whats: Vec<(String, What)> =
            p.meta.iter().map(|m| (m.name().to_string(), What::Meta(*m))).collect();
        whats.extend(p.columns.iter().enumerate().map(|(i, c)| (c.id.clone(), What::Answer(i, c.value))));
        let fields = whats
            .iter()
            .map(|(name, what)| field(name, *what).map(Arc::new))
            .collect::<Result<Vec<_>, _>>()?;
        let schema = Type::group_type_builder("schema").with_fields(fields).build()?;
        let properties = WriterProperties::builder()
            .set_compression(Compression::SNAPPY)
            .set_statistics_enabled(EnabledStatistics::Chunk)
            .set_created_by(format!("formwork {}", env!("CARGO_PKG_VERSION")))
            .build();
        let mut writer = SerializedFileWriter::new(out, Arc::new(schema), Arc::new(properties))?;
        writer.flush()?;
        Ok(PartFile {
            part,
            name,
            buffers: whats.iter().map(|(_, w)| Buffer::for_what(*w)).collect(),
            whats: whats.into_iter().map(|(_, w)| w).collect(),
            group_rows: 0,
            rows: 0,
            writer,
        })
    }

    /// Buffer one row; write the row group when it is full.
    #[expect(clippy::too_many_arguments, reason = "the row's parts are all needed and differ in kind")]
    fn row(
        &mut self,
        part: &Part,
        meta: &Meta<'_>,
        number: usize,
        answers: &str,
        cells: &[Option<Span>],
        choices: Choices,
        s: &mut ParquetScratch,
    ) -> Result<(), ExportError> {
        for (what, buffer) in self.whats.iter().zip(&mut self.buffers) {
            match *what {
                What::Meta(m) => meta_cell(buffer, meta_value(m, meta, number)),
                What::Answer(c, _) => {
                    let span = cells.get(c).copied().flatten();
                    answer_cell(buffer, &part.columns[c], choices, answers, span, s);
                }
            }
        }
        self.group_rows += 1;
        self.rows += 1;
        if self.group_rows >= GROUP_ROWS
            || self.buffers.iter().map(Buffer::size).sum::<usize>() >= GROUP_BYTES
        {
            self.write_group()?;
        }
        Ok(())
    }

    /// Write the buffered rows as a row group and hand its bytes on.
    fn write_group(&mut self) -> Result<(), ExportError> {
        if self.group_rows == 0 {
            return Ok(());
        }
        let mut group = self.writer.next_row_group()?;
        for buffer in &mut self.buffers {
            let Some(mut column) = group.next_column()? else {
                return Err(
                    parquet::errors::ParquetError::General("the schema has fewer columns".into()).into()
                );
            };
            match buffer {
                Buffer::Text { data, ends, defs } => {
                    let values = byte_arrays(data, ends);
                    column.typed::<ByteArrayType>().write_batch(&values, Some(defs), None)?;
                    ends.clear();
                    defs.clear();
                }
                Buffer::List { data, ends, defs, reps } => {
                    let values = byte_arrays(data, ends);
                    column.typed::<ByteArrayType>().write_batch(&values, Some(defs), Some(reps))?;
                    ends.clear();
                    defs.clear();
                    reps.clear();
                }
                Buffer::Int64 { values, defs } => {
                    column.typed::<Int64Type>().write_batch(values, Some(defs), None)?;
                    values.clear();
                    defs.clear();
                }
                Buffer::Int32 { values, defs } => {
                    column.typed::<Int32Type>().write_batch(values, Some(defs), None)?;
                    values.clear();
                    defs.clear();
                }
                Buffer::Bool { values, defs } => {
                    column.typed::<BoolType>().write_batch(values, Some(defs), None)?;
                    values.clear();
                    defs.clear();
                }
                Buffer::Fixed16 { data, defs } => {
                    let ends: Vec<usize> = (1..=data.len() / 16).map(|i| i * 16).collect();
                    let values: Vec<FixedLenByteArray> =
                        byte_arrays(data, &ends).into_iter().map(FixedLenByteArray::from).collect();
                    column.typed::<FixedLenByteArrayType>().write_batch(&values, Some(defs), None)?;
                    defs.clear();
                }
            }
            column.close()?;
        }
        group.close()?;
        self.writer.flush()?;
        self.group_rows = 0;
        Ok(())
    }

    /// Write what is buffered and the footer; give back the output.
    fn close(mut self) -> Result<(S, FileSummary), ExportError> {
        self.write_group()?;
        let summary = FileSummary { name: self.name, table: None, rows: self.rows };
        Ok((self.writer.into_inner()?, summary))
    }
}

fn meta_cell(buffer: &mut Buffer, value: MetaValue<'_>) {
    match (buffer, value) {
        (Buffer::Text { data, ends, defs }, MetaValue::Text(t)) => push_text(data, ends, defs, t),
        (Buffer::Int32 { values, defs }, MetaValue::Int(n)) => match i32::try_from(n) {
            Ok(n) => {
                values.push(n);
                defs.push(1);
            }
            Err(_) => defs.push(0),
        },
        (Buffer::Int64 { values, defs }, MetaValue::Timestamp(ms)) => {
            values.push(ms);
            defs.push(1);
        }
        (buffer, _) => buffer.null(),
    }
}

/// Buffers reused from cell to cell.
#[derive(Default)]
struct ParquetScratch {
    cell: Scratch,
    items: Vec<Span>,
    item: String,
}

fn answer_cell(
    buffer: &mut Buffer,
    column: &Column,
    choices: Choices,
    answers: &str,
    span: Option<Span>,
    s: &mut ParquetScratch,
) {
    if let Buffer::List { data, ends, defs, reps } = buffer {
        let Some(span) =
            span.filter(|sp| matches!(Raw::of(sp.of(answers)), Raw::Json(j) if j.starts_with('[')))
        else {
            defs.push(0);
            reps.push(0);
            return;
        };
        let mut count = 0;
        each_choice(column, choices, answers, span, &mut s.items, &mut s.item, |text, _| {
            reps.push(if count == 0 { 0 } else { 1 });
            count += 1;
            match text {
                Some(text) => {
                    data.extend_from_slice(text.as_bytes());
                    ends.push(data.len());
                    defs.push(3);
                }
                None => defs.push(2),
            }
        });
        if count == 0 {
            defs.push(1);
            reps.push(0);
        }
        return;
    }
    let value = cell(column, choices, answers, span, &mut s.cell);
    match (buffer, value) {
        (buffer, Cell::Empty) => buffer.null(),
        (Buffer::Text { data, ends, defs }, value) => match value {
            Cell::Number(t) | Cell::Date(t, _) | Cell::Known(t) | Cell::Typed(t) => {
                push_text(data, ends, defs, t)
            }
            Cell::Bool(b) => push_text(data, ends, defs, if b { "Yes" } else { "No" }),
            Cell::Empty => defs.push(0),
        },
        (Buffer::Int64 { values, defs }, Cell::Number(n)) => {
            let scale = if column.value == ValueType::Money { 2 } else { 0 };
            let whole = scale > 0 || !n.contains('.');
            match scaled(n, scale, 18).filter(|_| whole).and_then(|v| i64::try_from(v).ok()) {
                Some(v) => {
                    values.push(v);
                    defs.push(1);
                }
                None => defs.push(0),
            }
        }
        (Buffer::Fixed16 { data, defs }, Cell::Number(n)) => {
            let places = match column.value {
                ValueType::Decimal { places } => places.min(38),
                _ => 10,
            };
            match scaled(n, places, 38) {
                Some(v) => {
                    data.extend_from_slice(&v.to_be_bytes());
                    defs.push(1);
                }
                None => defs.push(0),
            }
        }
        (Buffer::Int32 { values, defs }, Cell::Date(_, days)) => {
            values.push(days);
            defs.push(1);
        }
        (Buffer::Bool { values, defs }, Cell::Bool(b)) => {
            values.push(b);
            defs.push(1);
        }
        (buffer, _) => buffer.null(),
    }
}

/// The Parquet writer: one part's file straight to the output (or into the zip's first entry),
/// the other parts' files spooled.
pub(crate) struct ParquetWriter<W: Write + Send> {
    plan: Arc<Plan>,
    source: Source,
    choices: Choices,
    dictionary: Dictionary,
    output: Output,
    scratch: ParquetScratch,
    first: PartFile<Sink<W>>,
    spools: Vec<PartFile<File>>,
}

impl<W: Write + Send> ParquetWriter<W> {
    pub fn new(
        source: Source,
        options: Options,
        dictionary: Dictionary,
        output: Output,
        out: W,
    ) -> Result<ParquetWriter<W>, ExportError> {
        let plan = Arc::clone(&source.plan);
        let ext = Format::Parquet.extension();
        let (first, spools) = match source.only {
            Some(part) => {
                (PartFile::new(&plan, part, output.file_name.clone(), Sink::Plain(out))?, Vec::new())
            }
            None if output.zipped => {
                let name = part_file(&plan, 0, ext);
                let first = PartFile::new(&plan, 0, name.clone(), Sink::zip(out, &name)?)?;
                let spools = (1..plan.parts().len())
                    .map(|p| PartFile::new(&plan, p, part_file(&plan, p, ext), spool()?))
                    .collect::<Result<Vec<_>, ExportError>>()?;
                (first, spools)
            }
            None => (PartFile::new(&plan, 0, output.file_name.clone(), Sink::Plain(out))?, Vec::new()),
        };
        Ok(ParquetWriter {
            plan,
            source,
            choices: options.choices,
            dictionary,
            output,
            scratch: ParquetScratch::default(),
            first,
            spools,
        })
    }
}

impl<W: Write + Send> ExportWriter for ParquetWriter<W> {
    fn write(&mut self, meta: &Meta<'_>, answers: &str) -> Result<(), ExportError> {
        self.source.read(meta, answers)?;
        let ParquetWriter { plan, source, choices, scratch, first, spools, .. } = self;
        let parts = plan.parts();
        if first.part == 0 {
            first.row(&parts[0], meta, 0, answers, &source.decoded.main, *choices, scratch)?;
        } else {
            let part = &parts[first.part];
            source.rows(first.part, meta, answers, |r, cells| {
                first.row(part, meta, r, answers, cells, *choices, scratch)
            })?;
        }
        for file in spools {
            let part = &parts[file.part];
            source.rows(file.part, meta, answers, |r, cells| {
                file.row(part, meta, r, answers, cells, *choices, scratch)
            })?;
        }
        Ok(())
    }

    /// Parquet is handed on a row group at a time; what is buffered of the group being made
    /// stays until the group is full.
    fn flush(&mut self) -> Result<(), ExportError> {
        self.first.writer.flush()?;
        Ok(())
    }

    fn finish(self: Box<Self>) -> Result<Summary, ExportError> {
        let ParquetWriter { plan, dictionary, output, first, spools, .. } = *self;
        let table = |part: usize| plan.parts().get(part).and_then(|p| p.table.clone());
        let first_part = first.part;
        let (mut sink, mut summary) = first.close()?;
        summary.table = table(first_part);
        let mut files = vec![summary];
        for spooled in spools {
            let part = spooled.part;
            let (mut file, mut summary) = spooled.close()?;
            sink.add_spool(&summary.name, &mut file)?;
            summary.table = table(part);
            files.push(summary);
        }
        if output.zipped {
            sink.add_dictionary(&dictionary, &plan, Format::Parquet.extension())?;
        }
        sink.finish()?;
        Ok(Summary { file_name: output.file_name, files })
    }
}
