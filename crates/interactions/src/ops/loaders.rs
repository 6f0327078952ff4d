//! Batch reads for GraphQL DataLoaders.

use super::activities::to_dto;
use crate::dto::Activity;
use crate::error::Result;
use crate::model::activity;
use chrono::{DateTime, Utc};
use crm_core::{Action, Ctx, cursor};
use sea_orm::{ConnectionTrait, DbBackend, FromQueryResult, Statement};
use std::collections::HashMap;
use uuid::Uuid;

/// The newest `first` live activities of each contact (its timeline's activities), in one
/// statement.
///
/// With `after` (a cursor from [`contact_activity_cursor`]), the activities that follow it.
pub async fn activities_by_contact(
    ctx: &Ctx,
    contact_ids: &[Uuid],
    first: u64,
    after: Option<&str>,
) -> Result<HashMap<Uuid, Vec<Activity>>> {
    let after: Option<(DateTime<Utc>, Uuid)> = after.map(cursor::decode).transpose()?;
    ctx.require(Action::Read)?;
    if contact_ids.is_empty() {
        return Ok(HashMap::new());
    }
    let backend = ctx.db.get_database_backend();
    let mark = |i: usize| match backend {
        DbBackend::Postgres => format!("${i}"),
        _ => "?".to_owned(),
    };
    // Placeholders in the order they appear (SQLite's `?` are positional): the organization,
    // the contacts (one value), the keyset values, then the page size.
    let mut n = 2;
    let keyset = match after {
        Some(_) => {
            n += 3;
            format!(
                " AND (l.occurred_at < {a} OR (l.occurred_at = {a2} AND l.activity_id < {b}))",
                a = mark(n - 2),
                a2 = mark(n - 1),
                b = mark(n)
            )
        }
        None => String::new(),
    };
    let n = n + 1;
    // The model's columns only (not the stored search vector).
    let columns: Vec<String> = <activity::Column as sea_orm::Iterable>::iter()
        .map(|c| format!("a.{}", sea_orm::IdenStatic::as_str(&c)))
        .collect();
    let sql = format!(
        "SELECT x.record_id AS link_record_id, {} FROM (\
           SELECT l.record_id, l.activity_id, ROW_NUMBER() OVER (PARTITION BY l.record_id ORDER BY l.occurred_at DESC, l.activity_id DESC) AS rn \
           FROM activity_links l WHERE l.org_id = {} AND l.record_type = 'contact' AND l.deleted = false AND {}{keyset}\
         ) x JOIN activities a ON a.id = x.activity_id WHERE x.rn <= {} ORDER BY x.record_id, x.rn",
        columns.join(", "),
        mark(1),
        crm_core::id_set::id_in_sql(backend, "l.record_id", &mark(2)),
        mark(n),
    );
    let mut values: Vec<sea_orm::Value> = vec![ctx.org_id().into()];
    values.push(crm_core::id_set::id_set_value(backend, contact_ids));
    if let Some((at, id)) = after {
        values.push(at.into());
        values.push(at.into());
        values.push(id.into());
    }
    values.push(i64::try_from(first).unwrap_or(i64::MAX).into());
    let rows = ctx
        .reads
        .query_all_raw(Statement::from_sql_and_values(backend, sql, values))
        .await?;
    let mut out: HashMap<Uuid, Vec<Activity>> = HashMap::new();
    for row in rows {
        let contact: Uuid = row.try_get("", "link_record_id")?;
        let model = activity::Model::from_query_result(&row, "")?;
        out.entry(contact).or_default().push(to_dto(model));
    }
    Ok(out)
}

/// The cursor of an activity in a contact's activities (newest first).
pub fn contact_activity_cursor(a: &Activity) -> String {
    cursor::encode(&(a.occurred_at, a.id))
}
