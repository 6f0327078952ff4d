//! Rows decoded by position. SeaORM's derived models read every column by its name: one hash
//! lookup per cell, which for a page of 50 activities of 29 columns is 1,450 lookups per
//! request. A model declared with [`by_position!`] reads its columns in the order its entity
//! selects them (the model's field order), and can start at any column, so one row of a
//! `UNION ALL` can hold several models side by side.
//!
//! Cells are read through [`Cell`], which asks whether a cell is NULL before decoding it: SeaORM
//! reports a NULL `Option` cell as an error whose message it formats, then turns into `None`, an
//! allocation and a formatting for every empty field of every row.
//!
//! The order is checked: [`check_columns`] compares the declaration with the entity's columns,
//! and every read does so in debug builds, so a test run catches a field that moved.

use sea_orm::sqlx::{Row, ValueRef};
use sea_orm::{
    DbErr, EntityTrait, FromQueryResult, IdenStatic, Iterable, ModelTrait, QueryResult, TryGetable,
};

/// A value read from one cell of a row by position, with SeaORM's decoding.
pub trait Cell: Sized {
    /// Reads the cell at `index`.
    fn cell(row: &QueryResult, index: usize) -> Result<Self, DbErr>;
}

macro_rules! cells {
    ($($t:ty),+ $(,)?) => {$(
        impl Cell for $t {
            fn cell(row: &QueryResult, index: usize) -> Result<Self, DbErr> {
                Ok(<$t as TryGetable>::try_get_by_index(row, index)?)
            }
        }
    )+};
}

cells!(
    bool,
    i16,
    i32,
    i64,
    f64,
    String,
    uuid::Uuid,
    serde_json::Value,
    chrono::DateTime<chrono::Utc>,
    chrono::NaiveDate,
);

impl<T: Cell> Cell for Option<T> {
    fn cell(row: &QueryResult, index: usize) -> Result<Self, DbErr> {
        if is_null(row, index)? {
            Ok(None)
        } else {
            T::cell(row, index).map(Some)
        }
    }
}

/// Whether the cell at `index` is NULL.
fn is_null(row: &QueryResult, index: usize) -> Result<bool, DbErr> {
    let raw = |e: sea_orm::sqlx::Error| DbErr::Custom(format!("column {index}: {e}"));
    if let Some(r) = row.try_as_pg_row() {
        return r.try_get_raw(index).map(|v| v.is_null()).map_err(raw);
    }
    if let Some(r) = row.try_as_sqlite_row() {
        return r.try_get_raw(index).map(|v| v.is_null()).map_err(raw);
    }
    Err(DbErr::Custom(
        "rows by position need PostgreSQL or SQLite".into(),
    ))
}

/// A model read from a row by column position.
pub trait ByPosition: ModelTrait + Sized {
    /// Its fields in the order they are read: the entity's column names.
    const COLUMNS: &'static [&'static str];

    /// Reads the model from the row's columns `start .. start + COLUMNS.len()`.
    fn read_at(row: &QueryResult, start: usize) -> Result<Self, DbErr>;
}

/// A model read by position, as a query's result type:
/// `select.into_model::<Pos<contact::Model>>()`.
#[derive(Debug, Clone)]
pub struct Pos<M>(pub M);

impl<M: ByPosition> FromQueryResult for Pos<M> {
    fn from_query_result(row: &QueryResult, _pre: &str) -> Result<Self, DbErr> {
        M::read_at(row, 0).map(Pos)
    }
}

/// Whether `M`'s declared fields are its entity's columns in the entity's order (the order a
/// `find()` selects them in); an error names the first difference.
pub fn check_columns<M: ByPosition>() -> Result<(), DbErr> {
    let entity: Vec<&str> = <M::Entity as EntityTrait>::Column::iter()
        .map(|c| IdenStatic::as_str(&c))
        .collect();
    if entity.as_slice() == M::COLUMNS {
        return Ok(());
    }
    let at = entity
        .iter()
        .zip(M::COLUMNS)
        .position(|(a, b)| a != b)
        .unwrap_or(entity.len().min(M::COLUMNS.len()));
    Err(DbErr::Custom(format!(
        "by_position! for {} differs from its columns at position {at}: {:?} against {:?}",
        std::any::type_name::<M>(),
        entity.get(at),
        M::COLUMNS.get(at)
    )))
}

/// Declares a model's fields, in its entity's column order, for reading by position
/// ([`ByPosition`]). A field left out does not compile; one out of order fails
/// [`check_columns`] (and every decode in debug builds).
#[macro_export]
macro_rules! by_position {
    ($model:ty { $($field:ident),+ $(,)? }) => {
        impl $crate::row::ByPosition for $model {
            const COLUMNS: &'static [&'static str] = &[$(stringify!($field)),+];

            fn read_at(
                row: &$crate::__orm::QueryResult,
                start: usize,
            ) -> ::std::result::Result<Self, $crate::__orm::DbErr> {
                #[cfg(debug_assertions)]
                $crate::row::check_columns::<Self>()?;
                let mut at = start;
                let mut next = || {
                    at += 1;
                    at - 1
                };
                Ok(Self {
                    $($field: $crate::row::Cell::cell(row, next())?),+
                })
            }
        }
    };
}
