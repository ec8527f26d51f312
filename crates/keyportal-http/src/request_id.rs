//! Request ids: every answer carries `X-Request-Id`, and the request log names it, so one
//! request can be followed from a client or a proxy (nginx's `$request_id`) into the log.
//! A sane id sent by the client is kept; otherwise one is made here without allocating.

use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::OnceLock;

/// The request and answer header.
pub const HEADER: &str = "x-request-id";

/// Longest id taken from a request (nginx's are 32 hex characters, UUIDs 36).
const MAX_LEN: usize = 128;

/// A client's id when it is one we can echo and log safely: 1 to 128 characters of letters,
/// digits, `-`, `_`, `.` and `:`. Anything else (spaces, quotes, control characters, a
/// megabyte) is replaced by a new id rather than written anywhere.
pub fn sane(value: &[u8]) -> Option<&str> {
    let ok = !value.is_empty()
        && value.len() <= MAX_LEN
        && value
            .iter()
            .all(|&b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b':'));
    // Only ASCII passed the check above.
    ok.then(|| std::str::from_utf8(value).ok()).flatten()
}

/// A generated id: 32 lower-case hex characters, unique within the process (a random
/// per-process half and a counter), made without allocating.
#[derive(Clone, Copy)]
pub struct GeneratedId([u8; 32]);

impl GeneratedId {
    pub fn new() -> GeneratedId {
        static PROCESS: OnceLock<u64> = OnceLock::new();
        static COUNTER: AtomicU64 = AtomicU64::new(0);
        let process =
            *PROCESS.get_or_init(|| u64::from_le_bytes(keyportal_domain::secret::random_bytes()));
        let count = COUNTER.fetch_add(1, Ordering::Relaxed);
        let mut text = [0u8; 32];
        write_hex(&mut text[..16], process);
        write_hex(&mut text[16..], count);
        GeneratedId(text)
    }

    pub fn as_str(&self) -> &str {
        // Hex digits only.
        std::str::from_utf8(&self.0).unwrap_or("")
    }
}

impl Default for GeneratedId {
    fn default() -> Self {
        GeneratedId::new()
    }
}

impl fmt::Display for GeneratedId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

fn write_hex(out: &mut [u8], value: u64) {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    for (i, slot) in out.iter_mut().enumerate() {
        let shift = 60 - 4 * i as u32;
        *slot = DIGITS[((value >> shift) & 0xf) as usize];
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn sane_ids_are_kept_and_others_refused() {
        assert_eq!(sane(b"3f2a9c1d-7e"), Some("3f2a9c1d-7e"));
        assert_eq!(sane(b"req:42.a_b"), Some("req:42.a_b"));
        for bad in [
            &b""[..],
            b"a b",
            b"a\"b",
            b"a\r\nx-evil: 1",
            b"caf\xc3\xa9",
            b"<script>",
        ] {
            assert_eq!(sane(bad), None, "{bad:?}");
        }
        assert!(sane(&[b'a'; 128]).is_some());
        assert!(sane(&[b'a'; 129]).is_none());
    }

    #[test]
    fn generated_ids_are_hex_and_distinct() {
        let (a, b) = (GeneratedId::new(), GeneratedId::new());
        assert_ne!(a.as_str(), b.as_str());
        for id in [a, b] {
            assert_eq!(id.as_str().len(), 32);
            assert!(sane(id.as_str().as_bytes()).is_some());
            assert!(id.as_str().bytes().all(|c| c.is_ascii_hexdigit()));
        }
        assert_eq!(&a.as_str()[..16], &b.as_str()[..16], "one process half");
    }

    proptest! {
        /// Whatever a client sends, what is kept is exactly the input and holds only the
        /// characters a log line and a header can carry as they are.
        #[test]
        fn whatever_is_kept_is_safe(value in proptest::collection::vec(any::<u8>(), 0..200)) {
            if let Some(kept) = sane(&value) {
                prop_assert_eq!(kept.as_bytes(), &value[..]);
                prop_assert!(kept.len() <= MAX_LEN);
                prop_assert!(kept.bytes().all(|b| b.is_ascii_graphic() && b != b'"' && b != b'\\'));
            }
        }
    }
}
