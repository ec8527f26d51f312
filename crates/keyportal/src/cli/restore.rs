//! `keyportal restore --from FILE`: an archive made by `keyportal backup` (from either
//! backend) into an empty database (of either backend) — also the way from SQLite to
//! PostgreSQL.
//!
//! Before writing anything it reads the whole archive (format, every line, the checksum), checks
//! the schema version, that the database is empty, and that the server key this node will use
//! opens the archive's sealed client secrets. The rows then go in one transaction that also
//! rebuilds the search indexes and compares every table's count with the archive's.

use std::fs::File;
use std::io::{BufReader, Read};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use clap::Args;
use keyportal_service::Sealer;
use keyportal_store::archive::{self, ArchiveReader, ArchiveSummary};
use keyportal_store::{SqlStore, SCHEMA_VERSION};
use serde_json::json;

use super::args::StorageArgs;
use super::outcome::{CommandResult, OutputArgs};
use super::progress::{Bar, Phase};
use crate::config::{
    write_private_file, FileConfig, SecretKeySource, StorageConfig, SECRET_KEY_ENV,
};

#[derive(Debug, Args)]
pub struct RestoreArgs {
    #[command(flatten)]
    pub storage: StorageArgs,
    /// The archive made by keyportal backup
    #[arg(long, value_name = "FILE")]
    pub from: PathBuf,
    #[command(flatten)]
    pub output: OutputArgs,
}

/// What the restore does about the server key.
#[derive(Debug, PartialEq, Eq)]
enum KeyPlan {
    /// This node's key (environment or file) is the one; nothing to write.
    Configured,
    /// Write the archive's key to the key file (none exists yet).
    WriteFile(String),
    /// The archive holds no sealed secrets and no key: nothing needs one.
    NotNeeded,
}

pub async fn run(args: RestoreArgs) -> CommandResult {
    let size = std::fs::metadata(&args.from)
        .map_err(|e| format!("cannot read {}: {e}", args.from.display()))?
        .len();
    let read = Arc::new(AtomicU64::new(0));
    let bar = Bar::new(Phase::VERIFYING);
    let verified = reader(&args.from, &read).and_then(|reader| {
        archive::verify(reader, |rows| {
            let fraction = read.load(Ordering::Relaxed) as f64 / size.max(1) as f64;
            bar.show(Phase::VERIFYING, rows, fraction);
        })
        .map_err(|e| e.to_string())
    });
    bar.finish();
    let summary = verified.map_err(|e| format!("{}: {e}", args.from.display()))?;
    if summary.header.schema_version != SCHEMA_VERSION {
        return Err(schema_message(summary.header.schema_version).into());
    }

    let file = FileConfig::load(args.storage.config.as_deref()).map_err(|e| e.to_string())?;
    let storage = StorageConfig::resolve(args.storage.data_dir, args.storage.database, &file)
        .map_err(|e| e.to_string())?;
    storage.prepare().map_err(|e| e.to_string())?;
    let configured = storage.existing_secret_key().map_err(|e| e.to_string())?;
    let plan = key_plan(&summary, configured.as_ref(), &storage.secret_key_file)?;
    let store = SqlStore::connect(&storage.database)
        .await
        .map_err(|e| e.to_string())?;
    store.ensure_empty().await.map_err(|e| e.to_string())?;
    if let KeyPlan::WriteFile(text) = &plan {
        write_private_file(&storage.secret_key_file, text)
            .map_err(|e| format!("cannot write {}: {e}", storage.secret_key_file.display()))?;
    }

    let bar = Bar::new(Phase::RESTORING);
    let total = summary.rows;
    let restored = store
        .restore(reader(&args.from, &read)?, &mut |done| {
            bar.count(Phase::RESTORING, done, total)
        })
        .await;
    bar.finish();
    store.pool().close().await;
    let restored = restored.map_err(|e| e.to_string())?;

    let key_note = match &plan {
        KeyPlan::Configured => "Client secrets open with this node's server key.".to_string(),
        KeyPlan::WriteFile(_) => format!(
            "The archive's server key was written to {} (mode 600).",
            storage.secret_key_file.display()
        ),
        KeyPlan::NotNeeded => "The archive holds no client secrets and no server key.".to_string(),
    };
    args.output.print(
        || {
            json!({
                "file": args.from.display().to_string(),
                "database": storage.database.redacted(),
                "schemaVersion": summary.header.schema_version,
                "source": summary.header.source,
                "created": summary.header.created,
                "tables": restored.tables.iter().map(|(t, n)| (t.clone(), json!(n))).collect::<serde_json::Map<_, _>>(),
                "rows": restored.rows,
                "secretKeyWritten": matches!(plan, KeyPlan::WriteFile(_)),
            })
        },
        || {
            vec![
                format!(
                    "Restored {} rows of {} tables from {} (a {} backup, schema {}) into {}; the \
                     search indexes were rebuilt and every count checked.",
                    restored.rows,
                    restored.tables.len(),
                    args.from.display(),
                    summary.header.source,
                    summary.header.schema_version,
                    storage.database.redacted()
                ),
                key_note.clone(),
                "API keys, legacy keys and tokens keep working (their hashes are data): start \
                 keyportal serve on this database."
                    .to_string(),
            ]
        },
    );
    Ok(())
}

/// The archive at `path`, its header read, counting the bytes read into `read`.
fn reader(path: &Path, read: &Arc<AtomicU64>) -> Result<ArchiveReader<Counted>, String> {
    let file = File::open(path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    read.store(0, Ordering::Relaxed);
    ArchiveReader::new(Counted {
        inner: BufReader::new(file),
        read: read.clone(),
    })
    .map_err(|e| format!("{}: {e}", path.display()))
}

/// A reader that tells how many bytes it has read (for the progress bar).
struct Counted {
    inner: BufReader<File>,
    read: Arc<AtomicU64>,
}

impl Read for Counted {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.read.fetch_add(n as u64, Ordering::Relaxed);
        Ok(n)
    }
}

fn schema_message(archive: i64) -> String {
    if archive > SCHEMA_VERSION {
        format!(
            "the backup was made with schema {archive}, newer than this keyportal's \
             {SCHEMA_VERSION}: restore it with that release or a later one"
        )
    } else {
        format!(
            "the backup was made with schema {archive}, older than this keyportal's \
             {SCHEMA_VERSION}: restore it with the release that made it, then start this one on \
             the database to upgrade it"
        )
    }
}

/// Decides where the server key comes from, refusing whenever client secrets would not open.
fn key_plan(
    summary: &ArchiveSummary,
    configured: Option<&SecretKeySource>,
    key_file: &Path,
) -> Result<KeyPlan, String> {
    let archived = summary.header.secret_key.as_deref().map(str::trim);
    if let Some(key) = archived {
        Sealer::from_key_text(key).map_err(|e| format!("the archive's server key: {e}"))?;
    }
    match (archived, configured) {
        (Some(key), Some(source)) if key == source.text() => Ok(KeyPlan::Configured),
        (Some(_), Some(SecretKeySource::Environment(_))) => Err(format!(
            "the archive holds a server key that differs from {SECRET_KEY_ENV}: unset \
             {SECRET_KEY_ENV} to use the archive's key, or set it to that key"
        )),
        (Some(_), Some(SecretKeySource::File(_))) => Err(format!(
            "the archive holds a server key that differs from the one in {}: move that file \
             away to use the archive's key (it will be written there)",
            key_file.display()
        )),
        (Some(key), None) => Ok(KeyPlan::WriteFile(key.to_string())),
        (None, configured) if summary.sealed_samples.is_empty() => Ok(match configured {
            Some(_) => KeyPlan::Configured,
            None => KeyPlan::NotNeeded,
        }),
        (None, None) => Err(format!(
            "this backup does not include the server key that seals its client secrets: set \
             {SECRET_KEY_ENV} (or put the key in {}) to the key of the server it came from, or \
             make the backup again with --include-secret-key",
            key_file.display()
        )),
        (None, Some(source)) => {
            let sealer = Sealer::from_key_text(source.text())?;
            if summary
                .sealed_samples
                .iter()
                .all(|s| sealer.open(s).is_ok())
            {
                Ok(KeyPlan::Configured)
            } else {
                Err(format!(
                    "the client secrets in this backup were sealed with another server key than \
                     this node's ({}): set {SECRET_KEY_ENV} to the key of the server it came \
                     from; nothing was restored",
                    match source {
                        SecretKeySource::Environment(_) => SECRET_KEY_ENV.to_string(),
                        SecretKeySource::File(_) => key_file.display().to_string(),
                    }
                ))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use keyportal_store::archive::Header;

    fn summary(secret_key: Option<&str>, sealed: &[String]) -> ArchiveSummary {
        ArchiveSummary {
            header: Header {
                keyportal_backup: 1,
                schema_version: SCHEMA_VERSION,
                keyportal_version: "t".into(),
                created: 0,
                source: "sqlite".into(),
                secret_key: secret_key.map(str::to_string),
            },
            tables: vec![],
            rows: 0,
            sealed_samples: sealed.to_vec(),
        }
    }

    #[test]
    fn the_server_key_is_taken_checked_or_refused() {
        let file = Path::new("/data/secret.key");
        let (a, b) = (Sealer::generate_key_text(), Sealer::generate_key_text());
        let sealed = vec![Sealer::from_key_text(&a)
            .expect("key")
            .seal("client secret")
            .expect("seal")];
        let env = |k: &str| SecretKeySource::Environment(k.to_string());
        let in_file = |k: &str| SecretKeySource::File(k.to_string());

        // The archive's key: used, written, or a clash refused.
        let with_key = summary(Some(&a), &sealed);
        assert_eq!(
            key_plan(&with_key, Some(&env(&a)), file),
            Ok(KeyPlan::Configured)
        );
        assert_eq!(
            key_plan(&with_key, None, file),
            Ok(KeyPlan::WriteFile(a.clone()))
        );
        assert!(key_plan(&with_key, Some(&env(&b)), file)
            .expect_err("clash")
            .contains("differs from KEYPORTAL_SECRET_KEY"));
        assert!(key_plan(&with_key, Some(&in_file(&b)), file)
            .expect_err("clash")
            .contains("/data/secret.key"));

        // No key in the archive: this node's key must open the secrets.
        let without = summary(None, &sealed);
        assert_eq!(
            key_plan(&without, Some(&in_file(&a)), file),
            Ok(KeyPlan::Configured)
        );
        assert!(key_plan(&without, Some(&env(&b)), file)
            .expect_err("wrong key")
            .contains("sealed with another server key"));
        assert!(key_plan(&without, None, file)
            .expect_err("no key")
            .contains("--include-secret-key"));

        // Nothing sealed: nothing needed.
        assert_eq!(
            key_plan(&summary(None, &[]), None, file),
            Ok(KeyPlan::NotNeeded)
        );
        assert!(key_plan(&summary(Some("short"), &[]), None, file).is_err());
    }
}
