//! Roles, API key scopes and the permission matrix every operation checks.
//!
//! | action        | viewer | agent | manager | admin |
//! |---------------|:------:|:-----:|:-------:|:-----:|
//! | `Read`        |   yes  |  yes  |   yes   |  yes  |
//! | `Write`       |        |  yes  |   yes   |  yes  |
//! | `Delete`      |        |       |   yes   |  yes  |
//! | `Reassign`    |        |       |   yes   |  yes  |
//! | `Configure`   |        |       |         |  yes  |
//! | `ManageUsers` |        |       |         |  yes  |
//! | `ManageKeys`  |        |       |         |  yes  |
//!
//! An API key acts with the role it was given; a key of scope `read` may only `Read`.

use serde::{Deserialize, Serialize};

/// The role of a user (or of an API key) within its organization.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "graphql", derive(async_graphql::Enum))]
pub enum Role {
    /// Everything, including users, API keys and configuration.
    Admin,
    /// Agent rights plus deleting records and reassigning owners.
    Manager,
    /// Reads everything; creates and edits records.
    Agent,
    /// Reads only.
    Viewer,
}

impl Role {
    /// The stored and serialised name.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Admin => "admin",
            Role::Manager => "manager",
            Role::Agent => "agent",
            Role::Viewer => "viewer",
        }
    }

    /// Parses a stored name.
    pub fn parse(s: &str) -> Option<Role> {
        match s {
            "admin" => Some(Role::Admin),
            "manager" => Some(Role::Manager),
            "agent" => Some(Role::Agent),
            "viewer" => Some(Role::Viewer),
            _ => None,
        }
    }

    /// Rank for comparisons: admin 3, manager 2, agent 1, viewer 0.
    pub fn rank(self) -> u8 {
        match self {
            Role::Admin => 3,
            Role::Manager => 2,
            Role::Agent => 1,
            Role::Viewer => 0,
        }
    }

    /// Whether this role may perform `action` (the matrix in the module documentation).
    pub fn allows(self, action: Action) -> bool {
        let needed = match action {
            Action::Read => Role::Viewer,
            Action::Write => Role::Agent,
            Action::Delete | Action::Reassign => Role::Manager,
            Action::Configure | Action::ManageUsers | Action::ManageKeys => Role::Admin,
        };
        self.rank() >= needed.rank()
    }
}

/// What an API key may do: read only, or read and write within its role.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "graphql", derive(async_graphql::Enum))]
pub enum ApiKeyScope {
    /// Only read operations.
    Read,
    /// Read and write operations, within the key's role.
    ReadWrite,
}

impl ApiKeyScope {
    /// The stored and serialised name.
    pub fn as_str(self) -> &'static str {
        match self {
            ApiKeyScope::Read => "read",
            ApiKeyScope::ReadWrite => "read_write",
        }
    }

    /// Parses a stored name.
    pub fn parse(s: &str) -> Option<ApiKeyScope> {
        match s {
            "read" => Some(ApiKeyScope::Read),
            "read_write" => Some(ApiKeyScope::ReadWrite),
            _ => None,
        }
    }
}

/// A kind of action an operation performs, checked against the role matrix.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Action {
    /// Read records.
    Read,
    /// Create or edit records.
    Write,
    /// Delete (soft) and restore records.
    Delete,
    /// Move records to another owner.
    Reassign,
    /// Change the organization's configuration (custom fields, pipelines, settings).
    Configure,
    /// Create, change and deactivate users.
    ManageUsers,
    /// Create and revoke API keys.
    ManageKeys,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matrix() {
        assert!(Role::Viewer.allows(Action::Read));
        assert!(!Role::Viewer.allows(Action::Write));
        assert!(Role::Agent.allows(Action::Write));
        assert!(!Role::Agent.allows(Action::Delete));
        assert!(Role::Manager.allows(Action::Reassign));
        assert!(!Role::Manager.allows(Action::ManageUsers));
        assert!(Role::Admin.allows(Action::ManageKeys));
        for r in [Role::Admin, Role::Manager, Role::Agent, Role::Viewer] {
            assert_eq!(Role::parse(r.as_str()), Some(r));
        }
    }
}
