//! The worker runtime: jobs enqueued in a transaction exist only if it commits; failing jobs
//! are retried with growing waits and end `dead`, which admins (and only they, of their own
//! organization) see over REST and GraphQL, retry and discard; a crashed runtime's job runs
//! again once its lease has passed; two runtimes on one database run every job exactly once;
//! a graceful stop releases an unfinished job without counting the attempt.

use crm_core::db::begin_write;
use crm_tests::crm_gateway::config::Config;
use crm_tests::crm_gateway::config::Secret;
use crm_tests::{Backend, TEST_JWT_SECRET, drop_database, fresh_database};
use crm_tests::{TestApp, dual};
use crm_worker::{JobError, NewJob, Registry, Runtime, Settings, enqueue, wake};
use sea_orm::{ConnectionTrait, DatabaseConnection, DbBackend, Statement};
use serde_json::{Value, json};
use std::collections::HashMap;
use std::sync::{LazyLock, Mutex};
use std::time::{Duration, Instant};
use uuid::Uuid;

/// One run of a handler: when it started and, if it did, ended.
#[derive(Debug, Clone, Copy)]
struct Run {
    start: Instant,
    end: Option<Instant>,
}

/// Every run of every test job, by job id (ids are unique across the tests running at once).
static RUNS: LazyLock<Mutex<HashMap<Uuid, Vec<Run>>>> = LazyLock::new(Default::default);

fn started(id: Uuid) -> usize {
    let mut runs = RUNS.lock().unwrap();
    let list = runs.entry(id).or_default();
    list.push(Run {
        start: Instant::now(),
        end: None,
    });
    list.len() - 1
}

fn ended(id: Uuid, n: usize) {
    RUNS.lock().unwrap().get_mut(&id).unwrap()[n].end = Some(Instant::now());
}

fn runs(id: Uuid) -> Vec<Run> {
    RUNS.lock().unwrap().get(&id).cloned().unwrap_or_default()
}

/// The errors the dead-job hook was called with, by job id.
static DEAD: LazyLock<Mutex<HashMap<Uuid, Vec<String>>>> = LazyLock::new(Default::default);

fn buried(id: Uuid) -> Vec<String> {
    DEAD.lock().unwrap().get(&id).cloned().unwrap_or_default()
}

/// The test handlers: `test.record` (records its run, sleeping `ms` first), `test.fail`
/// (always fails, retryably), `test.hang_first` (its first attempt never ends), `test.sleep`
/// (sleeps `ms`, for the graceful stop). `test.fail` and `test.hang_first` record the calls
/// of their dead-job hook.
fn registry() -> Registry {
    let mut r = Registry::new();
    r.register("test.record", |ctx| async move {
        let n = started(ctx.id);
        let ms = ctx.payload["ms"].as_u64().unwrap_or(0);
        tokio::time::sleep(Duration::from_millis(ms)).await;
        ended(ctx.id, n);
        Ok(())
    });
    r.register("test.fail", |ctx| async move {
        let n = started(ctx.id);
        ended(ctx.id, n);
        Err(JobError::retry(format!("boom on attempt {}", ctx.attempt)))
    });
    r.register("test.hang_first", |ctx| async move {
        let n = started(ctx.id);
        if ctx.attempt == 1 {
            std::future::pending::<()>().await;
        }
        ended(ctx.id, n);
        Ok(())
    });
    for kind in ["test.fail", "test.hang_first"] {
        r.on_dead(kind, |ctx, error| async move {
            DEAD.lock().unwrap().entry(ctx.id).or_default().push(error);
        });
    }
    r.register("test.sleep", |ctx| async move {
        let n = started(ctx.id);
        let ms = ctx.payload["ms"].as_u64().unwrap_or(0);
        tokio::time::sleep(Duration::from_millis(ms)).await;
        ended(ctx.id, n);
        Ok(())
    });
    r
}

/// Fast settings: short polls, leases and backoff.
fn fast(c: &mut Config) {
    c.extra_job_handlers = Some(registry());
    c.job_poll_interval_ms = 20;
    c.job_backoff_base_ms = 100;
    c.job_lease_secs = 1;
    c.job_shutdown_grace_secs = 0;
}

/// No runtime in the server: the test starts its own.
fn no_workers(c: &mut Config) {
    fast(c);
    c.jobs_enabled = false;
}

fn settings() -> Settings {
    Settings {
        concurrency: 4,
        poll_interval: Duration::from_millis(10),
        lease: Duration::from_secs(1),
        backoff_base: Duration::from_millis(100),
        backoff_max: Duration::from_secs(5),
        retention: Duration::from_secs(3600),
    }
}

/// The stored state, attempts, last error and holder of job `id` (`None`: no such job).
async fn row(app: &TestApp, id: Uuid) -> Option<(String, i32, Option<String>, Option<String>)> {
    row_in(&app.db, id).await
}

async fn row_in(
    db: &DatabaseConnection,
    id: Uuid,
) -> Option<(String, i32, Option<String>, Option<String>)> {
    let backend = db.get_database_backend();
    let mark = if backend == DbBackend::Postgres {
        "$1"
    } else {
        "?"
    };
    let r = db
        .query_one_raw(Statement::from_sql_and_values(
            backend,
            format!("SELECT state, attempts, last_error, locked_by FROM jobs WHERE id = {mark}"),
            [id.into()],
        ))
        .await
        .unwrap()?;
    Some((
        r.try_get("", "state").unwrap(),
        r.try_get("", "attempts").unwrap(),
        r.try_get("", "last_error").unwrap(),
        r.try_get("", "locked_by").unwrap(),
    ))
}

/// Waits (10 s at most) until job `id` is in `state`.
async fn until_state(app: &TestApp, id: Uuid, state: &str) {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let now = row(app, id).await;
        if now.as_ref().is_some_and(|r| r.0 == state) {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "job {id} never became {state}: {now:?}"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

/// Waits (10 s at most) until job `id` has started `n` runs.
async fn until_runs(id: Uuid, n: usize) {
    let deadline = Instant::now() + Duration::from_secs(10);
    while runs(id).len() < n {
        assert!(
            Instant::now() < deadline,
            "job {id} ran {} times, not {n}",
            runs(id).len()
        );
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
}

fn org(s: &crm_tests::Session) -> Option<Uuid> {
    Some(Uuid::parse_str(&s.org_id).unwrap())
}

fn ids(page: &Value) -> Vec<String> {
    page["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|j| j["id"].as_str().unwrap().to_owned())
        .collect()
}

dual! {
    #[config(fast)]
    async fn enqueued_with_the_transaction(app: &TestApp) {
        let admin = app.signup("Acme", "ann@acme.test").await;
        let tx = begin_write(&app.db).await.unwrap();
        let rolled_back = enqueue(&tx, NewJob::new("test.record", org(&admin), json!({}))).await.unwrap();
        tx.rollback().await.unwrap();
        let tx = begin_write(&app.db).await.unwrap();
        let committed = enqueue(&tx, NewJob::new("test.record", org(&admin), json!({}))).await.unwrap();
        tx.commit().await.unwrap();
        wake();
        until_state(app, committed, "succeeded").await;
        // Given time to misbehave, it still ran once; the rolled-back job never existed.
        tokio::time::sleep(Duration::from_millis(200)).await;
        assert_eq!(runs(committed).len(), 1);
        assert!(row(app, rolled_back).await.is_none());
        assert!(runs(rolled_back).is_empty());
        let job = app.get(&format!("/api/v1/jobs/{committed}"), Some(&admin.token)).await.ok(200);
        assert_eq!(job["state"], "succeeded");
        assert_eq!(job["attempts"], 1);
        assert!(job["finished_at"].is_string(), "{job}");
    }

    #[config(fast)]
    async fn failing_jobs_die_and_admins_retry_or_discard_them(app: &TestApp) {
        let admin = app.signup("Acme", "ann@acme.test").await;
        let agent = app.member(&admin, "agent", "agent@acme.test").await;
        let other = app.signup("Globex", "gus@globex.test").await;
        let id = enqueue(&app.db, NewJob::new("test.fail", org(&admin), json!({"x": 1})).max_attempts(3))
            .await
            .unwrap();
        wake();
        until_state(app, id, "dead").await;
        let r = runs(id);
        assert_eq!(r.len(), 3, "{r:?}");
        // Waits of 100 ms and 200 ms, each +-25 %: they grow.
        let gap1 = r[1].start - r[0].end.unwrap();
        let gap2 = r[2].start - r[1].end.unwrap();
        assert!(gap1 >= Duration::from_millis(75), "{gap1:?}");
        assert!(gap2 >= Duration::from_millis(150), "{gap2:?}");
        let (state, attempts, error, locked_by) = row(app, id).await.unwrap();
        assert_eq!((state.as_str(), attempts), ("dead", 3));
        assert_eq!(error.as_deref(), Some("boom on attempt 3"));
        assert_eq!(locked_by, None);
        // The kind's dead-job hook was told, once.
        assert_eq!(buried(id), ["boom on attempt 3"]);

        // REST: the dead list shows it, with its error.
        let dead = app.get("/api/v1/jobs?state=dead&kind=test.fail", Some(&admin.token)).await.ok(200);
        assert_eq!(ids(&dead), [id.to_string()]);
        assert_eq!(dead["data"][0]["last_error"], "boom on attempt 3");
        assert_eq!(dead["data"][0]["payload"], json!({"x": 1}));
        let queued = app.get("/api/v1/jobs?state=queued", Some(&admin.token)).await.ok(200);
        assert!(ids(&queued).is_empty(), "{queued}");
        app.get("/api/v1/jobs?state=sleeping", Some(&admin.token)).await.problem(422, "validation_failed");

        // GraphQL: the same.
        let q = "query($s: JobState) { jobs(state: $s, first: 10) { nodes { id state attempts lastError } } }";
        let res = app.gql(Some(&admin.token), q, json!({"s": "DEAD"})).await.ok(200);
        let nodes = &res["data"]["jobs"]["nodes"];
        assert_eq!(nodes[0]["id"], id.to_string(), "{res}");
        assert_eq!(nodes[0]["lastError"], "boom on attempt 3");
        assert_eq!(nodes[0]["state"], "DEAD");

        // Not for agents; not for another organization's admin.
        app.get("/api/v1/jobs?state=dead", Some(&agent.token)).await.problem(403, "forbidden");
        app.post(&format!("/api/v1/jobs/{id}/retry"), Some(&agent.token), json!({})).await.problem(403, "forbidden");
        let res = app.gql(Some(&agent.token), q, json!({"s": "DEAD"})).await.ok(200);
        assert_eq!(res["errors"][0]["extensions"]["code"], "forbidden", "{res}");
        let theirs = app.get("/api/v1/jobs?state=dead", Some(&other.token)).await.ok(200);
        assert!(ids(&theirs).is_empty(), "{theirs}");
        app.get(&format!("/api/v1/jobs/{id}"), Some(&other.token)).await.problem(404, "not_found");
        app.post(&format!("/api/v1/jobs/{id}/retry"), Some(&other.token), json!({})).await.problem(404, "not_found");
        app.delete(&format!("/api/v1/jobs/{id}"), Some(&other.token)).await.problem(404, "not_found");
        let res = app.gql(Some(&other.token), "query($id: ID!) { job(id: $id) { id } }", json!({"id": id})).await.ok(200);
        assert_eq!(res["data"]["job"], Value::Null, "{res}");

        // Retry: queued again with its attempts reset, and it runs (and dies) again.
        let retried = app.post(&format!("/api/v1/jobs/{id}/retry"), Some(&admin.token), json!({})).await.ok(200);
        assert_eq!(retried["attempts"], 0, "{retried}");
        until_runs(id, 6).await;
        until_state(app, id, "dead").await;
        assert_eq!(row(app, id).await.unwrap().1, 3);

        // Retrying a job that is not dead is a conflict; discarding removes it.
        let done = enqueue(&app.db, NewJob::new("test.record", org(&admin), json!({}))).await.unwrap();
        wake();
        until_state(app, done, "succeeded").await;
        app.post(&format!("/api/v1/jobs/{done}/retry"), Some(&admin.token), json!({})).await.problem(409, "conflict");
        app.delete(&format!("/api/v1/jobs/{done}"), Some(&admin.token)).await.problem(409, "conflict");
        let res = app
            .gql(Some(&admin.token), "mutation($id: ID!) { discardJob(id: $id) }", json!({"id": id}))
            .await
            .ok(200);
        assert_eq!(res["data"]["discardJob"], true, "{res}");
        app.get(&format!("/api/v1/jobs/{id}"), Some(&admin.token)).await.problem(404, "not_found");
        assert!(row(app, id).await.is_none());
    }

    #[config(no_workers)]
    async fn a_crashed_runtimes_job_runs_again_after_its_lease(app: &TestApp) {
        let crashed = Runtime::start(app.db.clone(), registry(), settings());
        let id = enqueue(&app.db, NewJob::new("test.hang_first", None, json!({}))).await.unwrap();
        wake();
        until_runs(id, 1).await;
        let (state, attempts, _, locked_by) = row(app, id).await.unwrap();
        assert_eq!((state.as_str(), attempts), ("running", 1));
        assert_eq!(locked_by.as_deref(), Some(crashed.worker_id()));
        // A crash: no release, no more heartbeats.
        drop(crashed);
        let dropped_at = Instant::now();
        let survivor = Runtime::start(app.db.clone(), registry(), settings());
        until_state(app, id, "succeeded").await;
        let r = runs(id);
        assert_eq!(r.len(), 2, "{r:?}");
        // Not before the lease (1 s, extended every third of it) had passed.
        assert!(r[1].start - dropped_at >= Duration::from_millis(300), "{r:?}");
        assert_eq!(row(app, id).await.unwrap().1, 2);
        survivor.shutdown(Duration::from_secs(1)).await;
    }

    #[config(no_workers)]
    async fn a_job_killing_its_worker_on_its_last_attempt_ends_dead(app: &TestApp) {
        let crashed = Runtime::start(app.db.clone(), registry(), settings());
        let id = enqueue(&app.db, NewJob::new("test.hang_first", None, json!({})).max_attempts(1))
            .await
            .unwrap();
        wake();
        until_runs(id, 1).await;
        drop(crashed);
        let survivor = Runtime::start(app.db.clone(), registry(), settings());
        until_state(app, id, "dead").await;
        // Claimed again past its last attempt, it is not run a second time.
        assert_eq!(runs(id).len(), 1);
        let (_, attempts, error, _) = row(app, id).await.unwrap();
        assert_eq!(attempts, 2);
        assert!(error.unwrap().contains("stopped before it ended"));
        // The hook ends what the job was doing, though no handler ran again.
        let told = buried(id);
        assert_eq!(told.len(), 1, "{told:?}");
        assert!(told[0].contains("stopped before it ended"), "{told:?}");
        survivor.shutdown(Duration::from_secs(1)).await;
    }

    #[config(no_workers)]
    async fn an_attempt_whose_job_was_claimed_again_neither_extends_nor_settles_it(app: &TestApp) {
        // A lease that passed lets any runtime claim the job again, the one running the old
        // attempt included (same worker id). The old attempt must then stop, and must not
        // record its outcome over the new attempt's claim (it used to mark the job succeeded
        // while the new attempt ran, which an import saw as running for ever).
        let rt = Runtime::start(app.db.clone(), registry(), settings());
        let id = enqueue(&app.db, NewJob::new("test.record", None, json!({"ms": 1500}))).await.unwrap();
        wake();
        until_runs(id, 1).await;
        // What claiming it again does to the row: the attempt number moves on, the holder stays.
        let p = |n: usize| if app.backend == Backend::Postgres { format!("${n}") } else { "?".to_owned() };
        app.db.execute_raw(Statement::from_sql_and_values(app.db.get_database_backend(),
            format!("UPDATE jobs SET attempts = attempts + 1 WHERE id = {}", p(1)), [id.into()])).await.unwrap();
        until_state(app, id, "succeeded").await;
        let r = runs(id);
        assert!(r[0].end.is_none(), "the superseded attempt was stopped: {r:?}");
        assert!(r.len() >= 2 && r.last().unwrap().end.is_some(), "{r:?}");
        assert_eq!(row(app, id).await.unwrap().1, 3, "succeeded by the attempt after the re-claim");
        rt.shutdown(Duration::from_secs(1)).await;
    }

    #[config(no_workers)]
    async fn a_job_longer_than_its_lease_keeps_it(app: &TestApp) {
        // Leases of 1 s, a job of 2.5 s, two runtimes: the heartbeat keeps the other off it.
        let a = Runtime::start(app.db.clone(), registry(), settings());
        let b = Runtime::start(app.db.clone(), registry(), settings());
        let id = enqueue(&app.db, NewJob::new("test.record", None, json!({"ms": 2500}))).await.unwrap();
        wake();
        until_state(app, id, "succeeded").await;
        assert_eq!(runs(id).len(), 1);
        assert_eq!(row(app, id).await.unwrap().1, 1);
        a.shutdown(Duration::from_secs(1)).await;
        b.shutdown(Duration::from_secs(1)).await;
    }

    #[config(no_workers)]
    async fn succeeded_jobs_are_pruned_after_the_retention(app: &TestApp) {
        let runtime = Runtime::start(
            app.db.clone(),
            registry(),
            Settings { retention: Duration::from_millis(200), ..settings() },
        );
        let id = enqueue(&app.db, NewJob::new("test.record", None, json!({}))).await.unwrap();
        let dead = enqueue(&app.db, NewJob::new("test.fail", None, json!({})).max_attempts(1)).await.unwrap();
        wake();
        until_runs(id, 1).await;
        until_state(app, dead, "dead").await;
        let deadline = Instant::now() + Duration::from_secs(10);
        while row(app, id).await.is_some() {
            assert!(Instant::now() < deadline, "the succeeded job was never pruned");
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        // Dead jobs stay for an admin.
        tokio::time::sleep(Duration::from_millis(400)).await;
        assert_eq!(row(app, dead).await.unwrap().0, "dead");
        runtime.shutdown(Duration::from_secs(1)).await;
    }

    #[config(no_workers)]
    async fn two_runtimes_run_every_job_exactly_once(app: &TestApp) {
        let tx = begin_write(&app.db).await.unwrap();
        let mut ids = Vec::new();
        for i in 0..120 {
            let job = NewJob::new("test.record", None, json!({"ms": 2, "i": i}));
            ids.push(enqueue(&tx, job).await.unwrap());
        }
        tx.commit().await.unwrap();
        let a = Runtime::start(app.db.clone(), registry(), settings());
        let b = Runtime::start(app.db.clone(), registry(), settings());
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            let backend = app.db.get_database_backend();
            let left = app
                .db
                .query_one_raw(Statement::from_string(
                    backend,
                    "SELECT COUNT(*) AS n FROM jobs WHERE state <> 'succeeded'",
                ))
                .await
                .unwrap()
                .unwrap()
                .try_get::<i64>("", "n")
                .unwrap();
            if left == 0 {
                break;
            }
            assert!(Instant::now() < deadline, "{left} jobs still not done");
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        a.shutdown(Duration::from_secs(1)).await;
        b.shutdown(Duration::from_secs(1)).await;
        for id in ids {
            let r = runs(id);
            assert_eq!(r.len(), 1, "job {id} ran {} times: {r:?}", r.len());
            assert!(r[0].end.is_some());
            assert_eq!(row(app, id).await.unwrap().1, 1, "job {id}");
        }
    }

    #[config(no_workers)]
    async fn a_graceful_stop_releases_an_unfinished_job_uncounted(app: &TestApp) {
        let runtime = Runtime::start(app.db.clone(), registry(), settings());
        let quick = enqueue(&app.db, NewJob::new("test.sleep", None, json!({"ms": 100}))).await.unwrap();
        let slow = enqueue(&app.db, NewJob::new("test.sleep", None, json!({"ms": 60_000}))).await.unwrap();
        wake();
        until_runs(quick, 1).await;
        until_runs(slow, 1).await;
        runtime.shutdown(Duration::from_millis(500)).await;
        // The quick one finished within the grace; the slow one is queued again, uncounted.
        assert_eq!(row(app, quick).await.unwrap().0, "succeeded");
        let (state, attempts, _, locked_by) = row(app, slow).await.unwrap();
        assert_eq!((state.as_str(), attempts, locked_by), ("queued", 0, None));
        assert!(runs(slow)[0].end.is_none());
        // Another runtime takes it at once.
        let next = Runtime::start(app.db.clone(), registry(), settings());
        until_runs(slow, 2).await;
        drop(next);
    }
}

/// `crm serve`'s own stop (what SIGTERM runs): the server's runtime releases the job it could
/// not finish within the grace (0 s here), uncounted, and the database keeps it queued.
async fn the_servers_graceful_stop_releases_running_jobs(backend: Backend) {
    let dir = tempfile::tempdir().unwrap();
    let Some((url, pg)) = fresh_database(backend, dir.path()).await else {
        return;
    };
    let mut config = Config {
        listen: "127.0.0.1:0".to_owned(),
        data_dir: dir.path().to_path_buf(),
        jwt_secret: Some(Secret(TEST_JWT_SECRET.to_owned())),
        log_level: "warn".to_owned(),
        workers: Some(1),
        db_max_connections: 5,
        database_url: Some(Secret(url)),
        ..Config::default()
    };
    fast(&mut config);
    let server = crm_tests::crm_gateway::server::start(config).await.unwrap();
    let db = server.state.db.clone();
    let id = enqueue(&db, NewJob::new("test.sleep", None, json!({"ms": 60_000})))
        .await
        .unwrap();
    wake();
    until_runs(id, 1).await;
    assert_eq!(row_in(&db, id).await.unwrap().0, "running");
    server.stop().await.unwrap();
    let (state, attempts, _, locked_by) = row_in(&db, id).await.unwrap();
    assert_eq!((state.as_str(), attempts, locked_by), ("queued", 0, None));
    let _ = db.close().await;
    if let Some(pg) = pg {
        drop_database(pg).await;
    }
}

mod the_servers_graceful_stop {
    use super::*;

    #[actix_rt::test]
    async fn sqlite() {
        the_servers_graceful_stop_releases_running_jobs(Backend::Sqlite).await;
    }

    #[actix_rt::test]
    async fn postgres() {
        the_servers_graceful_stop_releases_running_jobs(Backend::Postgres).await;
    }
}
