//! Every way into keyportal names the operations it asks `authorize` about (design §2.11):
//! the REST handlers (`keyportal_http::routes::operations`), the web pages
//! (`keyportal_web::operations`) and the CLI commands (`CLI_OPERATIONS` below). A handler or
//! command added without its row fails here, as does a row for something that is gone.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use clap::CommandFactory;
use keyportal_domain::authz::coverage::handlers_in;
use keyportal_domain::authz::OperationKind as K;

use crate::cli::Cli;

/// `command subcommand` → the operations it asks about as the system operator.
const CLI_OPERATIONS: &[(&str, &[K])] = &[
    ("serve", &[]),
    ("healthcheck", &[]),
    ("user add", &[K::CreateMember]),
    ("user list", &[K::ListMembers]),
    ("user set-role", &[K::ChangeMemberRole]),
    ("user set-user-type", &[K::ChangeMemberUserType]),
    ("user disable", &[K::DisableMember]),
    ("user enable", &[K::EnableMember]),
    (
        "credential list",
        &[K::ListCredentials, K::ListAllCredentials],
    ),
    ("credential show", &[K::ViewItem, K::ManageCredential]),
    (
        "credential create",
        &[
            K::AddItem,
            K::RegisterApp,
            K::UpdateItem,
            K::ManageCredential,
            K::DeleteItem,
            K::ViewItem,
        ],
    ),
    (
        "credential update",
        &[K::ViewItem, K::ManageCredential, K::UpdateItem],
    ),
    ("credential generate", &[K::ViewItem, K::ManageCredential]),
    ("credential regenerate", &[K::ViewItem, K::ManageCredential]),
    ("credential invalidate", &[K::ViewItem, K::ManageCredential]),
    ("credential limits", &[K::ViewItem, K::ManageCredential]),
    ("credential roll", &[K::ViewItem, K::ManageCredential]),
    (
        "credential delete",
        &[K::ViewItem, K::ManageCredential, K::DeleteItem],
    ),
    ("role list", &[K::ViewRoles]),
    ("role show", &[K::ViewRoles]),
    ("role create", &[K::CreateRole]),
    (
        "role set-privileges",
        &[K::ViewRoles, K::ChangeRolePrivileges],
    ),
    ("role delete", &[K::ViewRoles, K::DeleteRole]),
    ("item list", &[K::Search, K::ViewItem]),
    ("item show", &[K::ViewItem]),
    (
        "item share",
        &[
            K::ViewItem,
            K::ControlSharing,
            K::ShareItemAccess,
            K::ShareItemToGroup,
        ],
    ),
    // Prints a script generated from the argument definitions; touches no data.
    ("completions", &[]),
    // Prints the OpenAPI document built into the binary; touches no data.
    ("openapi", &[]),
    ("legacy import", &[K::ImportLegacyKeys]),
    ("legacy list", &[K::ListCredentials, K::ListAllLegacyKeys]),
    ("legacy retire", &[K::ManageSecuritySettings]),
    ("legacy invalidate", &[K::ViewItem, K::ManageLegacyKey]),
    (
        "legacy migrate",
        &[K::ViewItem, K::ManageLegacyKey, K::RegisterApp],
    ),
    (
        "usage",
        &[K::ViewOrgUsage, K::ListCredentials, K::ListAllCredentials],
    ),
    ("events", &[K::ViewOrgEvents]),
    ("proxy allow-list", &[K::ManageProxyAllowList]),
    // Prints a random key; touches no data.
    ("secret-key generate", &[]),
    // The operator's own copy of the whole database (as the database's owner, like `serve`):
    // nobody signs in, nothing is decided per member.
    ("backup", &[]),
    // Only into an empty database (no organization, no members yet), like `serve` creating one.
    ("restore", &[]),
];

fn crate_src(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("..")
        .join(name)
        .join("src")
}

fn module_name(root: &Path, file: &Path) -> String {
    let relative = file.strip_prefix(root).unwrap_or(file).with_extension("");
    let parts: Vec<String> = relative
        .components()
        .map(|c| c.as_os_str().to_string_lossy().into_owned())
        .collect();
    let joined = parts.join("::");
    match joined.strip_suffix("::mod") {
        Some(module) => module.to_string(),
        None => joined,
    }
}

fn registered(root: &Path, dir: &Path, found: &mut BTreeSet<String>) {
    for entry in std::fs::read_dir(dir).expect("source directory") {
        let path = entry.expect("entry").path();
        if path.is_dir() {
            registered(root, &path, found);
        } else if path.extension().is_some_and(|e| e == "rs") {
            let source = std::fs::read_to_string(&path).expect("source file");
            let module = module_name(root, &path);
            for handler in handlers_in(&source) {
                found.insert(format!("{module}::{handler}"));
            }
        }
    }
}

fn compare(what: &str, registered: BTreeSet<String>, table: &[(&str, &[K])]) {
    let listed: BTreeSet<String> = table.iter().map(|(h, _)| h.to_string()).collect();
    assert_eq!(listed.len(), table.len(), "{what}: a row appears twice");
    let unlisted: Vec<_> = registered.difference(&listed).collect();
    let stale: Vec<_> = listed.difference(&registered).collect();
    assert!(
        unlisted.is_empty() && stale.is_empty(),
        "{what}: handlers without a row in the operations table: {unlisted:?}; rows for handlers that are gone: {stale:?}"
    );
    for (handler, operations) in table {
        for operation in *operations {
            assert!(K::ALL.contains(operation), "{handler}: {operation:?}");
        }
    }
}

#[test]
fn every_rest_handler_has_its_operations() {
    let root = crate_src("keyportal-http").join("routes");
    let mut found = BTreeSet::new();
    registered(&root, &root, &mut found);
    assert!(found.len() > 50, "the scan found the routes: {found:?}");
    compare(
        "REST",
        found,
        keyportal_http::routes::operations::ROUTE_OPERATIONS,
    );
}

#[test]
fn every_web_page_has_its_operations() {
    let root = crate_src("keyportal-web");
    let mut found = BTreeSet::new();
    registered(&root, &root, &mut found);
    assert!(found.len() > 30, "the scan found the pages: {found:?}");
    compare("web", found, keyportal_web::operations::ROUTE_OPERATIONS);
}

#[test]
fn every_cli_command_has_its_operations() {
    let mut found = BTreeSet::new();
    for command in Cli::command().get_subcommands() {
        let mut leaves: Vec<String> = command
            .get_subcommands()
            .map(|sub| format!("{} {}", command.get_name(), sub.get_name()))
            .collect();
        if leaves.is_empty() {
            leaves.push(command.get_name().to_string());
        }
        found.extend(leaves.into_iter().filter(|name| !name.ends_with(" help")));
    }
    found.remove("help");
    compare("CLI", found, CLI_OPERATIONS);
}
