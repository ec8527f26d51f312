//! Feeds arbitrary UTF-8 to the referrer pattern parser and, when a pattern parses, matches it
//! against an arbitrary `Referer`/`Origin` value. Input: `pattern` `\n` `referer`.
//! Checks: no panic; the normalised text parses to the same pattern with the same verdict; and
//! changing the case of the scheme and host (of pattern or referer) never changes anything.

#![no_main]

use keyportal_domain::referrer::{matches_any, ReferrerPattern};
use libfuzzer_sys::fuzz_target;

/// The referer with its scheme and authority upper-cased (the path is case-sensitive).
fn upper_scheme_and_host(referer: &str) -> String {
    let start = referer.find("://").map_or(0, |at| at + 3);
    let end = referer[start..]
        .find(['/', '?', '#', '\\'])
        .map_or(referer.len(), |at| start + at);
    // `end` is at an ASCII byte or the end, so a char boundary.
    let mut out = referer[..end].to_ascii_uppercase();
    out.push_str(&referer[end..]);
    out
}

/// The pattern with its scheme and host upper-cased: `scheme://` counts only before any `/`.
fn upper_pattern_host(pattern: &str) -> String {
    let start = match pattern.find("://") {
        Some(at) if !pattern[..at].contains('/') => at + 3,
        _ => 0,
    };
    let end = pattern[start..]
        .find('/')
        .map_or(pattern.len(), |at| start + at);
    let mut out = pattern[..end].to_ascii_uppercase();
    out.push_str(&pattern[end..]);
    out
}

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let (pattern_text, referer) = text.split_once('\n').unwrap_or((text, ""));
    let Ok(pattern) = ReferrerPattern::parse(pattern_text) else {
        let _ = matches_any(&[], Some(referer));
        return;
    };
    let verdict = pattern.matches(referer);

    let again = ReferrerPattern::parse(pattern.as_str()).expect("normalised text must parse");
    assert_eq!(again, pattern, "normalisation is not idempotent");
    assert_eq!(again.matches(referer), verdict);

    let upper = upper_scheme_and_host(referer);
    assert_eq!(
        pattern.matches(&upper),
        verdict,
        "case changed the verdict: {upper:?}"
    );

    let recased = ReferrerPattern::parse(&upper_pattern_host(pattern_text))
        .expect("an upper-cased host must parse");
    assert_eq!(recased, pattern, "case changed the pattern");

    let list = [pattern];
    assert_eq!(matches_any(&list, Some(referer)), verdict);
    assert!(!matches_any(&list, None));
});
