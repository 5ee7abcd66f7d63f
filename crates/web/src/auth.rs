//! Who is asking: the [`Principal`] extractor reads an `Authorization: Bearer` API token or the
//! session cookie, and the CSRF rules that go with each.
//!
//! - A program sends a bearer token: no cookies are involved, so no CSRF token is needed.
//! - A browser sends the session cookie: every form must carry the session's CSRF token (and a
//!   JSON request the `X-CSRF-Token` header); requests from another site are refused on their
//!   `Origin`/`Sec-Fetch-Site` headers too.
//! - Signed-out forms (sign-in, password reset, accepting an invitation) use a double-submit
//!   cookie: a random token in a SameSite=Strict cookie that the form must repeat.

use std::net::SocketAddr;

use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, Method, header};
use formwork_service::{Actor, accounts};
use sha2::{Digest, Sha256};

use crate::error::AppError;
use crate::{AppState, cookies};

/// How a principal proved who they are.
#[derive(Clone, Debug)]
pub(crate) enum Via {
    /// Nothing: signed out.
    Nothing,
    /// The session cookie.
    Session {
        /// The session's id (the hash of its token).
        token_hash: String,
        /// The token its forms must carry.
        csrf_token: String,
    },
    /// An API token.
    Token,
}

/// Who is making a request, and how they proved it.
#[derive(Clone, Debug)]
pub(crate) struct Principal {
    /// Who.
    pub actor: Actor,
    /// How.
    pub via: Via,
}

impl Principal {
    /// The CSRF token the pages' forms carry: the session's, or the signed-out cookie's.
    pub fn session_csrf(&self) -> Option<&str> {
        match &self.via {
            Via::Session { csrf_token, .. } => Some(csrf_token),
            _ => None,
        }
    }

    /// True when someone is signed in.
    pub fn signed_in(&self) -> bool {
        !matches!(self.actor, Actor::Anonymous)
    }
}

impl FromRequestParts<AppState> for Principal {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Principal, AppError> {
        if let Some(found) = parts.extensions.get::<Principal>() {
            return Ok(found.clone());
        }
        let principal = identify(parts, state).await?;
        parts.extensions.insert(principal.clone());
        Ok(principal)
    }
}

async fn identify(parts: &Parts, state: &AppState) -> Result<Principal, AppError> {
    if let Some(value) = parts.headers.get(header::AUTHORIZATION) {
        let Some(secret) = bearer(value) else {
            return Err(AppError::BadToken);
        };
        return match accounts::token_actor(state, secret).await? {
            Some(actor) => Ok(Principal { actor, via: Via::Token }),
            None => Err(AppError::BadToken),
        };
    }
    let name = cookies::session_name(state.config().secure());
    if let Some(token) = cookies::get(&parts.headers, name).filter(|t| !t.is_empty() && t.len() <= 128)
        && let Some((session, actor)) = accounts::session(state, token).await?
    {
        return Ok(Principal {
            actor,
            via: Via::Session { token_hash: session.token_hash, csrf_token: session.csrf_token },
        });
    }
    Ok(Principal { actor: Actor::Anonymous, via: Via::Nothing })
}

/// The secret in an `Authorization: Bearer SECRET` header, if it is one.
pub(crate) fn bearer(value: &HeaderValue) -> Option<&str> {
    value.to_str().ok()?.strip_prefix("Bearer ").map(str::trim).filter(|s| !s.is_empty())
}

/// Compare two secrets without leaking, by timing, how much of them matched.
pub(crate) fn same_secret(a: &str, b: &str) -> bool {
    !a.is_empty() && Sha256::digest(a.as_bytes()) == Sha256::digest(b.as_bytes())
}

/// True when a state-changing request plainly comes from another site: its `Origin` is not this
/// service's, or the browser says `Sec-Fetch-Site: cross-site`.
pub(crate) fn cross_site(headers: &HeaderMap, state: &AppState) -> bool {
    if headers.get("sec-fetch-site").and_then(|v| v.to_str().ok()) == Some("cross-site") {
        return true;
    }
    match headers.get(header::ORIGIN).and_then(|v| v.to_str().ok()) {
        None | Some("null") => false,
        Some(origin) => {
            let ours = origin_of(&state.config().base_url);
            let host = headers.get(header::HOST).and_then(|v| v.to_str().ok()).unwrap_or("");
            let same_host = origin.split_once("://").is_some_and(|(_, rest)| rest == host);
            origin != ours && !same_host
        }
    }
}

fn origin_of(url: &str) -> &str {
    match url.find("://").and_then(|s| url[s + 3..].find('/').map(|p| s + 3 + p)) {
        Some(end) => &url[..end],
        None => url,
    }
}

/// Check the CSRF token of a browser's state-changing request: `submitted` (from the form or the
/// `X-CSRF-Token` header) must be the session's token, or when signed out the double-submit
/// cookie's.
pub(crate) fn check_csrf(
    principal: &Principal,
    headers: &HeaderMap,
    method: &Method,
    state: &AppState,
    submitted: Option<&str>,
) -> Result<(), AppError> {
    if matches!(*method, Method::GET | Method::HEAD | Method::OPTIONS) || matches!(principal.via, Via::Token)
    {
        return Ok(());
    }
    if cross_site(headers, state) {
        return Err(AppError::Csrf);
    }
    let expected = match &principal.via {
        Via::Session { csrf_token, .. } => Some(csrf_token.as_str()),
        Via::Nothing => cookies::get(headers, cookies::csrf_name(state.config().secure())),
        Via::Token => None,
    };
    match (expected, submitted) {
        (Some(expected), Some(submitted)) if same_secret(expected, submitted) => Ok(()),
        _ => Err(AppError::Csrf),
    }
}

/// The client's network address: the peer, or behind a trusted load balancer the last
/// `X-Forwarded-For` entry (the one the load balancer added).
pub(crate) fn client_address(
    parts_headers: &HeaderMap,
    peer: Option<&ConnectInfo<SocketAddr>>,
    state: &AppState,
) -> String {
    if state.config().trust_forwarded_for
        && let Some(forwarded) = parts_headers.get("x-forwarded-for").and_then(|v| v.to_str().ok())
        && let Some(last) = forwarded.rsplit(',').next().map(str::trim).filter(|s| !s.is_empty())
    {
        return last.to_string();
    }
    peer.map_or_else(|| "unknown".into(), |p| p.0.ip().to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_compare_equal_only_when_equal_and_present() {
        assert!(same_secret("abc", "abc"));
        assert!(!same_secret("abc", "abd"));
        assert!(!same_secret("", ""));
    }

    #[test]
    fn origins_are_scheme_host_and_port() {
        assert_eq!(origin_of("https://returns.example.gov.uk/"), "https://returns.example.gov.uk");
        assert_eq!(origin_of("http://127.0.0.1:8080"), "http://127.0.0.1:8080");
    }
}
