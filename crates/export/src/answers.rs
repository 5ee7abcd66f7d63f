//! Reading stored answers without building a JSON tree.
//!
//! A submission's answers are read once with a serde visitor that looks each key up in its
//! version's prebuilt map and keeps only where the value lies in the text (a [`Span`]), in vectors
//! reused from one submission to the next. Writers then read each value straight from the text:
//! nothing is allocated per answer.

use std::borrow::Cow;
use std::fmt;

use serde::de::{DeserializeSeed, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde::{Deserialize, de};
use serde_json::value::RawValue;

use crate::keys::KeyTable;
use crate::plan::{Plan, Target, VersionKeys};
use crate::scan::scan;

/// Where a JSON value lies in the answers text (byte offsets).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Span {
    pub start: usize,
    pub end: usize,
}

impl Span {
    /// The value's JSON text.
    pub fn of(self, text: &str) -> &str {
        text.get(self.start..self.end).unwrap_or("null")
    }
}

/// The answers of one submission, by column: reused for every submission.
pub(crate) struct Decoded {
    /// By main-part column.
    pub main: Vec<Option<Span>>,
    /// By part index: the table's JSON (index 0 unused).
    pub tables: Vec<Option<Span>>,
}

impl Decoded {
    pub fn new(plan: &Plan) -> Decoded {
        Decoded { main: vec![None; plan.parts()[0].columns.len()], tables: vec![None; plan.parts().len()] }
    }

    /// Read `text` (a JSON object of answers, or `null`/empty for none) as `keys` stores it.
    pub fn read(&mut self, keys: &VersionKeys, text: &str) -> Result<(), serde_json::Error> {
        self.main.fill(None);
        self.tables.fill(None);
        if text.bytes().all(|b| b.is_ascii_whitespace()) {
            return Ok(());
        }
        let mut slots = MainSlots { keys: &keys.main, main: &mut self.main, tables: &mut self.tables };
        if scan(text, &mut slots).is_some() {
            return Ok(());
        }
        // What the fast scanner does not read, serde does (or says what is wrong with it).
        slots.main.fill(None);
        slots.tables.fill(None);
        let mut de = serde_json::Deserializer::from_str(text);
        SpanMap { base: text.as_ptr() as usize, slots: &mut slots, allow_null: true }.deserialize(&mut de)?;
        de.end()
    }
}

/// The rows of one table: reused for every table of every submission.
#[derive(Default)]
pub(crate) struct Rows {
    /// Each row's JSON.
    pub rows: Vec<Span>,
    /// The current row's cells, by column.
    pub cells: Vec<Option<Span>>,
}

impl Rows {
    /// Split the table at `span` of `text` into rows; false (and no rows) when it is not a list.
    pub fn split(&mut self, text: &str, span: Span) -> bool {
        items(text, span, &mut self.rows)
    }

    /// Read row `span` into `cells` (`columns` of them) by `keys`; false (and every cell
    /// empty) when it is not an object.
    pub fn read_row(&mut self, text: &str, span: Span, keys: &KeyTable<usize>, columns: usize) -> bool {
        self.cells.clear();
        self.cells.resize(columns, None);
        let mut slots = RowSlots { keys, cells: &mut self.cells };
        let mut de = serde_json::Deserializer::from_str(span.of(text));
        let ok = SpanMap { base: text.as_ptr() as usize, slots: &mut slots, allow_null: false }
            .deserialize(&mut de)
            .is_ok();
        if !ok {
            self.cells.fill(None);
        }
        ok
    }
}

/// Split the JSON array at `span` of `text` into its items; false (and no items) when it is not
/// an array.
pub(crate) fn items(text: &str, span: Span, out: &mut Vec<Span>) -> bool {
    out.clear();
    let mut de = serde_json::Deserializer::from_str(span.of(text));
    let ok = Items { base: text.as_ptr() as usize, out }.deserialize(&mut de).is_ok();
    if !ok {
        out.clear();
    }
    ok
}

fn span_of(base: usize, raw: &RawValue) -> Span {
    let start = (raw.get().as_ptr() as usize).saturating_sub(base);
    Span { start, end: start + raw.get().len() }
}

/// Where the value of a key goes.
pub(crate) trait Slots {
    fn slot(&mut self, key: &str) -> Option<&mut Option<Span>>;
}

struct MainSlots<'a> {
    keys: &'a KeyTable<Target>,
    main: &'a mut [Option<Span>],
    tables: &'a mut [Option<Span>],
}

impl Slots for MainSlots<'_> {
    fn slot(&mut self, key: &str) -> Option<&mut Option<Span>> {
        match self.keys.get(key)? {
            Target::Column(c) => self.main.get_mut(c),
            Target::Table(p) => self.tables.get_mut(p),
        }
    }
}

struct RowSlots<'a> {
    keys: &'a KeyTable<usize>,
    cells: &'a mut [Option<Span>],
}

impl Slots for RowSlots<'_> {
    fn slot(&mut self, key: &str) -> Option<&mut Option<Span>> {
        self.cells.get_mut(self.keys.get(key)?)
    }
}

/// A JSON object's values put in their slots by key.
struct SpanMap<'s, S> {
    base: usize,
    slots: &'s mut S,
    allow_null: bool,
}

impl<'de, S: Slots> DeserializeSeed<'de> for SpanMap<'_, S> {
    type Value = ();

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de, S: Slots> Visitor<'de> for SpanMap<'_, S> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an object of answers")
    }

    fn visit_unit<E: de::Error>(self) -> Result<(), E> {
        if self.allow_null { Ok(()) } else { Err(E::custom("null is not an object")) }
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        while let Some(key) = map.next_key::<Key<'de>>()? {
            match self.slots.slot(&key.0) {
                Some(slot) => {
                    let raw: &'de RawValue = map.next_value()?;
                    *slot = Some(span_of(self.base, raw));
                }
                None => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        Ok(())
    }
}

/// A key, borrowed from the text unless it has escapes.
struct Key<'de>(Cow<'de, str>);

impl<'de> Deserialize<'de> for Key<'de> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Key<'de>, D::Error> {
        struct KeyVisitor;
        impl<'de> Visitor<'de> for KeyVisitor {
            type Value = Key<'de>;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a key")
            }

            fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Key<'de>, E> {
                Ok(Key(Cow::Borrowed(v)))
            }

            fn visit_str<E: de::Error>(self, v: &str) -> Result<Key<'de>, E> {
                Ok(Key(Cow::Owned(v.to_string())))
            }
        }
        deserializer.deserialize_str(KeyVisitor)
    }
}

/// A JSON array's items, as spans.
struct Items<'o> {
    base: usize,
    out: &'o mut Vec<Span>,
}

impl<'de> DeserializeSeed<'de> for Items<'_> {
    type Value = ();

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        deserializer.deserialize_seq(self)
    }
}

impl<'de> Visitor<'de> for Items<'_> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a list")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        while let Some(raw) = seq.next_element::<&'de RawValue>()? {
            self.out.push(span_of(self.base, raw));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spans_point_into_the_text_whatever_the_nesting() {
        let text = r#"{"a": "x\"y", "t": [{"c": 1}, {"c": [2, 3]}], "n": null}"#;
        let mut out = Vec::new();
        let whole = Span { start: 0, end: text.len() };
        assert!(!items(text, whole, &mut out), "an object is not a list");
        let t = text.find('[').unwrap_or(0);
        let end = text.rfind(']').unwrap_or(0) + 1;
        assert!(items(text, Span { start: t, end }, &mut out));
        let rows: Vec<&str> = out.iter().map(|s| s.of(text)).collect();
        assert_eq!(rows, vec![r#"{"c": 1}"#, r#"{"c": [2, 3]}"#]);

        let keys = KeyTable::new([("c".to_string(), 0)]);
        let mut r = Rows::default();
        assert!(r.read_row(text, out[1], &keys, 1));
        assert_eq!(r.cells[0].map(|s| s.of(text)), Some("[2, 3]"));
        assert!(!r.read_row(text, Span { start: 6, end: 11 }, &keys, 1), "a string is not a row");
        assert_eq!(r.cells, vec![None]);
    }
}
