//! Health, readiness, metrics, security headers, assets, error pages, S3-compatible storage, and
//! the database going away and coming back.

use std::time::Duration;

use formwork_files::Files;
use formwork_store::Backend;
use formwork_store::testing::TestDatabase;
use reqwest::Method;

use crate::support::proxy::Proxy;
use crate::support::s3::{ACCESS_KEY, S3Server, SECRET_KEY};
use crate::support::{NOW, Storage, TestApp};

#[tokio::test]
async fn every_response_carries_the_security_headers() {
    let app = TestApp::on(Backend::Sqlite).await;
    let page = app.client().get("/sign-in").await;
    let csp = page.header("content-security-policy");
    assert!(
        csp.contains("frame-ancestors 'none'")
            && csp.contains("script-src 'self' 'nonce-")
            && !csp.contains("unsafe-inline"),
        "{csp}"
    );
    let nonce = csp.split("'nonce-").nth(1).unwrap().split('\'').next().unwrap();
    assert!(
        page.text.contains(&format!("<script nonce=\"{nonce}\">")),
        "the one inline script carries this response's nonce"
    );
    assert_eq!(
        page.text.matches("<script").count(),
        2,
        "one inline script (with the nonce) and one module file"
    );
    assert_eq!(page.header("x-content-type-options"), "nosniff");
    assert_eq!(page.header("x-frame-options"), "DENY");
    assert_eq!(page.header("referrer-policy"), "no-referrer");
    assert_eq!(page.header("cache-control"), "no-store");
    assert!(page.header("strict-transport-security").is_empty(), "no HSTS over plain http");
    assert_eq!(page.header("x-request-id").len(), 32);
    let other = app.client().get("/sign-in").await;
    assert_ne!(other.header("content-security-policy"), csp, "a new nonce for every response");
    let echoed = app.client().send(Method::GET, "/healthz", &[("x-request-id", "trace-123")], None).await;
    assert_eq!(echoed.header("x-request-id"), "trace-123");
    let refused =
        app.client().send(Method::GET, "/healthz", &[("x-request-id", "bad id with spaces")], None).await;
    assert_ne!(refused.header("x-request-id"), "bad id with spaces");
}

#[tokio::test]
async fn assets_are_served_with_long_caching_and_the_right_types() {
    let app = TestApp::on(Backend::Sqlite).await;
    let page = app.client().get("/").await.text;
    let css = page
        .split("href=\"")
        .find(|s| s.contains("govuk-frontend.min.css"))
        .unwrap()
        .split('"')
        .next()
        .unwrap()
        .to_string();
    let reply = app.client().get(&css).await;
    assert_eq!(reply.status, 200);
    assert_eq!(reply.header("content-type"), "text/css; charset=utf-8");
    assert_eq!(reply.header("cache-control"), "public, max-age=31536000, immutable");
    let font = app.client().get("/assets/images/favicon.svg").await;
    assert_eq!((font.status, font.header("content-type").as_str()), (200, "image/svg+xml"));
    assert_eq!(app.client().get("/assets/nothing.css").await.status, 404);
    let favicon = app.client().get("/favicon.ico").await;
    assert_eq!(
        (favicon.status, favicon.header("content-type").as_str(), favicon.header("cache-control").as_str()),
        (200, "image/x-icon", "public, max-age=86400")
    );
    assert_eq!(favicon.bytes, app.client().get("/assets/images/favicon.ico").await.bytes);
}

#[tokio::test]
async fn unknown_pages_get_the_gov_uk_404_page() {
    let app = TestApp::on(Backend::Sqlite).await;
    let page = app.client().get("/no/such/page").await;
    assert_eq!(page.status, 404);
    assert!(page.text.contains("Page not found") && page.text.contains("govuk-template"));
    let api = app.client().get("/api/v1/no-such-thing").await;
    assert_eq!(api.status, 404);
    assert_eq!(api.code(), "not_found");
}

/// The `<h1>` of a page.
fn heading(html: &str) -> &str {
    let start = html.find("<h1").and_then(|i| html[i..].find('>').map(|j| i + j + 1)).unwrap();
    html[start..].split("</h1>").next().unwrap()
}

#[tokio::test]
async fn a_method_a_page_does_not_take_and_an_expired_form_have_their_own_headings() {
    let app = TestApp::on(Backend::Sqlite).await;
    let wrong_method = app.client().send(Method::DELETE, "/sign-in", &[], None).await;
    assert_eq!(wrong_method.status, 405);
    assert_eq!(heading(&wrong_method.text), "This page cannot be used that way");
    assert!(wrong_method.text.contains("/sign-in does not accept DELETE requests"), "{}", wrong_method.text);

    let expired =
        app.client().form_raw("/sign-in", &[("email", "a@example.org"), ("csrf_token", "old")]).await;
    assert_eq!(expired.status, 403);
    assert_eq!(heading(&expired.text), "This form has expired");
    assert!(expired.text.contains("reload the page and try again"), "{}", expired.text);
    assert!(expired.text.contains("<title>This form has expired – Submit a return</title>"));
}

#[tokio::test]
async fn only_the_gov_uk_brand_shows_the_crown_and_the_gov_uk_logotype() {
    let app = TestApp::on(Backend::Sqlite).await;
    let plain = app.client().get("/cookies").await.text;
    let header = plain.split("</header>").next().unwrap();
    assert!(header.contains("govuk-generic-header") && header.contains(">Department for Examples</a>"));
    assert!(header.contains(">Submit a return</a>"), "the service's name: {header}");
    assert!(!plain.contains("govuk-header__logotype") && !plain.contains("govuk-footer__crown"));
    assert!(!plain.contains("Crown copyright") && plain.contains("© Department for Examples"));

    let config = formwork_web::Config {
        base_url: app.base.clone(),
        oidc: None,
        max_upload_bytes: 1024 * 1024,
        header_read_timeout: Duration::from_secs(10),
        body_read_timeout: Duration::from_secs(10),
        trust_forwarded_for: false,
        metrics_token: None,
        brand: formwork_web::Brand::Govuk,
        organisation_name: Some("Department for Examples".into()),
    };
    let state = formwork_web::AppState::new(app.app().clone(), Files::from_url("memory://").unwrap(), config);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(formwork_web::serve(listener, state, std::future::pending()));
    let govuk = crate::support::Client::new(&base).get("/cookies").await.text;
    let header = govuk.split("</header>").next().unwrap();
    assert!(header.contains("govuk-header__logotype") && !header.contains("govuk-generic-header"));
    assert!(header.contains(">Submit a return</a>"), "the service's name: {header}");
    assert!(govuk.contains("govuk-footer__crown") && govuk.contains("© Crown copyright"));
}

#[tokio::test]
async fn health_readiness_and_metrics() {
    let app = TestApp::on(Backend::Sqlite).await;
    assert_eq!(app.client().get("/healthz").await.json()["status"], "ok");
    let ready = app.client().get("/readyz").await;
    assert_eq!(ready.status, 200);
    assert_eq!(ready.json(), serde_json::json!({"status": "ready", "database": "ok", "storage": "ok"}));
    app.client().get("/organisations/x").await;
    let metrics = app.client().get("/metrics").await;
    assert_eq!(metrics.header("content-type"), "text/plain; version=0.0.4; charset=utf-8");
    assert!(
        metrics.text.contains(
            "formwork_http_requests_total{method=\"GET\",route=\"/organisations/{slug}\",status=\"303\"} 1"
        ),
        "{}",
        metrics.text
    );
    assert!(
        metrics
            .text
            .contains("formwork_http_request_duration_seconds_bucket{route=\"/readyz\",le=\"+Inf\"} 1")
    );
    assert!(
        metrics.text.contains("formwork_jobs_waiting 0") && metrics.text.contains("formwork_jobs_failed 0")
    );
}

#[tokio::test]
async fn files_are_kept_in_a_real_s3_compatible_store() {
    // The S3 client is made before any app: install the TLS provider it needs first.
    crate::support::tls();
    let server = S3Server::start("formwork-test").await;
    let files =
        Files::s3_at(&server.endpoint, "formwork-test", "instance-a", ACCESS_KEY, SECRET_KEY).unwrap();
    files.put("uploads/1/returns.csv", b"a,b\n1,2\n".to_vec()).await.unwrap();
    assert_eq!(files.get("uploads/1/returns.csv").await.unwrap(), b"a,b\n1,2\n");
    assert!(
        server.root.path().join("formwork-test/instance-a/uploads/1/returns.csv").exists(),
        "stored under the prefix, in the bucket"
    );
    files.delete("uploads/1/returns.csv").await.unwrap();
    assert!(matches!(files.get("uploads/1/returns.csv").await, Err(formwork_files::FilesError::NotFound(_))));
    let app = TestApp::builder().storage(Storage::Files(files)).start().await;
    assert_eq!(app.client().get("/readyz").await.json()["storage"], "ok");
    let wrong = Files::s3_at(&server.endpoint, "formwork-test", "", ACCESS_KEY, "not-the-secret").unwrap();
    let app = TestApp::builder().storage(Storage::Files(wrong)).start().await;
    let ready = app.client().get("/readyz").await;
    assert_eq!((ready.status, ready.json()["storage"].as_str()), (503, Some("unavailable")));
}

#[tokio::test]
async fn a_database_that_goes_away_gives_503_then_recovers_by_itself() {
    let db = TestDatabase::postgres(NOW).await.unwrap();
    let proxy = Proxy::start("127.0.0.1:5432").await;
    let url = db.url.replace("127.0.0.1:5432", &proxy.address);
    let app = TestApp::builder().database_url(url).start().await;
    app.seed().await;
    let token = app.token("admin@staff.test").await;
    let client = app.client();
    assert_eq!(client.api(Method::GET, "/api/v1/organisations", &token, None).await.status, 200);

    proxy.cut();
    let ready = client.get("/readyz").await;
    assert_eq!((ready.status, ready.json()["database"].as_str()), (503, Some("unavailable")));
    assert_eq!(ready.header("retry-after"), "5");
    let api = client.api(Method::GET, "/api/v1/organisations", &token, None).await;
    assert_eq!((api.status, api.code().as_str()), (503, "unavailable"));
    assert!(!api.text.contains("5432") && !api.text.contains("connection"), "no internals: {}", api.text);
    let page = client.get("/sign-in").await;
    assert_eq!(page.status, 200, "pages that need no data still work");
    let signed = app.client().sign_in("admin@staff.test", crate::support::PASSWORD).await;
    assert_eq!(signed.status, 503);
    assert!(signed.text.contains("Sorry, the service is unavailable"));
    assert_eq!(client.get("/healthz").await.status, 200, "the process itself is healthy");

    proxy.restore();
    let mut recovered = false;
    for _ in 0..50 {
        if client.get("/readyz").await.status == 200 {
            recovered = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(recovered, "ready again without a restart");
    assert_eq!(client.api(Method::GET, "/api/v1/organisations", &token, None).await.status, 200);
    drop(app);
    drop(db);
}

#[tokio::test]
async fn in_production_cookies_are_secure_hsts_is_sent_and_metrics_need_their_token() {
    let app = TestApp::on(Backend::Sqlite).await;
    app.seed().await;
    let config = formwork_web::Config {
        base_url: "https://returns.example.gov.uk".into(),
        oidc: None,
        max_upload_bytes: 1024 * 1024,
        header_read_timeout: Duration::from_secs(10),
        body_read_timeout: Duration::from_secs(10),
        trust_forwarded_for: false,
        metrics_token: Some("a-metrics-token-for-the-scraper".into()),
        brand: formwork_web::Brand::Plain,
        organisation_name: None,
    };
    let state = formwork_web::AppState::new(app.app().clone(), Files::from_url("memory://").unwrap(), config);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(formwork_web::serve(listener, state, std::future::pending()));
    let client = crate::support::Client::new(&base);
    let page = client.get("/sign-in").await;
    assert_eq!(page.header("strict-transport-security"), "max-age=31536000; includeSubDomains");
    let csrf_cookie = page.header("set-cookie");
    assert!(
        csrf_cookie.starts_with("__Host-formwork_csrf=") && csrf_cookie.contains("; Secure"),
        "{csrf_cookie}"
    );
    let token = client.cookie("__Host-formwork_csrf").unwrap();
    let signed = client
        .form_raw(
            "/sign-in",
            &[
                ("email", "editor@northshire.test"),
                ("password", crate::support::PASSWORD),
                ("csrf_token", &token),
            ],
        )
        .await;
    assert_eq!(signed.status, 303);
    let session = signed
        .headers
        .get_all("set-cookie")
        .iter()
        .map(|v| v.to_str().unwrap().to_string())
        .find(|c| c.starts_with("__Host-formwork_session="))
        .unwrap();
    assert!(
        session.contains("HttpOnly") && session.contains("SameSite=Lax") && session.contains("Secure"),
        "{session}"
    );

    // With METRICS_TOKEN set, /metrics is only for a scraper that sends it; a session is no use.
    let metrics = client.get("/metrics").await;
    assert_eq!(metrics.status, 401);
    assert_eq!(metrics.header("www-authenticate"), "Bearer realm=\"metrics\"");
    let wrong = client.send(Method::GET, "/metrics", &[("authorization", "Bearer a-guess")], None).await;
    assert_eq!(wrong.status, 401);
    let scraper = crate::support::Client::new(&base);
    let metrics = scraper
        .send(Method::GET, "/metrics", &[("authorization", "Bearer a-metrics-token-for-the-scraper")], None)
        .await;
    assert_eq!(metrics.status, 200);
    assert!(metrics.text.contains("formwork_http_requests_total"), "{}", metrics.text);
}

#[tokio::test]
async fn uploads_larger_than_allowed_are_refused_with_413() {
    let app = TestApp::on(Backend::Sqlite).await;
    app.seed().await;
    let admin = app.signed_in("admin@staff.test").await;
    let big = "x".repeat(6 * 1024 * 1024);
    let reply = admin.form("/collections/publish", &[("definition", &big)]).await;
    assert_eq!(reply.status, 413);
    assert!(reply.text.contains("too large"), "{}", &reply.text[..reply.text.len().min(500)]);
}

/// Send `request` on a new connection, then read until the server answers and closes, or
/// `wait` passes: what arrived, and whether the connection was closed.
async fn raw(app: &TestApp, request: &[u8], wait: Duration) -> (String, bool) {
    use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
    let mut stream = tokio::net::TcpStream::connect(app.base.trim_start_matches("http://")).await.unwrap();
    stream.write_all(request).await.unwrap();
    let mut received = Vec::new();
    let closed = tokio::time::timeout(wait, async {
        let mut buffer = [0u8; 4096];
        loop {
            match stream.read(&mut buffer).await {
                Ok(0) | Err(_) => break,
                Ok(n) => received.extend_from_slice(&buffer[..n]),
            }
        }
    })
    .await
    .is_ok();
    (String::from_utf8_lossy(&received).into_owned(), closed)
}

#[tokio::test]
async fn bodies_over_the_limit_are_refused_before_they_are_read() {
    let app = TestApp::on(Backend::Sqlite).await;
    app.seed().await;
    let token = app.token("admin@staff.test").await;
    let json = format!("{{\"name\": \"{}\"}}", "x".repeat(6 * 1024 * 1024));
    let auth = format!("Bearer {token}");
    let reply = app
        .client()
        .send(
            Method::POST,
            "/api/v1/organisations",
            &[("authorization", &auth)],
            Some((json.into_bytes(), "application/json")),
        )
        .await;
    assert_eq!((reply.status, reply.code().as_str()), (413, "too_large"), "{}", reply.text);
    assert!(reply.json()["error"]["message"].as_str().unwrap().contains("5 MB"), "{}", reply.text);
    // A body of 100 GB is announced and never sent: the answer comes at once.
    let request = format!(
        "POST /api/v1/organisations HTTP/1.1\r\nHost: formwork\r\nAuthorization: {auth}\r\n\
         Content-Type: application/json\r\nContent-Length: 107374182400\r\n\r\n{{"
    );
    let (answer, closed) = raw(&app, request.as_bytes(), Duration::from_secs(5)).await;
    assert!(answer.starts_with("HTTP/1.1 413"), "{answer}");
    assert!(answer.contains("\"too_large\"") && answer.contains("connection: close"), "{answer}");
    assert!(closed, "the connection is closed: the body was not read");
}

#[tokio::test]
async fn clients_that_stop_sending_are_cut_off() {
    let app = TestApp::builder().read_timeout(Duration::from_millis(300)).start().await;
    // Headers that never finish: the connection is closed, without an answer.
    let (answer, closed) =
        raw(&app, b"GET /healthz HTTP/1.1\r\nHost: formwork\r\nX-Slow: ", Duration::from_secs(5)).await;
    assert!(closed, "a request whose headers never finish is not kept open");
    assert_eq!(answer, "");
    // A body that stops arriving: 408, and the connection is closed.
    let page = app.client();
    page.get("/sign-in").await;
    let csrf = page.cookie("formwork_csrf").unwrap();
    let request = format!(
        "POST /sign-in HTTP/1.1\r\nHost: formwork\r\nCookie: formwork_csrf={csrf}\r\n\
         Content-Type: application/x-www-form-urlencoded\r\nContent-Length: 100\r\n\r\nemail=a"
    );
    let (answer, closed) = raw(&app, request.as_bytes(), Duration::from_secs(5)).await;
    assert!(answer.starts_with("HTTP/1.1 408"), "{answer}");
    assert!(answer.contains("took too long to arrive") && answer.contains("connection: close"), "{answer}");
    assert!(closed);
    // A client that keeps to the time is served as usual.
    assert_eq!(app.client().get("/healthz").await.status, 200);
}
