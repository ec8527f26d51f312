//! The search query language of `GET|POST /sharing/rest/search` (items) and
//! `GET /sharing/rest/community/groups` (groups): parsing a `q` string into a [`Query`] and
//! deciding whether a document matches it.
//!
//! The language is the Lucene-like syntax the ArcGIS clients send:
//!
//! * bare terms (`streets`) and field terms (`owner:jdoe`, `owner: jdoe`); field names are
//!   case-insensitive;
//! * quoted phrases (`"Web Map"`, `title:"My Item"`), with `\` escaping any character;
//! * `AND` / `&&`, `OR` / `||`, `NOT` (operators only in upper case: `and`, `or` and `not` are
//!   ordinary terms), a leading `-` (prohibit) or `+` (require) on a term or group, parentheses and
//!   field-scoped groups (`type:("Map Area" OR "Code Attachment")`);
//! * `*` alone (everything), a trailing `*` for a prefix (`title:wild*`), `field:*` for "has a value";
//! * ranges `created:[0000001249084800000 TO 0000001249548000000]` (inclusive), `{a TO b}`
//!   (exclusive), either bound may be `*`;
//! * boost and fuzziness suffixes (`fire^5`, `roam~`) are accepted and ignored.
//!
//! **Implicit operator.** Two clauses with no operator between them are joined with `AND`. Esri's
//! portal help page "Use advanced search" (ArcGIS Enterprise 10.9.1 and 11.2,
//! enterprise.arcgis.com/en/portal/10.9.1/use/advanced-search.htm) says that `map services`
//! "returns items with both map and services in the field" while `"map services"` needs the words
//! in that order; older releases of the same page said "either". We follow the newer wording, which
//! is also the only reading under which the query the Python API sends to list developer
//! credentials (`owner: jdoe -typekeywords:(…) -type:(…) (type:(…))`) lists only that owner's
//! credentials. The REST JS client always writes `AND` explicitly. Precedence, loosest first: `OR`,
//! `AND` (explicit or implicit), then the prefixes `NOT` / `-` / `+`.
//!
//! **Matching** is case-insensitive everywhere and depends on the field (see [`Searchable`]):
//!
//! * `id`, `owner`, `orgid`, `group`, `access`, `username`, `tags`, `typekeywords`, `categories`:
//!   the value equals one of the field's values (phrases compared whole; `x*` is a prefix of it);
//! * `type`: a phrase equals the type; a bare word equals the type or one of its words
//!   (`type:map` matches "Web Map", `type:"Map"` does not);
//! * `created`, `modified`: numeric equality (leading zeros ignored) and ranges;
//! * `title`, `description`, `snippet` and any other field: the text is split into words on
//!   non-alphanumeric characters; a term matches a word (a word prefix with `*`), a phrase (or a
//!   term such as `foo-bar` that splits into several words) a run of consecutive words;
//! * an unqualified term matches when it matches any of the document's default fields.
//!
//! The parser is meant for untrusted input: it never panics, rejects queries longer than
//! [`MAX_QUERY_CHARS`] characters, nested deeper than [`MAX_DEPTH`] parentheses or holding a
//! term longer than [`limits::MAX_TERM_BYTES`] bytes (the index stores long words truncated,
//! see [`limits`]), and reports unbalanced quotes, parentheses and ranges with their position
//! (1-based, in characters).

use std::borrow::Cow;

use crate::error::DomainError;

mod ast;
pub mod groups;
pub mod items;
mod lexer;
pub mod limits;
mod matcher;
mod numbers;
pub mod oracle;
mod parser;
pub mod plan;
pub mod records;
pub mod users;

#[cfg(test)]
mod tests;

/// Longest accepted query, in characters.
pub const MAX_QUERY_CHARS: usize = 2048;

/// Deepest accepted nesting of parentheses (field-scoped groups included).
pub const MAX_DEPTH: usize = 32;

/// A document that can be matched against a [`Query`]: an item, a group, a user.
pub trait Searchable {
    /// Values of a field named in a query, lower-case field name (e.g. "title", "tags", "owner",
    /// "id", "type", "typekeywords", "group", "access", "orgid", "description", "snippet",
    /// "created", "modified"). Return an empty Vec for fields the document does not have.
    fn field_values(&self, field: &str) -> Vec<Cow<'_, str>>;

    /// Fields an unqualified term is matched against (e.g. title, tags, description, snippet,
    /// owner, type, typekeywords).
    fn default_fields(&self) -> &'static [&'static str];
}

/// A parsed search query.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Query {
    root: ast::Node,
}

/// Parses a `q` parameter. An empty or whitespace-only query is an error ("Query is required.");
/// `*` is the query that matches everything.
pub fn parse(q: &str) -> Result<Query, DomainError> {
    if q.trim().is_empty() {
        return Err(DomainError::invalid("Query is required."));
    }
    let length = q.chars().count();
    if length > MAX_QUERY_CHARS {
        return Err(invalid(format!(
            "Query is too long: {length} characters, at most {MAX_QUERY_CHARS}."
        )));
    }
    let tokens = lexer::tokenize(q)?;
    let root = parser::parse_tokens(tokens)?;
    Ok(Query { root })
}

impl Query {
    /// Whether `doc` satisfies the query.
    pub fn matches(&self, doc: &dyn Searchable) -> bool {
        matcher::matches(&self.root, doc)
    }

    /// Whether the query matches every document (`*`), so a caller can skip filtering.
    pub fn is_match_all(&self) -> bool {
        matches!(self.root, ast::Node::All)
    }
}

/// The error for a query that cannot be parsed: message "Invalid query.", one detail.
fn invalid(detail: String) -> DomainError {
    DomainError::invalid_with("Invalid query.", vec![detail])
}

/// A piece of user input short enough to quote in an error detail.
fn quote(value: &str) -> String {
    const MAX: usize = 32;
    if value.chars().count() <= MAX {
        value.to_string()
    } else {
        let mut cut: String = value.chars().take(MAX).collect();
        cut.push('…');
        cut
    }
}
