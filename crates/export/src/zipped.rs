//! Where the bytes go: straight to the output, or into a zip streamed to it (no seeking, so each
//! entry's sizes follow it in a data descriptor). Also the files every zipped export has besides
//! its data: the caller's dictionary and `columns.csv`.

use std::fs::File;
use std::io::{self, Seek, SeekFrom, Write};

use zip::write::{SimpleFileOptions, StreamWriter};
use zip::{CompressionMethod, ZipWriter};

use crate::csv::{end_row, field};
use crate::plan::Plan;
use crate::{Dictionary, ExportError};

/// Deflate level of the data: fast, because the output is streamed as it is made and compressing
/// is otherwise the slowest step.
const DATA_LEVEL: i64 = 1;

/// The output of an export.
pub(crate) enum Sink<W: Write> {
    /// One file, written as it is.
    Plain(W),
    /// A zip, with an entry open.
    Zip(Box<ZipWriter<StreamWriter<W>>>),
}

impl<W: Write> Write for Sink<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        match self {
            Sink::Plain(w) => w.write(buf),
            Sink::Zip(z) => z.write(buf),
        }
    }

    fn write_all(&mut self, buf: &[u8]) -> io::Result<()> {
        match self {
            Sink::Plain(w) => w.write_all(buf),
            Sink::Zip(z) => z.write_all(buf),
        }
    }

    fn flush(&mut self) -> io::Result<()> {
        match self {
            Sink::Plain(w) => w.flush(),
            Sink::Zip(z) => z.flush(),
        }
    }
}

/// Options of a data entry (its size is not known when it starts, so it may pass 4 GiB).
pub(crate) fn data_entry() -> SimpleFileOptions {
    SimpleFileOptions::default()
        .compression_method(CompressionMethod::Deflated)
        .compression_level(Some(DATA_LEVEL))
        .large_file(true)
}

/// Options of a workbook's sheet: without the ZIP64 extra field, which LibreOffice refuses in a
/// streamed entry; a sheet is kept under 4 GiB instead.
pub(crate) fn sheet_entry() -> SimpleFileOptions {
    data_entry().large_file(false)
}

/// Options of a small entry.
pub(crate) fn small_entry() -> SimpleFileOptions {
    SimpleFileOptions::default().compression_method(CompressionMethod::Deflated)
}

impl<W: Write> Sink<W> {
    /// A zip streamed to `out`, with the data entry `name` open.
    pub fn zip(out: W, name: &str) -> Result<Sink<W>, ExportError> {
        let mut zip = ZipWriter::new_stream(out);
        zip.start_file(name, data_entry())?;
        Ok(Sink::Zip(Box::new(zip)))
    }

    /// Add the entry `name` holding `data` (a zip only).
    pub fn add(&mut self, name: &str, data: &[u8]) -> Result<(), ExportError> {
        if let Sink::Zip(zip) = self {
            zip.start_file(name, small_entry())?;
            zip.write_all(data)?;
        }
        Ok(())
    }

    /// Add the entry `name` holding what was spooled to `file` (a zip only).
    pub fn add_spool(&mut self, name: &str, file: &mut File) -> Result<(), ExportError> {
        if let Sink::Zip(zip) = self {
            file.flush()?;
            file.seek(SeekFrom::Start(0))?;
            zip.start_file(name, data_entry())?;
            io::copy(&mut io::BufReader::with_capacity(1 << 16, file), zip)?;
        }
        Ok(())
    }

    /// Add the dictionary's files and `columns.csv` (a zip only).
    pub fn add_dictionary(
        &mut self,
        dictionary: &Dictionary,
        plan: &Plan,
        ext: &str,
    ) -> Result<(), ExportError> {
        for (name, data) in &dictionary.files {
            self.add(name, data)?;
        }
        self.add("columns.csv", &columns_csv(plan, ext))
    }

    /// End the output: the zip's directory, then a flush.
    pub fn finish(self) -> Result<(), ExportError> {
        let mut out = match self {
            Sink::Plain(w) => w,
            Sink::Zip(zip) => (*zip).finish()?.into_inner(),
        };
        out.flush()?;
        Ok(())
    }
}

/// A new temporary file for a part that cannot stream yet.
pub(crate) fn spool() -> Result<File, ExportError> {
    Ok(tempfile::tempfile()?)
}

/// The file of part `part` in a zipped export: `{collection}.{ext}` or
/// `{collection}-{table}.{ext}`.
pub(crate) fn part_file(plan: &Plan, part: usize, ext: &str) -> String {
    match plan.parts().get(part).and_then(|p| p.table.as_deref()) {
        Some(table) => format!("{}-{table}.{ext}", plan.collection()),
        None => format!("{}.{ext}", plan.collection()),
    }
}

/// `columns.csv`: each part's columns, their labels and types, and the id each had in each
/// version.
pub(crate) fn columns_csv(plan: &Plan, ext: &str) -> Vec<u8> {
    let mut out = Vec::new();
    out.extend_from_slice(b"\xEF\xBB\xBF");
    for (i, name) in ["file", "column", "label", "type"].iter().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        field(&mut out, name, false);
    }
    for version in plan.versions() {
        out.push(b',');
        field(&mut out, &format!("id in version {version}"), false);
    }
    end_row(&mut out);
    for (p, part) in plan.parts().iter().enumerate() {
        let file = part_file(plan, p, ext);
        for meta in part.meta {
            for (i, text) in [file.as_str(), meta.name(), meta.label(), meta.type_name()].iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                field(&mut out, text, true);
            }
            out.extend(std::iter::repeat_n(b',', plan.versions().len()));
            end_row(&mut out);
        }
        for column in &part.columns {
            let type_name = column.type_name();
            for (i, text) in [file.as_str(), &column.id, &column.label, &type_name].iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                field(&mut out, text, true);
            }
            for source in &column.sources {
                out.push(b',');
                field(&mut out, source.as_deref().unwrap_or(""), false);
            }
            end_row(&mut out);
        }
    }
    out
}
