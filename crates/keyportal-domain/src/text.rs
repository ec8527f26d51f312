//! The one rule every text the portal accepts follows, whatever the field: no control
//! characters (Unicode category Cc: C0, DEL and C1). Multi-line fields (descriptions,
//! snippets) may hold tab, CR and LF; single-line fields (titles, names, usernames, tags, URLs)
//! none at all. PostgreSQL cannot store U+0000 in text while SQLite can, so refusing it here is
//! also what makes both backends answer alike.

use crate::error::DomainError;

/// Whether a field may span lines.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lines {
    /// Titles, names, usernames, tags, URLs, ids: no control character at all.
    Single,
    /// Descriptions and snippets: tab, CR and LF allowed, no other control character.
    Multi,
}

/// Whether `c` is refused in a field of this kind.
pub fn is_forbidden(c: char, lines: Lines) -> bool {
    c.is_control() && !(lines == Lines::Multi && matches!(c, '\t' | '\n' | '\r'))
}

/// What is wrong with `value` as field `field`, as a sentence naming the field; `None` when
/// it is acceptable. Validators that collect every problem of a request use this.
pub fn problem(field: &str, value: &str, lines: Lines) -> Option<String> {
    if !value.chars().any(|c| is_forbidden(c, lines)) {
        return None;
    }
    Some(match lines {
        Lines::Single => format!("'{field}' cannot contain control characters or line breaks."),
        Lines::Multi => {
            format!("'{field}' cannot contain control characters other than tabs and line breaks.")
        }
    })
}

/// The first problem of any entry of a list field (tags, typeKeywords, …).
pub fn list_problem(field: &str, values: &[String]) -> Option<String> {
    values
        .iter()
        .find_map(|value| problem(field, value, Lines::Single))
}

/// Refuses `value` for field `field` with a 400 that names the field.
pub fn check(field: &str, value: &str, lines: Lines) -> Result<(), DomainError> {
    match problem(field, value, lines) {
        None => Ok(()),
        Some(detail) => Err(invalid(field, detail)),
    }
}

/// [`check`] for a single-line field.
pub fn check_single_line(field: &str, value: &str) -> Result<(), DomainError> {
    check(field, value, Lines::Single)
}

/// [`check`] for a multi-line field.
pub fn check_multi_line(field: &str, value: &str) -> Result<(), DomainError> {
    check(field, value, Lines::Multi)
}

/// [`check`] for every entry of a list field.
pub fn check_list(field: &str, values: &[String]) -> Result<(), DomainError> {
    match list_problem(field, values) {
        None => Ok(()),
        Some(detail) => Err(invalid(field, detail)),
    }
}

/// The refusal of a parameter carrying U+0000, which no stored text may hold: the wire layer
/// applies it to every parameter (names included) before any handler runs, as a backstop
/// under the per-field rules.
pub fn check_no_nul(field: &str, value: &str) -> Result<(), DomainError> {
    if value.contains('\0') {
        Err(invalid(
            field,
            format!("'{field}' cannot contain control characters."),
        ))
    } else {
        Ok(())
    }
}

/// Whether a look-up key could name anything stored: text with U+0000 never can (and
/// PostgreSQL would refuse to compare it), so look-ups answer "does not exist" without asking.
pub fn can_be_stored(key: &str) -> bool {
    !key.contains('\0')
}

fn invalid(field: &str, detail: String) -> DomainError {
    DomainError::invalid_with(format!("Invalid value for '{field}'."), vec![detail])
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn single_line_fields_refuse_every_control_character() {
        for bad in [
            "a\0b",
            "a\nb",
            "a\rb",
            "a\tb",
            "\u{7}",
            "\u{1b}[31m",
            "x\u{7f}",
            "x\u{85}",
            "\u{9f}",
        ] {
            assert!(check_single_line("title", bad).is_err(), "{bad:?}");
        }
        for good in [
            "Map",
            "Carte élevée",
            "地图 ✓",
            "a b",
            "",
            "\u{a0}",
            "\u{200b}",
        ] {
            assert_eq!(check_single_line("title", good), Ok(()), "{good:?}");
        }
    }

    #[test]
    fn multi_line_fields_allow_tabs_and_line_breaks_only() {
        assert_eq!(check_multi_line("description", "a\r\n\tb\n"), Ok(()));
        for bad in [
            "a\0b", "\u{7}", "\u{1b}", "\u{7f}", "\u{85}", "\u{b}", "\u{c}",
        ] {
            assert!(check_multi_line("description", bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn refusals_name_the_field() {
        let Err(DomainError::Invalid { message, details }) = check_single_line("title", "a\0")
        else {
            panic!("expected Invalid");
        };
        assert_eq!(message, "Invalid value for 'title'.");
        assert!(details[0].contains("'title'"), "{details:?}");
        let Err(DomainError::Invalid { message, .. }) =
            check_list("tags", &["ok".into(), "b\u{1}".into()])
        else {
            panic!("expected Invalid");
        };
        assert_eq!(message, "Invalid value for 'tags'.");
        assert_eq!(check_list("tags", &["ok".into()]), Ok(()));
        assert!(check_no_nul("password", "pa\0ss").is_err());
        assert_eq!(check_no_nul("password", "pa\u{1}ss"), Ok(()));
        assert!(!can_be_stored("ad\0min"));
        assert!(can_be_stored("admin"));
    }

    proptest! {
        /// Single-line acceptance is exactly "no Cc character"; multi-line adds \t \n \r.
        #[test]
        fn the_rule_is_the_unicode_control_category(s in any::<String>()) {
            let single = s.chars().all(|c| !c.is_control());
            let multi = s.chars().all(|c| !c.is_control() || matches!(c, '\t' | '\n' | '\r'));
            prop_assert_eq!(check_single_line("f", &s).is_ok(), single);
            prop_assert_eq!(check_multi_line("f", &s).is_ok(), multi);
            prop_assert_eq!(problem("f", &s, Lines::Single).is_none(), single);
            if single {
                prop_assert!(multi);
            }
            if s.contains('\0') {
                prop_assert!(check_no_nul("f", &s).is_err());
                prop_assert!(!multi);
            }
        }
    }
}
