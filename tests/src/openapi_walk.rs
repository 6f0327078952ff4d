//! Walks the OpenAPI document the server serves: its operations, a minimal request body for each
//! generated from its schema, and the leaf fields of that schema (for the bad-input corpus).
//!
//! The generator fills every *required* property by type, format and name: uuid -> a fixture id
//! named by the property (`contact_id` -> the `contact_id` fixture) or a random v4, date ->
//! `2026-01-15`, date-time -> `2026-01-15T10:00:00Z`, email -> a unique address, enum -> its first
//! value, integer/number -> 1, boolean -> true, array -> `[]` (or `minItems` items), object ->
//! its required properties, `oneOf`/`anyOf` -> the first alternative that is not `null`, and a
//! money object `{amount, currency}` -> `{"amount": "10.00", "currency": "EUR"}`.

use crate::{PASSWORD, Resp, TestApp};
use serde_json::{Map, Value, json};
use std::collections::HashMap;
use std::hash::{BuildHasher, Hasher};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

/// Properties that hold a decimal number as a string (the document types them as plain strings).
pub const DECIMAL_FIELDS: [&str; 5] = [
    "amount",
    "quantity",
    "unit_price",
    "tax_rate",
    "discount_percent",
];

/// The lone-surrogate marker: [`raw_json`] writes it as the JSON text `"\ud800"`, which
/// `serde_json` cannot produce itself.
pub const LONE_SURROGATE: &str = "\u{1}lone-surrogate\u{1}";

/// A random UUID v4 (without the `v4` feature of `uuid`: the bytes come from `RandomState`).
pub fn random_uuid() -> String {
    let mut bytes = [0u8; 16];
    for half in bytes.chunks_mut(8) {
        let mut h = std::collections::hash_map::RandomState::new().build_hasher();
        h.write_u128(uuid::Uuid::now_v7().as_u128());
        half.copy_from_slice(&h.finish().to_le_bytes());
    }
    uuid::Builder::from_random_bytes(bytes)
        .into_uuid()
        .to_string()
}

static COUNTER: AtomicU64 = AtomicU64::new(0);

/// A string unique in this test process (`walk-<n>-<random>`).
pub fn unique(prefix: &str) -> String {
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    format!("{prefix}-{n}-{}", &random_uuid()[..8])
}

/// One operation of the document.
#[derive(Debug, Clone)]
pub struct Operation {
    /// Upper-case method: `GET`, `POST`, `PUT`, `PATCH`, `DELETE`.
    pub method: String,
    /// The path template, such as `/api/v1/contacts/{id}`.
    pub path: String,
    /// The operation's id.
    pub operation_id: String,
    /// The JSON request body's schema, if the operation takes one.
    pub body: Option<Value>,
    /// The request body's content type.
    pub content_type: Option<String>,
}

impl Operation {
    /// `METHOD /path/template`.
    pub fn key(&self) -> String {
        format!("{} {}", self.method, self.path)
    }

    /// Whether the operation changes something (any method but GET and HEAD).
    pub fn is_write(&self) -> bool {
        !matches!(self.method.as_str(), "GET" | "HEAD")
    }

    /// The first path segment after `/api/v1/` (`contacts`, `api-keys`, ...).
    pub fn resource(&self) -> Option<&str> {
        self.path.strip_prefix("/api/v1/")?.split('/').next()
    }

    /// Whether the path has an `{id}` parameter.
    pub fn has_id(&self) -> bool {
        self.path.contains("{id}")
    }

    /// The path with `{name}` replaced by each `(name, value)`.
    pub fn fill(&self, params: &[(&str, &str)]) -> String {
        let mut out = self.path.clone();
        for (k, v) in params {
            out = out.replace(&format!("{{{k}}}"), v);
        }
        out
    }
}

/// The parsed OpenAPI document.
pub struct Doc {
    /// The document as JSON.
    pub root: Value,
}

/// Ids the generator uses for uuid properties, by property name, and where it keeps count.
#[derive(Debug, Default, Clone)]
pub struct Gen {
    /// Fixture ids by property name (`contact_id`, `price_list_id`, `source_id`, ...).
    pub ids: HashMap<String, String>,
}

impl Gen {
    /// A generator with these fixture ids.
    pub fn with_ids(ids: &[(&str, &str)]) -> Gen {
        Gen {
            ids: ids
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                .collect(),
        }
    }

    fn string(&mut self, name: &str, s: &Value) -> Value {
        let format = s.get("format").and_then(Value::as_str).unwrap_or("");
        let text = match format {
            "uuid" => self.ids.get(name).cloned().unwrap_or_else(random_uuid),
            "date" => "2026-01-15".to_owned(),
            "date-time" => "2026-01-15T10:00:00Z".to_owned(),
            "email" => format!("{}@walk.test", unique("walk")),
            _ if name.contains("email") => format!("{}@walk.test", unique("walk")),
            _ if name == "currency" => "EUR".to_owned(),
            _ if DECIMAL_FIELDS.contains(&name) => "1".to_owned(),
            _ if name == "current_password" => "not the current password".to_owned(),
            _ if name.contains("password") => PASSWORD.to_owned(),
            _ => "walk".to_owned(),
        };
        match s.get("maxLength").and_then(Value::as_u64) {
            Some(max) if (text.len() as u64) > max => {
                Value::String(text[..max as usize].to_owned())
            }
            _ => Value::String(text),
        }
    }
}

/// The first type of a schema's `type` that is not `null`.
pub fn primary_type(s: &Value) -> &str {
    match s.get("type") {
        Some(Value::String(t)) => t,
        Some(Value::Array(ts)) => ts
            .iter()
            .filter_map(Value::as_str)
            .find(|t| *t != "null")
            .unwrap_or("null"),
        _ if s.get("properties").is_some() => "object",
        _ => "",
    }
}

fn is_null_schema(s: &Value) -> bool {
    primary_type(s) == "null"
}

/// Whether a schema is a money object (`{amount, currency}`).
pub fn is_money(s: &Value) -> bool {
    s.get("properties")
        .and_then(Value::as_object)
        .is_some_and(|p| p.len() == 2 && p.contains_key("amount") && p.contains_key("currency"))
}

/// What kind of value a leaf field holds, which decides its bad values.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LeafKind {
    /// Free text (also ids and enum values: they are strings on the wire).
    String,
    /// A decimal number written as a string.
    Decimal,
    /// A JSON number.
    Number,
    /// A calendar date.
    Date,
    /// A timestamp.
    DateTime,
    /// A boolean.
    Boolean,
}

/// One step from a body to a leaf: an object property or the first array item.
#[derive(Debug, Clone)]
pub struct Step {
    /// The property name, or `0` for an array item.
    pub key: String,
    /// Whether this is an array item.
    pub index: bool,
    /// The schema of the value this step reaches.
    pub schema: Value,
}

/// A leaf field of a request body schema.
#[derive(Debug, Clone)]
pub struct Leaf {
    /// The steps from the body to the field.
    pub steps: Vec<Step>,
    /// The field's schema.
    pub schema: Value,
    /// The property name the field is under (for array items, the array's).
    pub name: String,
    /// What it holds.
    pub kind: LeafKind,
}

impl Leaf {
    /// The JSON pointer of the field, such as `/lines/0/quantity`.
    pub fn pointer(&self) -> String {
        self.steps.iter().map(|s| format!("/{}", s.key)).collect()
    }
}

impl Doc {
    /// Fetches `GET /openapi.json` from the running server.
    pub async fn fetch(app: &TestApp) -> Doc {
        Doc {
            root: app.get("/openapi.json", None).await.ok(200),
        }
    }

    /// Every operation, in path order.
    pub fn operations(&self) -> Vec<Operation> {
        let mut out = Vec::new();
        let paths = self.root["paths"].as_object().expect("paths");
        for (path, item) in paths {
            let Some(item) = item.as_object() else {
                continue;
            };
            for (method, op) in item {
                if !matches!(
                    method.as_str(),
                    "get" | "post" | "put" | "patch" | "delete" | "head"
                ) {
                    continue;
                }
                let (content_type, body) = op["requestBody"]["content"]
                    .as_object()
                    .and_then(|c| c.iter().find(|(ct, _)| ct.contains("json")))
                    .map(|(ct, c)| (Some(ct.clone()), Some(c["schema"].clone())))
                    .unwrap_or((None, None));
                out.push(Operation {
                    method: method.to_uppercase(),
                    path: path.clone(),
                    operation_id: op["operationId"].as_str().unwrap_or("").to_owned(),
                    body,
                    content_type,
                });
            }
        }
        out
    }

    /// Follows `$ref`s to the schema they name.
    pub fn resolve<'a>(&'a self, mut s: &'a Value) -> &'a Value {
        for _ in 0..32 {
            match s.get("$ref").and_then(Value::as_str) {
                Some(r) => {
                    s = self
                        .root
                        .pointer(r.trim_start_matches('#'))
                        .unwrap_or_else(|| panic!("dangling $ref {r}"));
                }
                None => break,
            }
        }
        s
    }

    /// The alternative of a `oneOf`/`anyOf` the generator takes: the first that is not `null`.
    fn alternative<'a>(&'a self, s: &'a Value) -> Option<&'a Value> {
        ["oneOf", "anyOf", "allOf"].iter().find_map(|k| {
            let alts = s.get(*k)?.as_array()?;
            alts.iter()
                .find(|a| !is_null_schema(self.resolve(a)))
                .or(alts.first())
        })
    }

    /// The minimal body of `op`, if it takes one.
    pub fn body(&self, op: &Operation, g: &mut Gen) -> Option<Value> {
        op.body.as_ref().map(|s| self.generate(s, "", g))
    }

    /// A minimal value of `schema` for a property called `name`.
    pub fn generate(&self, schema: &Value, name: &str, g: &mut Gen) -> Value {
        let s = self.resolve(schema);
        if let Some(alt) = self.alternative(s) {
            return self.generate(alt, name, g);
        }
        if let Some(values) = s.get("enum").and_then(Value::as_array) {
            return values
                .iter()
                .find(|v| !v.is_null())
                .cloned()
                .unwrap_or(Value::Null);
        }
        if let Some(c) = s.get("const") {
            return c.clone();
        }
        match primary_type(s) {
            "object" if is_money(s) => json!({"amount": "10.00", "currency": "EUR"}),
            "object" => {
                let mut out = Map::new();
                let required: Vec<&str> = s["required"]
                    .as_array()
                    .map(|r| r.iter().filter_map(Value::as_str).collect())
                    .unwrap_or_default();
                for key in required {
                    if let Some(p) = s["properties"].get(key) {
                        out.insert(key.to_owned(), self.generate(p, key, g));
                    }
                }
                Value::Object(out)
            }
            "array" => {
                let min = s.get("minItems").and_then(Value::as_u64).unwrap_or(0);
                Value::Array(
                    (0..min)
                        .map(|_| self.generate(&s["items"], name, g))
                        .collect(),
                )
            }
            "string" => g.string(name, s),
            "integer" | "number" => {
                let min = s.get("minimum").and_then(Value::as_i64).unwrap_or(1);
                json!(min.max(1))
            }
            "boolean" => Value::Bool(true),
            _ => Value::Null,
        }
    }

    /// Every leaf field of `schema` (array items as index 0, alternatives as their first
    /// non-null one; free-form objects have none).
    pub fn leaves(&self, schema: &Value) -> Vec<Leaf> {
        let mut out = Vec::new();
        self.leaves_into(schema, "", &mut Vec::new(), &mut out, 0);
        out
    }

    fn leaves_into(
        &self,
        schema: &Value,
        name: &str,
        steps: &mut Vec<Step>,
        out: &mut Vec<Leaf>,
        depth: usize,
    ) {
        if depth > 8 {
            return;
        }
        let s = self.resolve(schema);
        if let Some(alt) = self.alternative(s) {
            return self.leaves_into(alt, name, steps, out, depth + 1);
        }
        let format = s.get("format").and_then(Value::as_str).unwrap_or("");
        let kind = match primary_type(s) {
            "object" => {
                if let Some(props) = s["properties"].as_object() {
                    for (key, p) in props {
                        steps.push(Step {
                            key: key.clone(),
                            index: false,
                            schema: p.clone(),
                        });
                        self.leaves_into(p, key, steps, out, depth + 1);
                        steps.pop();
                    }
                }
                return;
            }
            "array" => {
                steps.push(Step {
                    key: "0".to_owned(),
                    index: true,
                    schema: s["items"].clone(),
                });
                self.leaves_into(&s["items"], name, steps, out, depth + 1);
                steps.pop();
                return;
            }
            "string" if format == "date" => LeafKind::Date,
            "string" if format == "date-time" => LeafKind::DateTime,
            "string" if DECIMAL_FIELDS.contains(&name) => LeafKind::Decimal,
            "string" => LeafKind::String,
            "integer" | "number" => LeafKind::Number,
            "boolean" => LeafKind::Boolean,
            _ => return,
        };
        out.push(Leaf {
            steps: steps.clone(),
            schema: s.clone(),
            name: name.to_owned(),
            kind,
        });
    }

    /// `body` with the leaf set to `value`; missing objects and arrays on the way are generated.
    pub fn with_leaf(&self, body: &Value, leaf: &Leaf, value: Value, g: &mut Gen) -> Value {
        let mut out = body.clone();
        let mut cur = &mut out;
        let last = leaf.steps.len().saturating_sub(1);
        for (i, step) in leaf.steps.iter().enumerate() {
            let fill = |g: &mut Gen| {
                if i == last {
                    Value::Null
                } else {
                    self.generate(&step.schema, &step.key, g)
                }
            };
            if step.index {
                if !cur.is_array() {
                    *cur = json!([]);
                }
                let arr = cur.as_array_mut().expect("array");
                if arr.is_empty() {
                    arr.push(fill(g));
                }
                cur = &mut arr[0];
            } else {
                if !cur.is_object() {
                    *cur = json!({});
                }
                let obj = cur.as_object_mut().expect("object");
                if obj.get(&step.key).is_none_or(|v| v.is_null() && i != last) {
                    obj.insert(step.key.clone(), fill(g));
                }
                cur = obj.get_mut(&step.key).expect("inserted");
            }
        }
        *cur = value;
        out
    }
}

/// The JSON text of `v`, with every [`LONE_SURROGATE`] string written as `"\ud800"`.
pub fn raw_json(v: &Value) -> Vec<u8> {
    let text = serde_json::to_string(v).expect("json");
    let marker = serde_json::to_string(LONE_SURROGATE).expect("json");
    text.replace(&marker, "\"\\ud800\"").into_bytes()
}

/// Sends a request to `base` without panicking when the connection fails (a dropped connection
/// is an answer the caller reports, not a crash of the test).
pub async fn try_send(
    base: &str,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: Vec<u8>,
) -> Result<Resp, String> {
    let client = awc::Client::builder()
        .timeout(Duration::from_secs(120))
        .disable_redirects()
        .finish();
    let method = awc::http::Method::from_bytes(method.as_bytes()).map_err(|e| e.to_string())?;
    let mut req = client.request(method, format!("{base}{path}"));
    for (k, v) in headers {
        req = req.insert_header((*k, *v));
    }
    let mut res = req
        .send_body(body)
        .await
        .map_err(|e| format!("no answer: {e}"))?;
    let bytes = res
        .body()
        .limit(64 * 1024 * 1024)
        .await
        .map_err(|e| format!("body not read: {e}"))?;
    Ok(Resp {
        status: res.status().as_u16(),
        headers: res.headers().clone(),
        body: bytes.to_vec(),
    })
}

/// Whether `res` is a problem document of `status` with one of `codes` (an explanation if not).
pub fn problem_check(res: &Resp, codes: &[&str]) -> Result<(), String> {
    let ct = res.header("content-type").unwrap_or_default();
    if ct != "application/problem+json" {
        return Err(format!(
            "{} with content type {ct:?}: {}",
            res.status,
            res.text()
        ));
    }
    let body: Value = serde_json::from_slice(&res.body).map_err(|e| format!("not JSON: {e}"))?;
    let code = body["code"].as_str().unwrap_or("");
    if body["status"] != res.status || !codes.contains(&code) || !body["errors"].is_array() {
        return Err(format!("{}: {body}", res.status));
    }
    Ok(())
}

/// A short form of a response for failure lists.
pub fn brief(res: &Resp) -> String {
    let text = res.text();
    let cut: String = text.chars().take(300).collect();
    format!("{} {cut}", res.status)
}
