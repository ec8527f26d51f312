//! Unit tests of referrer patterns.

use super::*;

fn pattern(text: &str) -> ReferrerPattern {
    ReferrerPattern::parse(text).unwrap_or_else(|e| panic!("{text}: {e}"))
}

fn assert_matches(text: &str, yes: &[&str], no: &[&str]) {
    let p = pattern(text);
    for referer in yes {
        assert!(p.matches(referer), "{text} should match {referer}");
    }
    for referer in no {
        assert!(!p.matches(referer), "{text} should not match {referer}");
    }
}

#[test]
fn design_examples() {
    assert_matches(
        "https://*.your-app.com",
        &[
            "https://your-app.com",
            "https://dev.your-app.com",
            "https://a.b.your-app.com/page?x=1",
            "https://your-app.com/",
        ],
        &[
            "http://dev.your-app.com",
            "https://evilyour-app.com",
            "https://your-app.com.evil.net",
            "https://your-app.co",
        ],
    );
}

#[test]
fn wildcard_needs_a_dot_boundary() {
    assert_matches(
        "*.app.com",
        &["https://app.com", "http://x.app.com", "https://APP.COM"],
        &[
            "https://evilapp.com",
            "https://app.com.evil.net",
            "https://.app.com",
            "https://xapp.com",
            "https://app.comm",
            "https://pp.com",
        ],
    );
}

#[test]
fn scheme_and_host_ignore_case() {
    assert_matches(
        "HTTPS://Your-App.COM",
        &[
            "https://your-app.com",
            "HTTPS://YOUR-APP.COM/x",
            "hTtPs://yOuR-aPp.CoM",
        ],
        &["http://your-app.com"],
    );
    assert_eq!(
        pattern("HTTPS://Your-App.COM/Path").as_str(),
        "https://your-app.com/Path"
    );
    assert_eq!(pattern("*.EXAMPLE.org").as_str(), "*.example.org");
}

#[test]
fn path_is_case_sensitive() {
    assert_matches(
        "https://a.com/App",
        &["https://a.com/App/x"],
        &["https://a.com/app", "https://a.com/APP"],
    );
}

#[test]
fn without_scheme_http_and_https_on_their_default_ports() {
    assert_matches(
        "your-app.com",
        &[
            "http://your-app.com",
            "https://your-app.com",
            "http://your-app.com:80/",
            "https://your-app.com:443/",
        ],
        &[
            "http://your-app.com:443",
            "https://your-app.com:80",
            "https://your-app.com:8443",
            "ftp://your-app.com",
            "ws://your-app.com",
            "your-app.com",
            "//your-app.com",
        ],
    );
}

#[test]
fn with_scheme_only_that_scheme_on_its_default_port() {
    assert_matches(
        "https://a.com",
        &["https://a.com", "https://a.com:443", "https://a.com:0443/x"],
        &["http://a.com", "https://a.com:8443", "http://a.com:443"],
    );
    assert_matches(
        "http://a.com",
        &["http://a.com", "http://a.com:80/x"],
        &["https://a.com", "http://a.com:443", "http://a.com:8080"],
    );
}

#[test]
fn explicit_port_must_match_exactly() {
    assert_matches(
        "https://a.com:8443",
        &["https://a.com:8443", "https://a.com:8443/x?y#z"],
        &[
            "https://a.com",
            "http://a.com:8443",
            "https://a.com:443",
            "https://a.com:84430",
        ],
    );
    assert_matches(
        "a.com:443",
        &["https://a.com", "http://a.com:443"],
        &["http://a.com", "https://a.com:8443"],
    );
    assert_matches(
        "localhost:3000",
        &[
            "http://localhost:3000",
            "https://localhost:3000/app",
            "http://LOCALHOST:3000",
        ],
        &[
            "http://localhost",
            "http://localhost:3001",
            "http://localhost:300",
        ],
    );
    assert_eq!(pattern("https://a.com:0443").as_str(), "https://a.com:443");
}

#[test]
fn path_is_a_prefix_at_segment_boundaries() {
    for text in [
        "https://a.com/app",
        "https://a.com/app/",
        "https://a.com/app//",
    ] {
        assert_eq!(pattern(text).as_str(), "https://a.com/app");
        assert_matches(
            text,
            &[
                "https://a.com/app",
                "https://a.com/app/",
                "https://a.com/app/x/y",
                "https://a.com/app?x=1",
                "https://a.com/app#top",
            ],
            &[
                "https://a.com/application",
                "https://a.com/ap",
                "https://a.com/",
                "https://a.com",
                "https://a.com/x/app",
                "https://a.com?/app",
            ],
        );
    }
    assert_eq!(pattern("https://a.com/").as_str(), "https://a.com");
    assert_matches(
        "https://a.com/",
        &["https://a.com", "https://a.com/anything"],
        &[],
    );
    assert_matches(
        "a.com/x/y",
        &["https://a.com/x/y/z"],
        &["https://a.com/x", "https://a.com/x/yz"],
    );
}

#[test]
fn non_ascii_paths_are_percent_encoded() {
    let p = pattern("https://a.com/café");
    assert_eq!(p.as_str(), "https://a.com/caf%C3%A9");
    assert!(p.matches("https://a.com/caf%C3%A9/menu"));
    assert!(p.matches("https://a.com/caf%c3%a9"));
    assert!(!p.matches("https://a.com/café"));
    assert_eq!(
        pattern("https://a.com/%7efoo").as_str(),
        "https://a.com/%7Efoo"
    );
    assert_eq!(
        pattern("https://a.com/{x}").as_str(),
        "https://a.com/%7Bx%7D"
    );
    // A '%' that starts no escape stays, and what follows is encoded on its own.
    assert_eq!(
        pattern("https://a.com/%é").as_str(),
        "https://a.com/%%C3%A9"
    );
    assert_eq!(
        pattern("https://a.com/%zz%4").as_str(),
        "https://a.com/%zz%4"
    );
    assert!(pattern("https://a.com/50%25").matches("https://a.com/50%25/x"));
}

#[test]
fn origin_headers_match_patterns_without_path() {
    assert!(pattern("https://a.com").matches("https://a.com"));
    assert!(!pattern("https://a.com/app").matches("https://a.com"));
    assert!(!pattern("https://a.com").matches("null"));
    assert!(!pattern("a.com").matches("null"));
    assert!(!pattern("a.com").matches(""));
}

#[test]
fn referer_userinfo_query_and_fragment_are_ignored() {
    assert_matches(
        "https://a.com",
        &[
            "https://user:pw@a.com/x",
            "https://a.com?next=https://evil.com",
            "https://a.com#https://evil.com",
            "  https://a.com/  ",
        ],
        &[
            "https://a.com@evil.com/",
            "https://evil.com/?https://a.com",
            "https://evil.com/https://a.com",
            "https://evil.com\\@a.com",
        ],
    );
    assert!(pattern("evil.com").matches("https://a.com@evil.com/"));
}

#[test]
fn ip_hosts() {
    assert_matches(
        "http://127.0.0.1:8080",
        &["http://127.0.0.1:8080/x"],
        &[
            "http://127.0.0.1",
            "http://127.0.0.2:8080",
            "http://127.0.0.10:8080",
        ],
    );
    assert_matches(
        "192.168.1.20",
        &["https://192.168.1.20/"],
        &["https://192.168.1.2"],
    );
    assert_matches(
        "http://[::1]:8080",
        &[
            "http://[::1]:8080",
            "http://[0:0:0:0:0:0:0:1]:8080/x",
            "http://user@[::1]:8080",
        ],
        &[
            "http://[::2]:8080",
            "http://[::1]",
            "http://::1:8080",
            "http://[::1:8080",
        ],
    );
    assert_eq!(
        pattern("HTTP://[0:0::1]:8080").as_str(),
        "http://[::1]:8080"
    );
    assert_matches(
        "[2001:DB8::1]",
        &["https://[2001:db8::1]"],
        &["https://[2001:db8::2]"],
    );
    assert_eq!(pattern("[2001:DB8::1]").as_str(), "[2001:db8::1]");
}

#[test]
fn localhost_and_trailing_dots() {
    assert_matches(
        "localhost",
        &[
            "http://localhost",
            "https://localhost/",
            "http://localhost./",
        ],
        &["http://localhost:8080", "http://localhost.evil.com"],
    );
    assert_eq!(pattern("a.com.").as_str(), "a.com");
    assert_matches("a.com.", &["https://a.com", "https://a.com."], &[]);
    assert_matches("*.a.com", &["https://x.a.com."], &["https://x.a.com.."]);
}

#[test]
fn refusals_say_why() {
    use ReferrerError::*;
    let cases: &[(&str, ReferrerError)] = &[
        ("", Empty),
        ("*", BareWildcard),
        ("https://*", BareWildcard),
        ("https://*.a.com/*", MisplacedWildcard),
        ("https://a.com/*", MisplacedWildcard),
        ("https://a.*.com", MisplacedWildcard),
        ("https://*a.com", MisplacedWildcard),
        ("**.a.com", MisplacedWildcard),
        ("*://a.com", MisplacedWildcard),
        ("a.com*", MisplacedWildcard),
        ("https://a.com:*", BadPort),
        ("https:// a.com", ForbiddenCharacter),
        ("a.com ", ForbiddenCharacter),
        (" a.com", ForbiddenCharacter),
        ("a.com\t", ForbiddenCharacter),
        ("a.com/x\ny", ForbiddenCharacter),
        ("a.com\\x", ForbiddenCharacter),
        ("https://a.com\u{a0}", ForbiddenCharacter),
        ("https://user@a.com", Userinfo),
        ("https://user:pw@a.com/", Userinfo),
        ("https://a.com/?x=1", QueryOrFragment),
        ("https://a.com#top", QueryOrFragment),
        ("https://a.com/x?", QueryOrFragment),
        ("ftp://a.com", UnsupportedScheme),
        ("://a.com", UnsupportedScheme),
        ("chrome-extension://abc", UnsupportedScheme),
        ("https://", EmptyHost),
        ("https:///app", EmptyHost),
        ("/app", EmptyHost),
        (":8080", EmptyHost),
        ("*.", EmptyHost),
        ("https://*./", EmptyHost),
        (".", EmptyHost),
        ("https://a..com", BadHost),
        ("https://.a.com", BadHost),
        ("https://a.com..", BadHost),
        ("https://exämple.com", BadHost),
        ("https://a+b.com", BadHost),
        ("https://1.2.3.256", BadIpv4),
        ("https://1.2.3", BadIpv4),
        ("https://a.1", BadIpv4),
        ("https://01.2.3.4", BadIpv4),
        ("*.1.2.3.4", WildcardIp),
        ("https://[::1", BadIpv6),
        ("https://[::1]x", BadIpv6),
        ("https://[::1]:", BadPort),
        ("https://[fe80::1%eth0]", BadIpv6),
        ("https://[1.2.3.4]", BadIpv6),
        ("https://[]", BadIpv6),
        ("https://a.com:", BadPort),
        ("https://a.com:0", BadPort),
        ("https://a.com:65536", BadPort),
        ("https://a.com:99999999999999999999", BadPort),
        ("https://a.com:80:80", BadPort),
        ("https://a.com:8o", BadPort),
        ("https://a.com:-1", BadPort),
        ("a.com:+80", BadPort),
    ];
    for (text, expected) in cases {
        assert_eq!(ReferrerPattern::parse(text), Err(*expected), "{text:?}");
    }
    assert_eq!(
        ReferrerPattern::parse("a.com:65535").map(|p| p.port),
        Ok(Some(65535))
    );
}

#[test]
fn length_limit_is_2048_bytes() {
    let base = "https://a.com/";
    let at_limit = format!("{base}{}", "x".repeat(MAX_PATTERN_LEN - base.len()));
    assert!(ReferrerPattern::parse(&at_limit).is_ok());
    let over = format!("{at_limit}x");
    assert_eq!(ReferrerPattern::parse(&over), Err(ReferrerError::TooLong));
    // 'é' is 2 bytes in the input but 6 once percent-encoded: the stored text is the limit.
    let short_input = format!("{base}{}", "é".repeat(500));
    assert!(short_input.len() < MAX_PATTERN_LEN);
    assert_eq!(
        ReferrerPattern::parse(&short_input),
        Err(ReferrerError::TooLong)
    );
    let fits = format!("{base}{}", "é".repeat(300));
    assert_eq!(pattern(pattern(&fits).as_str()), pattern(&fits));
}

#[test]
fn messages_are_clear_and_convert_to_domain_errors() {
    let error = ReferrerPattern::parse("https://a.com/*").unwrap_err();
    assert!(error.to_string().contains("*."));
    let domain: DomainError = ReferrerError::BadPort.into();
    assert_eq!(
        domain,
        DomainError::invalid("A referrer port must be a number from 1 to 65535.")
    );
}

#[test]
fn matches_any_rules() {
    let list = vec![pattern("https://a.com"), pattern("*.b.org")];
    assert!(matches_any(&[], None));
    assert!(matches_any(&[], Some("https://anything.example")));
    assert!(matches_any(&[], Some("null")));
    assert!(!matches_any(&list, None));
    assert!(!matches_any(&list, Some("")));
    assert!(!matches_any(&list, Some("null")));
    assert!(matches_any(&list, Some("https://a.com/page")));
    assert!(matches_any(&list, Some("http://x.b.org")));
    assert!(!matches_any(&list, Some("http://a.com")));
    assert!(!matches_any(&list, Some("@esri/arcgis-rest-js")));
    assert!(!matches_any(&list, Some("http")));
}

#[test]
fn parse_is_idempotent_and_display_is_the_text() {
    for text in [
        "HTTPS://*.Your-App.COM:8443/Path/",
        "a.com",
        "http://[0::1]:80/x",
        "https://a.com/caf%c3%a9/",
        "https://a.com/café",
        "127.0.0.1:3000",
    ] {
        let p = pattern(text);
        let again = pattern(p.as_str());
        assert_eq!(p, again, "{text}");
        assert_eq!(p.to_string(), p.as_str());
        assert_eq!(text.parse::<ReferrerPattern>(), Ok(p));
    }
}

#[test]
fn malformed_referers_never_match() {
    let p = pattern("a.com");
    for referer in [
        "a.com",
        "https:/a.com",
        "https//a.com",
        "https://",
        "https://:80",
        "https://@",
        "https://a.com:",
        "https://a.com:99999",
        "https://a.com:x",
        "https://[a.com]",
        "https://é.a.com",
        "é://a.com",
    ] {
        let _ = p.matches(referer);
    }
    // An empty port is the default port, as browsers read it.
    assert!(p.matches("https://a.com:/x"));
    assert!(!p.matches("https://a.com:99999"));
    assert!(!p.matches("https://a.com:x"));
}

#[test]
fn an_unreadable_referer_matches_no_pattern_and_no_binding() {
    for text in [
        "a.com",
        "*.a.com",
        "https://a.com/x",
        "http://[::1]:80",
        "127.0.0.1",
    ] {
        assert!(!pattern(text).matches(UNREADABLE_REFERER), "{text}");
        assert!(!matches_any(&[pattern(text)], Some(UNREADABLE_REFERER)));
    }
    assert!(
        matches_any(&[], Some(UNREADABLE_REFERER)),
        "no list, no restriction"
    );
    for bound in [
        "https://a.com",
        "http",
        "@esri/arcgis-rest-js",
        UNREADABLE_REFERER,
    ] {
        assert!(!crate::referer_binding::binding_allows(
            bound,
            UNREADABLE_REFERER
        ));
    }
}
