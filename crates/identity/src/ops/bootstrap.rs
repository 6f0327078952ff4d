//! First start: an empty database gets an organization and its admin.

use super::convert::normalize_email;
use super::sessions::insert_user;
use crate::error::Result;
use crate::model::organization;
use crate::{password, secret};
use chrono::Utc;
use crm_core::db::begin_write;
use crm_core::{Error, Role, new_id};
use sea_orm::{ActiveModelTrait, DatabaseConnection, EntityTrait, PaginatorTrait, Set};

/// What the operator configured for the first start.
#[derive(Clone, Default)]
pub struct BootstrapInput {
    /// Name of the organization (default `Default`).
    pub org_name: Option<String>,
    /// Email of the admin (default `admin@localhost` with a generated password).
    pub admin_email: Option<String>,
    /// Password of the admin; generated (and to be printed once) when absent.
    pub admin_password: Option<String>,
}

impl std::fmt::Debug for BootstrapInput {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BootstrapInput")
            .field("org_name", &self.org_name)
            .field("admin_email", &self.admin_email)
            .field(
                "admin_password",
                &self.admin_password.as_ref().map(|_| "[redacted]"),
            )
            .finish()
    }
}

/// What the bootstrap created.
#[derive(Debug, Clone)]
pub struct BootstrapOutcome {
    /// The organization's name.
    pub org_name: String,
    /// The admin's email.
    pub admin_email: String,
    /// The generated one-time password, when none was configured.
    pub generated_password: Option<String>,
}

/// Creates the first organization and admin when the database has no organization yet;
/// returns `None` otherwise.
pub async fn bootstrap(
    db: &DatabaseConnection,
    input: BootstrapInput,
) -> Result<Option<BootstrapOutcome>> {
    if organization::Entity::find().count(db).await? > 0 {
        return Ok(None);
    }
    let org_name = input.org_name.unwrap_or_else(|| "Default".to_owned());
    let admin_email = normalize_email(input.admin_email.as_deref().unwrap_or("admin@localhost"));
    if !admin_email.contains('@') {
        return Err(Error::invalid_field(
            "/bootstrap_admin_email",
            "email",
            "must be an email address",
        )
        .into());
    }
    let (password, generated) = match input.admin_password {
        Some(p) if p.len() >= 10 => (p, false),
        Some(_) => {
            return Err(Error::invalid_field(
                "/bootstrap_admin_password",
                "length",
                "must be at least 10 characters",
            )
            .into());
        }
        None => (secret::random_token(20), true),
    };
    let hash = password::hash(password.clone()).await?;
    let now = Utc::now();
    let tx = begin_write(db).await?;
    if organization::Entity::find().count(&tx).await? > 0 {
        return Ok(None);
    }
    let org = organization::ActiveModel {
        id: Set(new_id()),
        name: Set(org_name.clone()),
        created_at: Set(now),
        updated_at: Set(now),
    }
    .insert(&tx)
    .await?;
    insert_user(
        &tx,
        org.id,
        &admin_email,
        "Administrator",
        hash,
        Role::Admin,
        generated,
        now,
    )
    .await?;
    tx.commit().await?;
    Ok(Some(BootstrapOutcome {
        org_name,
        admin_email,
        generated_password: generated.then_some(password),
    }))
}
