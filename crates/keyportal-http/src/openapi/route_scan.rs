//! Reads the route registrations in `src/routes` as (method, path template) pairs, for the
//! coverage test: the same source-reading approach as the handler coverage of
//! `keyportal_domain::authz::coverage`, extended to resolve the path expressions the route
//! files use (string literals, `&format!("{r}/…")` built from `let` bindings and constants,
//! and the `/sharing/rest` root each `routes(r)` receives). An expression it cannot resolve
//! panics with its text, so a new way of writing routes fails loudly instead of being skipped.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use super::model::{Method, ANY, GET_OR_POST};

/// One registration: where it was found, its method, its template in OpenAPI form, and the
/// handler (`module::handler`) serving it.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Registration {
    pub file: String,
    pub method: Method,
    pub path: String,
    pub handler: String,
}

/// Every registration under `dir`, with `root` the value of the `r`/`root` parameter of each
/// `routes` function (what `routes::router` passes them).
pub fn scan_dir(dir: &Path, root: &str) -> Vec<Registration> {
    let mut files = Vec::new();
    collect(dir, &mut files);
    files.sort();
    let sources: Vec<(String, String)> = files
        .iter()
        .map(|f| {
            let name = f.strip_prefix(dir).unwrap_or(f).display().to_string();
            (name, std::fs::read_to_string(f).expect("route source"))
        })
        .collect();
    // Constants may be used from another file (`pages::SIGNIN_PATH`): gather them all first.
    let mut constants = BTreeMap::new();
    for (_, source) in &sources {
        for (name, value) in string_constants(source) {
            constants.insert(name, value);
        }
    }
    let mut found = Vec::new();
    for (name, source) in &sources {
        found.extend(scan_source(name, source, root, &constants));
    }
    found
}

fn collect(dir: &Path, files: &mut Vec<std::path::PathBuf>) {
    for entry in std::fs::read_dir(dir).expect("route directory") {
        let path = entry.expect("entry").path();
        if path.is_dir() {
            collect(&path, files);
        } else if path.extension().is_some_and(|e| e == "rs") {
            files.push(path);
        }
    }
}

/// `const NAME: &str = "value";` anywhere in a source.
fn string_constants(source: &str) -> Vec<(String, String)> {
    let mut found = Vec::new();
    for line in source.lines() {
        let Some(at) = line.find("const ") else {
            continue;
        };
        let rest = &line[at + "const ".len()..];
        let Some((name, rest)) = rest.split_once(": &str = \"") else {
            continue;
        };
        if let Some((value, _)) = rest.split_once('"') {
            found.push((name.trim().to_string(), value.to_string()));
        }
    }
    found
}

/// The registrations in one source. `let NAME = format!(…);` and `let NAME = "…";` bindings
/// are resolved in order, as are method routers held in a `let` (`let self_route: … = …;`).
pub fn scan_source(
    file: &str,
    source: &str,
    root: &str,
    constants: &BTreeMap<String, String>,
) -> Vec<Registration> {
    let mut bindings: BTreeMap<String, String> = constants.clone();
    for parameter in ["r", "root"] {
        if source.contains(&format!("fn routes({parameter}: &str)")) {
            bindings.insert(parameter.to_string(), root.to_string());
        }
    }
    let mut routers: BTreeMap<String, String> = BTreeMap::new();
    // Only the bindings written before the last registration: the handlers below may reuse
    // the names for other things.
    let registering = match source.rfind(".route(") {
        Some(at) => {
            let body = balanced(&source[at + ".route(".len()..]);
            &source[..at + ".route(".len() + body.len()]
        }
        None => "",
    };
    for statement in registering.split(';') {
        let Some(at) = statement.match_indices("let ").map(|(i, _)| i).find(|&i| {
            i == 0 || !statement[..i].ends_with(|c: char| c.is_alphanumeric() || c == '_')
        }) else {
            continue;
        };
        let Some((left, right)) = statement[at + "let ".len()..].split_once(" = ") else {
            continue;
        };
        let name = left.split(':').next().unwrap_or(left).trim().to_string();
        let right = right.trim();
        if right.starts_with("format!(") || right.starts_with('"') {
            if let Some(value) = try_resolve(right, &bindings) {
                bindings.insert(name, value);
            }
        } else if right.contains("MethodRouter") || left.contains("MethodRouter") {
            routers.insert(name, right.to_string());
        }
    }
    let module = module_of(file);
    let mut found = Vec::new();
    let mut rest = source;
    while let Some(at) = rest.find(".route(") {
        let body = balanced(&rest[at + ".route(".len()..]);
        let (path_expr, method_expr) = split_top_level_comma(body)
            .unwrap_or_else(|| panic!("{file}: a .route( without two arguments: {body}"));
        let path = try_resolve(path_expr.trim().trim_start_matches('&'), &bindings)
            .unwrap_or_else(|| panic!("{file}: cannot read the path of .route({body})"));
        let method_expr = method_expr.trim();
        let method_expr = routers
            .get(method_expr)
            .map(String::as_str)
            .unwrap_or(method_expr);
        let methods = methods_of(method_expr);
        assert!(!methods.is_empty(), "{file}: no method in .route({body})");
        for (method, handler) in methods {
            found.push(Registration {
                file: file.to_string(),
                method,
                path: openapi_template(&path),
                handler: format!("{module}::{handler}"),
            });
        }
        rest = &rest[at + ".route(".len()..];
    }
    found
}

fn module_of(file: &str) -> String {
    let stem = file.trim_end_matches(".rs").replace('/', "::");
    stem.strip_suffix("::mod")
        .map(str::to_string)
        .unwrap_or(stem)
}

/// The router's `{*rest}` catch-all is an ordinary `{rest}` parameter in OpenAPI.
fn openapi_template(path: &str) -> String {
    path.replace("{*", "{")
}

/// A string literal, a binding, `&format!("…")` with inline `{name}` arguments, or
/// `module::CONSTANT`.
fn try_resolve(expr: &str, bindings: &BTreeMap<String, String>) -> Option<String> {
    let expr = expr.trim();
    if let Some(literal) = expr.strip_prefix('"') {
        return Some(literal.strip_suffix('"')?.to_string());
    }
    if let Some(inner) = expr.strip_prefix("format!(") {
        let inner = inner.strip_suffix(')')?.trim().trim_end_matches(',');
        let template = inner.strip_prefix('"')?.strip_suffix('"')?;
        return expand(template, bindings);
    }
    let name = expr.rsplit("::").next()?;
    bindings.get(name).cloned()
}

/// `format!` with inline arguments only: `{{`/`}}` are braces, `{name}` a binding.
fn expand(template: &str, bindings: &BTreeMap<String, String>) -> Option<String> {
    let mut out = String::new();
    let mut chars = template.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '{' if chars.peek() == Some(&'{') => {
                chars.next();
                out.push('{');
            }
            '}' if chars.peek() == Some(&'}') => {
                chars.next();
                out.push('}');
            }
            '{' => {
                let name: String = chars.by_ref().take_while(|&c| c != '}').collect();
                out.push_str(bindings.get(&name)?);
            }
            c => out.push(c),
        }
    }
    Some(out)
}

/// `get_or_post(h)`, `get(h).post(h2)`, `post(h)`, `any(h)`, … → (method, handler) pairs.
fn methods_of(expr: &str) -> Vec<(Method, String)> {
    let mut found = Vec::new();
    let calls: [(&str, &[Method]); 6] = [
        ("get_or_post(", GET_OR_POST),
        ("any(", ANY),
        ("get(", &[Method::Get]),
        ("post(", &[Method::Post]),
        ("put(", &[Method::Put]),
        ("delete(", &[Method::Delete]),
    ];
    for (call, methods) in calls {
        let mut scan = expr;
        while let Some(i) = scan.find(call) {
            let preceded_by_ident = scan[..i]
                .chars()
                .next_back()
                .is_some_and(|c| c.is_alphanumeric() || c == '_');
            let after = &scan[i + call.len()..];
            scan = after;
            if preceded_by_ident {
                continue;
            }
            let handler: String = after
                .trim_start()
                .chars()
                .take_while(|c| c.is_alphanumeric() || *c == '_' || *c == ':')
                .collect();
            for method in methods {
                found.push((*method, handler.clone()));
            }
        }
    }
    found
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

/// Splits `a, b` at the first comma outside parentheses and string literals.
fn split_top_level_comma(text: &str) -> Option<(&str, &str)> {
    let mut depth = 0usize;
    let mut in_string = false;
    for (i, c) in text.char_indices() {
        match c {
            '"' => in_string = !in_string,
            '(' if !in_string => depth += 1,
            ')' if !in_string => depth = depth.saturating_sub(1),
            ',' if !in_string && depth == 0 => {
                let second = text[i + 1..].trim().trim_end_matches(',');
                return Some((&text[..i], second));
            }
            _ => {}
        }
    }
    None
}

/// The distinct (method, path) pairs.
pub fn pairs(registrations: &[Registration]) -> BTreeSet<(Method, String)> {
    registrations
        .iter()
        .map(|r| (r.method, r.path.clone()))
        .collect()
}
