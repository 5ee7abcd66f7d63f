//! A definition file read into a tree of maps, lists and scalars, each with its place in the file.
//!
//! YAML is read with `saphyr-parser`'s event stream (JSON files go through the same reader: JSON is
//! YAML). The tree is built here rather than by a general YAML library so that hostile files stay
//! harmless: anchors and aliases are refused (no billion laughs), nesting, node count and file size
//! are capped, duplicate keys are reported, and every node keeps its line and column.

use std::borrow::Cow;

use saphyr_parser::{Event, Parser, ScalarStyle, Span as YamlSpan};

use crate::diagnostic::{Diagnostic, Diagnostics, Span};

/// The largest definition file accepted. Real definitions are tens of kilobytes.
pub const MAX_FILE_BYTES: usize = 4 * 1024 * 1024;
/// The deepest nesting of maps and lists accepted. The format needs about ten levels.
pub const MAX_DEPTH: usize = 40;
/// The most maps, lists and scalars in one file.
pub const MAX_NODES: usize = 500_000;

/// A node of the tree with its place in the file.
#[derive(Clone, Debug, PartialEq)]
pub struct Node {
    /// What the node holds.
    pub value: NodeValue,
    /// Where the node starts.
    pub span: Span,
}

/// The three shapes a node can have.
#[derive(Clone, Debug, PartialEq)]
pub enum NodeValue {
    /// A mapping, its entries in file order; keys are scalars.
    Map(Vec<(Key, Node)>),
    /// A sequence.
    List(Vec<Node>),
    /// A scalar: its text, and how it was written (a quoted scalar is always a string).
    Scalar(String, Style),
}

/// How a scalar was written: it decides whether `1` is a number and where its text starts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Style {
    /// Unquoted: `1`, `true` and `null` are read as such.
    Plain,
    /// In single or double quotes, on one line: the text starts one column after the node.
    Quoted,
    /// A block (`|` or `>`) or a quoted value over several lines.
    Block,
}

/// A mapping key and its place.
#[derive(Clone, Debug, PartialEq)]
pub struct Key {
    /// The key's text.
    pub text: String,
    /// Where the key is.
    pub span: Span,
}

impl Node {
    /// True for a plain scalar meaning "no value" (`null`, `~` or nothing at all).
    pub fn is_null(&self) -> bool {
        matches!(&self.value, NodeValue::Scalar(text, Style::Plain) if matches!(text.as_str(), "" | "~" | "null" | "Null" | "NULL"))
    }

    /// A short description of the node's shape for messages: "a list", "a mapping", "text".
    pub fn shape(&self) -> &'static str {
        match &self.value {
            NodeValue::Map(_) => "a mapping",
            NodeValue::List(_) => "a list",
            NodeValue::Scalar(..) if self.is_null() => "empty",
            NodeValue::Scalar(..) => "a single value",
        }
    }

    /// Convert to JSON, e.g. to return a published definition through the API.
    pub fn to_json(&self) -> serde_json::Value {
        match &self.value {
            NodeValue::Map(entries) => serde_json::Value::Object(
                entries.iter().map(|(k, v)| (k.text.clone(), v.to_json())).collect(),
            ),
            NodeValue::List(items) => serde_json::Value::Array(items.iter().map(Node::to_json).collect()),
            NodeValue::Scalar(text, Style::Plain) => plain_scalar_to_json(text, self.is_null()),
            NodeValue::Scalar(text, _) => serde_json::Value::String(text.clone()),
        }
    }
}

fn plain_scalar_to_json(text: &str, null: bool) -> serde_json::Value {
    if null {
        return serde_json::Value::Null;
    }
    match text {
        "true" | "True" | "TRUE" => return serde_json::Value::Bool(true),
        "false" | "False" | "FALSE" => return serde_json::Value::Bool(false),
        _ => {}
    }
    if let Ok(n) = text.parse::<i64>() {
        return serde_json::Value::Number(n.into());
    }
    serde_json::Value::String(text.to_string())
}

/// Read `bytes` into a tree. Every problem is added to `diagnostics`; `None` means the file could not
/// be read far enough to check anything else.
pub fn parse(bytes: &[u8], diagnostics: &mut Diagnostics) -> Option<Node> {
    if bytes.len() > MAX_FILE_BYTES {
        diagnostics.push(
            Diagnostic::new(
                "file-too-large",
                Span::FILE,
                format!(
                    "the file is {} bytes; a definition can be at most {} bytes",
                    bytes.len(),
                    MAX_FILE_BYTES
                ),
            )
            .with_help("check this is a definition file; real definitions are far smaller"),
        );
        return None;
    }
    let text = match std::str::from_utf8(bytes) {
        Ok(text) => text,
        Err(e) => {
            let valid = &bytes[..e.valid_up_to()];
            let line = valid.iter().filter(|b| **b == b'\n').count() as u32 + 1;
            let column = String::from_utf8_lossy(valid.rsplit(|b| *b == b'\n').next().unwrap_or(&[]))
                .chars()
                .count() as u32
                + 1;
            diagnostics.push(
                Diagnostic::new("encoding", Span::new(line, column, 1), "the file is not valid UTF-8 text")
                    .with_help("save the file as UTF-8"),
            );
            return None;
        }
    };
    let text = normalise_newlines(text.strip_prefix('\u{feff}').unwrap_or(text));
    let text = text.as_ref();
    if text.trim().is_empty() {
        diagnostics.push(Diagnostic::new("empty", Span::FILE, "the file is empty"));
        return None;
    }
    let before = diagnostics.len();
    let root = Builder { lines: text.lines().collect(), ..Builder::default() }.run(text, diagnostics);
    if root.is_none() && diagnostics.len() == before {
        diagnostics.push(Diagnostic::new(
            "empty",
            Span::FILE,
            "the file holds no definition, only comments or blank lines",
        ));
    }
    root
}

/// Line breaks as `\n` only: YAML also breaks lines at `\r\n` and a lone `\r`, and line numbers
/// must mean the same to the parser and to the messages that quote the lines.
pub fn normalise_newlines(text: &str) -> Cow<'_, str> {
    if text.contains('\r') {
        Cow::Owned(text.replace("\r\n", "\n").replace('\r', "\n"))
    } else {
        Cow::Borrowed(text)
    }
}

/// Builds the tree from parser events with an explicit stack, so depth never becomes recursion.
#[derive(Default)]
struct Builder<'s> {
    /// The source's lines, to see how a quoted value is written.
    lines: Vec<&'s str>,
    stack: Vec<Frame>,
    nodes: usize,
    documents: usize,
    root: Option<Node>,
}

enum Frame {
    Map { span: Span, entries: Vec<(Key, Node)>, pending_key: Option<Key> },
    List { span: Span, items: Vec<Node> },
}

fn to_span(span: &YamlSpan) -> Span {
    let len = span.end.index().saturating_sub(span.start.index()).max(1);
    Span::new(
        u32::try_from(span.start.line()).unwrap_or(u32::MAX),
        u32::try_from(span.start.col() + 1).unwrap_or(u32::MAX),
        u32::try_from(len).unwrap_or(u32::MAX),
    )
}

impl Builder<'_> {
    fn run(mut self, text: &str, diagnostics: &mut Diagnostics) -> Option<Node> {
        let mut parser = Parser::new_from_str(text);
        loop {
            let (event, span) = match parser.next_event() {
                None => break,
                Some(Ok(pair)) => pair,
                Some(Err(e)) => {
                    let m = e.marker();
                    let (code, message, help) = if e.info().contains("recursion limit") {
                        (
                            "too-deep",
                            format!("lists and mappings are nested more than {MAX_DEPTH} levels deep"),
                            "a definition needs about ten levels; check the structure",
                        )
                    } else {
                        (
                            "syntax",
                            format!("the file is not valid YAML: {}", e.info()),
                            "check the indentation, quotes and brackets near here",
                        )
                    };
                    diagnostics.push(
                        Diagnostic::new(code, self.clamp(m.line(), m.col() + 1), message).with_help(help),
                    );
                    return None;
                }
            };
            let span = to_span(&span);
            // An empty node at the very end (`? ` with no newline) is placed on the line after
            // the last: keep it inside the file, as every diagnostic must be.
            let span = if span.line as usize > self.lines.len().max(1) {
                self.clamp(span.line as usize, span.column as usize)
            } else {
                span
            };
            match self.event(event, span) {
                Ok(()) => {}
                Err(d) => {
                    diagnostics.push(*d);
                    return None;
                }
            }
        }
        self.root
    }

    fn event(&mut self, event: Event<'_>, span: Span) -> Result<(), Box<Diagnostic>> {
        match event {
            Event::StreamStart | Event::StreamEnd | Event::Nothing | Event::DocumentEnd => Ok(()),
            Event::DocumentStart(_) => {
                self.documents += 1;
                if self.documents > 1 {
                    return Err(Box::new(
                        Diagnostic::new("syntax", span, "the file holds more than one YAML document")
                            .with_help("put each definition in a file of its own"),
                    ));
                }
                Ok(())
            }
            Event::Alias(_) => Err(Box::new(
                Diagnostic::new("alias", span, "YAML aliases (`*name`) are not supported in definitions")
                    .with_help("write the value out in full"),
            )),
            Event::Scalar(text, style, anchor, tag) => {
                check_anchor_and_tag(anchor, tag.is_some(), span)?;
                self.count(span)?;
                let style = match style {
                    ScalarStyle::Plain => Style::Plain,
                    // Only when the text lies between the quotes character for character (one
                    // line, no escapes) can a column inside it be mapped back to the file.
                    ScalarStyle::SingleQuoted | ScalarStyle::DoubleQuoted
                        if self.written_between_quotes(&text, span) =>
                    {
                        Style::Quoted
                    }
                    _ => Style::Block,
                };
                // Underline the value itself: the parser's span of a quoted value can run on over
                // the spaces and comment after it.
                let chars = text.chars().count() as u32;
                let len = match style {
                    Style::Plain => chars,
                    Style::Quoted => chars + 2,
                    Style::Block => 1,
                };
                let span = Span { len: len.max(1), ..span };
                self.add(Node { value: NodeValue::Scalar(text.into_owned(), style), span })
            }
            Event::SequenceStart(anchor, tag) => {
                check_anchor_and_tag(anchor, tag.is_some(), span)?;
                self.open(Frame::List { span, items: Vec::new() }, span)
            }
            Event::MappingStart(anchor, tag) => {
                check_anchor_and_tag(anchor, tag.is_some(), span)?;
                self.open(Frame::Map { span, entries: Vec::new(), pending_key: None }, span)
            }
            Event::SequenceEnd | Event::MappingEnd => {
                let node = match self.stack.pop() {
                    Some(Frame::List { span, items }) => Node { value: NodeValue::List(items), span },
                    Some(Frame::Map { span, entries, .. }) => Node { value: NodeValue::Map(entries), span },
                    None => return Ok(()),
                };
                self.add(node)
            }
        }
    }

    /// A place the parser reported, kept inside the file (at the very end it can report the line
    /// after the last).
    fn clamp(&self, line: usize, column: usize) -> Span {
        let last = self.lines.len().max(1);
        if line > last {
            let end = self.lines.last().map(|l| l.chars().count()).unwrap_or(0);
            return Span::new(last as u32, end as u32 + 1, 1);
        }
        Span::new(line as u32, column as u32, 1)
    }

    /// True when the file has `text` between two quotes at `span`, character for character.
    fn written_between_quotes(&self, text: &str, span: Span) -> bool {
        let Some(line) = self.lines.get((span.line as usize).wrapping_sub(1)) else {
            return false;
        };
        let mut chars = line.chars().skip(span.column as usize - 1);
        let Some(quote) = chars.next().filter(|q| *q == '\'' || *q == '"') else {
            return false;
        };
        text.chars().all(|c| chars.next() == Some(c)) && chars.next() == Some(quote)
    }

    fn count(&mut self, span: Span) -> Result<(), Box<Diagnostic>> {
        self.nodes += 1;
        if self.nodes > MAX_NODES {
            return Err(Box::new(Diagnostic::new(
                "too-large",
                span,
                format!("the definition has more than {MAX_NODES} values"),
            )));
        }
        Ok(())
    }

    fn open(&mut self, frame: Frame, span: Span) -> Result<(), Box<Diagnostic>> {
        self.count(span)?;
        if self.stack.len() >= MAX_DEPTH {
            return Err(Box::new(
                Diagnostic::new(
                    "too-deep",
                    span,
                    format!("lists and mappings are nested more than {MAX_DEPTH} levels deep"),
                )
                .with_help("a definition needs about ten levels; check the structure"),
            ));
        }
        self.stack.push(frame);
        Ok(())
    }

    /// Attach a finished node to its parent (or make it the root).
    fn add(&mut self, node: Node) -> Result<(), Box<Diagnostic>> {
        match self.stack.last_mut() {
            None => {
                self.root = Some(node);
                Ok(())
            }
            Some(Frame::List { items, .. }) => {
                items.push(node);
                Ok(())
            }
            Some(Frame::Map { entries, pending_key, .. }) => match pending_key.take() {
                None => {
                    let text = match node.value {
                        NodeValue::Scalar(text, _) => text,
                        _ => {
                            return Err(Box::new(
                                Diagnostic::new("syntax", node.span, "a mapping key must be a single value")
                                    .with_help("keys are names such as `id` or `label`"),
                            ));
                        }
                    };
                    if let Some((first, _)) = entries.iter().find(|(k, _)| k.text == text) {
                        return Err(Box::new(
                            Diagnostic::new(
                                "duplicate-key",
                                node.span,
                                format!("the key `{text}` appears twice in the same mapping"),
                            )
                            .with_help(format!("it was first given on line {}; remove one", first.span.line)),
                        ));
                    }
                    *pending_key = Some(Key { text, span: node.span });
                    Ok(())
                }
                Some(key) => {
                    entries.push((key, node));
                    Ok(())
                }
            },
        }
    }
}

fn check_anchor_and_tag(anchor: usize, tagged: bool, span: Span) -> Result<(), Box<Diagnostic>> {
    if anchor != 0 {
        return Err(Box::new(
            Diagnostic::new("alias", span, "YAML anchors (`&name`) are not supported in definitions")
                .with_help("write the value out in full"),
        ));
    }
    if tagged {
        return Err(Box::new(
            Diagnostic::new("syntax", span, "YAML tags (such as `!!str`) are not supported in definitions")
                .with_help("remove the tag; quote the value if it must be read as text"),
        ));
    }
    Ok(())
}

/// The text of a scalar, borrowed, if the node is one.
pub fn scalar(node: &Node) -> Option<Cow<'_, str>> {
    match &node.value {
        NodeValue::Scalar(text, _) => Some(Cow::Borrowed(text.as_str())),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse_str(text: &str) -> (Option<Node>, Vec<Diagnostic>) {
        let mut d = Diagnostics::default();
        let node = parse(text.as_bytes(), &mut d);
        (node, d.into_sorted())
    }

    #[test]
    fn keeps_lines_and_columns() {
        let (node, d) = parse_str("a: 1\nb:\n  - x\n  - 'y'\n");
        assert!(d.is_empty());
        let NodeValue::Map(entries) = node.unwrap().value else { panic!() };
        assert_eq!(entries[1].0.span, Span::new(2, 1, 1));
        let NodeValue::List(items) = &entries[1].1.value else { panic!() };
        assert_eq!(items[1].span.line, 4);
        assert_eq!(items[1].value, NodeValue::Scalar("y".into(), Style::Quoted));
    }

    #[test]
    fn refuses_billion_laughs() {
        let text = "a: &a [x, x, x]\nb: &b [*a, *a, *a]\nc: [*b, *b, *b]\n";
        let (node, d) = parse_str(text);
        assert!(node.is_none());
        assert_eq!(d[0].code, "alias");
    }

    #[test]
    fn refuses_deep_nesting() {
        let text = format!("a: {}{}", "[".repeat(10_000), "]".repeat(10_000));
        let (node, d) = parse_str(&text);
        assert!(node.is_none());
        assert!(d[0].code == "too-deep" || d[0].code == "syntax", "{d:?}");
    }

    #[test]
    fn reports_duplicate_keys() {
        let (_, d) = parse_str("a: 1\nb: 2\na: 3\n");
        assert_eq!(d[0].code, "duplicate-key");
        assert_eq!(d[0].span.line, 3);
    }

    #[test]
    fn reports_invalid_utf8_with_its_place() {
        let mut d = Diagnostics::default();
        assert!(parse(b"a: 1\nb: \xff\n", &mut d).is_none());
        let d = d.into_sorted();
        assert_eq!((d[0].code, d[0].span.line, d[0].span.column), ("encoding", 2, 4));
    }

    #[test]
    fn an_empty_key_at_the_end_of_the_file_is_placed_inside_it() {
        // Found by the fuzzer: `? ` without a newline put its empty key on line 2 of 1.
        let problems = crate::load(b"? ").unwrap_err();
        assert!(problems.iter().all(|p| p.span.line == 1), "{problems:?}");
    }

    #[test]
    fn old_mac_line_endings_count_as_lines() {
        let (_, d) = parse_str("a: 1\rb: [\r");
        assert_eq!(d[0].span.line, 2, "{d:?}");
        let shown = crate::diagnostic::render("f", "a: 1\rb: [\r", &d);
        assert!(shown.contains(" 2 | b: ["), "{shown}");
    }

    #[test]
    fn reads_json_as_yaml() {
        let (node, d) = parse_str("{\"a\": [1, \"2\"], \"b\": {\"c\": null}}");
        assert!(d.is_empty(), "{d:?}");
        assert_eq!(node.unwrap().to_json(), serde_json::json!({"a": [1, "2"], "b": {"c": null}}));
    }
}
