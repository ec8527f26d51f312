//! What kind of address an upstream resolves to, and CIDR blocks.
//!
//! Only globally routable unicast addresses are `Public`. Everything else — loopback,
//! link-local (cloud metadata at 169.254.169.254), private, unique-local, carrier-grade NAT,
//! multicast, broadcast, documentation, benchmarking and reserved ranges — reaches the server's
//! own machine or network, so the allow-list must name it before a proxy may connect to it.
//! IPv6 forms that carry an IPv4 address (mapped `::ffff:a.b.c.d`, NAT64 `64:ff9b::/96`,
//! 6to4 `2002::/16`) are judged by the IPv4 address they carry.

use std::fmt;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

/// The kind of an address, as far as reaching it from the server matters.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AddressClass {
    Public,
    Unspecified,
    Loopback,
    LinkLocal,
    Private,
    UniqueLocal,
    /// 100.64.0.0/10, carrier-grade NAT.
    SharedAddressSpace,
    Multicast,
    Broadcast,
    Documentation,
    /// Reserved, benchmarking, "this network", deprecated and special-purpose ranges.
    Reserved,
}

impl AddressClass {
    pub fn is_public(self) -> bool {
        self == AddressClass::Public
    }

    /// Words for messages ("a loopback address").
    pub fn label(self) -> &'static str {
        match self {
            AddressClass::Public => "public",
            AddressClass::Unspecified => "unspecified",
            AddressClass::Loopback => "loopback",
            AddressClass::LinkLocal => "link-local",
            AddressClass::Private => "private",
            AddressClass::UniqueLocal => "unique-local",
            AddressClass::SharedAddressSpace => "shared (carrier-grade NAT)",
            AddressClass::Multicast => "multicast",
            AddressClass::Broadcast => "broadcast",
            AddressClass::Documentation => "documentation",
            AddressClass::Reserved => "reserved",
        }
    }
}

/// The class of an address (IPv4-mapped IPv6 addresses are classed as their IPv4 address).
pub fn classify(ip: IpAddr) -> AddressClass {
    match ip.to_canonical() {
        IpAddr::V4(v4) => classify_v4(v4),
        IpAddr::V6(v6) => classify_v6(v6),
    }
}

fn in_v4(ip: Ipv4Addr, network: [u8; 4], prefix: u8) -> bool {
    let mask = u32::MAX.checked_shl(32 - u32::from(prefix)).unwrap_or(0);
    u32::from(ip) & mask == u32::from(Ipv4Addr::from(network)) & mask
}

fn classify_v4(ip: Ipv4Addr) -> AddressClass {
    use AddressClass::*;
    let table: &[([u8; 4], u8, AddressClass)] = &[
        ([0, 0, 0, 0], 32, Unspecified),
        ([0, 0, 0, 0], 8, Reserved),
        ([10, 0, 0, 0], 8, Private),
        ([100, 64, 0, 0], 10, SharedAddressSpace),
        ([127, 0, 0, 0], 8, Loopback),
        ([169, 254, 0, 0], 16, LinkLocal),
        ([172, 16, 0, 0], 12, Private),
        ([192, 0, 0, 0], 24, Reserved),
        ([192, 0, 2, 0], 24, Documentation),
        ([192, 88, 99, 0], 24, Reserved),
        ([192, 168, 0, 0], 16, Private),
        ([198, 18, 0, 0], 15, Reserved),
        ([198, 51, 100, 0], 24, Documentation),
        ([203, 0, 113, 0], 24, Documentation),
        ([224, 0, 0, 0], 4, Multicast),
        ([255, 255, 255, 255], 32, Broadcast),
        ([240, 0, 0, 0], 4, Reserved),
    ];
    table
        .iter()
        .find(|(network, prefix, _)| in_v4(ip, *network, *prefix))
        .map_or(Public, |(_, _, class)| *class)
}

fn in_v6(ip: Ipv6Addr, network: u128, prefix: u8) -> bool {
    let mask = u128::MAX.checked_shl(128 - u32::from(prefix)).unwrap_or(0);
    u128::from(ip) & mask == network & mask
}

fn classify_v6(ip: Ipv6Addr) -> AddressClass {
    use AddressClass::*;
    let bits = u128::from(ip);
    if ip.is_unspecified() {
        return Unspecified;
    }
    if ip.is_loopback() {
        return Loopback;
    }
    // Forms that carry an IPv4 address reach it through a translator or relay.
    if in_v6(ip, 0x0064_ff9b << 96, 96) {
        return classify_v4(Ipv4Addr::from((bits & 0xffff_ffff) as u32));
    }
    if in_v6(ip, 0x2002 << 112, 16) {
        return classify_v4(Ipv4Addr::from(((bits >> 80) & 0xffff_ffff) as u32));
    }
    let table: &[(u128, u8, AddressClass)] = &[
        (0xfc00 << 112, 7, UniqueLocal),
        (0xfe80 << 112, 10, LinkLocal),
        // Site-local, deprecated but still routed inside some networks.
        (0xfec0 << 112, 10, Private),
        (0xff00 << 112, 8, Multicast),
        (0x2001_0db8 << 96, 32, Documentation),
        (0x3fff << 112, 20, Documentation),
        // IETF protocol assignments: Teredo, benchmarking, ORCHID, …
        (0x2001 << 112, 23, Reserved),
    ];
    if let Some((_, _, class)) = table
        .iter()
        .find(|(network, prefix, _)| in_v6(ip, *network, *prefix))
    {
        return *class;
    }
    // Only 2000::/3 is global unicast; the rest (IPv4-compatible, discard-only, NAT64
    // local-use, unassigned) is not somewhere a public service lives.
    if in_v6(ip, 0x2000 << 112, 3) {
        Public
    } else {
        Reserved
    }
}

/// A block of addresses: `10.0.0.0/8`, `fd00::/8`. The network address is stored with its
/// host bits cleared.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Cidr {
    network: IpAddr,
    prefix: u8,
}

impl Cidr {
    /// A block from any address in it and a prefix length (IPv4-mapped IPv6 blocks of /96 or
    /// longer become IPv4 blocks). `None` when the prefix is too long for the family.
    pub fn new(address: IpAddr, prefix: u8) -> Option<Cidr> {
        match address {
            IpAddr::V6(v6) if prefix >= 96 && v6.to_ipv4_mapped().is_some() => {
                Cidr::new(IpAddr::V4(v6.to_ipv4_mapped()?), prefix - 96)
            }
            IpAddr::V4(v4) if prefix <= 32 => {
                let mask = u32::MAX.checked_shl(32 - u32::from(prefix)).unwrap_or(0);
                Some(Cidr {
                    network: IpAddr::V4(Ipv4Addr::from(u32::from(v4) & mask)),
                    prefix,
                })
            }
            IpAddr::V6(v6) if prefix <= 128 => {
                let mask = u128::MAX.checked_shl(128 - u32::from(prefix)).unwrap_or(0);
                Some(Cidr {
                    network: IpAddr::V6(Ipv6Addr::from(u128::from(v6) & mask)),
                    prefix,
                })
            }
            _ => None,
        }
    }

    /// Whether the block holds `ip` (IPv4-mapped IPv6 addresses count as their IPv4 address).
    pub fn contains(&self, ip: IpAddr) -> bool {
        match (self.network, ip.to_canonical()) {
            (IpAddr::V4(network), IpAddr::V4(ip)) => in_v4(ip, network.octets(), self.prefix),
            (IpAddr::V6(network), IpAddr::V6(ip)) => in_v6(ip, u128::from(network), self.prefix),
            _ => false,
        }
    }
}

impl fmt::Display for Cidr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.network, self.prefix)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn class(text: &str) -> AddressClass {
        classify(text.parse().expect("address"))
    }

    #[test]
    fn only_global_unicast_addresses_are_public() {
        for public in [
            "8.8.8.8",
            "1.1.1.1",
            "172.32.0.1",
            "100.128.0.1",
            "2606:4700::1111",
            "2a00:1450:4001::200e",
            "64:ff9b::808:808",
            "2002:808:808::1",
            "::ffff:8.8.8.8",
        ] {
            assert_eq!(class(public), AddressClass::Public, "{public}");
        }
        for (text, expected) in [
            ("127.0.0.1", AddressClass::Loopback),
            ("127.255.0.9", AddressClass::Loopback),
            ("::1", AddressClass::Loopback),
            ("::ffff:127.0.0.1", AddressClass::Loopback),
            ("64:ff9b::7f00:1", AddressClass::Loopback),
            ("2002:7f00:1::", AddressClass::Loopback),
            ("169.254.169.254", AddressClass::LinkLocal),
            ("::ffff:169.254.169.254", AddressClass::LinkLocal),
            ("fe80::1", AddressClass::LinkLocal),
            ("10.1.2.3", AddressClass::Private),
            ("172.16.0.1", AddressClass::Private),
            ("172.31.255.255", AddressClass::Private),
            ("192.168.1.1", AddressClass::Private),
            ("fec0::1", AddressClass::Private),
            ("fd00::1", AddressClass::UniqueLocal),
            ("fc00::1", AddressClass::UniqueLocal),
            ("0.0.0.0", AddressClass::Unspecified),
            ("::", AddressClass::Unspecified),
            ("0.1.2.3", AddressClass::Reserved),
            ("100.64.0.1", AddressClass::SharedAddressSpace),
            ("100.127.255.255", AddressClass::SharedAddressSpace),
            ("224.0.0.1", AddressClass::Multicast),
            ("ff02::1", AddressClass::Multicast),
            ("255.255.255.255", AddressClass::Broadcast),
            ("240.0.0.1", AddressClass::Reserved),
            ("198.18.0.1", AddressClass::Reserved),
            ("192.0.0.8", AddressClass::Reserved),
            ("192.0.2.1", AddressClass::Documentation),
            ("2001:db8::1", AddressClass::Documentation),
            ("2001::1", AddressClass::Reserved),
            ("::7f00:1", AddressClass::Reserved),
            ("100::1", AddressClass::Reserved),
        ] {
            assert_eq!(class(text), expected, "{text}");
            assert!(!expected.is_public());
        }
    }

    #[test]
    fn blocks_clear_host_bits_and_hold_their_addresses() {
        let ip = |t: &str| t.parse::<IpAddr>().expect("address");
        let block = Cidr::new(ip("10.20.30.40"), 8).expect("block");
        assert_eq!(block.to_string(), "10.0.0.0/8");
        assert!(block.contains(ip("10.255.0.1")));
        assert!(block.contains(ip("::ffff:10.0.0.1")));
        assert!(!block.contains(ip("11.0.0.1")));
        let v6 = Cidr::new(ip("fd12:3456::1"), 16).expect("block");
        assert_eq!(v6.to_string(), "fd12::/16");
        assert!(v6.contains(ip("fd12:ffff::1")) && !v6.contains(ip("fd13::1")));
        let mapped = Cidr::new(ip("::ffff:192.168.0.0"), 112).expect("block");
        assert_eq!(mapped.to_string(), "192.168.0.0/16");
        assert!(Cidr::new(ip("10.0.0.0"), 33).is_none());
        assert!(Cidr::new(ip("::"), 129).is_none());
        let everything = Cidr::new(ip("0.0.0.0"), 0).expect("block");
        assert!(everything.contains(ip("203.0.113.9")) && !everything.contains(ip("::1")));
    }
}
