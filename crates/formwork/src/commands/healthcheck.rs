//! `formwork healthcheck`: ask the web service on this machine whether it answers, for a
//! container's `HEALTHCHECK` (the image has no shell or curl). A few lines of HTTP/1.1 over a
//! `TcpStream` with a deadline are all it needs: no HTTP client, no async runtime.
//!
//! Exit status: 0 healthy, 1 anything else — a container engine reads 1 as unhealthy (and keeps 2
//! for itself), so even a `--url` that cannot be used exits 1.

use std::io::{Read as _, Write as _};
use std::net::{SocketAddr, TcpStream, ToSocketAddrs as _};
use std::process::ExitCode;
use std::time::{Duration, Instant};

/// The most of an answer read: its status line and enough of its body to quote.
const MOST_READ: usize = 16 * 1024;

/// `formwork healthcheck`.
#[derive(clap::Args, Clone, Debug)]
pub struct Args {
    /// Ask `/readyz` (the database and storage answer too) rather than `/healthz` (the web
    /// service answers).
    #[arg(long)]
    pub ready: bool,
    /// The URL to ask, `http://HOST:PORT/PATH`. Default: `/healthz` (or `/readyz`) at the `BIND`
    /// address, with `0.0.0.0` and `[::]` asked at `127.0.0.1` and `[::1]`.
    #[arg(long)]
    pub url: Option<String>,
    /// The address `formwork serve` listens on (its `BIND`).
    #[arg(long, env = "BIND", default_value = "127.0.0.1:8080")]
    pub bind: SocketAddr,
    /// How long to wait for the answer, in seconds.
    #[arg(long, default_value_t = 3)]
    pub timeout_seconds: u64,
}

/// Run `formwork healthcheck`: print one line saying what answered, exit 0 for a 200 and 1
/// otherwise.
pub fn run(args: &Args) -> ExitCode {
    let url = args.url.clone().unwrap_or_else(|| {
        let path = if args.ready { "/readyz" } else { "/healthz" };
        format!("http://{}{path}", local(args.bind))
    });
    let timeout = Duration::from_secs(args.timeout_seconds.max(1));
    match ask(&url, timeout) {
        Ok(answer) if answer.status == 200 => {
            println!("healthy: {url} answered 200");
            ExitCode::SUCCESS
        }
        Ok(answer) => {
            println!("unhealthy: {url} answered {}: {}", answer.status, answer.body);
            ExitCode::FAILURE
        }
        Err(problem) => {
            println!("unhealthy: {problem}");
            ExitCode::FAILURE
        }
    }
}

/// The address to reach a server that listens on `bind` from the same machine.
fn local(bind: SocketAddr) -> SocketAddr {
    let mut address = bind;
    if bind.ip().is_unspecified() {
        address.set_ip(match bind {
            SocketAddr::V4(_) => std::net::Ipv4Addr::LOCALHOST.into(),
            SocketAddr::V6(_) => std::net::Ipv6Addr::LOCALHOST.into(),
        });
    }
    address
}

/// What a server answered: its status and the start of its body, on one line.
#[derive(Debug, PartialEq, Eq)]
struct Answer {
    status: u16,
    body: String,
}

/// An `http://` URL taken apart: the `host:port` to connect to and send as `Host`, and the path.
#[derive(Debug, PartialEq, Eq)]
struct Target {
    authority: String,
    path: String,
}

fn target(url: &str) -> Result<Target, String> {
    let rest =
        url.strip_prefix("http://").ok_or_else(|| format!("--url must start with http://: “{url}”"))?;
    let (authority, path) = match rest.find('/') {
        Some(slash) => (&rest[..slash], &rest[slash..]),
        None => (rest, "/"),
    };
    if authority.is_empty() || authority.contains('@') {
        return Err(format!("--url must name a host and no user: “{url}”"));
    }
    // A port is given after the last colon, unless that colon is inside an IPv6 address.
    let has_port = authority.rsplit_once(':').is_some_and(|(_, port)| !port.contains(']'));
    let authority = if has_port { authority.to_string() } else { format!("{authority}:80") };
    Ok(Target { authority, path: path.to_string() })
}

/// GET `url` within `timeout`, over one connection closed after the answer.
fn ask(url: &str, timeout: Duration) -> Result<Answer, String> {
    let target = target(url)?;
    let deadline = Instant::now() + timeout;
    let addresses: Vec<SocketAddr> = target
        .authority
        .to_socket_addrs()
        .map_err(|e| format!("cannot find {} ({e})", target.authority))?
        .collect();
    let mut stream = None;
    let mut failure = format!("{} has no address", target.authority);
    for address in addresses {
        match TcpStream::connect_timeout(&address, remaining(deadline)?) {
            Ok(connected) => {
                stream = Some(connected);
                break;
            }
            Err(e) => failure = format!("nothing answers at {url} ({e})"),
        }
    }
    let mut stream = stream.ok_or(failure)?;
    let request = format!(
        "GET {} HTTP/1.1\r\nHost: {}\r\nUser-Agent: formwork-healthcheck\r\nAccept: */*\r\nConnection: close\r\n\r\n",
        target.path, target.authority
    );
    stream
        .set_write_timeout(Some(remaining(deadline)?))
        .and_then(|()| stream.write_all(request.as_bytes()))
        .map_err(|e| format!("cannot send the request to {url} ({e})"))?;
    let mut received = Vec::new();
    let mut buffer = [0u8; 4096];
    while received.len() < MOST_READ {
        stream.set_read_timeout(Some(remaining(deadline)?)).map_err(|e| format!("{url}: {e}"))?;
        match stream.read(&mut buffer) {
            Ok(0) => break,
            Ok(n) => received.extend_from_slice(&buffer[..n]),
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) if received.is_empty() => return Err(format!("{url} did not answer ({e})")),
            // The status line is in: an answer that stops early is still an answer.
            Err(_) => break,
        }
    }
    parse(&received).ok_or_else(|| format!("{url} did not answer in HTTP"))
}

/// The time left before `deadline`, or the error that it has passed.
fn remaining(deadline: Instant) -> Result<Duration, String> {
    let left = deadline.saturating_duration_since(Instant::now());
    if left.is_zero() { Err("no answer in time".to_string()) } else { Ok(left) }
}

/// The status of an HTTP/1.x answer and its body's first line (up to 200 characters).
fn parse(received: &[u8]) -> Option<Answer> {
    let text = String::from_utf8_lossy(received);
    let status_line = text.lines().next()?;
    let mut words = status_line.split_whitespace();
    if !words.next()?.starts_with("HTTP/1.") {
        return None;
    }
    let status = words.next()?.parse().ok()?;
    let body = text.split_once("\r\n\r\n").map(|(_, body)| body).unwrap_or_default();
    let body = body.lines().find(|line| !line.trim().is_empty()).unwrap_or_default();
    Some(Answer { status, body: body.trim().chars().take(200).collect() })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn any_address_is_asked_on_the_loopback() {
        let local = |bind: &str| local(bind.parse().unwrap());
        assert_eq!(local("0.0.0.0:8080").to_string(), "127.0.0.1:8080");
        assert_eq!(local("[::]:8080").to_string(), "[::1]:8080");
        assert_eq!(local("10.0.0.7:9000").to_string(), "10.0.0.7:9000");
    }

    #[test]
    fn urls_are_taken_apart_with_their_port() {
        let t = |url: &str| target(url).map(|t| (t.authority, t.path));
        assert_eq!(t("http://127.0.0.1:8080/readyz"), Ok(("127.0.0.1:8080".into(), "/readyz".into())));
        assert_eq!(t("http://localhost"), Ok(("localhost:80".into(), "/".into())));
        assert_eq!(t("http://[::1]:8080/healthz"), Ok(("[::1]:8080".into(), "/healthz".into())));
        assert_eq!(t("http://[::1]/healthz"), Ok(("[::1]:80".into(), "/healthz".into())));
        assert!(t("https://example.gov.uk/").is_err());
        assert!(t("http:///healthz").is_err());
        assert!(t("http://user:secret@host/").is_err());
    }

    #[test]
    fn an_answer_is_its_status_and_the_first_line_of_its_body() {
        let answer = parse(
            b"HTTP/1.1 503 Service Unavailable\r\ncontent-type: application/json\r\nretry-after: 5\r\n\r\n{\"status\":\"unavailable\",\"database\":\"unavailable\"}",
        );
        assert_eq!(
            answer,
            Some(Answer {
                status: 503,
                body: "{\"status\":\"unavailable\",\"database\":\"unavailable\"}".into()
            })
        );
        assert_eq!(parse(b"HTTP/1.1 200 OK\r\n\r\n").map(|a| a.status), Some(200));
        assert_eq!(parse(b"SSH-2.0-OpenSSH_9.2\r\n"), None);
        assert_eq!(parse(b""), None);
    }
}
