//! Who is calling: resolving a bearer token to a member, and what the caller may do.

use std::net::IpAddr;

use keyportal_domain::authz::{authorize, CallerKind, Denial, Operation};
use keyportal_domain::group::MemberType;
use keyportal_domain::privilege::{PrivilegeSet, CATALOG};
use keyportal_domain::role::{built_in_role, Role};
use keyportal_domain::secret::sha256_hex;
use keyportal_domain::user::{effective_privileges, User};
use keyportal_domain::visibility::{KeyScope, Viewer};
use keyportal_domain::DomainError;

use crate::error::{ServiceError, ServiceResult};
use crate::key_table::{GrantKind, KeyTable, Resolved};
use crate::metrics::key_checks::{DenyReason, KeyCheck};
use crate::Portal;

/// Facts about the request that token rules depend on.
#[derive(Debug, Clone, Default)]
pub struct RequestFacts {
    /// The `Referer` header, or `Origin` when there is no `Referer`.
    pub referer: Option<String>,
    pub client_ip: Option<String>,
}

/// The client's address as the HTTP layer resolved it (the peer, or behind a trusted proxy
/// what it forwards), kept in the request's extensions for every reader.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ClientAddress(pub std::net::IpAddr);

impl RequestFacts {
    /// What the key table checks besides the key (the address parsed, on the stack).
    pub fn key_request<'a>(&'a self, service: Option<&'a str>) -> crate::key_table::KeyRequest<'a> {
        crate::key_table::KeyRequest {
            referer: self.referer.as_deref(),
            address: self
                .client_ip
                .as_deref()
                .and_then(|ip| ip.parse::<std::net::IpAddr>().ok())
                .map(keyportal_domain::address::canonical),
            service,
        }
    }

    /// The client address, parsed (no allocation).
    pub fn address(&self) -> Option<IpAddr> {
        self.client_ip.as_deref().and_then(|ip| ip.parse().ok())
    }
}

/// A signed-in member with everything the rules need, loaded once per request.
#[derive(Debug, Clone)]
pub struct Member {
    pub user: User,
    pub role: Role,
    /// Role privileges limited by the user type.
    pub privileges: PrivilegeSet,
    /// Groups the member belongs to.
    pub memberships: Vec<(String, MemberType)>,
    /// Hash of the token the member authenticated with, for sign-out.
    pub token_hash: Option<String>,
    /// The client address of the request, for the events it causes.
    pub address: Option<IpAddr>,
}

impl Member {
    pub fn has(&self, privilege: &str) -> bool {
        self.privileges.contains(privilege)
    }

    pub fn membership(&self, group_id: &str) -> Option<MemberType> {
        self.memberships
            .iter()
            .find(|(g, _)| g == group_id)
            .map(|(_, t)| *t)
    }
}

/// The caller of an operation.
#[derive(Debug, Clone)]
pub enum Caller {
    Anonymous,
    Member(Box<Member>),
    /// An API key, app token or legacy key, checked against the in-memory key table.
    Key(Box<Resolved>),
    /// The operator at the command line: every privilege, no account.
    System {
        org_id: String,
    },
}

impl Caller {
    /// The caller as visibility rules see it.
    pub fn viewer(&self) -> Viewer {
        match self {
            Caller::Anonymous => Viewer::anonymous(),
            Caller::Member(m) => Viewer {
                kind: CallerKind::Member,
                username: Some(m.user.username.clone()),
                org_id: Some(m.user.org_id.clone()),
                privileges: m.privileges.clone(),
                group_ids: m.memberships.iter().map(|(g, _)| g.clone()).collect(),
                key_scope: None,
            },
            Caller::Key(key) => Viewer {
                kind: key_kind(key),
                username: (key_kind(key) == CallerKind::PersonalKey)
                    .then(|| key.grant.owner().to_string()),
                org_id: Some(key.owner.org_id.clone()),
                privileges: key.effective_privileges(),
                group_ids: Default::default(),
                key_scope: Some(KeyScope {
                    owner: key.grant.owner().to_string(),
                    items: key.grant.item_access().to_vec(),
                }),
            },
            Caller::System { org_id } => Viewer {
                kind: CallerKind::System,
                username: None,
                org_id: Some(org_id.clone()),
                privileges: CATALOG.iter().map(|p| p.string).collect(),
                group_ids: Default::default(),
                key_scope: None,
            },
        }
    }

    /// The key behind the request, for API keys, app tokens and legacy keys.
    pub fn key(&self) -> Option<&Resolved> {
        match self {
            Caller::Key(key) => Some(key),
            _ => None,
        }
    }

    pub fn member(&self) -> Option<&Member> {
        match self {
            Caller::Member(m) => Some(m),
            _ => None,
        }
    }

    /// The account the caller acts as: a member, or the owner of a personal key.
    pub fn username(&self) -> Option<&str> {
        match self {
            Caller::Member(m) => Some(m.user.username.as_str()),
            Caller::Key(key) if key_kind(key) == CallerKind::PersonalKey => Some(key.grant.owner()),
            _ => None,
        }
    }

    /// Asks the one authorization decision (design §2.11) whether the caller may do this.
    pub fn authorize(&self, operation: &Operation<'_>) -> ServiceResult<()> {
        authorize(&self.viewer(), operation).map_err(ServiceError::from)
    }

    /// Whether the caller may do this, for choices of what to show rather than refusals.
    pub fn allows(&self, operation: &Operation<'_>) -> bool {
        self.authorize(operation).is_ok()
    }
}

/// How authorization sees a key: personal API keys act as their owner; app keys, app tokens
/// and legacy keys are applications.
fn key_kind(key: &Resolved) -> CallerKind {
    match key.grant.kind {
        GrantKind::ApiKey(_) if key.grant.personal() => CallerKind::PersonalKey,
        GrantKind::ApiKey(_) => CallerKind::AppKey,
        GrantKind::AppToken => CallerKind::AppToken,
        GrantKind::Legacy => CallerKind::LegacyKey,
    }
}

impl From<Denial> for ServiceError {
    fn from(denial: Denial) -> ServiceError {
        match denial {
            Denial::SignInRequired => ServiceError::TokenRequired,
            other => ServiceError::Domain(DomainError::from(other)),
        }
    }
}

impl Portal {
    /// Resolves the request's token. No token → anonymous; a token that is unknown, expired,
    /// bound elsewhere or belongs to a disabled member → invalid token (498).
    pub async fn authenticate(
        &self,
        token: Option<&str>,
        facts: &RequestFacts,
    ) -> ServiceResult<Caller> {
        let Some(token) = token.filter(|t| !t.is_empty()) else {
            return Ok(Caller::Anonymous);
        };
        if token.len() > 4096 {
            return Err(ServiceError::InvalidToken);
        }
        let now = self.now();
        match self.key_table.check(token, &facts.key_request(None), now) {
            Ok(mut resolved) => {
                resolved.address = facts.address();
                self.check_limits(&resolved, now)?;
                self.count_key_check(KeyCheck::Allowed);
                self.count_portal_use(&resolved);
                return Ok(Caller::Key(Box::new(resolved)));
            }
            // Anything else not in the table is a user token (looked up below), not a key.
            Err(crate::key_table::Denial::Unknown) if !KeyTable::looks_like_key(token) => {}
            // Anything shaped like a key is decided by the table alone (no database read).
            Err(denial) => {
                self.count_key_check(KeyCheck::Denied(DenyReason::Key(denial)));
                return Err(ServiceError::InvalidToken);
            }
        }
        let hash = sha256_hex(token);
        let stored = self
            .store
            .get_token(&hash)
            .await?
            .ok_or(ServiceError::InvalidToken)?;
        if stored.is_expired(self.now())
            || !stored.binding_allows(facts.referer.as_deref(), facts.client_ip.as_deref())
        {
            return Err(ServiceError::InvalidToken);
        }
        let mut member = self
            .load_member(&stored.username)
            .await?
            .ok_or(ServiceError::InvalidToken)?;
        if member.user.disabled {
            return Err(ServiceError::InvalidToken);
        }
        member.token_hash = Some(hash);
        member.address = facts.address();
        Ok(Caller::Member(Box::new(member)))
    }

    /// A member with role, privileges and memberships, or `None` for an unknown username.
    pub async fn load_member(&self, username: &str) -> ServiceResult<Option<Member>> {
        let Some(user) = self.store.get_user(username).await? else {
            return Ok(None);
        };
        let role = self.role_by_id(&user.role_id).await?;
        let privileges = effective_privileges(&role, user.user_type, user.disabled);
        let memberships = self.store.memberships_of(username).await?;
        Ok(Some(Member {
            user,
            role,
            privileges,
            memberships,
            token_hash: None,
            address: None,
        }))
    }

    /// A built-in or custom role by id. A custom role deleted underneath a member falls back
    /// to Viewer rather than failing every request.
    pub(crate) async fn role_by_id(&self, role_id: &str) -> ServiceResult<Role> {
        if let Some(role) = built_in_role(role_id) {
            return Ok(role);
        }
        match self.store.get_role(role_id).await? {
            Some(role) => Ok(role),
            None => built_in_role(keyportal_domain::role::VIEWER_ROLE_ID)
                .ok_or_else(|| ServiceError::Internal("viewer role missing".into())),
        }
    }

    /// The system operator's caller (CLI).
    pub async fn system_caller(&self) -> ServiceResult<Caller> {
        let org = self
            .store
            .get_org()
            .await?
            .ok_or_else(|| ServiceError::invalid("The portal has not been initialized yet."))?;
        Ok(Caller::System { org_id: org.id })
    }
}
