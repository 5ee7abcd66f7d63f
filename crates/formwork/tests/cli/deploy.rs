//! The task definitions of `deploy/terraform` and formwork agree on every variable. The names
//! formwork reads are what `formwork serve`, `worker` and `migrate --help` print as `[env: NAME…]`;
//! the names the containers are given are the `NAME = …` lines of
//! `deploy/terraform/modules/service/environment.tf`, the one place they are written, read local by
//! local. Each process must be given only variables it reads (or a library under it reads), every
//! variable it needs in production, and its secrets only from Secrets Manager.

use std::collections::{BTreeMap, BTreeSet};
use std::process::Command;

/// Variables that libraries under formwork read, which the task definitions may set although no
/// `--help` names them.
const READ_BY_LIBRARIES: &[(&str, &str)] = &[
    ("AWS_REGION", "object_store's S3 client (AmazonS3Builder::from_env), with the other AWS_* variables"),
    ("RUST_LOG", "tracing-subscriber's filter: the log level"),
    ("TMPDIR", "tempfile (std::env::temp_dir): the temporary files of uploads and exports"),
    ("PGHOST", "sqlx: what a postgres:// DATABASE_URL leaves out"),
    ("PGPORT", "sqlx"),
    ("PGUSER", "sqlx"),
    ("PGDATABASE", "sqlx"),
    ("PGSSLMODE", "sqlx"),
];

/// What each process needs in production, beyond what its defaults give:
/// - the database (its password apart from the URL, so that it is in no Terraform state), the
///   bucket and its region, everywhere it is used;
/// - `BASE_URL` for links in emails (the worker sends them) and cookies; `MAIL_FROM` and `SMTP_URL`,
///   without which emails would be written as files inside a container (review apps, which send
///   none, are the exception: `smtp = false` gives them `MAIL_DIR` instead);
/// - the same `MAX_UPLOAD_BYTES` for `serve`, which receives uploads, and `worker`, which checks
///   them, as the firewall's size rule is given;
/// - JSON logs for CloudWatch;
/// - for `serve` behind the load balancer: `BIND` on every interface, `NO_WORKER` (the worker
///   service runs the jobs), `TRUST_FORWARDED_FOR` (otherwise every client shares the load
///   balancer's address and its rate limits), and `METRICS_TOKEN` (so that reaching /metrics is
///   not enough).
const REQUIRED: &[(&str, &[&str])] = &[
    ("migrate", &["DATABASE_URL", "DATABASE_PASSWORD"]),
    (
        "worker",
        &[
            "DATABASE_URL",
            "DATABASE_PASSWORD",
            "STORAGE_URL",
            "AWS_REGION",
            "BASE_URL",
            "MAIL_FROM",
            "SMTP_URL",
            "MAX_UPLOAD_BYTES",
            "LOG_FORMAT",
        ],
    ),
    (
        "serve",
        &[
            "DATABASE_URL",
            "DATABASE_PASSWORD",
            "STORAGE_URL",
            "AWS_REGION",
            "BASE_URL",
            "MAIL_FROM",
            "SMTP_URL",
            "MAX_UPLOAD_BYTES",
            "LOG_FORMAT",
            "BIND",
            "NO_WORKER",
            "TRUST_FORWARDED_FOR",
            "METRICS_TOKEN",
        ],
    ),
];

/// Variables holding secrets: never plain environment variables, always from Secrets Manager.
/// (DATABASE_URL may hold a password too, but here it holds none: the terraform tests check it.)
const SECRETS: &[&str] = &["DATABASE_PASSWORD", "METRICS_TOKEN", "SMTP_URL", "OIDC_CLIENT_SECRET"];

/// Which locals of environment.tf each process's task definition is given (main.tf), as plain
/// variables and as secrets, with the expressions main.tf gives them by.
struct Process {
    subcommand: &'static str,
    environment: &'static [&'static str],
    secrets: &'static [&'static str],
    in_main_tf: &'static [&'static str],
}

const PROCESSES: &[Process] = &[
    Process {
        subcommand: "migrate",
        environment: &["database_environment"],
        secrets: &["database_secrets"],
        in_main_tf: &["in local.database_environment :", "in local.database_secrets :"],
    },
    Process {
        subcommand: "worker",
        environment: &["environment", "worker_environment"],
        secrets: &["secrets"],
        in_main_tf: &["in merge(local.environment, local.worker_environment) :", "in local.secrets :"],
    },
    Process {
        subcommand: "serve",
        environment: &["environment", "web_environment"],
        secrets: &["secrets", "web_secrets"],
        in_main_tf: &[
            "in merge(local.environment, local.web_environment) :",
            "in merge(local.secrets, local.web_secrets) :",
        ],
    },
];

fn service_module() -> std::path::PathBuf {
    super::root().join("deploy/terraform/modules/service")
}

/// The variables `formwork SUBCOMMAND` reads, from its `--help`, and which of them it hides the
/// value of (`[env: NAME]` rather than `[env: NAME=…]`).
fn variables_read_by(subcommand: &str) -> (BTreeSet<String>, BTreeSet<String>) {
    let o = Command::new(env!("CARGO_BIN_EXE_formwork"))
        .args([subcommand, "--help"])
        .env_clear()
        .output()
        .expect("run formwork");
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    // Help text may be wrapped: join it into one line first.
    let help = String::from_utf8_lossy(&o.stdout).split_whitespace().collect::<Vec<_>>().join(" ");
    let mut read = BTreeSet::new();
    let mut hidden = BTreeSet::new();
    for part in help.split("[env: ").skip(1) {
        let name: String =
            part.chars().take_while(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || *c == '_').collect();
        assert!(!name.is_empty(), "`{subcommand} --help` has an [env: …] without a name: {part}");
        if !part[name.len()..].starts_with('=') {
            hidden.insert(name.clone());
        }
        read.insert(name);
    }
    (read, hidden)
}

/// A local of environment.tf: the variable names written in it, and the locals it merges in.
#[derive(Default, Debug)]
struct Local {
    names: BTreeSet<String>,
    includes: Vec<String>,
}

/// environment.tf's locals, from its lines: a local starts at `  name = ` (two spaces in), and
/// holds every `NAME = ` line below it and every `local.other` it mentions.
fn environment_tf() -> BTreeMap<String, Local> {
    let path = service_module().join("environment.tf");
    let text = std::fs::read_to_string(&path).expect("read environment.tf");
    let mut locals: BTreeMap<String, Local> = BTreeMap::new();
    let mut current: Option<String> = None;
    for line in text.lines() {
        let trimmed = line.trim_start();
        if trimmed.starts_with('#') || trimmed.is_empty() {
            continue;
        }
        let indent = line.len() - trimmed.len();
        let word: String = trimmed.chars().take_while(|c| c.is_ascii_alphanumeric() || *c == '_').collect();
        let assigns = trimmed[word.len()..].trim_start().starts_with('=');
        if indent == 2 && assigns && word.starts_with(|c: char| c.is_ascii_lowercase()) {
            current = Some(word.clone());
            locals.entry(word.clone()).or_default();
        }
        let Some(local) = current.as_ref().and_then(|name| locals.get_mut(name)) else { continue };
        if indent > 2 && assigns && word.starts_with(|c: char| c.is_ascii_uppercase()) {
            assert!(
                local.names.insert(word.clone()),
                "{word} is written twice in one local of {}",
                path.display()
            );
        }
        for mention in trimmed.split("local.").skip(1) {
            let other: String =
                mention.chars().take_while(|c| c.is_ascii_alphanumeric() || *c == '_').collect();
            if !local.includes.contains(&other) {
                local.includes.push(other);
            }
        }
    }
    locals
}

/// Every name a local gives, with those of the locals it merges in.
fn names_of(locals: &BTreeMap<String, Local>, name: &str) -> BTreeSet<String> {
    assert!(locals.contains_key(name), "environment.tf has no local `{name}`");
    let local = &locals[name];
    let mut names = local.names.clone();
    for other in &local.includes {
        if locals.contains_key(other) {
            names.extend(names_of(locals, other));
        }
    }
    names
}

#[test]
fn every_variable_the_task_definitions_set_is_one_formwork_reads_and_every_required_one_is_set() {
    let locals = environment_tf();
    let main_tf = std::fs::read_to_string(service_module().join("main.tf")).expect("read main.tf");
    let libraries: BTreeSet<&str> = READ_BY_LIBRARIES.iter().map(|(name, _)| *name).collect();
    let secret_names: BTreeSet<&str> = SECRETS.iter().copied().collect();
    let mut all_set = BTreeSet::new();

    for process in PROCESSES {
        for expression in process.in_main_tf {
            assert!(
                main_tf.contains(expression),
                "modules/service/main.tf no longer gives the {} task `{expression}`: update PROCESSES in this test to what it gives",
                process.subcommand
            );
        }
        let (read, _) = variables_read_by(process.subcommand);
        let environment: BTreeSet<String> =
            process.environment.iter().flat_map(|local| names_of(&locals, local)).collect();
        let secrets: BTreeSet<String> =
            process.secrets.iter().flat_map(|local| names_of(&locals, local)).collect();
        let given: BTreeSet<String> = environment.union(&secrets).cloned().collect();

        let unread: Vec<&String> =
            given.iter().filter(|name| !read.contains(*name) && !libraries.contains(name.as_str())).collect();
        assert!(
            unread.is_empty(),
            "the {} task is given {unread:?}, which `formwork {} --help` does not name and no library in READ_BY_LIBRARIES reads",
            process.subcommand,
            process.subcommand
        );

        let required = REQUIRED
            .iter()
            .find(|(name, _)| *name == process.subcommand)
            .map(|(_, names)| *names)
            .unwrap_or_default();
        let missing: Vec<&&str> = required.iter().filter(|name| !given.contains(**name)).collect();
        assert!(missing.is_empty(), "the {} task needs {missing:?} in production", process.subcommand);

        let plain_secrets: Vec<&String> =
            environment.iter().filter(|name| secret_names.contains(name.as_str())).collect();
        assert!(
            plain_secrets.is_empty(),
            "the {} task is given {plain_secrets:?} as plain variables: secrets come from Secrets Manager",
            process.subcommand
        );
        let plain_in_secrets: Vec<&String> =
            secrets.iter().filter(|name| !secret_names.contains(name.as_str())).collect();
        assert!(
            plain_in_secrets.is_empty(),
            "{plain_in_secrets:?} are read from Secrets Manager but are not secrets (SECRETS in this test)"
        );
        all_set.extend(given);
    }

    // Nothing in environment.tf is left out of every task.
    let written: BTreeSet<String> = locals.values().flat_map(|local| local.names.iter().cloned()).collect();
    let unused: Vec<&String> = written.difference(&all_set).collect();
    assert!(unused.is_empty(), "environment.tf sets {unused:?}, which no task is given");
}

#[test]
fn every_variable_formwork_hides_is_known_as_a_secret() {
    // formwork hides the values of its secrets in --help; a new one must be added to SECRETS (and
    // so come from Secrets Manager in the task definitions). DATABASE_URL is hidden because it may
    // hold a password, which the task definitions never put in it.
    for process in PROCESSES {
        let (_, hidden) = variables_read_by(process.subcommand);
        for name in hidden {
            assert!(
                name == "DATABASE_URL" || SECRETS.contains(&name.as_str()),
                "`formwork {} --help` hides {name}: add it to SECRETS",
                process.subcommand
            );
        }
    }
}

#[test]
fn the_environment_file_is_read_as_written() {
    // The parser above, on the file itself: the locals main.tf gives the tasks exist, and a name
    // every task needs is where it belongs.
    let locals = environment_tf();
    for local in [
        "database_environment",
        "environment",
        "web_environment",
        "worker_environment",
        "database_secrets",
        "secrets",
        "web_secrets",
    ] {
        assert!(locals.contains_key(local), "environment.tf has no local `{local}`");
    }
    assert!(
        names_of(&locals, "environment").contains("DATABASE_URL"),
        "environment merges in database_environment"
    );
    assert!(names_of(&locals, "web_secrets").contains("METRICS_TOKEN"));
    assert!(!names_of(&locals, "worker_environment").contains("BIND"));
}
