//! The validation keywords of the served OpenAPI document are the rules the server enforces.
//!
//! The text limits live in the domain operations (`validate::text(.., 300, ..)`) and the
//! document repeats them as literals (`#[schema(max_length = 300)]`), so this walk keeps them
//! together from the outside: for every text field of every write body (a string with
//! `maxLength` and no `enum`, `format` or pattern other than "not blank"), the operation's known
//! good body with that field `maxLength + 1` characters long is a 422 naming the field, and with
//! exactly `maxLength` characters it is not refused for that field. A limit changed on one side
//! only fails here. Numeric bounds (`minimum`/`maximum`) get the same walk; the decimal patterns
//! are checked against the constants of `crm_core::money` in the contract test.

use crm_tests::bad_input::good_body;
use crm_tests::dual;
use crm_tests::fixtures::{Fixtures, every_resource};
use crm_tests::openapi_walk::{Doc, LeafKind, Operation, unique};
use serde_json::{Value, json};

/// Operations left out: changing the caller's password ends the session the walk runs with.
const SKIPPED: &[&str] = &["POST /api/v1/me/password"];

/// Lookup keys, never stored: the server takes any text and answers `no_match` when no record
/// has it, so the document's limit is only advice there.
const LOOKUPS: &[&str] = &["/contact_email", "/contact_phone"];

/// The path of `op` on the fixtures (a fresh external id for upserts).
fn target(op: &Operation, fx: &Fixtures) -> String {
    let id = match op.key().as_str() {
        "POST /api/v1/leads/{id}/disqualify" => fx.id("lead2").to_owned(),
        _ if op.has_id() => fx.id(op.resource().expect("resource")).to_owned(),
        _ => String::new(),
    };
    op.fill(&[
        ("id", &id),
        ("source", "limits"),
        ("external_id", &unique("ext")),
    ])
}

/// `body` with the value at `pointer` replaced, when every step above it exists.
fn with_value(body: &Value, pointer: &str, value: Value) -> Option<Value> {
    let mut out = body.clone();
    let (parent, key) = pointer.rsplit_once('/')?;
    let slot = if parent.is_empty() {
        &mut out
    } else {
        out.pointer_mut(parent)?
    };
    match slot {
        Value::Object(map) => {
            map.insert(key.to_owned(), value);
        }
        Value::Array(items) => *items.get_mut(key.parse::<usize>().ok()?)? = value,
        _ => return None,
    }
    Some(out)
}

/// Whether the answer refuses the field at `pointer` (for its length or range only, with
/// `bounds_only`: `x` repeated is not a valid phone number, whatever its length).
fn refuses(res: &crm_tests::Resp, pointer: &str, bounds_only: bool) -> bool {
    res.status == 422
        && res.json()["errors"].as_array().is_some_and(|e| {
            e.iter().any(|f| {
                f["pointer"] == pointer
                    && (!bounds_only || f["code"] == "length" || f["code"] == "range")
            })
        })
}

dual! {
    async fn documented_limits_are_the_enforced_ones(app: &TestApp) {
        let admin = app.signup("Limits", "limits@limits.test").await;
        let fx = every_resource(app, &admin).await;
        let doc = Doc::fetch(app).await;
        let mut failures = Vec::new();
        let mut checked = 0;
        for op in doc.operations() {
            let (Some(schema), Some(good)) = (op.body.as_ref(), good_body(&op, &fx)) else {
                continue;
            };
            if SKIPPED.contains(&op.key().as_str()) {
                continue;
            }
            for leaf in doc.leaves(schema) {
                let s = &leaf.schema;
                let plain_text = leaf.kind == LeafKind::String
                    && s.get("enum").is_none()
                    && s.get("format").is_none()
                    && s.get("pattern").is_none_or(|p| p == r"\S");
                let pointer = leaf.pointer();
                if LOOKUPS.contains(&pointer.as_str()) {
                    continue;
                }
                let cases: Vec<(Value, Value, String)> = if plain_text {
                    let Some(max) = s["maxLength"].as_u64() else { continue };
                    let max = max as usize;
                    vec![(json!("x".repeat(max + 1)), json!("x".repeat(max)), format!("{} characters", max + 1))]
                } else if leaf.kind == LeafKind::Number && s.get("maximum").is_some() {
                    let (min, max) = (s["minimum"].as_i64().unwrap_or(0), s["maximum"].as_i64().unwrap_or(0));
                    vec![
                        (json!(max + 1), json!(max), format!("{}", max + 1)),
                        (json!(min - 1), json!(min), format!("{}", min - 1)),
                    ]
                } else {
                    continue;
                };
                for (over, at, what) in cases {
                    let (Some(over_body), Some(at_body)) =
                        (with_value(&good, &pointer, over), with_value(&good, &pointer, at))
                    else {
                        continue;
                    };
                    checked += 1;
                    let res = app.call(&op.method, &target(&op, &fx), Some(&admin.token), Some(over_body)).await;
                    if !refuses(&res, &pointer, false) {
                        failures.push(format!("{} {pointer}: {what} answered {} {}", op.key(), res.status, res.text()));
                    }
                    let res = app.call(&op.method, &target(&op, &fx), Some(&admin.token), Some(at_body)).await;
                    if refuses(&res, &pointer, true) || res.status >= 500 {
                        failures.push(format!("{} {pointer}: the documented bound answered {} {}", op.key(), res.status, res.text()));
                    }
                }
            }
        }
        assert!(checked > 40, "only {checked} bounds checked");
        assert!(failures.is_empty(), "{} mismatches:\n{}", failures.len(), failures.join("\n"));
    }
}
