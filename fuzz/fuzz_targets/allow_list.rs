//! Feeds arbitrary UTF-8 to the proxy allow-list's entry parser and, when an entry parses,
//! asks it about an arbitrary upstream. Input: `entry` `\n` `host` `\n` `port` `\n` `address`.
//! Checks: no panic; the canonical text parses to the same entry with the same verdicts; a
//! list that allows a connection also lists the host; a host-name entry alone never lets a
//! name reach a non-public address, nor lets an address in; and the stored form round-trips.

#![no_main]

use std::net::IpAddr;

use keyportal_domain::proxy::allow_list::{
    classify, may_connect, AllowEntry, UpstreamAllowList, UpstreamHost,
};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let mut lines = text.split('\n');
    let entry_text = lines.next().unwrap_or_default();
    let host_text = lines.next().unwrap_or_default();
    let port = lines
        .next()
        .and_then(|p| p.trim().parse::<u16>().ok())
        .unwrap_or(443);
    let address = lines.next().and_then(|a| a.trim().parse::<IpAddr>().ok());

    // The stored form and whole-list edits never panic, whatever they are given.
    let _ = UpstreamAllowList::from_stored(text);
    let values: Vec<String> = text.lines().map(str::to_string).collect();
    let _ = UpstreamAllowList::replaced(&values);

    let Ok(entry) = AllowEntry::parse(entry_text) else {
        return;
    };
    let canonical = entry.to_string();
    let again = AllowEntry::parse(&canonical).expect("canonical text must parse");
    assert_eq!(again, entry, "canonical text is not stable: {canonical:?}");

    let list = UpstreamAllowList::new([entry.clone()]);
    let (stored, unreadable) = UpstreamAllowList::from_stored(&list.to_stored());
    assert!(unreadable.is_empty());
    assert_eq!(stored, list);

    let Ok(host) = UpstreamHost::parse(host_text) else {
        return;
    };
    let ip = match (&host, address) {
        (UpstreamHost::Ip(ip), _) => *ip,
        (UpstreamHost::Name(_), Some(ip)) => ip,
        (UpstreamHost::Name(_), None) => return,
    };
    let verdict = may_connect(&list, &host, port, ip);
    assert_eq!(
        may_connect(&UpstreamAllowList::new([again]), &host, port, ip).is_ok(),
        verdict.is_ok()
    );
    if verdict.is_ok() {
        assert!(list.check_host(&host, port).is_ok());
    }
    if let AllowEntry::Host { .. } = entry {
        match host {
            UpstreamHost::Ip(_) => assert!(verdict.is_err(), "a name entry let an address in"),
            UpstreamHost::Name(_) if !classify(ip).is_public() => {
                assert!(verdict.is_err(), "a name entry opened a non-public address")
            }
            UpstreamHost::Name(_) => {}
        }
    }
    assert!(may_connect(&UpstreamAllowList::default(), &host, port, ip).is_err());
});
