//! Job resolvers: the organization's background jobs, for admins (the same operations as
//! `/api/v1/jobs`).

use super::connection::{connection, page_request};
use super::error::{IntoGql, gql};
use super::query::{caller, parse_id};
use async_graphql::connection::Connection;
use async_graphql::{Context, ID, Object};
use crm_core::{Code, Error};
use crm_worker::{Job, JobFilter, JobState, ops};

/// Job queries.
#[derive(Default)]
pub struct JobsQuery;

#[Object]
impl JobsQuery {
    /// The organization's background jobs, newest first (admins only); `state: DEAD` shows
    /// those that failed for good, with their `lastError`.
    async fn jobs(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
        state: Option<JobState>,
        kind: Option<String>,
    ) -> async_graphql::Result<Connection<String, Job>> {
        let has_previous = after.is_some();
        let filter = JobFilter { state, kind };
        let page = ops::list_jobs(caller(ctx)?, &filter, &page_request(first, after))
            .await
            .gql()?;
        Ok(connection(page, has_previous))
    }

    /// One job of the organization (admins only); `null` when there is none with this id.
    async fn job(&self, ctx: &Context<'_>, id: ID) -> async_graphql::Result<Option<Job>> {
        let caller = caller(ctx)?;
        let Some(id) = parse_id(&id) else {
            return Ok(None);
        };
        match ops::get_job(caller, id).await.map_err(Error::from) {
            Ok(job) => Ok(Some(job)),
            Err(e) if e.code == Code::NotFound => Ok(None),
            Err(e) => Err(gql(e)),
        }
    }
}

/// Job mutations.
#[derive(Default)]
pub struct JobsMutation;

#[Object]
impl JobsMutation {
    /// Queues a dead job again, due at once, its attempts reset (admins only).
    async fn retry_job(&self, ctx: &Context<'_>, id: ID) -> async_graphql::Result<Job> {
        let caller = caller(ctx)?;
        let id = parse_id(&id).ok_or_else(|| gql(Error::not_found("Job")))?;
        ops::retry_job(caller, id).await.gql()
    }

    /// Discards a dead or queued job (admins only); always `true`.
    async fn discard_job(&self, ctx: &Context<'_>, id: ID) -> async_graphql::Result<bool> {
        let caller = caller(ctx)?;
        let id = parse_id(&id).ok_or_else(|| gql(Error::not_found("Job")))?;
        ops::discard_job(caller, id).await.gql()?;
        Ok(true)
    }
}
