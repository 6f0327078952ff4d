//! GraphiQL at `GET /graphql` (development only), served entirely from the binary: the page and
//! its assets (GraphiQL, React, ReactDOM; see `assets/graphiql/README.md`) under
//! `/graphql/assets/{file}`, so it works offline and loads nothing from a CDN.

use crate::rest::extract::app_state;
use crate::rest::problem::{current_request_id, render};
use actix_web::http::header::{self, CacheControl, CacheDirective};
use actix_web::{HttpRequest, HttpResponse};
use crm_core::Error;

/// One embedded file. Served names carry the upstream version, so a file at a URL never
/// changes and browsers may keep it for a year.
struct Asset {
    name: &'static str,
    content_type: &'static str,
    body: &'static [u8],
}

const GRAPHIQL_JS: &str = "graphiql-4.1.2.min.js";
const GRAPHIQL_CSS: &str = "graphiql-4.1.2.min.css";
const REACT_JS: &str = "react-18.3.1.production.min.js";
const REACT_DOM_JS: &str = "react-dom-18.3.1.production.min.js";

const JS: &str = "text/javascript; charset=utf-8";

static ASSETS: [Asset; 4] = [
    Asset {
        name: GRAPHIQL_JS,
        content_type: JS,
        body: include_bytes!("../../assets/graphiql/graphiql.min.js"),
    },
    Asset {
        name: GRAPHIQL_CSS,
        content_type: "text/css; charset=utf-8",
        body: include_bytes!("../../assets/graphiql/graphiql.min.css"),
    },
    Asset {
        name: REACT_JS,
        content_type: JS,
        body: include_bytes!("../../assets/graphiql/react.production.min.js"),
    },
    Asset {
        name: REACT_DOM_JS,
        content_type: JS,
        body: include_bytes!("../../assets/graphiql/react-dom.production.min.js"),
    },
];

/// The page: the assets above, then GraphiQL mounted on `#graphiql`, querying `/graphql` on
/// the page's own origin.
fn page() -> String {
    format!(
        r#"<!DOCTYPE html>
<html lang="en">
  <head>
    <meta charset="utf-8">
    <meta name="robots" content="noindex">
    <meta name="viewport" content="width=device-width, initial-scale=1">
    <title>CRM GraphQL</title>
    <link rel="icon" href="data:,">
    <link rel="stylesheet" href="/graphql/assets/{GRAPHIQL_CSS}">
    <style>
      body {{ margin: 0; height: 100%; width: 100%; overflow: hidden; }}
      #graphiql {{ height: 100vh; }}
    </style>
  </head>
  <body>
    <div id="graphiql">Loading...</div>
    <script src="/graphql/assets/{REACT_JS}"></script>
    <script src="/graphql/assets/{REACT_DOM_JS}"></script>
    <script src="/graphql/assets/{GRAPHIQL_JS}"></script>
    <script>
      ReactDOM.createRoot(document.getElementById("graphiql")).render(
        React.createElement(GraphiQL, {{
          fetcher: GraphiQL.createFetcher({{ url: "/graphql" }}),
          defaultEditorToolsVisibility: true,
        }})
      );
    </script>
  </body>
</html>
"#
    )
}

fn development(req: &HttpRequest) -> bool {
    app_state(req)
        .map(|s| s.config.is_development())
        .unwrap_or(false)
}

fn not_found() -> HttpResponse {
    render(&Error::not_found("Resource"), current_request_id())
}

/// `GET /graphql`: the GraphiQL page, outside production.
pub async fn get(req: HttpRequest) -> HttpResponse {
    if !development(&req) {
        return not_found();
    }
    HttpResponse::Ok()
        .content_type("text/html; charset=utf-8")
        .insert_header(CacheControl(vec![CacheDirective::NoCache]))
        .body(page())
}

/// `GET /graphql/assets/{file}`: an embedded asset of the page, outside production; cached
/// for a year (the name changes with the version), with an `ETag` for revalidation.
pub async fn asset(req: HttpRequest) -> HttpResponse {
    let name = req.match_info().get("file").unwrap_or("");
    let Some(asset) = ASSETS.iter().find(|a| a.name == name) else {
        return not_found();
    };
    if !development(&req) {
        return not_found();
    }
    HttpResponse::Ok()
        .content_type(asset.content_type)
        .insert_header(CacheControl(vec![
            CacheDirective::Public,
            CacheDirective::MaxAge(365 * 24 * 3600),
            CacheDirective::Extension("immutable".to_owned(), None),
        ]))
        .insert_header((header::ETAG, format!("\"{}\"", asset.name)))
        .insert_header((header::X_CONTENT_TYPE_OPTIONS, "nosniff"))
        .body(asset.body)
}
