//! Many rows in one statement, for the set-based writes of imports and batches.
//!
//! On PostgreSQL the rows travel as one JSON array in one bound parameter and are unpacked by the
//! server: `INSERT INTO t (cols) SELECT cols FROM json_populate_recordset(NULL::t, $1::json)`.
//! The column types come from the table itself, the statement has one parameter whatever the
//! number of rows (a multi-row `VALUES` of 1,000 contacts binds 24,000 values, which the driver
//! encodes and the server parses one by one), and the server reads the array about as fast as
//! `COPY` reads text. Elsewhere (SQLite, which serialises writers and has no such function)
//! the rows go in multi-row `INSERT`s of at most [`SQLITE_VARIABLES`] values each.

use sea_orm::{
    ActiveModelTrait, ConnectionTrait, DbBackend, DbErr, EntityTrait, IntoActiveModel, Iterable,
    Statement,
};
use serde::Serialize;

/// The most values one SQLite statement binds (its `SQLITE_MAX_VARIABLE_NUMBER`, 32766 since
/// 3.32), with room to spare.
pub const SQLITE_VARIABLES: usize = 32_000;

/// Inserts `models` into their entity's table in one statement (see the module). Every column of
/// the entity is written from the model; a column the database computes (a generated column)
/// must not be in the entity.
pub async fn insert_models<E>(db: &impl ConnectionTrait, models: Vec<E::Model>) -> Result<(), DbErr>
where
    E: EntityTrait,
    E::Model: Serialize + IntoActiveModel<E::ActiveModel>,
    E::ActiveModel: ActiveModelTrait<Entity = E> + Send,
{
    if models.is_empty() {
        return Ok(());
    }
    if db.get_database_backend() == DbBackend::Postgres {
        let table = E::default().table_name().to_owned();
        let columns: Vec<String> = E::Column::iter()
            .map(|c| sea_orm::IdenStatic::as_str(&c).to_owned())
            .collect();
        let rows = serde_json::to_string(&models).map_err(|e| DbErr::Custom(e.to_string()))?;
        return insert_json_rows(db, &table, &columns, rows).await;
    }
    // SQLite binds every value: at most `SQLITE_MAX_VARIABLE_NUMBER` (32766) a statement, so
    // wide tables go in several statements (in the caller's transaction, so still all or none).
    let columns = E::Column::iter().count().max(1);
    let per_statement = (SQLITE_VARIABLES / columns).max(1);
    let mut rows = models.into_iter().map(IntoActiveModel::into_active_model);
    loop {
        let chunk: Vec<E::ActiveModel> = rows.by_ref().take(per_statement).collect();
        if chunk.is_empty() {
            return Ok(());
        }
        E::insert_many(chunk).exec_without_returning(db).await?;
    }
}

/// PostgreSQL only: inserts the rows of `rows_json` (a JSON array of objects keyed by column
/// name; a missing key is NULL) into `table`'s `columns` in one statement.
pub async fn insert_json_rows(
    db: &impl ConnectionTrait,
    table: &str,
    columns: &[impl AsRef<str>],
    rows_json: String,
) -> Result<(), DbErr> {
    let cols = columns
        .iter()
        .map(|c| format!("\"{}\"", c.as_ref()))
        .collect::<Vec<_>>()
        .join(", ");
    let sql = format!(
        "INSERT INTO \"{table}\" ({cols}) SELECT {cols} FROM \
         json_populate_recordset(NULL::\"{table}\", CAST($1 AS json))"
    );
    db.execute_raw(Statement::from_sql_and_values(
        DbBackend::Postgres,
        sql,
        [rows_json.into()],
    ))
    .await?;
    Ok(())
}
