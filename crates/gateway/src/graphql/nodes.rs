//! GraphQL nodes: the read models with their relations.

use super::connection::{connection, page_request};
use super::error::IntoGql;
use super::loaders::{
    CompanyContactsKey, CompanyContactsLoader, CompanyLoader, ContactActivitiesKey,
    ContactActivitiesLoader, UserLoader,
};
use async_graphql::connection::Connection;
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

    /// The company's newest contacts (`first` at most 100).
    async fn contacts(
        &self,
        ctx: &Context<'_>,
        #[graphql(default = 10)] first: i32,
    ) -> async_graphql::Result<Vec<ContactNode>> {
        let first = u64::try_from(first.clamp(1, 100)).unwrap_or(10);
        let key = CompanyContactsKey {
            company_id: self.inner.id,
            first,
        };
        let list = loader::<CompanyContactsLoader>(ctx)?
            .load_one(key)
            .await?
            .unwrap_or_default();
        Ok(list
            .into_iter()
            .map(|inner| ContactNode { inner })
            .collect())
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

    /// The contact's newest activities (`first` at most 100).
    async fn activities(
        &self,
        ctx: &Context<'_>,
        #[graphql(default = 5)] first: i32,
    ) -> async_graphql::Result<Vec<Activity>> {
        let first = u64::try_from(first.clamp(1, 100)).unwrap_or(5);
        let key = ContactActivitiesKey {
            contact_id: self.inner.id,
            first,
        };
        Ok(loader::<ContactActivitiesLoader>(ctx)?
            .load_one(key)
            .await?
            .unwrap_or_default())
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
