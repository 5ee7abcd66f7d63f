//! The `Content-Disposition` of a file to save: one way for the pages and the API, so a name
//! someone uploaded can never break out of the header.

/// `attachment; filename="…"; filename*=UTF-8''…` (RFC 6266): an ASCII stand-in for old clients,
/// with quotes, backslashes, control and non-ASCII characters as `_` ("file" when no letter or digit
/// is left),
/// and the real name percent-encoded (RFC 5987).
pub(crate) fn content_disposition(name: &str) -> String {
    let fallback: String = name
        .chars()
        .map(|c| if c.is_ascii_graphic() && c != '"' && c != '\\' || c == ' ' { c } else { '_' })
        .collect();
    let fallback =
        if fallback.chars().any(|c| c.is_ascii_alphanumeric()) { fallback } else { "file".to_owned() };
    let mut encoded = String::new();
    for byte in name.bytes() {
        if byte.is_ascii_alphanumeric() || b"!#$&+-.^_`|~".contains(&byte) {
            encoded.push(char::from(byte));
        } else {
            encoded.push_str(&format!("%{byte:02X}"));
        }
    }
    format!("attachment; filename=\"{fallback}\"; filename*=UTF-8''{encoded}")
}

#[cfg(test)]
mod tests {
    use super::content_disposition;

    #[test]
    fn a_file_name_cannot_break_out_of_its_header() {
        assert_eq!(
            content_disposition("board \"minutes\"\r\n.pdf"),
            "attachment; filename=\"board _minutes___.pdf\"; filename*=UTF-8''board%20%22minutes%22%0D%0A.pdf"
        );
        assert_eq!(
            content_disposition("a\"b\\c.pdf"),
            "attachment; filename=\"a_b_c.pdf\"; filename*=UTF-8''a%22b%5Cc.pdf"
        );
    }

    #[test]
    fn a_file_name_is_sent_in_full_beside_its_ascii_stand_in() {
        assert_eq!(
            content_disposition("minutes.pdf"),
            "attachment; filename=\"minutes.pdf\"; filename*=UTF-8''minutes.pdf"
        );
        assert_eq!(
            content_disposition("Board “minutes” é.pdf"),
            "attachment; filename=\"Board _minutes_ _.pdf\"; filename*=UTF-8''Board%20%E2%80%9Cminutes%E2%80%9D%20%C3%A9.pdf"
        );
        assert_eq!(content_disposition("\u{7}"), "attachment; filename=\"file\"; filename*=UTF-8''%07");
    }
}
