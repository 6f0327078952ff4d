//! Fix-ups of the generated OpenAPI document for the clients generated from it (a utoipa
//! modifier).
//!
//! - **Response fields are required.** The server writes every field of a read model, `null`
//!   included, but utoipa marks `Option` fields as optional, so generated clients typed them
//!   `first_name?: string | null` (TypeScript) or `None | str | Unset` (Python). Every schema
//!   that no request body uses, directly or through another schema, gets all its properties
//!   listed as `required` (a nullable one stays nullable). Schemas shared with request bodies
//!   (such as `Address`) are left as they are.
//! - **Optional parameters are not nullable.** A parameter that may be left out is not also
//!   `null`: `["string", "null"]` becomes `"string"`.
//! - **Headers every response carries are declared**: `X-Request-Id` on every response,
//!   `Retry-After` on every 429 and 503 (the operations declare their own `ETag` and
//!   `Location`). Every API operation may answer 429 (the general request limit,
//!   [`crate::ratelimit`]), so each declares it, and its successes and 429 declare
//!   `RateLimit-Policy` and `RateLimit`.
//! - **`Idempotency-Key` says what a key may be**: 1 to 255 visible ASCII characters, as the
//!   idempotency middleware checks.

use serde_json::Value;
use std::collections::BTreeSet;
use utoipa::Modify;
use utoipa::openapi::header::Header;
use utoipa::openapi::schema::{Object, ObjectBuilder, Schema, SchemaType, Type};
use utoipa::openapi::{RefOr, Required};

/// A response header of `ty` described by `description`.
fn header(ty: Type, description: &str) -> Header {
    let mut h = Header::new(Object::with_type(ty));
    h.description = Some(description.to_owned());
    h
}

/// What the idempotency middleware accepts as a key: 1 to 255 visible ASCII characters.
fn idempotency_key_schema() -> RefOr<Schema> {
    ObjectBuilder::new()
        .schema_type(Type::String)
        .min_length(Some(1))
        .max_length(Some(255))
        .pattern(Some("^[!-~]+$"))
        .examples([serde_json::json!("import-2026-12-02-0001")])
        .into()
}

/// The modifier applying both fix-ups.
pub struct ClientFixups;

impl Modify for ClientFixups {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let inputs = input_schemas(openapi);
        if let Some(components) = openapi.components.as_mut() {
            for (name, schema) in components.schemas.iter_mut() {
                if let (false, RefOr::T(Schema::Object(obj))) = (inputs.contains(name), schema) {
                    obj.required = obj.properties.keys().cloned().collect();
                }
            }
        }
        for (path, item) in openapi.paths.paths.iter_mut() {
            let limited = path.starts_with("/api/v1/");
            let ops = [
                &mut item.get,
                &mut item.put,
                &mut item.post,
                &mut item.delete,
                &mut item.patch,
                &mut item.head,
                &mut item.options,
            ];
            for op in ops.into_iter().flatten() {
                if limited {
                    op.responses
                        .responses
                        .entry("429".to_owned())
                        .or_insert_with(too_many_requests);
                }
                for (status, response) in op.responses.responses.iter_mut() {
                    let RefOr::T(response) = response else {
                        continue;
                    };
                    response
                        .headers
                        .entry("X-Request-Id".to_owned())
                        .or_insert_with(|| {
                            header(
                                Type::String,
                                "The request's id (the client's own when it sent a valid one); \
                             quote it when reporting a problem",
                            )
                        });
                    if status == "429" || status == "503" {
                        response.headers.insert(
                            "Retry-After".to_owned(),
                            header(Type::Integer, "Seconds after which a retry may succeed"),
                        );
                    }
                    if limited && (status == "429" || status.starts_with('2')) {
                        response.headers.insert(
                            "RateLimit-Policy".to_owned(),
                            header(
                                Type::String,
                                "The general request limit per caller (IETF RateLimit \
                                 headers draft): `\"default\";q=1200;w=60` is 1200 requests \
                                 per 60 s",
                            ),
                        );
                        response.headers.insert(
                            "RateLimit".to_owned(),
                            header(
                                Type::String,
                                "The caller's state under it: `\"default\";r=1187;t=42` is \
                                 1187 requests left in a window ending in 42 s; a 429 of the \
                                 sign-in limits adds `\"auth\";r=0;t=<seconds>`",
                            ),
                        );
                    }
                }
                for p in op.parameters.iter_mut().flatten() {
                    if p.name == "Idempotency-Key" {
                        p.schema = Some(idempotency_key_schema());
                    }
                    if p.required == Required::True {
                        continue;
                    }
                    if let Some(RefOr::T(Schema::Object(obj))) = p.schema.as_mut()
                        && let SchemaType::Array(types) = &obj.schema_type
                    {
                        let kept: Vec<Type> = types
                            .iter()
                            .filter(|t| **t != Type::Null)
                            .cloned()
                            .collect();
                        if let [only] = kept.as_slice() {
                            obj.schema_type = SchemaType::Type(only.clone());
                        }
                    }
                }
            }
        }
    }
}

/// The 429 of the general request limit: a problem document.
fn too_many_requests() -> RefOr<utoipa::openapi::Response> {
    let content =
        utoipa::openapi::Content::new(Some(utoipa::openapi::Ref::from_schema_name("Problem")));
    RefOr::T(
        utoipa::openapi::ResponseBuilder::new()
            .description("Too many requests; see `Retry-After`")
            .content("application/problem+json", content)
            .build(),
    )
}

/// The names of every `#/components/schemas/<name>` referenced inside `v`.
fn refs(v: &Value, out: &mut Vec<String>) {
    match v {
        Value::Object(map) => {
            if let Some(Value::String(r)) = map.get("$ref")
                && let Some(name) = r.strip_prefix("#/components/schemas/")
            {
                out.push(name.to_owned());
            }
            for child in map.values() {
                refs(child, out);
            }
        }
        Value::Array(items) => items.iter().for_each(|i| refs(i, out)),
        _ => {}
    }
}

/// Every schema a request body reaches, directly or through other schemas.
pub(super) fn input_schemas(openapi: &utoipa::openapi::OpenApi) -> BTreeSet<String> {
    let Ok(doc) = serde_json::to_value(openapi) else {
        return BTreeSet::new();
    };
    let mut pending = Vec::new();
    if let Some(paths) = doc["paths"].as_object() {
        for item in paths.values() {
            for op in item.as_object().into_iter().flat_map(|o| o.values()) {
                refs(&op["requestBody"], &mut pending);
            }
        }
    }
    let schemas = &doc["components"]["schemas"];
    let mut input = BTreeSet::new();
    while let Some(name) = pending.pop() {
        if input.insert(name.clone()) {
            refs(&schemas[&name], &mut pending);
        }
    }
    input
}

#[cfg(test)]
mod tests {

    #[test]
    fn response_fields_are_required_and_inputs_untouched() {
        let doc: serde_json::Value =
            serde_json::from_str(&crate::contracts::openapi_json()).unwrap();
        let contact = &doc["components"]["schemas"]["Contact"];
        let required: Vec<&str> = contact["required"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_str().unwrap())
            .collect();
        assert!(required.contains(&"first_name"), "{required:?}");
        let new = &doc["components"]["schemas"]["NewContact"];
        assert!(
            new.get("required").is_none_or(|r| !r
                .as_array()
                .unwrap()
                .iter()
                .any(|v| v == "first_name"))
        );
    }
}
