//! Sales: pipelines and stages, deals and their stage history, leads, products and price lists,
//! quotes, orders and invoices (with lines, gapless invoice numbers and payments), and
//! external ids for upserts from ERP systems. Amounts are decimal strings.

use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::DbBackend;

#[derive(DeriveMigrationName)]
pub struct Migration;

fn statements(backend: DbBackend) -> Vec<String> {
    let (uuid, ts, json) = match backend {
        DbBackend::Postgres => ("uuid", "timestamptz", "jsonb"),
        _ => ("blob", "timestamp_with_timezone_text", "json_text"),
    };
    let record = format!(
        "version bigint NOT NULL, created_at {ts} NOT NULL, updated_at {ts} NOT NULL, deleted_at {ts}"
    );
    vec![
        format!("CREATE TABLE pipelines (id {uuid} PRIMARY KEY, org_id {uuid} NOT NULL REFERENCES organizations(id), name varchar(200) NOT NULL, is_default boolean NOT NULL, {record})"),
        "CREATE INDEX ix_pipelines_org ON pipelines (org_id, id)".into(),
        format!("CREATE TABLE pipeline_stages (id {uuid} PRIMARY KEY, org_id {uuid} NOT NULL, pipeline_id {uuid} NOT NULL REFERENCES pipelines(id), name varchar(200) NOT NULL, position integer NOT NULL, probability integer NOT NULL, stage_type varchar(10) NOT NULL, created_at {ts} NOT NULL, updated_at {ts} NOT NULL)"),
        "CREATE INDEX ix_stages_pipeline ON pipeline_stages (org_id, pipeline_id, position)".into(),
        format!("CREATE TABLE deals (id {uuid} PRIMARY KEY, org_id {uuid} NOT NULL REFERENCES organizations(id), pipeline_id {uuid} NOT NULL REFERENCES pipelines(id), stage_id {uuid} NOT NULL REFERENCES pipeline_stages(id), name varchar(300) NOT NULL, amount varchar(40), currency varchar(3), expected_close_date varchar(10), owner_id {uuid} REFERENCES users(id), company_id {uuid} REFERENCES companies(id), contact_ids {json} NOT NULL DEFAULT '[]', status varchar(10) NOT NULL, close_reason varchar(300), closed_at {ts}, lead_id {uuid}, {record})"),
        "CREATE INDEX ix_deals_org_created ON deals (org_id, created_at, id) WHERE deleted_at IS NULL".into(),
        "CREATE INDEX ix_deals_org_stage ON deals (org_id, pipeline_id, stage_id) WHERE deleted_at IS NULL".into(),
        "CREATE INDEX ix_deals_org_open_close ON deals (org_id, status, expected_close_date)".into(),
        format!("CREATE TABLE deal_stage_history (id {uuid} PRIMARY KEY, org_id {uuid} NOT NULL, deal_id {uuid} NOT NULL REFERENCES deals(id), pipeline_id {uuid} NOT NULL, stage_id {uuid} NOT NULL, entered_at {ts} NOT NULL, left_at {ts}, entered_by {uuid})"),
        "CREATE INDEX ix_deal_stage_history_deal ON deal_stage_history (org_id, deal_id, entered_at)".into(),
        "CREATE INDEX ix_deal_stage_history_stage ON deal_stage_history (org_id, stage_id, entered_at)".into(),
        format!("CREATE TABLE leads (id {uuid} PRIMARY KEY, org_id {uuid} NOT NULL REFERENCES organizations(id), first_name varchar(200), last_name varchar(200), email varchar(320), phone varchar(32), company_name varchar(300), company_domain varchar(255), title varchar(200), source_channel varchar(30), campaign_id {uuid}, status varchar(14) NOT NULL, disqualify_reason varchar(300), owner_id {uuid} REFERENCES users(id), converted_contact_id {uuid}, converted_company_id {uuid}, converted_deal_id {uuid}, converted_at {ts}, {record})"),
        "CREATE INDEX ix_leads_org_created ON leads (org_id, created_at, id) WHERE deleted_at IS NULL".into(),
        format!("CREATE TABLE products (id {uuid} PRIMARY KEY, org_id {uuid} NOT NULL REFERENCES organizations(id), sku varchar(100) NOT NULL, name varchar(300) NOT NULL, description text, unit varchar(30) NOT NULL, tax_rate varchar(12) NOT NULL, active boolean NOT NULL, external_source varchar(60), external_id varchar(200), {record})"),
        "CREATE UNIQUE INDEX ux_products_sku ON products (org_id, sku)".into(),
        "CREATE UNIQUE INDEX ux_products_external ON products (org_id, external_source, external_id)".into(),
        format!("CREATE TABLE price_lists (id {uuid} PRIMARY KEY, org_id {uuid} NOT NULL REFERENCES organizations(id), name varchar(200) NOT NULL, currency varchar(3) NOT NULL, is_default boolean NOT NULL, created_at {ts} NOT NULL, updated_at {ts} NOT NULL)"),
        format!("CREATE TABLE product_prices (org_id {uuid} NOT NULL, price_list_id {uuid} NOT NULL REFERENCES price_lists(id), product_id {uuid} NOT NULL REFERENCES products(id), unit_price varchar(40) NOT NULL, PRIMARY KEY (price_list_id, product_id))"),
        format!("CREATE TABLE sales_documents (id {uuid} PRIMARY KEY, org_id {uuid} NOT NULL REFERENCES organizations(id), doc_type varchar(10) NOT NULL, number bigint, status varchar(12) NOT NULL, company_id {uuid} REFERENCES companies(id), contact_id {uuid} REFERENCES contacts(id), deal_id {uuid}, source_id {uuid}, currency varchar(3) NOT NULL, subtotal varchar(40) NOT NULL, discount_total varchar(40) NOT NULL, tax_total varchar(40) NOT NULL, total varchar(40) NOT NULL, amount_paid varchar(40) NOT NULL, issued_at {ts}, valid_until varchar(10), due_date varchar(10), notes text, external_source varchar(60), external_id varchar(200), {record})"),
        "CREATE INDEX ix_documents_org_type ON sales_documents (org_id, doc_type, created_at, id) WHERE deleted_at IS NULL".into(),
        "CREATE UNIQUE INDEX ux_documents_number ON sales_documents (org_id, doc_type, number)".into(),
        "CREATE UNIQUE INDEX ux_documents_external ON sales_documents (org_id, doc_type, external_source, external_id)".into(),
        "CREATE INDEX ix_documents_company ON sales_documents (org_id, company_id, doc_type)".into(),
        format!("CREATE TABLE document_lines (id {uuid} PRIMARY KEY, org_id {uuid} NOT NULL, document_id {uuid} NOT NULL REFERENCES sales_documents(id), position integer NOT NULL, product_id {uuid} REFERENCES products(id), description varchar(500), quantity varchar(40) NOT NULL, unit_price varchar(40) NOT NULL, discount_percent varchar(12) NOT NULL, tax_rate varchar(12) NOT NULL, net_amount varchar(40) NOT NULL, tax_amount varchar(40) NOT NULL, total_amount varchar(40) NOT NULL)"),
        "CREATE INDEX ix_document_lines_doc ON document_lines (org_id, document_id, position)".into(),
        "CREATE INDEX ix_document_lines_product ON document_lines (org_id, product_id)".into(),
        "CREATE TABLE document_sequences (org_id blob_or_uuid NOT NULL, doc_type varchar(10) NOT NULL, next_number bigint NOT NULL, PRIMARY KEY (org_id, doc_type))".replace("blob_or_uuid", uuid),
        format!("CREATE TABLE payments (id {uuid} PRIMARY KEY, org_id {uuid} NOT NULL, document_id {uuid} NOT NULL REFERENCES sales_documents(id), amount varchar(40) NOT NULL, paid_at {ts} NOT NULL, method varchar(40), reference varchar(200), created_at {ts} NOT NULL)"),
        "CREATE INDEX ix_payments_doc ON payments (org_id, document_id)".into(),
        "ALTER TABLE companies ADD COLUMN external_source varchar(60)".into(),
        "ALTER TABLE companies ADD COLUMN external_id varchar(200)".into(),
        "CREATE UNIQUE INDEX ux_companies_external ON companies (org_id, external_source, external_id)".into(),
    ]
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        let db = m.get_connection();
        for sql in statements(db.get_database_backend()) {
            db.execute_unprepared(&sql).await?;
        }
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        let db = m.get_connection();
        for t in [
            "payments",
            "document_sequences",
            "document_lines",
            "sales_documents",
            "product_prices",
            "price_lists",
            "products",
            "leads",
            "deal_stage_history",
            "deals",
            "pipeline_stages",
            "pipelines",
        ] {
            db.execute_unprepared(&format!("DROP TABLE {t}")).await?;
        }
        Ok(())
    }
}
