//! formwork-web's integration tests: the real service on loopback, driven over HTTP, on SQLite
//! and PostgreSQL, with real SMTP, S3-compatible, OpenID Connect and browser peers.

#![expect(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "a test should stop loudly at anything unexpected"
)]

mod access;
mod accounts;
mod api;
mod browser;
mod collections;
mod exports;
mod exports_pages;
mod invitations;
mod lifecycle_api;
mod lifecycle_pages;
mod oidc;
mod operations;
mod records;
mod returns_api;
mod returns_pages;
mod returns_tables;
mod search;
mod shapes;
mod support;
mod uploads_api;
mod uploads_pages;
