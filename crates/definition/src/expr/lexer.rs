//! Tokens of the CEL syntax used by formwork expressions.

use super::ExprError;

/// One token and its place (character offsets within the expression).
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Token {
    pub kind: Tok,
    pub start: u32,
    pub end: u32,
}

#[derive(Clone, Debug, PartialEq)]
pub(crate) enum Tok {
    Ident(String),
    Number(String),
    Str(String),
    True,
    False,
    Null,
    In,
    LParen,
    RParen,
    LBracket,
    RBracket,
    LBrace,
    RBrace,
    Dot,
    Comma,
    Question,
    Colon,
    Not,
    Minus,
    Plus,
    Star,
    Slash,
    Percent,
    Lt,
    Le,
    Gt,
    Ge,
    EqEq,
    Ne,
    AndAnd,
    OrOr,
    Eof,
}

impl Tok {
    /// How the token is shown in messages.
    pub fn describe(&self) -> String {
        match self {
            Tok::Ident(name) => format!("`{name}`"),
            Tok::Number(n) => format!("the number `{n}`"),
            Tok::Str(_) => "a string".to_string(),
            Tok::Eof => "the end of the expression".to_string(),
            other => format!("`{}`", other.symbol()),
        }
    }

    fn symbol(&self) -> &'static str {
        match self {
            Tok::True => "true",
            Tok::False => "false",
            Tok::Null => "null",
            Tok::In => "in",
            Tok::LParen => "(",
            Tok::RParen => ")",
            Tok::LBracket => "[",
            Tok::RBracket => "]",
            Tok::LBrace => "{",
            Tok::RBrace => "}",
            Tok::Dot => ".",
            Tok::Comma => ",",
            Tok::Question => "?",
            Tok::Colon => ":",
            Tok::Not => "!",
            Tok::Minus => "-",
            Tok::Plus => "+",
            Tok::Star => "*",
            Tok::Slash => "/",
            Tok::Percent => "%",
            Tok::Lt => "<",
            Tok::Le => "<=",
            Tok::Gt => ">",
            Tok::Ge => ">=",
            Tok::EqEq => "==",
            Tok::Ne => "!=",
            Tok::AndAnd => "&&",
            Tok::OrOr => "||",
            Tok::Ident(_) | Tok::Number(_) | Tok::Str(_) | Tok::Eof => "",
        }
    }
}

/// Words CEL reserves; they cannot be used as names.
const RESERVED: &[&str] = &[
    "as",
    "break",
    "const",
    "continue",
    "else",
    "for",
    "function",
    "if",
    "import",
    "let",
    "loop",
    "package",
    "namespace",
    "return",
    "var",
    "void",
    "while",
];

/// Split `src` into tokens. Offsets are in characters so that they line up with file columns.
pub(crate) fn tokenize(src: &str) -> Result<Vec<Token>, ExprError> {
    let chars: Vec<char> = src.chars().collect();
    let mut tokens = Vec::new();
    let mut i = 0usize;
    let at = |i: usize| chars.get(i).copied();
    while i < chars.len() {
        let c = chars[i];
        let start = i as u32;
        if c.is_whitespace() {
            i += 1;
            continue;
        }
        if c == '/' && at(i + 1) == Some('/') {
            // A comment runs to the end of the line.
            while i < chars.len() && chars[i] != '\n' {
                i += 1;
            }
            continue;
        }
        let two = |a: char, b: char| c == a && at(i + 1) == Some(b);
        let (kind, len) =
            if two('<', '=') {
                (Tok::Le, 2)
            } else if two('>', '=') {
                (Tok::Ge, 2)
            } else if two('=', '=') {
                (Tok::EqEq, 2)
            } else if two('!', '=') {
                (Tok::Ne, 2)
            } else if two('&', '&') {
                (Tok::AndAnd, 2)
            } else if two('|', '|') {
                (Tok::OrOr, 2)
            } else {
                match c {
                    '(' => (Tok::LParen, 1),
                    ')' => (Tok::RParen, 1),
                    '[' => (Tok::LBracket, 1),
                    ']' => (Tok::RBracket, 1),
                    '{' => (Tok::LBrace, 1),
                    '}' => (Tok::RBrace, 1),
                    '.' if !at(i + 1).is_some_and(|d| d.is_ascii_digit()) => (Tok::Dot, 1),
                    ',' => (Tok::Comma, 1),
                    '?' => (Tok::Question, 1),
                    ':' => (Tok::Colon, 1),
                    '!' => (Tok::Not, 1),
                    '-' => (Tok::Minus, 1),
                    '+' => (Tok::Plus, 1),
                    '*' => (Tok::Star, 1),
                    '/' => (Tok::Slash, 1),
                    '%' => (Tok::Percent, 1),
                    '<' => (Tok::Lt, 1),
                    '>' => (Tok::Gt, 1),
                    '=' => {
                        return Err(ExprError::new(start, 1, "`=` is not an operator")
                            .with_help("use `==` to compare two values"));
                    }
                    '&' => {
                        return Err(ExprError::new(start, 1, "`&` is not an operator")
                            .with_help("use `&&` for \"and\""));
                    }
                    '|' => {
                        return Err(ExprError::new(start, 1, "`|` is not an operator")
                            .with_help("use `||` for \"or\""));
                    }
                    '"' | '\'' => {
                        let (text, end) = string(&chars, i, false)?;
                        tokens.push(Token { kind: Tok::Str(text), start, end: end as u32 });
                        i = end;
                        continue;
                    }
                    'r' | 'R' if matches!(at(i + 1), Some('"' | '\'')) => {
                        let (text, end) = string(&chars, i + 1, true)?;
                        tokens.push(Token { kind: Tok::Str(text), start, end: end as u32 });
                        i = end;
                        continue;
                    }
                    c if c.is_ascii_digit() || c == '.' => {
                        let end = number_end(&chars, i);
                        let text: String = chars[i..end].iter().collect();
                        let text = text.trim_end_matches(['u', 'U']).to_string();
                        tokens.push(Token { kind: Tok::Number(text), start, end: end as u32 });
                        i = end;
                        continue;
                    }
                    c if c.is_ascii_alphabetic() || c == '_' => {
                        let mut end = i;
                        while end < chars.len() && (chars[end].is_ascii_alphanumeric() || chars[end] == '_') {
                            end += 1;
                        }
                        let word: String = chars[i..end].iter().collect();
                        let kind = match word.as_str() {
                            "true" => Tok::True,
                            "false" => Tok::False,
                            "null" => Tok::Null,
                            "in" => Tok::In,
                            w if RESERVED.contains(&w) => {
                                return Err(ExprError::new(
                                    start,
                                    (end - i) as u32,
                                    format!("`{w}` is a reserved word and cannot be used as a name"),
                                ));
                            }
                            _ => Tok::Ident(word),
                        };
                        tokens.push(Token { kind, start, end: end as u32 });
                        i = end;
                        continue;
                    }
                    other => {
                        return Err(ExprError::new(start, 1, format!("unexpected character `{other}`")));
                    }
                }
            };
        tokens.push(Token { kind, start, end: start + len });
        i += len as usize;
    }
    let end = chars.len() as u32;
    tokens.push(Token { kind: Tok::Eof, start: end, end });
    Ok(tokens)
}

/// The end of a number literal starting at `i`: digits, a fraction, an exponent, a `u` suffix, or
/// a hexadecimal literal.
fn number_end(chars: &[char], mut i: usize) -> usize {
    if chars[i] == '0' && matches!(chars.get(i + 1), Some('x' | 'X')) {
        i += 2;
        while i < chars.len() && chars[i].is_ascii_hexdigit() {
            i += 1;
        }
        return i;
    }
    while i < chars.len() && chars[i].is_ascii_digit() {
        i += 1;
    }
    if chars.get(i) == Some(&'.') && chars.get(i + 1).is_some_and(|c| c.is_ascii_digit()) {
        i += 1;
        while i < chars.len() && chars[i].is_ascii_digit() {
            i += 1;
        }
    }
    if matches!(chars.get(i), Some('e' | 'E')) {
        let mut j = i + 1;
        if matches!(chars.get(j), Some('+' | '-')) {
            j += 1;
        }
        if chars.get(j).is_some_and(|c| c.is_ascii_digit()) {
            i = j;
            while i < chars.len() && chars[i].is_ascii_digit() {
                i += 1;
            }
        }
    }
    if matches!(chars.get(i), Some('u' | 'U')) {
        i += 1;
    }
    i
}

/// A quoted string starting at the quote at `i` (single, double or triple quotes); returns its text
/// and the index after the closing quote.
fn string(chars: &[char], i: usize, raw: bool) -> Result<(String, usize), ExprError> {
    let quote = chars[i];
    let triple = chars.get(i + 1) == Some(&quote) && chars.get(i + 2) == Some(&quote);
    let mut j = if triple { i + 3 } else { i + 1 };
    let mut text = String::new();
    loop {
        let Some(&c) = chars.get(j) else {
            return Err(ExprError::new(i as u32, 1, "this string has no closing quote")
                .with_help(format!("add a closing {quote}")));
        };
        if c == quote {
            if !triple {
                return Ok((text, j + 1));
            }
            if chars.get(j + 1) == Some(&quote) && chars.get(j + 2) == Some(&quote) {
                return Ok((text, j + 3));
            }
        }
        if c == '\n' && !triple {
            return Err(ExprError::new(i as u32, 1, "this string has no closing quote on its line"));
        }
        if c == '\\' && !raw {
            let Some(&e) = chars.get(j + 1) else {
                return Err(ExprError::new(j as u32, 1, "a string cannot end with `\\`"));
            };
            let escaped = match e {
                'n' => '\n',
                't' => '\t',
                'r' => '\r',
                '\\' => '\\',
                '\'' => '\'',
                '"' => '"',
                '`' => '`',
                '?' => '?',
                'u' => {
                    let hex: String = chars.iter().skip(j + 2).take(4).collect();
                    let code =
                        u32::from_str_radix(&hex, 16).ok().and_then(char::from_u32).ok_or_else(|| {
                            ExprError::new(j as u32, 2, "`\\u` must be followed by four hexadecimal digits")
                        })?;
                    text.push(code);
                    j += 6;
                    continue;
                }
                other => {
                    return Err(ExprError::new(j as u32, 2, format!("`\\{other}` is not a known escape"))
                        .with_help("known escapes are \\n, \\t, \\r, \\\\, \\', \\\" and \\uXXXX"));
                }
            };
            text.push(escaped);
            j += 2;
            continue;
        }
        text.push(c);
        j += 1;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kinds(src: &str) -> Vec<Tok> {
        tokenize(src).unwrap().into_iter().map(|t| t.kind).collect()
    }

    #[test]
    fn tokenizes_operators_and_literals() {
        assert_eq!(
            kinds("a <= 1.50 && b != 'x'"),
            vec![
                Tok::Ident("a".into()),
                Tok::Le,
                Tok::Number("1.50".into()),
                Tok::AndAnd,
                Tok::Ident("b".into()),
                Tok::Ne,
                Tok::Str("x".into()),
                Tok::Eof
            ]
        );
    }

    #[test]
    fn explains_single_equals() {
        let e = tokenize("a = 1").unwrap_err();
        assert_eq!(e.start, 2);
        assert!(e.help.unwrap().contains("=="));
    }

    #[test]
    fn reads_escapes_and_raw_strings() {
        assert_eq!(kinds(r#""a\"b\u00e9""#)[0], Tok::Str("a\"bé".into()));
        assert_eq!(kinds(r"r'\d+'")[0], Tok::Str(r"\d+".into()));
    }
}
