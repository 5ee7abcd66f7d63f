//! `formwork check`: lint definition files.

use std::path::PathBuf;
use std::process::ExitCode;

use formwork_definition::diagnostic;
use serde_json::json;

use crate::Format;

/// Check each file; print every problem. Exit 0 if none, 1 if any, 2 if a file cannot be read.
pub fn run(paths: &[PathBuf], format: Format) -> anyhow::Result<ExitCode> {
    let mut any_problems = false;
    let mut unreadable = false;
    let mut results = Vec::new();
    for path in paths {
        let name = path.display().to_string();
        let bytes = match std::fs::read(path) {
            Ok(b) => b,
            Err(e) => {
                unreadable = true;
                match format {
                    Format::Human => eprintln!("{name}: cannot read the file: {e}"),
                    Format::Json => results.push(
                        json!({"file": name, "ok": false, "error": format!("cannot read the file: {e}")}),
                    ),
                }
                continue;
            }
        };
        match formwork_definition::load(&bytes) {
            Ok(def) => match format {
                Format::Human => println!("{name}: ok — {} version {}, {} questions in {} sections", def.collection, def.version, count_questions(&def), def.sections.len()),
                Format::Json => results.push(json!({"file": name, "ok": true, "collection": def.collection, "version": def.version, "problems": []})),
            },
            Err(problems) => {
                any_problems = true;
                match format {
                    Format::Human => {
                        print!("{}", diagnostic::render(&name, &String::from_utf8_lossy(&bytes), &problems));
                        println!("{name}: {} problem{}", problems.len(), if problems.len() == 1 { "" } else { "s" });
                    }
                    Format::Json => results.push(json!({"file": name, "ok": false, "problems": problems})),
                }
            }
        }
    }
    if format == Format::Json {
        println!(
            "{}",
            serde_json::to_string_pretty(&json!({"ok": !any_problems && !unreadable, "files": results}))?
        );
    }
    Ok(if unreadable {
        ExitCode::from(2)
    } else if any_problems {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}

fn count_questions(def: &formwork_definition::Definition) -> usize {
    def.questions.len() + def.tables.iter().map(|t| t.columns.len()).sum::<usize>()
}
