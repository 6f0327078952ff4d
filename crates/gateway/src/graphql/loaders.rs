//! DataLoaders, one per relation, made per request for the caller (so tenancy and roles apply):
//! a page of nodes resolves each relation in one statement, whatever the page size.

use super::error::gql;
use async_graphql::dataloader::{DataLoader, Loader};
use crm_core::Ctx;
use crm_customers::{Company, Contact};
use crm_identity::User;
use std::collections::HashMap;
use std::time::Duration;
use uuid::Uuid;

/// How long a loader waits to gather keys before it runs.
const DELAY: Duration = Duration::from_millis(2);

/// Companies by id.
pub struct CompanyLoader(pub Ctx);
/// Users by id.
pub struct UserLoader(pub Ctx);
/// The newest contacts of companies.
pub struct CompanyContactsLoader(pub Ctx);

/// The newest activities of contacts.
pub struct ContactActivitiesLoader(pub Ctx);

/// A contact, how many of its activities to load, and after which cursor.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ContactActivitiesKey {
    /// The contact.
    pub contact_id: Uuid,
    /// How many activities.
    pub first: u64,
    /// Only those after this cursor.
    pub after: Option<String>,
}

impl Loader<ContactActivitiesKey> for ContactActivitiesLoader {
    type Value = Vec<crm_interactions::Activity>;
    type Error = async_graphql::Error;

    async fn load(
        &self,
        keys: &[ContactActivitiesKey],
    ) -> Result<HashMap<ContactActivitiesKey, Self::Value>, Self::Error> {
        // One statement per distinct page shape: every first page of a list shares one.
        let mut by_page: HashMap<(u64, Option<String>), Vec<Uuid>> = HashMap::new();
        for k in keys {
            by_page
                .entry((k.first, k.after.clone()))
                .or_default()
                .push(k.contact_id);
        }
        let mut out = HashMap::new();
        for ((first, after), ids) in by_page {
            let found = crm_interactions::ops::activities_by_contact(
                &self.0,
                &ids,
                first,
                after.as_deref(),
            )
            .await
            .map_err(gql)?;
            for id in ids {
                let list = found.get(&id).cloned().unwrap_or_default();
                out.insert(
                    ContactActivitiesKey {
                        contact_id: id,
                        first,
                        after: after.clone(),
                    },
                    list,
                );
            }
        }
        Ok(out)
    }
}

/// A company and how many of its contacts to load.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct CompanyContactsKey {
    /// The company.
    pub company_id: Uuid,
    /// How many contacts.
    pub first: u64,
}

impl Loader<Uuid> for CompanyLoader {
    type Value = Company;
    type Error = async_graphql::Error;

    async fn load(&self, keys: &[Uuid]) -> Result<HashMap<Uuid, Company>, Self::Error> {
        crm_customers::ops::companies_by_ids(&self.0, keys)
            .await
            .map_err(gql)
    }
}

impl Loader<Uuid> for UserLoader {
    type Value = User;
    type Error = async_graphql::Error;

    async fn load(&self, keys: &[Uuid]) -> Result<HashMap<Uuid, User>, Self::Error> {
        crm_identity::ops::users_by_ids(&self.0, keys)
            .await
            .map_err(gql)
    }
}

impl Loader<CompanyContactsKey> for CompanyContactsLoader {
    type Value = Vec<Contact>;
    type Error = async_graphql::Error;

    async fn load(
        &self,
        keys: &[CompanyContactsKey],
    ) -> Result<HashMap<CompanyContactsKey, Vec<Contact>>, Self::Error> {
        let mut by_first: HashMap<u64, Vec<Uuid>> = HashMap::new();
        for k in keys {
            by_first.entry(k.first).or_default().push(k.company_id);
        }
        let mut out = HashMap::new();
        for (first, ids) in by_first {
            let found = crm_customers::ops::contacts_by_company(&self.0, &ids, first)
                .await
                .map_err(gql)?;
            for id in ids {
                let list = found.get(&id).cloned().unwrap_or_default();
                out.insert(
                    CompanyContactsKey {
                        company_id: id,
                        first,
                    },
                    list,
                );
            }
        }
        Ok(out)
    }
}

/// Adds a fresh set of loaders for `ctx` to a GraphQL request.
pub fn attach(request: async_graphql::Request, ctx: &Ctx) -> async_graphql::Request {
    request
        .data(DataLoader::new(CompanyLoader(ctx.clone()), tokio::spawn).delay(DELAY))
        .data(DataLoader::new(UserLoader(ctx.clone()), tokio::spawn).delay(DELAY))
        .data(DataLoader::new(CompanyContactsLoader(ctx.clone()), tokio::spawn).delay(DELAY))
        .data(DataLoader::new(ContactActivitiesLoader(ctx.clone()), tokio::spawn).delay(DELAY))
}
