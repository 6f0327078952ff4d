//! GraphQL nodes: the read models with their relations.

use super::connection::{connection, page_request};
use super::error::IntoGql;
use super::loaders::{
    CompanyContactsKey, CompanyContactsLoader, CompanyLoader, ContactActivitiesKey,
    ContactActivitiesLoader, UserLoader,
};
use async_graphql::connection::{Connection, Edge};
use async_graphql::dataloader::DataLoader;
use async_graphql::{ComplexObject, Context, SimpleObject};
use crm_core::Channel;
use crm_customers::{Company, Contact};
use crm_identity::User;
use crm_interactions::ops::{TimelineFilter, TimelineRecord};
use crm_interactions::{Activity, ActivityKind, TimelineEntry, TimelineEntryType};

fn loader<'a, T: Send + Sync + 'static>(
    ctx: &'a Context<'_>,
) -> async_graphql::Result<&'a DataLoader<T>> {
    ctx.data::<DataLoader<T>>()
}

/// A company (account), with its contacts and owner.
#[derive(SimpleObject)]
#[graphql(complex, name = "Company")]
pub struct CompanyNode {
    #[graphql(flatten)]
    /// The company's fields.
    pub inner: Company,
}

#[ComplexObject]
impl CompanyNode {
    /// The timeline: activities and field changes, newest first (`first` at most 100).
    async fn timeline(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
        kinds: Option<Vec<ActivityKind>>,
        channels: Option<Vec<Channel>>,
        types: Option<Vec<TimelineEntryType>>,
    ) -> async_graphql::Result<Connection<String, TimelineEntry>> {
        let caller = super::query::caller(ctx)?;
        let filter = TimelineFilter {
            kinds: kinds.unwrap_or_default(),
            channels: channels.unwrap_or_default(),
            types: types.unwrap_or_default(),
        };
        let has_previous = after.is_some();
        let page = crm_interactions::ops::timeline(
            caller,
            TimelineRecord::Company,
            self.inner.id,
            &filter,
            &page_request(first, after),
        )
        .await
        .gql()?;
        Ok(connection(page, has_previous))
    }

    /// The company's contacts, newest first (`first` at most 100). The first page of every
    /// company in a list loads in one statement; `after` continues one company's contacts.
    async fn contacts(
        &self,
        ctx: &Context<'_>,
        #[graphql(default = 10)] first: i32,
        after: Option<String>,
    ) -> async_graphql::Result<Connection<String, ContactNode>> {
        let first = u64::try_from(first.clamp(1, 100)).unwrap_or(10);
        if let Some(after) = after {
            let page = crm_customers::ops::company_contacts_after(
                super::query::caller(ctx)?,
                self.inner.id,
                first,
                &after,
            )
            .await
            .gql()?;
            return Ok(connection(page.map(|inner| ContactNode { inner }), true));
        }
        // One more than asked tells whether another page follows.
        let key = CompanyContactsKey {
            company_id: self.inner.id,
            first: first + 1,
        };
        let list = loader::<CompanyContactsLoader>(ctx)?
            .load_one(key)
            .await?
            .unwrap_or_default();
        let has_next = list.len() as u64 > first;
        let mut conn = Connection::new(false, has_next);
        for inner in list.into_iter().take(first as usize) {
            let cursor = crm_customers::ops::company_contact_cursor(&inner).gql()?;
            conn.edges.push(Edge::new(cursor, ContactNode { inner }));
        }
        Ok(conn)
    }

    /// The responsible user.
    async fn owner(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<User>> {
        match self.inner.owner_id {
            Some(id) => loader::<UserLoader>(ctx)?.load_one(id).await,
            None => Ok(None),
        }
    }
}

/// A contact (a person), with its company and owner.
#[derive(SimpleObject)]
#[graphql(complex, name = "Contact")]
pub struct ContactNode {
    #[graphql(flatten)]
    /// The contact's fields.
    pub inner: Contact,
}

#[ComplexObject]
impl ContactNode {
    /// The timeline: activities and field changes, newest first (`first` at most 100).
    async fn timeline(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
        kinds: Option<Vec<ActivityKind>>,
        channels: Option<Vec<Channel>>,
        types: Option<Vec<TimelineEntryType>>,
    ) -> async_graphql::Result<Connection<String, TimelineEntry>> {
        let caller = super::query::caller(ctx)?;
        let filter = TimelineFilter {
            kinds: kinds.unwrap_or_default(),
            channels: channels.unwrap_or_default(),
            types: types.unwrap_or_default(),
        };
        let has_previous = after.is_some();
        let page = crm_interactions::ops::timeline(
            caller,
            TimelineRecord::Contact,
            self.inner.id,
            &filter,
            &page_request(first, after),
        )
        .await
        .gql()?;
        Ok(connection(page, has_previous))
    }

    /// The contact's activities (those of its timeline), newest first (`first` at most 100).
    /// The first page of every contact in a list loads in one statement.
    async fn activities(
        &self,
        ctx: &Context<'_>,
        #[graphql(default = 5)] first: i32,
        after: Option<String>,
    ) -> async_graphql::Result<Connection<String, Activity>> {
        let first = u64::try_from(first.clamp(1, 100)).unwrap_or(5);
        let has_previous = after.is_some();
        // One more than asked tells whether another page follows.
        let key = ContactActivitiesKey {
            contact_id: self.inner.id,
            first: first + 1,
            after,
        };
        let list = loader::<ContactActivitiesLoader>(ctx)?
            .load_one(key)
            .await?
            .unwrap_or_default();
        let has_next = list.len() as u64 > first;
        let mut conn = Connection::new(has_previous, has_next);
        for a in list.into_iter().take(first as usize) {
            conn.edges.push(Edge::new(
                crm_interactions::ops::contact_activity_cursor(&a),
                a,
            ));
        }
        Ok(conn)
    }

    /// The company the contact works for.
    async fn company(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<CompanyNode>> {
        match self.inner.company_id {
            Some(id) => Ok(loader::<CompanyLoader>(ctx)?
                .load_one(id)
                .await?
                .map(|inner| CompanyNode { inner })),
            None => Ok(None),
        }
    }

    /// The responsible user.
    async fn owner(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<User>> {
        match self.inner.owner_id {
            Some(id) => loader::<UserLoader>(ctx)?.load_one(id).await,
            None => Ok(None),
        }
    }
}

/// A likely duplicate of a contact.
#[derive(SimpleObject)]
pub struct ContactDuplicate {
    /// The other contact.
    pub contact: ContactNode,
    /// Why: `email`, `phone`, `name_at_company`.
    pub reasons: Vec<String>,
}

/// A likely duplicate of a company.
#[derive(SimpleObject)]
pub struct CompanyDuplicate {
    /// The other company.
    pub company: CompanyNode,
    /// Why: `domain`, `name`.
    pub reasons: Vec<String>,
}
