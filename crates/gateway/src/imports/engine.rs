//! The `import.run` job's work for one resource: the file's rows in chunks, each chunk in one
//! transaction with the import's counters and failed rows, every row through the resource's
//! single-write operation ([`crm_core::batch::run_one`]: validation, authorisation, history and
//! event, in its own savepoint). A dry run does the same inside a savepoint it rolls back.

use super::fields::{self, Fields};
use super::source::{RawRow, Source};
use crate::rest::extract::from_value;
use crm_core::batch::{self, BatchOp, BatchWrite};
use crm_core::kit::{Create, Versioned};
use crm_core::{Error, new_id};
use crm_integration::imports::{self, Counts, Failure, ImportRun};
use crm_integration::{ImportState, MatchOn, OnMatch};
use sea_orm::{
    ConnectionTrait, DatabaseTransaction, DbBackend, Statement, TransactionTrait, Value as DbValue,
};
use serde_json::{Map, Value};
use std::collections::HashMap;
use std::path::PathBuf;
use uuid::Uuid;

/// Rows (for orders: orders) written per transaction: each commit waits for the disk, so
/// fewer, larger chunks load faster; on SQLite the pause after each keeps other writers served.
pub const CHUNK: usize = 1000;

/// How long a chunk holds SQLite's write lock at most before committing what it has.
const HOLD: std::time::Duration = std::time::Duration::from_millis(250);

/// Where the records a row may match are looked up.
#[derive(Debug, Clone, Copy)]
pub struct MatchRule {
    /// What it matches on.
    pub on: MatchOn,
    /// The table.
    pub table: &'static str,
    /// The column, as its index has it (`lower(email)`).
    pub column: &'static str,
    /// The body's field holding the value (`external_id`: the row's external id).
    pub field: &'static str,
    /// A row's value as the column holds it (`None`: the row has no key).
    pub key: fn(&str) -> Option<String>,
    /// More conditions (`AND doc_type = 'order'`).
    pub extra: &'static str,
}

/// What the job knows of a resource.
pub struct Plan {
    /// Its mapping targets.
    pub fields: Fields,
    /// The rule of the import's `match_on`, if it matches.
    pub rule: Option<MatchRule>,
    /// Whether rows with the same external id are one record's lines (orders).
    pub lines: bool,
}

/// One record to write: its first row's number, the body and the match key.
struct Item {
    no: i64,
    rows: i64,
    built: Result<fields::Built, String>,
}

/// Reads up to [`CHUNK`] items: rows, or for resources with lines, runs of rows with one
/// external id. Returns the items and whether the file has ended.
fn read_chunk(
    source: &mut Source,
    pending: &mut Option<RawRow>,
    run: &ImportRun,
    plan: &Plan,
    csv: bool,
) -> (Vec<Item>, bool) {
    let mut items: Vec<Item> = Vec::new();
    loop {
        if items.len() >= CHUNK {
            // Only after the chunk's last record has all its lines.
            let next = pending.take().or_else(|| source.next_row());
            match next {
                None => return (items, true),
                Some(row) => {
                    if plan.lines && continues(&items, &row, run, plan, csv) {
                        add_row(&mut items, row, run, plan, csv);
                        continue;
                    }
                    *pending = Some(row);
                    return (items, false);
                }
            }
        }
        let Some(row) = pending.take().or_else(|| source.next_row()) else {
            return (items, true);
        };
        add_row(&mut items, row, run, plan, csv);
    }
}

fn external_of(row: &RawRow, run: &ImportRun, plan: &Plan, csv: bool) -> Option<String> {
    let cells = row.cells.as_ref().ok()?;
    let b = fields::build(&plan.fields, &run.options.mapping, cells.clone(), csv);
    b.external_id
}

fn continues(items: &[Item], row: &RawRow, run: &ImportRun, plan: &Plan, csv: bool) -> bool {
    let Some(Item {
        built: Ok(last), ..
    }) = items.last()
    else {
        return false;
    };
    match (&last.external_id, external_of(row, run, plan, csv)) {
        (Some(a), Some(b)) => *a == b,
        _ => false,
    }
}

fn add_row(items: &mut Vec<Item>, row: RawRow, run: &ImportRun, plan: &Plan, csv: bool) {
    let cells = match row.cells {
        Ok(c) => c,
        Err(reason) => {
            items.push(Item {
                no: row.no,
                rows: 1,
                built: Err(reason),
            });
            return;
        }
    };
    let mut b = fields::build(&plan.fields, &run.options.mapping, cells, csv);
    if plan.lines {
        let line = b.line.take();
        if let Some(Item {
            built: Ok(last),
            rows,
            ..
        }) = items.last_mut()
            && last.external_id.is_some()
            && last.external_id == b.external_id
        {
            if let Some(line) = line {
                push_line(&mut last.body, line);
            }
            *rows += 1;
            return;
        }
        if let Some(line) = line {
            push_line(&mut b.body, line);
        }
    }
    items.push(Item {
        no: row.no,
        rows: 1,
        built: Ok(b),
    });
}

fn push_line(body: &mut Map<String, Value>, line: Map<String, Value>) {
    let lines = body
        .entry("lines".to_owned())
        .or_insert_with(|| Value::Array(Vec::new()));
    if let Value::Array(a) = lines {
        a.push(Value::Object(line));
    }
}

/// The key of a body under a rule (case-folded when the rule says so).
fn key_of(rule: &MatchRule, b: &fields::Built) -> Option<String> {
    let raw = if rule.on == MatchOn::ExternalId {
        b.external_id.clone()?
    } else {
        match b.body.get(rule.field)? {
            Value::String(s) => s.trim().to_owned(),
            _ => return None,
        }
    };
    if raw.is_empty() {
        return None;
    }
    (rule.key)(&raw)
}

/// The live records whose key is one of `keys`: key -> id.
async fn lookup(
    db: &impl ConnectionTrait,
    org: Uuid,
    rule: &MatchRule,
    source: &str,
    keys: &[String],
) -> Result<HashMap<String, Uuid>, Error> {
    if keys.is_empty() {
        return Ok(HashMap::new());
    }
    let backend = db.get_database_backend();
    let pg = backend == DbBackend::Postgres;
    let mut values: Vec<DbValue> = Vec::new();
    let mut ph = |v: DbValue| {
        values.push(v);
        if pg {
            format!("${}", values.len())
        } else {
            "?".to_owned()
        }
    };
    let col = rule.column;
    let org = ph(org.into());
    let source = if rule.on == MatchOn::ExternalId {
        format!(" AND external_source = {}", ph(source.into()))
    } else {
        String::new()
    };
    let marks: Vec<String> = keys.iter().map(|k| ph(k.clone().into())).collect();
    let sql = if pg {
        // One index probe per key. With `IN (...)` PostgreSQL may pick any index leading with
        // `org_id` and filter the organization's rows instead: cheap by statistics taken
        // before the import grew the organization, slower with every chunk after.
        format!(
            "SELECT k.e AS k, c.id FROM (VALUES ({})) AS k(e) CROSS JOIN LATERAL \
             (SELECT id FROM {} WHERE org_id = {org} AND deleted_at IS NULL {}{source} \
             AND {col} = k.e ORDER BY id LIMIT 1) AS c",
            marks.join("), ("),
            rule.table,
            rule.extra
        )
    } else {
        format!(
            "SELECT id, {col} AS k FROM {} WHERE org_id = {org} AND deleted_at IS NULL {}{source} \
             AND {col} IN ({})",
            rule.table,
            rule.extra,
            marks.join(", ")
        )
    };
    let rows = db
        .query_all_raw(Statement::from_sql_and_values(backend, sql, values))
        .await?;
    let mut out = HashMap::new();
    for row in rows {
        let id: Uuid = row.try_get("", "id")?;
        let k: Option<String> = row.try_get("", "k")?;
        if let Some(k) = k {
            // The oldest record wins when several share a key (ids are time-ordered).
            out.entry(k)
                .and_modify(|e: &mut Uuid| *e = (*e).min(id))
                .or_insert(id);
        }
    }
    Ok(out)
}

/// What one item does.
enum Plan1<R: BatchWrite> {
    Write(batch::Op<R>),
    Skip,
    Fail(Error),
}

fn decide<R: BatchWrite>(
    run: &ImportRun,
    plan: &Plan,
    source: &str,
    matched: Option<Uuid>,
    b: &fields::Built,
) -> Plan1<R> {
    let body = Value::Object(b.body.clone());
    let upsert = |ext: &str| -> Plan1<R> {
        match from_value::<R::New>(body.clone()) {
            Ok(input) => Plan1::Write(BatchOp::Upsert {
                source: source.to_owned(),
                external_id: ext.to_owned(),
                input,
            }),
            Err(e) => Plan1::Fail(e),
        }
    };
    let create = || -> Plan1<R> {
        match from_value::<R::New>(body.clone()) {
            Ok(input) => Plan1::Write(BatchOp::Create(input)),
            Err(e) => Plan1::Fail(e),
        }
    };
    let on_match = run.options.on_match;
    match (matched, &b.external_id) {
        (Some(_), _) if on_match == OnMatch::Skip => Plan1::Skip,
        (Some(_), None) | (Some(_), Some(_)) if on_match == OnMatch::Create => create(),
        (Some(id), ext) => {
            if let (Some(ext), true, true) = (
                ext,
                R::UPSERT,
                plan.rule.map(|r| r.on) == Some(MatchOn::ExternalId),
            ) {
                return upsert(ext);
            }
            if !R::UPDATE {
                return Plan1::Fail(Error::invalid_field(
                    "",
                    "not_updatable",
                    format!(
                        "matches {id}, and {} cannot be updated by an import; use `on_match: skip`",
                        R::MANY.to_lowercase()
                    ),
                ));
            }
            match from_value::<R::Change>(body) {
                Ok(change) => Plan1::Write(BatchOp::Update {
                    id,
                    version: None,
                    change,
                }),
                Err(e) => Plan1::Fail(e),
            }
        }
        (None, Some(ext)) if R::UPSERT => upsert(ext),
        (None, _) => create(),
    }
}

/// The failures of an item: one per refused field, named by its column where it has one.
fn failures_of(no: i64, err: &Error, columns: Option<&HashMap<String, String>>) -> Vec<Failure> {
    if err.fields.is_empty() {
        return vec![Failure {
            id: new_id(),
            row: no,
            field: None,
            code: err.code.as_str().to_owned(),
            reason: err.detail.clone(),
        }];
    }
    err.fields
        .iter()
        .map(|f| {
            let parts: Vec<&str> = f.pointer.trim_start_matches('/').split('/').collect();
            // `/lines/3/quantity` is the line field `lines.quantity`.
            let target: Vec<&str> = match parts.as_slice() {
                ["lines", n, field, ..] if n.parse::<usize>().is_ok() => vec!["lines", field],
                p => p.iter().take(2).copied().collect(),
            };
            let field = columns.and_then(|c| {
                c.get(&target.join("."))
                    .or_else(|| c.get(target.first().copied().unwrap_or("")))
                    .cloned()
            });
            Failure {
                id: new_id(),
                row: no,
                field: Some(field.unwrap_or_else(|| f.pointer.clone())),
                code: f.code.clone(),
                reason: f.message.clone(),
            }
        })
        .collect()
}

/// A create waiting to be written: its item (in the chunk), its key and its body.
type Waiting<R> = (usize, Option<String>, <R as Create>::New);

/// A chunk being written: its counts and failures, the keys its records took, and the creates
/// waiting to be written together.
struct Chunk<R: BatchWrite> {
    counts: Counts,
    failures: Vec<Failure>,
    new_keys: HashMap<String, Uuid>,
    pending_keys: HashMap<String, ()>,
    pending: Vec<Waiting<R>>,
}

impl<R: BatchWrite> Default for Chunk<R> {
    fn default() -> Self {
        Self {
            counts: Counts::default(),
            failures: Vec::new(),
            new_keys: HashMap::new(),
            pending_keys: HashMap::new(),
            pending: Vec::new(),
        }
    }
}

impl<R: BatchWrite> Chunk<R> {
    /// Writes the waiting creates.
    async fn flush(
        &mut self,
        conn: &DatabaseTransaction,
        ctx: &crm_core::Ctx,
        items: &[Item],
    ) -> Result<(), Error> {
        if self.pending.is_empty() {
            return Ok(());
        }
        let pending = std::mem::take(&mut self.pending);
        self.pending_keys.clear();
        let mut meta = Vec::with_capacity(pending.len());
        let mut inputs = Vec::with_capacity(pending.len());
        for (index, key, input) in pending {
            meta.push((index, key));
            inputs.push(input);
        }
        let results = R::create_many_in(conn, ctx, inputs).await?;
        for ((index, key), result) in meta.into_iter().zip(results) {
            match result {
                Ok(record) => {
                    self.counts.created += 1;
                    if let Some(k) = key {
                        self.new_keys.insert(k, record.id());
                    }
                }
                Err(e) if e.code == crm_core::Code::Internal => return Err(e),
                Err(e) => {
                    self.counts.failed += 1;
                    let item = items.get(index);
                    let columns = item.and_then(|i| i.built.as_ref().ok()).map(|b| &b.columns);
                    let no = item.map_or(0, |i| i.no);
                    self.failures.extend(failures_of(no, &e, columns));
                }
            }
        }
        Ok(())
    }
}

/// Runs the import `run` of resource `R` from the file at `path`; ends it (succeeded,
/// cancelled, or failed with why) unless the database fails, which the job retries.
pub async fn run<R: BatchWrite>(run: ImportRun, plan: Plan, path: PathBuf) -> Result<(), Error> {
    let db = run.ctx.db.clone();
    let csv = run.format == crm_integration::ImportFormat::Csv;
    let delim = super::source::delimiter(run.options.delimiter.as_deref());
    let format = run.format;
    let counted = {
        let path = path.clone();
        tokio::task::spawn_blocking(move || super::source::count_rows(&path, format, delim))
            .await
            .map_err(|e| Error::internal(format!("counting rows: {e}")))?
    };
    let total = match counted {
        Ok(n) => n,
        Err(reason) => {
            imports::finish_import(
                &db,
                run.id,
                Some(run.runner),
                ImportState::Failed,
                Some(reason),
            )
            .await?;
            return Ok(());
        }
    };
    imports::set_total(&db, run.id, total).await?;
    let opened = {
        let path = path.clone();
        tokio::task::spawn_blocking(move || {
            Source::open(&path, format, delim, super::vcard_contact)
        })
        .await
        .map_err(|e| Error::internal(format!("opening the file: {e}")))?
    };
    let mut source = match opened {
        Ok(s) => s,
        Err(reason) => {
            imports::finish_import(
                &db,
                run.id,
                Some(run.runner),
                ImportState::Failed,
                Some(reason),
            )
            .await?;
            return Ok(());
        }
    };
    // Rows an interrupted attempt committed are not written again.
    for _ in 0..run.rows_done {
        if source.next_row().is_none() {
            break;
        }
    }
    let source_name = run
        .options
        .external_source
        .clone()
        .unwrap_or_else(|| imports::ops::DEFAULT_SOURCE.to_owned());
    // Keys written by earlier rows of this import: later rows match them too.
    let mut seen: HashMap<String, Uuid> = HashMap::new();
    let org = run.ctx.org_id();
    let sqlite = db.get_database_backend() == DbBackend::Sqlite;
    // The next chunk is read and mapped (on a blocking thread) while this one is written.
    let read = |mut src: Source, mut pend: Option<RawRow>| {
        let run2 = run.clone();
        let p = Plan {
            fields: plan.fields.clone(),
            rule: plan.rule,
            lines: plan.lines,
        };
        tokio::task::spawn_blocking(move || {
            let (items, ended) = read_chunk(&mut src, &mut pend, &run2, &p, csv);
            (items, ended, src, pend)
        })
    };
    let mut next = Some(read(source, None));
    while let Some(reading) = next.take() {
        let (items, ended, src, pend) = reading
            .await
            .map_err(|e| Error::internal(format!("reading the file: {e}")))?;
        if items.is_empty() {
            break;
        }
        if !ended {
            next = Some(read(src, pend));
        }
        // The chunk's keys, looked up at once.
        let mut keys: Vec<String> = Vec::new();
        if let Some(rule) = &plan.rule {
            for item in &items {
                if let Ok(b) = &item.built
                    && let Some(k) = key_of(rule, b)
                    && !seen.contains_key(&k)
                {
                    keys.push(k);
                }
            }
            keys.sort();
            keys.dedup();
        }
        let found = match &plan.rule {
            Some(rule) => lookup(&db, org, rule, &source_name, &keys).await?,
            None => HashMap::new(),
        };
        let mut start = 0;
        while start < items.len() {
            let held = std::time::Instant::now();
            let tx = crm_core::db::begin_write(&db).await?;
            let dry = if run.options.dry_run {
                Some(tx.begin().await?)
            } else {
                None
            };
            let mut st = Chunk::<R>::default();
            let mut next = items.len();
            let work = async {
                let conn = dry.as_ref().unwrap_or(&tx);
                for (index, item) in items.iter().enumerate().skip(start) {
                    // On SQLite a chunk gives the write lock back after `HOLD` (the rest of
                    // its rows follow in the next transaction): other writers and the job's
                    // own heartbeat must not wait for a slow chunk.
                    if sqlite && index > start && held.elapsed() > HOLD {
                        next = index;
                        break;
                    }
                    st.counts.rows += item.rows;
                    let b = match &item.built {
                        Ok(b) => b,
                        Err(reason) => {
                            st.counts.failed += 1;
                            st.failures.push(Failure {
                                id: new_id(),
                                row: item.no,
                                field: None,
                                code: "malformed_row".to_owned(),
                                reason: reason.clone(),
                            });
                            continue;
                        }
                    };
                    let key = plan.rule.as_ref().and_then(|r| key_of(r, b));
                    // A row matching a create still waiting to be written waits for it.
                    if key
                        .as_ref()
                        .is_some_and(|k| st.pending_keys.contains_key(k))
                    {
                        st.flush(conn, &run.ctx, &items).await?;
                    }
                    let matched = key.as_ref().and_then(|k| {
                        seen.get(k)
                            .or_else(|| found.get(k))
                            .or_else(|| st.new_keys.get(k))
                            .copied()
                    });
                    // A dry run wrote nothing for earlier chunks: a row matching one of their
                    // records counts as what it would do.
                    let dry_match =
                        run.options.dry_run && key.as_ref().is_some_and(|k| seen.contains_key(k));
                    let op = match decide::<R>(&run, &plan, &source_name, matched, b) {
                        Plan1::Write(BatchOp::Create(_)) if dry_match => {
                            st.counts.created += 1;
                            continue;
                        }
                        Plan1::Write(_) if dry_match => {
                            st.counts.updated += 1;
                            continue;
                        }
                        Plan1::Skip => {
                            st.counts.skipped += 1;
                            continue;
                        }
                        Plan1::Fail(e) => {
                            st.counts.failed += 1;
                            st.failures
                                .extend(failures_of(item.no, &e, Some(&b.columns)));
                            continue;
                        }
                        Plan1::Write(BatchOp::Create(input)) => {
                            // Creates are written together (set-based where the resource can).
                            if let Some(k) = &key {
                                st.pending_keys.insert(k.clone(), ());
                            }
                            st.pending.push((index, key, input));
                            continue;
                        }
                        Plan1::Write(op) => op,
                    };
                    st.flush(conn, &run.ctx, &items).await?;
                    match batch::run_one::<R>(conn, &run.ctx, op).await {
                        Ok(w) => {
                            if w.created {
                                st.counts.created += 1;
                            } else {
                                st.counts.updated += 1;
                            }
                            if let Some(k) = key {
                                st.new_keys.insert(k, w.record.id());
                            }
                        }
                        Err(e) if e.code == crm_core::Code::Internal => return Err(e),
                        Err(e) => {
                            st.counts.failed += 1;
                            st.failures
                                .extend(failures_of(item.no, &e, Some(&b.columns)));
                        }
                    }
                }
                st.flush(conn, &run.ctx, &items).await
            };
            batch::memo_scope(work).await?;
            let Chunk {
                counts,
                failures,
                new_keys,
                ..
            } = st;
            if let Some(sp) = dry {
                sp.rollback().await?;
            }
            let cancel = imports::commit_chunk(&tx, run.id, run.runner, counts, failures).await?;
            tx.commit().await?;
            if sqlite {
                // SQLite has one writer at a time, and a waiting writer polls for the lock with
                // growing sleeps: without a pause between chunks the import would take the lock
                // back every time and starve the server's other writes (and its own job lease).
                // A quarter of the chunk's time: the import holds the lock at most four fifths of
                // the time, and a writer polling every 100 ms gets it within a second or so.
                tokio::time::sleep(held.elapsed() / 4 + std::time::Duration::from_millis(2)).await;
            }
            seen.extend(new_keys);
            start = next;
            if cancel {
                imports::finish_import(&db, run.id, Some(run.runner), ImportState::Cancelled, None)
                    .await?;
                return Ok(());
            }
        }
    }
    imports::finish_import(&db, run.id, Some(run.runner), ImportState::Succeeded, None).await?;
    Ok(())
}
