//! Writing a `/verify` answer as raw HTTP/1.1.

use crate::request_id::GeneratedId;
use crate::routes::verify::Answer;

use super::head::VerifyHead;

/// Appends the status line, headers and (unless `HEAD`) body of one answer to `out`.
pub fn write_answer(
    out: &mut Vec<u8>,
    answer: &Answer<'_>,
    body: &str,
    head: &VerifyHead<'_>,
    date: &str,
) {
    out.extend_from_slice(b"HTTP/1.1 ");
    out.extend_from_slice(answer.status.as_str().as_bytes());
    out.push(b' ');
    out.extend_from_slice(answer.status.canonical_reason().unwrap_or("").as_bytes());
    out.extend_from_slice(b"\r\ncontent-type: application/json\r\ncache-control: no-store\r\n");
    for (name, value) in answer.headers.iter().flatten() {
        out.extend_from_slice(name.as_bytes());
        out.extend_from_slice(b": ");
        out.extend_from_slice(value.as_bytes());
        out.extend_from_slice(b"\r\n");
    }
    out.extend_from_slice(b"content-length: ");
    out.extend_from_slice(itoa::Buffer::new().format(body.len()).as_bytes());
    if !head.keep_alive {
        out.extend_from_slice(b"\r\nconnection: close");
    } else if head.http10 {
        out.extend_from_slice(b"\r\nconnection: keep-alive");
    }
    out.extend_from_slice(b"\r\nx-request-id: ");
    match head.headers.request_id {
        Some(given) => out.extend_from_slice(given.as_bytes()),
        None => out.extend_from_slice(GeneratedId::new().as_str().as_bytes()),
    }
    out.extend_from_slice(b"\r\ndate: ");
    out.extend_from_slice(date.as_bytes());
    out.extend_from_slice(b"\r\n\r\n");
    if !head.head_only {
        out.extend_from_slice(body.as_bytes());
    }
}

#[cfg(test)]
mod tests {
    use std::borrow::Cow;

    use axum::http::StatusCode;

    use super::*;
    use crate::fast_verify::head::{next_request, Next};

    fn head(buf: &[u8]) -> VerifyHead<'_> {
        match next_request(buf) {
            Next::Verify(head) => head,
            other => panic!("{other:?}"),
        }
    }

    /// Parses what was written back with httparse: the answer must be one well-formed response.
    fn read_back(out: &[u8]) -> (u16, Vec<(String, String)>, usize) {
        let mut slots = [httparse::EMPTY_HEADER; 16];
        let mut response = httparse::Response::new(&mut slots);
        let httparse::Status::Complete(len) = response.parse(out).unwrap() else {
            panic!("incomplete answer");
        };
        let headers = response
            .headers
            .iter()
            .map(|h| {
                (
                    h.name.to_string(),
                    String::from_utf8(h.value.to_vec()).unwrap(),
                )
            })
            .collect();
        (response.code.unwrap(), headers, len)
    }

    const DATE: &str = "Tue, 01 Dec 2026 16:00:00 GMT";

    #[test]
    fn an_allowed_answer_reads_back_with_its_headers_and_body() {
        let answer = Answer {
            status: StatusCode::OK,
            headers: [
                Some(("x-keyportal-client-id", Cow::Borrowed("abc"))),
                Some(("x-keyportal-owner", Cow::Borrowed("alice"))),
            ],
        };
        let body = r#"{"allowed":true}"#;
        let mut out = Vec::new();
        write_answer(
            &mut out,
            &answer,
            body,
            &head(b"GET /verify HTTP/1.1\r\n\r\n"),
            DATE,
        );
        let (status, headers, len) = read_back(&out);
        assert_eq!(status, 200);
        let get = |name: &str| {
            headers
                .iter()
                .find(|(n, _)| n == name)
                .map(|(_, v)| v.as_str())
        };
        assert_eq!(get("x-keyportal-client-id"), Some("abc"));
        assert_eq!(get("x-keyportal-owner"), Some("alice"));
        assert_eq!(get("content-type"), Some("application/json"));
        assert_eq!(get("cache-control"), Some("no-store"));
        assert_eq!(get("content-length"), Some("16"));
        assert_eq!(get("date"), Some(DATE));
        let made = get("x-request-id").expect("a request id is made");
        assert_eq!(made.len(), 32, "{made}");
        assert_eq!(
            get("connection"),
            None,
            "HTTP/1.1 keeps the connection by default"
        );
        assert_eq!(&out[len..], body.as_bytes());
    }

    #[test]
    fn a_sane_request_id_is_echoed_and_an_insane_one_replaced() {
        let answer = Answer {
            status: StatusCode::UNAUTHORIZED,
            headers: [None, None],
        };
        let id_of = |request: &[u8]| {
            let mut out = Vec::new();
            write_answer(&mut out, &answer, "{}", &head(request), DATE);
            let (_, headers, _) = read_back(&out);
            headers
                .into_iter()
                .find(|(n, _)| n == "x-request-id")
                .map(|(_, v)| v)
                .expect("x-request-id")
        };
        assert_eq!(
            id_of(b"GET /verify HTTP/1.1\r\nX-Request-Id: nginx-7f3a\r\n\r\n"),
            "nginx-7f3a"
        );
        let replaced = id_of(b"GET /verify HTTP/1.1\r\nX-Request-Id: a b\"c\r\n\r\n");
        assert_eq!(replaced.len(), 32, "{replaced}");
    }

    #[test]
    fn head_close_and_http10_framing() {
        let answer = Answer {
            status: StatusCode::TOO_MANY_REQUESTS,
            headers: [Some(("retry-after", Cow::Owned("3".into()))), None],
        };
        let mut out = Vec::new();
        write_answer(
            &mut out,
            &answer,
            "{}",
            &head(b"HEAD /verify HTTP/1.1\r\nConnection: close\r\n\r\n"),
            DATE,
        );
        let (status, headers, len) = read_back(&out);
        assert_eq!(status, 429);
        assert!(headers.contains(&("connection".into(), "close".into())));
        assert!(
            headers.contains(&("content-length".into(), "2".into())),
            "HEAD says the GET length"
        );
        assert!(headers.contains(&("retry-after".into(), "3".into())));
        assert_eq!(len, out.len(), "HEAD has no body");
        out.clear();
        write_answer(
            &mut out,
            &answer,
            "{}",
            &head(b"GET /verify HTTP/1.0\r\nConnection: keep-alive\r\n\r\n"),
            DATE,
        );
        let (_, headers, _) = read_back(&out);
        assert!(headers.contains(&("connection".into(), "keep-alive".into())));
    }
}
