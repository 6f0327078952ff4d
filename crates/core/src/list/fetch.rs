//! Running a planned list. On PostgreSQL a search (`q=`) in the list's default order is run by
//! how common its term turns out to be, because the planner cannot tell: it estimates every
//! prefix term alike, walks the `(org_id, created_at)` index and filters, and so reads the whole
//! organization for a term that matches one record (400 ms at a million contacts), while asking
//! the GIN index first makes a common term build a bitmap of every match (40 ms for a last name
//! that 100,000 contacts share).
//!
//! 0. **A selective term**: a search holding a token of at least
//!    [`SELECTIVE_DIGITS`](crate::search::SELECTIVE_DIGITS) digits (a phone number, a customer
//!    or order number: what a call center's caller lookup sends) asks the search index for
//!    that token first, and the page's statement takes the ids when they are at most
//!    [`SEARCH_MATCH_CAP`]: two short statements instead of three, without the probe's
//!    1,000 rows. More matches go on to the probe and the rest.
//! 1. **Probe**: the first [`SEARCH_PROBE_ROWS`] rows of the list in its order, filtered by the
//!    search as they stream; a common term fills its page within a few hundred rows. The
//!    statement returns one more row, the last one probed, when the probe stopped short of the
//!    end of the list, so a short answer tells whether the list was read to its end.
//! 2. **Search index**: otherwise the ids of the organization's matching records, up to
//!    [`SEARCH_MATCH_CAP`], from the GIN index alone.
//! 3. **Page**: the list's own statement restricted to those ids. A term that matches more
//!    records than the cap, but too few of the probed rows to fill a page, runs the list's plain
//!    statement instead.
//!
//! SQLite (FTS5) and other orders run the list's statement as it is.

use super::{Plan, bind};
use crate::row::{ByPosition, Pos};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ConnectionTrait, DbBackend, DbErr, EntityTrait, FromQueryResult, QueryFilter, QuerySelect,
    QueryTrait, Select, Statement, Value as DbValue,
};
use uuid::Uuid;

/// Rows of a list, in its order, that a PostgreSQL search reads before it asks the search index.
pub const SEARCH_PROBE_ROWS: u64 = 1_000;

/// The most matching ids a PostgreSQL search takes from the search index; a term with more
/// matches runs the list's plain statement.
pub const SEARCH_MATCH_CAP: u64 = 5_000;

impl Plan {
    /// Runs the list on `query` (the resource's select, scoped to the organization): at most
    /// `limit + 1` records in the list's order.
    pub async fn fetch<E, C>(&self, db: &C, query: Select<E>) -> Result<Vec<E::Model>, DbErr>
    where
        E: EntityTrait,
        E::Model: ByPosition,
        C: ConnectionTrait,
    {
        self.run(db, query, None).await
    }

    /// Every record the list selects from its cursor on, in its order, with no page limit:
    /// one statement whose rows `each` receives as they arrive, decoded, in batches of at
    /// most `batch`, the last one possibly empty (an export reads one statement, not a chain
    /// of pages that each waits for the one before's last key). A search runs as a plain
    /// filter. Stops, without an error, when `each` answers `false`.
    pub async fn stream<E, C, F, Fut>(
        &self,
        db: &C,
        query: Select<E>,
        batch: usize,
        mut each: F,
    ) -> Result<(), DbErr>
    where
        E: EntityTrait,
        E::Model: ByPosition,
        C: sea_orm::StreamTrait,
        F: FnMut(Vec<E::Model>) -> Fut,
        Fut: std::future::Future<Output = bool>,
    {
        use futures_util::StreamExt;
        let stmt = self
            .apply(query)
            .limit(None)
            .build(db.get_database_backend());
        let rows = db.stream_raw(stmt).await?;
        let mut rows = std::pin::pin!(rows);
        let mut page = Vec::with_capacity(batch);
        while let Some(row) = rows.next().await {
            page.push(E::Model::read_at(&row?, 0)?);
            if page.len() >= batch {
                let full = std::mem::replace(&mut page, Vec::with_capacity(batch));
                if !each(full).await {
                    return Ok(());
                }
            }
        }
        each(page).await;
        Ok(())
    }

    /// [`Plan::stream`] into an export: each batch of [`crate::page::BULK_LIMIT`] rows made
    /// records by `records` (which may read what the rows refer to, such as a document's lines,
    /// on another connection) and sent to `out`; an error of `records` is sent as the last
    /// item. Stops when `out` closes; a database error of the statement is returned.
    pub async fn export<E, C, T, F, Fut>(
        &self,
        db: &C,
        query: Select<E>,
        out: &crate::kit::ExportSender<T>,
        mut records: F,
    ) -> Result<(), DbErr>
    where
        E: EntityTrait,
        E::Model: ByPosition,
        C: sea_orm::StreamTrait,
        F: FnMut(Vec<E::Model>) -> Fut,
        Fut: std::future::Future<Output = crate::Result<Vec<T>>>,
    {
        self.stream(db, query, crate::page::BULK_LIMIT as usize, |rows| {
            let made = records(rows);
            async move {
                match made.await {
                    Ok(batch) => out.send(Ok(batch)).await.is_ok(),
                    Err(e) => {
                        let _ = out.send(Err(e)).await;
                        false
                    }
                }
            }
        })
        .await
    }

    /// [`Plan::export`] of records made from their row alone (`record`, the list's own).
    pub async fn export_each<E, C, T>(
        &self,
        db: &C,
        query: Select<E>,
        out: &crate::kit::ExportSender<T>,
        record: fn(E::Model) -> T,
    ) -> Result<(), DbErr>
    where
        E: EntityTrait,
        E::Model: ByPosition,
        C: sea_orm::StreamTrait,
    {
        self.export(db, query, out, |rows| {
            std::future::ready(Ok(rows.into_iter().map(record).collect()))
        })
        .await
    }

    /// The statements [`Plan::fetch`] runs for this list on this data, in order (it runs them).
    pub async fn statements<E, C>(&self, db: &C, query: Select<E>) -> Result<Vec<Statement>, DbErr>
    where
        E: EntityTrait,
        E::Model: ByPosition,
        C: ConnectionTrait,
    {
        let mut trace = Vec::new();
        self.run(db, query, Some(&mut trace)).await?;
        Ok(trace)
    }

    async fn run<E, C>(
        &self,
        db: &C,
        query: Select<E>,
        mut trace: Option<&mut Vec<Statement>>,
    ) -> Result<Vec<E::Model>, DbErr>
    where
        E: EntityTrait,
        E::Model: ByPosition,
        C: ConnectionTrait,
    {
        let backend = db.get_database_backend();
        let mut note = |s: &Statement| {
            if let Some(t) = trace.as_deref_mut() {
                t.push(s.clone());
            }
        };
        let search = match &self.search {
            Some(s) if backend == DbBackend::Postgres && self.default_order => s.clone(),
            _ => {
                let stmt = self.apply(query).build(backend);
                note(&stmt);
                return by_position::<E::Model, _>(db, stmt).await;
            }
        };

        // 0. A term selective by its shape (a long number) asks the search index first, for
        // that term alone; the page's statement repeats the whole search. More matches than
        // the cap (a misjudged term) go on as any other search, whose whole condition may
        // still match few enough.
        if let Some(selective) = &self.selective {
            let stmt = self.match_ids::<E>(selective.clone(), backend);
            note(&stmt);
            if let Some(ids) = ids_of(db, stmt, self.match_cap).await? {
                let Some(stmt) = self.page_of(query, &ids, backend) else {
                    return Ok(Vec::new());
                };
                note(&stmt);
                return by_position::<E::Model, _>(db, stmt).await;
            }
        }

        // 1. The probe.
        let probe = self.probe(query.clone(), search.clone(), backend);
        note(&probe);
        let mut hits = Vec::new();
        let mut read_to_end = true;
        for row in db.query_all_raw(probe).await? {
            if row.try_get::<i64>("", "_rn")? >= self.probe_rows as i64 {
                read_to_end = false;
            }
            if row.try_get::<bool>("", "_hit")? {
                hits.push(E::Model::read_at(&row, 0)?);
            }
        }
        if read_to_end || hits.len() as u64 > self.limit {
            return Ok(hits);
        }

        // 2. The ids of every match in the organization, from the search index alone.
        let stmt = self.match_ids::<E>(search, backend);
        note(&stmt);
        let ids = ids_of(db, stmt, self.match_cap).await?;

        // 3. The page: restricted to the ids, or the list's plain statement above the cap.
        let stmt = match ids {
            Some(ids) => self.page_of(query, &ids, backend),
            None => Some(self.apply(query).build(backend)),
        };
        let Some(stmt) = stmt else {
            return Ok(Vec::new());
        };
        note(&stmt);
        by_position::<E::Model, _>(db, stmt).await
    }

    /// The ids of the organization's records that `search` matches, up to one more than the
    /// cap, from the search index alone. The organization is compared as text so that no index
    /// serves it: a prepared statement's generic plan, which cannot see how many rows the
    /// organization holds, otherwise combines the search index with an `org_id` index and reads
    /// every entry the organization has (40 ms at a million contacts). Other conditions
    /// (deleted, type) are left to the page's statement, which repeats them all.
    fn match_ids<E: EntityTrait>(
        &self,
        search: sea_orm::sea_query::SimpleExpr,
        backend: DbBackend,
    ) -> Statement {
        E::find()
            .select_only()
            .column_as(Expr::cust("id"), "id")
            .filter(search)
            .filter(bind(
                backend,
                "CAST(org_id AS text) = ?",
                [DbValue::from(self.org_id.to_string())],
            ))
            .limit(self.match_cap + 1)
            .build(backend)
    }

    /// The list's own statement restricted to `ids`; `None` when there are none.
    fn page_of<E: EntityTrait>(
        &self,
        query: Select<E>,
        ids: &[Uuid],
        backend: DbBackend,
    ) -> Option<Statement> {
        (!ids.is_empty()).then(|| {
            self.apply(query)
                .filter(crate::id_set::id_in(backend, "id", ids))
                .build(backend)
        })
    }

    /// The probe: the list's first `probe_rows` rows, each with `_hit` (whether it
    /// matches the search), those that match returned in order, and the last row read when the
    /// list goes on past it.
    fn probe<E: EntityTrait>(
        &self,
        query: Select<E>,
        search: sea_orm::sea_query::SimpleExpr,
        backend: DbBackend,
    ) -> Statement {
        use sea_orm::QueryOrder;
        let mut inner = query.filter(self.condition.clone());
        for (expr, order, nulls) in &self.order {
            inner = match nulls {
                Some(n) => inner.order_by_with_nulls(expr.clone(), order.clone(), *n),
                None => inner.order_by(expr.clone(), order.clone()),
            };
        }
        // The sort keys as columns of their own, so the outer ORDER BY is the order the inner
        // statement already produces (no sort); the row number says which row came last.
        let mut window = Vec::new();
        let mut outer = Vec::new();
        for (i, k) in self.keys.iter().enumerate() {
            inner = inner.column_as(Expr::cust(k.expr.clone()), format!("_k{i}"));
            let (dir, nulls) = if k.desc {
                ("DESC", "NULLS LAST")
            } else {
                ("ASC", "NULLS FIRST")
            };
            let nulls = if k.nullable { nulls } else { "" };
            window.push(format!("{} {dir} {nulls}", k.expr));
            outer.push(format!("_p._k{i} {dir} {nulls}"));
        }
        let id_dir = if self.keys.last().is_some_and(|k| k.desc) {
            "DESC"
        } else {
            "ASC"
        };
        window.push(format!("id {id_dir}"));
        outer.push(format!("_p.id {id_dir}"));
        let inner = inner
            .column_as(search, "_hit")
            .column_as(
                Expr::cust(format!(
                    "row_number() OVER (ORDER BY {})",
                    window.join(", ")
                )),
                "_rn",
            )
            .limit(self.probe_rows)
            .build(backend);
        Statement {
            sql: format!(
                "SELECT * FROM ({}) AS _p WHERE _p._hit OR _p._rn = {} ORDER BY {} LIMIT {}",
                inner.sql,
                self.probe_rows,
                outer.join(", "),
                self.limit + 1
            ),
            ..inner
        }
    }
}

/// The ids [`Plan::match_ids`] selects; `None` when there are more than `cap`.
async fn ids_of<C: ConnectionTrait>(
    db: &C,
    stmt: Statement,
    cap: u64,
) -> Result<Option<Vec<Uuid>>, DbErr> {
    let ids: Vec<Uuid> = db
        .query_all_raw(stmt)
        .await?
        .iter()
        .map(|r| r.try_get::<Uuid>("", "id"))
        .collect::<Result<_, _>>()?;
    Ok((ids.len() as u64 <= cap).then_some(ids))
}

/// The models of `stmt`'s rows, read by position (the model's columns first).
async fn by_position<M: ByPosition, C: ConnectionTrait>(
    db: &C,
    stmt: Statement,
) -> Result<Vec<M>, DbErr> {
    db.query_all_raw(stmt)
        .await?
        .iter()
        .map(|row| Pos::<M>::from_query_result(row, "").map(|p| p.0))
        .collect()
}
