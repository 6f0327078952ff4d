//! The REST face: routes, extractors, problem rendering and the OpenAPI document.

mod activities;
mod analytics;
mod analytics_actions;
mod analytics_csv;
pub(crate) mod analytics_query;
mod analytics_rollups;
pub(crate) mod analytics_svg;
mod api_keys;
mod auth;
mod batch;
mod companies;
mod contacts;
pub mod cors;
mod custom_fields;
pub mod etag;
mod events;
pub mod export;
mod export_cells;
mod exports;
pub mod extract;
mod health;
pub mod idempotency;
mod imports;
mod jobs;
pub mod kit;
mod kit_doc;
pub mod list_params;
pub mod list_query;
mod me;
pub mod middleware;
pub mod openapi;
pub mod openapi_examples;
pub mod openapi_fixups;
pub mod problem;
mod sales;
mod users;
mod webhooks;

use crate::config::Config;
use crate::graphql;
use actix_web::{HttpRequest, HttpResponse, middleware::from_fn, web};
use crm_core::Error;
use utoipa_swagger_ui::SwaggerUi;

/// The routes of a versioned record resource (`deleted` before `{id}`, so it is not an id).
/// The routes a customer record has beyond the kit's: duplicates and merge.
macro_rules! customer_extras {
    ($m:ident, $base:literal) => {
        |cfg: &mut web::ServiceConfig| {
            cfg.service(
                web::resource(concat!($base, "/{id}/duplicates"))
                    .route(web::get().to($m::duplicates)),
            )
            .service(web::resource(concat!($base, "/{id}/merge")).route(web::post().to($m::merge)));
        }
    };
}

async fn not_found(_req: HttpRequest) -> HttpResponse {
    problem::render(&Error::not_found("Resource"), problem::current_request_id())
}

/// `GET /docs` sends browsers on to the docs themselves, at `/docs/`.
async fn docs_redirect() -> HttpResponse {
    HttpResponse::PermanentRedirect()
        .insert_header((actix_web::http::header::LOCATION, "/docs/"))
        .finish()
}

/// Registers every route of the app, behind the request middleware, CORS (`cors_origins`) and
/// conditional GETs; development adds the interactive docs at `/docs` and GraphiQL;
/// `extra_api_routes` adds routes under `/api/v1`.
pub fn configure(config: &Config) -> impl Fn(&mut web::ServiceConfig) + Clone + use<> {
    let development = config.is_development();
    let extra = config.extra_api_routes;
    let cors_origins = config.cors_origins.clone();
    move |cfg: &mut web::ServiceConfig| {
        // The last `wrap` runs first: request context, then CORS, then conditional GETs.
        let mut root = web::scope("")
            .wrap(from_fn(etag::not_modified))
            .wrap(cors::middleware(&cors_origins))
            .wrap(from_fn(middleware::request_context))
            .app_data(web::QueryConfig::default().error_handler(extract::query_error))
            .app_data(web::PathConfig::default().error_handler(extract::path_error))
            .service(web::resource("/livez").route(web::get().to(health::livez)))
            .service(web::resource("/readyz").route(web::get().to(health::readyz)))
            .service(web::resource("/metrics").route(web::get().to(crate::metrics::render)))
            .service(web::resource("/openapi.json").route(web::get().to(health::openapi_json)))
            .service(web::resource("/errors/{code}").route(web::get().to(health::error_code)))
            .service(
                web::resource("/graphql")
                    .wrap(from_fn(crate::ratelimit::limit))
                    .route(web::post().to(graphql::http::post))
                    .route(web::get().to(graphql::graphiql::get)),
            )
            .service(
                web::resource("/graphql/ws")
                    .wrap(from_fn(crate::ratelimit::limit))
                    .route(web::get().to(graphql::ws::get)),
            )
            .service(
                web::resource("/graphql/assets/{file}")
                    .route(web::get().to(graphql::graphiql::asset)),
            )
            .service(api_v1(extra));
        if development {
            root = root
                .service(web::resource("/docs").route(web::get().to(docs_redirect)))
                .service(
                    SwaggerUi::new("/docs/{_:.*}")
                        .config(utoipa_swagger_ui::Config::from("/openapi.json")),
                );
        }
        cfg.service(root.default_service(web::to(not_found)));
    }
}

fn api_v1(extra: Option<fn(&mut web::ServiceConfig)>) -> impl actix_web::dev::HttpServiceFactory {
    web::scope("/api/v1")
        .wrap(from_fn(idempotency::idempotency))
        // Outside idempotency: a refused request touches no key.
        .wrap(from_fn(crate::ratelimit::limit))
        .configure(|cfg| {
            if let Some(extra) = extra {
                extra(cfg);
            }
        })
        .service(web::resource("/auth/signup").route(web::post().to(auth::signup)))
        .service(web::resource("/auth/login").route(web::post().to(auth::login)))
        .service(web::resource("/auth/refresh").route(web::post().to(auth::refresh)))
        .service(web::resource("/auth/logout").route(web::post().to(auth::logout)))
        .service(web::resource("/me").route(web::get().to(me::me)))
        .service(web::resource("/me/password").route(web::post().to(me::change_password)))
        .service(
            web::resource("/users")
                .route(web::get().to(users::list))
                .route(web::post().to(users::create)),
        )
        .service(
            web::resource("/users/{id}")
                .route(web::get().to(users::get))
                .route(web::patch().to(users::update)),
        )
        .service(web::resource("/users/{id}/deactivate").route(web::post().to(users::deactivate)))
        .service(
            web::resource("/api-keys")
                .route(web::get().to(api_keys::list))
                .route(web::post().to(api_keys::create)),
        )
        .service(
            web::resource("/api-keys/{id}")
                .route(web::get().to(api_keys::get))
                .route(web::delete().to(api_keys::revoke)),
        )
        .service(web::resource("/events").route(web::get().to(events::list)))
        .service(
            web::resource("/exports")
                .route(web::get().to(exports::list))
                .route(web::post().to(exports::create)),
        )
        .service(
            web::resource("/imports")
                .route(web::get().to(imports::list))
                .route(web::post().to(imports::create)),
        )
        .service(web::resource("/imports/{id}").route(web::get().to(imports::get)))
        .service(web::resource("/imports/{id}/cancel").route(web::post().to(imports::cancel)))
        .service(web::resource("/imports/{id}/failures").route(web::get().to(imports::failures)))
        .service(web::resource("/exports/{id}").route(web::get().to(exports::get)))
        .service(web::resource("/exports/{id}/file").route(web::get().to(exports::download)))
        .service(web::resource("/jobs").route(web::get().to(jobs::list)))
        .service(
            web::resource("/jobs/{id}")
                .route(web::get().to(jobs::get))
                .route(web::delete().to(jobs::discard)),
        )
        .service(web::resource("/jobs/{id}/retry").route(web::post().to(jobs::retry)))
        .configure(webhooks::routes)
        .configure(analytics::routes)
        .configure(analytics_actions::routes)
        .configure(analytics_rollups::routes)
        .service(web::resource("/contacts/parse").route(web::post().to(contacts::parse)))
        .service(
            web::resource("/contacts/{id}/timeline")
                .route(web::get().to(activities::contact_timeline)),
        )
        .service(
            web::resource("/companies/{id}/timeline")
                .route(web::get().to(activities::company_timeline)),
        )
        .configure(customer_extras!(contacts, "/contacts"))
        .configure(customer_extras!(companies, "/companies"))
        .configure(|cfg| {
            for served in kit::served() {
                served.configure(cfg);
            }
        })
        .service(
            web::resource("/custom-fields")
                .route(web::get().to(custom_fields::list))
                .route(web::post().to(custom_fields::create)),
        )
        .service(
            web::resource("/custom-fields/{id}")
                .route(web::get().to(custom_fields::get))
                .route(web::delete().to(custom_fields::delete)),
        )
        .service(web::resource("/owner-transfers").route(web::post().to(custom_fields::transfer)))
        .service(
            web::resource("/activities/{id}/complete").route(web::post().to(activities::complete)),
        )
        .service(web::resource("/tasks/mine").route(web::get().to(activities::my_tasks)))
        .service(web::resource("/tasks/overdue").route(web::get().to(activities::overdue)))
        .service(
            web::resource("/feedback/summary").route(web::get().to(activities::feedback_summary)),
        )
        .configure(sales_routes)
}

fn sales_routes(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::resource("/pipelines")
            .route(web::get().to(sales::list_pipelines))
            .route(web::post().to(sales::create_pipeline)),
    )
    .service(
        web::resource("/pipelines/{id}")
            .route(web::get().to(sales::get_pipeline))
            .route(web::patch().to(sales::update_pipeline)),
    )
    .service(web::resource("/pipelines/{id}/board").route(web::get().to(sales::board)))
    .service(web::resource("/deals/{id}/stage-history").route(web::get().to(sales::stage_history)))
    .service(web::resource("/analytics/forecast").route(web::get().to(sales::forecast)))
    .service(
        web::resource("/price-lists")
            .route(web::get().to(sales::list_price_lists))
            .route(web::post().to(sales::create_price_list)),
    )
    .service(web::resource("/price-lists/{id}").route(web::get().to(sales::get_price_list)))
    .service(web::resource("/orders/{id}/status").route(web::post().to(sales::order_status)))
    .service(web::resource("/invoices/{id}/status").route(web::post().to(sales::invoice_status)))
    .service(web::resource("/invoices/{id}/payments").route(web::post().to(sales::add_payment)))
    .service(web::resource("/leads/{id}/qualify").route(web::post().to(sales::qualify_lead)))
    .service(web::resource("/leads/{id}/disqualify").route(web::post().to(sales::disqualify_lead)))
    .service(web::resource("/leads/{id}/convert").route(web::post().to(sales::convert_lead)))
    .service(web::resource("/quotes/{id}/status").route(web::post().to(sales::quote_status)))
    .service(web::resource("/quotes/{id}/accept").route(web::post().to(sales::accept_quote)));
}
