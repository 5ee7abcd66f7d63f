//! Finding a column by the key its answer is stored under, once per answer of every row: the
//! hottest lookup of an export. Keys are short question ids, so a table indexed by a key's length
//! and three of its bytes finds almost every key with one comparison and no hashing of the whole
//! key; the few keys that share a place in the table are kept in a hash map.

use rustc_hash::FxHashMap;

/// Keys to values.
#[derive(Debug)]
pub(crate) struct KeyTable<T> {
    /// A power of two of them, at least twice as many as the keys: small, to stay in cache.
    spots: Vec<Spot>,
    /// `spots.len() - 1`.
    mask: usize,
    /// The keys and their values, by [`Spot::entry`].
    entries: Vec<(Box<str>, T)>,
    /// Keys whose spot another key took.
    overflow: FxHashMap<Box<str>, T>,
}

/// A key's length and its first and last 8 bytes (all of a key of at most 16 bytes), and where
/// its entry is; `len` is `u32::MAX` for an empty spot.
#[derive(Clone, Copy, Debug)]
struct Spot {
    len: u32,
    entry: u32,
    words: (u64, u64),
}

const EMPTY: Spot = Spot { len: u32::MAX, entry: 0, words: (0, 0) };

impl<T: Copy> KeyTable<T> {
    /// A table of `entries` (keys are unique).
    pub fn new(entries: impl IntoIterator<Item = (String, T)>) -> KeyTable<T> {
        let entries: Vec<(String, T)> = entries.into_iter().collect();
        let size = (entries.len() * 2).next_power_of_two().max(16);
        let mut table = KeyTable {
            spots: vec![EMPTY; size],
            mask: size - 1,
            entries: Vec::new(),
            overflow: FxHashMap::default(),
        };
        for (key, value) in entries {
            let words = words(key.as_bytes());
            let spot = table.spot(key.len(), words);
            match (table.spots[spot].len, u32::try_from(key.len()), u32::try_from(table.entries.len())) {
                (u32::MAX, Ok(len), Ok(entry)) if len < u32::MAX => {
                    table.spots[spot] = Spot { len, entry, words };
                    table.entries.push((key.into_boxed_str(), value));
                }
                _ => {
                    table.overflow.insert(key.into_boxed_str(), value);
                }
            }
        }
        table
    }

    fn spot(&self, len: usize, (head, tail): (u64, u64)) -> usize {
        let h = (head ^ tail.rotate_left(29) ^ len as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15);
        (h >> 40) as usize & self.mask
    }

    /// The value of `key`.
    pub fn get(&self, key: &str) -> Option<T> {
        let bytes = key.as_bytes();
        let words = words(bytes);
        let spot = self.spots[self.spot(bytes.len(), words)];
        if spot.len as usize == bytes.len()
            && spot.words == words
            && let Some((stored, value)) = self.entries.get(spot.entry as usize)
            && (bytes.len() <= 16 || middle_same(stored.as_bytes(), bytes))
        {
            return Some(*value);
        }
        if self.overflow.is_empty() { None } else { self.overflow.get(key).copied() }
    }
}

/// Whether two keys of the same length, over 16 bytes, whose first and last 8 bytes are the same,
/// are the same in between (compared 8 bytes at a time, without a call).
fn middle_same(a: &[u8], b: &[u8]) -> bool {
    let word = |s: &[u8]| -> u64 {
        let mut w = [0u8; 8];
        w[..s.len()].copy_from_slice(s);
        u64::from_le_bytes(w)
    };
    a.len() == b.len() && a[8..].chunks(8).zip(b[8..].chunks(8)).all(|(x, y)| word(x) == word(y))
}

/// The first and last 8 bytes of a key (overlapping, or zero-padded, when it is shorter than 16):
/// with its length, all of a key of at most 16 bytes.
fn words(key: &[u8]) -> (u64, u64) {
    let n = key.len();
    if n >= 8 {
        let mut head = [0u8; 8];
        let mut tail = [0u8; 8];
        head.copy_from_slice(&key[..8]);
        tail.copy_from_slice(&key[n - 8..]);
        (u64::from_le_bytes(head), u64::from_le_bytes(tail))
    } else {
        let mut head = [0u8; 8];
        head[..n].copy_from_slice(key);
        (u64::from_le_bytes(head), 0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_key_is_found_and_no_other() {
        let keys: Vec<String> =
            (0..500).map(|i| format!("question_{i}")).chain(["a".into(), "".into()]).collect();
        let table = KeyTable::new(keys.iter().cloned().zip(0..));
        assert!(!table.overflow.is_empty(), "some keys share a spot");
        for (i, key) in keys.iter().enumerate() {
            assert_eq!(table.get(key), Some(i), "{key}");
        }
        for other in
            ["question_500", "question_", "b", "question_10x", "a_very_long_question_id_of_forty_characters"]
        {
            assert_eq!(table.get(other), None, "{other}");
        }
    }

    #[test]
    fn keys_differing_in_any_byte_are_told_apart_at_every_length() {
        for n in 1..40 {
            let a: String = (0..n).map(|i| char::from(b'a' + (i % 26) as u8)).collect();
            let table = KeyTable::new([(a.clone(), 1)]);
            assert_eq!(table.get(&a), Some(1));
            for i in 0..n {
                let mut b = a.clone().into_bytes();
                b[i] = b'_';
                let b = String::from_utf8(b).unwrap();
                assert_eq!(table.get(&b), None, "{b}");
            }
        }
    }
}
