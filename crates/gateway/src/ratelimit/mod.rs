//! The general request limit: at most `rate_limit_per_minute` requests per principal and
//! minute on the API (`/api/v1/...`) and GraphQL (`/graphql`). A principal is the user of a
//! valid access token, an API key, or, for every other request, the client address (IPv6 per
//! /64). Shared by every replica through Redis when `redis_url` is set ([`shared`]), counted in
//! the process otherwise ([`local`]), and in the process too while Redis fails (fail open).
//!
//! Every counted response carries the IETF headers (draft-ietf-httpapi-ratelimit-headers,
//! structured fields): `RateLimit-Policy: "default";q=1200;w=60` and
//! `RateLimit: "default";r=1187;t=42` (requests remaining, seconds until the window ends).
//! Beyond the quota the answer is a 429 `rate_limited` with `Retry-After`: a problem document
//! on REST, a GraphQL `errors` body on `/graphql`.

pub mod local;
pub mod shared;

use crate::config::Config;
use crate::rest::extract::client_ip;
use crate::rest::problem::{current_request_id, render};
use crate::state::AppState;
use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::StatusCode;
use actix_web::http::header::{self, HeaderMap, HeaderName, HeaderValue};
use actix_web::middleware::Next;
use actix_web::{HttpMessage, HttpResponse, web};
use crm_core::{Code, Error};
use std::net::{IpAddr, Ipv6Addr};
use uuid::Uuid;

/// `RateLimit`: the state of the limit for this caller.
pub const RATELIMIT: HeaderName = HeaderName::from_static("ratelimit");
/// `RateLimit-Policy`: the quota and window.
pub const RATELIMIT_POLICY: HeaderName = HeaderName::from_static("ratelimit-policy");
/// The window of the general limit, in seconds.
pub const WINDOW_SECS: u64 = 60;

/// Whom a request is counted against.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Principal {
    /// The user of a valid access token (all of their sessions together).
    User(Uuid),
    /// A valid API key, by its id.
    Key([u8; 16]),
    /// A client address (IPv4 as IPv4-mapped IPv6; IPv6 cut to its /64).
    Client([u8; 16]),
}

impl Principal {
    /// The principal's part of a Redis key.
    fn key_suffix(&self) -> String {
        match self {
            Principal::User(id) => format!("u:{id}"),
            Principal::Key(digest) => {
                let hex: String = digest.iter().map(|b| format!("{b:02x}")).collect();
                format!("k:{hex}")
            }
            Principal::Client(addr) => format!("ip:{}", Ipv6Addr::from(*addr)),
        }
    }

    /// The bucket of a client address.
    pub fn client(ip: Option<IpAddr>) -> Self {
        let v6 = match ip {
            Some(IpAddr::V4(v4)) => v4.to_ipv6_mapped(),
            Some(IpAddr::V6(v6)) if v6.to_ipv4_mapped().is_some() => v6,
            Some(IpAddr::V6(v6)) => {
                let s = v6.segments();
                Ipv6Addr::new(s[0], s[1], s[2], s[3], 0, 0, 0, 0)
            }
            None => Ipv6Addr::UNSPECIFIED,
        };
        Principal::Client(v6.octets())
    }
}

/// The outcome of counting one request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Decision {
    /// Whether the request is within the quota.
    pub allowed: bool,
    /// Requests left in the window.
    pub remaining: u32,
    /// Seconds until the window ends (at least 1).
    pub reset_secs: u64,
}

impl Decision {
    /// The decision after `hits` requests in a window of `quota` that ends in `reset_ms`.
    pub fn new(quota: u32, hits: u32, reset_ms: u64) -> Self {
        Self {
            allowed: hits <= quota,
            remaining: quota.saturating_sub(hits),
            reset_secs: reset_ms.div_ceil(1000).max(1),
        }
    }
}

/// The general limiter of a server.
pub struct RateLimiter {
    quota: u32,
    local: local::LocalLimiter,
    shared: Option<shared::SharedLimiter>,
    policy: HeaderValue,
}

impl RateLimiter {
    /// The limiter `config` asks for; `None` when the limit is off (`rate_limit_per_minute = 0`).
    pub fn from_config(config: &Config) -> Result<Option<Self>, shared::SharedError> {
        let quota = config.rate_limit_per_minute;
        if quota == 0 {
            return Ok(None);
        }
        let shared = match &config.redis_url {
            Some(url) => Some(shared::SharedLimiter::new(
                &url.0,
                &config.redis_key_prefix,
                quota,
                WINDOW_SECS,
            )?),
            None => None,
        };
        let policy = HeaderValue::from_str(&format!("\"default\";q={quota};w={WINDOW_SECS}"))
            .unwrap_or_else(|_| HeaderValue::from_static("\"default\""));
        Ok(Some(Self {
            quota,
            local: local::LocalLimiter::new(quota, WINDOW_SECS),
            shared,
            policy,
        }))
    }

    /// Counts one request of `principal`: in Redis when configured and answering, else here.
    pub async fn hit(&self, principal: Principal) -> Decision {
        if let Some(shared) = &self.shared
            && let Some(decision) = shared.hit(&principal.key_suffix()).await
        {
            return decision;
        }
        self.local.hit(principal)
    }

    /// Adds `RateLimit-Policy` and `RateLimit` for `decision` (in front of a `RateLimit` the
    /// response already has, such as the login limit's).
    fn add_headers(&self, headers: &mut HeaderMap, decision: &Decision) {
        let mut state = format!(
            "\"default\";r={};t={}",
            decision.remaining, decision.reset_secs
        );
        if let Some(other) = headers.get(&RATELIMIT).and_then(|v| v.to_str().ok()) {
            state.push_str(", ");
            state.push_str(other);
        }
        if let Ok(value) = HeaderValue::from_str(&state) {
            headers.insert(RATELIMIT, value);
        }
        headers.insert(RATELIMIT_POLICY, self.policy.clone());
    }

    /// The 429 for a request over the quota.
    fn refusal(&self, decision: &Decision, graphql: bool) -> HttpResponse {
        let secs = decision.reset_secs;
        let detail = format!(
            "Too many requests: at most {} a minute for this caller; retry in {secs} s",
            self.quota
        );
        let mut res = if graphql {
            let mut ext = serde_json::json!({ "code": Code::RateLimited.as_str(), "status": 429 });
            if let (Some(id), Some(obj)) = (current_request_id(), ext.as_object_mut()) {
                obj.insert("requestId".into(), id.into());
            }
            HttpResponse::build(StatusCode::TOO_MANY_REQUESTS)
                .json(serde_json::json!({ "errors": [{ "message": detail, "extensions": ext }] }))
        } else {
            render(&Error::new(Code::RateLimited, detail), current_request_id())
        };
        if let Ok(value) = HeaderValue::from_str(&secs.to_string()) {
            res.headers_mut().insert(header::RETRY_AFTER, value);
        }
        res
    }
}

/// The bearer credential, without copying it.
fn bearer(req: &ServiceRequest) -> Option<&str> {
    let value = req.headers().get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.split_once(' ')?;
    let token = token.trim();
    (scheme.eq_ignore_ascii_case("bearer") && !token.is_empty()).then_some(token)
}

/// Whom `req` is counted against: the user of valid credentials, or the API key, else the
/// client address. The caller is authenticated here once, as the handler would, and left in the
/// request's extensions, where the handler (and the idempotency middleware) take it instead of
/// authenticating again: counting costs a map lookup, not a second token check.
async fn principal(req: &ServiceRequest, state: &AppState) -> Principal {
    if let Some(token) = bearer(req)
        && let Ok(actor) = crm_identity::ops::authenticate(&state.db, &state.auth, token).await
    {
        let principal = match actor.api_key_id {
            Some(key) => Principal::Key(*key.as_bytes()),
            None => Principal::User(actor.user_id),
        };
        req.extensions_mut().insert(actor);
        return principal;
    }
    Principal::client(client_ip(req.request()))
}

/// The middleware: counts the request, refuses it beyond the quota, and adds the headers.
pub async fn limit(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, actix_web::Error> {
    let Some(state) = req.app_data::<web::Data<AppState>>().cloned() else {
        return next
            .call(req)
            .await
            .map(ServiceResponse::map_into_boxed_body);
    };
    let Some(limiter) = state.rate_limiter.clone() else {
        return next
            .call(req)
            .await
            .map(ServiceResponse::map_into_boxed_body);
    };
    let decision = limiter.hit(principal(&req, &state).await).await;
    if !decision.allowed {
        let graphql = req.path() == "/graphql";
        let mut res = req.into_response(limiter.refusal(&decision, graphql));
        limiter.add_headers(res.headers_mut(), &decision);
        return Ok(res);
    }
    // Handlers' errors arrive here as responses; an `Err` (a panic caught below) is rendered
    // by the request middleware, without these headers. The request is not cloned: routing
    // below needs it unshared.
    let mut res = next.call(req).await?.map_into_boxed_body();
    limiter.add_headers(res.headers_mut(), &decision);
    Ok(res)
}
