//! `formwork healthcheck` as a container engine runs it: 0 while `formwork serve` answers, 1 when
//! nothing does, whatever the reason, and never longer than its timeout.

use std::net::TcpListener;
use std::time::{Duration, Instant};

use super::service::{Server, free_port, run_in, text};

#[test]
fn healthcheck_is_healthy_while_serve_answers() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(dir.path(), &[], &[]);
    let address = server.base.trim_start_matches("http://").to_string();
    let port = address.rsplit_once(':').unwrap().1.to_string();
    // In the image BIND is 0.0.0.0:8080: the check asks the loopback at BIND's port.
    let any = format!("0.0.0.0:{port}");
    let o = run_in(dir.path(), &[("BIND", &any)], &["healthcheck"], None);
    assert_eq!(o.status.code(), Some(0), "{}{}", text(&o.stdout), text(&o.stderr));
    assert_eq!(text(&o.stdout).trim(), format!("healthy: http://127.0.0.1:{port}/healthz answered 200"));
    let o = run_in(dir.path(), &[("BIND", &address)], &["healthcheck", "--ready"], None);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stdout));
    assert!(text(&o.stdout).contains("/readyz answered 200"), "{}", text(&o.stdout));
    // Any answer but 200 is unhealthy, and says what it was.
    let url = format!("{}/no-such-page", server.base);
    let o = run_in(dir.path(), &[], &["healthcheck", "--url", &url], None);
    assert_eq!(o.status.code(), Some(1), "{}", text(&o.stdout));
    assert!(text(&o.stdout).starts_with(&format!("unhealthy: {url} answered 404")), "{}", text(&o.stdout));
    assert_eq!(server.stop(), Some(0));
    // Stopped: nothing listens there any more.
    let o = run_in(dir.path(), &[("BIND", &address)], &["healthcheck"], None);
    assert_eq!(o.status.code(), Some(1), "{}", text(&o.stdout));
    assert!(text(&o.stdout).starts_with("unhealthy: nothing answers at"), "{}", text(&o.stdout));
}

#[test]
fn healthcheck_is_unhealthy_when_nothing_answers_in_time_or_the_url_is_wrong() {
    let dir = tempfile::tempdir().unwrap();
    let address = format!("127.0.0.1:{}", free_port());
    let o = run_in(dir.path(), &[("BIND", &address)], &["healthcheck"], None);
    assert_eq!(o.status.code(), Some(1), "{}", text(&o.stdout));
    assert!(text(&o.stdout).starts_with("unhealthy: nothing answers at"), "{}", text(&o.stdout));
    // A server that takes the connection and never answers: the check gives up at its timeout.
    let silent = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}/healthz", silent.local_addr().unwrap());
    let started = Instant::now();
    let o = run_in(dir.path(), &[], &["healthcheck", "--url", &url, "--timeout-seconds", "1"], None);
    assert!(started.elapsed() < Duration::from_secs(5), "it waited {:?}", started.elapsed());
    assert_eq!(o.status.code(), Some(1), "{}", text(&o.stdout));
    assert!(text(&o.stdout).starts_with("unhealthy:"), "{}", text(&o.stdout));
    drop(silent);
    // A URL it cannot use is unhealthy too (exit 1): a container engine keeps 2 for itself.
    let o = run_in(dir.path(), &[], &["healthcheck", "--url", "https://example.invalid/healthz"], None);
    assert_eq!(o.status.code(), Some(1), "{}", text(&o.stdout));
    assert!(text(&o.stdout).contains("--url must start with http://"), "{}", text(&o.stdout));
}
