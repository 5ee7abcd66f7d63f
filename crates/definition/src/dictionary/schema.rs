//! The JSON Schema (draft 2020-12) of a submission of a return, or of one record of a log.
//!
//! The schema describes shapes and fixed constraints; conditional requirements (`when`) and rules
//! are given in each question's description, since the validator, not the schema, decides them.

use serde_json::{Map, Value as J, json};

use crate::model::{Bound, Definition, Kind, Question, QuestionType, SectionContent};

/// The JSON Schema of what `formwork validate` and the API accept for this collection.
pub fn json_schema(def: &Definition) -> J {
    let mut properties = Map::new();
    for section in &def.sections {
        match &section.content {
            SectionContent::Questions(qs) => {
                for q in qs {
                    let q = &def.questions[*q];
                    properties.insert(q.id.clone(), question_schema(def, q));
                }
            }
            SectionContent::Table(t) => {
                let table = &def.tables[*t];
                let columns: Map<String, J> =
                    table.columns.iter().map(|c| (c.id.clone(), question_schema(def, c))).collect();
                let mut schema = json!({
                    "title": section.title,
                    "type": "array",
                    "minItems": table.min_rows,
                    "maxItems": table.max_rows,
                    "items": {"type": "object", "additionalProperties": false, "properties": columns},
                });
                if !table.unique.is_empty() {
                    let ids: Vec<&str> = table.unique.iter().map(|c| table.columns[*c].id.as_str()).collect();
                    schema["description"] =
                        J::String(format!("No two rows may have the same {}.", ids.join(" and ")));
                }
                properties.insert(table.id.clone(), schema);
            }
        }
    }
    let answers = json!({"type": "object", "additionalProperties": false, "properties": properties});
    let id = format!("https://formwork.invalid/schemas/{}/{}.json", def.collection, def.version);
    match def.kind {
        Kind::Return => json!({
            "$schema": "https://json-schema.org/draft/2020-12/schema",
            "$id": id,
            "title": format!("{} (version {})", def.title, def.version),
            "description": "A submission: the collection, its version and the answers by question id.",
            "type": "object",
            "required": ["collection", "version", "answers"],
            "properties": {
                "collection": {"const": def.collection},
                "version": {"const": def.version},
                "answers": answers,
            },
        }),
        Kind::Log => {
            let mut record = answers;
            record["$schema"] = json!("https://json-schema.org/draft/2020-12/schema");
            record["$id"] = json!(id);
            record["title"] = json!(format!("{}: one record (version {})", def.title, def.version));
            record["description"] =
                json!("One record of the log: one JSON object per line of a .jsonl file.");
            record
        }
    }
}

/// Numbers may be JSON numbers or strings (strings keep money exact).
fn number_schema(places: Option<u32>, min: Option<&Bound>, max: Option<&Bound>, percent: bool) -> Vec<J> {
    let mut n = json!({"type": if places == Some(0) { "integer" } else { "number" }});
    if let Some(Bound::Number(m)) = min {
        n["minimum"] = decimal_json(*m);
    }
    if let Some(Bound::Number(m)) = max {
        n["maximum"] = decimal_json(*m);
    }
    let fraction = match places {
        Some(0) => String::new(),
        Some(p) => format!("(\\.[0-9]{{1,{p}}})?"),
        None => "(\\.[0-9]+)?".to_string(),
    };
    let suffix = if percent { "%?" } else { "" };
    vec![n, json!({"type": "string", "pattern": format!("^-?[0-9]+{fraction}{suffix}$")})]
}

fn decimal_json(d: rust_decimal::Decimal) -> J {
    serde_json::from_str(&d.normalize().to_string()).unwrap_or(J::Null)
}

fn question_schema(def: &Definition, q: &Question) -> J {
    let o = &q.options;
    let choices = || -> Vec<J> {
        def.choices_of(q)
            .map(|l| l.choices.iter().map(|c| J::String(c.value.to_string())).collect())
            .unwrap_or_default()
    };
    let mut options: Vec<J> = match q.ty {
        QuestionType::Text | QuestionType::LongText => {
            let mut s = json!({"type": "string"});
            if let Some(m) = o.min_length {
                s["minLength"] = json!(m);
            }
            if let Some(m) = o.max_length {
                s["maxLength"] = json!(m);
            }
            if let Some(p) = &o.pattern {
                s["pattern"] = json!(format!("^(?:{})$", p.source));
            }
            vec![s]
        }
        QuestionType::Integer => number_schema(Some(0), o.min.as_ref(), o.max.as_ref(), false),
        QuestionType::Decimal => number_schema(o.places, o.min.as_ref(), o.max.as_ref(), false),
        QuestionType::Money => number_schema(Some(2), o.min.as_ref(), o.max.as_ref(), false),
        QuestionType::Percentage => number_schema(o.places, o.min.as_ref(), o.max.as_ref(), true),
        QuestionType::Date => vec![json!({"type": "string", "format": "date"})],
        QuestionType::YesNo => vec![json!({"type": "boolean"})],
        QuestionType::Choice => vec![json!({"enum": choices()})],
        QuestionType::MultiChoice => {
            let mut s = json!({"type": "array", "uniqueItems": true, "items": {"enum": choices()}});
            if let Some(m) = o.min_selected {
                s["minItems"] = json!(m);
            }
            if let Some(m) = o.max_selected {
                s["maxItems"] = json!(m);
            }
            vec![s]
        }
        QuestionType::Email => vec![json!({"type": "string", "format": "email"})],
        QuestionType::Url => vec![json!({"type": "string", "format": "uri"})],
        QuestionType::Phone | QuestionType::Postcode => vec![json!({"type": "string"})],
        QuestionType::File => vec![json!({
            "type": "object",
            "required": ["name"],
            "properties": {"name": {"type": "string"}, "size": {"type": "integer", "minimum": 0}, "id": {"type": "string"}},
        })],
        QuestionType::Calculated => vec![json!({})],
    };
    options.push(json!({"type": "null"}));
    let mut description = Vec::new();
    if let Some(h) = &q.hint {
        description.push(h.clone());
    }
    if q.ty == QuestionType::Calculated {
        if let Some(v) = &o.value {
            description.push(format!("Calculated from `{}`; not entered.", v.source));
        }
    } else if q.required {
        description.push(match &q.when {
            Some(w) => format!("Required when `{}`; otherwise not asked and ignored.", w.source),
            None => "Required.".to_string(),
        });
    } else if let Some(w) = &q.when {
        description.push(format!("Optional; asked only when `{}`.", w.source));
    }
    for r in &q.rules {
        description.push(format!("{} (`{}`)", r.message, r.check.source));
    }
    let mut schema = json!({"title": q.label, "anyOf": options});
    if !description.is_empty() {
        schema["description"] = J::String(description.join(" "));
    }
    if q.ty == QuestionType::Calculated {
        schema["readOnly"] = J::Bool(true);
    }
    schema
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn return_schema_wraps_answers_and_log_schema_is_a_record() {
        let load = |name: &str| {
            let bytes =
                std::fs::read(format!("{}/../../examples/{name}.yaml", env!("CARGO_MANIFEST_DIR"))).unwrap();
            crate::load(&bytes).unwrap()
        };
        let towns = json_schema(&load("towns-fund-monitoring"));
        assert_eq!(towns["properties"]["collection"]["const"], "towns-fund-monitoring");
        assert_eq!(
            towns["properties"]["answers"]["properties"]["spend"]["items"]["properties"]["quarter"]["anyOf"]
                [0]["enum"],
            json!(["Q1", "Q2", "Q3", "Q4"])
        );
        let log = json_schema(&load("lettings-log"));
        assert_eq!(
            log["properties"]["bedrooms"]["anyOf"][0],
            json!({"type": "integer", "minimum": 0, "maximum": 12})
        );
        assert_eq!(log["properties"]["total_charge"]["readOnly"], true);
    }
}
