//! Identity: organizations, users, refresh tokens, API keys, and the shared rate-limit counters.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Organizations {
    Table,
    Id,
    Name,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum Users {
    Table,
    Id,
    OrgId,
    Email,
    Name,
    PasswordHash,
    Role,
    Active,
    MustChangePassword,
    CreatedAt,
    UpdatedAt,
    DeactivatedAt,
    LastLoginAt,
}

#[derive(DeriveIden)]
enum RefreshTokens {
    Table,
    Id,
    OrgId,
    UserId,
    FamilyId,
    TokenHash,
    ExpiresAt,
    CreatedAt,
    UsedAt,
    RevokedAt,
}

#[derive(DeriveIden)]
enum ApiKeys {
    Table,
    Id,
    OrgId,
    CreatedBy,
    Name,
    Prefix,
    SecretHash,
    Scope,
    Role,
    CreatedAt,
    LastUsedAt,
    RevokedAt,
}

#[derive(DeriveIden)]
enum RateLimits {
    Table,
    Bucket,
    WindowStart,
    Hits,
}

fn ts(col: impl IntoIden) -> ColumnDef {
    ColumnDef::new(col)
        .timestamp_with_time_zone()
        .not_null()
        .to_owned()
}

fn ts_null(col: impl IntoIden) -> ColumnDef {
    ColumnDef::new(col)
        .timestamp_with_time_zone()
        .null()
        .to_owned()
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table(Organizations::Table)
                .col(
                    ColumnDef::new(Organizations::Id)
                        .uuid()
                        .not_null()
                        .primary_key(),
                )
                .col(
                    ColumnDef::new(Organizations::Name)
                        .string_len(200)
                        .not_null(),
                )
                .col(ts(Organizations::CreatedAt))
                .col(ts(Organizations::UpdatedAt))
                .to_owned(),
        )
        .await?;

        m.create_table(
            Table::create()
                .table(Users::Table)
                .col(ColumnDef::new(Users::Id).uuid().not_null().primary_key())
                .col(ColumnDef::new(Users::OrgId).uuid().not_null())
                .col(ColumnDef::new(Users::Email).string_len(320).not_null())
                .col(ColumnDef::new(Users::Name).string_len(200).not_null())
                .col(
                    ColumnDef::new(Users::PasswordHash)
                        .string_len(200)
                        .not_null(),
                )
                .col(ColumnDef::new(Users::Role).string_len(16).not_null())
                .col(ColumnDef::new(Users::Active).boolean().not_null())
                .col(
                    ColumnDef::new(Users::MustChangePassword)
                        .boolean()
                        .not_null(),
                )
                .col(ts(Users::CreatedAt))
                .col(ts(Users::UpdatedAt))
                .col(ts_null(Users::DeactivatedAt))
                .col(ts_null(Users::LastLoginAt))
                .foreign_key(
                    ForeignKey::create()
                        .from(Users::Table, Users::OrgId)
                        .to(Organizations::Table, Organizations::Id),
                )
                .to_owned(),
        )
        .await?;
        // Login is by email alone, so an email identifies one user across organizations.
        m.create_index(
            Index::create()
                .name("ux_users_email")
                .table(Users::Table)
                .col(Users::Email)
                .unique()
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("ix_users_org_id")
                .table(Users::Table)
                .col(Users::OrgId)
                .col(Users::Id)
                .to_owned(),
        )
        .await?;

        m.create_table(
            Table::create()
                .table(RefreshTokens::Table)
                .col(
                    ColumnDef::new(RefreshTokens::Id)
                        .uuid()
                        .not_null()
                        .primary_key(),
                )
                .col(ColumnDef::new(RefreshTokens::OrgId).uuid().not_null())
                .col(ColumnDef::new(RefreshTokens::UserId).uuid().not_null())
                .col(ColumnDef::new(RefreshTokens::FamilyId).uuid().not_null())
                .col(
                    ColumnDef::new(RefreshTokens::TokenHash)
                        .string_len(64)
                        .not_null(),
                )
                .col(ts(RefreshTokens::ExpiresAt))
                .col(ts(RefreshTokens::CreatedAt))
                .col(ts_null(RefreshTokens::UsedAt))
                .col(ts_null(RefreshTokens::RevokedAt))
                .foreign_key(
                    ForeignKey::create()
                        .from(RefreshTokens::Table, RefreshTokens::UserId)
                        .to(Users::Table, Users::Id),
                )
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("ux_refresh_tokens_hash")
                .table(RefreshTokens::Table)
                .col(RefreshTokens::TokenHash)
                .unique()
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("ix_refresh_tokens_family")
                .table(RefreshTokens::Table)
                .col(RefreshTokens::FamilyId)
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("ix_refresh_tokens_user")
                .table(RefreshTokens::Table)
                .col(RefreshTokens::UserId)
                .to_owned(),
        )
        .await?;

        m.create_table(
            Table::create()
                .table(ApiKeys::Table)
                .col(ColumnDef::new(ApiKeys::Id).uuid().not_null().primary_key())
                .col(ColumnDef::new(ApiKeys::OrgId).uuid().not_null())
                .col(ColumnDef::new(ApiKeys::CreatedBy).uuid().not_null())
                .col(ColumnDef::new(ApiKeys::Name).string_len(200).not_null())
                .col(ColumnDef::new(ApiKeys::Prefix).string_len(32).not_null())
                .col(
                    ColumnDef::new(ApiKeys::SecretHash)
                        .string_len(64)
                        .not_null(),
                )
                .col(ColumnDef::new(ApiKeys::Scope).string_len(16).not_null())
                .col(ColumnDef::new(ApiKeys::Role).string_len(16).not_null())
                .col(ts(ApiKeys::CreatedAt))
                .col(ts_null(ApiKeys::LastUsedAt))
                .col(ts_null(ApiKeys::RevokedAt))
                .foreign_key(
                    ForeignKey::create()
                        .from(ApiKeys::Table, ApiKeys::OrgId)
                        .to(Organizations::Table, Organizations::Id),
                )
                .foreign_key(
                    ForeignKey::create()
                        .from(ApiKeys::Table, ApiKeys::CreatedBy)
                        .to(Users::Table, Users::Id),
                )
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("ux_api_keys_prefix")
                .table(ApiKeys::Table)
                .col(ApiKeys::Prefix)
                .unique()
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("ix_api_keys_org_id")
                .table(ApiKeys::Table)
                .col(ApiKeys::OrgId)
                .col(ApiKeys::Id)
                .to_owned(),
        )
        .await?;

        m.create_table(
            Table::create()
                .table(RateLimits::Table)
                .col(
                    ColumnDef::new(RateLimits::Bucket)
                        .string_len(200)
                        .not_null(),
                )
                .col(
                    ColumnDef::new(RateLimits::WindowStart)
                        .big_integer()
                        .not_null(),
                )
                .col(ColumnDef::new(RateLimits::Hits).integer().not_null())
                .primary_key(
                    Index::create()
                        .col(RateLimits::Bucket)
                        .col(RateLimits::WindowStart),
                )
                .to_owned(),
        )
        .await?;
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            RateLimits::Table.into_iden(),
            ApiKeys::Table.into_iden(),
            RefreshTokens::Table.into_iden(),
            Users::Table.into_iden(),
            Organizations::Table.into_iden(),
        ] {
            m.drop_table(Table::drop().table(table).to_owned()).await?;
        }
        Ok(())
    }
}
