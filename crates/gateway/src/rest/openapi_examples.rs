//! Schema-level examples for every component schema (a utoipa modifier), composed from the
//! examples the DTO fields carry (`#[schema(example = ...)]`), so every request body and every
//! response of every operation has an example (Swagger UI shows it, schemathesis sends it,
//! `scripts/clients/lint_document.py` validates it against its schema and fails on an operation
//! without one).
//!
//! A property's example is its own `example`, else that of the schema it references, else the
//! first value of its enum; an array holds one example item; a map is `{}`. Values typed only by
//! their format get a fixed realistic value (a UUIDv7, a date); integers their minimum or 1;
//! booleans `false`; a nullable property without anything better (timestamps included) `null`.
//! Request schemas (those a request body reaches) keep only their required properties and those
//! with an example written for them (their own, or an object whose fields have some, such as an
//! address), so their example is a sensible request: no made-up ids of records that do not
//! exist, no enum values picked at random. Where cross-field rules need more (a pipeline needs
//! an open, a won and a lost stage), the DTO carries a whole example of its own, which is kept.
//! Response schemas list every property.

use serde_json::{Map, Value, json};
use std::collections::{BTreeMap, BTreeSet};
use utoipa::Modify;
use utoipa::openapi::RefOr;
use utoipa::openapi::schema::Schema;

/// The modifier adding the composed examples.
pub struct ComposedExamples;

impl Modify for ComposedExamples {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let inputs = super::openapi_fixups::input_schemas(openapi);
        let Ok(doc) = serde_json::to_value(&*openapi) else {
            return;
        };
        let Some(schemas) = doc["components"]["schemas"].as_object() else {
            return;
        };
        let mut composer = Composer {
            schemas,
            inputs: &inputs,
            done: BTreeMap::new(),
            busy: BTreeSet::new(),
        };
        let names: Vec<String> = schemas.keys().cloned().collect();
        let examples: Vec<(String, Value)> = names
            .into_iter()
            .filter_map(|name| {
                let example = composer.named(&name)?;
                Some((name, example))
            })
            .collect();
        let Some(components) = openapi.components.as_mut() else {
            return;
        };
        for (name, example) in examples {
            if let Some(RefOr::T(Schema::Object(obj))) = components.schemas.get_mut(&name)
                && obj.examples.is_empty()
            {
                #[allow(deprecated)]
                let has_own = obj.example.is_some();
                if !has_own {
                    obj.examples = vec![example];
                }
            }
        }
    }
}

/// An example, and whether it was written for the schema (rather than made up from a type).
type Found = (Value, bool);

struct Composer<'a> {
    schemas: &'a Map<String, Value>,
    inputs: &'a BTreeSet<String>,
    done: BTreeMap<String, Option<Found>>,
    busy: BTreeSet<String>,
}

impl Composer<'_> {
    /// The example of the component schema `name`, composed once.
    fn named(&mut self, name: &str) -> Option<Value> {
        self.named_found(name).map(|(v, _)| v)
    }

    fn named_found(&mut self, name: &str) -> Option<Found> {
        if let Some(found) = self.done.get(name) {
            return found.clone();
        }
        if !self.busy.insert(name.to_owned()) {
            return None; // a recursive schema: the property is left out
        }
        let schema = self.schemas.get(name)?;
        let input = self.inputs.contains(name);
        let found = self.example(schema, input);
        self.busy.remove(name);
        self.done.insert(name.to_owned(), found.clone());
        found
    }

    fn example(&mut self, schema: &Value, input: bool) -> Option<Found> {
        if let Some(v) = schema.get("example") {
            return Some((v.clone(), true));
        }
        if let Some(v) = schema["examples"].as_array().and_then(|e| e.first()) {
            return Some((v.clone(), true));
        }
        if let Some(name) = schema["$ref"]
            .as_str()
            .and_then(|r| r.strip_prefix("#/components/schemas/"))
        {
            return self.named_found(name);
        }
        for key in ["oneOf", "anyOf"] {
            if let Some(branches) = schema[key].as_array() {
                let mut nullable = false;
                for b in branches {
                    if b["type"] == "null" {
                        nullable = true;
                    } else if let Some(found) = self.example(b, input) {
                        return Some(found);
                    }
                }
                return nullable.then_some((Value::Null, false));
            }
        }
        if let Some(first) = schema["enum"]
            .as_array()
            .and_then(|e| e.iter().find(|v| !v.is_null()))
        {
            return Some((first.clone(), false));
        }
        let types: Vec<&str> = match &schema["type"] {
            Value::String(t) => vec![t.as_str()],
            Value::Array(ts) => ts.iter().filter_map(Value::as_str).collect(),
            _ => Vec::new(),
        };
        let nullable = types.contains(&"null");
        let made_up = match types.iter().find(|t| **t != "null").copied() {
            Some("object") => return self.object(schema, input),
            Some("array") => {
                return Some(match self.example(&schema["items"], input) {
                    Some((item, _)) => (json!([item]), false),
                    None => (json!([]), false),
                });
            }
            Some("string") => match schema["format"].as_str() {
                Some("uuid") => Some(json!("0193a5b2-7c1e-7d4a-9f3b-5e6d7c8b9a01")),
                Some("date-time") if nullable => None,
                Some("date-time") => Some(json!("2026-12-02T09:30:00Z")),
                Some("date") => Some(json!("2026-12-31")),
                _ => None,
            },
            Some("integer") | Some("number") => {
                Some(schema.get("minimum").cloned().unwrap_or(json!(1)))
            }
            Some("boolean") => Some(json!(false)),
            _ => None,
        };
        match made_up {
            Some(v) => Some((v, false)),
            None => nullable.then_some((Value::Null, false)),
        }
    }

    fn object(&mut self, schema: &Value, input: bool) -> Option<Found> {
        let Some(properties) = schema["properties"].as_object() else {
            return Some((json!({}), false));
        };
        let required: Vec<&str> = schema["required"]
            .as_array()
            .map(|r| r.iter().filter_map(Value::as_str).collect())
            .unwrap_or_default();
        let mut out = Map::new();
        let mut any_explicit = false;
        for (key, property) in properties {
            let is_required = required.contains(&key.as_str());
            match self.example(property, input) {
                Some((v, explicit)) if !input || explicit || is_required => {
                    any_explicit |= explicit;
                    out.insert(key.clone(), v);
                }
                Some(_) => {}
                // A required property without an example leaves the schema without one (the
                // lint names it) rather than with an example that breaks the schema.
                None if is_required => return None,
                None => {}
            }
        }
        Some((Value::Object(out), any_explicit))
    }
}
