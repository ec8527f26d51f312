//! Reading a leak report: the `keys` parameter (a JSON array of strings, or one string per
//! line) and the optional `source`. Nothing here looks at what the strings are: every one is
//! hashed and looked up alike, so the work does not depend on which ones are live keys.

use crate::error::DomainError;
use crate::text;

/// The most strings one report may carry.
pub const MAX_REPORTED_KEYS: usize = 1_000;
/// The longest `source` kept (characters).
pub const MAX_SOURCE_CHARS: usize = 1_000;

fn too_many(count: usize) -> DomainError {
    DomainError::invalid_with(
        "Too many keys in one report.",
        vec![format!(
            "'keys' holds {count} strings; send at most {MAX_REPORTED_KEYS} per request."
        )],
    )
}

/// The strings of `keys`: a JSON array of strings (`["AAPT…","AAPK…"]`), or, when the value
/// does not start with `[`, one string per line. Surrounding blanks are trimmed and empty
/// entries skipped. More than [`MAX_REPORTED_KEYS`] strings, an unreadable array or an entry
/// that is not a string is refused (the whole report: nothing is revoked).
pub fn parse_reported_keys(value: &str) -> Result<Vec<String>, DomainError> {
    let trimmed = value.trim();
    let strings: Vec<String> = if trimmed.starts_with('[') {
        let entries: Vec<serde_json::Value> = serde_json::from_str(trimmed).map_err(|_| {
            DomainError::invalid_with(
                "'keys' is not a JSON array of strings.",
                vec!["Send a JSON array of strings, or one key per line.".into()],
            )
        })?;
        if entries.len() > MAX_REPORTED_KEYS {
            return Err(too_many(entries.len()));
        }
        let mut strings = Vec::with_capacity(entries.len());
        for entry in entries {
            match entry {
                serde_json::Value::String(s) => strings.push(s.trim().to_string()),
                _ => {
                    return Err(DomainError::invalid_with(
                        "'keys' is not a JSON array of strings.",
                        vec!["Every entry of 'keys' must be a string.".into()],
                    ))
                }
            }
        }
        strings
    } else {
        let count = trimmed.lines().filter(|l| !l.trim().is_empty()).count();
        if count > MAX_REPORTED_KEYS {
            return Err(too_many(count));
        }
        trimmed.lines().map(|l| l.trim().to_string()).collect()
    };
    Ok(strings.into_iter().filter(|s| !s.is_empty()).collect())
}

/// The `source` of a public report, trimmed: at most [`MAX_SOURCE_CHARS`] characters on one
/// line (it is shown on the item page), else a 400 naming the field.
pub fn check_source(source: &str) -> Result<String, DomainError> {
    let source = source.trim();
    text::check_single_line("source", source)?;
    let chars = source.chars().count();
    if chars > MAX_SOURCE_CHARS {
        return Err(DomainError::invalid_with(
            "Invalid source.",
            vec![format!(
                "'source' is {chars} characters long; at most {MAX_SOURCE_CHARS} are kept."
            )],
        ));
    }
    Ok(source.to_string())
}

/// A source from a trusted reporter (GitHub's `url`), made storable instead of refused:
/// control characters dropped, cut to [`MAX_SOURCE_CHARS`] characters.
pub fn clean_source(source: &str) -> String {
    source
        .trim()
        .chars()
        .filter(|&c| !c.is_control())
        .take(MAX_SOURCE_CHARS)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn a_json_array_or_lines() {
        assert_eq!(
            parse_reported_keys(r#" ["a", " b ", ""] "#).unwrap(),
            vec!["a", "b"]
        );
        assert_eq!(
            parse_reported_keys("a\r\n\n  b  \nc").unwrap(),
            vec!["a", "b", "c"]
        );
        assert!(parse_reported_keys("").unwrap().is_empty());
        assert_eq!(parse_reported_keys("single").unwrap(), vec!["single"]);
    }

    #[test]
    fn a_bad_array_is_refused_whole() {
        assert!(parse_reported_keys("[\"a\", 1]").is_err());
        assert!(parse_reported_keys("[\"a\"").is_err());
        assert!(parse_reported_keys("[null]").is_err());
    }

    #[test]
    fn at_most_a_thousand() {
        let lines = vec!["k"; MAX_REPORTED_KEYS].join("\n");
        assert_eq!(
            parse_reported_keys(&lines).unwrap().len(),
            MAX_REPORTED_KEYS
        );
        let lines = vec!["k"; MAX_REPORTED_KEYS + 1].join("\n");
        assert!(parse_reported_keys(&lines).is_err());
        let array = serde_json::json!(vec!["k"; MAX_REPORTED_KEYS + 1]).to_string();
        assert!(parse_reported_keys(&array).is_err());
    }

    #[test]
    fn sources_are_one_line_and_bounded() {
        assert_eq!(
            check_source("  https://github.com/x/y/blob/main/a.js ").unwrap(),
            "https://github.com/x/y/blob/main/a.js"
        );
        assert!(check_source("a\nb").is_err());
        assert!(check_source(&"é".repeat(MAX_SOURCE_CHARS + 1)).is_err());
        assert_eq!(
            check_source(&"é".repeat(MAX_SOURCE_CHARS))
                .unwrap()
                .chars()
                .count(),
            MAX_SOURCE_CHARS
        );
        assert_eq!(clean_source("a\u{0}b\nc"), "abc");
        assert_eq!(clean_source(&"x".repeat(5_000)).len(), MAX_SOURCE_CHARS);
    }

    proptest! {
        /// Whatever the strings, a JSON array of them reads back as the trimmed non-empty ones,
        /// and the same strings one per line read alike when none holds a line break.
        #[test]
        fn arrays_and_lines_agree(keys in prop::collection::vec("[ -~]{0,70}", 0..40)) {
            let array = serde_json::json!(keys).to_string();
            let expected: Vec<String> = keys
                .iter()
                .map(|k| k.trim().to_string())
                .filter(|k| !k.is_empty())
                .collect();
            prop_assert_eq!(parse_reported_keys(&array).unwrap(), expected.clone());
            let lines = keys.join("\n");
            if !lines.trim_start().starts_with('[') {
                prop_assert_eq!(parse_reported_keys(&lines).unwrap(), expected);
            }
        }

        /// Parsing never panics and never yields an empty or untrimmed string.
        #[test]
        fn any_input_is_read_or_refused(value in "\\PC{0,300}") {
            if let Ok(keys) = parse_reported_keys(&value) {
                prop_assert!(keys.len() <= MAX_REPORTED_KEYS);
                for key in keys {
                    prop_assert!(!key.is_empty());
                    prop_assert_eq!(key.trim(), key.as_str());
                }
            }
        }
    }
}
