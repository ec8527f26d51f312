//! Property tests of the allow-list: the matcher, the address classes and the entry parser.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use proptest::prelude::*;

use super::*;

fn label() -> impl Strategy<Value = String> {
    "[a-z][a-z0-9-]{0,10}[a-z0-9]"
}

fn domain() -> impl Strategy<Value = String> {
    prop::collection::vec(label(), 2..4).prop_map(|labels| labels.join("."))
}

fn any_ip() -> impl Strategy<Value = IpAddr> {
    prop_oneof![
        any::<u32>().prop_map(|v| IpAddr::V4(Ipv4Addr::from(v))),
        any::<u128>().prop_map(|v| IpAddr::V6(Ipv6Addr::from(v))),
        // Mapped IPv4, so that the canonical forms are exercised often.
        any::<u32>().prop_map(|v| IpAddr::V6(Ipv4Addr::from(v).to_ipv6_mapped())),
    ]
}

/// Addresses from the ranges that matter most, and random ones.
fn interesting_ip() -> impl Strategy<Value = IpAddr> {
    prop_oneof![
        any::<u32>().prop_map(|v| IpAddr::V4(Ipv4Addr::from(0x7f00_0000 | (v & 0x00ff_ffff)))),
        any::<u16>().prop_map(|v| IpAddr::V4(Ipv4Addr::from(0xa9fe_0000 | u32::from(v)))),
        any::<u32>().prop_map(|v| IpAddr::V4(Ipv4Addr::from(0x0a00_0000 | (v & 0x00ff_ffff)))),
        any::<u128>().prop_map(|v| IpAddr::V6(Ipv6Addr::from((0xfd << 120) | (v >> 8)))),
        any::<u128>().prop_map(|v| IpAddr::V6(Ipv6Addr::from((0xfe80 << 112) | (v >> 16)))),
        any_ip(),
    ]
}

fn port() -> impl Strategy<Value = u16> {
    1..=u16::MAX
}

fn entry() -> impl Strategy<Value = AllowEntry> {
    prop_oneof![
        (domain(), any::<bool>(), prop::option::of(port())).prop_map(|(name, wildcard, port)| {
            AllowEntry::Host {
                name,
                wildcard,
                port,
            }
        }),
        (any_ip(), prop::option::of(port())).prop_map(|(ip, port)| AllowEntry::Address {
            ip: ip.to_canonical(),
            port
        }),
        (any_ip(), 0u8..=128).prop_filter_map("prefix fits", |(ip, prefix)| {
            Cidr::new(ip, prefix).map(AllowEntry::Block)
        }),
    ]
}

fn host_entry() -> impl Strategy<Value = AllowEntry> {
    (domain(), any::<bool>(), prop::option::of(port())).prop_map(|(name, wildcard, port)| {
        AllowEntry::Host {
            name,
            wildcard,
            port,
        }
    })
}

proptest! {
    #[test]
    fn mapped_addresses_are_classed_and_matched_as_their_ipv4(v in any::<u32>(), prefix in 0u8..=32) {
        let v4 = Ipv4Addr::from(v);
        let mapped = IpAddr::V6(v4.to_ipv6_mapped());
        prop_assert_eq!(classify(mapped), classify(IpAddr::V4(v4)));
        let block = Cidr::new(IpAddr::V4(v4), prefix).expect("fits");
        prop_assert!(block.contains(mapped) && block.contains(IpAddr::V4(v4)));
    }

    #[test]
    fn an_empty_list_allows_nothing(ip in any_ip(), name in domain(), port in port()) {
        let empty = UpstreamAllowList::default();
        prop_assert!(may_connect(&empty, &UpstreamHost::Name(name), port, ip).is_err());
        prop_assert!(may_connect(&empty, &UpstreamHost::Ip(ip), port, ip).is_err());
    }

    #[test]
    fn host_entries_never_open_a_non_public_address(
        entries in prop::collection::vec(host_entry(), 0..6),
        name in domain(),
        ip in interesting_ip(),
        port in port(),
        wildcard in any::<bool>(),
    ) {
        // The name is always listed, so only the address can refuse.
        let listed = AllowEntry::Host { name: name.clone(), wildcard, port: None };
        let list = UpstreamAllowList::new(entries.into_iter().chain([listed]));
        if !classify(ip).is_public() {
            prop_assert!(may_connect(&list, &UpstreamHost::Name(name), port, ip).is_err());
        }
        prop_assert!(may_connect(&list, &UpstreamHost::Ip(ip), port, ip).is_err());
    }

    #[test]
    fn naming_an_address_or_its_block_opens_it_to_listed_names(
        ip in interesting_ip(),
        prefix in 0u8..=128,
        name in domain(),
        port in port(),
    ) {
        let ip = ip.to_canonical();
        let mut list = UpstreamAllowList::new([AllowEntry::Host { name: name.clone(), wildcard: false, port: None }]);
        let with_address = UpstreamAllowList::new(list.entries().iter().cloned().chain([AllowEntry::Address { ip, port: Some(port) }]));
        prop_assert!(may_connect(&with_address, &UpstreamHost::Name(name.clone()), port, ip).is_ok());
        prop_assert!(may_connect(&with_address, &UpstreamHost::Ip(ip), port, ip).is_ok());
        if let Some(block) = Cidr::new(ip, prefix) {
            list = UpstreamAllowList::new(list.entries().iter().cloned().chain([AllowEntry::Block(block)]));
            prop_assert!(may_connect(&list, &UpstreamHost::Name(name), port, ip).is_ok());
        }
    }

    #[test]
    fn wildcards_match_at_label_boundaries_only(
        domain in domain(),
        sub in label(),
        glued in "[a-z0-9-]{1,8}",
        port in port(),
    ) {
        let wildcard = AllowEntry::Host { name: domain.clone(), wildcard: true, port: None };
        let exact = AllowEntry::Host { name: domain.clone(), wildcard: false, port: Some(port) };
        let below = format!("{sub}.{domain}");
        prop_assert!(wildcard.allows_name(&domain, port));
        prop_assert!(wildcard.allows_name(&below, port));
        let glued = format!("{glued}{domain}");
        let above = format!("{domain}.{sub}");
        prop_assert!(!wildcard.allows_name(&glued, port));
        prop_assert!(!wildcard.allows_name(&above, port));
        prop_assert!(exact.allows_name(&domain, port));
        prop_assert!(!exact.allows_name(&below, port));
        let other = if port == u16::MAX { 1 } else { port + 1 };
        prop_assert!(!exact.allows_name(&domain, other));
    }

    #[test]
    fn entries_round_trip_through_their_canonical_text(entry in entry()) {
        let text = entry.to_string();
        prop_assert_eq!(AllowEntry::parse(&text), Ok(entry));
    }

    #[test]
    fn the_parser_never_panics_and_its_output_is_canonical(text in "\\PC{0,40}|[0-9a-fx:.\\[\\]/*]{0,30}") {
        if let Ok(entry) = AllowEntry::parse(&text) {
            let canonical = entry.to_string();
            prop_assert_eq!(AllowEntry::parse(&canonical), Ok(entry));
        }
    }
}
