//! Feeds arbitrary UTF-8 to the API key parser, which runs on every request: it must never panic
//! (non-ASCII input included), and whatever it accepts must have the shape official clients read.

#![no_main]

use keyportal_domain::api_key::{is_legacy_key, key_hash, key_hint, parse_api_key, KEY_LEN};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(candidate) = std::str::from_utf8(data) else {
        return;
    };
    let _ = is_legacy_key(candidate);
    let _ = key_hint(candidate);
    if let Ok(parsed) = parse_api_key(candidate) {
        let key = parsed.as_str();
        assert_eq!(key, candidate);
        assert_eq!(key.len(), KEY_LEN);
        // REST JS: key.substring(len - 10, len - 9) is the slot digit.
        let len = key.len();
        assert_eq!(
            key.as_bytes()[len - 10],
            parsed.slot().digit() as u8,
            "slot digit not at len-10"
        );
        assert_eq!(key_hash(key), key_hash(candidate));
        assert!(!is_legacy_key(key));
    }
});
