//! The OpenAPI operations of the resource kit's standard operations (see [`super::kit`]): one
//! builder per operation, named `list<Many>`, `create<One>`, `upsert<One>` and so on, and the
//! shared pieces (schemas, parameters, responses) that the batch and export operations use too.

use super::extract::PageQuery;
use super::kit::{Op, suffix};
use super::openapi::{ReadErrors, WriteErrors};
use crm_core::Page;
use crm_core::audit::HistoryEntry;
use crm_core::kit::{Create, Delete, History, ListDeleted, Records, Update, Upsert};
use utoipa::openapi::header::HeaderBuilder;
use utoipa::openapi::path::{HttpMethod, OperationBuilder, ParameterBuilder, ParameterIn};
use utoipa::openapi::request_body::RequestBodyBuilder;
use utoipa::openapi::schema::{KnownFormat, ObjectBuilder, SchemaFormat};
use utoipa::openapi::security::SecurityRequirement;
use utoipa::openapi::{ContentBuilder, Ref, RefOr, Required, ResponseBuilder, Schema, Type};
use utoipa::{IntoParams, IntoResponses, PartialSchema, ToSchema};

pub(super) fn schema_ref(name: &str) -> RefOr<Schema> {
    RefOr::Ref(Ref::from_schema_name(name))
}

/// Adds `T` and every schema it refers to.
pub(super) fn add_schema<T: ToSchema>(api: &mut utoipa::openapi::OpenApi) {
    let components = api.components.get_or_insert_with(Default::default);
    let mut nested = Vec::new();
    T::schemas(&mut nested);
    for (name, schema) in nested {
        components.schemas.entry(name).or_insert(schema);
    }
    components
        .schemas
        .entry(T::name().into_owned())
        .or_insert_with(T::schema);
}

/// Adds `Page_T` (its items are pointed at `T` by `PageItemRefs`).
pub(super) fn add_page<T: ToSchema>(api: &mut utoipa::openapi::OpenApi) -> String {
    add_schema::<T>(api);
    let name = format!("Page_{}", T::name());
    api.components
        .get_or_insert_with(Default::default)
        .schemas
        .entry(name.clone())
        .or_insert_with(<Page<T> as PartialSchema>::schema);
    name
}

pub(super) fn lower(s: &str) -> String {
    // `SalesDocument` would read `salesdocument`; the kit's names are single words.
    s.to_lowercase()
}

pub(super) fn id_param<R: Records>() -> utoipa::openapi::path::Parameter {
    ParameterBuilder::new()
        .name("id")
        .parameter_in(ParameterIn::Path)
        .required(Required::True)
        .description(Some(format!("The {}'s id", lower(R::ONE))))
        .schema(Some(
            ObjectBuilder::new()
                .schema_type(Type::String)
                .format(Some(SchemaFormat::KnownFormat(KnownFormat::Uuid))),
        ))
        .build()
}

pub(super) fn header_param(name: &str, description: &str) -> utoipa::openapi::path::Parameter {
    ParameterBuilder::new()
        .name(name)
        .parameter_in(ParameterIn::Header)
        .required(Required::False)
        .description(Some(description))
        .schema(Some(ObjectBuilder::new().schema_type(Type::String)))
        .build()
}

pub(super) fn json_response(
    description: &str,
    schema: &str,
    headers: &[&str],
) -> RefOr<utoipa::openapi::Response> {
    let mut b = ResponseBuilder::new().description(description).content(
        "application/json",
        ContentBuilder::new()
            .schema(Some(schema_ref(schema)))
            .build(),
    );
    for h in headers {
        b = b.header(
            *h,
            HeaderBuilder::new()
                .schema(ObjectBuilder::new().schema_type(Type::String))
                .build(),
        );
    }
    b.build().into()
}

pub(super) fn precondition_failed(what: &str) -> RefOr<utoipa::openapi::Response> {
    ResponseBuilder::new()
        .description(format!("The {what} changed since that ETag"))
        .content(
            "application/problem+json",
            ContentBuilder::new()
                .schema(Some(schema_ref("Problem")))
                .build(),
        )
        .build()
        .into()
}

/// An operation of `R`: id, tag, summary, bearer security; `errors` appended.
pub(super) fn operation<R: Records>(id: String, summary: String) -> OperationBuilder {
    OperationBuilder::new()
        .tag(R::TAG)
        .summary(Some(summary))
        .operation_id(Some(id))
        .security(SecurityRequirement::new("bearer", Vec::<String>::new()))
}

pub(super) fn with_errors<E: IntoResponses>(mut op: OperationBuilder) -> OperationBuilder {
    for (status, response) in E::responses() {
        op = op.response(status, response);
    }
    op
}

pub(super) fn add<R: Records>(
    api: &mut utoipa::openapi::OpenApi,
    op: Op,
    method: HttpMethod,
    built: OperationBuilder,
) {
    api.paths.add_path_operation(
        format!("/api/v1/{}{}", R::PATH, suffix(op)),
        vec![method],
        built.build(),
    );
}

pub(super) fn doc_list<R: Records>(api: &mut utoipa::openapi::OpenApi)
where
    R::Record: ToSchema,
{
    let page = add_page::<R::Record>(api);
    let mut summary = format!(
        "Lists {}: filters (`field=value`, `field[op]=value`), sort and cursor pages, as the \
         parameters describe.",
        lower(R::MANY)
    );
    if !R::LIST_NOTE.is_empty() {
        summary = format!("{summary} {}", R::LIST_NOTE);
    }
    let mut op = operation::<R>(format!("list{}", R::MANY), summary)
        .parameters(Some(super::list_params::parameters(R::RESOURCE)))
        .response(
            "200",
            json_response(&format!("A page of {}", lower(R::MANY)), &page, &[]),
        );
    op = with_errors::<ReadErrors>(op);
    add::<R>(api, Op::List, HttpMethod::Get, op);
}

pub(super) fn doc_get<R: Records>(api: &mut utoipa::openapi::OpenApi)
where
    R::Record: ToSchema,
{
    add_schema::<R::Record>(api);
    let mut summary = format!("One {}.", lower(R::ONE));
    if !R::GET_NOTE.is_empty() {
        summary = format!("{summary} {}", R::GET_NOTE);
    }
    let op = operation::<R>(format!("get{}", R::ONE), summary)
        .parameter(id_param::<R>())
        .response(
            "200",
            json_response(
                &format!("The {}", lower(R::ONE)),
                &R::Record::name(),
                &["ETag"],
            ),
        );
    add::<R>(api, Op::Get, HttpMethod::Get, with_errors::<ReadErrors>(op));
}

pub(super) fn doc_create<R: Create>(api: &mut utoipa::openapi::OpenApi)
where
    R::Record: ToSchema,
    R::New: ToSchema,
{
    add_schema::<R::New>(api);
    let mut summary = format!("Creates a {}.", lower(R::ONE));
    if !R::CREATE_NOTE.is_empty() {
        summary = format!("{summary} {}", R::CREATE_NOTE);
    }
    let op = operation::<R>(format!("create{}", R::ONE), summary)
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
                        .schema(Some(schema_ref(&R::New::name())))
                        .build(),
                )
                .build(),
        ))
        .response(
            "201",
            json_response(
                &format!("The new {}", lower(R::ONE)),
                &R::Record::name(),
                &["ETag", "Location"],
            ),
        );
    add::<R>(
        api,
        Op::Create,
        HttpMethod::Post,
        with_errors::<WriteErrors>(op),
    );
}

pub(super) fn doc_upsert<R: Upsert>(api: &mut utoipa::openapi::OpenApi)
where
    R::Record: ToSchema,
    R::New: ToSchema,
{
    add_schema::<R::New>(api);
    let one = lower(R::ONE);
    let mut summary = format!(
        "Creates or replaces the {one} another system knows by `source` and `external_id` \
         (201 created, 200 replaced): pushing the same {one} twice leaves one {one}."
    );
    if !R::UPSERT_NOTE.is_empty() {
        summary = format!("{summary} {}", R::UPSERT_NOTE);
    }
    let path_param = |name: &str, description: &str, max: usize| {
        ParameterBuilder::new()
            .name(name)
            .parameter_in(ParameterIn::Path)
            .required(Required::True)
            .description(Some(description))
            .schema(Some(
                ObjectBuilder::new()
                    .schema_type(Type::String)
                    .min_length(Some(1))
                    .max_length(Some(max)),
            ))
            .build()
    };
    let op = operation::<R>(format!("upsert{}", R::ONE), summary)
        .parameter(path_param("source", "The source system, such as `sap`", 60))
        .parameter(path_param("external_id", "The id in that system", 200))
        .request_body(Some(
            RequestBodyBuilder::new()
                .required(Some(Required::True))
                .content(
                    "application/json",
                    ContentBuilder::new()
                        .schema(Some(schema_ref(&R::New::name())))
                        .build(),
                )
                .build(),
        ))
        .response(
            "200",
            json_response(
                &format!("The {one}, replaced"),
                &R::Record::name(),
                &["ETag"],
            ),
        )
        .response(
            "201",
            json_response(
                &format!("The new {one}"),
                &R::Record::name(),
                &["ETag", "Location"],
            ),
        );
    add::<R>(
        api,
        Op::Upsert,
        HttpMethod::Put,
        with_errors::<WriteErrors>(op),
    );
}

pub(super) fn doc_update<R: Update>(api: &mut utoipa::openapi::OpenApi)
where
    R::Record: ToSchema,
    R::Patch: ToSchema,
{
    add_schema::<R::Patch>(api);
    let one = lower(R::ONE);
    let mut summary = format!(
        "Changes a {one} (JSON Merge Patch: absent fields stay, `null` clears). With \
         `If-Match`, a stale version answers 412 and changes nothing."
    );
    if !R::UPDATE_NOTE.is_empty() {
        summary = format!("{summary} {}", R::UPDATE_NOTE);
    }
    let op = operation::<R>(format!("update{}", R::ONE), summary)
        .parameter(id_param::<R>())
        .parameter(header_param("If-Match", "The ETag the change is based on"))
        .request_body(Some(
            RequestBodyBuilder::new()
                .required(Some(Required::True))
                .content(
                    "application/merge-patch+json",
                    ContentBuilder::new()
                        .schema(Some(schema_ref(&R::Patch::name())))
                        .build(),
                )
                .build(),
        ))
        .response(
            "200",
            json_response(
                &format!("The {one}, changed"),
                &R::Record::name(),
                &["ETag"],
            ),
        );
    let mut op = with_errors::<WriteErrors>(op);
    op = op.response("412", precondition_failed(&one));
    add::<R>(api, Op::Update, HttpMethod::Patch, op);
}

pub(super) fn doc_delete<R: Delete>(api: &mut utoipa::openapi::OpenApi) {
    let one = lower(R::ONE);
    let op = operation::<R>(
        format!("delete{}", R::ONE),
        format!("Deletes a {one} (soft: `POST .../restore` brings it back)."),
    )
    .parameter(id_param::<R>())
    .parameter(header_param(
        "If-Match",
        "The ETag the deletion is based on",
    ))
    .response("204", ResponseBuilder::new().description("Deleted").build());
    let mut op = with_errors::<WriteErrors>(op);
    op = op.response("412", precondition_failed(&one));
    add::<R>(api, Op::Delete, HttpMethod::Delete, op);
}

pub(super) fn doc_restore<R: Delete>(api: &mut utoipa::openapi::OpenApi)
where
    R::Record: ToSchema,
{
    let one = lower(R::ONE);
    let op = operation::<R>(
        format!("restore{}", R::ONE),
        format!("Restores a deleted {one}."),
    )
    .parameter(id_param::<R>())
    .response(
        "200",
        json_response(
            &format!("The {one}, restored"),
            &R::Record::name(),
            &["ETag"],
        ),
    );
    add::<R>(
        api,
        Op::Restore,
        HttpMethod::Post,
        with_errors::<WriteErrors>(op),
    );
}

pub(super) fn doc_deleted<R: ListDeleted>(api: &mut utoipa::openapi::OpenApi)
where
    R::Record: ToSchema,
{
    let page = add_page::<R::Record>(api);
    let many = lower(R::MANY);
    let op = operation::<R>(
        format!("listDeleted{}", R::MANY),
        format!("Deleted {many}, for review and restore."),
    )
    .parameters(Some(PageQuery::into_params(|| Some(ParameterIn::Query))))
    .response(
        "200",
        json_response(&format!("A page of deleted {many}"), &page, &[]),
    );
    add::<R>(
        api,
        Op::Deleted,
        HttpMethod::Get,
        with_errors::<ReadErrors>(op),
    );
}

pub(super) fn doc_history<R: History>(api: &mut utoipa::openapi::OpenApi) {
    let page = add_page::<HistoryEntry>(api);
    let op = operation::<R>(
        format!("list{}History", R::ONE),
        "Who changed what and when, newest first.".to_owned(),
    )
    .parameter(id_param::<R>())
    .parameters(Some(PageQuery::into_params(|| Some(ParameterIn::Query))))
    .response(
        "200",
        json_response("A page of history entries", &page, &[]),
    );
    add::<R>(
        api,
        Op::History,
        HttpMethod::Get,
        with_errors::<ReadErrors>(op),
    );
}
