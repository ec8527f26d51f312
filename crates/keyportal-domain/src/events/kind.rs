//! The event types (exactly issue 12's list) and the kinds of actor.

use crate::DomainError;

macro_rules! event_types {
    ($($variant:ident => $name:literal,)*) => {
        /// What happened. The names are the contract; `ALL` is every one, in the order.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum EventType {
            $($variant,)*
        }

        impl EventType {
            pub const ALL: &'static [EventType] = &[$(EventType::$variant,)*];

            pub fn as_str(self) -> &'static str {
                match self {
                    $(EventType::$variant => $name,)*
                }
            }
        }
    };
}

event_types! {
    CredentialCreated => "credential.created",
    CredentialUpdated => "credential.updated",
    CredentialPrivilegesChanged => "credential.privileges_changed",
    CredentialDeleted => "credential.deleted",
    KeyGenerated => "key.generated",
    KeyRegenerated => "key.regenerated",
    KeyInvalidated => "key.invalidated",
    KeyExpiring => "key.expiring",
    KeyExpired => "key.expired",
    KeyLeaked => "key.leaked",
    LimitsChanged => "limits.changed",
    QuotaReached => "quota.reached",
    MemberCreated => "member.created",
    MemberRoleChanged => "member.role_changed",
    MemberUserTypeChanged => "member.user_type_changed",
    MemberDisabled => "member.disabled",
    MemberEnabled => "member.enabled",
    MemberDeleted => "member.deleted",
    RoleCreated => "role.created",
    RoleChanged => "role.changed",
    RoleDeleted => "role.deleted",
    SigninSucceeded => "signin.succeeded",
    SigninFailed => "signin.failed",
    LegacyImported => "legacy.imported",
    LegacyInvalidated => "legacy.invalidated",
    WebhookCreated => "webhook.created",
    WebhookDeleted => "webhook.deleted",
}

impl EventType {
    /// The type named exactly (as stored and as filters send it).
    pub fn parse(name: &str) -> Option<EventType> {
        EventType::ALL.iter().copied().find(|t| t.as_str() == name)
    }

    /// A `types` filter: names separated by commas (blank entries ignored); an unknown name
    /// is refused with the list of known ones.
    pub fn parse_list(text: &str) -> Result<Vec<EventType>, DomainError> {
        let mut types = Vec::new();
        for name in text.split(',').map(str::trim).filter(|n| !n.is_empty()) {
            match EventType::parse(name) {
                Some(t) if !types.contains(&t) => types.push(t),
                Some(_) => {}
                None => {
                    return Err(DomainError::invalid_with(
                        format!("Unknown event type '{}'.", crate::ids::shorten(name)),
                        vec![format!(
                            "Known types: {}.",
                            EventType::ALL
                                .iter()
                                .map(|t| t.as_str())
                                .collect::<Vec<_>>()
                                .join(", ")
                        )],
                    ))
                }
            }
        }
        Ok(types)
    }
}

/// Who acted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ActorKind {
    /// A signed-in member (user token or web session).
    User,
    /// An API key or legacy key (acting within its privileges).
    Key,
    /// An application's own token (`client_credentials`).
    App,
    /// The command-line operator or the server itself.
    System,
    /// Someone not signed in (a failed sign-in, a leaked-key report).
    Public,
}

impl ActorKind {
    pub const ALL: &'static [ActorKind] = &[
        ActorKind::User,
        ActorKind::Key,
        ActorKind::App,
        ActorKind::System,
        ActorKind::Public,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            ActorKind::User => "user",
            ActorKind::Key => "key",
            ActorKind::App => "app",
            ActorKind::System => "system",
            ActorKind::Public => "public",
        }
    }

    pub fn parse(name: &str) -> Option<ActorKind> {
        ActorKind::ALL.iter().copied().find(|k| k.as_str() == name)
    }
}
