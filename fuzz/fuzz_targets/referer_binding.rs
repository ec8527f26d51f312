//! Feeds arbitrary UTF-8 to the referer-binding comparison of user tokens
//! (`keyportal_domain::referer_binding::binding_allows`). Input: `bound` `\n` `header`.
//! Checks: no panic; upper-casing the scheme and host (of either side) never changes the
//! verdict; and an accepted header has no control character, backslash or userinfo, and, when
//! the bound value is an http(s) URL, names the same host (compared independently here).

#![no_main]

use keyportal_domain::referer_binding::{binding_allows, check_binding};
use libfuzzer_sys::fuzz_target;

/// Where the authority of `text` starts and ends, if it starts with `http(s)://`.
fn authority(text: &str) -> Option<(usize, usize)> {
    let lower = text.get(..8)?.to_ascii_lowercase();
    let start = if lower.starts_with("https://") {
        8
    } else if lower.starts_with("http://") {
        7
    } else {
        return None;
    };
    let end = text[start..]
        .find(['/', '?', '#'])
        .map_or(text.len(), |at| start + at);
    Some((start, end))
}

/// `text` with its scheme and authority upper-cased (the path is case-sensitive).
fn upper_origin(text: &str) -> String {
    match authority(text) {
        Some((_, end)) => {
            let mut out = text[..end].to_ascii_uppercase();
            out.push_str(&text[end..]);
            out
        }
        None => text.to_string(),
    }
}

/// The host of an authority, lower-cased, without port or trailing dot.
fn host_of(authority: &str) -> String {
    let host = if authority.starts_with('[') {
        authority.split(']').next().unwrap_or("").to_string() + "]"
    } else {
        authority.split(':').next().unwrap_or("").to_string()
    };
    host.trim_end_matches('.').to_ascii_lowercase()
}

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let (bound, header) = text.split_once('\n').unwrap_or((text, ""));
    let _ = check_binding(bound);
    let verdict = binding_allows(bound, header);

    let bound_is_url = authority(bound.trim()).is_some();
    if bound_is_url {
        assert_eq!(
            binding_allows(bound, &upper_origin(header.trim())),
            verdict,
            "case of the header's origin changed the verdict"
        );
        assert_eq!(
            binding_allows(&upper_origin(bound.trim()), header),
            verdict,
            "case of the bound origin changed the verdict"
        );
    }
    if !verdict {
        return;
    }
    let header = header.trim();
    assert!(!header.chars().any(char::is_control), "control character accepted");
    if bound_is_url {
        let (start, end) = authority(header).expect("an accepted header is a URL");
        let header_authority = &header[start..end];
        assert!(!header.contains('\\'), "backslash accepted");
        assert!(!header_authority.contains('@'), "userinfo accepted");
        let bound = bound.trim();
        let (b_start, b_end) = authority(bound).expect("checked above");
        let bound_host = host_of(&bound[b_start..b_end]);
        let header_host = host_of(header_authority);
        // IPv6 hosts may be spelled differently ([::1] and [0::1]); names must be the same.
        if !bound_host.starts_with('[') {
            assert_eq!(bound_host, header_host, "another host accepted");
        }
    } else {
        assert!(bound.trim().eq_ignore_ascii_case(header), "label mismatch accepted");
    }
});
