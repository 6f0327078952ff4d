//! Batch writes over GraphQL: `create<Many>(inputs:, atomic:)`, `update<Many>(inputs:,
//! atomic:)` and `upsert<Many>(inputs:, atomic:)`, one mutation per operation so that generated
//! clients get plain typed inputs (GraphQL has no input unions). Each runs
//! [`crm_core::batch::run`], the same as `POST /api/v1/{path}/batch`: 1 to 100 inputs, each
//! through the single write's rules; per-item results in request order. With `atomic: true`,
//! one failing item writes nothing and the mutation fails with the first failing item's code,
//! `extensions.failed` listing every failing item and `extensions.errors` their fields as
//! `/inputs/{index}/...`.

use super::error::gql;
use super::interactions::ActivityPatchInput;
use super::nodes::{CompanyNode, ContactNode};
use super::query::{caller, parse_id};
use super::sales::DealPatchInput;
use crate::graphql::inputs::{CompanyPatchInput, ContactPatchInput};
use async_graphql::{
    Context, ErrorExtensions, ID, InputObject, InputType, Object, OutputType, SimpleObject,
};
use crm_core::batch::{self, BatchOp, BatchOutcome, BatchWrite, Items};
use crm_core::kit::Versioned;
use crm_core::{Error, FieldError};
use crm_customers::kit::{Companies, Contacts};
use crm_customers::{NewCompany, NewContact};
use crm_interactions::kit::Activities;
use crm_interactions::{Activity, NewActivity};
use crm_sales::kit::{Deals, Leads, Orders, Products};
use crm_sales::{Deal, Lead, NewDeal, NewLead, NewOrder, NewProduct, Product, SalesDocument};

/// One broken rule of a field of a batch item.
#[derive(SimpleObject)]
pub struct BatchFieldError {
    /// JSON pointer into the input (`/email`, `/input/email` in an update or upsert item).
    pub pointer: String,
    /// The rule that failed, such as `email` or `required`.
    pub code: String,
    /// Human-readable explanation.
    pub message: String,
}

impl From<&FieldError> for BatchFieldError {
    fn from(f: &FieldError) -> Self {
        Self {
            pointer: f.pointer.clone(),
            code: f.code.clone(),
            message: f.message.clone(),
        }
    }
}

/// Why one batch item failed: the error the single write would have given.
#[derive(SimpleObject)]
pub struct BatchItemError {
    /// The stable error code (`validation_failed`, `not_found`, `precondition_failed`, ...).
    pub code: String,
    /// The HTTP status REST answers with for this code.
    pub status: i32,
    /// Explanation.
    pub message: String,
    /// Every broken field, for `validation_failed`.
    pub errors: Vec<BatchFieldError>,
}

impl From<&Error> for BatchItemError {
    fn from(e: &Error) -> Self {
        if e.code == crm_core::Code::Internal {
            tracing::error!(error = %e, cause = ?e.source, "internal error in a batch item");
        }
        Self {
            code: e.code.as_str().to_owned(),
            status: i32::from(e.code.status()),
            message: e.detail.clone(),
            errors: e.fields.iter().map(BatchFieldError::from).collect(),
        }
    }
}

/// The outcome of one batch item.
#[derive(SimpleObject)]
#[graphql(concrete(name = "ContactBatchItem", params(ContactNode)))]
#[graphql(concrete(name = "CompanyBatchItem", params(CompanyNode)))]
#[graphql(concrete(name = "ActivityBatchItem", params(Activity)))]
#[graphql(concrete(name = "LeadBatchItem", params(Lead)))]
#[graphql(concrete(name = "DealBatchItem", params(Deal)))]
#[graphql(concrete(name = "ProductBatchItem", params(Product)))]
#[graphql(concrete(name = "OrderBatchItem", params(SalesDocument)))]
pub struct BatchItem<T: OutputType> {
    /// The item's position in `inputs`, from 0.
    pub index: i32,
    /// The HTTP status the single write would have answered with (201 created, 200 changed).
    pub status: i32,
    /// The record's id, when written.
    pub id: Option<ID>,
    /// The record, when written.
    pub record: Option<T>,
    /// Why it failed.
    pub error: Option<BatchItemError>,
}

// Concrete item types, for the results' concrete names.
type ContactItem = BatchItem<ContactNode>;
type CompanyItem = BatchItem<CompanyNode>;
type ActivityItem = BatchItem<Activity>;
type LeadItem = BatchItem<Lead>;
type DealItem = BatchItem<Deal>;
type ProductItem = BatchItem<Product>;
type OrderItem = BatchItem<SalesDocument>;

/// Every item's outcome, in request order.
#[derive(SimpleObject)]
#[graphql(concrete(name = "ContactBatchResult", params(ContactItem)))]
#[graphql(concrete(name = "CompanyBatchResult", params(CompanyItem)))]
#[graphql(concrete(name = "ActivityBatchResult", params(ActivityItem)))]
#[graphql(concrete(name = "LeadBatchResult", params(LeadItem)))]
#[graphql(concrete(name = "DealBatchResult", params(DealItem)))]
#[graphql(concrete(name = "ProductBatchResult", params(ProductItem)))]
#[graphql(concrete(name = "OrderBatchResult", params(OrderItem)))]
pub struct BatchResult<I: OutputType> {
    /// Whether the batch was all or nothing.
    pub atomic: bool,
    /// Whether the items that succeeded were written (always, when the mutation answers).
    pub committed: bool,
    /// Every item's outcome.
    pub results: Vec<I>,
}

/// The answer of a batch mutation whose records are `T`.
type Answer<T> = async_graphql::Result<BatchResult<BatchItem<T>>>;

/// One update of a batch: the record, the version it is based on, the change.
#[derive(InputObject)]
#[graphql(concrete(name = "ContactUpdateItem", params(ContactPatchInput)))]
#[graphql(concrete(name = "CompanyUpdateItem", params(CompanyPatchInput)))]
#[graphql(concrete(name = "ActivityUpdateItem", params(ActivityPatchInput)))]
#[graphql(concrete(name = "DealUpdateItem", params(DealPatchInput)))]
#[graphql(concrete(name = "ProductUpdateItem", params(NewProduct)))]
pub struct UpdateItem<P: InputType> {
    /// The record.
    pub id: ID,
    /// With it, a record at another version fails this item (`precondition_failed`).
    pub version: Option<i64>,
    /// The change, as the single update takes it.
    pub input: P,
}

/// One upsert of a batch: the record another system knows by `source` and `externalId`.
#[derive(InputObject)]
#[graphql(concrete(name = "ContactUpsertItem", params(NewContact)))]
#[graphql(concrete(name = "CompanyUpsertItem", params(NewCompany)))]
#[graphql(concrete(name = "ProductUpsertItem", params(NewProduct)))]
#[graphql(concrete(name = "OrderUpsertItem", params(NewOrder)))]
#[graphql(concrete(name = "ActivityUpsertItem", params(NewActivity)))]
#[graphql(concrete(name = "LeadUpsertItem", params(NewLead)))]
#[graphql(concrete(name = "DealUpsertItem", params(NewDeal)))]
pub struct UpsertItem<N: InputType> {
    /// The source system, such as `sap`.
    pub source: String,
    /// The id in that system.
    pub external_id: String,
    /// The record, as the single create takes it.
    pub input: N,
}

fn creates<R: BatchWrite>(inputs: Vec<R::New>) -> Items<R> {
    inputs.into_iter().map(|n| Ok(BatchOp::Create(n))).collect()
}

fn updates<R: BatchWrite, P: InputType + Into<R::Change>>(inputs: Vec<UpdateItem<P>>) -> Items<R> {
    inputs
        .into_iter()
        .map(|u| {
            let id = parse_id(&u.id).ok_or_else(|| Error::not_found(R::ONE))?;
            Ok(BatchOp::Update {
                id,
                version: u.version,
                change: u.input.into(),
            })
        })
        .collect()
}

fn upserts<R: BatchWrite>(inputs: Vec<UpsertItem<R::New>>) -> Items<R>
where
    R::New: InputType,
{
    inputs
        .into_iter()
        .map(|u| {
            batch::check_external(&u.source, &u.external_id)?;
            Ok(BatchOp::Upsert {
                source: u.source,
                external_id: u.external_id,
                input: u.input,
            })
        })
        .collect()
}

/// Runs a batch of `R` and shapes its answer; `wrap` turns a record into its GraphQL type.
async fn run<R: BatchWrite, T: OutputType>(
    ctx: &Context<'_>,
    ops: Items<R>,
    atomic: bool,
    wrap: fn(R::Record) -> T,
) -> Answer<T>
where
    BatchItem<T>: OutputType,
{
    let caller = caller(ctx)?;
    if let Err(mut e) = batch::check_count(ops.len()) {
        for f in &mut e.fields {
            f.pointer = "/inputs".to_owned();
        }
        return Err(gql(e));
    }
    let outcome: BatchOutcome<R::Record> = batch::run::<R>(caller, ops, atomic, |op| match op {
        BatchOp::Create(_) => "",
        BatchOp::Update { .. } | BatchOp::Upsert { .. } => "/input",
    })
    .await
    .map_err(gql)?;
    if !outcome.committed {
        return Err(atomic_failure(&outcome));
    }
    let results = outcome
        .items
        .into_iter()
        .map(|item| {
            let status = i32::from(item.status());
            match item.result {
                Ok(w) => BatchItem {
                    index: i32::try_from(item.index).unwrap_or(i32::MAX),
                    status,
                    id: Some(ID(w.record.id().to_string())),
                    record: Some(wrap(w.record)),
                    error: None,
                },
                Err(e) => BatchItem {
                    index: i32::try_from(item.index).unwrap_or(i32::MAX),
                    status,
                    id: None,
                    record: None,
                    error: Some(BatchItemError::from(&e)),
                },
            }
        })
        .collect();
    Ok(BatchResult {
        atomic: outcome.atomic,
        committed: outcome.committed,
        results,
    })
}

/// The error of an atomic batch with failed items: the first one's code, every one listed.
fn atomic_failure<R>(outcome: &BatchOutcome<R>) -> async_graphql::Error {
    let failed: Vec<_> = outcome.failed().collect();
    let mut fields = Vec::new();
    let mut listed = Vec::new();
    let mut code = crm_core::Code::Internal;
    for (n, f) in failed.iter().enumerate() {
        if let Err(e) = &f.result {
            if n == 0 {
                code = e.code;
            }
            fields.extend(e.fields.iter().map(|fe| {
                FieldError::new(
                    format!("/inputs/{}{}", f.index, fe.pointer),
                    fe.code.clone(),
                    fe.message.clone(),
                )
            }));
            listed.push(serde_json::json!({
                "index": f.index,
                "status": e.code.status(),
                "code": e.code.as_str(),
                "message": e.detail,
                "errors": e.fields,
            }));
        }
    }
    let indexes: Vec<String> = failed.iter().map(|f| f.index.to_string()).collect();
    let mut err = Error::new(
        code,
        format!(
            "Nothing was written: item{} {} failed",
            if failed.len() == 1 { "" } else { "s" },
            indexes.join(", ")
        ),
    );
    err.fields = fields;
    let failed_value = async_graphql::Value::from_json(serde_json::Value::Array(listed))
        .unwrap_or(async_graphql::Value::Null);
    gql(err).extend_with(|_, ext| ext.set("failed", failed_value.clone()))
}

fn contact(inner: crm_customers::Contact) -> ContactNode {
    ContactNode { inner }
}

fn company(inner: crm_customers::Company) -> CompanyNode {
    CompanyNode { inner }
}

fn same<T>(t: T) -> T {
    t
}

/// Batch mutations of the seven main resources.
#[derive(Default)]
pub struct BatchMutation;

#[Object]
impl BatchMutation {
    /// Creates 1 to 100 contacts, each as `createContact` would; with `atomic`, all or nothing.
    async fn create_contacts(
        &self,
        ctx: &Context<'_>,
        inputs: Vec<NewContact>,
        #[graphql(default)] atomic: bool,
    ) -> Answer<ContactNode> {
        run::<Contacts, _>(ctx, creates::<Contacts>(inputs), atomic, contact).await
    }

    /// Changes 1 to 100 contacts, each as `updateContact` would; with `atomic`, all or nothing.
    async fn update_contacts(
        &self,
        ctx: &Context<'_>,
        inputs: Vec<UpdateItem<ContactPatchInput>>,
        #[graphql(default)] atomic: bool,
    ) -> Answer<ContactNode> {
        run::<Contacts, _>(ctx, updates::<Contacts, _>(inputs), atomic, contact).await
    }

    /// Creates or replaces 1 to 100 contacts by external id, each as `upsertContact` would;
    /// with `atomic`, all or nothing.
    async fn upsert_contacts(
        &self,
        ctx: &Context<'_>,
        inputs: Vec<UpsertItem<NewContact>>,
        #[graphql(default)] atomic: bool,
    ) -> Answer<ContactNode> {
        run::<Contacts, _>(ctx, upserts::<Contacts>(inputs), atomic, contact).await
    }

    /// Creates 1 to 100 companies, each as `createCompany` would; with `atomic`, all or nothing.
    async fn create_companies(
        &self,
        ctx: &Context<'_>,
        inputs: Vec<NewCompany>,
        #[graphql(default)] atomic: bool,
    ) -> Answer<CompanyNode> {
        run::<Companies, _>(ctx, creates::<Companies>(inputs), atomic, company).await
    }

    /// Changes 1 to 100 companies, each as `updateCompany` would; with `atomic`, all or nothing.
    async fn update_companies(
        &self,
        ctx: &Context<'_>,
        inputs: Vec<UpdateItem<CompanyPatchInput>>,
        #[graphql(default)] atomic: bool,
    ) -> Answer<CompanyNode> {
        run::<Companies, _>(ctx, updates::<Companies, _>(inputs), atomic, company).await
    }

    /// Creates or replaces 1 to 100 companies by external id, each as `upsertCompany` would;
    /// with `atomic`, all or nothing.
    async fn upsert_companies(
        &self,
        ctx: &Context<'_>,
        inputs: Vec<UpsertItem<NewCompany>>,
        #[graphql(default)] atomic: bool,
    ) -> Answer<CompanyNode> {
        run::<Companies, _>(ctx, upserts::<Companies>(inputs), atomic, company).await
    }

    /// Logs 1 to 100 activities, each as `createActivity` would; with `atomic`, all or nothing.
    async fn create_activities(
        &self,
        ctx: &Context<'_>,
        inputs: Vec<NewActivity>,
        #[graphql(default)] atomic: bool,
    ) -> Answer<Activity> {
        run::<Activities, _>(ctx, creates::<Activities>(inputs), atomic, same).await
    }

    /// Changes 1 to 100 activities, each as `updateActivity` would; with `atomic`, all or
    /// nothing.
    async fn update_activities(
        &self,
        ctx: &Context<'_>,
        inputs: Vec<UpdateItem<ActivityPatchInput>>,
        #[graphql(default)] atomic: bool,
    ) -> Answer<Activity> {
        run::<Activities, _>(ctx, updates::<Activities, _>(inputs), atomic, same).await
    }

    /// Creates or replaces 1 to 100 activities by external id, each as `upsertActivity`
    /// would; with `atomic`, all or nothing.
    async fn upsert_activities(
        &self,
        ctx: &Context<'_>,
        inputs: Vec<UpsertItem<NewActivity>>,
        #[graphql(default)] atomic: bool,
    ) -> Answer<Activity> {
        run::<Activities, _>(ctx, upserts::<Activities>(inputs), atomic, same).await
    }

    /// Captures 1 to 100 leads, each as `createLead` would; with `atomic`, all or nothing.
    async fn create_leads(
        &self,
        ctx: &Context<'_>,
        inputs: Vec<NewLead>,
        #[graphql(default)] atomic: bool,
    ) -> Answer<Lead> {
        run::<Leads, _>(ctx, creates::<Leads>(inputs), atomic, same).await
    }

    /// Creates or replaces 1 to 100 leads by external id, each as `upsertLead` would; with
    /// `atomic`, all or nothing.
    async fn upsert_leads(
        &self,
        ctx: &Context<'_>,
        inputs: Vec<UpsertItem<NewLead>>,
        #[graphql(default)] atomic: bool,
    ) -> Answer<Lead> {
        run::<Leads, _>(ctx, upserts::<Leads>(inputs), atomic, same).await
    }

    /// Creates 1 to 100 deals, each as `createDeal` would; with `atomic`, all or nothing.
    async fn create_deals(
        &self,
        ctx: &Context<'_>,
        inputs: Vec<NewDeal>,
        #[graphql(default)] atomic: bool,
    ) -> Answer<Deal> {
        run::<Deals, _>(ctx, creates::<Deals>(inputs), atomic, same).await
    }

    /// Changes 1 to 100 deals, each as `updateDeal` would; with `atomic`, all or nothing.
    async fn update_deals(
        &self,
        ctx: &Context<'_>,
        inputs: Vec<UpdateItem<DealPatchInput>>,
        #[graphql(default)] atomic: bool,
    ) -> Answer<Deal> {
        run::<Deals, _>(ctx, updates::<Deals, _>(inputs), atomic, same).await
    }

    /// Creates or replaces 1 to 100 deals by external id, each as `upsertDeal` would; with
    /// `atomic`, all or nothing.
    async fn upsert_deals(
        &self,
        ctx: &Context<'_>,
        inputs: Vec<UpsertItem<NewDeal>>,
        #[graphql(default)] atomic: bool,
    ) -> Answer<Deal> {
        run::<Deals, _>(ctx, upserts::<Deals>(inputs), atomic, same).await
    }

    /// Creates 1 to 100 products, each as `createProduct` would; with `atomic`, all or nothing.
    async fn create_products(
        &self,
        ctx: &Context<'_>,
        inputs: Vec<NewProduct>,
        #[graphql(default)] atomic: bool,
    ) -> Answer<Product> {
        run::<Products, _>(ctx, creates::<Products>(inputs), atomic, same).await
    }

    /// Replaces 1 to 100 products (fields and prices), each as `PUT /products/{id}` would;
    /// with `atomic`, all or nothing.
    async fn update_products(
        &self,
        ctx: &Context<'_>,
        inputs: Vec<UpdateItem<NewProduct>>,
        #[graphql(default)] atomic: bool,
    ) -> Answer<Product> {
        run::<Products, _>(ctx, updates::<Products, _>(inputs), atomic, same).await
    }

    /// Creates or replaces 1 to 100 products by external id, each as `upsertProduct` would;
    /// with `atomic`, all or nothing.
    async fn upsert_products(
        &self,
        ctx: &Context<'_>,
        inputs: Vec<UpsertItem<NewProduct>>,
        #[graphql(default)] atomic: bool,
    ) -> Answer<Product> {
        run::<Products, _>(ctx, upserts::<Products>(inputs), atomic, same).await
    }

    /// Creates 1 to 100 orders with their lines, each as `createOrder` would (the server
    /// computes every amount); with `atomic`, all or nothing.
    async fn create_orders(
        &self,
        ctx: &Context<'_>,
        inputs: Vec<NewOrder>,
        #[graphql(default)] atomic: bool,
    ) -> Answer<SalesDocument> {
        run::<Orders, _>(ctx, creates::<Orders>(inputs), atomic, same).await
    }

    /// Creates or replaces 1 to 100 orders by external id, each as `upsertOrder` would; with
    /// `atomic`, all or nothing.
    async fn upsert_orders(
        &self,
        ctx: &Context<'_>,
        inputs: Vec<UpsertItem<NewOrder>>,
        #[graphql(default)] atomic: bool,
    ) -> Answer<SalesDocument> {
        run::<Orders, _>(ctx, upserts::<Orders>(inputs), atomic, same).await
    }
}
