//! The request context every operation receives: who is acting, for which organization, and the
//! database. Operations check permissions and scope every query by [`Actor::org_id`] through it,
//! so REST and GraphQL enforce exactly the same rules.

use crate::error::{Error, Result};
use crate::reads::Reads;
use crate::role::{Action, ApiKeyScope, Role};
use sea_orm::DatabaseConnection;
use uuid::Uuid;

/// How the caller authenticated.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PrincipalKind {
    /// A user with an access token.
    User,
    /// An integration with an API key of the given scope.
    ApiKey(ApiKeyScope),
}

/// The authenticated caller.
#[derive(Debug, Clone)]
pub struct Actor {
    /// The organization every query of the request is scoped to.
    pub org_id: Uuid,
    /// The user acting, or the user who created the API key.
    pub user_id: Uuid,
    /// The API key used, if any.
    pub api_key_id: Option<Uuid>,
    /// The session (sign-in) of the access token used, if any.
    pub session_id: Option<Uuid>,
    /// How the caller authenticated.
    pub kind: PrincipalKind,
    /// The role the caller acts with.
    pub role: Role,
}

impl Actor {
    /// Whether the caller may perform `action`.
    pub fn can(&self, action: Action) -> bool {
        if self.kind == PrincipalKind::ApiKey(ApiKeyScope::Read) && action != Action::Read {
            return false;
        }
        self.role.allows(action)
    }
}

/// What a change was made through, besides its actor: an import job, say. Its events carry
/// it as `origin`, so every record an import wrote can be traced to the import.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Origin {
    /// What kind of thing: `import`.
    pub kind: &'static str,
    /// Its id.
    pub id: Uuid,
}

/// The context of one operation call.
#[derive(Debug, Clone)]
pub struct Ctx {
    /// The database (a cheap handle onto the pool).
    pub db: DatabaseConnection,
    /// The authenticated caller.
    pub actor: Actor,
    /// What the changes are made through, if not a direct request.
    pub origin: Option<Origin>,
    /// Where the hot read paths (single records, list pages, the timeline) run: the pool of
    /// `db`, or connections held for reads ([`crate::reads`]).
    pub reads: Reads,
}

impl Ctx {
    /// A context for `actor` on `db`.
    pub fn new(db: DatabaseConnection, actor: Actor) -> Self {
        Self {
            reads: Reads::pool(db.clone()),
            db,
            actor,
            origin: None,
        }
    }

    /// This context, with its hot reads run on `reads` (which must read `db`'s database).
    pub fn with_reads(mut self, reads: Reads) -> Self {
        self.reads = reads;
        self
    }

    /// This context, with its changes made through `origin`.
    pub fn with_origin(mut self, origin: Origin) -> Self {
        self.origin = Some(origin);
        self
    }

    /// The organization of the caller.
    pub fn org_id(&self) -> Uuid {
        self.actor.org_id
    }

    /// Fails with 403 unless the caller may perform `action`.
    pub fn require(&self, action: Action) -> Result<()> {
        if self.actor.can(action) {
            Ok(())
        } else {
            Err(Error::forbidden(format!(
                "Your role ({}{}) may not perform this operation",
                self.actor.role.as_str(),
                match self.actor.kind {
                    PrincipalKind::ApiKey(scope) => format!(", API key scope {}", scope.as_str()),
                    PrincipalKind::User => String::new(),
                }
            )))
        }
    }
}
