//! Referer bindings of user tokens (design §2.14). `generateToken` with `client=referer`
//! binds the token to the `referer` value; a later request must carry a `Referer` (or, when
//! there is none, an `Origin`) that the value allows.
//!
//! An `http(s)://` value is compared as a parsed URL: same scheme, host and port (scheme and
//! host ignore case, default ports are implied), and a path in the value is a prefix of the
//! request's path only at a `/` boundary. So `https://app.example.com` never accepts
//! `https://app.example.com.evil.net`, `https://app.example.comevil.net` or
//! `https://app.example.com@evil.net`. Both sides are read strictly: userinfo, backslashes,
//! spaces, control and non-ASCII characters make a URL unreadable, and an unreadable URL
//! matches nothing. Any other value is a label that clients echo as their `Referer` (REST JS
//! in Node sends `@esri/arcgis-rest-js`, Python `http`), compared whole, ignoring ASCII case.

use std::net::Ipv6Addr;

use crate::error::DomainError;
use crate::referrer::url::{
    is_host_byte, parse_port, path_has_prefix, split_host_port, strip_trailing_dot, HostPort,
    Scheme,
};
use crate::text;

/// Longest `referer` a token may be bound to, in bytes.
pub const MAX_BINDING_LEN: usize = 2048;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Host<'a> {
    /// A DNS name or dotted IPv4 address, without a trailing dot, in the case it was sent.
    Name(&'a [u8]),
    V6(Ipv6Addr),
}

/// The parts of an `http(s)` URL that a binding compares, as slices of the text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Url<'a> {
    scheme: Scheme,
    host: Host<'a>,
    /// The explicit port, or the scheme's default.
    port: u16,
    /// Up to the query or fragment; empty for an origin.
    path: &'a [u8],
}

/// How a bound value or a request header reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Reading<'a> {
    Url(Url<'a>),
    /// Not an `http(s)://` URL at all: a label.
    Label,
    /// Starts like an `http(s)://` URL but is not one this module accepts.
    Unreadable(&'static str),
}

/// The scheme of a text that starts with `http://` or `https://` (any case).
fn url_scheme(bytes: &[u8]) -> Option<(Scheme, &[u8])> {
    let at = bytes.iter().take(8).position(|&b| b == b':')?;
    let scheme = Scheme::parse(&bytes[..at])?;
    let rest = bytes[at..].strip_prefix(b"://")?;
    Some((scheme, rest))
}

fn read(text: &str) -> Reading<'_> {
    let Some((scheme, rest)) = url_scheme(text.as_bytes()) else {
        return Reading::Label;
    };
    if !rest.iter().all(|&b| b.is_ascii_graphic() && b != b'\\') {
        return Reading::Unreadable(
            "A URL cannot contain spaces, backslashes, control or non-ASCII characters.",
        );
    }
    let authority_end = rest
        .iter()
        .position(|b| matches!(b, b'/' | b'?' | b'#'))
        .unwrap_or(rest.len());
    let (authority, tail) = rest.split_at(authority_end);
    if authority.contains(&b'@') {
        return Reading::Unreadable("A URL cannot contain a user name or password ('user@').");
    }
    let Some(HostPort {
        host,
        port,
        bracketed,
    }) = split_host_port(authority)
    else {
        return Reading::Unreadable("The URL's IPv6 address is not valid.");
    };
    let host = if bracketed {
        match std::str::from_utf8(host).ok().and_then(|h| h.parse().ok()) {
            Some(address) => Host::V6(address),
            None => return Reading::Unreadable("The URL's IPv6 address is not valid."),
        }
    } else {
        let name = strip_trailing_dot(host);
        let labels_ok = name
            .split(|&b| b == b'.')
            .all(|label| !label.is_empty() && label.iter().all(|&b| is_host_byte(b)));
        if name.is_empty() || !labels_ok {
            return Reading::Unreadable("The URL needs a host of letters, digits, '-' and dots.");
        }
        Host::Name(name)
    };
    let port = match port {
        None | Some([]) => scheme.default_port(),
        Some(digits) => match parse_port(digits) {
            Some(port) if port > 0 => port,
            _ => return Reading::Unreadable("The URL's port must be a number from 1 to 65535."),
        },
    };
    let path_end = tail
        .iter()
        .position(|b| matches!(b, b'?' | b'#'))
        .unwrap_or(tail.len());
    Reading::Url(Url {
        scheme,
        host,
        port,
        path: &tail[..path_end],
    })
}

fn same_host(bound: Host<'_>, request: Host<'_>) -> bool {
    match (bound, request) {
        (Host::Name(a), Host::Name(b)) => a.eq_ignore_ascii_case(b),
        (Host::V6(a), Host::V6(b)) => a == b,
        _ => false,
    }
}

/// Whether a token bound to `bound` may be used by a request whose `Referer` (or `Origin`)
/// is `header`.
pub fn binding_allows(bound: &str, header: &str) -> bool {
    let bound = bound.trim();
    let header = header.trim();
    if header.chars().any(char::is_control) {
        return false;
    }
    match (read(bound), read(header)) {
        (Reading::Url(b), Reading::Url(r)) => {
            let bound_path = trim_trailing_slashes(b.path);
            b.scheme == r.scheme
                && b.port == r.port
                && same_host(b.host, r.host)
                && path_has_prefix(r.path, bound_path)
        }
        (Reading::Label, Reading::Label) => !bound.is_empty() && bound.eq_ignore_ascii_case(header),
        _ => false,
    }
}

fn trim_trailing_slashes(path: &[u8]) -> &[u8] {
    let end = path.iter().rposition(|&b| b != b'/').map_or(0, |at| at + 1);
    &path[..end]
}

/// Checks a `referer` that `generateToken` is asked to bind a token to.
pub fn check_binding(value: &str) -> Result<(), DomainError> {
    let value = value.trim();
    let refuse = |detail: &str| {
        DomainError::invalid_with("Unable to generate token.", vec![detail.to_string()])
    };
    if value.is_empty() {
        return Err(refuse("'referer' must be specified when client=referer."));
    }
    if value.len() > MAX_BINDING_LEN {
        return Err(refuse(&format!(
            "'referer' is at most {MAX_BINDING_LEN} characters long."
        )));
    }
    if let Some(problem) = text::problem("referer", value, text::Lines::Single) {
        return Err(refuse(&problem));
    }
    match read(value) {
        Reading::Unreadable(why) => Err(refuse(&format!("'referer' is not a usable URL. {why}"))),
        Reading::Url(_) | Reading::Label => Ok(()),
    }
}

#[cfg(test)]
mod tests;
