//! Customers and the write-safety kit: companies, contacts, custom field definitions, record
//! history, the outbox, idempotency keys, and full-text search (PostgreSQL tsvector, SQLite FTS5).

use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::DbBackend;

#[derive(DeriveMigrationName)]
pub struct Migration;

const POSTGRES: &[&str] = &[
    r#"CREATE TABLE companies (
        id uuid PRIMARY KEY,
        org_id uuid NOT NULL REFERENCES organizations(id),
        name varchar(300) NOT NULL,
        legal_name varchar(300),
        domain varchar(255),
        industry varchar(100),
        size_band varchar(20),
        annual_revenue_amount varchar(40),
        annual_revenue_currency varchar(3),
        street varchar(300),
        city varchar(120),
        region varchar(120),
        postal_code varchar(20),
        country varchar(2),
        owner_id uuid REFERENCES users(id),
        lifecycle_stage varchar(20),
        tags jsonb NOT NULL DEFAULT '[]',
        custom jsonb NOT NULL DEFAULT '{}',
        search_text text NOT NULL DEFAULT '',
        version bigint NOT NULL,
        created_at timestamptz NOT NULL,
        updated_at timestamptz NOT NULL,
        deleted_at timestamptz,
        merged_into uuid
    )"#,
    "CREATE INDEX ix_companies_org_created ON companies (org_id, created_at, id) WHERE deleted_at IS NULL",
    "CREATE INDEX ix_companies_org_name ON companies (org_id, name, id) WHERE deleted_at IS NULL",
    "CREATE INDEX ix_companies_org_owner ON companies (org_id, owner_id)",
    "CREATE INDEX ix_companies_org_domain ON companies (org_id, domain)",
    "CREATE INDEX ix_companies_search ON companies USING gin (to_tsvector('simple', search_text))",
    r#"CREATE TABLE contacts (
        id uuid PRIMARY KEY,
        org_id uuid NOT NULL REFERENCES organizations(id),
        company_id uuid REFERENCES companies(id),
        first_name varchar(200),
        last_name varchar(200),
        email varchar(320),
        phone varchar(32),
        title varchar(200),
        street varchar(300),
        city varchar(120),
        region varchar(120),
        postal_code varchar(20),
        country varchar(2),
        owner_id uuid REFERENCES users(id),
        lifecycle_stage varchar(20),
        source_channel varchar(30),
        consent jsonb NOT NULL DEFAULT '{}',
        tags jsonb NOT NULL DEFAULT '[]',
        custom jsonb NOT NULL DEFAULT '{}',
        search_text text NOT NULL DEFAULT '',
        version bigint NOT NULL,
        created_at timestamptz NOT NULL,
        updated_at timestamptz NOT NULL,
        deleted_at timestamptz,
        merged_into uuid
    )"#,
    "CREATE INDEX ix_contacts_org_created ON contacts (org_id, created_at, id) WHERE deleted_at IS NULL",
    "CREATE INDEX ix_contacts_org_updated ON contacts (org_id, updated_at, id) WHERE deleted_at IS NULL",
    "CREATE INDEX ix_contacts_org_last_name ON contacts (org_id, last_name, id) WHERE deleted_at IS NULL",
    "CREATE INDEX ix_contacts_org_company ON contacts (org_id, company_id)",
    "CREATE INDEX ix_contacts_org_owner ON contacts (org_id, owner_id)",
    "CREATE INDEX ix_contacts_org_email ON contacts (org_id, lower(email))",
    "CREATE INDEX ix_contacts_org_phone ON contacts (org_id, phone)",
    "CREATE INDEX ix_contacts_org_lifecycle ON contacts (org_id, lifecycle_stage, created_at, id) WHERE deleted_at IS NULL",
    "CREATE INDEX ix_contacts_search ON contacts USING gin (to_tsvector('simple', search_text))",
];

const SQLITE: &[&str] = &[
    r#"CREATE TABLE companies (
        id blob PRIMARY KEY,
        org_id blob NOT NULL REFERENCES organizations(id),
        name text NOT NULL,
        legal_name text,
        domain text,
        industry text,
        size_band text,
        annual_revenue_amount text,
        annual_revenue_currency text,
        street text,
        city text,
        region text,
        postal_code text,
        country text,
        owner_id blob REFERENCES users(id),
        lifecycle_stage text,
        tags json_text NOT NULL DEFAULT '[]',
        custom json_text NOT NULL DEFAULT '{}',
        search_text text NOT NULL DEFAULT '',
        version bigint NOT NULL,
        created_at timestamp_with_timezone_text NOT NULL,
        updated_at timestamp_with_timezone_text NOT NULL,
        deleted_at timestamp_with_timezone_text,
        merged_into blob
    )"#,
    "CREATE INDEX ix_companies_org_created ON companies (org_id, created_at, id) WHERE deleted_at IS NULL",
    "CREATE INDEX ix_companies_org_name ON companies (org_id, name, id) WHERE deleted_at IS NULL",
    "CREATE INDEX ix_companies_org_owner ON companies (org_id, owner_id)",
    "CREATE INDEX ix_companies_org_domain ON companies (org_id, domain)",
    "CREATE VIRTUAL TABLE companies_fts USING fts5(search_text, content='companies', content_rowid='rowid')",
    "CREATE TRIGGER companies_fts_ai AFTER INSERT ON companies BEGIN INSERT INTO companies_fts(rowid, search_text) VALUES (new.rowid, new.search_text); END",
    "CREATE TRIGGER companies_fts_ad AFTER DELETE ON companies BEGIN INSERT INTO companies_fts(companies_fts, rowid, search_text) VALUES ('delete', old.rowid, old.search_text); END",
    "CREATE TRIGGER companies_fts_au AFTER UPDATE OF search_text ON companies BEGIN INSERT INTO companies_fts(companies_fts, rowid, search_text) VALUES ('delete', old.rowid, old.search_text); INSERT INTO companies_fts(rowid, search_text) VALUES (new.rowid, new.search_text); END",
    r#"CREATE TABLE contacts (
        id blob PRIMARY KEY,
        org_id blob NOT NULL REFERENCES organizations(id),
        company_id blob REFERENCES companies(id),
        first_name text,
        last_name text,
        email text,
        phone text,
        title text,
        street text,
        city text,
        region text,
        postal_code text,
        country text,
        owner_id blob REFERENCES users(id),
        lifecycle_stage text,
        source_channel text,
        consent json_text NOT NULL DEFAULT '{}',
        tags json_text NOT NULL DEFAULT '[]',
        custom json_text NOT NULL DEFAULT '{}',
        search_text text NOT NULL DEFAULT '',
        version bigint NOT NULL,
        created_at timestamp_with_timezone_text NOT NULL,
        updated_at timestamp_with_timezone_text NOT NULL,
        deleted_at timestamp_with_timezone_text,
        merged_into blob
    )"#,
    "CREATE INDEX ix_contacts_org_created ON contacts (org_id, created_at, id) WHERE deleted_at IS NULL",
    "CREATE INDEX ix_contacts_org_updated ON contacts (org_id, updated_at, id) WHERE deleted_at IS NULL",
    "CREATE INDEX ix_contacts_org_last_name ON contacts (org_id, last_name, id) WHERE deleted_at IS NULL",
    "CREATE INDEX ix_contacts_org_company ON contacts (org_id, company_id)",
    "CREATE INDEX ix_contacts_org_owner ON contacts (org_id, owner_id)",
    "CREATE INDEX ix_contacts_org_email ON contacts (org_id, lower(email))",
    "CREATE INDEX ix_contacts_org_phone ON contacts (org_id, phone)",
    "CREATE INDEX ix_contacts_org_lifecycle ON contacts (org_id, lifecycle_stage, created_at, id) WHERE deleted_at IS NULL",
    "CREATE VIRTUAL TABLE contacts_fts USING fts5(search_text, content='contacts', content_rowid='rowid')",
    "CREATE TRIGGER contacts_fts_ai AFTER INSERT ON contacts BEGIN INSERT INTO contacts_fts(rowid, search_text) VALUES (new.rowid, new.search_text); END",
    "CREATE TRIGGER contacts_fts_ad AFTER DELETE ON contacts BEGIN INSERT INTO contacts_fts(contacts_fts, rowid, search_text) VALUES ('delete', old.rowid, old.search_text); END",
    "CREATE TRIGGER contacts_fts_au AFTER UPDATE OF search_text ON contacts BEGIN INSERT INTO contacts_fts(contacts_fts, rowid, search_text) VALUES ('delete', old.rowid, old.search_text); INSERT INTO contacts_fts(rowid, search_text) VALUES (new.rowid, new.search_text); END",
];

/// Tables of the write-safety kit, the same on both engines (built with sea-query).
fn kit_tables() -> Vec<TableCreateStatement> {
    vec![
        Table::create()
            .table("custom_field_defs")
            .col(ColumnDef::new("id").uuid().not_null().primary_key())
            .col(ColumnDef::new("org_id").uuid().not_null())
            .col(ColumnDef::new("record_type").string_len(20).not_null())
            .col(ColumnDef::new("key").string_len(64).not_null())
            .col(ColumnDef::new("label").string_len(200).not_null())
            .col(ColumnDef::new("field_type").string_len(20).not_null())
            .col(ColumnDef::new("required").boolean().not_null())
            .col(ColumnDef::new("unique_values").boolean().not_null())
            .col(ColumnDef::new("options").json_binary().not_null())
            .col(
                ColumnDef::new("created_at")
                    .timestamp_with_time_zone()
                    .not_null(),
            )
            .col(
                ColumnDef::new("updated_at")
                    .timestamp_with_time_zone()
                    .not_null(),
            )
            .foreign_key(
                ForeignKey::create()
                    .from("custom_field_defs", "org_id")
                    .to("organizations", "id"),
            )
            .to_owned(),
        Table::create()
            .table("record_history")
            .col(ColumnDef::new("id").uuid().not_null().primary_key())
            .col(ColumnDef::new("org_id").uuid().not_null())
            .col(ColumnDef::new("record_type").string_len(20).not_null())
            .col(ColumnDef::new("record_id").uuid().not_null())
            .col(ColumnDef::new("action").string_len(20).not_null())
            .col(ColumnDef::new("actor_user_id").uuid().null())
            .col(ColumnDef::new("actor_api_key_id").uuid().null())
            .col(ColumnDef::new("changes").json_binary().not_null())
            .col(ColumnDef::new("at").timestamp_with_time_zone().not_null())
            .to_owned(),
        Table::create()
            .table("outbox_events")
            .col(ColumnDef::new("id").uuid().not_null().primary_key())
            .col(ColumnDef::new("org_id").uuid().not_null())
            .col(ColumnDef::new("topic").string_len(60).not_null())
            .col(ColumnDef::new("record_type").string_len(20).not_null())
            .col(ColumnDef::new("record_id").uuid().not_null())
            .col(ColumnDef::new("actor_user_id").uuid().null())
            .col(ColumnDef::new("actor_api_key_id").uuid().null())
            .col(ColumnDef::new("payload").json_binary().not_null())
            .col(
                ColumnDef::new("created_at")
                    .timestamp_with_time_zone()
                    .not_null(),
            )
            .col(
                ColumnDef::new("published_at")
                    .timestamp_with_time_zone()
                    .null(),
            )
            .to_owned(),
        Table::create()
            .table("idempotency_keys")
            .col(ColumnDef::new("org_id").uuid().not_null())
            .col(ColumnDef::new("principal").string_len(80).not_null())
            .col(ColumnDef::new("key").string_len(255).not_null())
            .col(ColumnDef::new("request_hash").string_len(64).not_null())
            .col(ColumnDef::new("state").string_len(12).not_null())
            .col(ColumnDef::new("response_status").integer().null())
            .col(ColumnDef::new("response_headers").json_binary().null())
            .col(ColumnDef::new("response_body").text().null())
            .col(
                ColumnDef::new("created_at")
                    .timestamp_with_time_zone()
                    .not_null(),
            )
            .primary_key(Index::create().col("org_id").col("principal").col("key"))
            .to_owned(),
    ]
}

fn kit_indexes() -> Vec<IndexCreateStatement> {
    vec![
        Index::create()
            .name("ux_custom_field_defs_key")
            .table("custom_field_defs")
            .col("org_id")
            .col("record_type")
            .col("key")
            .unique()
            .to_owned(),
        Index::create()
            .name("ix_record_history_record")
            .table("record_history")
            .col("org_id")
            .col("record_type")
            .col("record_id")
            .col("at")
            .to_owned(),
        Index::create()
            .name("ix_outbox_unpublished")
            .table("outbox_events")
            .col("published_at")
            .col("created_at")
            .to_owned(),
        Index::create()
            .name("ix_outbox_org")
            .table("outbox_events")
            .col("org_id")
            .col("created_at")
            .to_owned(),
        Index::create()
            .name("ix_idempotency_created")
            .table("idempotency_keys")
            .col("created_at")
            .to_owned(),
    ]
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        let db = m.get_connection();
        let statements = match db.get_database_backend() {
            DbBackend::Postgres => POSTGRES,
            _ => SQLITE,
        };
        for sql in statements {
            db.execute_unprepared(sql).await?;
        }
        for table in kit_tables() {
            m.create_table(table).await?;
        }
        for index in kit_indexes() {
            m.create_index(index).await?;
        }
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        let db = m.get_connection();
        for table in [
            "idempotency_keys",
            "outbox_events",
            "record_history",
            "custom_field_defs",
        ] {
            m.drop_table(Table::drop().table(table).to_owned()).await?;
        }
        if db.get_database_backend() == DbBackend::Sqlite {
            db.execute_unprepared("DROP TABLE contacts_fts").await?;
            db.execute_unprepared("DROP TABLE companies_fts").await?;
        }
        db.execute_unprepared("DROP TABLE contacts").await?;
        db.execute_unprepared("DROP TABLE companies").await?;
        Ok(())
    }
}
