//! Lenient decoding of ArcGIS parameters: query string, urlencoded form and multipart merged;
//! lists as comma lists or JSON arrays; booleans in any case; JSON objects as text.

use std::collections::HashMap;

use keyportal_domain::text::check_no_nul;
use keyportal_domain::DomainError;
use serde_json::Value;

/// The longest single parameter value accepted (larger uploads are not stored).
const MAX_VALUE_BYTES: usize = 1024 * 1024;

/// Request parameters by name, in request order (the query's, then the body's).
///
/// How a name is resolved, whatever the spelling clients use (`token`, `TOKEN`, `serverURL`
/// for `serverUrl`):
/// 1. the values sent under exactly that name, if any;
/// 2. otherwise those of the first spelling, in request order, that equals the name ignoring
///    ASCII case (so `TOKEN=a&Token=b` reads `a` for `token`).
///
/// Within one spelling, a single value is the last one sent, so the body overrides the query
/// (`?f=html` with a body `f=json` reads `json`); a list takes them all (the Python client
/// sends list entries as repeated fields). Nothing depends on hashing order.
#[derive(Debug, Clone, Default)]
pub struct Params {
    /// Each spelling once, in the order it first appeared, with its values in order.
    entries: Vec<(String, Vec<String>)>,
    /// Exact spelling → position in `entries`.
    index: HashMap<String, usize>,
}

fn bad(name: &str, expected: &str) -> DomainError {
    DomainError::invalid_with(
        format!("Invalid value for '{name}'."),
        vec![format!("'{name}' must be {expected}.")],
    )
}

impl Params {
    pub fn insert(&mut self, name: String, value: String) {
        match self.index.get(&name) {
            Some(&at) => self.entries[at].1.push(value),
            None => {
                self.index.insert(name.clone(), self.entries.len());
                self.entries.push((name, vec![value]));
            }
        }
    }

    /// Adds `name=value` pairs from urlencoded text.
    pub fn extend_urlencoded(&mut self, text: &[u8]) {
        for (k, v) in form_urlencoded::parse(text) {
            self.insert(k.into_owned(), v.into_owned());
        }
    }

    /// Every value of a name, resolved as the type's documentation says.
    fn all(&self, name: &str) -> Option<&[String]> {
        let at = match self.index.get(name) {
            Some(&at) => at,
            None => self
                .entries
                .iter()
                .position(|(k, _)| k.eq_ignore_ascii_case(name))?,
        };
        Some(self.entries[at].1.as_slice())
    }

    /// The raw value (the last one when the name repeats).
    pub fn raw(&self, name: &str) -> Option<&str> {
        self.all(name)
            .and_then(|values| values.last())
            .map(String::as_str)
    }

    /// A value that is present; empty strings count as present.
    pub fn str(&self, name: &str) -> Option<&str> {
        self.raw(name)
    }

    /// A value that is present and not blank, trimmed.
    pub fn text(&self, name: &str) -> Option<&str> {
        self.raw(name).map(str::trim).filter(|v| !v.is_empty())
    }

    /// A required, non-blank value.
    pub fn required(&self, name: &str) -> Result<&str, DomainError> {
        self.text(name)
            .ok_or_else(|| DomainError::invalid(format!("'{name}' must be specified.")))
    }

    /// `true`/`false` in any case; blank means absent.
    pub fn bool(&self, name: &str) -> Result<Option<bool>, DomainError> {
        match self.text(name).map(str::to_ascii_lowercase).as_deref() {
            None => Ok(None),
            Some("true") => Ok(Some(true)),
            Some("false") => Ok(Some(false)),
            Some(_) => Err(bad(name, "true or false")),
        }
    }

    /// An integer; blank means absent.
    pub fn i64(&self, name: &str) -> Result<Option<i64>, DomainError> {
        match self.text(name) {
            None => Ok(None),
            Some(v) => v
                .parse::<i64>()
                .map(Some)
                .or_else(|_| {
                    // Some clients send integral numbers as floats ("60.0").
                    v.parse::<f64>()
                        .ok()
                        .filter(|f| f.fract() == 0.0 && f.abs() < 9.0e15)
                        .map(|f| Some(f as i64))
                        .ok_or(())
                })
                .map_err(|_| bad(name, "an integer")),
        }
    }

    /// A non-negative count, capped.
    pub fn count(&self, name: &str, default: usize, max: usize) -> Result<usize, DomainError> {
        match self.i64(name)? {
            None => Ok(default),
            Some(v) if v < 0 => Err(bad(name, "zero or a positive integer")),
            Some(v) => Ok(usize::try_from(v).unwrap_or(max).min(max)),
        }
    }

    /// A list sent as `a,b`, as a JSON array `["a","b"]`, or as the same name repeated (each
    /// repetition in either form). Blank or `[]` is an empty list.
    pub fn list(&self, name: &str) -> Result<Option<Vec<String>>, DomainError> {
        let Some(values) = self.all(name) else {
            return Ok(None);
        };
        let mut out = Vec::new();
        for value in values {
            out.extend(Self::list_value(name, value)?);
        }
        Ok(Some(out))
    }

    fn list_value(name: &str, raw: &str) -> Result<Vec<String>, DomainError> {
        let trimmed = raw.trim();
        if trimmed.is_empty() {
            return Ok(Vec::new());
        }
        if trimmed.starts_with('[') {
            let values: Vec<Value> =
                serde_json::from_str(trimmed).map_err(|_| bad(name, "a JSON array of strings"))?;
            return values
                .into_iter()
                .map(|v| match v {
                    Value::String(s) => Ok(s),
                    Value::Number(n) => Ok(n.to_string()),
                    _ => Err(bad(name, "a JSON array of strings")),
                })
                .collect::<Result<Vec<_>, _>>();
        }
        Ok(trimmed
            .split(',')
            .map(|s| s.trim().to_string())
            .filter(|s| !s.is_empty())
            .collect())
    }

    /// A JSON value sent as text; blank means absent, `null` means "clear".
    pub fn json(&self, name: &str) -> Result<Option<Value>, DomainError> {
        match self.text(name) {
            None => Ok(None),
            Some(text) => serde_json::from_str(text)
                .map(Some)
                .map_err(|_| bad(name, "valid JSON")),
        }
    }

    /// Checks the size of every value once, so handlers need not.
    pub fn check_sizes(&self) -> Result<(), DomainError> {
        match self
            .entries
            .iter()
            .find(|(_, values)| values.iter().map(String::len).sum::<usize>() > MAX_VALUE_BYTES)
        {
            Some((k, _)) => Err(DomainError::invalid(format!(
                "'{}' is larger than {} bytes.",
                printable_name(k),
                MAX_VALUE_BYTES
            ))),
            None => Ok(()),
        }
    }

    /// Refuses any parameter (name or value) holding U+0000, which no stored text may hold
    /// (PostgreSQL cannot): a backstop under the domain's per-field rules, so no handler can
    /// pass one to the store by oversight. The first offender in request order is named.
    pub fn check_no_nul(&self) -> Result<(), DomainError> {
        for (name, values) in &self.entries {
            check_no_nul(&printable_name(name), name)?;
            for value in values {
                check_no_nul(&printable_name(name), value)?;
            }
        }
        Ok(())
    }
}

/// A parameter name as it may appear in a message: shortened, control characters replaced.
fn printable_name(name: &str) -> String {
    keyportal_domain::ids::shorten(name)
        .chars()
        .map(|c| if c.is_control() { '\u{fffd}' } else { c })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn params(pairs: &[(&str, &str)]) -> Params {
        let mut p = Params::default();
        for (k, v) in pairs {
            p.insert(k.to_string(), v.to_string());
        }
        p
    }

    #[test]
    fn lists_accept_comma_lists_and_json_arrays() {
        let p = params(&[
            ("a", "x, y,,z"),
            ("b", r#"["x","y"]"#),
            ("c", ""),
            ("d", "[]"),
            ("e", "[1,"),
        ]);
        assert_eq!(
            p.list("a").ok().flatten(),
            Some(vec!["x".into(), "y".into(), "z".into()])
        );
        assert_eq!(
            p.list("b").ok().flatten(),
            Some(vec!["x".into(), "y".into()])
        );
        assert_eq!(p.list("c").ok().flatten(), Some(vec![]));
        assert_eq!(p.list("d").ok().flatten(), Some(vec![]));
        assert!(p.list("e").is_err());
        assert_eq!(p.list("missing").ok().flatten(), None);
    }

    #[test]
    fn booleans_and_integers_are_lenient_but_strict_on_garbage() {
        let p = params(&[
            ("t", "TRUE"),
            ("f", "false"),
            ("x", "yes"),
            ("n", "60"),
            ("fl", "60.0"),
            ("bad", "6x"),
        ]);
        assert_eq!(p.bool("t").ok().flatten(), Some(true));
        assert_eq!(p.bool("f").ok().flatten(), Some(false));
        assert!(p.bool("x").is_err());
        assert_eq!(p.i64("n").ok().flatten(), Some(60));
        assert_eq!(p.i64("fl").ok().flatten(), Some(60));
        assert!(p.i64("bad").is_err());
    }

    #[test]
    fn repeated_names_are_lists_and_the_last_single_value_wins() {
        let mut p = Params::default();
        p.extend_urlencoded(b"httpReferrers=https%3A%2F%2Fone.example.com&httpReferrers=https%3A%2F%2Ftwo.example.com&title=a&title=b");
        assert_eq!(
            p.list("httpReferrers").ok().flatten(),
            Some(vec![
                "https://one.example.com".into(),
                "https://two.example.com".into()
            ])
        );
        assert_eq!(p.text("title"), Some("b"));
    }

    #[test]
    fn names_fall_back_to_any_case() {
        let p = params(&[("serverURL", "x")]);
        assert_eq!(p.text("serverUrl"), Some("x"));
    }

    #[test]
    fn the_exact_name_wins_then_the_first_spelling_in_request_order() {
        let mut p = Params::default();
        p.extend_urlencoded(b"TOKEN=upper&Token=title&x=1");
        assert_eq!(
            p.text("token"),
            Some("upper"),
            "first spelling in request order"
        );
        p.extend_urlencoded(b"token=exact&TOKEN=later");
        assert_eq!(p.text("token"), Some("exact"), "the exact name first");
        assert_eq!(
            p.text("TOKEN"),
            Some("later"),
            "each spelling reads its own values"
        );
        // Within one spelling the last value wins: the body (read after the query) overrides.
        let mut q = Params::default();
        q.extend_urlencoded(b"f=html&Q=a");
        q.extend_urlencoded(b"f=json&Q=b");
        assert_eq!(q.text("f"), Some("json"));
        assert_eq!(q.text("q"), Some("b"));
        assert_eq!(
            q.list("q").ok().flatten(),
            Some(vec!["a".into(), "b".into()])
        );
    }

    #[test]
    fn nul_bytes_are_refused_in_names_and_values() {
        let mut p = Params::default();
        p.extend_urlencoded(b"title=ok&description=a%00b");
        match p.check_no_nul() {
            Err(DomainError::Invalid { message, .. }) => {
                assert_eq!(message, "Invalid value for 'description'.")
            }
            other => panic!("expected Invalid, got {other:?}"),
        }
        let mut named = Params::default();
        named.extend_urlencoded(b"ti%00tle=x");
        assert!(named.check_no_nul().is_err());
        let mut fine = Params::default();
        fine.extend_urlencoded(b"title=a%01b&description=line%0Aline");
        assert_eq!(
            fine.check_no_nul(),
            Ok(()),
            "other characters are the fields' business"
        );
    }

    /// The resolution rule, written out independently of `Params`.
    fn expected(pairs: &[(String, String)], name: &str) -> Option<Vec<String>> {
        let values_of = |spelling: &str| -> Vec<String> {
            pairs
                .iter()
                .filter(|(k, _)| k == spelling)
                .map(|(_, v)| v.clone())
                .collect()
        };
        if pairs.iter().any(|(k, _)| k == name) {
            return Some(values_of(name));
        }
        let spelling = pairs.iter().find(|(k, _)| k.eq_ignore_ascii_case(name))?;
        Some(values_of(&spelling.0))
    }

    fn spelling() -> impl proptest::strategy::Strategy<Value = String> {
        proptest::prop_oneof![
            proptest::strategy::Just("token".to_string()),
            proptest::strategy::Just("TOKEN".to_string()),
            proptest::strategy::Just("Token".to_string()),
            proptest::strategy::Just("tOkEn".to_string()),
            proptest::strategy::Just("f".to_string()),
            proptest::strategy::Just("F".to_string()),
            "[a-z]{1,3}",
        ]
    }

    proptest::proptest! {
        /// Whatever spellings arrive in whatever order, every name reads as the rule says,
        /// and the query/body split only matters through request order.
        #[test]
        fn names_resolve_by_the_documented_rule(
            query in proptest::collection::vec((spelling(), "[a-z0-9]{0,4}"), 0..8),
            body in proptest::collection::vec((spelling(), "[a-z0-9]{0,4}"), 0..8),
        ) {
            let encode = |pairs: &[(String, String)]| {
                let mut out = form_urlencoded::Serializer::new(String::new());
                for (k, v) in pairs {
                    out.append_pair(k, v);
                }
                out.finish()
            };
            let mut p = Params::default();
            p.extend_urlencoded(encode(&query).as_bytes());
            p.extend_urlencoded(encode(&body).as_bytes());
            let all: Vec<(String, String)> = query.iter().chain(&body).cloned().collect();
            for name in ["token", "TOKEN", "Token", "f", "F", "x"] {
                let want = expected(&all, name);
                proptest::prop_assert_eq!(p.all(name).map(<[String]>::to_vec), want.clone(), "{}", name);
                let last = want.and_then(|values| values.last().cloned());
                proptest::prop_assert_eq!(p.raw(name).map(str::to_string), last, "{}", name);
            }
        }
    }
}
