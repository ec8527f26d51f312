//! `keyportal legacy …`: import legacy API keys (as hashes), list, retire, migrate.

use keyportal_service::{Caller, Portal};

use super::args::{LegacyArgs, LegacyCommand};
use super::dates::{format_ms, parse_date};
use super::import_file::ImportFile;
use super::progress::ImportBar;
use super::user::{describe, open_portal};

/// Legacy keys read and printed at a time: an import of a million keys is listed with one
/// page in memory.
const LIST_PAGE: usize = 1_000;

/// Prints every legacy key the caller may list, by item id, page by page; answers how many.
async fn print_legacy_keys(portal: &Portal, caller: &Caller) -> Result<usize, String> {
    println!(
        "{:<32}  {:<16}  {:<8}  {:<22}  KEY",
        "ITEM ID", "OWNER", "STATE", "LAST USED"
    );
    let mut count = 0;
    let mut after = String::new();
    loop {
        let page = portal
            .legacy_keys_page(caller, &after, LIST_PAGE)
            .await
            .map_err(describe)?;
        for k in &page.keys {
            println!(
                "{:<32}  {:<16}  {:<8}  {:<22}  {}",
                k.item_id,
                k.owner,
                if k.active { "active" } else { "invalid" },
                format_ms(k.last_used),
                k.key_hint
            );
        }
        count += page.keys.len();
        match page.next {
            Some(next) => after = next,
            None => return Ok(count),
        }
    }
}

pub async fn run(args: LegacyArgs) -> Result<(), String> {
    let (portal, caller) = open_portal(args.storage).await?;
    match args.command {
        LegacyCommand::Import { file } => {
            let source = ImportFile::new(&file)?;
            let bar = ImportBar::new(source.bytes_read.clone(), source.size);
            let imported = portal.import_legacy_keys(&caller, &source, &bar).await;
            bar.finish();
            let count = imported.map_err(|e| format!("{}: {}", file.display(), describe(e)))?;
            println!(
                "Imported {count} legacy key(s); only their SHA-256 hashes are stored \
                 ('keyportal legacy list' shows their items)."
            );
        }
        LegacyCommand::List => {
            let count = print_legacy_keys(&portal, &caller).await?;
            match portal.legacy_retirement() {
                Some(date) => println!(
                    "{count} legacy key(s); all stop working at {}",
                    format_ms(date)
                ),
                None => println!("{count} legacy key(s); no retirement date set"),
            }
        }
        LegacyCommand::Retire { date, clear } => {
            let when = match (date, clear) {
                (Some(date), false) => Some(parse_date(&date)?),
                (None, true) => None,
                _ => return Err("give either --date YYYY-MM-DD or --clear".into()),
            };
            portal
                .set_legacy_retirement(&caller, when)
                .await
                .map_err(describe)?;
            match when {
                Some(ms) => println!("Legacy keys stop working at {}.", format_ms(ms)),
                None => println!("Legacy keys have no retirement date."),
            }
        }
        LegacyCommand::Invalidate { item } => {
            portal
                .invalidate_legacy_key(&caller, &item)
                .await
                .map_err(describe)?;
            println!("The legacy key of item {item} no longer works.");
        }
        LegacyCommand::Migrate { item } => {
            let (new_item, client_id, minted) = portal
                .migrate_legacy_key(&caller, &item)
                .await
                .map_err(describe)?;
            println!("Created API key credentials {new_item} (client id {client_id}) with the same privileges.");
            println!(
                "API key 1 (shown once; expires in {} days):",
                minted.expires_in / 86_400
            );
            println!("{}", minted.key.expose());
            println!("The legacy key keeps working until you invalidate it or delete its item.");
        }
    }
    Ok(())
}
