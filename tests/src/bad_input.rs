//! The bad-input corpus: the bad values each kind of field gets, the known-good bodies they are
//! put into, and a snapshot of every table's row count and version sum (to prove that a refused
//! request wrote nothing, not even half of something).

use crate::TestApp;
use crate::fixtures::{Fixtures, document_body, pipeline_body};
use crate::openapi_walk::{LONE_SURROGATE, LeafKind, Operation, unique};
use crate::{PASSWORD, Resp};
use sea_orm::{ConnectionTrait, Statement};
use serde_json::{Value, json};

/// The problem codes a refused bad input may carry.
pub const REFUSALS: [&str; 5] = [
    "validation_failed",
    "malformed_request",
    "payload_too_large",
    "not_found",
    "conflict",
];

/// A bad value for one field.
#[derive(Debug, Clone)]
pub struct Bad {
    /// What it is, for failure messages.
    pub label: &'static str,
    /// The value ([`LONE_SURROGATE`] is written as a raw `"\ud800"`).
    pub value: Value,
    /// Whether the only right answer is 422 (else any refusal or a 2xx).
    pub must_422: bool,
}

fn bad(label: &'static str, value: Value, must_422: bool) -> Bad {
    Bad {
        label,
        value,
        must_422,
    }
}

/// The bad values of a field of `kind`, those that must be 422 first.
pub fn bad_values(kind: LeafKind) -> Vec<Bad> {
    let mut out = Vec::new();
    if matches!(
        kind,
        LeafKind::String | LeafKind::Decimal | LeafKind::Date | LeafKind::DateTime
    ) {
        // Unique, so that a NUL accepted into a unique column (a SKU) cannot turn a later
        // operation's NUL into a 409.
        out.push(bad(
            "a NUL character",
            json!(format!("a\u{0}b-{}", unique("nul"))),
            true,
        ));
        out.push(bad("a lone surrogate", json!(LONE_SURROGATE), false));
        out.push(bad(
            "1,000,000 characters",
            json!("a".repeat(1_000_000)),
            false,
        ));
        out.push(bad("LIKE metacharacters", json!("%_\\"), false));
    }
    if matches!(kind, LeafKind::Decimal | LeafKind::Number) {
        out.push(bad("1e300", json!(1e300), false));
        out.push(bad("\"1e28\"", json!("1e28"), false));
        out.push(bad(
            "29 nines",
            json!("99999999999999999999999999999"),
            false,
        ));
        out.push(bad("-1", json!(-1), false));
        out.push(bad("\"-1\"", json!("-1"), false));
        out.push(bad("1e-28", json!("0.0000000000000000000000000001"), false));
    }
    if matches!(kind, LeafKind::Date | LeafKind::DateTime) {
        out.push(bad("year 0", json!("0000-01-01"), true));
        out.push(bad("year 10000", json!("10000-01-01"), true));
        out.push(bad("year +10000", json!("+10000-01-01T00:00:00Z"), true));
        out.push(bad("February 30", json!("2024-02-30"), false));
        out.push(bad("year 1", json!("0001-01-01T00:00:00Z"), false));
    }
    out.sort_by_key(|b| !b.must_422);
    out
}

/// A valid body for `op`, hand-written where generation is not enough (`None`: generate it).
pub fn good_body(op: &Operation, fx: &Fixtures) -> Option<Value> {
    let line = json!([{"description": "Service", "quantity": "2", "unit_price": "10.00", "discount_percent": "5", "tax_rate": "19"}]);
    Some(match op.key().as_str() {
        "POST /api/v1/activities" => json!({
            "kind": "task", "subject": "Walk", "body": "text", "contact_id": fx.id("contacts"),
            "due_at": "2026-01-15T10:00:00Z", "occurred_at": "2026-01-14T10:00:00Z", "duration_secs": 60
        }),
        "PATCH /api/v1/activities/{id}" => json!({"subject": "Walked"}),
        "POST /api/v1/api-keys" => json!({"name": "walk", "scope": "read", "role": "viewer"}),
        "POST /api/v1/companies"
        | "PUT /api/v1/companies/by-external-id/{source}/{external_id}" => {
            json!({"name": "Walk Co", "annual_revenue": {"amount": "1000.00", "currency": "EUR"}})
        }
        "PATCH /api/v1/companies/{id}" => json!({"industry": "Walking"}),
        "POST /api/v1/companies/{id}/merge" => json!({"source_id": fx.id("company2")}),
        "POST /api/v1/contacts" => json!({"first_name": "Walk", "last_name": "Er"}),
        "PATCH /api/v1/contacts/{id}" => json!({"title": "Walker"}),
        "POST /api/v1/contacts/{id}/merge" => json!({"source_id": fx.id("contact2")}),
        "POST /api/v1/custom-fields" => {
            json!({"record_type": "company", "key": "walk_field", "label": "Walk", "field_type": "text"})
        }
        "POST /api/v1/deals" => {
            json!({"name": "Walk deal", "amount": {"amount": "100.00", "currency": "EUR"}, "expected_close_date": "2026-12-01"})
        }
        "PATCH /api/v1/deals/{id}" => json!({"name": "Walked deal"}),
        "POST /api/v1/invoices" | "PUT /api/v1/invoices/by-external-id/{source}/{external_id}" => {
            json!({"currency": "EUR", "due_date": "2099-01-31", "lines": line})
        }
        "POST /api/v1/invoices/{id}/payments" => {
            json!({"amount": "1.00", "method": "bank_transfer", "paid_at": "2026-01-15T10:00:00Z"})
        }
        "POST /api/v1/invoices/{id}/status" => json!({"status": "cancelled"}),
        "POST /api/v1/leads" => json!({"last_name": "Walk", "company_name": "Walk Inc"}),
        "POST /api/v1/leads/{id}/convert" => json!({}),
        "POST /api/v1/leads/{id}/disqualify" => json!({"reason": "no budget"}),
        "POST /api/v1/me/password" => {
            json!({"current_password": PASSWORD, "new_password": PASSWORD})
        }
        "POST /api/v1/orders" | "PUT /api/v1/orders/by-external-id/{source}/{external_id}" => {
            json!({"currency": "EUR", "lines": line})
        }
        "POST /api/v1/orders/{id}/status" => json!({"status": "confirmed"}),
        "POST /api/v1/owner-transfers" => {
            json!({"from_user_id": fx.id("users"), "to_user_id": fx.id("admin")})
        }
        "POST /api/v1/pipelines" => pipeline_body("Walk"),
        "PATCH /api/v1/pipelines/{id}" => json!({"name": "Walked"}),
        "POST /api/v1/price-lists" => json!({"name": "Walk", "currency": "EUR"}),
        "POST /api/v1/products"
        | "PUT /api/v1/products/by-external-id/{source}/{external_id}"
        | "PUT /api/v1/products/{id}" => json!({
            "sku": unique("sku"), "name": "Walk", "tax_rate": "19",
            "prices": [{"price_list_id": fx.id("price_list"), "unit_price": "10.00"}]
        }),
        "POST /api/v1/quotes" => {
            let mut q = document_body("10.00");
            q["valid_until"] = json!("2099-12-31");
            q
        }
        "POST /api/v1/quotes/{id}/status" => json!({"status": "sent"}),
        "POST /api/v1/users" => {
            json!({"email": format!("{}@walk.test", unique("user")), "name": "Walk", "role": "viewer", "password": PASSWORD})
        }
        "PATCH /api/v1/users/{id}" => json!({"name": "Walked"}),
        "POST /api/v1/webhooks" => {
            json!({"url": "https://93.184.216.34/walk", "event_types": ["contact.*"], "enabled": false})
        }
        "PATCH /api/v1/webhooks/{id}" => json!({"description": "Walked"}),
        "POST /api/v1/webhooks/{id}/replay" => {
            json!({"from": "2000-01-01T00:00:00Z", "to": "2000-01-02T00:00:00Z"})
        }
        _ => return None,
    })
}

/// The table a create operation adds a row to.
pub fn table_of(resource: &str) -> Option<&'static str> {
    Some(match resource {
        "users" => "users",
        "api-keys" => "api_keys",
        "companies" => "companies",
        "contacts" => "contacts",
        "custom-fields" => "custom_field_defs",
        "activities" => "activities",
        "leads" => "leads",
        "pipelines" => "pipelines",
        "deals" => "deals",
        "products" => "products",
        "price-lists" => "price_lists",
        "quotes" | "orders" | "invoices" => "sales_documents",
        "webhooks" => "webhook_subscriptions",
        _ => return None,
    })
}

/// Whether `op` creates a record (a POST on a collection, or an upsert by external id).
pub fn creates(op: &Operation) -> bool {
    let rest = op.path.trim_start_matches("/api/v1/");
    (op.method == "POST" && !rest.contains('/')) || op.path.contains("{external_id}")
}

const COUNTED: [&str; 21] = [
    "organizations",
    "users",
    "api_keys",
    "companies",
    "contacts",
    "custom_field_defs",
    "activities",
    "activity_links",
    "leads",
    "pipelines",
    "pipeline_stages",
    "deals",
    "deal_stage_history",
    "products",
    "price_lists",
    "product_prices",
    "sales_documents",
    "document_lines",
    "payments",
    "webhook_subscriptions",
    "webhook_deliveries",
];

const VERSIONED: [&str; 8] = [
    "companies",
    "contacts",
    "activities",
    "leads",
    "pipelines",
    "deals",
    "products",
    "sales_documents",
];

/// Every table's row count and every versioned table's version sum, in one statement.
pub async fn state(app: &TestApp) -> Vec<(String, i64)> {
    let mut names = Vec::new();
    let mut exprs = Vec::new();
    for t in COUNTED {
        names.push(t.to_owned());
        exprs.push(format!("(SELECT COUNT(*) FROM {t})"));
    }
    for t in VERSIONED {
        names.push(format!("{t}.version"));
        exprs.push(format!(
            "(SELECT CAST(COALESCE(SUM(version), 0) AS BIGINT) FROM {t})"
        ));
    }
    let sql = format!("SELECT {}", exprs.join(", "));
    let row = app
        .db
        .query_one_raw(Statement::from_string(app.db.get_database_backend(), sql))
        .await
        .expect("state query")
        .expect("a row");
    names
        .into_iter()
        .enumerate()
        .map(|(i, n)| (n, row.try_get_by_index::<i64>(i).expect("count")))
        .collect()
}

/// What changed between two [`state`]s.
pub fn changes(before: &[(String, i64)], after: &[(String, i64)]) -> Vec<(String, i64)> {
    before
        .iter()
        .zip(after)
        .filter(|(b, a)| b.1 != a.1)
        .map(|(b, a)| (b.0.clone(), a.1 - b.1))
        .collect()
}

/// Judges one answer to a bad value: `Ok(true)` for a 2xx, `Ok(false)` for a proper refusal.
/// `earlier_2xx`: an earlier request of the operation was accepted (so a 409 is explained).
/// `codes`: the problem codes a refusal may carry.
pub fn judge(
    res: &Result<Resp, String>,
    must_422: bool,
    earlier_2xx: bool,
    codes: &[&str],
) -> Result<bool, String> {
    let res = match res {
        Ok(r) => r,
        Err(e) => return Err(e.clone()),
    };
    let short = crate::openapi_walk::brief(res);
    if res.status >= 500 {
        return Err(short);
    }
    if (200..300).contains(&res.status) {
        return if must_422 {
            Err(format!("accepted: {short}"))
        } else {
            Ok(true)
        };
    }
    if must_422 && res.status != 422 && !(res.status == 409 && earlier_2xx) {
        return Err(format!("expected 422: {short}"));
    }
    crate::openapi_walk::problem_check(res, codes)?;
    Ok(false)
}
