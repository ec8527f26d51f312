//! `keyportal role …`: the built-in and custom roles, through the same `Portal` methods as
//! the REST API. A changed role reaches the keys of its members on every node through the
//! `roles` change notice.

use clap::{Args, Subcommand};
use keyportal_domain::role::Role;
use keyportal_service::{Caller, Portal};
use serde_json::{json, Value};

use super::args::StorageArgs;
use super::dates::format_ms;
use super::outcome::{CommandResult, Failure, OutputArgs};
use super::user::open_portal;

#[derive(Debug, Args)]
pub struct RoleArgs {
    #[command(flatten)]
    pub storage: StorageArgs,
    #[command(flatten)]
    pub output: OutputArgs,
    #[command(subcommand)]
    pub command: RoleCommand,
}

#[derive(Debug, Subcommand)]
pub enum RoleCommand {
    /// Built-in roles, then custom roles by name.
    List,
    /// One role (by id or name) with its privileges.
    Show { role: String },
    /// Create a custom role.
    Create {
        #[arg(long)]
        name: String,
        #[arg(long, default_value = "")]
        description: String,
        /// A privilege, e.g. portal:user:createItem (repeat, or separate with commas)
        #[arg(long = "privilege", value_delimiter = ',', required = true)]
        privileges: Vec<String>,
    },
    /// Replace a custom role's privileges (its members are affected at once).
    SetPrivileges {
        role: String,
        #[arg(long = "privilege", value_delimiter = ',', required = true)]
        privileges: Vec<String>,
    },
    /// Delete a custom role that no member holds.
    Delete { role: String },
}

/// A role as `portals/self/roles/{id}` answers it, with its privileges.
fn role_json(role: &Role) -> Value {
    json!({
        "id": role.id,
        "name": role.name,
        "description": role.description,
        "created": role.created,
        "modified": role.modified,
        "builtIn": role.built_in,
        "baseRole": role.base_role(),
        "privileges": role.privileges.to_vec(),
    })
}

fn role_lines(role: &Role) -> Vec<String> {
    let mut lines = vec![
        format!("id:          {}", role.id),
        format!("name:        {}", role.name),
        format!("description: {}", role.description),
        format!("built in:    {}", role.built_in),
        format!("modified:    {}", format_ms(role.modified)),
        "privileges:".to_string(),
    ];
    lines.extend(
        role.privileges
            .to_vec()
            .into_iter()
            .map(|p| format!("  {p}")),
    );
    lines
}

/// A role by id, or else by name (case-insensitive); a missing role exits 3.
async fn find(portal: &Portal, caller: &Caller, wanted: &str) -> Result<Role, Failure> {
    let roles = portal.list_roles(caller).await?;
    let lower = wanted.trim().to_lowercase();
    roles
        .into_iter()
        .find(|r| r.id == wanted.trim() || r.name.to_lowercase() == lower)
        .ok_or_else(|| Failure::not_found(format!("Role '{wanted}' does not exist.")))
}

pub async fn run(args: RoleArgs) -> CommandResult {
    let (portal, caller) = open_portal(args.storage).await?;
    let out = args.output;
    match args.command {
        RoleCommand::List => {
            let roles = portal.list_roles(&caller).await?;
            out.print(
                || json!({ "total": roles.len(), "roles": roles.iter().map(role_json).collect::<Vec<_>>() }),
                || {
                    let mut lines = vec![format!("{:<18} {:<28} {:<8} PRIVILEGES", "ID", "NAME", "BUILT IN")];
                    lines.extend(roles.iter().map(|r| {
                        format!("{:<18} {:<28} {:<8} {}", r.id, r.name, r.built_in, r.privileges.to_vec().len())
                    }));
                    lines.push(format!("{} role(s)", roles.len()));
                    lines
                },
            );
        }
        RoleCommand::Show { role } => {
            let role = find(&portal, &caller, &role).await?;
            out.print(|| role_json(&role), || role_lines(&role));
        }
        RoleCommand::Create {
            name,
            description,
            privileges,
        } => {
            let role = portal
                .create_role(&caller, &name, &description, privileges)
                .await?;
            out.print(
                || json!({ "success": true, "id": role.id, "role": role_json(&role) }),
                || {
                    let mut lines = vec![format!("Created the role {}.", role.name)];
                    lines.extend(role_lines(&role));
                    lines
                },
            );
        }
        RoleCommand::SetPrivileges { role, privileges } => {
            let found = find(&portal, &caller, &role).await?;
            let role = portal
                .set_role_privileges(&caller, &found.id, privileges)
                .await?;
            out.print(
                || json!({ "success": true, "role": role_json(&role) }),
                || role_lines(&role),
            );
        }
        RoleCommand::Delete { role } => {
            let found = find(&portal, &caller, &role).await?;
            portal.delete_role(&caller, &found.id).await?;
            out.print(
                || json!({ "success": true, "id": found.id }),
                || vec![format!("Deleted the role {}.", found.name)],
            );
        }
    }
    Ok(())
}
