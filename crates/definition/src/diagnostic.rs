//! Problems found in a definition file, each with the place it was found and a hint to fix it.
//!
//! A definition is checked as a whole: every problem is collected into a [`Diagnostics`] list rather
//! than stopping at the first, so an author sees all of them at once (`formwork check`, the publish
//! page and the publish API all show the same list).

use std::fmt::Write as _;

use serde::Serialize;

/// A place in a source file: 1-based line and column (in characters), and a length in characters
/// for underlining. A zero line means "the whole file".
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Span {
    /// 1-based line number; 0 when the problem concerns the whole file.
    pub line: u32,
    /// 1-based column, counted in characters.
    pub column: u32,
    /// How many characters to underline (at least 1 when shown).
    #[serde(skip)]
    pub len: u32,
}

impl Span {
    /// A span for the whole file, used where no better place exists.
    pub const FILE: Span = Span { line: 0, column: 0, len: 0 };

    /// A span at a line and column with a length.
    pub fn new(line: u32, column: u32, len: u32) -> Span {
        Span { line, column, len }
    }

    /// A span `offset` characters into this one, `len` long, on the same line. Used to point inside
    /// an expression written on one line.
    pub fn shifted(self, offset: u32, len: u32) -> Span {
        Span { line: self.line, column: self.column + offset, len }
    }
}

/// One problem in a definition.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Diagnostic {
    /// A stable kebab-case name for the kind of problem, e.g. `unknown-key`.
    pub code: &'static str,
    /// What is wrong, in one sentence.
    pub message: String,
    /// How to fix it, when there is something useful to say.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub help: Option<String>,
    /// Where it is.
    #[serde(flatten)]
    pub span: Span,
}

impl Diagnostic {
    /// A problem at `span`.
    pub fn new(code: &'static str, span: Span, message: impl Into<String>) -> Diagnostic {
        Diagnostic { code, message: message.into(), help: None, span }
    }

    /// The same problem with a hint on how to fix it.
    pub fn with_help(mut self, help: impl Into<String>) -> Diagnostic {
        self.help = Some(help.into());
        self
    }
}

/// The problems found in one definition file, in the order they were found.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Diagnostics {
    list: Vec<Diagnostic>,
}

impl Diagnostics {
    /// Record a problem.
    pub fn push(&mut self, diagnostic: Diagnostic) {
        self.list.push(diagnostic);
    }

    /// True when no problem was found.
    pub fn is_empty(&self) -> bool {
        self.list.is_empty()
    }

    /// How many problems were found.
    pub fn len(&self) -> usize {
        self.list.len()
    }

    /// The problems, sorted by position in the file.
    pub fn into_sorted(mut self) -> Vec<Diagnostic> {
        self.list.sort_by_key(|d| (d.span.line, d.span.column));
        self.list
    }
}

/// Render problems for a terminal: `file:line:column: error: message [code]`, then the source line
/// with the place underlined, then the hint.
pub fn render(file_name: &str, source: &str, diagnostics: &[Diagnostic]) -> String {
    let source = crate::source::normalise_newlines(source);
    let lines: Vec<&str> = source.lines().collect();
    let mut out = String::new();
    for d in diagnostics {
        if d.span.line == 0 {
            let _ = writeln!(out, "{file_name}: error: {} [{}]", d.message, d.code);
        } else {
            let _ = writeln!(
                out,
                "{file_name}:{}:{}: error: {} [{}]",
                d.span.line, d.span.column, d.message, d.code
            );
            if let Some(text) = lines.get(d.span.line as usize - 1) {
                let number = d.span.line.to_string();
                let gutter = " ".repeat(number.len());
                // Very long lines (a minified JSON definition) are cut around the column.
                let (shown, start) = window(text, d.span.column as usize);
                let _ = writeln!(out, " {gutter} |");
                let _ = writeln!(out, " {number} | {shown}");
                let pad: String = shown
                    .chars()
                    .take((d.span.column as usize).saturating_sub(1 + start))
                    .map(|c| if c == '\t' { '\t' } else { ' ' })
                    .collect();
                let carets = "^".repeat((d.span.len as usize).clamp(1, 80));
                let _ = writeln!(out, " {gutter} | {pad}{carets}");
            }
        }
        if let Some(help) = &d.help {
            let _ = writeln!(out, "  = help: {help}");
        }
        out.push('\n');
    }
    out
}

/// A slice of at most 120 characters of `line` around `column`, and the column where it starts.
fn window(line: &str, column: usize) -> (String, usize) {
    const WIDTH: usize = 120;
    let count = line.chars().count();
    if count <= WIDTH {
        return (line.to_string(), 0);
    }
    let start = column.saturating_sub(WIDTH / 2).min(count - WIDTH);
    (line.chars().skip(start).take(WIDTH).collect(), start)
}

/// The closest of `candidates` to `word`, if it is close enough to be a likely typo.
/// A candidate whose length differs from the word's by more than the distance allowed is never
/// compared: the distance is at least the difference in length, and comparing costs the product
/// of the lengths (a megabyte-long header cell must not cost seconds).
pub fn did_you_mean<'a>(word: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    let word_len = word.chars().count();
    let allowed = |c_len: usize| (c_len.max(word_len) / 3).max(1);
    let mut word_lower = None;
    candidates
        .into_iter()
        .filter_map(|c| {
            let c_len = c.chars().count();
            if c_len.abs_diff(word_len) > allowed(c_len) {
                return None;
            }
            let lower: &String = word_lower.get_or_insert_with(|| word.to_lowercase());
            let distance = strsim::damerau_levenshtein(lower, &c.to_lowercase());
            (distance <= allowed(c_len)).then_some((distance, c))
        })
        .min_by_key(|(distance, _)| *distance)
        .map(|(_, c)| c)
}

/// A "did you mean" hint, or a list of what is allowed when nothing is close.
pub fn suggestion(word: &str, candidates: &[&str], noun: &str) -> Option<String> {
    if let Some(close) = did_you_mean(word, candidates.iter().copied()) {
        return Some(format!("did you mean `{close}`?"));
    }
    if candidates.is_empty() {
        return None;
    }
    if candidates.len() <= 12 {
        let list: Vec<String> = candidates.iter().map(|c| format!("`{c}`")).collect();
        return Some(format!("{noun} are: {}", list.join(", ")));
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suggests_the_nearest_key() {
        assert_eq!(did_you_mean("lable", ["label", "hint", "type"]), Some("label"));
        assert_eq!(did_you_mean("requierd", ["required", "rules"]), Some("required"));
        assert_eq!(did_you_mean("zzzzzz", ["label", "hint"]), None);
        assert_eq!(did_you_mean("lab", ["label"]), None, "too short to be a typo of it");
        assert_eq!(did_you_mean(&"x".repeat(1_000_000), ["label", "hint"]), None);
    }

    #[test]
    fn renders_file_line_column_and_caret() {
        let source = "a: 1\nlable: x\n";
        let d = Diagnostic::new("unknown-key", Span::new(2, 1, 5), "unknown key `lable`")
            .with_help("did you mean `label`?");
        let text = render("f.yaml", source, &[d]);
        assert!(text.starts_with("f.yaml:2:1: error: unknown key `lable` [unknown-key]"));
        assert!(text.contains(" 2 | lable: x"));
        assert!(text.contains("   | ^^^^^"));
        assert!(text.contains("= help: did you mean `label`?"));
    }
}
