//! S11: webhook fan-out. Ten endpoints of one receiver on loopback (an HTTP server inside the
//! harness) subscribe to `contact.*` in the writer organization; the writer creates contacts
//! and then updates each once (batches of 100, four requests at a time), so every record has
//! two events; the time runs from the first write until the receiver has every delivery.
//! Target (issue #13): 10,000
//! events to 10 subscribers (100,000 deliveries) in under 60 s, i.e. at least 1,667
//! deliveries/s; each record's events in order at every endpoint, none lost, none twice.
//!
//! The server is the harness's: it must allow loopback endpoints
//! (`CRM_WEBHOOKS_ALLOW_PRIVATE=true`, set by the harness for this scenario).

use super::{Env, Row};
use crate::load::Stats;
use actix_web::{App, HttpRequest, HttpResponse, HttpServer, web};
use serde_json::{Value, json};
use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// Endpoints subscribed.
const ENDPOINTS: usize = 10;
/// Records per batch request.
const BATCH: usize = 100;
/// Batch requests in flight at once.
const WRITERS: usize = 4;

/// What the receiver saw.
#[derive(Default)]
struct Seen {
    /// Deliveries received (with duplicates).
    received: u64,
    /// (endpoint, `webhook-id`) pairs: a second one is a duplicate.
    ids: HashSet<(usize, String)>,
    /// Per (endpoint, record) the event types in the order they came.
    order: HashMap<(usize, String), Vec<String>>,
    /// The first thing that was wrong with a delivery.
    bad: Option<String>,
}

async fn receive(
    req: HttpRequest,
    body: web::Bytes,
    seen: web::Data<Arc<Mutex<Seen>>>,
) -> HttpResponse {
    let endpoint: usize = req.match_info().query("n").parse().unwrap_or(usize::MAX);
    let id = req
        .headers()
        .get("webhook-id")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    let parsed: Result<Value, _> = serde_json::from_slice(&body);
    if let Ok(mut s) = seen.lock() {
        s.received += 1;
        match parsed {
            Ok(v) => {
                let record = v["data"]["record"]["id"]
                    .as_str()
                    .unwrap_or_default()
                    .to_owned();
                let kind = v["type"].as_str().unwrap_or_default().to_owned();
                if id.is_empty()
                    || record.is_empty()
                    || req.headers().get("webhook-signature").is_none()
                {
                    s.bad.get_or_insert_with(|| {
                        format!("a delivery without id, record or signature: {v}")
                    });
                }
                if !s.ids.insert((endpoint, id)) {
                    s.bad.get_or_insert_with(|| {
                        "an event delivered twice to one endpoint".to_owned()
                    });
                }
                s.order.entry((endpoint, record)).or_default().push(kind);
            }
            Err(e) => {
                s.bad
                    .get_or_insert_with(|| format!("a body that is not JSON: {e}"));
            }
        }
    }
    HttpResponse::NoContent().finish()
}

/// Writes `batches` of items to `/api/v1/contacts/batch`, [`WRITERS`] requests at a time;
/// returns the ids written.
async fn write(env: &Env, batches: Vec<Vec<Value>>) -> Result<Vec<String>, String> {
    use futures_util::{StreamExt, TryStreamExt};
    let answers: Vec<Value> = futures_util::stream::iter(batches)
        .map(|items| {
            env.writer.post_json(
                "/api/v1/contacts/batch?atomic=true",
                json!({ "items": items }),
            )
        })
        .buffered(WRITERS)
        .try_collect()
        .await?;
    let mut ids = Vec::new();
    for r in answers
        .iter()
        .flat_map(|a| a["results"].as_array().into_iter().flatten())
    {
        match r["id"].as_str() {
            Some(id) if r["status"].as_u64().is_some_and(|s| s < 300) => ids.push(id.to_owned()),
            _ => return Err(format!("a batch item failed: {r}")),
        }
    }
    Ok(ids)
}

/// S11.
pub(crate) async fn s11(env: &Env) -> Result<Row, String> {
    // 10,000 events at full and small scale, 2,000 at CI scale.
    let events = env.data.contact_ids.len().clamp(2_000, 10_000) / 2 * 2;
    let records = events / 2;
    let expected = (events * ENDPOINTS) as u64;
    let seen = Arc::new(Mutex::new(Seen::default()));
    let receiver = {
        let seen = seen.clone();
        HttpServer::new(move || {
            App::new()
                .app_data(web::Data::new(seen.clone()))
                .route("/hook/{n}", web::post().to(receive))
        })
        .workers(2)
        .bind(("127.0.0.1", 0))
        .map_err(|e| format!("the receiver cannot listen: {e}"))?
    };
    let port = receiver
        .addrs()
        .first()
        .map(|a| a.port())
        .ok_or("no receiver address")?;
    let receiver = receiver.disable_signals().run();
    let handle = receiver.handle();
    actix_rt::spawn(receiver);

    let mut hooks = Vec::new();
    for n in 0..ENDPOINTS {
        let hook = env
            .writer
            .post_json(
                "/api/v1/webhooks",
                json!({"url": format!("http://127.0.0.1:{port}/hook/{n}"), "event_types": ["contact.*"], "description": "S11"}),
            )
            .await?;
        hooks.push(hook["id"].as_str().ok_or("no webhook id")?.to_owned());
    }

    let started = Instant::now();
    let creates: Vec<Vec<Value>> = (0..records)
        .collect::<Vec<_>>()
        .chunks(BATCH)
        .map(|c| {
            c.iter()
                .map(|i| json!({"op": "create", "data": {"first_name": "Hook", "last_name": format!("S11 {i}")}}))
                .collect()
        })
        .collect();
    let written = write(env, creates).await;
    let written = match written {
        Ok(ids) => {
            let updates: Vec<Vec<Value>> = ids
                .chunks(BATCH)
                .map(|c| {
                    c.iter()
                        .map(|id| json!({"op": "update", "id": id, "data": {"title": "updated"}}))
                        .collect()
                })
                .collect();
            write(env, updates).await.map(|_| ())
        }
        Err(e) => Err(e),
    };
    let wrote = started.elapsed();
    let deadline = Instant::now() + Duration::from_secs(300);
    let received = loop {
        let n = seen.lock().map(|s| s.received).unwrap_or(0);
        if n >= expected || written.is_err() || Instant::now() > deadline {
            break n;
        }
        actix_rt::time::sleep(Duration::from_millis(20)).await;
    };
    let took = started.elapsed();
    // Settle: anything sent twice would come in now.
    actix_rt::time::sleep(Duration::from_millis(500)).await;
    for id in &hooks {
        let _ = env
            .writer
            .client
            .delete(format!("{}/api/v1/webhooks/{id}", env.writer.base))
            .insert_header(("authorization", format!("Bearer {}", env.writer.token)))
            .send()
            .await;
    }
    handle.stop(true).await;

    let mut error = written.err();
    let (received_total, out_of_order) = {
        let s = seen
            .lock()
            .map_err(|_| "the receiver's state is poisoned")?;
        if let Some(bad) = &s.bad {
            error.get_or_insert_with(|| bad.clone());
        }
        let out_of_order = s
            .order
            .values()
            .filter(|kinds| kinds.as_slice() != ["contact.created", "contact.updated"])
            .count();
        (s.received, out_of_order)
    };
    if received < expected {
        error.get_or_insert_with(|| {
            format!(
                "{received} of {expected} deliveries in {:.0} s",
                took.as_secs_f64()
            )
        });
    } else if out_of_order > 0 {
        error.get_or_insert_with(|| {
            format!("{out_of_order} (endpoint, record) chains not received as created, updated")
        });
    }
    let api = Stats::once(received, took, error);
    let rate = api.throughput;
    Ok(Row {
        name: "S11 webhook fan-out: deliveries/s to 10 endpoints",
        api,
        pgbench: None,
        driver: Stats::default(),
        target: 0.0,
        other_targets_met: rate >= 100_000.0 / 60.0,
        note: format!(
            "{events} events ({records} contacts created, then updated; written in {:.1} s) to \
             {ENDPOINTS} endpoints: {received_total} deliveries in {:.1} s, {rate:.0}/s; \
             target 1,667/s (100,000 in 60 s), every record's events in order",
            wrote.as_secs_f64(),
            took.as_secs_f64()
        ),
    })
}
