//! `keyportal legacy …`: import legacy API keys (as hashes), list, retire, migrate.

use super::args::{LegacyArgs, LegacyCommand};
use super::dates::{format_ms, parse_date};
use super::import_file::ImportFile;
use super::progress::ImportBar;
use super::user::{describe, open_portal};

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
            let keys = portal.list_legacy_keys(&caller).await.map_err(describe)?;
            println!(
                "{:<32}  {:<16}  {:<8}  {:<22}  KEY",
                "ITEM ID", "OWNER", "STATE", "LAST USED"
            );
            for k in &keys {
                println!(
                    "{:<32}  {:<16}  {:<8}  {:<22}  {}",
                    k.item_id,
                    k.owner,
                    if k.active { "active" } else { "invalid" },
                    format_ms(k.last_used),
                    k.key_hint
                );
            }
            match portal.legacy_retirement() {
                Some(date) => println!(
                    "{} legacy key(s); all stop working at {}",
                    keys.len(),
                    format_ms(date)
                ),
                None => println!("{} legacy key(s); no retirement date set", keys.len()),
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
