//! Which address a request comes from. The connection's peer, unless the peer is one of the
//! proxies the operator trusts (`--trusted-proxies`): then the rightmost `X-Forwarded-For`
//! entry that is not itself a trusted proxy (or the nearest trusted one when all are), and
//! `X-Real-IP` only when there is no `X-Forwarded-For`. From any other peer those
//! headers are ignored — a client cannot name its own address. Reading them borrows the
//! header text and parses addresses on the stack: nothing is allocated.

use std::net::IpAddr;

use super::{canonical, AddressError, AddressPattern};

/// The proxies whose forwarding headers are believed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TrustedProxies {
    blocks: Vec<AddressPattern>,
}

impl TrustedProxies {
    /// No proxy is trusted: the peer is always the client.
    pub fn none() -> TrustedProxies {
        TrustedProxies::default()
    }

    /// A comma list of addresses and CIDR blocks (`--trusted-proxies`); the error names the
    /// entry.
    pub fn parse(list: &str) -> Result<TrustedProxies, String> {
        let mut blocks = Vec::new();
        for entry in list.split(',').map(str::trim).filter(|e| !e.is_empty()) {
            let block = AddressPattern::parse(entry)
                .map_err(|error: AddressError| format!("'{entry}': {error}"))?;
            blocks.push(block);
        }
        Ok(TrustedProxies { blocks })
    }

    pub fn is_empty(&self) -> bool {
        self.blocks.is_empty()
    }

    pub fn blocks(&self) -> &[AddressPattern] {
        &self.blocks
    }

    /// Whether `address` is a trusted proxy.
    #[inline]
    pub fn trusts(&self, address: IpAddr) -> bool {
        self.blocks.iter().any(|b| b.matches(address))
    }

    /// The client's address for a request from `peer` carrying these headers (their raw
    /// values, when present).
    pub fn client_address(
        &self,
        peer: IpAddr,
        forwarded_for: Option<&str>,
        real_ip: Option<&str>,
    ) -> IpAddr {
        let peer = canonical(peer);
        if self.blocks.is_empty() || !self.trusts(peer) {
            return peer;
        }
        // Walking left from the end: each trusted hop vouches for the entry before it. The
        // first entry that is not trusted is the client; a malformed entry ends the walk (what
        // lies beyond it was written by the client), leaving the nearest trusted hop. A proxy
        // that sends `X-Forwarded-For` is believed by it alone: `X-Real-IP` counts only without
        // it (a client could have sent one through a proxy that sets only the first).
        if let Some(list) = forwarded_for {
            let mut nearest = peer;
            for entry in list.rsplit(',') {
                let Some(address) = parse_entry(entry) else {
                    break;
                };
                if !self.trusts(address) {
                    return address;
                }
                nearest = address;
            }
            return nearest;
        }
        real_ip.and_then(parse_entry).unwrap_or(peer)
    }
}

/// One forwarded address: `203.0.113.7`, `2001:db8::1`, `[2001:db8::1]` or with a port
/// (`203.0.113.7:5123`, `[2001:db8::1]:5123`), as proxies write them.
fn parse_entry(entry: &str) -> Option<IpAddr> {
    let entry = entry.trim();
    if let Ok(address) = entry.parse::<IpAddr>() {
        return Some(canonical(address));
    }
    let bare = if let Some(rest) = entry.strip_prefix('[') {
        rest.split_once(']')?.0
    } else {
        // IPv4 with a port: exactly one colon.
        let (host, port) = entry.split_once(':')?;
        if port.contains(':') || !port.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        host
    };
    bare.parse::<IpAddr>().ok().map(canonical)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(text: &str) -> IpAddr {
        text.parse().expect("address")
    }

    fn trusted() -> TrustedProxies {
        TrustedProxies::parse("10.0.0.0/8, ::1").expect("list")
    }

    #[test]
    fn an_untrusted_peer_is_the_client_whatever_it_claims() {
        let t = trusted();
        let peer = ip("198.51.100.9");
        assert_eq!(
            t.client_address(peer, Some("203.0.113.1"), Some("203.0.113.2")),
            peer
        );
        assert_eq!(
            TrustedProxies::none().client_address(ip("10.0.0.1"), Some("1.2.3.4"), None),
            ip("10.0.0.1")
        );
    }

    #[test]
    fn the_rightmost_untrusted_forwarded_entry_is_the_client() {
        let t = trusted();
        let peer = ip("10.0.0.1");
        // The client wrote "6.6.6.6" itself; nginx appended the real peer 203.0.113.7, then an
        // inner trusted hop appended 10.1.1.1.
        assert_eq!(
            t.client_address(peer, Some("6.6.6.6, 203.0.113.7, 10.1.1.1"), None),
            ip("203.0.113.7")
        );
        assert_eq!(
            t.client_address(peer, None, Some("203.0.113.8")),
            ip("203.0.113.8")
        );
        // With X-Forwarded-For, X-Real-IP is not read (a client may have sent it).
        assert_eq!(
            t.client_address(peer, Some("garbage"), Some("203.0.113.8")),
            peer
        );
        assert_eq!(
            t.client_address(peer, Some("10.9.9.9"), Some("203.0.113.8")),
            ip("10.9.9.9")
        );
        assert_eq!(
            t.client_address(peer, Some("10.2.2.2"), None),
            ip("10.2.2.2")
        );
        assert_eq!(t.client_address(peer, None, None), peer);
        assert_eq!(
            t.client_address(peer, Some("[2001:db8::1]:443"), None),
            ip("2001:db8::1")
        );
        assert_eq!(
            t.client_address(peer, Some("203.0.113.7:5123"), None),
            ip("203.0.113.7")
        );
        // A mapped peer is the IPv4 proxy.
        assert_eq!(
            t.client_address(ip("::ffff:10.0.0.1"), Some("203.0.113.7"), None),
            ip("203.0.113.7")
        );
    }

    #[test]
    fn a_malformed_entry_ends_the_walk() {
        let t = trusted();
        assert_eq!(
            t.client_address(ip("10.0.0.1"), Some("203.0.113.1, junk, 10.3.3.3"), None),
            ip("10.3.3.3")
        );
    }

    #[test]
    fn bad_lists_name_the_entry() {
        let error = TrustedProxies::parse("10.0.0.0/8, nope").unwrap_err();
        assert!(error.contains("'nope'"), "{error}");
    }
}
