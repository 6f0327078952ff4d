//! `GET /graphql/ws`: GraphQL over a websocket with the `graphql-transport-ws` protocol (and the
//! older `graphql-ws` of subscriptions-transport-ws), for subscriptions. The credential is the
//! upgrade request's `Authorization: Bearer ...` header or, for browsers (which cannot set it),
//! the `connection_init` payload's `Authorization` (`"Bearer <token>"`) or `token` field; a
//! connection without a valid one is closed with 4403 after `connection_init`. The socket is for
//! subscriptions; queries and mutations belong on `POST /graphql`.

use super::events::Credential;
use super::http::ClientIp;
use crate::rest::extract::{app_state, bearer, client_ip};
use crate::rest::problem::ApiError;
use crate::state::AppState;
use actix_web::http::header::{HeaderValue, SEC_WEBSOCKET_PROTOCOL};
use actix_web::{HttpRequest, HttpResponse, web};
use async_graphql::Data;
use async_graphql::http::{WebSocket, WebSocketProtocols, WsMessage};
use crm_core::{Code, Ctx, Error};
use futures_util::StreamExt;
use std::str::FromStr;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

/// Largest message a client may send.
const MAX_MESSAGE_BYTES: usize = 256 * 1024;

/// The credential of `connection_init`'s payload: `Authorization` (`Bearer <token>`, any case)
/// or `token`.
fn init_credential(payload: &serde_json::Value) -> Option<String> {
    let obj = payload.as_object()?;
    let field = |name: &str| {
        obj.iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .and_then(|(_, v)| v.as_str())
    };
    if let Some(value) = field("authorization") {
        let (scheme, token) = value.split_once(' ')?;
        return (scheme.eq_ignore_ascii_case("bearer") && !token.trim().is_empty())
            .then(|| token.trim().to_owned());
    }
    field("token").map(str::to_owned)
}

/// The connection's data once `connection_init` named a valid credential.
async fn connect(
    state: AppState,
    header: Option<String>,
    ip: Option<std::net::IpAddr>,
    payload: serde_json::Value,
    rejected: Arc<AtomicBool>,
) -> async_graphql::Result<Data> {
    let reject = |detail: String| {
        rejected.store(true, Ordering::Relaxed);
        async_graphql::Error::new(detail)
    };
    let token = header
        .or_else(|| init_credential(&payload))
        .ok_or_else(|| reject("Forbidden: no credential; send Authorization".to_owned()))?;
    let actor = crm_identity::ops::authenticate(&state.db, &state.auth, &token)
        .await
        .map_err(|e| reject(format!("Forbidden: {}", Error::from(e).detail)))?;
    let mut data = Data::default();
    data.insert(Ctx::new(state.db.clone(), actor).with_reads(state.reads.clone()));
    data.insert(Credential(token));
    data.insert(ClientIp(ip));
    data.insert(state);
    Ok(data)
}

/// The upgrade.
pub async fn get(req: HttpRequest, body: web::Payload) -> Result<HttpResponse, ApiError> {
    let state = app_state(&req)?;
    let protocol = req
        .headers()
        .get(SEC_WEBSOCKET_PROTOCOL)
        .and_then(|h| h.to_str().ok())
        .and_then(|list| {
            list.split(',')
                .find_map(|p| WebSocketProtocols::from_str(p.trim()).ok())
        })
        .ok_or_else(|| {
            ApiError::new(
                Code::MalformedRequest,
                "Open a websocket with the subprotocol `graphql-transport-ws`",
            )
        })?;
    let header = bearer(&req)?;
    let ip = client_ip(&req);
    let (mut response, mut session, messages) = actix_ws::handle(&req, body).map_err(|e| {
        ApiError::new(
            Code::MalformedRequest,
            format!("Not a websocket upgrade: {e}"),
        )
    })?;
    response.headers_mut().insert(
        SEC_WEBSOCKET_PROTOCOL,
        HeaderValue::from_static(protocol.sec_websocket_protocol()),
    );
    let messages = messages
        .max_frame_size(MAX_MESSAGE_BYTES)
        .aggregate_continuations()
        .max_continuation_size(MAX_MESSAGE_BYTES);
    let pinger = session.clone();
    let incoming = messages
        .take_while(|m| {
            std::future::ready(!matches!(
                m,
                Err(_) | Ok(actix_ws::AggregatedMessage::Close(_))
            ))
        })
        .filter_map(move |m| {
            let reply = match &m {
                Ok(actix_ws::AggregatedMessage::Ping(bytes)) => Some(bytes.clone()),
                _ => None,
            };
            let mut pinger = pinger.clone();
            async move {
                if let Some(bytes) = reply {
                    let _ = pinger.pong(&bytes).await;
                }
                match m {
                    Ok(actix_ws::AggregatedMessage::Text(text)) => Some(text.into_bytes()),
                    Ok(actix_ws::AggregatedMessage::Binary(bytes)) => Some(bytes),
                    _ => None,
                }
            }
        });
    let schema = state.schema.clone();
    let rejected = Arc::new(AtomicBool::new(false));
    let refused = rejected.clone();
    let mut outgoing = Box::pin(
        WebSocket::new(schema, incoming, protocol)
            .on_connection_init(move |payload| connect(state, header, ip, payload, refused)),
    );
    actix_web::rt::spawn(async move {
        while let Some(message) = outgoing.next().await {
            match message {
                WsMessage::Text(text) => {
                    if session.text(text).await.is_err() {
                        return;
                    }
                }
                WsMessage::Close(code, reason) => {
                    // The protocol's "Forbidden" for a refused `connection_init` (async-graphql
                    // says 1002 for every failure of it).
                    let code = if rejected.load(Ordering::Relaxed) {
                        4403
                    } else {
                        code
                    };
                    let _ = session
                        .close(Some(actix_ws::CloseReason {
                            code: code.into(),
                            description: Some(reason),
                        }))
                        .await;
                    return;
                }
            }
        }
        let _ = session.close(None).await;
    });
    Ok(response)
}
