//! The OpenAPI 3.1 document, built once from the handlers' annotations.

use std::sync::OnceLock;

use actix_web::{HttpResponse, dev::ResourceDef, get, http::header};
use serde_json::{Value, json};
use utoipa::OpenApi;

use utoipa::{
    Modify,
    openapi::security::{HttpAuthScheme, HttpBuilder, SecurityRequirement, SecurityScheme},
};

use crate::{
    http::{
        respond::list::Representation,
        routes::{
            changes, cities, documents, feeds, health, imports, items, landing, people, problems, reports, sections,
            stats, users,
        },
    },
    views::{
        ABSENT_OR_NULL, OMITTED_WHEN_EMPTY,
        cities::CityOut,
        collection::Collection,
        documents::DocumentOut,
        items::{LivelihoodProjectOut, WorkItemOut},
        page::{Page, PageLinks, PartialPage},
        people::{LeaderOut, UnitOut},
        problem::ProblemType,
        reports::{MissingReportOut, ReportOut},
        revisions::RevisionOut,
        sections::SectionDetailOut,
        stats::GroupBy,
        users::UserOut,
    },
};

/// Declares the bearer-JWT scheme that every write names.
struct BearerScheme;

impl Modify for BearerScheme {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        // Reads need no credentials: an empty requirement says so, and writes name `bearer`.
        openapi.security = Some(vec![SecurityRequirement::default()]);
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .bearer_format("JWT")
                    .description(Some("A token from `POST /api/v1/auth/token`."))
                    .build(),
            ),
        );
    }
}

/// States the document's rules in its description: absent versus `null` ([`ABSENT_OR_NULL`]).
struct Rules;

impl Modify for Rules {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let description = openapi.info.description.take().unwrap_or_default();
        openapi.info.description = Some(format!("{description}\n\n{ABSENT_OR_NULL}"));
    }
}

/// Replaces every inline schema that repeats a component schema with a reference to it, so
/// generated clients share one `Problem` and one record type per resource instead of a copy per
/// response. (utoipa inlines the record schema into generic envelopes and `#[to_schema]`
/// responses.) Works on the JSON: utoipa cannot read back every schema it writes (one of any
/// type, e.g.), so a round trip through its types would fail.
fn share_components(mut document: serde_json::Value) -> serde_json::Value {
    // Sharing an inner schema can make an outer copy equal to its component: repeat until
    // nothing changes.
    for _ in 0..4 {
        let before = document.clone();
        share_components_once(&mut document);
        if document == before {
            break;
        }
    }
    document
}

fn share_components_once(document: &mut serde_json::Value) {
    let components: Vec<(String, serde_json::Value)> = document["components"]["schemas"]
        .as_object()
        .map(|schemas| schemas.iter().map(|(name, schema)| (name.clone(), schema.clone())).collect())
        .unwrap_or_default();
    fn share(value: &mut serde_json::Value, components: &[(String, serde_json::Value)], top: Option<&str>) {
        if let Some((name, _)) = components.iter().find(|(name, schema)| Some(name.as_str()) != top && schema == value)
        {
            *value = serde_json::json!({ "$ref": format!("#/components/schemas/{name}") });
            return;
        }
        match value {
            serde_json::Value::Object(map) => map.values_mut().for_each(|v| share(v, components, None)),
            serde_json::Value::Array(items) => items.iter_mut().for_each(|v| share(v, components, None)),
            _ => {}
        }
    }
    share(&mut document["paths"], &components, None);
    if let Some(schemas) = document["components"]["schemas"].as_object_mut() {
        for (name, schema) in schemas.iter_mut() {
            share(schema, &components, Some(name.as_str()));
        }
    }
}

/// The component schemas `value` refers to, and those they refer to, transitively.
fn referenced_schemas(document: &Value, value: &Value) -> std::collections::BTreeSet<String> {
    fn refs(value: &Value, found: &mut Vec<String>) {
        match value {
            Value::Object(map) => {
                if let Some(name) =
                    map.get("$ref").and_then(Value::as_str).and_then(|r| r.strip_prefix("#/components/schemas/"))
                {
                    found.push(name.to_owned());
                }
                map.values().for_each(|v| refs(v, found));
            }
            Value::Array(items) => items.iter().for_each(|v| refs(v, found)),
            _ => {}
        }
    }
    let mut seen = std::collections::BTreeSet::new();
    let mut queue = Vec::new();
    refs(value, &mut queue);
    while let Some(name) = queue.pop() {
        if seen.insert(name.clone()) {
            refs(&document["components"]["schemas"][&name], &mut queue);
        }
    }
    seen
}

/// Applies [`ABSENT_OR_NULL`] to the schemas only responses use: every property required (the
/// server always sends it, `null` when empty), except those in [`OMITTED_WHEN_EMPTY`], which are
/// optional and never `null`. Request schemas keep their optional properties.
fn absent_or_null(mut document: Value) -> Value {
    let mut responses = Vec::new();
    let mut requests = Vec::new();
    for item in document["paths"].as_object().into_iter().flat_map(|paths| paths.values()) {
        for operation in item.as_object().into_iter().flat_map(|item| item.values()) {
            responses.push(operation["responses"].clone());
            requests.push(operation["requestBody"].clone());
            requests.push(operation["parameters"].clone());
        }
    }
    let outputs = referenced_schemas(&document, &Value::Array(responses));
    let inputs = referenced_schemas(&document, &Value::Array(requests));
    for name in outputs.difference(&inputs) {
        let schema = &mut document["components"]["schemas"][name];
        let parts: Vec<&mut Value> = match schema.get_mut("allOf").and_then(Value::as_array_mut) {
            Some(parts) => parts.iter_mut().collect(),
            None => vec![schema],
        };
        for part in parts {
            let Some(properties) = part.get("properties").and_then(Value::as_object).cloned() else { continue };
            let mut required = Vec::new();
            for property in properties.keys() {
                // Variants (`JsonFeed_documents`) keep the rule of their base.
                let base = name.split_once('_').map_or(name.as_str(), |(base, _)| base);
                if OMITTED_WHEN_EMPTY.contains(&(base, property.as_str())) {
                    if let Some(schema) = part.get_mut("properties").and_then(|p| p.get_mut(property)) {
                        never_null(schema);
                    }
                } else {
                    required.push(Value::String(property.clone()));
                }
            }
            part["required"] = Value::Array(required);
        }
    }
    document
}

/// Takes `null` out of the values `schema` allows: `Option<T>` makes it `T | null` (or a `oneOf`
/// with `{"type": "null"}`), which a property left out when empty never is.
fn never_null(schema: &mut Value) {
    if let Some(types) = schema.get_mut("type").and_then(Value::as_array_mut) {
        types.retain(|t| t != "null");
    }
    let Some(alternatives) = schema.get_mut("oneOf").and_then(Value::as_array_mut) else { return };
    alternatives.retain(|alternative| alternative.get("type").is_none_or(|t| t != "null"));
    if let [only] = alternatives.as_slice() {
        *schema = only.clone();
    }
}

/// Replaces every `oneOf` of one schema (utoipa's `#[schema(inline)]` of a newtype with a
/// description) by that schema, so Redocly's `no-illogical-composition-keywords` holds.
fn single_alternatives(mut document: Value) -> Value {
    fn walk(value: &mut Value) {
        match value {
            Value::Object(map) => {
                let single = match map.get("oneOf").and_then(Value::as_array) {
                    Some(alternatives) if alternatives.len() == 1 => alternatives[0].as_object().cloned(),
                    _ => None,
                };
                // A lone `$ref` keeps its siblings (a description): OpenAPI 3.1 allows them.
                if let Some(only) = single {
                    map.remove("oneOf");
                    for (key, part) in only {
                        map.entry(key).or_insert(part);
                    }
                }
                map.values_mut().for_each(walk);
            }
            Value::Array(items) => items.iter_mut().for_each(walk),
            _ => {}
        }
    }
    walk(&mut document);
    document
}

/// Lists the problem type URIs in `Problem.type` (the registry `/problems` describes each).
fn problem_types(mut document: Value) -> Value {
    let uris: Vec<String> = ProblemType::ALL.into_iter().map(ProblemType::uri).collect();
    document["components"]["schemas"]["Problem"]["properties"]["type"]["enum"] = json!(uris);
    document
}

/// Documents the headers and answers that middleware adds to operations, which their
/// annotations cannot see: `X-Request-Id` on every answer; on the reads the caching middleware
/// serves (under `/api/` and `/`), `ETag`, `Last-Modified`, `Cache-Control` and `Vary` on the 200,
/// the `If-None-Match` and `If-Modified-Since` parameters and the 304 they lead to; and
/// `WWW-Authenticate` on every 401.
fn document_headers(mut document: Value) -> Value {
    let header = |description: &str| json!({ "description": description, "schema": { "type": "string" } });
    document["components"]["headers"] = json!({
        "X-Request-Id": header("The request's id, also on its log lines: quote it when you report a problem."),
        "ETag": header("A strong entity tag: a single resource's is the digest of its JSON (send it back in `If-Match`); a list's names the change log's head, the request and the body."),
        "Last-Modified": header("The time of the last change to any record (the head of the change log), as an HTTP date."),
        "Cache-Control": header("`public, no-cache` for anonymous reads, `private, no-cache` with credentials: caches may keep the answer but must revalidate it."),
        "Vary": header("`accept`: the representation depends on the `Accept` header."),
        "WWW-Authenticate": header("`Bearer realm=\"duban\"`, with `error=\"invalid_token\"` when a token was sent but is not valid."),
    });
    let reference = |name: &str| json!({ "$ref": format!("#/components/headers/{name}") });
    let validators = ["ETag", "Last-Modified", "Cache-Control", "Vary"];
    let not_modified = json!({
        "description": "Not modified: what the client holds (named by `If-None-Match` or `If-Modified-Since`) is current. No body.",
        "headers": validators.iter().chain(["X-Request-Id"].iter()).map(|name| ((*name).to_owned(), reference(name))).collect::<serde_json::Map<_, _>>(),
    });
    document["components"]["responses"] = json!({ "NotModified": not_modified });
    document["components"]["parameters"]["If-None-Match"] = json!({
        "name": "If-None-Match", "in": "header", "required": false,
        "description": "Entity tags the client holds (from `ETag`); a 304 answers when one is current.",
        "schema": { "type": "string" },
    });
    document["components"]["parameters"]["If-Modified-Since"] = json!({
        "name": "If-Modified-Since", "in": "header", "required": false,
        "description": "An HTTP date (from `Last-Modified`); without `If-None-Match`, a 304 answers when nothing changed since.",
        "schema": { "type": "string" },
    });
    let Some(paths) = document["paths"].as_object_mut() else { return document };
    for (path, item) in paths.iter_mut() {
        let cached = path.starts_with("/api/") || path == "/";
        for (method, operation) in item.as_object_mut().into_iter().flatten() {
            let conditional = cached && method == "get";
            if conditional {
                let parameters = operation["parameters"].as_array_mut().map(std::mem::take).unwrap_or_default();
                let mut parameters = parameters;
                parameters.push(json!({ "$ref": "#/components/parameters/If-None-Match" }));
                parameters.push(json!({ "$ref": "#/components/parameters/If-Modified-Since" }));
                operation["parameters"] = Value::Array(parameters);
                operation["responses"]["304"] = json!({ "$ref": "#/components/responses/NotModified" });
            }
            for (status, response) in operation["responses"].as_object_mut().into_iter().flatten() {
                if response.get("$ref").is_some() {
                    continue;
                }
                let mut names = vec!["X-Request-Id"];
                if conditional && status == "200" {
                    names.extend(validators);
                }
                if status == "401" {
                    names.push("WWW-Authenticate");
                }
                let headers = response["headers"].as_object_mut().map(std::mem::take).unwrap_or_default();
                let mut headers = headers;
                // A handler's own `ETag` and `Location` (a resource read, changed or created) are
                // always sent: say so, so that clients need not treat them as optional. (The
                // caching middleware's, added below by reference, are documented as they are.)
                for name in ["ETag", "Location"] {
                    if let Some(header) = headers.get_mut(name).filter(|h| h.get("$ref").is_none()) {
                        header["required"] = json!(true);
                    }
                }
                for name in names {
                    headers.entry(name.to_owned()).or_insert_with(|| reference(name));
                }
                response["headers"] = Value::Object(headers);
            }
        }
    }
    document
}

/// A copy of component schema `base`, with the parts at `replacements` (JSON pointers into it)
/// replaced, added as component `name`. A `$ref` to it is returned.
fn add_variant(document: &mut Value, base: &str, name: &str, replacements: Vec<(&str, Value)>) -> Value {
    let mut schema = document["components"]["schemas"][base].clone();
    for (pointer, replacement) in replacements {
        if let Some(part) = schema.pointer_mut(pointer) {
            *part = replacement;
        }
    }
    document["components"]["schemas"][name] = schema;
    json!({ "$ref": format!("#/components/schemas/{name}") })
}

/// Makes component `base` a `oneOf` of `variants` (a value of `property` and the variant's
/// `$ref`), discriminated by `property`, so that a generated client narrows it by that value.
fn discriminate(document: &mut Value, base: &str, property: &str, variants: Vec<(String, Value)>) {
    let description = document["components"]["schemas"][base]["description"].clone();
    let mapping: serde_json::Map<String, Value> =
        variants.iter().map(|(value, reference)| (value.clone(), reference["$ref"].clone())).collect();
    document["components"]["schemas"][base] = json!({
        "description": description,
        "oneOf": variants.into_iter().map(|(_, reference)| reference).collect::<Vec<_>>(),
        "discriminator": { "propertyName": property, "mapping": mapping },
    });
}

/// `reference`, or null.
fn nullable(reference: Value) -> Value {
    json!({ "oneOf": [reference, { "type": "null" }] })
}

/// Types the payloads whose shape depends on another field, which the derived schemas can only
/// call "an object": a change's `resource` by its `resource_type`, a group's `key` by the stats'
/// `group_by`, a feed item's `_duban` by its feed. Each becomes a variant of its own; the
/// polymorphic ones a `oneOf` with a discriminator.
fn typed_variants(mut document: Value) -> Value {
    let fixed = |value: &str| json!({ "type": "string", "enum": [value] });
    // The change feed: one variant per published collection.
    let changes = Collection::PUBLIC
        .into_iter()
        .map(|collection| {
            let value = collection.as_str();
            let record = json!({ "$ref": format!("#/components/schemas/{}", collection.schema()) });
            let reference = add_variant(
                &mut document,
                "ChangeOut",
                &format!("ChangeOut_{value}"),
                vec![("/properties/resource_type", fixed(value)), ("/properties/resource", nullable(record))],
            );
            (value.to_owned(), reference)
        })
        .collect();
    discriminate(&mut document, "ChangeOut", "resource_type", changes);
    // Stats: one variant per grouping, with groups whose keys have that grouping's shape.
    let stats = GroupBy::ALL
        .into_iter()
        .map(|group_by| {
            let value = serde_json::to_value(group_by).ok().and_then(|v| v.as_str().map(str::to_owned));
            let value = value.unwrap_or_default();
            let (key_schema, may_be_null) = group_by.key_schema();
            let key = json!({ "$ref": format!("#/components/schemas/{key_schema}") });
            let key = if may_be_null { nullable(key) } else { key };
            let group = add_variant(
                &mut document,
                "Group",
                &format!("Group_{value}"),
                vec![("/allOf/1", json!({ "type": "object", "required": ["key"], "properties": { "key": key } }))],
            );
            let reference = add_variant(
                &mut document,
                "Stats",
                &format!("Stats_{value}"),
                vec![("/properties/group_by", fixed(&value)), ("/properties/groups/items", group)],
            );
            (value, reference)
        })
        .collect();
    discriminate(&mut document, "Stats", "group_by", stats);
    // Feeds: each operation its own feed type, whose items carry that collection's records.
    for collection in
        [Collection::WorkItems, Collection::LivelihoodProjects, Collection::Documents, Collection::Reports]
    {
        let value = collection.as_str();
        let record = json!({ "$ref": format!("#/components/schemas/{}", collection.schema()) });
        let item =
            add_variant(&mut document, "FeedItem", &format!("FeedItem_{value}"), vec![("/properties/_duban", record)]);
        let feed = add_variant(
            &mut document,
            "JsonFeed",
            &format!("JsonFeed_{value}"),
            vec![("/properties/items/items", item)],
        );
        let content =
            format!("/paths/~1api~1v1~1feeds~1{value}/get/responses/200/content/application~1feed+json/schema");
        if let Some(schema) = document.pointer_mut(&content) {
            *schema = feed;
        }
    }
    // The bases are now only templates of their variants.
    if let Some(schemas) = document["components"]["schemas"].as_object_mut() {
        for base in ["Group", "FeedItem", "JsonFeed"] {
            schemas.remove(base);
        }
    }
    document
}

/// The top-level properties of component schema `name`, through `$ref`s and `allOf` parts, with
/// their schemas.
fn record_properties(document: &Value, schema: &Value) -> serde_json::Map<String, Value> {
    let mut properties = serde_json::Map::new();
    let schema = match schema.get("$ref").and_then(Value::as_str).and_then(|r| r.strip_prefix("#/components/schemas/"))
    {
        Some(name) => &document["components"]["schemas"][name],
        None => schema,
    };
    for part in schema.get("allOf").and_then(Value::as_array).into_iter().flatten() {
        properties.extend(record_properties(document, part));
    }
    if let Some(own) = schema.get("properties").and_then(Value::as_object) {
        properties.extend(own.clone());
    }
    properties
}

/// The list operations of the document: the path of each, its record's name (`X` of the `Page_X`
/// its 200 answers as JSON) and the record's schema (the items of that page).
fn list_operations(document: &Value) -> Vec<(String, String, Value)> {
    let record = |operation: &Value| {
        let reference = operation.pointer("/responses/200/content/application~1json/schema/$ref")?.as_str()?;
        let name = reference.strip_prefix("#/components/schemas/Page_")?;
        let schema = document["components"]["schemas"][format!("Page_{name}")].pointer("/properties/items/items")?;
        Some((name.to_owned(), schema.clone()))
    };
    let paths = document["paths"].as_object().into_iter().flatten();
    paths
        .filter_map(|(path, item)| {
            let (name, schema) = record(&item["get"])?;
            Some((path.clone(), name, schema))
        })
        .collect()
}

/// Serves each list's other representations as operations of their own at the list's path with a
/// suffix ([`Representation`]): `.csv` and `.ndjson` (with an optional `fields`), and
/// `.partial.json`, whose `fields` is required and whose records are the list's record with every
/// property optional but `id` (`PartialPage_<record>`). Every operation then answers its 200 with
/// one media type and one schema, so a generated client types a JSON list as its page, not a
/// union. `fields` is typed as an array of the record's property names.
fn list_representations(mut document: Value) -> Value {
    for (path, record_name, record) in list_operations(&document) {
        let properties = record_properties(&document, &record);
        let names: Vec<&String> = properties.keys().collect();
        let fields = |required: bool| {
            json!({
                "name": "fields", "in": "query", "required": required, "style": "form", "explode": false,
                "description": "Only these top-level fields of each record, comma-separated (`id` is always kept).",
                "schema": { "type": "array", "minItems": 1, "items": { "type": "string", "enum": names } },
            })
        };
        let partial_record = json!({
            "type": "object",
            "description": format!("A `{record_name}` with only the fields asked for, and its `id`."),
            "required": if properties.contains_key("id") { json!(["id"]) } else { json!([]) },
            "properties": properties,
        });
        let partial_page = add_variant(
            &mut document,
            "PartialPage",
            &format!("PartialPage_{record_name}"),
            vec![("/properties/items/items", partial_record)],
        );
        let main = document["paths"][&path]["get"].clone();
        let id = main["operationId"].as_str().unwrap_or_default().to_owned();
        for representation in Representation::ALL {
            let suffix = representation.suffix();
            let (schema, label) = match representation {
                Representation::Csv => (json!({ "type": "string" }), "as CSV (UTF-8 with a BOM)"),
                Representation::Ndjson => (json!({ "type": "string" }), "as NDJSON (one JSON record a line)"),
                Representation::Partial => (partial_page.clone(), "with only the fields named"),
            };
            let mut operation = main.clone();
            let name = suffix.trim_start_matches('.').replace('.', "_");
            operation["operationId"] = json!(format!("{id}_{name}"));
            let summary = operation["summary"].as_str().unwrap_or_default().to_owned();
            operation["summary"] = json!(format!("{summary} {label}"));
            operation["description"] = json!(format!(
                "The list of `GET {path}`, with the same parameters, {label}: `{}`.",
                representation.media_type()
            ));
            if let Some(parameters) = operation["parameters"].as_array_mut() {
                parameters.push(fields(representation == Representation::Partial));
            }
            if let Some(ok) = operation.pointer_mut("/responses/200") {
                ok["content"] = json!({ representation.media_type(): { "schema": schema } });
            }
            document["paths"][format!("{path}{suffix}")] = json!({ "get": operation });
        }
        let description = main["description"].as_str().unwrap_or_default();
        document["paths"][&path]["get"]["description"] = json!(format!(
            "{description}\n\nThe same list as CSV is `GET {path}.csv`, as NDJSON `GET {path}.ndjson`, and with only \
             some fields `GET {path}.partial.json?fields=…`: each its own operation. (`format=`, `Accept` and \
             `fields=` still select them here, for older clients, but this operation documents only the JSON page.)"
        ));
    }
    if let Some(schemas) = document["components"]["schemas"].as_object_mut() {
        schemas.remove("PartialPage");
    }
    document
}

/// Puts the examples of `examples.json` on their operations: per status, the answers the server
/// gave over the seed documents, and per media type the request bodies that led to some of them (a
/// PATCH of the progress alone first, so that Swagger UI's "Try it out", which sends the first,
/// changes nothing else). They are captured from a live server by `openapi/capture_examples.sh`;
/// `.ci/contract` checks each against its schema. The file's shape:
/// `{operationId: {"responses": {status: [example…]}, "request": {media type: {status: example}}}}`,
/// an example being `{"summary", "value"}`.
fn attach_examples(mut document: Value) -> Value {
    let captured: Value = serde_json::from_str(include_str!("examples.json")).unwrap_or_default();
    let mut operations = Vec::new();
    for (path, item) in document["paths"].as_object().into_iter().flatten() {
        for (method, operation) in item.as_object().into_iter().flatten() {
            if let Some(id) = operation["operationId"].as_str() {
                operations
                    .push((id.to_owned(), format!("/paths/{}/{method}", path.replace('~', "~0").replace('/', "~1"))));
            }
        }
    }
    for (id, pointer) in operations {
        let Some(examples) = captured.get(&id) else { continue };
        for (status, answers) in examples["responses"].as_object().into_iter().flatten() {
            // The first answer of a status is `status_200`, the next ones `status_200_2`, `status_200_3`…
            let named: serde_json::Map<String, Value> = answers
                .as_array()
                .into_iter()
                .flatten()
                .enumerate()
                .map(|(n, example)| {
                    let name = if n == 0 { format!("status_{status}") } else { format!("status_{status}_{}", n + 1) };
                    (name, example.clone())
                })
                .collect();
            let content = document.pointer_mut(&format!("{pointer}/responses/{status}/content"));
            for media in content.and_then(Value::as_object_mut).into_iter().flat_map(|c| c.values_mut()) {
                media["examples"] = Value::Object(named.clone());
            }
        }
        for (media_type, by_status) in examples["request"].as_object().into_iter().flatten() {
            let mut statuses: Vec<(&String, &Value)> = by_status.as_object().into_iter().flatten().collect();
            // Successes first: Swagger UI prefills the first.
            statuses.sort_by_key(|(status, _)| status.as_str());
            let named = statuses.into_iter().map(|(status, example)| (format!("status_{status}"), example.clone()));
            let media = format!("{pointer}/requestBody/content/{}", media_type.replace('~', "~0").replace('/', "~1"));
            if let Some(media) = document.pointer_mut(&media) {
                media["examples"] = Value::Object(named.collect());
            }
        }
    }
    document
}

/// Defines [`ApiDoc`] and the functions that register the handlers from one list, so that every
/// route the server has is in the document and every operation in the document is served.
macro_rules! api {
    (api_v1: [$($($v1:ident)::+),+ $(,)?], root: [$($($root:ident)::+),+ $(,)?] $(,)?) => {
        /// The document's root: the operations are the handlers registered below.
        #[derive(OpenApi)]
        #[openapi(
            info(
                title = "Duban API",
                description = "Duban (督办) publishes and tracks the work plans Chinese city governments issue each year: \
                    key work items (重点工作) and livelihood projects (民生实事项目), who leads each, which units share it, \
                    and how far it has got. Reads are public; writes need a bearer token from `POST /api/v1/auth/token`, \
                    of an admin, or of an editor of the city concerned. Single resources carry a strong `ETag`; send it in \
                    `If-Match` when you change them and a stale one is answered 412.",
                license(name = "Apache-2.0", identifier = "Apache-2.0"),
                contact(name = "Duban maintainers", url = "https://github.com/duban-dev/duban")
            ),
            servers((url = "/", description = "This server")),
            modifiers(&BearerScheme, &Rules),
            components(schemas(
                crate::views::stats::GroupBy, crate::views::items::NameOrId,
                crate::views::stats::CityKey, crate::views::stats::DocumentKey, crate::views::stats::LeaderKey,
                crate::views::stats::UnitKey, crate::views::stats::StatusKey, crate::views::stats::PeriodKey,
                crate::views::stats::CategoryKey, ProblemType,
                crate::views::items::NameOrIdFilter, crate::views::items::StatusFilter,
                // The list pages, which the lists' 200 responses (`ListOk`) refer to by name.
                Page<CityOut>, Page<DocumentOut>, Page<SectionDetailOut>, Page<LeaderOut>, Page<UnitOut>,
                Page<WorkItemOut>, Page<LivelihoodProjectOut>, Page<UserOut>, Page<RevisionOut>, Page<ReportOut>, Page<MissingReportOut>, PartialPage, PageLinks, RevisionOut,
            )),
            paths($($($v1)::+,)+ $($($root)::+),+),
            tags(
                (name = "landing", description = "What the API is and where everything is"),
                (name = "auth", description = "Access tokens for writes"),
                (name = "cities", description = "County-level cities"),
                (name = "documents", description = "Issued notices"),
                (name = "sections", description = "The attachments and plans of documents"),
                (name = "leaders", description = "City leaders who lead groups of items"),
                (name = "units", description = "Responsible bodies"),
                (name = "work-items", description = "Key work items (重点工作)"),
                (name = "livelihood-projects", description = "Livelihood projects (民生实事项目)"),
                (name = "reports", description = "Dated progress reports by the units on an item (督办); the item's status and progress follow its latest report"),
                (name = "users", description = "Accounts (admins only)"),
                (name = "imports", description = "Whole documents: files in the format of the seed files, or the text of a published notice; dry runs"),
                (name = "stats", description = "Aggregates for dashboards"),
                (name = "feeds", description = "JSON Feed 1.1 for portals"),
                (name = "changes", description = "Every change in commit order, for mirroring"),
                (name = "health", description = "Liveness, readiness and metrics"),
                (name = "problems", description = "The problem types errors carry in `type`, one page each"),
            )
        )]
        pub struct ApiDoc;

        /// Registers every `/api/v1` handler of the document.
        pub fn configure_api_v1(cfg: &mut actix_web::web::ServiceConfig) {
            $(cfg.service($($v1)::+);)+
        }

        /// Registers every handler of the document outside `/api/v1`.
        pub fn configure_root(cfg: &mut actix_web::web::ServiceConfig) {
            $(cfg.service($($root)::+);)+
        }
    };
}

api! {
    api_v1: [
        // The router tries the routes in this order, with a regex for each one with a parameter:
        // the items, read most, come first (no other route starts with their paths). Before, a
        // GET of one item went through 38 routes (8% of its CPU, callgrind).
        items::list_work_items,
        items::get_work_item,
        items::work_item_writes::create,
        items::work_item_writes::replace,
        items::work_item_writes::patch,
        items::work_item_writes::delete,
        items::work_item_writes::revisions,
        items::list_livelihood_projects,
        items::get_livelihood_project,
        items::livelihood_project_writes::create,
        items::livelihood_project_writes::replace,
        items::livelihood_project_writes::patch,
        items::livelihood_project_writes::delete,
        items::livelihood_project_writes::revisions,
        reports::list_work_item_reports,
        reports::create_work_item_report,
        reports::list_livelihood_project_reports,
        reports::create_livelihood_project_report,
        users::create_token,
        cities::list_cities,
        cities::get_city,
        cities::create,
        cities::replace,
        cities::patch,
        cities::delete,
        cities::revisions,
        documents::list_documents,
        documents::get_document,
        documents::create,
        documents::replace,
        documents::patch,
        documents::delete,
        documents::revisions,
        sections::list_sections,
        sections::get_section,
        sections::create,
        sections::replace,
        sections::patch,
        sections::delete,
        sections::revisions,
        people::list_leaders,
        people::get_leader,
        people::leader_writes::create,
        people::leader_writes::replace,
        people::leader_writes::patch,
        people::leader_writes::delete,
        people::leader_writes::revisions,
        people::list_units,
        people::get_unit,
        people::unit_writes::create,
        people::unit_writes::replace,
        people::unit_writes::patch,
        people::unit_writes::delete,
        people::unit_writes::revisions,
        reports::list_reports,
        // Before `/reports/{id}`, which would take `missing` for an id.
        reports::list_missing_reports,
        reports::get_report,
        reports::patch_report,
        reports::delete_report,
        reports::report_revisions,
        users::list_users,
        users::get_user,
        users::create,
        users::replace,
        users::patch,
        users::delete,
        users::revisions,
        imports::create_import,
        stats::work_item_stats,
        stats::livelihood_project_stats,
        reports::report_trends,
        feeds::work_item_feed,
        feeds::livelihood_project_feed,
        feeds::document_feed,
        feeds::report_feed,
        changes::list_changes,
    ],
    root: [
        landing::landing,
        problems::list_problem_types,
        problems::get_problem_type,
        health::metrics,
        health::live,
        health::ready,
    ],
}

/// The document as pretty-printed JSON, built on first use.
pub fn json() -> &'static str {
    static JSON: OnceLock<String> = OnceLock::new();
    JSON.get_or_init(|| {
        let document = serde_json::to_value(ApiDoc::openapi())
            .map(share_components)
            .map(typed_variants)
            .map(absent_or_null)
            .map(problem_types)
            .map(single_alternatives)
            .map(list_representations)
            .map(attach_examples)
            .map(share_parameters)
            .map(document_headers);
        let mut json = document.and_then(|d| serde_json::to_string_pretty(&d)).unwrap_or_else(|error| {
            // Serialising derived structs cannot fail short of a bug in utoipa; say so in the body.
            format!("{{\"error\":\"failed to serialise the OpenAPI document: {error}\"}}")
        });
        json.push('\n');
        json
    })
}

/// Moves every parameter that two or more operations share into `components.parameters` and
/// refers to it there, so the list options and filters are defined once. A parameter keeps its
/// own name; where operations document different variants of it (each list its own sort
/// fields), each variant is named after the first operation that uses it.
fn share_parameters(mut document: serde_json::Value) -> serde_json::Value {
    use serde_json::{Map, Value};
    /// A parameter, where it is used (operation, index), and the first operation using it.
    type Use = (Value, Vec<(String, usize)>, String);
    let mut uses: Vec<Use> = Vec::new();
    let operations = |paths: &Map<String, Value>| -> Vec<(String, String, Value)> {
        let mut list = Vec::new();
        for (path, item) in paths {
            for (method, operation) in item.as_object().into_iter().flatten() {
                list.push((path.clone(), method.clone(), operation.clone()));
            }
        }
        list
    };
    let Some(paths) = document["paths"].as_object().cloned() else { return document };
    for (path, method, operation) in operations(&paths) {
        let id = operation["operationId"].as_str().unwrap_or_default().to_owned();
        for (index, parameter) in operation["parameters"].as_array().into_iter().flatten().enumerate() {
            let at = format!("{path} {method}");
            match uses.iter_mut().find(|(p, ..)| p == parameter) {
                Some((_, places, _)) => places.push((at, index)),
                None => uses.push((parameter.clone(), vec![(at, index)], id.clone())),
            }
        }
    }
    let mut components = Map::new();
    for (parameter, places, first_operation) in &uses {
        if places.len() < 2 {
            continue;
        }
        let name = parameter["name"].as_str().unwrap_or("parameter");
        let variants = uses.iter().filter(|(p, places, _)| p["name"] == parameter["name"] && places.len() >= 2).count();
        let key = if variants == 1 { name.to_owned() } else { format!("{name}.{first_operation}") };
        let key = key.replace(|c: char| !(c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-')), "_");
        for (at, index) in places {
            let (path, method) = at.split_once(' ').unwrap_or_default();
            document["paths"][path][method]["parameters"][*index] =
                serde_json::json!({ "$ref": format!("#/components/parameters/{key}") });
        }
        components.insert(key, parameter.clone());
    }
    if !components.is_empty() {
        document["components"]["parameters"] = Value::Object(components);
    }
    document
}

/// The document as served, parsed, for the server to read what it follows at run time. Not
/// kept: the tables read from it are small, and keeping the parsed tree of the 2 MB document cost
/// the process 2–3 MiB of resident memory for its whole life.
fn served_document() -> Value {
    serde_json::from_str(json()).unwrap_or(Value::Null)
}

/// The methods the document lists for the route matching `path`, or `None` when no route does.
/// Used to answer 405 with `Allow`, so the document stays the one list of routes. A path without
/// parameters wins over a template (`/reports/missing` is not `/reports/{id}`), as in the router.
pub fn allowed_methods(path: &str) -> Option<&'static [&'static str]> {
    static ROUTES: OnceLock<Vec<(ResourceDef, Vec<&'static str>)>> = OnceLock::new();
    let routes = ROUTES.get_or_init(|| {
        let document = served_document();
        let mut paths: Vec<(&String, &Value)> = document["paths"].as_object().into_iter().flatten().collect();
        paths.sort_by_key(|(template, _)| template.contains('{'));
        paths
            .into_iter()
            .map(|(template, item)| {
                let methods = ["GET", "PUT", "POST", "DELETE", "PATCH"]
                    .into_iter()
                    .filter(|method| item.get(method.to_lowercase()).is_some())
                    .collect();
                (ResourceDef::new(template.as_str()), methods)
            })
            .collect()
    });
    routes.iter().find(|(def, _)| def.is_match(path)).map(|(_, methods)| methods.as_slice())
}

/// The top-level fields of the records of the list served at `path` (which `fields` may name), or
/// `None` when `path` is no list of the document.
pub fn list_fields(path: &str) -> Option<&'static [String]> {
    static LISTS: OnceLock<Vec<(ResourceDef, Vec<String>)>> = OnceLock::new();
    let lists = LISTS.get_or_init(|| {
        let document = served_document();
        let mut lists = list_operations(&document);
        lists.sort_by_key(|(path, ..)| path.contains('{'));
        lists
            .into_iter()
            .map(|(path, _, record)| {
                (ResourceDef::new(path), record_properties(&document, &record).keys().cloned().collect())
            })
            .collect()
    });
    lists.iter().find(|(def, _)| def.is_match(path)).map(|(_, fields)| fields.as_slice())
}

/// Serves the OpenAPI document.
#[get("/api-docs/openapi.json")]
pub async fn serve() -> HttpResponse {
    HttpResponse::Ok().insert_header((header::CONTENT_TYPE, "application/json")).body(json())
}
