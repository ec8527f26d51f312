//! Importing legacy API keys in bulk (a million in well under a minute): the file is read
//! twice, a batch at a time, so memory stays flat whatever its size. The first pass checks
//! every entry and reports every problem; only a file without any is read again and stored,
//! in one transaction, so an import is all or nothing. Other nodes learn of the keys from one
//! change notice naming the import, not one per key.

use std::collections::{HashMap, HashSet};

use keyportal_domain::authz::Operation;
use keyportal_domain::events::{Actor, Event, EventType};
use keyportal_domain::ids::AscendingIds;
use keyportal_domain::item::Item;
use keyportal_domain::legacy_key::LegacyKey;
use keyportal_domain::DomainError;

use crate::caller::Caller;
use crate::error::{ServiceError, ServiceResult};
use crate::legacy::LegacyImport;
use crate::legacy_entries::{check_entry, entry_rows, parallel_map};
use crate::Portal;

/// Change notice of an import: `legacy-import:<created>` (the `created` time of its keys).
pub(crate) const LEGACY_IMPORT_SUBJECT: &str = "legacy-import";

/// Entries checked per batch (a few MB of file at most).
const CHECK_BATCH: usize = 4096;
/// Entries stored per batch (each batch is a handful of multi-row statements).
const STORE_BATCH: usize = 2000;
/// Batches made ahead of the database (each a few MB).
const BATCHES_AHEAD: usize = 2;
/// Keys read per page when a node applies an import's notice.
const REFRESH_PAGE: usize = 10_000;

/// One entry as read from an import file: where it starts and its fields, or why they could
/// not be read (the text becomes one of the problems reported).
#[derive(Debug, Clone)]
pub struct ImportEntry {
    pub line: Option<usize>,
    pub read: Result<LegacyImport, String>,
}

/// One pass over an import file.
pub trait LegacyImportReader: Send {
    /// The next entries, at most `max`; none at the end. `Err` when the file cannot be read
    /// further (not an array of entries, an I/O error): the import stops there.
    fn next_entries(&mut self, max: usize) -> Result<Vec<ImportEntry>, String>;
    /// A fingerprint of everything read so far, to notice a file changed between passes.
    fn fingerprint(&self) -> u64;
}

/// An import file, which the import reads twice.
pub trait LegacyImportSource: Send + Sync {
    fn open(&self) -> Result<Box<dyn LegacyImportReader>, String>;
}

/// Told how far an import is, after every batch.
pub trait ImportProgress: Send + Sync {
    /// Entries checked so far (first pass).
    fn checked(&self, entries: u64);
    /// Keys stored so far, of `total` (second pass).
    fn stored(&self, stored: u64, total: u64);
}

/// Progress nobody watches.
pub struct NoProgress;

impl ImportProgress for NoProgress {
    fn checked(&self, _: u64) {}
    fn stored(&self, _: u64, _: u64) {}
}

/// What the first pass learned of a file without problems.
struct Checked {
    entries: u64,
    fingerprint: u64,
}

fn entry_label(n: u64, line: Option<usize>) -> String {
    match line {
        Some(line) => format!("entry {n} (line {line})"),
        None => format!("entry {n}"),
    }
}

impl Portal {
    /// Imports the legacy keys of `source` (system operator only) and returns how many. Every
    /// entry is checked before any is stored; with any problem, all are reported and nothing
    /// is stored.
    pub async fn import_legacy_keys(
        &self,
        caller: &Caller,
        source: &dyn LegacyImportSource,
        progress: &dyn ImportProgress,
    ) -> ServiceResult<u64> {
        caller.authorize(&Operation::ImportLegacyKeys)?;
        let checked = self.check_import(source, progress).await?;
        self.store_import(source, &checked, progress).await
    }

    /// The first pass: every problem of every entry, or what the second pass must find again.
    async fn check_import(
        &self,
        source: &dyn LegacyImportSource,
        progress: &dyn ImportProgress,
    ) -> ServiceResult<Checked> {
        let mut reader = source.open().map_err(ServiceError::invalid)?;
        // 32 bytes per key: a repeat within the file is found without keeping the file.
        let mut seen: HashSet<[u8; 32]> = HashSet::new();
        let mut owners: HashMap<String, bool> = HashMap::new();
        let mut problems = Vec::new();
        let mut entries = 0_u64;
        loop {
            let batch = reader
                .next_entries(CHECK_BATCH)
                .map_err(ServiceError::invalid)?;
            if batch.is_empty() {
                break;
            }
            let checks = parallel_map(&batch, |entry| match &entry.read {
                Ok(import) => Ok(check_entry(import)),
                Err(problem) => Err(problem.clone()),
            });
            // Keys new to the file are looked up in the database together, one query a batch.
            let mut fresh = Vec::new();
            let mut key_problems: Vec<Option<String>> = Vec::with_capacity(batch.len());
            for check in &checks {
                key_problems.push(match check {
                    Ok(check) => match &check.key {
                        Ok(digest) if !seen.insert(*digest) => Some(duplicate()),
                        Ok(digest) => {
                            fresh.push(hex::encode(digest));
                            None
                        }
                        Err(problem) => Some(problem.clone()),
                    },
                    Err(_) => None,
                });
            }
            let stored: HashSet<String> = self
                .store
                .legacy_hashes_stored(&fresh)
                .await?
                .into_iter()
                .collect();
            for ((entry, check), key_problem) in batch.iter().zip(&checks).zip(key_problems) {
                entries += 1;
                let at = entry_label(entries, entry.line);
                let check = match check {
                    Ok(check) => check,
                    Err(problem) => {
                        problems.push(format!("{at}: {problem}"));
                        continue;
                    }
                };
                let mut found: Vec<String> = Vec::new();
                match (key_problem, &check.key) {
                    (Some(problem), _) => found.push(problem),
                    (None, Ok(digest)) if stored.contains(&hex::encode(digest)) => {
                        found.push(duplicate())
                    }
                    _ => {}
                }
                if let Some(problem) = &check.owner {
                    found.push(problem.clone());
                } else if let Ok(import) = &entry.read {
                    if !self.member_exists(&mut owners, &import.owner).await? {
                        found.push(format!(
                            "'owner': no member named '{}'.",
                            keyportal_domain::ids::shorten(&import.owner)
                        ));
                    }
                }
                found.extend(check.fields.iter().cloned());
                problems.extend(found.into_iter().map(|p| format!("{at}: {p}")));
            }
            progress.checked(entries);
        }
        if !problems.is_empty() {
            return Err(DomainError::invalid_with(
                "The import file has problems; nothing was imported.",
                problems,
            )
            .into());
        }
        Ok(Checked {
            entries,
            fingerprint: reader.fingerprint(),
        })
    }

    async fn member_exists(
        &self,
        known: &mut HashMap<String, bool>,
        username: &str,
    ) -> ServiceResult<bool> {
        if let Some(exists) = known.get(username) {
            return Ok(*exists);
        }
        let exists = self.store.get_user(username).await?.is_some();
        known.insert(username.to_string(), exists);
        Ok(exists)
    }

    /// The second pass: every entry stored in one transaction, committed only when the file
    /// read is the one checked. Then one notice tells every node (this one included). The
    /// rows of the next batches are made (read, parsed, hashed) on other threads while the
    /// database writes the current one.
    async fn store_import(
        &self,
        source: &dyn LegacyImportSource,
        checked: &Checked,
        progress: &dyn ImportProgress,
    ) -> ServiceResult<u64> {
        let now = self.now();
        let org_id = self.org().await?.id;
        let reader = source.open().map_err(ServiceError::invalid)?;
        let (sender, mut batches) = tokio::sync::mpsc::channel(BATCHES_AHEAD);
        // Ids that increase through the import: the store appends to its id-keyed indexes.
        let ids = AscendingIds::new(checked.entries);
        let making =
            tokio::task::spawn_blocking(move || make_rows(reader, ids, &org_id, now, sender));
        let mut bulk = self.store.begin_bulk().await?;
        let mut stored = 0_u64;
        // Any early return drops `batches`, which stops the maker, and `bulk`, which rolls back.
        while let Some(rows) = batches.recv().await {
            let (items, keys) = rows?;
            bulk.insert_items(&items).await?;
            bulk.insert_legacy_keys(&keys).await?;
            stored += keys.len() as u64;
            progress.stored(stored, checked.entries);
        }
        let fingerprint = making
            .await
            .map_err(|e| ServiceError::Internal(format!("making the import's rows failed: {e}")))?;
        if stored != checked.entries || fingerprint != checked.fingerprint {
            return Err(file_changed());
        }
        if stored > 0 {
            // One event for the import (a million keys are one act, not a million events);
            // imports run only from the command line.
            let imported = Event::new(EventType::LegacyImported, &Actor::system(), now)
                .detail("count", stored)
                .detail("created", now);
            bulk.insert_events(std::slice::from_ref(&imported)).await?;
        }
        bulk.commit().await?;
        if stored > 0 {
            self.store
                .publish_change(&format!("{LEGACY_IMPORT_SUBJECT}:{now}"))
                .await?;
        }
        Ok(stored)
    }

    /// Applies an import's notice: reads its keys (those created at `created`) into the key
    /// table, a page at a time, each page under the refresh lock like any other refresh.
    pub(crate) async fn refresh_legacy_import(&self, created: &str) -> ServiceResult<()> {
        let Ok(created) = created.parse::<i64>() else {
            tracing::warn!(created, "malformed legacy import notice");
            return Ok(());
        };
        let mut after = String::new();
        loop {
            let _serial = self.refresh_lock.lock().await;
            let page = self
                .store
                .legacy_keys_created_at(created, &after, REFRESH_PAGE)
                .await?;
            for key in &page {
                self.key_table.put_legacy(key);
            }
            match page.last() {
                Some(last) if page.len() == REFRESH_PAGE => after = last.item_id.clone(),
                _ => return Ok(()),
            }
        }
    }
}

/// One batch of an import's rows, or why the file no longer reads as it did when checked.
type Rows = ServiceResult<(Vec<Item>, Vec<LegacyKey>)>;

/// Reads the file again and sends its rows a batch at a time, until the end, a problem, or
/// the writer stopped listening; returns the fingerprint of what it read.
fn make_rows(
    mut reader: Box<dyn LegacyImportReader>,
    ids: AscendingIds,
    org_id: &str,
    now: i64,
    sender: tokio::sync::mpsc::Sender<Rows>,
) -> u64 {
    let mut made = 0_u64;
    loop {
        let batch = match reader.next_entries(STORE_BATCH) {
            Ok(batch) if batch.is_empty() => break,
            Ok(batch) => batch,
            Err(problem) => {
                let _ = sender.blocking_send(Err(ServiceError::invalid(problem)));
                break;
            }
        };
        let first = made;
        made += batch.len() as u64;
        let numbered: Vec<(u64, &ImportEntry)> = (first..).zip(&batch).collect();
        let rows = parallel_map(&numbered, |(k, entry)| match &entry.read {
            Ok(import) => entry_rows(import, ids.id(*k), org_id, now).ok(),
            Err(_) => None,
        });
        let mut items = Vec::with_capacity(rows.len());
        let mut keys = Vec::with_capacity(rows.len());
        for row in rows {
            let Some((item, key)) = row else {
                let _ = sender.blocking_send(Err(file_changed()));
                return reader.fingerprint();
            };
            items.push(item);
            keys.push(key);
        }
        if sender.blocking_send(Ok((items, keys))).is_err() {
            break;
        }
    }
    reader.fingerprint()
}

fn file_changed() -> ServiceError {
    ServiceError::invalid("The import file changed while it was imported; nothing was imported.")
}

fn duplicate() -> String {
    "'key' appears twice, or was imported before.".into()
}
