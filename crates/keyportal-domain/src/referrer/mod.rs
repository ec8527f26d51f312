//! Referrer patterns of API key credentials (design §2.7): `[scheme://]host[:port][/path]`, the
//! host optionally `*.domain`. Patterns are parsed (and may allocate) once, when an owner saves
//! them; matching runs on every request, so it only slices the header and never allocates.
//!
//! A referrer restriction keeps a key from being reused on other web pages by browsers; any other
//! client can send whatever `Referer` it likes, so matching aims at what browsers send (normalised
//! URLs), not at defeating crafted headers.

pub(crate) mod url;

use std::net::{Ipv4Addr, Ipv6Addr};

use thiserror::Error;

use crate::error::DomainError;
use url::{
    is_host_byte, parse_port, path_has_prefix, scheme_end, split_host_port, strip_trailing_dot,
    HostPort, RequestReferer, Scheme,
};

/// What the HTTP layer passes on as the `Referer` when the header is present but unreadable
/// (bytes outside visible ASCII). It matches no pattern and no token binding, so such a
/// request is a referrer mismatch; were it treated as absent, a good `Origin` would decide.
pub const UNREADABLE_REFERER: &str = "\u{7f}unreadable";

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
mod proptests;
#[cfg(test)]
mod tests;
