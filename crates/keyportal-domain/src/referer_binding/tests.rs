//! Unit and property tests of referer bindings.

use proptest::prelude::*;

use super::*;

fn assert_allows(bound: &str, yes: &[&str], no: &[&str]) {
    for header in yes {
        assert!(
            binding_allows(bound, header),
            "{bound} should allow {header}"
        );
    }
    for header in no {
        assert!(
            !binding_allows(bound, header),
            "{bound} should refuse {header}"
        );
    }
}

#[test]
fn the_reported_lookalikes_are_refused() {
    assert_allows(
        "https://app.example.com",
        &[
            "https://app.example.com",
            "https://app.example.com/",
            "https://app.example.com/page?x=1#top",
            "HTTPS://APP.Example.COM/page",
            "https://app.example.com:443/x",
            "https://app.example.com./x",
        ],
        &[
            "https://app.example.com.evil.net/",
            "https://app.example.comevil.net/",
            "https://app.example.com@evil.net/",
            "https://user@app.example.com/",
            "https://user:pw@app.example.com/",
            "https://app.example.com\\@evil.net/",
            "https://app.example.com\\.evil.net",
            "https://evil.net\\app.example.com",
            "http://app.example.com/",
            "https://app.example.com:8443/",
            "https://app.example.co/",
            "https://pp.example.com/",
            "https:/app.example.com/",
            "//app.example.com/",
            "app.example.com",
            "https://app.example.com/\u{0}",
            "https://app.example.com/ x",
            "https://app.example.com/é",
            "null",
            "",
        ],
    );
}

#[test]
fn default_ports_are_implied_both_ways() {
    assert_allows(
        "https://a.example.com:443",
        &["https://a.example.com", "https://a.example.com:0443/"],
        &["https://a.example.com:444", "http://a.example.com:443"],
    );
    assert_allows(
        "http://localhost:3000",
        &["http://localhost:3000/app", "http://LOCALHOST:3000"],
        &[
            "http://localhost",
            "http://localhost:30000",
            "http://localhost:300",
        ],
    );
    assert_allows(
        "http://127.0.0.1",
        &["http://127.0.0.1:80/"],
        &["http://127.0.0.10", "http://127.0.0.1.evil.net"],
    );
    assert_allows(
        "http://[::1]:8080",
        &["http://[0:0::1]:8080/x"],
        &["http://[::2]:8080", "http://[::1]", "http://::1:8080"],
    );
}

#[test]
fn a_bound_path_is_a_prefix_at_slash_boundaries() {
    for bound in [
        "https://a.example.com/app",
        "https://a.example.com/app/",
        "https://a.example.com/app//",
    ] {
        assert_allows(
            bound,
            &[
                "https://a.example.com/app",
                "https://a.example.com/app/",
                "https://a.example.com/app/x/y",
                "https://a.example.com/app?x",
                "https://a.example.com/app#x",
            ],
            &[
                "https://a.example.com/application",
                "https://a.example.com/ap",
                "https://a.example.com/",
                "https://a.example.com",
                "https://a.example.com/x/app",
                "https://a.example.com?/app",
            ],
        );
    }
    assert_allows(
        "https://a.example.com/",
        &["https://a.example.com", "https://a.example.com/anything"],
        &[],
    );
    assert_allows(
        "https://a.example.com/App",
        &["https://a.example.com/App/x"],
        &["https://a.example.com/app"],
    );
    // A query or fragment in the bound value plays no part.
    assert_allows(
        "https://a.example.com/app?x=1#f",
        &["https://a.example.com/app/y"],
        &["https://a.example.com/other"],
    );
}

#[test]
fn labels_are_compared_whole() {
    assert_allows(
        "@esri/arcgis-rest-js",
        &["@esri/arcgis-rest-js", " @ESRI/arcgis-rest-js "],
        &[
            "@esri/arcgis-rest-js2",
            "@esri/arcgis-rest",
            "https://@esri/arcgis-rest-js",
        ],
    );
    // Python's `Referer: http` matches its token, and no URL matches the label.
    assert_allows(
        "http",
        &["http", "HTTP"],
        &["https://evil.example", "http://x", "https", "httpx"],
    );
    assert!(!binding_allows("", ""));
    assert!(!binding_allows("x", "x\u{7f}"));
}

#[test]
fn unreadable_bound_urls_match_nothing() {
    for bound in [
        "https://user@app.example.com",
        "https://app.example.com\\x",
        "https://",
        "https://:443",
        "https://a..b",
        "https://a.com:0",
        "https://a.com:99999",
        "https://[::1",
        "https://é.com",
    ] {
        assert!(!binding_allows(bound, bound), "{bound}");
        assert!(!binding_allows(bound, "https://app.example.com"), "{bound}");
    }
}

#[test]
fn generation_refuses_what_could_never_match() {
    for bad in [
        "",
        "   ",
        "https://user@app.example.com",
        "https://app.example.com\\@evil",
        "https://app.example.com:0",
        "http://[::1",
        "a\u{0}b",
        "a\tb",
    ] {
        assert!(check_binding(bad).is_err(), "{bad:?}");
    }
    let long = format!("https://a.example.com/{}", "x".repeat(MAX_BINDING_LEN));
    assert!(check_binding(&long).is_err());
    for good in [
        "https://app.example.com",
        "https://app.example.com/app/",
        "http://localhost:3000",
        "@esri/arcgis-rest-js",
        "http",
        "app.example.com",
    ] {
        assert_eq!(check_binding(good), Ok(()), "{good}");
    }
    match check_binding("https://u@a.com") {
        Err(DomainError::Invalid { details, .. }) => {
            assert!(details[0].contains("'referer'"), "{details:?}")
        }
        other => panic!("expected Invalid, got {other:?}"),
    }
}

// ---- property tests ----

fn label() -> impl Strategy<Value = String> {
    "[a-z0-9]([a-z0-9-]{0,6}[a-z0-9])?"
}

/// A DNS name whose last label is alphabetic.
fn hostname() -> impl Strategy<Value = String> {
    (proptest::collection::vec(label(), 0..3), "[a-z]{2,5}").prop_map(|(labels, tld)| {
        let mut host = labels.join(".");
        if !host.is_empty() {
            host.push('.');
        }
        host.push_str(&tld);
        host
    })
}

fn scheme() -> impl Strategy<Value = &'static str> {
    prop_oneof![Just("http"), Just("https")]
}

fn segments() -> impl Strategy<Value = Vec<String>> {
    proptest::collection::vec("[A-Za-z0-9._~-]{1,6}", 0..3)
}

fn flip_case(text: &str, flips: &[bool]) -> String {
    text.chars()
        .enumerate()
        .map(|(i, c)| {
            if flips[i % flips.len()] {
                c.to_ascii_uppercase()
            } else {
                c
            }
        })
        .collect()
}

proptest! {
    /// The origin a token was bound to, however its scheme and host are cased and with any
    /// page below the bound path, is allowed.
    #[test]
    fn the_bound_origin_and_its_pages_are_allowed(
        scheme in scheme(),
        host in hostname(),
        port in proptest::option::of(1u16..),
        path in segments(),
        below in segments(),
        flips in proptest::collection::vec(any::<bool>(), 1..8),
        query in "(\\?[a-z=&]{0,8})?",
    ) {
        let port_text = port.map(|p| format!(":{p}")).unwrap_or_default();
        let path = path.iter().map(|s| format!("/{s}")).collect::<String>();
        let below = below.iter().map(|s| format!("/{s}")).collect::<String>();
        let bound = format!("{scheme}://{host}{port_text}{path}");
        let origin = flip_case(&format!("{scheme}://{host}{port_text}"), &flips);
        let header = format!("{origin}{path}{below}{query}");
        prop_assert!(binding_allows(&bound, &header), "{} vs {}", bound, header);
        prop_assert_eq!(check_binding(&bound), Ok(()));
    }

    /// Whatever is glued to the host, put before it as userinfo, or hidden behind a
    /// backslash, the binding refuses it.
    #[test]
    fn lookalike_hosts_are_refused(
        scheme in scheme(),
        host in hostname(),
        other in hostname(),
        glue in prop_oneof![Just("."), Just(""), Just("-"), Just("@"), Just("\\"), Just("\\@"), Just("%40")],
        user in prop_oneof![Just(""), Just("u@"), Just("u:p@")],
        tail in prop_oneof![Just(""), Just("/"), Just("/x?y")],
    ) {
        let bound = format!("{scheme}://{host}");
        let glued = format!("{scheme}://{user}{host}{glue}{other}{tail}");
        prop_assert!(!binding_allows(&bound, &glued), "{} vs {}", bound, glued);
        let prefixed = format!("{scheme}://{other}.{host}{tail}");
        prop_assert!(!binding_allows(&bound, &prefixed), "{} vs {}", bound, prefixed);
    }

    /// Another scheme or another port never matches.
    #[test]
    fn scheme_and_port_must_be_the_same(
        host in hostname(),
        port in 1u16..,
        other in 1u16..,
    ) {
        prop_assume!(port != other);
        let bound = format!("https://{host}:{port}");
        let other_port = format!("https://{host}:{other}/");
        let other_scheme = format!("http://{host}:{port}/");
        prop_assert!(!binding_allows(&bound, &other_port), "{}", other_port);
        prop_assert!(!binding_allows(&bound, &other_scheme), "{}", other_scheme);
    }

    /// A bound path accepts a longer path only at a `/` boundary.
    #[test]
    fn paths_match_at_segment_boundaries_only(
        host in hostname(),
        path in "/[a-z0-9]{1,6}",
        more in "[a-z0-9._~-]{1,6}",
    ) {
        let bound = format!("https://{host}{path}");
        let glued = format!("https://{host}{path}{more}");
        let below = format!("https://{host}{path}/{more}");
        prop_assert!(!binding_allows(&bound, &glued), "{}", glued);
        prop_assert!(binding_allows(&bound, &below), "{}", below);
    }

    /// Arbitrary text never panics; a header with a control character never matches; a
    /// label matches exactly itself (ignoring ASCII case).
    #[test]
    fn arbitrary_text_is_safe(bound in any::<String>(), header in any::<String>()) {
        let allowed = binding_allows(&bound, &header);
        if header.chars().any(char::is_control) {
            prop_assert!(!allowed);
        }
        if allowed && url_scheme(bound.trim().as_bytes()).is_none() {
            prop_assert!(bound.trim().eq_ignore_ascii_case(header.trim()));
        }
        let _ = check_binding(&bound);
    }
}
