//! Feeds arbitrary bytes to GitHub's secret scanning parsing: input `key id\nsignature\nbody`
//! verified against a fixed key document, the body read as a report, and the input also read
//! as a key document. Nothing may panic; a signature must never verify for a body it was not
//! made for (there is no signing key here, so nothing may verify at all).

#![no_main]

use keyportal_domain::leak::github::{parse_report, ScanningKeys};
use keyportal_domain::leak::parse_reported_keys;
use libfuzzer_sys::fuzz_target;

/// A P-256 public key (GitHub's document shape); its private key is not known here.
const DOCUMENT: &str = r#"{"public_keys":[{"key_identifier":"90a421169f0a406205f1563a953312f0be898d3c7b6c06b681aa86a874555f4a","key":"-----BEGIN PUBLIC KEY-----\nMFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEuieLLOFfCPMNOOlcl6BA3w5yRcSH\n74A6Fm+gdUH/qgSLozh4nyo7FyOVHAhfBJVPMZDybXKOuUdC+mlDZ3Tbew==\n-----END PUBLIC KEY-----\n","is_current":true}]}"#;

fuzz_target!(|data: &[u8]| {
    let keys = ScanningKeys::from_document(DOCUMENT).expect("the fixed document reads");
    let mut parts = data.splitn(3, |&b| b == b'\n');
    let id = parts.next().and_then(|p| std::str::from_utf8(p).ok());
    let signature = parts.next().and_then(|p| std::str::from_utf8(p).ok());
    let body = parts.next().unwrap_or_default();
    assert!(
        keys.verify(id, signature, body).is_err(),
        "a signature verified without the private key"
    );
    if let Ok(found) = parse_report(body) {
        assert!(found.len() <= 1_000);
    }
    if let Ok(text) = std::str::from_utf8(data) {
        let _ = ScanningKeys::from_document(text);
        if let Ok(strings) = parse_reported_keys(text) {
            assert!(strings.iter().all(|s| !s.is_empty() && s.trim() == s));
        }
    }
});
