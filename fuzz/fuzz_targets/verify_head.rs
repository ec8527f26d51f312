//! Feeds arbitrary bytes, as any client could send them, to the connection front's head reader
//! (`keyportal_http::fast_verify::next_request`). Checks: no panic; a `/verify` head never
//! claims more bytes than it was given; the head alone reads the same; and any shorter prefix
//! of it asks for more bytes (so a head split across packets is never misread).

#![no_main]

use keyportal_http::fast_verify::{next_request, Next};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let whole = next_request(data);
    let Next::Verify(head) = &whole else {
        return;
    };
    let consumed = head.consumed;
    assert!(consumed > 0 && consumed <= data.len());
    assert_eq!(next_request(&data[..consumed]), whole, "the head alone reads differently");
    for cut in [0, consumed / 2, consumed - 1] {
        assert_eq!(
            next_request(&data[..cut]),
            Next::Incomplete,
            "a prefix of {cut} bytes of a {consumed}-byte head"
        );
    }
});
