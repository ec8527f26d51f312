//! Feeds arbitrary UTF-8 to the address-restriction parsers (issue 14): an `allowedAddresses`
//! entry, a `--trusted-proxies` list and the forwarding headers. Input: `entry` `\n` `trusted`
//! `\n` `x-forwarded-for` `\n` `x-real-ip`.
//! Checks: no panic; a parsed block's canonical text parses to the same block and matches its
//! own network; an untrusted peer is always its own client address, whatever the headers say.

#![no_main]

use std::net::{IpAddr, Ipv4Addr};

use keyportal_domain::address::{AddressPattern, TrustedProxies};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let mut parts = text.splitn(4, '\n');
    let entry = parts.next().unwrap_or_default();
    let trusted = parts.next().unwrap_or_default();
    let forwarded = parts.next();
    let real_ip = parts.next();
    if let Ok(block) = AddressPattern::parse(entry) {
        let again = AddressPattern::parse(&block.to_string()).expect("canonical text parses");
        assert_eq!(again, block);
        let network = block.to_string();
        let network = network.split('/').next().unwrap_or_default();
        let network: IpAddr = network.parse().expect("the network is an address");
        assert!(block.matches(network));
    }
    let trusted = TrustedProxies::parse(trusted).unwrap_or_else(|_| TrustedProxies::none());
    let outsider = IpAddr::V4(Ipv4Addr::new(192, 0, 2, 1));
    if !trusted.trusts(outsider) {
        assert_eq!(trusted.client_address(outsider, forwarded, real_ip), outsider);
    }
    let proxy = IpAddr::V4(Ipv4Addr::LOCALHOST);
    let _ = trusted.client_address(proxy, forwarded, real_ip);
});
