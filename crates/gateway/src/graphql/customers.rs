//! Customer queries and mutations: the same operations as REST.

use super::connection::{connection, page_request};
use super::error::{IntoGql, gql};
use super::filters::{Companies, Contacts, Filter, Order};
use super::inputs::{CompanyPatchInput, ContactPatchInput, list_params};
use super::nodes::{CompanyDuplicate, CompanyNode, ContactDuplicate, ContactNode};
use super::query::{caller, parse_id};
use async_graphql::connection::Connection;
use async_graphql::{Context, ID, Object};
use crm_core::audit::HistoryEntry;
use crm_core::{Code, Error};
use crm_customers::{
    ContactParse, CustomField, MergeInput, NewCompany, NewContact, NewCustomField,
    OwnerTransferInput, OwnerTransferResult, ParseContactInput, RecordType, ops,
};
use uuid::Uuid;

fn id_or_not_found(id: &ID, what: &str) -> async_graphql::Result<Uuid> {
    parse_id(id).ok_or_else(|| gql(Error::not_found(what)))
}

/// `null` for records that are absent, deleted, merged or not the caller's.
fn optional<T>(r: Result<T, crm_customers::CustomersError>) -> async_graphql::Result<Option<T>> {
    match r.map_err(Error::from) {
        Ok(v) => Ok(Some(v)),
        Err(e) if e.code == Code::NotFound => Ok(None),
        Err(e) => Err(gql(e)),
    }
}

/// Customer queries.
#[derive(Default)]
pub struct CustomersQuery;

#[Object]
impl CustomersQuery {
    /// Deleted contacts, for review and restore (managers and admins).
    async fn deleted_contacts(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
    ) -> async_graphql::Result<Connection<String, ContactNode>> {
        let has_previous = after.is_some();
        let page = ops::list_deleted_contacts(
            caller(ctx)?,
            &super::connection::page_request(first, after),
        )
        .await
        .gql()?;
        Ok(connection(
            page.map(|inner| ContactNode { inner }),
            has_previous,
        ))
    }

    /// Deleted companies, for review and restore (managers and admins).
    async fn deleted_companies(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
    ) -> async_graphql::Result<Connection<String, CompanyNode>> {
        let has_previous = after.is_some();
        let page = ops::list_deleted_companies(
            caller(ctx)?,
            &super::connection::page_request(first, after),
        )
        .await
        .gql()?;
        Ok(connection(
            page.map(|inner| CompanyNode { inner }),
            has_previous,
        ))
    }

    /// Contacts: typed filters (also through `company`), sort keys and search
    /// (`orderBy: [{field: UPDATED_AT, direction: DESC}]`).
    #[allow(clippy::too_many_arguments)]
    async fn contacts(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
        filter: Option<Filter<Contacts>>,
        order_by: Option<Vec<Order<Contacts>>>,
        q: Option<String>,
    ) -> async_graphql::Result<Connection<String, ContactNode>> {
        let has_previous = after.is_some();
        let params = list_params(first, after, filter, order_by, q);
        let page = ops::list_contacts(caller(ctx)?, &params).await.gql()?;
        Ok(connection(
            page.map(|inner| ContactNode { inner }),
            has_previous,
        ))
    }

    /// One contact; `null` when there is none with this id.
    async fn contact(
        &self,
        ctx: &Context<'_>,
        id: ID,
    ) -> async_graphql::Result<Option<ContactNode>> {
        let c = caller(ctx)?;
        let Some(id) = parse_id(&id) else {
            return Ok(None);
        };
        Ok(optional(ops::get_contact(c, id).await)?.map(|inner| ContactNode { inner }))
    }

    /// Companies: typed filters, sort keys and search.
    #[allow(clippy::too_many_arguments)]
    async fn companies(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
        filter: Option<Filter<Companies>>,
        order_by: Option<Vec<Order<Companies>>>,
        q: Option<String>,
    ) -> async_graphql::Result<Connection<String, CompanyNode>> {
        let has_previous = after.is_some();
        let params = list_params(first, after, filter, order_by, q);
        let page = ops::list_companies(caller(ctx)?, &params).await.gql()?;
        Ok(connection(
            page.map(|inner| CompanyNode { inner }),
            has_previous,
        ))
    }

    /// One company; `null` when there is none with this id.
    async fn company(
        &self,
        ctx: &Context<'_>,
        id: ID,
    ) -> async_graphql::Result<Option<CompanyNode>> {
        let c = caller(ctx)?;
        let Some(id) = parse_id(&id) else {
            return Ok(None);
        };
        Ok(optional(ops::get_company(c, id).await)?.map(|inner| CompanyNode { inner }))
    }

    /// The history of a contact, newest first.
    async fn contact_history(
        &self,
        ctx: &Context<'_>,
        id: ID,
        first: Option<i32>,
        after: Option<String>,
    ) -> async_graphql::Result<Connection<String, HistoryEntry>> {
        let c = caller(ctx)?;
        let has_previous = after.is_some();
        let page = ops::contact_history(
            c,
            id_or_not_found(&id, "Contact")?,
            &page_request(first, after),
        )
        .await
        .gql()?;
        Ok(connection(page, has_previous))
    }

    /// The history of a company, newest first.
    async fn company_history(
        &self,
        ctx: &Context<'_>,
        id: ID,
        first: Option<i32>,
        after: Option<String>,
    ) -> async_graphql::Result<Connection<String, HistoryEntry>> {
        let c = caller(ctx)?;
        let has_previous = after.is_some();
        let page = ops::company_history(
            c,
            id_or_not_found(&id, "Company")?,
            &page_request(first, after),
        )
        .await
        .gql()?;
        Ok(connection(page, has_previous))
    }

    /// Likely duplicates of a contact.
    async fn contact_duplicates(
        &self,
        ctx: &Context<'_>,
        id: ID,
    ) -> async_graphql::Result<Vec<ContactDuplicate>> {
        let c = caller(ctx)?;
        let list = ops::contact_duplicates(c, id_or_not_found(&id, "Contact")?)
            .await
            .gql()?;
        Ok(list
            .into_iter()
            .map(|d| ContactDuplicate {
                contact: ContactNode { inner: d.contact },
                reasons: d.reasons,
            })
            .collect())
    }

    /// Likely duplicates of a company.
    async fn company_duplicates(
        &self,
        ctx: &Context<'_>,
        id: ID,
    ) -> async_graphql::Result<Vec<CompanyDuplicate>> {
        let c = caller(ctx)?;
        let list = ops::company_duplicates(c, id_or_not_found(&id, "Company")?)
            .await
            .gql()?;
        Ok(list
            .into_iter()
            .map(|d| CompanyDuplicate {
                company: CompanyNode { inner: d.company },
                reasons: d.reasons,
            })
            .collect())
    }

    /// Structures a contact out of free text (an email signature, a business card's text or a
    /// vCard): a proposal with a confidence per field and the matching contact and company.
    /// Writes nothing; `createContactFromText` creates it.
    async fn parse_contact(
        &self,
        ctx: &Context<'_>,
        input: ParseContactInput,
    ) -> async_graphql::Result<ContactParse> {
        ops::parse_contact(caller(ctx)?, input).await.gql()
    }

    /// Custom field definitions, of one record type or all.
    async fn custom_fields(
        &self,
        ctx: &Context<'_>,
        record_type: Option<RecordType>,
    ) -> async_graphql::Result<Vec<CustomField>> {
        ops::list_custom_fields(caller(ctx)?, record_type)
            .await
            .gql()
    }
}

/// Customer mutations.
#[derive(Default)]
pub struct CustomersMutation;

#[Object]
impl CustomersMutation {
    /// Creates a contact.
    async fn create_contact(
        &self,
        ctx: &Context<'_>,
        input: NewContact,
    ) -> async_graphql::Result<ContactNode> {
        Ok(ContactNode {
            inner: ops::create_contact(caller(ctx)?, input).await.gql()?,
        })
    }

    /// Parses free text like `parseContact` and creates the proposed contact (linked to the
    /// matched company); the answer carries it in `created`.
    async fn create_contact_from_text(
        &self,
        ctx: &Context<'_>,
        input: ParseContactInput,
    ) -> async_graphql::Result<ContactParse> {
        ops::create_contact_from_text(caller(ctx)?, input)
            .await
            .gql()
    }

    /// Changes a contact; with `ifVersion`, a stale version fails (`precondition_failed`).
    async fn update_contact(
        &self,
        ctx: &Context<'_>,
        id: ID,
        input: ContactPatchInput,
        if_version: Option<i64>,
    ) -> async_graphql::Result<ContactNode> {
        let c = caller(ctx)?;
        Ok(ContactNode {
            inner: ops::update_contact(
                c,
                id_or_not_found(&id, "Contact")?,
                input.into(),
                if_version,
            )
            .await
            .gql()?,
        })
    }

    /// Deletes a contact (soft); always `true`.
    async fn delete_contact(
        &self,
        ctx: &Context<'_>,
        id: ID,
        if_version: Option<i64>,
    ) -> async_graphql::Result<bool> {
        let c = caller(ctx)?;
        ops::delete_contact(c, id_or_not_found(&id, "Contact")?, if_version)
            .await
            .gql()?;
        Ok(true)
    }

    /// Restores a deleted contact.
    async fn restore_contact(
        &self,
        ctx: &Context<'_>,
        id: ID,
    ) -> async_graphql::Result<ContactNode> {
        let c = caller(ctx)?;
        Ok(ContactNode {
            inner: ops::restore_contact(c, id_or_not_found(&id, "Contact")?)
                .await
                .gql()?,
        })
    }

    /// Merges another contact into this one.
    async fn merge_contacts(
        &self,
        ctx: &Context<'_>,
        id: ID,
        input: MergeInput,
    ) -> async_graphql::Result<ContactNode> {
        let c = caller(ctx)?;
        Ok(ContactNode {
            inner: ops::merge_contacts(c, id_or_not_found(&id, "Contact")?, input)
                .await
                .gql()?,
        })
    }

    /// Creates a company.
    async fn create_company(
        &self,
        ctx: &Context<'_>,
        input: NewCompany,
    ) -> async_graphql::Result<CompanyNode> {
        Ok(CompanyNode {
            inner: ops::create_company(caller(ctx)?, input).await.gql()?,
        })
    }

    /// Changes a company; with `ifVersion`, a stale version fails (`precondition_failed`).
    async fn update_company(
        &self,
        ctx: &Context<'_>,
        id: ID,
        input: CompanyPatchInput,
        if_version: Option<i64>,
    ) -> async_graphql::Result<CompanyNode> {
        let c = caller(ctx)?;
        Ok(CompanyNode {
            inner: ops::update_company(
                c,
                id_or_not_found(&id, "Company")?,
                input.into(),
                if_version,
            )
            .await
            .gql()?,
        })
    }

    /// Deletes a company (soft); always `true`.
    async fn delete_company(
        &self,
        ctx: &Context<'_>,
        id: ID,
        if_version: Option<i64>,
    ) -> async_graphql::Result<bool> {
        let c = caller(ctx)?;
        ops::delete_company(c, id_or_not_found(&id, "Company")?, if_version)
            .await
            .gql()?;
        Ok(true)
    }

    /// Restores a deleted company.
    async fn restore_company(
        &self,
        ctx: &Context<'_>,
        id: ID,
    ) -> async_graphql::Result<CompanyNode> {
        let c = caller(ctx)?;
        Ok(CompanyNode {
            inner: ops::restore_company(c, id_or_not_found(&id, "Company")?)
                .await
                .gql()?,
        })
    }

    /// Merges another company into this one; its contacts move over.
    async fn merge_companies(
        &self,
        ctx: &Context<'_>,
        id: ID,
        input: MergeInput,
    ) -> async_graphql::Result<CompanyNode> {
        let c = caller(ctx)?;
        Ok(CompanyNode {
            inner: ops::merge_companies(c, id_or_not_found(&id, "Company")?, input)
                .await
                .gql()?,
        })
    }

    /// Defines a custom field (admins only).
    async fn create_custom_field(
        &self,
        ctx: &Context<'_>,
        input: NewCustomField,
    ) -> async_graphql::Result<CustomField> {
        ops::create_custom_field(caller(ctx)?, input).await.gql()
    }

    /// Deletes a custom field and its values (admins only); always `true`.
    async fn delete_custom_field(&self, ctx: &Context<'_>, id: ID) -> async_graphql::Result<bool> {
        let c = caller(ctx)?;
        ops::delete_custom_field(c, id_or_not_found(&id, "Custom field")?)
            .await
            .gql()?;
        Ok(true)
    }

    /// Moves records from one owner to another (managers and admins).
    async fn transfer_owner(
        &self,
        ctx: &Context<'_>,
        input: OwnerTransferInput,
    ) -> async_graphql::Result<OwnerTransferResult> {
        ops::transfer_owner(caller(ctx)?, input).await.gql()
    }
}
