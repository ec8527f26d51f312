//! `keyportal legacy …`: import legacy API keys (as hashes), list, retire, migrate.

use std::path::Path;

use serde::Deserialize;
use serde_json::value::RawValue;

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

/// The wrapped form of an import file, `{"keys":[…]}`, its entries still unparsed.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Wrapped<'a> {
    #[serde(borrow)]
    keys: Vec<&'a RawValue>,
}

/// The entries of an import file (`{"keys":[…]}` or a bare array), each parsed on its own so
/// that every problem names its entry and the line it starts on. Nothing is imported unless
/// every entry parses and passes the same checks as the REST API's fields.
fn read_entries(file: &Path, text: &str) -> Result<Vec<LegacyImport>, String> {
    let shown = file.display();
    let raw: Vec<&RawValue> = if text.trim_start().starts_with('[') {
        serde_json::from_str(text)
    } else {
        serde_json::from_str::<Wrapped<'_>>(text).map(|wrapped| wrapped.keys)
    }
    .map_err(|e| format!("{shown}: {e}"))?;
    let mut entries = Vec::with_capacity(raw.len());
    let mut problems = Vec::new();
    for (n, entry) in raw.iter().enumerate() {
        // The entry is a slice of `text`, so its offset there gives its line.
        let offset = (entry.get().as_ptr() as usize).saturating_sub(text.as_ptr() as usize);
        let line = 1 + text.as_bytes()[..offset.min(text.len())]
            .iter()
            .filter(|&&b| b == b'\n')
            .count();
        match serde_json::from_str::<ImportEntry>(entry.get()) {
            Ok(e) => {
                entries.push(LegacyImport {
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
                    line: Some(line),
                })
            }
            Err(e) => problems.push(format!("entry {} (line {line}): {e}", n + 1)),
        }
    }
    if problems.is_empty() {
        Ok(entries)
    } else {
        Err(format!(
            "{shown}: the import file has problems; nothing was imported. {}",
            problems.join(" ")
        ))
    }
}

pub async fn run(args: LegacyArgs) -> Result<(), String> {
    let (portal, caller) = open_portal(args.storage).await?;
    match args.command {
        LegacyCommand::Import { file } => {
            let text = std::fs::read_to_string(&file)
                .map_err(|e| format!("cannot read {}: {e}", file.display()))?;
            let imports = read_entries(&file, &text)?;
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entries_carry_the_line_they_start_on() {
        let text = "{\"keys\": [\n  {\"key\": \"AAPKa\", \"owner\": \"a\"},\n\n  {\"key\": \"AAPKb\",\n   \"owner\": \"b\"}\n]}";
        let entries = read_entries(Path::new("f.json"), text).expect("parses");
        let lines: Vec<Option<usize>> = entries.iter().map(|e| e.line).collect();
        assert_eq!(lines, [Some(2), Some(4)]);
        let bare = read_entries(Path::new("f.json"), "[{\"key\":\"k\",\"owner\":\"o\"}]")
            .expect("a bare array");
        assert_eq!(bare[0].line, Some(1));
    }

    #[test]
    fn an_entry_that_does_not_parse_is_named_and_nothing_is_read() {
        let text = "[\n{\"key\": \"AAPKa\", \"owner\": \"a\"},\n{\"key\": 5, \"owner\": \"b\"},\n{\"kee\": \"x\"}\n]";
        let error = read_entries(Path::new("f.json"), text).expect_err("refused");
        assert!(error.contains("nothing was imported"), "{error}");
        assert!(error.contains("entry 2 (line 3)"), "{error}");
        assert!(error.contains("entry 3 (line 4)"), "{error}");
        assert!(!error.contains("entry 1"), "{error}");
        assert!(read_entries(Path::new("f.json"), "{\"keys\": 3}").is_err());
        assert!(read_entries(Path::new("f.json"), "{\"other\": []}").is_err());
    }
}
