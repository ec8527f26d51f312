use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use proptest::prelude::*;

use super::*;

fn ip(text: &str) -> IpAddr {
    text.parse().expect("address")
}

fn pattern(text: &str) -> AddressPattern {
    AddressPattern::parse(text).expect("pattern")
}

#[test]
fn single_ipv4_addresses_match_only_themselves() {
    let p = pattern("203.0.113.7");
    assert!(p.matches(ip("203.0.113.7")));
    assert!(!p.matches(ip("203.0.113.8")));
    assert_eq!(p.to_string(), "203.0.113.7");
    assert_eq!(pattern("203.0.113.7/32"), p);
}

#[test]
fn ipv4_blocks_match_their_edges_and_nothing_beyond() {
    let p = pattern("203.0.113.0/24");
    assert!(p.matches(ip("203.0.113.0")));
    assert!(p.matches(ip("203.0.113.255")));
    assert!(!p.matches(ip("203.0.112.255")));
    assert!(!p.matches(ip("203.0.114.0")));
    let all = pattern("0.0.0.0/0");
    assert!(all.matches(ip("255.255.255.255")));
    assert!(!all.matches(ip("::2")), "an IPv4 block never matches IPv6");
    assert!(pattern("128.0.0.0/1").matches(ip("200.1.1.1")));
    assert!(!pattern("128.0.0.0/1").matches(ip("127.255.255.255")));
}

#[test]
fn ipv6_blocks_match() {
    let p = pattern("2001:db8::/32");
    assert!(p.matches(ip("2001:db8::1")));
    assert!(p.matches(ip("2001:db8:ffff:ffff:ffff:ffff:ffff:ffff")));
    assert!(!p.matches(ip("2001:db9::")));
    assert!(pattern("::/0").matches(ip("2001:db8::1")));
    assert!(!pattern("::/0").matches(ip("10.0.0.1")));
    assert!(pattern("::1").matches(ip("::1")));
    assert_eq!(pattern("2001:DB8:0:0::/64").to_string(), "2001:db8::/64");
    assert_eq!(pattern("[2001:db8::1]").to_string(), "2001:db8::1");
}

#[test]
fn ipv4_mapped_addresses_are_ipv4_on_both_sides() {
    assert!(pattern("203.0.113.0/24").matches(ip("::ffff:203.0.113.9")));
    assert!(pattern("::ffff:203.0.113.9").matches(ip("203.0.113.9")));
    assert_eq!(pattern("::ffff:203.0.113.9").to_string(), "203.0.113.9");
    // A mapped block counts its prefix over the IPv6 form.
    assert_eq!(
        pattern("::ffff:203.0.113.0/120").to_string(),
        "203.0.113.0/24"
    );
    assert!(AddressPattern::parse("::ffff:0.0.0.0/80").is_err());
}

#[test]
fn bad_entries_say_what_is_wrong() {
    assert_eq!(
        AddressPattern::parse("example.com"),
        Err(AddressError::NotAnAddress)
    );
    assert_eq!(
        AddressPattern::parse("10.0.0.0/33"),
        Err(AddressError::BadPrefix { max: 32 })
    );
    assert_eq!(
        AddressPattern::parse("2001:db8::/129"),
        Err(AddressError::BadPrefix { max: 128 })
    );
    assert_eq!(
        AddressPattern::parse("10.0.0.0/+8"),
        Err(AddressError::BadPrefix { max: 32 })
    );
    assert_eq!(
        AddressPattern::parse("10.0.0.5/24"),
        Err(AddressError::HostBitsSet {
            network: "10.0.0.0/24".into()
        })
    );
    assert!(AddressPattern::parse("").is_err());
    assert!(AddressPattern::parse("1.2.3").is_err());
}

#[test]
fn lists_are_normalised_and_errors_name_each_bad_entry() {
    let list = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
    assert_eq!(
        check_addresses(&list(&[" 10.0.0.0/8", "10.0.0.0/8", "::FFFF:1.2.3.4", ""])).unwrap(),
        vec!["10.0.0.0/8".to_string(), "1.2.3.4".to_string()]
    );
    let error = check_addresses(&list(&["10.0.0.1", "nope", "10.0.0.5/24"])).unwrap_err();
    let text = format!("{error:?}");
    assert!(
        text.contains("'nope'") && text.contains("'10.0.0.5/24'"),
        "{text}"
    );
    let many: Vec<String> = (0..101).map(|i| format!("10.0.{i}.0/24")).collect();
    assert!(check_addresses(&many).is_err());
    assert_eq!(check_addresses(&many[..100]).unwrap().len(), 100);
}

#[test]
fn an_empty_list_allows_everyone_and_a_list_needs_a_known_address() {
    assert!(matches_any(&[], None));
    assert!(matches_any(&[], Some(ip("1.2.3.4"))));
    let list = [pattern("10.0.0.0/8")];
    assert!(!matches_any(&list, None));
    assert!(matches_any(&list, Some(ip("10.9.9.9"))));
    assert!(!matches_any(&list, Some(ip("11.0.0.0"))));
}

#[test]
fn damaged_stored_entries_match_nothing() {
    let parsed = parse_stored(&["garbage".to_string()]);
    assert_eq!(parsed.len(), 1);
    for address in ["0.0.0.0", "255.255.255.255", "::", "::ffff:255.255.255.255"] {
        assert!(!matches_any(&parsed, Some(ip(address))));
    }
}

/// The bit-by-bit definition the mask arithmetic must agree with.
fn naive_matches(network: IpAddr, prefix: u8, address: IpAddr) -> bool {
    let bytes = |a: IpAddr| match canonical(a) {
        IpAddr::V4(v4) => v4.octets().to_vec(),
        IpAddr::V6(v6) => v6.octets().to_vec(),
    };
    let (n, a) = (bytes(network), bytes(address));
    if n.len() != a.len() {
        return false;
    }
    (0..usize::from(prefix)).all(|bit| {
        let (byte, shift) = (bit / 8, 7 - bit % 8);
        (n[byte] >> shift) & 1 == (a[byte] >> shift) & 1
    })
}

fn any_address() -> impl Strategy<Value = IpAddr> {
    prop_oneof![
        any::<u32>().prop_map(|v| IpAddr::V4(Ipv4Addr::from(v))),
        any::<u128>().prop_map(|v| IpAddr::V6(Ipv6Addr::from(v))),
        any::<u32>().prop_map(|v| IpAddr::V6(Ipv4Addr::from(v).to_ipv6_mapped())),
        // Near neighbours of a few fixed blocks, so matches are common.
        (0u32..512).prop_map(|v| IpAddr::V4(Ipv4Addr::from(0xCB00_7100u32 - 256 + v))),
    ]
}

proptest! {
    #[test]
    fn matching_agrees_with_the_bitwise_definition(
        network in any_address(),
        prefix in 0u8..=128,
        address in any_address(),
    ) {
        let v4 = matches!(canonical(network), IpAddr::V4(_));
        let prefix = if v4 { prefix % 33 } else { prefix };
        // The block written with its host bits cleared.
        let exact = AddressPattern::single(network);
        let text = format!("{}/{}", canonical(network), prefix);
        let parsed = match AddressPattern::parse(&text) {
            Ok(p) => p,
            Err(AddressError::HostBitsSet { network }) => AddressPattern::parse(&network).expect("suggested block parses"),
            Err(other) => panic!("{text}: {other}"),
        };
        prop_assert_eq!(parsed.matches(address), naive_matches(network, prefix, address));
        prop_assert!(parsed.matches(network));
        prop_assert!(exact.matches(network));
        prop_assert_eq!(exact.matches(address), canonical(address) == canonical(network));
    }

    #[test]
    fn the_canonical_text_parses_back_to_the_same_block(network in any_address(), prefix in 0u8..=128) {
        let v4 = matches!(canonical(network), IpAddr::V4(_));
        let prefix = if v4 { prefix % 33 } else { prefix };
        let text = format!("{}/{}", canonical(network), prefix);
        let block = match AddressPattern::parse(&text) {
            Ok(p) => p,
            Err(AddressError::HostBitsSet { network }) => AddressPattern::parse(&network).expect("parses"),
            Err(other) => panic!("{text}: {other}"),
        };
        prop_assert_eq!(AddressPattern::parse(&block.to_string()), Ok(block));
    }

    #[test]
    fn parsing_never_panics(text in "\\PC{0,60}") {
        let _ = AddressPattern::parse(&text);
        let _ = TrustedProxies::parse(&text);
    }

    /// Spoofed headers from an untrusted peer are ignored, whatever they hold.
    #[test]
    fn an_untrusted_peer_cannot_choose_its_address(
        peer in any_address(),
        forwarded in "[0-9a-f.:, \\[\\]]{0,80}",
        real in "[0-9a-f.:]{0,40}",
    ) {
        let trusted = TrustedProxies::parse("10.0.0.0/8, fd00::/8").expect("list");
        prop_assume!(!trusted.trusts(peer));
        prop_assert_eq!(
            trusted.client_address(peer, Some(&forwarded), Some(&real)),
            canonical(peer)
        );
    }

    /// Behind a trusted proxy the answer is never a trusted address while an untrusted entry
    /// stands at the right of the forwarded list.
    #[test]
    fn behind_a_trusted_proxy_the_rightmost_untrusted_entry_wins(
        client in any::<u32>(),
        hops in proptest::collection::vec(0u32..0x00ff_ffff, 0..4),
        spoofed in any::<u32>(),
    ) {
        let trusted = TrustedProxies::parse("10.0.0.0/8").expect("list");
        let client = IpAddr::V4(Ipv4Addr::from(client));
        prop_assume!(!trusted.trusts(client));
        let mut list = vec![Ipv4Addr::from(spoofed).to_string(), client.to_string()];
        list.extend(hops.iter().map(|h| Ipv4Addr::from(0x0a00_0000 | h).to_string()));
        let header = list.join(", ");
        prop_assert_eq!(
            trusted.client_address(ip("10.0.0.1"), Some(&header), None),
            client
        );
    }
}
