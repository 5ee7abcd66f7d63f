//! Reading the `Cookie` header and writing `Set-Cookie`: the few cookies formwork sets are all
//! HttpOnly, SameSite, path `/`, and Secure (with the `__Host-` prefix) under https.

use axum::http::{HeaderMap, HeaderValue, header};

/// The session cookie's name.
pub(crate) fn session_name(secure: bool) -> &'static str {
    if secure { "__Host-formwork_session" } else { "formwork_session" }
}

/// The signed-out forms' CSRF cookie's name.
pub(crate) fn csrf_name(secure: bool) -> &'static str {
    if secure { "__Host-formwork_csrf" } else { "formwork_csrf" }
}

/// The value of cookie `name`, if the request has it (the first, if several).
pub(crate) fn get<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(key, _)| *key == name)
        .map(|(_, value)| value.trim_matches('"'))
}

/// A `Set-Cookie` value for a cookie that lasts as long as the browser session (`max_age` none)
/// or `max_age` seconds.
pub(crate) fn set(
    name: &str,
    value: &str,
    secure: bool,
    same_site: &str,
    max_age: Option<i64>,
) -> HeaderValue {
    let mut cookie = format!("{name}={value}; Path=/; HttpOnly; SameSite={same_site}");
    if secure {
        cookie.push_str("; Secure");
    }
    if let Some(age) = max_age {
        cookie.push_str(&format!("; Max-Age={age}"));
    }
    HeaderValue::from_str(&cookie).unwrap_or_else(|_| HeaderValue::from_static("invalid=; Max-Age=0"))
}

/// A `Set-Cookie` value that removes cookie `name`.
pub(crate) fn clear(name: &str, secure: bool) -> HeaderValue {
    set(name, "", secure, "Lax", Some(0))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cookies_are_read_from_every_cookie_header() {
        let mut headers = HeaderMap::new();
        headers.append(header::COOKIE, HeaderValue::from_static("a=1; formwork_session=abc"));
        headers.append(header::COOKIE, HeaderValue::from_static("b=2"));
        assert_eq!(get(&headers, "formwork_session"), Some("abc"));
        assert_eq!(get(&headers, "b"), Some("2"));
        assert_eq!(get(&headers, "c"), None);
    }

    #[test]
    fn cookies_are_http_only_same_site_and_secure_under_https() {
        let cookie = set(session_name(true), "t", true, "Lax", None);
        assert_eq!(cookie, "__Host-formwork_session=t; Path=/; HttpOnly; SameSite=Lax; Secure");
        assert_eq!(
            set("x", "y", false, "Strict", Some(60)),
            "x=y; Path=/; HttpOnly; SameSite=Strict; Max-Age=60"
        );
    }
}
