//! Any bytes as a definition file: the loader must answer with a definition or diagnostics, never
//! panic, hang or allocate without bound; every diagnostic must point inside the file.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    match formwork_definition::load(data) {
        Ok(def) => {
            // A definition that loads can be described and rendered.
            let _ = formwork_definition::dictionary::markdown(&def);
            let _ = formwork_definition::dictionary::json_schema(&def);
        }
        Err(problems) => {
            assert!(!problems.is_empty());
            // Lines end at \n, \r\n or a lone \r, as in YAML.
            let text = String::from_utf8_lossy(data);
            let lines = formwork_definition::source::normalise_newlines(&text).lines().count().max(1) as u32;
            for p in &problems {
                assert!(p.span.line <= lines, "{p:?} is past the end of the file");
            }
            let _ = formwork_definition::diagnostic::render("fuzz.yaml", &text, &problems);
        }
    }
});
