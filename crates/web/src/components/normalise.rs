//! A small HTML normaliser for comparing the macros' output with GOV.UK Frontend's fixtures:
//! one token per line, whitespace collapsed and trimmed, attributes sorted, classes sorted,
//! entities decoded then re-escaped one way, boolean attributes and self-closing tags written one way.

/// The normal form of `html`.
pub(crate) fn normalise(html: &str) -> String {
    let mut out = Vec::new();
    let mut rest = html;
    while !rest.is_empty() {
        if let Some(after) = rest.strip_prefix("<!--") {
            rest = after.find("-->").map_or("", |end| &after[end + 3..]);
        } else if rest.starts_with('<') {
            let end = tag_end(rest);
            out.push(tag(&rest[1..end]));
            rest = rest.get(end + 1..).unwrap_or_default();
        } else {
            let end = rest.find('<').unwrap_or(rest.len());
            let text = collapse(&decode(&rest[..end]));
            if !text.is_empty() {
                out.push(escape_text(&text));
            }
            rest = &rest[end..];
        }
    }
    out.join("\n")
}

/// The index of the `>` that closes the tag at the start of `s`, skipping quoted values.
fn tag_end(s: &str) -> usize {
    let mut quote = None;
    for (i, c) in s.char_indices() {
        match (quote, c) {
            (None, '"' | '\'') => quote = Some(c),
            (Some(q), c) if c == q => quote = None,
            (None, '>') => return i,
            _ => {}
        }
    }
    s.len()
}

/// A tag's normal form: name, then attributes sorted by name.
fn tag(inner: &str) -> String {
    let inner = inner.trim().trim_end_matches('/').trim_end();
    if let Some(name) = inner.strip_prefix('/') {
        return format!("</{}>", name.trim().to_ascii_lowercase());
    }
    let name_end = inner.find(char::is_whitespace).unwrap_or(inner.len());
    let name = inner[..name_end].to_ascii_lowercase();
    let mut attributes = Vec::new();
    let mut rest = inner[name_end..].trim_start();
    while !rest.is_empty() {
        let key_end = rest.find(|c: char| c == '=' || c.is_whitespace()).unwrap_or(rest.len());
        let key = rest[..key_end].to_ascii_lowercase();
        rest = rest[key_end..].trim_start();
        let mut value = String::new();
        if let Some(after) = rest.strip_prefix('=') {
            let after = after.trim_start();
            let (raw, remaining) = match after.chars().next() {
                Some(q @ ('"' | '\'')) => {
                    let close = after[1..].find(q).map_or(after.len(), |i| i + 1);
                    (&after[1..close], after.get(close + 1..).unwrap_or_default())
                }
                _ => {
                    let end = after.find(char::is_whitespace).unwrap_or(after.len());
                    (&after[..end], &after[end..])
                }
            };
            value = collapse(&decode(raw));
            rest = remaining.trim_start();
        }
        if key == "class" {
            let mut classes: Vec<&str> = value.split(' ').collect();
            classes.sort_unstable();
            value = classes.join(" ");
        }
        attributes.push((key, value));
    }
    attributes.sort();
    let mut out = format!("<{name}");
    for (key, value) in attributes {
        out.push_str(&format!(" {key}=\"{}\"", escape_text(&value).replace('"', "&quot;")));
    }
    out.push('>');
    out
}

/// Runs of whitespace become one space; the ends are trimmed.
fn collapse(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Decodes the character references the fixtures and askama use.
fn decode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(at) = rest.find('&') {
        out.push_str(&rest[..at]);
        rest = &rest[at..];
        let Some(end) = rest.find(';').filter(|&end| end < 12) else {
            out.push('&');
            rest = &rest[1..];
            continue;
        };
        let entity = &rest[1..end];
        let decoded = match entity {
            "amp" => Some('&'),
            "lt" => Some('<'),
            "gt" => Some('>'),
            "quot" => Some('"'),
            "apos" => Some('\''),
            "nbsp" => Some('\u{a0}'),
            "ctdot" => Some('\u{22ef}'),
            _ => entity
                .strip_prefix("#x")
                .or_else(|| entity.strip_prefix("#X"))
                .and_then(|hex| u32::from_str_radix(hex, 16).ok())
                .or_else(|| entity.strip_prefix('#').and_then(|dec| dec.parse().ok()))
                .and_then(char::from_u32),
        };
        match decoded {
            Some(c) => {
                out.push(c);
                rest = &rest[end + 1..];
            }
            None => {
                out.push('&');
                rest = &rest[1..];
            }
        }
    }
    out.push_str(rest);
    out
}

/// Escapes `&`, `<` and `>`, the characters text must escape.
fn escape_text(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;")
}

#[cfg(test)]
mod tests {
    use super::normalise;

    #[test]
    fn equivalent_markup_normalises_the_same() {
        let a = "<div class=\"b a\"  id='x'>\n  Caf&eacute; &amp; <input disabled=\"\" /></div>";
        let b = "<div id=\"x\" class=\"a b\">Caf&eacute; &#38; <input disabled></div>";
        assert_eq!(normalise(a), normalise(b));
    }

    #[test]
    fn different_markup_normalises_differently() {
        assert_ne!(normalise("<p class=\"a\">One</p>"), normalise("<p class=\"b\">One</p>"));
        assert_ne!(normalise("<p>One</p>"), normalise("<p>Two</p>"));
        assert_ne!(normalise("<p><span>One</span></p>"), normalise("<p><span>One</p></span>"));
        assert_ne!(normalise("<input disabled>"), normalise("<input>"));
    }
}
