//! One allow-list entry.
//!
//! Entries (case-insensitive, shown in their canonical form):
//! - `gis.example.com`, `gis.example.com:8443` — that host name (on any port, or one port);
//! - `*.example.com[:port]` — `example.com` and every name under it;
//! - `203.0.113.7`, `203.0.113.7:8080`, `2001:db8::7`, `[2001:db8::7]:8080` — that address;
//! - `10.0.0.0/8`, `fd00::/8` — every address in the block (any port).
//!
//! Host names follow `host.rs`.

use std::fmt;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use super::address::Cidr;
use super::host::check_name;

/// Longest entry accepted, in bytes.
pub const MAX_ENTRY_LEN: usize = 300;

/// `1`–`65535`, digits only.
fn parse_port(text: &str) -> Option<u16> {
    if text.is_empty() || text.len() > 5 || !text.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    text.parse::<u16>().ok().filter(|p| *p != 0)
}

/// One entry of the allow-list.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum AllowEntry {
    /// A host name; with `wildcard`, the name and every name under it.
    Host {
        name: String,
        wildcard: bool,
        port: Option<u16>,
    },
    /// One address (IPv4-mapped IPv6 addresses are kept as IPv4).
    Address { ip: IpAddr, port: Option<u16> },
    /// A block of addresses, on any port.
    Block(Cidr),
}

impl AllowEntry {
    /// Reads an entry; the error says what is wrong with it.
    pub fn parse(text: &str) -> Result<AllowEntry, String> {
        let text = text.trim();
        let shown = crate::ids::shorten(text);
        if text.is_empty() {
            return Err("An entry is empty.".into());
        }
        if text.len() > MAX_ENTRY_LEN {
            return Err(format!(
                "'{shown}' is longer than {MAX_ENTRY_LEN} characters."
            ));
        }
        if let Some((_, rest)) = text.split_once("://") {
            let host = rest.split(['/', '?', '#']).next().unwrap_or_default();
            return Err(format!(
                "'{shown}' is a URL: write only its host (and port if needed), such as '{}'.",
                crate::ids::shorten(host)
            ));
        }
        if let Some((address, prefix)) = text.split_once('/') {
            return parse_block(address, prefix).ok_or_else(|| {
                format!("'{shown}' is not a valid address block (such as 10.0.0.0/8 or fd00::/8).")
            });
        }
        if let Some(inner) = text.strip_prefix('[') {
            let (v6, after) = inner
                .split_once(']')
                .ok_or_else(|| format!("'{shown}': the IPv6 address is not closed with ']'."))?;
            let ip = v6
                .parse::<Ipv6Addr>()
                .map_err(|_| format!("'{shown}' is not a valid IPv6 address."))?;
            let port = match after {
                "" => None,
                _ => Some(
                    after
                        .strip_prefix(':')
                        .and_then(parse_port)
                        .ok_or_else(|| port_error(&shown))?,
                ),
            };
            return Ok(AllowEntry::Address {
                ip: IpAddr::V6(ip).to_canonical(),
                port,
            });
        }
        if let Ok(ip) = text.parse::<IpAddr>() {
            return Ok(AllowEntry::Address {
                ip: ip.to_canonical(),
                port: None,
            });
        }
        let (host, port) = match text.rsplit_once(':') {
            Some((host, _)) if host.contains(':') => {
                return Err(format!(
                    "'{shown}' is not an IPv6 address; one with a port is written [address]:port."
                ))
            }
            Some((host, port)) => (
                host,
                Some(parse_port(port).ok_or_else(|| port_error(&shown))?),
            ),
            None => (text, None),
        };
        if let Ok(v4) = host.parse::<Ipv4Addr>() {
            return Ok(AllowEntry::Address {
                ip: IpAddr::V4(v4),
                port,
            });
        }
        let (name, wildcard) = match host.strip_prefix("*.") {
            Some(domain) => (domain, true),
            None => (host, false),
        };
        if name.contains('*') {
            return Err(format!(
                "'{shown}': a wildcard is only allowed as the first label ('*.example.com')."
            ));
        }
        let name = check_name(name)?;
        if wildcard && !name.contains('.') {
            return Err(format!(
                "'{shown}' is too broad: a wildcard needs a domain of at least two labels ('*.example.com')."
            ));
        }
        Ok(AllowEntry::Host {
            name,
            wildcard,
            port,
        })
    }

    /// Whether this host-name entry allows `name` (lower case, no final dot) on `port`.
    pub fn allows_name(&self, name: &str, port: u16) -> bool {
        let AllowEntry::Host {
            name: entry,
            wildcard,
            port: entry_port,
        } = self
        else {
            return false;
        };
        if entry_port.is_some_and(|p| p != port) {
            return false;
        }
        name == entry
            || (*wildcard
                && name
                    .strip_suffix(entry.as_str())
                    .is_some_and(|head| head.len() > 1 && head.ends_with('.')))
    }

    /// Whether this address or block entry names `ip` (on `port`).
    pub fn names_address(&self, ip: IpAddr, port: u16) -> bool {
        match self {
            AllowEntry::Address {
                ip: entry,
                port: entry_port,
            } => *entry == ip.to_canonical() && entry_port.unwrap_or(port) == port,
            AllowEntry::Block(block) => block.contains(ip),
            AllowEntry::Host { .. } => false,
        }
    }
}

fn port_error(shown: &str) -> String {
    format!("'{shown}': the port must be a number from 1 to 65535.")
}

fn parse_block(address: &str, prefix: &str) -> Option<AllowEntry> {
    let ip = address.parse::<IpAddr>().ok()?;
    if prefix.is_empty() || prefix.len() > 3 || !prefix.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    Cidr::new(ip, prefix.parse().ok()?).map(AllowEntry::Block)
}

impl fmt::Display for AllowEntry {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            AllowEntry::Host {
                name,
                wildcard,
                port,
            } => {
                if *wildcard {
                    f.write_str("*.")?;
                }
                f.write_str(name)?;
                match port {
                    Some(port) => write!(f, ":{port}"),
                    None => Ok(()),
                }
            }
            AllowEntry::Address { ip, port: None } => write!(f, "{ip}"),
            AllowEntry::Address {
                ip: IpAddr::V6(v6),
                port: Some(port),
            } => write!(f, "[{v6}]:{port}"),
            AllowEntry::Address {
                ip,
                port: Some(port),
            } => write!(f, "{ip}:{port}"),
            AllowEntry::Block(block) => write!(f, "{block}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn canonical(text: &str) -> String {
        AllowEntry::parse(text)
            .unwrap_or_else(|e| panic!("{text}: {e}"))
            .to_string()
    }

    #[test]
    fn entries_read_in_every_form_and_show_canonically() {
        for (text, shown) in [
            ("GIS.Example.com", "gis.example.com"),
            (" gis.example.com.:8443 ", "gis.example.com:8443"),
            ("*.Example.com", "*.example.com"),
            ("*.example.com:443", "*.example.com:443"),
            ("localhost", "localhost"),
            ("127.0.0.1", "127.0.0.1"),
            ("127.0.0.1:8080", "127.0.0.1:8080"),
            ("::1", "::1"),
            ("[::1]", "::1"),
            ("[::1]:9000", "[::1]:9000"),
            ("::ffff:10.0.0.1", "10.0.0.1"),
            ("[::ffff:10.0.0.1]:80", "10.0.0.1:80"),
            ("10.9.8.7/8", "10.0.0.0/8"),
            ("FD00::1/8", "fd00::/8"),
            ("169.254.169.254/32", "169.254.169.254/32"),
            ("xn--bcher-kva.example", "xn--bcher-kva.example"),
            ("my_host", "my_host"),
        ] {
            assert_eq!(canonical(text), shown, "{text}");
        }
    }

    #[test]
    fn bad_entries_say_why() {
        for (text, why) in [
            ("", "empty"),
            ("https://gis.example.com/arcgis", "'gis.example.com'"),
            ("gis.example.com:0", "port"),
            ("gis.example.com:65536", "port"),
            ("gis.example.com:+80", "port"),
            ("gis.example.com:", "port"),
            ("*", "first label"),
            ("*.com", "too broad"),
            ("a.*.example.com", "first label"),
            ("**.example.com", "first label"),
            ("2130706433", "dotted decimal"),
            ("0x7f.1", "dotted decimal"),
            ("127.1", "dotted decimal"),
            ("010.0.0.1", "dotted decimal"),
            ("-bad.example.com", "not a valid host name"),
            ("bad..example.com", "not a valid host name"),
            ("bücher.example", "xn--"),
            ("10.0.0.0/33", "address block"),
            ("10.0.0.0/", "address block"),
            ("10.0.0.0/+8", "address block"),
            ("gis.example.com/8", "address block"),
            ("[::1", "not closed"),
            ("[::1]x", "port"),
            ("[nope]", "IPv6"),
            ("fe80::1:80:x", "[address]:port"),
        ] {
            let error = AllowEntry::parse(text).expect_err(text);
            assert!(error.contains(why), "{text}: {error}");
        }
        let long = format!("{}.example.com", "a".repeat(MAX_ENTRY_LEN));
        assert!(AllowEntry::parse(&long).is_err());
    }

    #[test]
    fn wildcards_match_the_domain_and_below_at_label_boundaries() {
        let entry = AllowEntry::parse("*.example.com").expect("entry");
        assert!(entry.allows_name("example.com", 443));
        assert!(entry.allows_name("gis.example.com", 80));
        assert!(entry.allows_name("a.b.example.com", 8080));
        assert!(!entry.allows_name("evil-example.com", 443));
        assert!(!entry.allows_name("example.com.evil.net", 443));
        assert!(!entry.allows_name(".example.com", 443));
        let exact = AllowEntry::parse("gis.example.com:8443").expect("entry");
        assert!(exact.allows_name("gis.example.com", 8443));
        assert!(!exact.allows_name("gis.example.com", 443));
        assert!(!exact.allows_name("x.gis.example.com", 8443));
        assert!(!exact.names_address("127.0.0.1".parse().expect("ip"), 8443));
    }
}
