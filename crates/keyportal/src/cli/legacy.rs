//! `keyportal legacy …`: import legacy API keys (as hashes), list, retire, migrate.

use serde::Deserialize;

use keyportal_service::LegacyImport;

use super::args::{LegacyArgs, LegacyCommand};
use super::dates::{format_ms, parse_date};
use super::user::{describe, open_portal};

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct ImportEntry {
    key: String,
    owner: String,
    #[serde(default)]
    title: String,
    #[serde(default)]
    privileges: Vec<String>,
    /// Item ids the key may read (become `portal:app:access:item:<id>`).
    #[serde(default)]
    item_access: Vec<String>,
    #[serde(default)]
    http_referrers: Vec<String>,
}

/// The file is `{"keys":[…]}` or a bare array of entries.
#[derive(Debug, Deserialize)]
#[serde(untagged)]
enum ImportFile {
    Wrapped { keys: Vec<ImportEntry> },
    Bare(Vec<ImportEntry>),
}

pub async fn run(args: LegacyArgs) -> Result<(), String> {
    let (portal, caller) = open_portal(args.storage).await?;
    match args.command {
        LegacyCommand::Import { file } => {
            let text = std::fs::read_to_string(&file)
                .map_err(|e| format!("cannot read {}: {e}", file.display()))?;
            let parsed: ImportFile =
                serde_json::from_str(&text).map_err(|e| format!("{}: {e}", file.display()))?;
            let entries = match parsed {
                ImportFile::Wrapped { keys } | ImportFile::Bare(keys) => keys,
            };
            let imports = entries
                .into_iter()
                .map(|e| LegacyImport {
                    key: e.key,
                    owner: e.owner,
                    title: e.title,
                    privileges: e
                        .privileges
                        .into_iter()
                        .chain(e.item_access.into_iter().map(|id| {
                            format!("portal:app:access:item:{}", id.to_ascii_lowercase())
                        }))
                        .collect(),
                    http_referrers: e.http_referrers,
                })
                .collect();
            let created = portal
                .import_legacy_keys(&caller, imports)
                .await
                .map_err(describe)?;
            println!(
                "Imported {} legacy key(s); only their SHA-256 hashes are stored:",
                created.len()
            );
            for id in created {
                println!("  item {id}");
            }
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
