//! Companies and contacts in the resource kit: their standard operations, as the gateway
//! serves them.

use crate::dto::{
    Company, CompanyPatch, Contact, ContactPatch, NewCompany, NewContact, RecordType,
};
use crate::ops;
use crm_core::audit::HistoryEntry;
use crm_core::batch::BatchWrite;
use crm_core::kit::{
    Create, Delete, ExportSender, History, ListDeleted, Records, Update, Upsert, export_streamed,
};
use crm_core::list::{ListParams, Resource};
use crm_core::{Ctx, Page, PageRequest, Result};
use sea_orm::DatabaseTransaction;
use uuid::Uuid;

/// Contacts (people).
pub struct Contacts;
/// Companies (accounts).
pub struct Companies;

/// Contacts and companies show `analytics`, which the analytics refresh writes without a new
/// version: their `ETag` carries when it was computed too.
macro_rules! versioned_with_analytics {
    ($($t:ty),+) => {$(
        impl crm_core::kit::Versioned for $t {
            fn id(&self) -> Uuid {
                self.id
            }
            fn version(&self) -> i64 {
                self.version
            }
            fn etag(&self) -> String {
                match self.analytics.computed_at {
                    Some(at) => format!("\"{}.{}\"", self.version, at.timestamp_millis()),
                    None => format!("\"{}\"", self.version),
                }
            }
        }
    )+};
}
versioned_with_analytics!(Contact, Company);
crm_core::sort_keys!(
    Contact {
        created_at,
        updated_at,
        last_name,
        first_name,
        email
    },
    custom;
    analytics {
        abc_class,
        xyz_class,
        rfm_score,
        rfm_segment,
        clv,
        p_alive,
        churn_risk
    }
);
crm_core::sort_keys!(
    Company {
        created_at,
        updated_at,
        name
    },
    custom;
    analytics {
        abc_class,
        xyz_class,
        rfm_score,
        rfm_segment,
        clv,
        p_alive,
        churn_risk
    }
);

impl Records for Contacts {
    const RESOURCE: &'static Resource = &ops::CONTACT_FIELDS;
    const PATH: &'static str = "contacts";
    const ONE: &'static str = "Contact";
    const MANY: &'static str = "Contacts";
    const TAG: &'static str = "contacts";
    const LIST_NOTE: &'static str = "Custom fields filter and sort as `custom.<key>`. `q` searches names, emails, phones \
         and company names.";
    const GET_NOTE: &'static str = "A merged contact answers 404 with `merged_into`.";
    type Record = Contact;

    async fn list(ctx: &Ctx, params: &ListParams) -> Result<Page<Contact>> {
        Ok(ops::list_contacts(ctx, params).await?)
    }
    async fn export(ctx: Ctx, params: ListParams, out: ExportSender<Contact>) {
        export_streamed::<Self, _, _>(ctx, params, out, |ctx, params, out| async move {
            Ok(ops::export_contacts(&ctx, &params, &out).await?)
        })
        .await
    }
    async fn get(ctx: &Ctx, id: Uuid) -> Result<Contact> {
        Ok(ops::get_contact(ctx, id).await?)
    }
    async fn custom_field_keys(ctx: &Ctx) -> Result<Vec<String>> {
        Ok(ops::custom_field_keys(ctx, RecordType::Contact).await?)
    }
    async fn custom_field_types(ctx: &Ctx) -> Result<Vec<(String, &'static str)>> {
        Ok(ops::custom_field_types(ctx, RecordType::Contact).await?)
    }
}

impl Create for Contacts {
    type New = NewContact;
    async fn create(ctx: &Ctx, input: NewContact) -> Result<Contact> {
        Ok(ops::create_contact(ctx, input).await?)
    }
}

impl Update for Contacts {
    type Patch = ContactPatch;
    async fn update(ctx: &Ctx, id: Uuid, patch: ContactPatch, v: Option<i64>) -> Result<Contact> {
        Ok(ops::update_contact(ctx, id, patch, v).await?)
    }
}

impl Delete for Contacts {
    async fn delete(ctx: &Ctx, id: Uuid, v: Option<i64>) -> Result<()> {
        Ok(ops::delete_contact(ctx, id, v).await?)
    }
    async fn restore(ctx: &Ctx, id: Uuid) -> Result<Contact> {
        Ok(ops::restore_contact(ctx, id).await?)
    }
}

impl ListDeleted for Contacts {
    async fn deleted(ctx: &Ctx, page: &PageRequest) -> Result<Page<Contact>> {
        Ok(ops::list_deleted_contacts(ctx, page).await?)
    }
}

impl History for Contacts {
    async fn history(ctx: &Ctx, id: Uuid, page: &PageRequest) -> Result<Page<HistoryEntry>> {
        Ok(ops::contact_history(ctx, id, page).await?)
    }
}

impl Records for Companies {
    const RESOURCE: &'static Resource = &ops::COMPANY_FIELDS;
    const PATH: &'static str = "companies";
    const ONE: &'static str = "Company";
    const MANY: &'static str = "Companies";
    const TAG: &'static str = "companies";
    const LIST_NOTE: &'static str = "Custom fields filter and sort as `custom.<key>`. `q` searches names, domains and \
         addresses.";
    const GET_NOTE: &'static str = "A merged company answers 404 with `merged_into`.";
    type Record = Company;

    async fn list(ctx: &Ctx, params: &ListParams) -> Result<Page<Company>> {
        Ok(ops::list_companies(ctx, params).await?)
    }
    async fn export(ctx: Ctx, params: ListParams, out: ExportSender<Company>) {
        export_streamed::<Self, _, _>(ctx, params, out, |ctx, params, out| async move {
            Ok(ops::export_companies(&ctx, &params, &out).await?)
        })
        .await
    }
    async fn get(ctx: &Ctx, id: Uuid) -> Result<Company> {
        Ok(ops::get_company(ctx, id).await?)
    }
    async fn custom_field_keys(ctx: &Ctx) -> Result<Vec<String>> {
        Ok(ops::custom_field_keys(ctx, RecordType::Company).await?)
    }
    async fn custom_field_types(ctx: &Ctx) -> Result<Vec<(String, &'static str)>> {
        Ok(ops::custom_field_types(ctx, RecordType::Company).await?)
    }
}

impl Create for Companies {
    type New = NewCompany;
    async fn create(ctx: &Ctx, input: NewCompany) -> Result<Company> {
        Ok(ops::create_company(ctx, input).await?)
    }
}

impl Update for Companies {
    type Patch = CompanyPatch;
    async fn update(ctx: &Ctx, id: Uuid, patch: CompanyPatch, v: Option<i64>) -> Result<Company> {
        Ok(ops::update_company(ctx, id, patch, v).await?)
    }
}

impl Delete for Companies {
    async fn delete(ctx: &Ctx, id: Uuid, v: Option<i64>) -> Result<()> {
        Ok(ops::delete_company(ctx, id, v).await?)
    }
    async fn restore(ctx: &Ctx, id: Uuid) -> Result<Company> {
        Ok(ops::restore_company(ctx, id).await?)
    }
}

impl ListDeleted for Companies {
    async fn deleted(ctx: &Ctx, page: &PageRequest) -> Result<Page<Company>> {
        Ok(ops::list_deleted_companies(ctx, page).await?)
    }
}

impl History for Companies {
    async fn history(ctx: &Ctx, id: Uuid, page: &PageRequest) -> Result<Page<HistoryEntry>> {
        Ok(ops::company_history(ctx, id, page).await?)
    }
}

impl Upsert for Contacts {
    const UPSERT_NOTE: &'static str = "A replace clears what the body leaves out, except the \
         owner, consent, tags and custom values; a merged contact's id goes to the survivor.";
    async fn upsert(
        ctx: &Ctx,
        source: &str,
        external_id: &str,
        input: NewContact,
    ) -> Result<(Contact, bool)> {
        Ok(ops::upsert_contact(ctx, source, external_id, input).await?)
    }
}

impl Upsert for Companies {
    const UPSERT_NOTE: &'static str = "A replace clears what the body leaves out, except the \
         owner; a merged company's id goes to the survivor.";
    async fn upsert(
        ctx: &Ctx,
        source: &str,
        external_id: &str,
        input: NewCompany,
    ) -> Result<(Company, bool)> {
        Ok(ops::upsert_company(ctx, source, external_id, input).await?)
    }
}

impl BatchWrite for Contacts {
    type Change = ContactPatch;
    const UPDATE: bool = true;
    const UPSERT: bool = true;
    async fn create_in(tx: &DatabaseTransaction, ctx: &Ctx, input: NewContact) -> Result<Contact> {
        Ok(ops::create_contact_in(tx, ctx, input).await?)
    }
    async fn create_many_in(
        tx: &DatabaseTransaction,
        ctx: &Ctx,
        inputs: Vec<NewContact>,
    ) -> Result<Vec<Result<Contact>>> {
        Ok(ops::create_contacts_in(tx, ctx, inputs)
            .await?
            .into_iter()
            .map(|r| r.map_err(Into::into))
            .collect())
    }
    async fn update_in(
        tx: &DatabaseTransaction,
        ctx: &Ctx,
        id: Uuid,
        patch: ContactPatch,
        v: Option<i64>,
    ) -> Result<Contact> {
        Ok(ops::update_contact_in(tx, ctx, id, patch, v).await?)
    }
    async fn upsert_in(
        tx: &DatabaseTransaction,
        ctx: &Ctx,
        source: &str,
        external_id: &str,
        input: NewContact,
    ) -> Result<(Contact, bool)> {
        Ok(ops::upsert_contact_in(tx, ctx, source, external_id, input).await?)
    }
}

impl BatchWrite for Companies {
    type Change = CompanyPatch;
    const UPDATE: bool = true;
    const UPSERT: bool = true;
    async fn create_in(tx: &DatabaseTransaction, ctx: &Ctx, input: NewCompany) -> Result<Company> {
        Ok(ops::create_company_in(tx, ctx, input).await?)
    }
    async fn update_in(
        tx: &DatabaseTransaction,
        ctx: &Ctx,
        id: Uuid,
        patch: CompanyPatch,
        v: Option<i64>,
    ) -> Result<Company> {
        Ok(ops::update_company_in(tx, ctx, id, patch, v).await?)
    }
    async fn upsert_in(
        tx: &DatabaseTransaction,
        ctx: &Ctx,
        source: &str,
        external_id: &str,
        input: NewCompany,
    ) -> Result<(Company, bool)> {
        Ok(ops::upsert_company_in(tx, ctx, source, external_id, input).await?)
    }
}
