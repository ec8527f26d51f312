//! `keyportal proxy allow-list …`: the upstream hosts the service proxy may reach, changed
//! with the same `Portal` methods as the REST API and the web page. The running server (and
//! every other node) applies a change through the `settings` change notice.

use keyportal_domain::proxy::ProxyTarget;
use keyportal_service::AllowListView;

use super::args::{AllowListCommand, ProxyArgs, ProxyCommand};
use super::user::{describe, open_portal};

fn print(view: &AllowListView) {
    if view.entries.is_empty() {
        println!("(the allow-list is empty: no proxy can reach any upstream)");
    }
    for entry in &view.entries {
        println!("{entry}");
    }
    if !view.refused.is_empty() {
        println!();
        println!("enabled proxies whose upstream the list does not allow:");
        for refused in &view.refused {
            let target = match &refused.target {
                ProxyTarget::Item(id) => format!("item {id}"),
                ProxyTarget::Service(name) => format!("location service {name}"),
            };
            println!("  {target}: {} (port {})", refused.host, refused.port);
        }
    }
}

pub async fn run(args: ProxyArgs) -> Result<(), String> {
    let (portal, caller) = open_portal(args.storage).await?;
    let ProxyCommand::AllowList(command) = args.command;
    let view = match command {
        AllowListCommand::List => portal.proxy_allow_list(&caller).await,
        AllowListCommand::Add { entries } => {
            portal.change_proxy_allow_list(&caller, &entries, &[]).await
        }
        AllowListCommand::Remove { entries } => {
            portal.change_proxy_allow_list(&caller, &[], &entries).await
        }
    }
    .map_err(describe)?;
    print(&view);
    Ok(())
}
