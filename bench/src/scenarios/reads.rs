//! The read scenarios: S1 (by id, with an access token and with an API key), S2 (filtered list,
//! page 1 and a deep page), S3 (timeline), S4 (search, frequent and rare terms), S5 (GraphQL
//! nesting against the same through REST).

use super::client::{One, Records};
use super::{Env, Row, ms};
use crate::pgbench::{KEYS_TABLE, Script};
use crm_core::list::ListParams;
use sea_orm::Statement;
use std::time::Duration;
use uuid::Uuid;

/// S1: a contact by id, random ids from the sample, with an access token or an API key.
pub(crate) async fn s1(env: &Env, with_key: bool) -> Result<Row, String> {
    let c = if with_key {
        env.key.clone()
    } else {
        env.admin.clone()
    };
    let api = env
        .measure(move |w, i| {
            let c = c.clone();
            async move {
                let id = c.data.contact_ids
                    [(w * 7919 + i as usize * 104_729) % c.data.contact_ids.len()];
                let body: One = c.get_as(&format!("/api/v1/contacts/{id}")).await?;
                (body.id == id)
                    .then_some(())
                    .ok_or_else(|| format!("wrong body for {id}"))
            }
        })
        .await;
    // The statement the API runs, with the id drawn by pgbench from the same sample.
    let ids = &env.data.contact_ids;
    let placeholder = Uuid::nil();
    let script = Script::of_statement(
        &format!("\\set n random(0, {})", ids.len().saturating_sub(1)),
        &crm_customers::ops::contact_get_sql(&env.actor, placeholder),
    )
    .and_then(|s| {
        s.replace_value(
            &placeholder.to_string(),
            &format!("(SELECT id FROM {KEYS_TABLE} WHERE n = :n)"),
        )
    });
    let pgbench = env.pgbench(script.map(|s| vec![s])).await;
    let stmts = ids
        .iter()
        .map(|id| crm_customers::ops::contact_get_sql(&env.actor, *id))
        .collect();
    let driver = env.driver(stmts).await;
    let (p99, p99_ok) = (api.p99, api.p99 <= Duration::from_millis(5));
    Ok(Row {
        name: if with_key {
            "S1 contact by id, with an API key"
        } else {
            "S1 contact by id"
        },
        api,
        pgbench,
        driver,
        target: 0.35,
        other_targets_met: p99_ok,
        note: format!("p99 {} ms (target <= 5 ms)", ms(p99)),
    })
}

fn list_params(pairs: &[(&str, &str)]) -> Result<ListParams, String> {
    ListParams::from_pairs(
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect(),
    )
    .map_err(|e| e.to_string())
}

/// The statements a contact list runs on the benchmark's data, in order.
async fn list_sql(env: &Env, params: &ListParams) -> Result<Vec<Statement>, String> {
    crm_customers::ops::contact_list_sql(&env.actor, params)
        .await
        .map_err(|e| format!("{e:?}"))
}

/// The one statement of a list that runs one.
async fn list_statement(env: &Env, params: &ListParams) -> Result<Statement, String> {
    let mut stmts = list_sql(env, params).await?;
    match stmts.len() {
        1 => Ok(stmts.remove(0)),
        n => Err(format!("the list ran {n} statements, not one")),
    }
}

/// S2: filtered, sorted list, first page and a deep page reached by cursor.
pub(crate) async fn s2(env: &Env) -> Result<Row, String> {
    let list = "/api/v1/contacts?lifecycle_stage=customer&sort=-created_at&limit=25";
    // The deep page: 10,000 pages of 25 in (or the last full page of a smaller list), reached
    // by following cursors 100 rows at a time.
    let walk = "/api/v1/contacts?lifecycle_stage=customer&sort=-created_at&limit=100";
    // The last two cursors: at the end of a shorter list the deep page is the last full one.
    let (mut pages, mut prev, mut last) = (0usize, None::<String>, None::<String>);
    while pages < 2_500 {
        let path = match &last {
            Some(c) => format!("{walk}&cursor={c}"),
            None => walk.to_owned(),
        };
        let page = env.admin.get(&path).await?;
        match page["next_cursor"].as_str() {
            Some(next) => {
                prev = last.replace(next.to_owned());
                pages += 1;
            }
            None => {
                last = prev;
                pages = pages.saturating_sub(1);
                break;
            }
        }
    }
    let depth = pages * 4 + 1;
    let deep = match &last {
        Some(c) => format!("{list}&cursor={c}"),
        None => list.to_owned(),
    };
    let c = env.admin.clone();
    let api = env
        .measure(move |_, _| {
            let c = c.clone();
            async move { c.get_as::<Records>(list).await.map(|_| ()) }
        })
        .await;
    let stmt = list_statement(
        env,
        &list_params(&[
            ("lifecycle_stage", "customer"),
            ("sort", "-created_at"),
            ("limit", "25"),
        ])?,
    )
    .await?;
    let pgbench = env
        .pgbench(Script::of_statement("", &stmt).map(|s| vec![s]))
        .await;
    let driver = env.driver(vec![stmt]).await;
    let (c, deep_path) = (env.admin.clone(), deep.clone());
    let deep_stats = env
        .measure(move |_, _| {
            let (c, deep_path) = (c.clone(), deep_path.clone());
            async move { c.get_as::<Records>(&deep_path).await.map(|_| ()) }
        })
        .await;
    let deep_ratio = deep_stats.p50.as_secs_f64() / api.p50.as_secs_f64().max(1e-9);
    Ok(Row {
        name: "S2 filtered list, page 1",
        api,
        pgbench,
        driver,
        target: 0.3,
        other_targets_met: deep_ratio <= 1.3 && deep_stats.errors == 0,
        note: format!(
            "page {depth}: p50 {} ms = {deep_ratio:.2}x page 1 (target <= 1.3x), {} errors",
            ms(deep_stats.p50),
            deep_stats.errors
        ),
    })
}

/// S3: the timeline of the contact with the longest history, newest 50.
pub(crate) async fn s3(env: &Env) -> Result<Row, String> {
    let heavy = env.data.heavy_contact;
    let c = env.admin.clone();
    let api = env
        .measure(move |_, _| {
            let c = c.clone();
            async move {
                let b: Records = c
                    .get_as(&format!(
                        "/api/v1/contacts/{heavy}/timeline?types=activity&limit=50"
                    ))
                    .await?;
                (!b.data.is_empty())
                    .then_some(())
                    .ok_or_else(|| "empty timeline".into())
            }
        })
        .await;
    let stmt = crm_interactions::ops::contact_timeline_sql(&env.actor, heavy, 50);
    let pgbench = env
        .pgbench(Script::of_statement("", &stmt).map(|s| vec![s]))
        .await;
    let driver = env.driver(vec![stmt]).await;
    Ok(Row {
        name: "S3 timeline, newest 50",
        api,
        pgbench,
        driver,
        target: 0.3,
        other_targets_met: true,
        note: String::new(),
    })
}

/// S4: full-text search, by frequent terms (last names, each in a twentieth of the contacts)
/// or rare ones (a phone number: one contact each).
pub(crate) async fn s4(env: &Env, rare: bool) -> Result<Row, String> {
    let terms: Vec<String> = if rare {
        (1..=20).map(|k| format!("30{:07}", k * 97)).collect()
    } else {
        env.data.search_terms.clone()
    };
    let c = env.admin.clone();
    let api_terms = terms.clone();
    let api = env
        .measure(move |w, i| {
            let (c, terms) = (c.clone(), api_terms.clone());
            async move {
                let term = &terms[(w + i as usize) % terms.len()];
                let b: Records = c
                    .get_as(&format!("/api/v1/contacts?q={term}&limit=25"))
                    .await?;
                if rare && b.data.len() != 1 {
                    return Err(format!("{} contacts for {term}", b.data.len()));
                }
                Ok(())
            }
        })
        .await;
    let mut stmts = Vec::new();
    for term in &terms {
        stmts.push(list_sql(env, &list_params(&[("q", term), ("limit", "25")])?).await?);
    }
    let scripts = stmts
        .iter()
        .map(|s| Script::of_statements("", s))
        .collect::<Result<Vec<_>, _>>();
    let pgbench = env.pgbench(scripts).await;
    let statements = stmts.iter().map(Vec::len).max().unwrap_or(0);
    let driver = env.driver_sequences(stmts).await;
    let (p95, p95_ok) = (api.p95, api.p95 <= Duration::from_millis(20));
    Ok(Row {
        name: if rare {
            "S4 q= search, rare terms"
        } else {
            "S4 q= search, frequent terms"
        },
        api,
        pgbench,
        driver,
        target: 0.8,
        other_targets_met: p95_ok,
        note: format!(
            "p95 {} ms (target <= 20 ms); up to {statements} statements a search",
            ms(p95)
        ),
    })
}

/// S5: GraphQL nesting against the same data through REST calls.
pub(crate) async fn s5(env: &Env) -> Result<Row, String> {
    let gql = "{ companies(first: 50) { edges { node { id name contacts(first: 10) { nodes { id lastName activities(first: 5) { nodes { subject } } } } } } } }";
    let c = env.admin.clone();
    let before = c.statements().await?;
    let one = c.gql(gql).await?;
    let statements = c.statements().await? - before;
    let companies = one["data"]["companies"]["edges"]
        .as_array()
        .map_or(0, Vec::len);
    let api = env
        .measure(move |_, _| {
            let c = c.clone();
            async move {
                let b = c.gql(gql).await?;
                (b.get("errors").is_none()
                    && b["data"]["companies"]["edges"]
                        .as_array()
                        .is_some_and(|e| !e.is_empty()))
                .then_some(())
                .ok_or_else(|| format!("bad GraphQL answer: {b}"))
            }
        })
        .await;
    let c = env.admin.clone();
    let rest = env
        .measure(move |_, _| {
            let c = c.clone();
            async move {
                let page = c.get("/api/v1/companies?limit=50").await?;
                for co in page["data"].as_array().cloned().unwrap_or_default() {
                    let contacts = c
                        .get(&format!(
                            "/api/v1/contacts?company_id={}&limit=10",
                            co["id"].as_str().unwrap_or("")
                        ))
                        .await?;
                    for ct in contacts["data"].as_array().cloned().unwrap_or_default() {
                        c.get(&format!(
                            "/api/v1/activities?contact_id={}&limit=5",
                            ct["id"].as_str().unwrap_or("")
                        ))
                        .await?;
                    }
                }
                Ok(())
            }
        })
        .await;
    // Depth 3 (companies, contacts, activities): at most 4 statements.
    Ok(Row {
        name: "S5 GraphQL 50 companies > contacts > activities (vs REST)",
        api,
        pgbench: None,
        driver: rest,
        target: 0.7,
        other_targets_met: statements <= 4,
        note: format!(
            "{companies} companies; {statements} SQL statements per request (target <= 1 + depth = 4); \
             the baseline column is the same data through REST calls"
        ),
    })
}
