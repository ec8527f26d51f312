//! Upstream base URLs and the request paths forwarded under them.

use crate::error::DomainError;
use crate::ids::shorten;

use super::allow_list::UpstreamHost;
use super::settings::MAX_URL_LEN;

/// Checks an upstream base URL: `http(s)://host[:port][/path]`, no credentials, query or
/// fragment. Returns it with a lower-case scheme and without trailing slashes.
pub fn check_upstream_url(url: &str) -> Result<String, DomainError> {
    parse_upstream(url).map(|(url, _, _)| url)
}

/// The host and port (the scheme's default when none is given) an upstream URL connects to.
pub fn upstream_origin(url: &str) -> Result<(UpstreamHost, u16), DomainError> {
    parse_upstream(url).map(|(_, host, port)| (host, port))
}

fn parse_upstream(url: &str) -> Result<(String, UpstreamHost, u16), DomainError> {
    let url = url.trim();
    let bad = |why: &str| {
        DomainError::invalid_with(
            format!("Invalid upstream URL '{}'.", shorten(url)),
            vec![why.to_string()],
        )
    };
    if url.is_empty() {
        return Err(bad(
            "The URL is empty: an http:// or https:// URL is needed.",
        ));
    }
    if url.len() > MAX_URL_LEN {
        return Err(bad("The URL is longer than 2048 characters."));
    }
    if url
        .bytes()
        .any(|b| b.is_ascii_control() || b == b' ' || b == b'\\' || !b.is_ascii())
    {
        return Err(bad(
            "The URL may not contain spaces, control characters, backslashes or non-ASCII characters (percent-encode them).",
        ));
    }
    let (scheme, rest) = url
        .split_once("://")
        .ok_or_else(|| bad("Only http:// and https:// URLs can be proxied."))?;
    let scheme = scheme.to_ascii_lowercase();
    if scheme != "http" && scheme != "https" {
        return Err(bad("Only http:// and https:// URLs can be proxied."));
    }
    if rest.contains(['?', '#']) {
        return Err(bad(
            "The URL may not have a query or fragment: put parameters in 'upstreamQuery'.",
        ));
    }
    let (authority, path) = match rest.find('/') {
        Some(i) => (&rest[..i], &rest[i..]),
        None => (rest, ""),
    };
    if authority.contains('@') {
        return Err(bad(
            "The URL may not contain a user name or password: put credentials in 'upstreamHeaders'.",
        ));
    }
    let (host, port) = if let Some(v6) = authority.strip_prefix('[') {
        let (host, after) = v6
            .split_once(']')
            .ok_or_else(|| bad("The IPv6 address is not closed with ']'."))?;
        if host.is_empty()
            || !host
                .bytes()
                .all(|b| b.is_ascii_hexdigit() || b == b':' || b == b'.')
        {
            return Err(bad("The IPv6 address is not valid."));
        }
        let port =
            check_port(after).map_err(|_| bad("The port must be a number from 1 to 65535."))?;
        (host, port)
    } else {
        let (host, port) = match authority.rsplit_once(':') {
            Some((host, port)) => (host, Some(port)),
            None => (authority, None),
        };
        let port = match port {
            Some(port) => check_port(&format!(":{port}"))
                .map_err(|_| bad("The port must be a number from 1 to 65535."))?,
            None => None,
        };
        (host, port)
    };
    let ipv6 = authority.starts_with('[');
    if host.is_empty()
        || !host.bytes().all(|b| {
            b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_') || (ipv6 && b == b':')
        })
    {
        return Err(bad("The URL needs a host name or address."));
    }
    // Read the host as URL parsers do (`2130706433` is 127.0.0.1 to them), or refuse it.
    let host = if ipv6 {
        UpstreamHost::parse(&format!("[{host}]"))
    } else {
        UpstreamHost::parse(host)
    }
    .map_err(|why| bad(&why))?;
    let port = port.unwrap_or(if scheme == "https" { 443 } else { 80 });
    check_path_suffix(path)
        .map_err(|_| bad("The URL path may not contain '.' or '..' segments."))?;
    let trimmed = format!("{scheme}://{authority}{path}");
    Ok((trimmed.trim_end_matches('/').to_string(), host, port))
}

/// `""` (no port) or `:<1-65535>`.
fn check_port(text: &str) -> Result<Option<u16>, ()> {
    if text.is_empty() {
        return Ok(None);
    }
    let digits = text.strip_prefix(':').ok_or(())?;
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return Err(());
    }
    match digits.parse::<u16>() {
        Ok(p) if p != 0 => Ok(Some(p)),
        _ => Err(()),
    }
}

/// Checks the part of a request path forwarded after the upstream's base path: no segment
/// may be `.` or `..` (also percent-encoded), and no backslashes or encoded slashes, which URL
/// parsers and servers may turn into separators — any of them could let a request climb out of
/// the upstream path it was granted.
pub fn check_path_suffix(suffix: &str) -> Result<(), DomainError> {
    let refused = || {
        DomainError::invalid(
            "The request path may not contain '.' or '..' segments, backslashes or encoded slashes.",
        )
    };
    let lower = suffix.to_ascii_lowercase();
    if suffix.contains('\\') || lower.contains("%5c") || lower.contains("%2f") {
        return Err(refused());
    }
    for segment in suffix.split('/') {
        let decoded = segment.to_ascii_lowercase().replace("%2e", ".");
        if decoded == "." || decoded == ".." {
            return Err(refused());
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn upstream_urls_are_http_without_credentials_or_queries() {
        assert_eq!(
            check_upstream_url(" HTTPS://tiles.example.com:8443/arcgis/rest/ ").expect("ok"),
            "https://tiles.example.com:8443/arcgis/rest"
        );
        assert_eq!(
            check_upstream_url("http://[::1]:9000").expect("ok"),
            "http://[::1]:9000"
        );
        assert_eq!(
            check_upstream_url("http://127.0.0.1:1/a%20b").expect("ok"),
            "http://127.0.0.1:1/a%20b"
        );
        for bad in [
            "",
            "ftp://x.example.com",
            "tiles.example.com",
            "https://user:pw@x.example.com",
            "https://x.example.com/?key=1",
            "https://x.example.com/#f",
            "https://x.example.com:0/",
            "https://x.example.com:99999/",
            "https://x.example.com:ab/",
            "https:///path",
            "https://x.example.com/a b",
            "https://x.example.com/a\\b",
            "https://x.example.com/a/../b",
            "http://[::1/",
            "http://::1/",
            "http://2130706433/",
            "http://0x7f.1/",
            "http://127.1:80/",
            "http://[::1x]/",
        ] {
            assert!(check_upstream_url(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn origins_are_the_host_and_the_port_connected_to() {
        let origin = |url: &str| upstream_origin(url).expect(url);
        assert_eq!(
            origin("https://GIS.example.com/arcgis"),
            (UpstreamHost::Name("gis.example.com".into()), 443)
        );
        assert_eq!(
            origin("http://gis.example.com:8080"),
            (UpstreamHost::Name("gis.example.com".into()), 8080)
        );
        assert_eq!(
            origin("http://[::ffff:127.0.0.1]"),
            (UpstreamHost::Ip("127.0.0.1".parse().expect("ip")), 80)
        );
    }

    #[test]
    fn dot_segments_and_backslashes_never_reach_the_upstream() {
        for ok in ["", "/", "/rest/info", "/a.b/..c/.d", "/%2e%2ex"] {
            assert!(check_path_suffix(ok).is_ok(), "{ok}");
        }
        for bad in [
            "/..",
            "/../x",
            "/a/./b",
            "/%2e%2e/x",
            "/%2E./x",
            "/.%2e",
            "/a\\..",
            "/a%5cb",
            "/a%2F..%2Fb",
        ] {
            assert!(check_path_suffix(bad).is_err(), "{bad}");
        }
    }
}
