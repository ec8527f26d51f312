//! The document cannot drift from the router: these tests read the route registrations in
//! `src/routes` (`route_scan`) and compare them with the document.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use serde_json::Value;

use super::model::Method;
use super::route_scan::{pairs, scan_dir, scan_source, Registration};
use super::{document, operations};

const ROOT: &str = "/sharing/rest";

fn registrations() -> Vec<Registration> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("src")
        .join("routes");
    let found = scan_dir(&dir, ROOT);
    assert!(found.len() > 100, "the scan found the routes: {found:#?}");
    found
}

fn method_of(key: &str) -> Option<Method> {
    [
        Method::Get,
        Method::Post,
        Method::Put,
        Method::Patch,
        Method::Delete,
    ]
    .into_iter()
    .find(|m| m.key() == key)
}

/// (method, path) of every operation in the document.
fn documented(doc: &Value) -> BTreeSet<(Method, String)> {
    let mut found = BTreeSet::new();
    for (path, item) in doc["paths"].as_object().expect("paths") {
        for key in item.as_object().expect("path item").keys() {
            let method = method_of(key).unwrap_or_else(|| panic!("{path}: unknown method {key}"));
            found.insert((method, path.clone()));
        }
    }
    found
}

type Route = (Method, String);

/// What is registered but not documented, and what is documented but not registered.
fn mismatches(
    registered: &BTreeSet<Route>,
    documented: &BTreeSet<Route>,
) -> (Vec<Route>, Vec<Route>) {
    (
        registered.difference(documented).cloned().collect(),
        documented.difference(registered).cloned().collect(),
    )
}

#[test]
fn every_registered_route_is_documented_and_nothing_else() {
    let (undocumented, unregistered) =
        mismatches(&pairs(&registrations()), &documented(document()));
    assert!(
        undocumented.is_empty() && unregistered.is_empty(),
        "routes missing from the OpenAPI document: {undocumented:#?}\ndocumented routes the router does not have: {unregistered:#?}"
    );
}

#[test]
fn a_route_added_without_its_operation_fails_the_comparison() {
    let source = r#"
        pub fn routes(r: &str) -> Router<AppState> {
            let user = format!("{r}/content/users/{{owner}}");
            Router::new()
                .route(&format!("{user}/items/{{id}}/status"), get_or_post(item_status))
                .route(&format!("{r}/content/items/{{id}}/frobnicate"), post(frobnicate))
        }
    "#;
    let found = scan_source("dummy.rs", source, ROOT, &BTreeMap::new());
    let (undocumented, _) = mismatches(&pairs(&found), &documented(document()));
    assert_eq!(
        undocumented,
        [(
            Method::Post,
            format!("{ROOT}/content/items/{{id}}/frobnicate")
        )]
    );
}

#[test]
fn the_scan_reads_every_way_routes_are_written() {
    let mut constants = BTreeMap::new();
    constants.insert(
        "SIGNIN_PATH".to_string(),
        "/sharing/oauth2/signin".to_string(),
    );
    let source = r#"
        pub fn routes(root: &str) -> Router<AppState> {
            let base = format!("{root}/portals/self");
            let self_route: MethodRouter<AppState> = get_or_post(portals_self);
            Router::new()
                .route(&base, self_route)
                .route(pages::SIGNIN_PATH, post(signin))
                .route("/verify", get(verify_get).post(verify_post))
                .route("/services/{name}/{*rest}", any(forward_service))
        }
    "#;
    let found: BTreeSet<(Method, String, String)> =
        scan_source("x/mod.rs", source, ROOT, &constants)
            .into_iter()
            .map(|r| (r.method, r.path, r.handler))
            .collect();
    let expected: BTreeSet<(Method, String, String)> = [
        (Method::Get, "/sharing/rest/portals/self", "x::portals_self"),
        (
            Method::Post,
            "/sharing/rest/portals/self",
            "x::portals_self",
        ),
        (Method::Post, "/sharing/oauth2/signin", "x::signin"),
        (Method::Get, "/verify", "x::verify_get"),
        (Method::Post, "/verify", "x::verify_post"),
        (Method::Get, "/services/{name}/{rest}", "x::forward_service"),
        (
            Method::Post,
            "/services/{name}/{rest}",
            "x::forward_service",
        ),
        (Method::Put, "/services/{name}/{rest}", "x::forward_service"),
        (
            Method::Patch,
            "/services/{name}/{rest}",
            "x::forward_service",
        ),
        (
            Method::Delete,
            "/services/{name}/{rest}",
            "x::forward_service",
        ),
    ]
    .into_iter()
    .map(|(m, p, h)| (m, p.to_string(), h.to_string()))
    .collect();
    assert_eq!(found, expected);
}

/// `{name}` segments of a template.
fn template_names(path: &str) -> BTreeSet<String> {
    path.split('{')
        .skip(1)
        .filter_map(|rest| rest.split_once('}').map(|(name, _)| name.to_string()))
        .collect()
}

#[test]
fn every_path_parameter_is_declared_and_every_declared_one_is_in_the_path() {
    for (path, item) in document()["paths"].as_object().expect("paths") {
        for (method, operation) in item.as_object().expect("path item") {
            let declared: BTreeSet<String> = operation["parameters"]
                .as_array()
                .into_iter()
                .flatten()
                .filter(|p| p["in"] == "path")
                .map(|p| {
                    assert_eq!(p["required"], true, "{method} {path}: {p}");
                    p["name"].as_str().expect("name").to_string()
                })
                .collect();
            assert_eq!(declared, template_names(path), "{method} {path}");
        }
    }
}

#[test]
fn operation_ids_are_unique_and_rows_do_not_overlap() {
    let mut ids = BTreeSet::new();
    let mut seen = BTreeSet::new();
    for (path, item) in document()["paths"].as_object().expect("paths") {
        for operation in item.as_object().expect("path item").values() {
            let id = operation["operationId"].as_str().expect("operationId");
            assert!(
                ids.insert(id.to_string()),
                "operationId {id} twice ({path})"
            );
        }
    }
    for op in operations() {
        for method in op.methods {
            assert!(
                seen.insert((*method, op.path)),
                "{method:?} {} in two rows",
                op.path
            );
        }
    }
}

/// The parameter names a route file reads through `Params` (`p.text("q")`,
/// `limit_param(p, "perDay")`, …).
fn parameters_read(source: &str) -> BTreeSet<String> {
    let accessors = [
        "raw", "str", "text", "required", "bool", "i64", "count", "list", "json",
    ];
    let mut found = BTreeSet::new();
    for (i, _) in source.match_indices("(\"") {
        let before = &source[..i];
        let call: String = before
            .chars()
            .rev()
            .take_while(|c| c.is_alphanumeric() || *c == '_')
            .collect::<Vec<_>>()
            .into_iter()
            .rev()
            .collect();
        let is_accessor = accessors.contains(&call.as_str())
            && before[..before.len() - call.len()].ends_with('.');
        if !is_accessor {
            continue;
        }
        let name: String = source[i + 2..].chars().take_while(|&c| c != '"').collect();
        found.insert(name);
    }
    for (i, _) in source.match_indices("(p, \"") {
        let name: String = source[i + 5..].chars().take_while(|&c| c != '"').collect();
        found.insert(name);
    }
    found
}

/// The parameter names (query, header and body) of one documented operation.
fn documented_names(operation: &Value) -> BTreeSet<String> {
    let mut names: BTreeSet<String> = operation["parameters"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|p| p["name"].as_str().map(str::to_string))
        .collect();
    if operation["parameters"].as_array().is_some_and(|list| {
        list.iter()
            .any(|p| p["$ref"] == "#/components/parameters/token")
    }) {
        names.insert("token".into());
    }
    if let Some(content) = operation["requestBody"]["content"].as_object() {
        for media in content.values() {
            if let Some(properties) = media["schema"]["properties"].as_object() {
                names.extend(properties.keys().cloned());
            }
        }
    }
    names
}

/// Files that read the parameters of a route registered elsewhere: `tokens::oauth_token`
/// hands the user grants of `oauth2/token` to `oauth/mod.rs`.
const HANDED_OVER: &[(&str, &str)] = &[("oauth/mod.rs", "/sharing/rest/oauth2/token")];

#[test]
fn every_parameter_a_route_file_reads_is_documented() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("src")
        .join("routes");
    let doc = document();
    let mut by_file: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for r in registrations() {
        let operation = &doc["paths"][&r.path][r.method.key()];
        by_file
            .entry(r.file.clone())
            .or_default()
            .extend(documented_names(operation));
        // `f` is documented through a shared parameter on GET operations.
        if operation["parameters"].as_array().is_some_and(|list| {
            list.iter().any(|p| {
                p["$ref"]
                    .as_str()
                    .is_some_and(|r| r.starts_with("#/components/parameters/f"))
            })
        }) {
            by_file
                .entry(r.file.clone())
                .or_default()
                .insert("f".into());
        }
    }
    for (file, path) in HANDED_OVER {
        let names = documented_names(&doc["paths"][*path]["post"]);
        by_file.entry(file.to_string()).or_default().extend(names);
    }
    let mut checked = 0;
    for (file, names) in &by_file {
        let source = std::fs::read_to_string(dir.join(file)).expect("route source");
        let missing: Vec<String> = parameters_read(&source)
            .difference(names)
            .cloned()
            .collect();
        assert!(
            missing.is_empty(),
            "{file} reads parameters the document does not list: {missing:?}"
        );
        checked += 1;
    }
    assert!(checked > 15, "{by_file:?}");
}

#[test]
fn the_parameter_reader_finds_accessor_calls() {
    let source = r#"
        let a = p.text("alpha");
        let b = request.params.list("beta")?;
        let c = limit_param(p, "gamma")?;
        let d = format!("delta");
        let e = header("epsilon");
    "#;
    let found: Vec<String> = parameters_read(source).into_iter().collect();
    assert_eq!(found, ["alpha", "beta", "gamma"]);
}
