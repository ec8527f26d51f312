//! The request headers `/verify` reads, borrowed from whichever parser read the request (the
//! router's `HeaderMap` or the connection front's raw head), and the client address they
//! give behind a trusted proxy.

use std::borrow::Cow;
use std::net::IpAddr;

use axum::http::header::{AUTHORIZATION, ORIGIN, REFERER};
use axum::http::{HeaderMap, HeaderName};
use keyportal_domain::address::TrustedProxies;
use keyportal_domain::referrer::UNREADABLE_REFERER;

// Named once, so reading the headers does not parse the names on every request.
pub(super) const ESRI_AUTHORIZATION_HEADER: HeaderName =
    HeaderName::from_static("x-esri-authorization");
const ORIGINAL_URI_HEADER: HeaderName = HeaderName::from_static("x-original-uri");

const FORWARDED_FOR_HEADER: HeaderName = HeaderName::from_static("x-forwarded-for");
const REAL_IP_HEADER: HeaderName = HeaderName::from_static("x-real-ip");

/// The `Bearer` token of an `Authorization`-style header value.
pub(super) fn bearer(value: Option<&str>) -> Option<&str> {
    let (scheme, token) = value?.trim().split_once(' ')?;
    let token = token.trim();
    (scheme.eq_ignore_ascii_case("bearer") && !token.is_empty()).then_some(token)
}

/// The request headers `/verify` reads, borrowed from whichever parser read the request (the
/// router's `HeaderMap` or the connection front's raw head). Absent, blank and non-ASCII values
/// are all `None`.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct VerifyHeaders<'h> {
    pub authorization: Option<&'h str>,
    pub esri_authorization: Option<&'h str>,
    pub referer: Option<&'h str>,
    pub origin: Option<&'h str>,
    /// nginx's `X-Original-URI`: the request line `auth_request` is deciding about.
    pub original_uri: Option<&'h str>,
    /// `X-Request-Id`, when sane (echoed in the answer; the front makes one otherwise).
    pub request_id: Option<&'h str>,
    /// `X-Forwarded-For` (the last one sent: its right end is the nearest hop) and
    /// `X-Real-IP`, believed only from a trusted proxy ([`VerifyHeaders::client_address`]).
    pub forwarded_for: Option<&'h str>,
    pub real_ip: Option<&'h str>,
}

impl<'h> VerifyHeaders<'h> {
    /// Files one header under its field, if `/verify` reads it; the first of repeated ones wins.
    pub fn take(&mut self, name: &[u8], value: &'h [u8]) {
        let read: fn(&[u8]) -> Option<&str> = header_text;
        let (field, read) = match name.len() {
            13 if name.eq_ignore_ascii_case(b"authorization") => (&mut self.authorization, read),
            20 if name.eq_ignore_ascii_case(b"x-esri-authorization") => {
                (&mut self.esri_authorization, read)
            }
            7 if name.eq_ignore_ascii_case(b"referer") => (&mut self.referer, referer_text as _),
            6 if name.eq_ignore_ascii_case(b"origin") => (&mut self.origin, read),
            14 if name.eq_ignore_ascii_case(b"x-original-uri") => (&mut self.original_uri, read),
            12 if name.eq_ignore_ascii_case(b"x-request-id") => {
                (&mut self.request_id, crate::request_id::sane as _)
            }
            15 if name.eq_ignore_ascii_case(b"x-forwarded-for") => {
                // The last one wins: the hops nearest to us are at its right end.
                self.forwarded_for = read(value);
                return;
            }
            9 if name.eq_ignore_ascii_case(b"x-real-ip") => (&mut self.real_ip, read),
            _ => return,
        };
        if field.is_none() {
            *field = read(value);
        }
    }

    /// The client's address for a request from `peer` (the connection's), by the trusted-proxy
    /// rule; `None` when the peer is unknown.
    pub fn client_address(&self, peer: Option<IpAddr>, trusted: &TrustedProxies) -> Option<IpAddr> {
        peer.map(|peer| trusted.client_address(peer, self.forwarded_for, self.real_ip))
    }

    pub fn from_map(headers: &'h HeaderMap) -> VerifyHeaders<'h> {
        let text = |name: &HeaderName| headers.get(name).and_then(|v| header_text(v.as_bytes()));
        VerifyHeaders {
            authorization: text(&AUTHORIZATION),
            esri_authorization: text(&ESRI_AUTHORIZATION_HEADER),
            referer: headers
                .get(REFERER)
                .and_then(|v| referer_text(v.as_bytes())),
            origin: text(&ORIGIN),
            original_uri: text(&ORIGINAL_URI_HEADER),
            request_id: headers
                .get(crate::request_id::HEADER)
                .and_then(|v| crate::request_id::sane(v.as_bytes())),
            forwarded_for: headers
                .get_all(FORWARDED_FOR_HEADER)
                .iter()
                .next_back()
                .and_then(|v| header_text(v.as_bytes())),
            real_ip: text(&REAL_IP_HEADER),
        }
    }

    /// nginx passes the original request line in `X-Original-URI`; a key sent as `?token=`
    /// there is found too.
    pub(super) fn token_from_original_uri(&self) -> Option<Cow<'h, str>> {
        let query = self.original_uri?.split_once('?')?.1;
        form_urlencoded::parse(query.as_bytes())
            .find(|(k, _)| k == "token")
            .map(|(_, v)| v)
    }
}

/// The `Referer` as read: blank is absent; present but unreadable is [`UNREADABLE_REFERER`],
/// which matches no referrer pattern, so `Origin` never stands in for it.
fn referer_text(value: &[u8]) -> Option<&str> {
    if value.trim_ascii().is_empty() {
        return None;
    }
    Some(header_text(value).unwrap_or(UNREADABLE_REFERER))
}

/// A header value as text: visible ASCII, spaces and tabs only (what `HeaderValue::to_str`
/// accepts), and not blank.
fn header_text(value: &[u8]) -> Option<&str> {
    // `fold` rather than `all`: no early exit, so the check runs over whole vectors.
    let visible = value.iter().fold(true, |ok, &b| {
        ok & ((0x20..0x7f).contains(&b) | (b == b'\t'))
    });
    if value.is_empty() || !visible {
        return None;
    }
    std::str::from_utf8(value).ok()
}

#[cfg(test)]
mod tests {
    use axum::http::HeaderValue;

    use super::*;

    #[test]
    fn bearer_tokens_need_the_scheme() {
        assert_eq!(bearer(Some("Bearer  abc ")), Some("abc"));
        assert_eq!(bearer(Some("bearer abc")), Some("abc"));
        assert_eq!(bearer(Some("Basic abc")), None);
        assert_eq!(bearer(Some("Bearer ")), None);
        assert_eq!(bearer(None), None);
    }

    #[test]
    fn headers_read_the_same_from_a_map_and_from_raw_bytes() {
        let mut map = HeaderMap::new();
        map.insert(AUTHORIZATION, HeaderValue::from_static("Bearer abc"));
        map.append(AUTHORIZATION, HeaderValue::from_static("Bearer second"));
        map.insert(REFERER, HeaderValue::from_static("https://a.example.com/"));
        map.insert("x-original-uri", HeaderValue::from_static("/x?token=t"));
        map.insert(ORIGIN, HeaderValue::from_static(""));
        let mut raw = VerifyHeaders::default();
        raw.take(b"Authorization", b"Bearer abc");
        raw.take(b"AUTHORIZATION", b"Bearer second");
        raw.take(b"referer", b"https://a.example.com/");
        raw.take(b"X-Original-URI", b"/x?token=t");
        raw.take(b"Origin", b"");
        raw.take(b"X-Other", b"ignored");
        map.insert("x-forwarded-for", HeaderValue::from_static("1.1.1.1"));
        map.append(
            "x-forwarded-for",
            HeaderValue::from_static("2.2.2.2, 3.3.3.3"),
        );
        map.insert("x-real-ip", HeaderValue::from_static("4.4.4.4"));
        raw.take(b"X-Forwarded-For", b"1.1.1.1");
        raw.take(b"x-forwarded-for", b"2.2.2.2, 3.3.3.3");
        raw.take(b"X-Real-IP", b"4.4.4.4");
        assert_eq!(VerifyHeaders::from_map(&map), raw);
        assert_eq!(raw.authorization, Some("Bearer abc"), "the first one wins");
        assert_eq!(
            raw.forwarded_for,
            Some("2.2.2.2, 3.3.3.3"),
            "the last one wins"
        );
        let trusted = TrustedProxies::parse("127.0.0.1").unwrap();
        let peer = Some("127.0.0.1".parse().unwrap());
        assert_eq!(
            raw.client_address(peer, &trusted),
            Some("3.3.3.3".parse().unwrap())
        );
        assert_eq!(raw.client_address(peer, &TrustedProxies::none()), peer);
        assert_eq!(raw.client_address(None, &trusted), None);
        assert_eq!(raw.origin, None, "blank is absent");
        assert_eq!(raw.token_from_original_uri().as_deref(), Some("t"));
        let mut odd = VerifyHeaders::default();
        odd.take(b"authorization", "Bearer ü".as_bytes());
        assert_eq!(odd.authorization, None, "non-ASCII values are not read");
        // An unreadable Referer is not absent: it stays, and matches nothing.
        odd.take(b"referer", "https://ü.example.com/".as_bytes());
        odd.take(b"origin", b"https://a.example.com");
        assert_eq!(odd.referer, Some(UNREADABLE_REFERER));
        let mut map = HeaderMap::new();
        map.insert(
            REFERER,
            HeaderValue::from_bytes("https://ü.example.com/".as_bytes()).unwrap(),
        );
        assert_eq!(
            VerifyHeaders::from_map(&map).referer,
            Some(UNREADABLE_REFERER)
        );
        let mut blank = VerifyHeaders::default();
        blank.take(b"referer", b"  ");
        assert_eq!(blank.referer, None, "a blank Referer is absent");
    }
}
