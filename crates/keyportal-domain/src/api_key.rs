//! API key values (design §3): `AAPT` + 43 base64url characters of CSPRNG output + `.AT` + slot
//! digit + `_` + an 8-character checksum (the first 48 bits of SHA-256 over everything before the
//! `_`). The checksum lets the server and secret scanners reject mistyped or invented keys without
//! a lookup; the slot digit sits 10th from the end because official clients read it there.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use sha2::{Digest, Sha256};
use thiserror::Error;

use crate::secret::{constant_time_eq, random_bytes, SecretString};

/// Every current key starts with this.
pub const KEY_PREFIX: &str = "AAPT";
/// Legacy keys (before June 2024) start with this; they can be imported, never created.
pub const LEGACY_KEY_PREFIX: &str = "AAPK";
/// Exact length of a key: 4 + 43 + 3 + 1 + 1 + 8.
pub const KEY_LEN: usize = 60;

/// Random bytes in a key: 256 bits.
const RANDOM_BYTES: usize = 32;
/// Checksum bytes: 6 bytes encode to exactly 8 base64url characters, no padding bits.
const CHECKSUM_BYTES: usize = 6;
/// Offsets of the fixed parts.
const BODY_START: usize = 4;
const BODY_END: usize = BODY_START + 43;
const MARKER_END: usize = BODY_END + 3; // ".AT"
const SLOT_AT: usize = MARKER_END; // == KEY_LEN - 10
const UNDERSCORE_AT: usize = SLOT_AT + 1;
const CHECKSUM_START: usize = UNDERSCORE_AT + 1;
const CHECKSUM_LEN: usize = KEY_LEN - CHECKSUM_START;
/// Legacy keys: the prefix plus at least this many body characters.
const LEGACY_MIN_BODY: usize = 32;
/// The longest legacy key accepted (ArcGIS issued about 100 characters), so an import or a
/// request cannot make the portal hash or store megabytes for one key.
pub const LEGACY_MAX_LEN: usize = 512;

/// One of a credential's two key slots, so a key can be rotated without downtime.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum KeySlot {
    One,
    Two,
}

impl KeySlot {
    pub const ALL: [KeySlot; 2] = [KeySlot::One, KeySlot::Two];

    /// The slot a key's digit names (`'1'` or `'2'`).
    pub fn from_digit(digit: char) -> Option<KeySlot> {
        match digit {
            '1' => Some(KeySlot::One),
            '2' => Some(KeySlot::Two),
            _ => None,
        }
    }

    /// The slot numbered 1 or 2.
    pub fn from_number(number: u8) -> Option<KeySlot> {
        match number {
            1 => Some(KeySlot::One),
            2 => Some(KeySlot::Two),
            _ => None,
        }
    }

    /// The digit written into the key (and read back by REST JS).
    pub fn digit(self) -> char {
        match self {
            KeySlot::One => '1',
            KeySlot::Two => '2',
        }
    }

    /// 1 or 2, as in `apiToken1ExpirationDate`.
    pub fn number(self) -> u8 {
        match self {
            KeySlot::One => 1,
            KeySlot::Two => 2,
        }
    }
}

/// The wire `apiToken` parameter was not `1` or `2`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Error)]
#[error("'apiToken' must be 1 or 2.")]
pub struct InvalidSlot;

impl std::str::FromStr for KeySlot {
    type Err = InvalidSlot;

    /// Parses the wire `apiToken` value; surrounding blanks are tolerated, nothing else.
    fn from_str(value: &str) -> Result<KeySlot, InvalidSlot> {
        match value.trim() {
            "1" => Ok(KeySlot::One),
            "2" => Ok(KeySlot::Two),
            _ => Err(InvalidSlot),
        }
    }
}

impl std::fmt::Display for KeySlot {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.number())
    }
}

/// Why a string is not a well-formed key. Messages never contain the candidate itself.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Error)]
pub enum KeyFormatError {
    #[error("An API key starts with AAPT.")]
    WrongPrefix,
    #[error("An API key is exactly 60 characters long.")]
    WrongLength,
    #[error("An API key contains only letters, digits, '-' and '_' around its '.AT' marker.")]
    BadCharacter,
    #[error("An API key's slot digit must be 1 or 2.")]
    BadSlot,
    #[error("The API key's checksum does not match: the key was mistyped or made up.")]
    BadChecksum,
}

/// A key whose shape and checksum are valid. It may still be unknown, revoked or expired.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct ParsedKey<'a> {
    key: &'a str,
    slot: KeySlot,
}

impl<'a> ParsedKey<'a> {
    pub fn slot(&self) -> KeySlot {
        self.slot
    }

    /// The whole key, e.g. to hash it for the lookup.
    pub fn as_str(&self) -> &'a str {
        self.key
    }
}

impl std::fmt::Debug for ParsedKey<'_> {
    /// Redacted: a parsed key is still a live secret.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ParsedKey")
            .field("slot", &self.slot)
            .field("key", &"<redacted>")
            .finish()
    }
}

/// A fresh key for `slot`. The caller shows it once and stores only [`key_hash`].
pub fn generate_api_key(slot: KeySlot) -> SecretString {
    let mut key = String::with_capacity(KEY_LEN);
    key.push_str(KEY_PREFIX);
    URL_SAFE_NO_PAD.encode_string(random_bytes::<RANDOM_BYTES>(), &mut key);
    key.push_str(".AT");
    key.push(slot.digit());
    let digest = Sha256::digest(key.as_bytes());
    key.push('_');
    URL_SAFE_NO_PAD.encode_string(&digest[..CHECKSUM_BYTES], &mut key);
    SecretString::new(key)
}

fn is_base64url(byte: u8) -> bool {
    byte.is_ascii_alphanumeric() || byte == b'-' || byte == b'_'
}

/// Checks shape and checksum without allocating, since it runs on every request. Works on bytes
/// only, so no input (non-ASCII included) can hit a char boundary panic.
pub fn parse_api_key(candidate: &str) -> Result<ParsedKey<'_>, KeyFormatError> {
    let bytes = candidate.as_bytes();
    if !bytes.starts_with(KEY_PREFIX.as_bytes()) {
        return Err(KeyFormatError::WrongPrefix);
    }
    if bytes.len() != KEY_LEN {
        return Err(KeyFormatError::WrongLength);
    }
    let body_ok = bytes[BODY_START..BODY_END].iter().all(|&b| is_base64url(b));
    let checksum_ok = bytes[CHECKSUM_START..].iter().all(|&b| is_base64url(b));
    if !body_ok
        || !checksum_ok
        || &bytes[BODY_END..MARKER_END] != b".AT"
        || bytes[UNDERSCORE_AT] != b'_'
    {
        return Err(KeyFormatError::BadCharacter);
    }
    let slot = KeySlot::from_digit(char::from(bytes[SLOT_AT])).ok_or(KeyFormatError::BadSlot)?;
    let digest = Sha256::digest(&bytes[..UNDERSCORE_AT]);
    let mut expected = [0u8; CHECKSUM_LEN];
    match URL_SAFE_NO_PAD.encode_slice(&digest[..CHECKSUM_BYTES], &mut expected) {
        Ok(CHECKSUM_LEN) => {}
        // Cannot happen (6 bytes always encode to 8 characters); refuse rather than panic.
        _ => return Err(KeyFormatError::BadChecksum),
    }
    if !constant_time_eq(&expected, &bytes[CHECKSUM_START..]) {
        return Err(KeyFormatError::BadChecksum);
    }
    Ok(ParsedKey {
        key: candidate,
        slot,
    })
}

/// SHA-256 of the whole key: what is stored and looked up, never the key itself.
pub fn key_hash(key: &str) -> [u8; 32] {
    Sha256::digest(key.as_bytes()).into()
}

/// `AAPTabcd…wxyz`: enough for an owner to tell keys apart, far too little to use one. Strings
/// shorter than 24 characters (never a real key) get only `…`, lest the hint reveal most of them.
pub fn key_hint(key: &str) -> String {
    const HEAD: usize = 8;
    const TAIL: usize = 4;
    let count = key.chars().count();
    if count < 24 {
        return "…".to_string();
    }
    let head = key.chars().take(HEAD);
    let tail = key.chars().skip(count - TAIL);
    head.chain(std::iter::once('…')).chain(tail).collect()
}

/// A legacy `AAPK` key: no checksum, so only the alphabet and the length can be checked.
pub fn is_legacy_key(s: &str) -> bool {
    let bytes = s.as_bytes();
    bytes.starts_with(LEGACY_KEY_PREFIX.as_bytes())
        && bytes.len() >= LEGACY_KEY_PREFIX.len() + LEGACY_MIN_BODY
        && bytes.len() <= LEGACY_MAX_LEN
        && bytes[LEGACY_KEY_PREFIX.len()..]
            .iter()
            .all(|&b| is_base64url(b))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// A well-formed key built from a fixed body, for deterministic tests.
    fn key_with_body(body: &str, slot: char) -> String {
        assert_eq!(body.len(), 43);
        let mut key = format!("AAPT{body}.AT{slot}");
        let digest = Sha256::digest(key.as_bytes());
        key.push('_');
        key.push_str(&URL_SAFE_NO_PAD.encode(&digest[..6]));
        key
    }

    /// The 10th character from the end, the way REST JS's `slotForKey` reads it:
    /// `key.substring(len - 10, len - 9)`.
    fn js_slot(key: &str) -> &str {
        let len = key.len();
        &key[len - 10..len - 9]
    }

    const BODY: &str = "0123456789abcdefghijklmnopqrstuvwxyzABCDE-_";

    #[test]
    fn generated_keys_parse_with_their_slot() {
        for slot in KeySlot::ALL {
            let key = generate_api_key(slot);
            let key = key.expose();
            assert_eq!(key.len(), KEY_LEN);
            assert!(key.starts_with("AAPT"));
            let parsed = parse_api_key(key).unwrap();
            assert_eq!(parsed.slot(), slot);
            assert_eq!(parsed.as_str(), key);
            assert_eq!(&key[47..50], ".AT");
            assert_eq!(&key[51..52], "_");
        }
    }

    #[test]
    fn generated_keys_differ() {
        let a = generate_api_key(KeySlot::One);
        let b = generate_api_key(KeySlot::One);
        assert_ne!(a.expose(), b.expose());
        assert_ne!(key_hash(a.expose()), key_hash(b.expose()));
    }

    #[test]
    fn slot_digit_is_tenth_from_the_end() {
        for slot in KeySlot::ALL {
            let key = generate_api_key(slot);
            let key = key.expose();
            assert_eq!(js_slot(key), slot.number().to_string());
            assert_eq!(key.chars().rev().nth(9), Some(slot.digit()));
            assert_eq!(SLOT_AT, KEY_LEN - 10);
        }
        // Esri's documented sample ends `…AT2_WilXzfTa`: the same position holds the 2.
        assert_eq!(js_slot("PgNzuPQkvVES1fDgDL-Thsc2XU.AT2_WilXzfTa"), "2");
    }

    #[test]
    fn checksum_matches_an_independent_implementation() {
        // Computed with Python's hashlib and base64.urlsafe_b64encode from the design's definition.
        assert_eq!(
            key_with_body(BODY, '1'),
            "AAPT0123456789abcdefghijklmnopqrstuvwxyzABCDE-_.AT1__tnx7Ff-"
        );
        assert_eq!(
            parse_api_key("AAPT0123456789abcdefghijklmnopqrstuvwxyzABCDE-_.AT2_nhXJhD1i")
                .map(|k| k.slot()),
            Ok(KeySlot::Two)
        );
    }

    #[test]
    fn known_body_gives_known_checksum_layout() {
        let key = key_with_body(BODY, '1');
        assert_eq!(key.len(), 60);
        assert_eq!(parse_api_key(&key).unwrap().slot(), KeySlot::One);
        // The same body in the other slot has a different checksum.
        let other = key_with_body(BODY, '2');
        assert_ne!(key[52..], other[52..]);
        assert_eq!(parse_api_key(&other).unwrap().slot(), KeySlot::Two);
    }

    #[test]
    fn each_error_is_reported() {
        let key = key_with_body(BODY, '1');
        assert_eq!(
            parse_api_key(&key.replacen("AAPT", "AAPK", 1)),
            Err(KeyFormatError::WrongPrefix)
        );
        assert_eq!(parse_api_key(""), Err(KeyFormatError::WrongPrefix));
        assert_eq!(parse_api_key("aapt"), Err(KeyFormatError::WrongPrefix));
        assert_eq!(parse_api_key(&key[..59]), Err(KeyFormatError::WrongLength));
        assert_eq!(
            parse_api_key(&format!("{key}A")),
            Err(KeyFormatError::WrongLength)
        );
        let mut bad = key.clone().into_bytes();
        bad[10] = b'+';
        assert_eq!(
            parse_api_key(std::str::from_utf8(&bad).unwrap()),
            Err(KeyFormatError::BadCharacter)
        );
        let mut bad = key.clone().into_bytes();
        bad[47] = b'-';
        assert_eq!(
            parse_api_key(std::str::from_utf8(&bad).unwrap()),
            Err(KeyFormatError::BadCharacter)
        );
        let mut bad = key.clone().into_bytes();
        bad[51] = b'-';
        assert_eq!(
            parse_api_key(std::str::from_utf8(&bad).unwrap()),
            Err(KeyFormatError::BadCharacter)
        );
        for digit in ['0', '3', '9', 'a'] {
            let bad = format!("{}{digit}{}", &key[..50], &key[51..]);
            assert_eq!(parse_api_key(&bad), Err(KeyFormatError::BadSlot));
        }
        let bad = format!("{}AAAAAAAA", &key[..52]);
        assert_eq!(parse_api_key(&bad), Err(KeyFormatError::BadChecksum));
    }

    #[test]
    fn every_wrong_length_fails() {
        let key = key_with_body(BODY, '2');
        let long = format!("{key}{key}{key}");
        for len in 0..long.len() {
            if len == KEY_LEN {
                continue;
            }
            let result = parse_api_key(&long[..len]);
            let expected = if len < 4 {
                KeyFormatError::WrongPrefix
            } else {
                KeyFormatError::WrongLength
            };
            assert_eq!(result, Err(expected), "length {len}");
        }
    }

    #[test]
    fn every_single_ascii_substitution_fails() {
        let key = key_with_body(BODY, '1');
        for at in 0..key.len() {
            for replacement in 0u8..=127 {
                if replacement == key.as_bytes()[at] {
                    continue;
                }
                let mut bytes = key.clone().into_bytes();
                bytes[at] = replacement;
                let mutated = String::from_utf8(bytes).unwrap();
                assert!(
                    parse_api_key(&mutated).is_err(),
                    "position {at}, byte {replacement}"
                );
            }
        }
    }

    #[test]
    fn checksum_position_substitutions_fail_by_checksum() {
        // The 8 checksum characters encode exactly 48 bits, so any change is a different value.
        let key = key_with_body(BODY, '2');
        for at in 52..60 {
            for &replacement in b"ABCXYZabcxyz0189-_" {
                if replacement == key.as_bytes()[at] {
                    continue;
                }
                let mut bytes = key.clone().into_bytes();
                bytes[at] = replacement;
                let mutated = String::from_utf8(bytes).unwrap();
                assert_eq!(parse_api_key(&mutated), Err(KeyFormatError::BadChecksum));
            }
        }
    }

    #[test]
    fn non_ascii_input_never_panics() {
        let key = key_with_body(BODY, '1');
        // Multi-byte characters straddling each fixed offset, at the exact byte length.
        for ch in ['é', '€', '𝄞', 'ß'] {
            for at in 0..key.len() {
                let mut s = String::new();
                for c in key.chars() {
                    if s.len() >= at {
                        break;
                    }
                    s.push(c);
                }
                s.push(ch);
                while s.len() < KEY_LEN {
                    s.push('A');
                }
                let _ = parse_api_key(&s);
                let _ = is_legacy_key(&s);
                let _ = key_hint(&s);
                assert!(parse_api_key(&s).is_err());
            }
        }
        assert_eq!(
            parse_api_key("AAPTéééééééééééééééééééééééééééééééééééééééééééééééééééé"),
            Err(KeyFormatError::WrongLength)
        );
        let exact = format!("AAPT{}", "é".repeat(28));
        assert_eq!(exact.len(), 60);
        assert_eq!(parse_api_key(&exact), Err(KeyFormatError::BadCharacter));
    }

    #[test]
    fn esri_samples_do_not_pass_our_checksum() {
        // Esri's documented sample's tail grafted onto a 60-character key: right shape, no checksum.
        let sample = format!(
            "AAPT85fOq{}.AT2_WilXzfTa",
            "PgNzuPQkvVES1fDgDL-Thsc2XU123456789012"
        );
        assert_eq!(sample.len(), 60);
        assert_eq!(parse_api_key(&sample), Err(KeyFormatError::BadChecksum));
        // Esri's real keys are 252 characters (239 before the `.`).
        let real = format!("AAPT85fOq{}.AT2_WilXzfTa", "x".repeat(230));
        assert_eq!(real.len(), 252);
        assert_eq!(parse_api_key(&real), Err(KeyFormatError::WrongLength));
        let documented = "AAPT85fOq…PgNzuPQkvVES1fDgDL-Thsc2XU.AT2_WilXzfTa";
        assert!(matches!(
            parse_api_key(documented),
            Err(KeyFormatError::WrongLength | KeyFormatError::BadChecksum)
        ));
    }

    #[test]
    fn key_hash_is_sha256_of_the_whole_key() {
        let key = key_with_body(BODY, '1');
        assert_eq!(hex::encode(key_hash(&key)), crate::secret::sha256_hex(&key));
        assert_eq!(
            hex::encode(key_hash("abc")),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }

    #[test]
    fn hint_shows_head_and_tail_only() {
        let key = key_with_body(BODY, '1');
        let hint = key_hint(&key);
        assert_eq!(hint, format!("{}…{}", &key[..8], &key[56..]));
        assert_eq!(hint.chars().count(), 13);
        assert_eq!(key_hint("short"), "…");
        assert_eq!(key_hint(""), "…");
        let legacy = format!("AAPK{}", "7d4bf083681e434b8d7593a08954e918");
        assert_eq!(key_hint(&legacy), "AAPK7d4b…e918");
        // Counts characters, not bytes.
        let wide = "é".repeat(30);
        assert_eq!(
            key_hint(&wide),
            format!("{}…{}", "é".repeat(8), "é".repeat(4))
        );
    }

    #[test]
    fn legacy_keys_are_recognised() {
        let fixture = "AAPK7d4bf083681e434b8d7593a08954e918ro7MqS9xFOI";
        assert!(is_legacy_key(fixture));
        assert!(is_legacy_key(&format!("AAPK{}", "a".repeat(32))));
        assert!(!is_legacy_key(&format!("AAPK{}", "a".repeat(31))));
        assert!(is_legacy_key(&format!(
            "AAPK{}",
            "a".repeat(LEGACY_MAX_LEN - 4)
        )));
        assert!(!is_legacy_key(&format!(
            "AAPK{}",
            "a".repeat(LEGACY_MAX_LEN - 3)
        )));
        assert!(!is_legacy_key(&format!("AAPT{}", "a".repeat(40))));
        assert!(!is_legacy_key(&format!("aapk{}", "a".repeat(40))));
        assert!(!is_legacy_key(&format!("AAPK{}.", "a".repeat(40))));
        assert!(!is_legacy_key(&format!("AAPK{}é", "a".repeat(40))));
        assert!(!is_legacy_key("AAPK"));
        assert!(!is_legacy_key(""));
        let current = generate_api_key(KeySlot::One);
        assert!(!is_legacy_key(current.expose()));
    }

    #[test]
    fn slots_convert_both_ways() {
        for slot in KeySlot::ALL {
            assert_eq!(KeySlot::from_digit(slot.digit()), Some(slot));
            assert_eq!(KeySlot::from_number(slot.number()), Some(slot));
            assert_eq!(slot.to_string().parse::<KeySlot>(), Ok(slot));
        }
        assert_eq!("1".parse::<KeySlot>(), Ok(KeySlot::One));
        assert_eq!(" 2 ".parse::<KeySlot>(), Ok(KeySlot::Two));
        for bad in ["", "0", "3", "12", "01", "one", "1.0", "-1", "１"] {
            assert_eq!(bad.parse::<KeySlot>(), Err(InvalidSlot), "{bad:?}");
        }
        assert_eq!(KeySlot::from_digit('0'), None);
        assert_eq!(KeySlot::from_number(0), None);
        assert_eq!(KeySlot::from_number(3), None);
    }

    #[test]
    fn errors_and_debug_never_echo_the_key() {
        let key = generate_api_key(KeySlot::Two);
        let parsed = parse_api_key(key.expose()).unwrap();
        assert!(!format!("{parsed:?}").contains(&key.expose()[4..20]));
        for error in [
            KeyFormatError::WrongPrefix,
            KeyFormatError::WrongLength,
            KeyFormatError::BadCharacter,
            KeyFormatError::BadSlot,
            KeyFormatError::BadChecksum,
        ] {
            let message = error.to_string();
            assert!(!message.is_empty());
            assert!(!message.contains(&key.expose()[4..20]));
        }
    }

    fn mutation() -> impl Strategy<Value = (usize, char)> {
        (
            0..KEY_LEN,
            prop_oneof![
                proptest::char::range(' ', '~'),
                any::<char>(),
                Just('-'),
                Just('_'),
            ],
        )
    }

    proptest! {
        #[test]
        fn any_single_character_mutation_fails(
            two in any::<bool>(),
            (at, replacement) in mutation(),
        ) {
            let slot = if two { KeySlot::Two } else { KeySlot::One };
            let key = generate_api_key(slot);
            let key = key.expose();
            let original = key.as_bytes()[at] as char;
            prop_assume!(replacement != original);
            let mutated: String = key
                .chars()
                .enumerate()
                .map(|(i, c)| if i == at { replacement } else { c })
                .collect();
            prop_assert!(parse_api_key(&mutated).is_err());
        }

        #[test]
        fn dropping_or_inserting_a_character_fails(
            at in 0..=KEY_LEN,
            insert in proptest::char::range(' ', '~'),
        ) {
            let key = generate_api_key(KeySlot::One);
            let key = key.expose();
            let mut inserted = key.to_string();
            inserted.insert(at, insert);
            prop_assert!(parse_api_key(&inserted).is_err());
            if at < KEY_LEN {
                let mut dropped = key.to_string();
                dropped.remove(at);
                prop_assert!(parse_api_key(&dropped).is_err());
            }
        }

        #[test]
        fn well_shaped_random_keys_fail_the_checksum(
            s in "AAPT[A-Za-z0-9_-]{43}\\.AT[12]_[A-Za-z0-9_-]{8}",
        ) {
            prop_assert_eq!(parse_api_key(&s), Err(KeyFormatError::BadChecksum));
        }

        #[test]
        fn arbitrary_strings_never_parse(s in any::<String>()) {
            prop_assert!(parse_api_key(&s).is_err());
            let _ = is_legacy_key(&s);
            let _ = key_hint(&s);
        }

        #[test]
        fn prefixed_strings_never_parse(s in "AAPT.{0,70}") {
            prop_assert!(parse_api_key(&s).is_err());
        }

        #[test]
        fn generated_keys_always_parse(two in any::<bool>()) {
            let slot = if two { KeySlot::Two } else { KeySlot::One };
            let key = generate_api_key(slot);
            let parsed = parse_api_key(key.expose());
            prop_assert_eq!(parsed.map(|p| p.slot()), Ok(slot));
            prop_assert_eq!(js_slot(key.expose()), slot.number().to_string());
        }
    }
}
