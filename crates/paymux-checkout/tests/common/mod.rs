//! Shared test helpers: a provider pointed at a mock server and OpenAPI schema validation.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use std::time::Duration;

use paymux_checkout::{CheckoutBuilder, CheckoutProvider};
use paymux_core::TransportConfig;
use serde_json::{json, Map, Value};

pub const KEY: &str = "sk_sbox_m73dzbpy7cf3gfd46xr4yj5xo4e";
pub const AUTH: &str = "Bearer sk_sbox_m73dzbpy7cf3gfd46xr4yj5xo4e";
pub const PAY_ID: &str = "pay_mbabizu24mvu3mela5njyhpit4";

pub fn provider(base_url: &str) -> CheckoutProvider {
    CheckoutBuilder::new(KEY)
        .with_base_url(base_url)
        .with_transport(
            TransportConfig::default()
                .with_max_retries(2)
                .with_backoff(Duration::from_millis(1), Duration::from_millis(5)),
        )
        .build()
        .unwrap()
}

pub fn spec() -> Value {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../../shared/reference/checkout-openapi.json"
    );
    let text = std::fs::read_to_string(path).expect("the Checkout.com OpenAPI spec beside the repository");
    serde_json::from_str(&text).unwrap()
}

/// Makes OpenAPI 3.0 schemas acceptable to a JSON Schema (draft 7) validator:
/// `nullable: true` adds `null` to the type, `null`s in `required` (and a non-array `required`) are dropped, the invalid
/// types `bool`, `long`, `int64`, `datetime` become JSON Schema types, other invalid
/// type names are dropped; examples are left alone.
fn sanitize(v: &mut Value) {
    match v {
        Value::Object(o) => {
            match o.get_mut("required") {
                Some(Value::Array(req)) => req.retain(|r| r.is_string()),
                Some(_) => {
                    o.remove("required");
                }
                None => {}
            }
            if let Some(Value::String(t)) = o.get("type").cloned() {
                match t.as_str() {
                    "string" | "object" | "integer" | "array" | "boolean" | "number" | "null" => {}
                    "bool" => {
                        o.insert("type".into(), json!("boolean"));
                    }
                    "long" | "int64" => {
                        o.insert("type".into(), json!("integer"));
                    }
                    "datetime" => {
                        o.insert("type".into(), json!("string"));
                    }
                    _ => {
                        o.remove("type");
                    }
                }
            }
            if o.remove("nullable") == Some(json!(true)) {
                if let Some(Value::String(t)) = o.get("type").cloned() {
                    o.insert("type".into(), json!([t, "null"]));
                }
            }
            for (key, child) in o.iter_mut() {
                if key != "example" && key != "examples" {
                    sanitize(child);
                }
            }
        }
        Value::Array(a) => a.iter_mut().for_each(sanitize),
        _ => {}
    }
}

/// Turns each `discriminator` into what it means: the base schema plus, for each mapped
/// value of the property, `if {property: const value} then {$ref: target}`. Targets that
/// extend the base with `allOf` are pointed at a copy of the base without the discriminator
/// (so the check does not recurse).
fn expand_discriminators(schemas: &mut Map<String, Value>) {
    let names: Vec<String> = schemas
        .iter()
        .filter(|(_, s)| s.get("discriminator").and_then(|d| d.get("mapping")).is_some())
        .map(|(n, _)| n.clone())
        .collect();
    for name in names {
        let mut base = schemas[&name].clone();
        let disc = base.as_object_mut().unwrap().remove("discriminator").unwrap();
        let base_name = format!("{name}__base");
        let base_ref = format!("#/components/schemas/{base_name}");
        let own_ref = format!("#/components/schemas/{name}");
        let prop = disc["propertyName"].as_str().unwrap().to_owned();
        let mut all_of = vec![json!({"$ref": base_ref})];
        for (value, target) in disc["mapping"].as_object().unwrap() {
            let target_name = target.as_str().unwrap().rsplit('/').next().unwrap().to_owned();
            if let Some(t) = schemas.get_mut(&target_name) {
                if let Some(Value::Array(parts)) = t.get_mut("allOf") {
                    for part in parts.iter_mut() {
                        if part.get("$ref") == Some(&json!(own_ref)) {
                            *part = json!({"$ref": base_ref});
                        }
                    }
                }
            } else {
                continue;
            }
            all_of.push(json!({
                "if": {"properties": {prop.clone(): {"const": value}}, "required": [prop.clone()]},
                "then": {"$ref": target}
            }));
        }
        schemas.insert(base_name, base);
        schemas.insert(name, json!({"allOf": all_of}));
    }
}

pub fn components() -> Value {
    let mut components = spec()["components"].clone();
    sanitize(&mut components);
    expand_discriminators(components["schemas"].as_object_mut().unwrap());
    components
}

/// Validates `instance` against `#/components/schemas/{name}` of the spec; panics with every
/// error otherwise. Also checks that every top-level property sent is one the schema names
/// (OpenAPI schemas allow unknown properties, which would hide misspelt fields).
pub fn assert_valid(name: &str, instance: &Value) {
    let components = components();
    let root = json!({
        "$schema": "http://json-schema.org/draft-07/schema#",
        "$ref": format!("#/components/schemas/{name}"),
        "components": components,
    });
    let validator = jsonschema::draft7::options()
        .should_validate_formats(true)
        .build(&root)
        .unwrap_or_else(|e| panic!("schema {name} does not compile: {e}"));
    let errors: Vec<String> = validator
        .iter_errors(instance)
        .map(|e| format!("{e} at {}", e.instance_path))
        .collect();
    assert!(errors.is_empty(), "{name} rejects {instance}: {errors:#?}");
    let known = properties_of(&components, &components["schemas"][name]);
    for key in instance.as_object().unwrap().keys() {
        assert!(
            known.contains(key),
            "{name} has no property {key:?}; known: {known:?}"
        );
    }
}

fn properties_of(components: &Value, schema: &Value) -> Vec<String> {
    let mut out = Vec::new();
    if let Some(r) = schema.get("$ref").and_then(Value::as_str) {
        let name = r.rsplit('/').next().unwrap();
        return properties_of(components, &components["schemas"][name]);
    }
    if let Some(props) = schema.get("properties").and_then(Value::as_object) {
        out.extend(props.keys().cloned());
    }
    for key in ["allOf", "oneOf", "anyOf"] {
        if let Some(parts) = schema.get(key).and_then(Value::as_array) {
            for p in parts {
                out.extend(properties_of(components, p));
            }
        }
    }
    out
}

/// A sample built from a schema the way API reference renderers do: `example` where given,
/// else objects from their properties, the first of `oneOf`/`anyOf`, merged `allOf`, one
/// array item, the first enum value, and placeholders for the rest (date-times as
/// `2019-08-24T14:15:22Z`).
pub fn sample(components: &Value, schema: &Value, depth: usize) -> Value {
    let mut schema = schema;
    while let Some(r) = schema.get("$ref").and_then(Value::as_str) {
        schema = &components["schemas"][r.rsplit('/').next().unwrap()];
    }
    if let Some(e) = schema.get("example") {
        return e.clone();
    }
    if depth > 12 {
        return Value::Null;
    }
    if let Some(parts) = schema.get("allOf").and_then(Value::as_array) {
        let mut out = Map::new();
        for p in parts {
            match sample(components, p, depth + 1) {
                Value::Object(o) => out.extend(o),
                Value::Null => {}
                other if out.is_empty() && schema.get("properties").is_none() => return other,
                _ => {}
            }
        }
        if let Some(props) = schema.get("properties").and_then(Value::as_object) {
            for (k, v) in props {
                out.insert(k.clone(), sample(components, v, depth + 1));
            }
        }
        return Value::Object(out);
    }
    for key in ["oneOf", "anyOf"] {
        if let Some(first) = schema.get(key).and_then(Value::as_array).and_then(|a| a.first()) {
            return sample(components, first, depth + 1);
        }
    }
    let ty = schema.get("type").and_then(Value::as_str);
    if ty == Some("object") || schema.get("properties").is_some() {
        let mut out = Map::new();
        if let Some(props) = schema.get("properties").and_then(Value::as_object) {
            for (k, v) in props {
                out.insert(k.clone(), sample(components, v, depth + 1));
            }
        }
        return Value::Object(out);
    }
    if ty == Some("array") {
        return json!([sample(
            components,
            schema.get("items").unwrap_or(&json!({})),
            depth + 1
        )]);
    }
    if let Some(first) = schema
        .get("enum")
        .and_then(Value::as_array)
        .and_then(|a| a.first())
    {
        return first.clone();
    }
    if let Some(d) = schema.get("default") {
        return d.clone();
    }
    match (ty, schema.get("format").and_then(Value::as_str)) {
        (Some("integer" | "number"), _) => json!(0),
        (Some("boolean" | "bool"), _) => json!(true),
        (Some("string"), Some("date-time")) => json!("2019-08-24T14:15:22Z"),
        (Some("string"), _) => json!("string"),
        _ => Value::Null,
    }
}
