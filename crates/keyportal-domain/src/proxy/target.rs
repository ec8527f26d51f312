//! What a proxy forwards to: a proxied item or a location service, and how it is named in
//! storage and on the change feed.

use crate::error::DomainError;
use crate::ids::is_hex_id;
use crate::usage::validate_service_name;

/// What a proxy forwards to.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ProxyTarget {
    /// A proxied item, by its (lower-case) id.
    Item(String),
    /// A location service, by its (lower-case) name.
    Service(String),
}

impl ProxyTarget {
    /// An item target from an id on the wire.
    pub fn item(id: &str) -> Result<ProxyTarget, DomainError> {
        crate::ids::parse_item_id(id).map(ProxyTarget::Item)
    }

    /// A location-service target from a name on the wire (case-insensitive).
    pub fn service(name: &str) -> Result<ProxyTarget, DomainError> {
        validate_service_name(name)?;
        Ok(ProxyTarget::Service(name.to_ascii_lowercase()))
    }

    /// `item` or `service` (the stored kind).
    pub fn kind(&self) -> &'static str {
        match self {
            ProxyTarget::Item(_) => "item",
            ProxyTarget::Service(_) => "service",
        }
    }

    /// The item id or the service name; usage is counted under it.
    pub fn name(&self) -> &str {
        match self {
            ProxyTarget::Item(name) | ProxyTarget::Service(name) => name,
        }
    }

    /// Rebuilds a target from its stored kind and name.
    pub fn from_parts(kind: &str, name: &str) -> Option<ProxyTarget> {
        match kind {
            "item" if is_hex_id(name) => Some(ProxyTarget::Item(name.to_ascii_lowercase())),
            "service" if validate_service_name(name).is_ok() => {
                Some(ProxyTarget::Service(name.to_ascii_lowercase()))
            }
            _ => None,
        }
    }

    /// The change-feed subject: `proxy:<itemId>` or `proxy:service:<name>`.
    pub fn subject(&self) -> String {
        match self {
            ProxyTarget::Item(id) => format!("proxy:{id}"),
            ProxyTarget::Service(name) => format!("proxy:service:{name}"),
        }
    }

    /// The target named by a change notice, given the part after `proxy:`.
    pub fn from_subject(rest: &str) -> Option<ProxyTarget> {
        match rest.strip_prefix("service:") {
            Some(name) => ProxyTarget::from_parts("service", name),
            None => ProxyTarget::from_parts("item", rest),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn targets_round_trip_through_subjects_and_parts() {
        for target in [
            ProxyTarget::Item("b".repeat(32)),
            ProxyTarget::Service("geocode".into()),
        ] {
            let subject = target.subject();
            let rest = subject.strip_prefix("proxy:").expect("prefix");
            assert_eq!(ProxyTarget::from_subject(rest), Some(target.clone()));
            assert_eq!(
                ProxyTarget::from_parts(target.kind(), target.name()),
                Some(target)
            );
        }
        assert_eq!(ProxyTarget::from_subject("nonsense"), None);
        assert!(ProxyTarget::item("xyz").is_err());
    }
}
