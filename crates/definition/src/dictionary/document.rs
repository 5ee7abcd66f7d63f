//! A tiny document model (headings, paragraphs, lists, tables) and its Markdown and HTML forms.

use std::fmt::Write as _;

/// A run of text inside a block.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Inline {
    /// Plain words.
    Text(String),
    /// An id, an expression or a value, shown as code.
    Code(String),
}

/// A block of the document.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Block {
    /// A heading of level 1 to 3.
    Heading(u8, String),
    /// A paragraph.
    Para(Vec<Inline>),
    /// A bulleted list.
    List(Vec<Vec<Inline>>),
    /// A table with a header row.
    Table {
        /// Column headings.
        head: Vec<String>,
        /// Rows of cells.
        rows: Vec<Vec<Vec<Inline>>>,
    },
}

pub(super) fn text(s: &str) -> Inline {
    Inline::Text(s.to_string())
}

pub(super) fn code(s: &str) -> Inline {
    Inline::Code(s.to_string())
}

fn md_inline(parts: &[Inline], in_table: bool) -> String {
    let mut out = String::new();
    for p in parts {
        match p {
            Inline::Text(t) => {
                let escaped = t.replace('\\', "\\\\").replace('*', "\\*").replace('_', "\\_");
                out.push_str(&if in_table {
                    escaped.replace('|', "\\|").replace('\n', " ")
                } else {
                    escaped
                });
            }
            Inline::Code(c) => {
                let c = if in_table { c.replace('|', "\\|").replace('\n', " ") } else { c.clone() };
                let fence = if c.contains('`') { "``" } else { "`" };
                let _ = write!(out, "{fence}{c}{fence}");
            }
        }
    }
    out
}

pub(super) fn to_markdown(blocks: &[Block]) -> String {
    let mut out = String::new();
    for block in blocks {
        match block {
            Block::Heading(level, t) => {
                let _ = writeln!(out, "{} {t}\n", "#".repeat(usize::from(*level)));
            }
            Block::Para(parts) => {
                let _ = writeln!(out, "{}\n", md_inline(parts, false));
            }
            Block::List(items) => {
                for item in items {
                    let _ = writeln!(out, "- {}", md_inline(item, false));
                }
                out.push('\n');
            }
            Block::Table { head, rows } => {
                let _ = writeln!(out, "| {} |", head.join(" | "));
                let _ = writeln!(out, "|{}", "---|".repeat(head.len()));
                for row in rows {
                    let cells: Vec<String> = row.iter().map(|c| md_inline(c, true)).collect();
                    let _ = writeln!(out, "| {} |", cells.join(" | "));
                }
                out.push('\n');
            }
        }
    }
    out
}

/// Escape text for HTML.
pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

fn html_inline(parts: &[Inline]) -> String {
    parts
        .iter()
        .map(|p| match p {
            Inline::Text(t) => escape(t),
            Inline::Code(c) => format!("<code>{}</code>", escape(c)),
        })
        .collect()
}

const STYLE: &str = "body{font-family:arial,sans-serif;color:#0b0c0c;max-width:1100px;margin:0 auto;padding:20px;line-height:1.4}\
h1{font-size:2.2em}h2{margin-top:1.6em;border-bottom:1px solid #b1b4b6}\
table{border-collapse:collapse;width:100%;margin-bottom:1em}\
th,td{text-align:left;vertical-align:top;border-bottom:1px solid #b1b4b6;padding:8px 12px 8px 0}\
code{font-family:monospace;background:#f3f2f1;padding:0 3px}";

pub(super) fn to_html(title: &str, blocks: &[Block]) -> String {
    let mut out = String::new();
    let _ = write!(
        out,
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n<title>{}: data dictionary</title>\n<style>{STYLE}</style>\n</head>\n<body>\n<main>\n",
        escape(title)
    );
    for block in blocks {
        match block {
            Block::Heading(level, t) => {
                let _ = writeln!(out, "<h{level}>{}</h{level}>", escape(t));
            }
            Block::Para(parts) => {
                let _ = writeln!(out, "<p>{}</p>", html_inline(parts));
            }
            Block::List(items) => {
                out.push_str("<ul>\n");
                for item in items {
                    let _ = writeln!(out, "<li>{}</li>", html_inline(item));
                }
                out.push_str("</ul>\n");
            }
            Block::Table { head, rows } => {
                out.push_str("<table>\n<thead><tr>");
                for h in head {
                    let _ = write!(out, "<th scope=\"col\">{}</th>", escape(h));
                }
                out.push_str("</tr></thead>\n<tbody>\n");
                for row in rows {
                    out.push_str("<tr>");
                    for cell in row {
                        let _ = write!(out, "<td>{}</td>", html_inline(cell));
                    }
                    out.push_str("</tr>\n");
                }
                out.push_str("</tbody>\n</table>\n");
            }
        }
    }
    out.push_str("</main>\n</body>\n</html>\n");
    out
}
