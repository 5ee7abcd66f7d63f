//! The XML of a workbook's parts besides its sheets' rows: text escaped for XML, sheet names,
//! cell references, and the parts that list the sheets and their styles.

use std::io::Write;

use super::{CELL_CHARS, NS_MAIN, NS_REL};

/// Write text as XML character data: escaped, without the characters XML 1.0 forbids, cut to
/// what Excel keeps in a cell.
pub(super) fn xml_text(out: &mut Vec<u8>, text: &str) {
    let text = if text.len() > CELL_CHARS { cut(text) } else { text };
    let bytes = text.as_bytes();
    let mut start = 0;
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        let (skip, replacement): (usize, &[u8]) = match b {
            b'<' => (1, b"&lt;"),
            b'>' => (1, b"&gt;"),
            b'&' => (1, b"&amp;"),
            b'"' => (1, b"&quot;"),
            b'\t' | b'\n' | b'\r' => {
                i += 1;
                continue;
            }
            0..=0x1f => (1, b""),
            // U+FFFE and U+FFFF are not XML characters either.
            0xEF if bytes.get(i + 1) == Some(&0xBF) && matches!(bytes.get(i + 2), Some(0xBE | 0xBF)) => {
                (3, b"")
            }
            _ => {
                i += 1;
                continue;
            }
        };
        out.extend_from_slice(&bytes[start..i]);
        out.extend_from_slice(replacement);
        i += skip;
        start = i;
    }
    out.extend_from_slice(&bytes[start..]);
}

/// The first 32,767 UTF-16 units of `text`, as Excel counts a cell's characters.
fn cut(text: &str) -> &str {
    let mut units = 0;
    for (i, c) in text.char_indices() {
        units += c.len_utf16();
        if units > CELL_CHARS {
            return &text[..i];
        }
    }
    text
}

/// A valid, unique sheet name: at most 31 characters, none of `[]:*?/\`, not starting or ending
/// with `'`; "Name (2)" when taken. `taken` holds the names used so far, lower-cased.
pub(super) fn sheet_name(title: &str, taken: &mut Vec<String>) -> String {
    let cleaned: String = title.chars().map(|c| if "[]:*?/\\".contains(c) { '-' } else { c }).collect();
    let cleaned = cleaned.trim().trim_matches('\'').trim();
    let base: String = cleaned.chars().take(31).collect();
    let base = if base.trim().is_empty() { "Sheet".to_string() } else { base.trim_end().to_string() };
    let mut name = base.clone();
    let mut n = 2;
    while taken.contains(&name.to_lowercase()) || name.eq_ignore_ascii_case("history") {
        let suffix = format!(" ({n})");
        let room = 31 - suffix.len();
        name = format!("{}{suffix}", base.chars().take(room).collect::<String>().trim_end());
        n += 1;
    }
    taken.push(name.to_lowercase());
    name
}

/// Column letters: 0 → `A`, 26 → `AA`.
pub(super) fn letters(mut index: usize) -> Vec<u8> {
    let mut out = Vec::new();
    loop {
        out.insert(0, b'A' + (index % 26) as u8);
        if index < 26 {
            break;
        }
        index = index / 26 - 1;
    }
    out
}

/// `xl/styles.xml`: the default, bold, date, date-time and money styles (one for each currency
/// symbol, in order).
pub(super) fn styles(currencies: &[String]) -> Vec<u8> {
    let mut out = Vec::new();
    let _ = write!(
        out,
        r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<styleSheet xmlns="{NS_MAIN}"><numFmts count="{}"><numFmt numFmtId="164" formatCode="yyyy-mm-dd"/><numFmt numFmtId="165" formatCode="yyyy-mm-dd hh:mm:ss"/>"#,
        2 + currencies.len()
    );
    for (i, symbol) in currencies.iter().enumerate() {
        let _ = write!(out, r#"<numFmt numFmtId="{}" formatCode=""#, 166 + i);
        let code = format!("\"{}\"#,##0.00", symbol.replace('"', ""));
        xml_text(&mut out, &code);
        out.extend_from_slice(b"\"/>");
    }
    let _ = write!(
        out,
        r#"</numFmts><fonts count="2"><font><sz val="11"/><name val="Calibri"/><family val="2"/></font><font><b/><sz val="11"/><name val="Calibri"/><family val="2"/></font></fonts><fills count="2"><fill><patternFill patternType="none"/></fill><fill><patternFill patternType="gray125"/></fill></fills><borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders><cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs><cellXfs count="{}"><xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/><xf numFmtId="0" fontId="1" fillId="0" borderId="0" xfId="0" applyFont="1"/><xf numFmtId="164" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/><xf numFmtId="165" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>"#,
        4 + currencies.len()
    );
    for i in 0..currencies.len() {
        let _ = write!(
            out,
            r#"<xf numFmtId="{}" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>"#,
            166 + i
        );
    }
    out.extend_from_slice(
        br#"</cellXfs><cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles></styleSheet>"#,
    );
    out
}

pub(super) const ROOT_RELS: &str = r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>"#;

/// `xl/workbook.xml`: the sheets in order, by name.
pub(super) fn workbook(names: &[(String, usize)]) -> Vec<u8> {
    let mut out = Vec::new();
    let _ = write!(
        out,
        r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<workbook xmlns="{NS_MAIN}" xmlns:r="{NS_REL}"><bookViews><workbookView activeTab="0"/></bookViews><sheets>"#
    );
    for (i, (name, _)) in names.iter().enumerate() {
        out.extend_from_slice(b"<sheet name=\"");
        xml_text(&mut out, name);
        let _ = write!(out, r#"" sheetId="{0}" r:id="rId{0}"/>"#, i + 1);
    }
    out.extend_from_slice(b"</sheets></workbook>");
    out
}

/// `xl/_rels/workbook.xml.rels`: where each sheet's part is, and the styles.
pub(super) fn workbook_rels(names: &[(String, usize)]) -> Vec<u8> {
    let mut out = Vec::new();
    out.extend_from_slice(
        br#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">"#,
    );
    for (i, (_, number)) in names.iter().enumerate() {
        let _ = write!(
            out,
            r#"<Relationship Id="rId{}" Type="{NS_REL}/worksheet" Target="worksheets/sheet{number}.xml"/>"#,
            i + 1
        );
    }
    let _ = write!(
        out,
        r#"<Relationship Id="rId{}" Type="{NS_REL}/styles" Target="styles.xml"/></Relationships>"#,
        names.len() + 1
    );
    out
}

/// `[Content_Types].xml`.
pub(super) fn content_types(names: &[(String, usize)]) -> Vec<u8> {
    let mut out = Vec::new();
    out.extend_from_slice(
        br#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/><Override PartName="/xl/styles.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/>"#,
    );
    for (_, number) in names {
        let _ = write!(
            out,
            r#"<Override PartName="/xl/worksheets/sheet{number}.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>"#
        );
    }
    out.extend_from_slice(b"</Types>");
    out
}
