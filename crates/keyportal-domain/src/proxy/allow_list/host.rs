//! The host of an upstream URL, read as URL parsers read it.
//!
//! Host names are ASCII (IDNs in their `xn--` form); names whose last label is a number are
//! refused, because URL parsers read them as IPv4 addresses (`2130706433`, `0x7f.1`).

use std::fmt;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

const MAX_NAME_LEN: usize = 253;
const MAX_LABEL_LEN: usize = 63;

/// The host of an upstream URL: a lower-case name, or an address.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum UpstreamHost {
    Name(String),
    Ip(IpAddr),
}

impl UpstreamHost {
    /// Reads a URL's host: a name, an IPv4 address in dotted decimal, or `[IPv6]`.
    pub fn parse(host: &str) -> Result<UpstreamHost, String> {
        if let Some(inner) = host.strip_prefix('[') {
            return inner
                .strip_suffix(']')
                .and_then(|v6| v6.parse::<Ipv6Addr>().ok())
                .map(|v6| UpstreamHost::Ip(IpAddr::V6(v6).to_canonical()))
                .ok_or_else(|| format!("'{host}' is not a valid IPv6 address."));
        }
        if let Ok(v4) = host.parse::<Ipv4Addr>() {
            return Ok(UpstreamHost::Ip(IpAddr::V4(v4)));
        }
        check_name(host).map(UpstreamHost::Name)
    }

    /// The name, or the address (IPv6 in brackets), as written in URLs.
    pub fn as_url_host(&self) -> String {
        match self {
            UpstreamHost::Name(name) => name.clone(),
            UpstreamHost::Ip(IpAddr::V6(v6)) => format!("[{v6}]"),
            UpstreamHost::Ip(ip) => ip.to_string(),
        }
    }
}

impl fmt::Display for UpstreamHost {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.as_url_host())
    }
}

/// Whether a name's last label is a number (decimal or `0x` hex): URL parsers then read the
/// whole host as an IPv4 address.
fn ends_in_number(name: &str) -> bool {
    let name = name.strip_suffix('.').unwrap_or(name);
    let last = name.rsplit('.').next().unwrap_or(name);
    if !last.is_empty() && last.bytes().all(|b| b.is_ascii_digit()) {
        return true;
    }
    last.strip_prefix("0x")
        .or_else(|| last.strip_prefix("0X"))
        .is_some_and(|hex| hex.bytes().all(|b| b.is_ascii_hexdigit()))
}

/// Checks a host name and returns it in lower case, without a final dot.
pub(super) fn check_name(text: &str) -> Result<String, String> {
    let name = text.strip_suffix('.').unwrap_or(text).to_ascii_lowercase();
    let shown = crate::ids::shorten(text);
    if name.is_empty() || name.len() > MAX_NAME_LEN {
        return Err(format!("'{shown}' is not a valid host name."));
    }
    if ends_in_number(&name) {
        return Err(format!(
            "'{shown}' is neither a host name nor an IPv4 address in dotted decimal (a.b.c.d)."
        ));
    }
    let label_ok = |label: &str| {
        !label.is_empty()
            && label.len() <= MAX_LABEL_LEN
            && !label.starts_with('-')
            && !label.ends_with('-')
            && label
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
    };
    if !name.split('.').all(label_ok) {
        return Err(format!(
            "'{shown}' is not a valid host name (letters, digits, '-' and '_' in dot-separated labels; internationalized names in their xn-- form)."
        ));
    }
    Ok(name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn upstream_hosts_read_like_url_parsers_or_not_at_all() {
        assert_eq!(
            UpstreamHost::parse("[::ffff:127.0.0.1]"),
            Ok(UpstreamHost::Ip("127.0.0.1".parse().expect("ip")))
        );
        assert_eq!(
            UpstreamHost::parse("Gis.Example.COM."),
            Ok(UpstreamHost::Name("gis.example.com".into()))
        );
        for bad in [
            "2130706433",
            "0x7f000001",
            "127.1",
            "127.0.0.1.",
            "[::1",
            "a b",
        ] {
            assert!(UpstreamHost::parse(bad).is_err(), "{bad}");
        }
        assert_eq!(
            UpstreamHost::Ip("::1".parse().expect("ip")).as_url_host(),
            "[::1]"
        );
    }
}
