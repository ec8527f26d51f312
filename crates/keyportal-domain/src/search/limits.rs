//! How long an indexed term and a query term may be, and why the two limits keep the database
//! and the in-memory matcher in exact agreement.
//!
//! PostgreSQL refuses a B-tree entry larger than about 2,700 bytes, so a description holding
//! one very long "word" (a base64 blob) could not be indexed. Index rows therefore keep a term
//! longer than [`INDEXED_TERM_MAX`] bytes as its longest prefix of at most that many bytes that
//! ends on a character boundary ([`indexed_term`]): at least `INDEXED_TERM_MAX - 3` bytes, since
//! a character takes at most four.
//!
//! The parser refuses a query term, phrase word or prefix longer than [`MAX_TERM_BYTES`]
//! (lowered, which is what is compared; lowering can lengthen text). That makes the truncation
//! invisible to every comparison the plans make on index rows:
//!
//! * equality: a query term (at most 256 bytes) equals neither a long word nor its truncation
//!   (at least 257 bytes), so both sides answer "no";
//! * prefix: a prefix of at most 256 bytes begins a long word exactly when it begins the
//!   word's truncation, which is itself a prefix of the word at least 257 bytes long;
//! * "has a value": a truncated term is never empty.
//!
//! Whole-value fields (tags, ids, owners, access…) compare a phrase as one value, so there the
//! whole phrase is held to the same limit; in free-text fields a phrase is compared word by
//! word and only its words are.

use super::ast::Value;
use super::matcher::{kind, Kind};
use super::{invalid, quote};
use crate::error::DomainError;

/// The longest term an index row holds, in bytes; longer terms are stored truncated.
pub const INDEXED_TERM_MAX: usize = 260;

/// The longest term, phrase word or prefix a query may hold, in bytes once lower-cased.
pub const MAX_TERM_BYTES: usize = 256;

// The exactness argument above needs every truncation to be longer than any query term.
const _: () = assert!(INDEXED_TERM_MAX - 3 > MAX_TERM_BYTES);

/// The term as an index row stores it: whole when it fits in [`INDEXED_TERM_MAX`] bytes, else
/// its longest prefix that fits and ends on a character boundary.
pub fn indexed_term(mut term: String) -> String {
    if term.len() > INDEXED_TERM_MAX {
        let mut cut = INDEXED_TERM_MAX;
        while !term.is_char_boundary(cut) {
            cut -= 1;
        }
        term.truncate(cut);
    }
    term
}

/// Refuses a query value the index could not answer exactly (see the module docs). `field` is
/// the field the value is searched in (`None`: the default fields, some of them whole-value).
pub(super) fn check_term(field: Option<&str>, value: &Value) -> Result<(), DomainError> {
    let too_long = |text: &str| text.len() > MAX_TERM_BYTES;
    let offending = match value {
        Value::Any => None,
        Value::Word { text, .. } => too_long(text).then_some(text),
        Value::Phrase { text, words } => {
            let compared_whole = field.is_none_or(|f| kind(f) != Kind::Text);
            if compared_whole && too_long(text) {
                Some(text)
            } else {
                words.iter().find(|word| too_long(word))
            }
        }
    };
    match offending {
        None => Ok(()),
        Some(text) => Err(invalid(format!(
            "Search term '{}' is {} bytes long; search terms, phrase words and prefixes are \
             limited to {MAX_TERM_BYTES} bytes (a phrase searched as a whole value, as in tags, \
             too).",
            quote(text),
            text.len()
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::search::parse;

    #[test]
    fn short_terms_are_stored_whole() {
        let exact = "a".repeat(INDEXED_TERM_MAX);
        assert_eq!(indexed_term(exact.clone()), exact);
        assert_eq!(indexed_term(String::new()), "");
    }

    #[test]
    fn long_terms_are_cut_on_a_character_boundary() {
        let ascii = "b".repeat(5_000);
        assert_eq!(indexed_term(ascii).len(), INDEXED_TERM_MAX);
        // 'ß' is two bytes: 1 + 2k bytes, cut to 259 rather than splitting the 130th.
        let two = format!("a{}", "ß".repeat(200));
        let cut = indexed_term(two.clone());
        assert_eq!(cut.len(), 259);
        assert!(two.starts_with(&cut));
        // '€' is three bytes, starting at byte 258: none fits after the ASCII run.
        let three = format!("{}{}", "x".repeat(258), "€".repeat(10));
        assert_eq!(indexed_term(three), "x".repeat(258));
        // '😀' is four bytes: 65 of them are exactly 260, the 66th does not fit.
        let four = "😀".repeat(70);
        assert_eq!(indexed_term(four), "😀".repeat(65));
        let odd = format!("z{}", "😀".repeat(70));
        let cut = indexed_term(odd);
        assert_eq!(cut.len(), 257, "the shortest a truncation can be");
    }

    #[test]
    fn every_truncation_is_longer_than_any_query_term() {
        for filler in ["a", "ß", "€", "😀"] {
            for lead in 0..4 {
                let word = format!("{}{}", "q".repeat(lead), filler.repeat(400));
                assert!(indexed_term(word).len() > MAX_TERM_BYTES);
            }
        }
    }

    #[test]
    fn index_rows_hold_long_words_truncated() {
        use crate::group::{Group, GroupAccess};
        use crate::item::{Item, ItemAccess};
        use crate::search::groups::{group_rows, GroupField};
        use crate::search::items::{term_rows, TermField};

        // Upper case at the cut: 'Ⱥ' lowers to the three-byte 'ⱥ', so the cut falls inside
        // the lowered text and must still land on a character boundary.
        let blob = format!("AB{}", "Ⱥ".repeat(300));
        let lowered = format!("ab{}", "ⱥ".repeat(86));
        assert_eq!(lowered.len(), 260);
        let item = Item {
            id: "1".repeat(32),
            owner: "ann".into(),
            org_id: "org1".into(),
            folder_id: None,
            title: "t".into(),
            item_type: "Web Map".into(),
            type_keywords: vec![],
            tags: vec![blob.clone()],
            description: format!("before {blob} after"),
            snippet: String::new(),
            url: String::new(),
            access: ItemAccess::Private,
            properties: None,
            extra: serde_json::Map::new(),
            created: 0,
            modified: 0,
        };
        let rows = term_rows(&item);
        let of = |field: TermField| -> Vec<&str> {
            rows.iter()
                .filter(|r| r.field == field)
                .map(|r| r.term.as_str())
                .collect()
        };
        assert_eq!(
            of(TermField::Description),
            ["before", lowered.as_str(), "after"]
        );
        assert_eq!(of(TermField::Tags), [lowered.as_str()]);

        let group = Group {
            id: "2".repeat(32),
            owner: "ann".into(),
            org_id: "org1".into(),
            title: "g".into(),
            access: GroupAccess::Org,
            tags: vec![blob.clone()],
            description: blob,
            snippet: String::new(),
            phone: String::new(),
            sort_field: String::new(),
            sort_order: String::new(),
            is_invitation_only: false,
            is_view_only: false,
            auto_join: false,
            created: 1,
            modified: 2,
        };
        let rows = group_rows(&group);
        for field in [GroupField::Description, GroupField::Tags] {
            let terms: Vec<&str> = rows
                .iter()
                .filter(|r| r.field == field)
                .map(|r| r.term.as_str())
                .collect();
            assert_eq!(terms, [lowered.as_str()], "{field:?}");
        }
    }

    /// Validation bounds the indexed key columns (titles, types, full names) in characters;
    /// this bounds them in bytes once lowered: at most four a character, so a 256-character
    /// field is at most 1,024 bytes, well under PostgreSQL's B-tree limit.
    #[test]
    fn every_character_lowers_to_at_most_four_bytes() {
        let longest = (0..=u32::from(char::MAX))
            .filter_map(char::from_u32)
            .map(|c| c.to_lowercase().map(char::len_utf8).sum::<usize>())
            .max();
        assert_eq!(longest, Some(4));
    }

    fn refused(q: &str) -> bool {
        match parse(q) {
            Ok(_) => false,
            Err(e) => {
                let shown = format!("{e:?}");
                assert!(shown.contains("limited to 256 bytes"), "{shown}");
                true
            }
        }
    }

    #[test]
    fn the_parser_refuses_terms_over_the_limit() {
        let at = "w".repeat(MAX_TERM_BYTES);
        let over = "w".repeat(MAX_TERM_BYTES + 1);
        assert!(!refused(&at));
        assert!(!refused(&format!("title:{at}*")));
        assert!(refused(&over));
        assert!(refused(&format!("description:{over}*")), "a prefix");
        assert!(refused(&format!("title:\"short {over}\"")), "a phrase word");
        assert!(refused(&format!("tags:({over} OR x)")), "inside a group");
        // An unquoted term is one term even when it splits into short words.
        let dashed = vec!["ab"; 100].join("-");
        assert!(refused(&format!("title:{dashed}")));
    }

    #[test]
    fn the_limit_counts_the_lowered_bytes() {
        // 'Ⱥ' is two bytes and lowers to 'ⱥ', three: 100 of them are 200 bytes as sent and 300
        // as compared.
        let grows = "Ⱥ".repeat(100);
        assert!(grows.len() <= MAX_TERM_BYTES);
        assert!(refused(&format!("description:{grows}")));
        assert!(!refused(&format!("description:{}*", "Ⱥ".repeat(85))));
    }

    #[test]
    fn long_phrases_are_refused_only_where_compared_whole() {
        let sentence = vec!["word"; 80].join(" ");
        assert!(sentence.len() > MAX_TERM_BYTES);
        assert!(!refused(&format!("description:\"{sentence}\"")));
        assert!(!refused(&format!("title:(\"{sentence}\")")));
        assert!(refused(&format!("tags:\"{sentence}\"")));
        assert!(refused(&format!("owner:\"{sentence}\"")));
        assert!(
            refused(&format!("\"{sentence}\"")),
            "default fields hold tags"
        );
    }
}
