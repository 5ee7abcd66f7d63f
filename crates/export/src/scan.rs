//! A fast reader of the object of a submission's answers: where each top-level value lies, found
//! by scanning the bytes once. Stored answers are what `serde_json` wrote: an object of strings,
//! numbers, booleans and nulls, with lists and objects only for tables, multi-choice answers and
//! files. The scanner reads scalars itself (checking them as strictly as JSON does) and hands
//! lists and objects to `serde_json` to find their end; anything else it does not read (an
//! escaped key, or text that is not JSON) makes it give up, and the caller reads the answers
//! with the serde visitor instead, which also says what is wrong.

use serde::Deserialize;
use serde_json::value::RawValue;

use crate::answers::{Slots, Span};

/// Put each top-level value of `text` (a JSON object) in its slot; `None` to give up.
pub(crate) fn scan(text: &str, slots: &mut impl Slots) -> Option<()> {
    let b = text.as_bytes();
    let mut i = space(b, 0);
    if b.get(i) != Some(&b'{') {
        return None;
    }
    i = space(b, i + 1);
    if b.get(i) == Some(&b'}') {
        return (space(b, i + 1) == b.len()).then_some(());
    }
    loop {
        if b.get(i) != Some(&b'"') {
            return None;
        }
        let end = string_end(b, i + 1, false)?;
        let key = text.get(i + 1..end)?;
        i = space(b, end + 1);
        if b.get(i) != Some(&b':') {
            return None;
        }
        i = space(b, i + 1);
        let start = i;
        i = value_end(text, i)?;
        if let Some(slot) = slots.slot(key) {
            *slot = Some(Span { start, end: i });
        }
        i = space(b, i);
        match b.get(i) {
            Some(b',') => i = space(b, i + 1),
            Some(b'}') => return (space(b, i + 1) == b.len()).then_some(()),
            _ => return None,
        }
    }
}

/// The first index from `i` that is not JSON whitespace.
fn space(b: &[u8], mut i: usize) -> usize {
    while let Some(b' ' | b'\n' | b'\r' | b'\t') = b.get(i) {
        i += 1;
    }
    i
}

/// Bytes that end the plain run of a string: its closing quote, an escape, or a control
/// character (which JSON does not allow in a string).
const SPECIAL: [bool; 256] = {
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

/// The index of the closing quote of the string whose body starts at `i`; `None` when it is not
/// a valid JSON string, or has an escape and `escapes` is false.
fn string_end(b: &[u8], mut i: usize, escapes: bool) -> Option<usize> {
    loop {
        while !SPECIAL[usize::from(*b.get(i)?)] {
            i += 1;
        }
        match b[i] {
            b'"' => return Some(i),
            b'\\' if escapes => match b.get(i + 1)? {
                b'"' | b'\\' | b'/' | b'b' | b'f' | b'n' | b'r' | b't' => i += 2,
                b'u' if b.get(i + 2..i + 6)?.iter().all(u8::is_ascii_hexdigit) => i += 6,
                _ => return None,
            },
            _ => return None,
        }
    }
}

/// The end of the value starting at `i`.
fn value_end(text: &str, i: usize) -> Option<usize> {
    let b = text.as_bytes();
    match *b.get(i)? {
        b'"' => string_end(b, i + 1, true).map(|end| end + 1),
        b'[' | b'{' => {
            // A list or object: serde_json finds its end, checking it all.
            let mut de = serde_json::Deserializer::from_str(text.get(i..)?);
            let raw = <&RawValue>::deserialize(&mut de).ok()?;
            Some(i + raw.get().len())
        }
        b't' => b[i..].starts_with(b"true").then_some(i + 4),
        b'f' => b[i..].starts_with(b"false").then_some(i + 5),
        b'n' => b[i..].starts_with(b"null").then_some(i + 4),
        _ => number_end(b, i),
    }
}

/// The end of the JSON number starting at `i`: `-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?`.
fn number_end(b: &[u8], mut i: usize) -> Option<usize> {
    let digits = |i: usize| b[i..].iter().take_while(|c| c.is_ascii_digit()).count();
    if b.get(i) == Some(&b'-') {
        i += 1;
    }
    match b.get(i)? {
        b'0' => i += 1,
        b'1'..=b'9' => i += digits(i),
        _ => return None,
    }
    if b.get(i) == Some(&b'.') {
        let n = digits(i + 1);
        if n == 0 {
            return None;
        }
        i += 1 + n;
    }
    if let Some(b'e' | b'E') = b.get(i) {
        i += 1;
        if let Some(b'+' | b'-') = b.get(i) {
            i += 1;
        }
        let n = digits(i);
        if n == 0 {
            return None;
        }
        i += n;
    }
    Some(i)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every key with its value's text, or `None` when the scanner gives up.
    fn read(text: &str) -> Option<Vec<(String, String)>> {
        struct All<'t>(&'t str, Vec<(String, Option<Span>)>);
        impl Slots for All<'_> {
            fn slot(&mut self, key: &str) -> Option<&mut Option<Span>> {
                self.1.push((key.to_string(), None));
                self.1.last_mut().map(|(_, s)| s)
            }
        }
        let mut all = All(text, Vec::new());
        scan(text, &mut all)?;
        Some(
            all.1
                .iter()
                .map(|(k, s)| (k.clone(), s.map(|s| s.of(all.0).to_string()).unwrap_or_default()))
                .collect(),
        )
    }

    #[test]
    fn values_of_every_kind_are_found() {
        let text = r#" { "a" : "x\"y\u00e9" , "b":-12.5e+3,"c":true,"d":null,"e":[1,{"f":"]"}],"g":{"h":[]},"i":0 } "#;
        let pairs = read(text).unwrap();
        let expected = [
            ("a", r#""x\"y\u00e9""#),
            ("b", "-12.5e+3"),
            ("c", "true"),
            ("d", "null"),
            ("e", r#"[1,{"f":"]"}]"#),
            ("g", r#"{"h":[]}"#),
            ("i", "0"),
        ];
        assert_eq!(pairs, expected.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect::<Vec<_>>());
        assert_eq!(read("{}"), Some(vec![]));
        assert_eq!(read(" {\n} "), Some(vec![]));
    }

    #[test]
    fn anything_not_plainly_json_is_left_to_serde() {
        for text in [
            r#"{"a\"b":1}"#,
            r#"{"a":01}"#,
            r#"{"a":1.}"#,
            r#"{"a":-}"#,
            r#"{"a":tru}"#,
            r#"{"a":"x"#,
            "{\"a\":\"line\nbreak\"}",
            r#"{"a":"\x"}"#,
            r#"{"a":"\u12"}"#,
            r#"{"a":[1,}"#,
            r#"{"a":1,}"#,
            r#"{"a":1}x"#,
            r#"{"a" 1}"#,
            r#"[1]"#,
            "",
        ] {
            assert_eq!(read(text), None, "{text}");
        }
    }

    /// A JSON value of the kinds stored answers hold: text (any characters, escapes included),
    /// numbers, booleans, nulls, and small lists and objects.
    fn value() -> impl proptest::strategy::Strategy<Value = serde_json::Value> {
        use proptest::prelude::*;
        use serde_json::Value as J;
        let leaf = prop_oneof![
            any::<String>().prop_map(J::String),
            any::<i64>().prop_map(J::from),
            any::<f64>().prop_filter("finite", |f| f.is_finite()).prop_map(J::from),
            any::<bool>().prop_map(J::Bool),
            Just(J::Null),
        ];
        leaf.prop_recursive(2, 12, 4, |inner| {
            prop_oneof![
                proptest::collection::vec(inner.clone(), 0..4).prop_map(J::Array),
                proptest::collection::btree_map("[a-z_]{1,6}", inner, 0..3)
                    .prop_map(|m| J::Object(m.into_iter().collect())),
            ]
        })
    }

    proptest::proptest! {
        /// Whatever `serde_json` writes, the scanner reads (or leaves to serde): each key's value
        /// is exactly the text serde wrote for it.
        #[test]
        fn every_value_serde_writes_is_found_exactly(
            answers in proptest::collection::btree_map("[a-z][a-z0-9_]{0,10}", value(), 0..8),
        ) {
            let object: serde_json::Map<String, serde_json::Value> = answers.into_iter().collect();
            let text = serde_json::to_string(&object).unwrap_or_default();
            if let Some(pairs) = read(&text) {
                proptest::prop_assert_eq!(pairs.len(), object.len());
                for (key, found) in pairs {
                    let written = object.get(&key).map(|v| serde_json::to_string(v).unwrap_or_default());
                    proptest::prop_assert_eq!(Some(found), written, "{}", key);
                }
            }
        }

        /// On any text at all the scanner neither panics nor accepts what is not a JSON object.
        #[test]
        fn nothing_but_a_json_object_is_accepted(text in "\\PC{0,40}|\\{[ -~]{0,40}\\}") {
            if read(&text).is_some() {
                proptest::prop_assert!(serde_json::from_str::<serde_json::Map<String, serde_json::Value>>(&text).is_ok(), "{}", text);
            }
        }
    }
}
