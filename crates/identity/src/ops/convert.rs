//! Row -> read model conversions.

use crate::dto::{ApiKey, Organization, User};
use crate::model::{api_key, organization, user};
use crm_core::{ApiKeyScope, Role};

pub(crate) fn org(m: organization::Model) -> Organization {
    Organization {
        id: m.id,
        name: m.name,
        created_at: m.created_at,
    }
}

pub(crate) fn role(s: &str) -> Role {
    // Roles are written only from the enum; an unknown stored value degrades to least privilege.
    Role::parse(s).unwrap_or(Role::Viewer)
}

pub(crate) fn user(m: user::Model) -> User {
    User {
        id: m.id,
        org_id: m.org_id,
        role: role(&m.role),
        email: m.email,
        name: m.name,
        active: m.active,
        must_change_password: m.must_change_password,
        created_at: m.created_at,
        updated_at: m.updated_at,
        last_login_at: m.last_login_at,
    }
}

pub(crate) fn api_key(m: api_key::Model) -> ApiKey {
    ApiKey {
        id: m.id,
        scope: ApiKeyScope::parse(&m.scope).unwrap_or(ApiKeyScope::Read),
        role: role(&m.role),
        name: m.name,
        prefix: m.prefix,
        created_by: m.created_by,
        created_at: m.created_at,
        last_used_at: m.last_used_at,
        revoked_at: m.revoked_at,
    }
}

/// Emails are compared and stored trimmed and lowercase.
pub(crate) fn normalize_email(email: &str) -> String {
    email.trim().to_lowercase()
}
