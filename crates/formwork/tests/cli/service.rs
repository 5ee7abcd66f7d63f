//! `formwork serve`, `migrate` and `admin` as an operator runs them: real processes, on SQLite
//! with no configuration and on PostgreSQL.

use std::io::{BufRead, BufReader, Write};
use std::net::TcpListener;
use std::path::Path;
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use formwork_store::testing::TestDatabase;

fn example(name: &str) -> String {
    super::root().join("examples").join(format!("{name}.yaml")).display().to_string()
}

/// The variables formwork reads that a test's own environment might set: each test gives its own.
pub(super) const SETTINGS: [&str; 15] = [
    "DATABASE_URL",
    "DATABASE_PASSWORD",
    "PGHOST",
    "PGHOSTADDR",
    "PGPORT",
    "PGUSER",
    "PGPASSWORD",
    "PGDATABASE",
    "PGSSLMODE",
    "STORAGE_URL",
    "SMTP_URL",
    "BASE_URL",
    "OIDC_ISSUER",
    "OIDC_CLIENT_ID",
    "OIDC_CLIENT_SECRET",
];

/// `formwork ARGS` in `dir`, with `env` and nothing else of the test's environment that formwork reads.
pub(super) fn run_in(dir: &Path, env: &[(&str, &str)], args: &[&str], stdin: Option<&str>) -> Output {
    let mut command = Command::new(env!("CARGO_BIN_EXE_formwork"));
    command.args(args).current_dir(dir).stdin(Stdio::piped()).stdout(Stdio::piped()).stderr(Stdio::piped());
    command.env_remove("BIND");
    for name in SETTINGS {
        command.env_remove(name);
    }
    command.envs(env.iter().copied());
    let mut child = command.spawn().expect("run formwork");
    if let Some(text) = stdin {
        child.stdin.take().unwrap().write_all(text.as_bytes()).unwrap();
    }
    drop(child.stdin.take());
    child.wait_with_output().unwrap()
}

pub(super) fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

pub(super) fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

/// A `formwork serve` process, stopped with SIGTERM when dropped.
pub(super) struct Server {
    child: Child,
    log: std::path::PathBuf,
    pub(super) base: String,
    stdout: Vec<String>,
}

impl Server {
    pub(super) fn start(dir: &Path, env: &[(&str, &str)], extra: &[&str]) -> Server {
        let port = free_port();
        let bind = format!("127.0.0.1:{port}");
        let mut command = Command::new(env!("CARGO_BIN_EXE_formwork"));
        let log = std::fs::File::create(dir.join("serve.log")).unwrap();
        command
            .arg("serve")
            .args(extra)
            .current_dir(dir)
            .env("BIND", &bind)
            .stdout(Stdio::piped())
            .stderr(log);
        for name in SETTINGS {
            command.env_remove(name);
        }
        command.envs(env.iter().copied());
        let started = Instant::now();
        let mut child = command.spawn().unwrap();
        let base = format!("http://{bind}");
        let mut stdout = Vec::new();
        if extra.contains(&"--demo") {
            let reader = BufReader::new(child.stdout.take().unwrap());
            for line in reader.lines() {
                let line = line.unwrap();
                let done = line.starts_with("Emails");
                stdout.push(line);
                if done {
                    break;
                }
            }
        }
        while std::net::TcpStream::connect(&bind).is_err() {
            assert!(started.elapsed() < Duration::from_secs(30), "formwork serve did not start");
            std::thread::sleep(Duration::from_millis(20));
        }
        Server { child, base, stdout, log: dir.join("serve.log") }
    }

    /// Stop with SIGTERM, as a service manager does; the exit status.
    pub(super) fn stop(mut self) -> Option<i32> {
        let _ = Command::new("kill").arg("-TERM").arg(self.child.id().to_string()).status();
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                if status.code() != Some(0) {
                    eprintln!(
                        "formwork serve ended with {status}:\n{}",
                        std::fs::read_to_string(&self.log).unwrap_or_default()
                    );
                }
                return status.code();
            }
            assert!(Instant::now() < deadline, "formwork serve did not stop");
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
    }
}

fn client() -> reqwest::Client {
    let _ = rustls::crypto::ring::default_provider().install_default();
    reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap()
}

/// Sign in through the sign-in form; the session cookie.
async fn sign_in(base: &str, email: &str, password: &str) -> Option<String> {
    let http = client();
    let page = http.get(format!("{base}/sign-in")).send().await.unwrap();
    let csrf =
        page.headers().get("set-cookie").unwrap().to_str().unwrap().split(';').next().unwrap().to_string();
    let token = csrf.split_once('=').unwrap().1.to_string();
    let reply = http
        .post(format!("{base}/sign-in"))
        .header("cookie", &csrf)
        .form(&[("email", email), ("password", password), ("csrf_token", &token)])
        .send()
        .await
        .unwrap();
    (reply.status() == 303).then(|| {
        reply
            .headers()
            .get_all("set-cookie")
            .iter()
            .map(|v| v.to_str().unwrap().split(';').next().unwrap().to_string())
            .find(|c| c.starts_with("formwork_session="))
            .unwrap()
    })
}

#[test]
fn serve_starts_on_sqlite_with_no_configuration_and_the_demo_sign_ins_work() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(dir.path(), &[], &["--demo"]);
    assert!(dir.path().join("data/formwork.db").exists(), "the SQLite database is made under ./data");
    let out = server.stdout.join("\n");
    let password = out.split("the password ").nth(1).unwrap().split_whitespace().next().unwrap().to_string();
    let emails: Vec<String> = server
        .stdout
        .iter()
        .filter_map(|l| l.split_whitespace().next())
        .filter(|w| w.contains('@'))
        .map(str::to_string)
        .collect();
    assert!(emails.len() >= 11, "a person per role: {out}");
    for role in [
        "admin@",
        "reviewer@",
        "analyst@",
        "org-admin@",
        "editor@",
        "finance@",
        "certifier@",
        "data-provider@",
        "data-coordinator@",
        "auditor-certifier@",
        "auditee-certifier@",
    ] {
        assert!(emails.iter().any(|e| e.starts_with(role)), "no demo person for {role}: {out}");
    }
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    runtime.block_on(async {
        for email in &emails {
            let session = sign_in(&server.base, email, &password).await;
            assert!(session.is_some(), "{email} cannot sign in with the printed password");
        }
        let session = sign_in(&server.base, "admin@demo.formwork.test", &password).await.unwrap();
        let collections = client()
            .get(format!("{}/collections", server.base))
            .header("cookie", session)
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert!(
            collections.contains("Towns Fund monitoring return")
                && collections.contains("Social housing lettings"),
            "{collections}"
        );
        let ready = client().get(format!("{}/readyz", server.base)).send().await.unwrap();
        assert_eq!(ready.status(), 200);
    });
    let log_file = server.log.clone();
    assert_eq!(server.stop(), Some(0), "SIGTERM stops it gracefully");
    let log = std::fs::read_to_string(log_file).unwrap();
    assert!(log.contains("applied a migration"), "{log}");
    assert!(!log.contains('\x1b'), "a log written to a file has no terminal colour codes:\n{log}");
    // Started again, the demo is still there, with a new password printed.
    let again = Server::start(dir.path(), &[], &["--demo"]);
    assert!(again.stdout.join("\n").contains("the password demo-"));
    assert_eq!(again.stop(), Some(0));
}

fn admin_session(dir: &Path, env: &[(&str, &str)]) {
    let admin = |args: &[&str], stdin: Option<&str>| {
        let mut all = vec!["admin"];
        all.extend_from_slice(args);
        run_in(dir, env, &all, stdin)
    };
    let o = admin(&["create-organisation", "--name", "Leeds City Council"], None);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    assert_eq!(text(&o.stdout).trim(), "leeds-city-council");
    let o = admin(&["create-organisation", "--name", "Leeds City Council"], None);
    assert_eq!(o.status.code(), Some(1));
    assert!(text(&o.stderr).contains("already exists"), "{}", text(&o.stderr));
    let o = admin(
        &[
            "create-user",
            "--email",
            "Chief@Example.gov.uk",
            "--name",
            "Chief Admin",
            "--password-stdin",
            "--staff",
            "admin",
        ],
        Some("a long admin passphrase\n"),
    );
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    assert_eq!(text(&o.stdout).trim(), "added chief@example.gov.uk (admin)");
    let o = admin(&["create-user", "--email", "weak@example.gov.uk", "--password-stdin"], Some("short\n"));
    assert_eq!(o.status.code(), Some(1));
    assert!(
        text(&o.stderr).contains("password: Password must be 10 characters or more"),
        "{}",
        text(&o.stderr)
    );
    assert_eq!(admin(&["create-user", "--email", "clerk@leeds.example"], None).status.code(), Some(0));
    let o = admin(&["publish", &example("towns-fund-monitoring")], None);
    assert_eq!(
        text(&o.stdout).trim(),
        "published towns-fund-monitoring version 1: Towns Fund monitoring return"
    );
    let o = admin(&["publish", "tests/fixtures/ten-mistakes.yaml"], None);
    assert_eq!(o.status.code(), Some(1));
    let errors = text(&o.stderr);
    assert!(
        errors.contains("tests/fixtures/ten-mistakes.yaml:") && errors.contains("nothing was published"),
        "{errors}"
    );
    // Roles come from the collections an organisation is assigned.
    let o = admin(
        &["assign", "--collection", "towns-fund-monitoring", "--organisation", "leeds-city-council"],
        None,
    );
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    let o = admin(
        &[
            "add-member",
            "--email",
            "clerk@leeds.example",
            "--organisation",
            "leeds-city-council",
            "--role",
            "editor,astronaut",
        ],
        None,
    );
    assert_eq!(o.status.code(), Some(1));
    assert!(text(&o.stderr).contains("“astronaut” is not a role"), "{}", text(&o.stderr));
    let o = admin(
        &[
            "add-member",
            "--email",
            "clerk@leeds.example",
            "--organisation",
            "leeds-city-council",
            "--role",
            "editor,org_admin",
        ],
        None,
    );
    assert_eq!(
        text(&o.stdout).trim(),
        "clerk@leeds.example is a member of leeds-city-council as editor, org_admin"
    );
    let o = admin(&["create-token", "--email", "clerk@leeds.example"], None);
    let token = text(&o.stdout);
    assert_eq!(token.lines().count(), 1, "only the token is printed");
    let token = token.trim().to_string();
    assert!(token.starts_with("fwk_"));

    let server = Server::start(dir, env, &[]);
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    runtime.block_on(async {
        let me: serde_json::Value = client()
            .get(format!("{}/api/v1/me", server.base))
            .bearer_auth(&token)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert_eq!(me["organisations"][0]["roles"], serde_json::json!(["editor", "org_admin"]));
        let collections: serde_json::Value = client()
            .get(format!("{}/api/v1/collections", server.base))
            .bearer_auth(&token)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert_eq!(collections[0]["slug"], "towns-fund-monitoring");
        assert!(sign_in(&server.base, "chief@example.gov.uk", "a long admin passphrase").await.is_some());
    });
    assert_eq!(server.stop(), Some(0));
}

#[test]
fn admin_commands_work_as_written_on_sqlite() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("tests/fixtures")).unwrap();
    std::fs::copy(
        super::root().join("crates/formwork/tests/fixtures/ten-mistakes.yaml"),
        dir.path().join("tests/fixtures/ten-mistakes.yaml"),
    )
    .unwrap();
    admin_session(dir.path(), &[]);
}

#[test]
fn the_same_binary_migrates_and_serves_postgres() {
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    let db = runtime
        .block_on(TestDatabase::postgres(0))
        .expect("PostgreSQL must be running: scripts/setup starts it");
    // A fresh schema: formwork's tables (and the functions their triggers call) exist; make it again,
    // empty, so that `migrate` starts from nothing.
    runtime.block_on(async {
        use sqlx::Row;
        let tables = sqlx::query(
            "SELECT tablename::text AS tablename FROM pg_tables WHERE schemaname = current_schema()",
        )
        .fetch_all(db.store.pool())
        .await
        .unwrap();
        assert!(tables.len() > 10, "the schema had formwork's tables");
        let schema: String = sqlx::query("SELECT current_schema()::text AS name")
            .fetch_one(db.store.pool())
            .await
            .unwrap()
            .try_get("name")
            .unwrap();
        sqlx::raw_sql(sqlx::AssertSqlSafe(format!(
            "DROP SCHEMA \"{schema}\" CASCADE; CREATE SCHEMA \"{schema}\""
        )))
        .execute(db.store.pool())
        .await
        .unwrap();
    });
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("tests/fixtures")).unwrap();
    std::fs::copy(
        super::root().join("crates/formwork/tests/fixtures/ten-mistakes.yaml"),
        dir.path().join("tests/fixtures/ten-mistakes.yaml"),
    )
    .unwrap();
    let env = [("DATABASE_URL", db.url.as_str())];
    let o = run_in(dir.path(), &env, &["migrate"], None);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    assert!(text(&o.stdout).contains("applied: people and organisations"), "{}", text(&o.stdout));
    let o = run_in(dir.path(), &env, &["migrate"], None);
    assert!(text(&o.stdout).contains("the database is up to date"));
    admin_session(dir.path(), &env);
    assert!(!dir.path().join("data/formwork.db").exists(), "nothing was written to SQLite");
    drop(db);
}

#[test]
fn bad_configuration_is_refused_at_start_naming_the_setting() {
    let dir = tempfile::tempdir().unwrap();
    let o = run_in(dir.path(), &[("OIDC_ISSUER", "https://login.example")], &["serve"], None);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        text(&o.stderr).contains("OIDC_ISSUER, OIDC_CLIENT_ID and OIDC_CLIENT_SECRET must be set together"),
        "{}",
        text(&o.stderr)
    );
    let o = run_in(dir.path(), &[("DATABASE_URL", "mysql://root:hunter2@db/formwork")], &["serve"], None);
    assert_eq!(o.status.code(), Some(2));
    let errors = text(&o.stderr);
    assert!(
        errors.contains("DATABASE_URL must start with sqlite:// or postgres://")
            && !errors.contains("hunter2"),
        "{errors}"
    );
    let o = run_in(dir.path(), &[("STORAGE_URL", "ftp://files")], &["serve"], None);
    assert!(
        text(&o.stderr).contains("STORAGE_URL must start with file://, s3:// or memory://"),
        "{}",
        text(&o.stderr)
    );
    let o = run_in(dir.path(), &[("BASE_URL", "returns.example.gov.uk")], &["serve"], None);
    assert!(text(&o.stderr).contains("BASE_URL must start with http:// or https://"));
    let o = run_in(dir.path(), &[("METRICS_TOKEN", "guessable")], &["serve"], None);
    assert_eq!(o.status.code(), Some(2));
    let errors = text(&o.stderr);
    assert!(
        errors.contains("METRICS_TOKEN must be at least 16 characters") && !errors.contains("guessable"),
        "{errors}"
    );
    let o = run_in(
        dir.path(),
        &[("DATABASE_URL", "postgres://nobody:secret@127.0.0.1:1/none")],
        &["serve"],
        None,
    );
    assert_eq!(o.status.code(), Some(2));
    let errors = text(&o.stderr);
    assert!(
        errors.contains("cannot reach or migrate the database at postgres://nobody:***@127.0.0.1:1/none")
            && !errors.contains("secret"),
        "{errors}"
    );
    let help = run_in(dir.path(), &[], &["serve", "--help"], None);
    for variable in [
        "DATABASE_URL",
        "STORAGE_URL",
        "SMTP_URL",
        "BIND",
        "BASE_URL",
        "OIDC_ISSUER",
        "LOG_FORMAT",
        "MAX_UPLOAD_BYTES",
        "METRICS_TOKEN",
    ] {
        assert!(
            text(&help.stdout).contains(&format!("[env: {variable}")),
            "serve --help documents {variable}"
        );
    }
}
