//! Reading a request head for the connection front: is it a `GET`/`HEAD /verify` the front
//! answers itself, an incomplete head, or anything else (hyper's to answer)?

use crate::routes::verify::VerifyHeaders;

/// A head longer than this without its end goes to hyper, which has its own limit and answers.
pub const MAX_HEAD: usize = 16 * 1024;
/// More headers than this: hyper's to read (nginx sends a handful).
const MAX_HEADERS: usize = 32;

/// What the next bytes of a connection hold.
#[derive(Debug, PartialEq, Eq)]
pub enum Next<'b> {
    /// A complete `GET`/`HEAD /verify` head, without a body.
    Verify(VerifyHead<'b>),
    /// The head is not complete yet: read more.
    Incomplete,
    /// Any other request, or something the front does not fully understand: hyper takes the
    /// connection from here, with these bytes.
    Other,
}

#[derive(Debug, PartialEq, Eq)]
pub struct VerifyHead<'b> {
    /// The length of the head; the request has no body, so the next request starts here.
    pub consumed: usize,
    /// `HEAD`: the answer's headers without its body.
    pub head_only: bool,
    pub keep_alive: bool,
    /// An HTTP/1.0 request (keep-alive only when asked for, and then said in the answer).
    pub http10: bool,
    /// The query string, still percent-encoded.
    pub query: &'b str,
    pub headers: VerifyHeaders<'b>,
}

/// Reads the head at the start of `buf`.
pub fn next_request(buf: &[u8]) -> Next<'_> {
    let mut slots = [httparse::EMPTY_HEADER; MAX_HEADERS];
    let mut request = httparse::Request::new(&mut slots);
    let consumed = match request.parse(buf) {
        Ok(httparse::Status::Complete(consumed)) if consumed <= MAX_HEAD => consumed,
        Ok(httparse::Status::Partial) if buf.len() <= MAX_HEAD => return Next::Incomplete,
        _ => return Next::Other,
    };
    let head_only = match request.method {
        Some("GET") => false,
        Some("HEAD") => true,
        _ => return Next::Other,
    };
    let Some(query) = request.path.and_then(verify_query) else {
        return Next::Other;
    };
    let http10 = request.version == Some(0);
    let mut keep_alive = !http10;
    let mut close = false;
    let mut headers = VerifyHeaders::default();
    for header in request.headers.iter() {
        let name = header.name.as_bytes();
        let value = header.value;
        if name.eq_ignore_ascii_case(b"content-length") {
            if value != b"0" {
                return Next::Other;
            }
        } else if name.eq_ignore_ascii_case(b"transfer-encoding")
            || name.eq_ignore_ascii_case(b"upgrade")
            || name.eq_ignore_ascii_case(b"expect")
        {
            return Next::Other;
        } else if name.eq_ignore_ascii_case(b"connection") {
            for option in value.split(|&b| b == b',') {
                let option = option.trim_ascii();
                if option.eq_ignore_ascii_case(b"close") {
                    close = true;
                } else if option.eq_ignore_ascii_case(b"keep-alive") {
                    keep_alive = true;
                }
            }
        } else {
            headers.take(name, value);
        }
    }
    Next::Verify(VerifyHead {
        consumed,
        head_only,
        keep_alive: keep_alive && !close,
        http10,
        query,
        headers,
    })
}

/// The query of a `/verify` request target in origin form whose every byte is a plain URI
/// character; anything unusual (another path, `/verify/`, absolute form, a fragment, bytes a
/// URI may not hold) is left to hyper and the router.
fn verify_query(target: &str) -> Option<&str> {
    let rest = target.strip_prefix("/verify")?;
    let query = match rest.strip_prefix('?') {
        Some(query) => query,
        None if rest.is_empty() => "",
        None => return None,
    };
    query.bytes().all(is_plain_uri_byte).then_some(query)
}

/// RFC 3986 unreserved, sub-delims, `:@/?` and `%`.
fn is_plain_uri_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"-._~!$&'()*+,;=:@/?%".contains(&b)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn verify(buf: &[u8]) -> VerifyHead<'_> {
        match next_request(buf) {
            Next::Verify(head) => head,
            other => panic!("expected a verify head, got {other:?}"),
        }
    }

    #[test]
    fn a_verify_head_from_nginx() {
        let buf = b"GET /verify?service=geocode HTTP/1.0\r\nHost: kp\r\nConnection: close\r\n\
            X-Original-URI: /geo?token=t1\r\nAuthorization: Bearer k1\r\n\
            Referer: https://a.example.com/\r\n\r\nGET /next";
        let head = verify(buf);
        assert_eq!(head.consumed, buf.len() - "GET /next".len());
        assert_eq!(head.query, "service=geocode");
        assert!(!head.keep_alive && head.http10 && !head.head_only);
        assert_eq!(head.headers.authorization, Some("Bearer k1"));
        assert_eq!(head.headers.referer, Some("https://a.example.com/"));
        assert_eq!(head.headers.original_uri, Some("/geo?token=t1"));
    }

    #[test]
    fn keep_alive_follows_the_version_and_the_connection_header() {
        let alive = |buf: &[u8]| verify(buf).keep_alive;
        assert!(alive(b"GET /verify HTTP/1.1\r\n\r\n"));
        assert!(!alive(b"GET /verify HTTP/1.1\r\nConnection: Close\r\n\r\n"));
        assert!(!alive(b"GET /verify HTTP/1.0\r\n\r\n"));
        assert!(alive(
            b"GET /verify HTTP/1.0\r\nConnection: keep-alive\r\n\r\n"
        ));
        assert!(!alive(
            b"GET /verify HTTP/1.0\r\nConnection: keep-alive, close\r\n\r\n"
        ));
        assert!(verify(b"HEAD /verify HTTP/1.1\r\n\r\n").head_only);
        assert_eq!(
            verify(b"GET /verify HTTP/1.1\r\nContent-Length: 0\r\n\r\n").query,
            ""
        );
    }

    #[test]
    fn anything_else_goes_to_hyper() {
        for buf in [
            &b"POST /verify HTTP/1.1\r\nContent-Length: 3\r\n\r\na=b"[..],
            b"GET /verify HTTP/1.1\r\nContent-Length: 3\r\n\r\nabc",
            b"GET /verify HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n",
            b"GET /verify HTTP/1.1\r\nUpgrade: websocket\r\n\r\n",
            b"GET /verify/ HTTP/1.1\r\n\r\n",
            b"GET /verifyx HTTP/1.1\r\n\r\n",
            b"GET /sharing/rest HTTP/1.1\r\n\r\n",
            b"GET http://kp/verify HTTP/1.1\r\n\r\n",
            b"GET /verify?a=<b> HTTP/1.1\r\n\r\n",
            b"get /verify HTTP/1.1\r\n\r\n",
            b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n",
            b"GET /verify HTTP/1.1\r\nBad Header\r\n\r\n",
            b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03",
        ] {
            assert_eq!(
                next_request(buf),
                Next::Other,
                "{:?}",
                String::from_utf8_lossy(buf)
            );
        }
        let many: String = (0..40).map(|i| format!("X-{i}: v\r\n")).collect();
        let buf = format!("GET /verify HTTP/1.1\r\n{many}\r\n");
        assert_eq!(
            next_request(buf.as_bytes()),
            Next::Other,
            "too many headers"
        );
        let long = format!(
            "GET /verify HTTP/1.1\r\nX-Long: {}\r\n",
            "a".repeat(MAX_HEAD)
        );
        assert_eq!(
            next_request(long.as_bytes()),
            Next::Other,
            "too long a head"
        );
    }

    #[test]
    fn a_partial_head_asks_for_more() {
        assert_eq!(next_request(b""), Next::Incomplete);
        assert_eq!(next_request(b"GET /ver"), Next::Incomplete);
        assert_eq!(
            next_request(b"GET /verify HTTP/1.1\r\nReferer: x\r\n"),
            Next::Incomplete
        );
    }

    proptest! {
        /// Any well-formed verify head, cut anywhere, asks for more; whole, it is read back
        /// with the same query and headers, whatever follows it.
        #[test]
        fn heads_read_back_whole_and_wait_when_cut(
            query in "[a-zA-Z0-9=&%._~-]{0,40}",
            referer in "[ -~]{0,40}",
            token in "[A-Za-z0-9_-]{1,60}",
            names_upper in any::<bool>(),
            cut in 0usize..400,
            tail in proptest::collection::vec(any::<u8>(), 0..20),
        ) {
            let (auth, refr) = if names_upper { ("AUTHORIZATION", "REFERER") } else { ("authorization", "referer") };
            let head = format!("GET /verify?{query} HTTP/1.1\r\nHost: kp\r\n{auth}: Bearer {token}\r\n{refr}: {referer}\r\n\r\n");
            let mut buf = head.clone().into_bytes();
            buf.extend_from_slice(&tail);
            let read = verify(&buf);
            prop_assert_eq!(read.consumed, head.len());
            prop_assert_eq!(read.query, query.as_str());
            let bearer = format!("Bearer {token}");
            prop_assert_eq!(read.headers.authorization, Some(bearer.as_str()));
            let referer = referer.trim();
            prop_assert_eq!(read.headers.referer, (!referer.is_empty()).then_some(referer));
            let cut = cut % head.len();
            prop_assert_eq!(next_request(&buf[..cut]), Next::Incomplete);
        }

        /// Arbitrary bytes never panic, and a verify head never claims more than it was given.
        #[test]
        fn arbitrary_bytes_are_read_safely(buf in proptest::collection::vec(any::<u8>(), 0..300)) {
            if let Next::Verify(head) = next_request(&buf) {
                prop_assert!(head.consumed <= buf.len());
            }
        }
    }
}
