//! `keyportal backup --to FILE`: a consistent snapshot of the database, taken while the server
//! runs, in the portable archive `keyportal restore` reads (see `keyportal_store::archive`).
//!
//! The archive is written next to FILE under a temporary name and renamed into place once
//! complete and on disk, so FILE is never a partial backup. It holds key and token hashes (data,
//! useless to anyone without the keys), and the server key that seals client secrets only when
//! `--include-secret-key` is given.

use std::fs::{File, OpenOptions};
use std::io::BufWriter;
use std::path::{Path, PathBuf};

use clap::Args;
use keyportal_store::{BackupOptions, DatabaseUrl, SqlStore};
use serde_json::json;

use super::args::StorageArgs;
use super::outcome::{CommandResult, OutputArgs};
use super::progress::{Bar, Phase};
use crate::config::{FileConfig, StorageConfig};

#[derive(Debug, Args)]
pub struct BackupArgs {
    #[command(flatten)]
    pub storage: StorageArgs,
    /// The archive to write (gzip-compressed JSON lines, readable by keyportal restore)
    #[arg(long, value_name = "FILE")]
    pub to: PathBuf,
    /// Also put the server key that seals client secrets in the archive. Without it the
    /// archive holds sealed client secrets that only that key opens: keep the key safe
    /// separately (KEYPORTAL_SECRET_KEY or secret.key). With it, anyone holding the archive can
    /// open them: store it like the key itself.
    #[arg(long)]
    pub include_secret_key: bool,
    /// Replace FILE if it exists
    #[arg(long)]
    pub force: bool,
    #[command(flatten)]
    pub output: OutputArgs,
}

pub async fn run(args: BackupArgs) -> CommandResult {
    let file = FileConfig::load(args.storage.config.as_deref()).map_err(|e| e.to_string())?;
    let storage = StorageConfig::resolve(args.storage.data_dir, args.storage.database, &file)
        .map_err(|e| e.to_string())?;
    if let DatabaseUrl::Sqlite(path) = &storage.database {
        if !path.exists() {
            return Err(format!("there is no database at {}", path.display()).into());
        }
    }
    if args.to.exists() && !args.force {
        return Err(format!(
            "{} exists: choose another name, or give --force to replace it",
            args.to.display()
        )
        .into());
    }
    let secret_key = if args.include_secret_key {
        let key = storage.existing_secret_key().map_err(|e| e.to_string())?;
        let Some(key) = key else {
            return Err(format!(
                "there is no server key to include: neither KEYPORTAL_SECRET_KEY nor {} is set",
                storage.secret_key_file.display()
            )
            .into());
        };
        Some(key.text().to_string())
    } else {
        None
    };
    let store = SqlStore::connect(&storage.database)
        .await
        .map_err(|e| e.to_string())?;

    let partial = partial_path(&args.to);
    let out = create_private(&partial)
        .map_err(|e| format!("cannot create {}: {e}", partial.display()))?;
    let bar = Bar::new(Phase::BACKING_UP);
    let options = BackupOptions {
        keyportal_version: env!("CARGO_PKG_VERSION"),
        created: now_millis(),
        secret_key: secret_key.as_deref(),
    };
    let written = store
        .backup(BufWriter::new(out), options, &mut |done, total| {
            bar.count(Phase::BACKING_UP, done, total)
        })
        .await;
    bar.finish();
    store.pool().close().await;
    let finished = written
        .map_err(|e| e.to_string())
        .and_then(|(out, summary)| {
            let file = out.into_inner().map_err(|e| e.into_error().to_string())?;
            file.sync_all().map_err(|e| e.to_string())?;
            std::fs::rename(&partial, &args.to).map_err(|e| e.to_string())?;
            Ok(summary)
        });
    let summary = match finished {
        Ok(summary) => summary,
        Err(message) => {
            let _ = std::fs::remove_file(&partial);
            return Err(format!(
                "backup failed, nothing written to {}: {message}",
                args.to.display()
            )
            .into());
        }
    };
    sync_parent(&args.to);

    let size = std::fs::metadata(&args.to).map(|m| m.len()).unwrap_or(0);
    let included = secret_key.is_some();
    args.output.print(
        || {
            json!({
                "file": args.to.display().to_string(),
                "bytes": size,
                "schemaVersion": summary.schema_version,
                "source": store.backend_name(),
                "tables": summary.tables.iter().map(|(t, n)| (t.clone(), json!(n))).collect::<serde_json::Map<_, _>>(),
                "rows": summary.trailer.rows,
                "sha256": summary.trailer.sha256,
                "secretKeyIncluded": included,
            })
        },
        || {
            vec![
                format!(
                    "Backed up {} rows of {} tables (schema {}) to {} ({} bytes, SHA-256 of the content {}).",
                    summary.trailer.rows,
                    summary.tables.len(),
                    summary.schema_version,
                    args.to.display(),
                    size,
                    summary.trailer.sha256
                ),
                if included {
                    "The archive INCLUDES the server key that seals client secrets: anyone who \
                     holds it can open them. Store it as carefully as the key itself."
                        .to_string()
                } else {
                    "The archive does NOT include the server key that seals client secrets: keep \
                     that key (KEYPORTAL_SECRET_KEY or secret.key) safe separately; a restore \
                     needs it for client secrets to keep working. API keys work without it."
                        .to_string()
                },
            ]
        },
    );
    Ok(())
}

/// `FILE.partial` beside `FILE`.
fn partial_path(file: &Path) -> PathBuf {
    let mut name = file.file_name().unwrap_or_default().to_os_string();
    name.push(".partial");
    file.with_file_name(name)
}

/// A new file only its owner can read (it holds hashes, and perhaps the server key).
fn create_private(path: &Path) -> std::io::Result<File> {
    let mut options = OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    options.open(path)
}

/// Makes the rename durable (best effort: not every filesystem lets a directory be synced).
fn sync_parent(file: &Path) {
    let parent = match file.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    if let Ok(dir) = File::open(parent) {
        let _ = dir.sync_all();
    }
}

fn now_millis() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
}
