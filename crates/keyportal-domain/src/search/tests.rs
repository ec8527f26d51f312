use std::borrow::Cow;

use proptest::prelude::*;

use super::*;

const ITEM_DEFAULTS: &[&str] = &[
    "title",
    "tags",
    "snippet",
    "description",
    "type",
    "typekeywords",
];
const GROUP_DEFAULTS: &[&str] = &["id", "title", "description", "snippet", "tags", "owner"];

#[derive(Debug, Clone)]
struct Doc {
    fields: Vec<(&'static str, Vec<String>)>,
    defaults: &'static [&'static str],
}

impl Doc {
    fn item() -> Doc {
        Doc {
            fields: Vec::new(),
            defaults: ITEM_DEFAULTS,
        }
    }

    fn group() -> Doc {
        Doc {
            fields: Vec::new(),
            defaults: GROUP_DEFAULTS,
        }
    }

    fn with(mut self, field: &'static str, values: &[&str]) -> Doc {
        self.fields
            .push((field, values.iter().map(|v| v.to_string()).collect()));
        self
    }
}

impl Searchable for Doc {
    fn field_values(&self, field: &str) -> Vec<Cow<'_, str>> {
        self.fields
            .iter()
            .filter(|(name, _)| *name == field)
            .flat_map(|(_, values)| values.iter().map(|v| Cow::Borrowed(v.as_str())))
            .collect()
    }

    fn default_fields(&self) -> &'static [&'static str] {
        self.defaults
    }
}

fn q(query: &str) -> Query {
    match parse(query) {
        Ok(parsed) => parsed,
        Err(e) => panic!("{query:?} should parse: {e:?}"),
    }
}

fn m(query: &str, doc: &Doc) -> bool {
    q(query).matches(doc)
}

/// The single detail of a parse error.
fn detail(query: &str) -> String {
    match parse(query) {
        Ok(parsed) => panic!("{query:?} should not parse, got {parsed:?}"),
        Err(DomainError::Invalid { message, details }) => {
            assert_eq!(message, "Invalid query.", "{query:?}");
            assert_eq!(details.len(), 1, "{query:?}");
            details[0].clone()
        }
        Err(other) => panic!("{query:?}: unexpected error {other:?}"),
    }
}

fn web_map() -> Doc {
    Doc::item()
        .with("id", &["0123456789abcdef0123456789abcdef"])
        .with("owner", &["jdoe"])
        .with("title", &["Wildfire Map of California (2024)"])
        .with("type", &["Web Map"])
        .with(
            "typekeywords",
            &["ArcGIS Online", "Explorer Web Map", "Map"],
        )
        .with("tags", &["Fire", "City Streets", "california"])
        .with("snippet", &["Active fires, updated hourly."])
        .with("description", &["<p>Perimeters of active wildfires.</p>"])
        .with("access", &["public"])
        .with("orgid", &["Org1"])
        .with("group", &["aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"])
        .with("created", &["1249084800000"])
        .with("modified", &["1249548000000"])
}

fn api_key(owner: &str, item_type: &str, keywords: &[&str]) -> Doc {
    Doc::item()
        .with("id", &["fedcba9876543210fedcba9876543210"])
        .with("owner", &[owner])
        .with("title", &["My key"])
        .with("type", &[item_type])
        .with("typekeywords", keywords)
}

// --- errors and limits ---------------------------------------------------------------------

#[test]
fn search_empty_query_is_required() {
    for query in ["", " ", "\t\n  "] {
        assert_eq!(
            parse(query),
            Err(DomainError::invalid("Query is required.")),
            "{query:?}"
        );
    }
}

#[test]
fn search_unbalanced_parentheses_are_reported_with_position() {
    assert_eq!(detail("(a OR b"), "Unbalanced parenthesis at position 1.");
    assert_eq!(
        detail("owner:x AND (b"),
        "Unbalanced parenthesis at position 13."
    );
    assert_eq!(detail("a OR b)"), "Unbalanced parenthesis at position 7.");
    assert_eq!(detail(")"), "Unbalanced parenthesis at position 1.");
    assert_eq!(
        detail("type:(a OR b"),
        "Unbalanced parenthesis at position 6."
    );
    assert_eq!(detail("((a)"), "Unbalanced parenthesis at position 1.");
    assert_eq!(detail("()"), "Empty parentheses at position 1.");
}

#[test]
fn search_unbalanced_quotes_are_reported_with_position() {
    assert_eq!(
        detail("title:\"My Item"),
        "Unbalanced quotation mark at position 7."
    );
    assert_eq!(detail("\""), "Unbalanced quotation mark at position 1.");
    assert_eq!(
        detail("a \"b\\\""),
        "Unbalanced quotation mark at position 3."
    );
}

#[test]
fn search_dangling_operators_are_errors() {
    assert_eq!(
        detail("a AND"),
        "AND at position 3 must be followed by a term."
    );
    assert_eq!(
        detail("a OR"),
        "OR at position 3 must be followed by a term."
    );
    assert_eq!(
        detail("NOT"),
        "NOT at position 1 must be followed by a term."
    );
    assert_eq!(detail("AND a"), "Unexpected AND at position 1.");
    assert_eq!(detail("OR a"), "Unexpected OR at position 1.");
    assert_eq!(
        detail("a OR AND b"),
        "OR at position 3 must be followed by a term."
    );
    assert_eq!(
        detail("(a -)"),
        "'-' at position 4 must be followed by a term."
    );
    assert_eq!(
        detail("a || && b"),
        "OR at position 3 must be followed by a term."
    );
}

#[test]
fn search_field_without_value_is_an_error() {
    assert_eq!(
        detail("owner:"),
        "Missing value after 'owner:' at position 1."
    );
    assert_eq!(
        detail("owner: )"),
        "Expected a value after 'owner:' at position 8."
    );
}

#[test]
fn search_bad_ranges_are_errors() {
    assert_eq!(
        detail("created:[1 TO 2"),
        "Unclosed range starting at position 9."
    );
    assert_eq!(
        detail("created:[1 2]"),
        "Expected TO in the range at position 12."
    );
    assert_eq!(
        detail("created:[1 TO ]"),
        "Missing range bound at position 15."
    );
    assert_eq!(
        detail("created:[1 TO 2 3]"),
        "Expected ']' or '}' to close the range at position 17."
    );
    assert_eq!(
        detail("created:["),
        "Unclosed range starting at position 9."
    );
}

#[test]
fn search_query_length_is_limited() {
    // Many short terms (one term is held to `limits::MAX_TERM_BYTES` on its own).
    let words = |word: &str, chars: usize| -> String {
        format!("{word} ")
            .repeat(chars)
            .chars()
            .take(chars)
            .collect()
    };
    let longest = words("ab", MAX_QUERY_CHARS);
    assert_eq!(longest.chars().count(), MAX_QUERY_CHARS);
    assert!(parse(&longest).is_ok());
    let too_long = words("ab", MAX_QUERY_CHARS + 1);
    assert_eq!(
        detail(&too_long),
        "Query is too long: 2049 characters, at most 2048."
    );
    // Counted in characters, not bytes.
    assert!(parse(&words("éé", MAX_QUERY_CHARS)).is_ok());
}

#[test]
fn search_nesting_depth_is_limited() {
    let nested = |n: usize| format!("{}title:x{}", "(".repeat(n), ")".repeat(n));
    let doc = Doc::item().with("title", &["x"]);
    assert!(m(&nested(MAX_DEPTH), &doc));
    assert_eq!(
        detail(&nested(MAX_DEPTH + 1)),
        "Parentheses nested more than 32 deep at position 33."
    );
    // Field-scoped groups count too.
    let scoped = format!("{}type:(x){}", "(".repeat(MAX_DEPTH), ")".repeat(MAX_DEPTH));
    assert!(detail(&scoped).starts_with("Parentheses nested more than 32 deep"));
    // Deep nesting followed by garbage still ends in a clean error.
    assert!(parse(&"(".repeat(2000)).is_err());
}

#[test]
fn search_long_operator_chains_do_not_recurse() {
    let doc = Doc::item().with("title", &["x"]);
    let nots = format!("{}title:x", "NOT ".repeat(500));
    assert!(m(&nots, &doc)); // an even number of NOTs
    let minus = format!("{}x", "-".repeat(2001));
    assert!(!m(&minus, &doc)); // an odd number of '-'
    let ors = ["a"; 400].join(" OR ");
    assert!(!m(&ors, &doc));
    let ands = ["x"; 1000].join(" ");
    assert!(m(&ands, &doc));
}

#[test]
fn search_errors_never_panic_on_odd_input() {
    for query in [
        "\\",
        "\"\\",
        "a:",
        ":",
        "::",
        "a::b",
        "[",
        "]",
        "{",
        "}",
        "*:*",
        "-",
        "+",
        "--",
        "-+-a",
        "&&",
        "||",
        "&",
        "|",
        "^",
        "^2",
        "a^",
        "a^2^3",
        "~",
        "a~",
        "a~~",
        "TO",
        "a TO b",
        "created:[* TO *]",
        "created:{a TO b]",
        "x:[",
        "x:[a",
        "x:[a TO",
        "x:[\"a",
        "(*)",
        "NOT *",
        "\u{0}",
        "\u{10FFFF}:x",
        "İ",
        "ß*",
        "title:\\",
        "(((",
        ")))",
        ")(",
        "a)(b",
        "title:(",
        "title:()",
        "type:(\"a\" OR",
        "a AND NOT",
        "+(",
        "-(a)",
        "!a",
    ] {
        let _ = parse(query).map(|parsed| parsed.matches(&web_map()));
    }
}

// --- terms, fields and phrases ---------------------------------------------------------------

#[test]
fn search_star_matches_everything() {
    let parsed = q("*");
    assert!(parsed.is_match_all());
    assert!(parsed.matches(&Doc::item()));
    assert!(parsed.matches(&web_map()));
    assert!(m("  *  ", &Doc::group()));
    assert!(!q("a").is_match_all());
}

#[test]
fn search_bare_terms_match_default_fields_by_word() {
    let doc = web_map();
    assert!(m("wildfire", &doc)); // title
    assert!(m("CALIFORNIA", &doc)); // title and tag
    assert!(m("perimeters", &doc)); // description (markup split away)
    assert!(m("hourly", &doc)); // snippet
    assert!(m("map", &doc)); // title, type and a type keyword
    assert!(m("fire", &doc)); // a tag
    assert!(!m("streets", &doc)); // tags compare whole values ("City Streets")
    assert!(!m("explorer", &doc)); // so do type keywords ("Explorer Web Map")
    assert!(!m("wild", &doc)); // words, not substrings
    assert!(!m("jdoe", &doc)); // owner is not an item default field
    assert!(!m("public", &doc));
}

#[test]
fn search_bare_terms_on_group_defaults() {
    let group = Doc::group()
        .with("id", &["aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"])
        .with("title", &["Field Crews"])
        .with("owner", &["jdoe"])
        .with("tags", &["ops"]);
    assert!(m("jdoe", &group));
    assert!(m("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", &group));
    assert!(m("crews", &group));
    assert!(!m("crew", &group));
    assert!(m("crew*", &group));
}

#[test]
fn search_field_names_are_case_insensitive_and_allow_spaces_after_colon() {
    let doc = web_map();
    assert!(m("owner:jdoe", &doc));
    assert!(m("OWNER:jdoe", &doc));
    assert!(m("Owner: JDoe", &doc));
    assert!(m("owner:   jdoe", &doc));
    assert!(!m("owner:jdo", &doc));
    assert!(!m("owner:alice", &doc));
    assert!(!m("nosuchfield:jdoe", &doc));
}

#[test]
fn search_exact_fields_compare_whole_values() {
    let doc = web_map();
    assert!(m("id:0123456789ABCDEF0123456789ABCDEF", &doc));
    assert!(!m("id:0123456789abcdef", &doc));
    assert!(m("orgid:org1", &doc));
    assert!(m("access:public", &doc));
    assert!(!m("access:pub", &doc));
    assert!(m("group:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", &doc));
    assert!(!m("group:bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb", &doc));
    assert!(m("owner:\"jdoe\"", &doc));
}

#[test]
fn search_tags_and_typekeywords_equal_one_value() {
    let doc = web_map();
    assert!(m("tags:fire", &doc));
    assert!(m("tags:\"City Streets\"", &doc));
    assert!(m("tags:\"city streets\"", &doc));
    assert!(!m("tags:streets", &doc));
    assert!(!m("tags:\"City\"", &doc));
    assert!(m("typekeywords:\"ArcGIS Online\"", &doc));
    assert!(m("typekeywords:map", &doc));
    assert!(!m("typekeywords:online", &doc));
    assert!(m("typekeywords:arcgis*", &doc));
}

#[test]
fn search_type_matches_phrase_exactly_and_word_by_word() {
    let doc = web_map();
    assert!(m("type:\"Web Map\"", &doc));
    assert!(m("type:\"web map\"", &doc));
    assert!(!m("type:\"Map\"", &doc));
    assert!(m("type:map", &doc));
    assert!(m("type:web", &doc));
    assert!(!m("type:mapping", &doc));
    let app = Doc::item().with("type", &["Web Mapping Application"]);
    assert!(!m("type:\"Web Map\"", &app));
    assert!(!m("type:map", &app));
    assert!(m("type:map*", &app));
    assert!(m("type:\"Web Mapping Application\"", &app));
}

#[test]
fn search_text_fields_match_words_and_consecutive_phrases() {
    let doc = web_map();
    assert!(m("title:wildfire", &doc));
    assert!(m("title:\"wildfire map\"", &doc));
    assert!(m("title:\"map of california\"", &doc));
    assert!(!m("title:\"wildfire california\"", &doc));
    assert!(!m("title:\"california map\"", &doc));
    assert!(m("title:2024", &doc));
    assert!(m("title:wildfire-map", &doc)); // splits into a run of words
    assert!(!m("title:fire", &doc));
    assert!(m("description:perimeters", &doc));
    assert!(m("snippet:\"active fires\"", &doc));
    assert!(!m("snippet:perimeters", &doc));
}

#[test]
fn search_prefix_wildcards() {
    let doc = web_map();
    assert!(m("title:wild*", &doc));
    assert!(m("wild*", &doc));
    assert!(m("owner:jd*", &doc));
    assert!(!m("owner:x*", &doc));
    assert!(m("title:*", &doc)); // the field has a value
    assert!(!m("snippet:*", &Doc::item()));
    assert!(m("title:wildfire-ma*", &doc));
    assert!(m("id:0123*", &doc));
}

#[test]
fn search_lower_case_operators_are_terms() {
    let doc = Doc::item().with("title", &["Salt and pepper"]);
    assert!(m("salt and pepper", &doc));
    assert!(m("title:and", &doc));
    let other = Doc::item().with("title", &["Salt pepper"]);
    assert!(!m("salt and pepper", &other));
    assert!(!m("salt or pepper", &other));
    assert!(m("salt OR or", &other));
}

#[test]
fn search_escapes() {
    let doc = Doc::item()
        .with("title", &["a:b"])
        .with("owner", &["odd:name"]);
    assert!(m("owner:odd:name", &doc)); // a value may contain colons
    assert!(m("owner:odd\\:name", &doc));
    assert!(m("title:\"a:b\"", &doc));
    assert!(m("a\\:b", &doc));
    assert!(m(
        "title:\"say \\\"a\\\" b\"",
        &Doc::item().with("title", &["say \"a\" b"])
    ));
    let star = Doc::item().with("owner", &["x*"]);
    assert!(m("owner:x\\*", &star));
    assert!(!m("owner:x\\*", &Doc::item().with("owner", &["xy"])));
}

#[test]
fn search_boost_and_fuzziness_suffixes_are_ignored() {
    let doc = web_map();
    assert!(m("wildfire^5", &doc));
    assert!(m("title:wildfire^2.5 owner:jdoe", &doc));
    assert!(m("\"wildfire map\"^3", &doc));
    assert!(m("(wildfire OR nothing)^2", &doc));
    assert!(m("wildfire~", &doc));
    assert!(m("wildfire~0.8", &doc));
    assert!(!m("title:a^b", &doc)); // not a boost: part of the word
}

#[test]
fn search_unicode_terms() {
    let doc = Doc::item().with("title", &["Straßen in München"]);
    assert!(m("münchen", &doc));
    assert!(m("MÜNCHEN", &doc));
    assert!(m("title:\"straßen in\"", &doc));
    assert!(m("straß*", &doc));
}

// --- operators ------------------------------------------------------------------------------

#[test]
fn search_and_or_not() {
    let doc = web_map();
    assert!(m("owner:jdoe AND type:map", &doc));
    assert!(!m("owner:jdoe AND type:table", &doc));
    assert!(m("owner:alice OR type:map", &doc));
    assert!(!m("owner:alice OR type:table", &doc));
    assert!(m("owner:jdoe NOT type:table", &doc));
    assert!(!m("owner:jdoe NOT type:map", &doc));
    assert!(m("owner:jdoe AND NOT type:table", &doc));
    assert!(m("owner:jdoe && type:map", &doc));
    assert!(m("owner:alice || type:map", &doc));
    assert!(m("NOT owner:alice", &doc));
    assert!(!m("NOT owner:jdoe", &doc));
    assert!(m("NOT NOT owner:jdoe", &doc));
}

#[test]
fn search_implicit_operator_is_and() {
    let doc = web_map();
    assert!(m("wildfire california", &doc));
    assert!(!m("wildfire nevada", &doc));
    assert!(m("owner:jdoe type:map", &doc));
    assert!(!m("owner:jdoe type:table", &doc));
    assert!(m("owner:jdoe (type:map)", &doc));
}

#[test]
fn search_precedence_or_binds_loosest() {
    let doc = Doc::item().with("title", &["a"]);
    // a OR (b AND c)
    assert!(m("title:a OR title:b title:c", &doc));
    assert!(m("title:a OR title:b AND title:c", &doc));
    // (a OR b) AND c
    assert!(!m("(title:a OR title:b) title:c", &doc));
    // NOT binds tighter than AND and OR
    assert!(m("NOT title:b AND title:a", &doc));
    assert!(m("NOT title:a OR title:a", &doc));
}

#[test]
fn search_minus_and_plus_prefixes() {
    let doc = web_map();
    assert!(m("owner:jdoe -type:table", &doc));
    assert!(!m("owner:jdoe -type:map", &doc));
    assert!(m("+owner:jdoe +type:map", &doc));
    assert!(!m("owner:jdoe -(type:table OR tags:fire)", &doc));
    assert!(m("owner:jdoe -(type:table OR tags:water)", &doc));
    assert!(m("-\"nothing here\"", &doc));
    assert!(!m("-\"wildfire map\"", &doc));
    assert!(m("--owner:jdoe", &doc));
    // A '-' inside a word or followed by a space is not an operator.
    let dashed = Doc::item()
        .with("title", &["Smith - Jones"])
        .with("owner", &["a-b"]);
    assert!(m("owner:a-b", &dashed));
    assert!(m("smith - jones", &dashed));
    assert!(m("owner:-x OR smith", &dashed));
}

#[test]
fn search_field_scoped_groups() {
    let doc = web_map();
    assert!(m("type:(\"Map Area\" OR \"Web Map\")", &doc));
    assert!(!m("type:(\"Map Area\" OR \"Code Attachment\")", &doc));
    assert!(m(
        "typekeywords:(\"ArcGIS Online\" AND \"Explorer Web Map\")",
        &doc
    ));
    assert!(!m("typekeywords:(\"ArcGIS Online\" AND \"Nope\")", &doc));
    assert!(m("typekeywords:(\"ArcGIS Online\" -\"Nope\")", &doc));
    // A field inside the group overrides the group's field.
    assert!(m("type:(\"Web Map\" AND owner:jdoe)", &doc));
    assert!(!m("type:(\"Web Map\" AND owner:alice)", &doc));
    // Nested groups keep the field.
    assert!(m("tags:((fire OR water) AND california)", &doc));
    assert!(m("title:(wildfire map)", &doc));
    assert!(!m("title:(wildfire table)", &doc));
}

#[test]
fn search_date_ranges() {
    let doc = web_map(); // created 1249084800000, modified 1249548000000
    assert!(m(
        "created:[0000001249084800000 TO 0000001249548000000]",
        &doc
    ));
    assert!(m("created: [1249084800000 TO 1249084800000]", &doc));
    assert!(!m("created:{1249084800000 TO 1249548000000]", &doc));
    assert!(m(
        "modified:[0000001249084800000 TO 0000001249548000000]",
        &doc
    ));
    assert!(!m(
        "modified:[0000001249084800000 TO 0000001249548000000}",
        &doc
    ));
    assert!(m("modified:{1249084800000 TO 1249548000001}", &doc));
    assert!(m("created:[* TO 1249084800000]", &doc));
    assert!(!m("created:[1249084800001 TO *]", &doc));
    assert!(m("created:[* TO *]", &doc));
    assert!(!m("created:[* TO *]", &Doc::item()));
    assert!(m("created:0001249084800000", &doc));
    assert!(!m("created:1249084800001", &doc));
    assert!(m("owner:jdoe AND created:[1 TO 9999999999999]", &doc));
    assert!(!m("-created:[1 TO 9999999999999]", &doc));
    // Text ranges compare lower-cased text.
    assert!(m("owner:[a TO k]", &doc));
    assert!(!m("owner:[k TO z]", &doc));
}

// --- what the clients send ------------------------------------------------------------------

const PYTHON_CREDENTIALS: &str = "owner: jdoe  -typekeywords:(\"MapAreaPackage\") -type:(\"Map Area\" OR \"Indoors Map Configuration\" OR \"Code Attachment\") (type:(\"Application\" AND typekeywords:\"Registered App\" AND typekeywords:\"APIToken\"))";

#[test]
fn search_python_developer_credentials_query() {
    let key = api_key("jdoe", "Application", &["Registered App", "APIToken"]);
    assert!(m(PYTHON_CREDENTIALS, &key));
    let upper = api_key(
        "JDoe",
        "Application",
        &["registered app", "apitoken", "Other"],
    );
    assert!(m(PYTHON_CREDENTIALS, &upper));

    let someone_else = api_key("alice", "Application", &["Registered App", "APIToken"]);
    assert!(!m(PYTHON_CREDENTIALS, &someone_else));
    let not_a_key = api_key("jdoe", "Application", &["Registered App"]);
    assert!(!m(PYTHON_CREDENTIALS, &not_a_key));
    let map_area_package = api_key(
        "jdoe",
        "Application",
        &["Registered App", "APIToken", "MapAreaPackage"],
    );
    assert!(!m(PYTHON_CREDENTIALS, &map_area_package));
    let map_area = api_key("jdoe", "Map Area", &["Registered App", "APIToken"]);
    assert!(!m(PYTHON_CREDENTIALS, &map_area));
    let web_app = api_key(
        "jdoe",
        "Web Mapping Application",
        &["Registered App", "APIToken"],
    );
    assert!(!m(PYTHON_CREDENTIALS, &web_app));
    assert!(!m(PYTHON_CREDENTIALS, &web_map()));
}

#[test]
fn search_rest_js_queries() {
    let doc = web_map();
    let share_check =
        "id: 0123456789abcdef0123456789abcdef AND group: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";
    assert!(m(share_check, &doc));
    let other_group =
        "id: 0123456789abcdef0123456789abcdef AND group: bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb";
    assert!(!m(other_group, &doc));
    let other_item =
        "id: fedcba9876543210fedcba9876543210 AND group: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";
    assert!(!m(other_item, &doc));

    let mine = Doc::item()
        .with("owner", &["jdoe"])
        .with("title", &["My Item"]);
    assert!(m("owner:jdoe AND title:\"My Item\"", &mine));
    assert!(!m("owner:jdoe AND title:\"My Other Item\"", &mine));
    assert!(!m("owner:alice AND title:\"My Item\"", &mine));
}

#[test]
fn search_parse_shape_of_python_query() {
    use ast::{Node, Value};
    let Node::And(clauses) = q(PYTHON_CREDENTIALS).root else {
        panic!("expected a conjunction");
    };
    // owner, NOT typekeywords, NOT (type OR type OR type), then the last group's three clauses
    // (nested conjunctions are flattened).
    assert_eq!(clauses.len(), 6);
    assert_eq!(
        clauses[0],
        Node::Term {
            field: Some("owner".into()),
            value: Value::word("jdoe", false)
        }
    );
    assert!(matches!(clauses[1], Node::Not(_)));
    assert!(
        matches!(&clauses[2], Node::Not(inner) if matches!(**inner, Node::Or(ref v) if v.len() == 3))
    );
    let phrase = |field: &str, text: &str| Node::Term {
        field: Some(field.into()),
        value: Value::phrase(text),
    };
    assert_eq!(clauses[3], phrase("type", "Application"));
    assert_eq!(clauses[4], phrase("typekeywords", "Registered App"));
    assert_eq!(clauses[5], phrase("typekeywords", "APIToken"));
}

// --- properties -----------------------------------------------------------------------------

const VOCABULARY: &[&str] = &[
    "alpha", "beta", "gamma", "web", "map", "jdoe", "alice", "app", "fire",
];
const FIELDS: &[&str] = &["title", "tags", "owner", "type", "typekeywords", "snippet"];
const TYPES: &[&str] = &["Web Map", "Application", "Map Area", "Feature Service"];

fn vocab() -> impl Strategy<Value = &'static str> {
    prop::sample::select(VOCABULARY)
}

fn leaf() -> impl Strategy<Value = String> {
    let field = prop::sample::select(FIELDS);
    prop_oneof![
        vocab().prop_map(str::to_string),
        (field.clone(), vocab()).prop_map(|(f, w)| format!("{f}:{w}")),
        (field.clone(), vocab(), vocab()).prop_map(|(f, a, b)| format!("{f}:\"{a} {b}\"")),
        (field.clone(), prop::sample::select(TYPES)).prop_map(|(f, t)| format!("{f}: \"{t}\"")),
        (field, vocab()).prop_map(|(f, w)| format!("{f}:{}*", &w[..2])),
        Just("*".to_string()),
        (0u64..20, 0u64..20).prop_map(|(a, b)| format!("created:[{a:03} TO {b}]")),
        (0u64..20, 0u64..20).prop_map(|(a, b)| format!("modified:{{{a} TO {b}}}")),
    ]
}

fn query() -> impl Strategy<Value = String> {
    leaf().prop_recursive(4, 24, 3, |inner| {
        prop_oneof![
            (inner.clone(), inner.clone()).prop_map(|(a, b)| format!("({a}) OR ({b})")),
            (inner.clone(), inner.clone()).prop_map(|(a, b)| format!("({a}) AND ({b})")),
            (inner.clone(), inner.clone()).prop_map(|(a, b)| format!("({a}) ({b})")),
            (inner.clone(), inner.clone()).prop_map(|(a, b)| format!("({a}) || -({b})")),
            inner.clone().prop_map(|a| format!("NOT ({a})")),
            inner.clone().prop_map(|a| format!("-({a})")),
            (prop::sample::select(FIELDS), inner).prop_map(|(f, a)| format!("{f}:({a})")),
        ]
    })
}

fn as_refs(values: &[String]) -> Vec<&str> {
    values.iter().map(String::as_str).collect()
}

fn words_from_vocab(max: usize) -> impl Strategy<Value = Vec<String>> {
    prop::collection::vec(vocab().prop_map(str::to_string), 0..max)
}

fn document() -> impl Strategy<Value = Doc> {
    (
        words_from_vocab(5),
        words_from_vocab(3),
        prop::sample::select(VOCABULARY),
        prop::sample::select(TYPES),
        words_from_vocab(3),
        words_from_vocab(4),
        0u64..20,
        0u64..20,
    )
        .prop_map(
            |(title, tags, owner, item_type, keywords, snippet, created, modified)| {
                Doc::item()
                    .with("title", &[title.join(" ").as_str()])
                    .with("tags", &as_refs(&tags))
                    .with("owner", &[owner])
                    .with("type", &[item_type])
                    .with("typekeywords", &as_refs(&keywords))
                    .with("snippet", &[snippet.join(", ").as_str()])
                    .with("created", &[created.to_string().as_str()])
                    .with("modified", &[modified.to_string().as_str()])
            },
        )
}

/// Characters and fragments that exercise every branch of the lexer.
const SOUP: &[&str] = &[
    "AND", "OR", "NOT", "TO", "&&", "||", "(", ")", "\"", ":", "-", "+", "*", "[", "]", "{", "}",
    "^2", "~", "\\", " ", "  ", "title:", "type:", "created:", "owner: ", "and", "é", "\u{0}",
    "\t",
];

fn token_soup() -> impl Strategy<Value = String> {
    let piece = prop_oneof![
        prop::sample::select(SOUP).prop_map(str::to_string),
        "[a-z0-9]{1,4}",
    ];
    prop::collection::vec(piece, 0..40).prop_map(|pieces| pieces.concat())
}

fn parsed(query: &str) -> Result<Query, TestCaseError> {
    parse(query).map_err(|e| TestCaseError::fail(format!("{query:?}: {e:?}")))
}

fn keyword(word: &str) -> bool {
    matches!(word, "AND" | "OR" | "NOT")
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn search_prop_parse_never_panics(input in any::<String>()) {
        if let Ok(parsed) = parse(&input) {
            let _ = parsed.matches(&web_map());
        }
    }

    #[test]
    fn search_prop_parse_never_panics_on_query_like_input(input in token_soup()) {
        if let Ok(parsed) = parse(&input) {
            let _ = parsed.matches(&web_map());
            let _ = parsed.matches(&Doc::group());
        }
    }

    #[test]
    fn search_prop_printable_ascii_never_panics(input in "[ -~]{0,120}") {
        if let Ok(parsed) = parse(&input) {
            let _ = parsed.matches(&web_map());
        }
    }

    #[test]
    fn search_prop_term_matches_its_own_title(term in "[\\p{L}\\p{N}]{1,12}") {
        prop_assume!(!keyword(&term));
        let doc = Doc::item().with("title", &[term.as_str()]);
        prop_assert!(parsed(&term)?.matches(&doc));
        let ok = parsed(&format!("title:{term}"))?.matches(&doc);
        prop_assert!(ok);
        let ok = parsed(&format!("\"{term}\""))?.matches(&doc);
        prop_assert!(ok);
        let ok = parsed(&format!("{term}*"))?.matches(&doc);
        prop_assert!(ok);
        let ok = !parsed(&format!("NOT {term}"))?.matches(&doc);
        prop_assert!(ok);
    }

    #[test]
    fn search_prop_ascii_terms_match_in_any_case(term in "[a-zA-Z0-9]{1,12}") {
        let upper = term.to_ascii_uppercase();
        prop_assume!(!keyword(&upper) && !keyword(&term));
        let doc = Doc::item()
            .with("title", &[format!("x {} y", term.to_ascii_lowercase()).as_str()])
            .with("owner", &[term.to_ascii_lowercase().as_str()]);
        prop_assert!(parsed(&upper)?.matches(&doc));
        let ok = parsed(&format!("OWNER:{upper}"))?.matches(&doc);
        prop_assert!(ok);
    }

    #[test]
    fn search_prop_generated_queries_parse(query in query()) {
        parsed(&query)?;
    }

    #[test]
    fn search_prop_not_is_complement(x in query(), doc in document()) {
        let plain = parsed(&x)?.matches(&doc);
        prop_assert_eq!(parsed(&format!("NOT ({x})"))?.matches(&doc), !plain);
        prop_assert_eq!(parsed(&format!("-({x})"))?.matches(&doc), !plain);
        prop_assert_eq!(parsed(&format!("NOT NOT ({x})"))?.matches(&doc), plain);
        prop_assert_eq!(parsed(&format!("NOT (NOT ({x}))"))?.matches(&doc), plain);
        prop_assert_eq!(parsed(&format!("+({x})"))?.matches(&doc), plain);
    }

    #[test]
    fn search_prop_or_and_are_boolean(a in query(), b in query(), doc in document()) {
        let ma = parsed(&a)?.matches(&doc);
        let mb = parsed(&b)?.matches(&doc);
        prop_assert_eq!(parsed(&format!("({a}) OR ({b})"))?.matches(&doc), ma || mb);
        prop_assert_eq!(parsed(&format!("({a}) || ({b})"))?.matches(&doc), ma || mb);
        prop_assert_eq!(parsed(&format!("({a}) AND ({b})"))?.matches(&doc), ma && mb);
        prop_assert_eq!(parsed(&format!("({a}) && ({b})"))?.matches(&doc), ma && mb);
        prop_assert_eq!(parsed(&format!("({a}) ({b})"))?.matches(&doc), ma && mb);
        prop_assert_eq!(parsed(&format!("({a}) -({b})"))?.matches(&doc), ma && !mb);
    }

    #[test]
    fn search_prop_phrase_of_consecutive_title_words_matches(
        title in prop::collection::vec("[a-z]{1,8}", 1..8),
        start in 0usize..8,
        len in 1usize..4,
    ) {
        let start = start % title.len();
        let end = (start + len).min(title.len());
        let phrase = title[start..end].join(" ");
        let doc = Doc::item().with("title", &[title.join(" ").as_str()]);
        let ok = parsed(&format!("title:\"{phrase}\""))?.matches(&doc);
        prop_assert!(ok);
        let ok = parsed(&format!("\"{}\"", phrase.to_uppercase()))?.matches(&doc);
        prop_assert!(ok);
    }

    #[test]
    fn search_prop_ranges_agree_with_numbers(
        value in 0u64..1_000,
        low in 0u64..1_000,
        high in 0u64..1_000,
        low_inclusive: bool,
        high_inclusive: bool,
    ) {
        let doc = Doc::item().with("created", &[value.to_string().as_str()]);
        let query = format!(
            "created:{}{low:010} TO {high:07}{}",
            if low_inclusive { '[' } else { '{' },
            if high_inclusive { ']' } else { '}' },
        );
        let above = if low_inclusive { value >= low } else { value > low };
        let below = if high_inclusive { value <= high } else { value < high };
        prop_assert_eq!(parsed(&query)?.matches(&doc), above && below);
    }
}
