//! The upstream allow-list (design §2.13): the hosts proxied items and location services may
//! forward to, managed by administrators. Pure decisions:
//!
//! - a host **name** is allowed when a host entry names it (exactly, or under a `*.` wildcard;
//!   on the entry's port if it has one); each address it resolves to at connect time must then
//!   be public, or named by an address or block entry — so `localhost`, or a public name an
//!   attacker points at 127.0.0.1 (DNS rebinding), reaches loopback only if the list names
//!   loopback;
//! - an **address** (an IP literal URL) is allowed only when an address or block entry names
//!   it: host entries never allow addresses, and naming an address is the explicit way to allow
//!   a non-public one.
//!
//! An empty list allows nothing.

mod address;
mod entry;
mod host;
#[cfg(test)]
mod props;

use std::fmt;
use std::net::IpAddr;

pub use address::{classify, AddressClass, Cidr};
pub use entry::{AllowEntry, MAX_ENTRY_LEN};
pub use host::UpstreamHost;

use crate::error::DomainError;
use crate::ids::shorten;

/// Most entries a list may hold.
pub const MAX_ALLOW_LIST_ENTRIES: usize = 1000;

/// Why an upstream may not be reached. The text is safe to show: it names the host and port
/// (never a path or query) and the kind of address, never the address itself.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    /// No entry names the host on this port.
    NotListed { host: UpstreamHost, port: u16 },
    /// The host name resolved to a non-public address no entry names.
    Address {
        host: UpstreamHost,
        ip: IpAddr,
        class: AddressClass,
    },
}

impl fmt::Display for Refusal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Refusal::NotListed { host, port } => write!(
                f,
                "The upstream host '{}' (port {port}) is not on the organization's proxy allow-list; an administrator can add it.",
                shorten(&host.as_url_host())
            ),
            Refusal::Address { host, class, .. } => write!(
                f,
                "The upstream host '{}' resolves to a {} address, which the organization's proxy allow-list does not name.",
                shorten(&host.as_url_host()),
                class.label()
            ),
        }
    }
}

/// The organization's allow-list, in the order entries were added, without duplicates.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct UpstreamAllowList {
    entries: Vec<AllowEntry>,
}

/// Whether the proxy may connect to `ip`, one of the addresses `host` resolved to, on `port`
/// (design §2.13). For an address host, `ip` must be that address.
pub fn may_connect(
    list: &UpstreamAllowList,
    host: &UpstreamHost,
    port: u16,
    ip: IpAddr,
) -> Result<(), Refusal> {
    list.check_host(host, port)?;
    let ip = ip.to_canonical();
    let named = || list.entries.iter().any(|e| e.names_address(ip, port));
    let allowed = match host {
        UpstreamHost::Ip(literal) => literal.to_canonical() == ip,
        UpstreamHost::Name(_) => classify(ip).is_public() || named(),
    };
    if allowed {
        Ok(())
    } else {
        Err(Refusal::Address {
            host: host.clone(),
            ip,
            class: classify(ip),
        })
    }
}

impl UpstreamAllowList {
    /// A list of these entries, duplicates dropped (the first kept).
    pub fn new(entries: impl IntoIterator<Item = AllowEntry>) -> UpstreamAllowList {
        let mut list = UpstreamAllowList::default();
        for entry in entries {
            if !list.entries.contains(&entry) {
                list.entries.push(entry);
            }
        }
        list
    }

    pub fn entries(&self) -> &[AllowEntry] {
        &self.entries
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// The entries in their canonical text.
    pub fn texts(&self) -> Vec<String> {
        self.entries.iter().map(ToString::to_string).collect()
    }

    /// Whether an entry names the host on `port` — the check made when a proxy is saved and
    /// on every request; connecting also checks the addresses (`may_connect`).
    pub fn check_host(&self, host: &UpstreamHost, port: u16) -> Result<(), Refusal> {
        let listed = match host {
            UpstreamHost::Name(name) => self.entries.iter().any(|e| e.allows_name(name, port)),
            UpstreamHost::Ip(ip) => self.entries.iter().any(|e| e.names_address(*ip, port)),
        };
        if listed {
            Ok(())
        } else {
            Err(Refusal::NotListed {
                host: host.clone(),
                port,
            })
        }
    }

    /// Replaces every entry (administrators' `entries`). Every bad entry is reported at once.
    pub fn replaced(values: &[String]) -> Result<UpstreamAllowList, DomainError> {
        let mut problems = Vec::new();
        let list = UpstreamAllowList::new(parse_all(values, &mut problems));
        finish(list, problems)
    }

    /// This list with `remove` taken out and `add` appended. Removing an entry that is not on
    /// the list is a problem (a typo would otherwise leave a host allowed unnoticed).
    pub fn changed(
        &self,
        add: &[String],
        remove: &[String],
    ) -> Result<UpstreamAllowList, DomainError> {
        let mut problems = Vec::new();
        let removed = parse_all(remove, &mut problems);
        let added = parse_all(add, &mut problems);
        for entry in &removed {
            if !self.entries.contains(entry) {
                problems.push(format!("'{entry}' is not on the allow-list."));
            }
        }
        let kept = self
            .entries
            .iter()
            .filter(|e| !removed.contains(e))
            .cloned();
        finish(UpstreamAllowList::new(kept.chain(added)), problems)
    }

    /// The stored form: a JSON array of canonical entries.
    pub fn to_stored(&self) -> String {
        serde_json::Value::from(self.texts()).to_string()
    }

    /// Reads the stored form. Entries that no longer read are left out (so the list allows
    /// less, never more) and returned for the log.
    pub fn from_stored(text: &str) -> (UpstreamAllowList, Vec<String>) {
        let values: Vec<String> = match serde_json::from_str(text) {
            Ok(values) => values,
            Err(_) => return (UpstreamAllowList::default(), vec![shorten(text)]),
        };
        let mut unreadable = Vec::new();
        let entries = values
            .iter()
            .filter_map(|v| match AllowEntry::parse(v) {
                Ok(entry) => Some(entry),
                Err(_) => {
                    unreadable.push(shorten(v));
                    None
                }
            })
            .collect::<Vec<_>>();
        (UpstreamAllowList::new(entries), unreadable)
    }
}

/// Reads non-blank values; each bad one adds a problem.
fn parse_all(values: &[String], problems: &mut Vec<String>) -> Vec<AllowEntry> {
    values
        .iter()
        .map(|v| v.trim())
        .filter(|v| !v.is_empty())
        .filter_map(|v| AllowEntry::parse(v).map_err(|e| problems.push(e)).ok())
        .collect()
}

fn finish(
    list: UpstreamAllowList,
    mut problems: Vec<String>,
) -> Result<UpstreamAllowList, DomainError> {
    if list.entries.len() > MAX_ALLOW_LIST_ENTRIES {
        problems.push(format!(
            "The allow-list may hold at most {MAX_ALLOW_LIST_ENTRIES} entries."
        ));
    }
    if problems.is_empty() {
        Ok(list)
    } else {
        Err(DomainError::invalid_with(
            "Invalid proxy allow-list.",
            problems,
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn list(entries: &[&str]) -> UpstreamAllowList {
        let values: Vec<String> = entries.iter().map(|e| e.to_string()).collect();
        UpstreamAllowList::replaced(&values).expect("list")
    }

    fn name(n: &str) -> UpstreamHost {
        UpstreamHost::Name(n.into())
    }

    fn ip(text: &str) -> IpAddr {
        text.parse().expect("address")
    }

    #[test]
    fn the_loopback_attack_is_refused_unless_loopback_is_named() {
        let empty = UpstreamAllowList::default();
        let loopback = UpstreamHost::Ip(ip("127.0.0.1"));
        assert!(matches!(
            may_connect(&empty, &loopback, 8080, ip("127.0.0.1")),
            Err(Refusal::NotListed { port: 8080, .. })
        ));
        // Host entries never allow an address, not even a public one.
        let names = list(&["*.example.com", "localhost"]);
        assert!(names.check_host(&loopback, 8080).is_err());
        assert!(names
            .check_host(&UpstreamHost::Ip(ip("8.8.8.8")), 443)
            .is_err());
        let metadata = UpstreamHost::Ip(ip("169.254.169.254"));
        assert!(names.check_host(&metadata, 80).is_err());

        let named = list(&["127.0.0.1:8080"]);
        assert!(may_connect(&named, &loopback, 8080, ip("127.0.0.1")).is_ok());
        assert!(may_connect(&named, &loopback, 8081, ip("127.0.0.1")).is_err());
        assert!(may_connect(&named, &loopback, 8080, ip("127.0.0.2")).is_err());
        let mapped = UpstreamHost::Ip(ip("::ffff:127.0.0.1"));
        assert!(may_connect(&named, &mapped, 8080, ip("127.0.0.1")).is_ok());
    }

    #[test]
    fn names_reach_non_public_addresses_only_when_the_list_names_them() {
        let names = list(&["localhost", "*.example.com"]);
        let refused = may_connect(&names, &name("localhost"), 80, ip("127.0.0.1"));
        assert_eq!(
            refused,
            Err(Refusal::Address {
                host: name("localhost"),
                ip: ip("127.0.0.1"),
                class: AddressClass::Loopback
            })
        );
        let text = refused.expect_err("refused").to_string();
        assert!(
            text.contains("'localhost'") && text.contains("loopback"),
            "{text}"
        );
        assert!(
            !text.contains("127.0.0.1"),
            "addresses are not shown: {text}"
        );
        // A public name rebound to the metadata address.
        assert!(may_connect(&names, &name("gis.example.com"), 443, ip("169.254.169.254")).is_err());
        assert!(may_connect(&names, &name("gis.example.com"), 443, ip("::ffff:10.0.0.1")).is_err());
        assert!(may_connect(&names, &name("gis.example.com"), 443, ip("93.184.216.34")).is_ok());
        assert!(may_connect(&names, &name("other.org"), 443, ip("93.184.216.34")).is_err());

        let with_loopback = list(&["localhost", "127.0.0.0/8", "[::1]:9000"]);
        assert!(may_connect(&with_loopback, &name("localhost"), 80, ip("127.0.0.1")).is_ok());
        assert!(may_connect(&with_loopback, &name("localhost"), 9000, ip("::1")).is_ok());
        assert!(may_connect(&with_loopback, &name("localhost"), 80, ip("::1")).is_err());
    }

    #[test]
    fn changes_report_every_problem_and_keep_order() {
        let current = list(&["a.example.com", "10.0.0.0/8"]);
        let next = current
            .changed(
                &["b.example.com".into(), "A.example.com".into(), " ".into()],
                &["10.1.2.3/8".into()],
            )
            .expect("changed");
        assert_eq!(next.texts(), ["a.example.com", "b.example.com"]);
        let error = current
            .changed(&["bad host".into()], &["c.example.com".into()])
            .expect_err("refused");
        let DomainError::Invalid { details, .. } = error else {
            panic!("invalid expected");
        };
        assert_eq!(details.len(), 2, "{details:?}");
        let too_many: Vec<String> = (0..=MAX_ALLOW_LIST_ENTRIES)
            .map(|i| format!("h{i}.example.com"))
            .collect();
        assert!(UpstreamAllowList::replaced(&too_many).is_err());
    }

    #[test]
    fn the_stored_form_round_trips_and_drops_what_no_longer_reads() {
        let original = list(&["*.example.com:443", "[::1]:9000", "fd00::/8", "127.0.0.1"]);
        let (read, unreadable) = UpstreamAllowList::from_stored(&original.to_stored());
        assert_eq!(read, original);
        assert!(unreadable.is_empty());
        let (read, unreadable) =
            UpstreamAllowList::from_stored(r#"["gis.example.com","not valid!"]"#);
        assert_eq!(read.texts(), ["gis.example.com"]);
        assert_eq!(unreadable, ["not valid!"]);
        let (read, unreadable) = UpstreamAllowList::from_stored("{");
        assert!(read.is_empty() && unreadable.len() == 1);
    }
}
