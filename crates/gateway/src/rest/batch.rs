//! Batch writes over REST: `POST /api/v1/{path}/batch` for every resource of the kit that
//! implements [`BatchWrite`]. The body is `{"items": [...]}`, 1 to 100 items, each
//! `{"op": "create", "data": {...}}`, `{"op": "update", "id": ..., "version": 3, "data":
//! {...}}` or `{"op": "upsert", "external_source": "sap", "external_id": "4711", "data":
//! {...}}`, where `data` is the body of the single write. Every item runs the single write's
//! domain operation ([`crm_core::batch`]).
//!
//! Answers, as HubSpot's batch API does: 200 when every item was written, 207 Multi-Status
//! when some failed (each item has its own `status` and `error`); with `?atomic=true`, one
//! failure writes nothing and the answer is the problem document of the first failing item
//! (its status and code) with `failed` listing every failing item and `errors` their fields
//! as `/items/{index}/...`.

use super::extract::{Authenticated, JsonBody, from_value};
use super::kit::{add_schema, header_param, json_response, operation, schema_ref, with_errors};
use super::openapi::WriteErrors;
use super::problem::{ApiError, Problem, current_request_id, render};
use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use crm_core::batch::{self, BatchOp, BatchOutcome, BatchWrite, ItemOutcome};
use crm_core::kit::Versioned;
use crm_core::{Code, Error, FieldError};
use serde::Deserialize;
use serde_json::{Map, Value, json};
use utoipa::ToSchema;
use utoipa::openapi::path::{HttpMethod, ParameterBuilder, ParameterIn};
use utoipa::openapi::request_body::RequestBodyBuilder;
use utoipa::openapi::schema::{
    AdditionalProperties, ArrayBuilder, KnownFormat, ObjectBuilder, OneOfBuilder, SchemaFormat,
    Type,
};
use utoipa::openapi::{ContentBuilder, RefOr, Required, Schema};
use uuid::Uuid;

/// The body of a batch.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct BatchBody {
    /// The items, in the order they run.
    items: Vec<Value>,
}

/// The query of a batch.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct BatchQuery {
    /// All or nothing.
    atomic: Option<bool>,
}

/// `POST /{path}/batch`.
pub(super) async fn handler<R: BatchWrite>(
    auth: Authenticated,
    req: HttpRequest,
    body: JsonBody<BatchBody>,
) -> Result<HttpResponse, ApiError> {
    let query = web::Query::<BatchQuery>::from_query(req.query_string()).map_err(|e| {
        let message = e.to_string();
        match message.split('`').nth(1) {
            Some(field) if message.contains("unknown field") => ApiError(Error::invalid_field(
                &format!("/{field}"),
                "unknown_field",
                "is not a parameter of this endpoint",
            )),
            _ => ApiError(Error::invalid_field(
                "/atomic",
                "invalid_type",
                "must be `true` or `false`",
            )),
        }
    })?;
    let atomic = query.atomic.unwrap_or(false);
    let items = body.0.items;
    batch::check_count(items.len())?;
    let ops = items.into_iter().map(parse_item::<R>).collect();
    let outcome = batch::run::<R>(&auth.0, ops, atomic, |_| "/data").await?;
    Ok(respond(outcome))
}

/// Reads one item; what cannot be read fails that item alone, with pointers into it.
fn parse_item<R: BatchWrite>(item: Value) -> Result<batch::Op<R>, Error> {
    let Value::Object(mut m) = item else {
        return Err(Error::invalid_field(
            "",
            "invalid_type",
            "an item is an object with `op` and `data`",
        ));
    };
    let op = match m.remove("op") {
        Some(Value::String(s)) => s,
        Some(_) => {
            return Err(Error::invalid_field(
                "/op",
                "invalid_type",
                "must be a string",
            ));
        }
        None => return Err(Error::invalid_field("/op", "required", "is required")),
    };
    let Some(data) = m.remove("data") else {
        return Err(Error::invalid_field("/data", "required", "is required"));
    };
    let data_err = |e: Error| batch::nest(e, "/data");
    let parsed = match op.as_str() {
        "create" => BatchOp::Create(from_value(data).map_err(data_err)?),
        "update" => {
            if !R::UPDATE {
                return Err(batch::unsupported("update", R::MANY));
            }
            let id = match m.remove("id") {
                Some(v) => from_value::<Uuid>(v).map_err(|e| batch::nest(e, "/id"))?,
                None => return Err(Error::invalid_field("/id", "required", "is required")),
            };
            let version = match m.remove("version") {
                None | Some(Value::Null) => None,
                Some(v) => Some(from_value::<i64>(v).map_err(|e| batch::nest(e, "/version"))?),
            };
            BatchOp::Update {
                id,
                version,
                change: from_value(data).map_err(data_err)?,
            }
        }
        "upsert" => {
            if !R::UPSERT {
                return Err(batch::unsupported("upsert", R::MANY));
            }
            let text = |m: &mut Map<String, Value>, key: &str| match m.remove(key) {
                Some(Value::String(s)) => Ok(s),
                Some(_) => Err(Error::invalid_field(
                    &format!("/{key}"),
                    "invalid_type",
                    "must be a string",
                )),
                None => Err(Error::invalid_field(
                    &format!("/{key}"),
                    "required",
                    "is required",
                )),
            };
            let source = text(&mut m, "external_source")?;
            let external_id = text(&mut m, "external_id")?;
            batch::check_external(&source, &external_id)?;
            BatchOp::Upsert {
                source,
                external_id,
                input: from_value(data).map_err(data_err)?,
            }
        }
        _ => {
            return Err(Error::invalid_field(
                "/op",
                "invalid_value",
                "must be `create`, `update` or `upsert`",
            ));
        }
    };
    if let Some(key) = m.keys().next() {
        return Err(Error::invalid_field(
            &format!("/{key}"),
            "unknown_field",
            format!("is not a field of a `{op}` item"),
        ));
    }
    Ok(parsed)
}

/// The problem document of `err` as JSON, with its extra members (such as `merged_into`).
pub(crate) fn problem_json(err: &Error, request_id: Option<String>) -> Value {
    if err.code == Code::Internal {
        tracing::error!(error = %err, cause = ?err.source, "internal error in a batch item");
    }
    let mut body = serde_json::to_value(Problem::of(err, request_id)).unwrap_or_default();
    if let (Some(Value::Object(extra)), Some(obj)) = (&err.meta, body.as_object_mut()) {
        for (k, v) in extra {
            obj.entry(k.clone()).or_insert_with(|| v.clone());
        }
    }
    body
}

fn item_json<R: serde::Serialize + Versioned>(item: &ItemOutcome<R>) -> Value {
    let status = item.status();
    match &item.result {
        Ok(w) => json!({
            "index": item.index,
            "status": status,
            "id": w.record.id(),
            "record": w.record,
            "error": null,
        }),
        Err(e) => json!({
            "index": item.index,
            "status": status,
            "id": null,
            "record": null,
            "error": problem_json(e, None),
        }),
    }
}

/// The answer to a batch (see the module's documentation).
fn respond<R: serde::Serialize + Versioned>(outcome: BatchOutcome<R>) -> HttpResponse {
    let request_id = current_request_id();
    if !outcome.committed {
        let failed: Vec<&ItemOutcome<R>> = outcome.failed().collect();
        let Some(first) = failed.first() else {
            return render(
                &Error::internal("an atomic batch failed without a failed item"),
                request_id,
            );
        };
        let code = first
            .result
            .as_ref()
            .err()
            .map_or(Code::Internal, |e| e.code);
        let mut fields = Vec::new();
        for f in &failed {
            if let Err(e) = &f.result {
                fields.extend(e.fields.iter().map(|fe| {
                    FieldError::new(
                        format!("/items/{}{}", f.index, fe.pointer),
                        fe.code.clone(),
                        fe.message.clone(),
                    )
                }));
            }
        }
        let indexes: Vec<String> = failed.iter().map(|f| f.index.to_string()).collect();
        let mut err = Error::new(
            code,
            format!(
                "Nothing was written: item{} {} failed",
                if failed.len() == 1 { "" } else { "s" },
                indexes.join(", ")
            ),
        );
        err.fields = fields;
        let failed_json: Vec<Value> = failed.iter().map(|f| item_json(f)).collect();
        err.meta = Some(json!({ "failed": failed_json }));
        return render(&err, request_id);
    }
    let any_failed = outcome.failed().next().is_some();
    let results: Vec<Value> = outcome.items.iter().map(item_json).collect();
    let status = if any_failed {
        StatusCode::MULTI_STATUS
    } else {
        StatusCode::OK
    };
    HttpResponse::build(status).json(json!({
        "atomic": outcome.atomic,
        "committed": outcome.committed,
        "results": results,
    }))
}

// ---- OpenAPI: the batch operation and its schemas. ----

fn nullable(schema: RefOr<Schema>) -> RefOr<Schema> {
    OneOfBuilder::new()
        .item(schema)
        .item(ObjectBuilder::new().schema_type(Type::Null))
        .into()
}

fn text(description: &str) -> ObjectBuilder {
    ObjectBuilder::new()
        .schema_type(Type::String)
        .description(Some(description))
}

fn integer(description: &str) -> ObjectBuilder {
    ObjectBuilder::new()
        .schema_type(Type::Integer)
        .format(Some(SchemaFormat::KnownFormat(KnownFormat::Int64)))
        .description(Some(description))
}

/// Adds `POST /{path}/batch` of `R` with its schemas `<One>BatchItem`, `<One>Batch`,
/// `<One>BatchResult` and `<One>BatchResponse`.
pub(super) fn doc<R: BatchWrite>(api: &mut utoipa::openapi::OpenApi)
where
    R::Record: ToSchema,
    R::New: ToSchema,
    R::Change: ToSchema,
{
    add_schema::<R::New>(api);
    add_schema::<R::Change>(api);
    add_schema::<R::Record>(api);
    let one = R::ONE;
    let many = R::MANY.to_lowercase();
    let mut ops = vec!["create"];
    if R::UPDATE {
        ops.push("update");
    }
    if R::UPSERT {
        ops.push("upsert");
    }
    // One variant per `op`, each with only the fields that op takes (the server refuses any
    // other), so a generated client gets a union it can type-check.
    let variant = |op: &str, description: String, data: &str| {
        ObjectBuilder::new()
            .description(Some(description))
            .property(
                "op",
                text("What the item does").enum_values(Some([op.to_owned()])),
            )
            .required("op")
            .property("data", schema_ref(data))
            .required("data")
            .additional_properties(Some(AdditionalProperties::<Schema>::FreeForm(false)))
    };
    let mut item = OneOfBuilder::new()
        .description(Some(format!(
            "One item of a batch of {many}: `op` says what it does (`{}`), `data` is the body \
             of the single write; each op takes only its own fields.",
            ops.join("`, `")
        )))
        .item(variant(
            "create",
            format!("Creates one of the {many}: `data` as the single create's body"),
            &R::New::name(),
        ));
    if R::UPDATE {
        item = item.item(
            variant(
                "update",
                format!("Changes one of the {many}: `data` as the single update's body"),
                &R::Change::name(),
            )
            .property(
                "id",
                text("The record").format(Some(SchemaFormat::KnownFormat(KnownFormat::Uuid))),
            )
            .required("id")
            .property(
                "version",
                nullable(
                    integer(
                        "The version the change is based on (a record at another version \
                         answers 412); null or absent: whatever the version",
                    )
                    .into(),
                ),
            ),
        );
    }
    if R::UPSERT {
        item = item.item(
            variant(
                "upsert",
                "Creates or changes the record another system knows by its id: `data` as the \
                 single create's body"
                    .to_owned(),
                &R::New::name(),
            )
            .property(
                "external_source",
                text("The source system, such as `sap`")
                    .min_length(Some(1))
                    .max_length(Some(60)),
            )
            .required("external_source")
            .property(
                "external_id",
                text("The id in that system")
                    .min_length(Some(1))
                    .max_length(Some(200)),
            )
            .required("external_id"),
        );
    }
    let item_name = format!("{one}BatchItem");
    let body_name = format!("{one}Batch");
    let result_name = format!("{one}BatchResult");
    let response_name = format!("{one}BatchResponse");
    let body = ObjectBuilder::new()
        .description(Some(format!(
            "A batch of 1 to {} {many} writes",
            batch::MAX_ITEMS
        )))
        .property(
            "items",
            ArrayBuilder::new()
                .items(schema_ref(&item_name))
                .min_items(Some(1))
                .max_items(Some(batch::MAX_ITEMS)),
        )
        .required("items")
        .additional_properties(Some(AdditionalProperties::<Schema>::FreeForm(false)));
    let result = ObjectBuilder::new()
        .description(Some("The outcome of one item"))
        .property(
            "index",
            integer("The item's position in the request, from 0"),
        )
        .required("index")
        .property(
            "status",
            integer("The HTTP status the single write would have answered with (201 created, 200 changed, 4xx failed)"),
        )
        .required("status")
        .property(
            "id",
            nullable(
                text("The record's id")
                    .format(Some(SchemaFormat::KnownFormat(KnownFormat::Uuid)))
                    .into(),
            ),
        )
        .required("id")
        .property("record", nullable(schema_ref(&R::Record::name())))
        .required("record")
        .property("error", nullable(schema_ref("Problem")))
        .required("error");
    let response = ObjectBuilder::new()
        .description(Some("Every item's outcome, in request order"))
        .property(
            "atomic",
            ObjectBuilder::new()
                .schema_type(Type::Boolean)
                .description(Some("Whether the batch was all or nothing")),
        )
        .required("atomic")
        .property(
            "committed",
            ObjectBuilder::new()
                .schema_type(Type::Boolean)
                .description(Some("Whether the items that succeeded were written")),
        )
        .required("committed")
        .property(
            "results",
            ArrayBuilder::new().items(schema_ref(&result_name)),
        )
        .required("results");
    let schemas = &mut api.components.get_or_insert_with(Default::default).schemas;
    schemas.insert(item_name, item.into());
    schemas.insert(body_name.clone(), body.into());
    schemas.insert(result_name, result.into());
    schemas.insert(response_name.clone(), response.into());
    let summary = format!(
        "Writes 1 to {max} {many} in one request: each item a {ops}, through the same rules \
         as the single write, with its history and event. Answers 200 when every item was \
         written, 207 when some failed (each item has its own `status` and `error`). With \
         `atomic=true`, one failing item writes nothing: the answer is the first failing \
         item's problem document with `failed` listing every failing item.",
        max = batch::MAX_ITEMS,
        ops = ops.join(", ")
    );
    let atomic = ParameterBuilder::new()
        .name("atomic")
        .parameter_in(ParameterIn::Query)
        .required(Required::False)
        .description(Some("All or nothing (default `false`)"))
        .schema(Some(ObjectBuilder::new().schema_type(Type::Boolean)))
        .build();
    let op = operation::<R>(format!("batch{}", R::MANY), summary)
        .parameter(atomic)
        .parameter(header_param(
            "Idempotency-Key",
            "Replays the first response for the same key and body",
        ))
        .request_body(Some(
            RequestBodyBuilder::new()
                .required(Some(Required::True))
                .content(
                    "application/json",
                    ContentBuilder::new()
                        .schema(Some(schema_ref(&body_name)))
                        .build(),
                )
                .build(),
        ))
        .response(
            "200",
            json_response("Every item was written", &response_name, &[]),
        )
        .response(
            "207",
            json_response(
                "Some items failed; the others were written",
                &response_name,
                &[],
            ),
        );
    api.paths.add_path_operation(
        format!("/api/v1/{}/batch", R::PATH),
        vec![HttpMethod::Post],
        with_errors::<WriteErrors>(op).build(),
    );
}
