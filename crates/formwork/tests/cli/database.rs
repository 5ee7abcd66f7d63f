//! How formwork is told where its PostgreSQL database is, as a container platform tells it: the
//! password on its own in `DATABASE_PASSWORD` (from a secrets store) beside a `DATABASE_URL`
//! without one, or the standard `PG*` variables filling in what the URL leaves out.

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::Path;
use std::sync::mpsc;
use std::time::Duration;

use formwork_store::testing::TestDatabase;

use super::service::{run_in, text};

/// What a client said to [`fake_postgres`] before it asked for a password and refused it.
#[derive(Debug)]
struct Handshake {
    /// Whether the client asked for TLS first (`sslmode=prefer`, the default for a host other
    /// than loopback).
    asked_for_tls: bool,
    /// The startup message's parameters, as `name=value`.
    parameters: Vec<String>,
    /// The password, exactly as sent.
    password: String,
}

/// A stand-in for a PostgreSQL server that asks each client for a cleartext password and then
/// refuses it: the way to see which user, database and password formwork sends (the test server
/// trusts every local connection, so any password would do there).
fn fake_postgres() -> (u16, mpsc::Receiver<Handshake>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let (sender, handshakes) = mpsc::channel();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { continue };
            if let Some(handshake) = handshake(&mut stream)
                && sender.send(handshake).is_err()
            {
                break;
            }
        }
    });
    (port, handshakes)
}

fn read_message(stream: &mut TcpStream) -> Option<Vec<u8>> {
    let mut length = [0u8; 4];
    stream.read_exact(&mut length).ok()?;
    let length = usize::try_from(u32::from_be_bytes(length)).ok()?.checked_sub(4)?;
    let mut body = vec![0u8; length];
    stream.read_exact(&mut body).ok()?;
    Some(body)
}

fn handshake(stream: &mut TcpStream) -> Option<Handshake> {
    const SSL_REQUEST: [u8; 4] = 80_877_103u32.to_be_bytes();
    const GSS_REQUEST: [u8; 4] = 80_877_104u32.to_be_bytes();
    stream.set_read_timeout(Some(Duration::from_secs(10))).ok()?;
    let mut asked_for_tls = false;
    let startup = loop {
        let body = read_message(stream)?;
        match body.get(..4)? {
            code if code == SSL_REQUEST || code == GSS_REQUEST => {
                asked_for_tls |= code == SSL_REQUEST;
                stream.write_all(b"N").ok()?;
            }
            _ => break body,
        }
    };
    let fields: Vec<String> =
        startup[4..].split(|b| *b == 0).map(|f| String::from_utf8_lossy(f).into_owned()).collect();
    let parameters =
        fields.chunks(2).filter(|p| p.len() == 2 && !p[0].is_empty()).map(|p| p.join("=")).collect();
    // AuthenticationCleartextPassword, then the client's PasswordMessage.
    stream.write_all(&[b'R', 0, 0, 0, 8, 0, 0, 0, 3]).ok()?;
    let mut tag = [0u8; 1];
    stream.read_exact(&mut tag).ok()?;
    let body = read_message(stream)?;
    let password = String::from_utf8(body.strip_suffix(&[0])?.to_vec()).ok()?;
    let mut refusal = b"SFATAL\0C28P01\0Mpassword authentication failed\0\0".to_vec();
    let length = u32::try_from(refusal.len() + 4).ok()?.to_be_bytes();
    refusal.splice(0..0, [b'E', length[0], length[1], length[2], length[3]]);
    let _ = stream.write_all(&refusal);
    (tag == [b'p']).then_some(Handshake { asked_for_tls, parameters, password })
}

/// Run `formwork migrate` against the fake server with `env`; what the server saw, and the
/// command's standard error.
fn migrate_against_fake(
    dir: &Path,
    env: &[(&str, &str)],
    handshakes: &mpsc::Receiver<Handshake>,
) -> (Handshake, String) {
    let o = run_in(dir, env, &["migrate"], None);
    assert_eq!(o.status.code(), Some(2), "the fake server refuses every password: {}", text(&o.stderr));
    let seen = handshakes.recv_timeout(Duration::from_secs(10)).expect("formwork connected");
    while handshakes.try_recv().is_ok() {}
    (seen, text(&o.stderr))
}

#[test]
fn database_password_reaches_postgres_exactly_as_given() {
    let dir = tempfile::tempdir().unwrap();
    let (port, handshakes) = fake_postgres();
    let password = "p@ss:w/rd%41 + é?#&=";
    let url = format!("postgres://formwork@127.0.0.1:{port}/returns");
    let (seen, errors) = migrate_against_fake(
        dir.path(),
        &[("DATABASE_URL", &url), ("DATABASE_PASSWORD", password)],
        &handshakes,
    );
    assert_eq!(seen.password, password);
    assert!(seen.parameters.contains(&"user=formwork".to_string()), "{seen:?}");
    assert!(seen.parameters.contains(&"database=returns".to_string()), "{seen:?}");
    assert!(!seen.asked_for_tls, "no TLS to a loopback host unless the URL asks for it");
    assert!(
        errors.contains(&format!(
            "cannot reach or migrate the database at postgres://formwork:***@127.0.0.1:{port}/returns"
        )),
        "{errors}"
    );
    assert!(!errors.contains("p@ss") && !errors.contains("p%40ss"), "the password is never shown: {errors}");

    // An sslmode the operator gives is kept, on loopback too.
    let url = format!("{url}?sslmode=prefer");
    let (seen, _) = migrate_against_fake(
        dir.path(),
        &[("DATABASE_URL", &url), ("DATABASE_PASSWORD", password)],
        &handshakes,
    );
    assert!(seen.asked_for_tls, "sslmode=prefer, as given");
    assert_eq!(seen.password, password);
}

#[test]
fn pg_variables_fill_in_what_database_url_leaves_out() {
    let dir = tempfile::tempdir().unwrap();
    let (port, handshakes) = fake_postgres();
    let port = port.to_string();
    let pg = [
        ("PGHOST", "127.0.0.1"),
        ("PGPORT", port.as_str()),
        ("PGUSER", "pg-user"),
        ("PGDATABASE", "pg-database"),
        ("PGPASSWORD", "pg-password"),
        ("PGSSLMODE", "disable"),
    ];
    // All of it from PG*.
    let mut env = vec![("DATABASE_URL", "postgres://")];
    env.extend(pg);
    let (seen, errors) = migrate_against_fake(dir.path(), &env, &handshakes);
    assert_eq!(seen.password, "pg-password");
    assert!(seen.parameters.contains(&"user=pg-user".to_string()), "{seen:?}");
    assert!(seen.parameters.contains(&"database=pg-database".to_string()), "{seen:?}");
    assert!(!seen.asked_for_tls, "PGSSLMODE=disable");
    assert!(!errors.contains("pg-password"), "{errors}");
    // DATABASE_PASSWORD is taken before PGPASSWORD, and the URL's parts before PG*'s.
    let url = format!("postgres://formwork@127.0.0.1:{port}/returns");
    env.extend([("DATABASE_URL", url.as_str()), ("DATABASE_PASSWORD", "from-secrets-store")]);
    let (seen, _) = migrate_against_fake(dir.path(), &env, &handshakes);
    assert_eq!(seen.password, "from-secrets-store");
    assert!(seen.parameters.contains(&"user=formwork".to_string()), "{seen:?}");
    assert!(seen.parameters.contains(&"database=returns".to_string()), "{seen:?}");
    // With no host in the URL, DATABASE_PASSWORD still wins (it goes as the password parameter).
    env.push(("DATABASE_URL", "postgres://"));
    let (seen, errors) = migrate_against_fake(dir.path(), &env, &handshakes);
    assert_eq!(seen.password, "from-secrets-store");
    assert!(seen.parameters.contains(&"user=pg-user".to_string()), "{seen:?}");
    assert!(errors.contains("postgres://?password=***"), "{errors}");
    assert!(!errors.contains("from-secrets-store"), "{errors}");
}

#[test]
fn migrate_connects_to_postgres_with_database_password() {
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    let db = runtime
        .block_on(TestDatabase::postgres(0))
        .expect("PostgreSQL must be running: scripts/setup starts it");
    let dir = tempfile::tempdir().unwrap();
    // The test server trusts local connections: any password is accepted, so what is checked here
    // is that a URL with the password set into it still reaches the right database (the exact
    // password sent is checked against the fake server above).
    let env = [("DATABASE_URL", db.url.as_str()), ("DATABASE_PASSWORD", "p@ss word%41")];
    let o = run_in(dir.path(), &env, &["migrate"], None);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    assert!(text(&o.stdout).contains("the database is up to date"), "{}", text(&o.stdout));
    // The same database named by PG* alone, with DATABASE_PASSWORD.
    let parsed = url::Url::parse(&db.url).unwrap();
    let port = parsed.port().unwrap_or(5432).to_string();
    let database = parsed.path().trim_start_matches('/').to_string();
    let url = format!("postgres://?{}", parsed.query().unwrap_or_default());
    let env = [
        ("DATABASE_URL", url.as_str()),
        ("DATABASE_PASSWORD", "p@ss word%41"),
        ("PGHOST", parsed.host_str().unwrap()),
        ("PGPORT", port.as_str()),
        ("PGUSER", parsed.username()),
        ("PGDATABASE", database.as_str()),
    ];
    let o = run_in(dir.path(), &env, &["migrate"], None);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    assert!(text(&o.stdout).contains("the database is up to date"), "{}", text(&o.stdout));
    assert!(!dir.path().join("data/formwork.db").exists(), "nothing was written to SQLite");
    drop(db);
}

#[test]
fn database_password_is_refused_beside_another_password_or_sqlite() {
    let dir = tempfile::tempdir().unwrap();
    let o = run_in(
        dir.path(),
        &[("DATABASE_URL", "postgres://formwork:hunter2@db.invalid/f"), ("DATABASE_PASSWORD", "hunter3")],
        &["migrate"],
        None,
    );
    assert_eq!(o.status.code(), Some(2));
    let errors = text(&o.stderr);
    assert!(errors.contains("DATABASE_URL has a password and DATABASE_PASSWORD is set too"), "{errors}");
    assert!(!errors.contains("hunter"), "{errors}");
    let o = run_in(dir.path(), &[("DATABASE_PASSWORD", "hunter3")], &["serve"], None);
    assert_eq!(o.status.code(), Some(2));
    let errors = text(&o.stderr);
    assert!(
        errors.contains("DATABASE_PASSWORD is set, but DATABASE_URL is not a postgres:// URL"),
        "{errors}"
    );
    assert!(!dir.path().join("data/formwork.db").exists(), "it stopped before opening SQLite");
}

#[test]
fn help_never_shows_a_secret_from_the_environment() {
    let dir = tempfile::tempdir().unwrap();
    let env = [
        ("DATABASE_URL", "postgres://formwork:hunter1@db/f"),
        ("DATABASE_PASSWORD", "hunter2"),
        ("SMTP_URL", "smtp://mail:hunter3@smtp.example:587"),
        ("OIDC_CLIENT_SECRET", "hunter4"),
        ("METRICS_TOKEN", "hunter5hunter5hunter5"),
    ];
    for command in [&["serve", "--help"][..], &["worker", "--help"], &["migrate", "--help"]] {
        let o = run_in(dir.path(), &env, command, None);
        let help = text(&o.stdout);
        assert!(help.contains("[env: DATABASE_PASSWORD]"), "{help}");
        assert!(!help.contains("hunter"), "{command:?} shows a secret:\n{help}");
    }
}
