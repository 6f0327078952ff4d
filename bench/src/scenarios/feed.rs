//! S12: the change feed under write load. Writers append events (an activity per request, in
//! the second organization) for the run's duration while one reader follows
//! `GET /api/v1/events?wait=` from the position before the run; each event's lag is the time
//! from its `occurred_at` to the moment the reader received it. Target: the reader keeps up
//! (reads every event) with a lag under 1 s, at 1,000 appended events/s or more.

use super::{Env, Row};
use crate::load::{self, Stats};
use chrono::{DateTime, Utc};
use serde_json::json;
use std::cell::{Cell, RefCell};
use std::rc::Rc;
use std::time::Duration;

/// S12.
pub(crate) async fn s12(env: &Env) -> Result<Row, String> {
    let reader = env.writer.clone();
    // Where the feed ends before the run.
    let mut cursor = reader.get("/api/v1/events?limit=1000").await?;
    while cursor["has_more"] == true {
        let next = cursor["next_cursor"]
            .as_str()
            .unwrap_or_default()
            .to_owned();
        cursor = reader
            .get(&format!("/api/v1/events?limit=1000&after={next}"))
            .await?;
    }
    let start = cursor["next_cursor"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    let done = Rc::new(Cell::new(false));
    let lags = Rc::new(RefCell::new(Vec::<Duration>::new()));
    let read_error = Rc::new(RefCell::new(None::<String>));
    let follower = {
        let (done, lags, read_error, reader) = (
            done.clone(),
            lags.clone(),
            read_error.clone(),
            reader.clone(),
        );
        actix_rt::spawn(async move {
            let mut after = start;
            let mut idle_after_done = 0;
            loop {
                let page = match reader
                    .get(&format!("/api/v1/events?limit=1000&wait=1&after={after}"))
                    .await
                {
                    Ok(p) => p,
                    Err(e) => {
                        read_error.borrow_mut().get_or_insert(e);
                        return;
                    }
                };
                let now = Utc::now();
                let events = page["data"].as_array().cloned().unwrap_or_default();
                for e in &events {
                    if let Some(at) = e["occurred_at"]
                        .as_str()
                        .and_then(|s| s.parse::<DateTime<Utc>>().ok())
                    {
                        lags.borrow_mut()
                            .push((now - at).to_std().unwrap_or_default());
                    }
                }
                after = page["next_cursor"].as_str().unwrap_or_default().to_owned();
                if done.get() && events.is_empty() {
                    idle_after_done += 1;
                    if idle_after_done >= 2 {
                        return;
                    }
                }
            }
        })
    };
    let w = env.writer.clone();
    let writes = load::run(env.o.concurrency, env.o.duration, move |wk, _| {
        let w = w.clone();
        async move {
            let ids = &w.data.writer_contact_ids;
            w.post_json(
                "/api/v1/activities",
                json!({"kind": "note", "contact_id": ids[wk % ids.len()], "body": "s11"}),
            )
            .await
            .map(|_| ())
        }
    })
    .await;
    done.set(true);
    let _ = follower.await;
    let mut lags = lags.borrow().clone();
    lags.sort();
    let pick = |q: f64| {
        lags.get(((lags.len() as f64 - 1.0) * q).round() as usize)
            .copied()
            .unwrap_or_default()
    };
    let (p50, p95, max) = (
        pick(0.5),
        pick(0.95),
        lags.last().copied().unwrap_or_default(),
    );
    let appended = writes.requests;
    let read = lags.len() as u64;
    let mut api = writes.clone();
    if let Some(e) = read_error.borrow().clone() {
        api.errors += 1;
        api.first_error.get_or_insert(e);
    }
    if read < appended {
        api.errors += 1;
        api.first_error.get_or_insert(format!(
            "the reader got {read} events of {appended} appended"
        ));
    }
    let met = max < Duration::from_secs(1) && writes.throughput >= 1000.0;
    Ok(Row {
        name: "S12 change feed: events appended/s, one reader following",
        api,
        pgbench: None,
        driver: Stats::default(),
        target: 0.0,
        other_targets_met: met,
        note: format!(
            "{appended} writes at {:.0}/s, {read} events read; lag p50 {:.0} ms, p95 {:.0} ms, \
             max {:.0} ms (targets: >= 1,000 events/s, lag < 1 s)",
            writes.throughput,
            p50.as_secs_f64() * 1000.0,
            p95.as_secs_f64() * 1000.0,
            max.as_secs_f64() * 1000.0
        ),
    })
}
