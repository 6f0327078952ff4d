//! Batch writes: up to [`MAX_ITEMS`] creates, updates and upserts of one resource in one
//! request, each through the resource's own single-write domain operation (validation,
//! authorisation, custom fields, history row and outbox event), run inside the batch's one
//! transaction.
//!
//! Every item runs in its own savepoint, so a failing item leaves nothing behind and the next
//! one can still run (PostgreSQL would otherwise refuse every statement after a failed one).
//! Without `atomic` the transaction commits what succeeded and each item reports its own
//! outcome; with `atomic` any failure rolls the whole transaction back, every item is still
//! tried so that the answer names every failing item, and nothing is written.

use crate::kit::{Create, Versioned};
use crate::{Action, Ctx, Error, FieldError, Result};
use sea_orm::{DatabaseTransaction, TransactionTrait};
use std::any::Any;
use std::collections::HashMap;
use std::future::Future;
use std::sync::{Arc, Mutex};
use uuid::Uuid;

tokio::task_local! {
    /// What items of the running batch read once for all (see [`once_per_batch`]).
    static MEMO: Mutex<HashMap<String, Arc<dyn Any + Send + Sync>>>;
}

/// Reads what `key` names once per batch: inside [`run`], the first item's call loads it and
/// later items get that copy; outside a batch every call loads. Only for what the batch's
/// items do not write (such as the custom field definitions of the organization).
pub async fn once_per_batch<T, E, F, Fut>(key: String, load: F) -> std::result::Result<T, E>
where
    T: Clone + Send + Sync + 'static,
    F: FnOnce() -> Fut,
    Fut: Future<Output = std::result::Result<T, E>>,
{
    let hit = MEMO
        .try_with(|m| m.lock().ok().and_then(|m| m.get(&key).cloned()))
        .ok()
        .flatten();
    if let Some(v) = hit.as_ref().and_then(|v| v.downcast_ref::<T>()) {
        return Ok(v.clone());
    }
    let v = load().await?;
    let _ = MEMO.try_with(|m| {
        if let Ok(mut m) = m.lock() {
            m.insert(key, Arc::new(v.clone()));
        }
    });
    Ok(v)
}

/// Runs `f` with one memo of [`once_per_batch`] for all the items it writes.
pub async fn memo_scope<F: Future>(f: F) -> F::Output {
    MEMO.scope(Mutex::new(HashMap::new()), f).await
}

/// The most items one batch may hold.
pub const MAX_ITEMS: usize = 100;

/// What one item of a batch asks for.
#[derive(Debug)]
pub enum BatchOp<N, C> {
    /// Creates a record from the body of the single create.
    Create(N),
    /// Changes a record as the single update does; with `version`, a record at another
    /// version is a 412 (the single update's `If-Match`).
    Update {
        /// The record.
        id: Uuid,
        /// The version the change is based on.
        version: Option<i64>,
        /// The change: the body of the single update.
        change: C,
    },
    /// Creates or replaces the record another system knows by `source` and `external_id`, as
    /// the single upsert by external id does.
    Upsert {
        /// The source system (such as `sap`).
        source: String,
        /// The id in that system.
        external_id: String,
        /// The body of the single create.
        input: N,
    },
}

/// Resources written in batches. Each method is the single write's domain operation run
/// inside the caller's transaction; a resource without an update or an upsert keeps the
/// default, which refuses the item.
pub trait BatchWrite: Create {
    /// The body of an update item (the single update's body).
    type Change: serde::de::DeserializeOwned + Send + 'static;
    /// Whether items may update (`op: update`).
    const UPDATE: bool;
    /// Whether items may upsert by external id (`op: upsert`).
    const UPSERT: bool;

    /// Creates one record inside `tx`.
    fn create_in(
        tx: &DatabaseTransaction,
        ctx: &Ctx,
        input: Self::New,
    ) -> impl Future<Output = Result<Self::Record>> + Send;

    /// Creates many records inside `tx` (imports): one outcome per input, in order; a refused
    /// input writes nothing. By default each runs [`BatchWrite::create_in`] in its own
    /// savepoint; a resource may write them set-based by the same rules.
    fn create_many_in(
        tx: &DatabaseTransaction,
        ctx: &Ctx,
        inputs: Vec<Self::New>,
    ) -> impl Future<Output = Result<Vec<Result<Self::Record>>>> + Send {
        async move {
            let mut out = Vec::with_capacity(inputs.len());
            for input in inputs {
                out.push(
                    run_one::<Self>(tx, ctx, BatchOp::Create(input))
                        .await
                        .map(|w| w.record),
                );
            }
            Ok(out)
        }
    }

    /// Changes one record inside `tx`; with `if_version`, another version is a 412.
    fn update_in(
        _tx: &DatabaseTransaction,
        _ctx: &Ctx,
        _id: Uuid,
        _change: Self::Change,
        _if_version: Option<i64>,
    ) -> impl Future<Output = Result<Self::Record>> + Send {
        async { Err(unsupported("update", Self::MANY)) }
    }

    /// Creates or replaces one record by external id inside `tx`; `true` when created.
    fn upsert_in(
        _tx: &DatabaseTransaction,
        _ctx: &Ctx,
        _source: &str,
        _external_id: &str,
        _input: Self::New,
    ) -> impl Future<Output = Result<(Self::Record, bool)>> + Send {
        async { Err(unsupported("upsert", Self::MANY)) }
    }
}

/// What one item of a batch of `R` asks for.
pub type Op<R> = BatchOp<<R as Create>::New, <R as BatchWrite>::Change>;

/// The items of a batch of `R`, in request order: each read, or refused with why.
pub type Items<R> = Vec<Result<Op<R>>>;

/// The refusal of an operation a resource has no single write for.
pub fn unsupported(op: &str, many: &str) -> Error {
    Error::invalid_field(
        "/op",
        "invalid_value",
        format!("{} cannot be written with `{op}`", many.to_lowercase()),
    )
}

/// A record an item wrote.
#[derive(Debug)]
pub struct Written<R> {
    /// The record as the single write returns it.
    pub record: R,
    /// Whether it was created (201) rather than changed (200).
    pub created: bool,
}

/// The outcome of one item, in request order.
#[derive(Debug)]
pub struct ItemOutcome<R> {
    /// The item's position in the request, from 0.
    pub index: usize,
    /// What it wrote, or why it failed.
    pub result: Result<Written<R>>,
}

impl<R: Versioned> ItemOutcome<R> {
    /// The HTTP status the single write would have answered with.
    pub fn status(&self) -> u16 {
        match &self.result {
            Ok(w) if w.created => 201,
            Ok(_) => 200,
            Err(e) => e.code.status(),
        }
    }
}

/// The outcome of a batch.
#[derive(Debug)]
pub struct BatchOutcome<R> {
    /// Whether the batch was atomic.
    pub atomic: bool,
    /// Whether anything was committed: `false` only for an atomic batch with a failed item.
    pub committed: bool,
    /// Every item's outcome, in request order.
    pub items: Vec<ItemOutcome<R>>,
}

impl<R> BatchOutcome<R> {
    /// The items that failed.
    pub fn failed(&self) -> impl Iterator<Item = &ItemOutcome<R>> {
        self.items.iter().filter(|i| i.result.is_err())
    }
}

/// Checks the number of items: 1 to [`MAX_ITEMS`], else a 422 on `/items`.
pub fn check_count(n: usize) -> Result<()> {
    if n == 0 || n > MAX_ITEMS {
        return Err(Error::validation(vec![FieldError::new(
            "/items",
            "length",
            format!("must hold 1 to {MAX_ITEMS} items, not {n}"),
        )]));
    }
    Ok(())
}

/// Prefixes every field pointer of `err` with `prefix` (such as `/data` or `/items/3`).
pub fn nest(mut err: Error, prefix: &str) -> Error {
    for f in &mut err.fields {
        f.pointer = format!("{prefix}{}", f.pointer);
    }
    err
}

/// Runs a batch of `R`: `items` in request order, each already parsed or refused (an item
/// that could not be read fails on its own). Callers who may not write get 403 for the whole
/// batch; a wrong number of items is a 422 on `/items`. The field pointers of an item's
/// domain errors (relative to the single write's body) are prefixed with `data_pointer(op)`,
/// where the face puts that body in the item (`/data` over REST).
pub async fn run<R: BatchWrite>(
    ctx: &Ctx,
    items: Items<R>,
    atomic: bool,
    data_pointer: fn(&Op<R>) -> &'static str,
) -> Result<BatchOutcome<R::Record>> {
    ctx.require(Action::Write)?;
    check_count(items.len())?;
    let tx = crate::db::begin_write(&ctx.db).await?;
    let items_run = async {
        let mut out = Vec::with_capacity(items.len());
        for (index, item) in items.into_iter().enumerate() {
            let result = match item {
                Err(e) => Err(e),
                Ok(op) => {
                    let prefix = data_pointer(&op);
                    run_one::<R>(&tx, ctx, op)
                        .await
                        .map_err(|e| nest(e, prefix))
                }
            };
            out.push(ItemOutcome { index, result });
        }
        out
    };
    let out = memo_scope(items_run).await;
    let failed = out.iter().any(|i| i.result.is_err());
    let committed = if atomic && failed {
        tx.rollback().await?;
        false
    } else {
        tx.commit().await?;
        true
    };
    Ok(BatchOutcome {
        atomic,
        committed,
        items: out,
    })
}

/// One item in its own savepoint inside `tx`: kept when it succeeds, undone when it fails
/// (imports run their rows through it).
pub async fn run_one<R: BatchWrite + ?Sized>(
    tx: &DatabaseTransaction,
    ctx: &Ctx,
    op: Op<R>,
) -> Result<Written<R::Record>> {
    let sp = tx.begin().await?;
    let result = match op {
        BatchOp::Create(input) => R::create_in(&sp, ctx, input).await.map(|record| Written {
            record,
            created: true,
        }),
        BatchOp::Update {
            id,
            version,
            change,
        } => R::update_in(&sp, ctx, id, change, version)
            .await
            .map(|record| Written {
                record,
                created: false,
            }),
        BatchOp::Upsert {
            source,
            external_id,
            input,
        } => R::upsert_in(&sp, ctx, &source, &external_id, input)
            .await
            .map(|(record, created)| Written { record, created }),
    };
    match result {
        Ok(w) => {
            sp.commit().await?;
            Ok(w)
        }
        Err(e) => {
            sp.rollback().await?;
            Err(e)
        }
    }
}

/// Why a source system's name is refused (it must be 1 to 60 characters, counted as the
/// document's `maxLength` counts them, not as UTF-8 bytes); `None` when it is fine. Batch
/// writes and import options check it alike.
pub fn external_source_problem(source: &str) -> Option<&'static str> {
    (source.is_empty() || source.chars().count() > 60).then_some("must be 1 to 60 characters")
}

/// Checks a reference to a record in another system: a source system name (1 to 60
/// characters) and the id there (1 to 200).
pub fn check_external(source: &str, id: &str) -> Result<()> {
    let mut errors = Vec::new();
    if let Some(problem) = external_source_problem(source) {
        errors.push(FieldError::new("/external_source", "length", problem));
    }
    if id.is_empty() || id.chars().count() > 200 {
        errors.push(FieldError::new(
            "/external_id",
            "length",
            "must be 1 to 200 characters",
        ));
    }
    if errors.is_empty() {
        Ok(())
    } else {
        Err(Error::validation(errors))
    }
}
