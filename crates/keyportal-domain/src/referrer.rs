//! Referrer patterns of API key credentials (design §2.7): `[scheme://]host[:port][/path]`, the
//! host optionally `*.domain`. Patterns are parsed (and may allocate) once, when an owner saves
//! them; matching runs on every request, so it only slices the header and never allocates.
//!
//! A referrer restriction keeps a key from being reused on other web pages by browsers; any other
//! client can send whatever `Referer` it likes, so matching aims at what browsers send (normalised
//! URLs), not at defeating crafted headers.

use std::net::{Ipv4Addr, Ipv6Addr};

use thiserror::Error;

use crate::error::DomainError;

/// Longest accepted pattern, in bytes.
pub const MAX_PATTERN_LEN: usize = 2048;

/// Why a pattern was refused. Messages are safe to show and do not echo the input.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Error)]
pub enum ReferrerError {
    #[error("A referrer cannot be empty.")]
    Empty,
    #[error("A referrer is at most 2048 characters long (after percent-encoding).")]
    TooLong,
    #[error("A referrer cannot contain spaces, control characters or backslashes.")]
    ForbiddenCharacter,
    #[error("'*' alone is not a referrer; leave the list empty to allow every referrer.")]
    BareWildcard,
    #[error("'*' is allowed only as a leading '*.' in the host (https://*.your-app.com); a path already matches everything below it.")]
    MisplacedWildcard,
    #[error("Only http:// and https:// referrers are supported.")]
    UnsupportedScheme,
    #[error("A referrer cannot contain a user name or password ('user@').")]
    Userinfo,
    #[error("A referrer cannot contain a query ('?') or fragment ('#').")]
    QueryOrFragment,
    #[error("A referrer needs a host, e.g. https://your-app.com.")]
    EmptyHost,
    #[error("A referrer host may contain only letters, digits, '-', '_' and single dots (write international names in their xn-- form).")]
    BadHost,
    #[error("The referrer's IPv4 address is not valid.")]
    BadIpv4,
    #[error(
        "The referrer's IPv6 address is not valid; write it in brackets, e.g. http://[::1]:8080."
    )]
    BadIpv6,
    #[error("'*.' cannot precede an IP address.")]
    WildcardIp,
    #[error("A referrer port must be a number from 1 to 65535.")]
    BadPort,
}

impl From<ReferrerError> for DomainError {
    fn from(error: ReferrerError) -> Self {
        DomainError::invalid(error.to_string())
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Scheme {
    Http,
    Https,
}

impl Scheme {
    fn parse(text: &[u8]) -> Option<Scheme> {
        if text.eq_ignore_ascii_case(b"https") {
            Some(Scheme::Https)
        } else if text.eq_ignore_ascii_case(b"http") {
            Some(Scheme::Http)
        } else {
            None
        }
    }

    fn default_port(self) -> u16 {
        match self {
            Scheme::Http => 80,
            Scheme::Https => 443,
        }
    }

    fn as_str(self) -> &'static str {
        match self {
            Scheme::Http => "http",
            Scheme::Https => "https",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum HostPattern {
    /// A DNS name or dotted IPv4 address: lower case, no trailing dot.
    Exact(String),
    /// `*.domain`: the domain itself and any name ending in `.domain`.
    Domain(String),
    /// Compared as addresses, so `[::1]` and `[0:0::1]` are the same host.
    Ipv6(Ipv6Addr),
}

/// One entry of a credential's `httpReferrers`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReferrerPattern {
    /// Normalised text, as stored and echoed.
    text: String,
    /// `None`: http and https.
    scheme: Option<Scheme>,
    host: HostPattern,
    /// `None`: the request scheme's default port.
    port: Option<u16>,
    /// Empty (any path) or `/…` without a trailing slash, non-ASCII percent-encoded.
    path: String,
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

/// Where `://` starts, if it comes before any `/` (so `a.com/x://y` has no scheme).
fn scheme_end(bytes: &[u8]) -> Option<usize> {
    let at = find(bytes, b"://")?;
    (!bytes[..at].contains(&b'/')).then_some(at)
}

/// An authority split into host and port, before any validation.
struct HostPort<'a> {
    /// Without brackets.
    host: &'a [u8],
    /// The text after `:`, if there is a `:`.
    port: Option<&'a [u8]>,
    /// `[v6]` form.
    bracketed: bool,
}

/// Splits `host[:port]` or `[v6][:port]`; `None` when the brackets are malformed.
fn split_host_port(authority: &[u8]) -> Option<HostPort<'_>> {
    if let Some(inner) = authority.strip_prefix(b"[") {
        let close = inner.iter().position(|&b| b == b']')?;
        let port = match &inner[close + 1..] {
            [] => None,
            [b':', port @ ..] => Some(port),
            _ => return None,
        };
        return Some(HostPort {
            host: &inner[..close],
            port,
            bracketed: true,
        });
    }
    let (host, port) = match authority.iter().position(|&b| b == b':') {
        Some(at) => (&authority[..at], Some(&authority[at + 1..])),
        None => (authority, None),
    };
    Some(HostPort {
        host,
        port,
        bracketed: false,
    })
}

/// Decimal port, leading zeros allowed (as browsers do); `None` past 65535 or on a non-digit.
fn parse_port(digits: &[u8]) -> Option<u16> {
    if digits.is_empty() {
        return None;
    }
    let mut value: u32 = 0;
    for &digit in digits {
        if !digit.is_ascii_digit() {
            return None;
        }
        value = value * 10 + u32::from(digit - b'0');
        if value > u32::from(u16::MAX) {
            return None;
        }
    }
    u16::try_from(value).ok()
}

fn strip_trailing_dot(host: &[u8]) -> &[u8] {
    host.strip_suffix(b".").unwrap_or(host)
}

fn is_host_byte(byte: u8) -> bool {
    byte.is_ascii_alphanumeric() || byte == b'-' || byte == b'_'
}

/// Validates and lower-cases a DNS name or IPv4 address (without `*.`); the flag is true for
/// an IPv4 address, which browsers send in canonical dotted form.
fn normalize_name(host: &str) -> Result<(String, bool), ReferrerError> {
    let host = host.strip_suffix('.').unwrap_or(host);
    if host.is_empty() {
        return Err(ReferrerError::EmptyHost);
    }
    if host.contains('*') {
        return Err(ReferrerError::MisplacedWildcard);
    }
    let mut last = "";
    for label in host.split('.') {
        if label.is_empty() || !label.bytes().all(is_host_byte) {
            return Err(ReferrerError::BadHost);
        }
        last = label;
    }
    // Like browsers: a name whose last label is a number is an IPv4 address.
    if last.bytes().all(|b| b.is_ascii_digit()) {
        let address: Ipv4Addr = host.parse().map_err(|_| ReferrerError::BadIpv4)?;
        return Ok((address.to_string(), true));
    }
    Ok((host.to_ascii_lowercase(), false))
}

/// Percent-encodes what browsers encode in a path (non-ASCII, `"<>`{}`) and upper-cases the hex
/// of existing escapes, so the stored text looks like the `Referer` it must match.
fn normalize_path(path: &str) -> String {
    let path = path.trim_end_matches('/');
    let mut out = String::with_capacity(path.len());
    let bytes = path.as_bytes();
    let mut escape: u8 = 0;
    for &byte in bytes {
        if escape > 0 && byte.is_ascii_hexdigit() {
            escape -= 1;
            out.push(char::from(byte.to_ascii_uppercase()));
            continue;
        }
        escape = 0;
        if byte == b'%' {
            escape = 2;
            out.push('%');
        } else if byte.is_ascii() && !b"\"<>`{}".contains(&byte) {
            out.push(char::from(byte));
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

impl ReferrerPattern {
    /// Parses and normalises a pattern as an owner types it (the caller trims list entries).
    pub fn parse(input: &str) -> Result<ReferrerPattern, ReferrerError> {
        if input.is_empty() {
            return Err(ReferrerError::Empty);
        }
        if input.len() > MAX_PATTERN_LEN {
            return Err(ReferrerError::TooLong);
        }
        if input
            .chars()
            .any(|c| c.is_whitespace() || c.is_control() || c == '\\')
        {
            return Err(ReferrerError::ForbiddenCharacter);
        }
        if input == "*" {
            return Err(ReferrerError::BareWildcard);
        }
        if input.contains(['?', '#']) {
            return Err(ReferrerError::QueryOrFragment);
        }
        let (scheme, rest) = match scheme_end(input.as_bytes()) {
            Some(at) => {
                // `at` is the position of an ASCII ':', hence a char boundary.
                let (scheme, rest) = input.split_at(at);
                if scheme.contains('*') {
                    return Err(ReferrerError::MisplacedWildcard);
                }
                let scheme =
                    Scheme::parse(scheme.as_bytes()).ok_or(ReferrerError::UnsupportedScheme)?;
                (Some(scheme), &rest[3..])
            }
            None => (None, input),
        };
        let authority_end = rest.find('/').unwrap_or(rest.len());
        let (authority, path) = rest.split_at(authority_end);
        if authority.contains('@') {
            return Err(ReferrerError::Userinfo);
        }
        if path.contains('*') {
            return Err(ReferrerError::MisplacedWildcard);
        }
        let HostPort {
            host,
            port: port_text,
            bracketed,
        } = split_host_port(authority.as_bytes()).ok_or(ReferrerError::BadIpv6)?;
        // Every split above was at an ASCII byte, so these are whole characters.
        let host = std::str::from_utf8(host).map_err(|_| ReferrerError::BadHost)?;
        let port = match port_text {
            None => None,
            Some(digits) => match parse_port(digits) {
                Some(port) if port > 0 => Some(port),
                _ => return Err(ReferrerError::BadPort),
            },
        };
        let host = if bracketed {
            let address: Ipv6Addr = host.parse().map_err(|_| ReferrerError::BadIpv6)?;
            HostPattern::Ipv6(address)
        } else if host.is_empty() {
            return Err(ReferrerError::EmptyHost);
        } else if host == "*" {
            return Err(ReferrerError::BareWildcard);
        } else if let Some(domain) = host.strip_prefix("*.") {
            match normalize_name(domain)? {
                (_, true) => return Err(ReferrerError::WildcardIp),
                (name, false) => HostPattern::Domain(name),
            }
        } else {
            HostPattern::Exact(normalize_name(host)?.0)
        };
        let path = normalize_path(path);

        let mut text = String::with_capacity(input.len() + 8);
        if let Some(scheme) = scheme {
            text.push_str(scheme.as_str());
            text.push_str("://");
        }
        match &host {
            HostPattern::Exact(name) => text.push_str(name),
            HostPattern::Domain(name) => {
                text.push_str("*.");
                text.push_str(name);
            }
            HostPattern::Ipv6(address) => text.push_str(&format!("[{address}]")),
        }
        if let Some(port) = port {
            text.push_str(&format!(":{port}"));
        }
        text.push_str(&path);
        // Percent-encoding can lengthen a path; what is stored must parse again.
        if text.len() > MAX_PATTERN_LEN {
            return Err(ReferrerError::TooLong);
        }
        Ok(ReferrerPattern {
            text,
            scheme,
            host,
            port,
            path,
        })
    }

    /// The normalised pattern (lower-case scheme and host, no trailing slash) for storage.
    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// Whether a raw `Referer` (full URL) or `Origin` (`scheme://host[:port]`) header value is
    /// allowed by this pattern. `null` and anything that is not an http(s) URL never match.
    pub fn matches(&self, referer: &str) -> bool {
        RequestReferer::split(referer).is_some_and(|request| self.matches_request(&request))
    }

    fn matches_request(&self, request: &RequestReferer<'_>) -> bool {
        if self.scheme.is_some_and(|scheme| scheme != request.scheme) {
            return false;
        }
        if request.port != self.port.unwrap_or(request.scheme.default_port()) {
            return false;
        }
        let host_ok = match &self.host {
            HostPattern::Ipv6(address) => {
                request.bracketed
                    && std::str::from_utf8(request.host)
                        .ok()
                        .and_then(|host| host.parse::<Ipv6Addr>().ok())
                        == Some(*address)
            }
            HostPattern::Exact(name) => {
                !request.bracketed
                    && strip_trailing_dot(request.host).eq_ignore_ascii_case(name.as_bytes())
            }
            HostPattern::Domain(domain) => {
                !request.bracketed && is_domain_or_below(request.host, domain.as_bytes())
            }
        };
        host_ok && path_has_prefix(request.path, self.path.as_bytes())
    }
}

/// `host` is `domain` or `<something>.domain`, ignoring ASCII case.
fn is_domain_or_below(host: &[u8], domain: &[u8]) -> bool {
    let host = strip_trailing_dot(host);
    if host.eq_ignore_ascii_case(domain) {
        return true;
    }
    // At least one character, then a dot, then the domain.
    host.len() > domain.len() + 1
        && host[host.len() - domain.len() - 1] == b'.'
        && host[host.len() - domain.len()..].eq_ignore_ascii_case(domain)
}

/// `pattern` (empty, or `/…` without trailing slash) is a prefix of `path` ending at a segment
/// boundary. Paths are case-sensitive except the hex digits of percent escapes.
fn path_has_prefix(path: &[u8], pattern: &[u8]) -> bool {
    if pattern.is_empty() {
        return true;
    }
    if path.len() < pattern.len() {
        return false;
    }
    let mut escape: u8 = 0;
    for (&want, &got) in pattern.iter().zip(path) {
        let same = if escape > 0 {
            want.eq_ignore_ascii_case(&got)
        } else {
            want == got
        };
        if !same {
            return false;
        }
        escape = if want == b'%' && escape == 0 {
            2
        } else {
            escape.saturating_sub(1)
        };
    }
    matches!(path.get(pattern.len()), None | Some(b'/'))
}

/// The parts of a request's `Referer`/`Origin` that matching needs, as slices of the header.
struct RequestReferer<'a> {
    scheme: Scheme,
    host: &'a [u8],
    bracketed: bool,
    /// The explicit port, or the scheme's default.
    port: u16,
    /// Empty for an origin.
    path: &'a [u8],
}

impl<'a> RequestReferer<'a> {
    fn split(header: &'a str) -> Option<RequestReferer<'a>> {
        let bytes = header.as_bytes().trim_ascii();
        // Only http and https count, so `://` is within the first 8 bytes or nowhere.
        let at = scheme_end(&bytes[..bytes.len().min(8)])?;
        let scheme = Scheme::parse(&bytes[..at])?;
        let rest = &bytes[at + 3..];
        // Where browsers end the authority of an http(s) URL.
        let authority_end = rest
            .iter()
            .position(|b| matches!(b, b'/' | b'?' | b'#' | b'\\'))
            .unwrap_or(rest.len());
        let (authority, tail) = rest.split_at(authority_end);
        let host_port = match authority.iter().rposition(|&b| b == b'@') {
            Some(at) => &authority[at + 1..],
            None => authority,
        };
        let HostPort {
            host,
            port: port_text,
            bracketed,
        } = split_host_port(host_port)?;
        if host.is_empty() {
            return None;
        }
        let port = match port_text {
            None | Some([]) => scheme.default_port(),
            Some(digits) => parse_port(digits)?,
        };
        let path_end = tail
            .iter()
            .position(|b| matches!(b, b'?' | b'#'))
            .unwrap_or(tail.len());
        Some(RequestReferer {
            scheme,
            host,
            bracketed,
            port,
            path: &tail[..path_end],
        })
    }
}

impl std::str::FromStr for ReferrerPattern {
    type Err = ReferrerError;

    fn from_str(input: &str) -> Result<ReferrerPattern, ReferrerError> {
        ReferrerPattern::parse(input)
    }
}

impl std::fmt::Display for ReferrerPattern {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.text)
    }
}

/// The per-request check: an empty list means no restriction; otherwise the header (`Referer`,
/// or `Origin` when there is none) must be present and match one pattern.
pub fn matches_any(patterns: &[ReferrerPattern], referer: Option<&str>) -> bool {
    if patterns.is_empty() {
        return true;
    }
    referer
        .and_then(RequestReferer::split)
        .is_some_and(|request| patterns.iter().any(|p| p.matches_request(&request)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

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

    // ---- property tests ----

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
            .prop_map(|(scheme, user, host, port, path)| {
                format!("{scheme}{user}{host}{port}{path}")
            })
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
}
