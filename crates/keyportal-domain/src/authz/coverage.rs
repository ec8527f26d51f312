//! Route coverage: every handler a router registers must name the operations it asks
//! `authorize` about, so a new endpoint cannot be added without its row (design §2.11). The
//! HTTP and web crates each keep a table (`ROUTE_OPERATIONS`); a test in the binary crate
//! reads their sources and compares them with [`handlers_in`].

/// The handler names inside each `.route(…)` call: the argument of `get(…)`, `post(…)`,
/// `get_or_post(…)`, `any(…)`, `put(…)` and `delete(…)`.
pub fn handlers_in(source: &str) -> Vec<String> {
    let mut handlers = Vec::new();
    let mut rest = source;
    while let Some(at) = rest.find(".route(") {
        let body = balanced(&rest[at + ".route(".len()..]);
        for method in ["get_or_post(", "get(", "post(", "any(", "put(", "delete("] {
            let mut scan = body;
            while let Some(i) = scan.find(method) {
                let preceded_by_ident = scan[..i]
                    .chars()
                    .next_back()
                    .is_some_and(|c| c.is_alphanumeric() || c == '_');
                let after = &scan[i + method.len()..];
                scan = after;
                if preceded_by_ident {
                    continue;
                }
                let name: String = after
                    .trim_start()
                    .chars()
                    .take_while(|c| c.is_alphanumeric() || *c == '_' || *c == ':')
                    .collect();
                if !name.is_empty()
                    && after.trim_start()[name.len()..]
                        .trim_start()
                        .starts_with(')')
                {
                    handlers.push(name);
                }
            }
        }
        rest = &rest[at + ".route(".len()..];
    }
    handlers
}

/// The text up to the parenthesis that closes the one just opened.
fn balanced(text: &str) -> &str {
    let mut depth = 1usize;
    for (i, c) in text.char_indices() {
        match c {
            '(' => depth += 1,
            ')' => {
                depth -= 1;
                if depth == 0 {
                    return &text[..i];
                }
            }
            _ => {}
        }
    }
    text
}

#[cfg(test)]
mod tests {
    use super::handlers_in;

    #[test]
    fn finds_handlers_in_route_calls_only() {
        let source = r#"
            Router::new()
                .route(&format!("{g}/delete"), get_or_post(delete_group))
                .route("/verify", get(verify_get).post(verify_post))
                .route("/x", any(health::health));
            let not_a_route = get(other);
        "#;
        let mut found = handlers_in(source);
        found.sort();
        assert_eq!(
            found,
            [
                "delete_group",
                "health::health",
                "verify_get",
                "verify_post"
            ]
        );
    }
}
