//! Random strings that match a regular expression, for text questions with a `pattern`.

use regex_syntax::hir::{Class, Hir, HirKind};

/// Most extra repetitions added above a repetition's minimum.
const EXTRA: u32 = 3;

/// A random string matching `pattern` (the pattern as written in a definition), or `None` if it
/// cannot be parsed.
pub fn sample(pattern: &str, rng: &mut fastrand::Rng) -> Option<String> {
    let hir = regex_syntax::parse(pattern).ok()?;
    let mut out = String::new();
    walk(&hir, rng, &mut out);
    Some(out)
}

fn walk(hir: &Hir, rng: &mut fastrand::Rng, out: &mut String) {
    match hir.kind() {
        HirKind::Empty | HirKind::Look(_) => {}
        HirKind::Literal(lit) => out.push_str(&String::from_utf8_lossy(&lit.0)),
        HirKind::Class(Class::Unicode(class)) => {
            // Prefer printable ASCII so the strings survive every file format.
            let ascii: Vec<(char, char)> = class
                .ranges()
                .iter()
                .filter_map(|r| {
                    let (s, e) = (r.start().max(' '), r.end().min('~'));
                    (s <= e).then_some((s, e))
                })
                .collect();
            let ranges: Vec<(char, char)> = if ascii.is_empty() {
                class.ranges().iter().map(|r| (r.start(), r.end())).collect()
            } else {
                ascii
            };
            if let Some(&(s, e)) = ranges.get(rng.usize(..ranges.len().max(1))) {
                let c = char::from_u32(rng.u32(s as u32..=e as u32)).unwrap_or(s);
                out.push(c);
            }
        }
        HirKind::Class(Class::Bytes(class)) => {
            let ranges = class.ranges();
            if let Some(r) = ranges.get(rng.usize(..ranges.len().max(1))) {
                let (s, e) = (r.start().max(b' '), r.end().min(b'~'));
                out.push(char::from(if s <= e { rng.u8(s..=e) } else { r.start() }));
            }
        }
        HirKind::Repetition(rep) => {
            let max = rep.max.unwrap_or(rep.min + EXTRA).min(rep.min + EXTRA);
            let n = rng.u32(rep.min..=max.max(rep.min));
            for _ in 0..n {
                walk(&rep.sub, rng, out);
            }
        }
        HirKind::Capture(capture) => walk(&capture.sub, rng, out),
        HirKind::Concat(parts) => parts.iter().for_each(|p| walk(p, rng, out)),
        HirKind::Alternation(options) => {
            if let Some(choice) = options.get(rng.usize(..options.len().max(1))) {
                walk(choice, rng, out);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn samples_match_their_pattern() {
        let mut rng = fastrand::Rng::with_seed(7);
        for pattern in [
            "^TF-[A-Z]{3}-[0-9]{2}$",
            "^[A-HJ-NP-Z1-9][A-HJ-NP-Z0-9]{11}$",
            "^([0-9]{3}[A-Z]?|U[0-9]{2}|RD[0-9]?)$",
            "^E0[6-9][0-9]{6}$",
            "^AWARD-[0-9]{4,5}$",
        ] {
            let re = regex_syntax::parse(pattern).unwrap();
            let matcher = regex_lite_check(pattern);
            for _ in 0..50 {
                let s = sample(pattern, &mut rng).unwrap();
                assert!(matcher(&s), "{pattern}: {s}");
            }
            drop(re);
        }
    }

    fn regex_lite_check(pattern: &str) -> impl Fn(&str) -> bool {
        // The definition crate compiles patterns with the regex crate; use the same check here.
        let def = format!(
            "formwork: 1\ncollection: p\nversion: 1\ntitle: P\nkind: log\nschedule: {{frequency: annual, start: 2026-04-01, due: 30d}}\nsections:\n  - id: s\n    title: S\n    questions:\n      - {{id: q, label: Q, type: text, pattern: '{pattern}'}}\n"
        );
        let def = formwork_definition::load(def.as_bytes()).unwrap();
        move |s: &str| def.questions[0].options.pattern.as_ref().unwrap().regex.is_match(s)
    }
}
