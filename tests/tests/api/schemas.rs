//! The document's schemas against what the live server sends: polymorphic payloads narrow by
//! their discriminator, every property a response schema requires is sent, and the rule for absent
//! versus `null` stated in the description holds.

use serde_json::Value;

use crate::{
    helpers::{Backend, Method, TestApp},
    on_both_backends,
};

on_both_backends!(
    changes_match_the_variant_their_resource_type_names,
    stats_match_the_variant_their_group_by_names,
    lists_feeds_and_revisions_match_their_schemas,
    the_headers_and_statuses_sent_are_documented,
    prefilled_examples_find_seed_data,
);

/// Where `value` breaks `schema` (a small JSON Schema reader: `$ref`, `oneOf` with or without a
/// discriminator, `allOf`, `type`, `enum`, `required`, `properties`, `items`,
/// `additionalProperties`), or `None`.
fn violation(spec: &Value, schema: &Value, value: &Value, at: &str) -> Option<String> {
    if let Some(reference) = schema["$ref"].as_str() {
        let name = reference.trim_start_matches("#/components/schemas/");
        return violation(spec, &spec["components"]["schemas"][name], value, at);
    }
    if let Some(alternatives) = schema["oneOf"].as_array() {
        if let Some(property) = schema["discriminator"]["propertyName"].as_str() {
            let tag = value[property].as_str().unwrap_or_default();
            let Some(target) = schema["discriminator"]["mapping"][tag].as_str() else {
                return Some(format!("{at}: {property} {tag:?} is not in the discriminator's mapping"));
            };
            return violation(spec, &serde_json::json!({ "$ref": target }), value, at);
        }
        let matching = alternatives.iter().filter(|a| violation(spec, a, value, at).is_none()).count();
        return (matching != 1).then(|| format!("{at}: {matching} alternatives of a oneOf match {value}"));
    }
    for part in schema["allOf"].as_array().into_iter().flatten() {
        if let Some(found) = violation(spec, part, value, at) {
            return Some(found);
        }
    }
    if let Some(values) = schema["enum"].as_array()
        && !values.contains(value)
    {
        return Some(format!("{at}: {value} is not one of {values:?}"));
    }
    let types: Vec<&str> = match &schema["type"] {
        Value::String(one) => vec![one.as_str()],
        Value::Array(many) => many.iter().filter_map(Value::as_str).collect(),
        _ => Vec::new(),
    };
    let type_of = match value {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(n) if n.is_i64() || n.is_u64() => "integer",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    };
    let allowed = types.is_empty() || types.contains(&type_of) || (type_of == "integer" && types.contains(&"number"));
    if !allowed {
        return Some(format!("{at}: a {type_of} where the schema says {types:?}"));
    }
    if let Value::Object(map) = value {
        for required in schema["required"].as_array().into_iter().flatten().filter_map(Value::as_str) {
            if !map.contains_key(required) {
                return Some(format!("{at}: required property {required} is absent"));
            }
        }
        for (key, item) in map {
            let property = &schema["properties"][key];
            let property = if property.is_null() { &schema["additionalProperties"] } else { property };
            if property.is_object()
                && let Some(found) = violation(spec, property, item, &format!("{at}/{key}"))
            {
                return Some(found);
            }
        }
    }
    if let Value::Array(items) = value {
        for (index, item) in items.iter().enumerate() {
            if let Some(found) = violation(spec, &schema["items"], item, &format!("{at}/{index}")) {
                return Some(found);
            }
        }
    }
    None
}

/// The schema of the 200 JSON answer of `GET path` in the document.
fn answer_schema<'a>(spec: &'a Value, path: &str, media_type: &str) -> &'a Value {
    let schema = &spec["paths"][path]["get"]["responses"]["200"]["content"][media_type]["schema"];
    assert!(schema.is_object(), "GET {path} documents no {media_type} 200");
    schema
}

/// Asserts `GET url` answers what the document says `GET path` answers.
async fn assert_conforms(app: &TestApp, spec: &Value, path: &str, url: &str, media_type: &str) -> Value {
    let reply = app.send(Method::GET, url, None, None, &[]).await;
    let body = reply.expect(reqwest::StatusCode::OK).clone();
    if let Some(found) = violation(spec, answer_schema(spec, path, media_type), &body, url) {
        panic!("{found}");
    }
    body
}

async fn changes_match_the_variant_their_resource_type_names(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let spec = app.get_ok("/api-docs/openapi.json", &[]).await;
    let change = &spec["components"]["schemas"]["ChangeOut"];
    assert_eq!(change["discriminator"]["propertyName"], "resource_type");
    // The reader finds what breaks a schema: a unit change whose resource is a city's.
    let schema = answer_schema(&spec, "/api/v1/changes", "application/json");
    let city = app.get_ok("/api/v1/cities/330382", &[]).await;
    let mut batch = app.get_ok("/api/v1/changes", &[("limit", "1")]).await;
    batch["changes"][0]["resource_type"] = "units".into();
    batch["changes"][0]["resource"] = city;
    assert!(violation(&spec, schema, &batch, "").is_some_and(|v| v.contains("alternatives")), "{batch}");
    let token = app.admin_token().await;
    // A deletion too: its tombstone carries `resource: null`.
    let unit = app
        .send(
            Method::POST,
            "/api/v1/units",
            Some(&token),
            Some(serde_json::json!({"city": "330382", "name": "市数据局"})),
            &[],
        )
        .await;
    let id = unit.body["id"].as_str().expect("an id").to_owned();
    app.send(Method::DELETE, &format!("/api/v1/units/{id}"), Some(&token), None, &[]).await;
    let mut types = std::collections::BTreeSet::new();
    let mut since = String::new();
    loop {
        let url = format!("/api/v1/changes?limit=1000&since={since}");
        let url = if since.is_empty() { "/api/v1/changes?limit=1000".to_owned() } else { url };
        let batch = assert_conforms(&app, &spec, "/api/v1/changes", &url, "application/json").await;
        for change in batch["changes"].as_array().expect("changes") {
            types.insert((change["resource_type"].to_string(), change["action"].to_string()));
        }
        since = batch["next"].as_str().expect("next").to_owned();
        if batch["has_more"] != true {
            break;
        }
    }
    let mapped: Vec<&String> = change["discriminator"]["mapping"].as_object().expect("mapping").keys().collect();
    for (resource_type, _) in &types {
        assert!(mapped.iter().any(|m| format!("\"{m}\"") == *resource_type), "{resource_type} has no variant");
    }
    assert!(types.contains(&("\"units\"".to_owned(), "\"delete\"".to_owned())), "{types:?}");
}

async fn stats_match_the_variant_their_group_by_names(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let spec = app.get_ok("/api-docs/openapi.json", &[]).await;
    let mapping = spec["components"]["schemas"]["Stats"]["discriminator"]["mapping"].as_object().expect("mapping");
    assert_eq!(mapping.len(), 7, "one variant per group_by");
    for group_by in mapping.keys() {
        for path in ["/api/v1/stats/work-items", "/api/v1/stats/livelihood-projects"] {
            let stats =
                assert_conforms(&app, &spec, path, &format!("{path}?group_by={group_by}"), "application/json").await;
            assert!(
                !stats["groups"].as_array().expect("groups").is_empty(),
                "{path} by {group_by}: the seeds have groups"
            );
        }
    }
}

async fn lists_feeds_and_revisions_match_their_schemas(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let spec = app.get_ok("/api-docs/openapi.json", &[]).await;
    for (path, query) in [
        ("/api/v1/work-items", "?limit=100&include=document,city"),
        ("/api/v1/livelihood-projects", "?limit=100&count=none"),
        ("/api/v1/documents", "?include=city"),
        ("/api/v1/cities", ""),
        ("/api/v1/sections", ""),
        ("/api/v1/leaders", "?limit=2&offset=2"),
        ("/api/v1/units", "?limit=500"),
        ("/", ""),
    ] {
        let page = assert_conforms(&app, &spec, path, &format!("{path}{query}"), "application/json").await;
        if query.contains("document") {
            assert!(page["items"][0]["document"]["doc_number"].is_string(), "include=document embeds it: {page}");
        }
    }
    for path in ["/api/v1/feeds/work-items", "/api/v1/feeds/livelihood-projects", "/api/v1/feeds/documents"] {
        assert_conforms(&app, &spec, path, path, "application/feed+json").await;
    }
    let item =
        app.get_ok("/api/v1/work-items", &[("limit", "1")]).await["items"][0]["id"].as_str().expect("an id").to_owned();
    let token = app.admin_token().await;
    let path = format!("/api/v1/work-items/{item}");
    app.send(Method::PATCH, &path, Some(&token), Some(serde_json::json!({"progress": 30})), &[]).await;
    let revisions = assert_conforms(
        &app,
        &spec,
        "/api/v1/work-items/{id}/revisions",
        &format!("{path}/revisions"),
        "application/json",
    )
    .await;
    assert_eq!(revisions["items"][1]["changes"]["progress"]["after"], 30, "{revisions}");
}

/// The headers of `response` in the document, with shared ones resolved.
fn documented_headers(spec: &Value, path: &str, method: &str, status: &str) -> Vec<String> {
    let mut response = spec["paths"][path][method]["responses"][status].clone();
    if let Some(reference) = response["$ref"].as_str() {
        response = spec["components"]["responses"][reference.trim_start_matches("#/components/responses/")].clone();
    }
    assert!(response.is_object(), "{method} {path} documents no {status}");
    response["headers"].as_object().map(|h| h.keys().map(|k| k.to_lowercase()).collect()).unwrap_or_default()
}

async fn the_headers_and_statuses_sent_are_documented(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let spec = app.get_ok("/api-docs/openapi.json", &[]).await;
    for (path, url) in [
        ("/api/v1/work-items", "/api/v1/work-items?limit=2".to_owned()),
        ("/api/v1/cities/{id}", "/api/v1/cities/330382".to_owned()),
        ("/api/v1/feeds/documents", "/api/v1/feeds/documents".to_owned()),
        ("/", "/".to_owned()),
    ] {
        let reply = app.send(Method::GET, &url, None, None, &[]).await;
        let documented = documented_headers(&spec, path, "get", "200");
        for name in ["etag", "last-modified", "cache-control", "vary", "x-request-id"] {
            assert!(reply.header(name).is_some(), "GET {url} sends no {name}");
            assert!(documented.iter().any(|d| d == name), "GET {path} does not document {name}: {documented:?}");
        }
        let again = app.send(Method::GET, &url, None, None, &[("if-none-match", &reply.etag())]).await;
        assert_eq!(again.status, reqwest::StatusCode::NOT_MODIFIED, "GET {url}");
        let documented = documented_headers(&spec, path, "get", "304");
        for name in ["etag", "cache-control", "x-request-id"] {
            assert!(again.header(name).is_some(), "a 304 of {url} sends no {name}");
            assert!(documented.iter().any(|d| d == name), "the 304 of {path} does not document {name}");
        }
    }
    let unauthorized = app.send(Method::POST, "/api/v1/units", None, Some(serde_json::json!({})), &[]).await;
    unauthorized.unauthorized();
    let documented = documented_headers(&spec, "/api/v1/units", "post", "401");
    assert!(documented.contains(&"www-authenticate".to_owned()) && documented.contains(&"x-request-id".to_owned()));
}

/// What Swagger UI's "Try it out" sends: every query parameter that has an example, set to it.
fn prefilled_query(spec: &Value, path: &str) -> Vec<(String, String)> {
    let parameters = spec["paths"][path]["get"]["parameters"].as_array().expect("parameters");
    parameters
        .iter()
        .map(|parameter| match parameter["$ref"].as_str() {
            Some(reference) => {
                &spec["components"]["parameters"][reference.trim_start_matches("#/components/parameters/")]
            }
            None => parameter,
        })
        .filter(|parameter| parameter["in"] == "query")
        .filter_map(|parameter| {
            let example = parameter.get("example").or_else(|| parameter["schema"].get("default"))?;
            let value = example.as_str().map_or_else(|| example.to_string(), str::to_owned);
            Some((parameter["name"].as_str().expect("a name").to_owned(), value))
        })
        .collect()
}

async fn prefilled_examples_find_seed_data(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let spec = app.get_ok("/api-docs/openapi.json", &[]).await;
    for (path, found) in [
        ("/api/v1/work-items", "/items"),
        ("/api/v1/livelihood-projects", "/items"),
        ("/api/v1/documents", "/items"),
        ("/api/v1/stats/work-items", "/groups"),
        ("/api/v1/stats/livelihood-projects", "/groups"),
        ("/api/v1/feeds/work-items", "/items"),
        ("/api/v1/feeds/livelihood-projects", "/items"),
    ] {
        let query = prefilled_query(&spec, path);
        let pairs: Vec<(&str, &str)> = query.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        let answer = app.get_ok(path, &pairs).await;
        let listed = answer.pointer(found).and_then(Value::as_array).expect("a list");
        assert!(!listed.is_empty(), "GET {path} with its examples {query:?} finds nothing");
    }
}
