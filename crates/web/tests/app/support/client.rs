//! An HTTP client that behaves like a browser for the tests: it keeps cookies, does not follow
//! redirects (tests look at them), and finds the CSRF token pages carry.

use std::collections::BTreeMap;
use std::sync::Mutex;

use reqwest::Method;
use reqwest::header::{HeaderMap, HeaderValue};
use serde_json::Value;

/// An answer.
#[derive(Debug)]
pub struct Reply {
    pub status: u16,
    pub headers: HeaderMap,
    pub text: String,
    /// The body as sent (a workbook is not text).
    pub bytes: Vec<u8>,
}

impl Reply {
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.text).unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.text))
    }
    pub fn location(&self) -> String {
        self.headers.get("location").and_then(|v| v.to_str().ok()).unwrap_or("").to_string()
    }
    pub fn header(&self, name: &str) -> String {
        self.headers.get(name).and_then(|v| v.to_str().ok()).unwrap_or("").to_string()
    }
    /// The error code of a JSON error body.
    pub fn code(&self) -> String {
        self.json()["error"]["code"].as_str().unwrap_or("").to_string()
    }
}

pub struct Client {
    http: reqwest::Client,
    pub base: String,
    cookies: Mutex<BTreeMap<String, String>>,
}

impl Client {
    pub fn new(base: &str) -> Client {
        super::tls();
        let http = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
        Client { http, base: base.to_string(), cookies: Mutex::default() }
    }

    pub fn cookie(&self, name: &str) -> Option<String> {
        self.cookies.lock().unwrap().get(name).cloned()
    }

    pub fn set_cookie(&self, name: &str, value: &str) {
        self.cookies.lock().unwrap().insert(name.into(), value.into());
    }

    fn cookie_header(&self) -> Option<String> {
        let cookies = self.cookies.lock().unwrap();
        (!cookies.is_empty())
            .then(|| cookies.iter().map(|(k, v)| format!("{k}={v}")).collect::<Vec<_>>().join("; "))
    }

    pub async fn send(
        &self,
        method: Method,
        path: &str,
        headers: &[(&str, &str)],
        body: Option<(Vec<u8>, &str)>,
    ) -> Reply {
        let url = if path.starts_with("http") { path.to_string() } else { format!("{}{path}", self.base) };
        let mut request = self.http.request(method, url);
        if let Some(cookie) = self.cookie_header() {
            request = request.header("cookie", cookie);
        }
        for (name, value) in headers {
            request = request.header(*name, HeaderValue::from_str(value).unwrap());
        }
        if let Some((bytes, content_type)) = body {
            request = request.header("content-type", content_type).body(bytes);
        }
        let response = request.send().await.unwrap();
        let status = response.status().as_u16();
        let headers = response.headers().clone();
        for value in headers.get_all("set-cookie") {
            let text = value.to_str().unwrap();
            let pair = text.split(';').next().unwrap();
            let (name, value) = pair.split_once('=').unwrap();
            let mut cookies = self.cookies.lock().unwrap();
            if value.is_empty() || text.contains("Max-Age=0") {
                cookies.remove(name);
            } else {
                cookies.insert(name.to_string(), value.to_string());
            }
        }
        let bytes = response.bytes().await.map(|b| b.to_vec()).unwrap_or_default();
        let text = String::from_utf8_lossy(&bytes).into_owned();
        Reply { status, headers, text, bytes }
    }

    pub async fn get(&self, path: &str) -> Reply {
        self.send(Method::GET, path, &[], None).await
    }

    /// The CSRF token of the page at `path` (every page carries it in a meta tag).
    pub async fn csrf_from(&self, path: &str) -> String {
        let page = self.get(path).await;
        let marker = "<meta name=\"csrf-token\" content=\"";
        let start = page
            .text
            .find(marker)
            .unwrap_or_else(|| panic!("no CSRF token on {path}: {} {}", page.status, page.text))
            + marker.len();
        page.text[start..].split('"').next().unwrap().to_string()
    }

    /// Post a form as a browser would after opening `/cookies`: with its CSRF token.
    pub async fn form(&self, path: &str, fields: &[(&str, &str)]) -> Reply {
        let token = self.csrf_from("/cookies").await;
        let mut all: Vec<(&str, &str)> = fields.to_vec();
        all.push(("csrf_token", &token));
        self.form_raw(path, &all).await
    }

    /// Post a form exactly as given (no CSRF token added).
    pub async fn form_raw(&self, path: &str, fields: &[(&str, &str)]) -> Reply {
        let body = url::form_urlencoded::Serializer::new(String::new()).extend_pairs(fields).finish();
        self.send(Method::POST, path, &[], Some((body.into_bytes(), "application/x-www-form-urlencoded")))
            .await
    }

    pub async fn sign_in(&self, email: &str, password: &str) -> Reply {
        self.form("/sign-in", &[("email", email), ("password", password), ("return_to", "/")]).await
    }

    /// An API call with a bearer token.
    pub async fn api(&self, method: Method, path: &str, token: &str, body: Option<Value>) -> Reply {
        let auth = format!("Bearer {token}");
        let body = body.map(|b| (b.to_string().into_bytes(), "application/json"));
        self.send(method, path, &[("authorization", &auth)], body).await
    }
}
