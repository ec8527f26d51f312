//! Property tests of referrer patterns.

use proptest::prelude::*;

use super::*;

fn pattern(text: &str) -> ReferrerPattern {
    ReferrerPattern::parse(text).unwrap_or_else(|e| panic!("{text}: {e}"))
}

fn label() -> impl Strategy<Value = String> {
    "[a-z0-9]([a-z0-9-]{0,8}[a-z0-9])?"
}

/// A DNS name whose last label is alphabetic (so it is never read as an IPv4 address).
fn hostname() -> impl Strategy<Value = String> {
    (proptest::collection::vec(label(), 0..4), "[a-z]{2,6}").prop_map(|(labels, tld)| {
        let mut host = labels.join(".");
        if !host.is_empty() {
            host.push('.');
        }
        host.push_str(&tld);
        host
    })
}

fn url_path() -> impl Strategy<Value = String> {
    "[A-Za-z0-9._~!$&'()*+,;=:@%/-]{0,30}"
}

/// Upper-cases the characters of the scheme and authority selected by `flips`.
fn flip_authority_case(url: &str, flips: &[bool]) -> String {
    let start = url.find("://").map_or(0, |at| at + 3);
    let end = url[start..]
        .find(['/', '?', '#', '\\'])
        .map_or(url.len(), |at| start + at);
    url.char_indices()
        .map(|(i, c)| {
            if i < end && flips.get(i % flips.len().max(1)).copied().unwrap_or(false) {
                if c.is_ascii_lowercase() {
                    c.to_ascii_uppercase()
                } else {
                    c.to_ascii_lowercase()
                }
            } else {
                c
            }
        })
        .collect()
}

fn small_host() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("a.com".to_string()),
        Just("x.a.com".to_string()),
        Just("y.x.a.com".to_string()),
        Just("evila.com".to_string()),
        Just("a.com.evil.net".to_string()),
        Just("localhost".to_string()),
        Just("127.0.0.1".to_string()),
        Just("[::1]".to_string()),
    ]
}

fn small_pattern() -> impl Strategy<Value = String> {
    (
        prop_oneof![Just(""), Just("http://"), Just("https://")],
        prop_oneof![Just(""), Just("*.")],
        small_host(),
        prop_oneof![Just(""), Just(":80"), Just(":443"), Just(":8080")],
        prop_oneof![Just(""), Just("/"), Just("/app"), Just("/app/x")],
    )
        .prop_map(|(scheme, star, host, port, path)| {
            let star = if host.starts_with(['1', '[']) {
                ""
            } else {
                star
            };
            format!("{scheme}{star}{host}{port}{path}")
        })
}

fn small_referer() -> impl Strategy<Value = String> {
    (
        prop_oneof![Just("http://"), Just("https://"), Just("ftp://"), Just("")],
        prop_oneof![Just(""), Just("u:p@")],
        small_host(),
        prop_oneof![
            Just(""),
            Just(":"),
            Just(":80"),
            Just(":443"),
            Just(":8080")
        ],
        prop_oneof![
            Just(""),
            Just("/"),
            Just("/app"),
            Just("/app/x/y"),
            Just("/application"),
            Just("?q=1"),
            Just("/app#f"),
        ],
    )
        .prop_map(|(scheme, user, host, port, path)| format!("{scheme}{user}{host}{port}{path}"))
}

proptest! {
    #[test]
    fn a_host_pattern_matches_any_path_below_it(
        host in hostname(),
        scheme in prop_oneof![Just(""), Just("https://")],
        path in url_path(),
    ) {
        let p = pattern(&format!("{scheme}{host}"));
        let referer = format!("https://{host}/{path}");
        prop_assert!(p.matches(&referer), "{} vs {}", p.as_str(), referer);
        prop_assert!(p.matches(&format!("https://{host}")), "{}", p.as_str());
    }

    #[test]
    fn a_path_pattern_matches_its_subpaths_only(
        host in hostname(),
        segments in proptest::collection::vec("[a-z0-9]{1,5}", 1..4),
        more in "[a-z0-9]{1,5}",
    ) {
        let prefix = format!("/{}", segments.join("/"));
        let p = pattern(&format!("https://{host}{prefix}"));
        prop_assert!(p.matches(&format!("https://{host}{prefix}")), "{}", p.as_str());
        prop_assert!(p.matches(&format!("https://{host}{prefix}/")), "{}", p.as_str());
        prop_assert!(p.matches(&format!("https://{host}{prefix}/{more}")), "{}", p.as_str());
        prop_assert!(!p.matches(&format!("https://{host}{prefix}{more}")), "{}", p.as_str());
    }

    #[test]
    fn wildcard_matches_subdomains_and_the_domain_only(
        domain in hostname(),
        subdomains in proptest::collection::vec(label(), 1..4),
        glued in "[a-z0-9-]{1,8}",
        suffix in hostname(),
    ) {
        let p = pattern(&format!("https://*.{domain}"));
        prop_assert!(p.matches(&format!("https://{domain}")), "{}", p.as_str());
        let sub = subdomains.join(".");
        prop_assert!(p.matches(&format!("https://{sub}.{domain}/x")), "{}", p.as_str());
        prop_assert!(!p.matches(&format!("https://{glued}{domain}")), "{}", p.as_str());
        prop_assert!(!p.matches(&format!("https://{domain}.{suffix}")), "{}", p.as_str());
        prop_assert!(!p.matches(&format!("https://{sub}.{domain}.{suffix}")), "{}", p.as_str());
    }

    #[test]
    fn case_changes_in_scheme_and_host_never_change_the_result(
        p in small_pattern(),
        r in small_referer(),
        flips_p in proptest::collection::vec(any::<bool>(), 1..16),
        flips_r in proptest::collection::vec(any::<bool>(), 1..16),
    ) {
        let original = pattern(&p);
        let recased = pattern(&flip_authority_case(&p, &flips_p));
        prop_assert_eq!(&original, &recased);
        let expected = original.matches(&r);
        let flipped = flip_authority_case(&r, &flips_r);
        prop_assert_eq!(recased.matches(&flipped), expected, "{} vs {} / {}", p, r, flipped);
        prop_assert_eq!(original.matches(&r.to_ascii_uppercase()),
            // Upper-casing everything also changes the path, which is case-sensitive.
            expected && !original.path.bytes().any(|b| b.is_ascii_lowercase()));
    }

    #[test]
    fn explicit_port_rejects_every_other_port(
        host in hostname(),
        scheme in prop_oneof![Just(""), Just("http://"), Just("https://")],
        port in 1u16..,
        other in 0u16..,
        request_scheme in prop_oneof![Just("http"), Just("https")],
    ) {
        prop_assume!(port != other);
        let p = pattern(&format!("{scheme}{host}:{port}"));
        prop_assert!(!p.matches(&format!("{request_scheme}://{host}:{other}/")), "{}", p.as_str());
    }

    #[test]
    fn normalisation_is_idempotent(p in small_pattern(), r in small_referer()) {
        let once = pattern(&p);
        let twice = pattern(once.as_str());
        prop_assert_eq!(&once, &twice);
        prop_assert_eq!(once.matches(&r), twice.matches(&r));
    }

    #[test]
    fn matches_any_agrees_with_matches(
        patterns in proptest::collection::vec(small_pattern(), 0..4),
        r in small_referer(),
    ) {
        let list: Vec<ReferrerPattern> = patterns.iter().map(|p| pattern(p)).collect();
        let expected = list.is_empty() || list.iter().any(|p| p.matches(&r));
        prop_assert_eq!(matches_any(&list, Some(&r)), expected);
        prop_assert_eq!(matches_any(&list, None), list.is_empty());
    }

    #[test]
    fn arbitrary_strings_never_panic(s in any::<String>(), r in any::<String>()) {
        if let Ok(p) = ReferrerPattern::parse(&s) {
            let _ = p.matches(&r);
            prop_assert!(ReferrerPattern::parse(p.as_str()).is_ok());
        }
        let _ = pattern("a.com").matches(&r);
        let _ = matches_any(&[pattern("*.a.com/x")], Some(&r));
    }

    #[test]
    fn url_like_strings_never_panic(
        s in "[a-zA-Z0-9:/\\[\\]@.*%?#é€_ -]{0,40}",
        r in "[a-zA-Z0-9:/\\[\\]@.*%?#é€_ -]{0,40}",
    ) {
        if let Ok(p) = ReferrerPattern::parse(&s) {
            let _ = p.matches(&r);
            let again = ReferrerPattern::parse(p.as_str());
            prop_assert_eq!(again.as_ref(), Ok(&p));
        }
        let _ = pattern("http://[::1]:8080/a").matches(&r);
    }
}
