//! JSON Lines: one object per submission or record, its metadata then every column by id, tables
//! nested as lists of row objects (`_row`, then the table's columns). Answers are copied from
//! their stored JSON, numbers unquoted from their exact text; a value stored as typed (not valid)
//! is written as it was stored; an empty answer is `null`. With one table only, each line is one
//! of its rows, with `_id`, `_reference` and `_row`.

use std::io::Write;
use std::sync::Arc;

use crate::answers::{Span, items};
use crate::plan::{Column, MetaColumn, Part, Plan, ValueType};
use crate::source::{MetaValue, Source, meta_value};
use crate::values::{Raw, is_json_number, push_int, write_timestamp};
use crate::{Choices, ExportError, ExportWriter, FileSummary, Meta, Options, Output, Summary};

/// Lines are handed on once this many bytes are buffered.
const FLUSH_AT: usize = 16 * 1024;

/// Write `s` as a JSON string.
pub(crate) fn json_str(out: &mut Vec<u8>, s: &str) {
    let bytes = s.as_bytes();
    out.push(b'"');
    // Most text (names, ids, dates) has nothing to escape: one copy.
    if plain(bytes) {
        out.extend_from_slice(bytes);
        out.push(b'"');
        return;
    }
    let mut start = 0;
    for (i, &b) in bytes.iter().enumerate() {
        if !ESCAPED[usize::from(b)] {
            continue;
        }
        out.extend_from_slice(&bytes[start..i]);
        match b {
            b'"' => out.extend_from_slice(b"\\\""),
            b'\\' => out.extend_from_slice(b"\\\\"),
            b'\n' => out.extend_from_slice(b"\\n"),
            b'\r' => out.extend_from_slice(b"\\r"),
            b'\t' => out.extend_from_slice(b"\\t"),
            _ => {
                out.extend_from_slice(b"\\u00");
                out.push(HEX[usize::from(b >> 4)]);
                out.push(HEX[usize::from(b & 0xf)]);
            }
        }
        start = i + 1;
    }
    out.extend_from_slice(&bytes[start..]);
    out.push(b'"');
}

/// True when no byte of `bytes` is [`ESCAPED`], tested eight bytes at a time: a word holds a byte
/// below 0x20 (or equal to `"` or `\`, once xored to zero) exactly when subtracting that bound
/// from every byte sets a top bit that no byte of the word had.
fn plain(bytes: &[u8]) -> bool {
    const ONES: u64 = u64::from_le_bytes([1; 8]);
    const TOPS: u64 = u64::from_le_bytes([0x80; 8]);
    let below = |w: u64, n: u8| w.wrapping_sub(ONES * u64::from(n)) & !w & TOPS;
    let mut words = bytes.chunks_exact(8);
    for word in &mut words {
        let w = u64::from_le_bytes(word.try_into().unwrap_or([0; 8]));
        if below(w, 0x20) | below(w ^ (ONES * u64::from(b'"')), 1) | below(w ^ (ONES * u64::from(b'\\')), 1)
            != 0
        {
            return false;
        }
    }
    words.remainder().iter().all(|b| !ESCAPED[usize::from(*b)])
}

/// Bytes a JSON string escapes: quotes, backslashes and control characters.
const ESCAPED: [bool; 256] = {
    let mut t = [false; 256];
    let mut c = 0;
    while c < 0x20 {
        t[c] = true;
        c += 1;
    }
    t[b'"' as usize] = true;
    t[b'\\' as usize] = true;
    t
};

const HEX: &[u8; 16] = b"0123456789abcdef";

/// Copy stored JSON, leaving out line breaks between its tokens (a line is one object).
fn verbatim(out: &mut Vec<u8>, json: &str) {
    let bytes = json.as_bytes();
    if bytes.first().is_some_and(|b| matches!(b, b'[' | b'{'))
        && bytes.iter().any(|b| matches!(b, b'\n' | b'\r'))
    {
        out.extend(bytes.iter().filter(|b| !matches!(b, b'\n' | b'\r')));
    } else {
        out.extend_from_slice(bytes);
    }
}

/// Reused buffers.
#[derive(Default)]
struct Scratch {
    text: String,
    items: Vec<Span>,
}

/// One answer as JSON.
fn value(
    out: &mut Vec<u8>,
    column: &Column,
    choices: Choices,
    answers: &str,
    span: Option<Span>,
    s: &mut Scratch,
) {
    let Some(span) = span else {
        out.extend_from_slice(b"null");
        return;
    };
    let json = span.of(answers);
    // A number is stored as its exact text in a string: written unquoted. (Text that is a JSON
    // number has no quote or backslash in it, so the quotes stripped are the string's own.)
    if column.value.is_number()
        && let Some(body) = json.strip_prefix('"').and_then(|j| j.strip_suffix('"'))
        && is_json_number(body)
    {
        out.extend_from_slice(body.as_bytes());
        return;
    }
    // Anything else is copied as it is stored (a number kept as typed, `abc`, too), but for
    // choices written as their labels.
    let labels =
        choices == Choices::Labels && matches!(column.value, ValueType::Choice | ValueType::MultiChoice);
    if !labels {
        if json.starts_with(['[', '{']) {
            verbatim(out, json);
        } else {
            // A scalar is on one line already: copied from the answers, by a block when short.
            let from = answers
                .as_bytes()
                .get(span.start..)
                .filter(|from| from.as_ptr() == json.as_ptr())
                .unwrap_or(json.as_bytes());
            put(out, from, json.len());
        }
        return;
    }
    let raw = Raw::of(json);
    match (raw, column.value) {
        (Raw::Null, _) => out.extend_from_slice(b"null"),
        (Raw::Str { .. }, ValueType::Choice) if choices == Choices::Labels => {
            let text = raw.text(&mut s.text).unwrap_or("");
            match column.label_of(text) {
                Some(label) => json_str(out, label),
                None => verbatim(out, json),
            }
        }
        (Raw::Json(_), ValueType::MultiChoice) if choices == Choices::Labels && json.starts_with('[') => {
            items(answers, span, &mut s.items);
            out.push(b'[');
            for (i, item) in s.items.iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                let item_json = item.of(answers);
                let item_raw = Raw::of(item_json);
                let text = item_raw.text(&mut s.text).unwrap_or("");
                match (item_raw, column.label_of(text)) {
                    (Raw::Str { .. }, Some(label)) => json_str(out, label),
                    _ => verbatim(out, item_json),
                }
            }
            out.push(b']');
        }
        _ => verbatim(out, json),
    }
}

fn meta_json(out: &mut Vec<u8>, column: MetaColumn, meta: &Meta<'_>, row: usize) {
    // Metadata names are plain ASCII: quoted, they need no escaping.
    out.push(b'"');
    out.extend_from_slice(column.name().as_bytes());
    out.extend_from_slice(b"\":");
    match meta_value(column, meta, row) {
        MetaValue::Empty => out.extend_from_slice(b"null"),
        MetaValue::Text(t) => json_str(out, t),
        MetaValue::Int(n) => push_int(out, n),
        MetaValue::Timestamp(ms) => {
            out.push(b'"');
            write_timestamp(ms, out);
            out.push(b'"');
        }
    }
}

/// The key of a column with an empty answer, ready to write (`,"id":null`), padded so that most
/// keys are written by one copy of a fixed size: a few instructions, not a call of `memcpy`.
struct Key {
    padded: Vec<u8>,
    len: usize,
}

/// The size of one fixed copy: most keys, and most answers, are shorter.
const BLOCK: usize = 32;

impl Key {
    fn new(id: &str) -> Key {
        let mut padded = vec![b','];
        json_str(&mut padded, id);
        padded.extend_from_slice(b":null");
        let len = padded.len();
        padded.resize(len.max(BLOCK), 0);
        Key { padded, len }
    }

    /// Write the key with `null`.
    fn null(&self, out: &mut Vec<u8>) {
        put(out, &self.padded, self.len);
    }

    /// Write the key alone (`,"id":`), for its value to follow.
    fn name(&self, out: &mut Vec<u8>) {
        put(out, &self.padded, self.len - 4);
    }
}

/// Write the first `len` bytes of `from`: when they fit in a block and `from` has a block's bytes,
/// as a block of fixed size, the bytes past `len` then dropped.
fn put(out: &mut Vec<u8>, from: &[u8], len: usize) {
    match from.first_chunk::<BLOCK>() {
        Some(block) if len <= BLOCK => {
            out.extend_from_slice(block);
            out.truncate(out.len() - (BLOCK - len));
        }
        _ => out.extend_from_slice(from.get(..len).unwrap_or(from)),
    }
}

/// The keys of a part's columns.
fn keys(part: &Part) -> Vec<Key> {
    part.columns.iter().map(|c| Key::new(&c.id)).collect()
}

/// An object of `metadata` and a part's columns (`cells` by column), without its closing brace.
#[expect(clippy::too_many_arguments, reason = "the row's parts are all needed and differ in kind")]
fn object(
    out: &mut Vec<u8>,
    part: &Part,
    metadata: &[MetaColumn],
    keys: &[Key],
    meta: &Meta<'_>,
    row: usize,
    answers: &str,
    cells: &[Option<Span>],
    choices: Choices,
    s: &mut Scratch,
) {
    out.push(b'{');
    for (i, column) in metadata.iter().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        meta_json(out, *column, meta, row);
    }
    for ((column, key), span) in part.columns.iter().zip(keys).zip(cells) {
        // The key ready written with `null`, for the many empty answers in one copy.
        match span {
            None => key.null(out),
            Some(_) => {
                key.name(out);
                value(out, column, choices, answers, *span, s);
            }
        }
    }
}

/// The JSON Lines writer.
pub(crate) struct JsonlWriter<W: Write + Send> {
    plan: Arc<Plan>,
    source: Source,
    choices: Choices,
    output: Output,
    /// Each part's column keys.
    keys: Vec<Vec<Key>>,
    /// Each table's key in a submission's object: `,"spend":`.
    table_keys: Vec<Vec<u8>>,
    scratch: Scratch,
    buf: Vec<u8>,
    out: W,
    /// Rows written of each part.
    rows: Vec<u64>,
}

impl<W: Write + Send> JsonlWriter<W> {
    pub fn new(source: Source, options: Options, output: Output, out: W) -> JsonlWriter<W> {
        let plan = Arc::clone(&source.plan);
        let table_keys = plan
            .parts()
            .iter()
            .map(|p| {
                let mut key = vec![b','];
                json_str(&mut key, p.table.as_deref().unwrap_or_default());
                key.push(b':');
                key
            })
            .collect();
        JsonlWriter {
            keys: plan.parts().iter().map(keys).collect(),
            rows: vec![0; plan.parts().len()],
            table_keys,
            plan,
            source,
            choices: options.choices,
            output,
            scratch: Scratch::default(),
            buf: Vec::with_capacity(FLUSH_AT + 4096),
            out,
        }
    }
}

impl<W: Write + Send> ExportWriter for JsonlWriter<W> {
    fn write(&mut self, meta: &Meta<'_>, answers: &str) -> Result<(), ExportError> {
        self.source.read(meta, answers)?;
        let parts = self.plan.parts();
        let (out, s, choices) = (&mut self.buf, &mut self.scratch, self.choices);
        if let Some(p) = self.source.only.filter(|p| *p > 0) {
            let (part, keys) = (&parts[p], &self.keys[p]);
            let mut rows = 0;
            self.source.rows(p, meta, answers, |r, cells| {
                object(out, part, part.meta, keys, meta, r, answers, cells, choices, s);
                out.extend_from_slice(b"}\n");
                rows += 1;
                Ok(())
            })?;
            self.rows[p] += rows;
        } else {
            let main = &parts[0];
            object(
                out,
                main,
                main.meta,
                &self.keys[0],
                meta,
                0,
                answers,
                &self.source.decoded.main,
                choices,
                s,
            );
            self.rows[0] += 1;
            // The main part alone leaves the tables out.
            let tables = if self.source.only.is_some() { &[][..] } else { &parts[1..] };
            for (i, part) in tables.iter().enumerate() {
                let p = i + 1;
                out.extend_from_slice(&self.table_keys[p]);
                let Some(span) = self.source.decoded.tables[p] else {
                    out.extend_from_slice(b"null");
                    continue;
                };
                if !span.of(answers).starts_with('[') {
                    verbatim(out, span.of(answers));
                    continue;
                }
                out.push(b'[');
                let keys = &self.keys[p];
                let mut rows = 0;
                self.source.rows(p, meta, answers, |r, cells| {
                    if r > 1 {
                        out.push(b',');
                    }
                    // A nested row has only its number: its submission is the line it is on.
                    object(out, part, &[MetaColumn::Row], keys, meta, r, answers, cells, choices, s);
                    out.push(b'}');
                    rows += 1;
                    Ok(())
                })?;
                self.rows[p] += rows;
                out.push(b']');
            }
            out.extend_from_slice(b"}\n");
        }
        if self.buf.len() >= FLUSH_AT {
            self.out.write_all(&self.buf)?;
            self.buf.clear();
        }
        Ok(())
    }

    fn flush(&mut self) -> Result<(), ExportError> {
        self.out.write_all(&self.buf)?;
        self.buf.clear();
        self.out.flush()?;
        Ok(())
    }

    fn finish(mut self: Box<Self>) -> Result<Summary, ExportError> {
        self.flush()?;
        let only = self.source.only;
        let files = self
            .plan
            .parts()
            .iter()
            .zip(&self.rows)
            .enumerate()
            .filter(|(p, _)| only.is_none_or(|o| o == *p))
            .map(|(_, (part, rows))| FileSummary {
                name: self.output.file_name.clone(),
                table: part.table.clone(),
                rows: *rows,
            })
            .collect();
        Ok(Summary { file_name: self.output.file_name.clone(), files })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn metadata_names_need_no_escaping() {
        use crate::plan::{LOG_META, RETURN_META, TABLE_META};
        for column in RETURN_META.iter().chain(LOG_META).chain(TABLE_META) {
            let mut escaped = Vec::new();
            json_str(&mut escaped, column.name());
            assert_eq!(escaped, format!("\"{}\"", column.name()).into_bytes());
        }
    }

    proptest::proptest! {
        /// Whatever the text, it is written as a JSON string that reads back as the same text,
        /// and the word-at-a-time test agrees with the byte table.
        #[test]
        fn any_text_is_written_as_the_json_string_of_it(text in "\\PC{0,40}|[\\x00-\\x7f]{0,40}") {
            proptest::prop_assert_eq!(plain(text.as_bytes()), !text.bytes().any(|b| ESCAPED[usize::from(b)]));
            let mut out = Vec::new();
            json_str(&mut out, &text);
            let back: Result<String, _> = serde_json::from_slice(&out);
            proptest::prop_assert_eq!(back.ok(), Some(text));
        }
    }

    #[test]
    fn strings_are_escaped_as_json() {
        let mut out = Vec::new();
        json_str(&mut out, "a\"b\\c\nd\u{1}é");
        assert_eq!(String::from_utf8(out).unwrap_or_default(), r#""a\"b\\c\nd\u0001é""#);
    }
}
