//! `keyportal user …`: the same operations as the REST API, as the system operator.

use std::io::{BufRead, Write};
use std::sync::Arc;

use keyportal_domain::secret::random_alphanumeric;
use keyportal_domain::user::UserProfile;
use keyportal_service::{
    Bootstrap, Caller, MemberQuery, NewUser, Portal, PortalSettings, SystemClock,
};
use keyportal_store::SqlStore;

use crate::cli::args::{StorageArgs, UserArgs, UserCommand};
use crate::config::{FileConfig, StorageConfig};

/// Members are read and printed this many at a time, so memory stays one page however large
/// the organization.
const LIST_PAGE: usize = 500;

/// `user list`: every member, ordered by username, printed page by page as they are read.
async fn print_members(portal: &Portal, caller: &Caller) -> Result<(), String> {
    let mut out = std::io::stdout().lock();
    // A closed pipe (`keyportal user list | head`) ends the listing quietly.
    let mut print = |line: String| writeln!(out, "{line}").is_ok();
    let row = |a: &str, b: &str, c: &str, d: &str| format!("{a:<24} {b:<24} {c:<24} {d:<8}");
    if !print(row("USERNAME", "ROLE", "USER TYPE", "STATE")) {
        return Ok(());
    }
    let query = MemberQuery::default();
    let mut start = 0;
    let mut printed = 0;
    loop {
        let page = portal
            .search_members(caller, &query, start, LIST_PAGE)
            .await
            .map_err(describe)?;
        for view in &page.members {
            let state = if view.user.disabled {
                "disabled"
            } else {
                "enabled"
            };
            let line = row(
                &view.user.username,
                &view.role.name,
                view.user.user_type.id(),
                state,
            );
            if !print(line) {
                return Ok(());
            }
        }
        printed += page.members.len();
        start += page.members.len();
        if page.members.is_empty() || start >= page.total {
            break;
        }
    }
    print(format!("{printed} member(s)"));
    Ok(())
}

/// Opens the same database `serve` uses and makes sure the organization exists.
pub async fn open_portal(storage: StorageArgs) -> Result<(Portal, Caller), String> {
    let file = FileConfig::load(storage.config.as_deref()).map_err(|e| e.to_string())?;
    let storage = StorageConfig::resolve(storage.data_dir, storage.database, &file)
        .map_err(|e| e.to_string())?;
    storage.prepare().map_err(|e| e.to_string())?;
    let sealer = storage.sealer().map_err(|e| e.to_string())?;
    let store = SqlStore::connect(&storage.database)
        .await
        .map_err(|e| e.to_string())?;
    // Keys minted here live as long as the server's would (same setting, same default).
    let lifetime_days = match std::env::var("KEYPORTAL_DEFAULT_KEY_LIFETIME_DAYS")
        .ok()
        .filter(|v| !v.trim().is_empty())
    {
        Some(text) => Some(text.trim().parse::<i64>().map_err(|_| {
            format!("KEYPORTAL_DEFAULT_KEY_LIFETIME_DAYS '{text}' is not a number of days")
        })?),
        None => file.default_key_lifetime_days,
    };
    let lifetime_days = match lifetime_days {
        None => 30,
        Some(days) if (1..=365).contains(&days) => days,
        Some(days) => return Err(format!("default key lifetime {days} days: use 1 to 365")),
    };
    let portal = Portal::new(
        Arc::new(store),
        Arc::new(SystemClock),
        PortalSettings {
            default_key_lifetime_ms: lifetime_days * keyportal_domain::time::DAY_MS,
            ..PortalSettings::default()
        },
        sealer,
    );
    let admin_password = std::env::var("KEYPORTAL_ADMIN_PASSWORD")
        .ok()
        .filter(|p| !p.is_empty());
    let org_name = file.org_name.unwrap_or_else(|| "My Organization".into());
    if let Bootstrap::Created {
        generated_password: Some(password),
        ..
    } = portal
        .bootstrap(&org_name, admin_password)
        .await
        .map_err(|e| e.to_string())?
    {
        // Standard error: standard output carries only the command's own result (`--json`).
        eprintln!("Created the organization; administrator 'admin' has password: {password}");
    }
    let caller = portal.system_caller().await.map_err(|e| e.to_string())?;
    Ok((portal, caller))
}

fn read_password_line() -> Result<String, String> {
    let mut line = String::new();
    std::io::stdin()
        .lock()
        .read_line(&mut line)
        .map_err(|e| format!("cannot read the password from standard input: {e}"))?;
    let password = line.trim_end_matches(['\r', '\n']).to_string();
    if password.is_empty() {
        return Err("standard input held no password".into());
    }
    Ok(password)
}

/// A service error as one line for the terminal, with its details.
pub fn describe(error: keyportal_service::ServiceError) -> String {
    use keyportal_domain::DomainError;
    use keyportal_service::ServiceError;
    match error {
        ServiceError::Domain(DomainError::Invalid { message, details }) if !details.is_empty() => {
            format!("{message} {}", details.join(" "))
        }
        ServiceError::Domain(error @ DomainError::Forbidden { .. }) => {
            let DomainError::Forbidden { details } = &error else {
                return error.to_string();
            };
            format!("{error} {}", details.join(" "))
        }
        other => other.to_string(),
    }
}

pub async fn run(args: UserArgs) -> Result<(), String> {
    let (portal, caller) = open_portal(args.storage).await?;
    let failed = describe;
    match args.command {
        UserCommand::Add {
            username,
            password_stdin,
            role,
            user_type,
            full_name,
            email,
        } => {
            let (password, generated) = if password_stdin {
                (read_password_line()?, false)
            } else {
                (format!("{}7", random_alphanumeric(19)), true)
            };
            let view = portal
                .create_user(
                    &caller,
                    NewUser {
                        username,
                        password: password.clone(),
                        profile: UserProfile {
                            full_name: full_name.unwrap_or_default(),
                            email: email.unwrap_or_default(),
                            ..Default::default()
                        },
                        role: Some(role),
                        user_type: Some(user_type),
                    },
                )
                .await
                .map_err(failed)?;
            println!(
                "Added {} (role {}, user type {}).",
                view.user.username,
                view.role.name,
                view.user.user_type.id()
            );
            if generated {
                println!("Password: {password}  (shown once)");
            }
        }
        UserCommand::List => print_members(&portal, &caller).await?,
        UserCommand::SetRole { username, role } => {
            portal
                .set_user_role(&caller, &username, &role)
                .await
                .map_err(failed)?;
            println!("{username} now has the role {role}.");
        }
        UserCommand::SetUserType {
            username,
            user_type,
        } => {
            portal
                .set_user_type(&caller, std::slice::from_ref(&username), &user_type)
                .await
                .map_err(failed)?;
            println!("{username} now has the user type {user_type}.");
        }
        UserCommand::Disable { username } => {
            portal
                .set_user_disabled(&caller, &username, true)
                .await
                .map_err(failed)?;
            println!("{username} is disabled.");
        }
        UserCommand::Enable { username } => {
            portal
                .set_user_disabled(&caller, &username, false)
                .await
                .map_err(failed)?;
            println!("{username} is enabled.");
        }
    }
    Ok(())
}
