//! `keyportal item list|show|share`: every item of the organization, for administrators at
//! the command line, through the REST API's `search`, item and `share` methods.

use clap::{Args, Subcommand};
use keyportal_http::views::item::item_json;
use keyportal_service::{ItemView, SearchRequest, ShareRequest, SortOrder};
use serde_json::json;

use super::args::StorageArgs;
use super::dates::format_ms;
use super::outcome::{CommandResult, Failure, OutputArgs};
use super::user::open_portal;

#[derive(Debug, Args)]
pub struct ItemArgs {
    #[command(flatten)]
    pub storage: StorageArgs,
    #[command(flatten)]
    pub output: OutputArgs,
    #[command(subcommand)]
    pub command: ItemCommand,
}

#[derive(Debug, Subcommand)]
pub enum ItemCommand {
    /// One page of items, newest first (nextStart tells where the next page starts).
    List {
        /// Only this member's items
        #[arg(long)]
        owner: Option<String>,
        /// A search query in the REST API's `q` syntax, e.g. 'type:"Application"'
        #[arg(long)]
        query: Option<String>,
        /// First result, from 1
        #[arg(long, default_value_t = 1)]
        start: usize,
        /// Results in the page, up to 100
        #[arg(long, default_value_t = 100)]
        num: usize,
    },
    /// One item with its sharing.
    Show { id: String },
    /// Share an item with everyone, the organization or groups, or make it private.
    Share {
        id: String,
        #[arg(long, conflicts_with_all = ["org", "private"])]
        everyone: bool,
        #[arg(long, conflicts_with = "private")]
        org: bool,
        /// Only the owner (and administrators) see it; group shares are kept
        #[arg(long)]
        private: bool,
        /// A group id to share with (repeat, or separate with commas)
        #[arg(long = "group", value_delimiter = ',')]
        groups: Vec<String>,
    },
}

fn item_line(view: &ItemView) -> String {
    format!(
        "{:<32}  {:<16}  {:<20}  {:<8}  {}",
        view.item.id,
        view.item.owner,
        view.item.item_type,
        view.wire_access(),
        view.item.title
    )
}

fn query(owner: Option<&str>, query: Option<&str>) -> String {
    let query = query.map(str::trim).filter(|q| !q.is_empty());
    match (owner, query) {
        (Some(owner), Some(q)) => format!("owner:\"{owner}\" AND ({q})"),
        (Some(owner), None) => format!("owner:\"{owner}\""),
        (None, Some(q)) => q.to_string(),
        (None, None) => "*".to_string(),
    }
}

pub async fn run(args: ItemArgs) -> CommandResult {
    let (portal, caller) = open_portal(args.storage).await?;
    let out = args.output;
    match args.command {
        ItemCommand::List {
            owner,
            query: q,
            start,
            num,
        } => {
            let request = SearchRequest {
                q: query(owner.as_deref(), q.as_deref()),
                start,
                num,
                sort_field: None,
                sort_order: SortOrder::Asc,
            };
            let page = portal.search_items(&caller, &request).await?;
            out.print(
                || {
                    json!({
                        "query": page.query,
                        "total": page.total,
                        "start": page.start,
                        "num": page.num,
                        "nextStart": page.next_start,
                        "results": page.results.iter().map(item_json).collect::<Vec<_>>(),
                    })
                },
                || {
                    let mut lines = vec![format!(
                        "{:<32}  {:<16}  {:<20}  {:<8}  TITLE",
                        "ID", "OWNER", "TYPE", "ACCESS"
                    )];
                    lines.extend(page.results.iter().map(item_line));
                    lines.push(format!(
                        "{} of {} item(s){}",
                        page.results.len(),
                        page.total,
                        if page.next_start > 0 {
                            format!("; the next page starts at {}", page.next_start)
                        } else {
                            String::new()
                        }
                    ));
                    lines
                },
            );
        }
        ItemCommand::Show { id } => {
            let view = portal.get_item(&caller, &id).await?;
            out.print(
                || item_json(&view),
                || {
                    vec![
                        format!("id:       {}", view.item.id),
                        format!("title:    {}", view.item.title),
                        format!("type:     {}", view.item.item_type),
                        format!("owner:    {}", view.item.owner),
                        format!("access:   {}", view.wire_access()),
                        format!("groups:   {}", view.group_ids.join(", ")),
                        format!("created:  {}", format_ms(view.item.created)),
                        format!("modified: {}", format_ms(view.item.modified)),
                    ]
                },
            );
        }
        ItemCommand::Share {
            id,
            everyone,
            org,
            private,
            groups,
        } => {
            let request = ShareRequest {
                everyone: (everyone || private).then_some(everyone),
                org: (org || private).then_some(org),
                groups,
            };
            let outcome = portal.share_item(&caller, &id, request).await?;
            let view = portal.get_item(&caller, &outcome.item_id).await?;
            out.print(
                || json!({ "itemId": outcome.item_id, "notSharedWith": outcome.not_done }),
                || {
                    vec![format!(
                        "{} is shared: {}{}",
                        outcome.item_id,
                        view.wire_access(),
                        if view.group_ids.is_empty() {
                            String::new()
                        } else {
                            format!(", groups {}", view.group_ids.join(", "))
                        }
                    )]
                },
            );
            if !outcome.not_done.is_empty() {
                return Err(Failure::from(format!(
                    "not shared with the group(s) {}: unknown, or not allowed",
                    outcome.not_done.join(", ")
                )));
            }
        }
    }
    Ok(())
}
