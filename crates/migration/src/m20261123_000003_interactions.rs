//! Interactions: activities on every channel (tasks and feedback included) and their links to
//! records, which serve the customer timelines.

use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::DbBackend;

#[derive(DeriveMigrationName)]
pub struct Migration;

const COMMON_INDEXES: &[&str] = &[
    "CREATE INDEX ix_activities_org_occurred ON activities (org_id, occurred_at, id) WHERE deleted_at IS NULL",
    "CREATE INDEX ix_activities_org_contact ON activities (org_id, contact_id, occurred_at)",
    "CREATE INDEX ix_activities_org_company ON activities (org_id, company_id, occurred_at)",
    "CREATE INDEX ix_activities_open_tasks ON activities (org_id, assignee_id, due_at) WHERE kind = 'task' AND status = 'open' AND deleted_at IS NULL",
    "CREATE INDEX ix_activities_feedback ON activities (org_id, feedback_type, feedback_state) WHERE feedback_type IS NOT NULL",
    "CREATE INDEX ix_activity_links_timeline ON activity_links (org_id, record_type, record_id, occurred_at, activity_id)",
];

fn tables(backend: DbBackend) -> [String; 2] {
    let (uuid, ts, json) = match backend {
        DbBackend::Postgres => ("uuid", "timestamptz", "jsonb"),
        _ => ("blob", "timestamp_with_timezone_text", "json_text"),
    };
    [
        format!(
            "CREATE TABLE activities (
                id {uuid} PRIMARY KEY,
                org_id {uuid} NOT NULL REFERENCES organizations(id),
                kind varchar(20) NOT NULL,
                channel varchar(30),
                direction varchar(10),
                subject varchar(300),
                body text,
                occurred_at {ts} NOT NULL,
                duration_secs integer,
                outcome varchar(200),
                contact_id {uuid} REFERENCES contacts(id),
                company_id {uuid} REFERENCES companies(id),
                participants {json} NOT NULL DEFAULT '[]',
                links {json} NOT NULL DEFAULT '[]',
                due_at {ts},
                assignee_id {uuid} REFERENCES users(id),
                priority varchar(10),
                status varchar(12),
                reminder_at {ts},
                completed_at {ts},
                completed_by {uuid},
                feedback_type varchar(12),
                feedback_category varchar(100),
                feedback_state varchar(14),
                created_by {uuid},
                version bigint NOT NULL,
                created_at {ts} NOT NULL,
                updated_at {ts} NOT NULL,
                deleted_at {ts}
            )"
        ),
        format!(
            "CREATE TABLE activity_links (
                org_id {uuid} NOT NULL,
                activity_id {uuid} NOT NULL REFERENCES activities(id),
                record_type varchar(20) NOT NULL,
                record_id {uuid} NOT NULL,
                role varchar(12) NOT NULL,
                occurred_at {ts} NOT NULL,
                kind varchar(20) NOT NULL,
                channel varchar(30),
                deleted boolean NOT NULL DEFAULT false,
                PRIMARY KEY (activity_id, record_type, record_id)
            )"
        ),
    ]
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        let db = m.get_connection();
        for sql in tables(db.get_database_backend()) {
            db.execute_unprepared(&sql).await?;
        }
        for sql in COMMON_INDEXES {
            db.execute_unprepared(sql).await?;
        }
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        let db = m.get_connection();
        db.execute_unprepared("DROP TABLE activity_links").await?;
        db.execute_unprepared("DROP TABLE activities").await?;
        Ok(())
    }
}
