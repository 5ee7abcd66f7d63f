//! The API's OpenAPI document (`/api/v1/openapi.json`), and its reference page (`/api/v1/docs`)
//! rendered here from the same document — no third-party viewer, nothing from a CDN.

use std::sync::LazyLock;

use askama::Template;
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use serde_json::Value;

use crate::pages::{Ctx, Page, render};

static DOCUMENT: LazyLock<Value> =
    LazyLock::new(|| serde_json::to_value(crate::openapi()).unwrap_or_default());

/// The OpenAPI document of this API.
#[utoipa::path(get, path = "/api/v1/openapi.json", tag = "meta", security(()),
    responses((status = 200, content_type = "application/json", description = "The OpenAPI 3.1 document")))]
pub(crate) async fn openapi_json() -> Response {
    let mut response = axum::Json(DOCUMENT.clone()).into_response();
    response.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("public, max-age=300"));
    response
}

/// One operation, as the reference page shows it.
struct Operation {
    id: String,
    method: String,
    path: String,
    summary: String,
    description: String,
    parameters: Vec<(String, String, String)>,
    body: Option<String>,
    responses: Vec<(String, String)>,
}

struct Tag {
    name: String,
    description: String,
    operations: Vec<Operation>,
}

struct Schema {
    name: String,
    description: String,
    properties: Vec<(String, String, bool, String)>,
}

fn schema_name(value: &Value) -> String {
    if let Some(reference) = value["$ref"].as_str() {
        return reference.rsplit('/').next().unwrap_or(reference).to_string();
    }
    if value["type"] == "array" {
        return format!("list of {}", schema_name(&value["items"]));
    }
    if let Some(options) = value["oneOf"].as_array() {
        return options.iter().map(schema_name).filter(|n| n != "null").collect::<Vec<_>>().join(" or ");
    }
    match &value["type"] {
        Value::String(t) => t.clone(),
        Value::Array(types) => {
            types.iter().filter_map(Value::as_str).filter(|t| *t != "null").collect::<Vec<_>>().join(" or ")
        }
        _ => "any".into(),
    }
}

fn content_schema(content: &Value) -> Option<String> {
    content.as_object()?.iter().next().map(|(media, c)| format!("{} ({media})", schema_name(&c["schema"])))
}

fn reference() -> (Vec<Tag>, Vec<Schema>) {
    let doc = &*DOCUMENT;
    let mut tags: Vec<Tag> = doc["tags"]
        .as_array()
        .map(|tags| {
            tags.iter()
                .map(|t| Tag {
                    name: t["name"].as_str().unwrap_or("").to_string(),
                    description: t["description"].as_str().unwrap_or("").to_string(),
                    operations: Vec::new(),
                })
                .collect()
        })
        .unwrap_or_default();
    if let Some(paths) = doc["paths"].as_object() {
        for (path, item) in paths {
            for method in ["get", "post", "put", "patch", "delete"] {
                let op = &item[method];
                if op.is_null() {
                    continue;
                }
                let tag = op["tags"][0].as_str().unwrap_or("meta");
                let operation = Operation {
                    id: format!("{method}-{}", path.replace(['/', '{', '}', '.'], "-")),
                    method: method.to_uppercase(),
                    path: path.clone(),
                    summary: op["summary"].as_str().unwrap_or("").to_string(),
                    description: op["description"].as_str().unwrap_or("").to_string(),
                    parameters: op["parameters"]
                        .as_array()
                        .map(|ps| {
                            ps.iter()
                                .map(|p| {
                                    (
                                        p["name"].as_str().unwrap_or("").to_string(),
                                        p["in"].as_str().unwrap_or("").to_string(),
                                        p["description"].as_str().unwrap_or("").to_string(),
                                    )
                                })
                                .collect()
                        })
                        .unwrap_or_default(),
                    body: content_schema(&op["requestBody"]["content"]),
                    responses: op["responses"]
                        .as_object()
                        .map(|rs| {
                            rs.iter()
                                .map(|(status, r)| {
                                    (
                                        status.clone(),
                                        content_schema(&r["content"]).unwrap_or_else(|| "no body".into()),
                                    )
                                })
                                .collect()
                        })
                        .unwrap_or_default(),
                };
                if let Some(t) = tags.iter_mut().find(|t| t.name == tag) {
                    t.operations.push(operation);
                }
            }
        }
    }
    let schemas = doc["components"]["schemas"]
        .as_object()
        .map(|schemas| {
            schemas
                .iter()
                .map(|(name, s)| {
                    let required: Vec<&str> = s["required"]
                        .as_array()
                        .map(|r| r.iter().filter_map(Value::as_str).collect())
                        .unwrap_or_default();
                    Schema {
                        name: name.clone(),
                        description: s["description"].as_str().unwrap_or("").to_string(),
                        properties: s["properties"]
                            .as_object()
                            .map(|ps| {
                                ps.iter()
                                    .map(|(p, v)| {
                                        (
                                            p.clone(),
                                            schema_name(v),
                                            required.contains(&p.as_str()),
                                            v["description"].as_str().unwrap_or("").to_string(),
                                        )
                                    })
                                    .collect()
                            })
                            .unwrap_or_default(),
                    }
                })
                .collect()
        })
        .unwrap_or_default();
    (tags, schemas)
}

#[derive(Template)]
#[template(path = "api_docs.html")]
struct Docs {
    page: Page,
    tags: Vec<Tag>,
    schemas: Vec<Schema>,
}

/// `GET /api/v1/docs`: the API reference.
pub(crate) async fn page(ctx: Ctx) -> Response {
    let (tags, schemas) = reference();
    let page = ctx.page("API reference", "");
    render(&page, &Docs { page: page.clone(), tags, schemas })
}
