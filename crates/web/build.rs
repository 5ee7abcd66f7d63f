//! Embed the front-end assets: GOV.UK Frontend from `node_modules` (installed from npm through the
//! lockfile by `scripts/setup`), and this crate's own `static/` files. CSS and JS get a fingerprint
//! in their URL (so they can be cached for a year); fonts and images keep GOV.UK Frontend's own
//! names, which its CSS refers to and which carry their own hashes. The GOV.UK logo, crown and
//! licence SVGs are taken from the package's rendered component fixtures, so no third-party markup
//! is copied into this repository.

#![expect(
    clippy::panic,
    clippy::expect_used,
    reason = "a build script fails by panicking: cargo shows the message"
)]

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

fn content_type(path: &Path) -> &'static str {
    match path.extension().and_then(|e| e.to_str()).unwrap_or("") {
        "css" => "text/css; charset=utf-8",
        "js" | "mjs" => "text/javascript; charset=utf-8",
        "json" => "application/manifest+json",
        "woff2" => "font/woff2",
        "woff" => "font/woff",
        "svg" => "image/svg+xml",
        "png" => "image/png",
        "ico" => "image/x-icon",
        _ => "application/octet-stream",
    }
}

/// A short, stable fingerprint of some bytes (FNV-1a, 64 bits).
fn fingerprint(bytes: &[u8]) -> String {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for b in bytes {
        hash ^= u64::from(*b);
        hash = hash.wrapping_mul(0x0100_0000_01b3);
    }
    format!("{:012x}", hash & 0xffff_ffff_ffff)
}

/// The first `<svg …>…</svg>` in `html` after `from`.
fn svg_after(html: &str, from: usize) -> Option<(String, usize)> {
    let start = html[from..].find("<svg")? + from;
    let end = html[start..].find("</svg>")? + start + "</svg>".len();
    Some((html[start..end].to_string(), end))
}

fn fixture_html(dir: &Path, component: &str, name: &str) -> String {
    let path = dir.join("components").join(component).join("fixtures.json");
    let text =
        std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
    let json: serde_json::Value =
        serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    json["fixtures"]
        .as_array()
        .and_then(|f| f.iter().find(|x| x["name"] == name))
        .and_then(|x| x["html"].as_str())
        .unwrap_or_else(|| panic!("no fixture “{name}” in {}", path.display()))
        .to_string()
}

fn main() {
    let manifest = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").unwrap_or_default());
    let root = manifest.join("../..");
    let govuk = root.join("node_modules/govuk-frontend/dist/govuk");
    println!("cargo:rerun-if-changed={}", root.join("package-lock.json").display());
    println!("cargo:rerun-if-changed={}", manifest.join("static").display());
    if !govuk.join("govuk-frontend.min.css").exists() {
        panic!(
            "GOV.UK Frontend is not installed at {}: run `scripts/setup` (it runs `npm ci` from the lockfile)",
            govuk.display()
        );
    }
    let mut files: Vec<(String, PathBuf, bool)> = vec![
        ("govuk-frontend.min.css".into(), govuk.join("govuk-frontend.min.css"), true),
        ("govuk-frontend.min.js".into(), govuk.join("govuk-frontend.min.js"), true),
        ("manifest.json".into(), govuk.join("assets/manifest.json"), false),
    ];
    for sub in ["fonts", "images"] {
        let mut entries: Vec<_> = std::fs::read_dir(govuk.join("assets").join(sub))
            .unwrap_or_else(|e| panic!("{sub}: {e}"))
            .filter_map(Result::ok)
            .map(|e| e.path())
            .collect();
        entries.sort();
        for path in entries {
            let name = path.file_name().and_then(|n| n.to_str()).unwrap_or_default().to_string();
            files.push((format!("{sub}/{name}"), path, false));
        }
    }
    let mut own: Vec<_> = std::fs::read_dir(manifest.join("static"))
        .expect("static/")
        .filter_map(Result::ok)
        .map(|e| e.path())
        .collect();
    own.sort();
    for path in own {
        let name = path.file_name().and_then(|n| n.to_str()).unwrap_or_default().to_string();
        files.push((name, path, true));
    }

    let out_dir = PathBuf::from(std::env::var("OUT_DIR").unwrap_or_default());
    let mut out = String::from(
        "/// Embedded assets: (URL path under /assets/, content type, bytes).\npub static ASSETS: &[(&str, &str, &[u8])] = &[\n",
    );
    let mut names = String::new();
    let mut govuk_js_url = String::new();
    for (name, path, fingerprinted) in &files {
        let mut bytes = std::fs::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        let mut source = path.canonicalize().unwrap_or(path.clone());
        // Our scripts import GOV.UK Frontend by its fingerprinted URL.
        if name.ends_with(".js") && name != "govuk-frontend.min.js" && !govuk_js_url.is_empty() {
            let text = String::from_utf8_lossy(&bytes).replace("./govuk-frontend.min.js", &govuk_js_url);
            bytes = text.into_bytes();
            source = out_dir.join(name);
            std::fs::write(&source, &bytes).unwrap_or_else(|e| panic!("{}: {e}", source.display()));
        }
        let url = if *fingerprinted { format!("{}/{name}", fingerprint(&bytes)) } else { name.clone() };
        if name == "govuk-frontend.min.js" {
            govuk_js_url = format!("/assets/{url}");
        }
        let _ = writeln!(out, "    ({url:?}, {:?}, include_bytes!({:?})),", content_type(path), source);
        if *fingerprinted {
            let constant = name.to_uppercase().replace(['.', '-'], "_");
            let _ =
                writeln!(names, "/// The URL of `{name}`.\npub const {constant}: &str = \"/assets/{url}\";");
        }
    }
    out.push_str("];\n\n");
    out.push_str(&names);

    let header = fixture_html(&govuk, "header", "default");
    let (logo, _) = svg_after(&header, 0).expect("header logo");
    let footer = fixture_html(&govuk, "footer", "default");
    let (crown, after) = svg_after(&footer, 0).expect("footer crown");
    let (licence, _) = svg_after(&footer, after).expect("licence logo");
    let _ = writeln!(
        out,
        "/// GOV.UK's logo, from GOV.UK Frontend's header.\npub const HEADER_LOGO: &str = {logo:?};"
    );
    let _ = writeln!(
        out,
        "/// The crown, from GOV.UK Frontend's footer.\npub const FOOTER_CROWN: &str = {crown:?};"
    );
    let _ = writeln!(
        out,
        "/// The Open Government Licence logo, from GOV.UK Frontend's footer.\npub const FOOTER_LICENCE: &str = {licence:?};"
    );

    let dest = out_dir.join("assets.rs");
    std::fs::write(&dest, out).unwrap_or_else(|e| panic!("{}: {e}", dest.display()));
}
