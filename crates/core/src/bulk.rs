//! Many rows in one statement, for the set-based writes of imports and batches.
//!
//! On PostgreSQL the rows travel as one JSON array in one bound parameter and are unpacked by the
//! server: `INSERT INTO t (cols) SELECT cols FROM json_populate_recordset(NULL::t, $1::json)`.
//! The column types come from the table itself, the statement has one parameter whatever the
//! number of rows (a multi-row `VALUES` of 1,000 contacts binds 24,000 values, which the driver
//! encodes and the server parses one by one), and the server reads the array about as fast as
//! `COPY` reads text. Elsewhere (SQLite, which serialises writers and has no such function)
//! the rows go in one multi-row `INSERT`.

use sea_orm::{
    ActiveModelTrait, ConnectionTrait, DbBackend, DbErr, EntityTrait, IntoActiveModel, Iterable,
    Statement,
};
use serde::Serialize;

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
    let rows: Vec<E::ActiveModel> = models
        .into_iter()
        .map(IntoActiveModel::into_active_model)
        .collect();
    E::insert_many(rows).exec_without_returning(db).await?;
    Ok(())
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
