//! The OpenAPI 3.1 document: every REST operation, its bodies, errors and security.

use super::kit::KitDoc;
use super::list_params::ListParams;
use super::openapi_examples::ComposedExamples;
use super::openapi_fixups::ClientFixups;
use std::collections::BTreeMap;
use utoipa::openapi::schema::{ArrayItems, Schema};
use utoipa::openapi::security::{Http, HttpAuthScheme, SecurityScheme};
use utoipa::openapi::{ContentBuilder, Ref, RefOr, ResponseBuilder, response::Response};
use utoipa::{IntoResponses, Modify, OpenApi};

fn problem(description: &str) -> RefOr<Response> {
    ResponseBuilder::new()
        .description(description)
        .content(
            "application/problem+json",
            ContentBuilder::new()
                .schema(Some(Ref::from_schema_name("Problem")))
                .build(),
        )
        .build()
        .into()
}

macro_rules! error_set {
    ($(#[$doc:meta])* $name:ident { $($status:literal => $desc:literal),+ $(,)? }) => {
        $(#[$doc])*
        pub struct $name;
        impl IntoResponses for $name {
            fn responses() -> BTreeMap<String, RefOr<Response>> {
                BTreeMap::from([$(($status.to_string(), problem($desc))),+])
            }
        }
    };
}

error_set!(
    /// Errors of an unauthenticated write (signup excepted).
    PublicWriteErrors {
        "400" => "Malformed JSON",
        "401" => "Invalid credentials or token",
        "413" => "Body too large",
        "415" => "Body is not JSON",
        "422" => "A field breaks a rule; `errors` lists each with a JSON pointer",
        "429" => "Too many attempts; see `Retry-After`",
        "500" => "Unexpected error; quote the request id",
    }
);

error_set!(
    /// Errors of signup.
    SignupErrors {
        "400" => "Malformed JSON",
        "403" => "Signup is disabled on this server",
        "409" => "The email is already registered",
        "413" => "Body too large",
        "415" => "Body is not JSON",
        "422" => "A field breaks a rule; `errors` lists each with a JSON pointer",
        "429" => "Too many requests; see `Retry-After`",
        "500" => "Unexpected error; quote the request id",
    }
);

error_set!(
    /// Errors of an authenticated read.
    ReadErrors {
        "401" => "Missing, invalid, expired or revoked credentials",
        "403" => "The caller's role may not do this",
        "404" => "No such record in the caller's organization",
        "422" => "A parameter breaks a rule (limit, cursor, unknown parameter)",
        "429" => "Too many requests; see `Retry-After`",
        "500" => "Unexpected error; quote the request id",
    }
);

error_set!(
    /// Errors of a read of the monthly revenue rollups.
    RollupReadErrors {
        "401" => "Missing, invalid, expired or revoked credentials",
        "403" => "The caller's role may not do this",
        "409" => "The rollups are off (`PUT /api/v1/analytics/rollups` turns them on)",
        "422" => "A parameter breaks a rule (period, limit, unknown parameter)",
        "429" => "Too many requests; see `Retry-After`",
        "500" => "Unexpected error; quote the request id",
    }
);

error_set!(
    /// Errors of the change feed.
    FeedErrors {
        "401" => "Missing, invalid, expired or revoked credentials",
        "403" => "The caller's role may not do this",
        "410" => "The cursor is older than the event retention (`cursor_expired`): start over without `after`",
        "422" => "A parameter breaks a rule (limit, wait, types, a cursor of another organization, unknown parameter)",
        "429" => "Too many requests; see `Retry-After`",
        "500" => "Unexpected error; quote the request id",
    }
);

error_set!(
    /// Errors of an authenticated write.
    WriteErrors {
        "400" => "Malformed JSON",
        "401" => "Missing, invalid, expired or revoked credentials",
        "403" => "The caller's role or key scope may not do this",
        "404" => "No such record in the caller's organization",
        "409" => "Conflicts with the current state (a unique value taken, the last admin)",
        "412" => "`If-Match` names another version than the current one; nothing changed",
        "413" => "Body too large",
        "415" => "Body is not JSON",
        "422" => "A field breaks a rule; `errors` lists each with a JSON pointer",
        "429" => "Too many requests; see `Retry-After`",
        "500" => "Unexpected error; quote the request id",
    }
);

struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        let mut http = Http::new(HttpAuthScheme::Bearer);
        http.description = Some(
            "A user's access token (JWT from /api/v1/auth/login) or an integration's API key \
             (`crm_<prefix>_<secret>`)."
                .to_owned(),
        );
        components.add_security_scheme("bearer", SecurityScheme::Http(http));
    }
}

/// utoipa inlines the item schema of a generic `Page<T>` into each `Page_T`, so generated clients
/// get a second, differently named type for the items (`PageContactDataItem` beside `Contact`).
/// This points the items of every `Page_T` at the named schema `T` where the inlined copy is that
/// very schema. (scripts/check-clients fails on any page left inlined.)
struct PageItemRefs;

impl Modify for PageItemRefs {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let Some(components) = openapi.components.as_mut() else {
            return;
        };
        let named = components.schemas.clone();
        for (name, page) in components.schemas.iter_mut() {
            let Some(item) = name.strip_prefix("Page_") else {
                continue;
            };
            let (Some(named_item), RefOr::T(Schema::Object(page))) = (named.get(item), page) else {
                continue;
            };
            let Some(RefOr::T(Schema::Array(data))) = page.properties.get_mut("data") else {
                continue;
            };
            if let ArrayItems::RefOrSchema(items) = &mut data.items
                && **items == *named_item
            {
                **items = RefOr::Ref(Ref::from_schema_name(item));
            }
        }
    }
}

/// The API document.
#[derive(OpenApi)]
#[openapi(
    info(
        title = "CRM API",
        description = "Headless CRM: REST under /api/v1 (this document) and GraphQL at /graphql. \
Errors are RFC 9457 problem documents whose `code` matches GraphQL's `extensions.code`. \
Lists are cursor-paginated: `{data, next_cursor, has_more}`.",
        license(name = "Apache-2.0"),
    ),
    servers((url = "/", description = "This server (the document is served at /openapi.json)")),
    modifiers(&KitDoc, &BearerAuth, &PageItemRefs, &ListParams, &ClientFixups, &ComposedExamples),
    security(("bearer" = [])),
    paths(
        super::health::livez,
        super::health::readyz,
        super::health::error_code,
        super::auth::signup,
        super::auth::login,
        super::auth::refresh,
        super::auth::logout,
        super::me::me,
        super::me::change_password,
        super::users::list,
        super::users::create,
        super::users::get,
        super::users::update,
        super::users::deactivate,
        super::api_keys::list,
        super::api_keys::create,
        super::api_keys::get,
        super::api_keys::revoke,
        super::exports::create,
        super::exports::list,
        super::exports::get,
        super::exports::download,
        super::imports::create,
        super::imports::list,
        super::imports::get,
        super::imports::cancel,
        super::imports::failures,
        super::jobs::list,
        super::jobs::get,
        super::jobs::retry,
        super::jobs::discard,
        super::events::list,
        super::webhooks::list,
        super::webhooks::create,
        super::webhooks::get,
        super::webhooks::update,
        super::webhooks::delete,
        super::webhooks::rotate_secret,
        super::webhooks::replay,
        super::webhooks::deliveries,
        super::webhooks::delivery,
        super::webhooks::redeliver,
        super::contacts::duplicates,
        super::contacts::merge,
        super::contacts::parse,
        super::companies::duplicates,
        super::companies::merge,
        super::custom_fields::list,
        super::custom_fields::create,
        super::custom_fields::get,
        super::custom_fields::delete,
        super::custom_fields::transfer,
        super::activities::complete,
        super::activities::my_tasks,
        super::activities::overdue,
        super::activities::feedback_summary,
        super::activities::contact_timeline,
        super::activities::company_timeline,
        super::sales::list_pipelines,
        super::sales::create_pipeline,
        super::sales::get_pipeline,
        super::sales::update_pipeline,
        super::sales::board,
        super::sales::stage_history,
        super::sales::forecast,
        super::sales::list_price_lists,
        super::sales::create_price_list,
        super::sales::get_price_list,
        super::sales::order_status,
        super::sales::invoice_status,
        super::sales::add_payment,
        super::sales::replace_product,
        super::sales::qualify_lead,
        super::sales::disqualify_lead,
        super::sales::convert_lead,
        super::sales::quote_status,
        super::sales::accept_quote,
        super::analytics::settings,
        super::analytics::update_settings,
        super::analytics::refresh,
        super::analytics::update_refresh,
        super::analytics::run_refresh,
        super::analytics_rollups::rollups,
        super::analytics_rollups::update_rollups,
        super::analytics_rollups::monthly_revenue,
        super::analytics_actions::next_best_actions,
        super::analytics_actions::accept,
        super::analytics_actions::dismiss,
        super::analytics::abc,
        super::analytics::xyz,
        super::analytics::abc_xyz,
        super::analytics::rfm,
        super::analytics::clv,
        super::analytics::profitability,
        super::analytics::cross_sell,
        super::analytics::recommendations,
        super::analytics::funnel,
        super::analytics::overview,
        super::analytics::retention,
        super::analytics::list_rates,
        super::analytics::put_rates,
        super::analytics::import_rates,
        super::analytics::delete_rate,
    ),
    components(schemas(super::problem::Problem, super::analytics_query::CustomerSubject)),
    tags(
        (name = "auth", description = "Sign up, sign in, refresh and sign out"),
        (name = "identity", description = "The caller"),
        (name = "users", description = "Users of the organization"),
        (name = "api-keys", description = "API keys for integrations"),
        (name = "jobs", description = "Background jobs: failed ones to retry or discard"),
        (name = "exports", description = "Export files built in the background"),
        (name = "imports", description = "Bulk imports of CSV, NDJSON and vCard files, run in the background"),
        (name = "events", description = "The change feed: domain events in commit order"),
        (name = "webhooks", description = "Signed delivery of events to the organization's endpoints"),
        (name = "contacts", description = "People: customers, leads, consumers"),
        (name = "companies", description = "Companies (accounts)"),
        (name = "activities", description = "Calls, emails, meetings, notes, tasks, visits, presentations, feedback"),
        (name = "sales", description = "Pipelines, deals, products, price lists, orders, invoices, forecast"),
        (name = "custom-fields", description = "Typed fields admins add to records"),
        (name = "owner-transfers", description = "Moving records between owners"),
        (name = "analytics", description = "Base currency, exchange rates, ABC and XYZ classes of customers and products"),
        (name = "operations", description = "Health and error descriptions"),
    )
)]
pub struct ApiDoc;
