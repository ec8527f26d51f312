//! Slicing URLs the way browsers read them, without allocating: the scheme, `host[:port]`,
//! ports, path prefixes, and a request's `Referer`/`Origin`. Shared by the referrer patterns of
//! API keys and the referer bindings of user tokens.

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Scheme {
    Http,
    Https,
}

impl Scheme {
    pub(crate) fn parse(text: &[u8]) -> Option<Scheme> {
        if text.eq_ignore_ascii_case(b"https") {
            Some(Scheme::Https)
        } else if text.eq_ignore_ascii_case(b"http") {
            Some(Scheme::Http)
        } else {
            None
        }
    }

    pub(crate) fn default_port(self) -> u16 {
        match self {
            Scheme::Http => 80,
            Scheme::Https => 443,
        }
    }

    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Scheme::Http => "http",
            Scheme::Https => "https",
        }
    }
}

pub(crate) fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

/// Where `://` starts, if it comes before any `/` (so `a.com/x://y` has no scheme).
pub(crate) fn scheme_end(bytes: &[u8]) -> Option<usize> {
    let at = find(bytes, b"://")?;
    (!bytes[..at].contains(&b'/')).then_some(at)
}

/// An authority split into host and port, before any validation.
pub(crate) struct HostPort<'a> {
    /// Without brackets.
    pub(crate) host: &'a [u8],
    /// The text after `:`, if there is a `:`.
    pub(crate) port: Option<&'a [u8]>,
    /// `[v6]` form.
    pub(crate) bracketed: bool,
}

/// Splits `host[:port]` or `[v6][:port]`; `None` when the brackets are malformed.
pub(crate) fn split_host_port(authority: &[u8]) -> Option<HostPort<'_>> {
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
pub(crate) fn parse_port(digits: &[u8]) -> Option<u16> {
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

pub(crate) fn strip_trailing_dot(host: &[u8]) -> &[u8] {
    host.strip_suffix(b".").unwrap_or(host)
}

pub(crate) fn is_host_byte(byte: u8) -> bool {
    byte.is_ascii_alphanumeric() || byte == b'-' || byte == b'_'
}

/// `pattern` (empty, or `/…` without trailing slash) is a prefix of `path` ending at a segment
/// boundary. Paths are case-sensitive except the hex digits of percent escapes.
pub(crate) fn path_has_prefix(path: &[u8], pattern: &[u8]) -> bool {
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
pub(crate) struct RequestReferer<'a> {
    pub(crate) scheme: Scheme,
    pub(crate) host: &'a [u8],
    pub(crate) bracketed: bool,
    /// The explicit port, or the scheme's default.
    pub(crate) port: u16,
    /// Empty for an origin.
    pub(crate) path: &'a [u8],
}

impl<'a> RequestReferer<'a> {
    pub(crate) fn split(header: &'a str) -> Option<RequestReferer<'a>> {
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
