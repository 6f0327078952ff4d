//! The overview as the analytics refresh last computed it (`analytics_overview`): after a run
//! has written its figures, it computes the dashboard's stored (not live) sections over the
//! default period of its day, for companies and for contacts, reusing the reports it already
//! has, and keeps them. The overview with the default parameters answers from them while the
//! refresh is enabled, so it reads one row instead of running every report over every order.

use super::overview::{Known, Section, compute_section, prepared};
use crate::dto::{AnalysisParams, AnalysisSubject, OverviewSection};
use crate::error::Result;
use chrono::{DateTime, NaiveDate, Utc};
use crm_core::db::Params;
use crm_core::{Ctx, Error};
use sea_orm::{ConnectionTrait, Statement};

fn day(d: NaiveDate) -> String {
    d.format("%Y-%m-%d").to_string()
}

/// The stored sections of `subject` for the day `reference` and when their run began (with
/// `enabled_only`, only while the refresh is enabled).
async fn stored(
    ctx: &Ctx,
    subject: AnalysisSubject,
    reference: NaiveDate,
    enabled_only: bool,
) -> Result<Option<(Vec<OverviewSection>, DateTime<Utc>)>> {
    let backend = ctx.db.get_database_backend();
    let mut p = Params::new(backend);
    let sql = format!(
        "SELECT o.sections, o.computed_at FROM analytics_overview o \
         JOIN analytics_refresh r ON r.org_id = o.org_id \
         WHERE o.org_id = {} AND o.subject = {} AND o.reference_date = {}{}",
        p.push(ctx.org_id()),
        p.push(subject.as_str()),
        p.push(day(reference)),
        if enabled_only { " AND r.enabled" } else { "" },
    );
    let Some(row) = ctx
        .db
        .query_one_raw(Statement::from_sql_and_values(backend, sql, p.values))
        .await?
    else {
        return Ok(None);
    };
    let text: String = row.try_get("", "sections")?;
    let sections = serde_json::from_str(&text)
        .map_err(|e| Error::internal(format!("a stored overview does not read back: {e}")))?;
    Ok(Some((sections, row.try_get("", "computed_at")?)))
}

/// The stored sections of `subject` for the day `reference`, while the refresh is enabled
/// (empty otherwise: the overview then computes every section).
pub(crate) async fn load(
    ctx: &Ctx,
    subject: AnalysisSubject,
    reference: NaiveDate,
) -> Result<Vec<OverviewSection>> {
    Ok(stored(ctx, subject, reference, true)
        .await?
        .map(|(sections, _)| sections)
        .unwrap_or_default())
}

/// The parameters of the sections the refresh stores: the default period of `today`.
fn defaults(subject: AnalysisSubject, today: NaiveDate) -> Result<AnalysisParams> {
    let (p, _, _) = prepared(&AnalysisParams {
        subject: Some(subject),
        reference_date: Some(today),
        ..AnalysisParams::default()
    })?;
    Ok(p)
}

fn to_text(sections: &[OverviewSection]) -> Result<String> {
    serde_json::to_string(sections)
        .map_err(|e| Error::internal(format!("the overview does not serialize: {e}")).into())
}

/// Computes the stored sections of `subject` over the default period of `today` (the reports
/// in `known` are that period's) and keeps them, unless a run that began later has already
/// kept its own. `began` is when this run began to read.
pub(crate) async fn store(
    ctx: &Ctx,
    subject: AnalysisSubject,
    today: NaiveDate,
    began: DateTime<Utc>,
    known: Known<'_>,
    sections: &[Section],
) -> Result<()> {
    let p = defaults(subject, today)?;
    let mut kept = Vec::with_capacity(sections.len());
    for s in sections.iter().filter(|s| !s.live) {
        let mut section = compute_section(ctx, &p, s, &known).await?;
        // What the run read is at least as new as its beginning (the reports it reuses were
        // computed from then).
        section.computed_at = began;
        kept.push(section);
    }
    let text = to_text(&kept)?;
    let backend = ctx.db.get_database_backend();
    let mut v = Params::new(backend);
    let sql = format!(
        "INSERT INTO analytics_overview (org_id, subject, reference_date, sections, computed_at) \
         VALUES ({}, {}, {}, {}, {}) ON CONFLICT (org_id, subject) DO UPDATE SET \
         reference_date = excluded.reference_date, sections = excluded.sections, \
         computed_at = excluded.computed_at \
         WHERE analytics_overview.computed_at <= excluded.computed_at",
        v.push(ctx.org_id()),
        v.push(subject.as_str()),
        v.push(day(today)),
        v.push(text),
        v.push(began),
    );
    ctx.db
        .execute_raw(Statement::from_sql_and_values(backend, sql, v.values))
        .await?;
    Ok(())
}

/// Computes again the stored sections named `keys` of both subjects for the day `today` (after
/// a change only they read, such as a deal's for the funnel) and puts them in place of the
/// stored ones, unless a run stored newer sections meanwhile. `began` is when this look began.
pub(crate) async fn patch(
    ctx: &Ctx,
    today: NaiveDate,
    began: DateTime<Utc>,
    keys: &[&str],
    sections: &[Section],
) -> Result<()> {
    let backend = ctx.db.get_database_backend();
    for subject in [AnalysisSubject::Companies, AnalysisSubject::Contacts] {
        let Some((mut kept, stored_at)) = stored(ctx, subject, today, false).await? else {
            continue;
        };
        let params = defaults(subject, today)?;
        for s in sections.iter().filter(|s| keys.contains(&s.key)) {
            let mut fresh = compute_section(ctx, &params, s, &Known::default()).await?;
            fresh.computed_at = began;
            match kept.iter_mut().find(|k| k.key == s.key) {
                Some(k) => *k = fresh,
                None => kept.push(fresh),
            }
        }
        let text = to_text(&kept)?;
        let mut v = Params::new(backend);
        let sql = format!(
            "UPDATE analytics_overview SET sections = {} \
             WHERE org_id = {} AND subject = {} AND computed_at = {}",
            v.push(text),
            v.push(ctx.org_id()),
            v.push(subject.as_str()),
            v.push(stored_at),
        );
        ctx.db
            .execute_raw(Statement::from_sql_and_values(backend, sql, v.values))
            .await?;
    }
    Ok(())
}

/// Forgets the stored sections of the organization (a run that could not compute them): the
/// overview computes every section until a run stores them again.
pub(crate) async fn forget(ctx: &Ctx) -> Result<()> {
    let backend = ctx.db.get_database_backend();
    let mut p = Params::new(backend);
    let sql = format!(
        "DELETE FROM analytics_overview WHERE org_id = {}",
        p.push(ctx.org_id())
    );
    ctx.db
        .execute_raw(Statement::from_sql_and_values(backend, sql, p.values))
        .await?;
    Ok(())
}
